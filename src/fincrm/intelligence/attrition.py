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

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from itertools import pairwise
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


def _between(day: ir.DateValue, lo: date, hi: date) -> ir.BooleanValue:
    return (day >= lo) & (day < hi)


def _pieces(windows: list[tuple[date, date]], cuts: list[date] = ()) -> list[tuple[date, date]]:
    """The elementary intervals of a set of [lo, hi) windows: cut at every window bound (and at
    ``cuts``), keeping the pieces that lie inside some window. Each window is a union of pieces."""
    lo, hi = min(a for a, _ in windows), max(b for _, b in windows)
    bounds = sorted({*(d for w in windows for d in w), *(c for c in cuts if lo < c < hi)})
    return [(a, b) for a, b in pairwise(bounds) if any(x <= a and b <= y for x, y in windows)]


def _month_starts(lo: date, hi: date) -> list[date]:
    out, m = [], lo.year * 12 + lo.month  # the month after lo's
    while (day := date(m // 12, m % 12 + 1, 1)) < hi:
        out.append(day)
        m += 1
    return out


@dataclass(frozen=True)
class _Plan:
    """The windows of the features at each of ``dates`` and of the labels over ``label_windows``
    ([at, at + horizon) for the first dates), and the elementary pieces that one pass over the
    transactions aggregates: dates 90 days apart share most windows, so the pieces are far fewer
    than the windows."""

    dates: tuple[date, ...]
    label_windows: tuple[tuple[date, date], ...] = ()

    def salary(self, i: int) -> dict[str, tuple[date, date]]:
        at = self.dates[i]
        recent_from = _shift(at, rules.SALARY_RECENT_DAYS)
        return {"r": (recent_from, at), "p": (_shift(recent_from, rules.SALARY_PRIOR_DAYS), recent_from)}

    def flow(self, i: int) -> tuple[date, date]:
        return _shift(self.dates[i], rules.FLOW_DAYS), self.dates[i]

    def spend(self, i: int) -> tuple[tuple[date, date], tuple[date, date]]:
        at = self.dates[i]
        recent_from = _shift(at, rules.SPEND_RECENT_DAYS)
        return (recent_from, at), (_shift(recent_from, rules.SPEND_PRIOR_DAYS), recent_from)

    @property
    def span(self) -> tuple[date, date]:
        windows = [w for i in range(len(self.dates)) for w in (*self.salary(i).values(), *self.spend(i))]
        windows += [self.flow(i) for i in range(len(self.dates))] + list(self.label_windows)
        lo = min([a for a, _ in windows] + [_shift(d, rules.INACTIVITY_CAP_DAYS) for d in self.dates])
        return lo, max(b for _, b in windows)

    @cached_property
    def external_pieces(self) -> list[tuple[date, date]]:
        return _pieces([self.flow(i) for i in range(len(self.dates))] + list(self.label_windows))

    @cached_property
    def redemption_pieces(self) -> list[tuple[date, date]]:
        return _pieces([self.flow(i) for i in range(len(self.dates))])

    @cached_property
    def spend_pieces(self) -> list[tuple[date, date]]:
        return _pieces([w for i in range(len(self.dates)) for w in self.spend(i)])

    @cached_property
    def salary_pieces(self) -> list[tuple[date, date]]:
        windows = [w for i in range(len(self.dates)) for w in self.salary(i).values()]
        lo, hi = min(a for a, _ in windows), max(b for _, b in windows)
        return _pieces(windows, _month_starts(lo, hi))


def _sum_of(w: ir.Table, prefix: str, pieces: list[tuple[date, date]], window: tuple[date, date],
            zero: float | int) -> ir.NumericValue:  # fmt: skip
    """The window's total from its piece columns (a piece without rows counts as ``zero``)."""
    parts = [
        w[f"{prefix}{k}"].fill_null(zero)
        for k, (a, b) in enumerate(pieces)
        if window[0] <= a and b <= window[1]
    ]
    total = ibis.literal(zero)
    for part in parts:
        total = total + part
    return total


def _salary_months(w: ir.Table, plan: _Plan, window: tuple[date, date]) -> ir.IntegerValue:
    """Distinct calendar months of ``window`` with a salary credit, from the salary pieces."""
    by_month: dict[tuple[int, int], list[int]] = {}
    for k, (a, b) in enumerate(plan.salary_pieces):
        if window[0] <= a and b <= window[1]:
            by_month.setdefault((a.year, a.month), []).append(k)
    months = ibis.literal(0, type="int64")
    for ks in by_month.values():
        credits = ibis.literal(0, type="int64")
        for k in ks:
            credits = credits + w[f"sal{k}"].fill_null(0)
        months = months + (credits > 0).cast("int64")
    return months


def _snapshot_dates(inputs: Inputs, lo: date, hi: date) -> list[date]:
    s = inputs["holdings_snapshots"]
    s = s.filter(s.as_of_on >= lo, s.as_of_on < hi).select("as_of_on").distinct()
    values = inputs.con.execute(s.order_by("as_of_on")).as_of_on
    return [v.date() if isinstance(v, pd.Timestamp) else v for v in values]


def _last_before(month_ends: list[date], at: date) -> int | None:
    before = [k for k, d in enumerate(month_ends) if d < at]
    return before[-1] if before else None


def _wide(inputs: Inputs, plan: _Plan) -> tuple[ir.Table, list[date]]:
    """Everything the features and labels of ``plan`` need, from one pass over each source.

    One group-by over the transactions of the plan's span (a conditional aggregate per piece and
    measure, and the last client-initiated day before each date), one over the month-end holdings
    snapshots (per client and month end first, then the values and 12-month peaks the dates need)
    and one over the complaints. Distinct counts are avoided on purpose: on 100M transactions six
    ``count(distinct month)`` aggregates took 17 s; salary months are counted from pieces cut at
    month starts instead. Every conditional aggregate costs about 0.1 s per 50M rows on two
    cores, which is why windows are shared through pieces. Returns the table (one row per party)
    and the month-end dates of the snapshots in range.
    """
    r = rules
    lo, hi = plan.span
    t = inputs["transactions"]
    t = t.filter(t.booked_at >= _utc(lo), t.booked_at < _utc(hi))
    # Kind tests once per row, as flags; windows as bounds on the timestamp itself (its UTC date
    # per row would cost more than all the aggregates' tests together).
    t = t.select(
        "party_no",
        "booked_at",
        amount=t.amount.cast("float64"),
        salary=t.kind == r.SALARY_KIND,
        spend=t.kind == "card_spend",
        external=t.kind.isin(r.EXTERNAL_KINDS),
        redemption=t.kind == "redemption",
        acting=t.kind.isin(r.CLIENT_INITIATED_KINDS) & (t.channel != r.AUTOMATIC_CHANNEL),
    )

    def within(a: date, b: date) -> ir.BooleanValue:
        return (t.booked_at >= _utc(a)) & (t.booked_at < _utc(b))

    aggs: dict[str, ir.Value] = {}
    for k, (a, b) in enumerate(plan.salary_pieces):
        aggs[f"sal{k}"] = t.count(where=t.salary & within(a, b))
    for k, (a, b) in enumerate(plan.external_pieces):
        aggs[f"ext{k}"] = t.amount.sum(where=t.external & within(a, b))
    for k, (a, b) in enumerate(plan.redemption_pieces):
        aggs[f"red{k}"] = t.amount.sum(where=t.redemption & within(a, b))
    for k, (a, b) in enumerate(plan.spend_pieces):
        aggs[f"spend{k}"] = t.count(where=t.spend & within(a, b))
    for i, at in enumerate(plan.dates):  # older than the inactivity cap counts as the cap anyway
        aggs[f"last_active{i}"] = t.booked_at.max(where=t.acting & (t.booked_at < _utc(at)))
    tx = t.group_by("party_no").agg(**aggs)

    peak_from = [_shift(at, r.PEAK_DAYS) for at in plan.dates]
    month_ends = _snapshot_dates(inputs, min(peak_from), hi)
    snaps = None
    if month_ends:
        s = inputs["holdings_snapshots"]
        s = s.filter(s.as_of_on >= min(peak_from), s.as_of_on < hi)
        per = s.group_by("party_no", "as_of_on").agg(value=s.market_value_amount.cast("float64").sum())
        ends = {plan.dates[i] for i in range(len(plan.dates))} | {b for _, b in plan.label_windows}
        needed = sorted({k for at in ends if (k := _last_before(month_ends, at)) is not None})
        values = {f"v{k}": per.value.max(where=per.as_of_on == month_ends[k]) for k in needed}
        peaks = {
            f"peak{i}": per.value.max(where=_between(per.as_of_on, peak_from[i], at))
            for i, at in enumerate(plan.dates)
        }
        snaps = per.group_by("party_no").agg(**values, **peaks)
    it = inputs["interactions"]
    it = it.filter(it.purpose == r.COMPLAINT_PURPOSE).mutate(day=it.occurred_at.date())
    complaints = it.group_by("party_no").agg(
        **{f"complaints{i}": it.count(where=_between(it.day, _shift(at, r.COMPLAINT_DAYS), at))
           for i, at in enumerate(plan.dates)}
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
    k = _last_before(month_ends, at)
    return ibis.literal(0.0) if k is None else w[f"v{k}"].fill_null(0.0)


def _features_of(w: ir.Table, plan: _Plan, month_ends: list[date], i: int) -> ir.Table:
    r = rules
    at = plan.dates[i]
    salary = plan.salary(i)
    last3 = _salary_months(w, plan, salary["r"])
    prior6 = _salary_months(w, plan, salary["p"])
    last3_f, prior6_f = last3.cast("float64"), prior6.cast("float64")
    assets = _value_at(w, month_ends, at)
    peak_amount = w[f"peak{i}"].fill_null(0.0) if month_ends else ibis.literal(0.0)
    outflow = -_sum_of(w, "ext", plan.external_pieces, plan.flow(i), 0.0)
    redeemed = _sum_of(w, "red", plan.redemption_pieces, plan.flow(i), 0.0)
    floor = ibis.literal(r.ASSET_FLOOR_AMOUNT)
    recent, prior = plan.spend(i)
    spend_recent = _sum_of(w, "spend", plan.spend_pieces, recent, 0).cast("float64")
    spend_prior = _sum_of(w, "spend", plan.spend_pieces, prior, 0).cast("float64") * (
        r.SPEND_RECENT_DAYS / r.SPEND_PRIOR_DAYS
    )
    inactive = (ibis.literal(at) - w[f"last_active{i}"].date()).cast("int64")

    def clip(x: ir.FloatingValue, hi: float) -> ir.FloatingValue:
        return ibis.greatest(ibis.least(x, hi), 0.0)

    return w.select(
        "party_no",
        salary_months_last3=last3,
        salary_months_prior6=prior6,
        assets_amount=assets,
        net_outflow_amount=outflow,
        inactivity_days=ibis.least(inactive.fill_null(r.INACTIVITY_CAP_DAYS), r.INACTIVITY_CAP_DAYS),
        complaints=w[f"complaints{i}"].fill_null(0),
        salary_drop=clip(prior6_f / 6 - last3_f / 3, 1.0),
        outflow_ratio=clip(outflow / ibis.greatest(assets, floor), r.OUTFLOW_RATIO_CAP),
        spend_drop=ibis.ifelse(spend_prior > 0, clip(1 - spend_recent / spend_prior, 1.0), 0.0),
        asset_decline=ibis.ifelse(peak_amount > 0, clip(1 - assets / peak_amount, 1.0), 0.0),
        redemption_ratio=clip(redeemed / ibis.greatest(peak_amount, floor), r.REDEMPTION_RATIO_CAP),
    )


def _labels_of(w: ir.Table, plan: _Plan, month_ends: list[date], i: int) -> ir.Table:
    r = rules
    at, end = plan.label_windows[i]
    before, after = _value_at(w, month_ends, at), _value_at(w, month_ends, end)
    outflow = -_sum_of(w, "ext", plan.external_pieces, (at, end), 0.0)
    j = w.select("party_no", assets_amount=before, assets_after_amount=after, outflow=outflow)
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
    plan = _Plan((at,))
    w, month_ends = _wide(inputs, plan)
    return _features_of(w, plan, month_ends, 0).order_by("party_no")


def labels(inputs: Inputs, at: date, horizon_days: int) -> ir.Table:
    """Churn label of every party holding at least ``LABEL_MIN_ASSETS_AMOUNT`` at ``at``.

    ``churned`` is true when, by ``at + horizon_days``, the products are drained to at most
    ``1 - LABEL_DRAIN_SHARE`` of their value at ``at`` (last month ends before each date) or the net
    external outflow over [at, at + horizon) reaches ``LABEL_DRAIN_SHARE`` of it. Columns:
    ``party_no``, ``assets_amount``, ``assets_after_amount``, ``churned``; ordered by ``party_no``.
    """
    plan = _Plan((at,), ((at, at + timedelta(days=horizon_days)),))
    w, month_ends = _wide(inputs, plan)
    return _labels_of(w, plan, month_ends, 0).order_by("party_no")


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
    plan = _Plan((t0, t1, as_of), ((t0, t1), (t1, as_of)))
    w, month_ends = _wide(inputs, plan)
    w = materialize(inputs.con, "attrition_wide", w)

    def training_set(i: int) -> pd.DataFrame:
        f = _features_of(w, plan, month_ends, i)
        lab = _labels_of(w, plan, month_ends, i).select("party_no", "churned")
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
    now = inputs.con.execute(_features_of(w, plan, month_ends, 2).order_by("party_no"))
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
