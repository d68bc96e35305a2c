"""Cross-department cases through the real app: the RM opens a case on the board (prefilled from the
client 360), adds research and compliance; research sees the case and the masked client summary but
not the client's 360; comments, a multipart upload and its download, the proposal and sign-offs to
agreed; the JSON API with its error shapes; English."""

from __future__ import annotations

import base64
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import set_password
from fincrm.clients.models import Party
from fincrm.core.pii import mask_name
from fincrm.db.uow import unit_of_work
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in

OUTSIDER_PASSWORD = "demo-research02"


@pytest.fixture()
def client(institution):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="module")
def party(institution) -> tuple[str, str]:
    with unit_of_work(institution.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        found = s.scalars(
            select(Party).where(Party.primary_rm_id == rm.id).order_by(Party.party_no.desc())
        ).first()
        set_password(
            s, username="research02", password=OUTSIDER_PASSWORD, now=NOW
        )  # a research analyst not on the case
        return found.party_no, found.name


def open_case(client, csrf: str, party_no: str) -> int:  # noqa: ANN001
    made = client.post("/cases", data={"client_no": party_no, "kind": "succession", "title": "二代接班与股权传承",
                                       "description": "客户计划五年内将企业股权传给子女", "csrf_token": csrf},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303, made.text[:400]
    return int(re.search(r"/cases/(\d+)$", made.headers["location"]).group(1))


class TestCasePages:
    def test_from_opening_to_agreed_with_research_seeing_only_the_case(self, client, party) -> None:
        party_no, name = party
        csrf = sign_in(client, "rm001")
        assert 'id="open-case-link"' in client.get(f"/clients/{party_no}").text
        board = client.get(f"/cases?client={party_no}")
        assert (
            board.status_code == 200
            and f'value="{party_no}"' in board.text
            and 'id="column-breached"' in board.text
        )
        bad = client.post("/cases", data={"client_no": party_no, "kind": "yacht", "title": "", "description": "x",
                                          "csrf_token": csrf})  # fmt: skip
        assert bad.status_code == 422 and 'id="case-error"' in bad.text and "kind" in bad.text
        case_id = open_case(client, csrf, party_no)
        for username in ("research01", "compliance01"):
            added = client.post(f"/cases/{case_id}/members", data={"username": username, "csrf_token": csrf},
                                follow_redirects=False)  # fmt: skip
            assert added.status_code == 303
        again = client.post(f"/cases/{case_id}/members", data={"username": "research01", "csrf_token": csrf})
        assert again.status_code == 409
        uploaded = client.post(f"/cases/{case_id}/attachments", data={"csrf_token": csrf},
                               files={"file": ("股权结构.pdf", b"%PDF-1.4 demo", "application/pdf")},
                               follow_redirects=False)  # fmt: skip
        assert uploaded.status_code == 303
        refused = client.post(f"/cases/{case_id}/attachments", data={"csrf_token": csrf},
                              files={"file": ("tool.exe", b"MZ", "application/x-msdownload")})  # fmt: skip
        assert refused.status_code == 422 and "content_type" in refused.text
        client.post(
            f"/cases/{case_id}/proposal",
            data={"text": "设立股权家族信托，分三年完成股权转让。", "csrf_token": csrf},
        )
        client.post(f"/cases/{case_id}/signoff", data={"csrf_token": csrf})
        page = client.get(f"/cases/{case_id}")
        assert (
            'data-function="rm" data-signed="true"' in page.text
            and 'data-status="awaiting_signoff"' in page.text
        )
        attachment_id = re.search(r'data-attachment="(\d+)"', page.text).group(1)

        csrf = sign_in(client, "research01")
        assert f'data-case="{case_id}"' in client.get("/cases").text
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200 and mask_name(name) in page.text and name not in page.text
        assert "客户计划五年内将企业股权传给子女" in page.text and 'id="signoff-form"' in page.text
        assert client.get(f"/clients/{party_no}").status_code == 404  # the client's 360 stays closed
        download = client.get(f"/cases/{case_id}/attachments/{attachment_id}")
        assert download.status_code == 200 and download.content == b"%PDF-1.4 demo"
        assert "filename*=UTF-8''" in download.headers["content-disposition"]
        client.post(
            f"/cases/{case_id}/comments", data={"text": "建议信托持股比例不低于 51%", "csrf_token": csrf}
        )
        signed = client.post(f"/cases/{case_id}/signoff", data={"csrf_token": csrf}, follow_redirects=False)
        assert signed.status_code == 303

        csrf = sign_in(client, "compliance01")
        client.post(f"/cases/{case_id}/signoff", data={"csrf_token": csrf})
        page = client.get(f"/cases/{case_id}")
        assert 'data-status="agreed"' in page.text and "建议信托持股比例不低于 51%" in page.text

        sign_in(client, "research02", OUTSIDER_PASSWORD)
        assert client.get(f"/cases/{case_id}").status_code == 404
        assert client.get(f"/cases/{case_id}/attachments/{attachment_id}").status_code == 404
        sign_in(client, "admin01")
        assert client.get("/cases").status_code == 403

    def test_english_board(self, client) -> None:
        csrf = sign_in(client, "lead01")
        client.post("/language", data={"locale": "en", "csrf_token": csrf, "next": "/cases"})
        page = client.get("/cases")
        assert "Cross-department cases" in page.text and "Awaiting sign-off" in page.text
        client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf, "next": "/cases"})
        assert "跨部门协作工单" in client.get("/cases").text


class TestCaseApi:
    def test_open_work_and_read_over_json(self, client, party) -> None:
        party_no, name = party
        csrf = sign_in(client, "rm001")
        headers = {"X-CSRF-Token": csrf}
        made = client.post("/api/v1/cases", headers=headers, json={
            "client_no": party_no, "kind": "tax_planning", "title": "个税筹划", "description": "年终奖与股权激励个税"})  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        case_id = body["id"]
        assert body["status"] == "open" and body["client"]["masked_name"] == mask_name(name)
        assert client.post(f"/api/v1/cases/{case_id}/members", headers=headers,
                           json={"username": "research01"}).status_code == 201  # fmt: skip
        bad = client.post(f"/api/v1/cases/{case_id}/attachments", headers=headers,
                          json={"file_name": "a.txt", "content_type": "text/plain", "content_base64": "***"})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["content_base64"]
        ok = client.post(f"/api/v1/cases/{case_id}/attachments", headers=headers, json={
            "file_name": "测算.csv", "content_type": "text/csv", "content_base64": base64.b64encode(b"a,b\n1,2\n").decode()})  # fmt: skip
        attachment = ok.json()["attachments"][0]
        assert (attachment["file_name"], attachment["size_bytes"]) == ("测算.csv", 8)
        got = client.get(f"/api/v1/cases/{case_id}/attachments/{attachment['id']}")
        assert got.content == b"a,b\n1,2\n" and got.headers["content-type"].startswith("text/csv")
        early = client.post(f"/api/v1/cases/{case_id}/signoff", headers=headers)
        assert early.status_code == 422 and early.json()["code"] == "input_error"
        client.post(f"/api/v1/cases/{case_id}/proposal", headers=headers, json={"text": "年终奖单独计税"})
        signed = client.post(f"/api/v1/cases/{case_id}/signoff", headers=headers).json()
        assert signed["signoff"] == {"proposal_version": 1, "functions": ["rm", "research"], "signed": ["rm"],
                                     "missing": ["research"]}  # fmt: skip
        board = client.get("/api/v1/cases").json()["columns"]
        assert case_id in {c["id"] for c in board["awaiting_signoff"]}
        assert client.get("/api/v1/cases/999999").status_code == 404
