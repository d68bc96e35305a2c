"""Reading the batch's results: run records, the lift report and the segment dashboard.

Everything reads the *current* profile version only. The dashboard is scoped to the reader's book
(the same rule as every client read, ``clients.repository.readable_parties``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal
from fincrm.clients.domain import TIERS
from fincrm.clients.models import Party
from fincrm.clients.profile_models import (
    VERSION_CURRENT,
    ClientProfile,
    ClientSignal,
    ProfileVersion,
    RfmLift,
)
from fincrm.clients.repository import readable_parties
from fincrm.errors import PermissionDenied
from fincrm.intelligence.benefits import load_benefits
from fincrm.intelligence.domain import BOOK
from fincrm.intelligence.models import BatchRun
from fincrm.intelligence.schemas import (
    BatchRunRead,
    BenefitCatalogue,
    BenefitRead,
    ClientFlag,
    HeatCell,
    LiftReport,
    LiftRow,
    SegmentDashboard,
    SignalCount,
    TierRow,
)

FLAG_LIMIT_MAX = 200


def benefit_catalogue(path: Path | None) -> BenefitCatalogue:
    """The benefit catalogue per tier (validated; a bad file is an InputError naming file, line, field)."""
    catalogue = load_benefits(path)
    return BenefitCatalogue(
        tiers={
            tier: [BenefitRead.model_validate(b, from_attributes=True) for b in catalogue[tier]]
            for tier in TIERS
        }
    )


def list_runs(session: Session, *, limit: int = 10) -> list[BatchRunRead]:
    runs = session.scalars(select(BatchRun).order_by(BatchRun.id.desc()).limit(limit))
    return [BatchRunRead.model_validate(r, from_attributes=True) for r in runs]


def current_version(session: Session) -> ProfileVersion | None:
    return session.scalars(
        select(ProfileVersion).where(ProfileVersion.status == VERSION_CURRENT)
    ).one_or_none()


def lift_report(session: Session, principal: Principal | None) -> LiftReport:
    """The lift table of the current version (institution-wide aggregates, no personal data).

    Before the first batch run the report has no date and no rows.
    """
    version = current_version(session)
    rows = (
        []
        if version is None
        else session.scalars(select(RfmLift).where(RfmLift.version_id == version.id)).all()
    )
    if version is None or not rows:
        return LiftReport(as_of=None, cutoff=None, window_days=None, rows=[])
    window = rows[0].window_days
    ordered = sorted(rows, key=lambda r: (r.cell != BOOK, -(r.lift or 0.0), r.cell))
    return LiftReport(
        as_of=version.as_of, cutoff=version.as_of - timedelta(days=window), window_days=window,
        rows=[LiftRow.model_validate(r, from_attributes=True) for r in ordered],
    )  # fmt: skip


def segment_dashboard(
    session: Session, principal: Principal, *, now: datetime, limit: int = 20
) -> SegmentDashboard:
    """Tiers, RFM cells and heat map, signals, drift alerts and attrition for the reader's book.

    The alert lists name clients, so the read is audited (``segment.read``).
    """
    if not principal.reads_client_data:
        raise PermissionDenied("this role reads no client data")
    limit = max(1, min(limit, FLAG_LIMIT_MAX))
    version = current_version(session)
    if version is None:
        return SegmentDashboard(
            as_of=None, clients=0, aum_amount=Decimal(0), tiers=[], rfm_cells=[], heat_map=[], signals=[],
            drift_alerts=[], expired_questionnaires=0, attrition=[],
        )  # fmt: skip
    scope = readable_parties(principal)
    book = (
        select(ClientProfile)
        .join(Party, Party.id == ClientProfile.party_id)
        .where(ClientProfile.version_id == version.id, scope)
        .subquery()
    )
    tier_rows = session.execute(
        select(book.c.tier, func.count(), func.coalesce(func.sum(book.c.aum_amount), 0)).group_by(book.c.tier)
    ).all()
    total_clients = sum(n for _, n, _ in tier_rows)
    total_aum = sum((Decimal(a) for _, _, a in tier_rows), Decimal(0))
    by_tier = {t: (n, Decimal(a)) for t, n, a in tier_rows}
    tiers = [
        TierRow(
            tier=t,
            clients=by_tier.get(t, (0, 0))[0],
            aum_amount=by_tier.get(t, (0, Decimal(0)))[1],
            aum_share=float(by_tier.get(t, (0, Decimal(0)))[1] / total_aum) if total_aum else 0.0,
        )  # fmt: skip
        for t in TIERS
    ]
    cells = session.execute(
        select(book.c.rfm_cell, func.count())
        .group_by(book.c.rfm_cell)
        .order_by(func.count().desc(), book.c.rfm_cell)
    ).all()
    heat = session.execute(
        select(book.c.r_score, book.c.f_score, func.count())
        .where(book.c.r_score.is_not(None), book.c.f_score.is_not(None))
        .group_by(book.c.r_score, book.c.f_score)
        .order_by(book.c.r_score, book.c.f_score)
    ).all()
    signal_rows = session.execute(
        select(ClientSignal.kind, func.count(func.distinct(ClientSignal.party_id)))
        .join(Party, Party.id == ClientSignal.party_id)
        .where(ClientSignal.version_id == version.id, scope)
        .group_by(ClientSignal.kind)
        .order_by(ClientSignal.kind)
    ).all()
    drift = session.execute(
        select(
            Party.party_no,
            Party.name,
            book.c.tier,
            book.c.stated_risk,
            book.c.behavioural_risk,
            book.c.aum_amount,
        )
        .join(Party, Party.id == book.c.party_id)
        .where(book.c.risk_drift.is_(True))
        .order_by(book.c.aum_amount.desc(), Party.party_no)
        .limit(limit)
    ).all()
    expired = session.scalar(
        select(func.count()).select_from(book).where(book.c.questionnaire_expired.is_(True))
    )
    churn = session.execute(
        select(Party.party_no, Party.name, book.c.tier, book.c.attrition_score, book.c.attrition_reasons)
        .join(Party, Party.id == book.c.party_id)
        .where(book.c.attrition_score.is_not(None))
        .order_by(book.c.attrition_score.desc(), Party.party_no)
        .limit(limit)
    ).all()
    audit.append(
        session, principal, "segment.read", at=now,
        detail=f"version {version.id}: {len(drift)} drift alerts, {len(churn)} attrition flags",
    )  # fmt: skip
    return SegmentDashboard(
        as_of=version.as_of, clients=total_clients, aum_amount=total_aum, tiers=tiers,
        rfm_cells=[SignalCount(kind=c, clients=n) for c, n in cells],
        heat_map=[HeatCell(r_score=r, f_score=f, clients=n) for r, f, n in heat],
        signals=[SignalCount(kind=k, clients=n) for k, n in signal_rows],
        drift_alerts=[
            ClientFlag(party_no=p, name=n, tier=t, detail=f"{s} -> {b}") for p, n, t, s, b, _ in drift
        ],
        expired_questionnaires=expired or 0,
        attrition=[
            ClientFlag(party_no=p, name=n, tier=t, detail=reasons or "", score=score)
            for p, n, t, score, reasons in churn
        ],
    )  # fmt: skip
