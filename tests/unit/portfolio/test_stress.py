"""Stress replay, scenario paths, backtests and Monte Carlo, on real S&P 500 prices where it matters."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.portfolio.scenarios import SCENARIOS, custom_scenario
from fincrm.portfolio.stress import (
    backtest,
    backtest_summary,
    monte_carlo,
    recovery_days,
    replay,
    scenario_paths,
    stress_test,
)

GFC = SCENARIOS["gfc"]


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    """Real S&P 500 daily levels 1999-01-04..2018-12-31 (arch's data set), column ``spx``."""
    import arch.data.sp500 as sp500

    return sp500.load()[["Adj Close"]].rename(columns={"Adj Close": "spx"})


def _loop_replay(paths: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One portfolio at a time, the obvious way."""
    total, dd, trough = [], [], []
    for w in weights:
        value = (paths / paths[0]) @ w
        peak = np.maximum.accumulate(value)
        ratio = value / peak
        total.append(value[-1] / value[0] - 1)
        dd.append(ratio.min() - 1)
        trough.append(int(ratio.argmin()))
    return np.array(total), np.array(dd), np.array(trough)


class TestReplay:
    def test_sp500_through_the_gfc_falls_its_known_56_8_percent(self, spx: pd.DataFrame) -> None:
        paths, _, methods = scenario_paths(spx, GFC, {"equity": "spx"})
        r = replay(paths, np.array([1.0]))
        assert methods == {"equity": "replay"}
        assert r["max_drawdown"] == pytest.approx(-0.568, abs=0.01)
        window = spx["spx"].loc["2007-10-09":"2009-03-09"]
        assert r["total_return"] == pytest.approx(window.iloc[-1] / window.iloc[0] - 1, abs=1e-12)
        assert r["total_return"] == pytest.approx(-0.5678, abs=1e-4)  # 1565.15 -> 676.53
        assert r["trough_index"] == len(window) - 1  # the window ends at the trough

    def test_vectorised_equals_a_per_portfolio_loop(self) -> None:
        rng = np.random.default_rng(7)
        paths = 100 * np.cumprod(1 + rng.normal(0, 0.02, size=(300, 6)), axis=0)
        weights = rng.dirichlet(np.ones(6), size=200)
        r = replay(paths, weights, chunk_size=37)  # uneven blocks
        total, dd, trough = _loop_replay(paths, weights)
        np.testing.assert_allclose(r["total_return"], total, rtol=0, atol=1e-12)
        np.testing.assert_allclose(r["max_drawdown"], dd, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(r["trough_index"], trough)

    def test_block_size_does_not_change_the_answer(self) -> None:
        rng = np.random.default_rng(3)
        paths = np.cumprod(1 + rng.normal(0, 0.01, size=(50, 3)), axis=0)
        weights = rng.dirichlet(np.ones(3), size=1000)
        a, b = replay(paths, weights), replay(paths, weights, chunk_size=1)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])

    def test_hand_checked_two_asset_path(self) -> None:
        # value: 1.0, 0.5*0.5 + 0.5*1.1 = 0.80, 0.5*0.8 + 0.5*1.2 = 1.00
        paths = np.array([[100.0, 10.0], [50.0, 11.0], [80.0, 12.0]])
        r = replay(paths, np.array([[0.5, 0.5], [0.0, 1.0]]))
        np.testing.assert_allclose(r["total_return"], [0.0, 0.2], atol=1e-15)
        np.testing.assert_allclose(r["max_drawdown"], [-0.2, 0.0], atol=1e-15)
        np.testing.assert_array_equal(r["trough_index"], [1, 0])

    def test_returns_are_on_the_initial_value_when_weights_do_not_sum_to_one(self) -> None:
        paths = np.array([[1.0, 1.0], [2.0, 1.0]])
        assert replay(paths, np.array([2.0, 2.0]))["total_return"] == pytest.approx(0.5)

    def test_missing_prices_are_rejected(self) -> None:
        with pytest.raises(InputError, match="missing"):
            replay(np.array([[1.0], [np.nan]]), np.array([1.0]))

    def test_weights_of_the_wrong_width_are_rejected(self) -> None:
        with pytest.raises(InputError, match="weights"):
            replay(np.ones((3, 2)), np.ones((4, 3)) / 3)


class TestRecoveryDays:
    def test_counts_trading_days_after_the_window_until_the_peak_is_regained(self) -> None:
        after = np.array([[0.7, 1.0], [0.9, 1.0], [1.1, 1.0], [1.3, 1.0]])
        w = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
        out = recovery_days(after, w, np.array([0.6, 0.8, 1.0]), 1.0)
        # first: 1.1 on day 3; second: 0.5*0.9+0.5 = 0.95, 1.05 on day 3; third: never fell
        np.testing.assert_array_equal(out, [3, 3, 0])

    def test_never_recovering_is_minus_one_or_none(self) -> None:
        after = np.array([[0.5], [0.6]])
        np.testing.assert_array_equal(recovery_days(after, np.array([[1.0]]), 0.4, 1.0), [-1])
        assert recovery_days(after, np.array([1.0]), 0.4, 1.0) is None

    def test_sp500_after_the_gfc_takes_until_2013(self, spx: pd.DataFrame) -> None:
        window = spx["spx"].loc["2007-10-09":"2009-03-09"]
        later = spx["spx"].loc["2009-03-10":]
        days = recovery_days((later / window.iloc[0]).to_numpy()[:, None], np.array([1.0]), 0.43, 1.0)
        back_on = later.index[later >= window.max()][0]
        assert days == later.index.get_loc(back_on) + 1
        assert back_on.year == 2013


class TestScenarioPaths:
    def test_a_series_that_does_not_cover_the_window_falls_back_to_stylised(self, spx: pd.DataFrame) -> None:
        paths, classes, methods = scenario_paths(spx, SCENARIOS["covid"], {"equity": "spx", "bond": None})
        assert classes == ["equity", "bond"]
        assert methods == {"equity": "stylised", "bond": "stylised"}
        assert len(paths) == len(pd.bdate_range("2020-02-19", "2020-03-23"))  # 24 business days

    def test_stylised_path_is_a_straight_log_line_from_one_to_one_plus_shock(self) -> None:
        paths, _, _ = scenario_paths(pd.DataFrame(), SCENARIOS["covid"], {"equity": None})
        equity = paths[:, 0]
        assert equity[0] == 1.0
        assert equity[-1] == pytest.approx(1 - 0.34, abs=1e-12)
        steps = np.diff(np.log(equity))
        np.testing.assert_allclose(steps, math.log(0.66) / (len(equity) - 1), atol=1e-14)

    def test_mixed_paths_share_the_calendar_of_the_replayed_series(self, spx: pd.DataFrame) -> None:
        paths, _, methods = scenario_paths(spx, GFC, {"equity": "spx", "bond": None})
        assert methods == {"equity": "replay", "bond": "stylised"}
        assert len(paths) == len(spx.loc["2007-10-09":"2009-03-09"]) == 356
        assert paths[-1, 1] == pytest.approx(1.06)

    def test_a_class_with_neither_series_nor_shock_is_named(self) -> None:
        scenario = custom_scenario("k", "中", "en", date(2024, 1, 2), date(2024, 2, 1), {"equity": -0.2})
        with pytest.raises(InputError, match="bond") as e:
            scenario_paths(pd.DataFrame(), scenario, {"equity": None, "bond": None})
        assert e.value.errors[0].loc == ("series_for_class", "bond")


class TestStressTest:
    def test_sixty_forty_loses_far_less_than_equity_in_the_gfc(self, spx: pd.DataFrame) -> None:
        out = stress_test(spx, GFC, {"equity": 0.6, "bond": 0.4}, {"equity": "spx", "bond": None}, "spx")
        portfolio, bench = out["portfolio"], out["benchmark"]
        assert portfolio["methods"] == {"equity": "replay", "bond": "stylised"}
        # 0.6 * (676.53 / 1565.15) + 0.4 * 1.06 - 1; both bottom on the window's last day
        assert portfolio["total_return"] == pytest.approx(0.6 * -0.567754 + 0.4 * 0.06, abs=1e-6)
        assert portfolio["total_return"] == pytest.approx(-0.3167, abs=1e-4)
        assert portfolio["max_drawdown"] == pytest.approx(-0.3167, abs=1e-4)
        assert bench["max_drawdown"] == pytest.approx(-0.5678, abs=1e-4)
        assert portfolio["max_drawdown"] - bench["max_drawdown"] > 0.25
        assert portfolio["trough_on"] == bench["trough_on"] == "2009-03-09"

    def test_recovery_is_counted_only_on_replayed_classes(self, spx: pd.DataFrame) -> None:
        mixed = stress_test(spx, GFC, {"equity": 0.6, "bond": 0.4}, {"equity": "spx"}, "spx")
        pure = stress_test(spx, GFC, {"equity": 1.0}, {"equity": "spx"}, None)
        assert mixed["portfolio"]["recovery_days"] is None  # the bond path has no "after"
        assert pure["portfolio"]["recovery_days"] == mixed["benchmark"]["recovery_days"] == 1021
        assert pure["benchmark"] is None

    def test_benchmark_without_data_for_the_window_is_marked_uncovered(self, spx: pd.DataFrame) -> None:
        out = stress_test(spx, SCENARIOS["covid"], {"equity": 1.0}, {"equity": "spx"}, "spx")
        assert out["benchmark"]["covered"] is False and out["benchmark"]["max_drawdown"] is None
        assert out["portfolio"]["total_return"] == pytest.approx(-0.34)

    def test_result_is_json_ready(self, spx: pd.DataFrame) -> None:
        out = stress_test(spx, GFC, {"equity": 0.5, "cash": 0.5}, {"equity": "spx"}, "spx")
        assert json.loads(json.dumps(out)) == out

    def test_weights_not_summing_to_one_are_rejected(self, spx: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="class_weights"):
            stress_test(spx, GFC, {"equity": 0.6, "bond": 0.3}, {"equity": "spx"})


def _prices(days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=days)
    levels = 100 * np.cumprod(1 + rng.normal(0.0003, [0.015, 0.004], size=(days, 2)), axis=0)
    return pd.DataFrame(levels, index=index, columns=["stock", "bond"])


class TestBacktest:
    def test_hand_computed_two_asset_monthly_rebalance(self) -> None:
        px = pd.DataFrame(
            {"a": [10.0, 12.0, 9.0, 9.9], "b": [20.0, 20.0, 22.0, 22.0]},
            index=pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]),
        )
        values = backtest(px, {"a": 0.6, "b": 0.4}, rebalance="monthly")
        # 31 Jan: 0.6*1.2 + 0.4*1.0 = 1.12 (same month, no rebalance); 1 Feb: still the units
        # bought on 30 Jan, 0.6*0.9 + 0.4*1.1 = 0.98, then rebalanced to 0.6/0.4;
        # 2 Feb: 0.98*(0.6*1.1 + 0.4*1.0) = 1.0388
        assert values.tolist() == pytest.approx([1.0, 1.12, 0.98, 1.0388], abs=1e-12)
        held = backtest(px, {"a": 0.6, "b": 0.4}, rebalance="none")
        # buy and hold: 0.06 units of a, 0.02 of b
        assert held.tolist() == pytest.approx([1.0, 1.12, 0.98, 1.034], abs=1e-12)

    def test_weights_are_back_at_target_on_every_rebalance_date(self) -> None:
        px = _prices(400)
        target = np.array([0.6, 0.4])
        values = backtest(px, {"stock": 0.6, "bond": 0.4}, rebalance="quarterly")
        quarter = px.index.to_period("Q")
        rebalance_on = px.index[np.r_[True, quarter[1:] != quarter[:-1]]]
        assert len(rebalance_on) == 7
        p = px.to_numpy()
        drifted = []
        for before, on in zip(rebalance_on[:-1], rebalance_on[1:], strict=True):
            i, j = px.index.get_loc(before), px.index.get_loc(on)
            units = values.iloc[i] * target / p[i]  # bought at target weights
            # held unchanged in between: the value is units times prices
            np.testing.assert_allclose(values.iloc[i:j].to_numpy(), p[i:j] @ units, rtol=1e-12)
            weights_before = units * p[j] / (units @ p[j])
            drifted.append(weights_before)
            assert values.iloc[j] == pytest.approx(units @ p[j], rel=1e-12)  # rebalancing costs nothing
            # on the next day the portfolio moves as the target weights from this day's close
            assert values.iloc[j + 1] / values.iloc[j] == pytest.approx((p[j + 1] / p[j]) @ target, rel=1e-12)
        assert np.abs(np.array(drifted) - target).max() > 1e-3  # they had drifted before

    def test_no_rebalancing_is_buy_and_hold(self) -> None:
        px = _prices(300, seed=1)
        values = backtest(px, {"stock": 0.7, "bond": 0.3}, rebalance="none")
        expected = (px.to_numpy() / px.to_numpy()[0]) @ np.array([0.7, 0.3])
        np.testing.assert_allclose(values.to_numpy(), expected, rtol=1e-12)

    def test_start_and_end_restrict_the_range_and_restart_at_one(self) -> None:
        px = _prices(300)
        values = backtest(px, {"stock": 0.5, "bond": 0.5}, start=date(2020, 3, 1), end=date(2020, 6, 30))
        assert values.index[0] == pd.Timestamp("2020-03-02") and values.index[-1] == pd.Timestamp(
            "2020-06-30"
        )
        assert values.iloc[0] == 1.0

    def test_unknown_rebalance_lists_the_choices(self) -> None:
        with pytest.raises(InputError, match="monthly, quarterly, annual"):
            backtest(_prices(10), {"stock": 1.0}, rebalance="weekly")

    def test_unknown_series_is_named(self) -> None:
        with pytest.raises(InputError, match="gold"):
            backtest(_prices(10), {"stock": 0.5, "gold": 0.5})


class TestBacktestSummary:
    def test_hand_checked_figures(self) -> None:
        s = backtest_summary(pd.Series([1.0, 1.1, 0.99, 1.2]), periods_per_year=3)
        daily = np.array([0.1, -0.1, 1.2 / 0.99 - 1])
        assert s["annual_return"] == pytest.approx(0.2)
        assert s["volatility"] == pytest.approx(daily.std(ddof=1) * math.sqrt(3))
        assert s["max_drawdown"] == pytest.approx(-0.1)
        assert s["total_return"] == pytest.approx(0.2)

    def test_drawdown_matches_empyrical(self) -> None:
        import empyrical

        values = backtest(_prices(500), {"stock": 0.8, "bond": 0.2})
        daily = values.pct_change().dropna()
        s = backtest_summary(values)
        assert s["max_drawdown"] == pytest.approx(empyrical.max_drawdown(daily), abs=1e-12)
        assert s["volatility"] == pytest.approx(empyrical.annual_volatility(daily), rel=1e-12)
        assert s["annual_return"] == pytest.approx(empyrical.annual_return(daily), rel=1e-9)


def _returns(days: int = 1000, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = np.array([[0.0002, 0.00003], [0.00003, 0.00002]])
    return rng.multivariate_normal([0.0004, 0.0001], cov, size=days)


class TestMonteCarlo:
    W = np.array([0.6, 0.4])

    @pytest.mark.parametrize("method", ["bootstrap", "parametric"])
    @pytest.mark.parametrize("rebalance", [True, False])
    def test_percentiles_are_ordered(self, method: str, rebalance: bool) -> None:
        out = monte_carlo(_returns(), self.W, paths=2000, method=method, rebalance=rebalance)
        p = out["percentiles"]
        assert p["p5"] < p["p50"] < p["p95"]
        fan = out["fan"]
        assert fan["day"][0] == 0 and fan["day"][-1] == 252 and len(fan["day"]) == 53
        assert fan["p5"][0] == fan["p50"][0] == fan["p95"][0] == 1.0
        assert all(a <= b <= c for a, b, c in zip(fan["p5"], fan["p50"], fan["p95"], strict=True))
        assert fan["p50"][-1] - 1 == pytest.approx(p["p50"])

    @pytest.mark.parametrize("method", ["bootstrap", "parametric"])
    def test_same_seed_same_answer_other_seed_other_answer(self, method: str) -> None:
        a = monte_carlo(_returns(), self.W, paths=500, method=method, seed=11)
        b = monte_carlo(_returns(), self.W, paths=500, method=method, seed=11)
        c = monte_carlo(_returns(), self.W, paths=500, method=method, seed=12)
        assert a == b
        assert a["percentiles"] != c["percentiles"]

    def test_parametric_median_is_the_exponential_of_the_drift(self) -> None:
        r = _returns()
        port = r @ self.W
        mu, var = port.mean(), port.var(ddof=1)
        out = monte_carlo(r, self.W, paths=20_000, method="parametric", seed=3)
        # daily rebalanced: log value ~ sum log(1 + r) with mean about H (mu - var / 2)
        assert out["percentiles"]["p50"] == pytest.approx(math.exp(252 * (mu - var / 2)) - 1, abs=0.005)

    def test_bootstrap_keeps_days_whole(self) -> None:
        # two assets that always move in opposite directions: a 50/50 daily-rebalanced mix never
        # moves, which only holds if each simulated day takes both assets from the same real day
        rng = np.random.default_rng(0)
        x = rng.normal(0, 0.01, size=500)
        out = monte_carlo(np.c_[x, -x], np.array([0.5, 0.5]), paths=300, method="bootstrap")
        assert out["percentiles"] == {"p5": 0.0, "p50": 0.0, "p95": 0.0}

    def test_result_is_json_ready(self) -> None:
        out = monte_carlo(_returns(), self.W, paths=100)
        assert json.loads(json.dumps(out)) == out

    def test_unknown_method_lists_the_choices(self) -> None:
        with pytest.raises(InputError, match="bootstrap, parametric"):
            monte_carlo(_returns(), self.W, method="garch")

    def test_weights_must_fit_the_returns(self) -> None:
        with pytest.raises(InputError, match="weights"):
            monte_carlo(_returns(), np.array([1.0]))
