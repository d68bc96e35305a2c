"""Pure rules of key-person coverage and client events: statuses at the thresholds, layers from
relationship kinds, weekly idempotency keys, shares, event status moves, attendance counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fincrm.engagement import gatherings_domain as gd

ON = date(2026, 11, 27)


def person(no: str, kind: str, days_ago: int | None) -> gd.KeyPersonContact:
    return gd.KeyPersonContact(
        no, f"人{no}", kind, None if days_ago is None else ON - timedelta(days=days_ago)
    )


class TestLayerStatus:
    @pytest.mark.parametrize(
        ("layer", "days", "status"),
        [
            ("decision", 0, "covered"), ("decision", 75, "covered"), ("decision", 76, "due"),
            ("decision", 90, "due"), ("decision", 91, "gap"), ("operating", 22, "covered"),
            ("operating", 23, "due"), ("operating", 30, "due"), ("operating", 31, "gap"),
            ("operating", None, "gap"), ("decision", None, "gap"),
        ],
    )  # fmt: skip
    def test_thresholds_are_90_days_for_decision_makers_and_30_for_operators(
        self, layer, days, status
    ) -> None:
        assert gd.layer_status(days, layer) == status

    def test_an_unknown_layer_is_refused(self) -> None:
        with pytest.raises(ValueError, match="decision, operating"):
            gd.layer_status(1, "board")

    @given(st.integers(0, 400), st.integers(0, 400), st.sampled_from(gd.LAYERS))
    def test_an_older_contact_is_never_better_covered(self, a: int, b: int, layer: str) -> None:
        rank = {gd.COVERED: 0, gd.DUE: 1, gd.GAP: 2}
        young, old = sorted((a, b))
        assert rank[gd.layer_status(young, layer)] <= rank[gd.layer_status(old, layer)]


class TestAssessCompany:
    def test_the_most_recent_contact_of_anyone_in_the_layer_counts(self) -> None:
        layers = gd.assess_company(
            [person("P1", "chairman", 120), person("P2", "decision_maker", 10), person("P3", "cfo", None),
             person("P4", "operator", 40), person("P5", "shareholder", 1)], ON,
        )  # fmt: skip
        decision, operating = layers[gd.DECISION], layers[gd.OPERATING]
        assert decision.status == gd.COVERED and decision.days_since == 10
        assert [p.party_no for p in decision.people] == ["P2", "P1"]
        assert operating.status == gd.GAP and operating.days_since == 40
        assert [p.party_no for p in operating.people] == ["P4", "P3"]  # never contacted last
        assert not gd.fully_covered(layers)

    def test_a_missing_role_is_a_gap(self) -> None:
        layers = gd.assess_company([person("P1", "chairman", 5)], ON)
        assert layers[gd.OPERATING].missing and layers[gd.OPERATING].status == gd.GAP
        assert layers[gd.OPERATING].days_since is None and layers[gd.DECISION].status == gd.COVERED

    def test_due_still_counts_as_covered_for_the_share(self) -> None:
        layers = gd.assess_company([person("P1", "chairman", 85), person("P2", "cfo", 25)], ON)
        assert {c.status for c in layers.values()} == {gd.DUE} and gd.fully_covered(layers)


class TestGapTasks:
    def test_one_key_per_company_layer_and_iso_week(self) -> None:
        monday, sunday = date(2026, 11, 23), date(2026, 11, 29)
        assert gd.gap_task_key("C1", "decision", monday) == gd.gap_task_key("C1", "decision", sunday)
        assert gd.gap_task_key("C1", "decision", sunday) != gd.gap_task_key(
            "C1", "decision", sunday + timedelta(1)
        )
        assert gd.gap_task_key("C1", "decision", monday) != gd.gap_task_key("C1", "operating", monday)
        assert gd.iso_week(date(2027, 1, 4)) == "2027-W01"

    def test_titles_say_what_is_missing_in_both_languages(self) -> None:
        missing = gd.assess_layer(gd.OPERATING, [], ON)
        zh, en = gd.gap_task_titles("华东精工", missing)
        assert "操作层" in zh and "operator" in en and "华东精工" in zh
        old = gd.assess_layer(gd.DECISION, [person("P1", "chairman", 100)], ON)
        zh, en = gd.gap_task_titles("华东精工", old)
        assert "100 天" in zh and "100 days" in en


class TestShares:
    def test_share_of_companies_with_both_layers_covered_per_key(self) -> None:
        good = gd.assess_company([person("P1", "chairman", 5), person("P2", "cfo", 5)], ON)
        bad = gd.assess_company([person("P3", "chairman", 200)], ON)
        shares = {s.key: s for s in gd.coverage_shares([("rm1", good), ("rm1", bad), ("rm2", good)])}
        assert (shares["rm1"].companies, shares["rm1"].covered, shares["rm1"].share) == (2, 1, 0.5)
        assert (shares["rm1"].decision_gaps, shares["rm1"].operating_gaps) == (1, 1)
        assert shares["rm2"].share == 1.0 and gd.CoverageShare("x", 0, 0, 0, 0).share is None


class TestEvents:
    def test_status_moves_forward_only(self) -> None:
        assert gd.status_move_problem(gd.PLANNED, gd.OPEN) is None
        assert gd.status_move_problem(gd.OPEN, gd.CLOSED) is None
        assert gd.status_move_problem(gd.OPEN, gd.PLANNED) == "open cannot become planned"
        assert gd.status_move_problem(gd.CLOSED, gd.OPEN) is not None
        assert gd.status_move_problem(gd.OPEN, "cancelled") == "one of planned, open, closed"

    @pytest.mark.parametrize("kind", ["tax_salon", "capital_forum", "strategy_meeting", "ab"])
    def test_event_kinds_are_slugs(self, kind: str) -> None:
        assert gd.event_kind_problem(kind) is None

    @pytest.mark.parametrize("kind", ["", "a", "Tax", "tax salon", "1st", "x" * 33])
    def test_bad_event_kinds_are_refused(self, kind: str) -> None:
        assert gd.event_kind_problem(kind) is not None

    def test_attendance_rate_is_attended_over_accepted(self) -> None:
        a = gd.attendance([("accepted", True), ("accepted", True), ("accepted", False), ("accepted", None),
                           ("declined", None), ("pending", None)])  # fmt: skip
        assert (a.invited, a.pending, a.accepted, a.declined, a.attended, a.no_show) == (6, 1, 4, 1, 2, 1)
        assert a.rate == 0.5 and gd.attendance([]).rate is None

    def test_seats_left_never_negative(self) -> None:
        assert gd.seats_left(10, 3) == 7 and gd.seats_left(2, 5) == 0
