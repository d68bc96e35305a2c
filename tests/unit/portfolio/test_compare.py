from __future__ import annotations

import json
import math
import re

import pytest

from fincrm.errors import InputError
from fincrm.portfolio.compare import RiskReturn, compare, compare_many, per_unit_risk

STEADY = RiskReturn("Steady", 0.06, 0.03)
PUNCHY = RiskReturn("Punchy", 0.07, 0.10)
RATIOS = re.compile(r"\((\S+) vs (\S+)\)\.")  # the per-unit figures at the end of the English sentence
RATIOS_ZH = re.compile(r"（(\S+)对(\S+)）")


class TestCompare:
    def test_issue_example_reads_the_same_in_both_languages(self) -> None:
        c = compare(STEADY, PUNCHY)
        assert c.sentence_en == (
            "6% a year at 3% volatility against 7% at 10%: per unit of risk the first pays more (2.00 vs 0.70)."
        )
        assert (
            c.sentence_zh
            == "年化6%、波动3%，对比年化7%、波动10%：按每单位风险计算，前者回报更高（2.00对0.70）。"
        )
        assert (c.per_unit_risk_a, c.per_unit_risk_b, c.better) == (2.0, 0.7, "a")

    def test_second_item_wins_when_it_pays_more_per_unit_of_risk(self) -> None:
        c = compare(PUNCHY, STEADY)
        assert c.better == "b"
        assert "the second pays more (0.70 vs 2.00)" in c.sentence_en and "后者回报更高" in c.sentence_zh

    def test_equal_ratios_at_two_decimals_are_equal(self) -> None:
        c = compare(RiskReturn("X", 0.04, 0.04), RiskReturn("Y", 0.08, 0.08))
        assert c.better == "equal"
        assert "both pay the same (1.00 vs 1.00)" in c.sentence_en and "两者回报相同" in c.sentence_zh

    def test_risk_free_rate_is_subtracted_and_named(self) -> None:
        c = compare(STEADY, PUNCHY, risk_free=0.02)
        # (6 - 2) / 3 = 1.33; (7 - 2) / 10 = 0.50
        assert (c.per_unit_risk_a, c.per_unit_risk_b) == (1.33, 0.5)
        assert "above the 2% risk-free rate" in c.sentence_en and "扣除2%无风险利率" in c.sentence_zh

    @pytest.mark.parametrize("risk_free", [0.0, 0.015, 0.03])
    def test_figures_in_the_sentences_equal_the_computed_ratios(self, risk_free: float) -> None:
        a, b = RiskReturn("A", 0.0823, 0.117), RiskReturn("B", 0.051, 0.042)
        c = compare(a, b, risk_free)
        expected = (round((0.0823 - risk_free) / 0.117, 2), round((0.051 - risk_free) / 0.042, 2))
        assert (c.per_unit_risk_a, c.per_unit_risk_b) == expected
        [en] = RATIOS.findall(c.sentence_en)
        [zh] = RATIOS_ZH.findall(c.sentence_zh)
        assert tuple(float(x) for x in en) == expected == tuple(float(x) for x in zh)

    def test_max_drawdown_is_mentioned_when_given(self) -> None:
        c = compare(
            RiskReturn("A", 0.06, 0.03, max_drawdown=-0.05), RiskReturn("B", 0.07, 0.10, max_drawdown=0.2)
        )
        assert c.sentence_en.endswith(" Maximum drawdown: 5% against 20%.")
        assert c.sentence_zh.endswith("最大回撤：5%对20%。")

    def test_single_max_drawdown_names_its_side(self) -> None:
        c = compare(STEADY, RiskReturn("B", 0.07, 0.10, max_drawdown=-0.185))
        assert c.sentence_en.endswith("Maximum drawdown of the second: 18.5%.")
        assert c.sentence_zh.endswith("后者最大回撤18.5%。")

    def test_chart_is_a_json_ready_scatter_of_both_items(self) -> None:
        chart = compare(STEADY, PUNCHY).chart
        assert json.loads(json.dumps(chart)) == chart
        assert [(p["label"], p["x"], p["y"]) for p in chart["points"]] == [
            ("Steady", 0.03, 0.06),
            ("Punchy", 0.10, 0.07),
        ]
        assert (chart["x"]["field"], chart["y"]["field"]) == ("volatility", "annual_return")


class TestCompareZeroVolatility:
    def test_riskless_item_has_no_ratio_and_says_so(self) -> None:
        c = compare(RiskReturn("Deposit", 0.02, 0.0), PUNCHY)
        assert c.per_unit_risk_a is None and c.better == "a"
        assert c.sentence_en == (
            "2% a year with no measurable risk against 7% at 10%: "
            "per unit of risk the first pays more (no measurable risk vs 0.70)."
        )
        assert "无可测风险" in c.sentence_zh
        assert json.loads(json.dumps(c.chart))["points"][0]["per_unit_risk"] is None

    def test_riskless_item_at_the_risk_free_rate_loses_to_a_paying_risky_item(self) -> None:
        assert compare(RiskReturn("Cash", 0.02, 0.0), PUNCHY, risk_free=0.02).better == "b"

    def test_two_riskless_items_compare_by_return(self) -> None:
        assert compare(RiskReturn("D1", 0.015, 0.0), RiskReturn("D2", 0.02, 0.0)).better == "b"


class TestCompareMany:
    def test_items_are_ranked_by_return_per_unit_of_risk(self) -> None:
        items = [PUNCHY, RiskReturn("Loser", -0.01, 0.05), STEADY, RiskReturn("Middle", 0.05, 0.05)]
        ranked = compare_many(items)
        assert [(r.rank, r.item.name, r.per_unit_risk) for r in ranked] == [
            (1, "Steady", 2.0),
            (2, "Middle", 1.0),
            (3, "Punchy", 0.7),
            (4, "Loser", -0.2),
        ]

    def test_ties_share_a_rank_and_keep_the_given_order(self) -> None:
        ranked = compare_many([RiskReturn("X", 0.04, 0.04), STEADY, RiskReturn("Y", 0.08, 0.08)])
        assert [(r.rank, r.item.name) for r in ranked] == [(1, "Steady"), (2, "X"), (2, "Y")]

    def test_riskless_items_rank_first_when_they_beat_the_risk_free_rate(self) -> None:
        ranked = compare_many([STEADY, RiskReturn("Deposit", 0.02, 0.0)], risk_free=0.01)
        assert [r.item.name for r in ranked] == ["Deposit", "Steady"]

    def test_empty_list_ranks_nothing(self) -> None:
        assert compare_many([]) == []


class TestInputs:
    @pytest.mark.parametrize(
        ("annual_return", "volatility"), [(0.05, -0.01), (math.nan, 0.1), (0.05, math.inf)]
    )
    def test_bad_numbers_are_rejected(self, annual_return: float, volatility: float) -> None:
        with pytest.raises(InputError):
            RiskReturn("Bad", annual_return, volatility)

    def test_per_unit_risk_has_no_division_error_at_zero_volatility(self) -> None:
        assert per_unit_risk(RiskReturn("Cash", 0.0, 0.0)) is None
