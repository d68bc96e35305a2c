"""Risk-adjusted comparison (风险调整后收益): which of two products pays more per unit of risk.

Pure module. Conventions: ``annual_return``, ``volatility``, ``risk_free`` and ``max_drawdown``
are annual fractions (0.06 means 6 % a year); volatility is the annualised standard deviation of
returns. Per unit of risk = (annual_return - risk_free) / volatility, shown and compared at two
decimals, so the sentence and the verdict agree. A product with zero volatility has "no
measurable risk" and no ratio: if it beats the risk-free rate it ranks above every risky product
(among such products the higher return ranks first); at the risk-free rate it counts as 0; below
it, last. The chart is a JSON-ready description of a risk/return scatter for a page or report to
draw; no plotting here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fincrm.errors import FieldError, InputError

RATIO_DECIMALS = 2  # per-unit-of-risk figures are shown and compared at this precision

Better = Literal["a", "b", "equal"]


@dataclass(frozen=True, slots=True)
class RiskReturn:
    """Annual return and risk of one product or portfolio, as fractions.

    ``sharpe`` (as computed elsewhere) is carried into the chart only; the comparison computes its
    own ratio so both sides use the same risk-free rate. ``max_drawdown`` is the worst fall from a
    peak; its sign is ignored (-0.12 and 0.12 both mean a 12 % fall).
    """

    name: str
    annual_return: float
    volatility: float
    sharpe: float | None = None
    max_drawdown: float | None = None

    def __post_init__(self) -> None:
        problems = []
        for field in ("annual_return", "volatility", "sharpe", "max_drawdown"):
            value = getattr(self, field)
            if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
                problems.append(FieldError((field,), "must be a finite number", value))
        if math.isfinite(self.volatility) and self.volatility < 0:
            problems.append(FieldError(("volatility",), "must not be negative", self.volatility))
        if problems:
            raise InputError(f"{self.name}: " + "; ".join(str(p) for p in problems), errors=problems)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two items side by side; ``per_unit_risk_*`` is ``None`` for zero volatility."""

    per_unit_risk_a: float | None
    per_unit_risk_b: float | None
    better: Better
    sentence_zh: str
    sentence_en: str
    chart: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ranked:
    """One item's place in a ranking; equal per-unit-risk figures share a rank (1, 1, 3)."""

    rank: int
    item: RiskReturn
    per_unit_risk: float | None


def per_unit_risk(item: RiskReturn, risk_free: float = 0.0) -> float | None:
    """Excess return per unit of volatility, rounded to two decimals; ``None`` without risk.

    Examples
    --------
    >>> per_unit_risk(RiskReturn("A", 0.06, 0.03)), per_unit_risk(RiskReturn("Cash", 0.02, 0.0))
    (2.0, None)
    """
    if item.volatility == 0:
        return None
    return round((item.annual_return - risk_free) / item.volatility, RATIO_DECIMALS)


def compare(a: RiskReturn, b: RiskReturn, risk_free: float = 0.0) -> Comparison:
    """Say which of two items pays more per unit of risk, in both languages, with a chart.

    Parameters
    ----------
    a, b
        The two items; the sentences call them "the first" and "the second".
    risk_free
        Annual risk-free rate as a fraction, subtracted from both returns.

    Returns
    -------
    Comparison
        Per-unit-risk figures (two decimals), the better side, sentences quoting those figures,
        and a scatter chart description.

    Examples
    --------
    >>> c = compare(RiskReturn("A", 0.06, 0.03), RiskReturn("B", 0.07, 0.10))
    >>> c.better, c.sentence_en
    ('a', '6% a year at 3% volatility against 7% at 10%: per unit of risk the first pays more (2.00 vs 0.70).')
    """
    _check_rate(risk_free)
    ratio_a, ratio_b = per_unit_risk(a, risk_free), per_unit_risk(b, risk_free)
    key_a, key_b = _key(a, risk_free), _key(b, risk_free)
    better: Better = "equal" if key_a == key_b else ("a" if key_a > key_b else "b")

    side_a_en = f"{_pct(a.annual_return)} a year {_risk_en(a)}"
    side_b_en = f"{_pct(b.annual_return)} {_risk_en(b, short=True)}"
    side_a_zh = f"年化{_pct(a.annual_return)}、{_risk_zh(a)}"
    side_b_zh = f"年化{_pct(b.annual_return)}、{_risk_zh(b)}"
    basis_en = (
        "per unit of risk"
        if risk_free == 0
        else f"per unit of risk above the {_pct(risk_free)} risk-free rate"
    )
    basis_zh = "按每单位风险计算" if risk_free == 0 else f"扣除{_pct(risk_free)}无风险利率后按每单位风险计算"
    verdict_en = {"a": "the first pays more", "b": "the second pays more", "equal": "both pay the same"}[
        better
    ]
    verdict_zh = {"a": "前者回报更高", "b": "后者回报更高", "equal": "两者回报相同"}[better]
    en = (
        f"{side_a_en} against {side_b_en}: {basis_en} {verdict_en} "
        f"({_ratio_en(ratio_a)} vs {_ratio_en(ratio_b)})."
    )
    zh = (
        f"{side_a_zh}，对比{side_b_zh}：{basis_zh}，{verdict_zh}"
        f"（{_ratio_zh(ratio_a)}对{_ratio_zh(ratio_b)}）。"
    )
    drawdown_en, drawdown_zh = _drawdown_sentences(a, b)
    return Comparison(
        ratio_a, ratio_b, better, zh + drawdown_zh, en + drawdown_en, scatter_chart([a, b], risk_free)
    )


def compare_many(items: Sequence[RiskReturn], risk_free: float = 0.0) -> list[Ranked]:
    """Rank items by return per unit of risk, best first; ties keep the given order.

    Examples
    --------
    >>> ranked = compare_many([RiskReturn("B", 0.07, 0.10), RiskReturn("A", 0.06, 0.03)])
    >>> [(r.rank, r.item.name, r.per_unit_risk) for r in ranked]
    [(1, 'A', 2.0), (2, 'B', 0.7)]
    """
    _check_rate(risk_free)
    ordered = sorted(items, key=lambda item: _key(item, risk_free), reverse=True)  # sorted is stable
    ranked: list[Ranked] = []
    for position, item in enumerate(ordered, start=1):
        tied = ranked and _key(ranked[-1].item, risk_free) == _key(item, risk_free)
        rank = ranked[-1].rank if tied else position
        ranked.append(Ranked(rank, item, per_unit_risk(item, risk_free)))
    return ranked


def scatter_chart(items: Sequence[RiskReturn], risk_free: float = 0.0) -> dict[str, Any]:
    """JSON-ready risk/return scatter: x = volatility, y = annual return, one labelled point each.

    Examples
    --------
    >>> scatter_chart([RiskReturn("A", 0.06, 0.03)])["points"][0]["x"]
    0.03
    """
    return {
        "type": "scatter",
        "x": {"field": "volatility", "unit": "fraction_per_year", "label_en": "Volatility (annual)", "label_zh": "年化波动率"},
        "y": {"field": "annual_return", "unit": "fraction_per_year", "label_en": "Annual return", "label_zh": "年化收益率"},
        "risk_free": risk_free,
        "points": [
            {
                "label": item.name,
                "x": item.volatility,
                "y": item.annual_return,
                "per_unit_risk": per_unit_risk(item, risk_free),
                "sharpe": item.sharpe,
                "max_drawdown": None if item.max_drawdown is None else abs(item.max_drawdown),
            }
            for item in items
        ],
    }  # fmt: skip


def _key(item: RiskReturn, risk_free: float) -> tuple[int, float]:
    """Sort key: riskless above the risk-free rate first, then by rounded ratio, then riskless losers."""
    excess = item.annual_return - risk_free
    ratio = per_unit_risk(item, risk_free)
    if ratio is not None:
        return (1, ratio)
    if excess > 0:
        return (2, round(excess, 6))
    if excess == 0:
        return (1, 0.0)
    return (0, round(excess, 6))


def _check_rate(risk_free: float) -> None:
    if isinstance(risk_free, bool) or not math.isfinite(risk_free):
        raise InputError(
            f"risk_free must be a finite annual fraction, got {risk_free!r}",
            errors=[FieldError(("risk_free",), "must be a finite number", risk_free)],
        )


def _pct(fraction: float) -> str:
    text = f"{fraction * 100:.2f}".rstrip("0").rstrip(".")
    return f"{'0' if text == '-0' else text}%"


def _risk_en(item: RiskReturn, short: bool = False) -> str:
    """ "at 3% volatility"; the second side of a sentence drops the noun ("at 10%")."""
    if item.volatility == 0:
        return "with no measurable risk"
    return f"at {_pct(item.volatility)}" + ("" if short else " volatility")


def _risk_zh(item: RiskReturn) -> str:
    return "无可测风险" if item.volatility == 0 else f"波动{_pct(item.volatility)}"


def _ratio_en(ratio: float | None) -> str:
    return "no measurable risk" if ratio is None else f"{ratio:.{RATIO_DECIMALS}f}"


def _ratio_zh(ratio: float | None) -> str:
    return "无可测风险" if ratio is None else f"{ratio:.{RATIO_DECIMALS}f}"


def _drawdown_sentences(a: RiskReturn, b: RiskReturn) -> tuple[str, str]:
    da, db = a.max_drawdown, b.max_drawdown
    if da is not None and db is not None:
        return (
            f" Maximum drawdown: {_pct(abs(da))} against {_pct(abs(db))}.",
            f"最大回撤：{_pct(abs(da))}对{_pct(abs(db))}。",
        )
    if da is not None:
        return f" Maximum drawdown of the first: {_pct(abs(da))}.", f"前者最大回撤{_pct(abs(da))}。"
    if db is not None:
        return f" Maximum drawdown of the second: {_pct(abs(db))}.", f"后者最大回撤{_pct(abs(db))}。"
    return "", ""
