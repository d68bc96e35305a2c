"""Use cases over the client book that need no RM scope yet: the institution summary.

Book-scoped reads (an RM sees only their book) arrive with the workbench; this summary is for the
operator who has just loaded or generated an institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access.models import Branch, User
from fincrm.clients.domain import AccountRole, PartyKind, top_share
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

    individuals = session.scalar(
        select(func.count()).select_from(Party).where(Party.kind == PartyKind.INDIVIDUAL)
    ) or 0
    corporates = session.scalar(
        select(func.count()).select_from(Party).where(Party.kind == PartyKind.CORPORATE)
    ) or 0
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
        .join(AccountParty, (AccountParty.account_id == Holding.account_id) & (AccountParty.role == AccountRole.OWNER))
        .where(Holding.currency == currency)
        .group_by(AccountParty.party_id)
    )
    values = [Decimal(v) for v in session.scalars(per_client) if v is not None]
    total = sum(values, Decimal("0.00"))
    return BookSummary(counts, total, currency, top_share(values, 0.02))
