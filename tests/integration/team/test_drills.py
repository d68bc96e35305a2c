"""Extreme-market drills on the demo institution: a team lead assigns (demo and anonymised clients, no
personal data in the drill), the RM answers and the checks score it, the lead reviews, training records
per RM for the dashboards, and who may do what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.errors import InputError, NotFound, PermissionDenied
from fincrm.portfolio import service as portfolio
from fincrm.team import drills
from fincrm.team import drills_domain as dd
from fincrm.team.drills_models import Drill
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
GOOD = ("陈先生，我非常理解您的担心。账户一个月下跌了{fall}，同期沪深300下跌25%。"
        "我建议先不要全部赎回，明天下午3点我们面谈，把权益比例调回目标。投资有风险。")  # fmt: skip


@pytest.fixture(scope="module")
def team(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    other_lead = next(u for u in users.values() if str(u.role) == "team_lead" and u.team_id != rm.team_id)
    other_rm = next(u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id)
    lead_p = principal_of(lead)
    client = next(
        p for p in s.scalars(select(Party).where(readable_parties(lead_p)).order_by(Party.party_no))
        if portfolio.client_holdings(s, p)
    )  # fmt: skip
    return {"s": s, "settings": Settings(_env_file=None, lake_path=demo.lake_path), "rm": principal_of(rm),
            "lead": lead_p, "other_lead": principal_of(other_lead), "other_rm": principal_of(other_rm),
            "compliance": principal_of(users["compliance01"]), "client": client}  # fmt: skip


def assign(team, **kw):
    args = {"scenario_key": "account_down_30", "rm": "rm001", "now": NOW, "lang": "zh-CN", **kw}
    return drills.assign_drill(team["s"], team["lead"], team["settings"], **args)


class TestAssign:
    def test_a_demo_drill_carries_the_scenarios_figures(self, team) -> None:
        d = assign(team)
        figures = json.loads(d.figures)
        assert (figures["value_before"], figures["fall_pct"]) == (1_000_000.0, 30.0)
        assert d.status == dd.ASSIGNED and d.source_party_id is None

    def test_an_anonymised_client_keeps_the_figures_and_drops_the_person(self, team) -> None:
        s, client = team["s"], team["client"]
        d = assign(
            team, client_kind=dd.ANONYMISED, party_no=client.party_no, scenario_key="fund_down_20_week"
        )
        held = portfolio.client_holdings(s, client)
        figures = json.loads(d.figures)
        assert figures["value_before"] == pytest.approx(sum(v for v in held.values() if v > 0), abs=0.05)
        stored = d.client + d.figures
        for personal in (
            client.name,
            client.party_no,
            client.phone or "no phone",
            client.email or "no email",
        ):
            assert personal not in stored
        assert d.source_party_id == client.id
        assert s.scalar(select(AuditRecord.party_id).where(AuditRecord.action == "drill.assign",
                                                           AuditRecord.detail.like(f"drill {d.id} %"))) == client.id  # fmt: skip

    def test_only_a_lead_for_an_rm_of_the_team(self, team) -> None:
        with pytest.raises(PermissionDenied):
            drills.assign_drill(
                team["s"], team["rm"], team["settings"], scenario_key="account_down_30", rm="rm001", now=NOW
            )
        with pytest.raises(NotFound):
            drills.assign_drill(team["s"], team["other_lead"], team["settings"], scenario_key="account_down_30",
                                rm="rm001", now=NOW)  # fmt: skip
        with pytest.raises(NotFound):
            assign(team, client_kind=dd.ANONYMISED, party_no="C9999999999")

    def test_bad_input_names_every_field_and_writes_nothing(self, team) -> None:
        before = team["s"].scalar(select(func.count()).select_from(Drill))
        with pytest.raises(InputError) as caught:
            assign(team, scenario_key="nope", client_kind="robot", due_on=AS_OF - timedelta(days=1))
        assert {e.loc[0] for e in caught.value.errors} == {"scenario_key", "client_kind", "due_on"}
        assert team["s"].scalar(select(func.count()).select_from(Drill)) == before


class TestAnswerAndReview:
    def test_the_rm_answers_the_checks_score_and_the_lead_reviews(self, team) -> None:
        s = team["s"]
        d = assign(team)
        with pytest.raises(PermissionDenied):
            drills.submit_drill(s, team["lead"], d.id, call_notes="", message="x", now=NOW)
        with pytest.raises(NotFound):
            drills.submit_drill(s, team["other_rm"], d.id, call_notes="", message="x", now=NOW)
        with pytest.raises(InputError):
            drills.review_drill(
                s, team["lead"], d.id, adjustment=0, comment="ok", now=NOW
            )  # not answered yet
        done = drills.submit_drill(
            s, team["rm"], d.id, call_notes="先倾听", message=GOOD.format(fall="30%"), now=NOW
        )
        assert done.auto_score == 100 and done.status == dd.SUBMITTED
        again = drills.submit_drill(
            s, team["rm"], d.id, call_notes="", message=GOOD.format(fall="35%") + "保本。", now=NOW
        )
        checks = {c["key"]: c["points"] for c in json.loads(again.checks)}
        assert checks == {"sandwich": 30, "facts": 0, "no_promise": 0, "plan": 20} and again.auto_score == 50
        with pytest.raises(NotFound):
            drills.review_drill(s, team["other_lead"], d.id, adjustment=0, comment="x", now=NOW)
        with pytest.raises(InputError):
            drills.review_drill(s, team["lead"], d.id, adjustment=80, comment="", now=NOW)
        reviewed = drills.review_drill(
            s, team["lead"], d.id, adjustment=-10, comment="数据错了，还出现了保本承诺", now=NOW
        )
        assert (reviewed.final_score, reviewed.status) == (40, dd.REVIEWED)
        with pytest.raises(InputError):
            drills.submit_drill(s, team["rm"], d.id, call_notes="", message="改", now=NOW)


class TestScores:
    def test_training_records_per_rm_of_the_team(self, team) -> None:
        s = team["s"]
        d = assign(team)
        drills.submit_drill(s, team["rm"], d.id, call_notes="", message=GOOD.format(fall="30%"), now=NOW)
        records = drills.drill_scores(s, team["lead"], start=AS_OF - timedelta(days=1), end=AS_OF)
        team_rms = set(
            s.scalars(select(User.username).where(User.team_id == team["lead"].team_id, User.role == "rm"))
        )
        assert {r.rm for r in records} == team_rms
        mine = next(r for r in records if r.rm == "rm001")
        rows = s.execute(
            select(Drill.status, Drill.auto_score, Drill.final_score).where(Drill.rm_id == team["rm"].user_id)
        ).all()
        scores = [f if st == dd.REVIEWED else a for st, a, f in rows if st != dd.ASSIGNED]
        assert mine.assigned == len(rows) and mine.taken == len(scores)
        assert mine.average == pytest.approx(round(sum(scores) / len(scores), 1))
        assert [r.rm for r in drills.drill_scores(s, team["rm"], start=AS_OF, end=AS_OF)] == ["rm001"]
        with pytest.raises(PermissionDenied):
            drills.drill_scores(s, team["compliance"], start=AS_OF, end=AS_OF)
        with pytest.raises(InputError):
            drills.drill_scores(s, team["lead"], start=AS_OF, end=AS_OF - timedelta(days=1))

    def test_the_demo_seed_is_idempotent(self, team) -> None:
        made = drills.seed_demo(team["s"], team["settings"], now=NOW)
        assert made == 1 and drills.seed_demo(team["s"], team["settings"], now=NOW) == 0
        seeded = team["s"].scalars(select(Drill).where(Drill.ref == drills.DEMO_REF)).one()
        assert seeded.status == dd.REVIEWED and seeded.final_score is not None
