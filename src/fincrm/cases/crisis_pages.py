"""Crisis communication pages (thin handlers over ``fincrm.cases.crisis``): ``/crisis`` (the market fall,
the clients it hit, drafts for one or all of them), ``/crisis/drafts/{id}`` (the sandwich with its
figures, edit and re-scan, send, compliance's decision, the post-crisis review, the strategy meeting's
invitation), and the client 360's crisis panel (``client_panel``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.cases import crisis
from fincrm.cases import crisis_domain as cd
from fincrm.engagement import guard
from fincrm.errors import Conflict, FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)


def _money(web: Web) -> Any:
    """CNY amounts kept as floats in figures, shown as the formatter shows money (Decimal, 2 places)."""
    return lambda value: web.fmt.money(Decimal(str(round(float(value), 2))))


WebDep = Annotated[Web, Depends(resolve)]
DraftId = Annotated[int, PathParam(ge=1, le=crisis.MAX_ID)]

LABELS: dict[str, str] = {  # statuses and actions as the pages name them
    cd.DRAFT: N_("ready to send"), cd.HELD: N_("held by the compliance scan"), cd.APPROVED: N_("approved by compliance"),
    cd.SENT: N_("sent"), cd.SUPERSEDED: N_("superseded"), cd.REJECTED: N_("rejected by compliance"),
    cd.PROPOSAL: N_("Rebalancing proposal of the portfolio lab"), "hold": N_("Hold the allocation"),
    "rebalance": N_("Rebalance to the target allocation"), "add_gradually": N_("Invest idle cash in instalments"),
    "reduce_risk": N_("Lower the equity share"), "review_meeting": N_("Meet to review the holdings"),
    "pending": N_("in the outbox"), "suppressed": N_("suppressed"), "held_message": N_("held"),
}  # fmt: skip


def _day(text: str, field: str, problems: list[FieldError]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldError((field,), "a date like 2026-06-23", text))
        return None


def _number(text: str, field: str, default: float, problems: list[FieldError]) -> float:
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        problems.append(FieldError((field,), "a number", text))
        return default


def _window(web: Web, form: dict[str, str]) -> crisis.MarketFall:
    problems: list[FieldError] = []
    start, end = _day(form["start"], "start", problems), _day(form["end"], "end", problems)
    fall_pct = _number(form["fall_pct"], "fall_pct", cd.DEFAULT_FALL_PCT, problems)
    within = _number(form["within_days"], "within_days", cd.DEFAULT_WITHIN_DAYS, problems)
    if problems:
        raise InputError("the window cannot be read", errors=problems)
    return crisis.find_fall(web.settings, series=form["series"] or "CSI300", on=crisis.business_day(web.settings, web.now()),
                            start=start, end=end, fall_pct=fall_pct, within_days=int(within))  # fmt: skip


def _crisis(web: Web, form: dict[str, str], *, error: Exception | None = None, status: int = 200) -> Response:
    me = web.require()
    fall = rows = None
    drafts: list[crisis.DraftView] = []
    try:
        fall = _window(web, form)
        with web.uow() as session:
            if me.role in crisis.WRITERS:
                min_equity = float(form["min_equity_pct"] or cd.DEFAULT_MIN_EQUITY_PCT)
                rows = crisis.affected_clients(session, me, web.settings, fall=fall, min_equity_pct=min_equity,
                                               as_of=crisis.business_day(web.settings, web.now()))  # fmt: skip
            drafts = crisis.list_drafts(session, me)[:50]
    except (InputError, ValueError) as exc:
        if error is None:
            error = exc if isinstance(exc, InputError) else InputError(str(exc))
            status = 422
    return render(web, "cases/crisis.html", {
        "money": _money(web),
        "fall": fall, "rows": rows, "drafts": drafts, "form": form, "error": error, "cl": LABELS,
        "actions": [cd.PROPOSAL, *cd.ACTIONS], "channels": guard.CHANNEL_KINDS, "writer": me.role in crisis.WRITERS,
    }, status=status)  # fmt: skip


def _form(series: str = "", start: str = "", end: str = "", fall_pct: str = "", within_days: str = "",
          min_equity_pct: str = "") -> dict[str, str]:  # fmt: skip
    return {"series": series or "CSI300", "start": start, "end": end, "fall_pct": fall_pct or f"{cd.DEFAULT_FALL_PCT:g}",
            "within_days": within_days or str(cd.DEFAULT_WITHIN_DAYS),
            "min_equity_pct": min_equity_pct or f"{cd.DEFAULT_MIN_EQUITY_PCT:g}"}  # fmt: skip


Q = Annotated[str, Query(max_length=32)]


@router.get("/crisis", response_class=HTMLResponse)
def crisis_page(web: WebDep, series: Q = "", start: Q = "", end: Q = "", fall_pct: Q = "", within_days: Q = "",
                min_equity_pct: Q = "") -> Response:  # fmt: skip
    return _crisis(web, _form(series, start, end, fall_pct, within_days, min_equity_pct))


F = Annotated[str, Form(max_length=32)]


@router.post("/crisis/drafts")
def draft_page(
    web: WebDep, party_no: F = "", series: F = "", start: F = "", end: F = "", fall_pct: F = "", within_days: F = "",
    min_equity_pct: F = "", action: F = "", channel: F = "wecom", lang: F = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """One client's draft (``party_no``) or every affected client's; then the draft, or the list."""
    me = web.require()
    web.check_csrf(csrf_token)
    form = _form(series, start, end, fall_pct, within_days, min_equity_pct)
    try:
        fall = _window(web, form)
        with web.uow() as session:
            if party_no:
                made = crisis.draft_message(session, me, web.settings, party_no.strip(), fall=fall, action=action or None,
                                            channel=channel, lang=lang or web.locale, now=web.now())  # fmt: skip
                draft_id = made.id
            else:
                crisis.draft_messages(session, me, web.settings, fall=fall, min_equity_pct=float(form["min_equity_pct"]),
                                      action=action or None, channel=channel, lang=lang or web.locale, now=web.now())  # fmt: skip
                draft_id = None
    except (InputError, Conflict) as exc:
        return _crisis(web, form, error=exc, status=409 if isinstance(exc, Conflict) else 422)
    if draft_id is None:
        query = "&".join(f"{k}={v}" for k, v in form.items() if v)
        return RedirectResponse(f"/crisis?{query}", status_code=303)
    return RedirectResponse(f"/crisis/drafts/{draft_id}", status_code=303)


def _draft(web: Web, draft_id: int, *, error: Exception | None = None, status: int = 200,
           body: str | None = None) -> Response:  # fmt: skip
    me = web.require()
    with web.uow() as session:
        v = crisis.get_draft(session, me, draft_id)
    return render(web, "cases/crisis_draft.html", {
        "v": v, "d": v.draft, "f": v.facts, "cl": LABELS, "error": error, "body": body if body is not None else v.draft.body,
        "writer": me.role in crisis.WRITERS, "compliance": me.role.value == "compliance",
        "open": v.draft.status in cd.OPEN_STATUSES, "sendable": v.draft.status in cd.SENDABLE,
    }, status=status)  # fmt: skip


@router.get("/crisis/drafts/{draft_id}", response_class=HTMLResponse)
def draft_detail(web: WebDep, draft_id: DraftId) -> Response:
    return _draft(web, draft_id)


def _act(web: Web, draft_id: int, csrf_token: str, action: Any, *, body: str | None = None) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            party_no = crisis.get_draft(session, me, draft_id).party_no
            target = action(session, me, party_no)
    except (InputError, Conflict) as exc:
        return _draft(web, draft_id, error=exc, status=409 if isinstance(exc, Conflict) else 422, body=body)
    return RedirectResponse(target or f"/crisis/drafts/{draft_id}", status_code=303)


@router.post("/crisis/drafts/{draft_id}/edit")
def edit_page(web: WebDep, draft_id: DraftId, body: Annotated[str, Form(max_length=cd.BODY_MAX)] = "",
              csrf_token: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    def edit(s: Session, me: Principal, party_no: str) -> None:
        crisis.edit_draft(s, me, web.settings, party_no, body=body, now=web.now())

    return _act(web, draft_id, csrf_token, edit, body=body)


@router.post("/crisis/drafts/{draft_id}/send")
def send_page(web: WebDep, draft_id: DraftId, csrf_token: Annotated[str, Form()] = "") -> Response:
    def send(s: Session, me: Principal, party_no: str) -> None:
        crisis.send_draft(s, me, web.settings, party_no, now=web.now())

    return _act(web, draft_id, csrf_token, send)


@router.post("/crisis/drafts/{draft_id}/decision")
def decision_page(web: WebDep, draft_id: DraftId, decision: Annotated[str, Form(max_length=8)] = "",
                  reason: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    def decide(s: Session, me: Principal, party_no: str) -> None:
        crisis.decide_draft(s, me, party_no, approve=decision == "approve", reason=reason, now=web.now())

    return _act(web, draft_id, csrf_token, decide)


@router.post("/crisis/drafts/{draft_id}/report")
def report_page(web: WebDep, draft_id: DraftId, csrf_token: Annotated[str, Form()] = "") -> Response:
    """The client's post-crisis review of the draft's window (through the reports batch), then the report."""
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        v = crisis.get_draft(session, me, draft_id)
    fall = crisis.find_fall(web.settings, series=v.draft.series, on=crisis.business_day(web.settings, web.now()),
                            start=v.draft.start_on, end=v.draft.end_on)  # fmt: skip
    try:
        outcome = crisis.post_crisis_reports(web.settings, web.state.sessions, me, fall=fall, party_nos=[v.party_no],
                                             as_of=crisis.business_day(web.settings, web.now()), lang=v.draft.lang)[0]  # fmt: skip
    except InputError as exc:
        return _draft(web, draft_id, error=exc, status=422)
    if outcome.report_id is None:
        return _draft(web, draft_id, error=InputError(outcome.error), status=422)
    return RedirectResponse(f"/reports/{outcome.report_id}", status_code=303)


@router.post("/crisis/drafts/{draft_id}/meeting")
def meeting_page(
    web: WebDep, draft_id: DraftId, title_zh: Annotated[str, Form(max_length=200)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "", starts_at: Annotated[str, Form(max_length=32)] = "",
    venue: Annotated[str, Form(max_length=200)] = "", capacity: Annotated[str, Form(max_length=6)] = "30",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Invite the draft's client to a new closed-door strategy meeting, then the event's page."""

    def invite(s: Session, me: Principal, party_no: str) -> str:
        problems = []
        try:
            when: datetime | None = datetime.fromisoformat(starts_at).replace(tzinfo=web.settings.tz)
        except ValueError:
            when = None
            problems.append(FieldError(("starts_at",), "a date and time like 2026-07-10T15:00", starts_at))
        if not capacity.isdigit():
            problems.append(FieldError(("capacity",), "a whole number of seats", capacity))
        if problems:
            raise InputError("the meeting cannot be planned as given", errors=problems)
        done = crisis.invite_to_meeting(s, me, party_nos=[party_no], now=web.now(), title_zh=title_zh,
                                        title_en=title_en, starts_at=when, venue=venue, capacity=int(capacity))  # fmt: skip
        return f"/events/{done.event_id}"

    return _act(web, draft_id, csrf_token, invite)


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's crisis panel: the client's crisis drafts and their status (RMs, leads, compliance)."""
    drafts = crisis.client_drafts(session, me, party_no)[:5] if me.reads_client_data else []
    return "cases/crisis_panel.html", {"drafts": drafts, "cl": LABELS}
