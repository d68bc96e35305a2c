"""Tables of the client book.

Individuals and corporates share the ``parties`` table (one client number space, one book);
columns that apply to one kind only are NULL for the other. The national ID number is stored
encrypted (``national_id_cipher``, AES-SIV) with its last four characters kept for search.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.clients.domain import (
    AccountKind,
    AccountRole,
    AccountStatus,
    CardKind,
    Channel,
    ConsentAction,
    ConsentChannel,
    ConsentPurpose,
    Direction,
    Gender,
    HouseholdRole,
    IncomeBand,
    InvestorClass,
    LifeEventKind,
    LifeEventOrigin,
    LoanStatus,
    MemoryCategory,
    MemorySource,
    PartyKind,
    PartyStatus,
    PaymentPurpose,
    RelationshipKind,
    RevenueBand,
    RiskLevel,
)
from fincrm.db.base import AMOUNT, UNITS, Base, BigId, UTCDateTime, enum_column, id_pk


class Household(Base):
    __tablename__ = "households"

    id: Mapped[id_pk]
    household_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Party(Base):
    """A client: an individual or a corporate. ``party_no`` is the client number."""

    __tablename__ = "parties"
    __table_args__ = (
        CheckConstraint(
            "kind = 'individual' OR (gender IS NULL AND birth_on IS NULL AND national_id_cipher IS NULL)",
            name="individual_fields",
        ),
        CheckConstraint("kind = 'corporate' OR uscc IS NULL", name="corporate_fields"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_non_negative"),
        Index("ix_parties_primary_rm_id_name", "primary_rm_id", "name"),
    )

    id: Mapped[id_pk]
    party_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind, "party_kind"))
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_initials: Mapped[str] = mapped_column(String(64), index=True)  # pinyin initials, for search
    status: Mapped[PartyStatus] = mapped_column(enum_column(PartyStatus, "party_status"))
    onboarded_on: Mapped[date | None] = mapped_column(Date)
    branch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("branches.id"), index=True)
    primary_rm_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    household_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("households.id"), index=True)
    household_role: Mapped[HouseholdRole | None] = mapped_column(enum_column(HouseholdRole, "household_role"))
    investor_class: Mapped[InvestorClass] = mapped_column(enum_column(InvestorClass, "investor_class"))
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    industry_code: Mapped[str | None] = mapped_column(String(8))  # GB/T 4754 section letter (+ division)
    # individuals
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender, "gender"))
    birth_on: Mapped[date | None] = mapped_column(Date)
    birthday_lunar: Mapped[bool] = mapped_column(default=False)  # celebrates the lunar-calendar birthday
    national_id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    occupation: Mapped[str | None] = mapped_column(String(100))
    employer: Mapped[str | None] = mapped_column(String(200))
    income_band: Mapped[IncomeBand | None] = mapped_column(enum_column(IncomeBand, "income_band"))
    # corporates
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)  # unified social credit code
    revenue_band: Mapped[RevenueBand | None] = mapped_column(enum_column(RevenueBand, "revenue_band"))
    headcount: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartyRelationship(Base):
    """``to_party`` is the ``kind`` of ``from_party`` (see clients.domain)."""

    __tablename__ = "party_relationships"
    __table_args__ = (
        UniqueConstraint("from_party_id", "to_party_id", "kind"),
        CheckConstraint("from_party_id <> to_party_id", name="not_self"),
    )

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # source system id
    from_party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    to_party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    kind: Mapped[RelationshipKind] = mapped_column(enum_column(RelationshipKind, "relationship_kind"))
    title: Mapped[str | None] = mapped_column(String(100))  # e.g. 董事长, 财务总监
    since_on: Mapped[date | None] = mapped_column(Date)


class Coverage(Base):
    """Secondary coverage: an RM who also serves a client besides the primary RM."""

    __tablename__ = "coverages"
    __table_args__ = (UniqueConstraint("party_id", "user_id"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    since_on: Mapped[date | None] = mapped_column(Date)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[id_pk]
    account_no: Mapped[str] = mapped_column(String(34), unique=True)
    kind: Mapped[AccountKind] = mapped_column(enum_column(AccountKind, "account_kind"))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[AccountStatus] = mapped_column(enum_column(AccountStatus, "account_status"))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    branch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("branches.id"), index=True)
    statement_frequency: Mapped[str | None] = mapped_column(String(20))


class AccountParty(Base):
    """Who may use an account: exactly one owner, any number of authorised users."""

    __tablename__ = "account_parties"
    __table_args__ = (UniqueConstraint("account_id", "party_id"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # source system id
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id"), index=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    role: Mapped[AccountRole] = mapped_column(enum_column(AccountRole, "account_role"))


class Card(Base):
    __tablename__ = "cards"

    id: Mapped[id_pk]
    card_no: Mapped[str] = mapped_column(String(32), unique=True)
    account_party_id: Mapped[int] = mapped_column(BigId, ForeignKey("account_parties.id"), index=True)
    kind: Mapped[CardKind] = mapped_column(enum_column(CardKind, "card_kind"))
    issued_on: Mapped[date] = mapped_column(Date)


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("principal_amount > 0", name="principal_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
    )

    id: Mapped[id_pk]
    loan_no: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    granted_on: Mapped[date] = mapped_column(Date)
    principal_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    installment_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)  # per month
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int] = mapped_column()
    status: Mapped[LoanStatus] = mapped_column(enum_column(LoanStatus, "loan_status"))


class StandingOrder(Base):
    """A recurring payment order from an account (utilities, insurance, leasing, loan)."""

    __tablename__ = "standing_orders"

    id: Mapped[id_pk]
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id"), index=True)
    payee_bank: Mapped[str | None] = mapped_column(String(50))
    payee_account: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[PaymentPurpose | None] = mapped_column(enum_column(PaymentPurpose, "payment_purpose"))


class Holding(Base):
    """Current position of an account in a product, valued as of ``as_of_on``.

    History lives in the lake (``holdings_snapshots``); this row is what the client 360 reads.
    """

    __tablename__ = "holdings"
    __table_args__ = (
        UniqueConstraint("account_id", "product_id"),
        CheckConstraint("units >= 0", name="units_non_negative"),
    )

    id: Mapped[id_pk]
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    units: Mapped[Decimal] = mapped_column(UNITS)
    cost_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    market_value_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(String(3))
    as_of_on: Mapped[date] = mapped_column(Date)
    first_bought_on: Mapped[date | None] = mapped_column(Date)


class RiskAssessment(Base):
    __tablename__ = "risk_assessments"
    __table_args__ = (CheckConstraint("valid_until >= taken_on", name="validity_after_taken"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    score: Mapped[int | None] = mapped_column()
    taken_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_party_id_occurred_at", "party_id", "occurred_at"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    purpose: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))


class MemoryPoint(Base):
    __tablename__ = "memory_points"

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    category: Mapped[MemoryCategory] = mapped_column(enum_column(MemoryCategory, "memory_category"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[MemorySource] = mapped_column(enum_column(MemorySource, "memory_source"))
    recorded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LifeEvent(Base):
    __tablename__ = "life_events"

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    kind: Mapped[LifeEventKind] = mapped_column(enum_column(LifeEventKind, "life_event_kind"))
    occurred_on: Mapped[date] = mapped_column(Date)
    origin: Mapped[LifeEventOrigin] = mapped_column(enum_column(LifeEventOrigin, "life_event_origin"))
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON list of the lake rows that support it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """A grant or withdrawal; the consent in force at any instant is the latest event before it."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_party_purpose", "party_id", "purpose", "effective_at"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "consent_purpose"))
    channel: Mapped[ConsentChannel] = mapped_column(enum_column(ConsentChannel, "consent_channel"))
    action: Mapped[ConsentAction] = mapped_column(enum_column(ConsentAction, "consent_action"))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str | None] = mapped_column(String(50))  # branch form, app, call recording, ...
