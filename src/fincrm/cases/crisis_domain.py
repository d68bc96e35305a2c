"""Crisis communication (危机沟通), pure: the sandwich message (三明治沟通法) and the recovery statistics
of past drawdowns. No SQLAlchemy, FastAPI, I/O or clock.

The sandwich
------------
A message to a client after a market fall has three parts, in this order:

1. *empathy* (共情): a fixed template naming the client, the index and the window;
2. *facts* (事实): the client's own figures over the window, computed elsewhere from the store and
   the lake and passed in as :class:`ClientFigures`: the portfolio's maximum drawdown, the average
   of peers with the same effective risk level and tier, and the benchmark's maximum drawdown;
3. *plan* (方案): the action chosen (a rebalancing proposal of the portfolio lab, or one of
   ``ACTIONS``), the recovery statistics of similar past falls (:func:`recovery_stats`), the
   risk-adjusted reframing of the portfolio lab when there is one, the day the RM will call, and
   the risk statement.

Recovery statistics
-------------------
An *episode* is one down-leg of the benchmark's daily closes, found by a zigzag with a swing of
``s`` (a fraction): from a peak, a fall is confirmed once a close is at or below peak × (1 - s); the
trough is the lowest close until a close rises to trough × (1 + s) or more, which confirms the trough
and starts tracking the next peak from that close. A leg still falling at the last close is
reported too (not yet confirmed). The episode's *depth* is 1 - trough / peak; it *recovered* on the
first close after the trough at or above the peak close, and the recovery time is counted in trading
days (closes) from the trough.

For a current fall of depth ``d`` percent and a band of ``x`` percentage points, the swing is
``max(d - x, MIN_SWING_PCT)`` percent, the *similar* episodes are those with a depth within
``[d - x, d + x]`` whose trough lies before the current window's start (the current fall is not its
own history), and an episode whose trough is fewer than ``horizon`` closes before the last close and
that has not recovered yet is *censored*: left out, since whether it recovers in time is unknown.
The statistic is ``n of m``: m similar episodes, n of them back at their peak within ``horizon``
(63 trading days, about three months) of the trough.

Units: drawdowns and depths are fractions (0.067 = 6.7 %) unless a name ends in ``_pct``; bands are
percentage points; days are trading days (closes) of the benchmark.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

RECOVERY_DAYS = 63  # trading days: "within three months"
DEFAULT_BAND_PP = 2.0  # percentage points either side of the current fall that count as similar
MIN_SWING_PCT = 1.0  # percent: the smallest swing the zigzag uses
DEFAULT_FALL_PCT = (
    5.0  # percent within DEFAULT_WITHIN_DAYS that finds the latest fall (the demo falls ~6.7 %)
)
DEFAULT_WITHIN_DAYS = 5  # trading days, as the market_drawdown_comfort rule
DEFAULT_MIN_EQUITY_PCT = (
    10.0  # percent of the client's holdings in equity (look-through); the comfort rule calls from 40
)
CALL_WITHIN_DAYS = 2  # calendar days after the draft by which the RM promises to call
BODY_MAX = 8000  # characters of a message body
LANGS = ("zh-CN", "en")

DRAFT, HELD, APPROVED, SENT, SUPERSEDED, REJECTED = (
    "draft",
    "held",
    "approved",
    "sent",
    "superseded",
    "rejected",
)
STATUSES = (DRAFT, HELD, APPROVED, SENT, SUPERSEDED, REJECTED)
OPEN_STATUSES = (DRAFT, HELD, APPROVED)  # a client has at most one open crisis draft
SENDABLE = (DRAFT, APPROVED)  # held drafts need an edit that scans clean, or compliance's approval

PROPOSAL = "proposal"  # the action when the portfolio lab has a rebalancing proposal for the client
ACTIONS: dict[str, tuple[str, str]] = {  # the RM's short list when there is no proposal: (zh, en)
    "hold": (
        "建议您保持现有配置，不在下跌中恐慌性赎回，我们会每天跟踪市场和您的持仓。",
        "I suggest keeping your current allocation rather than selling into the fall; we will follow the "
        "market and your holdings every day.",
    ),
    "rebalance": (
        "建议把组合调整回我们约定的目标配置比例，下跌后权益类占比已经偏离目标。",
        "I suggest bringing the portfolio back to the target allocation we agreed; after the fall its "
        "equity share has drifted from the target.",
    ),
    "add_gradually": (
        "如您有闲置资金，可以考虑分批、定投式逐步投入，而不是一次性买入。",
        "If you have idle cash, we could invest it step by step in instalments rather than all at once.",
    ),
    "reduce_risk": (
        "如果这次波动超出了您的承受范围，我们可以一起评估适当降低权益类资产的比例。",
        "If this volatility is more than you are comfortable with, we can look together at lowering "
        "the share of equity.",
    ),
    "review_meeting": (
        "建议约一次面谈，一起复盘持仓并确认您的风险承受能力是否有变化。",
        "I suggest we meet to review your holdings and check whether your risk tolerance has changed.",
    ),
}
PROPOSAL_TEXT = (
    "我们已为您准备了一份再平衡方案（编号 {proposal_id}），按您的风险等级重新分配各类资产，可以在电话中向您详细说明。",
    "We have prepared a rebalancing proposal for you (no. {proposal_id}) that reallocates across asset "
    "classes within your risk level; I can walk you through it on the phone.",
)
TIER_NAMES = {
    "hnw": ("高净值", "high-net-worth"),
    "mass": ("大众", "mass"),
    "long_tail": ("长尾", "long-tail"),
}
SERIES_NAMES = {"CSI300": ("沪深300指数", "CSI 300")}


def series_name(series: str, lang: str) -> str:
    """How a message names an index series (the code itself when unknown)."""
    zh, en = SERIES_NAMES.get(series, (series, series))
    return zh if lang == "zh-CN" else en


# ----- recovery statistics --------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    peak: int  # index of the peak close
    trough: int  # index of the trough close
    depth: float  # 1 - trough / peak (fraction, positive)
    recovered: int | None  # index of the first close at or above the peak after the trough
    confirmed: bool  # a rebound of the swing confirmed the trough (False: still falling at the end)

    def days_to_recover(self) -> int | None:
        """Trading days from the trough to the recovery close (None when not recovered)."""
        return None if self.recovered is None else self.recovered - self.trough


def episodes(closes: Sequence[float] | np.ndarray, swing: float) -> list[Episode]:
    """The zigzag down-legs of a price series (see the module docstring).

    Parameters
    ----------
    closes
        Daily closes, oldest first (positive).
    swing
        The fraction a fall must reach, and a rebound from the trough must reach, to count (0 < swing < 1).

    Examples
    --------
    >>> legs = episodes([100, 95, 89, 93, 99, 101, 92, 90, 91], 0.08)
    >>> [(e.peak, e.trough, round(e.depth, 3), e.recovered, e.confirmed) for e in legs]
    [(0, 2, 0.11, 5, True), (5, 7, 0.109, None, False)]
    """
    c = np.asarray(closes, dtype=float)
    if not 0 < swing < 1:
        raise ValueError(f"swing must be a fraction between 0 and 1, got {swing}")
    legs: list[tuple[int, int, bool]] = []
    peak, trough = 0, -1
    for i in range(1, len(c)):
        if trough < 0:
            if c[i] > c[peak]:
                peak = i
            elif c[i] <= c[peak] * (1 - swing):
                trough = i
        elif c[i] < c[trough]:
            trough = i
        elif c[i] >= c[trough] * (1 + swing):
            legs.append((peak, trough, True))
            peak, trough = i, -1
    if trough >= 0:
        legs.append((peak, trough, False))
    # first close at or above each peak after its trough: one vectorised search per leg
    running = np.maximum.accumulate(c[::-1])[::-1] if len(c) else c  # highest close from i to the end
    out = []
    for p, t, confirmed in legs:
        recovered = None
        if t + 1 < len(c) and running[t + 1] >= c[p]:
            recovered = t + 1 + int(np.argmax(c[t + 1 :] >= c[p]))
        out.append(Episode(p, t, float(1 - c[t] / c[p]), recovered, confirmed))
    return out


@dataclass(frozen=True)
class RecoveryStats:
    fall_pct: float  # the current fall, percent
    band_pp: float  # percentage points either side
    horizon_days: int  # trading days
    similar: int  # m: similar past episodes with a known outcome
    recovered: int  # n: of them, back at the peak within the horizon
    censored: int  # similar episodes too recent to know (left out of m)
    first_on: date | None  # history span used
    last_on: date | None
    closes: int  # closes in the span
    depths_pct: tuple[float, ...] = field(default=())  # the similar episodes' depths, percent

    @property
    def low_pct(self) -> float:
        return max(self.fall_pct - self.band_pp, 0.0)

    @property
    def high_pct(self) -> float:
        return self.fall_pct + self.band_pp

    @property
    def share(self) -> float | None:
        """n / m (0..1); None without similar episodes."""
        return self.recovered / self.similar if self.similar else None

    def as_json(self) -> dict[str, Any]:
        return {
            "fall_pct": round(self.fall_pct, 2), "band_pp": self.band_pp, "horizon_days": self.horizon_days,
            "similar": self.similar, "recovered": self.recovered, "censored": self.censored,
            "share": None if self.share is None else round(self.share, 4), "low_pct": round(self.low_pct, 2),
            "high_pct": round(self.high_pct, 2), "first_on": self.first_on.isoformat() if self.first_on else None,
            "last_on": self.last_on.isoformat() if self.last_on else None, "closes": self.closes,
            "depths_pct": list(self.depths_pct),
        }  # fmt: skip


def recovery_stats(
    days: Sequence[date],
    closes: Sequence[float] | np.ndarray,
    fall_pct: float,
    *,
    window_start: date,
    band_pp: float = DEFAULT_BAND_PP,
    horizon: int = RECOVERY_DAYS,
) -> RecoveryStats:
    """Share of past falls of similar size that recovered within ``horizon`` trading days.

    Parameters
    ----------
    days, closes
        The benchmark's closes, oldest first, up to the current window's end.
    fall_pct
        The current fall, percent (positive).
    window_start
        The current fall's first day: episodes whose trough is on or after it are not history.
    band_pp
        Percentage points either side of ``fall_pct`` that count as similar.
    horizon
        Trading days after the trough within which the peak must be regained.

    Examples
    --------
    >>> from datetime import timedelta
    >>> closes = [100, 94, 99, 101, 95, 96, 97, 98, 99, 100, 102, 95]
    >>> days = [date(2026, 1, 1) + timedelta(days=i) for i in range(len(closes))]
    >>> s = recovery_stats(days, closes, 6.5, window_start=days[10], band_pp=1.0, horizon=3)
    >>> (s.similar, s.recovered, s.censored, s.depths_pct)
    (2, 1, 0, (6.0, 5.94))
    """
    if len(days) != len(closes):
        raise ValueError("days and closes differ in length")
    if not math.isfinite(fall_pct) or fall_pct <= 0 or band_pp < 0:
        raise ValueError("the fall must be a positive percentage and the band not negative")
    c = np.asarray(closes, dtype=float)
    swing = max(fall_pct - band_pp, MIN_SWING_PCT) / 100
    lo, hi = (fall_pct - band_pp) / 100 - 1e-9, (fall_pct + band_pp) / 100 + 1e-9
    similar = recovered = censored = 0
    depths: list[float] = []
    last = len(c) - 1
    for e in episodes(c, swing) if len(c) > 1 else []:
        if days[e.trough] >= window_start or not lo <= e.depth <= hi:
            continue
        took = e.days_to_recover()
        if took is None and last - e.trough < horizon:
            censored += 1
            continue
        similar += 1
        depths.append(round(e.depth * 100, 2))
        recovered += took is not None and took <= horizon
    return RecoveryStats(
        fall_pct=fall_pct, band_pp=band_pp, horizon_days=horizon, similar=similar, recovered=recovered,
        censored=censored, first_on=days[0] if len(days) else None, last_on=days[-1] if len(days) else None,
        closes=len(c), depths_pct=tuple(depths),
    )  # fmt: skip


# ----- the sandwich ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFigures:
    """What the facts part says, computed from the store and the lake.

    Drawdowns are fractions <= 0 (the worst fall from a running peak within the window).
    ``portfolio_drawdown`` is None when the client held no investment products at the window start;
    ``peer_mean`` None when fewer than ``min_peers`` peers share the client's risk level and tier.
    """

    series: str
    start: date
    end: date
    trading_days: int
    benchmark_drawdown: float
    portfolio_drawdown: float | None
    peers: int
    peer_mean: float | None
    risk_level: str | None  # C1..C5
    tier: str | None
    min_peers: int
    no_portfolio_reason: str = ""


@dataclass(frozen=True)
class Plan:
    action: str  # PROPOSAL or a key of ACTIONS
    proposal_id: int | None
    stats: RecoveryStats | None
    reframing: str  # the portfolio lab's risk-adjusted sentence in the message's language ('' if none)
    call_by: date


def pct_text(fraction: float | None) -> str:
    """A fall as a positive percentage with one decimal: -0.0667 -> '6.7%'.

    >>> pct_text(-0.06666), pct_text(-0.0), pct_text(None)
    ('6.7%', '0.0%', '—')
    """
    if fraction is None:
        return "—"
    return f"{abs(fraction) * 100:.1f}%"


def _date(d: date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh-CN" else d.isoformat()


def empathy(lang: str, *, client_name: str, series: str, days: int) -> str:
    """The first part: a fixed template naming the client, the index and the window's length."""
    name = series_name(series, lang)
    if lang == "zh-CN":
        return (f"{client_name}，您好。最近{days}个交易日市场波动较大，{name}明显下跌，我想您可能有些担心。"
                "我理解这种心情，也想第一时间和您一起把您的账户情况看清楚。")  # fmt: skip
    return (f"Dear {client_name}, the market has been volatile over the past {days} trading days and the {name} "
            "has fallen sharply; I imagine this may worry you. I understand how that feels, and I want to go "
            "through your account with you straight away.")  # fmt: skip


def facts(lang: str, f: ClientFigures) -> str:
    """The second part: the client's figures against peers and the benchmark (nothing invented)."""
    zh = lang == "zh-CN"
    name = series_name(f.series, lang)
    span = (f"从{_date(f.start, lang)}到{_date(f.end, lang)}，" if zh
            else f"From {_date(f.start, lang)} to {_date(f.end, lang)}, ")  # fmt: skip
    out = span + (f"{name}最大回撤{pct_text(f.benchmark_drawdown)}。" if zh
                  else f"the {name} fell {pct_text(f.benchmark_drawdown)} at its worst.")  # fmt: skip
    if f.portfolio_drawdown is None:
        out += ("您在这一期间开始时没有持有投资产品，因此没有您自己组合的回撤数据。" if zh
                else " You held no investment products at the start of this period, so there is no "
                     "drawdown of your own portfolio to report.")  # fmt: skip
        return out
    out += (f"按期初持仓计算，您的组合同期最大回撤{pct_text(f.portfolio_drawdown)}" if zh
            else f" Your portfolio, as held at the start, fell {pct_text(f.portfolio_drawdown)} at its worst")  # fmt: skip
    if f.peer_mean is not None and f.risk_level and f.tier:
        tier_zh, tier_en = TIER_NAMES.get(f.tier, (f.tier, f.tier))
        out += (f"；与您风险等级（{f.risk_level}）和客户层级（{tier_zh}）相同的{f.peers}位客户，平均最大回撤"
                f"{pct_text(f.peer_mean)}。" if zh
                else f"; the {f.peers} clients with your risk level ({f.risk_level}) and tier ({tier_en}) fell "
                     f"{pct_text(f.peer_mean)} on average.")  # fmt: skip
    elif f.risk_level and f.tier:
        out += (f"；与您风险等级和客户层级相同的客户只有{f.peers}位（不足{f.min_peers}位），因此不做同类客户对比。" if zh
                else f"; only {f.peers} clients share your risk level and tier (fewer than {f.min_peers}), so "
                     "no peer comparison is given.")  # fmt: skip
    else:
        out += ("；您还没有有效的风险等级和客户层级，因此不做同类客户对比。" if zh
                else "; you have no current risk level and tier yet, so no peer comparison is given.")  # fmt: skip
    return out


def plan(lang: str, p: Plan, *, series: str, rm_name: str) -> str:
    """The third part: the action, the recovery statistics, the reframing, the call and the risk statement."""
    zh = lang == "zh-CN"
    i = 0 if zh else 1
    if p.action == PROPOSAL:
        parts = [PROPOSAL_TEXT[i].format(proposal_id=p.proposal_id)]
    else:
        parts = [ACTIONS[p.action][i]]
    s = p.stats
    name = series_name(series, lang)
    if s is not None and s.first_on and s.last_on:
        span = (f"{_date(s.first_on, lang)}至{_date(s.last_on, lang)}" if zh
                else f"{_date(s.first_on, lang)} to {_date(s.last_on, lang)}")  # fmt: skip
        band = f"{s.low_pct:.1f}%–{s.high_pct:.1f}%"
        if s.similar:
            share = f"{s.share * 100:.0f}%" if s.share is not None else "—"
            parts.append(
                f"历史上看，{name}在{span}期间共有{s.similar}次与本次幅度相近（{band}）的下跌，其中{s.recovered}次"
                f"在{s.horizon_days}个交易日（约三个月）内收复了下跌前的高点（{s.recovered}/{s.similar}，{share}）。"
                if zh else
                f"Looking back, the {name} had {s.similar} falls of a similar size ({band}) from {span}; "
                f"{s.recovered} of {s.similar} ({share}) regained their previous high within {s.horizon_days} "
                "trading days (about three months)."
            )  # fmt: skip
        else:
            parts.append(f"在{span}的{name}历史中，没有与本次幅度相近（{band}）的下跌可供参考。" if zh
                         else f"The {name}'s history from {span} holds no fall of a similar size ({band}) to "
                              "compare with.")  # fmt: skip
    if p.reframing:
        parts.append(p.reframing)
    parts.append(f"我会在{_date(p.call_by, lang)}前给您打电话，一起确认下一步。" if zh
                 else f"I will call you by {_date(p.call_by, lang)} to agree on the next step together.")  # fmt: skip
    parts.append("投资有风险，历史表现不代表未来。" if zh
                 else "Investment involves risk; past performance does not predict future returns.")  # fmt: skip
    parts.append(f"客户经理 {rm_name}" if zh else f"{rm_name}, your relationship manager")
    return "".join(parts) if zh else " ".join(parts)


def compose(empathy_text: str, facts_text: str, plan_text: str) -> str:
    """The message body: the three parts as paragraphs, in sandwich order."""
    return "\n\n".join(t.strip() for t in (empathy_text, facts_text, plan_text))


def subject(lang: str, series: str) -> str:
    name = series_name(series, lang)
    return f"关于近期{name}下跌的说明" if lang == "zh-CN" else f"About the recent fall of the {name}"


# ----- checks on a text ------------------------------------------------------------------------

_PCT = re.compile(r"(-?\d+(?:\.\d+)?)\s*[%％]")


def percentages(text: str) -> list[float]:
    """Every percentage written in a text, as numbers (signs dropped).

    >>> percentages("下跌 6.7%，同类客户 8％，沪深300 -7.1 %")
    [6.7, 8.0, 7.1]
    """
    return [abs(float(m.group(1))) for m in _PCT.finditer(text)]


def status_after_scan(ok: bool) -> str:
    """A draft whose text scans clean is a draft the RM may send; otherwise it is held."""
    return DRAFT if ok else HELD
