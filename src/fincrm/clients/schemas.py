"""Shapes of client data handed to the edges. Personal data is masked unless a caller unmasks it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

MEMORY_TEXT_MAX = 1000  # characters of one memory point


class KeyPersonRead(BaseModel):
    party_no: str
    name: str
    kind: str  # relationship kind (chairman, cfo, spouse, ...)
    title: str | None


class ClientRead(BaseModel):
    party_no: str
    kind: str
    name: str
    status: str
    gender: str | None
    birth_on: date | None
    birthday_lunar: bool
    national_id: str | None  # masked: 110***********1234
    phone: str | None  # masked: 138****5678
    email: str | None  # masked
    province: str | None
    city: str | None
    occupation: str | None
    employer: str | None
    industry_code: str | None
    income_band: str | None
    uscc: str | None
    revenue_band: str | None
    headcount: int | None
    investor_class: str
    primary_rm: str | None
    household_no: str | None
    relations: list[KeyPersonRead]


class ClientHit(BaseModel):
    """One search result: no ID number, phone masked."""

    party_no: str
    name: str
    kind: str
    city: str | None
    phone: str | None  # masked: 138****5678


class BookRow(BaseModel):
    """One client of a book. ``aum_amount`` is in ``currency``; ``last_contact_at`` is UTC."""

    party_no: str
    name: str
    kind: str
    city: str | None
    risk_level: str | None
    risk_valid_until: date | None
    risk_expired: bool | None
    last_contact_at: datetime | None
    aum_amount: Decimal
    currency: str
    tier: str | None = None  # from the nightly batch's current version (None before it profiles the client)


class BookPage(BaseModel):
    rows: list[BookRow]
    total: int
    page: int
    page_size: int
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class RelationRead(BaseModel):
    """One edge of the client's graph, read from the client's side.

    ``kind`` is what the other party is to this client (spouse, chairman, ...); ``inverse`` is True
    when the stored row points the other way, so ``kind`` then says what this client is to them.
    """

    party_no: str
    name: str
    kind: str
    title: str | None
    inverse: bool
    household: bool  # a member of the same household
    readable: bool  # in the reader's scope, so the page may link to it


class RelationshipsRead(BaseModel):
    party_no: str
    name: str
    kind: str
    household_no: str | None
    household_role: str | None
    relations: list[RelationRead]


class HoldingRead(BaseModel):
    account_no: str
    account_role: str
    product_code: str
    product_name: str
    product_kind: str
    risk_rating: str
    units: Decimal
    cost_amount: Decimal
    market_value_amount: Decimal
    currency: str
    as_of_on: date


class AccountRead(BaseModel):
    account_no: str
    kind: str
    role: str
    status: str
    currency: str
    opened_on: date


class AllocationSlice(BaseModel):
    """Look-through share of one asset class; ``share`` is a fraction of 1."""

    asset_class: str
    amount: Decimal
    share: float


class HoldingsRead(BaseModel):
    """Positions of every account the client owns or may operate; totals count owned accounts only."""

    accounts: list[AccountRead]
    holdings: list[HoldingRead]
    total_amount: Decimal  # market value of owned accounts' holdings in ``currency``
    currency: str
    allocation: list[AllocationSlice]


class InteractionRead(BaseModel):
    id: int
    occurred_at: datetime
    channel: str
    direction: str
    purpose: str
    summary: str
    outcome: str | None
    by: str | None


class InteractionPage(BaseModel):
    rows: list[InteractionRead]
    total: int
    page: int
    page_size: int


class MemoryPointRead(BaseModel):
    id: int
    category: str
    text: str
    source: str
    recorded_by: str | None
    recorded_at: datetime


class MemoryPointCreate(BaseModel):
    category: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=MEMORY_TEXT_MAX)


class MemoryPointUpdate(MemoryPointCreate):
    pass


class ConsentStateRead(BaseModel):
    purpose: str
    channel: str
    in_force: bool


class ConsentEventRead(BaseModel):
    purpose: str
    channel: str
    action: str
    effective_at: datetime
    source: str | None


class ConsentsRead(BaseModel):
    current: list[ConsentStateRead]
    history: list[ConsentEventRead]  # newest first


class RiskAssessmentRead(BaseModel):
    level: str
    score: int | None
    taken_on: date
    valid_until: date
    expired: bool


class RiskRead(BaseModel):
    """The latest questionnaire decides; an expired one blocks new advice."""

    latest: RiskAssessmentRead | None
    history: list[RiskAssessmentRead]  # newest first


class RevealRequest(BaseModel):
    field: Literal["national_id", "phone"]


class RevealRead(BaseModel):
    party_no: str
    field: str
    value: str | None


class Client360(BaseModel):
    profile: ClientRead
    relationships: RelationshipsRead
    holdings: HoldingsRead
    interactions: InteractionPage
    memory_points: list[MemoryPointRead]
    consents: ConsentsRead
    risk: RiskRead


class SignalRead(BaseModel):
    kind: str
    detected_on: date
    confidence: float  # 0..1
    summary: str
    evidence: list[dict]  # the lake rows behind it: {"dataset": ..., "key": ...}


class IntelligenceRead(BaseModel):
    """The batch's profile of one client (current version); empty before the first run."""

    as_of: date | None
    tier: str | None = None
    aum_amount: Decimal | None = None
    rfm_cell: str | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    liquid_share: float | None = None  # fraction of assets in cash within T+1
    days_to_cash: float | None = None  # asset-weighted days
    holding_days: float | None = None  # asset-weighted average holding time, days
    return_12m: float | None = None  # fraction
    vol_12m: float | None = None  # annualised fraction
    rar_12m: float | None = None
    stated_risk: str | None = None
    behavioural_risk: str | None = None
    effective_risk: str | None = None
    risk_drift: bool = False
    questionnaire_valid_until: date | None = None
    questionnaire_expired: bool = False
    behaviour_evidence: str | None = None
    attrition_score: float | None = None
    attrition_reasons: list[str] = Field(default_factory=list)
    signals: list[SignalRead] = Field(default_factory=list)
