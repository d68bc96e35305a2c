"""Complaints through the real app: the intake form (from the client 360's panel), the list with its
SLA countdown, filters and rates, the complaint page with its timeline and actions, the JSON API with
its error shapes, scope per role, both languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.cases import complaints_pages
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.web.app import create_app
from tests.web.conftest import sign_in


@pytest.fixture()
def client(institution):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    assert complaints_pages.client_panel in app.state.fincrm.client_panels  # web.routes registers it
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="module")
def parties(institution) -> dict[str, str]:
    """A client of rm001 and one outside lead01's team."""
    with unit_of_work(institution.sessions) as s:
        rm, lead = (s.scalars(select(User).where(User.username == u)).one() for u in ("rm001", "lead01"))
        team = select(User.id).where(User.team_id == lead.team_id)
        own = s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)
        ).all()
        other = s.scalars(
            select(Party.party_no).where(Party.primary_rm_id.not_in(team)).order_by(Party.party_no)
        ).first()
        return {"own": own[0], "own2": own[1], "own3": own[2], "other": other}


def file_form(client, csrf: str, party_no: str, **fields) -> str:  # noqa: ANN001
    form = {"client_no": party_no, "channel": "phone", "category": "fees", "severity": "high",
            "description": "客户对基金申购费率有异议", "csrf_token": csrf, **fields}  # fmt: skip
    response = client.post("/complaints", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:400]
    return re.search(r"/complaints/(TS-\d{4}-\d+)$", response.headers["location"]).group(1)


class TestComplaintPages:
    def test_the_rm_files_from_the_360_and_works_the_complaint_to_closed(self, client, parties) -> None:
        csrf = sign_in(client, "rm001")
        page = client.get(f"/clients/{parties['own']}")
        assert 'id="client-complaints"' in page.text
        assert f'href="/complaints/new?client={parties["own"]}"' in page.text
        form = client.get(f"/complaints/new?client={parties['own']}")
        assert (
            form.status_code == 200
            and f'value="{parties["own"]}"' in form.text
            and 'id="sla-targets"' in form.text
        )
        bad = client.post("/complaints", data={"client_no": parties["own"], "channel": "fax", "category": "fees",
                                                "severity": "urgent", "description": "", "csrf_token": csrf})  # fmt: skip
        assert bad.status_code == 422 and 'id="complaint-error"' in bad.text
        assert "channel" in bad.text and "severity" in bad.text
        number = file_form(client, csrf, parties["own"])
        listing = client.get("/complaints")
        row = re.search(rf'<tr data-complaint="{number}" data-status="open" data-breached="false">(.*?)</tr>',
                        listing.text, re.S)  # fmt: skip
        assert row and "剩余 4 小时 0 分" in row.group(
            1
        )  # high: first response within 4 hours, counted from now
        assert 'data-rate="rm:rm001"' in listing.text and 'id="complaint-rates"' in listing.text
        assert number in client.get(f"/clients/{parties['own']}").text
        detail = client.get(f"/complaints/{number}")
        assert (
            detail.status_code == 200
            and 'data-held="true"' in detail.text
            and 'data-step="intake"' in detail.text
        )
        for action, data in (("response", {"text": "已回电致歉"}),
                             ("resolution", {"summary": "退还申购费差额", "compensation_amount": "88.00",
                                             "compensation_currency": "CNY"}),
                             ("feedback", {"satisfaction": "satisfied", "score": "5", "comment": "满意"}),
                             ("close", {})):  # fmt: skip
            done = client.post(
                f"/complaints/{number}/{action}", data={**data, "csrf_token": csrf}, follow_redirects=False
            )
            assert done.status_code == 303, (action, done.text[:300])
        detail = client.get(f"/complaints/{number}")
        assert 'data-status="closed"' in detail.text and 'data-held="false"' in detail.text
        assert 'id="compensation"' in detail.text and 'data-satisfaction="satisfied"' in detail.text
        assert 'id="reopen-form"' in detail.text and 'id="resolve-form"' not in detail.text
        wrong = client.post(f"/complaints/{number}/response", data={"text": "x", "csrf_token": csrf})
        assert wrong.status_code == 422 and 'id="complaint-error"' in wrong.text
        forged = client.post(f"/complaints/{number}/notes", data={"text": "x", "csrf_token": "forged"})
        assert forged.status_code == 403

    def test_filters_and_english(self, client, parties) -> None:
        csrf = sign_in(client, "lead01")
        number = file_form(client, csrf, parties["own2"], severity="low", category="service_attitude")
        assert number in client.get("/complaints?severity=low").text
        assert number not in client.get("/complaints?severity=critical").text
        assert number not in client.get("/complaints?status=closed").text
        english = client.get("/complaints?lang=en")
        assert "Complaints" in english.text
        client.post("/language", data={"locale": "en", "csrf_token": csrf, "next": "/complaints"})
        page = client.get(f"/complaints/{number}")
        assert "Service attitude" in page.text and "Timeline" in page.text
        client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf, "next": "/complaints"})
        assert "服务态度" in client.get(f"/complaints/{number}").text

    def test_scope_of_pages(self, client, parties) -> None:
        csrf = sign_in(client, "compliance01")
        number = file_form(client, csrf, parties["other"], channel="regulator_referral")
        sign_in(client, "rm001")
        assert client.get(f"/complaints/{number}").status_code == 404
        assert number not in client.get("/complaints").text
        sign_in(client, "research01")
        assert client.get("/complaints").status_code == 403
        assert client.get("/complaints/new").status_code == 403
        assert 'href="/complaints"' not in client.get("/cases").text  # the nav shows research only cases


class TestComplaintApi:
    def test_file_act_and_read_over_json(self, client, parties) -> None:
        csrf = sign_in(client, "rm001")
        headers = {"X-CSRF-Token": csrf}
        made = client.post("/api/v1/complaints", headers=headers, json={
            "client_no": parties["own3"], "channel": "app", "category": "system_error", "severity": "critical",
            "description": "转账重复扣款"})  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        number = body["complaint_no"]
        assert body["marketing_held"] is True and body["sla"]["response_minutes_left"] == 120
        assert [s["kind"] for s in body["timeline"]] == ["intake", "assigned"]
        bad = client.post(f"/api/v1/complaints/{number}/resolution", headers=headers,
                          json={"summary": "", "compensation_amount": "1.234"})  # fmt: skip
        assert bad.status_code == 422
        assert {tuple(e["loc"])[0] for e in bad.json()["errors"]} >= {"summary", "compensation_amount"}
        assert bad.json()["code"] == "input_error"
        done = client.post(
            f"/api/v1/complaints/{number}/resolution", headers=headers, json={"summary": "已退款"}
        )
        assert done.json()["status"] == "resolved" and done.json()["marketing_held"] is False
        listed = client.get("/api/v1/complaints", params={"status": "resolved"}).json()
        assert number in {c["complaint_no"] for c in listed}
        assert client.get("/api/v1/complaints", params={"status": "lost"}).status_code == 422
        rates = client.get("/api/v1/complaints/rates").json()
        assert rates["by_rm"][0]["key"] == "rm001" and rates["total"]["received"] >= 1
        assert client.get(f"/api/v1/clients/{parties['own3']}/complaints").json()[0]["complaint_no"] == number
        assert client.get("/api/v1/complaints/TS-2026-999999").status_code == 404
