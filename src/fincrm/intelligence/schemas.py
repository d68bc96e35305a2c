"""Shapes of batch results handed to the edges (API, pages, CLI)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


class BatchRunRead(BaseModel):
    id: int
    as_of: date
    engine: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    step: str
    version_id: int | None
    rows: int
    error: str | None


class LiftRow(BaseModel):
    cell: str  # RFM cell key, "no_assets", or "all" for the whole book
    clients: int
    repurchasers: int
    rate: float  # fraction of the cell's clients who bought again within the window
    rate_low: float  # 95 % Wilson interval
    rate_high: float
    lift: float | None  # rate / whole-book rate
    lift_low: float | None
    lift_high: float | None


class LiftReport(BaseModel):
    as_of: date | None  # None before the first batch run
    cutoff: date | None  # RFM cells as of this date; purchases counted in (cutoff, as_of]
    window_days: int | None
    rows: list[LiftRow]


class TierRow(BaseModel):
    tier: str  # hnw | mass | long_tail
    clients: int
    aum_amount: Decimal
    aum_share: float  # fraction of the book's assets


class HeatCell(BaseModel):
    r_score: int
    f_score: int
    clients: int


class SignalCount(BaseModel):
    kind: str
    clients: int


class ClientFlag(BaseModel):
    party_no: str
    name: str
    tier: str
    detail: str  # e.g. "C4 stated, C2 behavioural" or the attrition reasons
    score: float | None = None


class SegmentDashboard(BaseModel):
    as_of: date | None  # None: no batch has run yet
    clients: int
    aum_amount: Decimal
    tiers: list[TierRow]
    rfm_cells: list[SignalCount]  # clients per named cell
    heat_map: list[HeatCell]  # clients per (R score, F score)
    signals: list[SignalCount]
    drift_alerts: list[ClientFlag]
    expired_questionnaires: int
    attrition: list[ClientFlag]  # highest attrition scores first


class BenefitRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str


class BenefitCatalogue(BaseModel):
    """Benefits per tier (hnw, mass, long_tail), from FINCRM_BENEFITS_PATH or the built-in catalogue."""

    tiers: dict[str, list[BenefitRead]]
