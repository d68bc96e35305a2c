"""Client events and key-person coverage through the real app: the events list and a new event, the
event page with suggestions, invitations, RSVP and attendance, the coverage page with gap tasks, the
client 360 panel, the JSON API with its error shapes, both languages."""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of, set_password
from fincrm.clients.domain import PartyKind
from fincrm.clients.models import Party, PartyRelationship
from fincrm.config import Settings
from fincrm.db.uow import unit_of_work
from fincrm.engagement import gatherings, gatherings_pages
from fincrm.engagement.models import Task
from fincrm.errors import Conflict
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in

CORP_PASSWORD = "demo-corporate-rm"


@pytest.fixture(scope="module")
def corp(institution) -> dict:
    """The RM of the first corporate client (the corporate team holds the companies), signed in by
    password, with a company of theirs that has a CFO or operator."""
    with unit_of_work(institution.sessions) as s:
        company = None
        for candidate in s.scalars(
            select(Party).where(Party.kind == PartyKind.CORPORATE, Party.primary_rm_id.is_not(None)).order_by(Party.party_no)
        ):  # fmt: skip
            operator = s.scalars(
                select(Party).join(PartyRelationship, PartyRelationship.to_party_id == Party.id)
                .where(PartyRelationship.from_party_id == candidate.id, PartyRelationship.kind.in_(("cfo", "operator")))
            ).first()  # fmt: skip
            if operator is not None:
                company = candidate
                break
        assert company is not None, "the demo has a corporate client with an operator"
        rm = s.get(User, company.primary_rm_id)
        set_password(s, username=rm.username, password=CORP_PASSWORD, now=NOW)
        lead = s.scalars(select(User).where(User.team_id == rm.team_id, User.role == "team_lead")).first()
        if lead is not None:
            set_password(s, username=lead.username, password=CORP_PASSWORD, now=NOW)
        return {"rm": rm.username, "company": company.party_no, "company_name": company.name,
                "operator": operator.party_no, "lead": lead.username if lead else None}  # fmt: skip


@pytest.fixture()
def client(institution):
    from fastapi.testclient import TestClient

    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    assert gatherings_pages.client_panel in app.state.fincrm.client_panels  # web.routes registers it
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def event_id_of(response) -> int:
    return int(re.search(r"/events/(\d+)$", response.headers["location"]).group(1))


def new_event(client, csrf: str, **fields) -> int:
    form = {"kind": "tax_salon", "title_zh": "季度税务沙龙", "title_en": "Quarterly tax salon", "venue": "分行18楼",
            "starts_at": (NOW + timedelta(days=10)).strftime("%Y-%m-%dT14:00"), "capacity": "20", "status": "open",
            "audience": "企业财务总监", "csrf_token": csrf, **fields}  # fmt: skip
    response = client.post("/events", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:400]
    return event_id_of(response)


class TestEventsPages:
    def test_a_team_lead_creates_an_event_and_bad_fields_are_named(self, client) -> None:
        csrf = sign_in(client, "lead01")
        page = client.get("/events")
        assert (
            page.status_code == 200 and 'id="new-event-form"' in page.text and 'href="/coverage"' in page.text
        )
        bad = client.post("/events", data={"kind": "Tax!", "title_zh": "", "title_en": "x", "venue": "v",
                                           "starts_at": "tomorrow", "capacity": "lots", "csrf_token": csrf})  # fmt: skip
        assert bad.status_code == 422 and 'id="event-error"' in bad.text
        assert "starts_at" in bad.text and "capacity" in bad.text
        event_id = new_event(client, csrf)
        detail = client.get(f"/events/{event_id}")
        assert (
            detail.status_code == 200 and "季度税务沙龙" in detail.text and 'id="invite-form"' in detail.text
        )
        assert f'data-event-id="{event_id}"' in client.get("/events").text
        forged = client.post("/events", data={"kind": "tax_salon", "csrf_token": "forged"})
        assert forged.status_code == 403

    def test_the_rm_invites_a_suggested_key_person_records_the_answer_and_the_attendance(
        self, client, corp, institution
    ) -> None:
        csrf = sign_in(client, corp["rm"], CORP_PASSWORD)
        event_id = new_event(
            client,
            csrf,
            capacity="1",
            starts_at=(NOW + timedelta(hours=1)).astimezone(Settings().tz).strftime("%Y-%m-%dT%H:%M"),
        )
        page = client.get(f"/events/{event_id}")
        assert f'data-suggestion="{corp["operator"]}"' in page.text  # the tax salon's audience: operators
        invited = client.post(f"/events/{event_id}/invitations", data={
            "party_no": corp["operator"], "company_no": corp["company"], "channel": "phone", "csrf_token": csrf,
        }, follow_redirects=False)  # fmt: skip
        assert invited.status_code == 303
        page = client.get(f"/events/{event_id}")
        row = re.search(
            rf'data-invitation-id="(\d+)" data-rsvp="pending" data-client="{corp["operator"]}"', page.text
        )
        assert (
            row
            and corp["company_name"] in page.text
            and f'data-suggestion="{corp["operator"]}"' not in page.text
        )
        invitation_id = row.group(1)
        again = client.post(f"/events/{event_id}/invitations", data={
            "party_no": corp["operator"], "company_no": corp["company"], "csrf_token": csrf})  # fmt: skip
        assert again.status_code == 409 and "already invited" in again.text
        accepted = client.post(f"/events/{event_id}/invitations/{invitation_id}/rsvp",
                               data={"rsvp": "accepted", "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
        assert accepted.status_code == 303
        page = client.get(f"/events/{event_id}")
        assert 'data-rsvp="accepted"' in page.text and "attendance-form" not in page.text  # not started yet
        late = client.post(f"/events/{event_id}/invitations/{invitation_id}/attendance",
                           data={"attended": "yes", "csrf_token": csrf})  # fmt: skip
        assert late.status_code == 422

    def test_coverage_page_and_gap_tasks(self, client, corp, institution) -> None:
        csrf = sign_in(client, corp["rm"], CORP_PASSWORD)
        page = client.get("/coverage")
        assert page.status_code == 200 and f'data-company="{corp["company"]}"' in page.text
        assert 'data-layer="decision"' in page.text and 'data-layer="operating"' in page.text
        assert 'id="gap-tasks-form"' in page.text and 'data-rm="' + corp["rm"] + '"' in page.text
        made = client.post("/coverage/gap-tasks", data={"csrf_token": csrf})
        assert made.status_code == 200 and 'id="gap-tasks-made"' in made.text
        with unit_of_work(institution.sessions) as s:
            count = len(list(s.scalars(select(Task.id).where(Task.rule_key == "coverage_gap"))))
        assert count >= 1
        client.post("/coverage/gap-tasks", data={"csrf_token": csrf})
        with unit_of_work(institution.sessions) as s:
            assert len(list(s.scalars(select(Task.id).where(Task.rule_key == "coverage_gap")))) == count
        gaps = client.get("/coverage?status=gap")
        assert gaps.status_code == 200 and 'data-covered="true"' not in gaps.text
        assert client.post("/coverage/gap-tasks", data={"csrf_token": "x"}).status_code == 403

    def test_the_client_360_shows_the_key_person_panel_for_a_company_only(self, client, corp) -> None:
        sign_in(client, corp["rm"], CORP_PASSWORD)
        page = client.get(f"/clients/{corp['company']}")
        assert (
            page.status_code == 200 and 'id="client-coverage"' in page.text and corp["operator"] in page.text
        )
        assert 'data-layer="operating"' in page.text
        sign_in(client, "compliance01")  # reads every client: an individual has no such panel
        assert 'id="client-coverage"' not in client.get(f"/clients/{corp['operator']}").text
        assert 'id="client-coverage"' in client.get(f"/clients/{corp['company']}").text

    def test_english_pages_and_admin_refused(self, client, corp) -> None:
        token = sign_in(client, corp["rm"], CORP_PASSWORD)
        client.put("/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": token})
        assert "Key-person coverage" in client.get("/coverage").text
        assert "Client events" in client.get("/events").text
        client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": token})
        assert "关键人覆盖" in client.get("/coverage").text
        sign_in(client, "admin01")
        assert client.get("/events").status_code == 403 and client.get("/coverage").status_code == 403


class TestApi:
    def test_events_invitations_capacity_and_attendance(self, client, corp, institution) -> None:
        token = sign_in(client, corp["rm"], CORP_PASSWORD)
        h = {"X-CSRF-Token": token}
        bad = client.post("/api/v1/client-events", headers=h, json={
            "kind": "tax_salon", "title_zh": "沙龙", "title_en": "Salon", "venue": "厅", "capacity": 1,
            "starts_at": (NOW - timedelta(days=1)).isoformat()})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["starts_at"]
        with unit_of_work(institution.sessions) as s:  # an event that started an hour ago, one seat
            me = principal_of(s.scalars(select(User).where(User.username == corp["rm"])).one())
            event_id = gatherings.create_event(
                s, me, kind="capital_forum", title_zh="资本论坛", title_en="Capital forum", venue="酒店", capacity=1,
                starts_at=NOW - timedelta(hours=1), status="open", now=NOW - timedelta(days=3),
            ).id  # fmt: skip
            companies = list(s.scalars(select(Party.party_no).where(Party.primary_rm_id == me.user_id,
                                                                    Party.kind == PartyKind.CORPORATE).limit(2)))  # fmt: skip
        base = f"/api/v1/client-events/{event_id}"
        first, second = (
            client.post(f"{base}/invitations", headers=h, json={"client_no": no}) for no in companies
        )
        assert first.status_code == second.status_code == 201 and first.json()["rsvp"] == "pending"
        ok = client.post(
            f"{base}/invitations/{first.json()['id']}/rsvp", headers=h, json={"rsvp": "accepted"}
        )
        assert ok.status_code == 200 and ok.json()["rsvp"] == "accepted"
        full = client.post(
            f"{base}/invitations/{second.json()['id']}/rsvp", headers=h, json={"rsvp": "accepted"}
        )
        assert full.status_code == 409 and full.json()["errors"][0]["loc"] == ["rsvp"]
        came = client.post(
            f"{base}/invitations/{first.json()['id']}/attendance", headers=h, json={"attended": True}
        )
        assert came.status_code == 200 and came.json()["attended"] is True
        detail = client.get(base).json()
        assert detail["event"]["attendance"]["attended"] == 1 and detail["event"]["seats_left"] == 0
        assert {i["client_no"] for i in detail["invitations"]} == set(companies)
        assert any(e["id"] == event_id for e in client.get("/api/v1/client-events").json())
        sign_in(client, "rm001")
        assert client.get(base).json()["invitations"] == []  # another team's RM sees no invitation

    def test_coverage_and_gap_tasks(self, client, corp) -> None:
        token = sign_in(client, corp["rm"], CORP_PASSWORD)
        body = client.get("/api/v1/coverage").json()
        mine = next(c for c in body["companies"] if c["client_no"] == corp["company"])
        assert mine["operating"]["threshold_days"] == 30 and mine["decision"]["threshold_days"] == 90
        assert corp["operator"] in [p["client_no"] for p in mine["operating"]["people"]]
        assert body["total"]["companies"] == len(body["companies"])
        one = client.get(f"/api/v1/clients/{corp['company']}/coverage").json()
        assert one["corporate"] and one["coverage"]["client_no"] == corp["company"]
        made = client.post("/api/v1/coverage/gap-tasks", headers={"X-CSRF-Token": token})
        assert made.status_code == 200 and made.json()["made"] + made.json()["already"] >= 1
        assert client.get("/api/v1/coverage?status=nonsense").status_code == 422


def test_seed_demo_fills_the_test_institution_once(institution) -> None:
    with unit_of_work(institution.sessions) as s:
        first = gatherings.seed_demo(s, Settings(), now=NOW)
    with unit_of_work(institution.sessions) as s:
        assert gatherings.seed_demo(s, Settings(), now=NOW) == 0
    assert first == len(gatherings.DEMO_EVENTS)


@pytest.mark.skipif(not os.environ.get("FINCRM_TEST_DATABASE_URL"), reason="row locks are PostgreSQL's")
def test_two_acceptances_cannot_both_take_the_last_seat(institution, corp) -> None:
    with unit_of_work(institution.sessions) as s:
        me = principal_of(s.scalars(select(User).where(User.username == corp["rm"])).one())
        event = gatherings.create_event(
            s, me, kind="strategy_meeting", title_zh="闭门策略会", title_en="Strategy meeting", venue="贵宾室",
            capacity=1, starts_at=NOW + timedelta(days=3), status="open", now=NOW,
        )  # fmt: skip
        companies = list(s.scalars(select(Party.party_no).where(Party.primary_rm_id == me.user_id,
                                                                Party.kind == PartyKind.CORPORATE).limit(2)))  # fmt: skip
        ids = [gatherings.invite(s, me, event.id, party_no=no, now=NOW).id for no in companies]
        event_id = event.id
    locked, outcome = threading.Event(), {}

    def first() -> None:
        with unit_of_work(institution.sessions) as s:
            gatherings.set_rsvp(s, me, event_id, ids[0], rsvp="accepted", now=NOW)
            locked.set()
            time.sleep(0.5)  # hold the event row while the second acceptance waits for it

    def second() -> None:
        locked.wait(5)
        try:
            with unit_of_work(institution.sessions) as s:
                gatherings.set_rsvp(s, me, event_id, ids[1], rsvp="accepted", now=NOW)
            outcome["second"] = "accepted"
        except Conflict:
            outcome["second"] = "full"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert outcome == {"second": "full"}
    with unit_of_work(institution.sessions) as s:
        assert gatherings.read_event(s, me, event_id).view.accepted_total == 1
