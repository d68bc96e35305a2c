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
- The client's daily account value is, for each product held, the units of the month-end
  snapshot on or before that day times the product's NAV that day (``price_series_code``, last
  price carried forward over a missing day); a product without a NAV series counts at its
  snapshot market value, flat until the next snapshot. The current account is left out (as in
  :mod:`fincrm.reports.quarterly`): its balance moves with salary and spending, which would read
  as market losses. Because units change only at month ends, money paid in or taken out
  shows as a step on the snapshot day (an approximation of when the flow happened).
- That value includes the client's flows, so its drawdown mixes market moves with the
  client's own purchases and redemptions. The *buy-and-hold* drawdown is flow-free: the
  holdings of the last snapshot on or before the window start, valued at the window's first
  day, replayed with :func:`fincrm.portfolio.stress.replay`.
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
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.lake.analytics import connect
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


def account_values(
    snapshots: pd.DataFrame, nav: pd.DataFrame, series_of: dict[str, str | None], days: pd.DatetimeIndex
) -> pd.Series:
    """Daily account value: units of the last snapshot on or before each day times that day's NAV.

    Parameters
    ----------
    snapshots
        Columns ``as_of_on`` (Timestamp), ``product_code``, ``units``, ``market_value_amount`` (CNY).
    nav
        Wide daily NAVs (date index), carried forward over missing days.
    series_of
        Product code -> NAV series, or None: such a product counts at its snapshot market value.
    days
        The days to value; days before the first snapshot are NaN.

    Examples
    --------
    >>> snaps = pd.DataFrame({"as_of_on": pd.to_datetime(["2025-01-31", "2025-01-31", "2025-02-28"]),
    ...     "product_code": ["F", "C", "F"], "units": [10.0, 5.0, 20.0],
    ...     "market_value_amount": [20.0, 5.0, 44.0]})
    >>> nav = pd.DataFrame({"N": [2.0, 2.2, 2.5]}, index=pd.to_datetime(["2025-01-31", "2025-02-28", "2025-03-03"]))
    >>> account_values(snaps, nav, {"F": "N", "C": None}, nav.index).tolist()
    [25.0, 44.0, 50.0]
    """
    nav = nav.reindex(nav.index.union(days)).sort_index().ffill().reindex(days)
    out = pd.Series(np.nan, index=days)
    dates = sorted(snapshots["as_of_on"].unique())
    for i, on in enumerate(dates):
        upto = dates[i + 1] if i + 1 < len(dates) else None
        mask = (days >= on) & ((days < upto) if upto is not None else True)
        if not mask.any():
            continue
        rows = snapshots[snapshots["as_of_on"] == on]
        value = np.zeros(int(mask.sum()))
        for code, units, mv in zip(
            rows["product_code"], rows["units"], rows["market_value_amount"], strict=True
        ):
            s = series_of.get(code)
            if s is not None and s in nav.columns:
                value += float(units) * nav.loc[mask, s].to_numpy()
            else:
                value += float(mv)
        out[mask] = value
    return out


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
    account: pd.Series  # client's daily account value on the same days
    snapshot_on: date  # the snapshot the buy-and-hold replay starts from
    bh_drawdown: float  # client's buy-and-hold maximum drawdown over the window
    peer_drawdowns: np.ndarray  # each peer's buy-and-hold maximum drawdown
    peer_group: str | None  # e.g. "C3 · mass", None when the client has no current profile
    actions: list[Action]
    names: dict[str, tuple[str, str]]
    recovered_on: date | None  # first day the benchmark closed at or above its window peak again


def _nav(reader: ClientReader, series: list[str], start: date, end: date, lo: date) -> pd.DataFrame:
    """NAVs of ``series`` from ``lo`` to ``end``, checking each covers ``start`` .. ``end``."""
    nav = reader.prices(series, lo, end)
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
    con = connect(reader.settings)
    try:
        return con.execute(
            "WITH s AS (SELECT party_no, as_of_on, product_code, sum(units)::DOUBLE AS units, "
            "sum(market_value_amount)::DOUBLE AS market_value_amount FROM holdings_snapshots "
            "WHERE party_no IN (SELECT unnest(?)) AND as_of_on <= ? GROUP BY 1, 2, 3) "
            "SELECT party_no AS holder, product_code, units, market_value_amount FROM s "
            "QUALIFY as_of_on = max(as_of_on) OVER (PARTITION BY party_no) ORDER BY 1, 2",
            [party_nos, on],
        ).df()
    finally:
        con.close()


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
    first_snap = snaps["as_of_on"].min().date()
    if first_snap > first_day.date():
        raise InputError(
            f"the window {w.start} to {w.end} begins before client {reader.party.party_no}'s first holdings "
            f"snapshot of {first_snap}: choose a window starting on or after {first_snap}",
            errors=[FieldError(("subject",), "window before the client's first snapshot", w.key)],
        )
    snaps = snaps[~snaps["product_code"].isin(current_accounts(reader, sorted(set(snaps["product_code"]))))]
    snapshot_on = snaps.loc[snaps["as_of_on"] <= first_day, "as_of_on"].max()
    snaps = snaps[(snaps["as_of_on"] >= snapshot_on) & (snaps["as_of_on"] <= shown.index[-1])]
    at_start = snaps[(snaps["as_of_on"] == snapshot_on) & (snaps["market_value_amount"] > 0)]
    if at_start.empty:
        raise InputError(
            f"client {reader.party.party_no} held no investment products at the start of the window ({w.start}; snapshot of "
            f"{snapshot_on.date()}): there is nothing to review",
            errors=[FieldError(("party_no",), "no holdings at the window start", reader.party.party_no)],
        )
    series_of = _series_of(reader)
    peers, group = _peer_numbers(reader)
    peer_holdings = _start_snapshots(reader, peers, first_day.date())
    peer_holdings = peer_holdings[peer_holdings["market_value_amount"] > 0]
    cash = current_accounts(reader, sorted(set(peer_holdings["product_code"])))
    peer_holdings = peer_holdings[~peer_holdings["product_code"].isin(cash)]
    held = set(snaps["product_code"]) | set(peer_holdings["product_code"])
    series = sorted({series_of[c] for c in held if series_of.get(c)})
    lo = min(snapshot_on.date(), first_day.date()) - timedelta(days=14)
    nav = _nav(reader, series, first_day.date(), w.end, lo) if series else pd.DataFrame()
    account = account_values(snaps, nav, series_of, shown.index)
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
    actions = []
    txns = reader.transactions(w.start, shown.index[-1].date(), ACTION_KINDS)
    for booked, kind, amount, code in zip(
        txns.get("booked_at", []), txns.get("kind", []), txns.get("amount", []), txns.get("product_code", []),
        strict=True,
    ):  # fmt: skip
        actions.append(
            Action(pd.Timestamp(booked).tz_convert(reader.tz).date(), kind, code, abs(float(amount)))
        )
    codes = sorted(set(snaps["product_code"]) | {a.code for a in actions})
    names = {
        p.code: (p.name, p.name_en or p.name)
        for p in reader.session.scalars(select(Product).where(Product.code.in_(codes)))
    }
    return CrisisFacts(
        client_no=reader.party.party_no, client_name=reader.party.name, as_of=reader.as_of, window=w,
        data_as_of=shown.index[-1].date(), benchmark=shown, account=account,
        snapshot_on=snapshot_on.date(), bh_drawdown=float(bh["max_drawdown"]), peer_drawdowns=peer_dd,
        peer_group=group, actions=actions, names=names, recovered_on=recovered_on,
    )  # fmt: skip


# ----- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisNumbers:
    peak_on: date  # benchmark's highest close in the window
    trough_on: date  # benchmark's lowest close after the peak, in the window
    benchmark_drawdown: float
    account_drawdown: float  # client's account value, flows included
    bh_drawdown: float
    account_change: float  # account value at window end / at window start - 1
    peers: int
    peer_mean: float | None
    peer_median: float | None
    client_percentile: float | None
    bought: float  # CNY purchased within the window
    redeemed: float


def numbers(facts: CrisisFacts) -> CrisisNumbers:
    """The review's numbers (pure)."""
    w = facts.window
    bench = facts.benchmark.loc[pd.Timestamp(w.start) : pd.Timestamp(w.end)]
    account = facts.account.loc[bench.index]
    peak = bench.idxmax()
    trough = bench.loc[peak:].idxmin()
    n = len(facts.peer_drawdowns)
    enough = n >= MIN_PEERS
    in_window = [a for a in facts.actions if a.on <= w.end]
    return CrisisNumbers(
        peak_on=peak.date(), trough_on=trough.date(), benchmark_drawdown=max_drawdown(bench.to_numpy()),
        account_drawdown=max_drawdown(account.to_numpy()), bh_drawdown=facts.bh_drawdown,
        account_change=float(account.iloc[-1] / account.iloc[0] - 1), peers=n,
        peer_mean=float(facts.peer_drawdowns.mean()) if enough else None,
        peer_median=float(np.median(facts.peer_drawdowns)) if enough else None,
        client_percentile=percentile(facts.bh_drawdown, facts.peer_drawdowns) if enough else None,
        bought=sum(a.amount for a in in_window if a.kind == "purchase"),
        redeemed=sum(a.amount for a in in_window if a.kind == "redemption"),
    )  # fmt: skip


def _points(series: pd.Series, scale: float = 1.0, digits: int = 4) -> tuple[tuple[date, float], ...]:
    return tuple((d.date(), round(float(v) * scale, digits)) for d, v in series.items() if np.isfinite(v))


def build(facts: CrisisFacts, n: CrisisNumbers, *, lang: str, fmt: Formatter) -> Document:
    """The post-crisis review document in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    money = fmt.money
    w = facts.window
    bench, account = facts.benchmark, facts.account
    base_day = pd.Timestamp(n.peak_on)
    rebased_bench = bench / bench.loc[base_day] * 100
    rebased_account = account / account.loc[base_day] * 100
    figures: dict[str, str] = {
        "peak_on": fmt.date(n.peak_on),
        "trough_on": fmt.date(n.trough_on),
        "benchmark_drawdown": pct(fmt, n.benchmark_drawdown),
        "account_drawdown": pct(fmt, n.account_drawdown),
        "bh_drawdown": pct(fmt, n.bh_drawdown),
        "bought": money(round_amount(n.bought)),
        "redeemed": money(round_amount(n.redeemed)),
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
    chart_map: dict[str, charts.Chart] = {
        "level": charts.LineChart(
            title=_("CSI 300 and your account value (100 = the CSI 300 peak day)"),
            series=(charts.Series(_("CSI 300"), _points(rebased_bench, digits=2)),
                    charts.Series(_("Your account"), _points(rebased_account, digits=2))),
            markers=tuple(markers), y_format="number",
        ),
        "drawdown": charts.LineChart(
            title=_("Fall from the running peak"),
            series=(charts.Series(_("CSI 300"), _points(pd.Series(drawdown(bench.to_numpy()), bench.index))),
                    charts.Series(_("Your account"), _points(pd.Series(
                        drawdown(account.to_numpy()), account.index)))),
            y_format="pct", zero_line=True,
        ),
    }  # fmt: skip
    cats = [_("CSI 300"), _("Your account"), _("Your holdings, held throughout")]
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
    diff = n.account_drawdown - n.bh_drawdown
    if abs(diff) < 0.001:
        flow_note = _(
            "Your account fell about as much as the holdings you had at the start would have on their own: your flows in the window changed little."
        )
    elif diff > 0:
        flow_note = _("Your account fell less than the holdings you had at the start would have on their own (%(a)s against %(b)s): money added or moved to steadier products during the window cushioned the fall.") % {
            "a": figures["account_drawdown"], "b": figures["bh_drawdown"]}  # fmt: skip
    else:
        flow_note = _("Your account fell more than the holdings you had at the start would have on their own (%(a)s against %(b)s): money moved into falling products or taken out of steadier ones during the window deepened the fall.") % {
            "a": figures["account_drawdown"], "b": figures["bh_drawdown"]}  # fmt: skip
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
            "flow_note": flow_note, "group": group, "min_peers": MIN_PEERS, "has_peers": n.peer_mean is not None,
            "tail_days": RECOVERY_TAIL_DAYS, "account_change": pct(fmt, n.account_change),
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
