"""Crisis communication: the market fall, affected clients, sandwich drafts, post-crisis reports and the
strategy meeting.

JSON API (thin handlers over ``fincrm.cases.crisis``). A client's open draft is addressed through the
client: ``/clients/{party_no}/crisis-draft`` (one open draft per client)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.cases import crisis
from fincrm.cases import crisis_domain as cd
from fincrm.cases.crisis_schemas import (
    AffectedPage,
    AffectedRead,
    BatchCreate,
    DecisionBody,
    DraftCreate,
    DraftEdit,
    DraftRead,
    FallRead,
    MeetingCreate,
    MeetingRead,
    ReportOutcomeRead,
    ReportsCreate,
    WindowBody,
)
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["cases"])
WebDep = Annotated[Web, Depends(resolve)]
PartyNo = Annotated[str, Path(max_length=32)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


def _fall(web: Web, w: WindowBody) -> crisis.MarketFall:
    return crisis.find_fall(web.settings, series=w.series, on=crisis.business_day(web.settings, web.now()), start=w.start,
                            end=w.end, fall_pct=w.fall_pct, within_days=w.within_days)  # fmt: skip


@router.get("/crisis/fall", response_model=FallRead)
def fall(
    web: WebDep, series: Annotated[str, Query(min_length=1, max_length=32)] = "CSI300",
    fall_pct: Annotated[float, Query(gt=0, lt=100)] = cd.DEFAULT_FALL_PCT,
    within_days: Annotated[int, Query(ge=1, le=250)] = cd.DEFAULT_WITHIN_DAYS,
) -> FallRead:  # fmt: skip
    """The fall of the series going on at the latest close (market data only)."""
    web.require()
    return FallRead.of(_fall(web, WindowBody(series=series, fall_pct=fall_pct, within_days=within_days)))


@router.get("/crisis/affected", response_model=AffectedPage)
def affected(
    web: WebDep, series: Annotated[str, Query(min_length=1, max_length=32)] = "CSI300", start: date | None = None,
    end: date | None = None, fall_pct: Annotated[float, Query(gt=0, lt=100)] = cd.DEFAULT_FALL_PCT,
    within_days: Annotated[int, Query(ge=1, le=250)] = cd.DEFAULT_WITHIN_DAYS,
    min_equity_pct: Annotated[float, Query(ge=0, le=100)] = cd.DEFAULT_MIN_EQUITY_PCT,
) -> AffectedPage:  # fmt: skip
    """Clients of your book with at least ``min_equity_pct`` percent in equity, with their drawdown
    over the window (the latest fall in the lake unless start and end are given)."""
    me = web.require()
    w = WindowBody(series=series, start=start, end=end, fall_pct=fall_pct, within_days=within_days)
    with web.uow() as session:
        found = _fall(web, w)
        rows = crisis.affected_clients(session, me, web.settings, fall=found, min_equity_pct=min_equity_pct,
                                       as_of=crisis.business_day(web.settings, web.now()))  # fmt: skip
        return AffectedPage(fall=FallRead.of(found), min_equity_pct=min_equity_pct,
                            clients=[AffectedRead.of(a) for a in rows])  # fmt: skip


@router.post("/crisis/drafts", response_model=list[DraftRead], status_code=201)
def draft_batch(web: WebDep, body: BatchCreate, x_csrf_token: CsrfHeader = None) -> list[DraftRead]:
    """A sandwich draft for every affected client of your book (or the clients named), scanned."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = crisis.draft_messages(
            session, me, web.settings, fall=_fall(web, body), min_equity_pct=body.min_equity_pct,
            party_nos=body.client_nos, action=body.action, channel=body.channel, lang=body.lang, now=web.now(),
        )  # fmt: skip
        return [DraftRead.of(crisis.view(session, d)) for d in made.drafts]


@router.get("/crisis/drafts", response_model=list[DraftRead])
def list_drafts(web: WebDep, status: Annotated[str, Query(max_length=16)] = "") -> list[DraftRead]:
    """Crisis drafts of the clients you may read, newest first (compliance: every client)."""
    me = web.require()
    with web.uow() as session:
        return [DraftRead.of(v) for v in crisis.list_drafts(session, me, status=status)]


@router.post("/clients/{party_no}/crisis-drafts", response_model=DraftRead, status_code=201)
def create_draft(
    web: WebDep, party_no: PartyNo, body: DraftCreate, x_csrf_token: CsrfHeader = None
) -> DraftRead:
    """Write the client's sandwich draft (an open one is superseded) and scan it."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = crisis.draft_message(session, me, web.settings, party_no, fall=_fall(web, body), action=body.action,
                                    channel=body.channel, lang=body.lang, now=web.now())  # fmt: skip
        return DraftRead.of(crisis.view(session, made))


@router.get("/clients/{party_no}/crisis-drafts", response_model=list[DraftRead])
def client_drafts(web: WebDep, party_no: PartyNo) -> list[DraftRead]:
    me = web.require()
    with web.uow() as session:
        return [DraftRead.of(v) for v in crisis.client_drafts(session, me, party_no)]


@router.get("/clients/{party_no}/crisis-draft", response_model=DraftRead)
def read_open(web: WebDep, party_no: PartyNo) -> DraftRead:
    """The client's open draft (draft, held or approved)."""
    me = web.require()
    with web.uow() as session:
        return DraftRead.of(crisis.view(session, crisis.open_draft(session, me, party_no)))


@router.put("/clients/{party_no}/crisis-draft", response_model=DraftRead)
def edit_open(web: WebDep, party_no: PartyNo, body: DraftEdit, x_csrf_token: CsrfHeader = None) -> DraftRead:
    """Replace the open draft's text; it is scanned again (a finding holds it)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done = crisis.edit_draft(session, me, web.settings, party_no, body=body.body, now=web.now())
        return DraftRead.of(crisis.view(session, done))


@router.post("/clients/{party_no}/crisis-draft/send", response_model=DraftRead)
def send_open(web: WebDep, party_no: PartyNo, x_csrf_token: CsrfHeader = None) -> DraftRead:
    """Put the open draft in the outbox as a service message (refused while held)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done, _ = crisis.send_draft(session, me, web.settings, party_no, now=web.now())
        return DraftRead.of(crisis.view(session, done))


@router.post("/clients/{party_no}/crisis-draft/decision", response_model=DraftRead)
def decide_open(
    web: WebDep, party_no: PartyNo, body: DecisionBody, x_csrf_token: CsrfHeader = None
) -> DraftRead:
    """Compliance approves a held draft to be sent as it stands, or rejects it."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done = crisis.decide_draft(
            session, me, party_no, approve=body.approve, reason=body.reason, now=web.now()
        )
        return DraftRead.of(crisis.view(session, done))


@router.post("/crisis/reports", response_model=list[ReportOutcomeRead])
def reports(web: WebDep, body: ReportsCreate, x_csrf_token: CsrfHeader = None) -> list[ReportOutcomeRead]:
    """The post-crisis review of the window for each client named, through the reports batch."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    outcomes = crisis.post_crisis_reports(
        web.settings, web.state.sessions, me, fall=_fall(web, body), party_nos=list(dict.fromkeys(body.client_nos)),
        as_of=crisis.business_day(web.settings, web.now()), lang=body.lang,
    )  # fmt: skip
    return [
        ReportOutcomeRead(client_no=o.party_no, report_id=o.report_id, pages=o.pages, error=o.error)
        for o in outcomes
    ]


@router.post("/crisis/meetings", response_model=MeetingRead, status_code=201)
def meeting(web: WebDep, body: MeetingCreate, x_csrf_token: CsrfHeader = None) -> MeetingRead:
    """Invite clients to a closed-door strategy meeting (a new one, or the event given); RSVP is
    tracked by the client events."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        done = crisis.invite_to_meeting(
            session, me, party_nos=list(dict.fromkeys(body.client_nos)), now=web.now(), event_id=body.event_id,
            title_zh=body.title_zh, title_en=body.title_en, starts_at=body.starts_at, venue=body.venue,
            capacity=body.capacity, channel=body.channel,
        )  # fmt: skip
        return MeetingRead(event_id=done.event_id, invited=done.invited, already=done.already)
