"""The post-crisis review (市场复盘报告): how the market fell, how the client's account fared, what
the client did, and how the client's holdings compare with similar clients'.

The subject is a stress scenario of :func:`fincrm.portfolio.service.scenario_library` (its
``start`` .. ``end`` is the window) or ``""``: the benchmark's (CSI300) largest peak-to-trough
fall in the imported history up to ``as_of`` (the last ``HISTORY_DAYS`` calendar days), the rule
of the portfolio lab's "history" scenario; its subject key is ``"history:<peak>:<trough>"``,
which is also accepted as a subject. The window is shown with up to ``RECOVERY_TAIL_DAYS``
trading days after its end (until ``as_of``) to show the recovery.

Conventions
-----------
- Prices are daily closes from the lake; days are the benchmark's trading days. Returns and
  drawdowns are fractions; a drawdown is the fall from the running peak since the window
  start (never positive) and the *maximum drawdown* the worst of it within the window.
- Units: the client's units of each product are rebuilt day by day. They start from the last
  month-end snapshot on or before the day before the window's first trading day (a product
  missing from it holds none), and each transaction with a product applies on its business-date
  (``settings.timezone``) day of ``booked_at``: ``purchase`` adds its units, ``redemption`` and
  ``maturity`` take them away (a maturity without units empties the product; a purchase or
  redemption without units is sized at that day's NAV). At each later snapshot the units are
  re-anchored to the snapshot's (snapshots are the source of truth, transactions fill the days
  between); the rebuilt-minus-snapshot gap is kept in ``CrisisFacts.units_gaps`` (0 on the demo,
  whose snapshots reconcile with its transactions exactly). A gap, if any, shows as a price move.
- The client's daily *account value* is those units times the product's NAV that day
  (``price_series_code``, last price carried forward over a missing day); a product without a NAV
  series is valued at its last observed price per unit (a snapshot's market value or a trade's
  amount per unit), flat in between (an approximation). It is in money terms: flows included.
- Flows: F_t is the CNY net flow into the investments on day t, from the transactions' amounts
  (booked on the cash account, + into it, so a purchase is a negative amount there): a purchase
  is +amount (its gross amount: the subscription fee counts as a loss of the day), a redemption,
  a maturity or a cash dividend -amount (a dividend paid out is return, not a loss). A flow on a
  non-trading day counts on the next trading day.
- The client's *drawdown* is that of a flow-free (time-weighted) index: r_t = (V_t - F_t) /
  V_{t-1} - 1, the index the cumulative product of (1 + r_t) from the window's first day: the
  investments' own fall, not counting money the client moved. The *buy-and-hold* drawdown is
  flow-free too, but keeps the mix: the holdings of the last snapshot on or before the window's
  first day, valued at that day, replayed with :func:`fincrm.portfolio.stress.replay`. The two
  differ by how the client's trades changed the mix of products; both differ from the
  benchmark by the mix itself.
- The current account (demand deposit, e.g. DEP000: a deposit product no purchase, redemption or
  maturity refers to) is left out, as in :mod:`fincrm.reports.quarterly`: salary and spending
  move its balance, and they are not market losses.
- Peers are the other clients of the current profile version with the same effective risk
  level and tier; each one's buy-and-hold drawdown is computed the same way (one snapshot
  query, one vectorised replay). The client's *percentile* is the share of peers whose
  buy-and-hold fall was smaller than the client's (ties count half): 0 % = the smallest fall
  of the group, 100 % = the largest. With fewer than ``MIN_PEERS`` peers no peer figure is shown.
  Only aggregates of peers are shown, never a peer's own data.
- Amounts are CNY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.portfolio import stress
from fincrm.portfolio.service import BENCHMARK_SERIES, HISTORY_DAYS, scenario_library
from fincrm.products.models import Product
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.health import round_amount
from fincrm.reports.quarterly import current_accounts, pct
from fincrm.reports.reader import ClientReader

RECOVERY_TAIL_DAYS = 60  # trading days shown after the window's end
MIN_PEERS = 5  # fewer peers than this: no peer figure
ACTION_KINDS = ("purchase", "redemption", "maturity")  # listed: the client's decisions, and maturities
FLOW_KINDS = (*ACTION_KINDS, "dividend")  # money into (purchase) or out of (the rest) the investments
MAX_MARKERS = 6  # action days marked on the chart (the largest by amount)
MAX_ACTION_ROWS = 14  # actions listed in the table; the rest are summed in one line (page bound)
COVER_SLACK_DAYS = 5  # calendar days a window end may lie after the last price (weekend, holiday)
_EARLIEST = date(1900, 1, 1)


# ----- pure numbers --------------------------------------------------------------------------


def drawdown(values: np.ndarray) -> np.ndarray:
    """Fall from the running peak at each point (fractions, never positive).

    Examples
    --------
    >>> drawdown(np.array([100.0, 120.0, 90.0, 130.0])).round(4).tolist()
    [0.0, 0.0, -0.25, 0.0]
    """
    v = np.asarray(values, dtype=float)
    return v / np.maximum.accumulate(v) - 1.0


def max_drawdown(values: np.ndarray) -> float:
    """The worst fall from a running peak (fraction <= 0).

    Examples
    --------
    >>> max_drawdown(np.array([100.0, 120.0, 90.0, 130.0, 117.0]))
    -0.25
    """
    return float(drawdown(values).min()) if len(values) else 0.0


def largest_fall(prices: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(peak day, trough day) of a series' largest peak-to-trough fall, or None if it never falls.

    The portfolio lab's rule for its "history" scenario: the trough is the day of the deepest
    drawdown, the peak the highest close on or before it.

    Examples
    --------
    >>> s = pd.Series([100.0, 120.0, 90.0, 130.0, 117.0], index=pd.date_range("2025-01-01", periods=5))
    >>> [d.date().isoformat() for d in largest_fall(s)]
    ['2025-01-02', '2025-01-03']
    """
    s = prices.dropna()
    if len(s) <= 2:
        return None
    trough = (s / s.cummax() - 1).idxmin()
    peak = s.loc[:trough].idxmax()
    return (peak, trough) if trough > peak else None


def daily_units(
    start: dict[str, float],
    start_on: date,
    trades: pd.DataFrame,
    snapshots: pd.DataFrame,
    days: pd.DatetimeIndex,
    anchors: list[date] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units of each product held at the end of each of ``days``, rebuilt from the trades.

    Starts from ``start`` (the units of the snapshot of ``start_on``) and applies, day by day
    from the day after ``start_on``, the trades booked that day: a purchase adds its units, a
    redemption or a maturity takes them away (a maturity without units empties the product).
    On each anchor day (a later snapshot's date) the rebuilt units are replaced by the
    snapshot's (a product missing from it holds none): snapshots are the source of truth,
    trades fill the days between.

    Parameters
    ----------
    start
        Product code -> units at the end of ``start_on``.
    trades
        Columns ``on`` (business date), ``kind`` (``purchase``, ``redemption``, ``maturity``;
        other kinds are ignored), ``product_code``, ``units`` (positive; NaN when unknown: such a
        purchase or redemption changes nothing until the next snapshot).
    snapshots
        Later snapshots: ``as_of_on``, ``product_code``, ``units``.
    days
        The days to report (ascending); a day on or before ``start_on`` gets ``start``.
    anchors
        The snapshot dates to re-anchor on (default: the dates of ``snapshots``); a date without
        rows is a snapshot with nothing held.

    Returns
    -------
    tuple
        (units: ``days`` x product codes, 0 where none is held; gaps: one row per anchor day and
        product held on either side, columns ``as_of_on``, ``product_code``, ``rebuilt``,
        ``snapshot``, ``gap`` = rebuilt - snapshot).

    Examples
    --------
    >>> trades = pd.DataFrame({"on": [date(2025, 1, 3), date(2025, 1, 6)], "kind": ["redemption", "purchase"],
    ...     "product_code": ["F", "G"], "units": [4.0, 2.0]})
    >>> snaps = pd.DataFrame({"as_of_on": [pd.Timestamp("2025-01-06")], "product_code": ["F"], "units": [6.0]})
    >>> units, gaps = daily_units({"F": 10.0}, date(2024, 12, 31), trades, snaps,
    ...     pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-07"]))
    >>> units.to_dict("list")
    {'F': [10.0, 6.0, 6.0], 'G': [0.0, 0.0, 0.0]}
    >>> gaps[["product_code", "gap"]].to_dict("list")
    {'product_code': ['F', 'G'], 'gap': [0.0, 2.0]}
    """
    held = {code: float(u) for code, u in start.items()}
    snaps = snapshots.assign(on=pd.to_datetime(snapshots["as_of_on"]).dt.date)
    anchor_days = sorted(set(anchors) if anchors is not None else set(snaps["on"]))
    by_anchor = {
        d: dict(zip(g["product_code"], g["units"].astype(float), strict=True)) for d, g in snaps.groupby("on")
    }
    by_day: dict[date, list[tuple[str, str, float]]] = {}
    for on, kind, code, u in zip(
        trades["on"], trades["kind"], trades["product_code"], trades["units"], strict=True
    ):
        by_day.setdefault(pd.Timestamp(on).date(), []).append(
            (kind, code, float(u) if u is not None else np.nan)
        )
    codes = (
        set(held) | {c for _, c, _ in (t for ts in by_day.values() for t in ts)} | set(snaps["product_code"])
    )
    wanted = [d.date() for d in days]
    out: dict[date, dict[str, float]] = {}
    gaps = []
    anchor_set = set(anchor_days)
    day = start_on + timedelta(days=1)
    last = max(wanted) if wanted else start_on
    while day <= last:
        for kind, code, u in by_day.get(day, ()):
            if kind == "maturity" and not np.isfinite(u):
                held[code] = 0.0
            elif np.isfinite(u) and kind in ("purchase", "redemption", "maturity"):
                sign = 1.0 if kind == "purchase" else -1.0
                held[code] = round(held.get(code, 0.0) + sign * u, 6)
        if day in anchor_set:
            truth = by_anchor.get(day, {})
            for code in sorted(set(held) | set(truth)):
                rebuilt, snap = held.get(code, 0.0), truth.get(code, 0.0)
                if rebuilt or snap:
                    gaps.append((day, code, rebuilt, snap, rebuilt - snap))
            held = dict(truth)
        out[day] = dict(held)
        day += timedelta(days=1)
    columns = sorted(codes)
    first = {code: float(u) for code, u in start.items()}
    rows = [[(out.get(d, first) if d > start_on else first).get(c, 0.0) for c in columns] for d in wanted]
    units = pd.DataFrame(rows, index=days, columns=columns, dtype=float)
    gap_frame = pd.DataFrame(gaps, columns=["as_of_on", "product_code", "rebuilt", "snapshot", "gap"])
    return units, gap_frame


def unit_prices(
    codes: list[str],
    nav: pd.DataFrame,
    series_of: dict[str, str | None],
    observed: pd.DataFrame,
    days: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Price of one unit of each product on each of ``days`` (``days`` x ``codes``).

    A product with a NAV series takes its NAV, the last one carried forward over a missing day;
    one without takes the last price ``observed`` on or before the day (a snapshot's market
    value per unit, a trade's amount per unit), the first one before its first observation.

    Examples
    --------
    >>> nav = pd.DataFrame({"N": [2.0, 2.5]}, index=pd.to_datetime(["2025-01-02", "2025-01-06"]))
    >>> seen = pd.DataFrame({"on": pd.to_datetime(["2025-01-03"]), "product_code": ["C"], "price": [1.5]})
    >>> unit_prices(["F", "C"], nav, {"F": "N", "C": None}, seen,
    ...     pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])).to_dict("list")
    {'F': [2.0, 2.0, 2.5], 'C': [1.5, 1.5, 1.5]}
    """
    out = pd.DataFrame(index=days, columns=codes, dtype=float)
    if not nav.empty:
        nav = nav.reindex(nav.index.union(days)).sort_index().ffill().reindex(days)
    for code in codes:
        s = series_of.get(code)
        if s is not None and s in nav.columns:
            out[code] = nav[s].to_numpy()
            continue
        seen = observed[observed["product_code"] == code]
        if seen.empty:
            continue
        p = seen.groupby(pd.to_datetime(seen["on"]))["price"].last().sort_index()
        out[code] = p.reindex(p.index.union(days)).sort_index().ffill().bfill().reindex(days).to_numpy()
    return out


def account_values(units: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """Daily account value: each product's units that day times its unit price that day, summed.

    Examples
    --------
    >>> days = pd.to_datetime(["2025-01-02", "2025-01-03"])
    >>> units = pd.DataFrame({"F": [10.0, 4.0], "C": [5.0, 5.0]}, index=days)
    >>> prices = pd.DataFrame({"F": [2.0, 2.5], "C": [1.0, 1.0]}, index=days)
    >>> account_values(units, prices).tolist()
    [25.0, 15.0]
    """
    return (units * prices.reindex(index=units.index, columns=units.columns)).fillna(0.0).sum(axis=1)


def flows_on_days(on: pd.Series, amounts: pd.Series, days: pd.DatetimeIndex) -> pd.Series:
    """Net flow into the investments on each of ``days``: a flow counts on the first day on or
    after it; flows on or before the first day (already in its value) or after the last are left out.

    Examples
    --------
    >>> days = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])
    >>> on = pd.Series(pd.to_datetime(["2025-01-02", "2025-01-04", "2025-01-06", "2025-01-09"]))
    >>> flows_on_days(on, pd.Series([1.0, 2.0, 3.0, 4.0]), days).tolist()
    [0.0, 0.0, 5.0]
    """
    out = np.zeros(len(days))
    at = np.searchsorted(days.to_numpy(), pd.to_datetime(on).to_numpy(), side="left")
    for i, amount in zip(at, np.asarray(amounts, dtype=float), strict=True):
        if 0 < i < len(days):
            out[i] += amount
    return pd.Series(out, index=days)


def flow_free_index(values: pd.Series, flows: pd.Series) -> pd.Series:
    """Time-weighted index of the account (1 on the first day): the product of the daily returns
    r_t = (V_t - F_t) / V_{t-1} - 1, F_t the net flow into the investments on day t (purchases
    positive, redemptions and maturities negative). Money moved in or out does not move it; a day
    after an empty account (V_{t-1} <= 0) counts as no change.

    Examples
    --------
    >>> days = pd.date_range("2025-01-01", periods=3)
    >>> values = pd.Series([100.0, 40.0, 36.0], index=days)  # 60 redeemed on day 2, then -10 %
    >>> flow_free_index(values, pd.Series([0.0, -60.0, 0.0], index=days)).round(6).tolist()
    [1.0, 1.0, 0.9]
    """
    v = values.to_numpy(dtype=float)
    f = flows.reindex(values.index, fill_value=0.0).to_numpy(dtype=float)
    r = np.zeros(len(v))
    if len(v) > 1:
        prev = v[:-1]
        ok = prev > 0
        r[1:][ok] = (v[1:][ok] - f[1:][ok]) / prev[ok] - 1.0
    return pd.Series(np.cumprod(1.0 + r), index=values.index)


def holding_weights(
    holdings: pd.DataFrame, start_nav: dict[str, float], series_of: dict[str, str | None], columns: list[str]
) -> np.ndarray:
    """(P x A+1) initial values per series of each holder's snapshot, valued at the window start.

    ``holdings`` has ``holder``, ``product_code``, ``units``, ``market_value_amount``; rows are
    holders in order of first appearance; the last column collects products without a NAV series
    (held flat at their snapshot value).

    Examples
    --------
    >>> h = pd.DataFrame({"holder": ["a", "a", "b"], "product_code": ["F", "C", "F"],
    ...     "units": [10.0, 5.0, 1.0], "market_value_amount": [20.0, 5.0, 2.0]})
    >>> holding_weights(h, {"N": 3.0}, {"F": "N", "C": None}, ["N"]).tolist()
    [[30.0, 5.0], [3.0, 0.0]]
    """
    holders = list(dict.fromkeys(holdings["holder"]))
    row = {h: i for i, h in enumerate(holders)}
    col = {s: j for j, s in enumerate(columns)}
    w = np.zeros((len(holders), len(columns) + 1))
    for holder, code, units, mv in zip(
        holdings["holder"], holdings["product_code"], holdings["units"], holdings["market_value_amount"],
        strict=True,
    ):  # fmt: skip
        s = series_of.get(code)
        if s is not None and s in col and s in start_nav:
            w[row[holder], col[s]] += float(units) * start_nav[s]
        else:
            w[row[holder], -1] += float(mv)
    return w


def percentile(client: float, peers: np.ndarray) -> float:
    """Share of peers whose drawdown was smaller (less negative) than the client's; ties count half.

    Examples
    --------
    >>> percentile(-0.2, np.array([-0.1, -0.2, -0.3, -0.05]))
    0.625
    """
    p = np.asarray(peers, dtype=float)
    return float(((p > client).sum() + 0.5 * (p == client).sum()) / len(p))


# ----- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    key: str  # subject key
    name_zh: str
    name_en: str
    start: date
    end: date


def choose_window(reader: ClientReader, subject: str) -> Window:
    """The review's window from ``subject`` (scenario key, ``history:<peak>:<trough>`` or "")."""
    if subject.startswith("history:"):
        parts = subject.split(":")
        try:
            start, end = date.fromisoformat(parts[1]), date.fromisoformat(parts[2])
        except (IndexError, ValueError):
            start = end = None
        if start is None or end is None or len(parts) != 3 or not start < end <= reader.as_of:
            raise InputError(
                f"unknown window {subject!r}: write history:<peak>:<trough> with ISO dates, peak before "
                f"trough, trough on or before {reader.as_of}",
                errors=[FieldError(("subject",), "expected history:YYYY-MM-DD:YYYY-MM-DD", subject)],
            )
        return Window(subject, "近期最大回撤", "Largest recent fall", start, end)
    if subject:
        library = scenario_library(reader.settings)
        if subject not in library:
            keys = ", ".join(sorted(library))
            raise InputError(
                f"unknown scenario {subject!r}; choose one of {keys}, or leave the subject empty for the "
                f"benchmark's largest fall",
                errors=[FieldError(("subject",), f"unknown scenario; valid keys: {keys}", subject)],
            )
        s = library[subject]
        return Window(s.key, s.name_zh, s.name_en, s.start, s.end)
    prices = reader.prices([BENCHMARK_SERIES], reader.as_of - timedelta(days=HISTORY_DAYS - 1), reader.as_of)
    fall = largest_fall(prices[BENCHMARK_SERIES]) if BENCHMARK_SERIES in prices.columns else None
    if fall is None:
        raise InputError(
            f"no fall of {BENCHMARK_SERIES} in its prices of the {HISTORY_DAYS} days to {reader.as_of}: "
            "import market prices first, or name a scenario",
            errors=[FieldError(("subject",), "no benchmark history to find a fall in", subject)],
        )
    peak, trough = fall[0].date(), fall[1].date()
    return Window(f"history:{peak}:{trough}", "近期最大回撤", "Largest recent fall", peak, trough)


def _covered(prices: pd.DataFrame, series: str, start: date, end: date) -> bool:
    if series not in prices.columns:
        return False
    s = prices[series].dropna()
    return (
        not s.empty
        and s.index[0] <= pd.Timestamp(start)
        and s.index[-1] >= pd.Timestamp(end) - pd.Timedelta(days=COVER_SLACK_DAYS)
    )


@dataclass(frozen=True)
class Action:
    on: date
    kind: str  # purchase | redemption
    code: str
    amount: float  # CNY, positive


@dataclass(frozen=True)
class CrisisFacts:
    client_no: str
    client_name: str
    as_of: date
    window: Window
    data_as_of: date
    benchmark: pd.Series  # daily level over the shown span (window start .. tail end)
    account: pd.Series  # client's daily account value on the same days (CNY, flows included)
    flows: pd.Series  # net flow into the investments on the same days (CNY, purchases positive)
    index: pd.Series  # flow-free (time-weighted) index of the account on the same days, 1 on the first
    units_gaps: pd.DataFrame  # at each snapshot after the start: rebuilt units - snapshot units per product
    snapshot_on: date  # the snapshot the buy-and-hold replay starts from
    bh_drawdown: float  # client's buy-and-hold maximum drawdown over the window
    peer_drawdowns: np.ndarray  # each peer's buy-and-hold maximum drawdown
    peer_group: str | None  # e.g. "C3 · mass", None when the client has no current profile
    actions: list[Action]
    names: dict[str, tuple[str, str]]
    recovered_on: date | None  # first day the benchmark closed at or above its window peak again


def _nav(reader: ClientReader, series: list[str], start: date, end: date, lo: date, hi: date) -> pd.DataFrame:
    """NAVs of ``series`` from ``lo`` to ``hi``, checking each covers ``start`` .. ``end``."""
    nav = reader.prices(series, lo, hi)
    gaps = [s for s in series if not _covered(nav, s, start, end)]
    if gaps:
        raise InputError(
            f"no prices for the window {start} to {end} for {', '.join(sorted(gaps))}: import the "
            "NAV history of these products first",
            errors=[FieldError(("series",), "no prices for the window", s) for s in sorted(gaps)],
        )
    return nav


def _series_of(reader: ClientReader) -> dict[str, str | None]:
    return {
        code: series
        for code, series in reader.session.execute(select(Product.code, Product.price_series_code))
    }


def _peer_numbers(reader: ClientReader) -> tuple[list[str], str | None]:
    profile = reader.profile()
    if profile is None or not profile.effective_risk:
        return [], None
    version = reader.session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    nos = reader.session.scalars(
        select(Party.party_no)
        .join(ClientProfile, ClientProfile.party_id == Party.id)
        .where(
            ClientProfile.version_id == version, ClientProfile.effective_risk == profile.effective_risk,
            ClientProfile.tier == profile.tier, Party.id != reader.party.id,
        )
    ).all()  # fmt: skip
    return sorted(nos), f"{profile.effective_risk}|{profile.tier}"


def _start_snapshots(reader: ClientReader, party_nos: list[str], on: date) -> pd.DataFrame:
    """Each client's last snapshot on or before ``on`` (one DuckDB query for all of them)."""
    if not party_nos:
        return pd.DataFrame(columns=["holder", "product_code", "units", "market_value_amount"])
    con = reader.lake()
    return con.execute(
        "WITH s AS (SELECT party_no, as_of_on, product_code, sum(units)::DOUBLE AS units, "
        "sum(market_value_amount)::DOUBLE AS market_value_amount FROM holdings_snapshots "
        "WHERE party_no IN (SELECT unnest(?)) AND as_of_on <= ? GROUP BY 1, 2, 3) "
        "SELECT party_no AS holder, product_code, units, market_value_amount FROM s "
        "QUALIFY as_of_on = max(as_of_on) OVER (PARTITION BY party_no) ORDER BY 1, 2",
        [party_nos, on],
    ).df()


def _trades(reader: ClientReader, start: date, end: date) -> pd.DataFrame:
    """The client's trades of ``FLOW_KINDS`` booked on business days ``start`` .. ``end``: ``on``
    (business date), ``kind``, ``product_code``, ``amount`` (as booked: + into the cash account),
    ``units`` (NaN when not given) and ``flow`` (CNY into the investments: + for a purchase)."""
    con = reader.lake()
    frame = con.execute(
        "SELECT booked_at, kind, product_code, amount::DOUBLE AS amount, units::DOUBLE AS units "
        "FROM transactions WHERE party_no = ? AND booked_at >= ? AND booked_at < ? "
        "AND product_code IS NOT NULL AND kind IN (SELECT unnest(?)) ORDER BY booked_at",
        [reader.party.party_no, datetime.combine(start, time.min, reader.tz),
         datetime.combine(end + timedelta(days=1), time.min, reader.tz), list(FLOW_KINDS)],
    ).df()  # fmt: skip
    frame["on"] = [pd.Timestamp(b).tz_convert(reader.tz).date() for b in frame["booked_at"]]
    # a purchase takes money out of the cash account into the investments; the rest bring it back
    frame["flow"] = np.where(frame["kind"] == "purchase", 1.0, -1.0) * frame["amount"].abs()
    return frame[["on", "kind", "product_code", "amount", "units", "flow"]].reset_index(drop=True)


def load(reader: ClientReader, subject: str) -> CrisisFacts:
    """Read what the post-crisis review needs for ``reader``'s client and the window ``subject``."""
    w = choose_window(reader, subject)
    bench_all = reader.prices([BENCHMARK_SERIES], w.start - timedelta(days=14), reader.as_of)
    if not _covered(bench_all, BENCHMARK_SERIES, w.start, w.end):
        raise InputError(
            f"no {BENCHMARK_SERIES} prices for the window {w.start} to {w.end} ({w.key}): import the "
            "benchmark's history for these dates or choose another scenario",
            errors=[FieldError(("subject",), f"no {BENCHMARK_SERIES} prices for the window", w.key)],
        )
    bench = bench_all[BENCHMARK_SERIES].dropna()
    in_window = bench.loc[pd.Timestamp(w.start) : pd.Timestamp(w.end)]
    if in_window.empty:
        raise InputError(f"no {BENCHMARK_SERIES} prices between {w.start} and {w.end}")
    first_day = in_window.index[0]
    after = bench.loc[pd.Timestamp(w.end) + pd.Timedelta(days=1) :]
    shown = pd.concat([in_window, after.iloc[:RECOVERY_TAIL_DAYS]])
    peak_level = float(in_window.max())
    back = after[after >= peak_level]
    recovered_on = back.index[0].date() if not back.empty else None

    snaps = reader.snapshots(_EARLIEST, reader.as_of)
    if snaps.empty:
        raise InputError(
            f"client {reader.party.party_no} has no holdings snapshots on or before {reader.as_of}: "
            "there is nothing to review",
            errors=[FieldError(("party_no",), "no holdings", reader.party.party_no)],
        )
    snaps["as_of_on"] = pd.to_datetime(snaps["as_of_on"])
    snap_dates = sorted(d.date() for d in snaps["as_of_on"].unique())  # the current account included
    first_snap = snap_dates[0]
    if first_snap > first_day.date():
        raise InputError(
            f"the window {w.start} to {w.end} begins before client {reader.party.party_no}'s first holdings "
            f"snapshot of {first_snap}: choose a window starting on or after {first_snap}",
            errors=[FieldError(("subject",), "window before the client's first snapshot", w.key)],
        )
    snaps = snaps[~snaps["product_code"].isin(current_accounts(reader, sorted(set(snaps["product_code"]))))]
    snapshot_on = snaps.loc[snaps["as_of_on"] <= first_day, "as_of_on"].max()
    at_start = snaps[(snaps["as_of_on"] == snapshot_on) & (snaps["market_value_amount"] > 0)]
    if at_start.empty:
        raise InputError(
            f"client {reader.party.party_no} held no investment products at the start of the window ({w.start}; snapshot of "
            f"{pd.Timestamp(snapshot_on).date()}): there is nothing to review",
            errors=[FieldError(("party_no",), "no holdings at the window start", reader.party.party_no)],
        )
    # daily units: the snapshot before the first day, the trades after it, re-anchored at each snapshot
    shown_end = shown.index[-1].date()
    before = [d for d in snap_dates if d < first_day.date()]
    start_on = before[-1] if before else first_day.date() - timedelta(days=1)
    start_rows = snaps[snaps["as_of_on"] == pd.Timestamp(start_on)]
    later = snaps[
        (snaps["as_of_on"] > pd.Timestamp(start_on)) & (snaps["as_of_on"] <= pd.Timestamp(shown_end))
    ]
    trades = _trades(reader, start_on + timedelta(days=1), shown_end)
    series_of = _series_of(reader)
    peers, group = _peer_numbers(reader)
    peer_holdings = _start_snapshots(reader, peers, first_day.date())
    peer_holdings = peer_holdings[peer_holdings["market_value_amount"] > 0]
    cash = current_accounts(reader, sorted(set(peer_holdings["product_code"])))
    peer_holdings = peer_holdings[~peer_holdings["product_code"].isin(cash)]
    strict = (
        set(at_start["product_code"]) | set(start_rows["product_code"]) | set(peer_holdings["product_code"])
    )
    series = sorted({series_of[c] for c in strict if series_of.get(c)})
    lo = min(pd.Timestamp(snapshot_on).date(), start_on) - timedelta(days=14)
    nav = _nav(reader, series, first_day.date(), w.end, lo, shown_end) if series else pd.DataFrame()
    extra = sorted(
        {series_of[c] for c in set(later["product_code"]) | set(trades["product_code"]) if series_of.get(c)}
        - set(series)
    )  # bought or held later only: priced where there are prices, not required to cover the window
    if extra:
        nav = pd.concat([nav, reader.prices(extra, lo, shown_end)], axis=1).sort_index()
    unknown = trades["units"].isna() & trades["kind"].isin(("purchase", "redemption"))
    if unknown.any():  # units from the amount at that day's NAV, where there is one
        for i in trades.index[unknown]:
            s = series_of.get(trades.at[i, "product_code"])
            price = (
                nav[s].loc[: pd.Timestamp(trades.at[i, "on"])].dropna() if s in nav.columns else pd.Series()
            )
            if not price.empty and price.iloc[-1] > 0:
                trades.at[i, "units"] = abs(trades.at[i, "amount"]) / float(price.iloc[-1])
    anchors = [d for d in snap_dates if start_on < d <= shown_end]
    units, units_gaps = daily_units(
        dict(zip(start_rows["product_code"], start_rows["units"], strict=True)), start_on, trades, later,
        shown.index, anchors,
    )  # fmt: skip
    seen_snaps = snaps[(snaps["as_of_on"] >= pd.Timestamp(start_on)) & (snaps["units"] > 0)]
    seen_trades = trades[trades["units"] > 0]
    observed = pd.concat([
        pd.DataFrame({"on": seen_snaps["as_of_on"], "product_code": seen_snaps["product_code"],
                      "price": seen_snaps["market_value_amount"] / seen_snaps["units"]}),
        pd.DataFrame({"on": pd.to_datetime(seen_trades["on"]), "product_code": seen_trades["product_code"],
                      "price": seen_trades["amount"].abs() / seen_trades["units"]}),
    ])  # fmt: skip
    prices = unit_prices(list(units.columns), nav, series_of, observed, shown.index)
    account = account_values(units, prices)
    flows = flows_on_days(pd.to_datetime(trades["on"]), trades["flow"], shown.index)
    index = flow_free_index(account, flows)
    # buy-and-hold and peers: the holdings of the last snapshot on or before the first day, untouched
    window_nav = nav.reindex(nav.index.union(in_window.index)).sort_index().ffill().reindex(in_window.index)
    paths = np.column_stack([window_nav[series].to_numpy(), np.ones(len(in_window))]) if series else (
        np.ones((len(in_window), 1)))  # fmt: skip
    start_nav = {s: float(window_nav[s].iloc[0]) for s in series}
    mine = at_start.assign(holder=reader.party.party_no)
    bh = stress.replay(paths, holding_weights(mine, start_nav, series_of, series)[0])
    peer_dd = np.array([])
    if not peer_holdings.empty:
        weights = holding_weights(peer_holdings, start_nav, series_of, series)
        weights = weights[weights.sum(axis=1) > 0]
        if len(weights):
            peer_dd = np.asarray(stress.replay(paths, weights)["max_drawdown"])
    listed = trades[(trades["on"] >= w.start) & trades["kind"].isin(ACTION_KINDS)]
    actions = [
        Action(on, kind, code, abs(float(amount)))
        for on, kind, code, amount in zip(
            listed["on"], listed["kind"], listed["product_code"], listed["amount"], strict=True
        )
    ]
    codes = sorted(set(units.columns) | {a.code for a in actions})
    names = {
        p.code: (p.name, p.name_en or p.name)
        for p in reader.session.scalars(select(Product).where(Product.code.in_(codes)))
    }
    return CrisisFacts(
        client_no=reader.party.party_no, client_name=reader.party.name, as_of=reader.as_of, window=w,
        data_as_of=shown_end, benchmark=shown, account=account, flows=flows, index=index, units_gaps=units_gaps,
        snapshot_on=pd.Timestamp(snapshot_on).date(), bh_drawdown=float(bh["max_drawdown"]), peer_drawdowns=peer_dd,
        peer_group=group, actions=actions, names=names, recovered_on=recovered_on,
    )  # fmt: skip


# ----- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisNumbers:
    peak_on: date  # benchmark's highest close in the window
    trough_on: date  # benchmark's lowest close after the peak, in the window
    benchmark_drawdown: float
    account_drawdown: float  # client's flow-free (time-weighted) index: the investments' own fall
    bh_drawdown: float
    index_change: float  # flow-free index at window end / at window start - 1
    account_start: float  # account value (CNY, flows included) on the window's first day
    account_end: float  # ... and on its last day
    account_change: float  # account value at window end / at window start - 1
    peers: int
    peer_mean: float | None
    peer_median: float | None
    client_percentile: float | None
    moved_in: float  # CNY put into the investments within the window (purchases)
    moved_out: float  # CNY taken out within the window (redemptions and maturities)


def numbers(facts: CrisisFacts) -> CrisisNumbers:
    """The review's numbers (pure)."""
    w = facts.window
    bench = facts.benchmark.loc[pd.Timestamp(w.start) : pd.Timestamp(w.end)]
    account = facts.account.loc[bench.index]
    index = facts.index.loc[bench.index]
    peak = bench.idxmax()
    trough = bench.loc[peak:].idxmin()
    n = len(facts.peer_drawdowns)
    enough = n >= MIN_PEERS
    in_window = [a for a in facts.actions if a.on <= w.end]
    return CrisisNumbers(
        peak_on=peak.date(), trough_on=trough.date(), benchmark_drawdown=max_drawdown(bench.to_numpy()),
        account_drawdown=max_drawdown(index.to_numpy()), bh_drawdown=facts.bh_drawdown,
        index_change=float(index.iloc[-1] / index.iloc[0] - 1), account_start=float(account.iloc[0]),
        account_end=float(account.iloc[-1]), account_change=float(account.iloc[-1] / account.iloc[0] - 1),
        peers=n, peer_mean=float(facts.peer_drawdowns.mean()) if enough else None,
        peer_median=float(np.median(facts.peer_drawdowns)) if enough else None,
        client_percentile=percentile(facts.bh_drawdown, facts.peer_drawdowns) if enough else None,
        moved_in=sum(a.amount for a in in_window if a.kind == "purchase"),
        moved_out=sum(a.amount for a in in_window if a.kind in ("redemption", "maturity")),
    )  # fmt: skip


def _points(series: pd.Series, scale: float = 1.0, digits: int = 4) -> tuple[tuple[date, float], ...]:
    return tuple((d.date(), round(float(v) * scale, digits)) for d, v in series.items() if np.isfinite(v))


def build(facts: CrisisFacts, n: CrisisNumbers, *, lang: str, fmt: Formatter) -> Document:
    """The post-crisis review document in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    money = fmt.money
    w = facts.window
    bench, account, index = facts.benchmark, facts.account, facts.index
    base_day = pd.Timestamp(n.peak_on)
    rebased_bench = bench / bench.loc[base_day] * 100
    rebased_index = index / index.loc[base_day] * 100
    rebased_account = account / account.loc[base_day] * 100
    figures: dict[str, str] = {
        "peak_on": fmt.date(n.peak_on),
        "trough_on": fmt.date(n.trough_on),
        "benchmark_drawdown": pct(fmt, n.benchmark_drawdown),
        "account_drawdown": pct(fmt, n.account_drawdown),
        "bh_drawdown": pct(fmt, n.bh_drawdown),
        "index_change": pct(fmt, n.index_change),
        "account_start": money(round_amount(n.account_start)),
        "account_end": money(round_amount(n.account_end)),
        "account_change": pct(fmt, n.account_change),
        "moved_in": money(round_amount(n.moved_in)),
        "moved_out": money(round_amount(n.moved_out)),
        "peers": str(n.peers),
    }
    if n.peer_mean is not None:
        figures["peer_mean"] = pct(fmt, n.peer_mean)
        figures["peer_median"] = pct(fmt, n.peer_median)
        figures["client_percentile"] = fmt.pct(n.client_percentile, 0)

    def name(code: str) -> str:
        zh_name, en_name = facts.names.get(code, (code, code))
        return zh_name if zh else en_name

    labels = {"purchase": _("Purchase"), "redemption": _("Redemption"), "maturity": _("Maturity")}
    by_day: dict[date, dict[str, float]] = {}
    for a in facts.actions:
        if a.kind == "maturity":  # not the client's decision: listed in the table, not marked
            continue
        by_day.setdefault(a.on, {}).setdefault(a.kind, 0.0)
        by_day[a.on][a.kind] += a.amount
    marked = sorted(sorted(by_day, key=lambda d: -sum(by_day[d].values()))[:MAX_MARKERS])
    lo, hi = bench.index[0].date(), bench.index[-1].date()
    markers = [
        charts.Marker(d, " / ".join(labels[k] for k in sorted(by_day[d]))) for d in marked if lo <= d <= hi
    ]
    mine = _("Your investments (money moved left out)")
    chart_map: dict[str, charts.Chart] = {
        "level": charts.LineChart(
            title=_("CSI 300, your investments and your account value (100 = the CSI 300 peak day)"),
            series=(charts.Series(_("CSI 300"), _points(rebased_bench, digits=2)),
                    charts.Series(mine, _points(rebased_index, digits=2)),
                    charts.Series(_("Your account value (money moved included)"), _points(rebased_account, digits=2),
                                  dashed=True)),
            markers=tuple(markers), y_format="number",
        ),
        "drawdown": charts.LineChart(
            title=_("Fall from the running peak"),
            series=(charts.Series(_("CSI 300"), _points(pd.Series(drawdown(bench.to_numpy()), bench.index))),
                    charts.Series(mine, _points(pd.Series(drawdown(index.to_numpy()), index.index)))),
            y_format="pct", zero_line=True,
        ),
    }  # fmt: skip
    cats = [_("CSI 300"), _("Your investments"), _("Your holdings, held throughout")]
    vals = [n.benchmark_drawdown, n.account_drawdown, n.bh_drawdown]
    if n.peer_mean is not None:
        cats.append(_("Peer average"))
        vals.append(n.peer_mean)
    chart_map["compare"] = charts.BarChart(
        title=_("Maximum drawdown in the window"), categories=tuple(cats),
        groups=((_("Maximum drawdown"), tuple(round(v, 4) for v in vals)),), y_format="pct", height=220,
    )  # fmt: skip
    rows = [
        {"on": fmt.date(a.on), "kind": labels[a.kind], "name": name(a.code), "amount": money(round_amount(a.amount)),
         "phase": _("during the fall") if a.on <= w.end else _("in the recovery")}
        for a in facts.actions[:MAX_ACTION_ROWS]
    ]  # fmt: skip
    rest = facts.actions[MAX_ACTION_ROWS:]
    more = (
        _("%(n)s more, %(amount)s in all.") % {"n": len(rest), "amount": money(round_amount(sum(a.amount for a in rest)))}
        if rest else ""
    )  # fmt: skip
    window_days = bench.loc[pd.Timestamp(w.start) : pd.Timestamp(w.end)].index
    first = window_days[0]
    steps = [(first, _("Window start")), (pd.Timestamp(n.trough_on), _("CSI 300 low")),
             (window_days[-1], _("Window end")), (bench.index[-1], _("Last day shown"))]  # fmt: skip
    value_rows, seen = [], set()
    for day, label in steps:
        if day in seen:
            continue
        seen.add(day)
        value_rows.append({
            "label": label, "on": fmt.date(day.date()),
            "bench": pct(fmt, float(bench.loc[day] / bench.loc[first] - 1)),
            "index": pct(fmt, float(index.loc[day] / index.loc[first] - 1)),
            "value": money(round_amount(float(account.loc[day]))),
        })  # fmt: skip
    if n.moved_in or n.moved_out:
        moved = _("From %(start)s to %(end)s you put %(in)s into your investments and %(out)s came out of them through redemptions and maturities.") % {
            "start": fmt.date(w.start), "end": fmt.date(w.end), "in": figures["moved_in"], "out": figures["moved_out"]}  # fmt: skip
    else:
        moved = _("From %(start)s to %(end)s you moved no money into or out of your investments (%(in)s in, %(out)s out).") % {
            "start": fmt.date(w.start), "end": fmt.date(w.end), "in": figures["moved_in"], "out": figures["moved_out"]}  # fmt: skip
    three = {"a": figures["account_drawdown"], "b": figures["bh_drawdown"], "c": figures["benchmark_drawdown"],
             "on": fmt.date(facts.snapshot_on)}  # fmt: skip
    diff = n.account_drawdown - n.bh_drawdown
    if abs(diff) < 0.001:
        mix = _(
            "The holdings you had on %(on)s, left untouched, would have fallen at most %(b)s; your investments fell about as much (%(a)s): your trades since then changed your mix of products little."
        )
    elif diff > 0:
        mix = _(
            "The holdings you had on %(on)s, left untouched, would have fallen at most %(b)s; your investments fell less (%(a)s): your trades since then shifted your money towards products that fell less."
        )
    else:
        mix = _(
            "The holdings you had on %(on)s, left untouched, would have fallen at most %(b)s; your investments fell more (%(a)s): your trades since then shifted your money towards products that fell more."
        )
    flow_note = " ".join([
        mix % three,
        _("Neither figure counts money moved in or out, so both show what the market did to your products; the CSI 300 fell %(c)s, and as your products hold a different mix than its 300 large Chinese shares, their fall differs from the index's.") % three,
    ])  # fmt: skip
    group = None
    if facts.peer_group is not None:
        level, tier = facts.peer_group.split("|")
        group = {
            "level": level,
            "tier": {"hnw": _("high-net-worth"), "mass": _("mass"), "long_tail": _("long-tail")}.get(
                tier, tier
            ),
        }
    return Document(
        kind="post_crisis",
        lang=lang,
        title=_("Post-crisis review"),
        subject=f"{facts.client_name} ({facts.client_no}) · {w.name_zh if zh else w.name_en}",
        as_of=facts.as_of,
        data_as_of=facts.data_as_of,
        context={
            "window_name": w.name_zh if zh else w.name_en, "start": w.start, "end": w.end,
            "shown_end": bench.index[-1].date(), "recovered_on": facts.recovered_on,
            "snapshot_on": facts.snapshot_on, "rows": rows, "more": more, "action_count": len(facts.actions),
            "flow_note": flow_note, "moved": moved, "value_rows": value_rows, "group": group,
            "min_peers": MIN_PEERS, "has_peers": n.peer_mean is not None, "tail_days": RECOVERY_TAIL_DAYS,
            "first_day": first.date(), "last_window_day": window_days[-1].date(),
        },
        charts=chart_map,
        figures=figures,
    )  # fmt: skip


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The post-crisis review for ``reader``'s client (the report service's entry point).

    Parameters
    ----------
    reader
        The client's reader.
    lang, fmt
        Report language and its formatter.
    subject
        A scenario key of the library, ``"history:<peak>:<trough>"``, or ``""`` for the
        benchmark's largest fall up to ``reader.as_of``.

    Returns
    -------
    tuple
        The document and its subject key (the scenario key or ``"history:<peak>:<trough>"``).

    Raises
    ------
    InputError
        Unknown scenario (the valid keys are listed), no prices for the window, a window before
        the client's first snapshot, or no holdings at the window start.
    """
    facts = load(reader, subject)
    return build(facts, numbers(facts), lang=lang, fmt=fmt), facts.window.key
