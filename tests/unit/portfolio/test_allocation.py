"""Robo-allocation proposals on real equity data plus synthetic cash and bond products.

Equity "products" take mu/cov from the PyPortfolioOpt test prices (/work/shared/data/pypfopt-tests,
the convention of fincrm.portfolio.optimize.expected_returns_and_cov). Cash and bonds are
synthetic, uncorrelated with the equities: cash mu 2 % at 0.1 % volatility; bond A mu 3.5 % at
3 %, bond B mu 4 % at 4 %, the two bonds correlated 0.5; gold mu 4 % at 12 %.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.portfolio.allocation import RISK_BUDGETS, AllocationRequest, Candidate, propose
from fincrm.portfolio.optimize import expected_returns_and_cov, portfolio_performance
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA / "pypfopt-tests"
TICKERS = {
    "AAPL": "tech",
    "AMZN": "tech",
    "GOOG": "tech",
    "XOM": "energy",
    "WMT": "consumer",
    "JPM": "finance",
}


@pytest.fixture(scope="module")
def universe() -> tuple[list[Candidate], np.ndarray, np.ndarray]:
    prices = pd.read_csv(DATA / "stock_prices.csv", parse_dates=True, index_col="date")[list(TICKERS)]
    mu_eq, cov_eq = expected_returns_and_cov(prices)
    equities = [
        Candidate(code=t, name=f"{t} equity fund", asset_class="equity", sector=s, risk_rating="R4",
                  min_investment_amount=1_000.0, eligible=True)
        for t, s in TICKERS.items()
    ]  # fmt: skip
    others = [
        Candidate("CASH", "Money market fund", "cash", "R1", 1.0, True),
        Candidate("BONDA", "Short bond fund", "bond", "R2", 1_000.0, True),
        Candidate("BONDB", "Credit bond fund", "bond", "R2", 1_000.0, True),
        Candidate("GOLD", "Gold ETF", "commodity", "R3", 1_000.0, True),
    ]
    vols = np.array([0.001, 0.03, 0.04, 0.12])
    cov_o = np.diag(vols**2)
    cov_o[1, 2] = cov_o[2, 1] = 0.5 * 0.03 * 0.04
    n_eq = len(equities)
    cov = np.zeros((n_eq + 4, n_eq + 4))
    cov[:n_eq, :n_eq] = cov_eq.to_numpy()
    cov[n_eq:, n_eq:] = cov_o
    mu = np.concatenate([mu_eq.to_numpy(), [0.02, 0.035, 0.04, 0.04]])
    return equities + others, mu, cov


def _request(universe, **changes) -> AllocationRequest:
    candidates, mu, cov = universe
    base = AllocationRequest(
        client_no="C0001", effective_risk="C3", invest_amount=500_000.0, candidates=candidates, mu=mu, cov=cov
    )
    return dataclasses.replace(base, **changes)


def _share(proposal, candidates, pred) -> float:
    by_code = {c.code: c for c in candidates}
    return sum(w for code, w in proposal.weights.items() if pred(by_code[code]))


class TestPropose:
    def test_weights_have_four_decimals_sum_to_one_and_amounts_to_the_total(self, universe):
        p = propose(_request(universe, method="max_sharpe"))
        assert all(round(w, 4) == w and w > 0 for w in p.weights.values())
        assert round(sum(p.weights.values()), 4) == 1.0
        assert round(sum(p.amounts.values()), 2) == 500_000.0
        assert p.amounts.keys() == p.weights.keys()
        assert all(round(a, 2) == a for a in p.amounts.values())

    def test_risk_budget_caps_volatility_and_equity_share(self, universe):
        candidates, _, _ = universe
        for level in ("C2", "C3", "C4"):
            p = propose(_request(universe, effective_risk=level, method="max_sharpe"))
            budget = RISK_BUDGETS[level]
            assert p.volatility <= budget.max_volatility + 1e-4
            assert (
                _share(p, candidates, lambda c: c.asset_class == "equity") <= budget.max_equity_share + 1e-4
            )

    def test_volatility_cap_binds_when_the_best_mix_is_riskier(self, universe):
        candidates, mu, cov = universe
        risky_gold = mu.copy()
        risky_gold[-1] = 0.10  # gold at 10 % a year and 12 % volatility pulls the mix above 3 %
        p = propose(
            _request(universe, mu=risky_gold, effective_risk="C1", method="max_sharpe", max_weight=0.5)
        )
        assert p.volatility == pytest.approx(0.03, abs=1e-4)
        assert "volatility cap 3%" in p.binding
        assert "volatility under 3% a year" in p.rationale_en
        assert "年化波动控制在3%以内" in p.rationale_zh

    def test_c1_client_gets_no_equity(self, universe):
        candidates, _, _ = universe
        p = propose(_request(universe, effective_risk="C1", max_weight=0.5))
        assert _share(p, candidates, lambda c: c.asset_class == "equity") == 0
        assert "hold no equities" in p.rationale_en and "不配置权益类" in p.rationale_zh
        assert "保守型（C1）" in p.rationale_zh

    def test_cash_floor_is_honoured_and_named_in_both_rationales(self, universe):
        candidates, _, _ = universe
        p = propose(
            _request(
                universe,
                method="max_sharpe",
                cash_floor_share=0.3,
                cash_floor_reason="a renovation is expected soon",
                cash_floor_reason_zh="预计近期装修",
            )
        )
        assert _share(p, candidates, lambda c: c.asset_class == "cash") >= 0.3
        assert "cash floor 30%" in p.binding
        assert "At least 30% stays in cash because a renovation is expected soon" in p.rationale_en
        assert "因预计近期装修，保留至少30%现金" in p.rationale_zh

    def test_tech_cap_is_honoured_and_explained(self, universe):
        candidates, _, _ = universe
        free = propose(_request(universe, effective_risk="C5", method="max_sharpe"))
        assert _share(free, candidates, lambda c: c.sector == "tech") > 0.05  # the cap has work to do
        p = propose(
            _request(
                universe,
                effective_risk="C5",
                method="max_sharpe",
                sector_caps={"tech": 0.05},
                sector_cap_reasons={"tech": "client dislikes tech stocks"},
                sector_cap_reasons_zh={"tech": "客户不喜欢科技股"},
            )
        )
        assert _share(p, candidates, lambda c: c.sector == "tech") <= 0.05 + 1e-4
        assert "sector cap tech 5%" in p.binding
        assert "Technology is capped at 5% (client dislikes tech stocks)." in p.rationale_en
        assert "科技行业上限5%（客户不喜欢科技股）" in p.rationale_zh

    def test_ineligible_products_are_excluded_with_their_reason(self, universe):
        candidates, mu, cov = universe
        marked = [
            dataclasses.replace(c, eligible=False, reason_ineligible="R4 product above the client's C2 level")
            if c.asset_class == "equity" and c.code != "WMT"
            else c
            for c in candidates
        ]
        p = propose(_request(universe, candidates=marked, effective_risk="C2", method="max_sharpe"))
        assert set(p.weights) <= {"WMT", "CASH", "BONDA", "BONDB", "GOLD"}
        assert p.excluded["AAPL"] == "R4 product above the client's C2 level"
        assert len(p.excluded) == 5
        assert "AAPL (R4 product above the client's C2 level)" in p.rationale_en

    def test_product_below_minimum_investment_is_dropped_and_the_rest_resolved(self, universe):
        candidates, _, _ = universe
        first = propose(_request(universe, effective_risk="C4", method="max_sharpe"))
        code, amount = min(first.amounts.items(), key=lambda kv: kv[1])
        raised = [
            dataclasses.replace(c, min_investment_amount=amount + 10_000) if c.code == code else c
            for c in candidates
        ]
        p = propose(_request(universe, candidates=raised, effective_risk="C4", method="max_sharpe"))
        assert code not in p.weights
        assert p.excluded[code].startswith(f"amount CNY {amount:,.2f} would be below the minimum investment")
        assert "round 1" in p.excluded[code]
        assert round(sum(p.weights.values()), 4) == 1.0
        mins = {c.code: c.min_investment_amount for c in raised}
        assert all(a >= mins[c] for c, a in p.amounts.items())
        assert "起投金额" in p.rationale_zh

    def test_rationale_numbers_equal_the_result(self, universe):
        candidates, mu, cov = universe
        p = propose(_request(universe, method="max_sharpe", cash_floor_share=0.2))
        codes = [c.code for c in candidates]
        w = np.array([p.weights.get(c, 0.0) for c in codes])
        ret, vol, sharpe = portfolio_performance(w, mu, cov, 0.02)
        assert (p.expected_return, p.volatility, p.sharpe) == pytest.approx((ret, vol, sharpe), abs=1e-12)
        assert f"Expected return {100 * ret:.1f}% a year at {100 * vol:.1f}% volatility" in p.rationale_en
        assert f"Sharpe ratio {sharpe:.2f}" in p.rationale_en
        assert f"预期年化收益{100 * ret:.1f}%，年化波动{100 * vol:.1f}%" in p.rationale_zh
        numbers_en = set(re.findall(r"\d+(?:\.\d+)?", p.rationale_en)) - {"3"}  # the "C3" label
        allowed = {"10", "50", "20", "40", f"{100 * ret:.1f}", f"{100 * vol:.1f}", f"{sharpe:.2f}"}
        assert numbers_en <= allowed

    def test_risk_parity_within_budget_gives_a_proposal(self, universe):
        p = propose(_request(universe, effective_risk="C5", method="risk_parity", max_weight=0.3))
        assert p.method == "risk_parity" and round(sum(p.weights.values()), 4) == 1.0
        assert "风险平价" in p.rationale_zh

    def test_cash_floor_above_one_is_rejected(self, universe):
        with pytest.raises(InputError, match="cash_floor_share: must be a fraction between 0 and 1"):
            propose(_request(universe, cash_floor_share=1.1))

    def test_cash_floor_without_a_cash_product_is_rejected(self, universe):
        candidates, mu, cov = universe
        keep = [i for i, c in enumerate(candidates) if c.asset_class != "cash"]
        with pytest.raises(InputError, match="needs at least one eligible cash product"):
            propose(
                _request(
                    universe,
                    candidates=[candidates[i] for i in keep],
                    mu=mu[keep],
                    cov=cov[np.ix_(keep, keep)],
                    cash_floor_share=0.3,
                )
            )

    def test_conflicting_limits_name_the_constraints(self, universe):
        # one cash product, at most 40 % per product, yet 60 % must be cash
        with pytest.raises(InputError) as info:
            propose(_request(universe, cash_floor_share=0.6))
        assert "maximum weight 40% on CASH" in str(info.value)
        assert "cash floor at least 60%" in str(info.value)

    def test_unknown_risk_level_and_method_are_reported_together(self, universe):
        with pytest.raises(InputError) as info:
            propose(_request(universe, effective_risk="C9", method="guess"))
        assert {e.loc for e in info.value.errors} == {("effective_risk",), ("method",)}


class TestRoundUnits:
    def test_units_sum_to_one_and_a_weight_at_its_cap_is_not_pushed_over(self) -> None:
        from fincrm.portfolio.allocation import _round_units

        units = _round_units(np.array([0.4, 0.4, 0.19996, 0.00004]))
        assert units.sum() == 10_000
        assert units.tolist() == [4000, 4000, 2000, 0]

    def test_each_weight_moves_by_less_than_one_unit(self) -> None:
        from fincrm.portfolio.allocation import _round_units

        w = np.array([1, 1, 1], dtype=float) / 3
        units = _round_units(w)
        assert units.sum() == 10_000 and np.all(np.abs(units - w * 10_000) < 1)
