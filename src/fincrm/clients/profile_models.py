"""The client profile the nightly batch writes: tier, financial RFM, risk, attrition, signals, lift.

Each batch run writes a complete new *version* (``profile_versions``) row by row while the pages
keep reading the current one; the last step of a run makes the new version current in one
transaction. A killed run leaves a version in status ``building`` that no page reads and the next
run deletes. Rows are keyed by (version, client), so a version is never half-visible.

Ratios are fractions (0.25 = 25 %); durations in days; returns and volatility annualised
fractions over the trailing 12 months; money in the reporting currency.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import AMOUNT, Base, BigId, UTCDateTime, id_pk

VERSION_BUILDING, VERSION_CURRENT, VERSION_RETIRED = "building", "current", "retired"


class ProfileVersion(Base):
    __tablename__ = "profile_versions"

    id: Mapped[id_pk]
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)  # building | current | retired
    engine: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    swapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON: validation figures of this run


class ClientProfile(Base):
    __tablename__ = "client_profiles"
    __table_args__ = (
        Index("ix_client_profiles_version_tier", "version_id", "tier"),
        Index("ix_client_profiles_version_cell", "version_id", "rfm_cell"),
        Index("ix_client_profiles_party_id", "party_id"),
    )

    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("profile_versions.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), primary_key=True)
    aum_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    tier: Mapped[str] = mapped_column(String(16))  # hnw | mass | long_tail
    # financial RFM
    liquid_share: Mapped[float | None] = mapped_column(Float)  # share of assets in cash within T+1
    days_to_cash: Mapped[float | None] = mapped_column(Float)  # asset-weighted, incl. remaining lock-up
    holding_days: Mapped[float | None] = mapped_column(Float)  # asset-weighted average holding time
    return_12m: Mapped[float | None] = mapped_column(Float)
    vol_12m: Mapped[float | None] = mapped_column(Float)
    rar_12m: Mapped[float | None] = mapped_column(Float)  # return over volatility
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_cell: Mapped[str] = mapped_column(String(32))
    # dynamic risk
    stated_risk: Mapped[str | None] = mapped_column(String(2))  # C1..C5 from the latest questionnaire
    questionnaire_valid_until: Mapped[date | None] = mapped_column(Date)
    questionnaire_expired: Mapped[bool] = mapped_column(Boolean)
    behavioural_risk: Mapped[str | None] = mapped_column(String(2))
    effective_risk: Mapped[str | None] = mapped_column(String(2))  # the lower of stated and behavioural
    risk_drift: Mapped[bool] = mapped_column(Boolean)
    behaviour_evidence: Mapped[str | None] = mapped_column(Text)
    # attrition
    attrition_score: Mapped[float | None] = mapped_column(Float)  # 0..1
    attrition_reasons: Mapped[str | None] = mapped_column(String(200))  # comma-separated reason codes


class ClientSignal(Base):
    """A life-stage or need signal with the lake rows that support it."""

    __tablename__ = "client_signals"
    __table_args__ = (
        Index("ix_client_signals_version_party", "version_id", "party_id"),
        Index("ix_client_signals_version_kind", "version_id", "kind"),
    )

    id: Mapped[id_pk]
    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("profile_versions.id"))
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"))
    kind: Mapped[str] = mapped_column(String(32))
    detected_on: Mapped[date] = mapped_column(Date)
    confidence: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of {"dataset": ..., "key": ...}


class RfmLift(Base):
    """Repurchase rate by RFM cell against the whole book (row ``cell='all'``), with 95 % intervals."""

    __tablename__ = "rfm_lift"

    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("profile_versions.id"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_days: Mapped[int] = mapped_column()
    clients: Mapped[int] = mapped_column()
    repurchasers: Mapped[int] = mapped_column()
    rate: Mapped[float] = mapped_column(Float)
    rate_low: Mapped[float] = mapped_column(Float)
    rate_high: Mapped[float] = mapped_column(Float)
    lift: Mapped[float | None] = mapped_column(Float)
    lift_low: Mapped[float | None] = mapped_column(Float)
    lift_high: Mapped[float | None] = mapped_column(Float)
