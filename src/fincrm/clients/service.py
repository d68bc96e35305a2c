"""Use cases over the client book that need no RM scope yet: the institution summary.

Book-scoped reads (an RM sees only their book) arrive with the workbench; this summary is for the
operator who has just loaded or generated an institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from fincrm.access.models import Branch, User
from fincrm.clients.domain import AccountRole, ConsentAction, PartyKind, consent_state_at, top_share
from fincrm.clients.models import (
    Account,
    AccountParty,
    ConsentEvent,
    Holding,
    Household,
    Interaction,
    LifeEvent,
    MemoryPoint,
    Party,
    PartyRelationship,
    RiskAssessment,
)
from fincrm.clients.schemas import ClientRead, KeyPersonRead
from fincrm.core.crypto import FieldCipher
from fincrm.core.pii import mask_email, mask_national_id, mask_phone
from fincrm.errors import NotFound


@dataclass(frozen=True, slots=True)
class BookSummary:
    """Counts and asset concentration of the whole institution. Amounts in ``currency``."""

    counts: dict[str, int]
    aum_amount: Decimal
    currency: str
    top_2pct_share: float | None  # share of AUM held by the richest 2 % of clients with assets


def summarize_book(session: Session, *, currency: str) -> BookSummary:
    """Count the book's records and measure how concentrated client assets are.

    AUM is the market value of current holdings in ``currency``, attributed to each account's
    owner. Holdings in other currencies are left out of the total (no FX conversion yet).
    """

    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    individuals = (
        session.scalar(select(func.count()).select_from(Party).where(Party.kind == PartyKind.INDIVIDUAL)) or 0
    )
    corporates = (
        session.scalar(select(func.count()).select_from(Party).where(Party.kind == PartyKind.CORPORATE)) or 0
    )
    counts = {
        "branches": count(Branch),
        "staff users": count(User),
        "individual clients": individuals,
        "corporate clients": corporates,
        "households": count(Household),
        "relationships": count(PartyRelationship),
        "accounts": count(Account),
        "holdings": count(Holding),
        "risk assessments": count(RiskAssessment),
        "interactions": count(Interaction),
        "memory points": count(MemoryPoint),
        "life events": count(LifeEvent),
        "consent events": count(ConsentEvent),
    }
    per_client = (
        select(func.sum(Holding.market_value_amount).label("aum"))
        .join(
            AccountParty,
            (AccountParty.account_id == Holding.account_id) & (AccountParty.role == AccountRole.OWNER),
        )
        .where(Holding.currency == currency)
        .group_by(AccountParty.party_id)
    )
    values = [Decimal(v) for v in session.scalars(per_client) if v is not None]
    total = sum(values, Decimal("0.00"))
    return BookSummary(counts, total, currency, top_share(values, 0.02))


def get_client(session: Session, *, party_no: str, cipher: FieldCipher) -> ClientRead:
    """One client's profile with personal data masked (ID, phone, e-mail).

    Raises
    ------
    NotFound
        No client has this client number.
    """
    party = session.scalars(select(Party).where(Party.party_no == party_no)).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r}")
    rm = session.get(User, party.primary_rm_id) if party.primary_rm_id else None
    household = session.get(Household, party.household_id) if party.household_id else None
    other = aliased(Party)
    relations = [
        KeyPersonRead(party_no=p_no, name=name, kind=str(kind), title=title)
        for p_no, name, kind, title in session.execute(
            select(other.party_no, other.name, PartyRelationship.kind, PartyRelationship.title)
            .join(other, other.id == PartyRelationship.to_party_id)
            .where(PartyRelationship.from_party_id == party.id)
            .order_by(PartyRelationship.kind, other.party_no)
        )
    ]
    national_id = cipher.decrypt(party.national_id_cipher) if party.national_id_cipher else None
    return ClientRead(
        party_no=party.party_no, kind=str(party.kind), name=party.name, status=str(party.status),
        gender=party.gender and str(party.gender), birth_on=party.birth_on, birthday_lunar=party.birthday_lunar,
        national_id=national_id and mask_national_id(national_id),
        phone=party.phone and mask_phone(party.phone), email=party.email and mask_email(party.email),
        province=party.province, city=party.city, occupation=party.occupation, employer=party.employer,
        industry_code=party.industry_code, income_band=party.income_band and str(party.income_band),
        uscc=party.uscc, revenue_band=party.revenue_band and str(party.revenue_band), headcount=party.headcount,
        investor_class=str(party.investor_class), primary_rm=rm.display_name if rm else None,
        household_no=household.household_no if household else None, relations=relations,
    )  # fmt: skip


def consents_at(session: Session, *, party_no: str, at: datetime) -> dict[tuple[str, str], bool]:
    """Which consents of a client were in force at the instant ``at`` (UTC-aware).

    Returns a mapping (purpose, channel) -> in force, for every pair that has any event; the
    latest grant or withdrawal at or before ``at`` decides (see ``consent_state_at``).
    """
    party_id = session.scalar(select(Party.id).where(Party.party_no == party_no))
    if party_id is None:
        raise NotFound(f"no client with client number {party_no!r}")
    events: dict[tuple[str, str], list[tuple[datetime, ConsentAction]]] = {}
    rows = session.execute(
        select(ConsentEvent.purpose, ConsentEvent.channel, ConsentEvent.effective_at, ConsentEvent.action)
        .where(ConsentEvent.party_id == party_id)
        .order_by(ConsentEvent.effective_at, ConsentEvent.id)
    )
    for purpose, channel, when, action in rows:
        events.setdefault((str(purpose), str(channel)), []).append((when, action))
    return {key: consent_state_at(evs, at) for key, evs in sorted(events.items())}
