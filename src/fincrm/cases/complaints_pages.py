"""Client complaints: intake, actions, the timeline and complaint rates.

Pages of this part (thin handlers over ``cases.complaints``): ``/complaints`` (list with the SLA
countdown, filters, complaint rates), ``/complaints/new`` (intake, also from the client 360),
``/complaints/{no}`` (timeline and actions), and the client 360's complaints panel
(``client_panel``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.cases import complaints
from fincrm.cases import complaints_domain as cd
from fincrm.errors import FieldError, InputError, PermissionDenied
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
RATES_DAYS = 90  # the page's complaint rates cover the last 90 days

LABELS: dict[str, str] = {  # the complaint vocabulary as the pages name it
    "branch": N_("Branch"), "phone": N_("Phone"), "app": N_("Mobile app"), "wecom": N_("WeCom"),
    "email": N_("Email"), "letter": N_("Letter"), "regulator_referral": N_("Regulator referral"),
    "mis_selling": N_("Product mis-selling"), "service_attitude": N_("Service attitude"), "fees": N_("Fees"),
    "system_error": N_("System or transaction error"), "disclosure": N_("Information disclosure"),
    "other": N_("Other"),
    "low": N_("Low"), "medium": N_("Medium"), "high": N_("High"), "critical": N_("Critical"),
    cd.OPEN: N_("Open"), cd.RESPONDED: N_("Responded"), cd.RESOLVED: N_("Resolved"), cd.CLOSED: N_("Closed"),
    "in_force": N_("Open or responded"),
    cd.INTAKE: N_("Received"), cd.ASSIGNED: N_("Assigned"), cd.NOTE: N_("Note"), cd.RESPONSE: N_("Response"),
    cd.ESCALATED: N_("Escalated"), cd.FEEDBACK: N_("Client feedback"), cd.REOPENED: N_("Reopened"),
    "satisfied": N_("Satisfied"), "partly": N_("Partly satisfied"), "not_satisfied": N_("Not satisfied"),
}  # fmt: skip


def _page(web: Web, *, status: str = "", severity: str = "", breached: str = "") -> Response:
    me = web.require()
    status = status if status in (*cd.STATUSES, "in_force") else ""
    severity = severity if severity in cd.SEVERITIES else ""
    flag = {"yes": True, "no": False}.get(breached)
    now = web.now()
    with web.uow() as session:
        views = complaints.list_complaints(
            session, me, now=now, status=status, severity=severity, breached=flag
        )
        rates = complaints.complaint_rates(
            session,
            me,
            start=now - timedelta(days=RATES_DAYS),
            end=now + timedelta(seconds=1),
            now=now,  # now included
        )
    return render(web, "cases/complaints.html", {
        "views": views, "rates": rates, "cl": LABELS, "status": status, "severity": severity,
        "breached": breached if flag is not None else "", "statuses": ("in_force", *cd.STATUSES),
        "severities": cd.SEVERITIES, "categories": cd.CATEGORIES, "days": RATES_DAYS,
    })  # fmt: skip


@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(
    web: WebDep, status: Annotated[str, Query(max_length=16)] = "", severity: Annotated[str, Query(max_length=16)] = "",
    breached: Annotated[str, Query(max_length=3)] = "",
) -> Response:  # fmt: skip
    return _page(web, status=status, severity=severity, breached=breached)


def _intake(web: Web, *, form: dict[str, str], error: InputError | None = None) -> Response:
    me = web.require()
    if me.role not in complaints.HANDLERS:
        raise PermissionDenied("only relationship managers, team leads and compliance handle complaints")
    return render(web, "cases/complaint_new.html", {
        "form": form, "error": error, "cl": LABELS, "channels": cd.CHANNELS, "categories": cd.CATEGORIES,
        "severities": cd.SEVERITIES, "sla": cd.SLA_HOURS,
    }, status=422 if error else 200)  # fmt: skip


@router.get("/complaints/new", response_class=HTMLResponse)
def new_complaint_page(web: WebDep, client: Annotated[str, Query(max_length=32)] = "") -> Response:
    return _intake(web, form={"client_no": client, "channel": "phone", "category": "", "severity": "medium"})


def _local(web: Web, text: str, problems: list[FieldError]) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=web.settings.tz)
    except ValueError:
        problems.append(FieldError(("received_at",), "a date and time like 2026-11-29T09:30", text))
        return None


@router.post("/complaints")
def file_complaint_page(
    web: WebDep, client_no: Annotated[str, Form(max_length=32)] = "", channel: Annotated[str, Form(max_length=24)] = "",
    category: Annotated[str, Form(max_length=24)] = "", severity: Annotated[str, Form(max_length=16)] = "",
    description: Annotated[str, Form(max_length=cd.DESCRIPTION_MAX)] = "",
    received_at: Annotated[str, Form(max_length=32)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    form = {"client_no": client_no, "channel": channel, "category": category, "severity": severity,
            "description": description, "received_at": received_at}  # fmt: skip
    problems: list[FieldError] = []
    when = _local(web, received_at, problems)
    try:
        if problems:
            raise InputError("the complaint cannot be filed as given", errors=problems)
        with web.uow() as session:
            made = complaints.file_complaint(
                session, me, party_no=client_no.strip(), channel=channel, category=category, severity=severity,
                description=description, received_at=when, now=web.now(),
            )  # fmt: skip
            number = made.complaint_no
    except InputError as exc:
        return _intake(web, form=form, error=exc)
    return RedirectResponse(f"/complaints/{number}", status_code=303)


def _detail(web: Web, complaint_no: str, *, error: InputError | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        detail = complaints.read_complaint(session, me, complaint_no, now=web.now())
    c = detail.view.complaint
    return render(web, "cases/complaint_detail.html", {
        "d": detail, "c": c, "v": detail.view, "cl": LABELS, "error": error, "satisfaction": cd.SATISFACTION,
        "may": {step: cd.move_problem(step, c.status) is None for step in cd.MOVES},
    }, status=422 if error else 200)  # fmt: skip


@router.get("/complaints/{complaint_no}", response_class=HTMLResponse)
def complaint_page(web: WebDep, complaint_no: str) -> Response:
    return _detail(web, complaint_no)


def _act(web: Web, complaint_no: str, csrf_token: str, action: Any) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except InputError as exc:
        return _detail(web, complaint_no, error=exc)
    return RedirectResponse(f"/complaints/{complaint_no}", status_code=303)


@router.post("/complaints/{complaint_no}/assign")
def assign_page(
    web: WebDep, complaint_no: str, username: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, complaint_no, csrf_token,
                lambda s, me: complaints.assign(s, me, complaint_no, username=username.strip(), now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/notes")
def note_page(
    web: WebDep, complaint_no: str, text: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, complaint_no, csrf_token,
                lambda s, me: complaints.add_note(s, me, complaint_no, text=text, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/response")
def response_page(
    web: WebDep, complaint_no: str, text: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, complaint_no, csrf_token,
                lambda s, me: complaints.respond(s, me, complaint_no, text=text, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/resolution")
def resolution_page(
    web: WebDep, complaint_no: str, summary: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "",
    remedy: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "", compensation_amount: Annotated[str, Form(max_length=20)] = "",
    compensation_currency: Annotated[str, Form(max_length=3)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, complaint_no, csrf_token, lambda s, me: complaints.resolve(
        s, me, complaint_no, summary=summary, remedy=remedy, compensation_amount=compensation_amount,
        compensation_currency=compensation_currency if compensation_amount.strip() else None, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/feedback")
def feedback_page(
    web: WebDep, complaint_no: str, satisfaction: Annotated[str, Form(max_length=16)] = "",
    score: Annotated[str, Form(max_length=2)] = "", comment: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    value = int(score) if score.isdigit() else 0
    return _act(web, complaint_no, csrf_token, lambda s, me: complaints.record_feedback(
        s, me, complaint_no, satisfaction=satisfaction, score=value, comment=comment, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/reopen")
def reopen_page(
    web: WebDep, complaint_no: str, reason: Annotated[str, Form(max_length=cd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, complaint_no, csrf_token,
                lambda s, me: complaints.reopen(s, me, complaint_no, reason=reason, now=web.now()))  # fmt: skip


@router.post("/complaints/{complaint_no}/close")
def close_page(web: WebDep, complaint_no: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _act(
        web, complaint_no, csrf_token, lambda s, me: complaints.close(s, me, complaint_no, now=web.now())
    )


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's complaints panel: the client's complaints with their SLA and a link to file one
    (nothing for a role that handles no complaints)."""
    if me.role not in complaints.HANDLERS:
        return "cases/complaints_client_panel.html", {"views": None}
    views = complaints.client_complaints(session, me, party_no, now=web.now())
    return "cases/complaints_client_panel.html", {"views": views, "party_no": party_no, "cl": LABELS}
