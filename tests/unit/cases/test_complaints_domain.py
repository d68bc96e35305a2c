"""Pure complaint rules: SLA due times and breach flags by severity, numbering, moves, input checks,
compensation parsing and complaint rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fincrm.cases import complaints_domain as cd

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class TestSlaTargets:
    def test_every_severity_has_targets_within_the_regulatory_15_days(self) -> None:
        assert set(cd.SLA_HOURS) == set(cd.SEVERITIES)
        for response_h, resolution_h in cd.SLA_HOURS.values():
            assert 0 < response_h < resolution_h <= cd.REGULATORY_RESOLUTION_HOURS

    def test_more_severe_complaints_have_tighter_targets(self) -> None:
        hours = [cd.SLA_HOURS[s] for s in ("critical", "high", "medium", "low")]
        assert hours == sorted(hours)


class TestSlaState:
    def test_countdown_from_receipt(self) -> None:
        s = cd.sla_state("critical", T0, T0 + timedelta(minutes=30))
        assert s.response_due_at == T0 + timedelta(hours=2)
        assert s.resolution_due_at == T0 + timedelta(hours=24)
        assert (s.response_minutes_left, s.resolution_minutes_left) == (90, 23 * 60 + 30)
        assert not s.breached and s.breach_kinds == ()

    def test_no_response_past_the_target_is_breached(self) -> None:
        s = cd.sla_state("high", T0, T0 + timedelta(hours=4, minutes=1))
        assert s.response_breached and not s.resolution_breached
        assert s.response_minutes_left == -1
        assert s.breach_kinds == ("response",)

    def test_exactly_at_the_target_is_on_time(self) -> None:
        s = cd.sla_state("high", T0, T0 + timedelta(hours=4))
        assert not s.response_breached and s.response_minutes_left == 0

    def test_a_late_response_stays_breached_after_it_is_given(self) -> None:
        s = cd.sla_state("medium", T0, T0 + timedelta(days=2), first_response_at=T0 + timedelta(hours=25))
        assert s.response_breached and s.response_minutes_left is None

    def test_resolution_answers_the_complaint_and_stops_both_clocks(self) -> None:
        s = cd.sla_state("low", T0, T0 + timedelta(days=30), resolved_at=T0 + timedelta(hours=10))
        assert not s.breached
        assert (s.response_minutes_left, s.resolution_minutes_left) == (None, None)

    def test_late_resolution_is_breached(self) -> None:
        s = cd.sla_state("critical", T0, T0 + timedelta(days=3), first_response_at=T0 + timedelta(hours=1),
                         resolved_at=T0 + timedelta(hours=25))  # fmt: skip
        assert s.breach_kinds == ("resolution",)
        assert not cd.resolved_within_sla("critical", T0, T0 + timedelta(hours=25))
        assert cd.resolved_within_sla("critical", T0, T0 + timedelta(hours=24))
        assert not cd.resolved_within_sla("critical", T0, None)

    def test_unknown_severity_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown severity"):
            cd.sla_state("urgent", T0, T0)


class TestNumbersAndKeys:
    def test_complaint_number(self) -> None:
        assert cd.complaint_number(2026, 123) == "TS-2026-000123"
        assert cd.NUMBER_PATTERN.match(cd.complaint_number(2026, 1_234_567))

    def test_escalation_key_per_complaint_and_breach_kind(self) -> None:
        assert cd.escalation_key("TS-2026-000001", "response") != cd.escalation_key(
            "TS-2026-000001", "resolution"
        )
        with pytest.raises(ValueError):
            cd.escalation_key("TS-2026-000001", "feedback")


class TestMoves:
    @pytest.mark.parametrize(
        ("step", "status", "ok"),
        [("response", "open", True), ("response", "resolved", False), ("resolved", "responded", True),
         ("resolved", "closed", False), ("feedback", "resolved", True), ("feedback", "open", False),
         ("reopened", "closed", True), ("reopened", "open", False), ("closed", "resolved", True),
         ("closed", "responded", False), ("note", "closed", True)],
    )  # fmt: skip
    def test_which_step_happens_in_which_status(self, step: str, status: str, ok: bool) -> None:
        assert (cd.move_problem(step, status) is None) is ok


class TestInput:
    def test_every_intake_problem_is_reported_at_once(self) -> None:
        problems = cd.intake_problems(channel="fax", category="rude", severity="urgent", description=" ",
                                      received_at=T0 + timedelta(days=1), now=T0)  # fmt: skip
        assert [p.loc[0] for p in problems] == [
            "channel",
            "category",
            "severity",
            "description",
            "received_at",
        ]

    def test_a_valid_intake_has_no_problem(self) -> None:
        assert cd.intake_problems(channel="wecom", category="fees", severity="low", description="费用不清",
                                  received_at=T0 - timedelta(days=3), now=T0) == []  # fmt: skip

    def test_naive_and_very_old_receipt_times_are_refused(self) -> None:
        naive = cd.intake_problems(channel="app", category="fees", severity="low", description="x",
                                   received_at=datetime(2026, 1, 1), now=T0)  # fmt: skip
        old = cd.intake_problems(channel="app", category="fees", severity="low", description="x",
                                 received_at=T0 - timedelta(days=400), now=T0)  # fmt: skip
        assert naive[0].msg == "needs a timezone offset" and old[0].msg == "at most one year ago"

    @pytest.mark.parametrize(
        ("amount", "currency", "expected", "fields"),
        [("1280", "CNY", (Decimal("1280.00"), "CNY"), []), (None, None, (None, None), []),
         ("12.345", "CNY", (None, None), ["compensation_amount"]), ("abc", "CNY", (None, None), ["compensation_amount"]),
         ("10", "", (None, None), ["compensation_currency"]), ("NaN", "CNY", (None, None), ["compensation_amount"])],
    )  # fmt: skip
    def test_compensation(self, amount, currency, expected, fields) -> None:  # noqa: ANN001
        value, code, problems = cd.parse_compensation(amount, currency)
        assert (value, code) == expected
        assert [p.loc[0] for p in problems] == fields

    def test_feedback_checks_the_answer_and_score(self) -> None:
        assert cd.feedback_problems("satisfied", 5, "") == []
        assert [p.loc[0] for p in cd.feedback_problems("happy", 6, "")] == ["satisfaction", "score"]


class TestRates:
    def test_counts_per_key_with_books_and_categories(self) -> None:
        facts = [
            cd.ComplaintFact("rm001", "fees", open=True, breached=True, resolved_within_sla=False),
            cd.ComplaintFact("rm001", "fees", open=False, breached=False, resolved_within_sla=True),
            cd.ComplaintFact("rm001", "mis_selling", open=False, breached=True, resolved_within_sla=False),
            cd.ComplaintFact("rm002", "other", open=True, breached=False, resolved_within_sla=False),
        ]
        by = {r.key: r for r in cd.rates(facts, {"rm001": 300, "rm002": 0, "rm003": 50})}
        r1 = by["rm001"]
        assert (r1.received, r1.open, r1.breached, r1.resolved_within_sla) == (3, 1, 2, 1)
        assert r1.per_1000 == pytest.approx(10.0)
        assert r1.within_sla_share == pytest.approx(1 / 3)
        assert r1.by_category == {"fees": 2, "mis_selling": 1}
        assert by["rm002"].per_1000 is None  # an empty book has no rate
        assert (by["rm003"].received, by["rm003"].per_1000, by["rm003"].within_sla_share) == (0, 0.0, None)
