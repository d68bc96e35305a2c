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

from datetime import date, timedelta
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


def _days_before(day: ir.DateValue, at: date, days: int) -> ir.BooleanValue:
    return (day >= at - timedelta(days=days)) & (day < at)


def _assets_at(inputs: Inputs, at: date) -> ir.Table:
    """Product assets per party at the last month-end snapshot before ``at`` (CNY)."""
    s = inputs["holdings_snapshots"]
    s = s.filter(s.as_of_on < at)
    last = s.as_of_on.max().as_scalar()
    s = s.filter(s.as_of_on == last)
    return s.group_by("party_no").agg(assets_amount=s.market_value_amount.cast("float64").sum())


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
    r = rules
    t = inputs["transactions"]
    t = t.mutate(day=t.booked_at.date(), amount=t.amount.cast("float64"))
    t = t.filter((t.day < at) & (t.day >= at - timedelta(days=r.PEAK_DAYS + r.SALARY_PRIOR_DAYS)))
    month = t.day.year() * 12 + t.day.month()
    salary = t.kind == "salary_credit"
    recent_salary = _days_before(t.day, at, r.SALARY_RECENT_DAYS)
    prior_salary = _days_before(t.day, at, r.SALARY_RECENT_DAYS + r.SALARY_PRIOR_DAYS) & ~recent_salary
    flow = _days_before(t.day, at, r.FLOW_DAYS)
    spend = t.kind == "card_spend"
    recent_spend = _days_before(t.day, at, r.SPEND_RECENT_DAYS)
    prior_spend = _days_before(t.day, at, r.SPEND_RECENT_DAYS + r.SPEND_PRIOR_DAYS) & ~recent_spend
    acting = t.kind.isin(r.CLIENT_INITIATED_KINDS) & (t.channel != r.AUTOMATIC_CHANNEL)
    tx = t.group_by("party_no").agg(
        salary_months_last3=month.nunique(where=salary & recent_salary),
        salary_months_prior6=month.nunique(where=salary & prior_salary),
        net_flow=t.amount.sum(where=t.kind.isin(r.EXTERNAL_KINDS) & flow),
        redeemed=t.amount.sum(where=(t.kind == "redemption") & flow),
        spend_recent=t.count(where=spend & recent_spend),
        spend_prior=t.count(where=spend & prior_spend),
        last_active_on=t.day.max(where=acting),
    )
    s = inputs["holdings_snapshots"]
    s = s.filter((s.as_of_on < at) & (s.as_of_on >= at - timedelta(days=r.PEAK_DAYS)))
    s = s.group_by("party_no", "as_of_on").agg(value=s.market_value_amount.cast("float64").sum())
    peak = s.group_by("party_no").agg(peak_amount=s.value.max())
    it = inputs["interactions"]
    it = it.filter(
        (it.purpose == r.COMPLAINT_PURPOSE) & _days_before(it.occurred_at.date(), at, r.COMPLAINT_DAYS)
    )
    complaints = it.group_by("party_no").agg(complaints=it.count())

    p = inputs["parties"].select("party_no")
    j = (
        p.left_join(tx, "party_no")
        .left_join(_assets_at(inputs, at), "party_no")
        .left_join(peak, "party_no")
        .left_join(complaints, "party_no")
    )
    assets = j.assets_amount.fill_null(0.0)
    peak_amount = j.peak_amount.fill_null(0.0)
    last3 = j.salary_months_last3.fill_null(0).cast("float64")
    prior6 = j.salary_months_prior6.fill_null(0).cast("float64")
    outflow = -j.net_flow.fill_null(0.0)
    floor = ibis.literal(r.ASSET_FLOOR_AMOUNT)
    spend_recent = j.spend_recent.fill_null(0).cast("float64")
    spend_prior = j.spend_prior.fill_null(0).cast("float64") * (r.SPEND_RECENT_DAYS / r.SPEND_PRIOR_DAYS)
    inactive = (ibis.literal(at) - j.last_active_on).cast("int64")

    def clip(x: ir.FloatingValue, hi: float) -> ir.FloatingValue:
        return ibis.greatest(ibis.least(x, hi), 0.0)

    return j.select(
        "party_no",
        salary_months_last3=last3.cast("int64"),
        salary_months_prior6=prior6.cast("int64"),
        assets_amount=assets,
        net_outflow_amount=outflow,
        inactivity_days=ibis.least(inactive.fill_null(r.INACTIVITY_CAP_DAYS), r.INACTIVITY_CAP_DAYS),
        complaints=j.complaints.fill_null(0),
        salary_drop=clip(prior6 / 6 - last3 / 3, 1.0),
        outflow_ratio=clip(outflow / ibis.greatest(assets, floor), r.OUTFLOW_RATIO_CAP),
        spend_drop=ibis.ifelse(spend_prior > 0, clip(1 - spend_recent / spend_prior, 1.0), 0.0),
        asset_decline=ibis.ifelse(peak_amount > 0, clip(1 - assets / peak_amount, 1.0), 0.0),
        redemption_ratio=clip(
            j.redeemed.fill_null(0.0) / ibis.greatest(peak_amount, floor), r.REDEMPTION_RATIO_CAP
        ),
    ).order_by("party_no")


def labels(inputs: Inputs, at: date, horizon_days: int) -> ir.Table:
    """Churn label of every party holding at least ``LABEL_MIN_ASSETS_AMOUNT`` at ``at``.

    ``churned`` is true when, by ``at + horizon_days``, the products are drained to at most
    ``1 - LABEL_DRAIN_SHARE`` of their value at ``at`` (last month ends before each date) or the net
    external outflow over [at, at + horizon) reaches ``LABEL_DRAIN_SHARE`` of it. Columns:
    ``party_no``, ``assets_amount``, ``assets_after_amount``, ``churned``; ordered by ``party_no``.
    """
    r = rules
    end = at + timedelta(days=horizon_days)
    before = _assets_at(inputs, at)
    before = before.filter(before.assets_amount >= r.LABEL_MIN_ASSETS_AMOUNT)
    after = _assets_at(inputs, end).rename(assets_after_amount="assets_amount")
    t = inputs["transactions"]
    t = t.mutate(day=t.booked_at.date())
    t = t.filter((t.day >= at) & (t.day < end) & t.kind.isin(r.EXTERNAL_KINDS))
    flows = t.group_by("party_no").agg(net_flow=t.amount.cast("float64").sum())
    j = before.left_join(after, "party_no").left_join(flows, "party_no")
    left = j.assets_after_amount.fill_null(0.0)
    outflow = -j.net_flow.fill_null(0.0)
    churned = (left <= (1 - r.LABEL_DRAIN_SHARE) * j.assets_amount) | (
        outflow >= r.LABEL_DRAIN_SHARE * j.assets_amount
    )
    return j.select("party_no", "assets_amount", assets_after_amount=left, churned=churned).order_by(
        "party_no"
    )


def _training_set(inputs: Inputs, at: date, horizon_days: int) -> pd.DataFrame:
    f = features(inputs, at)
    lab = labels(inputs, at, horizon_days).select("party_no", "churned")
    return inputs.con.execute(f.join(lab, "party_no").order_by("party_no"))


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
    train, valid = _training_set(inputs, t0, horizon_days), _training_set(inputs, t1, horizon_days)
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
    now = inputs.con.execute(features(inputs, as_of))
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
