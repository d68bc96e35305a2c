"""Client events (salons, forums, closed-door meetings) with invitation lists, RSVP and attendance; key-person coverage of corporate clients and gap tasks.

Pages of this part (thin handlers over its services): ``/events`` (list, create), ``/events/{id}``
(invitation list, invite form, suggestions, RSVP and attendance), ``/coverage`` (each company's
decision maker and operator with the last contact and the gap status; make gap tasks), and the
client 360's key-person panel (``client_panel``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.clients.domain import Channel
from fincrm.engagement import gatherings
from fincrm.engagement import gatherings_domain as gd
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import Conflict, FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
EventId = Annotated[int, Path(ge=1, le=MAX_ID)]
InvitationId = Annotated[int, Path(ge=1, le=MAX_ID)]

LABELS: dict[str, str] = {  # statuses, answers, layers and audiences as the pages name them
    gd.PLANNED: N_("planned"), gd.OPEN: N_("open for invitations"), gd.CLOSED: N_("closed"),
    gd.PENDING: N_("no answer yet"), gd.ACCEPTED: N_("accepted"), gd.DECLINED: N_("declined"),
    gd.COVERED: N_("covered"), gd.DUE: N_("contact due"), gd.GAP: N_("gap"),
    gd.DECISION: N_("Decision maker"), gd.OPERATING: N_("Operator"),
    "operators": N_("Operators (CFO, operator) of corporate clients"),
    "decision_makers": N_("Decision makers (chairman, decision maker) of corporate clients"),
    "tier:hnw": N_("High-net-worth clients"), "tier:mass": N_("Mass clients"), "tier:long_tail": N_("Long-tail clients"),
    "tax_salon": N_("Tax salon"), "capital_forum": N_("Capital forum"),
    "strategy_meeting": N_("Closed-door strategy meeting"), "client_salon": N_("Client salon"),
}  # fmt: skip


def _events(web: Web, *, error: InputError | None = None, form: dict | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        views = gatherings.list_events(session, me, now=web.now())
    return render(web, "engagement/events.html", {
        "views": views, "gl": LABELS, "kinds": list(gd.EVENT_KIND_LABELS), "now": web.now(),
        "may_organise": me.role in gatherings.ORGANISERS, "error": error, "form": form or {},
    }, status=422 if error else 200)  # fmt: skip


@router.get("/events", response_class=HTMLResponse)
def events_page(web: WebDep) -> Response:
    return _events(web)


def _local_datetime(web: Web, text: str, problems: list[FieldError]) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=web.settings.tz)
    except ValueError:
        problems.append(FieldError(("starts_at",), "a date and time like 2026-12-10T14:00", text))
        return None


@router.post("/events")
def create_event_page(
    web: WebDep, kind: Annotated[str, Form(max_length=32)] = "", title_zh: Annotated[str, Form(max_length=200)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "", starts_at: Annotated[str, Form(max_length=32)] = "",
    venue: Annotated[str, Form(max_length=200)] = "", capacity: Annotated[str, Form(max_length=6)] = "",
    audience: Annotated[str, Form(max_length=500)] = "", status: Annotated[str, Form(max_length=16)] = gd.PLANNED,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    form = {"kind": kind, "title_zh": title_zh, "title_en": title_en, "starts_at": starts_at, "venue": venue,
            "capacity": capacity, "audience": audience, "status": status}  # fmt: skip
    problems: list[FieldError] = []
    when = _local_datetime(web, starts_at, problems)
    seats = int(capacity) if capacity.isdigit() else None
    if seats is None:
        problems.append(FieldError(("capacity",), "a whole number of seats", capacity))
    try:
        if problems or when is None or seats is None:
            raise InputError("the event cannot be created as given", errors=problems)
        with web.uow() as session:
            event = gatherings.create_event(
                session, me, kind=kind, title_zh=title_zh, title_en=title_en, starts_at=when, venue=venue,
                capacity=seats, audience=audience, status=status, now=web.now(),
            )  # fmt: skip
            event_id = event.id
    except InputError as exc:
        return _events(web, error=exc, form=form)
    return RedirectResponse(f"/events/{event_id}", status_code=303)


def _detail(web: Web, event_id: int, *, audience: str = "", error: Exception | None = None) -> Response:
    me = web.require()
    organiser = me.role in gatherings.ORGANISERS
    with web.uow() as session:
        detail = gatherings.read_event(session, me, event_id)
        chosen, found = (gatherings.suggestions(session, me, event_id, audience=audience)
                         if organiser and detail.view.event.status != gd.CLOSED else (audience, []))  # fmt: skip
    return render(web, "engagement/events_detail.html", {
        "d": detail, "e": detail.view.event, "gl": LABELS, "audience": chosen, "audiences": list(gd.AUDIENCES),
        "suggestions": found, "channels": [c.value for c in Channel], "may_organise": organiser,
        "started": web.now() >= detail.view.event.starts_at, "moves": gd.STATUS_MOVES[detail.view.event.status],
        "error": error,
    }, status=(409 if isinstance(error, Conflict) else 422) if error else 200)  # fmt: skip


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    web: WebDep, event_id: EventId, audience: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    if audience and audience not in gd.AUDIENCES:
        audience = ""
    return _detail(web, event_id, audience=audience)


def _act(web: Web, event_id: int, csrf_token: str, action: Any) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except (InputError, Conflict) as exc:
        return _detail(web, event_id, error=exc)
    return RedirectResponse(f"/events/{event_id}", status_code=303)


@router.post("/events/{event_id}/status")
def status_page(
    web: WebDep, event_id: EventId, status: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, event_id, csrf_token,
                lambda s, me: gatherings.set_event_status(s, me, event_id, status=status, now=web.now()))  # fmt: skip


@router.post("/events/{event_id}/invitations")
def invite_page(
    web: WebDep, event_id: EventId, party_no: Annotated[str, Form(max_length=32)] = "",
    company_no: Annotated[str, Form(max_length=32)] = "", channel: Annotated[str, Form(max_length=16)] = "phone",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, event_id, csrf_token, lambda s, me: gatherings.invite(
        s, me, event_id, party_no=party_no.strip(), company_no=company_no.strip() or None, channel=channel,
        now=web.now(), source="suggestion" if company_no else "manual"))  # fmt: skip


@router.post("/events/{event_id}/invitations/{invitation_id}/rsvp")
def rsvp_page(
    web: WebDep, event_id: EventId, invitation_id: InvitationId, rsvp: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, event_id, csrf_token, lambda s, me: gatherings.set_rsvp(
        s, me, event_id, invitation_id, rsvp=rsvp, now=web.now()))  # fmt: skip


@router.post("/events/{event_id}/invitations/{invitation_id}/attendance")
def attendance_page(
    web: WebDep, event_id: EventId, invitation_id: InvitationId, attended: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, event_id, csrf_token, lambda s, me: gatherings.record_attendance(
        s, me, event_id, invitation_id, attended=attended == "yes", now=web.now()))  # fmt: skip


# ----- coverage ---------------------------------------------------------------------------------


def _coverage(web: Web, *, status: str = "", made: gatherings.GapTasks | None = None) -> Response:
    me = web.require()
    if status not in ("", gd.GAP, gd.DUE, gd.COVERED):
        status = ""
    with web.uow() as session:
        rows = gatherings.coverage(session, me, now=web.now(), tz=web.settings.tz, status=status)
        summary = gatherings.coverage_summary(session, rows)
    return render(web, "engagement/coverage.html", {
        "rows": rows, "summary": summary, "gl": LABELS, "status": status, "made": made,
        "may_make_tasks": me.role in gatherings.ORGANISERS, "layers": gd.LAYERS,
        "thresholds": gd.THRESHOLD_DAYS, "today": web.now().astimezone(web.settings.tz).date(),
    })  # fmt: skip


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(web: WebDep, status: Annotated[str, Query(max_length=8)] = "") -> Response:
    return _coverage(web, status=status)


@router.post("/coverage/gap-tasks", response_class=HTMLResponse)
def gap_tasks_page(web: WebDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        made = gatherings.make_gap_tasks(session, me, now=web.now(), tz=web.settings.tz)
    return _coverage(web, status=gd.GAP, made=made)


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's key-person panel: a corporate client's decision maker and operator with the last
    contact of each and the gap status (nothing for an individual)."""
    found = gatherings.client_coverage(session, me, party_no, now=web.now(), tz=web.settings.tz)
    return "engagement/_coverage_panel.html", {"c": found, "gl": LABELS, "layers": gd.LAYERS}
