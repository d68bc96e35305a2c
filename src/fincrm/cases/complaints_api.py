"""Client complaints: intake, actions, the timeline and complaint rates.

JSON API of this part (thin handlers over ``cases.complaints``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.cases import complaints
from fincrm.cases.complaints_schemas import (
    AssignBody,
    ComplaintCreate,
    ComplaintDetailRead,
    ComplaintRead,
    FeedbackBody,
    RatesRead,
    ReopenBody,
    ResolutionBody,
    TextBody,
)
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["cases"])
WebDep = Annotated[Web, Depends(resolve)]
ComplaintNo = Annotated[str, Path(max_length=20, pattern=r"^TS-\d{4}-\d{6,}$")]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
RATES_DAYS = 90  # default period of the rates: the last 90 days
NOW_INCLUDED = timedelta(seconds=1)  # the default period ends just after now (its end is excluded)


@router.get("/complaints", response_model=list[ComplaintRead])
def list_complaints(
    web: WebDep,
    status: Annotated[
        str, Query(max_length=16, description="in_force, open, responded, resolved or closed")
    ] = "",
    severity: Annotated[str, Query(max_length=16)] = "",
    breached: Annotated[
        bool | None, Query(description="only breached (true) or on-time (false) ones")
    ] = None,
) -> list[ComplaintRead]:
    """Complaints of your scope with their SLA countdown, open ones first by due time."""
    me = web.require()
    with web.uow() as session:
        views = complaints.list_complaints(session, me, now=web.now(), status=status, severity=severity,
                                           breached=breached)  # fmt: skip
        return [ComplaintRead.of(v) for v in views]


@router.post("/complaints", response_model=ComplaintDetailRead, status_code=201)
def file_complaint(
    web: WebDep, body: ComplaintCreate, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """File a complaint for a client of your scope; marketing to the client is held while it is open."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = complaints.file_complaint(
            session, me, party_no=body.client_no, channel=body.channel, category=body.category,
            severity=body.severity, description=body.description, received_at=body.received_at, now=web.now(),
        )  # fmt: skip
        return ComplaintDetailRead.of_detail(
            complaints.read_complaint(session, me, made.complaint_no, now=web.now())
        )


@router.get("/complaints/rates", response_model=RatesRead)
def rates(
    web: WebDep,
    start: Annotated[
        datetime | None, Query(description="period start (default 90 days ago), with offset")
    ] = None,
    end: Annotated[
        datetime | None, Query(description="period end, excluded (default now), with offset")
    ] = None,
) -> RatesRead:
    """Complaints received per RM (and team), open, breached, resolved within SLA, per 1,000 clients."""
    me = web.require()
    now = web.now()
    with web.uow() as session:
        found = complaints.complaint_rates(session, me, start=start or now - timedelta(days=RATES_DAYS),
                                           end=end or now + NOW_INCLUDED, now=now)  # fmt: skip
        return RatesRead.of(found)


@router.get("/clients/{party_no}/complaints", response_model=list[ComplaintRead])
def client_complaints(web: WebDep, party_no: Annotated[str, Path(max_length=32)]) -> list[ComplaintRead]:
    """One client's complaints."""
    me = web.require()
    with web.uow() as session:
        return [
            ComplaintRead.of(v) for v in complaints.client_complaints(session, me, party_no, now=web.now())
        ]


@router.get("/complaints/{complaint_no}", response_model=ComplaintDetailRead)
def read_complaint(web: WebDep, complaint_no: ComplaintNo) -> ComplaintDetailRead:
    """The complaint with its SLA and timeline."""
    me = web.require()
    with web.uow() as session:
        return ComplaintDetailRead.of_detail(
            complaints.read_complaint(session, me, complaint_no, now=web.now())
        )


def _act(web: Web, complaint_no: str, csrf: str | None, action) -> ComplaintDetailRead:  # noqa: ANN001
    me = web.require()
    web.check_csrf(csrf)
    with web.uow() as session:
        action(session, me)
        return ComplaintDetailRead.of_detail(
            complaints.read_complaint(session, me, complaint_no, now=web.now())
        )


@router.post("/complaints/{complaint_no}/assign", response_model=ComplaintDetailRead)
def assign(
    web: WebDep, complaint_no: ComplaintNo, body: AssignBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """Assign to an RM or team lead of the client's book, or a compliance officer."""
    return _act(web, complaint_no, x_csrf_token,
                lambda s, me: complaints.assign(s, me, complaint_no, username=body.username, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/notes", response_model=ComplaintDetailRead, status_code=201)
def add_note(
    web: WebDep, complaint_no: ComplaintNo, body: TextBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """An internal note on the timeline."""
    return _act(web, complaint_no, x_csrf_token,
                lambda s, me: complaints.add_note(s, me, complaint_no, text=body.text, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/response", response_model=ComplaintDetailRead)
def respond(
    web: WebDep, complaint_no: ComplaintNo, body: TextBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """Record the response given to the client (the first stops the first-response clock)."""
    return _act(web, complaint_no, x_csrf_token,
                lambda s, me: complaints.respond(s, me, complaint_no, text=body.text, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/resolution", response_model=ComplaintDetailRead)
def resolve(
    web: WebDep, complaint_no: ComplaintNo, body: ResolutionBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """Resolve with a summary, remedy and any compensation; lifts the marketing hold."""
    return _act(web, complaint_no, x_csrf_token, lambda s, me: complaints.resolve(
        s, me, complaint_no, summary=body.summary, remedy=body.remedy, compensation_amount=body.compensation_amount,
        compensation_currency=body.compensation_currency, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/feedback", response_model=ComplaintDetailRead)
def feedback(
    web: WebDep, complaint_no: ComplaintNo, body: FeedbackBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """The client's feedback on a resolved complaint."""
    return _act(web, complaint_no, x_csrf_token, lambda s, me: complaints.record_feedback(
        s, me, complaint_no, satisfaction=body.satisfaction, score=body.score, comment=body.comment, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/reopen", response_model=ComplaintDetailRead)
def reopen(
    web: WebDep, complaint_no: ComplaintNo, body: ReopenBody, x_csrf_token: CsrfHeader = None
) -> ComplaintDetailRead:
    """Reopen a resolved or closed complaint; marketing is held again."""
    return _act(web, complaint_no, x_csrf_token,
                lambda s, me: complaints.reopen(s, me, complaint_no, reason=body.reason, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/close", response_model=ComplaintDetailRead)
def close(web: WebDep, complaint_no: ComplaintNo, x_csrf_token: CsrfHeader = None) -> ComplaintDetailRead:
    """Close a resolved complaint."""
    return _act(
        web, complaint_no, x_csrf_token, lambda s, me: complaints.close(s, me, complaint_no, now=web.now())
    )
