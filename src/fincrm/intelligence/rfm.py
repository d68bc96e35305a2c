"""Financial RFM: how liquid (R), how long held (F) and how well rewarded (M) each client's assets are.

A bank's RFM is not the retail "recency, frequency, monetary": for wealth clients we score

* **R, liquidity** - ``liquid_share``, the share of assets under management redeemable to cash within
  T+1 (product ``days_to_cash`` <= 1 business day and no lock-up left), and ``days_to_cash``, the
  asset-weighted days to cash including the lock-up still to run;
* **F, holding time** - ``holding_days``, the purchase-weighted average calendar days from a product's first
  purchase to its last redemption (closed positions) or to the valuation date (open ones);
* **M, risk-adjusted return** - ``return_12m`` over ``vol_12m`` of the client's own portfolio at its current
  weights, from daily prices of each product's series.

Conventions: amounts are float CNY (the reporting currency); "as of ``on``" means the end of that day, so
transactions booked on ``on`` (UTC date of ``booked_at``) count and later ones never do. Lock-ups run in
calendar days from the first purchase; ``days_to_cash`` adds them to the product's business days to cash.
Returns are simple, over the 12 months ending ``on``; volatility is annualised with 252 periods a year from
the sample covariance of daily simple returns. Every expression runs unchanged on DuckDB and PySpark;
rankings are ordered by value then ``party_no`` so both engines give the same scores.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from fincrm.intelligence.domain import BOOK, CELLS, HIGH_SCORE, NO_ASSETS, ratio_interval, wilson_interval
from fincrm.intelligence.inputs import Inputs

PERIODS_PER_YEAR = 252  # trading days a year, to annualise daily volatility
T_PLUS = 1  # business days to cash within which an asset counts as liquid
QUINTILES = 5
RANK_DECIMALS = 9  # values are rounded before ranking so float noise never reorders engines differently
_EPOCH = date(1970, 1, 1)


def positions_at(inputs: Inputs, on: date) -> ir.Table:
    """Each client's positions (CNY market value) as known at the end of ``on``, without look-ahead.

    The store's current holdings when ``on`` is on or after their valuation date, else the month-end
    holdings snapshot of the last month end on or before ``on`` (none before the first snapshot).

    Parameters
    ----------
    inputs
        The batch inputs.
    on
        Valuation date.

    Returns
    -------
    ir.Table
        ``party_no, product_code, market_value_amount`` (one row per client and product, value > 0).
    """
    con, holdings = inputs.con, inputs["holdings"]
    store_on = _as_date(con.execute(holdings.as_of_on.max()))
    if store_on is not None and on >= store_on:
        source = holdings
    else:
        snapshots = inputs["holdings_snapshots"].filter(lambda t: t.as_of_on <= on)
        last_on = _as_date(con.execute(snapshots.as_of_on.max()))
        source = snapshots.filter(lambda t: t.as_of_on == (last_on or _EPOCH))
    return (
        source.group_by("party_no", "product_code")
        .agg(market_value_amount=lambda t: t.market_value_amount.cast("float64").sum())
        .filter(lambda t: t.market_value_amount > 0)
    )


def features(inputs: Inputs, on: date, positions: ir.Table) -> ir.Table:
    """Liquidity, holding time and 12-month risk-adjusted return of every client as of ``on``.

    Parameters
    ----------
    inputs
        The batch inputs (transactions booked after ``on`` are ignored).
    on
        Valuation date.
    positions
        ``positions_at(inputs, on)``.

    Returns
    -------
    ir.Table
        One row per party: ``party_no, aum_amount`` (CNY), ``liquid_share`` (0-1), ``days_to_cash`` (days),
        ``holding_days`` (calendar days), ``return_12m`` (fraction), ``vol_12m`` (annualised fraction),
        ``rar_12m`` (return over volatility; null when volatility is 0). Clients without assets have
        ``aum_amount`` 0 and null metrics.
    """
    on_days = (on - _EPOCH).days
    products = inputs["products"].select(
        "product_code",
        days_to_cash=lambda t: t.days_to_cash.fill_null(0),
        lockup_days=lambda t: t.lockup_days.fill_null(0),
        series=lambda t: t.price_series_code,
    )
    tx = inputs["product_transactions"]
    tx = tx.filter(tx.day <= on, tx.product_code.notnull()).select(
        "party_no", "product_code", "kind", "amount", booked_days=tx.day.epoch_days()
    )
    traded = _traded(tx)
    first_bought = _first_bought(inputs["holdings"], traded, on)

    pos = positions.left_join(products, "product_code").left_join(first_bought, ["party_no", "product_code"])
    pos = pos.select("party_no", "product_code", "market_value_amount", "days_to_cash", "series", "first_days",
                     lockup_left=ibis.greatest(pos.first_days + pos.lockup_days - on_days, 0).fill_null(0))  # fmt: skip
    liquidity = pos.group_by("party_no").agg(
        aum_amount=pos.market_value_amount.sum(),
        liquid_amount=pos.market_value_amount.sum(
            where=(pos.days_to_cash <= T_PLUS) & (pos.lockup_left == 0)
        ),
        dtc_amount=(pos.market_value_amount * (pos.days_to_cash + pos.lockup_left)).sum(),
    )
    holding = _holding_days(traded, pos, on_days)
    performance = _performance(inputs["market_prices"], pos, liquidity, on)

    parties = inputs["parties"].select("party_no")
    joined = (
        parties.left_join(liquidity, "party_no")
        .left_join(holding, "party_no")
        .left_join(performance, "party_no")
    )
    aum = joined.aum_amount.fill_null(0.0)
    has = aum > 0

    def when(value: ir.Value) -> ir.Value:
        return ibis.ifelse(has, value, ibis.null().cast("float64"))

    return joined.select(
        "party_no",
        aum_amount=aum,
        liquid_share=when(joined.liquid_amount.fill_null(0.0) / joined.aum_amount),
        days_to_cash=when(joined.dtc_amount / joined.aum_amount),
        holding_days=when(joined.holding_days),
        return_12m=when(joined.return_12m.fill_null(0.0)),
        vol_12m=when(joined.vol_12m.fill_null(0.0)),
        rar_12m=when(ibis.ifelse(joined.vol_12m > 0, joined.return_12m / joined.vol_12m, None)),
    )


def scores(features: ir.Table) -> ir.Table:
    """Quintile scores 1-5 within the institution and the RFM cell of every client.

    Only clients with assets are ranked (``aum_amount > 0``): ``r_score`` by liquid share (then fewer days to
    cash), ``f_score`` by holding days, ``m_score`` by risk-adjusted return, each ordered by value then
    ``party_no`` (5 = most liquid, longest holding, best risk-adjusted return). A missing holding time counts
    as 0 days and a missing risk-adjusted return (no volatility) as 0.

    Returns
    -------
    ir.Table
        ``party_no, r_score, f_score, m_score`` (int, null without assets), ``rfm_cell`` (a key of
        ``domain.CELLS``, or ``no_assets``).
    """
    ranked = features.filter(features.aum_amount > 0)

    def quintile(*keys: ir.Value) -> ir.Value:
        return ibis.ntile(QUINTILES).over(ibis.window(order_by=[*keys, ranked.party_no])) + 1

    ranked = ranked.select(
        "party_no",
        r_score=quintile(ranked.liquid_share.round(RANK_DECIMALS), ibis.desc(ranked.days_to_cash.round(RANK_DECIMALS))),
        f_score=quintile(ranked.holding_days.fill_null(0.0).round(RANK_DECIMALS)),
        m_score=quintile(ranked.rar_12m.fill_null(0.0).round(RANK_DECIMALS)),
    )  # fmt: skip
    high = {s: ranked[s] >= HIGH_SCORE for s in ("r_score", "f_score", "m_score")}
    branches = [
        (
            (high["r_score"] == c.r_high) & (high["f_score"] == c.f_high) & (high["m_score"] == c.m_high),
            c.key,
        )
        for c in CELLS
    ]
    ranked = ranked.mutate(rfm_cell=ibis.cases(*branches, else_=NO_ASSETS))
    joined = features.select("party_no").left_join(ranked, "party_no")
    return joined.select(
        "party_no",
        r_score=joined.r_score.cast("int64"),
        f_score=joined.f_score.cast("int64"),
        m_score=joined.m_score.cast("int64"),
        rfm_cell=joined.rfm_cell.fill_null(NO_ASSETS),
    )


def tiers(features: ir.Table, hnw_min: float, mass_min: float) -> ir.Table:
    """Wealth tier of every client by assets under management (CNY); thresholds are inclusive.

    Parameters
    ----------
    features
        ``features(...)`` (reads ``party_no, aum_amount``).
    hnw_min
        AUM from which a client is high-net-worth (``FINCRM_TIER_HNW_MIN_AMOUNT``, default 6,000,000).
    mass_min
        AUM from which a client is in the mass tier (``FINCRM_TIER_MASS_MIN_AMOUNT``, default 50,000).

    Returns
    -------
    ir.Table
        ``party_no, tier`` with tier ``hnw``, ``mass`` or ``long_tail`` (see ``domain.tier_of``).

    Raises
    ------
    ValueError
        Unless 0 <= mass_min < hnw_min.
    """
    if not 0 <= mass_min < hnw_min:
        raise ValueError(f"tier thresholds must satisfy 0 <= mass_min < hnw_min (got {mass_min}, {hnw_min})")
    aum = features.aum_amount
    tier = ibis.cases((aum >= float(hnw_min), "hnw"), (aum >= float(mass_min), "mass"), else_="long_tail")
    return features.select("party_no", tier=tier)


LIFT_COLUMNS = [
    "rfm_cell", "clients", "repurchasers", "rate", "rate_low", "rate_high", "lift", "lift_low", "lift_high",
]  # fmt: skip


def lift(inputs: Inputs, window_days: int = 90) -> pd.DataFrame:
    """Repurchase rate per RFM cell over the last ``window_days``, against the whole book.

    Cells are computed as of the cutoff ``as_of - window_days`` (positions and transactions known then);
    a client repurchases when they have any ``purchase`` booked in (cutoff, as_of]. Each rate has a 95%
    Wilson interval and each lift (cell rate / book rate) a 95% Katz log interval.

    Returns
    -------
    pandas.DataFrame
        ``rfm_cell, clients, repurchasers, rate, rate_low, rate_high, lift, lift_low, lift_high``: one row per
        cell with clients, in the order of ``domain.CELLS`` then ``no_assets``, and last the whole book
        (``rfm_cell`` ``all``, lift 1).
    """
    if window_days <= 0:
        raise ValueError(f"window_days must be positive (got {window_days})")
    cutoff = inputs.as_of - timedelta(days=window_days)
    cells = scores(features(inputs, cutoff, positions_at(inputs, cutoff)))
    tx = inputs["product_transactions"]
    buyers = (
        tx.filter(tx.kind == "purchase", tx.day > cutoff, tx.day <= inputs.as_of)
        .select("party_no")
        .distinct()
        .mutate(bought=ibis.literal(1))
    )
    joined = cells.left_join(buyers, "party_no")
    counts = joined.group_by("rfm_cell").agg(
        clients=joined.party_no.count(), repurchasers=joined.bought.fill_null(0).sum()
    )
    frame = inputs.con.execute(counts)
    counts_of = {r.rfm_cell: (int(r.clients), int(r.repurchasers)) for r in frame.itertuples()}
    n_book = sum(n for n, _ in counts_of.values())
    x_book = sum(x for _, x in counts_of.values())
    order = [c.key for c in CELLS] + [NO_ASSETS]
    rows = []
    for key in [k for k in order if k in counts_of] + [BOOK]:
        n, x = counts_of.get(key, (n_book, x_book))
        low, high = wilson_interval(x, n)
        if key == BOOK:
            ratio, ratio_low, ratio_high = (1.0 if x_book else math.nan), math.nan, math.nan
        else:
            ratio, ratio_low, ratio_high = ratio_interval(x, n, x_book, n_book)
        rows.append((key, n, x, x / n if n else math.nan, low, high, ratio, ratio_low, ratio_high))
    return pd.DataFrame(rows, columns=LIFT_COLUMNS)


def _traded(tx: ir.Table) -> ir.Table:
    """Per client and product with a purchase: first purchase and last redemption or maturity day
    (days since 1970-01-01) and the amount purchased (CNY)."""
    is_buy, is_out = tx.kind == "purchase", tx.kind.isin(["redemption", "maturity"])
    return (
        tx.filter(is_buy | is_out)
        .group_by("party_no", "product_code")
        .agg(
            start_days=tx.booked_days.min(where=is_buy),
            out_days=tx.booked_days.max(where=is_out),
            bought_amount=tx.amount.abs().sum(where=is_buy),
        )
        .filter(lambda t: t.start_days.notnull())
    )


def _first_bought(holdings: ir.Table, traded: ir.Table, on: date) -> ir.Table:
    """First purchase day (days since 1970-01-01) per client and product, from transactions or the store."""
    from_tx = traded.select("party_no", "product_code", bought_days=traded.start_days)
    from_store = holdings.filter(holdings.first_bought_on.notnull(), holdings.first_bought_on <= on).select(
        "party_no", "product_code", bought_days=holdings.first_bought_on.epoch_days()
    )
    both = from_tx.union(from_store)
    return both.group_by("party_no", "product_code").agg(first_days=both.bought_days.min())


def _holding_days(traded: ir.Table, pos: ir.Table, on_days: int) -> ir.Table:
    """Purchase-weighted holding days per client.

    A closed position (traded but not held on ``on``) runs from its first purchase to its last redemption
    or maturity, weighted by the amount purchased; an open one runs from its first purchase (transactions or
    the store's ``first_bought_on``) to ``on``, weighted by the amount purchased or, without purchases in
    the history, by its market value. ``traded`` is ``_traded(...)``.
    """
    held = pos.select("party_no", "product_code", "market_value_amount", "first_days")
    closed = traded.anti_join(held, ["party_no", "product_code"])
    closed = closed.select(
        "party_no",
        days=ibis.greatest(closed.out_days.fill_null(on_days) - closed.start_days, 0).cast("float64"),
        weight=closed.bought_amount,
    )
    open_ = held.filter(held.first_days.notnull()).left_join(traded, ["party_no", "product_code"])
    open_ = open_.select(
        "party_no",
        days=ibis.greatest(on_days - open_.first_days, 0).cast("float64"),
        weight=open_.bought_amount.fill_null(open_.market_value_amount),
    )
    spells = closed.union(open_)
    spells = spells.filter(spells.weight > 0)
    per = spells.group_by("party_no").agg(
        weighted=(spells.days * spells.weight).sum(), weight=spells.weight.sum()
    )
    return per.select("party_no", holding_days=per.weighted / per.weight)


def _performance(prices: ir.Table, pos: ir.Table, liquidity: ir.Table, on: date) -> ir.Table:
    """12-month return and annualised volatility of each client's portfolio at its current weights.

    Never builds clients x days rows: per series the 12-month return and the sample covariance of daily
    simple returns (pairwise over common trading days), then per client Σ w·R and sqrt(Σ Σ w_i w_j cov_ij ·
    252) from a self-join of the client's few weighted series. Weights are shares of the whole AUM, so
    products without a series add return 0 and volatility 0.
    """
    weights = (
        pos.filter(pos.series.notnull())
        .group_by("party_no", "series")
        .agg(amount=lambda t: t.market_value_amount.sum())
    )
    weights = weights.join(liquidity.select("party_no", "aum_amount"), "party_no")
    weights = weights.select("party_no", "series", w=weights.amount / weights.aum_amount)

    held_series = weights.select("series").distinct()
    start = _year_before(on)
    window = prices.filter(prices.price_on >= start, prices.price_on <= on).semi_join(held_series, "series")
    series_return = window.group_by("series").agg(
        r=(window.price.argmax(window.price_on) / window.price.argmin(window.price_on)) - 1
    )
    daily = window.mutate(
        prev=window.price.lag().over(ibis.window(group_by=window.series, order_by=window.price_on))
    )
    daily = daily.filter(daily.prev.notnull()).select("series", "price_on", ret=daily.price / daily.prev - 1)
    left = daily.select(si="series", price_on="price_on", ri="ret")
    right = daily.select(sj="series", price_on="price_on", rj="ret")
    pairs = left.join(right, "price_on")
    cov = pairs.group_by("si", "sj").agg(cov=pairs.ri.cov(pairs.rj, how="sample"))

    ret = weights.left_join(series_return, "series")
    ret = ret.group_by("party_no").agg(return_12m=(ret.w * ret.r.fill_null(0.0)).sum())
    wi = weights.select("party_no", si="series", wi="w")
    wj = weights.select("party_no", sj="series", wj="w")
    grid = wi.join(wj, "party_no").left_join(cov, ["si", "sj"])
    var = grid.group_by("party_no").agg(
        var=(grid.wi * grid.wj * grid.cov.fill_null(0.0)).sum() * PERIODS_PER_YEAR
    )
    var = var.select("party_no", vol_12m=ibis.greatest(var.var, 0.0).sqrt())
    return ret.join(var, "party_no")


def _year_before(on: date) -> date:
    try:
        return on.replace(year=on.year - 1)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 1, day=28)


def _as_date(value: object) -> date | None:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value  # type: ignore[return-value]
