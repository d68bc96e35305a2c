"""Life-stage and need signals with their evidence, as Ibis expressions (DuckDB and PySpark alike).

``detect(inputs)`` gives one row per client and signal kind: party_no, kind, detected_on (date),
confidence (0-1), evidence (JSON list of the supporting rows, ``[{"dataset": ..., "key": ...}]``,
at most ``rules.max_evidence``) and summary (short English text). ``evidence(inputs)`` gives the
same evidence as a long table (party_no, kind, rank, dataset, key). Every rule looks back a window
from ``inputs.as_of``; the parameters live in ``signal_rules``. Only window functions, joins and
aggregates are used (no asof joins, arrays or backend SQL), and every choice is ordered with ties
broken by keys, so both engines return the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from fincrm.intelligence.inputs import Inputs
from fincrm.intelligence.signal_rules import (
    CHILDCARE,
    DEFAULT_RULES,
    HEALTHCARE,
    HOME_IMPROVEMENT,
    MEN,
    REAL_ESTATE,
    RETIREMENT_TRACKS,
    TRANSACTION_CATEGORIES,
    SignalRules,
)
from fincrm.lake.analytics import materialize

SIGNAL_COLUMNS = ("party_no", "kind", "detected_on", "confidence", "evidence", "summary")
_EVIDENCE_COLUMNS = ("party_no", "kind", "dataset", "key", "priority", "on")
_FAR_PAST = date(1900, 1, 1)


def detect(inputs: Inputs, rules: SignalRules = DEFAULT_RULES) -> ir.Table:
    """Every signal of every rule in ``rules.kinds``, ordered by kind then party_no."""
    signals, rows = _run(inputs, rules)
    ranked = _ranked(rows, rules)
    items = ranked.mutate(
        item=ibis.literal('{"dataset":"') + ranked.dataset + '","key":"' + _json_escape(ranked.key) + '"}'
    )
    cells = {
        f"e{i}": ibis.cases((items["rank"] == i, items.item), else_=ibis.null("string")).max()
        for i in range(1, rules.max_evidence + 1)
    }
    pivot = items.group_by(["party_no", "kind"]).aggregate(**cells)
    body = pivot.e1
    for i in range(2, rules.max_evidence + 1):
        body = body + ibis.coalesce(ibis.literal(",") + pivot[f"e{i}"], ibis.literal(""))
    pivot = pivot.select("party_no", "kind", evidence=ibis.literal("[") + body + "]")
    joined = signals.left_join(pivot, ["party_no", "kind"])
    out = joined.select(
        signals.party_no,
        signals.kind,
        signals.detected_on,
        signals.confidence,
        evidence=ibis.coalesce(pivot.evidence, ibis.literal("[]")),
        summary=signals.summary,
    )
    return out.order_by(["kind", "party_no"])


def evidence(inputs: Inputs, rules: SignalRules = DEFAULT_RULES) -> ir.Table:
    """The supporting rows of every signal: party_no, kind, rank (1 = most important), dataset, key."""
    _, rows = _run(inputs, rules)
    return _ranked(rows, rules).order_by(["kind", "party_no", "rank"])


def _ranked(rows: ir.Table, rules: SignalRules) -> ir.Table:
    w = ibis.window(
        group_by=["party_no", "kind"],
        order_by=[rows.priority, ibis.coalesce(rows.on, ibis.literal(_FAR_PAST)), rows.dataset, rows.key],
    )
    ranked = rows.mutate(rank=(ibis.row_number().over(w) + 1).cast("int64"))
    ranked = ranked.filter(ranked["rank"] <= rules.max_evidence)
    return ranked.select("party_no", "kind", "rank", "dataset", "key")


# --- plumbing ------------------------------------------------------------------------------------


def _run(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    rule_of = {
        "renovation_need": _renovation_need,
        "education_fund": _education_fund,
        "salary_plan": _salary_plan,
        "marriage": _marriage,
        "pension_planning": _pension_planning,
        "succession_planning": _succession_planning,
        "working_capital": _working_capital,
        "research_outreach": _research_outreach,
    }
    signals, rows = [], []
    for kind in rules.kinds:
        s, e = rule_of[kind](inputs, rules)
        signals.append(_signal(s, kind))
        rows.append(_evidence_rows(e, kind))
    return ibis.union(*signals), ibis.union(*rows)


def _signal(t: ir.Table, kind: str) -> ir.Table:
    return t.select(
        party_no=t.party_no.cast("string"),
        kind=ibis.literal(kind),
        detected_on=t.detected_on.cast("date"),
        # to the hundredth by floor(x * 100 + 0.5): ROUND differs at exact halves between DuckDB (binary
        # value) and Spark (decimal text), floor of the same double does not
        confidence=(
            (ibis.greatest(ibis.least(t.confidence.cast("float64"), 1.0), 0.0) * 100 + 0.5).floor() / 100.0
        ),
        summary=t.summary.cast("string"),
    )


def _typed(t: ir.Table) -> ir.Table:
    return t.select(
        party_no=t.party_no.cast("string"), detected_on=t.detected_on.cast("date"),
        confidence=t.confidence.cast("float64"), summary=t.summary.cast("string"),
    )  # fmt: skip


def _evidence_rows(t: ir.Table, kind: str) -> ir.Table:
    return t.select(
        party_no=t.party_no.cast("string"),
        kind=ibis.literal(kind),
        dataset=t.dataset.cast("string"),
        key=t.key.cast("string"),
        priority=t.priority.cast("int64"),
        on=t.on.cast("date"),
    )


def _ev(
    t: ir.Table, dataset: str | ir.Value, key: ir.Value, on: ir.Value, priority: int | ir.Value = 0
) -> ir.Table:
    """Evidence rows from a table that has party_no."""
    prio = ibis.literal(priority) if isinstance(priority, int) else priority
    ds = ibis.literal(dataset) if isinstance(dataset, str) else dataset
    return t.select(
        party_no=t.party_no.cast("string"), dataset=ds.cast("string"), key=key.cast("string"),
        priority=prio.cast("int64"), on=on.cast("date"),
    )  # fmt: skip


def _json_escape(s: ir.StringValue) -> ir.StringValue:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _d(day: date) -> ir.DateScalar:
    return ibis.literal(day, type="date")


def _since(inputs: Inputs, days: int) -> date:
    return inputs.as_of - timedelta(days=days)


def _txns(inputs: Inputs, days: int) -> ir.Table:
    """Event transactions (``inputs.EVENT_CATEGORIES``) booked in the window (as_of - days, as_of],
    with their UTC booking date as ``on`` and float amounts."""
    t = inputs["event_transactions"]
    t = t.filter(t.counterparty_category.isin(TRANSACTION_CATEGORIES)).rename(on="day")
    return t.filter(t.on > _d(_since(inputs, days)), t.on <= _d(inputs.as_of))


def _yuan(x: ir.NumericValue) -> ir.StringValue:
    return x.round().cast("int64").cast("string")


def _age_years(birth: ir.DateValue, as_of: date) -> ir.IntegerValue:
    before_birthday = (birth.month() * 100 + birth.day()) > (as_of.month * 100 + as_of.day)
    return ibis.literal(as_of.year) - birth.year() - before_birthday.cast("int64")


def _individuals(inputs: Inputs) -> ir.Table:
    p = inputs["parties"]
    return p.filter(p.kind == "individual", p.status != "closed")


# --- rules -----------------------------------------------------------------------------------------


def _renovation_need(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    since = _since(inputs, rules.renovation_lookback_days)
    deals = inputs["property_transactions"]
    deals = deals.filter(
        deals.buyer_party_no.notnull(), deals.deal_on > _d(since), deals.deal_on <= _d(inputs.as_of)
    )
    deals = deals.select(
        party_no=deals.buyer_party_no, on=deals.deal_on, amount=deals.price_amount.cast("float64"), key=deals.deal_id,
        registered=ibis.literal(1), dataset=ibis.literal("property_transactions"),
    )  # fmt: skip
    tx = _txns(inputs, rules.renovation_lookback_days)
    pay = tx.filter(tx.counterparty_category == REAL_ESTATE, tx.amount <= -rules.large_real_estate_amount)
    pay = pay.select(
        party_no=pay.party_no, on=pay.on, amount=-pay.amount, key=pay.txn_id,
        registered=ibis.literal(0), dataset=ibis.literal("transactions"),
    )  # fmt: skip
    events = ibis.union(deals, pay)
    purchase = events.group_by("party_no").aggregate(
        purchase_on=events.on.min(),
        price=(events.amount * events.registered).max(),
        paid=(events.amount * (1 - events.registered)).sum(),
        registered=events.registered.max(),
        paid_any=(1 - events.registered).max(),
    )
    spend = tx.filter(tx.counterparty_category == HOME_IMPROVEMENT, tx.amount < 0)
    spend = spend.join(purchase.select("party_no", "purchase_on"), "party_no")
    spend = spend.filter(spend.on >= spend.purchase_on)
    renov = spend.group_by("party_no").aggregate(renov=(-spend.amount).sum(), renov_n=spend.count())
    s = purchase.left_join(renov, "party_no")
    renov_amount = ibis.coalesce(s.renov, 0.0)
    started = renov_amount >= rules.renovation_started_amount
    what = ibis.cases(
        (s.registered == 1, ibis.literal("registered purchase ") + _yuan(s.price) + " CNY"),
        else_=ibis.literal("real-estate payments ") + _yuan(s.paid) + " CNY",
    )
    summary = (
        ibis.literal("Property purchase on ") + s.purchase_on.cast("string") + " (" + what + "); "
        + ibis.cases(
            (started, ibis.literal("home-improvement spend started: ") + _yuan(renov_amount) + " CNY in "
             + ibis.coalesce(s.renov_n, 0).cast("string") + " payments"),
            else_=ibis.literal("no home-improvement spend yet"),
        )
        + "; offer a home-furnishing instalment"
    )  # fmt: skip
    signals = s.select(
        party_no=s.party_no,
        detected_on=s.purchase_on,
        confidence=ibis.literal(0.6)
        + ibis.cases((s.registered + s.paid_any == 2, 0.1), else_=0.0)
        + ibis.cases((started, 0.25), else_=0.0),
        summary=summary,
    )
    ev = ibis.union(
        _ev(events, events.dataset, events.key, events.on, 0),
        _ev(spend, "transactions", spend.txn_id, spend.on, 1),
    )
    return signals, ev


def _education_fund(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    since = _since(inputs, rules.education_lookback_days)
    parties, rel = inputs["parties"], inputs["relationships"]
    kids = parties.filter(parties.birth_on > _d(since), parties.birth_on <= _d(inputs.as_of))
    kids = kids.select(child_no=kids.party_no, birth_on=kids.birth_on)
    links = rel.filter(rel.kind == "child")
    cand = links.join(kids, links.to_party_no == kids.child_no).select(
        party_no=links.from_party_no, child_no=kids.child_no, birth_on=kids.birth_on
    )
    window_days = rules.education_lookback_days + rules.birth_spend_days
    tx = _txns(inputs, window_days)
    health = tx.filter(tx.counterparty_category == HEALTHCARE, tx.amount < 0)
    near = health.join(cand, "party_no")
    near = near.filter(near.on.delta(near.birth_on, unit="day").abs() <= rules.birth_spend_days)
    spent = near.group_by(sp_party="party_no", sp_child="child_no").aggregate(hospital=(-near.amount).sum())
    c = cand.left_join(spent, [cand.party_no == spent.sp_party, cand.child_no == spent.sp_child])
    c = c.select("party_no", "child_no", "birth_on", hospital=ibis.coalesce(c.hospital, 0.0))
    c = c.mutate(confirmed=(c.hospital >= rules.birth_spend_amount).cast("int64"))
    # one signal per child and household: the parent whose spending shows the birth, else the first
    w = ibis.window(group_by="child_no", order_by=[ibis.desc(c.confirmed), c.party_no])
    c = c.mutate(pick=ibis.row_number().over(w))
    c = c.filter(c.pick == 0)
    # one signal per parent: the youngest child
    w = ibis.window(group_by="party_no", order_by=[ibis.desc(c.birth_on), c.child_no])
    c = c.mutate(latest=ibis.row_number().over(w))
    c = c.filter(c.latest == 0)
    age_m = (inputs.as_of.year * 12 + inputs.as_of.month) - (c.birth_on.year() * 12 + c.birth_on.month())
    summary = (
        ibis.literal("Child ") + c.child_no + " born " + c.birth_on.cast("string") + " (now "
        + age_m.cast("string") + " months)"
        + ibis.cases((c.confirmed == 1, ibis.literal("; hospital spend ") + _yuan(c.hospital) + " CNY"),
                     else_=ibis.literal(""))
        + "; start an education fund"
    )  # fmt: skip
    rel_sig = c.select(
        "party_no", detected_on=c.birth_on, confidence=ibis.literal(0.6) + c.confirmed * 0.3, summary=summary
    )
    rel_ev = ibis.union(
        _ev(c, "relationships", c.party_no + "|" + c.child_no + "|child", c.birth_on, 0),
        _ev(near.semi_join(c, ["party_no", "child_no"]), "transactions", near.txn_id, near.on, 1),
    )
    # spend pattern without a recorded child: a large hospital bill then regular childcare payments
    big = health.filter(-health.amount >= rules.childcare_pattern_amount)
    big = big.filter(big.on > _d(since)).select("party_no", bill_on="on", bill_id="txn_id", bill=-big.amount)
    care = tx.filter(tx.counterparty_category == CHILDCARE, tx.amount < 0)
    follow = care.join(big, "party_no")
    follow = follow.filter(follow.on > follow.bill_on, follow.on <= follow.bill_on + ibis.interval(
        days=rules.childcare_pattern_days
    ))  # fmt: skip
    pat = follow.group_by(["party_no", "bill_on", "bill_id", "bill"]).aggregate(care_n=follow.count())
    pat = pat.filter(pat.care_n >= rules.childcare_pattern_payments)
    pat = pat.anti_join(c, "party_no")
    w = ibis.window(group_by="party_no", order_by=[ibis.desc(pat.bill_on), pat.bill_id])
    pat = pat.mutate(n=ibis.row_number().over(w))
    pat = pat.filter(pat.n == 0)
    pat_sig = pat.select(
        "party_no",
        detected_on=pat.bill_on,
        confidence=ibis.literal(0.5),
        summary=ibis.literal("Hospital spend ") + _yuan(pat.bill) + " CNY on " + pat.bill_on.cast("string")
        + " then " + pat.care_n.cast("string") + " childcare payments: likely newborn; start an education fund",
    )  # fmt: skip
    pf = follow.semi_join(pat, ["party_no", "bill_id"])
    pat_ev = ibis.union(
        _ev(pat, "transactions", pat.bill_id, pat.bill_on, 0),
        _ev(pf, "transactions", pf.txn_id, pf.on, 1),
    )
    return ibis.union(_typed(rel_sig), _typed(pat_sig)), ibis.union(rel_ev, pat_ev)


def _salary_plan(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    since = _since(inputs, rules.salary_lookback_days)
    # Only the months a step in the window can look at: the baseline months before its start.
    first = since.year * 12 + since.month - 1 - (rules.salary_baseline_months + 1)
    ss = inputs["social_security"]
    ss = ss.filter(ss.month_on >= _d(date(first // 12, first % 12 + 1, 1)), ss.month_on <= _d(inputs.as_of))
    ss = ss.select("party_no", "month_on", "employer", "contribution_base_amount")
    w = ibis.window(group_by="party_no", order_by="month_on")
    base = ss.contribution_base_amount
    baseline = sum(base.lag(k).over(w) for k in range(1, rules.salary_baseline_months + 1))
    baseline = baseline / rules.salary_baseline_months
    held = base
    for k in range(1, rules.salary_sustain_months):  # LEAST skips nulls: a missing month is no hold
        after = base.lead(k).over(w)
        held = ibis.cases((after.isnull(), ibis.null("float64")), else_=ibis.least(held, after))
    ss = ss.mutate(baseline=baseline, held=held, before=base.lag(1).over(w), idx=ibis.row_number().over(w))
    # read twice (the signals and their evidence): computed once
    ss = materialize(inputs.con, "salary_plan_months", ss)
    step = ss.baseline * rules.salary_step_ratio
    steps = ss.filter(ss.held >= step, ss.before < step, ss.month_on > _d(since), ss.baseline > 0)
    w2 = ibis.window(group_by="party_no", order_by=[ibis.desc(steps.month_on)])
    steps = steps.mutate(n=ibis.row_number().over(w2))
    steps = steps.filter(steps.n == 0)
    ratio = steps.contribution_base_amount / steps.baseline
    pct = ((ratio - 1) * 100).round().cast("int64")
    signals = steps.select(
        "party_no",
        detected_on=steps.month_on,
        confidence=ibis.literal(0.7) + ibis.least(ratio - rules.salary_step_ratio, 0.25),
        summary=ibis.literal("Social-security contribution base up ") + pct.cast("string") + "% from "
        + steps.month_on.cast("string") + " (" + _yuan(steps.baseline) + " -> "
        + _yuan(steps.contribution_base_amount) + " CNY, employer " + steps.employer + "), sustained "
        + str(rules.salary_sustain_months) + "+ months; offer a salary investment plan",
    )  # fmt: skip
    rows = ss.join(steps.select("party_no", step_idx="idx"), "party_no")
    rows = rows.filter(
        rows.idx >= rows.step_idx - rules.salary_baseline_months,
        rows.idx < rows.step_idx + rules.salary_sustain_months,
    )
    key = rows.party_no + "|" + rows.month_on.cast("string")
    return signals, _ev(rows, "social_security", key, rows.month_on)


def _marriage(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    since = _since(inputs, rules.marriage_lookback_days)
    parties, rel = _individuals(inputs), inputs["relationships"]
    spouses = rel.filter(rel.kind == "spouse")
    me = parties.select(party_no="party_no", my_on="onboarded_on", birth_on="birth_on")
    other = inputs["parties"].select(spouse_no="party_no", spouse_on="onboarded_on")
    m = spouses.join(me, spouses.from_party_no == me.party_no).join(
        other, spouses.to_party_no == other.spouse_no
    )
    m = m.filter(
        m.spouse_on > _d(since), m.spouse_on <= _d(inputs.as_of), m.my_on < m.spouse_on,
        _age_years(m.birth_on, inputs.as_of) <= rules.marriage_max_age,
    )  # fmt: skip
    w = ibis.window(group_by="party_no", order_by=[ibis.desc(m.spouse_on), m.spouse_no])
    m = m.mutate(n=ibis.row_number().over(w))
    m = m.filter(m.n == 0)
    signals = m.select(
        "party_no",
        detected_on=m.spouse_on,
        confidence=ibis.literal(0.5),
        summary=ibis.literal("Spouse ") + m.spouse_no + " joined the bank on " + m.spouse_on.cast("string")
        + " (client since " + m.my_on.cast("string") + "): possible marriage; review household plan",
    )  # fmt: skip
    return signals, _ev(m, "relationships", m.party_no + "|" + m.spouse_no + "|spouse", m.spouse_on)


def _retirement_total(birth: ir.DateValue, gender: ir.StringValue, female_track: str) -> ir.IntegerValue:
    """Month number (year * 12 + month - 1) in which the statutory retirement age is reached."""

    def months(track) -> ir.IntegerValue:
        cohort = (birth.year() - track.first_cohort.year) * 12 + birth.month() - track.first_cohort.month
        delay = ibis.cases(
            (cohort < 0, 0),
            else_=ibis.least(cohort // track.cohort_months_per_step + 1, track.max_delay_months),
        )
        return track.base_years * 12 + delay

    age = ibis.cases((gender == "M", months(MEN)), else_=months(RETIREMENT_TRACKS[female_track]))
    return (birth.year() * 12 + birth.month() - 1 + age).cast("int64")


def _pension_planning(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    p = _individuals(inputs)
    p = p.filter(p.birth_on.notnull(), p.gender.isin(["F", "M"]))
    total = _retirement_total(p.birth_on, p.gender, rules.female_track)
    now = inputs.as_of.year * 12 + inputs.as_of.month - 1
    p = p.mutate(total=total, away=total - now)
    p = p.filter(p.away >= 0, p.away <= rules.pension_years_before * 12)
    start = p.total - rules.pension_years_before * 12
    retire_on = ibis.date(p.total // 12, p.total % 12 + 1, 1)
    age = p.total - (p.birth_on.year() * 12 + p.birth_on.month() - 1)
    signals = p.select(
        "party_no",
        detected_on=ibis.date(start // 12, start % 12 + 1, 1),
        # 0.60 + 0.30 x the share of the window already gone, in whole hundredths by integer division,
        # so both engines give the same value (a float result may sit on a rounding half)
        confidence=(60 + (30 * (rules.pension_years_before * 12 - p.away)) // (rules.pension_years_before * 12))
        / 100.0,
        summary=ibis.literal("Born ") + p.birth_on.cast("string") + " (" + p.gender
        + "): statutory retirement at " + (age // 12).cast("string") + "y" + (age % 12).cast("string")
        + "m in " + retire_on.cast("string").substr(0, 7) + ", " + p.away.cast("string")
        + " months away; start pension planning",
    )  # fmt: skip
    return signals, _ev(p, "parties", p.party_no, p.birth_on)


def _succession_planning(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    parties, rel = inputs["parties"], inputs["relationships"]
    corp = parties.filter(parties.kind == "corporate").select(corp_no="party_no")
    kinds = list(rules.owner_relationship_kinds)
    owned = rel.filter(rel.kind.isin(kinds))
    a = owned.join(corp, owned.from_party_no == corp.corp_no).select(
        party_no=owned.to_party_no, key=owned.from_party_no + "|" + owned.to_party_no + "|" + owned.kind,
        role=owned.kind,
    )  # fmt: skip
    b = owned.join(corp, owned.to_party_no == corp.corp_no).select(
        party_no=owned.from_party_no, key=owned.from_party_no + "|" + owned.to_party_no + "|" + owned.kind,
        role=owned.kind,
    )  # fmt: skip
    ind = _individuals(inputs)
    occ = ind.filter(ind.occupation.isin(list(rules.owner_occupations)))
    c = occ.select("party_no", key=occ.party_no, role=ibis.literal("occupation"))
    links = ibis.union(a, b, c)
    roles = links.group_by("party_no").aggregate(roles=links.count())
    h = inputs["holdings"]
    aum = h.group_by("party_no").aggregate(aum=h.market_value_amount.sum())
    age = _age_years(ind.birth_on, inputs.as_of)
    who = ind.filter(ind.birth_on.notnull(), age >= rules.succession_min_age).select("party_no", age=age)
    s = who.join(roles, "party_no").join(aum, "party_no")
    s = s.filter(s.aum >= rules.hnw_aum_amount)
    signals = s.select(
        "party_no",
        detected_on=_d(inputs.as_of),
        confidence=ibis.literal(0.6) + ibis.least(s.aum / rules.hnw_aum_amount - 1, 1.0) * 0.2
        + ibis.cases((s.roles > 1, 0.1), else_=0.0),
        summary=ibis.literal("Business owner aged ") + s.age.cast("string") + " with AUM " + _yuan(s.aum)
        + " CNY (" + s.roles.cast("string") + " ownership links); discuss succession and family trust",
    )  # fmt: skip
    lk = links.semi_join(s, "party_no")
    lk = lk.mutate(ds=ibis.cases((lk.role == "occupation", "parties"), else_="relationships"))
    hs = h.semi_join(s, "party_no")
    hw = ibis.window(
        group_by="party_no", order_by=[ibis.desc(hs.market_value_amount), hs.account_no, hs.product_code]
    )
    hs = hs.mutate(pos=ibis.row_number().over(hw) + 1)
    ev = ibis.union(
        _ev(lk, lk.ds, lk.key, _d(_FAR_PAST), 0),
        _ev(hs, "holdings", hs.account_no + "|" + hs.product_code, _d(_FAR_PAST), hs.pos),
    )
    return signals, ev


def _working_capital(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    recent_from = _d(_since(inputs, rules.working_capital_recent_days))
    base_from = _d(_since(inputs, rules.working_capital_recent_days + rules.working_capital_baseline_days))
    sc = inputs["supply_chain"]
    sc = sc.filter(sc.direction == "receivable", sc.due_on <= _d(inputs.as_of), sc.due_on > base_from)
    paid = ibis.coalesce(sc.settled_on, _d(inputs.as_of))
    sc = sc.mutate(dpd=ibis.greatest(paid.delta(sc.due_on, unit="day"), 0), recent=sc.due_on > recent_from)
    agg = sc.group_by("party_no").aggregate(
        rec=sc.dpd.mean(where=sc.recent),
        base=sc.dpd.mean(where=~sc.recent),
        rec_n=sc.count(where=sc.recent),
        base_n=sc.count(where=~sc.recent),
    )
    agg = agg.filter(
        agg.rec_n >= rules.working_capital_min_receivables,
        agg.base_n >= rules.working_capital_min_receivables,
        agg.rec - agg.base >= rules.working_capital_min_increase_days,
    )
    late = sc.join(agg, "party_no")
    late = late.filter(late.recent)
    first = late.filter(late.dpd >= late.base + rules.working_capital_min_increase_days)
    first = first.group_by("party_no").aggregate(first_on=first.due_on.min())
    s = agg.left_join(first, "party_no")
    up = s.rec - s.base
    signals = s.select(
        party_no=s.party_no,
        detected_on=ibis.coalesce(s.first_on, recent_from),
        confidence=ibis.literal(0.6) + ibis.least(up / 100.0, 0.35),
        summary=ibis.literal("Receivables paid ") + s.rec.round().cast("int64").cast("string")
        + " days past due on average over the last " + str(rules.working_capital_recent_days) + " days (n="
        + s.rec_n.cast("string") + ") vs " + s.base.round().cast("int64").cast("string")
        + " days before (n=" + s.base_n.cast("string") + "); offer working-capital finance",
    )  # fmt: skip
    return signals, _ev(late, "supply_chain", late.record_id, late.due_on, -late.dpd)


def _research_outreach(inputs: Inputs, rules: SignalRules) -> tuple[ir.Table, ir.Table]:
    since = _since(inputs, rules.research_lookback_days)
    ev = inputs["industry_policy"]
    ev = ev.filter(ev.event_on > _d(since), ev.event_on <= _d(inputs.as_of), ev.direction.isin(
        list(rules.research_directions)
    ))  # fmt: skip
    p = inputs["parties"]
    corp = p.filter(p.kind == "corporate", p.status != "closed", p.industry_code.notnull())
    m = corp.join(ev, corp.industry_code.startswith(ev.industry_code)).select(
        party_no=corp.party_no, client_code=corp.industry_code, event_id=ev.event_id, event_on=ev.event_on,
        code=ev.industry_code, direction=ev.direction, headline=ev.headline,
    )  # fmt: skip
    w = ibis.window(group_by="party_no", order_by=[ibis.desc(m.event_on), m.event_id])
    m = m.mutate(n=ibis.row_number().over(w), events=m.count().over(ibis.window(group_by="party_no")))
    top = m.filter(m.n == 0)
    signals = top.select(
        "party_no",
        detected_on=top.event_on,
        confidence=ibis.cases((top.direction == "neutral", 0.5), else_=0.8),
        summary=ibis.literal("") + top.direction + " policy on industry " + top.code + " ("
        + top.event_on.cast("string") + ", client industry " + top.client_code + "): " + top.headline
        + ibis.cases((top.events > 1, ibis.literal(" (+") + (top.events - 1).cast("string") + " more)"),
                     else_=ibis.literal("")),
    )  # fmt: skip
    return signals, _ev(m, "industry_policy", m.event_id, m.event_on, m.n)
