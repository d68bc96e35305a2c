"""Use cases over the client book.

``summarize_book`` is for the operator who has just loaded or generated an institution (no scope).
The workbench use cases below it (search, book, client 360 panels, memory points, reveal) take
the principal and filter every query through ``readable_parties`` / ``changeable_parties``; a
client outside the principal's scope is ``NotFound`` (never 403), so its existence does not leak.
Every read of personal data appends a ``client.read`` audit record in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, String, and_, column, func, or_, select, table
from sqlalchemy.orm import Session, aliased

from fincrm.access import audit
from fincrm.access.domain import Principal
from fincrm.access.models import Branch, User
from fincrm.clients.domain import (
    TIERS,
    AccountRole,
    ConsentAction,
    MemoryCategory,
    MemorySource,
    PartyKind,
    RiskLevel,
    consent_state_at,
    top_share,
)
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
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.clients.repository import book_ids, changeable_parties, readable_parties
from fincrm.clients.schemas import (
    MEMORY_TEXT_MAX,
    AccountRead,
    AllocationSlice,
    BookPage,
    BookRow,
    Client360,
    ClientHit,
    ClientRead,
    ConsentEventRead,
    ConsentsRead,
    ConsentStateRead,
    HoldingRead,
    HoldingsRead,
    InteractionPage,
    InteractionRead,
    KeyPersonRead,
    MemoryPointRead,
    RelationRead,
    RelationshipsRead,
    RevealRead,
    RiskAssessmentRead,
    RiskRead,
)
from fincrm.core.crypto import FieldCipher
from fincrm.core.pii import mask_email, mask_national_id, mask_phone
from fincrm.db.base import RATE_PCT
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied


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
    return _client_read(session, party, cipher)


def _client_read(session: Session, party: Party, cipher: FieldCipher) -> ClientRead:
    rm = session.get(User, party.primary_rm_id) if party.primary_rm_id else None
    household = session.get(Household, party.household_id) if party.household_id else None
    other = _OTHER
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


# --- the RM workbench: every read and write below is scoped to the principal's book -------------

SEARCH_LIMIT_MAX = 100  # results of one search
PAGE_SIZE_MAX = 200  # rows of one page of a book or timeline
BOOK_SORTS = ("name", "-name", "last_contact", "-last_contact", "aum", "-aum")
REVEALABLE = ("national_id", "phone")
PROFILE_FIELDS = (
    "name", "gender", "birth_on", "national_id", "phone", "email", "address", "city", "occupation",
    "employer", "income_band",
)  # fmt: skip
# The product shelf as seen from a holding. clients sits left of products in the layer order
# (pyproject import-linter), so it may not import products.models; holdings name products by
# foreign key only, and these lightweight table clauses declare just the columns the 360 reads.
_PRODUCTS = table(
    "products", column("id"), column("code", String), column("name", String), column("kind", String),
    column("risk_rating", String),
)  # fmt: skip
_EXPOSURES = table(
    "product_exposures", column("product_id"), column("asset_class", String), column("weight_pct", RATE_PCT)
)
# One alias for "the other party" of a relationship, built once: building aliased() per request
# costs about a tenth of a 360 request's CPU, and a fresh alias defeats the statement cache.
_OTHER = aliased(Party, name="other_party")
_PREFIX_END = "\uffff"  # upper bound of a prefix range: col >= q AND col < q + U+FFFF


def _require_reader(principal: Principal) -> None:
    if not principal.reads_client_data:
        raise PermissionDenied("this role reads no client data")


def _readable_party(session: Session, principal: Principal, party_no: str) -> Party:
    """The client if ``principal`` may read it; otherwise NotFound, so existence does not leak."""
    _require_reader(principal)
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, readable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return party


def _changeable_party(session: Session, principal: Principal, party_no: str) -> Party:
    """The client if ``principal`` may change its records; readers without write rights get 403."""
    party = _readable_party(session, principal, party_no)
    allowed = session.scalar(select(Party.id).where(Party.id == party.id, changeable_parties(principal)))
    if allowed is None:
        raise PermissionDenied("your role may read this client but not change its records")
    return party


def _prefix(column, q: str) -> ColumnElement[bool]:
    return and_(column >= q, column < q + _PREFIX_END)


def search_clients(
    session: Session, principal: Principal, query: str, limit: int = 20, *, now: datetime
) -> list[ClientHit]:
    """Find clients in the principal's book by number, pinyin initials, name or last 4 digits.

    ``query`` matches a client number prefix, a prefix of the pinyin initials (ASCII letters, e.g.
    ``zw`` for 张伟), a Chinese name prefix, or the last 4 characters of the phone or national ID.
    Every branch is an index range, never ``LIKE``, so it stays fast on a million clients. One
    ``client.search`` audit record is written.

    Returns at most ``limit`` hits (1 to ``SEARCH_LIMIT_MAX``), ordered by name, phone masked.
    """
    _require_reader(principal)
    q = query.strip()
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise InputError(
            "limit out of range", errors=[FieldError(("limit",), f"between 1 and {SEARCH_LIMIT_MAX}", limit)]
        )
    if not q:
        return []
    if len(q) > 64:
        raise InputError("query too long", errors=[FieldError(("q",), "at most 64 characters", q[:64])])
    branches = [_prefix(Party.party_no, q), _prefix(Party.party_no, q.upper())]
    if q.isascii() and q.isalpha():
        branches.append(_prefix(Party.name_initials, q.lower()))
    if not q.isascii():
        branches.append(_prefix(Party.name, q))
    if len(q) == 4 and q[:3].isdigit() and (q[3].isdigit() or q[3] in "xX"):
        branches += [Party.phone_last4 == q, Party.national_id_last4 == q.upper()]
    columns = (Party.party_no, Party.name, Party.kind, Party.city, Party.phone)
    book = book_ids(principal)
    if book is not None:  # driven from the reader's book (see repository.book_ids)
        in_book = book.cte("book")
        query = (
            select(*columns).select_from(in_book).join(Party, Party.id == in_book.c.id).where(or_(*branches))
        )
    else:
        query = select(*columns).where(or_(*branches), readable_parties(principal))
    rows = session.execute(query.order_by(Party.name, Party.party_no).limit(limit)).all()
    audit.append(session, principal, "client.search", at=now, detail=f"{len(rows)} results")
    return [
        ClientHit(party_no=no, name=name, kind=str(kind), city=city, phone=phone and mask_phone(phone))
        for no, name, kind, city, phone in rows
    ]


def list_book(
    session: Session,
    principal: Principal,
    *,
    now: datetime,
    today: date,
    risk_level: str | None = None,
    city: str | None = None,
    last_contact_before: date | None = None,
    last_contact_after: date | None = None,
    not_contacted_days: int | None = None,
    tier: str | None = None,
    sort: str = "name",
    page: int = 1,
    page_size: int = 50,
    currency: str = "CNY",
) -> BookPage:
    """One page of the principal's book (a team lead: the team's books) with filters and sorting.

    Each row carries the latest risk assessment (expired when ``valid_until`` is before ``today``),
    the last contact (latest interaction, UTC) and AUM: the market value of holdings in ``currency``
    of the accounts the client owns. The aggregates are GROUP BY subqueries restricted to the book,
    so a page costs a fixed number of queries whatever the book's size.

    ``last_contact_before`` / ``_after`` are dates in UTC (after: on or after; before: strictly
    before). ``not_contacted_days`` keeps clients with no contact in the last N days (or never).
    ``tier`` (hnw, mass, long_tail) filters on the tier of the batch's current profile version; a
    client the batch has not profiled yet has no tier (shown empty, never matched by the filter).
    ``sort`` is one of ``BOOK_SORTS`` (a leading ``-`` sorts descending).
    """
    _require_reader(principal)
    problems: list[FieldError] = []
    if tier and tier not in TIERS:
        problems.append(FieldError(("tier",), f"must be one of {', '.join(TIERS)}", tier))
    if risk_level and risk_level not in {r.value for r in RiskLevel}:
        problems.append(FieldError(("risk_level",), "must be one of C1, C2, C3, C4, C5", risk_level))
    if sort not in BOOK_SORTS:
        problems.append(FieldError(("sort",), f"must be one of {', '.join(BOOK_SORTS)}", sort))
    if page < 1:
        problems.append(FieldError(("page",), "at least 1", page))
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        problems.append(FieldError(("page_size",), f"between 1 and {PAGE_SIZE_MAX}", page_size))
    if not_contacted_days is not None and not_contacted_days < 0:
        problems.append(FieldError(("not_contacted_days",), "0 or more", not_contacted_days))
    if problems:
        raise InputError("the book cannot be listed with these filters", errors=problems)

    book_ids = select(Party.id).where(readable_parties(principal))
    last = (
        select(Interaction.party_id.label("party_id"), func.max(Interaction.occurred_at).label("last_at"))
        .where(Interaction.party_id.in_(book_ids))
        .group_by(Interaction.party_id)
        .subquery("last_contact")
    )
    aum = (
        select(AccountParty.party_id.label("party_id"), func.sum(Holding.market_value_amount).label("aum"))
        .join(Holding, Holding.account_id == AccountParty.account_id)
        .where(
            AccountParty.role == AccountRole.OWNER,
            AccountParty.party_id.in_(book_ids),
            Holding.currency == currency,
        )
        .group_by(AccountParty.party_id)
        .subquery("aum")
    )
    ranked = (
        select(
            RiskAssessment.party_id.label("party_id"),
            RiskAssessment.level.label("level"),
            RiskAssessment.valid_until.label("valid_until"),
            func.row_number()
            .over(
                partition_by=RiskAssessment.party_id,
                order_by=(RiskAssessment.taken_on.desc(), RiskAssessment.id.desc()),
            )
            .label("rn"),
        )
        .where(RiskAssessment.party_id.in_(book_ids))
        .subquery("ranked")
    )
    risk = (
        select(ranked.c.party_id, ranked.c.level, ranked.c.valid_until)
        .where(ranked.c.rn == 1)
        .subquery("risk")
    )

    tiers = (
        select(ClientProfile.party_id.label("party_id"), ClientProfile.tier.label("tier"))
        .join(ProfileVersion, ProfileVersion.id == ClientProfile.version_id)
        .where(ProfileVersion.status == VERSION_CURRENT, ClientProfile.party_id.in_(book_ids))
        .subquery("tiers")
    )

    filters: list[ColumnElement[bool]] = [readable_parties(principal)]
    if tier:
        filters.append(tiers.c.tier == tier)
    if risk_level:
        filters.append(risk.c.level == risk_level)
    if city:
        filters.append(Party.city == city)
    if last_contact_after is not None:
        filters.append(last.c.last_at >= _utc_midnight(last_contact_after))
    if last_contact_before is not None:
        filters.append(last.c.last_at < _utc_midnight(last_contact_before))
    if not_contacted_days is not None:
        filters.append(
            or_(last.c.last_at.is_(None), last.c.last_at < now - timedelta(days=not_contacted_days))
        )
    base = (
        select(
            Party.party_no,
            Party.name,
            Party.kind,
            Party.city,
            risk.c.level,
            risk.c.valid_until,
            last.c.last_at,
            func.coalesce(aum.c.aum, 0).label("aum"),
            tiers.c.tier,
        )  # fmt: skip
        .outerjoin(last, last.c.party_id == Party.id)
        .outerjoin(tiers, tiers.c.party_id == Party.id)
        .outerjoin(aum, aum.c.party_id == Party.id)
        .outerjoin(risk, risk.c.party_id == Party.id)
        .where(*filters)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    key = sort.lstrip("-")
    column = {"name": Party.name, "last_contact": last.c.last_at, "aum": func.coalesce(aum.c.aum, 0)}[key]
    order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_first()
    rows = session.execute(
        base.order_by(order, Party.party_no).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return BookPage(
        rows=[
            BookRow(
                party_no=no,
                name=name,
                kind=str(kind),
                city=c,
                risk_level=level and str(level),
                risk_valid_until=valid,
                risk_expired=None if valid is None else valid < today,
                last_contact_at=last_at,
                aum_amount=Decimal(amount).quantize(Decimal("0.01")),
                currency=currency,
                tier=tier_of,
            )  # fmt: skip
            for no, name, kind, c, level, valid, last_at, amount, tier_of in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
        sort=sort,
    )


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _audit_read(
    session: Session, principal: Principal, party: Party, fields: list[str], now: datetime
) -> None:
    audit.append(session, principal, "client.read", at=now, party_id=party.id, fields=fields)


def _relationships(session: Session, principal: Principal, party: Party) -> RelationshipsRead:
    other = _OTHER
    # (id, party_no, name, kind, title, inverse, same household) of each person shown, then one
    # query for which of those few the reader may open: checking the scope over the related ids
    # only (not an OR of subqueries over every client) keeps this a handful of index lookups.
    found: list[tuple[int, str, str, str, str | None, bool, bool]] = []
    seen: set[int] = set()
    for inverse, mine, theirs in (
        (False, PartyRelationship.from_party_id, PartyRelationship.to_party_id),
        (True, PartyRelationship.to_party_id, PartyRelationship.from_party_id),
    ):
        rows = session.execute(
            select(
                other.id,
                other.party_no,
                other.name,
                other.household_id,
                PartyRelationship.kind,
                PartyRelationship.title,
            )
            .join(other, other.id == theirs)
            .where(mine == party.id)
            .order_by(PartyRelationship.kind, other.party_no)
        )
        for oid, no, name, household_id, kind, title in rows:
            if inverse and oid in seen:  # family ties are stored both ways; the direct row already says it
                continue
            seen.add(oid)
            same_household = party.household_id is not None and household_id == party.household_id
            found.append((oid, no, name, str(kind), title, inverse, same_household))
    if party.household_id is not None:
        members = session.execute(
            select(Party.id, Party.party_no, Party.name, Party.household_role)
            .where(Party.household_id == party.household_id, Party.id != party.id)
            .order_by(Party.party_no)
        )
        for oid, no, name, role in members:
            if oid not in seen:
                found.append((oid, no, name, str(role) if role else "other", None, False, True))
    ids = [row[0] for row in found]
    readable_ids = (
        set(session.scalars(select(Party.id).where(Party.id.in_(ids), readable_parties(principal))))
        if ids
        else set()
    )
    relations = [
        RelationRead(
            party_no=no,
            name=name,
            kind=kind,
            title=title,
            inverse=inverse,
            household=household,
            readable=oid in readable_ids,
        )  # fmt: skip
        for oid, no, name, kind, title, inverse, household in found
    ]
    household = session.get(Household, party.household_id) if party.household_id else None
    return RelationshipsRead(
        party_no=party.party_no, name=party.name, kind=str(party.kind),
        household_no=household.household_no if household else None,
        household_role=party.household_role and str(party.household_role), relations=relations,
    )  # fmt: skip


def _holdings(session: Session, party: Party, currency: str) -> HoldingsRead:
    accounts = [
        AccountRead(
            account_no=a.account_no,
            kind=str(a.kind),
            role=str(role),
            status=str(a.status),
            currency=a.currency,
            opened_on=a.opened_on,
        )  # fmt: skip
        for a, role in session.execute(
            select(Account, AccountParty.role)
            .join(AccountParty, AccountParty.account_id == Account.id)
            .where(AccountParty.party_id == party.id)
            .order_by(Account.account_no)
        )
    ]
    rows = session.execute(
        select(
            Holding,
            _PRODUCTS.c.code,
            _PRODUCTS.c.name,
            _PRODUCTS.c.kind,
            _PRODUCTS.c.risk_rating,
            Account.account_no,
            AccountParty.role,
        )
        .join(_PRODUCTS, _PRODUCTS.c.id == Holding.product_id)
        .join(Account, Account.id == Holding.account_id)
        .join(AccountParty, AccountParty.account_id == Holding.account_id)
        .where(AccountParty.party_id == party.id)
        .order_by(Holding.market_value_amount.desc(), _PRODUCTS.c.code)
    ).all()
    holdings = [
        HoldingRead(
            account_no=account_no,
            account_role=str(role),
            product_code=code,
            product_name=name,
            product_kind=kind,
            risk_rating=rating,
            units=h.units,
            cost_amount=h.cost_amount,
            market_value_amount=h.market_value_amount,
            currency=h.currency,
            as_of_on=h.as_of_on,
        )
        for h, code, name, kind, rating, account_no, role in rows
    ]
    owned = [h for h, *_rest, role in rows if role == AccountRole.OWNER and h.currency == currency]
    total = sum((h.market_value_amount for h in owned), Decimal("0.00"))
    product_ids = {h.product_id for h in owned}
    weights: dict[int, list[tuple[str, Decimal]]] = {}
    if product_ids:
        for pid, asset_class, weight in session.execute(
            select(_EXPOSURES.c.product_id, _EXPOSURES.c.asset_class, _EXPOSURES.c.weight_pct).where(
                _EXPOSURES.c.product_id.in_(product_ids)
            )
        ):
            weights.setdefault(pid, []).append((str(asset_class), Decimal(weight)))
    by_class: dict[str, Decimal] = {}
    for h in owned:
        split = weights.get(h.product_id) or [("unclassified", Decimal(100))]
        covered = sum((w for _c, w in split), Decimal(0))
        for asset_class, weight in split:
            by_class[asset_class] = (
                by_class.get(asset_class, Decimal(0)) + h.market_value_amount * weight / 100
            )
        if covered < 100:  # exposures that do not add up to 100 %: show the rest, do not rescale it away
            by_class["unclassified"] = (
                by_class.get("unclassified", Decimal(0)) + h.market_value_amount * (100 - covered) / 100
            )
    allocation = [
        AllocationSlice(
            asset_class=c, amount=a.quantize(Decimal("0.01")), share=float(a / total) if total else 0.0
        )
        for c, a in sorted(by_class.items(), key=lambda kv: -kv[1])
        if a > 0
    ]
    return HoldingsRead(
        accounts=accounts, holdings=holdings, total_amount=total, currency=currency, allocation=allocation
    )


def _interactions(session: Session, party: Party, page: int, page_size: int) -> InteractionPage:
    problems = []
    if page < 1:
        problems.append(FieldError(("page",), "at least 1", page))
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        problems.append(FieldError(("page_size",), f"between 1 and {PAGE_SIZE_MAX}", page_size))
    if problems:
        raise InputError("the timeline cannot be paged this way", errors=problems)
    total = session.scalar(select(func.count()).where(Interaction.party_id == party.id)) or 0
    rows = session.execute(
        select(Interaction, User.display_name)
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.party_id == party.id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return InteractionPage(
        rows=[
            InteractionRead(
                id=i.id,
                occurred_at=i.occurred_at,
                channel=str(i.channel),
                direction=str(i.direction),
                purpose=i.purpose,
                summary=i.summary,
                outcome=i.outcome,
                by=by,
            )  # fmt: skip
            for i, by in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
    )


def _memory_points(session: Session, party: Party) -> list[MemoryPointRead]:
    return [
        MemoryPointRead(
            id=m.id,
            category=str(m.category),
            text=m.text,
            source=str(m.source),
            recorded_by=by,
            recorded_at=m.recorded_at,
        )  # fmt: skip
        for m, by in session.execute(
            select(MemoryPoint, User.display_name)
            .outerjoin(User, User.id == MemoryPoint.recorded_by_id)
            .where(MemoryPoint.party_id == party.id)
            .order_by(MemoryPoint.recorded_at.desc(), MemoryPoint.id.desc())
        )
    ]


def _consents(session: Session, party: Party, now: datetime) -> ConsentsRead:
    current = [
        ConsentStateRead(purpose=purpose, channel=channel, in_force=state)
        for (purpose, channel), state in consents_at(session, party_no=party.party_no, at=now).items()
    ]
    history = [
        ConsentEventRead(
            purpose=str(e.purpose),
            channel=str(e.channel),
            action=str(e.action),
            effective_at=e.effective_at,
            source=e.source,
        )  # fmt: skip
        for e in session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.party_id == party.id)
            .order_by(ConsentEvent.effective_at.desc(), ConsentEvent.id.desc())
        )
    ]
    return ConsentsRead(current=current, history=history)


def _risk(session: Session, party: Party, today: date) -> RiskRead:
    history = [
        RiskAssessmentRead(
            level=str(r.level),
            score=r.score,
            taken_on=r.taken_on,
            valid_until=r.valid_until,
            expired=r.valid_until < today,
        )  # fmt: skip
        for r in session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.party_id == party.id)
            .order_by(RiskAssessment.taken_on.desc(), RiskAssessment.id.desc())
        )
    ]
    return RiskRead(latest=history[0] if history else None, history=history)


def read_profile(
    session: Session, principal: Principal, party_no: str, *, cipher: FieldCipher, now: datetime
) -> ClientRead:
    """The client's profile, masked, if in scope; audited as ``client.read``."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, list(PROFILE_FIELDS), now)
    return _client_read(session, party, cipher)


def read_relationships(
    session: Session, principal: Principal, party_no: str, *, now: datetime
) -> RelationshipsRead:
    """Household members and key persons in both directions; audited as ``client.read``."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["relationships", "household"], now)
    return _relationships(session, principal, party)


def read_holdings(
    session: Session, principal: Principal, party_no: str, *, now: datetime, currency: str = "CNY"
) -> HoldingsRead:
    """Accounts, positions and look-through allocation (amounts in ``currency``); audited."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["accounts", "holdings"], now)
    return _holdings(session, party, currency)


def read_interactions(
    session: Session,
    principal: Principal,
    party_no: str,
    *,
    now: datetime,
    page: int = 1,
    page_size: int = 20,
) -> InteractionPage:
    """The contact timeline, newest first, one page; audited."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["interactions"], now)
    return _interactions(session, party, page, page_size)


def read_memory_points(
    session: Session, principal: Principal, party_no: str, *, now: datetime
) -> list[MemoryPointRead]:
    """The client's memory points, newest first; audited."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["memory_points"], now)
    return _memory_points(session, party)


def read_consents(session: Session, principal: Principal, party_no: str, *, now: datetime) -> ConsentsRead:
    """Consents in force at ``now`` per purpose and channel, plus every event newest first; audited."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["consents"], now)
    return _consents(session, party, now)


def read_risk(
    session: Session, principal: Principal, party_no: str, *, now: datetime, today: date
) -> RiskRead:
    """Risk questionnaires, latest first; one whose ``valid_until`` is before ``today`` is expired."""
    party = _readable_party(session, principal, party_no)
    _audit_read(session, principal, party, ["risk_assessments"], now)
    return _risk(session, party, today)


def read_client_360(
    session: Session, principal: Principal, party_no: str, *, cipher: FieldCipher, now: datetime, today: date,
    currency: str = "CNY", interactions_page: int = 1, interactions_page_size: int = 20,
) -> Client360:  # fmt: skip
    """Every panel of the client 360 in one read, audited by one ``client.read`` record."""
    party = _readable_party(session, principal, party_no)
    _audit_read(
        session, principal, party,
        [*PROFILE_FIELDS, "relationships", "household", "accounts", "holdings", "interactions", "memory_points",
         "consents", "risk_assessments"], now,
    )  # fmt: skip
    return Client360(
        profile=_client_read(session, party, cipher),
        relationships=_relationships(session, principal, party),
        holdings=_holdings(session, party, currency),
        interactions=_interactions(session, party, interactions_page, interactions_page_size),
        memory_points=_memory_points(session, party),
        consents=_consents(session, party, now),
        risk=_risk(session, party, today),
    )


def _memory_problems(category: str, text: str) -> list[FieldError]:
    problems = []
    if category not in {c.value for c in MemoryCategory}:
        problems.append(
            FieldError(
                ("category",), f"must be one of {', '.join(c.value for c in MemoryCategory)}", category
            )
        )
    if not text.strip():
        problems.append(FieldError(("text",), "required", text))
    elif len(text.strip()) > MEMORY_TEXT_MAX:
        problems.append(FieldError(("text",), f"at most {MEMORY_TEXT_MAX} characters", None))
    return problems


def add_memory_point(
    session: Session, principal: Principal, party_no: str, *, category: str, text: str, now: datetime
) -> MemoryPointRead:
    """Record a memory point for a client in the principal's own scope; audited in the same transaction."""
    party = _changeable_party(session, principal, party_no)
    if problems := _memory_problems(category, text):
        raise InputError("the memory point cannot be saved", errors=problems)
    point = MemoryPoint(
        party_id=party.id, category=MemoryCategory(category), text=text.strip(), source=MemorySource.RM,
        recorded_by_id=principal.user_id, recorded_at=now,
    )  # fmt: skip
    session.add(point)
    session.flush()
    audit.append(
        session, principal, "memory_point.create", at=now, party_id=party.id, fields=["memory_points"],
        detail=f"memory point {point.id}",
    )  # fmt: skip
    return MemoryPointRead(
        id=point.id, category=category, text=point.text, source=str(point.source),
        recorded_by=principal.display_name, recorded_at=now,
    )  # fmt: skip


def _memory_point_of(session: Session, party: Party, point_id: int) -> MemoryPoint:
    point = session.scalars(
        select(MemoryPoint).where(MemoryPoint.id == point_id, MemoryPoint.party_id == party.id)
    ).one_or_none()
    if point is None:
        raise NotFound(f"no memory point {point_id} for client {party.party_no}")
    return point


def edit_memory_point(
    session: Session, principal: Principal, party_no: str, point_id: int, *, category: str, text: str,
    now: datetime,
) -> MemoryPointRead:  # fmt: skip
    """Change a memory point's category and text; audited in the same transaction."""
    party = _changeable_party(session, principal, party_no)
    point = _memory_point_of(session, party, point_id)
    if problems := _memory_problems(category, text):
        raise InputError("the memory point cannot be saved", errors=problems)
    point.category = MemoryCategory(category)
    point.text = text.strip()
    audit.append(
        session, principal, "memory_point.update", at=now, party_id=party.id, fields=["memory_points"],
        detail=f"memory point {point.id}",
    )  # fmt: skip
    by = (
        session.scalar(select(User.display_name).where(User.id == point.recorded_by_id))
        if point.recorded_by_id
        else None
    )
    return MemoryPointRead(
        id=point.id, category=category, text=point.text, source=str(point.source), recorded_by=by,
        recorded_at=point.recorded_at,
    )  # fmt: skip


def remove_memory_point(
    session: Session, principal: Principal, party_no: str, point_id: int, *, now: datetime
) -> None:
    """Delete a memory point; the audit record keeps its text so the removal can be traced."""
    party = _changeable_party(session, principal, party_no)
    point = _memory_point_of(session, party, point_id)
    detail = f"memory point {point.id} ({point.category}): {point.text[:200]}"
    session.delete(point)
    session.flush()
    audit.append(
        session,
        principal,
        "memory_point.delete",
        at=now,
        party_id=party.id,
        fields=["memory_points"],
        detail=detail,
    )


def reveal(
    session: Session, principal: Principal, party_no: str, field: str, *, cipher: FieldCipher, now: datetime
) -> RevealRead:
    """The unmasked national ID or phone of a client in scope, for roles that may reveal; audited.

    Raises
    ------
    InputError
        ``field`` is not one of ``REVEALABLE``.
    PermissionDenied
        The role may not reveal personal data (admin, research).
    NotFound
        The client is not in the principal's scope.
    """
    if field not in REVEALABLE:
        raise InputError(
            "this field cannot be revealed",
            errors=[FieldError(("field",), f"must be one of {', '.join(REVEALABLE)}", field)],
        )
    if not principal.may_reveal_pii:
        raise PermissionDenied("your role may not reveal personal data")
    party = _readable_party(session, principal, party_no)
    if field == "phone":
        value = party.phone
    else:
        value = cipher.decrypt(party.national_id_cipher) if party.national_id_cipher else None
    audit.append(session, principal, "client.reveal", at=now, party_id=party.id, fields=[field])
    return RevealRead(party_no=party.party_no, field=field, value=value)


def readable_party(session: Session, principal: Principal, party_no: str) -> Party:
    """The client if ``principal`` may read it (for other capabilities' use cases); otherwise
    NotFound, so a client outside the reader's book is not revealed to exist."""
    return _readable_party(session, principal, party_no)
