"""The quarterly asset diagnosis (季度资产诊断): how the client's investments did in one quarter.

The subject is a calendar quarter (``"2026Q3"``); by default the last complete quarter ending
on or before the report's ``as_of``. Sections: value at the start and the end of the quarter,
net flows, the investment result and a simple return, the benchmark (CSI300) and a bond index
(CBA_BOND) over the same quarter, each product's contribution, allocation by asset class at
the start against the end, the trades of the quarter, and plain-language observations and
suggestions for the next quarter, each computed from those numbers.

Conventions
-----------
- Amounts are CNY; returns and shares are fractions (``0.05`` = 5 %).
- *Start* and *end* values are the month-end holdings snapshots dated on the previous quarter's
  last day and on the quarter's last day (calendar month ends, as the lake stores them).
- *Investments* are every product in the snapshots except the current account: a product of
  kind ``deposit`` that no purchase, redemption or maturity in the lake ever refers to (its
  balance moves with salary, spending and transfers, not with investment orders). The current
  account is shown separately, as cash at hand.
- *Net flows into investments* are taken from the transactions booked on the quarter's days
  (business timezone): purchases (money paid into products) minus redemptions, maturities and
  dividends (money paid out of products into the account). A transaction's ``amount`` is signed
  positive into the account, so the net flow of a product is minus the sum of its amounts.
  Purchase amounts include any subscription fee, which therefore shows as part of the result.
- *Investment result* = end value - start value - net flows; the *simple return* is the result
  over the start value. It ignores when in the quarter money came in or went out (not
  time-weighted), so a large purchase early in the quarter overstates it and one late in the
  quarter understates it; with no start value it is not defined (shown as "—").
- A product's *contribution* is its value change minus its own net flows, the same
  approximation per product; contributions sum to the investment result.
- Allocation looks through each product to its asset-class exposures (``product_exposures``);
  shares are of the investments' value at each date.
- Index returns compare the last price on or before each of the two snapshot dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select

from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.lake.store import Lake
from fincrm.portfolio.allocation import MODEL_MIX
from fincrm.portfolio.scenarios import ASSET_CLASSES
from fincrm.portfolio.service import BENCHMARK_SERIES, CLASS_SERIES
from fincrm.products.models import Product, ProductExposure
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.health import CLASS_LABELS, CONCENTRATION_LIMIT, DRIFT_LIMIT, round_amount
from fincrm.reports.reader import ClientReader

BOND_SERIES = CLASS_SERIES["bond"]  # the bond index shown beside the benchmark
FLOW_KINDS = ("purchase", "redemption", "maturity", "dividend")  # money into or out of products
TRADE_KINDS = ("purchase", "redemption", "maturity")  # listed as the quarter's trades
ORDER_KINDS = ("purchase", "redemption", "maturity")  # a deposit never named by these is the current account
MAX_TRADE_ROWS = 14  # trades listed in the table; the rest are summed in one line (page bound)
MAX_CHART_PRODUCTS = 10  # products drawn in the contribution chart; the rest as "Other products"
IDLE_CASH_SHARE = 0.20  # current account above this share of financial assets is called idle
PRODUCT_LOSS_REVIEW = -0.10  # a product losing more than this of its start value is flagged
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_end(year: int, quarter: int) -> date:
    """The last calendar day of a quarter.

    Examples
    --------
    >>> quarter_end(2026, 3), quarter_end(2026, 4)
    (datetime.date(2026, 9, 30), datetime.date(2026, 12, 31))
    """
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def parse_quarter(subject: str, as_of: date) -> tuple[str, date, date]:
    """The quarter a report covers: (key ``"YYYYQn"``, previous quarter end, quarter end).

    Parameters
    ----------
    subject
        ``""`` for the last complete quarter ending on or before ``as_of``, or ``"YYYYQn"``.
    as_of
        The report's day; an explicit quarter must have ended on or before it.

    Raises
    ------
    InputError
        ``subject`` is not of the form ``YYYYQn`` or the quarter is not complete by ``as_of``.

    Examples
    --------
    >>> parse_quarter("", date(2026, 11, 28))
    ('2026Q3', datetime.date(2026, 6, 30), datetime.date(2026, 9, 30))
    >>> parse_quarter("", date(2026, 12, 31))[0]
    '2026Q4'
    >>> parse_quarter("2026Q1", date(2026, 11, 28))[1:]
    (datetime.date(2025, 12, 31), datetime.date(2026, 3, 31))
    """
    if subject:
        match = _QUARTER.match(subject.strip())
        if match is None:
            raise InputError(
                f"unknown quarter {subject!r}: name a calendar quarter as YYYYQn, e.g. 2026Q3, "
                "or leave the subject empty for the last complete quarter",
                errors=[FieldError(("subject",), "expected a quarter as YYYYQn, e.g. 2026Q3", subject)],
            )
        year, quarter = int(match.group(1)), int(match.group(2))
        if quarter_end(year, quarter) > as_of:
            raise InputError(
                f"quarter {subject} ends on {quarter_end(year, quarter)}, after the report date {as_of}; "
                "choose a quarter that is complete",
                errors=[FieldError(("subject",), "quarter not complete on the report date", subject)],
            )
    else:
        year, quarter = as_of.year, (as_of.month - 1) // 3 + 1
        if quarter_end(year, quarter) > as_of:
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    prev = quarter_end(year, quarter - 1) if quarter > 1 else date(year - 1, 12, 31)
    return f"{year}Q{quarter}", prev, quarter_end(year, quarter)


@dataclass(frozen=True)
class Trade:
    on: date  # business day it was booked
    kind: str  # purchase | redemption | maturity
    code: str
    amount: float  # CNY, positive


@dataclass(frozen=True)
class QuarterFacts:
    client_no: str
    client_name: str
    as_of: date
    quarter: str  # "2026Q3"
    start_on: date  # snapshot date at the start (previous quarter end)
    end_on: date  # snapshot date at the end (quarter end)
    data_as_of: date
    start_values: dict[str, float]  # investment product -> CNY at start_on
    end_values: dict[str, float]  # investment product -> CNY at end_on
    flows: dict[str, dict[str, float]]  # product -> flow kind -> CNY (purchase positive in, others out)
    trades: list[Trade]
    names: dict[str, tuple[str, str]]  # product -> (zh name, en name)
    exposures: dict[str, dict[str, float]]  # product -> asset class -> fraction
    cash_start: float  # current account, CNY
    cash_end: float
    month_values: list[tuple[date, float]]  # investments value at each month end, last 4 quarters
    benchmark_return: float
    bond_return: float
    level: str | None  # effective risk level C1..C5


@dataclass(frozen=True)
class QuarterNumbers:
    """The quarter's computed numbers (CNY and fractions), before formatting."""

    start_value: float
    end_value: float
    purchases: float  # CNY paid into products
    redemptions: float  # CNY paid out by redemptions
    maturities: float
    dividends: float
    net_flow: float  # purchases - redemptions - maturities - dividends
    result: float  # end - start - net_flow
    simple_return: float | None  # result / start; None without a start value
    contribution: dict[str, float]  # product -> value change minus its net flow
    product_flow: dict[str, float]  # product -> its net flow (CNY into the product)
    product_return: dict[str, float | None]  # product -> contribution / start value
    alloc_start: dict[str, float]  # asset class -> share of investments at start
    alloc_end: dict[str, float]
    cash_share_end: float  # current account / (investments + current account) at the end
    top_share_end: float  # largest product / investments at the end
    top_code_end: str | None
    observations: list[str] = field(default_factory=list)


def numbers(facts: QuarterFacts) -> QuarterNumbers:
    """Compute the quarter's numbers from the facts (pure).

    Examples
    --------
    >>> f = QuarterFacts("P1", "A", date(2026, 11, 28), "2026Q3", date(2026, 6, 30), date(2026, 9, 30),
    ...     date(2026, 9, 30), {"F": 100.0}, {"F": 130.0, "B": 50.0},
    ...     {"F": {"purchase": 20.0, "dividend": 5.0}, "B": {"purchase": 50.0}}, [], {}, {"F": {"equity": 1.0},
    ...     "B": {"bond": 1.0}}, 0.0, 20.0, [], 0.0, 0.0, "C3")
    >>> n = numbers(f)
    >>> n.net_flow, n.result, n.simple_return, n.contribution
    (65.0, 15.0, 0.15, {'B': 0.0, 'F': 15.0})
    >>> round(n.alloc_end["equity"], 4), n.cash_share_end
    (0.7222, 0.1)
    """
    start = sum(facts.start_values.values())
    end = sum(facts.end_values.values())

    def total(kind: str) -> float:
        return sum(f.get(kind, 0.0) for f in facts.flows.values())

    purchases, redemptions = total("purchase"), total("redemption")
    maturities, dividends = total("maturity"), total("dividend")
    net = purchases - redemptions - maturities - dividends
    result = end - start - net
    codes = sorted(set(facts.start_values) | set(facts.end_values) | set(facts.flows))
    contribution, product_return, product_flow = {}, {}, {}
    for code in codes:
        f = facts.flows.get(code, {})
        flow = (
            f.get("purchase", 0.0)
            - f.get("redemption", 0.0)
            - f.get("maturity", 0.0)
            - f.get("dividend", 0.0)
        )
        c = facts.end_values.get(code, 0.0) - facts.start_values.get(code, 0.0) - flow
        contribution[code] = c
        product_flow[code] = flow
        s = facts.start_values.get(code, 0.0)
        product_return[code] = c / s if s > 0 else None
    top_code = max(facts.end_values, key=lambda k: (facts.end_values[k], k)) if end > 0 else None
    return QuarterNumbers(
        start_value=start, end_value=end, purchases=purchases, redemptions=redemptions,
        maturities=maturities, dividends=dividends, net_flow=net, result=result,
        simple_return=result / start if start > 0 else None, contribution=contribution, product_flow=product_flow,
        product_return=product_return, alloc_start=allocation(facts.start_values, facts.exposures),
        alloc_end=allocation(facts.end_values, facts.exposures),
        cash_share_end=facts.cash_end / (end + facts.cash_end) if end + facts.cash_end > 0 else 0.0,
        top_share_end=facts.end_values[top_code] / end if top_code else 0.0, top_code_end=top_code,
    )  # fmt: skip


def allocation(values: dict[str, float], exposures: dict[str, dict[str, float]]) -> dict[str, float]:
    """Look-through shares by asset class of a set of holdings (fractions of their total value).

    A product without exposures counts as cash. Every class of ``ASSET_CLASSES`` is a key.

    Examples
    --------
    >>> a = allocation({"A": 60.0, "B": 40.0}, {"A": {"equity": 0.5, "bond": 0.5}, "B": {"bond": 1.0}})
    >>> a["equity"], a["bond"], a["cash"]
    (0.3, 0.7, 0.0)
    """
    total = sum(values.values())
    out = {c: 0.0 for c in ASSET_CLASSES}
    if total <= 0:
        return out
    for code, value in values.items():
        for cls, share in (exposures.get(code) or {"cash": 1.0}).items():
            out[cls] = out.get(cls, 0.0) + share * value / total
    return out


def pct(fmt: Formatter, value: float | None, digits: int = 1) -> str:
    """``fmt.pct`` without a negative zero: a fall that rounds to nothing prints as 0.0%.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> pct(Formatter("en", ZoneInfo("UTC")), -0.00001), pct(Formatter("en", ZoneInfo("UTC")), -0.123)
    ('0.0%', '-12.3%')
    """
    if value is not None and round(value * 10 ** (digits + 2)) == 0:
        value = 0.0
    return fmt.pct(value, digits)


def index_return(prices: pd.Series, start: date, end: date) -> float | None:
    """Return of an index between the last prices on or before ``start`` and ``end`` (fraction).

    Examples
    --------
    >>> s = pd.Series([100.0, 104.0, 110.0], index=pd.to_datetime(["2026-06-29", "2026-06-30", "2026-09-30"]))
    >>> round(index_return(s, date(2026, 6, 30), date(2026, 9, 30)), 6)
    0.057692
    """
    s = prices.dropna()
    a, b = s.loc[: pd.Timestamp(start)], s.loc[: pd.Timestamp(end)]
    if a.empty or b.empty or a.index[-1] == b.index[-1] and start != end:
        return None
    return float(b.iloc[-1] / a.iloc[-1] - 1)


# ----- reading -------------------------------------------------------------------------------


def current_accounts(reader: ClientReader, codes: list[str]) -> set[str]:
    """Deposit products among ``codes`` that no purchase, redemption or maturity refers to."""
    deposits = set(
        reader.session.scalars(select(Product.code).where(Product.code.in_(codes), Product.kind == "deposit"))
    )
    if not deposits:
        return set()
    version = Lake(reader.settings.lake_path).current_dir("transactions")
    return deposits - _traded(reader, str(version), tuple(sorted(deposits)))


_TRADED: dict[tuple[str, tuple[str, ...]], set[str]] = {}  # (transactions version, deposits) -> traded


def _traded(reader: ClientReader, version: str, deposits: tuple[str, ...]) -> set[str]:
    """The deposits some order refers to: a scan of the whole transactions dataset, so cached per
    version of the dataset (a new import makes a new version and a new scan)."""
    key = (version, deposits)
    if key not in _TRADED:
        _TRADED[key] = {
            r[0]
            for r in reader.lake()
            .execute(
                "SELECT DISTINCT product_code FROM transactions WHERE product_code IN (SELECT unnest(?)) "
                "AND kind IN (SELECT unnest(?))",
                [list(deposits), list(ORDER_KINDS)],
            )
            .fetchall()
        }
    return _TRADED[key]


def product_names_and_exposures(
    reader: ClientReader, codes: list[str]
) -> tuple[dict[str, tuple[str, str]], dict[str, dict[str, float]], dict[str, str | None]]:
    """(names zh/en, look-through exposures, NAV series) of ``codes`` from the product store."""
    rows = reader.session.scalars(select(Product).where(Product.code.in_(codes))).all()
    names = {p.code: (p.name, p.name_en or p.name) for p in rows}
    series = {p.code: p.price_series_code for p in rows}
    ids = {p.id: p.code for p in rows}
    exposures: dict[str, dict[str, float]] = {}
    for e in reader.session.scalars(select(ProductExposure).where(ProductExposure.product_id.in_(list(ids)))):
        by = exposures.setdefault(ids[e.product_id], {})
        by[str(e.asset_class)] = by.get(str(e.asset_class), 0.0) + float(e.weight_pct) / 100
    return names, exposures, series


def load(reader: ClientReader, subject: str) -> QuarterFacts:
    """Read what the quarterly diagnosis needs for ``reader``'s client and the quarter ``subject``."""
    key, start_on, end_on = parse_quarter(subject, reader.as_of)
    history_start = quarter_end(int(key[:4]) - 1, int(key[5]))  # the value chart shows four quarters
    con = reader.lake()
    present = {
        pd.Timestamp(r[0]).date()
        for r in con.execute(
            "SELECT DISTINCT as_of_on FROM holdings_snapshots WHERE as_of_on IN (?, ?)",
            [start_on, end_on],
        ).fetchall()
    }
    missing = [d for d in (start_on, end_on) if d not in present]
    if missing:
        raise InputError(
            f"no holdings snapshot for quarter {key}: the lake has none dated "
            f"{' or '.join(d.isoformat() for d in missing)} (the quarter runs from the snapshot of "
            f"{start_on} to that of {end_on}); import the month-end snapshots first",
            errors=[FieldError(("subject",), "no snapshot for the quarter", key)],
        )
    snaps = reader.snapshots(history_start, end_on)
    if not snaps.empty:
        snaps["as_of_on"] = pd.to_datetime(snaps["as_of_on"]).dt.date
    txns = reader.transactions(start_on + timedelta(days=1), end_on, FLOW_KINDS)
    codes = sorted(set(snaps["product_code"]) if not snaps.empty else set())
    codes = sorted(set(codes) | set(txns["product_code"].dropna()) if not txns.empty else set(codes))
    current = current_accounts(reader, codes)

    def values_on(day: date, cash: bool) -> dict[str, float]:
        if snaps.empty:
            return {}
        rows = snaps[snaps["as_of_on"] == day]
        out: dict[str, float] = {}
        for code, value in zip(rows["product_code"], rows["market_value_amount"], strict=True):
            if (code in current) == cash and value > 0:
                out[code] = out.get(code, 0.0) + float(value)
        return out

    start_values, end_values = values_on(start_on, False), values_on(end_on, False)
    flows: dict[str, dict[str, float]] = {}
    trades: list[Trade] = []
    for booked, kind, amount, code in zip(
        txns.get("booked_at", []), txns.get("kind", []), txns.get("amount", []), txns.get("product_code", []),
        strict=True,
    ):  # fmt: skip
        if code is None or code in current or pd.isna(code):
            continue
        size = abs(float(amount))
        flows.setdefault(code, {})
        flows[code][kind] = flows[code].get(kind, 0.0) + size
        if kind in TRADE_KINDS:
            on = pd.Timestamp(booked).tz_convert(reader.tz).date()
            trades.append(Trade(on, kind, code, size))
    if not start_values and not end_values and not flows:
        raise InputError(
            f"client {reader.party.party_no} held no investment products in quarter {key} "
            f"(snapshots of {start_on} and {end_on}) and traded none: there is nothing to diagnose",
            errors=[FieldError(("party_no",), "no holdings in the quarter", reader.party.party_no)],
        )
    month_totals: dict[date, float] = {}
    if not snaps.empty:
        inv = snaps[~snaps["product_code"].isin(current)]
        month_totals = {d: float(v) for d, v in inv.groupby("as_of_on")["market_value_amount"].sum().items()}
    prices = reader.prices([BENCHMARK_SERIES, BOND_SERIES], start_on - timedelta(days=14), end_on)
    returns = {}
    for s in (BENCHMARK_SERIES, BOND_SERIES):
        r = index_return(prices[s], start_on, end_on) if s in prices.columns else None
        if r is None:
            raise InputError(
                f"no {s} prices around {start_on} and {end_on} for quarter {key}: import market prices first",
                errors=[FieldError(("series",), "no prices for the quarter", s)],
            )
        returns[s] = r
    names, exposures, _series = product_names_and_exposures(reader, codes)
    _investor, level = reader.investor()
    return QuarterFacts(
        client_no=reader.party.party_no, client_name=reader.party.name, as_of=reader.as_of, quarter=key,
        start_on=start_on, end_on=end_on, data_as_of=end_on, start_values=start_values,
        end_values=end_values, flows=flows, trades=sorted(trades, key=lambda t: (t.on, t.kind, t.code)),
        names=names, exposures=exposures, cash_start=sum(values_on(start_on, True).values()),
        cash_end=sum(values_on(end_on, True).values()),
        month_values=sorted((d, v) for d, v in month_totals.items() if history_start <= d <= end_on),
        benchmark_return=returns[BENCHMARK_SERIES], bond_return=returns[BOND_SERIES], level=level,
    )  # fmt: skip


# ----- building ------------------------------------------------------------------------------


def _short(name: str, lang: str) -> str:
    limit = 14 if lang == "zh-CN" else 30
    return name if len(name) <= limit else name[: limit - 1] + "…"


def observations(
    facts: QuarterFacts,
    n: QuarterNumbers,
    gettext: Callable[[str], str],
    fmt: Formatter,
    name: Callable[[str], str],
) -> tuple[list[str], list[str]]:
    """Plain-language observations of the quarter and suggestions for the next, from the numbers."""
    _ = gettext
    money = fmt.money
    obs: list[str] = []
    if n.simple_return is not None:
        obs.append(_(
            "Your investments returned %(ret)s on their start value this quarter (%(result)s); over the "
            "same quarter the CSI 300 returned %(bench)s and the bond index %(bond)s."
        ) % {"ret": fmt.pct(n.simple_return), "result": money(round_amount(n.result)),
             "bench": fmt.pct(facts.benchmark_return), "bond": fmt.pct(facts.bond_return)})  # fmt: skip
    if n.net_flow > 0:
        obs.append(
            _("You added %(amount)s net to your investments.") % {"amount": money(round_amount(n.net_flow))}
        )
    elif n.net_flow < 0:
        obs.append(_("Net %(amount)s left your investments (redemptions, maturities and dividends).") % {
            "amount": money(round_amount(-n.net_flow))})  # fmt: skip
    ranked = sorted(n.contribution.items(), key=lambda kv: kv[1])
    if ranked and ranked[-1][1] > 0:
        obs.append(_("The largest contribution came from %(product)s: %(amount)s.") % {
            "product": name(ranked[-1][0]), "amount": money(round_amount(ranked[-1][1]))})  # fmt: skip
    if ranked and ranked[0][1] < 0:
        obs.append(_("The largest drag was %(product)s: %(amount)s.") % {
            "product": name(ranked[0][0]), "amount": money(round_amount(ranked[0][1]))})  # fmt: skip
    shift = max(ASSET_CLASSES, key=lambda c: (abs(n.alloc_end[c] - n.alloc_start[c]), c))
    if n.start_value > 0 and n.end_value > 0 and abs(n.alloc_end[shift] - n.alloc_start[shift]) >= 0.005:
        obs.append(_("The largest change in allocation was in %(cls)s: from %(a)s to %(b)s of your investments.") % {
            "cls": _(CLASS_LABELS[shift]), "a": fmt.pct(n.alloc_start[shift]), "b": fmt.pct(n.alloc_end[shift])})  # fmt: skip
    tips: list[str] = []
    target = MODEL_MIX.get(facts.level or "", None)
    if target is not None and n.end_value > 0:
        drift = {c: n.alloc_end.get(c, 0.0) - target.get(c, 0.0) for c in ASSET_CLASSES}
        cls = max(drift, key=lambda c: (abs(drift[c]), c))
        if abs(drift[cls]) > DRIFT_LIMIT:
            tips.append(_(
                "Bring %(cls)s back towards the model allocation for your risk level: %(current)s of your "
                "investments against %(target)s."
            ) % {"cls": _(CLASS_LABELS[cls]), "current": fmt.pct(n.alloc_end[cls]),
                 "target": fmt.pct(target.get(cls, 0.0))})  # fmt: skip
    if n.top_code_end is not None and n.top_share_end > CONCENTRATION_LIMIT and len(facts.end_values) > 1:
        tips.append(_("%(product)s is %(share)s of your investments; consider spreading new money over other products.") % {
            "product": name(n.top_code_end), "share": fmt.pct(n.top_share_end)})  # fmt: skip
    elif n.top_code_end is not None and len(facts.end_values) == 1 and n.top_share_end > CONCENTRATION_LIMIT:
        tips.append(_("All your investments are in one product; consider spreading them over several."))
    paid_out = n.redemptions + n.maturities
    if paid_out > n.purchases and paid_out > 0:
        tips.append(_(
            "%(amount)s came back from redemptions and maturities and was not reinvested; plan where it "
            "should go next quarter."
        ) % {"amount": money(round_amount(paid_out - n.purchases))})  # fmt: skip
    if n.cash_share_end > IDLE_CASH_SHARE and (facts.level or "C1") != "C1":
        tips.append(_(
            "%(amount)s (%(share)s of your financial assets) sat in your current account at quarter end; "
            "cash you will not need soon could earn more in cash-management or fixed-income products."
        ) % {"amount": money(round_amount(facts.cash_end)), "share": fmt.pct(n.cash_share_end)})  # fmt: skip
    for code, r in sorted(n.product_return.items(), key=lambda kv: kv[1] if kv[1] is not None else 0.0):
        if r is not None and r < PRODUCT_LOSS_REVIEW:
            tips.append(_("%(product)s lost %(ret)s of its start value; review with your relationship manager whether it still fits.") % {
                "product": name(code), "ret": fmt.pct(-r)})  # fmt: skip
    if not tips:
        tips.append(
            _(
                "Your investments need no change from this quarter's numbers; we will review them again next quarter."
            )
        )
    return obs, tips


def build(facts: QuarterFacts, n: QuarterNumbers, *, lang: str, fmt: Formatter) -> Document:
    """The quarterly diagnosis document in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    money = fmt.money

    def name(code: str) -> str:
        zh_name, en_name = facts.names.get(code, (code, code))
        return zh_name if zh else en_name

    figures = {
        "start_value": money(round_amount(n.start_value)),
        "end_value": money(round_amount(n.end_value)),
        "net_flow": money(round_amount(n.net_flow)),
        "result": money(round_amount(n.result)),
        "simple_return": pct(fmt, n.simple_return),
        "benchmark_return": pct(fmt, facts.benchmark_return),
        "bond_return": pct(fmt, facts.bond_return),
        "purchases": money(round_amount(n.purchases)),
        "redemptions": money(round_amount(n.redemptions)),
        "maturities": money(round_amount(n.maturities)),
        "dividends": money(round_amount(n.dividends)),
        "cash_end": money(round_amount(facts.cash_end)),
    }
    obs, tips = observations(facts, n, _, fmt, name)
    ranked = sorted(n.contribution.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    rows = [
        {
            "name": name(code), "start": money(round_amount(facts.start_values.get(code, 0.0))),
            "end": money(round_amount(facts.end_values.get(code, 0.0))),
            "flow": money(round_amount(n.product_flow[code])),
            "contribution": money(round_amount(c)), "negative": c < 0,
        }
        for code, c in ranked
    ]  # fmt: skip
    chart_map: dict[str, charts.Chart] = {}
    if len(facts.month_values) >= 2:
        chart_map["value"] = charts.LineChart(
            title=_("Investments at each month end, last four quarters"),
            series=(charts.Series(_("Investments"), tuple((d, round(v, 2)) for d, v in facts.month_values)),),
            markers=(charts.Marker(facts.start_on, _("Quarter start")),),
            y_format="amount",
        )
    if ranked:
        shown = ranked[:MAX_CHART_PRODUCTS]
        cats = [_short(name(code), lang) for code, _c in shown]
        vals = [round(c, 2) for _code, c in shown]
        rest = ranked[MAX_CHART_PRODUCTS:]
        if rest:
            cats.append(_("Other products"))
            vals.append(round(sum(c for _code, c in rest), 2))
        chart_map["contribution"] = charts.BarChart(
            title=_("Contribution of each product to the quarter's result"),
            categories=tuple(cats), groups=((_("Contribution"), tuple(vals)),), y_format="amount",
            horizontal=True, height=max(160, 60 + 24 * len(cats)),
        )  # fmt: skip
    classes = [c for c in ASSET_CLASSES if n.alloc_start.get(c, 0) > 0 or n.alloc_end.get(c, 0) > 0]
    class_rows = [
        {"label": _(CLASS_LABELS[c]), "start": fmt.pct(n.alloc_start[c]), "end": fmt.pct(n.alloc_end[c]),
         "change": f"{(n.alloc_end[c] - n.alloc_start[c]) * 100:+.1f}"}
        for c in classes
    ]  # fmt: skip
    kinds = {"purchase": _("Purchase"), "redemption": _("Redemption"), "maturity": _("Maturity")}
    trade_rows = [
        {"on": fmt.date(t.on), "kind": kinds[t.kind], "name": name(t.code), "amount": money(round_amount(t.amount))}
        for t in facts.trades[:MAX_TRADE_ROWS]
    ]  # fmt: skip
    rest = facts.trades[MAX_TRADE_ROWS:]
    trades_more = (
        _("%(n)s more trades, %(amount)s in all.") % {
            "n": len(rest), "amount": money(round_amount(sum(t.amount for t in rest)))}
        if rest else ""
    )  # fmt: skip
    return Document(
        kind="quarterly",
        lang=lang,
        title=_("Quarterly asset diagnosis"),
        subject=f"{facts.client_name} ({facts.client_no}) · {facts.quarter}",
        as_of=facts.as_of,
        data_as_of=facts.data_as_of,
        context={
            "quarter": facts.quarter, "start_on": facts.start_on, "end_on": facts.end_on,
            "rows": rows, "class_rows": class_rows, "trade_rows": trade_rows, "trades_more": trades_more,
            "trade_count": len(facts.trades), "observations": obs, "suggestions": tips,
            "has_return": n.simple_return is not None, "cash_share_end": fmt.pct(n.cash_share_end),
        },
        charts=chart_map,
        figures=figures,
    )  # fmt: skip


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The quarterly diagnosis for ``reader``'s client (the report service's entry point).

    Parameters
    ----------
    reader
        The client's reader; ``reader.as_of`` picks the default quarter.
    lang, fmt
        Report language and its formatter.
    subject
        ``""`` (the last complete quarter) or ``"YYYYQn"``.

    Returns
    -------
    tuple
        The document and its subject key, the quarter (``"2026Q3"``).

    Raises
    ------
    InputError
        Bad quarter, no snapshot for the quarter, no investments in it, or no index prices.
    """
    facts = load(reader, subject)
    return build(facts, numbers(facts), lang=lang, fmt=fmt), facts.quarter
