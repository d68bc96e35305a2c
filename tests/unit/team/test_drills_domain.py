"""Extreme-market drills, pure: the scenario library's validation (file, line, field), the scenario's
figures on a portfolio, the automatic checks and their points, training records."""

from __future__ import annotations

from datetime import date

import pytest

from fincrm.errors import InputError
from fincrm.portfolio.scenarios import SCENARIOS
from fincrm.team import drills_domain as dd
from fincrm.team.drills import SCENARIOS_PATH

ON = date(2026, 6, 30)
PORTFOLIO = [
    dd.Position("EF001", "权益基金", 400_000, {"equity": 0.95, "cash": 0.05}),
    dd.Position("BF001", "债券基金", 300_000, {"bond": 0.95, "cash": 0.05}),
    dd.Position("MMF001", "货币基金", 300_000, {"cash": 1.0}),
]
SHOCKS = {k: s.shocks for k, s in SCENARIOS.items()}


def scenario(kind: str, **changes) -> dd.DrillScenario:
    return dd.DrillScenario(**{"key": "k", "name_zh": "z", "name_en": "e", "situation_zh": "z", "situation_en": "e",
                               "kind": kind, "days": 5, **changes})  # fmt: skip


class TestLibrary:
    def test_the_shipped_library_loads(self) -> None:
        lib = dd.load_scenarios(
            SCENARIOS_PATH.read_text(encoding="utf-8"), "drill_scenarios.yaml", portfolio_shocks=SHOCKS
        )
        assert {"account_down_30", "fund_down_20_week", "crash_2015"} <= set(lib)
        assert lib["crash_2015"].shocks == SCENARIOS["china_2015"].shocks

    def test_every_problem_is_located_by_file_line_and_field(self) -> None:
        text = (
            "- key: ok_one\n  name_zh: 甲\n  name_en: A\n  situation_zh: 甲\n  situation_en: A\n  kind: account\n"
            "  fall_pct: 30\n  days: 21\n"
            "- key: ok_one\n  name_zh: 乙\n  name_en: B\n  situation_zh: 乙\n  situation_en: B\n  kind: holding\n"
            "  fall_pct: 120\n  days: 0\n  colour: red\n"
            "- key: s\n  name_zh: 丙\n  name_en: C\n  situation_zh: 丙\n  situation_en: C\n  kind: shocks\n"
            "  days: 5\n  portfolio_scenario: nope\n"
        )
        with pytest.raises(InputError) as caught:
            dd.load_scenarios(text, "lib.yaml", portfolio_shocks=SHOCKS)
        found = {(e.loc[1], e.loc[2]) for e in caught.value.errors}
        assert found == {(9, "key"), (15, "fall_pct"), (16, "days"), (17, "colour"), (18, "key"),
                         (25, "portfolio_scenario")}  # fmt: skip
        assert all(e.loc[0] == "lib.yaml" for e in caught.value.errors)

    def test_broken_yaml_names_the_line(self) -> None:
        with pytest.raises(InputError, match="line 2"):
            dd.load_scenarios("- key: a\n  name_en: x: y\n", "lib.yaml")

    def test_shocks_must_be_known_asset_classes(self) -> None:
        text = "- {key: s1, name_zh: a, name_en: a, situation_zh: a, situation_en: a, kind: shocks, days: 3, shocks: {gold: -0.2}}"
        with pytest.raises(InputError) as caught:
            dd.load_scenarios(text, "lib.yaml")
        assert caught.value.errors[0].loc == ("lib.yaml", 1, "shocks")


class TestFigures:
    def test_account_fall_moves_every_position(self) -> None:
        f = dd.scenario_figures(scenario("account", fall_pct=30.0), PORTFOLIO)
        assert (f["value_before"], f["value_after"], f["loss_amount"], f["fall_pct"]) == (
            1_000_000.0,
            700_000.0,
            300_000.0,
            30.0,
        )

    def test_holding_fall_hits_the_largest_position_at_risk(self) -> None:
        f = dd.scenario_figures(scenario("holding", fall_pct=20.0), PORTFOLIO)
        assert f["holding"] == {
            "code": "EF001",
            "name": "权益基金",
            "fall_pct": 20.0,
            "loss_amount": 80_000.0,
        }
        assert f["fall_pct"] == 8.0

    def test_shocks_are_looked_through(self) -> None:
        f = dd.scenario_figures(
            scenario("shocks", shocks={"equity": -0.45, "bond": 0.05, "cash": 0.02}), PORTFOLIO
        )
        ef = 400_000 * (1 + 0.95 * -0.45 + 0.05 * 0.02)
        bf = 300_000 * (1 + 0.95 * 0.05 + 0.05 * 0.02)
        mmf = 300_000 * 1.02
        assert f["value_after"] == pytest.approx(ef + bf + mmf, abs=0.02)
        assert f["fall_pct"] == round((1 - (ef + bf + mmf) / 1_000_000) * 100, 2)

    def test_no_holdings_is_refused(self) -> None:
        with pytest.raises(InputError):
            dd.scenario_figures(scenario("account", fall_pct=10.0), [])


FIG = dd.scenario_figures(scenario("account", fall_pct=30.0, benchmark_fall_pct=25.0), PORTFOLIO)
GOOD = ("王先生，我非常理解您的担心。您的账户这个月下跌了30%，同期沪深300下跌25%。"
        "我建议先不要全部赎回，明天下午3点我们面谈，把权益比例调回目标。投资有风险。")  # fmt: skip


class TestChecks:
    def points(self, message: str, notes: str = "", figures=FIG) -> dict[str, int]:
        return {c.key: c.points for c in dd.check_answer(notes, message, figures, on=ON)}

    def test_a_good_answer_scores_full_marks(self) -> None:
        checks = dd.check_answer("先倾听", GOOD, FIG, on=ON)
        assert dd.total(checks) == 100 and all(c.reason_zh and c.reason_en for c in checks)

    def test_a_wrong_figure_costs_the_facts_points(self) -> None:
        assert self.points(GOOD.replace("30%", "35%"))["facts"] == 0
        assert self.points(GOOD + "另一只基金跌了12%。")["facts"] == 15  # right key figure, a stray one

    def test_rounding_is_allowed(self) -> None:
        fig = {**FIG, "fall_pct": 29.7}
        assert self.points(GOOD, figures=fig)["facts"] == 30  # "30%" written with no decimals
        assert self.points(GOOD.replace("30%", "29.5%"), figures=fig)["facts"] == 0

    def test_a_promise_anywhere_loses_the_points(self) -> None:
        assert self.points(GOOD + "这个产品保本。")["no_promise"] == 0
        assert self.points(GOOD, notes="电话里说了稳赚不赔")["no_promise"] == 0
        assert self.points(GOOD + "本产品不保本。")["no_promise"] == 20  # a disclaimer, not a promise

    def test_missing_parts_and_a_vague_plan(self) -> None:
        p = self.points("您的账户下跌了30%。")
        assert (p["sandwich"], p["plan"]) == (10, 0)
        assert self.points("我理解您的担心，账户下跌了30%，我建议继续持有。")["plan"] == 10
        assert self.points("我理解您的担心，账户下跌了30%，我建议下周一追加20万元。")["plan"] == 20

    def test_final_score_stays_within_0_100(self) -> None:
        assert (dd.final_score(95, 10), dd.final_score(20, -50), dd.final_score(70, 5)) == (100, 0, 75)


class TestTrainingRecords:
    def test_per_rm_counts_average_and_last_answer(self) -> None:
        rows = [("a", "reviewed", 80, 90, date(2026, 6, 1)), ("a", "submitted", 70, None, date(2026, 6, 5)),
                ("b", "assigned", None, None, None)]  # fmt: skip
        a, b = dd.training_records(rows)
        assert (a.rm, a.assigned, a.taken, a.reviewed, a.average, a.last_on) == (
            "a",
            2,
            2,
            1,
            80.0,
            date(2026, 6, 5),
        )
        assert (b.taken, b.average, b.last_on) == (0, None, None)
