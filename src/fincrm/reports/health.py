"""The asset health check (资产体检报告), the birthday report: where the client stands today.

Sections: allocation against target (look-through by asset class), risk level against holdings,
liquidity (what can be cash within a week against monthly spending), concentration, fees paid,
and plain-language suggestions, each computed from the client's own data.

Conventions: amounts in CNY; shares are fractions of the client's holdings value; "drift" is
current share minus target share in percentage points; monthly spending is the average over the
last 12 months of card spending, cash withdrawals and loan repayments; a product is liquid when
its redemption pays out within ``LIQUID_DAYS`` business days.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.portfolio.allocation import MODEL_MIX, RISK_LABELS_EN, RISK_LABELS_ZH
from fincrm.portfolio.models import ACCEPTED, Proposal
from fincrm.portfolio.scenarios import ASSET_CLASSES
from fincrm.products.models import Product
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.reader import ClientReader, Position

LIQUID_DAYS = 3  # business days from redemption order to cash for a holding to count as liquid
LIQUIDITY_MONTHS_MIN = 6  # months of spending the liquid holdings should cover
DRIFT_LIMIT = 0.05  # fraction: an asset class further than this from target calls for rebalancing
CONCENTRATION_LIMIT = 0.30  # fraction: one product above this share of holdings is concentrated
SPENDING_KINDS = ("card_spend", "withdrawal", "loan_repayment")
CLASS_LABELS = {  # asset class -> message id (translated by the workbench catalogs)
    "cash": "cash", "bond": "bonds", "equity": "equity", "commodity": "commodities and gold",
    "real_estate": "real estate", "alternative": "alternatives",
}  # fmt: skip


@dataclass(frozen=True)
class HealthFacts:
    client_no: str
    client_name: str
    as_of: date
    data_as_of: date
    positions: list[Position]
    level: str | None  # effective risk level C1..C5
    questionnaire_valid_until: date | None
    target: dict[str, float]  # asset class -> target share
    target_source: str  # "proposal:<id>:<date>" or "model:<level>"
    monthly_spending: float  # CNY
    fees_paid_12m: float  # CNY, fee transactions of the last 12 months
    values_12m: list[tuple[date, float]]  # month-end holdings value


def load(reader: ClientReader) -> HealthFacts:
    """Read what the health check needs for ``reader``'s client as of ``reader.as_of``."""
    party = reader.party
    positions = reader.positions()
    if not positions:
        raise InputError(f"client {party.party_no} holds no products: there is nothing to check")
    data_as_of = reader.last_price_on()
    if data_as_of is None:
        raise InputError(f"no market prices on or before {reader.as_of}: import prices first")
    investor, level = reader.investor()
    accepted = reader.session.scalars(
        select(Proposal)
        .where(Proposal.party_id == party.id, Proposal.status == ACCEPTED)
        .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
        .limit(1)
    ).one_or_none()
    if accepted is not None:
        weights = json.loads(accepted.weights)
        facts = {p.code: p.exposures for p in positions}
        from fincrm.portfolio.service import shelf_facts

        shelf = shelf_facts(reader.session)
        target: dict[str, float] = {}
        for code, w in weights.items():
            exposures = shelf[code].exposures if code in shelf else facts.get(code, {})
            for cls, share in exposures.items():
                target[cls] = target.get(cls, 0.0) + w * share
        source = f"proposal:{accepted.id}:{accepted.updated_at.date().isoformat()}"
    else:
        target = dict(MODEL_MIX[level or "C1"])
        source = f"model:{level or 'C1'}"
    start = reader.as_of - timedelta(days=365)
    moves = reader.transactions(start, reader.as_of, (*SPENDING_KINDS, "fee"))
    spending = moves[moves["kind"].isin(SPENDING_KINDS)]
    fees = moves[moves["kind"] == "fee"]
    snaps = reader.snapshots(start, reader.as_of)
    values = (
        snaps.groupby("as_of_on")["market_value_amount"].sum().sort_index()
        if not snaps.empty
        else snaps.get("market_value_amount", None)
    )
    return HealthFacts(
        client_no=party.party_no,
        client_name=party.name,
        as_of=reader.as_of,
        data_as_of=data_as_of,
        positions=positions,
        level=level,
        questionnaire_valid_until=investor.valid_until,
        target=target,
        target_source=source,
        monthly_spending=float(-spending["amount"].sum()) / 12 if not spending.empty else 0.0,
        fees_paid_12m=float(-fees["amount"].sum()) if not fees.empty else 0.0,
        values_12m=[(d, float(v)) for d, v in values.items()] if values is not None else [],
    )


@dataclass(frozen=True)
class HealthNumbers:
    """The health check's computed numbers (fractions and CNY), before formatting."""

    total: float
    current: dict[str, float]  # asset class -> share
    drift: dict[str, float]  # asset class -> current - target
    above_level_share: float  # share in products rated above the client's level
    weighted_rating: float  # value-weighted R level (1..5)
    liquid_value: float
    liquidity_months: float | None  # None when there is no recorded spending
    top_share: float
    top3_share: float
    hhi: float  # Herfindahl index of product shares, 0..1
    ongoing_charges: float  # CNY a year: management + custody fees at today's values (estimate)


def numbers(facts: HealthFacts, fee_rates: dict[str, float]) -> HealthNumbers:
    """Compute the health check's numbers. ``fee_rates`` maps product code -> annual % charged."""
    total = sum(p.value for p in facts.positions)
    current = {c: 0.0 for c in ASSET_CLASSES}
    for p in facts.positions:
        for cls, share in p.exposures.items():
            current[cls] = current.get(cls, 0.0) + share * p.value / total
    drift = {c: current.get(c, 0.0) - facts.target.get(c, 0.0) for c in ASSET_CLASSES}
    level_no = int(facts.level[1]) if facts.level else 1
    above = sum(p.value for p in facts.positions if int(p.risk_rating[1]) > level_no) / total
    weighted = sum(int(p.risk_rating[1]) * p.value for p in facts.positions) / total
    liquid = sum(p.value for p in facts.positions if p.days_to_cash <= LIQUID_DAYS)
    shares = sorted((p.value / total for p in facts.positions), reverse=True)
    return HealthNumbers(
        total=total,
        current=current,
        drift=drift,
        above_level_share=above,
        weighted_rating=weighted,
        liquid_value=liquid,
        liquidity_months=liquid / facts.monthly_spending if facts.monthly_spending > 0 else None,
        top_share=shares[0],
        top3_share=sum(shares[:3]),
        hhi=sum(s * s for s in shares),
        ongoing_charges=sum(p.value * fee_rates.get(p.code, 0.0) / 100 for p in facts.positions),
    )


def build(facts: HealthFacts, n: HealthNumbers, *, lang: str, fmt: Formatter) -> Document:
    """The health-check document in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    level = facts.level or "C1"
    level_label = (RISK_LABELS_ZH if zh else RISK_LABELS_EN)[level]
    money = fmt.money
    figures = {
        "total": money(round_amount(n.total)),
        "equity_share": fmt.pct(n.current.get("equity", 0.0)),
        "target_equity_share": fmt.pct(facts.target.get("equity", 0.0)),
        "max_drift": fmt.pct(max(abs(d) for d in n.drift.values())),
        "above_level_share": fmt.pct(n.above_level_share),
        "weighted_rating": f"R{n.weighted_rating:.1f}",
        "liquid_value": money(round_amount(n.liquid_value)),
        "liquidity_months": "—" if n.liquidity_months is None else f"{n.liquidity_months:.1f}",
        "top_share": fmt.pct(n.top_share),
        "top3_share": fmt.pct(n.top3_share),
        "fees_paid_12m": money(round_amount(facts.fees_paid_12m)),
        "ongoing_charges": money(round_amount(n.ongoing_charges)),
        "level": f"{level} {level_label}",
    }
    classes = [c for c in ASSET_CLASSES if n.current.get(c, 0) > 0 or facts.target.get(c, 0) > 0]
    labels = [_(CLASS_LABELS[c]) for c in classes]
    chart_map: dict[str, charts.Chart] = {
        "allocation": charts.BarChart(
            title=_("Allocation by asset class: current against target"),
            categories=tuple(labels),
            groups=(
                (_("Current"), tuple(round(n.current.get(c, 0.0), 4) for c in classes)),
                (_("Target"), tuple(round(facts.target.get(c, 0.0), 4) for c in classes)),
            ),
            y_format="pct",
        )
    }
    if len(facts.values_12m) >= 2:
        chart_map["value"] = charts.LineChart(
            title=_("Holdings value at each month end"),
            series=(
                charts.Series(_("Holdings value"), tuple((d, round(v, 2)) for d, v in facts.values_12m)),
            ),
            y_format="amount",
        )
    suggestions = _suggestions(facts, n, _, fmt)
    kind, _sep, rest = facts.target_source.partition(":")
    if kind == "proposal":
        pid, _s, on = rest.partition(":")
        target_note = _("Target: the allocation of proposal %(id)s accepted on %(on)s.") % {
            "id": pid, "on": fmt.date(date.fromisoformat(on))}  # fmt: skip
    else:
        target_note = _("Target: the model allocation for risk level %(level)s.") % {
            "level": figures["level"]
        }
    rows = [
        {
            "name": p.name if zh else p.name_en,
            "code": p.code,
            "rating": p.risk_rating,
            "value": money(round_amount(p.value)),
            "share": fmt.pct(p.value / n.total),
            "days_to_cash": p.days_to_cash,
            "above": int(p.risk_rating[1]) > int(level[1]),
        }
        for p in facts.positions
    ]
    class_rows = [
        {
            "label": _(CLASS_LABELS[c]),
            "current": fmt.pct(n.current.get(c, 0.0)),
            "target": fmt.pct(facts.target.get(c, 0.0)),
            "drift": f"{n.drift[c] * 100:+.1f}",
            "off": abs(n.drift[c]) > DRIFT_LIMIT,
        }
        for c in classes
    ]
    return Document(
        kind="health_check",
        lang=lang,
        title=_("Asset health check"),
        subject=f"{facts.client_name} ({facts.client_no})",
        as_of=facts.as_of,
        data_as_of=facts.data_as_of,
        context={
            "rows": rows,
            "class_rows": class_rows,
            "suggestions": suggestions,
            "target_note": target_note,
            "questionnaire_valid_until": facts.questionnaire_valid_until,
            "liquid_days": LIQUID_DAYS,
            "monthly_spending": money(round_amount(facts.monthly_spending)),
        },
        charts=chart_map,
        figures=figures,
    )


def _suggestions(
    facts: HealthFacts, n: HealthNumbers, gettext: Callable[[str], str], fmt: Formatter
) -> list[str]:
    out: list[str] = []
    for cls, d in sorted(n.drift.items(), key=lambda kv: -abs(kv[1])):
        if abs(d) > DRIFT_LIMIT:
            out.append(gettext(
                "Rebalance %(cls)s: %(current)s of your holdings against a target of %(target)s."
            ) % {"cls": gettext(CLASS_LABELS[cls]), "current": fmt.pct(n.current.get(cls, 0.0)),
                 "target": fmt.pct(facts.target.get(cls, 0.0))})  # fmt: skip
    if n.above_level_share > 0:
        out.append(gettext(
            "%(share)s of your holdings are rated above your risk level; review whether to keep them."
        ) % {"share": fmt.pct(n.above_level_share)})  # fmt: skip
    if n.liquidity_months is not None and n.liquidity_months < LIQUIDITY_MONTHS_MIN:
        out.append(gettext(
            "What you can turn into cash within a week covers %(months)s months of spending; "
            "we suggest keeping at least %(min)s months."
        ) % {"months": f"{n.liquidity_months:.1f}", "min": LIQUIDITY_MONTHS_MIN})  # fmt: skip
    if n.top_share > CONCENTRATION_LIMIT and facts.positions[0].kind != "deposit":
        out.append(gettext(
            "One product is %(share)s of your holdings; spreading it lowers the damage one product can do."
        ) % {"share": fmt.pct(n.top_share)})  # fmt: skip
    valid = facts.questionnaire_valid_until
    if valid is None or valid < facts.as_of + timedelta(days=30):
        out.append(gettext(
            "Your risk questionnaire expires soon or has expired; please renew it so advice stays suitable."
        ))  # fmt: skip
    if not out:
        out.append(gettext("Your holdings are in good shape against every check in this report."))
    return out


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The health check for ``reader``'s client (the report service's entry point; no subject)."""
    if subject:
        raise InputError("the asset health check takes no subject", errors=[
            FieldError(("subject",), "not used by this report kind", subject)])  # fmt: skip
    facts = load(reader)
    codes = [p.code for p in facts.positions]
    rates = {
        p.code: float(p.management_fee_pct + p.custody_fee_pct)
        for p in reader.session.scalars(select(Product).where(Product.code.in_(codes)))
    }
    return build(facts, numbers(facts, rates), lang=lang, fmt=fmt), ""


def round_amount(value: float) -> Decimal:
    """CNY rounded to the fen, as a Decimal for the money formatter."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
