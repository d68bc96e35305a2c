"""The client 360's intelligence panel: the batch's current profile of one client, audited.

The batch (``fincrm.intelligence``) writes these rows; the clients capability owns and reads them,
so any page can show a profile without depending on the batch code.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ClientSignal, ProfileVersion
from fincrm.clients.schemas import IntelligenceRead, SignalRead
from fincrm.clients.service import _audit_read, _readable_party

PROFILE_COLUMNS = (
    "tier", "aum_amount", "rfm_cell", "r_score", "f_score", "m_score", "liquid_share", "days_to_cash",
    "holding_days", "return_12m", "vol_12m", "rar_12m", "stated_risk", "behavioural_risk", "effective_risk",
    "risk_drift", "questionnaire_valid_until", "questionnaire_expired", "behaviour_evidence", "attrition_score",
)  # fmt: skip


def read_intelligence(
    session: Session, principal: Principal, party_no: str, *, now: datetime, audited: bool = True
) -> IntelligenceRead:
    """Tier, RFM cell, stated vs effective risk, attrition with reasons and signals with evidence.

    ``audited=False`` only where the caller has already recorded the same view (the 360 page).
    """
    party = _readable_party(session, principal, party_no)
    if audited:
        _audit_read(session, principal, party, ["profile.intelligence"], now)
    version = session.scalars(
        select(ProfileVersion).where(ProfileVersion.status == VERSION_CURRENT)
    ).one_or_none()
    if version is None:
        return IntelligenceRead(as_of=None)
    row = session.get(ClientProfile, (version.id, party.id))
    if row is None:  # a client added after the last run
        return IntelligenceRead(as_of=version.as_of)
    found = session.scalars(
        select(ClientSignal)
        .where(ClientSignal.version_id == version.id, ClientSignal.party_id == party.id)
        .order_by(ClientSignal.detected_on.desc(), ClientSignal.kind)
    ).all()
    return IntelligenceRead(
        as_of=version.as_of,
        **{name: getattr(row, name) for name in PROFILE_COLUMNS},
        attrition_reasons=[r for r in (row.attrition_reasons or "").split(",") if r],
        signals=[
            SignalRead(
                kind=s.kind,
                detected_on=s.detected_on,
                confidence=s.confidence,
                summary=s.summary,
                evidence=json.loads(s.evidence or "[]"),
            )  # fmt: skip
            for s in found
        ],
    )
