"""The pre-call brief and the SPIN library on the demo institution: every part of the brief from the
services that own it, SPIN topics with their reasons from the batch profile, products up to the
client's level, scope and audit of the read; the library loaded, edited and retired by team leads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party, RiskAssessment
from fincrm.clients.profile_models import ClientProfile, ClientSignal, ProfileVersion
from fincrm.config import Settings
from fincrm.engagement.tasks import insert_task
from fincrm.errors import InputError, NotFound, PermissionDenied
from fincrm.portfolio import suitability
from fincrm.team import precall
from fincrm.team import precall_domain as pd
from fincrm.team.spin_models import SpinQuestion
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
SETTINGS = Settings()


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    team = [u.id for u in users.values() if u.team_id == rm.team_id]
    valid = select(RiskAssessment.party_id).where(RiskAssessment.valid_until >= AS_OF + timedelta(days=30))
    client = s.scalars(select(Party.party_no).where(Party.primary_rm_id == rm.id, Party.kind == "individual",
                                                    Party.id.in_(valid)).order_by(Party.party_no)).first()  # fmt: skip
    outsider = s.scalars(
        select(Party.party_no).where(Party.primary_rm_id.not_in(team),
                                     Party.id.not_in(select(Coverage.party_id).where(Coverage.user_id.in_(team))))
        .order_by(Party.party_no)
    ).first()  # fmt: skip
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    assert client is not None, "rm001 has an individual client with a valid questionnaire"
    return {"rm": principal_of(rm), "lead": principal_of(lead), "compliance": principal_of(users["compliance01"]),
            "research": principal_of(users["research01"]), "admin": principal_of(users["admin01"]),
            "client": client, "outsider": outsider}  # fmt: skip


@pytest.fixture()
def s(demo):  # noqa: F811
    nested = demo.session.begin_nested()
    yield demo.session
    nested.rollback()
    demo.session.expunge_all()


def profile(
    s, party_no: str, *, signals: tuple[str, ...] = (), effective: str = "C2", drift: bool = True
) -> None:
    """The batch's current profile of one client (what the nightly run would have written)."""
    party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
    version = ProfileVersion(as_of=AS_OF, status="current", engine="duckdb", created_at=NOW, swapped_at=NOW)
    s.add(version)
    s.flush()
    s.add(ClientProfile(version_id=version.id, party_id=party.id, aum_amount=Decimal("1200000.00"), tier="hnw",
                        rfm_cell="stable_core", stated_risk="C4", questionnaire_expired=False, behavioural_risk=effective,
                        effective_risk=effective, risk_drift=drift, attrition_score=0.7,
                        attrition_reasons="asset_decline"))  # fmt: skip
    for kind in signals:
        s.add(ClientSignal(version_id=version.id, party_id=party.id, kind=kind, detected_on=AS_OF - timedelta(days=5),
                           confidence=0.9, summary=kind, evidence=json.dumps([])))  # fmt: skip
    s.flush()


def audits(s, since: int) -> list[tuple[str, str]]:
    return [
        (a, f)
        for a, f in s.execute(select(AuditRecord.action, AuditRecord.fields).where(AuditRecord.id > since))
    ]


class TestBrief:
    def test_every_part_comes_from_the_store_with_spin_reasons(self, s, org) -> None:
        precall.seed_demo(s, SETTINGS, now=NOW)
        profile(s, org["client"], signals=("education_fund",))
        party = s.scalars(select(Party).where(Party.party_no == org["client"])).one()
        insert_task(s, party=party, assignee_id=party.primary_rm_id, rule_key="test", idempotency_key="precall-t1",
                    title_zh="回访", title_en="Call back", due_at=NOW + timedelta(hours=2), priority=2, now=NOW)  # fmt: skip
        mark = s.scalar(select(func.max(AuditRecord.id)))
        b = precall.precall_brief(s, org["rm"], SETTINGS, org["client"], now=NOW)
        assert [a for a, _ in audits(s, mark)] == ["client.read"]  # one audited read, like the 360
        assert "memory_points" in audits(s, mark)[0][1] and "holdings" in audits(s, mark)[0][1]
        assert [t.title_en for t in b.open_tasks] == ["Call back"]
        assert len(b.client.interactions.rows) <= precall.LAST_INTERACTIONS
        assert b.client.holdings.total_amount >= 0
        assert [x.kind for x in b.intelligence.signals] == ["education_fund"]
        topics = {x.topic.key: x for x in b.suggestions}
        assert topics["education"].reasons == (
            pd.Reason("signal", "education_fund", str(AS_OF - timedelta(days=5))),
        )
        assert "market_fall" in topics  # risk drift and the asset_decline attrition reason
        assert {r.kind for r in topics["market_fall"].reasons} >= {"risk_drift", "attrition_reason"}
        assert "succession" in topics  # tier hnw
        assert b.library_stored

    def test_products_are_those_the_lower_risk_level_allows(self, s, org) -> None:
        profile(s, org["client"], effective="C2")
        b = precall.precall_brief(s, org["rm"], SETTINGS, org["client"], now=NOW)
        assert b.level is not None and suitability.LEVELS.index(b.level) <= 1
        assert b.products and all(int(p.risk_rating[1]) <= int(b.level[1]) for p in b.products)
        assert b.products_total >= len(b.products) and b.products_note is None
        ratings = [int(p.risk_rating[1]) for p in b.products]
        assert ratings == sorted(ratings, reverse=True)  # closest to the level first

    def test_an_expired_questionnaire_blocks_products_with_the_reason(self, s, org) -> None:
        party = s.scalars(select(Party).where(Party.party_no == org["client"])).one()
        for r in s.scalars(select(RiskAssessment).where(RiskAssessment.party_id == party.id)):
            r.taken_on, r.valid_until = AS_OF - timedelta(days=400), AS_OF - timedelta(days=35)
        s.flush()
        b = precall.precall_brief(s, org["rm"], SETTINGS, org["client"], now=NOW)
        assert b.products == [] and b.products_note is not None and "2026" in b.products_note[1]

    def test_without_a_stored_library_the_shipped_file_is_used(self, s, org) -> None:
        profile(s, org["client"], signals=("pension_planning",))
        b = precall.precall_brief(s, org["rm"], SETTINGS, org["client"], now=NOW)
        assert not b.library_stored and "retirement" in [x.topic.key for x in b.suggestions]

    def test_scope_of_each_role(self, s, org) -> None:
        with pytest.raises(NotFound):
            precall.precall_brief(s, org["rm"], SETTINGS, org["outsider"], now=NOW)
        with pytest.raises(NotFound):
            precall.precall_brief(s, org["research"], SETTINGS, org["client"], now=NOW)
        with pytest.raises(PermissionDenied):
            precall.precall_brief(s, org["admin"], SETTINGS, org["client"], now=NOW)
        assert (
            precall.precall_brief(s, org["compliance"], SETTINGS, org["client"], now=NOW).party_no
            == org["client"]
        )
        assert (
            precall.precall_brief(s, org["lead"], SETTINGS, org["client"], now=NOW).party_no == org["client"]
        )


class TestLibrary:
    def test_seeding_loads_the_shipped_library_once(self, s, org) -> None:
        made = precall.seed_demo(s, SETTINGS, now=NOW)
        assert made is not None and (made.topics_added, made.questions_added) == (8, 32)
        assert precall.seed_demo(s, SETTINGS, now=NOW) is None
        again = precall.import_library(s, None, precall.load_library_file(precall.DEFAULT_LIBRARY_PATH), now=NOW,
                                       source="again")  # fmt: skip
        assert (again.topics_added, again.topics_updated, again.questions_added, again.questions_updated) == (
            0,
            0,
            0,
            0,
        )

    def test_a_lead_edits_a_question_and_the_brief_shows_it_audited(self, s, org) -> None:
        precall.seed_demo(s, SETTINGS, now=NOW)
        profile(s, org["client"], signals=("education_fund",))
        mark = s.scalar(select(func.max(AuditRecord.id)))
        precall.edit_question(s, org["lead"], "education.s1", stage="situation", text_zh="孩子打算在哪里读大学？",
                              text_en="Where will your child go to university?", now=NOW)  # fmt: skip
        added = precall.add_question(s, org["lead"], topic="education", stage="problem", text_zh="学费涨了怎么办？",
                                     text_en="What if fees rise?", now=NOW)  # fmt: skip
        precall.retire_question(s, org["lead"], "education.i1", now=NOW)
        assert added.key == "education.p2"
        assert [a for a, _ in audits(s, mark)] == ["spin.edit", "spin.add", "spin.retire"]
        b = precall.precall_brief(s, org["rm"], SETTINGS, org["client"], now=NOW)
        education = next(x for x in b.suggestions if x.topic.key == "education")
        texts = {q.key: q.text_zh for q in education.questions}
        assert texts["education.s1"] == "孩子打算在哪里读大学？" and "education.p2" in texts
        assert "education.i1" not in texts

    def test_only_team_leads_edit_and_bad_edits_name_the_field(self, s, org) -> None:
        precall.seed_demo(s, SETTINGS, now=NOW)
        for role in ("rm", "compliance", "research", "admin"):
            with pytest.raises(PermissionDenied):
                precall.retire_question(s, org[role], "education.s1", now=NOW)
        with pytest.raises(InputError) as caught:
            precall.add_question(
                s, org["lead"], topic="travel", stage="musing", text_zh="", text_en="x", now=NOW
            )
        assert [e.loc for e in caught.value.errors] == [("topic",), ("stage",), ("text_zh",)]
        with pytest.raises(NotFound):
            precall.edit_question(
                s, org["lead"], "nope.s1", stage="problem", text_zh="a", text_en="b", now=NOW
            )
        precall.retire_question(s, org["lead"], "education.s1", now=NOW)
        with pytest.raises(InputError, match="already retired"):
            precall.retire_question(s, org["lead"], "education.s1", now=NOW)

    def test_editing_before_a_library_is_loaded_says_what_to_do(self, s, org) -> None:
        with pytest.raises(InputError, match="import it first"):
            precall.add_question(
                s, org["lead"], topic="education", stage="problem", text_zh="a", text_en="b", now=NOW
            )

    def test_an_import_restores_a_retired_question_and_updates_texts(self, s, org, tmp_path: Path) -> None:
        precall.seed_demo(s, SETTINGS, now=NOW)
        precall.retire_question(s, org["lead"], "idle_cash.s1", now=NOW)
        text = precall.DEFAULT_LIBRARY_PATH.read_text(encoding="utf-8").replace("活期资金", "活期存款")
        path = tmp_path / "mine.yaml"
        path.write_text(text, encoding="utf-8")
        done = precall.import_library(
            s, org["lead"], precall.load_library_file(path), now=NOW, source=path.name
        )
        assert done.questions_updated == 1  # the retired question, made active with its new text
        assert (
            "活期存款"
            in s.scalars(select(SpinQuestion.text_zh).where(SpinQuestion.key == "idle_cash.s1")).one()
        )
        assert (
            s.scalars(select(SpinQuestion.status).where(SpinQuestion.key == "idle_cash.s1")).one() == "active"
        )
        with pytest.raises(PermissionDenied):
            precall.import_library(s, org["rm"], precall.load_library_file(path), now=NOW, source=path.name)

    def test_a_bad_file_is_refused_with_its_name_and_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text("topics:\n  - key: x\n", encoding="utf-8")
        with pytest.raises(InputError) as caught:
            precall.load_library_file(path)
        assert all(e.loc[0] == "bad.yaml" for e in caught.value.errors)
        with pytest.raises(InputError, match="cannot read"):
            precall.load_library_file(tmp_path / "missing.yaml")
