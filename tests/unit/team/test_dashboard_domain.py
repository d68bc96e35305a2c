"""The team dashboard's pure core: totals recompute rates from sums, attrition saves count each
client once, rates with nothing to count are None, the charts carry one bar per RM."""

from __future__ import annotations

import pytest

from fincrm.team import dashboard_domain as dom

TITLES = dom.ChartTitles(
    aum="AUM", flows="Flows", sla="SLA", complaints="Complaints", tiers={"hnw": "H", "mass": "M", "long_tail": "L"},
    inflow="in", outflow="out", net="net", sla_legend="sla", coverage_legend="cov", complaints_legend="c",
)  # fmt: skip


class TestRates:
    def test_rates_with_nothing_to_count_are_none(self) -> None:
        empty = dom.RmFigures("rm1", "A")
        assert (empty.sla_rate, empty.coverage_rate, empty.complaints_per_1000, empty.save_rate,
                empty.drill_average) == (None, None, None, None, None)  # fmt: skip

    def test_rates_are_the_ratios_of_their_counts(self) -> None:
        r = dom.RmFigures("rm1", "A", clients=400, complaints=2, tasks_due=8, tasks_on_time=6, companies=4,
                          companies_covered=1, at_risk=5, saved=2, drills=2, drill_score_sum=150.0,
                          inflow=100.0, outflow=-30.0)  # fmt: skip
        assert (
            r.sla_rate,
            r.coverage_rate,
            r.complaints_per_1000,
            r.save_rate,
            r.drill_average,
            r.net_flow,
        ) == (0.75, 0.25, 5.0, 0.4, 75.0, 70.0)


class TestTotal:
    def test_the_total_sums_counts_and_recomputes_rates(self) -> None:
        a = dom.RmFigures("rm1", "A", clients=100, complaints=1, tasks_due=10, tasks_on_time=10, drills=1,
                          drill_score_sum=90.0, aum_by_tier={"hnw": 3.0})  # fmt: skip
        b = dom.RmFigures("rm2", "B", clients=300, complaints=3, tasks_due=30, tasks_on_time=0, drills=3,
                          drill_score_sum=150.0, aum_by_tier={"mass": 1.0, "long_tail": 0.5})  # fmt: skip
        t = dom.total([a, b], name="Team")
        assert (t.username, t.name, t.clients, t.complaints) == (dom.TOTAL, "Team", 400, 4)
        assert t.sla_rate == 0.25  # 10 of 40, not the mean of 1.0 and 0.0
        assert t.complaints_per_1000 == 10.0 and t.drill_average == 60.0
        assert dict(t.aum_by_tier) == {"hnw": 3.0, "mass": 1.0, "long_tail": 0.5} and t.aum == 4.5

    def test_the_total_of_nobody_is_zero_with_no_rates(self) -> None:
        t = dom.total([], name="Team")
        assert (t.clients, t.aum, t.sla_rate) == (0, 0.0, None)


class TestAttritionSaves:
    def test_a_client_counts_once_by_their_latest_task(self) -> None:
        saves = dom.attrition_saves([
            ("rm1", "C1", False, None),
            ("rm1", "C1", True, 0.0),  # contacted later, no money out since: saved
            ("rm1", "C2", True, -1.0),  # contacted, but draining
            ("rm2", "C3", True, None),  # contacted, no flow at all: saved
        ])  # fmt: skip
        assert saves == {"rm1": (2, 2, 1), "rm2": (1, 1, 1)}

    def test_nothing_at_risk_gives_no_rows(self) -> None:
        assert dom.attrition_saves([]) == {}


class TestCharts:
    def test_one_bar_per_rm_in_each_chart(self) -> None:
        rows = [dom.RmFigures("rm1", "A", aum_by_tier={"hnw": 2.0}, tasks_due=2, tasks_on_time=1, inflow=5.0),
                dom.RmFigures("rm2", "B", clients=10, complaints=1)]  # fmt: skip
        charts = dom.charts(rows, TITLES)
        assert [c.title for c in charts] == ["AUM", "Flows", "SLA", "Complaints"]
        assert all(c.categories == ("A", "B") for c in charts)
        assert dict(charts[0].groups)["H"] == (2.0, 0.0)
        assert dict(charts[2].groups)["sla"] == (0.5, 0.0)  # no task due: drawn as 0
        assert dict(charts[3].groups)["c"] == (0.0, pytest.approx(100.0))

    def test_no_rows_no_charts(self) -> None:
        assert dom.charts([], TITLES) == []

    def test_a_chart_of_zeros_only_is_left_out(self) -> None:
        rows = [dom.RmFigures("rm1", "A", aum_by_tier={"mass": 1.0}), dom.RmFigures("rm2", "B")]
        assert [c.title for c in dom.charts(rows, TITLES)] == ["AUM"]
