"""Optimiser: golden values from PyPortfolioOpt's own tests, limits, risk parity, readable errors.

Data: /work/shared/data/pypfopt-tests (robertmartin8/PyPortfolioOpt tests/resources, MIT), with
r = prices.pct_change().dropna(how="all"), mu = (1+r).prod()**(252/r.count())-1,
S = r.cov()*252, long-only, risk-free rate 0.02. The README gives the expected annual return,
volatility and Sharpe to full precision (checked here to 1e-6) and the weights rounded to 4
decimals (checked to half a unit of that rounding plus 1e-6 for the solver: |w - w_README| <=
5e-5 + 1e-6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.portfolio.optimize import (
    expected_returns_and_cov,
    optimize,
    portfolio_performance,
    risk_contributions,
)
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA / "pypfopt-tests"
RF = 0.02
PERF_TOL = 1e-6  # on annual return, volatility and Sharpe (README values to full precision)
WEIGHT_TOL = 5e-5 + 1e-6  # README weights are rounded to 4 decimals
TECH = ["AAPL", "AMZN", "FB", "GOOG", "BABA"]

MIN_VOL_PERF = (0.15056821399482578, 0.15915084514118694, 0.8204054077060996)
MAX_SHARPE_PERF = (0.3047768672819914, 0.22165566922402932, 1.2847714127003216)
MIN_VOL_WEIGHTS = {
    "XOM": 0.1886, "WMT": 0.1771, "T": 0.1769, "BABA": 0.1256, "GM": 0.1168, "FB": 0.0986,
    "PFE": 0.0878, "AAPL": 0.0147, "SBUX": 0.0102, "GOOG": 0.0031, "BBY": 0.0006,
}  # fmt: skip
MAX_SHARPE_WEIGHTS = {
    "MA": 0.3535, "FB": 0.2060, "PFE": 0.1957, "BABA": 0.0731, "AAPL": 0.0689, "AMZN": 0.0403,
    "GOOG": 0.0384, "BBY": 0.0132, "SBUX": 0.0108,
}  # fmt: skip


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return pd.read_csv(DATA / "stock_prices.csv", parse_dates=True, index_col="date")


@pytest.fixture(scope="module")
def estimates(prices) -> tuple[np.ndarray, np.ndarray, list[str]]:
    mu, cov = expected_returns_and_cov(prices)
    return mu.to_numpy(), cov.to_numpy(), list(mu.index)


def _expected_weights(names: list[str], table: dict[str, float]) -> np.ndarray:
    return np.array([table.get(name, 0.0) for name in names])


class TestExpectedReturnsAndCov:
    def test_follows_the_compounded_mean_and_pairwise_sample_cov_convention(self, prices):
        mu, cov = expected_returns_and_cov(prices)
        r = prices.pct_change(fill_method=None).dropna(how="all")
        np.testing.assert_allclose(mu, (1 + r).prod() ** (252 / r.count()) - 1, rtol=1e-12)
        np.testing.assert_allclose(cov, r.cov() * 252, rtol=1e-12)

    def test_agrees_with_pypfopt_estimators(self, prices):
        from pypfopt import expected_returns, risk_models

        mu, cov = expected_returns_and_cov(prices)
        np.testing.assert_allclose(mu, expected_returns.mean_historical_return(prices), rtol=1e-12)
        np.testing.assert_allclose(cov, risk_models.sample_cov(prices), rtol=1e-12)

    def test_keeps_assets_with_a_shorter_history(self, prices):
        mu, cov = expected_returns_and_cov(prices)
        assert prices["BABA"].isna().any()
        assert np.isfinite(mu["BABA"]) and np.isfinite(cov.loc["BABA", "AAPL"])

    def test_rejects_non_positive_prices(self):
        with pytest.raises(InputError, match="positive"):
            expected_returns_and_cov(pd.DataFrame({"A": [1.0, 0.0, 2.0], "B": [1.0, 1.1, 1.2]}))


class TestPortfolioPerformance:
    def test_hand_checked_two_asset_portfolio(self):
        ret, vol, sharpe = portfolio_performance(
            np.array([0.5, 0.5]), np.array([0.04, 0.08]), np.diag([0.01, 0.04]), risk_free_rate=0.02
        )
        # vol = sqrt(0.25 * 0.01 + 0.25 * 0.04) = sqrt(0.0125)
        assert ret == pytest.approx(0.06)
        assert vol == pytest.approx(0.0125**0.5)
        assert sharpe == pytest.approx(0.04 / 0.0125**0.5)

    def test_zero_volatility_portfolio_has_undefined_sharpe(self):
        ret, vol, sharpe = portfolio_performance(np.array([1.0]), np.array([0.02]), np.zeros((1, 1)))
        assert (ret, vol) == (0.02, 0.0) and np.isnan(sharpe)


class TestOptimizeMinVolatility:
    def test_matches_pypfopt_reference_performance_and_weights(self, estimates):
        mu, cov, names = estimates
        w = optimize(mu, cov, method="min_volatility", risk_free_rate=RF)
        assert w.sum() == pytest.approx(1.0, abs=1e-12) and w.min() >= 0
        np.testing.assert_allclose(portfolio_performance(w, mu, cov, RF), MIN_VOL_PERF, rtol=0, atol=PERF_TOL)
        np.testing.assert_allclose(w, _expected_weights(names, MIN_VOL_WEIGHTS), rtol=0, atol=WEIGHT_TOL)

    def test_per_asset_cap_and_group_cap_hold(self, estimates):
        mu, cov, names = estimates
        tech = [names.index(t) for t in TECH]
        w = optimize(
            mu, cov, method="min_volatility", upper=np.full(len(mu), 0.1), groups={"tech": (tech, None, 0.2)}
        )
        assert w.max() <= 0.1 + 1e-8
        assert w[tech].sum() <= 0.2 + 1e-8
        assert w.sum() == pytest.approx(1.0, abs=1e-12)

    def test_lower_bound_acts_as_a_floor(self, estimates):
        mu, cov, names = estimates
        lower = np.zeros(len(mu))
        lower[names.index("MA")] = 0.3
        w = optimize(mu, cov, method="min_volatility", lower=lower)
        assert w[names.index("MA")] == pytest.approx(0.3, abs=1e-7)

    def test_volatility_cap_below_the_minimum_raises_with_both_numbers(self, estimates):
        mu, cov, _ = estimates
        with pytest.raises(InputError, match=r"volatility cap 10% a year is below .*15\.92% a year"):
            optimize(mu, cov, method="min_volatility", max_volatility=0.10)


class TestOptimizeMaxSharpe:
    def test_matches_pypfopt_reference_performance_and_weights(self, estimates):
        mu, cov, names = estimates
        w = optimize(mu, cov, method="max_sharpe", risk_free_rate=RF)
        np.testing.assert_allclose(
            portfolio_performance(w, mu, cov, RF), MAX_SHARPE_PERF, rtol=0, atol=PERF_TOL
        )
        np.testing.assert_allclose(w, _expected_weights(names, MAX_SHARPE_WEIGHTS), rtol=0, atol=WEIGHT_TOL)

    def test_tech_group_cap_binds_and_lowers_sharpe(self, estimates):
        mu, cov, names = estimates
        tech = [names.index(t) for t in TECH]
        w = optimize(mu, cov, method="max_sharpe", groups={"tech": (tech, None, 0.2)})
        assert w[tech].sum() == pytest.approx(0.2, abs=1e-7)  # uncapped tangency holds ~43 % tech
        assert portfolio_performance(w, mu, cov, RF)[2] < MAX_SHARPE_PERF[2]

    def test_group_floor_is_respected(self, estimates):
        mu, cov, names = estimates
        defensive = [names.index(t) for t in ("XOM", "WMT", "T")]
        w = optimize(mu, cov, method="max_sharpe", groups={"defensive": (defensive, 0.5, None)})
        assert w[defensive].sum() >= 0.5 - 1e-7

    def test_volatility_cap_gives_highest_return_at_the_cap(self, estimates):
        mu, cov, _ = estimates
        w = optimize(mu, cov, method="max_sharpe", max_volatility=0.18)
        ret, vol, sharpe = portfolio_performance(w, mu, cov, RF)
        assert vol == pytest.approx(0.18, abs=1e-6)
        assert ret < MAX_SHARPE_PERF[0] and sharpe < MAX_SHARPE_PERF[2]

    def test_volatility_cap_above_tangency_changes_nothing(self, estimates):
        mu, cov, _ = estimates
        w = optimize(mu, cov, method="max_sharpe", max_volatility=0.30)
        np.testing.assert_allclose(portfolio_performance(w, mu, cov, RF), MAX_SHARPE_PERF, atol=PERF_TOL)

    def test_no_asset_beating_the_risk_free_rate_raises(self):
        with pytest.raises(InputError, match="beat the risk-free rate"):
            optimize(np.array([0.01, 0.015]), np.diag([0.01, 0.02]), method="max_sharpe", risk_free_rate=0.02)


class TestOptimizeTargetRisk:
    def test_uses_the_whole_risk_budget_for_the_highest_return(self, estimates) -> None:
        mu, cov, _ = estimates
        w = optimize(mu, cov, method="target_risk", max_volatility=0.20)
        ret, vol, _ = portfolio_performance(w, mu, cov)
        floor = optimize(mu, cov, method="min_volatility")
        assert vol == pytest.approx(0.20, abs=1e-4)
        assert ret > portfolio_performance(floor, mu, cov)[0]
        # nothing on the frontier at that risk earns more: the max-Sharpe portfolio has more risk
        assert (
            ret
            >= portfolio_performance(optimize(mu, cov, method="max_sharpe", max_volatility=0.20), mu, cov)[0]
            - 1e-6
        )

    def test_a_cap_that_does_not_bind_gives_the_highest_return_allowed(self, estimates) -> None:
        mu, cov, _ = estimates
        w = optimize(mu, cov, method="target_risk", max_volatility=5.0, upper=np.full(len(mu), 0.25))
        assert w.max() == pytest.approx(0.25, abs=1e-6) and w.sum() == pytest.approx(1.0)
        top4 = np.sort(mu)[-4:].sum() * 0.25
        assert float(w @ mu) == pytest.approx(top4, abs=1e-6)

    def test_a_cap_below_the_least_volatile_portfolio_is_an_error(self, estimates) -> None:
        mu, cov, _ = estimates
        with pytest.raises(InputError, match="below the lowest volatility"):
            optimize(mu, cov, method="target_risk", max_volatility=0.05)

    def test_the_budget_is_required(self, estimates) -> None:
        mu, cov, _ = estimates
        with pytest.raises(InputError, match="max_volatility"):
            optimize(mu, cov, method="target_risk")


class TestOptimizeRiskParity:
    @pytest.fixture
    def sub(self, estimates):
        mu, cov, names = estimates
        pick = [names.index(t) for t in ("AAPL", "XOM", "WMT", "JPM", "PFE", "MA")]
        return mu[pick], cov[np.ix_(pick, pick)]

    def test_risk_contributions_are_equal_on_real_covariance(self, sub):
        mu, cov = sub
        w = optimize(mu, cov, method="risk_parity")
        rc = risk_contributions(w, cov)
        np.testing.assert_allclose(rc, np.full(len(mu), 1 / len(mu)), rtol=1e-6)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)

    def test_risk_contributions_follow_the_budget(self, sub):
        mu, cov = sub
        budget = np.array([1, 2, 3, 1, 2, 1], dtype=float)
        w = optimize(mu, cov, method="risk_parity", risk_budget=budget)
        np.testing.assert_allclose(risk_contributions(w, cov), budget / budget.sum(), rtol=1e-6)

    def test_binding_cap_is_respected_and_rest_stays_near_parity(self, sub):
        mu, cov = sub
        free = optimize(mu, cov, method="risk_parity")
        cap = float(free.max()) - 0.03
        w = optimize(mu, cov, method="risk_parity", upper=np.full(len(mu), cap))
        assert w.max() <= cap + 1e-8 and w.sum() == pytest.approx(1.0, abs=1e-9)
        assert np.abs(risk_contributions(w, cov) - 1 / len(mu)).max() < 0.05

    def test_volatility_cap_is_refused(self, sub):
        mu, cov = sub
        with pytest.raises(InputError, match="risk_parity sets the mix of risk"):
            optimize(mu, cov, method="risk_parity", max_volatility=0.2)

    def test_zero_variance_asset_is_refused(self):
        with pytest.raises(InputError, match="zero variance: cash"):
            optimize(
                np.array([0.02, 0.05]),
                np.diag([0.0, 0.04]),
                method="risk_parity",
                asset_names=["cash", "stock"],
            )


class TestOptimizeInputs:
    def test_cash_floor_and_equity_floor_that_cannot_both_hold_are_named(self, estimates):
        mu, cov, names = estimates
        n = len(mu) + 1  # add a cash asset
        mu_c = np.append(mu, 0.02)
        cov_c = np.zeros((n, n))
        cov_c[:-1, :-1] = cov
        cov_c[-1, -1] = 1e-6
        lower = np.zeros(n)
        lower[-1] = 0.6
        with pytest.raises(InputError) as info:
            optimize(
                mu_c,
                cov_c,
                method="min_volatility",
                lower=lower,
                groups={"equity": (list(range(len(mu))), 0.6, None)},
                asset_names=[*names, "cash"],
            )
        message = str(info.value)
        assert "minimum weight 60% on cash" in message
        assert "equity at least 60%" in message
        assert "Loosen one of them" in message
        assert len(info.value.errors) == 2

    def test_group_caps_too_tight_to_fill_the_portfolio_are_named(self):
        with pytest.raises(InputError, match="A at most 30%; B at most 30%"):
            optimize(
                np.array([0.05, 0.06]),
                np.diag([0.01, 0.02]),
                method="max_sharpe",
                groups={"A": ([0], None, 0.3), "B": ([1], None, 0.3)},
            )

    def test_unknown_method_lists_the_choices(self):
        with pytest.raises(InputError, match="min_volatility, max_sharpe, target_risk, risk_parity"):
            optimize(np.array([0.05]), np.eye(1), method="equal_weight")

    def test_misaligned_covariance_is_rejected(self):
        with pytest.raises(InputError, match="cov must be 2 x 2"):
            optimize(np.array([0.05, 0.06]), np.eye(3), method="min_volatility")

    def test_covariance_that_is_not_positive_semidefinite_is_rejected(self):
        with pytest.raises(InputError, match="not positive semi-definite"):
            optimize(np.array([0.05, 0.06]), np.array([[0.01, 0.05], [0.05, 0.01]]), method="min_volatility")

    def test_risk_budget_outside_risk_parity_is_rejected(self):
        with pytest.raises(InputError, match="only risk_parity takes a risk budget"):
            optimize(np.array([0.05, 0.06]), np.eye(2), method="min_volatility", risk_budget=np.ones(2))
