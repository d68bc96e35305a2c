"""Attrition risk: per-client warning signs as of a date, a churn label defined from the data, and a
logistic regression trained on an earlier date and validated on a later one.

Conventions: features at T use only transactions, snapshots and interactions dated before T (UTC
calendar days); amounts CNY (float64); windows and thresholds are in
``fincrm.intelligence.attrition_rules``. Features and labels are Ibis expressions (DuckDB or
PySpark); only the fitted model runs in scikit-learn, on one row per client.

Time-based split for horizon H: train on features at T0 = as_of - 2H labelled over (T0, T0 + H],
validate on T1 = as_of - H labelled over (T1, as_of], refit on T1 and score every client at as_of.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from fincrm.errors import InputError
from fincrm.intelligence import attrition_rules as rules
from fincrm.intelligence.inputs import Inputs
from fincrm.lake.analytics import materialize


def _shift(at: date, days: int) -> date:
    return at - timedelta(days=days)


def _month_segments(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end) cut at calendar month boundaries: one piece per month it touches."""
    pieces, lo = [], start
    while lo < end:
        nxt = date(lo.year + lo.month // 12, lo.month % 12 + 1, 1)
        pieces.append((lo, min(nxt, end)))
        lo = nxt
    return pieces


def _between(day: ir.DateValue, lo: date, hi: date) -> ir.BooleanValue:
    return (day >= lo) & (day < hi)


def _snapshot_dates(inputs: Inputs, lo: date, hi: date) -> list[date]:
    s = inputs["holdings_snapshots"]
    s = s.filter(s.as_of_on >= lo, s.as_of_on < hi).select("as_of_on").distinct()
    values = inputs.con.execute(s.order_by("as_of_on")).as_of_on
    return [v.date() if isinstance(v, pd.Timestamp) else v for v in values]


def _wide(inputs: Inputs, dates: list[date], label_ends: list[date]) -> tuple[ir.Table, list[date]]:
    """Everything the features at ``dates`` and the labels need, from one pass over each source.

    One group-by over the transactions of the year before the earliest date (conditional
    aggregates per date and window: money sums, counts, the last client-initiated day, and per
    calendar month inside each salary window whether a salary arrived), one over the month-end
    holdings snapshots (the product value at each month end in range, one column each) and one over
    the complaints. Distinct counts are avoided on purpose: on 100M transactions six
    ``count(distinct month)`` aggregates took 17 s where the month pieces take about one.
    Returns the table (one row per party, ``party_no`` plus columns named by date index) and the
    month-end dates of its ``v{k}`` columns.
    """
    r = rules
    lookback = max(r.SALARY_RECENT_DAYS + r.SALARY_PRIOR_DAYS, r.SPEND_RECENT_DAYS + r.SPEND_PRIOR_DAYS,
                   r.FLOW_DAYS, r.INACTIVITY_CAP_DAYS)  # fmt: skip
    lo, hi = _shift(min(dates), lookback), max([*dates, *label_ends])
    t = inputs["transactions"]
    t = t.filter(t.booked_at >= _utc(lo), t.booked_at < _utc(hi))
    t = t.select("kind", "channel", "party_no", day=t.booked_at.date(), amount=t.amount.cast("float64"))
    salary, spend = t.kind == "salary_credit", t.kind == "card_spend"
    external = t.kind.isin(r.EXTERNAL_KINDS)
    acting = t.kind.isin(r.CLIENT_INITIATED_KINDS) & (t.channel != r.AUTOMATIC_CHANNEL)
    aggs: dict[str, ir.Value] = {}
    for i, at in enumerate(dates):
        recent_from = _shift(at, r.SALARY_RECENT_DAYS)
        windows = {"r": (recent_from, at), "p": (_shift(recent_from, r.SALARY_PRIOR_DAYS), recent_from)}
        for tag, (a, b) in windows.items():
            for j, (m0, m1) in enumerate(_month_segments(a, b)):
                aggs[f"sal{tag}{i}_{j}"] = t.count(where=salary & _between(t.day, m0, m1))
        flow = _between(t.day, _shift(at, r.FLOW_DAYS), at)
        spend_from = _shift(at, r.SPEND_RECENT_DAYS)
        aggs[f"net_flow{i}"] = t.amount.sum(where=external & flow)
        aggs[f"redeemed{i}"] = t.amount.sum(where=(t.kind == "redemption") & flow)
        aggs[f"spend_recent{i}"] = t.count(where=spend & _between(t.day, spend_from, at))
        aggs[f"spend_prior{i}"] = t.count(
            where=spend & _between(t.day, _shift(spend_from, r.SPEND_PRIOR_DAYS), spend_from)
        )
        aggs[f"last_active{i}"] = t.day.max(
            where=acting & _between(t.day, _shift(at, r.INACTIVITY_CAP_DAYS), at)
        )
    for i, (a, b) in enumerate(zip(dates[: len(label_ends)], label_ends, strict=False)):
        aggs[f"label_flow{i}"] = t.amount.sum(where=external & _between(t.day, a, b))
    tx = t.group_by("party_no").agg(**aggs)

    month_ends = _snapshot_dates(inputs, _shift(min(dates), r.PEAK_DAYS), hi)
    s = inputs["holdings_snapshots"]
    s = s.filter(s.as_of_on >= _shift(min(dates), r.PEAK_DAYS), s.as_of_on < hi)
    value = s.market_value_amount.cast("float64")
    snaps = None
    if month_ends:
        snaps = s.group_by("party_no").agg(
            **{f"v{k}": value.sum(where=s.as_of_on == d) for k, d in enumerate(month_ends)}
        )
    it = inputs["interactions"]
    it = it.filter(it.purpose == r.COMPLAINT_PURPOSE).mutate(day=it.occurred_at.date())
    complaints = it.group_by("party_no").agg(
        **{f"complaints{i}": it.count(where=_between(it.day, _shift(at, r.COMPLAINT_DAYS), at))
           for i, at in enumerate(dates)}
    )  # fmt: skip
    j = inputs["parties"].select("party_no")
    for part in (tx, snaps, complaints):
        if part is not None:
            j = j.left_join(part, "party_no").drop("party_no_right")
    return j, month_ends


def _utc(day: date) -> ir.TimestampScalar:
    """Midnight UTC starting ``day``: bounds on ``booked_at`` itself let the Parquet reader skip
    whole months by their statistics."""
    return ibis.literal(datetime(day.year, day.month, day.day, tzinfo=UTC), type="timestamp('UTC')")


def _value_at(w: ir.Table, month_ends: list[date], at: date) -> ir.FloatingValue:
    """Product value (CNY) at the last month end before ``at``; 0 without a snapshot."""
    before = [k for k, d in enumerate(month_ends) if d < at]
    return w[f"v{before[-1]}"].fill_null(0.0) if before else ibis.literal(0.0)


def _peak(w: ir.Table, month_ends: list[date], at: date) -> ir.FloatingValue:
    ks = [k for k, d in enumerate(month_ends) if _shift(at, rules.PEAK_DAYS) <= d < at]
    if not ks:
        return ibis.literal(0.0)
    peak = w[f"v{ks[0]}"] if len(ks) == 1 else ibis.greatest(*(w[f"v{k}"] for k in ks))
    return peak.fill_null(0.0)


def _features_of(w: ir.Table, month_ends: list[date], i: int, at: date) -> ir.Table:
    r = rules
    months = {
        tag: sum(
            (w[f"sal{tag}{i}_{j}"].fill_null(0) > 0).cast("int64") for j in range(len(_month_segments(a, b)))
        )
        for tag, (a, b) in {
            "r": (_shift(at, r.SALARY_RECENT_DAYS), at),
            "p": (_shift(at, r.SALARY_RECENT_DAYS + r.SALARY_PRIOR_DAYS), _shift(at, r.SALARY_RECENT_DAYS)),
        }.items()
    }
    assets = _value_at(w, month_ends, at)
    peak_amount = _peak(w, month_ends, at)
    last3 = ibis.literal(0) + months["r"]
    prior6 = ibis.literal(0) + months["p"]
    last3_f, prior6_f = last3.cast("float64"), prior6.cast("float64")
    outflow = -w[f"net_flow{i}"].fill_null(0.0)
    floor = ibis.literal(r.ASSET_FLOOR_AMOUNT)
    spend_recent = w[f"spend_recent{i}"].fill_null(0).cast("float64")
    spend_prior = w[f"spend_prior{i}"].fill_null(0).cast("float64") * (
        r.SPEND_RECENT_DAYS / r.SPEND_PRIOR_DAYS
    )
    inactive = (ibis.literal(at) - w[f"last_active{i}"]).cast("int64")

    def clip(x: ir.FloatingValue, hi: float) -> ir.FloatingValue:
        return ibis.greatest(ibis.least(x, hi), 0.0)

    return w.select(
        "party_no",
        salary_months_last3=last3.cast("int64"),
        salary_months_prior6=prior6.cast("int64"),
        assets_amount=assets,
        net_outflow_amount=outflow,
        inactivity_days=ibis.least(inactive.fill_null(r.INACTIVITY_CAP_DAYS), r.INACTIVITY_CAP_DAYS),
        complaints=w[f"complaints{i}"].fill_null(0),
        salary_drop=clip(prior6_f / 6 - last3_f / 3, 1.0),
        outflow_ratio=clip(outflow / ibis.greatest(assets, floor), r.OUTFLOW_RATIO_CAP),
        spend_drop=ibis.ifelse(spend_prior > 0, clip(1 - spend_recent / spend_prior, 1.0), 0.0),
        asset_decline=ibis.ifelse(peak_amount > 0, clip(1 - assets / peak_amount, 1.0), 0.0),
        redemption_ratio=clip(
            w[f"redeemed{i}"].fill_null(0.0) / ibis.greatest(peak_amount, floor), r.REDEMPTION_RATIO_CAP
        ),
    )


def _labels_of(w: ir.Table, month_ends: list[date], i: int, at: date, end: date) -> ir.Table:
    r = rules
    before, after = _value_at(w, month_ends, at), _value_at(w, month_ends, end)
    j = w.select("party_no", assets_amount=before, assets_after_amount=after,
                 outflow=-w[f"label_flow{i}"].fill_null(0.0))  # fmt: skip
    j = j.filter(j.assets_amount >= r.LABEL_MIN_ASSETS_AMOUNT)
    churned = (j.assets_after_amount <= (1 - r.LABEL_DRAIN_SHARE) * j.assets_amount) | (
        j.outflow >= r.LABEL_DRAIN_SHARE * j.assets_amount
    )
    return j.select("party_no", "assets_amount", "assets_after_amount", churned=churned)


def features(inputs: Inputs, at: date) -> ir.Table:
    """Attrition features of every party as of ``at``, from data dated before ``at``.

    Returns
    -------
    ir.Table
        Ordered by ``party_no``: ``party_no``, ``salary_months_last3``, ``salary_months_prior6``
        (distinct months with a salary credit), ``assets_amount`` (products at the last month end,
        CNY), ``net_outflow_amount`` (external money out less in over 90 days, CNY),
        ``inactivity_days``, ``complaints``, then the model features ``salary_drop`` (share of the
        prior salary rhythm lost, 0-1), ``outflow_ratio`` (net outflow / assets), ``spend_drop``
        (0-1), ``asset_decline`` (1 - assets / their 12-month peak) and ``redemption_ratio``
        (redemptions over 90 days / 12-month peak assets).
    """
    w, month_ends = _wide(inputs, [at], [])
    return _features_of(w, month_ends, 0, at).order_by("party_no")


def labels(inputs: Inputs, at: date, horizon_days: int) -> ir.Table:
    """Churn label of every party holding at least ``LABEL_MIN_ASSETS_AMOUNT`` at ``at``.

    ``churned`` is true when, by ``at + horizon_days``, the products are drained to at most
    ``1 - LABEL_DRAIN_SHARE`` of their value at ``at`` (last month ends before each date) or the net
    external outflow over [at, at + horizon) reaches ``LABEL_DRAIN_SHARE`` of it. Columns:
    ``party_no``, ``assets_amount``, ``assets_after_amount``, ``churned``; ordered by ``party_no``.
    """
    end = at + timedelta(days=horizon_days)
    w, month_ends = _wide(inputs, [at], [end])
    return _labels_of(w, month_ends, 0, at, end).order_by("party_no")


def _fit(frame: pd.DataFrame) -> tuple[StandardScaler, LogisticRegression]:
    y = frame.churned.astype(bool).to_numpy()
    if y.all() or not y.any():
        raise InputError(
            f"cannot train the attrition model: all {len(y)} labelled clients have churned={bool(y[:1].any())}; "
            "use a longer history or another horizon"
        )
    x = frame[list(rules.FEATURES)].to_numpy(dtype=float)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(
        C=rules.LOGISTIC_C, class_weight="balanced", max_iter=rules.LOGISTIC_MAX_ITER, solver="lbfgs"
    )
    return scaler, model.fit(scaler.transform(x), y)


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else None


def score(inputs: Inputs, horizon_days: int = 90) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Attrition score of every party at ``inputs.as_of`` with its top reasons, and the model metrics.

    Parameters
    ----------
    inputs
        The batch inputs; reads parties, transactions, holdings_snapshots and interactions.
    horizon_days
        H: churn within this many calendar days. Training uses T0 = as_of - 2H, validation
        T1 = as_of - H; the model is refitted on T1 when T1 has both classes, else the T0 model scores
        (and when only T1 has both classes, the T1 model scores without a validation figure).

    Returns
    -------
    tuple[pandas.DataFrame, dict]
        Frame ordered by ``party_no`` with ``party_no``, ``attrition_score`` (probability 0-1) and
        ``attrition_reasons`` (comma-separated codes of ``attrition_rules.REASONS``, may be empty);
        metrics with ``train_on``, ``validate_on``, row and positive counts, ``validation_auc``
        (None if one class), ``refit_on`` and ``coefficients`` (per standardised feature).

    When neither date has both churned and retained clients there is no model: the frame is
    empty and ``metrics["skipped"]`` says why (the batch then leaves the scores empty).

    Raises
    ------
    InputError
        If ``horizon_days`` is not positive.
    """
    if horizon_days <= 0:
        raise InputError(f"horizon_days must be positive, got {horizon_days}")
    as_of = inputs.as_of
    t0, t1 = as_of - timedelta(days=2 * horizon_days), as_of - timedelta(days=horizon_days)
    dates = [t0, t1, as_of]
    w, month_ends = _wide(inputs, dates, [t1, as_of])
    w = materialize(inputs.con, "attrition_wide", w)

    def training_set(i: int) -> pd.DataFrame:
        at = dates[i]
        f = _features_of(w, month_ends, i, at)
        lab = _labels_of(w, month_ends, i, at, at + timedelta(days=horizon_days)).select(
            "party_no", "churned"
        )
        return inputs.con.execute(f.join(lab, "party_no").order_by("party_no"))

    train, valid = training_set(0), training_set(1)
    cols = list(rules.FEATURES)
    y_train = train.churned.astype(bool).to_numpy()
    y_valid = valid.churned.astype(bool).to_numpy()
    metrics: dict[str, Any] = {
        "train_on": t0.isoformat(),
        "validate_on": t1.isoformat(),
        "horizon_days": horizon_days,
        "train_rows": len(train),
        "train_positives": int(y_train.sum()),
        "validation_rows": len(valid),
        "validation_positives": int(y_valid.sum()),
        "validation_auc": None,
        "refit_on": None,
    }
    both_train, both_valid = 0 < y_train.sum() < len(y_train), 0 < y_valid.sum() < len(y_valid)
    if not both_train and not both_valid:
        # A small or young book may hold no churner (or nobody else) in either window: then no score
        # is better than an invented one. The batch goes on; the run record says why.
        metrics["skipped"] = (
            f"no model: the labels at {t0} ({len(y_train)} clients, {int(y_train.sum())} churned) and at "
            f"{t1} ({len(y_valid)} clients, {int(y_valid.sum())} churned) each have a single class"
        )
        empty = pd.DataFrame(
            {"party_no": pd.Series(dtype="object"), "attrition_score": pd.Series(dtype="float64")}
        )
        empty["attrition_reasons"] = pd.Series(dtype="object")
        return empty, metrics
    if both_train:
        scaler, model = _fit(train)
        valid_score = model.predict_proba(scaler.transform(valid[cols].to_numpy(dtype=float)))[:, 1]
        metrics["validation_auc"] = _auc(y_valid, valid_score)
        metrics["refit_on"] = t0.isoformat()
    if both_valid:  # refit on the most recent labelled date
        scaler, model = _fit(valid)
        metrics["refit_on"] = t1.isoformat()
    metrics["coefficients"] = dict(zip(cols, np.round(model.coef_[0], 4).tolist(), strict=True))
    now = inputs.con.execute(_features_of(w, month_ends, 2, as_of).order_by("party_no"))
    z = scaler.transform(now[cols].to_numpy(dtype=float))
    probability = model.predict_proba(z)[:, 1]
    contributions = z * model.coef_[0]
    out = pd.DataFrame(
        {
            "party_no": now.party_no.to_numpy(),
            "attrition_score": probability,
            "attrition_reasons": rules.reasons(contributions),
        }
    )
    return out, metrics


def evaluate(scores_df: pd.DataFrame, answers: dict[str, Any]) -> dict[str, Any]:
    """ROC AUC of ``attrition_score`` for "is a planted attrition story" in a demo answer file.

    Returns ``auc`` (None if the scores hold no churner or only churners), ``churners`` (planted and
    scored), ``clients``, and ``churners_in_top`` (planted churners among the ``churners`` highest scores).
    """
    planted = {s["party_no"] for s in answers.get("stories", []) if s["kind"] == "attrition"}
    y = scores_df.party_no.isin(planted).to_numpy()
    ranked = scores_df.sort_values(["attrition_score", "party_no"], ascending=[False, True], kind="stable")
    top = ranked.head(int(y.sum()))
    return {
        "auc": _auc(y, scores_df.attrition_score.to_numpy()),
        "churners": int(y.sum()),
        "clients": len(scores_df),
        "churners_in_top": int(top.party_no.isin(planted).sum()),
    }


def backtest(
    inputs: Inputs, answers: dict[str, Any], *, horizon_days: int = 90, folds: int = 4
) -> dict[str, Any]:
    """Point-in-time check against the planted churners of a demo answer file.

    Scoring at ``as_of`` cannot test warning: planted churners may have left long before. So for
    each fold k = 1..``folds`` the whole method runs as of T_k = as_of - k·H (features, training and
    validation see only data before T_k), and the clients scored at T_k are labelled positive when
    their planted ``assets_drained_by`` date falls in (T_k, T_k + H]. Planted churners already
    drained by T_k are left out of that fold. The ROC AUC is over all folds' scores pooled.

    Returns ``auc`` (None without both classes), ``positives``, ``scored`` and ``folds`` (per fold:
    date, positives, auc, or the reason there is no model).
    """
    drained = {
        s["party_no"]: date.fromisoformat(s["dates"]["assets_drained_by"])
        for s in answers.get("stories", [])
        if s["kind"] == "attrition"
    }
    labels, scores, per_fold = [], [], []
    for k in range(1, folds + 1):
        at = inputs.as_of - timedelta(days=k * horizon_days)
        shifted = Inputs(inputs.con, dict(inputs), at)
        frame, metrics = score(shifted, horizon_days)
        if frame.empty:
            per_fold.append({"at": at.isoformat(), "skipped": metrics.get("skipped")})
            continue
        drained_on = pd.to_datetime(frame.party_no.map(drained))  # NaT: no planted story
        at_ts, window_end = pd.Timestamp(at), pd.Timestamp(at + timedelta(days=horizon_days))
        keep = ~(drained_on <= at_ts).to_numpy()  # already drained at T_k: left out of the fold
        frame, drained_on = frame[keep], drained_on[keep]
        y = ((drained_on > at_ts) & (drained_on <= window_end)).to_numpy(dtype=bool)
        labels.append(y)
        scores.append(frame.attrition_score.to_numpy())
        per_fold.append({"at": at.isoformat(), "positives": int(y.sum()), "auc": _auc(y, scores[-1])})
    y_all = np.concatenate(labels) if labels else np.array([], dtype=bool)
    s_all = np.concatenate(scores) if scores else np.array([])
    return {"auc": _auc(y_all, s_all), "positives": int(y_all.sum()), "scored": len(y_all), "folds": per_fold}
