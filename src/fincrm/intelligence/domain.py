"""Pure rules of the intelligence batch: RFM cells, wealth tiers and the interval maths of the lift report.

Conventions: amounts are in the reporting currency (CNY); scores are quintiles 1-5 within the institution
(5 = most liquid, longest holding, best risk-adjusted return); a score of ``HIGH_SCORE`` or more is "high".
Intervals are two-sided at 95% by default. No I/O, no engine: the batch (``rfm.py``) turns ``CELLS`` into an
expression and calls these functions on the few summary rows of the lift report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from fincrm.clients import domain as clients_domain

HIGH_SCORE = 3  # a quintile score >= 3 counts as high
NO_ASSETS = "no_assets"  # cell of clients without assets at the valuation date (scores are null)
BOOK = "all"  # the whole-book row of the lift report

Tier = Literal["hnw", "mass", "long_tail"]
TIERS = clients_domain.TIERS  # hnw, mass, long_tail: the vocabulary of the profile clients owns


@dataclass(frozen=True, slots=True)
class Cell:
    """One RFM cell: a combination of high/low liquidity (R), holding time (F) and risk-adjusted return (M)."""

    key: str
    r_high: bool
    f_high: bool
    m_high: bool
    name_zh: str
    name_en: str
    description: str


CELLS: tuple[Cell, ...] = (
    Cell("long_term_loyal", False, True, True, "长期忠诚型", "Long-term loyal",
         "Illiquid assets held for long and paying off: keep them close, offer the next tailored product."),
    Cell("locked_in_laggard", False, True, False, "长期被套型", "Locked-in laggard",
         "Illiquid assets held for long with a poor risk-adjusted return: review the allocation before they leave."),
    Cell("performance_chaser", False, False, True, "业绩追逐型", "Performance chaser",
         "Short holding in illiquid, well-performing products: follows returns, explain risk and lock-ups."),
    Cell("struggling_newcomer", False, False, False, "受挫新进型", "Struggling newcomer",
         "Recent illiquid purchases with poor results: check suitability and reassure early."),
    Cell("stable_core", True, True, True, "稳健核心型", "Stable core",
         "Liquid, long-held and well-rewarded: satisfied savers, invite them to a wider allocation."),
    Cell("idle_cash", True, True, False, "沉睡资金型", "Idle cash",
         "Liquid money left untouched for long with little return: wake it up with a step-up offer."),
    Cell("nimble_trader", True, False, True, "灵活交易型", "Nimble trader",
         "Liquid, short holding, good risk-adjusted return: values flexibility, offer liquid enhanced products."),
    Cell("liquidity_parker", True, False, False, "流动性停泊型", "Liquidity parker",
         "Parks cash in T+0/T+1 products for short spells: a candidate for a first term product."),
)  # fmt: skip
CELL_KEYS: tuple[str, ...] = tuple(c.key for c in CELLS)


def cell_of(r_score: int | None, f_score: int | None, m_score: int | None) -> str:
    """The RFM cell of three quintile scores; ``no_assets`` when the client was not scored.

    Examples
    --------
    >>> cell_of(1, 5, 4)
    'long_term_loyal'
    >>> cell_of(5, 1, 2)
    'liquidity_parker'
    >>> cell_of(None, None, None)
    'no_assets'
    """
    if r_score is None or f_score is None or m_score is None:
        return NO_ASSETS
    key = (r_score >= HIGH_SCORE, f_score >= HIGH_SCORE, m_score >= HIGH_SCORE)
    for cell in CELLS:
        if (cell.r_high, cell.f_high, cell.m_high) == key:
            return cell.key
    raise AssertionError(f"no cell for {key}")  # pragma: no cover - CELLS covers the cube


def tier_of(aum_amount: float, *, hnw_min: float, mass_min: float) -> Tier:
    """The wealth tier of a client's assets under management (CNY); thresholds are inclusive lower bounds.

    Examples
    --------
    >>> tier_of(6_000_000, hnw_min=6_000_000, mass_min=50_000)
    'hnw'
    >>> tier_of(49_999.99, hnw_min=6_000_000, mass_min=50_000)
    'long_tail'
    """
    if not 0 <= mass_min < hnw_min:
        raise ValueError(f"tier thresholds must satisfy 0 <= mass_min < hnw_min (got {mass_min}, {hnw_min})")
    if aum_amount >= hnw_min:
        return "hnw"
    if aum_amount >= mass_min:
        return "mass"
    return "long_tail"


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion; ``(nan, nan)`` for no trials.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials (got {successes}, {trials})")
    if trials == 0:
        return (math.nan, math.nan)
    z = _z(confidence)
    p, n = successes / trials, trials
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def ratio_interval(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of two proportions (x1/n1) / (x2/n2) with its Katz log interval: ``(ratio, low, high)``.

    The standard error of the log ratio is sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2). With a zero count the log
    interval is undefined and the bounds are nan (the ratio is still given when the denominator is not 0).
    Katz assumes independent samples; for a group against a book that contains it, the true variance is
    smaller, so the interval is conservative.

    Examples
    --------
    >>> [round(x, 4) for x in ratio_interval(20, 50, 30, 150)]
    [2.0, 1.2543, 3.189]
    """
    for x, n in ((x1, n1), (x2, n2)):
        if not 0 <= x <= n:
            raise ValueError(f"need 0 <= successes <= trials (got {x}, {n})")
    if n1 == 0 or n2 == 0 or x2 == 0:
        return (math.nan, math.nan, math.nan)
    ratio = (x1 / n1) / (x2 / n2)
    if x1 == 0:
        return (ratio, math.nan, math.nan)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = _z(confidence)
    return (ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se))
