"""The pre-call brief and the SPIN library through the real app: the brief page with every panel, its
SPIN fragment (htmx), the JSON API, the link from My day and the client 360, the library page that
team leads edit (and others only read), both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement.tasks import insert_task
from fincrm.team import precall
from fincrm.team.spin_models import SpinQuestion
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in


def spin_ready(institution) -> None:
    """The shipped library in the store (loaded once; the authorization matrix uses it too)."""
    with unit_of_work(institution.sessions) as s:
        precall.seed_demo(s, institution.settings, now=NOW)


def fresh_question(institution) -> str:
    """A new active question added by lead01 (a retirement closes it), for the authorization matrix."""
    spin_ready(institution)
    with unit_of_work(institution.sessions) as s:
        lead = principal_of(s.scalars(select(User).where(User.username == "lead01")).one())
        return precall.add_question(s, lead, topic="idle_cash", stage="problem", text_zh="矩阵问题？",
                                    text_en="Matrix?", now=NOW).key  # fmt: skip


def senior_client(institution) -> str:
    """An individual client of rm001 aged 50 or more (the retirement topic fits), with a task due now."""
    with unit_of_work(institution.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        party = s.scalars(
            select(Party).where(Party.primary_rm_id == rm.id, Party.kind == "individual",
                                Party.birth_on <= date(NOW.year - 50, NOW.month, NOW.day)).order_by(Party.party_no)
        ).first()  # fmt: skip
        assert party is not None, "rm001 has a client aged over 50"
        insert_task(s, party=party, assignee_id=rm.id, rule_key="precall_test", idempotency_key=f"precall:{party.party_no}",
                    title_zh="季度回访", title_en="Quarterly call", due_at=NOW + timedelta(hours=1), priority=2, now=NOW)  # fmt: skip
        return party.party_no


@pytest.fixture(scope="module")
def senior(institution) -> str:
    return senior_client(institution)


def signed_in(institution, username: str):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    c = TestClient(app, base_url="http://testserver")
    return c, sign_in(c, username)


class TestBriefPage:
    def test_every_panel_and_the_spin_questions_with_reasons(self, institution, senior) -> None:
        c, _ = signed_in(institution, "rm001")
        page = c.get(f"/clients/{senior}/pre-call")
        assert page.status_code == 200
        for section in ("precall-memory", "precall-family", "precall-interactions", "precall-signals", "precall-tasks",
                        "precall-holdings", "precall-offers", 'id="spin"'):  # fmt: skip
            assert section in page.text, section
        assert 'data-topic="retirement"' in page.text and 'data-kind="age_at_least"' in page.text
        assert "Quarterly call" in page.text or "季度回访" in page.text
        english = c.get(f"/clients/{senior}/pre-call?lang=en")
        assert english.status_code == 200

    def test_the_spin_fragment_answers_alone_for_htmx(self, institution, senior) -> None:
        c, _ = signed_in(institution, "rm001")
        part = c.get(f"/clients/{senior}/pre-call?fragment=spin", headers={"HX-Request": "true"})
        assert part.status_code == 200 and 'id="spin"' in part.text and "<html" not in part.text

    def test_my_day_and_the_360_link_to_the_brief(self, institution, senior) -> None:
        c, _ = signed_in(institution, "rm001")
        assert f'href="/clients/{senior}/pre-call" class="precall-link"' in c.get("/my-day").text
        assert 'id="precall-link"' in c.get(f"/clients/{senior}").text

    def test_a_client_outside_the_book_is_not_found(self, institution) -> None:
        c, _ = signed_in(institution, "rm002")
        with unit_of_work(institution.sessions) as s:
            rm = s.scalars(select(User).where(User.username == "rm001")).one()
            theirs = s.scalars(
                select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)
            ).first()
        assert c.get(f"/clients/{theirs}/pre-call").status_code in (404,)


class TestBriefApi:
    def test_the_brief_as_json(self, institution, senior) -> None:
        c, _ = signed_in(institution, "rm001")
        body = c.get(f"/api/v1/clients/{senior}/pre-call").json()
        assert body["client_no"] == senior
        retirement = next(t for t in body["spin"] if t["topic"] == "retirement")
        assert retirement["reasons"][0]["kind"] == "age_at_least" and retirement["reasons"][0][
            "text_en"
        ].startswith("age")
        assert [q["stage"] for q in retirement["questions"]][:1] == ["situation"]
        assert {"open_tasks", "holdings", "offers", "products", "memory_points", "family"} <= set(body)


class TestLibraryPage:
    def test_a_lead_loads_and_edits_the_library_and_the_brief_shows_it(self, institution, senior) -> None:
        lead, csrf = signed_in(institution, "lead01")
        page = lead.get("/team/spin")
        assert page.status_code == 200
        if 'id="spin-load"' in page.text:
            assert (
                lead.post("/team/spin/load", data={"csrf_token": csrf}, follow_redirects=False).status_code
                == 303
            )
        edited = lead.post("/team/spin/questions/retirement.s1/edit", data={
            "csrf_token": csrf, "stage": "situation", "text_zh": "您计划哪一年退休？", "text_en": "In which year will you retire?"},
            follow_redirects=True)  # fmt: skip
        assert edited.status_code == 200 and "您计划哪一年退休？" in edited.text
        rm, _ = signed_in(institution, "rm001")
        assert "您计划哪一年退休？" in rm.get(f"/clients/{senior}/pre-call").text
        bad = lead.post("/team/spin/questions", data={"csrf_token": csrf, "topic": "retirement", "stage": "musing",
                                                      "text_zh": "", "text_en": "x"})  # fmt: skip
        assert bad.status_code == 422 and 'id="spin-error"' in bad.text

    def test_others_read_the_library_but_may_not_edit_it(self, institution) -> None:
        spin_ready(institution)
        rm, csrf = signed_in(institution, "rm001")
        page = rm.get("/team/spin")
        assert page.status_code == 200 and 'class="spin-edit"' not in page.text
        assert (
            rm.post("/team/spin/questions/retirement.p1/retire", data={"csrf_token": csrf}).status_code == 403
        )
        with unit_of_work(institution.sessions) as s:
            assert (
                s.scalars(select(SpinQuestion.status).where(SpinQuestion.key == "retirement.p1")).one()
                == "active"
            )

    def test_the_library_api(self, institution) -> None:
        spin_ready(institution)
        lead, csrf = signed_in(institution, "lead01")
        assert lead.get("/api/v1/spin").json()["stored"] is True
        added = lead.post("/api/v1/spin/questions", headers={"X-CSRF-Token": csrf},
                          json={"topic": "education", "stage": "implication", "text_zh": "汇率变化呢？", "text_en": "And FX?"})  # fmt: skip
        assert added.status_code == 201
        key = added.json()["key"]
        edited = lead.put(f"/api/v1/spin/questions/{key}", headers={"X-CSRF-Token": csrf},
                          json={"stage": "problem", "text_zh": "汇率波动影响学费吗？", "text_en": "Does FX move the fees?"})  # fmt: skip
        assert edited.status_code == 200 and edited.json()["text_zh"] == "汇率波动影响学费吗？"
        retired = lead.post(f"/api/v1/spin/questions/{key}/retirement", headers={"X-CSRF-Token": csrf})
        assert retired.json()["status"] == "retired"
        again = lead.post(f"/api/v1/spin/questions/{key}/retirement", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 422
