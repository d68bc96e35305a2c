"""Portfolio lab use cases: propose an allocation for a client, let the RM override it, take it
through review, compliance, presentation and the client's answer, every step audited.

Each function takes the session and the acting principal and changes state in the caller's
transaction (one unit of work per use case); the audit record is appended in that transaction.
The numbers come from the pure modules: ``allocation`` (the optimiser), ``stress`` and
``scenarios`` (stress tests, backtest, Monte Carlo), ``suitability`` and ``disclosure``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.clients.models import Account, AccountParty, Holding, MemoryPoint, Party, RiskAssessment
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ClientSignal, ProfileVersion
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied
from fincrm.lake.analytics import connect
from fincrm.portfolio import allocation, compare, disclosure, scenarios, stress, suitability
from fincrm.portfolio.models import (
    ACCEPTED,
    COMPLIANCE_CHECKED,
    DECLINED,
    DRAFT,
    PRESENTED,
    RM_REVIEWED,
    Proposal,
    ProposalEvent,
)
from fincrm.portfolio.schemas import ProposalRead
from fincrm.products.models import Product, ProductExposure

HISTORY_DAYS = 3 * 365  # calendar days of NAV history behind expected returns and covariance
RENOVATION_CASH_FLOOR = 0.30  # share kept in cash when a renovation need is open
AVERSION_SECTOR_CAP = 0.05  # share allowed in a sector the client said they avoid
AVERSION_WORDS = {"tech": ("科技", "tech", "technology", "互联网", "internet")}  # sector -> words
SECTOR_SHARE_FOR_TAG = 0.20  # a product is tagged with a sector from this share of its value in it
TECH_SECTORS = ("information_technology", "communication_services")
CLASS_SERIES = {  # asset class -> index series replayed in stress tests (market_series codes)
    "cash": "CN_MMF", "bond": "CBA_BOND", "equity": "CSI300", "commodity": "SGE_AU",
    "real_estate": "CSI_REITS", "alternative": None,
}  # fmt: skip
BENCHMARK_SERIES = "CSI300"
MAX_ID = 2**63 - 1  # largest id a BIGINT column holds; larger path ids are refused at the edge
MAX_INVEST_AMOUNT = Decimal("9999999999999999.99")  # the largest NUMERIC(18, 2) amount
WEIGHT_TOLERANCE = 1e-6  # weights must sum to 1 within this
MONTE_CARLO_PATHS = 2_000
METHODS = ("target_risk", "max_sharpe", "min_volatility", "risk_parity")


@dataclass(frozen=True)
class ProductFacts:
    code: str
    name: str
    name_en: str | None
    kind: str
    risk_rating: str
    asset_class: str  # dominant look-through class
    exposures: dict[str, float]  # asset class -> fraction
    tech_share: float
    min_investment_amount: float
    series: str | None
    fees: disclosure.FeeTerms


# ----- reading -------------------------------------------------------------------------------


def _party(session: Session, principal: Principal, party_no: str) -> Party:
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, readable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return party


def _products(session: Session) -> dict[str, ProductFacts]:
    rows = session.scalars(select(Product).where(Product.on_shelf.is_(True)).order_by(Product.code)).all()
    exposures: dict[int, list[ProductExposure]] = {}
    for e in session.scalars(select(ProductExposure)):
        exposures.setdefault(e.product_id, []).append(e)
    out = {}
    for p in rows:
        if p.kind == "loan":
            continue
        by_class: dict[str, float] = {}
        tech = 0.0
        for e in exposures.get(p.id, []):
            share = float(e.weight_pct) / 100
            by_class[str(e.asset_class)] = by_class.get(str(e.asset_class), 0.0) + share
            if e.sector in TECH_SECTORS:
                tech += share
        if not by_class:
            continue  # no look-through: cannot be stress-tested, so never proposed
        out[p.code] = ProductFacts(
            code=p.code, name=p.name, name_en=p.name_en, kind=str(p.kind), risk_rating=str(p.risk_rating),
            asset_class=max(by_class, key=lambda k: (by_class[k], k)), exposures=by_class, tech_share=tech,
            min_investment_amount=float(p.min_investment_amount), series=p.price_series_code,
            fees=disclosure.FeeTerms(
                code=p.code, name=p.name, name_en=p.name_en or p.name, kind=str(p.kind),
                distribution=str(p.distribution), subscription_fee_pct=p.subscription_fee_pct,
                redemption_fee_pct=p.redemption_fee_pct, management_fee_pct=p.management_fee_pct,
                custody_fee_pct=p.custody_fee_pct, distribution_commission_pct=p.distribution_commission_pct,
            ),
        )  # fmt: skip
    return out


def _prices(settings: Settings, series: list[str], end: date) -> pd.DataFrame:
    """Daily prices of ``series`` over the ``HISTORY_DAYS`` to ``end``, wide (date index)."""
    con = connect(settings)
    try:
        frame = con.execute(
            "SELECT price_on, series, price FROM market_prices WHERE series IN (SELECT unnest(?)) "
            "AND price_on > ? AND price_on <= ? ORDER BY price_on",
            [series, end - timedelta(days=HISTORY_DAYS), end],
        ).df()
    finally:
        con.close()
    if frame.empty:
        return pd.DataFrame()
    wide = frame.pivot(index="price_on", columns="series", values="price").sort_index()
    wide.index = pd.to_datetime(wide.index)
    return wide.astype(float)


def _holdings(session: Session, party: Party) -> dict[str, float]:
    rows = session.execute(
        select(Product.code, Holding.market_value_amount)
        .join(Holding, Holding.product_id == Product.id)
        .join(AccountParty, AccountParty.account_id == Holding.account_id)
        .join(Account, Account.id == Holding.account_id)
        .where(AccountParty.party_id == party.id, AccountParty.role == "owner")
    ).all()
    out: dict[str, float] = {}
    for code, value in rows:
        out[code] = out.get(code, 0.0) + float(value)
    return {k: v for k, v in out.items() if v > 0}


def _investor(session: Session, party: Party) -> tuple[suitability.Investor, str | None]:
    """The questionnaire-based investor, and the effective risk level from the batch if any."""
    latest = session.scalars(
        select(RiskAssessment)
        .where(RiskAssessment.party_id == party.id)
        .order_by(RiskAssessment.taken_on.desc(), RiskAssessment.id.desc())
        .limit(1)
    ).one_or_none()
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    profile = session.get(ClientProfile, (version, party.id)) if version is not None else None
    level = str(latest.level) if latest is not None else None
    investor = suitability.Investor(
        level=level,
        valid_until=latest.valid_until if latest is not None else None,
        professional=str(party.investor_class) == "professional",
    )
    effective = profile.effective_risk if profile is not None and profile.effective_risk else level
    return investor, effective


def _needs(
    session: Session, party: Party
) -> tuple[float, str, str, dict[str, float], dict[str, str], dict[str, str]]:
    """Cash floor from an open renovation need; sector caps from recorded aversions."""
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    floor, why_en, why_zh = 0.0, "", ""
    if version is not None:
        renovation = session.scalars(
            select(ClientSignal).where(
                ClientSignal.version_id == version, ClientSignal.party_id == party.id,
                ClientSignal.kind == "renovation_need",
            )
        ).first()  # fmt: skip
        if renovation is not None:
            floor = RENOVATION_CASH_FLOOR
            why_en = f"a renovation is expected after the property purchase of {renovation.detected_on}"
            why_zh = f"客户于{renovation.detected_on}购房，近期有装修资金需求"
    caps: dict[str, float] = {}
    reasons_en: dict[str, str] = {}
    reasons_zh: dict[str, str] = {}
    points = session.scalars(
        select(MemoryPoint).where(MemoryPoint.party_id == party.id, MemoryPoint.category == "aversion")
    ).all()
    for point in points:
        text = point.text.lower()
        for sector, words in AVERSION_WORDS.items():
            if any(w.lower() in text for w in words):
                caps[sector] = AVERSION_SECTOR_CAP
                reasons_en[sector] = f"client memory point: {point.text}"
                reasons_zh[sector] = f"客户记忆点：{point.text}"
    return floor, why_en, why_zh, caps, reasons_en, reasons_zh


def scenario_library(settings: Settings) -> dict[str, scenarios.Scenario]:
    """The built-in historical windows plus the institution's own (``FINCRM_SCENARIOS_PATH``).

    Raises
    ------
    InputError
        The file cannot be read or an entry is invalid; every problem is located as
        (file, entry number, field) and the whole file is refused.
    """
    library = dict(scenarios.SCENARIOS)
    path = settings.scenarios_path
    if path is None:
        return library
    import yaml

    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the scenarios file: {exc}") from exc
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a list of scenarios (key, name_zh, name_en, start, end, shocks)")
    problems: list[FieldError] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(FieldError((path.name, number), "each scenario is a mapping", entry))
            continue
        try:
            scenario = scenarios.custom_scenario(
                str(entry.get("key", "")), str(entry.get("name_zh", "")), str(entry.get("name_en", "")),
                _day(entry.get("start")), _day(entry.get("end")), dict(entry.get("shocks") or {}),
            )  # fmt: skip
        except InputError as exc:
            problems += [FieldError((path.name, number, *e.loc), e.msg, e.input) for e in exc.errors] or [
                FieldError((path.name, number), exc.message)
            ]
            continue
        if scenario.key in library:
            problems.append(
                FieldError((path.name, number, "key"), "already used by another scenario", scenario.key)
            )
            continue
        library[scenario.key] = scenario
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the scenarios file", errors=problems)
    return library


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# ----- computing -----------------------------------------------------------------------------


def _class_weights(weights: dict[str, float], products: dict[str, ProductFacts]) -> dict[str, float]:
    return scenarios.look_through(
        {c: w for c, w in weights.items() if w > 0},
        {c: products[c].exposures for c in weights if weights[c] > 0},
    )


def _evidence(
    settings: Settings, products: dict[str, ProductFacts], current: dict[str, float],
    proposed: dict[str, float], nav: pd.DataFrame, investor: suitability.Investor, on: date,
    invest_amount: Decimal,
) -> dict[str, Any]:  # fmt: skip
    """Stress tests (current vs proposal vs benchmark), backtest, Monte Carlo, suitability, fees."""
    index = _prices(settings, [s for s in CLASS_SERIES.values() if s] + [BENCHMARK_SERIES], on)
    mapping = {k: (v if v in index.columns else None) for k, v in CLASS_SERIES.items()}
    total = sum(current.values())
    current_w = {c: v / total for c, v in current.items()} if total > 0 else {}
    library = scenario_library(settings)
    bench = index[BENCHMARK_SERIES].dropna() if BENCHMARK_SERIES in index.columns else pd.Series(dtype=float)
    if len(bench) > 2:  # the worst fall of the benchmark in the imported history, replayed
        peak = bench.cummax()
        trough_on = (bench / peak - 1).idxmin()
        peak_on = bench.loc[:trough_on].idxmax()
        if trough_on > peak_on:
            library["history"] = scenarios.custom_scenario(
                "history", "近期最大回撤", "Largest recent fall",
                peak_on.date(), trough_on.date(), {c: 0.0 for c in scenarios.ASSET_CLASSES},
            )  # fmt: skip
    stress_rows = []
    for key, scenario in library.items():
        row: dict[str, Any] = {"key": key, "name_zh": scenario.name_zh, "name_en": scenario.name_en,
                               "start": scenario.start.isoformat(), "end": scenario.end.isoformat()}  # fmt: skip
        for label, weights in (("proposal", proposed), ("current", current_w)):
            if not weights:
                row[label] = None
                continue
            result = stress.stress_test(
                index, scenario, _class_weights(weights, products), mapping,
                BENCHMARK_SERIES if BENCHMARK_SERIES in index.columns else None,
            )  # fmt: skip
            row[label] = result["portfolio"]
            row["benchmark"] = result.get("benchmark")
        stress_rows.append(row)
    codes = [c for c in proposed if products[c].series in nav.columns]
    series = [products[c].series for c in codes]
    window = nav[series].dropna()
    out: dict[str, Any] = {"stress": stress_rows}
    if len(window) > 20:
        w = np.array([proposed[c] for c in codes])
        w = w / w.sum()
        values = stress.backtest(window, dict(zip(series, w, strict=True)), rebalance="quarterly")
        out["backtest"] = {
            "dates": [d.date().isoformat() for d in values.index[:: max(1, len(values) // 120)]],
            "values": [round(float(v), 6) for v in values.to_numpy()[:: max(1, len(values) // 120)]],
            "summary": stress.backtest_summary(values),
        }
        returns = window.pct_change().dropna().to_numpy()
        out["monte_carlo"] = stress.monte_carlo(returns, w, paths=MONTE_CARLO_PATHS, seed=0)
    out["comparison"] = _comparison(nav, products, proposed, current_w)
    verdicts = {}
    for code in sorted(set(proposed) | set(current_w)):
        p = products.get(code)
        if p is None:
            continue
        v = suitability.check(investor, suitability.Product(p.code, p.kind, p.risk_rating, p.name), on)
        verdicts[code] = {"outcome": v.outcome, "reason_code": v.reason_code, "message_zh": v.message_zh,
                          "message_en": v.message_en}  # fmt: skip
    out["suitability"] = verdicts
    lines = [
        (products[c].fees, (invest_amount * Decimal(str(w))).quantize(Decimal("0.01")))
        for c, w in sorted(proposed.items()) if w > 0
    ]  # fmt: skip
    out["disclosure"] = _jsonable(disclosure.disclose(lines))
    out["current_weights"] = {c: round(w, 6) for c, w in current_w.items()}
    return out


def _comparison(
    nav: pd.DataFrame,
    products: dict[str, ProductFacts],
    proposed: dict[str, float],
    current: dict[str, float],
) -> dict[str, Any] | None:
    """Proposal against current holdings per unit of risk, over the NAV history both can be valued
    on (quarterly rebalanced): return, volatility, maximum drawdown, a sentence in each language and
    a risk/return scatter. None when either cannot be valued over at least 60 days."""
    figures = []
    for label_en, label_zh, weights in (("Proposal", "建议方案", proposed), ("Current", "现有持仓", current)):
        codes = [c for c in weights if weights[c] > 0 and c in products and products[c].series in nav.columns]
        if not codes or sum(weights[c] for c in codes) < 0.999:
            return None  # a holding without NAV history: no fair comparison
        window = nav[[products[c].series for c in codes]].dropna()
        if len(window) < 60:
            return None
        w = {products[c].series: weights[c] for c in codes}
        summary = stress.backtest_summary(stress.backtest(window, w, rebalance="quarterly"))
        figures.append((label_en, label_zh, summary))
    (pe, pz, p), (ce, cz, c) = figures
    en = compare.compare(
        compare.RiskReturn(pe, p["annual_return"], p["volatility"], max_drawdown=p["max_drawdown"]),
        compare.RiskReturn(ce, c["annual_return"], c["volatility"], max_drawdown=c["max_drawdown"]),
    )
    zh = compare.compare(
        compare.RiskReturn(pz, p["annual_return"], p["volatility"], max_drawdown=p["max_drawdown"]),
        compare.RiskReturn(cz, c["annual_return"], c["volatility"], max_drawdown=c["max_drawdown"]),
    )
    return {"sentence_en": en.sentence_en, "sentence_zh": zh.sentence_zh, "better": en.better,
            "per_unit_risk": [en.per_unit_risk_a, en.per_unit_risk_b], "chart": en.chart,
            "proposal": p, "current": c}  # fmt: skip


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _compliance_reasons(evidence: dict[str, Any], overridden: bool) -> list[str]:
    reasons = ["override"] if overridden else []
    if any(v["outcome"] == "needs_acknowledgement" for v in evidence["suitability"].values()):
        reasons.append("suitability_mismatch")
    return reasons


# ----- use cases -----------------------------------------------------------------------------


def create_proposal(
    session: Session, principal: Principal, party_no: str, *, settings: Settings, invest_amount: Decimal,
    method: str = "target_risk", now: datetime,
) -> Proposal:  # fmt: skip
    """The machine's proposal for ``invest_amount`` CNY, stored as a draft with its evidence."""
    if principal.role not in (Role.RM, Role.TEAM_LEAD):
        raise PermissionDenied("only relationship managers and team leads prepare proposals")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}",
                         errors=[FieldError(("method",), "unknown method", method)])  # fmt: skip
    if invest_amount > MAX_INVEST_AMOUNT or invest_amount.as_tuple().exponent < -2:
        raise InputError(
            f"invest_amount must have at most 2 decimals and be at most {MAX_INVEST_AMOUNT:,}",
            errors=[FieldError(("invest_amount",), "too large or too precise", str(invest_amount))],
        )
    if invest_amount <= 0:
        raise InputError(
            "invest_amount must be positive",
            errors=[FieldError(("invest_amount",), "not positive", str(invest_amount))],
        )
    party = _party(session, principal, party_no)
    on = now.date()
    investor, effective = _investor(session, party)
    blocked = suitability.check(investor, suitability.Product("-", "deposit", "R1"), on)
    if blocked.outcome == "blocked":
        raise InputError(f"{party_no}: {blocked.message_en}; new recommendations are blocked until the "
                         "client completes a new risk questionnaire")  # fmt: skip
    products = _products(session)
    nav = _prices(settings, sorted({p.series for p in products.values() if p.series}), on)
    candidates, keep = [], []
    for p in products.values():
        if p.series not in nav.columns or nav[p.series].dropna().shape[0] < 60:
            continue  # too little price history to estimate its risk
        verdict = suitability.check(investor, suitability.Product(p.code, p.kind, p.risk_rating, p.name), on)
        eligible = verdict.outcome == "suitable"
        candidates.append(allocation.Candidate(
            code=p.code, name=p.name, asset_class=p.asset_class, risk_rating=p.risk_rating,
            min_investment_amount=p.min_investment_amount, eligible=eligible,
            sector="tech" if p.tech_share >= SECTOR_SHARE_FOR_TAG else "",
            reason_ineligible="" if eligible else verdict.message_en,
            reason_ineligible_zh="" if eligible else verdict.message_zh,
        ))  # fmt: skip
        keep.append(p.series)
    if not candidates:
        raise InputError("no product on the shelf has enough price history to build a proposal")
    prices_as_of = nav.index.max().date()
    mu, cov = _mu_cov(nav[keep])
    floor, why_en, why_zh, caps, caps_en, caps_zh = _needs(session, party)
    result = allocation.propose(allocation.AllocationRequest(
        client_no=party_no, effective_risk=effective or "C1", invest_amount=float(invest_amount),
        candidates=candidates, mu=mu, cov=cov, method=method, cash_floor_share=floor,
        cash_floor_reason=why_en, cash_floor_reason_zh=why_zh, sector_caps=caps, sector_cap_reasons=caps_en,
        sector_cap_reasons_zh=caps_zh,
    ))  # fmt: skip
    current = _holdings(session, party)
    evidence = _evidence(settings, products, current, result.weights, nav, investor, on, invest_amount)
    reasons = _compliance_reasons(evidence, overridden=False)
    proposal = Proposal(
        party_id=party.id, status=DRAFT, method=method, effective_risk=effective or "C1",
        invest_amount=invest_amount, currency=settings.reporting_currency, prices_as_of=prices_as_of,
        created_by_id=principal.user_id, created_at=now, updated_at=now, overridden=False,
        needs_compliance=bool(reasons), compliance_reasons=json.dumps(reasons),
        machine=json.dumps(_jsonable(result), ensure_ascii=False), weights=json.dumps(result.weights),
        evidence=json.dumps(evidence, ensure_ascii=False),
    )  # fmt: skip
    session.add(proposal)
    session.flush()
    _event(session, proposal, principal, "created", None, DRAFT, now, reason=f"method {method}")
    audit.append(session, principal, "proposal.create", at=now, party_id=party.id,
                 detail=f"proposal {proposal.id}: {method}, {invest_amount} {proposal.currency}")  # fmt: skip
    return proposal


def _mu_cov(prices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from fincrm.portfolio.optimize import expected_returns_and_cov

    mu, cov = expected_returns_and_cov(prices)
    return mu.to_numpy(), cov.to_numpy()


def check_weights(
    session: Session, principal: Principal, proposal_id: int, weights: dict[str, float], *, now: datetime
) -> dict[str, Any]:
    """Re-check suitability and limits of edited weights without saving: problems and verdicts."""
    proposal = _proposal(session, principal, proposal_id)
    party = session.get(Party, proposal.party_id)
    products = _products(session)
    investor, _ = _investor(session, party)
    problems: list[dict[str, Any]] = []
    for code, w in weights.items():
        if code not in products:
            problems.append({"loc": ["weights", code], "msg": "unknown product or not on the shelf"})
        elif not isinstance(w, int | float) or not math.isfinite(w) or w < 0 or w > 1:
            problems.append({"loc": ["weights", code], "msg": "a weight is a fraction between 0 and 1"})
    total = sum(w for w in weights.values() if isinstance(w, int | float) and math.isfinite(w))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        problems.append({"loc": ["weights"], "msg": f"weights sum to {total:.6f}, not 1"})
    verdicts = {}
    for code in weights:
        p = products.get(code)
        if p is not None and weights[code] > 0:
            v = suitability.check(
                investor, suitability.Product(p.code, p.kind, p.risk_rating, p.name), now.date()
            )
            verdicts[code] = {"outcome": v.outcome, "message_zh": v.message_zh, "message_en": v.message_en}
            if v.outcome in ("refused", "blocked"):
                problems.append({"loc": ["weights", code], "msg": v.message_en})
    budget = allocation.RISK_BUDGETS[proposal.effective_risk]
    # as the optimiser counts it: a product's weight goes to its main asset class
    growth = sum(weights.get(c, 0) for c, p in products.items()
                 if c in weights and p.asset_class in allocation.GROWTH_CLASSES)  # fmt: skip
    if growth > budget.max_equity_share + 1e-9:
        problems.append({"loc": ["weights"], "msg": f"equity and alternatives {growth:.1%} exceed the "
                         f"{proposal.effective_risk} limit of {budget.max_equity_share:.0%}"})  # fmt: skip
    return {"ok": not problems, "problems": problems, "suitability": verdicts}


def override_proposal(
    session: Session, principal: Principal, proposal_id: int, weights: dict[str, float], *, reason: str,
    settings: Settings, now: datetime,
) -> Proposal:  # fmt: skip
    """The RM's weights replace the current ones; the reason, the diff and the author are kept."""
    proposal = _proposal(session, principal, proposal_id, changing=True)
    if proposal.status != DRAFT:
        raise InputError(f"proposal {proposal_id} is {proposal.status}: only a draft can be edited")
    if not reason.strip():
        raise InputError("an override needs a reason", errors=[FieldError(("reason",), "required")])
    checked = check_weights(session, principal, proposal_id, weights, now=now)
    if not checked["ok"]:
        raise InputError("the weights cannot be used: " + "; ".join(p["msg"] for p in checked["problems"]),
                         errors=[FieldError(tuple(p["loc"]), p["msg"]) for p in checked["problems"]])  # fmt: skip
    before = json.loads(proposal.weights)
    after = {c: round(float(w), 6) for c, w in weights.items() if w > 0}
    diff = {c: [before.get(c, 0.0), after.get(c, 0.0)] for c in sorted(set(before) | set(after))
            if abs(before.get(c, 0.0) - after.get(c, 0.0)) > 1e-9}  # fmt: skip
    party = session.get(Party, proposal.party_id)
    investor, _ = _investor(session, party)
    products = _products(session)
    current = _holdings(session, party)
    held = [c for c in set(after) | set(current) if c in products and products[c].series]
    nav = _prices(settings, sorted({products[c].series for c in held}), now.date())
    evidence = _evidence(
        settings, products, current, after, nav, investor, now.date(), proposal.invest_amount
    )
    reasons = _compliance_reasons(evidence, overridden=True)
    proposal.weights, proposal.evidence = json.dumps(after), json.dumps(evidence, ensure_ascii=False)
    proposal.overridden, proposal.needs_compliance = True, True
    proposal.compliance_reasons, proposal.updated_at = json.dumps(reasons), now
    _event(session, proposal, principal, "override", DRAFT, DRAFT, now, reason=reason, diff=diff)
    audit.append(session, principal, "proposal.override", at=now, party_id=proposal.party_id,
                 detail=f"proposal {proposal.id}: {len(diff)} weights changed: {reason}")  # fmt: skip
    return proposal


# action -> (roles allowed, from statuses, to status)
TRANSITIONS: dict[str, tuple[frozenset[Role], tuple[str, ...], str]] = {
    "review": (frozenset({Role.RM, Role.TEAM_LEAD}), (DRAFT,), RM_REVIEWED),
    "approve": (frozenset({Role.COMPLIANCE}), (RM_REVIEWED,), COMPLIANCE_CHECKED),
    "reject": (frozenset({Role.COMPLIANCE}), (RM_REVIEWED,), DRAFT),
    # the client's signed acknowledgement of the risk warning for products above their level
    "acknowledge": (frozenset({Role.RM, Role.TEAM_LEAD}), (COMPLIANCE_CHECKED,), COMPLIANCE_CHECKED),
    "present": (frozenset({Role.RM, Role.TEAM_LEAD}), (COMPLIANCE_CHECKED,), PRESENTED),
    "accept": (frozenset({Role.RM, Role.TEAM_LEAD}), (PRESENTED,), ACCEPTED),
    "decline": (frozenset({Role.RM, Role.TEAM_LEAD}), (PRESENTED,), DECLINED),
}


def advance_proposal(
    session: Session, principal: Principal, proposal_id: int, action: str, *, reason: str = "", now: datetime
) -> Proposal:
    """One review step. An RM review of a proposal without override or suitability mismatch is
    compliance-checked by the system at once (recorded as such); otherwise it waits in the
    compliance queue. Presenting needs a complete fee disclosure and, when a product is above the
    client's level, the client's recorded acknowledgement; a rejection needs a reason."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r}; one of {', '.join(TRANSITIONS)}")
    roles, sources, target = TRANSITIONS[action]
    if principal.role not in roles:
        raise PermissionDenied(f"your role may not {action} a proposal")
    proposal = _proposal(session, principal, proposal_id, changing=principal.role != Role.COMPLIANCE)
    if proposal.status not in sources:
        raise InputError(
            f"proposal {proposal_id} is {proposal.status}; {action} needs {' or '.join(sources)}"
        )
    if action in ("reject", "acknowledge") and not reason.strip():
        what = (
            "a rejection" if action == "reject" else "an acknowledgement (how and when the client confirmed)"
        )
        raise InputError(f"{what} needs a reason", errors=[FieldError(("reason",), "required")])
    if action == "present":
        blockers = json.loads(proposal.evidence)["disclosure"]["blockers"]
        if blockers:
            names = ", ".join(b["code"] for b in blockers)
            raise InputError(f"the fee disclosure is incomplete for {names}: it cannot be presented")
        if "suitability_mismatch" in json.loads(proposal.compliance_reasons) and not session.scalar(
            select(ProposalEvent.id).where(
                ProposalEvent.proposal_id == proposal.id, ProposalEvent.action == "acknowledge"
            )
        ):
            raise InputError(
                "a product is above the client's risk level: record the client's acknowledgement of the "
                "risk warning (action acknowledge) before presenting"
            )
    before = proposal.status
    proposal.status, proposal.updated_at = target, now
    _event(session, proposal, principal, action, before, target, now, reason=reason)
    if action == "review" and not proposal.needs_compliance:
        proposal.status = COMPLIANCE_CHECKED
        _event(session, proposal, None, "auto_checked", RM_REVIEWED, COMPLIANCE_CHECKED, now,
               reason="no override and every product within the client's risk level")  # fmt: skip
    audit.append(session, principal, f"proposal.{action}", at=now, party_id=proposal.party_id,
                 detail=f"proposal {proposal.id}: {before} -> {proposal.status}" + (f": {reason}" if reason else ""))  # fmt: skip
    return proposal


def compliance_queue(session: Session, principal: Principal, *, now: datetime) -> list[Proposal]:
    """Reviewed proposals with an override or a suitability mismatch, oldest first (the view is
    audited: it shows clients' amounts)."""
    if principal.role != Role.COMPLIANCE:
        raise PermissionDenied("the review queue is for compliance")
    audit.append(session, principal, "proposal.queue", at=now)
    return list(session.scalars(
        select(Proposal).where(Proposal.status == RM_REVIEWED, Proposal.needs_compliance.is_(True))
        .order_by(Proposal.updated_at, Proposal.id)
    ))  # fmt: skip


def get_proposal(
    session: Session, principal: Principal, proposal_id: int, *, now: datetime | None = None
) -> tuple[Proposal, list[ProposalEvent]]:
    """A proposal and its trail. A view (``now`` given) is audited; callers that have just
    written the proposal (and audited that) pass no ``now``."""
    proposal = _proposal(session, principal, proposal_id)
    if now is not None:
        audit.append(session, principal, "proposal.read", at=now, party_id=proposal.party_id,
                     detail=f"proposal {proposal.id}")  # fmt: skip
    events = list(session.scalars(
        select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)
    ))  # fmt: skip
    return proposal, events


def list_proposals(session: Session, principal: Principal, party_no: str, *, now: datetime) -> list[Proposal]:
    """The client's proposals, newest first (audited as a read of the client)."""
    party = _party(session, principal, party_no)
    audit.append(session, principal, "proposal.list", at=now, party_id=party.id)
    return list(session.scalars(
        select(Proposal).where(Proposal.party_id == party.id).order_by(Proposal.created_at.desc(), Proposal.id.desc())
    ))  # fmt: skip


def _proposal(
    session: Session, principal: Principal, proposal_id: int, *, changing: bool = False
) -> Proposal:
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    proposal = session.scalars(
        select(Proposal).join(Party, Party.id == Proposal.party_id)
        .where(Proposal.id == proposal_id, readable_parties(principal))
    ).one_or_none()  # fmt: skip
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id} for a client in your book")
    if changing and principal.role not in (Role.RM, Role.TEAM_LEAD):
        raise PermissionDenied("your role may read this proposal but not change it")
    return proposal


def _event(
    session: Session, proposal: Proposal, principal: Principal | None, action: str, before: str | None,
    after: str, now: datetime, *, reason: str = "", diff: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    session.add(ProposalEvent(
        proposal_id=proposal.id, at=now, actor_id=principal.user_id if principal else None, action=action,
        from_status=before, to_status=after, reason=reason, diff=json.dumps(diff or {}),
    ))  # fmt: skip


def read_proposal(
    session: Session, proposal: Proposal, events: list[ProposalEvent] | None = None
) -> ProposalRead:
    """The API shape of a proposal the service already returned to this caller (primary-key loads only:
    the client number of its party and the usernames of the event actors)."""
    party = session.get(Party, proposal.party_id)
    actors = {e.actor_id: session.get(User, e.actor_id).username for e in events or [] if e.actor_id}
    classes: dict[str, dict[str, float]] = {}
    if events is not None:
        shelf = _products(session)
        evidence = json.loads(proposal.evidence)
        for label, weights in (
            ("proposal", json.loads(proposal.weights)),
            ("machine", json.loads(proposal.machine).get("weights", {})),
            ("current", evidence.get("current_weights", {})),
        ):
            known = {c: w for c, w in weights.items() if c in shelf and w > 0}
            classes[label] = (
                {k: round(v, 6) for k, v in _class_weights(known, shelf).items()} if known else {}
            )
    return ProposalRead.of(proposal, party.party_no, events, actors, classes)


MAX_COMPARED = 8  # products compared at once


def compare_products(
    session: Session, principal: Principal, codes: list[str], *, settings: Settings, on: date
) -> dict[str, Any]:
    """Products side by side by return, volatility, Sharpe and maximum drawdown over the NAV
    history they share (up to ``HISTORY_DAYS``), ranked by return per unit of risk, with a sentence
    in each language for the best two and a risk/return scatter. No client data is read.

    Raises
    ------
    InputError
        Fewer than two or more than ``MAX_COMPARED`` codes, an unknown product, or too little
        common price history (fewer than 60 days), each named.
    """
    from fincrm.portfolio import metrics

    del principal  # any signed-in staff member may compare products
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not 2 <= len(wanted) <= MAX_COMPARED:
        raise InputError(f"compare 2 to {MAX_COMPARED} products, got {len(wanted)}",
                         errors=[FieldError(("codes",), "2 to 8 product codes", codes)])  # fmt: skip
    products = _products(session)
    unknown = [c for c in wanted if c not in products or not products[c].series]
    if unknown:
        raise InputError(f"unknown products or products without a price series: {', '.join(unknown)}",
                         errors=[FieldError(("codes", c), "unknown or no price series", c) for c in unknown])  # fmt: skip
    nav = _prices(settings, [products[c].series for c in wanted], on)
    missing = [c for c in wanted if products[c].series not in nav.columns]
    window = nav[[products[c].series for c in wanted if c not in missing]].dropna()
    if missing or len(window) < 60:
        raise InputError(f"too little common price history to compare ({len(window)} days): "
                         f"{', '.join(missing) or 'the products share fewer than 60 days'}")  # fmt: skip
    returns = metrics.simple_returns(window.to_numpy())
    annual, vol = metrics.annual_return(returns), metrics.annual_volatility(returns)
    sharpe, drawdown = metrics.sharpe_ratio(returns), metrics.max_drawdown(returns)
    items = [
        compare.RiskReturn(code, float(annual[i]), float(vol[i]), float(sharpe[i]), float(drawdown[i]))
        for i, code in enumerate(wanted)
    ]
    ranked = compare.compare_many(items)
    first, second = ranked[0].item, ranked[1].item
    pair = compare.compare(first, second)
    return {
        "from": window.index[0].date().isoformat(), "to": window.index[-1].date().isoformat(), "days": len(window),
        "products": [
            {"rank": r.rank, "code": r.item.name, "name": products[r.item.name].name,
             "name_en": products[r.item.name].name_en, "annual_return": r.item.annual_return,
             "volatility": r.item.volatility, "sharpe": _jsonable(r.item.sharpe),
             "max_drawdown": r.item.max_drawdown, "per_unit_risk": _jsonable(r.per_unit_risk)}
            for r in ranked
        ],
        "sentence_zh": pair.sentence_zh, "sentence_en": pair.sentence_en,
        "chart": _jsonable(compare.scatter_chart(items)),
    }  # fmt: skip


# ----- reads shared with reports ---------------------------------------------------------------
# The report engine (a capability to the right of this one) reads a client's holdings, the
# shelf's look-through facts and the investor's risk level exactly as proposals do.
client_holdings = _holdings
shelf_facts = _products
client_investor = _investor
