"""Crisis communication on the demo institution (profiles from a batch run, for the peer groups): the
fall found in the lake, the affected clients of a book, the sandwich draft's figures against the
post-crisis review's numbers and a pandas recomputation, the compliance hold, edits, sending through
the outbox, compliance's decision, scope of each role, the reports batch and the strategy meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.cases import crisis
from fincrm.cases import crisis_domain as cd
from fincrm.cases.crisis_models import CrisisDraft
from fincrm.clients.models import Party
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.engagement.evaluate import drawdown as rule_drawdown
from fincrm.engagement.gatherings_models import ClientEvent, EventInvitation
from fincrm.errors import InputError, NotFound, PermissionDenied
from fincrm.intelligence import batch
from fincrm.reports import crisis as review
from fincrm.reports.models import Report
from fincrm.reports.reader import ClientReader
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai


def csi300(demo) -> pd.Series:  # noqa: F811 - the fixture's name
    rows = demo.sql("SELECT price_on, price::DOUBLE FROM market_prices WHERE series = 'CSI300' ORDER BY 1")
    return pd.Series([r[1] for r in rows], index=pd.to_datetime([r[0] for r in rows]))


@pytest.fixture(scope="module")
def world(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    sessions = sessionmaker(bind=s.connection(), join_transaction_mode="create_savepoint")
    batch.run(sessions, settings, FixedClock(NOW), as_of=AS_OF, engine="duckdb")  # profiles: the peer groups
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    stranger = next(u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id)
    fall = crisis.find_fall(settings, on=AS_OF)
    hit = crisis.affected_clients(s, principal_of(rm), settings, fall=fall, min_equity_pct=0.0, as_of=AS_OF)
    held = [a for a in hit if a.drawdown is not None]
    assert len(held) >= 3, "rm001 has clients who held investments at the fall's start"
    return {"s": s, "settings": settings, "sessions": sessions, "rm": principal_of(rm), "lead": principal_of(lead),
            "stranger": principal_of(stranger), "compliance": principal_of(users["compliance01"]),
            "research": principal_of(users["research01"]), "fall": fall, "affected": hit, "held": held,
            "demo": demo}  # fmt: skip


def draft(world, party_no: str, **kw) -> CrisisDraft:
    return crisis.draft_message(
        world["s"], world["rm"], world["settings"], party_no, fall=world["fall"], now=NOW, **kw
    )


class TestFindFall:
    def test_the_latest_fall_is_the_rules_episode_from_its_peak(self, world) -> None:
        prices = csi300(world["demo"])
        frame = pd.DataFrame({"series": "CSI300", "price_on": prices.index, "price": prices.to_numpy()})
        episode = rule_drawdown(frame, "CSI300", AS_OF, cd.DEFAULT_WITHIN_DAYS, cd.DEFAULT_FALL_PCT)
        fall = world["fall"]
        assert (str(fall.start), str(fall.end)) == (episode["peak_on"], episode["close_on"])
        window = prices.loc[pd.Timestamp(fall.start) : pd.Timestamp(fall.end)]
        assert fall.drawdown == pytest.approx((window / window.cummax() - 1).min())
        assert fall.trading_days == len(window) and fall.found

    def test_a_threshold_nothing_reaches_names_the_field(self, world) -> None:
        with pytest.raises(InputError, match="lower the threshold") as caught:
            crisis.find_fall(world["settings"], on=AS_OF, fall_pct=60)
        assert caught.value.errors[0].loc == ("fall_pct",)

    def test_a_given_window_and_bad_windows(self, world) -> None:
        start = AS_OF - timedelta(days=60)
        given = crisis.find_fall(world["settings"], on=AS_OF, start=start, end=AS_OF)
        assert not given.found and given.start == start
        with pytest.raises(InputError):
            crisis.find_fall(world["settings"], on=AS_OF, start=start)
        with pytest.raises(InputError):
            crisis.find_fall(world["settings"], on=AS_OF, start=AS_OF, end=start)


class TestAffected:
    def test_each_drawdown_is_the_post_crisis_reviews_buy_and_hold(self, world) -> None:
        s = world["s"]
        for a in world["held"][:3]:
            party = s.scalars(select(Party).where(Party.party_no == a.party_no)).one()
            facts = review.load(ClientReader(s, world["settings"], party, AS_OF),
                                f"history:{world['fall'].start}:{world['fall'].end}")  # fmt: skip
            assert a.drawdown == pytest.approx(facts.bh_drawdown, abs=1e-9)

    def test_the_threshold_keeps_the_more_exposed_clients(self, world) -> None:
        cut = float(np.median([a.equity_pct for a in world["affected"]]))
        fewer = crisis.affected_clients(world["s"], world["rm"], world["settings"], fall=world["fall"],
                                        min_equity_pct=cut, as_of=AS_OF)  # fmt: skip
        assert {a.party_no for a in fewer} == {
            a.party_no for a in world["affected"] if a.equity_pct >= cut - 1e-9
        }

    def test_the_list_is_the_callers_book(self, world) -> None:
        mine = {a.party_no for a in world["affected"]}
        theirs = crisis.affected_clients(world["s"], world["stranger"], world["settings"], fall=world["fall"],
                                         min_equity_pct=0.0, as_of=AS_OF)  # fmt: skip
        theirs_book = set(
            world["s"].scalars(select(Party.party_no).where(readable_parties(world["stranger"])))
        )
        assert mine and {a.party_no for a in theirs} <= theirs_book
        assert not (mine - theirs_book) & {a.party_no for a in theirs}
        assert mine - theirs_book, "some of rm001's clients are outside the other RM's book"
        team = crisis.affected_clients(world["s"], world["lead"], world["settings"], fall=world["fall"],
                                       min_equity_pct=0.0, as_of=AS_OF)  # fmt: skip
        assert mine <= {a.party_no for a in team}
        with pytest.raises(PermissionDenied):
            crisis.affected_clients(
                world["s"], world["compliance"], world["settings"], fall=world["fall"], as_of=AS_OF
            )


class TestDraft:
    def test_the_facts_are_the_clients_own_figures(self, world) -> None:
        s, a = world["s"], world["held"][0]
        made = draft(world, a.party_no, lang="en", action="hold")
        facts = crisis.view(s, made).facts
        party = s.scalars(select(Party).where(Party.party_no == a.party_no)).one()
        n = review.numbers(review.load(ClientReader(s, world["settings"], party, AS_OF),
                                       f"history:{world['fall'].start}:{world['fall'].end}"))  # fmt: skip
        assert facts["portfolio_drawdown"] == pytest.approx(n.bh_drawdown)
        assert facts["benchmark_drawdown"] == pytest.approx(n.benchmark_drawdown)
        assert facts["peers"] == n.peers and facts["peers"] >= review.MIN_PEERS
        assert facts["peer_mean"] == pytest.approx(n.peer_mean)
        assert cd.pct_text(n.bh_drawdown) in made.body and cd.pct_text(n.peer_mean) in made.body
        assert cd.pct_text(n.benchmark_drawdown) in made.body
        assert made.status == cd.DRAFT and made.action == "hold"
        assert made.body == cd.compose(made.empathy, made.facts_text, made.plan_text)

    def test_the_recovery_statistics_come_from_the_lakes_history(self, world) -> None:
        facts = crisis.view(world["s"], draft(world, world["held"][0].party_no)).facts["recovery"]
        prices = csi300(world["demo"]).loc[: pd.Timestamp(world["fall"].end)]
        assert (facts["first_on"], facts["last_on"], facts["closes"]) == (
            str(prices.index[0].date()),
            str(prices.index[-1].date()),
            len(prices),
        )
        assert facts["fall_pct"] == pytest.approx(abs(world["fall"].drawdown) * 100, abs=0.01)
        assert 0 <= facts["recovered"] <= facts["similar"]
        lo, hi = facts["low_pct"], facts["high_pct"]
        assert (
            all(lo - 0.01 <= d <= hi + 0.01 for d in facts["depths_pct"])
            and len(facts["depths_pct"]) == facts["similar"]
        )

    def test_a_forbidden_phrase_holds_it_and_an_edit_releases_it(self, world) -> None:
        s, no = world["s"], world["held"][1].party_no
        draft(world, no)
        held = crisis.edit_draft(
            s, world["rm"], world["settings"], no, body="请放心，这笔投资保本保收益。", now=NOW
        )
        assert held.status == cd.HELD and "forbidden_promise" in held.scan_codes
        with pytest.raises(InputError, match="held"):
            crisis.send_draft(s, world["rm"], world["settings"], no, now=NOW)
        clean = crisis.edit_draft(
            s,
            world["rm"],
            world["settings"],
            no,
            body="我理解您的担心。投资有风险，我明天给您打电话。",
            now=NOW,
        )
        assert clean.status == cd.DRAFT and clean.edits == 2 and clean.scan_codes == ""
        sent, message = crisis.send_draft(s, world["rm"], world["settings"], no, now=NOW)
        assert sent.status == cd.SENT and sent.message_id == message.id
        assert (message.rule_key, message.marketing, message.body) == (crisis.RULE_KEY, False, clean.body)
        assert message.status in ("pending", "suppressed")  # suppressed only for a client without an address
        actions = set(
            s.scalars(select(AuditRecord.action).where(AuditRecord.detail.like(f"crisis draft {sent.id}%")))
        )
        assert {"crisis.draft", "crisis.edit", "crisis.send"} <= actions
        with pytest.raises(NotFound):  # nothing open any more
            crisis.send_draft(s, world["rm"], world["settings"], no, now=NOW)

    def test_compliance_approves_a_held_draft_which_then_goes(self, world) -> None:
        s, no = world["s"], world["held"][2].party_no
        draft(world, no)
        crisis.edit_draft(
            s, world["rm"], world["settings"], no, body="市场下跌，但您的本金安全无忧，零风险。", now=NOW
        )
        with pytest.raises(PermissionDenied):
            crisis.decide_draft(s, world["rm"], no, approve=True, reason="x", now=NOW)
        approved = crisis.decide_draft(
            s, world["compliance"], no, approve=True, reason="已与客户确认为存款产品", now=NOW
        )
        assert approved.status == cd.APPROVED
        _, message = crisis.send_draft(s, world["rm"], world["settings"], no, now=NOW)
        assert message.reviewed_by_id == world["compliance"].user_id

    def test_a_new_draft_supersedes_the_open_one(self, world) -> None:
        no = world["held"][0].party_no
        first = draft(world, no)
        second = draft(world, no, channel="email", lang="en")
        assert (
            first.status == cd.SUPERSEDED and crisis.open_draft(world["s"], world["rm"], no).id == second.id
        )

    def test_scope_and_roles(self, world) -> None:
        no = world["held"][0].party_no
        with pytest.raises(NotFound):
            crisis.draft_message(
                world["s"], world["stranger"], world["settings"], no, fall=world["fall"], now=NOW
            )
        with pytest.raises(PermissionDenied):
            crisis.draft_message(
                world["s"], world["research"], world["settings"], no, fall=world["fall"], now=NOW
            )
        with pytest.raises(NotFound):
            crisis.client_drafts(world["s"], world["stranger"], no)
        assert crisis.client_drafts(world["s"], world["compliance"], no)  # compliance reads every draft
        assert crisis.list_drafts(world["s"], world["research"]) == []

    def test_bad_input_writes_nothing(self, world) -> None:
        s = world["s"]
        before = s.scalar(select(func.count()).select_from(CrisisDraft))
        with pytest.raises(InputError) as caught:
            draft(world, world["held"][0].party_no, channel="pigeon", lang="fr", action="panic")
        assert {e.loc[0] for e in caught.value.errors} == {"channel", "lang", "action"}
        assert s.scalar(select(func.count()).select_from(CrisisDraft)) == before

    def test_a_batch_drafts_every_client_named(self, world) -> None:
        nos = [a.party_no for a in world["held"][:2]]
        made = crisis.draft_messages(
            world["s"], world["rm"], world["settings"], fall=world["fall"], party_nos=nos, now=NOW
        )
        assert sorted(crisis.view(world["s"], d).party_no for d in made.drafts) == sorted(nos)


class TestAfterTheCrisis:
    def test_post_crisis_reviews_in_one_batch(self, world) -> None:
        nos = [world["held"][0].party_no]
        outcomes = crisis.post_crisis_reports(world["settings"], world["sessions"], world["rm"], fall=world["fall"],
                                              party_nos=nos, as_of=AS_OF, lang="zh-CN")  # fmt: skip
        assert [o.party_no for o in outcomes] == nos and outcomes[0].report_id is not None, outcomes
        report = world["s"].get(Report, outcomes[0].report_id)
        assert (
            report.kind == "post_crisis"
            and report.subject_key == f"history:{world['fall'].start}:{world['fall'].end}"
        )
        with pytest.raises(NotFound):
            crisis.post_crisis_reports(world["settings"], world["sessions"], world["stranger"], fall=world["fall"],
                                       party_nos=nos, as_of=AS_OF)  # fmt: skip

    def test_closed_door_meeting_invitations_with_rsvp_pending(self, world) -> None:
        s = world["s"]
        nos = [a.party_no for a in world["held"][:2]]
        done = crisis.invite_to_meeting(s, world["rm"], party_nos=nos, now=NOW, title_zh="闭门策略会", title_en="Strategy",
                                        starts_at=NOW + timedelta(days=7), venue="贵宾室", capacity=10)  # fmt: skip
        event = s.get(ClientEvent, done.event_id)
        assert event.kind == "strategy_meeting" and event.status == "open" and done.invited == nos
        rsvps = s.scalars(select(EventInvitation.rsvp).where(EventInvitation.event_id == event.id)).all()
        assert rsvps == ["pending", "pending"]
        again = crisis.invite_to_meeting(s, world["rm"], party_nos=nos[:1], now=NOW, event_id=event.id)
        assert again.already == nos[:1] and again.invited == []


def test_the_demo_seed_is_idempotent(world) -> None:
    s = world["s"]
    made = crisis.seed_demo(s, world["settings"], now=NOW)
    assert made in (0, 1)
    assert crisis.seed_demo(s, world["settings"], now=NOW) == 0
    assert s.scalar(
        select(func.count()).select_from(CrisisDraft).where(CrisisDraft.created_by_id == world["rm"].user_id)
    )
