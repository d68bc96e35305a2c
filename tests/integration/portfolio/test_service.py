"""The portfolio lab's use cases on the demo institution: propose, override, review, comply, present.

Real store (SQLite or PostgreSQL), real lake (the demo's NAV and index prices), no fakes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party, RiskAssessment
from fincrm.config import Settings
from fincrm.errors import InputError, NotFound, PermissionDenied
from fincrm.portfolio import service
from fincrm.portfolio.models import ProposalEvent
from fincrm.portfolio.scenarios import SCENARIOS
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def lab(demo):  # noqa: F811 - the re-imported fixture
    session = demo.session
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    users = {u.username: principal_of(u) for u in session.scalars(select(User))}
    rm = users["rm001"]
    latest = (
        select(RiskAssessment.party_id, func.max(RiskAssessment.valid_until).label("valid_until"))
        .group_by(RiskAssessment.party_id)
        .subquery()
    )
    mine = (
        select(Party.party_no)
        .join(Coverage, Coverage.party_id == Party.id)
        .where(Coverage.user_id == rm.user_id, Party.kind == "individual")
    )
    valid = mine.join(latest, latest.c.party_id == Party.id).where(latest.c.valid_until >= AS_OF)
    expired = mine.join(latest, latest.c.party_id == Party.id).where(latest.c.valid_until < AS_OF)
    other = select(Party.party_no).where(
        ~Party.id.in_(select(Coverage.party_id).where(Coverage.user_id == rm.user_id))
    )

    def latest_level(party_no: str) -> str:
        return str(session.scalars(
            select(RiskAssessment.level).join(Party, Party.id == RiskAssessment.party_id)
            .where(Party.party_no == party_no)
            .order_by(RiskAssessment.taken_on.desc(), RiskAssessment.id.desc()).limit(1)
        ).one())  # fmt: skip

    # a client between C2 and C4: there are products above their level they may buy with a warning
    mid = next(
        p for p in session.scalars(valid.order_by(Party.party_no)) if latest_level(p) in ("C2", "C3", "C4")
    )
    return {
        "session": session, "settings": settings, "users": users, "mid": mid,
        "client": session.scalars(valid.order_by(Party.party_no).limit(1)).one(),
        "expired": session.scalars(expired.order_by(Party.party_no).limit(1)).first(),
        "other": session.scalars(other.order_by(Party.party_no).limit(1)).one(),
    }  # fmt: skip


def create(lab, party: str = "client", **kwargs):
    return service.create_proposal(
        lab["session"], lab["users"]["rm001"], lab[party], settings=lab["settings"],
        invest_amount=Decimal("500000"), now=NOW, **kwargs,
    )  # fmt: skip


class TestCreateProposal:
    def test_a_draft_with_weights_rationale_and_evidence_is_stored_and_audited(self, lab) -> None:
        proposal = create(lab)
        machine, evidence = json.loads(proposal.machine), json.loads(proposal.evidence)
        assert proposal.status == "draft" and proposal.effective_risk.startswith("C")
        assert abs(sum(machine["weights"].values()) - 1) < 1e-9
        assert sum(Decimal(str(v)) for v in machine["amounts"].values()) == Decimal("500000.00")
        assert f"{machine['expected_return']:.1%}"[:-1] in machine["rationale_en"]
        keys = {row["key"] for row in evidence["stress"]}
        assert set(SCENARIOS) <= keys and "history" in keys
        history = next(r for r in evidence["stress"] if r["key"] == "history")
        assert history["benchmark"]["max_drawdown"] < -0.05  # the demo index's own worst fall
        assert set(evidence["suitability"]) >= set(machine["weights"])
        assert all(evidence["suitability"][c]["outcome"] == "suitable" for c in machine["weights"])
        assert evidence["monte_carlo"]["percentiles"]["p5"] <= evidence["monte_carlo"]["percentiles"]["p95"]
        assert "CNY" in evidence["disclosure"]["sentence_en"]
        events = (
            lab["session"]
            .scalars(select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id))
            .all()
        )
        assert [e.action for e in events] == ["created"]
        audited = (
            lab["session"]
            .scalars(
                select(AuditRecord)
                .where(AuditRecord.action == "proposal.create")
                .order_by(AuditRecord.id.desc())
            )
            .first()
        )
        assert audited is not None and f"proposal {proposal.id}" in audited.detail

    def test_another_rms_client_is_not_found_and_admin_may_not_propose(self, lab) -> None:
        with pytest.raises(NotFound):
            service.create_proposal(lab["session"], lab["users"]["rm001"], lab["other"], settings=lab["settings"],
                                    invest_amount=Decimal("1000"), now=NOW)  # fmt: skip
        with pytest.raises(PermissionDenied):
            service.create_proposal(lab["session"], lab["users"]["admin01"], lab["client"], settings=lab["settings"],
                                    invest_amount=Decimal("1000"), now=NOW)  # fmt: skip

    def test_an_expired_questionnaire_blocks_new_recommendations(self, lab) -> None:
        assert lab["expired"] is not None, "the demo book holds clients whose questionnaires have all expired"
        with pytest.raises(InputError, match="blocked"):
            service.create_proposal(lab["session"], lab["users"]["rm001"], lab["expired"], settings=lab["settings"],
                                    invest_amount=Decimal("1000"), now=NOW)  # fmt: skip

    def test_bad_amount_or_method_is_refused(self, lab) -> None:
        with pytest.raises(InputError, match="invest_amount"):
            service.create_proposal(
                lab["session"], lab["users"]["rm001"], lab["client"], settings=lab["settings"],
                invest_amount=Decimal("0"), now=NOW,
            )  # fmt: skip
        with pytest.raises(InputError, match="method"):
            create(lab, method="astrology")
        for bad in (Decimal("1e18"), Decimal("100.001")):
            with pytest.raises(InputError, match="invest_amount"):
                service.create_proposal(lab["session"], lab["users"]["rm001"], lab["client"],
                                        settings=lab["settings"], invest_amount=bad, now=NOW)  # fmt: skip


class TestOverrideAndReview:
    def test_override_review_compliance_present_accept(self, lab) -> None:
        s, users = lab["session"], lab["users"]
        proposal = create(lab)
        weights = json.loads(proposal.weights)
        first, second = sorted(weights, key=weights.get, reverse=True)[:2]
        moved = dict(weights)
        moved[first] = round(moved[first] - 0.05, 6)
        moved[second] = round(moved[second] + 0.05, 6)
        with pytest.raises(InputError, match="reason"):
            service.override_proposal(
                s, users["rm001"], proposal.id, moved, reason=" ", settings=lab["settings"], now=NOW
            )
        broken = dict(moved, **{first: moved[first] + 0.1})
        with pytest.raises(InputError, match="sum"):
            service.override_proposal(
                s, users["rm001"], proposal.id, broken, reason="x", settings=lab["settings"], now=NOW
            )
        service.override_proposal(s, users["rm001"], proposal.id, moved, reason="client wants more in " + second,
                                  settings=lab["settings"], now=NOW)  # fmt: skip
        assert proposal.overridden and proposal.needs_compliance
        assert "override" in json.loads(proposal.compliance_reasons)
        _, events = service.get_proposal(s, users["rm001"], proposal.id)
        diff = json.loads(events[-1].diff)
        assert diff[first] == [weights[first], moved[first]] and events[-1].reason.startswith("client wants")

        with pytest.raises(PermissionDenied):
            service.advance_proposal(s, users["rm001"], proposal.id, "approve", now=NOW)
        service.advance_proposal(s, users["rm001"], proposal.id, "review", now=NOW)
        assert proposal.status == "rm_reviewed"
        assert proposal.id in [p.id for p in service.compliance_queue(s, users["compliance01"], now=NOW)]
        with pytest.raises(PermissionDenied):
            service.compliance_queue(s, users["rm001"], now=NOW)
        with pytest.raises(InputError, match="reason"):
            service.advance_proposal(s, users["compliance01"], proposal.id, "reject", now=NOW)
        service.advance_proposal(s, users["compliance01"], proposal.id, "approve", reason="ok", now=NOW)
        assert proposal.status == "compliance_checked"
        with pytest.raises(PermissionDenied):
            service.advance_proposal(s, users["compliance01"], proposal.id, "present", now=NOW)
        service.advance_proposal(s, users["rm001"], proposal.id, "present", now=NOW)
        service.advance_proposal(s, users["rm001"], proposal.id, "accept", now=NOW + timedelta(hours=1))
        _, events = service.get_proposal(s, users["rm001"], proposal.id)
        assert [e.action for e in events] == ["created", "override", "review", "approve", "present", "accept"]
        assert proposal.status == "accepted"
        before = s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "proposal.read")
        )
        service.get_proposal(s, users["compliance01"], proposal.id, now=NOW)  # a view is audited
        after = s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "proposal.read")
        )
        assert after == before + 1
        with pytest.raises(InputError, match="accepted"):
            service.advance_proposal(s, users["rm001"], proposal.id, "decline", now=NOW)

    def test_a_review_without_override_or_mismatch_is_checked_by_the_system(self, lab) -> None:
        s, users = lab["session"], lab["users"]
        proposal = create(lab)
        assert not proposal.needs_compliance
        service.advance_proposal(s, users["rm001"], proposal.id, "review", now=NOW)
        _, events = service.get_proposal(s, users["rm001"], proposal.id)
        assert proposal.status == "compliance_checked"
        assert events[-1].action == "auto_checked" and events[-1].actor_id is None


class TestCheckWeights:
    def test_problems_are_named_and_nothing_is_saved(self, lab) -> None:
        s, users = lab["session"], lab["users"]
        proposal = create(lab)
        before = proposal.weights
        result = service.check_weights(s, users["rm001"], proposal.id, {"NOPE": 0.5, "DEP000": 0.4}, now=NOW)
        messages = " ".join(p["msg"] for p in result["problems"])
        assert not result["ok"] and "unknown product" in messages and "sum to 0.900000" in messages
        assert proposal.weights == before

    def test_a_product_above_the_level_needs_acknowledgement_and_a_private_fund_is_refused(self, lab) -> None:
        s, users = lab["session"], lab["users"]
        proposal = create(lab)
        result = service.check_weights(s, users["rm001"], proposal.id, {"PF001": 0.5, "EF003": 0.5}, now=NOW)
        assert result["suitability"]["PF001"]["outcome"] == "refused"
        assert any(p["loc"] == ["weights", "PF001"] for p in result["problems"])
        if proposal.effective_risk != "C5":
            assert result["suitability"]["EF003"]["outcome"] in ("needs_acknowledgement", "refused")


class TestAcknowledgement:
    def test_a_product_above_the_level_needs_the_clients_acknowledgement_before_presenting(self, lab) -> None:
        s, users = lab["session"], lab["users"]
        proposal = create(lab, party="mid")
        assert proposal.effective_risk in ("C2", "C3", "C4")
        above = {"C2": "HF003", "C3": "EF001", "C4": "EF003"}[proposal.effective_risk]
        weights = json.loads(proposal.weights)
        top = max(weights, key=weights.get)
        moved = dict(weights, **{top: round(weights[top] - 0.05, 6), above: 0.05})
        service.override_proposal(s, users["rm001"], proposal.id, moved, reason="client asked for it",
                                  settings=lab["settings"], now=NOW)  # fmt: skip
        assert "suitability_mismatch" in json.loads(proposal.compliance_reasons)
        service.advance_proposal(s, users["rm001"], proposal.id, "review", now=NOW)
        service.advance_proposal(s, users["compliance01"], proposal.id, "approve", now=NOW)
        with pytest.raises(InputError, match="acknowledgement"):
            service.advance_proposal(s, users["rm001"], proposal.id, "present", now=NOW)
        with pytest.raises(InputError, match="reason"):
            service.advance_proposal(s, users["rm001"], proposal.id, "acknowledge", now=NOW)
        service.advance_proposal(s, users["rm001"], proposal.id, "acknowledge",
                                 reason="signed risk warning, branch visit", now=NOW)  # fmt: skip
        service.advance_proposal(s, users["rm001"], proposal.id, "present", now=NOW)
        assert proposal.status == "presented"


class TestComparison:
    def test_proposal_and_current_holdings_compared_per_unit_of_risk(self, lab) -> None:
        proposal = create(lab)
        comparison = json.loads(proposal.evidence)["comparison"]
        assert comparison is not None, "the demo client's holdings all have NAV history"
        p, c = comparison["proposal"], comparison["current"]
        assert [pt["x"] for pt in comparison["chart"]["points"]] == [p["volatility"], c["volatility"]]
        assert f"{p['annual_return']:.1%}".rstrip("0").rstrip(".") in comparison["sentence_en"] or comparison[
            "sentence_en"
        ].startswith(f"{p['annual_return'] * 100:.1f}".rstrip("0").rstrip("."))
        assert comparison["sentence_zh"].startswith("年化")
