"""Proposal report (资产配置建议书): a stored portfolio-lab proposal, printed for the client.

Everything shown is read from the stored proposal (:class:`fincrm.portfolio.models.Proposal`):
the weights the RM settled on, the optimiser's rationale in both languages (``machine``) and the
evidence computed when the proposal was made or overridden (``evidence``: stress tests against
current holdings and the benchmark, backtest, Monte Carlo range at one year, the comparison per
unit of risk, suitability verdicts and the fee and commission disclosure), with the review trail
from :class:`fincrm.portfolio.models.ProposalEvent` (who did what and when, and any recorded
risk acknowledgement). Nothing is recomputed, so the report shows what the lab showed.

A proposal not yet ``compliance_checked`` (a draft, or reviewed by the RM and waiting for
compliance) is printed with a "draft — not for the client" banner and a watermark on every page,
in the report's language: it may be printed for internal review but must not be handed out.

Conventions: amounts in CNY (the proposal's currency); weights and returns are fractions;
drawdowns are negative fractions from the running peak; the backtest is shown as the cumulative
return from its first day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from fincrm.access.models import User
from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.portfolio.models import ACCEPTED, COMPLIANCE_CHECKED, DECLINED, PRESENTED, Proposal, ProposalEvent
from fincrm.portfolio.scenarios import ASSET_CLASSES, look_through
from fincrm.products.models import Product, ProductExposure
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.health import CLASS_LABELS, round_amount
from fincrm.reports.reader import ClientReader

FINAL_STATUSES = (COMPLIANCE_CHECKED, PRESENTED, ACCEPTED, DECLINED)  # may be shown to the client
STATUS_LABELS = {  # proposal status -> message id
    "draft": "draft", "rm_reviewed": "reviewed by the RM", "compliance_checked": "compliance checked",
    "presented": "presented to the client", "accepted": "accepted by the client",
    "declined": "declined by the client",
}  # fmt: skip
ACTION_LABELS = {  # proposal event action -> message id
    "created": "created", "override": "weights changed by the RM", "review": "reviewed by the RM",
    "auto_checked": "checked by the system", "approve": "approved by compliance",
    "reject": "returned by compliance", "acknowledge": "risk acknowledged by the client",
    "present": "presented", "accept": "accepted", "decline": "declined",
}  # fmt: skip
OUTCOME_LABELS = {  # suitability outcome -> message id
    "suitable": "suitable", "needs_acknowledgement": "needs the client's acknowledgement",
    "refused": "not suitable", "blocked": "questionnaire expired",
}  # fmt: skip
METHOD_LABELS = {  # optimiser method -> message id
    "target_risk": "target risk", "max_sharpe": "maximum Sharpe ratio",
    "min_volatility": "minimum volatility", "risk_parity": "risk parity",
}  # fmt: skip


@dataclass(frozen=True)
class ProposalFacts:
    proposal: Proposal
    weights: dict[str, float]
    machine: dict[str, Any]
    evidence: dict[str, Any]
    events: list[tuple[ProposalEvent, str]]  # event and the actor's name ("" for the system)
    products: dict[str, Product]
    exposures: dict[str, dict[str, float]]  # product code -> asset class -> fraction
    client_name: str
    client_no: str
    as_of: date


def load(reader: ClientReader, subject: str) -> ProposalFacts:
    """Read the proposal ``subject`` (an id; "" for the latest) of ``reader``'s client."""
    party = reader.party
    session = reader.session
    mine = select(Proposal).where(Proposal.party_id == party.id)
    if subject == "":
        proposal = session.scalars(
            mine.order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(1)
        ).one_or_none()
        if proposal is None:
            raise InputError(f"client {party.party_no} has no proposal yet: create one in the portfolio lab")
    else:
        if not subject.isdigit() or not 1 <= int(subject) < 2**63:
            raise InputError(f"a proposal is named by its id (digits), got {subject!r}",
                             errors=[FieldError(("subject",), "a proposal id", subject)])  # fmt: skip
        proposal = session.scalars(mine.where(Proposal.id == int(subject))).one_or_none()
        if proposal is None:
            raise InputError(f"no proposal {subject} for client {party.party_no}",
                             errors=[FieldError(("subject",), "unknown proposal for this client", subject)])  # fmt: skip
    weights = {c: float(w) for c, w in json.loads(proposal.weights).items() if w > 0}
    evidence = json.loads(proposal.evidence)
    codes = sorted(set(weights) | set(evidence.get("current_weights", {})))
    products = {p.code: p for p in session.scalars(select(Product).where(Product.code.in_(codes or [""])))}
    exposures: dict[str, dict[str, float]] = {}
    ids = {p.id: p.code for p in products.values()}
    for e in session.scalars(select(ProductExposure).where(ProductExposure.product_id.in_(list(ids) or [0]))):
        row = exposures.setdefault(ids[e.product_id], {})
        row[str(e.asset_class)] = row.get(str(e.asset_class), 0.0) + float(e.weight_pct) / 100
    events = []
    for event in session.scalars(
        select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)
    ):
        actor = session.get(User, event.actor_id) if event.actor_id else None
        events.append((event, (actor.display_name or actor.username) if actor else ""))
    return ProposalFacts(
        proposal=proposal, weights=weights, machine=json.loads(proposal.machine), evidence=evidence,
        events=events, products=products, exposures=exposures, client_name=party.name,
        client_no=party.party_no, as_of=reader.as_of,
    )  # fmt: skip


def class_weights(weights: dict[str, float], exposures: dict[str, dict[str, float]]) -> dict[str, float]:
    """Asset-class shares of product weights, each product looked through (unknown ones left out).

    Examples
    --------
    >>> class_weights({"A": 0.5, "B": 0.5}, {"A": {"bond": 1.0}, "B": {"bond": 0.5, "equity": 0.5}})
    {'bond': 0.75, 'equity': 0.25}
    """
    known = {c: w for c, w in weights.items() if w > 0 and exposures.get(c)}
    if not known:
        return {}
    return look_through(known, {c: exposures[c] for c in known})


def build(facts: ProposalFacts, *, lang: str, fmt: Formatter) -> Document:
    """The proposal document in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    pr, ev = facts.proposal, facts.evidence
    amount = Decimal(pr.invest_amount)

    def pname(code: str) -> str:
        p = facts.products.get(code)
        return code if p is None else (p.name if zh else (p.name_en or p.name))

    def loc(row: dict[str, Any] | None, key: str) -> str:
        return "" if not row else str(row.get(f"{key}_zh" if zh else f"{key}_en") or "")

    figures: dict[str, str] = {
        "invest_amount": fmt.money(amount, pr.currency),
        "status": _(STATUS_LABELS.get(pr.status, pr.status)),
        "expected_return": fmt.pct(facts.machine.get("expected_return")),
        "volatility": fmt.pct(facts.machine.get("volatility")),
    }
    verdicts = ev.get("suitability", {})
    rows = []
    for code, w in sorted(facts.weights.items(), key=lambda kv: (-kv[1], kv[0])):
        p = facts.products.get(code)
        v = verdicts.get(code)
        ex = facts.exposures.get(code, {})
        main = max(ex, key=lambda k: (ex[k], k)) if ex else None
        rows.append({
            "code": code, "name": pname(code), "rating": str(p.risk_rating) if p else "—",
            "class": _(CLASS_LABELS[main]) if main else "—", "weight": fmt.pct(w),
            "amount": fmt.money(round_amount(float(amount) * w), pr.currency),
            "outcome": _(OUTCOME_LABELS.get(v["outcome"], v["outcome"])) if v else "—",
            "flag": bool(v) and v["outcome"] != "suitable",
        })  # fmt: skip
    proposed_cls = class_weights(facts.weights, facts.exposures)
    current_cls = class_weights(ev.get("current_weights", {}), facts.exposures)
    classes = [c for c in ASSET_CLASSES if proposed_cls.get(c, 0) > 0 or current_cls.get(c, 0) > 0]
    groups = [(_("Proposal"), tuple(round(proposed_cls.get(c, 0.0), 4) for c in classes))]
    if current_cls:
        groups.append((_("Current holdings"), tuple(round(current_cls.get(c, 0.0), 4) for c in classes)))
    chart_map: dict[str, charts.Chart] = {
        "allocation": charts.BarChart(
            title=_("Allocation by asset class"), categories=tuple(_(CLASS_LABELS[c]) for c in classes),
            groups=tuple(groups), y_format="pct", height=220,
        )
    }  # fmt: skip

    # stress tests: maximum drawdown per scenario, proposal against current and benchmark
    stress_rows, names, series = [], [], {"proposal": [], "current": [], "benchmark": []}
    for r in ev.get("stress", []):
        name = loc(r, "name")
        row = {"name": name, "period": f"{r['start']} – {r['end']}"}
        for key in series:
            res = r.get(key) or {}
            row[key] = fmt.pct(res.get("max_drawdown"))
        rec = (r.get("proposal") or {}).get("recovery_days")
        row["recovery"] = str(rec) if rec is not None else _("not within the data")
        stress_rows.append(row)
        names.append(name)
        for key in series:
            drawdown = (r.get(key) or {}).get("max_drawdown")
            series[key].append(round(drawdown, 4) if drawdown is not None else None)
    labels = {"proposal": _("Proposal"), "current": _("Current holdings"), "benchmark": _("CSI 300")}
    bar_groups = tuple(
        (labels[k], tuple(v if v is not None else 0.0 for v in vals))
        for k, vals in series.items() if vals and all(v is not None for v in vals)
    )  # fmt: skip
    if stress_rows and bar_groups:
        worst = min(v for v in series["proposal"] if v is not None) if any(
            v is not None for v in series["proposal"]) else None  # fmt: skip
        if worst is not None:
            figures["worst_stress"] = fmt.pct(worst)
        chart_map["stress"] = charts.BarChart(
            title=_("Maximum drawdown in each historical scenario"), categories=tuple(names),
            groups=bar_groups, y_format="pct", horizontal=True, height=70 + 16 * len(names) * len(bar_groups),
        )  # fmt: skip

    bt = ev.get("backtest")
    if bt and len(bt["values"]) >= 2:
        v0 = bt["values"][0]
        points = tuple(
            (date.fromisoformat(d), round(v / v0 - 1, 4))
            for d, v in zip(bt["dates"], bt["values"], strict=False)
        )
        chart_map["backtest"] = charts.LineChart(
            title=_("Backtest of the proposal, quarterly rebalanced: cumulative return"),
            series=(charts.Series(_("Proposal"), points),), y_format="pct", zero_line=True, height=210,
        )  # fmt: skip
        s = bt["summary"]
        figures.update({"bt_annual_return": fmt.pct(s["annual_return"]), "bt_max_drawdown": fmt.pct(s["max_drawdown"]),
                        "bt_total_return": fmt.pct(s["total_return"])})  # fmt: skip
    mc = ev.get("monte_carlo")
    if mc:
        pct = mc["percentiles"]
        figures.update(
            {"mc_p5": fmt.pct(pct["p5"]), "mc_p50": fmt.pct(pct["p50"]), "mc_p95": fmt.pct(pct["p95"])}
        )
        fan = mc.get("fan") or {}
        if fan.get("day") and len(fan["day"]) >= 2:
            days = [float(d) for d in fan["day"]]
            chart_map["monte_carlo"] = charts.LineChart(
                title=_("Simulated range over the next year (trading days)"),
                series=(charts.Series(_("Median path"), tuple((d, round(v - 1, 4)) for d, v in zip(days, fan["p50"], strict=True))),),
                bands=(charts.Band(_("5% to 95% of simulated paths"),
                                   tuple((d, round(v - 1, 4)) for d, v in zip(days, fan["p5"], strict=True)),
                                   tuple((d, round(v - 1, 4)) for d, v in zip(days, fan["p95"], strict=True))),),
                y_format="pct", zero_line=True, height=200,
            )  # fmt: skip

    # fee and commission disclosure
    d = ev.get("disclosure", {})

    def money(value: Any) -> str:
        return "—" if value is None else fmt.money(Decimal(str(value)), pr.currency)

    fee_rows = [
        {"name": pname(line["code"]), "code": line["code"],
         "distribution": _("distributed") if line["distribution"] == "distributed" else _("proprietary"),
         "amount": money(line["amount_cny"]), "subscription": money(line["subscription_fee_cny"]),
         "running": money(line["running_fee_yearly_cny"]), "redemption": money(line["redemption_fee_cny"]),
         "client": money(line["client_fees_cny"]), "earns": money(line["institution_earns_cny"]),
         "earns_from": _("distribution commission") if line["institution_earns_from"] == "distribution_commission"
         else _("management fee as manager"),
         "sentence": line["sentence_zh"] if zh else line["sentence_en"]}
        for line in d.get("lines", [])
    ]  # fmt: skip
    totals = {k: money(d.get(k)) for k in ("amount_cny", "subscription_fee_cny", "running_fee_yearly_cny",
                                           "redemption_fee_cny", "client_fees_cny", "institution_earns_cny")}  # fmt: skip
    figures["client_fees"] = totals["client_fees_cny"]
    figures["institution_earns"] = totals["institution_earns_cny"]

    events = [
        {"at": fmt.datetime(e.at), "who": who or _("system"), "what": _(ACTION_LABELS.get(e.action, e.action)),
         "status": _(STATUS_LABELS.get(e.to_status, e.to_status)), "reason": e.reason}
        for e, who in facts.events
    ]  # fmt: skip
    acks = [e for e, _who in facts.events if e.action == "acknowledge"]
    created = next(
        (x for x in events if x["what"] == _(ACTION_LABELS["created"])), events[0] if events else None
    )
    comparison = ev.get("comparison")
    draft = pr.status not in FINAL_STATUSES
    context = {
        "id": pr.id, "draft": draft, "rows": rows, "stress_rows": stress_rows,
        "show_current": bool(current_cls), "rationale": str(facts.machine.get("rationale_zh" if zh else "rationale_en") or ""),
        "method": _(METHOD_LABELS.get(pr.method, pr.method)), "level": pr.effective_risk,
        "prices_as_of": fmt.date(pr.prices_as_of), "created": created, "updated_at": fmt.datetime(pr.updated_at),
        "comparison": loc(comparison, "sentence") if comparison else "",
        "verdicts": [{"name": pname(code), "outcome": _(OUTCOME_LABELS.get(v["outcome"], v["outcome"])),
                      "message": v["message_zh"] if zh else v["message_en"], "flag": v["outcome"] != "suitable"}
                     for code, v in sorted(verdicts.items()) if code in facts.weights],
        "acks": [{"at": fmt.datetime(e.at), "reason": e.reason} for e in acks],
        "events": events, "fee_rows": fee_rows, "totals": totals,
        "fee_sentence": str(d.get("sentence_zh" if zh else "sentence_en") or ""),
        "blockers": [b["message_zh"] if zh else b["message_en"] for b in d.get("blockers", [])],
        "has_mc": bool(mc), "has_bt": "backtest" in chart_map,
    }  # fmt: skip
    data_as_of = pr.prices_as_of
    return Document(
        kind="proposal", lang=lang, title=_("Asset allocation proposal No. %(id)s") % {"id": pr.id},
        subject=f"{facts.client_name} ({facts.client_no})", as_of=facts.as_of, data_as_of=data_as_of,
        context=context, charts=chart_map, figures=figures,
    )  # fmt: skip


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The proposal report (the service's entry point); the subject key is the proposal id."""
    facts = load(reader, subject.strip())
    return build(facts, lang=lang, fmt=fmt), str(facts.proposal.id)
