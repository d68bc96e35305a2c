"""Robo-allocation: the proposal core that turns a client's limits and a product list into weights. Pure.

Plain dataclasses in (:class:`AllocationRequest` with :class:`Candidate` products), a
:class:`Proposal` out, for a relationship manager to review. Suitability (``eligible``) is decided
elsewhere; this module applies the client's risk budget, cash floor, sector caps, a
concentration limit and the products' minimum investments, solves with
:func:`fincrm.portfolio.optimize.optimize`, and explains the result in English and Simplified
Chinese using only numbers from the request and the result.

Conventions: weights and shares are fractions (0.3 = 30 %); returns and volatility are annual
fractions (see :mod:`fincrm.portfolio.optimize`); amounts are CNY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fincrm.errors import FieldError, InputError
from fincrm.portfolio.optimize import METHODS, optimize, portfolio_performance
from fincrm.products.domain import AssetClass, RiskRating


@dataclass(frozen=True, slots=True)
class RiskBudget:
    """Limits for one investor risk level: volatility and equity share, annual fractions."""

    max_volatility: float  # annualised volatility cap, fraction (0.10 = 10 % a year)
    max_equity_share: float  # cap on equity + alternative weight, fraction


# Default risk budget per investor risk level (C1 conservative .. C5 aggressive). House defaults,
# to be reviewed by the investment committee: the volatility cap is annualised (fraction a
# year) and the equity share counts equity and alternative products (fraction of the total).
RISK_BUDGETS: dict[str, RiskBudget] = {
    "C1": RiskBudget(max_volatility=0.03, max_equity_share=0.0),
    "C2": RiskBudget(max_volatility=0.06, max_equity_share=0.2),
    "C3": RiskBudget(max_volatility=0.10, max_equity_share=0.5),
    "C4": RiskBudget(max_volatility=0.15, max_equity_share=0.7),
    "C5": RiskBudget(max_volatility=0.22, max_equity_share=1.0),
}
# The institution's model allocation per risk level (asset class -> share): the target of the
# asset health check when the client has no accepted proposal. Growth classes stay within each
# level's ``max_equity_share``; a test checks that they do and that each mix sums to 1.
MODEL_MIX: dict[str, dict[str, float]] = {
    "C1": {"cash": 0.30, "bond": 0.70},
    "C2": {"cash": 0.15, "bond": 0.65, "equity": 0.15, "commodity": 0.05},
    "C3": {"cash": 0.10, "bond": 0.40, "equity": 0.40, "commodity": 0.05, "real_estate": 0.05},
    "C4": {"cash": 0.05, "bond": 0.25, "equity": 0.60, "commodity": 0.05, "real_estate": 0.05},
    "C5": {
        "cash": 0.05,
        "bond": 0.10,
        "equity": 0.70,
        "commodity": 0.05,
        "real_estate": 0.05,
        "alternative": 0.05,
    },
}
# Asset classes counted against the equity share cap.
GROWTH_CLASSES = (AssetClass.EQUITY.value, AssetClass.ALTERNATIVE.value)
# Rounds of "drop products below their minimum investment, solve again" before giving up.
MAX_RESOLVE_ROUNDS = 10
# Slack when deciding that a limit binds (weight fraction; weights are rounded to 1e-4).
BINDING_TOL = 1e-4
# Methods that take a volatility cap in the optimiser; risk parity is checked after solving.
VOL_CAPPED_METHODS = ("min_volatility", "max_sharpe", "target_risk")

RISK_LABELS_EN = {
    "C1": "conservative",
    "C2": "cautious",
    "C3": "balanced",
    "C4": "growth",
    "C5": "aggressive",
}
RISK_LABELS_ZH = {"C1": "保守型", "C2": "谨慎型", "C3": "稳健型", "C4": "积极型", "C5": "激进型"}
METHOD_LABELS_EN = {
    "min_volatility": "minimum volatility",
    "max_sharpe": "maximum Sharpe ratio",
    "target_risk": "highest expected return within the risk budget",
    "risk_parity": "risk parity",
}
METHOD_LABELS_ZH = {
    "min_volatility": "最小波动", "max_sharpe": "最大夏普比率", "target_risk": "风险预算内预期收益最高", "risk_parity": "风险平价",
}  # fmt: skip
# Display names of common sector keys; other keys are shown as given.
SECTOR_LABELS_EN = {"tech": "Technology", "finance": "Financials", "energy": "Energy", "consumer": "Consumer"}
SECTOR_LABELS_ZH = {"tech": "科技", "finance": "金融", "energy": "能源", "consumer": "消费"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A product that may enter the proposal; ``min_investment_amount`` in CNY."""

    code: str
    name: str
    asset_class: str  # one of products.domain.AssetClass
    risk_rating: str  # R1 .. R5
    min_investment_amount: float  # CNY
    eligible: bool  # suitability verdict, decided elsewhere
    sector: str = ""
    reason_ineligible: str = ""
    reason_ineligible_zh: str = ""  # the same reason in Chinese (default: ``reason_ineligible``)


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """What to allocate for one client.

    ``mu`` (annual fractions) and ``cov`` (annualised) are aligned with ``candidates``.
    ``cash_floor_share``, ``sector_caps`` and ``max_weight`` are fractions of
    ``invest_amount`` (CNY). The ``*_zh`` reasons are used in the Chinese rationale; when
    empty, the plain reason is used in both languages.
    """

    client_no: str
    effective_risk: str  # C1 .. C5
    invest_amount: float  # CNY
    candidates: list[Candidate]
    mu: np.ndarray
    cov: np.ndarray
    method: str = "min_volatility"
    cash_floor_share: float = 0.0
    cash_floor_reason: str = ""
    sector_caps: dict[str, float] = field(default_factory=dict)
    sector_cap_reasons: dict[str, str] = field(default_factory=dict)
    max_weight: float = 0.4
    cash_floor_reason_zh: str = ""
    sector_cap_reasons_zh: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Proposal:
    """The proposed allocation and why.

    ``weights`` are fractions rounded to 4 decimals summing to exactly 1; ``amounts`` CNY to
    2 decimals summing to the invested amount; only products held appear. Return,
    volatility and Sharpe are of the rounded weights (annual fractions; Sharpe at a 2 %
    risk-free rate).
    """

    weights: dict[str, float]
    amounts: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    method: str
    binding: list[str]
    excluded: dict[str, str]
    rationale_zh: str
    rationale_en: str
    client_no: str = ""


def propose(request: AllocationRequest, *, risk_free_rate: float = 0.02) -> Proposal:
    """Propose weights and amounts for a client within their risk budget and limits.

    Ineligible candidates are left out with their reason. The risk budget of
    ``effective_risk`` (:data:`RISK_BUDGETS`) caps volatility (for ``min_volatility`` and
    ``max_sharpe``; a risk-parity result above the cap is rejected) and always caps the
    equity + alternative share. The cash floor is a minimum on the summed weight of the cash
    products; ``sector_caps`` cap sectors; ``max_weight`` caps each product. After solving,
    any product whose amount is above 0 but below its minimum investment is dropped and the
    problem solved again, up to :data:`MAX_RESOLVE_ROUNDS` rounds; each drop is recorded in
    ``excluded``.

    Parameters
    ----------
    request
        The client, amount (CNY), candidates with aligned ``mu``/``cov`` and limits.
    risk_free_rate
        Annual fraction, for ``max_sharpe`` and the reported Sharpe ratio.

    Returns
    -------
    Proposal
        Rounded weights (sum exactly 1), CNY amounts, performance, binding limits,
        exclusions and the rationale in Chinese and English.

    Raises
    ------
    InputError
        Invalid request fields (all listed at once), a cash floor with no eligible cash
        product, no eligible product, limits that cannot all hold, or minimum investments
        that do not settle within the allowed rounds.
    """
    _validate(request)
    budget = RISK_BUDGETS[request.effective_risk]
    excluded: dict[str, str] = {}
    excluded_zh: dict[str, str] = {}
    active: list[int] = []
    for i, c in enumerate(request.candidates):
        if c.eligible:
            active.append(i)
        else:
            excluded[c.code] = c.reason_ineligible or "not suitable for this client"
            excluded_zh[c.code] = c.reason_ineligible_zh or c.reason_ineligible or "不适合该客户"

    for round_no in range(1, MAX_RESOLVE_ROUNDS + 1):
        chosen = [request.candidates[i] for i in active]
        if not chosen:
            raise InputError(
                f"no product is left to allocate for client {request.client_no}: "
                + "; ".join(f"{code}: {why}" for code, why in excluded.items()),
                errors=[FieldError(("candidates",), "no eligible product left")],
            )
        mu = np.asarray(request.mu, dtype=float)[active]
        cov = np.asarray(request.cov, dtype=float)[np.ix_(active, active)]
        raw = _solve(request, budget, chosen, mu, cov, risk_free_rate)
        units = _round_units(raw)
        too_small = [
            k
            for k, c in enumerate(chosen)
            if 0 < units[k] and units[k] / 10_000 * request.invest_amount < c.min_investment_amount
        ]
        if not too_small:
            break
        for k in too_small:
            c = chosen[k]
            amount = units[k] / 10_000 * request.invest_amount
            excluded[c.code] = (
                f"amount CNY {amount:,.2f} would be below the minimum investment "
                f"CNY {c.min_investment_amount:,.2f} (dropped in round {round_no})"
            )
            excluded_zh[c.code] = (
                f"配置金额{amount:,.2f}元低于起投金额{c.min_investment_amount:,.2f}元（第{round_no}轮剔除）"
            )
        active = [i for k, i in enumerate(active) if k not in too_small]
    else:
        raise InputError(
            f"minimum investments did not settle within {MAX_RESOLVE_ROUNDS} rounds; "
            "raise the amount or offer products with lower minimums",
            errors=[
                FieldError(("invest_amount",), "too small for the products' minimums", request.invest_amount)
            ],
        )

    weights = units / 10_000
    ret, vol, sharpe = portfolio_performance(weights, mu, cov, risk_free_rate)
    cents = _split_cents(units, request.invest_amount)
    held = [k for k in range(len(chosen)) if units[k] > 0]
    shares = _shares(request, chosen, weights)
    binding = _binding(request, budget, chosen, weights, vol, shares)
    facts = _Facts(request, budget, ret, vol, sharpe, shares, excluded, excluded_zh)
    return Proposal(
        weights={chosen[k].code: round(float(weights[k]), 4) for k in held},
        amounts={chosen[k].code: cents[k] / 100 for k in held},
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        method=request.method,
        binding=binding,
        excluded=excluded,
        rationale_zh=_rationale_zh(facts),
        rationale_en=_rationale_en(facts),
        client_no=request.client_no,
    )


# -- validation and solving --------------------------------------------------------------------


def _validate(request: AllocationRequest) -> None:
    errors: list[FieldError] = []
    if request.effective_risk not in RISK_BUDGETS:
        errors.append(
            FieldError(
                ("effective_risk",), f"must be one of {', '.join(RISK_BUDGETS)}", request.effective_risk
            )
        )
    if request.method not in METHODS:
        errors.append(FieldError(("method",), f"must be one of {', '.join(METHODS)}", request.method))
    if not request.invest_amount > 0:
        errors.append(FieldError(("invest_amount",), "must be a positive CNY amount", request.invest_amount))
    n = len(request.candidates)
    if n == 0:
        errors.append(FieldError(("candidates",), "at least one candidate is needed"))
    codes = [c.code for c in request.candidates]
    if len(set(codes)) != n:
        errors.append(FieldError(("candidates",), "product codes must be unique"))
    classes = [a.value for a in AssetClass]
    ratings = [r.value for r in RiskRating]
    for i, c in enumerate(request.candidates):
        if c.asset_class not in classes:
            errors.append(
                FieldError(
                    ("candidates", i, "asset_class"), f"must be one of {', '.join(classes)}", c.asset_class
                )
            )
        if c.risk_rating not in ratings:
            errors.append(
                FieldError(
                    ("candidates", i, "risk_rating"), f"must be one of {', '.join(ratings)}", c.risk_rating
                )
            )
        if c.min_investment_amount < 0:
            errors.append(
                FieldError(
                    ("candidates", i, "min_investment_amount"),
                    "must not be negative",
                    c.min_investment_amount,
                )
            )
    if np.shape(request.mu) != (n,) or np.shape(request.cov) != (n, n):
        errors.append(FieldError(("mu",), f"mu and cov must be aligned with the {n} candidates"))
    if not 0 <= request.cash_floor_share <= 1:
        errors.append(
            FieldError(("cash_floor_share",), "must be a fraction between 0 and 1", request.cash_floor_share)
        )
    elif request.cash_floor_share > 0 and not any(
        c.eligible and c.asset_class == AssetClass.CASH.value for c in request.candidates
    ):
        errors.append(
            FieldError(
                ("cash_floor_share",),
                "a cash floor needs at least one eligible cash product among the candidates",
                request.cash_floor_share,
            )
        )
    for sector, cap in request.sector_caps.items():
        if not 0 <= cap <= 1:
            errors.append(FieldError(("sector_caps", sector), "must be a fraction between 0 and 1", cap))
    if not 0 < request.max_weight <= 1:
        errors.append(
            FieldError(("max_weight",), "must be a fraction above 0 and at most 1", request.max_weight)
        )
    if errors:
        raise InputError(
            f"cannot propose an allocation for client {request.client_no}: " + "; ".join(map(str, errors)),
            errors=errors,
        )


def _groups(request: AllocationRequest, budget: RiskBudget, chosen: list[Candidate]):
    groups: dict[str, tuple[list[int], float | None, float | None]] = {}
    growth = [k for k, c in enumerate(chosen) if c.asset_class in GROWTH_CLASSES]
    if growth and budget.max_equity_share < 1:
        groups[f"equity share (risk level {request.effective_risk})"] = (
            growth,
            None,
            budget.max_equity_share,
        )
    if request.cash_floor_share > 0:
        cash = [k for k, c in enumerate(chosen) if c.asset_class == AssetClass.CASH.value]
        if not cash:  # every cash product was dropped for its minimum investment
            raise InputError(
                f"the cash floor of {request.cash_floor_share:.0%} cannot be met: no cash product is left "
                "(dropped for minimum investment or not eligible)",
                errors=[FieldError(("cash_floor_share",), "no cash product left", request.cash_floor_share)],
            )
        groups["cash floor"] = (cash, request.cash_floor_share, None)
    for sector, cap in request.sector_caps.items():
        members = [k for k, c in enumerate(chosen) if c.sector == sector]
        if members and cap < 1:
            groups[f"sector {sector}"] = (members, None, cap)
    return groups


def _solve(request, budget, chosen, mu, cov, risk_free_rate) -> np.ndarray:
    capped = request.method in VOL_CAPPED_METHODS
    weights = optimize(
        mu,
        cov,
        method=request.method,
        upper=np.full(len(chosen), request.max_weight),
        groups=_groups(request, budget, chosen),
        risk_free_rate=risk_free_rate,
        max_volatility=budget.max_volatility if capped else None,
        asset_names=[c.code for c in chosen],
    )
    if not capped:
        vol = float(np.sqrt(weights @ cov @ weights))
        if vol > budget.max_volatility + 1e-6:
            raise InputError(
                f"risk parity gives {vol:.1%} volatility a year, above the {budget.max_volatility:.0%} "
                f"cap for risk level {request.effective_risk}; use min_volatility or max_sharpe",
                errors=[FieldError(("method",), "result exceeds the volatility cap", request.method)],
            )
    return weights


def _round_units(weights: np.ndarray) -> np.ndarray:
    """Weights in units of 1e-4, summing to exactly 10,000, by largest remainders: each unit left
    after rounding down goes to the weight that lost most, so no weight moves by a whole unit and a
    weight at its cap is not pushed over it (putting the residual on the largest weight could)."""
    scaled = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    scaled = scaled / scaled.sum() * 10_000
    units = np.floor(scaled).astype(np.int64)
    left = 10_000 - int(units.sum())
    order = np.lexsort((np.arange(len(scaled)), -(scaled - units)))  # largest remainder, then index
    units[order[:left]] += 1
    return units


def _split_cents(units: np.ndarray, invest_amount: float) -> np.ndarray:
    """CNY cents per product, summing to the invested amount; the residual goes on the largest."""
    total = int(round(invest_amount * 100))
    cents = np.rint(units / 10_000 * total).astype(np.int64)
    cents[int(np.argmax(units))] += total - int(cents.sum())
    return cents


def _shares(request: AllocationRequest, chosen: list[Candidate], weights: np.ndarray) -> dict[str, float]:
    def share(pred) -> float:
        return float(sum(w for c, w in zip(chosen, weights, strict=True) if pred(c)))

    out = {
        "equity": share(lambda c: c.asset_class in GROWTH_CLASSES),
        "cash": share(lambda c: c.asset_class == AssetClass.CASH.value),
    }
    for sector in request.sector_caps:
        out[f"sector:{sector}"] = share(lambda c, s=sector: c.sector == s)
    return out


def _binding(request, budget, chosen, weights, vol, shares) -> list[str]:
    binding: list[str] = []
    if request.method in VOL_CAPPED_METHODS and vol >= budget.max_volatility - BINDING_TOL:
        binding.append(f"volatility cap {budget.max_volatility:.0%}")
    if budget.max_equity_share < 1 and shares["equity"] >= budget.max_equity_share - BINDING_TOL:
        binding.append(f"equity share cap {budget.max_equity_share:.0%}")
    if request.cash_floor_share > 0 and shares["cash"] <= request.cash_floor_share + BINDING_TOL:
        binding.append(f"cash floor {_pct(request.cash_floor_share)}")
    for sector, cap in request.sector_caps.items():
        if cap < 1 and shares[f"sector:{sector}"] >= cap - BINDING_TOL:
            binding.append(f"sector cap {sector} {_pct(cap)}")
    for c, w in zip(chosen, weights, strict=True):
        if w >= request.max_weight - BINDING_TOL:
            binding.append(f"max weight {_pct(request.max_weight)} on {c.code}")
    return binding


# -- rationale ---------------------------------------------------------------------------------


def _pct(x: float) -> str:
    """A limit from the request as a percentage without spurious decimals: 0.3 -> '30%'."""
    return f"{100 * x:.4g}%"


def _res(x: float) -> str:
    """A result as a percentage to one decimal: 0.0481 -> '4.8%'."""
    return f"{100 * x:.1f}%"


@dataclass(frozen=True, slots=True)
class _Facts:
    request: AllocationRequest
    budget: RiskBudget
    ret: float
    vol: float
    sharpe: float
    shares: dict[str, float]
    excluded: dict[str, str]
    excluded_zh: dict[str, str]


RATIONALE_EXCLUDED_SHOWN = 3  # products left out named in the rationale; the proposal lists all


def _first(excluded: dict[str, str]) -> list[tuple[str, str]]:
    return list(excluded.items())[:RATIONALE_EXCLUDED_SHOWN]


def _more_en(excluded: dict[str, str]) -> str:
    more = len(excluded) - RATIONALE_EXCLUDED_SHOWN
    return f"; and {more} more (listed with the proposal)" if more > 0 else ""


def _more_zh(excluded: dict[str, str]) -> str:
    more = len(excluded) - RATIONALE_EXCLUDED_SHOWN
    return f"；另有{more}只产品（见方案明细）" if more > 0 else ""


def _rationale_en(f: _Facts) -> str:
    r, b = f.request, f.budget
    level = r.effective_risk
    if b.max_equity_share == 0:
        equity = "hold no equities"
    elif b.max_equity_share >= 1:
        equity = "place no cap on equities"
    else:
        equity = f"equities under {_pct(b.max_equity_share)}"
    parts = [
        f"For a {level} ({RISK_LABELS_EN[level]}) investor we keep volatility under "
        f"{_pct(b.max_volatility)} a year and {equity}."
    ]
    if r.cash_floor_share > 0:
        reason = f" because {r.cash_floor_reason}" if r.cash_floor_reason else ""
        held = (
            f" (the proposal holds {_res(f.shares['cash'])})"
            if f.shares["cash"] > r.cash_floor_share + BINDING_TOL
            else ""
        )
        parts.append(f"At least {_pct(r.cash_floor_share)} stays in cash{reason}{held}.")
    for sector, cap in r.sector_caps.items():
        label = SECTOR_LABELS_EN.get(sector, sector)
        reason = r.sector_cap_reasons.get(sector, "")
        parts.append(f"{label} is capped at {_pct(cap)}" + (f" ({reason})." if reason else "."))
    parts.append(f"No single product exceeds {_pct(r.max_weight)}. Method: {METHOD_LABELS_EN[r.method]}.")
    if f.excluded:
        parts.append(
            "Left out: "
            + "; ".join(f"{code} ({why})" for code, why in _first(f.excluded))
            + _more_en(f.excluded)
            + "."
        )
    sharpe = "" if np.isnan(f.sharpe) else f", Sharpe ratio {f.sharpe:.2f}"
    parts.append(f"Expected return {_res(f.ret)} a year at {_res(f.vol)} volatility{sharpe}.")
    return " ".join(parts)


def _rationale_zh(f: _Facts) -> str:
    r, b = f.request, f.budget
    level = r.effective_risk
    if b.max_equity_share == 0:
        equity = "不配置权益类"
    elif b.max_equity_share >= 1:
        equity = "权益类不设上限"
    else:
        equity = f"权益类不超过{_pct(b.max_equity_share)}"
    parts = [
        f"{RISK_LABELS_ZH[level]}（{level}）客户：年化波动控制在{_pct(b.max_volatility)}以内，{equity}。"
    ]
    if r.cash_floor_share > 0:
        reason = r.cash_floor_reason_zh or r.cash_floor_reason
        cause = f"因{reason}，" if reason else ""
        held = (
            f"（本方案现金占{_res(f.shares['cash'])}）"
            if f.shares["cash"] > r.cash_floor_share + BINDING_TOL
            else ""
        )
        parts.append(f"{cause}保留至少{_pct(r.cash_floor_share)}现金{held}。")
    for sector, cap in r.sector_caps.items():
        label = SECTOR_LABELS_ZH.get(sector, sector)
        reason = r.sector_cap_reasons_zh.get(sector) or r.sector_cap_reasons.get(sector, "")
        parts.append(f"{label}行业上限{_pct(cap)}" + (f"（{reason}）。" if reason else "。"))
    parts.append(f"单只产品不超过{_pct(r.max_weight)}。优化方法：{METHOD_LABELS_ZH[r.method]}。")
    if f.excluded_zh:
        parts.append(
            "未纳入："
            + "；".join(f"{code}（{why}）" for code, why in _first(f.excluded_zh))
            + _more_zh(f.excluded_zh)
            + "。"
        )
    sharpe = "" if np.isnan(f.sharpe) else f"，夏普比率{f.sharpe:.2f}"
    parts.append(f"预期年化收益{_res(f.ret)}，年化波动{_res(f.vol)}{sharpe}。")
    return "".join(parts)
