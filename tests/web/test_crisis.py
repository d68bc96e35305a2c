"""Crisis communication through the real app: the /crisis page with the fall and the affected clients,
a draft's page with its figures, the compliance hold on an edit, sending, compliance's decision, the
client 360 panel, and the JSON API with its error shapes, in both languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.cases import crisis
from fincrm.cases import crisis_domain as cd
from fincrm.db.uow import unit_of_work
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in

LOW = "0.5"  # percent: the 600-client demo's books hold little equity


@pytest.fixture()
def client(institution):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def first_affected(client: TestClient) -> str:
    page = client.get("/crisis", params={"min_equity_pct": LOW})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-client="([^"]+)" data-drawdown="([^"]*)"', page.text)
    return next(no for no, dd in rows if dd)


def make_draft(client: TestClient, csrf: str, party_no: str) -> str:
    made = client.post("/crisis/drafts", data={"csrf_token": csrf, "party_no": party_no, "min_equity_pct": LOW,
                                               "action": "hold"}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303, made.text[:300]
    return made.headers["location"]


class TestPages:
    def test_the_fall_and_the_affected_clients(self, client, institution) -> None:
        sign_in(client, "rm001")
        page = client.get("/crisis", params={"min_equity_pct": LOW})
        assert page.status_code == 200 and 'id="fall"' in page.text and 'id="affected"' in page.text
        fall = crisis.find_fall(institution.settings, on=crisis.business_day(institution.settings, NOW))
        assert f'data-start="{fall.start}"' in page.text and f'data-fall="{fall.fall_pct:.1f}"' in page.text
        assert 'data-nav="crisis"' in page.text and 'data-nav="drills"' in page.text

    def test_a_threshold_nothing_reaches_is_an_error_on_the_page(self, client) -> None:
        sign_in(client, "rm001")
        page = client.get("/crisis", params={"fall_pct": "60"})
        assert page.status_code == 422 and 'id="crisis-error"' in page.text and "fall_pct" in page.text

    def test_draft_hold_edit_send_and_the_360_panel(self, client, institution) -> None:
        csrf = sign_in(client, "rm001")
        party_no = first_affected(client)
        url = make_draft(client, csrf, party_no)
        page = client.get(url)
        shown = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page.text))
        with unit_of_work(institution.sessions) as s:
            me = principal_of(s.scalars(select(User).where(User.username == "rm001")).one())
            facts = crisis.view(s, crisis.open_draft(s, me, party_no)).facts
        assert (
            shown["benchmark_drawdown"]
            == facts["shown"]["benchmark_drawdown"]
            == cd.pct_text(facts["benchmark_drawdown"])
        )
        assert shown["portfolio_drawdown"] == cd.pct_text(facts["portfolio_drawdown"])
        assert shown["recovery"] == f"{facts['recovery']['recovered']}/{facts['recovery']['similar']}"
        held = client.post(
            f"{url}/edit", data={"csrf_token": csrf, "body": "您放心，这个产品保本，稳赚不赔。"}
        )
        assert (
            held.status_code == 200
            and 'data-status="held"' in held.text
            and 'id="scan-findings"' in held.text
        )
        assert 'id="send-form"' not in held.text
        refused = client.post(f"{url}/send", data={"csrf_token": csrf})
        assert refused.status_code == 422 and 'id="draft-error"' in refused.text
        clean = client.post(
            f"{url}/edit", data={"csrf_token": csrf, "body": "我理解您的担心。投资有风险，我明天给您打电话。"}
        )
        assert 'data-status="draft"' in clean.text
        sent = client.post(f"{url}/send", data={"csrf_token": csrf})
        assert 'data-status="sent"' in sent.text and 'id="message-status" data-status="pending"' in sent.text
        panel = client.get(f"/clients/{party_no}")
        assert 'id="client-crisis"' in panel.text and 'data-status="sent"' in panel.text

    def test_compliance_decides_a_held_draft(self, client, institution) -> None:
        csrf = sign_in(client, "rm001")
        url = make_draft(client, csrf, first_affected(client))
        client.post(f"{url}/edit", data={"csrf_token": csrf, "body": "零风险，保收益。"})
        client.post("/logout", data={"csrf_token": csrf})
        csrf = sign_in(client, "compliance01")
        page = client.get(url)
        assert (
            page.status_code == 200
            and 'id="decision-form"' in page.text
            and 'id="edit-form"' not in page.text
        )
        done = client.post(
            f"{url}/decision", data={"csrf_token": csrf, "decision": "reject", "reason": "承诺收益"}
        )
        assert 'data-status="rejected"' in done.text

    def test_both_languages(self, client) -> None:
        csrf = sign_in(client, "rm001")
        zh = client.get("/crisis", params={"min_equity_pct": LOW})
        assert "危机沟通" in zh.text and "受影响的客户" in zh.text
        changed = client.put("/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": csrf})
        assert changed.status_code == 200
        en = client.get("/crisis", params={"min_equity_pct": LOW})
        assert "Crisis communication" in en.text and "Affected clients" in en.text
        client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": csrf})


class TestApi:
    def test_fall_affected_draft_edit_send(self, client) -> None:
        csrf = sign_in(client, "rm001")
        h = {"X-CSRF-Token": csrf}
        fall = client.get("/api/v1/crisis/fall").json()
        assert fall["found_in_lake"] and fall["fall_pct"] > 5
        page = client.get("/api/v1/crisis/affected", params={"min_equity_pct": LOW}).json()
        assert page["fall"] == fall and page["clients"]
        no = next(c["client_no"] for c in page["clients"] if c["drawdown"] is not None)
        made = client.post(
            f"/api/v1/clients/{no}/crisis-drafts", json={"lang": "en", "channel": "in_app"}, headers=h
        )
        assert made.status_code == 201, made.text
        d = made.json()
        assert d["status"] == "draft" and d["facts"]["portfolio_drawdown"] == next(
            c["drawdown"] for c in page["clients"] if c["client_no"] == no
        )
        assert d["facts"]["shown"]["benchmark_drawdown"] in d["body"]
        held = client.put(
            f"/api/v1/clients/{no}/crisis-draft", json={"body": "Guaranteed returns, no risk."}, headers=h
        )
        assert held.json()["status"] == "held" and "forbidden_promise" in held.json()["scan_codes"]
        refused = client.post(f"/api/v1/clients/{no}/crisis-draft/send", headers=h)
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["status"]
        client.put(
            f"/api/v1/clients/{no}/crisis-draft",
            json={"body": "I understand your worry. Investment involves risk."},
            headers=h,
        )
        sent = client.post(f"/api/v1/clients/{no}/crisis-draft/send", headers=h).json()
        assert sent["status"] == "sent" and sent["message_status"] == "pending"
        assert client.get(f"/api/v1/clients/{no}/crisis-draft").status_code == 404
        assert any(
            x["id"] == d["id"] for x in client.get("/api/v1/crisis/drafts", params={"status": "sent"}).json()
        )

    def test_bad_input_answers_422_with_the_fields(self, client) -> None:
        csrf = sign_in(client, "rm001")
        page = client.get("/api/v1/crisis/affected", params={"min_equity_pct": LOW}).json()
        no = page["clients"][0]["client_no"]
        bad = client.post(f"/api/v1/clients/{no}/crisis-drafts", json={"channel": "fax", "action": "panic"},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert bad.status_code == 422 and {e["loc"][0] for e in bad.json()["errors"]} == {"channel", "action"}
        assert client.get("/api/v1/crisis/fall", params={"fall_pct": 60}).status_code == 422


def matrix_draft(case, *, body: str | None = None, held: bool = False) -> dict | None:
    """For the authorization matrix (``case`` a matrix Case): a fresh open crisis draft of the case's
    client written by its primary RM (held when ``held``), and the request body the route takes."""
    from sqlalchemy import select as sql_select

    from fincrm.access.models import User as UserRow
    from fincrm.clients.models import Party

    inst = case.world.institution
    with unit_of_work(inst.sessions) as s:
        rm = s.scalars(sql_select(UserRow).join(Party, Party.primary_rm_id == UserRow.id)
                       .where(Party.party_no == case.party_no)).one()  # fmt: skip
        me = principal_of(rm)
        fall = crisis.find_fall(inst.settings, on=crisis.business_day(inst.settings, NOW))
        crisis.draft_message(s, me, inst.settings, case.party_no, fall=fall, action="hold", now=NOW)
        if held:
            crisis.edit_draft(s, me, inst.settings, case.party_no, body="保本保收益", now=NOW)
    if held:
        return {"approve": False, "reason": "矩阵测试"}
    return {"body": body} if body is not None else None
