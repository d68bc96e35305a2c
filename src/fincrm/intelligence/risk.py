"""Dynamic risk profile: the stated questionnaire level checked against how a client behaved when the
market fell.

Conventions: a drawdown period is the run of trading days on which the series closes at least
``threshold`` (a fraction) below its running peak; an ongoing period runs to ``inputs.as_of``. Events
(redemptions, inquiries) count when their UTC calendar day falls inside a period. Exposure is the
client's risky positions (``risk_rules.RISKY_RATINGS``) at the last month-end snapshot on or before a
period's start; shares are fractions 0-1, amounts CNY (float64). The scoring rules and their
thresholds live in ``fincrm.intelligence.risk_rules``; this module only turns them into Ibis
expressions, which run unchanged on DuckDB and PySpark.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from fincrm.intelligence import risk_rules as rules
from fincrm.intelligence.inputs import Inputs


def regimes(
    inputs: Inputs, series: str = rules.DRAWDOWN_SERIES, threshold: float = rules.DRAWDOWN_THRESHOLD
) -> ir.Table:
    """Drawdown periods of a market series up to ``inputs.as_of``.

    Parameters
    ----------
    inputs
        The batch inputs; reads ``market_prices``.
    series
        Market series code, e.g. ``"CSI300"``.
    threshold
        Fraction below the running peak (0.10 = 10 %) at or beyond which a day is in drawdown.

    Returns
    -------
    ir.Table
        One row per period, ordered by ``started_on``: ``series``, ``period_no`` (1, 2, ...),
        ``started_on`` and ``ended_on`` (first and last trading day in drawdown, inclusive),
        ``trough_on``, ``trading_days``, ``max_drawdown_pct`` (percent below the peak at the trough)
        and ``ongoing`` (still in drawdown on the last price).
    """
    prices = inputs["market_prices"]
    p = prices.filter(prices.series == series, prices.price_on <= inputs.as_of).select(
        "price_on", price=prices.price.cast("float64")
    )
    p = p.mutate(peak=p.price.max().over(ibis.cumulative_window(order_by=p.price_on)))
    p = p.mutate(drawdown=1 - p.price / p.peak)
    p = p.mutate(in_drawdown=p.drawdown >= threshold)
    p = p.mutate(previous=p.in_drawdown.lag().over(ibis.window(order_by=p.price_on)))
    starts = p.in_drawdown & ~p.previous.fill_null(False)
    p = p.mutate(starts=starts.cast("int64"))
    p = p.mutate(period_no=p.starts.sum().over(ibis.cumulative_window(order_by=p.price_on)))
    last_on = p.price_on.max().as_scalar()
    d = p.filter(p.in_drawdown)
    periods = d.group_by("period_no").agg(
        started_on=d.price_on.min(),
        ended_on=d.price_on.max(),
        trough_on=d.price_on.argmax(d.drawdown),
        trading_days=d.price_on.count(),
        max_drawdown=d.drawdown.max(),
    )
    return periods.select(
        series=ibis.literal(series),
        period_no=periods.period_no,
        started_on=periods.started_on,
        ended_on=periods.ended_on,
        trough_on=periods.trough_on,
        trading_days=periods.trading_days,
        max_drawdown_pct=(periods.max_drawdown * 100).round(2),
        ongoing=periods.ended_on == last_on,
    ).order_by("started_on")


def profile(
    inputs: Inputs, series: str = rules.DRAWDOWN_SERIES, threshold: float = rules.DRAWDOWN_THRESHOLD
) -> ir.Table:
    """One row per party: stated, behavioural and effective risk level with the evidence.

    Parameters
    ----------
    inputs
        The batch inputs; reads parties, risk_assessments, products, holdings_snapshots,
        transactions, interactions and market_prices.
    series, threshold
        The drawdown regime, as in ``regimes``.

    Returns
    -------
    ir.Table
        Ordered by ``party_no``: ``party_no``, ``stated_risk`` (latest questionnaire level taken on or
        before as_of, C1..C5, null if none), ``questionnaire_valid_until``, ``questionnaire_expired``
        (valid_until before as_of, or no questionnaire), ``behavioural_risk`` (C1..C5; the stated
        level when the client had no drawdown exposure), ``effective_risk`` (lower of the two),
        ``risk_drift`` (behavioural below stated) and ``behaviour_evidence`` (English, with figures).
    """
    as_of = inputs.as_of
    parties = inputs["parties"].select("party_no")
    stated = _latest_questionnaire(inputs)
    behaviour = _behaviour(inputs, series, threshold)
    t = parties.left_join(stated, "party_no").left_join(behaviour, "party_no")
    t = t.select(
        "party_no",
        "stated_risk",
        "questionnaire_valid_until",
        exposure=t.exposure_amount.fill_null(0.0),
        share=t.redemption_share.fill_null(0.0),
        calls=t.concern_calls.fill_null(0),
        loss=t.realised_loss_amount.fill_null(0.0),
    )
    stated_n = t.stated_risk.substr(1, 1).cast("int64")
    exposed = t.exposure > 0
    points = (
        ibis.cases(
            (t.share >= rules.REDEMPTION_SHARE_POINTS[0][0], rules.REDEMPTION_SHARE_POINTS[0][1]),
            (t.share >= rules.REDEMPTION_SHARE_POINTS[1][0], rules.REDEMPTION_SHARE_POINTS[1][1]),
            (t.share > 0, rules.REDEMPTION_SHARE_POINTS[2][1]),
            else_=0,
        )
        + ibis.ifelse(t.calls >= rules.CONCERN_CALLS_FOR_POINT, 1, 0)
        + ibis.ifelse(t.loss > 0, rules.LOSS_POINTS, 0)
    )
    supported = ibis.cases(*((points == k, v) for k, v in rules.POINTS_TO_LEVEL.items()), else_=1)
    behavioural_n = ibis.cases(
        (~exposed | (points == 0), stated_n),
        (stated_n.isnull(), supported),
        (supported < stated_n, supported),
        else_=stated_n,
    )
    effective_n = ibis.cases(
        (stated_n.isnull(), behavioural_n),
        (behavioural_n.isnull(), stated_n),
        (behavioural_n < stated_n, behavioural_n),
        else_=stated_n,
    )
    evidence = ibis.ifelse(
        exposed,
        ibis.literal("redeemed ")
        + (t.share * 100).round().cast("int64").cast("string")
        + "% of risky holdings during drawdowns; "
        + t.calls.cast("int64").cast("string")
        + " market_concern inquiries; realised loss "
        + t.loss.round().cast("int64").cast("string")
        + " CNY; exposure "
        + t.exposure.round().cast("int64").cast("string")
        + " CNY",
        "no risky holdings at the start of a drawdown",
    )

    def level(n: ir.IntegerValue) -> ir.StringValue:
        return ibis.ifelse(n.isnull(), ibis.null("string"), ibis.literal("C") + n.cast("string"))

    return t.select(
        "party_no",
        "stated_risk",
        "questionnaire_valid_until",
        questionnaire_expired=(t.questionnaire_valid_until < as_of).fill_null(True),
        behavioural_risk=level(behavioural_n),
        effective_risk=level(effective_n),
        risk_drift=(behavioural_n < stated_n).fill_null(False),
        behaviour_evidence=evidence,
    ).order_by("party_no")


def _latest_questionnaire(inputs: Inputs) -> ir.Table:
    ra = inputs["risk_assessments"]
    ra = ra.filter(ra.taken_on <= inputs.as_of)
    order = [ra.taken_on.desc(), ra.valid_until.desc(), ra.level.desc()]
    ra = ra.mutate(rank=ibis.row_number().over(group_by=ra.party_no, order_by=order))
    ra = ra.filter(ra.rank == 0)
    return ra.select("party_no", stated_risk=ra.level, questionnaire_valid_until=ra.valid_until)


def _behaviour(inputs: Inputs, series: str, threshold: float) -> ir.Table:
    """Per exposed party: exposure, redemption share, concern calls and realised loss in drawdowns."""
    as_of = inputs.as_of
    r = regimes(inputs, series, threshold)
    periods = r.select(
        "period_no",
        "started_on",
        end_on=ibis.ifelse(r.ongoing, ibis.literal(as_of), r.ended_on),
    )
    snaps = inputs["holdings_snapshots"]
    snap_days = snaps.select("as_of_on").distinct()
    near = snap_days.join(
        periods,
        [
            snap_days.as_of_on <= periods.started_on,
            snap_days.as_of_on > periods.started_on - ibis.interval(days=rules.SNAPSHOT_LOOKBACK_DAYS),
        ],
    )
    snap_of = near.group_by("period_no").agg(snap_on=near.as_of_on.max())
    snap_of = snap_of.join(periods, "period_no")
    # The few snapshot dates as literals, so that the Parquet reader skips every other month
    # (a join on the dates would read the whole snapshot history).
    used = inputs.con.execute(snap_of.select("snap_on").distinct()).snap_on
    used = [d.date() if isinstance(d, pd.Timestamp) else d for d in used]
    snaps = snaps.filter(snaps.as_of_on.isin(used) if used else ibis.literal(False))
    products = inputs["products"]
    risky = products.filter(products.risk_rating.isin(rules.RISKY_RATINGS)).select("product_code")
    pos = snaps.semi_join(risky, "product_code").join(snap_of, snaps.as_of_on == snap_of.snap_on)
    pos = pos.group_by("party_no", "product_code", "period_no").agg(
        units=pos.units.cast("float64").sum(),
        cost=pos.cost_amount.cast("float64").sum(),
        value=pos.market_value_amount.cast("float64").sum(),
    )
    pos = pos.filter(pos.units > 0)

    tx = inputs["product_transactions"]
    tx = tx.filter(tx.kind.isin(("redemption", "maturity")), tx.day <= as_of)
    # Units redeemed between the snapshot and the period's start are no longer exposed to it.
    before = tx.join(snap_of, [tx.day > snap_of.snap_on, tx.day < snap_of.started_on])
    before = before.group_by("party_no", "product_code", "period_no").agg(gone_units=before.units.sum())
    pos = pos.left_join(before, ["party_no", "product_code", "period_no"])
    left = pos.units - pos.gone_units.fill_null(0.0)
    kept = ibis.ifelse(left > 0, left, 0.0) / pos.units
    pos = pos.select(
        "party_no",
        "product_code",
        "period_no",
        units=pos.units * kept,
        cost=pos.cost * kept,
        value=pos.value * kept,
    )
    pos = pos.filter(pos.units > 0)
    tx = tx.filter(tx.kind == "redemption")
    red = tx.join(periods, [tx.day >= periods.started_on, tx.day <= periods.end_on])
    red = red.group_by("party_no", "product_code", "period_no").agg(
        red_units=red.units.sum(), red_amount=red.amount.sum()
    )
    j = pos.left_join(red, ["party_no", "product_code", "period_no"])
    red_units = j.red_units.fill_null(0.0)
    sold = ibis.ifelse(red_units > j.units, j.units, red_units)
    price = j.red_amount / j.red_units
    loss = ibis.ifelse(red_units > 0, sold * (j.cost / j.units - price), 0.0)
    j = j.select(
        "party_no",
        value=j.value,
        sold_value=sold / j.units * j.value,
        loss=ibis.ifelse(loss > 0, loss, 0.0).fill_null(0.0),
    )
    per_party = j.group_by("party_no").agg(
        exposure_amount=j.value.sum(), sold_value=j.sold_value.sum(), realised_loss_amount=j.loss.sum()
    )
    per_party = per_party.select(
        "party_no",
        "exposure_amount",
        "realised_loss_amount",
        redemption_share=ibis.ifelse(
            per_party.exposure_amount > 0, per_party.sold_value / per_party.exposure_amount, 0.0
        ),
    )
    it = inputs["interactions"]
    it = it.filter(it.purpose == rules.CONCERN_PURPOSE, it.direction == "inbound").mutate(
        day=it.occurred_at.date()
    )
    calls = it.join(periods, [it.day >= periods.started_on, it.day <= periods.end_on])
    calls = calls.group_by("party_no").agg(concern_calls=calls.count())
    return per_party.left_join(calls, "party_no").select(
        "party_no",
        "exposure_amount",
        "redemption_share",
        "realised_loss_amount",
        concern_calls=ibis._.concern_calls.fill_null(0),
    )


__all__ = ["profile", "regimes"]
