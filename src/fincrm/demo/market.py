"""Trading calendar, index levels and product NAVs of the demo market, from a seeded regime model.

Conventions: prices are closes on trading days (weekdays less the main exchange holidays);
daily log returns; rates and volatilities in percent per year, 252 trading days a year, carry
accrued per calendar day (365). The CSI 300 return is the equity factor; every other index
loads on it with a beta (``shelf.EQUITY_BETA``) plus its own noise and drift.

The factor follows a two-state Markov regime (calm / volatile) with two windows planted on top
so that every generated history contains them whatever the seed:

* a crisis: 40-80 trading days in which the CSI 300 falls 34-42 % from peak to trough (a
  Brownian bridge pinned to that loss), followed by a partial recovery;
* a recent shock: the last five trading days before the as-of date lose 6.5-7.5 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from fincrm.demo.columns import dates, take
from fincrm.demo.shelf import EQUITY_BETA, INDEX_DRIFT_PCT, INDEX_IDIO_VOL_PCT, INDEXES, SHELF, ProductSpec

TRADING_DAYS = 252  # per year, for annualised drift and volatility
CALENDAR_DAYS = 365  # per year, for carry accrual
HISTORY_YEARS = 3

# Spring Festival (Chinese New Year's day); exchanges close from its eve for about a week.
SPRING_FESTIVAL = {
    2019: (2, 5),
    2020: (1, 25),
    2021: (2, 12),
    2022: (2, 1),
    2023: (1, 22),
    2024: (2, 10),
    2025: (1, 29),
    2026: (2, 17),
    2027: (2, 6),
    2028: (1, 26),
    2029: (2, 13),
    2030: (2, 3),
    2031: (1, 23),
    2032: (2, 11),
    2033: (1, 31),
    2034: (2, 19),
    2035: (2, 8),
}
EPOCH = date(1970, 1, 1)


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def from_epoch(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def history_start(as_of: date) -> date:
    """First day of the three years of history that end on ``as_of`` (inclusive)."""
    try:
        back = as_of.replace(year=as_of.year - HISTORY_YEARS)
    except ValueError:  # 29 February
        back = as_of.replace(year=as_of.year - HISTORY_YEARS, day=28)
    return back + timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """Calendar and trading days of the history window (epoch-day integers)."""

    start: date
    as_of: date
    days: np.ndarray  # every calendar day, start..as_of
    bdays: np.ndarray  # trading days
    bday_of_day: np.ndarray  # per calendar day: index of the last trading day on or before it (-1 before any)
    month_starts: np.ndarray  # first calendar day of each month touched by the window
    month_ends: np.ndarray  # last calendar day of each month, clipped to as_of

    @property
    def first(self) -> int:
        return int(self.days[0])

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_months(self) -> int:
        return len(self.month_starts)

    @property
    def month_firsts(self) -> np.ndarray:
        """First calendar day of each month (the first month's may precede the window)."""
        return (
            self.month_starts.astype("datetime64[D]")
            .astype("datetime64[M]")
            .astype("datetime64[D]")
            .astype(np.int64)
        )

    @property
    def month_lengths(self) -> np.ndarray:
        """Days in each calendar month."""
        firsts = self.month_firsts
        following = (firsts[-1:].astype("datetime64[D]").astype("datetime64[M]") + 1).astype("datetime64[D]")
        return np.diff(np.r_[firsts, following.astype(np.int64)])

    def day_in_month(self, month: np.ndarray, day_of_month: np.ndarray) -> np.ndarray:
        """Epoch day of ``day_of_month`` (1-based, clipped to the month's end) in window month ``month``."""
        return self.month_firsts[month] + np.minimum(day_of_month, self.month_lengths[month]) - 1

    def month_of(self, day: np.ndarray) -> np.ndarray:
        """Month index (0-based within the window) of epoch days."""
        return np.searchsorted(self.month_starts, day, side="right") - 1

    def snapshot_months(self) -> np.ndarray:
        """Indexes of months whose last day is inside the window (complete month ends)."""
        last_days = np.r_[self.month_starts[1:] - 1, epoch_day(_month_end(self.as_of))]
        return np.flatnonzero(last_days <= epoch_day(self.as_of))


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _holidays(year: int) -> set[date]:
    days = (
        {date(year, 1, 1)} | {date(year, 5, d) for d in (1, 2, 3)} | {date(year, 10, d) for d in range(1, 8)}
    )
    if year in SPRING_FESTIVAL:
        new_year = date(year, *SPRING_FESTIVAL[year])
        days |= {new_year + timedelta(days=k) for k in range(-1, 6)}
    return days


def make_calendar(as_of: date) -> Calendar:
    """The calendar of the three years ending on ``as_of``, with trading days and months.

    Parameters
    ----------
    as_of
        Last day of the history (inclusive).

    Returns
    -------
    Calendar
        Calendar days, trading days (weekdays less the exchange holidays) and month bounds.

    Examples
    --------
    >>> cal = make_calendar(date(2026, 11, 27))
    >>> cal.start, cal.n_months, len(cal.bdays) > 700
    (datetime.date(2023, 11, 28), 37, True)
    """
    start = history_start(as_of)
    days = np.arange(epoch_day(start), epoch_day(as_of) + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    closed: set[int] = set()
    for year in range(start.year, as_of.year + 1):
        closed |= {epoch_day(d) for d in _holidays(year)}
    is_bday = (weekday < 5) & ~np.isin(days, np.fromiter(closed, dtype=np.int64))
    bdays = days[is_bday]
    bday_of_day = np.cumsum(is_bday) - 1
    month_starts = []
    d = date(start.year, start.month, 1)
    while d <= as_of:
        month_starts.append(max(epoch_day(d), epoch_day(start)))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    ms = np.array(month_starts, dtype=np.int64)
    me = np.minimum(np.r_[ms[1:] - 1, epoch_day(as_of)], epoch_day(as_of))
    return Calendar(start, as_of, days, bdays, bday_of_day, ms, me)


@dataclass(frozen=True)
class Market:
    """Index levels and product NAVs on trading days, with the planted windows."""

    calendar: Calendar
    index_levels: np.ndarray  # [n_indexes, n_bdays]
    navs: np.ndarray  # [n_products, n_bdays]; loans have NaN
    crisis_peak: int  # epoch day of the CSI 300 peak before the crisis
    crisis_trough: int  # epoch day of the trough
    crisis_drawdown: float  # peak-to-trough loss of the CSI 300, e.g. 0.38
    shock_start: int  # epoch day of the close before the recent shock
    shock_drop: float  # loss of the CSI 300 over the last five trading days, e.g. 0.07

    def nav_on(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """NAV of products on calendar days (last trading day's close; the first close before any)."""
        b = self.calendar.bday_of_day[np.asarray(day) - self.calendar.first]
        return self.navs[product, np.maximum(b, 0)]

    def stress(self) -> np.ndarray:
        """Per calendar day, 1.0 inside the crisis fall or the recent shock, else 0.0 (a market-fear flag)."""
        cal = self.calendar
        flag = np.zeros(cal.n_days)
        flag[(cal.days >= self.crisis_peak) & (cal.days <= self.crisis_trough + 10)] = 1.0
        flag[cal.days > self.shock_start] = 1.0
        return flag

    def prices_table(self) -> pa.Table:
        """The ``market_prices`` dataset: every index and product NAV on every trading day."""
        cal = self.calendar
        codes = [i.code for i in INDEXES] + [p.series_code for p in SHELF if p.series_code]
        levels = np.vstack(
            [self.index_levels] + [self.navs[k][None, :] for k, p in enumerate(SHELF) if p.series_code]
        )
        n_series, n_b = levels.shape
        series_idx = np.repeat(np.arange(n_series), n_b)
        day = np.tile(cal.bdays, n_series)
        return pa.table(
            {
                "price_on": dates(day),
                "series": take(codes, series_idx),
                "price": pa.array(np.round(levels.reshape(-1), 6)),
            }
        )


def _bridge(rng: np.random.Generator, n: int, total: float, daily_vol: float) -> np.ndarray:
    """n daily log returns with noise of ``daily_vol`` that add up exactly to ``total``."""
    eps = rng.standard_normal(n) * daily_vol
    return eps - eps.mean() + total / n


def simulate_market(rng: np.random.Generator, calendar: Calendar) -> Market:
    """Index levels and product NAVs for the whole window (deterministic for a given rng state)."""
    n = len(calendar.bdays)
    factor = _factor_returns(rng, n)
    planted = np.zeros(n, dtype=bool)
    crisis_len = int(rng.integers(40, 81))
    lo = min(120, n // 5)
    crisis_start = int(rng.integers(lo, max(lo + 1, n - crisis_len - 330)))
    drawdown = float(rng.uniform(0.34, 0.42))
    fall = slice(crisis_start + 1, crisis_start + 1 + crisis_len)
    factor[fall] = _bridge(rng, crisis_len, np.log(1 - drawdown), 0.024)
    recovery_len = int(rng.integers(90, 160))
    rec = slice(fall.stop, min(fall.stop + recovery_len, n - 6))
    factor[rec] = _bridge(rng, rec.stop - rec.start, -0.55 * np.log(1 - drawdown), 0.014)
    shock_drop = float(rng.uniform(0.065, 0.075))
    factor[n - 5 :] = _bridge(rng, 5, np.log(1 - shock_drop), 0.008)
    # A run-up into the crisis makes its first day the peak of the preceding months.
    run_up = slice(max(crisis_start - 20, 1), crisis_start + 1)
    factor[run_up] = np.abs(factor[run_up]) * 0.8
    for window in (fall, rec, run_up, slice(n - 5, n)):
        planted[window] = True
    # Keep the whole three years within a believable range: the unplanted days absorb the difference.
    free = ~planted
    free[0] = False
    target = float(rng.uniform(-0.12, 0.18))
    factor[free] += (target - factor[1:].sum()) / free.sum()

    log_ret = np.empty((len(INDEXES), n))
    for k, spec in enumerate(INDEXES):
        idio = rng.standard_normal(n) * INDEX_IDIO_VOL_PCT[spec.code] / 100 / np.sqrt(TRADING_DAYS)
        drift = INDEX_DRIFT_PCT[spec.code] / 100 / TRADING_DAYS
        log_ret[k] = EQUITY_BETA[spec.code] * factor + idio + drift
        if spec.code == "CSI300":
            log_ret[k] = factor
    log_ret[:, 0] = 0.0
    levels = np.array([i.start_level for i in INDEXES])[:, None] * np.exp(np.cumsum(log_ret, axis=1))
    navs = _product_navs(rng, calendar, log_ret)
    trough = crisis_start + crisis_len
    peak = crisis_start
    return Market(
        calendar=calendar,
        index_levels=levels,
        navs=navs,
        crisis_peak=int(calendar.bdays[peak]),
        crisis_trough=int(calendar.bdays[trough]),
        crisis_drawdown=float(1 - levels[0, trough] / levels[0, peak]),
        shock_start=int(calendar.bdays[n - 6]),
        shock_drop=float(1 - levels[0, n - 1] / levels[0, n - 6]),
    )


def _factor_returns(rng: np.random.Generator, n: int) -> np.ndarray:
    """CSI 300 daily log returns from a calm/volatile Markov regime."""
    mu = np.array([0.0004, -0.0003])  # per day: calm, volatile
    sigma = np.array([0.008, 0.015])
    switch = np.array([0.012, 0.035])  # daily probability of leaving the regime
    u = rng.random(n)
    state = np.zeros(n, dtype=np.int64)
    for t in range(1, n):  # a few hundred steps, one per trading day
        s = state[t - 1]
        state[t] = 1 - s if u[t] < switch[s] else s
    return mu[state] + sigma[state] * rng.standard_normal(n)


def _product_navs(rng: np.random.Generator, calendar: Calendar, index_log_ret: np.ndarray) -> np.ndarray:
    n = index_log_ret.shape[1]
    gap = np.r_[1, np.diff(calendar.bdays)]  # calendar days since the previous trading day
    codes = {spec.code: k for k, spec in enumerate(INDEXES)}
    navs = np.full((len(SHELF), n), np.nan)
    for j, spec in enumerate(SHELF):
        if spec.series_code is None:
            continue
        navs[j] = _nav(rng, spec, index_log_ret, codes, gap)
    return navs


def _nav(
    rng: np.random.Generator,
    spec: ProductSpec,
    index_log_ret: np.ndarray,
    codes: dict[str, int],
    gap: np.ndarray,
) -> np.ndarray:
    n = index_log_ret.shape[1]
    r = np.zeros(n)
    for code, w in spec.nav_weights().items():
        r += w * index_log_ret[codes[code]]
    r += spec.carry_pct / 100 / CALENDAR_DAYS * gap
    if spec.vol_pct:
        r += rng.standard_normal(n) * spec.vol_pct / 100 / np.sqrt(TRADING_DAYS)
    r[0] = 0.0
    start = (
        1.0
        if spec.kind in ("deposit", "money_market_fund", "bank_wmp", "structured", "insurance")
        else (float(np.round(rng.uniform(0.9, 2.6), 4)))
    )
    return start * np.exp(np.cumsum(r))
