"""Client events (salons, forums, closed-door meetings) with invitation lists, RSVP and attendance; key-person coverage of corporate clients and gap tasks.

JSON API of this part (thin handlers over its services). Events live under ``/client-events``
(``POST /api/v1/events`` is the inbound event feed of the rules engine)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.engagement import gatherings
from fincrm.engagement.gatherings_schemas import (
    AttendanceBody,
    ClientCoverageRead,
    CompanyCoverageRead,
    CoverageRead,
    EventCreate,
    EventDetailRead,
    EventRead,
    EventStatusBody,
    GapTasksRead,
    InvitationCreate,
    InvitationRead,
    RsvpBody,
    SuggestionRead,
    SuggestionsRead,
)
from fincrm.engagement.tasks import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["engagement"])
WebDep = Annotated[Web, Depends(resolve)]
EventId = Annotated[int, Path(ge=1, le=MAX_ID)]
InvitationId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


@router.get("/coverage", response_model=CoverageRead)
def coverage(
    web: WebDep, status: Annotated[str, Query(max_length=8, description="gap, due or covered")] = ""
) -> CoverageRead:
    """Each corporate client in your book: decision maker(s) and operator(s), their last contact and
    the status of each layer, with the share of fully covered companies per RM and team."""
    me = web.require()
    tz = web.settings.tz
    with web.uow() as session:
        rows = gatherings.coverage(session, me, now=web.now(), tz=tz, status=status)
        summary = gatherings.coverage_summary(session, rows)
        return CoverageRead.of(web.now().astimezone(tz).date(), rows, summary)


@router.post("/coverage/gap-tasks", response_model=GapTasksRead)
def gap_tasks(web: WebDep, x_csrf_token: CsrfHeader = None) -> GapTasksRead:
    """A task for each coverage gap in your book, for the company's primary RM (once per ISO week)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return GapTasksRead.of(gatherings.make_gap_tasks(session, me, now=web.now(), tz=web.settings.tz))


@router.get("/clients/{party_no}/coverage", response_model=ClientCoverageRead)
def client_coverage(web: WebDep, party_no: Annotated[str, Path(max_length=32)]) -> ClientCoverageRead:
    """A corporate client's key-person coverage (``coverage`` is null for an individual)."""
    me = web.require()
    with web.uow() as session:
        found = gatherings.client_coverage(session, me, party_no, now=web.now(), tz=web.settings.tz)
        return ClientCoverageRead(client_no=party_no, corporate=found is not None,
                                  coverage=CompanyCoverageRead.of(found) if found else None)  # fmt: skip


@router.get("/client-events", response_model=list[EventRead])
def list_events(web: WebDep, kind: Annotated[str, Query(max_length=32)] = "") -> list[EventRead]:
    """Upcoming events soonest first, then past ones, with your invitations' counts."""
    me = web.require()
    with web.uow() as session:
        return [EventRead.of(v) for v in gatherings.list_events(session, me, now=web.now(), kind=kind)]


@router.post("/client-events", response_model=EventRead, status_code=201)
def create_event(web: WebDep, body: EventCreate, x_csrf_token: CsrfHeader = None) -> EventRead:
    """Plan an event (RMs and team leads)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        event = gatherings.create_event(
            session, me, kind=body.kind, title_zh=body.title_zh, title_en=body.title_en, starts_at=body.starts_at,
            venue=body.venue, capacity=body.capacity, audience=body.audience, status=body.status, now=web.now(),
        )  # fmt: skip
        return EventRead.of(gatherings.read_event(session, me, event.id).view)


@router.get("/client-events/{event_id}", response_model=EventDetailRead)
def read_event(web: WebDep, event_id: EventId) -> EventDetailRead:
    """The event with the invitations of your clients."""
    me = web.require()
    with web.uow() as session:
        return EventDetailRead.of(gatherings.read_event(session, me, event_id))


@router.post("/client-events/{event_id}/status", response_model=EventRead)
def set_status(
    web: WebDep, event_id: EventId, body: EventStatusBody, x_csrf_token: CsrfHeader = None
) -> EventRead:
    """Open the event for invitations or close it (its organiser or a team lead)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        gatherings.set_event_status(session, me, event_id, status=body.status, now=web.now())
        return EventRead.of(gatherings.read_event(session, me, event_id).view)


@router.get("/client-events/{event_id}/suggestions", response_model=SuggestionsRead)
def suggest(
    web: WebDep, event_id: EventId,
    audience: Annotated[str, Query(max_length=32, description="operators, decision_makers, tier:hnw, ...")] = "",
) -> SuggestionsRead:  # fmt: skip
    """Clients of your book who fit the audience and are not invited yet."""
    me = web.require()
    with web.uow() as session:
        chosen, found = gatherings.suggestions(session, me, event_id, audience=audience)
        return SuggestionsRead(audience=chosen, suggestions=[SuggestionRead.of(s) for s in found])


@router.post("/client-events/{event_id}/invitations", response_model=InvitationRead, status_code=201)
def invite(
    web: WebDep, event_id: EventId, body: InvitationCreate, x_csrf_token: CsrfHeader = None
) -> InvitationRead:
    """Invite a client of your book, or a key person for a corporate client of your book."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = gatherings.invite(session, me, event_id, party_no=body.client_no, company_no=body.company_no,
                                 channel=body.channel, now=web.now())  # fmt: skip
        return InvitationRead.of(gatherings.invitation_view(session, made))


@router.post("/client-events/{event_id}/invitations/{invitation_id}/rsvp", response_model=InvitationRead)
def rsvp(
    web: WebDep,
    event_id: EventId,
    invitation_id: InvitationId,
    body: RsvpBody,
    x_csrf_token: CsrfHeader = None,
) -> InvitationRead:
    """Record the client's answer; accepting is refused (409) when the event is full."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done = gatherings.set_rsvp(session, me, event_id, invitation_id, rsvp=body.rsvp, now=web.now())
        return InvitationRead.of(gatherings.invitation_view(session, done))


@router.post(
    "/client-events/{event_id}/invitations/{invitation_id}/attendance", response_model=InvitationRead
)
def attendance(
    web: WebDep, event_id: EventId, invitation_id: InvitationId, body: AttendanceBody,
    x_csrf_token: CsrfHeader = None,
) -> InvitationRead:  # fmt: skip
    """Record whether an accepted guest came (once the event has started)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done = gatherings.record_attendance(session, me, event_id, invitation_id, attended=body.attended,
                                            now=web.now())  # fmt: skip
        return InvitationRead.of(gatherings.invitation_view(session, done))
