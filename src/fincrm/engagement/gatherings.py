"""Key-person coverage of corporate clients (with gap tasks) and client events (invitation lists,
RSVP with capacity, attendance).

Use cases take the session first and change state in the caller's transaction, audited there; none
commits. Scope: coverage lists the corporate clients the caller may read (``readable_parties``); an
invitation is visible to whoever may read the invited client or the company a key person is invited
for (compliance reads all, research and administrators none). Events themselves are the
institution's: every reader of client data sees the list, with the invitations of their own scope.

Last contact of a key person: the latest interaction recorded with the person, or with their company
when its summary or outcome names the person (the interaction model has no contact-person field, so
a company meeting counts for whoever it names). Thresholds and statuses: ``gatherings_domain``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session, aliased

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import Team, User
from fincrm.access.service import principal_of
from fincrm.clients.domain import Channel, PartyKind, PartyStatus
from fincrm.clients.models import Interaction, Party, PartyRelationship
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.clients.repository import book_ids, changeable_parties, readable_parties
from fincrm.clients.service import readable_party
from fincrm.config import Settings
from fincrm.engagement import gatherings_domain as gd
from fincrm.engagement.gatherings_models import ClientEvent, EventInvitation
from fincrm.engagement.models import OPEN as TASK_OPEN
from fincrm.engagement.models import Task
from fincrm.engagement.tasks import MAX_ID, insert_task_rows
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied

ORGANISERS = (Role.RM, Role.TEAM_LEAD)  # who creates events and invites clients
EVENT_READERS = (Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE, Role.RESEARCH)
SUGGESTION_LIMIT = 50  # suggestions shown at once
TASK_INVITE_CHANNEL = "phone"  # an invitation made from a task: the RM calls to invite
CHUNK = 5_000  # keys per IN list (PostgreSQL allows 65,535 parameters a statement)
_PERSON = aliased(Party, name="key_person")


def _today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


# ----- key-person coverage ------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyCoverage:
    party_no: str
    name: str
    rm_id: int | None  # the company's primary RM
    rm: str  # their username ('' when unassigned)
    layers: dict[str, gd.LayerCoverage]  # decision, operating

    @property
    def fully_covered(self) -> bool:
        return gd.fully_covered(self.layers)

    @property
    def gaps(self) -> list[str]:
        return [layer for layer, c in self.layers.items() if c.status == gd.GAP]


def _coverage_reader(principal: Principal | None) -> ColumnElement[bool]:
    """The companies' scope: the reader's book, or every client for the system's own run (None)."""
    if principal is None:
        return true()
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    return readable_parties(principal)


def _coverages(session: Session, scope: ColumnElement[bool], on: date, tz: ZoneInfo) -> list[CompanyCoverage]:
    """Coverage of every active corporate client matching ``scope`` (a WHERE clause on ``Party``)."""
    companies = session.execute(
        select(Party.id, Party.party_no, Party.name, Party.primary_rm_id)
        .where(Party.kind == PartyKind.CORPORATE, Party.status != PartyStatus.CLOSED, scope)
        .order_by(Party.name, Party.party_no)
    ).all()
    if not companies:
        return []
    kinds = list(gd.LAYER_OF)
    link = (
        select(PartyRelationship.from_party_id, _PERSON.id, _PERSON.party_no, _PERSON.name, PartyRelationship.kind)
        .join(Party, Party.id == PartyRelationship.from_party_id)
        .join(_PERSON, _PERSON.id == PartyRelationship.to_party_id)
        .where(PartyRelationship.kind.in_(kinds), Party.kind == PartyKind.CORPORATE, scope)
    )  # fmt: skip
    people: dict[int, list[tuple[int, str, str, str]]] = {}
    for company_id, pid, pno, pname, kind in session.execute(link):
        people.setdefault(company_id, []).append((pid, pno, pname, str(kind)))
    # the latest interaction with each key person, in one grouped query over the scope
    last: dict[int, datetime] = dict(session.execute(
        select(Interaction.party_id, func.max(Interaction.occurred_at))
        .join(PartyRelationship, PartyRelationship.to_party_id == Interaction.party_id)
        .join(Party, Party.id == PartyRelationship.from_party_id)
        .where(PartyRelationship.kind.in_(kinds), Party.kind == PartyKind.CORPORATE, scope)
        .group_by(Interaction.party_id)
    ).all())  # fmt: skip
    # company interactions that name a key person count as a contact with that person
    names = {company_id: {pid: pname for pid, _, pname, _ in ps} for company_id, ps in people.items()}
    for company_id, at, summary, outcome in session.execute(
        select(Interaction.party_id, Interaction.occurred_at, Interaction.summary, Interaction.outcome)
        .join(Party, Party.id == Interaction.party_id)
        .where(Party.kind == PartyKind.CORPORATE, Party.status != PartyStatus.CLOSED, scope)
    ):  # fmt: skip
        text = f"{summary or ''} {outcome or ''}"
        for pid, pname in names.get(company_id, {}).items():
            if len(pname) >= 2 and pname in text and (pid not in last or at > last[pid]):
                last[pid] = at
    rm_names = dict(session.execute(select(User.id, User.username)).all())
    out = []
    for company_id, party_no, name, rm_id in companies:
        contacts = [
            gd.KeyPersonContact(pno, pname, kind, last[pid].astimezone(tz).date() if pid in last else None)
            for pid, pno, pname, kind in people.get(company_id, [])
        ]
        out.append(CompanyCoverage(party_no, name, rm_id, rm_names.get(rm_id or 0, ""),
                                   gd.assess_company(contacts, on)))  # fmt: skip
    return out


def coverage(
    session: Session, principal: Principal, *, now: datetime, tz: ZoneInfo, status: str = ""
) -> list[CompanyCoverage]:
    """Each corporate client in the caller's book with its decision maker(s) and operator(s), the last
    contact of each and the layer's status on today's date; ``status`` gap keeps companies with a gap,
    due those with a contact falling due, covered those fully covered.

    Raises
    ------
    PermissionDenied
        For a role that reads no client data (administrators).
    InputError
        For an unknown ``status`` filter.
    """
    if status not in ("", gd.GAP, gd.DUE, gd.COVERED):
        raise InputError(
            "unknown coverage filter", errors=[FieldError(("status",), "gap, due or covered", status)]
        )
    rows = _coverages(session, _coverage_reader(principal), _today(now, tz), tz)
    if status == gd.GAP:
        rows = [r for r in rows if r.gaps]
    elif status == gd.DUE:
        rows = [r for r in rows if any(c.status == gd.DUE for c in r.layers.values())]
    elif status == gd.COVERED:
        rows = [r for r in rows if r.fully_covered]
    return rows


def institution_coverage(session: Session, *, now: datetime, tz: ZoneInfo) -> list[CompanyCoverage]:
    """Coverage of every corporate client, for the command line and the daily run (no principal)."""
    return _coverages(session, _coverage_reader(None), _today(now, tz), tz)


def client_coverage(
    session: Session, principal: Principal, party_no: str, *, now: datetime, tz: ZoneInfo
) -> CompanyCoverage | None:
    """One client's key-person coverage (None for an individual); NotFound outside the caller's book."""
    party = readable_party(session, principal, party_no)
    if party.kind != PartyKind.CORPORATE:
        return None
    found = _coverages(session, Party.id == party.id, _today(now, tz), tz)
    return found[0] if found else None


@dataclass(frozen=True)
class CoverageSummary:
    by_rm: list[gd.CoverageShare]  # key: RM username
    by_team: list[gd.CoverageShare]  # key: team name
    total: gd.CoverageShare  # key: ''


def coverage_summary(session: Session, rows: Iterable[CompanyCoverage]) -> CoverageSummary:
    """Share of companies with both layers covered, per primary RM, per team and overall."""
    rows = list(rows)
    teams = dict(session.execute(
        select(User.id, Team.name).join(Team, Team.id == User.team_id)
    ).all())  # fmt: skip
    total = gd.coverage_shares(("", r.layers) for r in rows)
    return CoverageSummary(
        by_rm=gd.coverage_shares((r.rm or "-", r.layers) for r in rows),
        by_team=gd.coverage_shares((teams.get(r.rm_id or 0, "-"), r.layers) for r in rows),
        total=total[0] if total else gd.CoverageShare("", 0, 0, 0, 0),
    )  # fmt: skip


@dataclass(frozen=True)
class GapTasks:
    companies: int  # companies looked at
    gaps: int  # layer gaps found
    made: int  # new tasks
    already: int  # made earlier this ISO week
    unassigned: int  # gaps of companies without a primary RM (nobody to give the task to)


def make_gap_tasks(session: Session, principal: Principal | None, *, now: datetime, tz: ZoneInfo) -> GapTasks:
    """A task for each coverage gap, assigned to the company's primary RM, once per company, layer and
    ISO week (idempotency key ``coverage_gap:<client>:<layer>:<week>``), so reruns make nothing twice.

    ``principal`` None is the daily run over every corporate client; an RM or team lead makes the
    tasks of their own book.

    Raises
    ------
    PermissionDenied
        For a principal who is not an RM or team lead.
    """
    if principal is not None and principal.role not in ORGANISERS:
        raise PermissionDenied("only relationship managers and team leads make gap tasks")
    on = _today(now, tz)
    rows = _coverages(session, _coverage_reader(principal), on, tz)
    wanted = [(r, layer) for r in rows for layer in r.gaps]
    keys = [gd.gap_task_key(r.party_no, layer, on) for r, layer in wanted]
    made_before: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        made_before.update(session.scalars(
            select(Task.idempotency_key).where(Task.idempotency_key.in_(keys[start:start + CHUNK]))
        ))  # fmt: skip
    party_ids: dict[str, int] = {}
    nos = sorted({r.party_no for r, _ in wanted})
    for start in range(0, len(nos), CHUNK):
        party_ids.update(session.execute(
            select(Party.party_no, Party.id).where(Party.party_no.in_(nos[start:start + CHUNK]))).all())  # fmt: skip
    made = already = unassigned = 0
    task_rows: list[dict[str, Any]] = []
    for (r, layer), key in zip(wanted, keys, strict=True):
        if r.rm_id is None:
            unassigned += 1
            continue
        if key in made_before:
            already += 1
            continue
        cov = r.layers[layer]
        title_zh, title_en = gd.gap_task_titles(r.name, cov)
        label_zh, label_en = gd.LAYER_LABELS[layer]
        evidence = {
            "company_party_no": r.party_no, "layer": layer, "threshold_days": cov.threshold_days,
            "days_since": cov.days_since, "last_contact_on": cov.last_contact_on,
            "people": [p.party_no for p in cov.people], "week": gd.iso_week(on),
        }  # fmt: skip
        reason_zh = (f"{label_zh}关键人缺失" if cov.missing else
                     f"{label_zh}超过 {cov.threshold_days} 天未联系")  # fmt: skip
        reason_en = (f"no {label_en} on record" if cov.missing else
                     f"{label_en} not contacted for more than {cov.threshold_days} days")  # fmt: skip
        made_before.add(key)
        task_rows.append({
            "idempotency_key": key, "party_id": party_ids[r.party_no], "assignee_id": r.rm_id,
            "rule_key": gd.GAP_RULE_KEY, "event_id": None, "title_zh": title_zh[:300], "title_en": title_en[:300],
            "reason_zh": reason_zh, "reason_en": reason_en,
            "evidence": json.dumps(evidence, ensure_ascii=False, default=str), "priority": gd.GAP_PRIORITY[layer],
            "created_at": now, "due_at": now + timedelta(days=gd.GAP_TASK_DUE_DAYS), "status": TASK_OPEN,
        })  # fmt: skip
    made = insert_task_rows(session, task_rows)
    result = GapTasks(len(rows), len(wanted), made, already, unassigned)
    audit.append(session, principal, "coverage.gap_tasks", at=now, actor=None if principal else "system",
                 detail=f"{gd.iso_week(on)}: {result.companies} companies, {result.gaps} gaps, {made} tasks made, "
                        f"{already} already made, {unassigned} without an RM")  # fmt: skip
    return result


# ----- client events ------------------------------------------------------------------------------


def _require_organiser(principal: Principal) -> None:
    if principal.role not in ORGANISERS:
        raise PermissionDenied("only relationship managers and team leads organise events and invite clients")


def _require_event_reader(principal: Principal) -> None:
    if principal.role not in EVENT_READERS:
        raise PermissionDenied("your role reads no client events")


def _visible(principal: Principal) -> ColumnElement[bool]:
    """Invitations the principal may see: of a client in scope, or for a company in scope."""
    if principal.role is Role.COMPLIANCE:
        return true()
    book = book_ids(principal)
    if book is None:
        return false()  # research (until cases share clients) and administrators
    return EventInvitation.party_id.in_(book) | EventInvitation.company_id.in_(book)


def _event(session: Session, event_id: int, *, lock: bool = False) -> ClientEvent:
    if not 1 <= event_id <= MAX_ID:
        raise NotFound(f"no client event {event_id}")
    stmt = select(ClientEvent).where(ClientEvent.id == event_id)
    event = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if event is None:
        raise NotFound(f"no client event {event_id}")
    return event


def create_event(
    session: Session, principal: Principal, *, kind: str, title_zh: str, title_en: str, starts_at: datetime,
    venue: str, capacity: int, audience: str = "", status: str = gd.PLANNED, now: datetime, ref: str | None = None,
) -> ClientEvent:  # fmt: skip
    """Plan an event (RMs and team leads); every field problem is reported at once.

    ``starts_at`` is timezone-aware and in the future; ``capacity`` is the number of seats (1 to
    10,000); ``status`` planned (not yet inviting) or open (inviting).
    """
    _require_organiser(principal)
    problems = []
    if (why := gd.event_kind_problem(kind)) is not None:
        problems.append(FieldError(("kind",), why, kind))
    for field, value in (("title_zh", title_zh), ("title_en", title_en), ("venue", venue)):
        if not value.strip() or len(value) > gd.TITLE_MAX:
            problems.append(FieldError((field,), f"1 to {gd.TITLE_MAX} characters", value[:80]))
    if len(audience) > gd.AUDIENCE_MAX:
        problems.append(FieldError(("audience",), f"at most {gd.AUDIENCE_MAX} characters", audience[:80]))
    if starts_at.tzinfo is None:
        problems.append(FieldError(("starts_at",), "needs a timezone offset", starts_at.isoformat()))
    elif starts_at <= now:
        problems.append(FieldError(("starts_at",), "must be in the future", starts_at.isoformat()))
    if not 1 <= capacity <= gd.MAX_CAPACITY:
        problems.append(FieldError(("capacity",), f"1 to {gd.MAX_CAPACITY} seats", capacity))
    if status not in (gd.PLANNED, gd.OPEN):
        problems.append(FieldError(("status",), "planned or open", status))
    if problems:
        raise InputError("the event cannot be created as given", errors=problems)
    event = ClientEvent(
        ref=ref, kind=kind, title_zh=title_zh.strip(), title_en=title_en.strip(), starts_at=starts_at,
        venue=venue.strip(), capacity=capacity, audience=audience.strip(), organiser_id=principal.user_id,
        status=status, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(event)
    session.flush()
    audit.append(
        session, principal, "event.create", at=now, detail=f"event {event.id} {kind}: {title_zh[:100]}"
    )
    return event


def set_event_status(
    session: Session, principal: Principal, event_id: int, *, status: str, now: datetime
) -> ClientEvent:
    """Open an event for invitations or close it (closed is final): its organiser or a team lead."""
    _require_organiser(principal)
    event = _event(session, event_id)
    if principal.role is not Role.TEAM_LEAD and event.organiser_id != principal.user_id:
        raise PermissionDenied("only the event's organiser or a team lead changes its status")
    if (why := gd.status_move_problem(event.status, status)) is not None:
        raise InputError(f"the event is {event.status}", errors=[FieldError(("status",), why, status)])
    before, event.status, event.updated_at = event.status, status, now
    audit.append(session, principal, "event.status", at=now, detail=f"event {event.id}: {before} -> {status}")
    return event


@dataclass(frozen=True)
class EventView:
    event: ClientEvent
    organiser: str
    accepted_total: int  # over every invitation (seats are the institution's)
    seats_left: int
    mine: gd.Attendance  # over the invitations the reader may see


def _views(session: Session, visible: ColumnElement[bool], events: list[ClientEvent]) -> list[EventView]:
    ids = [e.id for e in events]
    if not ids:
        return []
    accepted = dict(session.execute(
        select(EventInvitation.event_id, func.count()).where(
            EventInvitation.event_id.in_(ids), EventInvitation.rsvp == gd.ACCEPTED)
        .group_by(EventInvitation.event_id)
    ).all())  # fmt: skip
    pairs: dict[int, list[tuple[str, bool | None]]] = {}
    for event_id, rsvp, attended in session.execute(
        select(EventInvitation.event_id, EventInvitation.rsvp, EventInvitation.attended).where(
            EventInvitation.event_id.in_(ids), visible
        )
    ):
        pairs.setdefault(event_id, []).append((rsvp, attended))
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({e.organiser_id for e in events}))).all())  # fmt: skip
    return [
        EventView(e, names.get(e.organiser_id, ""), accepted.get(e.id, 0),
                  gd.seats_left(e.capacity, accepted.get(e.id, 0)), gd.attendance(pairs.get(e.id, [])))
        for e in events
    ]  # fmt: skip


def list_events(session: Session, principal: Principal, *, now: datetime, kind: str = "") -> list[EventView]:
    """Upcoming events soonest first, then past ones latest first, with the reader's attendance counts."""
    _require_event_reader(principal)
    stmt = select(ClientEvent)
    if kind:
        stmt = stmt.where(ClientEvent.kind == kind)
    events = list(session.scalars(stmt.order_by(ClientEvent.starts_at, ClientEvent.id)))
    upcoming = [e for e in events if e.starts_at >= now]
    past = [e for e in reversed(events) if e.starts_at < now]
    return _views(session, _visible(principal), upcoming + past)


def all_events(session: Session) -> list[EventView]:
    """Every event with counts over all its invitations, for the command line (no client names)."""
    events = list(session.scalars(select(ClientEvent).order_by(ClientEvent.starts_at, ClientEvent.id)))
    return _views(session, true(), events)


@dataclass(frozen=True)
class InvitationView:
    invitation: EventInvitation
    party_no: str
    name: str
    company_no: str | None
    company_name: str | None
    invited_by: str


@dataclass(frozen=True)
class EventDetail:
    view: EventView
    invitations: list[InvitationView]


_COMPANY = aliased(Party, name="invited_for")


def read_event(session: Session, principal: Principal, event_id: int) -> EventDetail:
    """An event with the invitations the reader may see (by client name)."""
    _require_event_reader(principal)
    event = _event(session, event_id)
    rows = session.execute(
        select(EventInvitation, Party.party_no, Party.name, _COMPANY.party_no, _COMPANY.name, User.username)
        .join(Party, Party.id == EventInvitation.party_id)
        .outerjoin(_COMPANY, _COMPANY.id == EventInvitation.company_id)
        .join(User, User.id == EventInvitation.invited_by_id)
        .where(EventInvitation.event_id == event.id, _visible(principal))
        .order_by(EventInvitation.invited_at, EventInvitation.id)
    )
    return EventDetail(_views(session, _visible(principal), [event])[0], [InvitationView(*r) for r in rows])


def invitation_view(session: Session, invitation: EventInvitation) -> InvitationView:
    """An invitation the caller already holds (just made or answered), with the names shown."""
    row = session.execute(
        select(EventInvitation, Party.party_no, Party.name, _COMPANY.party_no, _COMPANY.name, User.username)
        .join(Party, Party.id == EventInvitation.party_id)
        .outerjoin(_COMPANY, _COMPANY.id == EventInvitation.company_id)
        .join(User, User.id == EventInvitation.invited_by_id)
        .where(EventInvitation.id == invitation.id)
    ).one()
    return InvitationView(*row)


def _invitee(
    session: Session, principal: Principal, party_no: str, company_no: str | None
) -> tuple[Party, Party | None]:
    """The client to invite and the company they are invited for, within what the principal may change."""
    if company_no:
        company = session.scalars(
            select(Party).where(Party.party_no == company_no, Party.kind == PartyKind.CORPORATE,
                                changeable_parties(principal))
        ).one_or_none()  # fmt: skip
        if company is None:
            raise NotFound(f"no corporate client {company_no!r} in your book")
        person = session.scalars(
            select(_PERSON).join(PartyRelationship, PartyRelationship.to_party_id == _PERSON.id)
            .where(_PERSON.party_no == party_no, PartyRelationship.from_party_id == company.id,
                   PartyRelationship.kind.in_(list(gd.LAYER_OF) + ["shareholder", "other"]))
        ).first()  # fmt: skip
        if person is None:
            raise InputError(f"{party_no} is not a key person of {company_no}",
                             errors=[FieldError(("party_no",), "not a key person of the company", party_no)])  # fmt: skip
        return person, company
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, changeable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return party, None


def invite(
    session: Session, principal: Principal, event_id: int, *, party_no: str, company_no: str | None = None,
    channel: str = "phone", now: datetime, source: str = "manual",
) -> EventInvitation:  # fmt: skip
    """Put a client (or a key person, for their company) on the event's invitation list, RSVP pending.

    Raises
    ------
    NotFound
        The event, or the client outside the caller's book.
    InputError
        The event is closed, or the channel is unknown.
    Conflict
        The client is already invited.
    """
    _require_organiser(principal)
    event = _event(session, event_id)
    problems = []
    if event.status == gd.CLOSED:
        problems.append(FieldError(("event",), "the event is closed", event.status))
    if channel not in {c.value for c in Channel}:
        problems.append(FieldError(("channel",), f"one of {', '.join(c.value for c in Channel)}", channel))
    if problems:
        raise InputError("the client cannot be invited as given", errors=problems)
    party, company = _invitee(session, principal, party_no, company_no)
    if session.scalar(select(EventInvitation.id).where(EventInvitation.event_id == event.id,
                                                       EventInvitation.party_id == party.id)) is not None:  # fmt: skip
        raise Conflict(f"{party_no} is already invited to this event",
                       errors=[FieldError(("party_no",), "already invited", party_no)])  # fmt: skip
    invitation = EventInvitation(
        event_id=event.id, party_id=party.id, company_id=company.id if company else None,
        invited_by_id=principal.user_id, invited_at=now, channel=channel, source=source, rsvp=gd.PENDING,
    )  # fmt: skip
    session.add(invitation)
    session.flush()
    audit.append(session, principal, "event.invite", at=now, party_id=party.id,
                 detail=f"event {event.id} invitation {invitation.id}"
                        + (f" for {company.party_no}" if company else ""))  # fmt: skip
    return invitation


def _invitation(session: Session, principal: Principal, event_id: int, invitation_id: int) -> EventInvitation:
    if not 1 <= invitation_id <= MAX_ID or not 1 <= event_id <= MAX_ID:
        raise NotFound(f"no invitation {invitation_id}")
    found = session.scalars(
        select(EventInvitation).where(EventInvitation.id == invitation_id, EventInvitation.event_id == event_id,
                                      _visible(principal))
    ).one_or_none()  # fmt: skip
    if found is None:
        raise NotFound(f"no invitation {invitation_id} of event {event_id} among your clients")
    return found


def set_rsvp(
    session: Session, principal: Principal, event_id: int, invitation_id: int, *, rsvp: str, now: datetime
) -> EventInvitation:
    """Record the client's answer. Accepting takes a seat: refused (Conflict) when the event is full;
    the event row is locked meanwhile, so two acceptances cannot both take the last seat."""
    _require_organiser(principal)
    invitation = _invitation(session, principal, event_id, invitation_id)
    if rsvp not in gd.RSVPS:
        raise InputError(
            "unknown answer", errors=[FieldError(("rsvp",), f"one of {', '.join(gd.RSVPS)}", rsvp)]
        )
    event = _event(session, invitation.event_id, lock=rsvp == gd.ACCEPTED)
    if event.status == gd.CLOSED:
        raise InputError("the event is closed", errors=[FieldError(("event",), "closed", event.status)])
    if rsvp == gd.ACCEPTED and invitation.rsvp != gd.ACCEPTED:
        taken = session.scalar(select(func.count()).select_from(EventInvitation).where(
            EventInvitation.event_id == event.id, EventInvitation.rsvp == gd.ACCEPTED)) or 0  # fmt: skip
        if gd.seats_left(event.capacity, taken) == 0:
            raise Conflict(f"the event is full ({event.capacity} seats taken)",
                           errors=[FieldError(("rsvp",), "no seat left", rsvp)])  # fmt: skip
    before = invitation.rsvp
    invitation.rsvp, invitation.rsvp_at = rsvp, now
    if rsvp != gd.ACCEPTED:
        invitation.attended, invitation.attendance_at = None, None
    audit.append(session, principal, "event.rsvp", at=now, party_id=invitation.party_id,
                 detail=f"event {event.id} invitation {invitation.id}: {before} -> {rsvp}")  # fmt: skip
    return invitation


def record_attendance(
    session: Session,
    principal: Principal,
    event_id: int,
    invitation_id: int,
    *,
    attended: bool,
    now: datetime,
) -> EventInvitation:
    """Record whether an accepted guest came; only once the event has started."""
    _require_organiser(principal)
    invitation = _invitation(session, principal, event_id, invitation_id)
    event = _event(session, invitation.event_id)
    problems = []
    if now < event.starts_at:
        problems.append(
            FieldError(("attended",), "the event has not started yet", event.starts_at.isoformat())
        )
    if invitation.rsvp != gd.ACCEPTED:
        problems.append(FieldError(("rsvp",), "only guests who accepted are recorded", invitation.rsvp))
    if problems:
        raise InputError("attendance cannot be recorded", errors=problems)
    invitation.attended, invitation.attendance_at = attended, now
    audit.append(session, principal, "event.attendance", at=now, party_id=invitation.party_id,
                 detail=f"event {event.id} invitation {invitation.id}: {'attended' if attended else 'no show'}")  # fmt: skip
    return invitation


@dataclass(frozen=True)
class Suggestion:
    party_no: str
    name: str
    company_no: str | None  # key persons: the company they would be invited for
    company_name: str | None
    role: str  # relationship kind of a key person, or the tier of an individual


def suggestions(
    session: Session,
    principal: Principal,
    event_id: int,
    *,
    audience: str = "",
    limit: int = SUGGESTION_LIMIT,
) -> tuple[str, list[Suggestion]]:
    """Clients of the caller's book who fit an audience and are not yet invited: key persons of a layer
    (``operators``, ``decision_makers``) of corporate clients in the book, or individuals of a tier
    (``tier:hnw``, ...). Without ``audience``, the event kind's default. Returns (audience, suggestions)."""
    _require_organiser(principal)
    event = _event(session, event_id)
    audience = audience or gd.DEFAULT_AUDIENCE.get(event.kind, "operators")
    if audience not in gd.AUDIENCES:
        raise InputError("unknown audience",
                         errors=[FieldError(("audience",), f"one of {', '.join(gd.AUDIENCES)}", audience)])  # fmt: skip
    invited = select(EventInvitation.party_id).where(EventInvitation.event_id == event.id)
    what, value = gd.AUDIENCES[audience]
    if what == "tier":
        version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
        if version is None:
            return audience, []
        rows = session.execute(
            select(Party.party_no, Party.name, ClientProfile.tier)
            .join(ClientProfile, (ClientProfile.party_id == Party.id) & (ClientProfile.version_id == version))
            .where(ClientProfile.tier == value, Party.kind == PartyKind.INDIVIDUAL, Party.status == PartyStatus.ACTIVE,
                   changeable_parties(principal), Party.id.not_in(invited))
            .order_by(Party.name, Party.party_no).limit(limit)
        )  # fmt: skip
        return audience, [Suggestion(no, name, None, None, tier) for no, name, tier in rows]
    rows = session.execute(
        select(_PERSON.party_no, _PERSON.name, Party.party_no, Party.name, PartyRelationship.kind)
        .join(PartyRelationship, PartyRelationship.from_party_id == Party.id)
        .join(_PERSON, _PERSON.id == PartyRelationship.to_party_id)
        .where(PartyRelationship.kind.in_(gd.LAYER_KINDS[value]), Party.kind == PartyKind.CORPORATE,
               Party.status != PartyStatus.CLOSED, changeable_parties(principal), _PERSON.id.not_in(invited))
        .order_by(Party.name, _PERSON.party_no).limit(limit)
    )  # fmt: skip
    return audience, [Suggestion(pno, pname, cno, cname, str(kind)) for pno, pname, cno, cname, kind in rows]


@dataclass(frozen=True)
class FromTasks:
    tasks: int  # open invitation tasks looked at
    invited: int  # new invitations
    already: int  # the client was already on the event's list
    no_event: int  # no open upcoming event of the kind


def invite_from_tasks(session: Session, *, now: datetime) -> FromTasks:
    """Put the clients of open ``invitation`` tasks (the rules' ``{kind: invitation, event: K}``) on the
    next open event of kind K that has not started, invited by the task's assignee; safe to rerun
    (one invitation per client and event). The task stays open: the RM still makes the call."""
    rows = session.scalars(
        select(Task).where(Task.status == TASK_OPEN, Task.evidence.like('%"invitation"%')).order_by(Task.id)
    ).all()
    upcoming: dict[str, ClientEvent | None] = {}
    companies: dict[str, int | None] = {}
    looked = invited = already = no_event = 0
    for task in rows:
        evidence: dict[str, Any] = json.loads(task.evidence or "{}")
        kind = str(evidence.get("event") or "")
        if evidence.get("action") != "invitation" or not kind:
            continue
        looked += 1
        if kind not in upcoming:
            upcoming[kind] = session.scalars(
                select(ClientEvent).where(ClientEvent.kind == kind, ClientEvent.status == gd.OPEN,
                                          ClientEvent.starts_at > now)
                .order_by(ClientEvent.starts_at, ClientEvent.id).limit(1)
            ).first()  # fmt: skip
        event = upcoming[kind]
        if event is None:
            no_event += 1
            continue
        if session.scalar(select(EventInvitation.id).where(EventInvitation.event_id == event.id,
                                                           EventInvitation.party_id == task.party_id)):  # fmt: skip
            already += 1
            continue
        company_no = str(evidence.get("company_party_no") or "")
        if company_no and company_no not in companies:
            companies[company_no] = session.scalar(select(Party.id).where(Party.party_no == company_no))
        session.add(EventInvitation(
            event_id=event.id, party_id=task.party_id, company_id=companies.get(company_no) if company_no else None,
            invited_by_id=task.assignee_id, invited_at=now, channel=TASK_INVITE_CHANNEL, source="task",
            task_id=task.id, rsvp=gd.PENDING,
        ))  # fmt: skip
        session.flush()
        invited += 1
    result = FromTasks(looked, invited, already, no_event)
    audit.append(session, None, "event.invite_from_tasks", at=now, actor="system",
                 detail=f"{looked} invitation tasks: {invited} invited, {already} already, {no_event} without an event")  # fmt: skip
    return result


# ----- demo ---------------------------------------------------------------------------------------

DEMO_EVENTS = (  # ref, kind, zh, en, days from now, hour (local), venue, capacity, audience, status
    ("demo-tax-salon", "tax_salon", "2026 年度企业所得税汇算清缴税务沙龙", "Corporate income tax filing salon 2026",
     12, 14, "上海分行 18 楼多功能厅", 30, "企业客户财务总监、出纳等操作层关键人", gd.OPEN),
    ("demo-capital-forum", "capital_forum", "民营企业资本运作与跨境融资论坛", "Private enterprise capital and cross-border financing forum",
     26, 9, "浦东香格里拉酒店宴会厅", 60, "企业客户董事长、总经理等决策层关键人", gd.OPEN),
    ("demo-strategy-meeting", "strategy_meeting", "四季度市场展望闭门策略会", "Q4 market outlook closed-door strategy meeting",
     -9, 15, "私人银行中心贵宾室", 12, "高净值客户", gd.OPEN),
)  # fmt: skip


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """Demo events: an open tax salon and capital forum with invitations and answers from the key persons
    of a team that serves companies, and a past strategy meeting of high-net-worth clients with
    attendance; each organised by the team lead whose team's book fits its audience. Safe to rerun
    (events carry a ``ref``; a rerun adds nothing). Returns the number of events made."""
    leads = [principal_of(u) for u in session.scalars(
        select(User).where(User.role == Role.TEAM_LEAD, User.is_active.is_(True)).order_by(User.username))]  # fmt: skip
    if not leads:
        return 0
    tz = settings.tz
    made = 0
    for ref, kind, zh, en, days, hour, venue, capacity, audience, status in DEMO_EVENTS:
        if session.scalar(select(ClientEvent.id).where(ClientEvent.ref == ref)) is not None:
            continue
        day = _today(now, tz) + timedelta(days=days)
        starts_at = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(ZoneInfo("UTC"))
        planned_at = min(now, starts_at - timedelta(days=20))
        event = create_event(session, leads[0], kind=kind, title_zh=zh, title_en=en, starts_at=starts_at, venue=venue,
                             capacity=capacity, audience=audience, status=status, now=planned_at, ref=ref)  # fmt: skip
        made += 1
        me, found = leads[0], []
        for lead in leads:  # the first team whose book fits the event's audience organises it
            _, found = suggestions(session, lead, event.id, limit=min(capacity, 16))
            if found:
                me, event.organiser_id = lead, lead.user_id
                break
        for i, s in enumerate(found):
            at = planned_at + timedelta(hours=2 + i)
            inv = invite(session, me, event.id, party_no=s.party_no, company_no=s.company_no,
                         channel=("wechat", "phone", "visit")[i % 3], now=at, source="demo")  # fmt: skip
            answer = (gd.ACCEPTED, gd.ACCEPTED, gd.DECLINED, gd.PENDING)[i % 4]
            if answer != gd.PENDING:
                set_rsvp(session, me, event.id, inv.id, rsvp=answer, now=at + timedelta(days=2))
            if days < 0 and answer == gd.ACCEPTED:
                record_attendance(session, me, event.id, inv.id, attended=i % 5 != 0,
                                  now=starts_at + timedelta(hours=3))  # fmt: skip
        if days < 0:
            set_event_status(session, me, event.id, status=gd.CLOSED, now=starts_at + timedelta(hours=4))
    return made
