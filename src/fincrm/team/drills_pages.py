"""Extreme-market drill pages (thin handlers over ``fincrm.team.drills``): ``/drills`` (the lead assigns;
everyone sees their drills and the training records) and ``/drills/{id}`` (the scenario, the client's
figures, the RM's answer with its automatic checks, the lead's review)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.errors import FieldError, InputError
from fincrm.team import drills
from fincrm.team import drills_domain as dd
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)


def _money(web: Web) -> Any:
    """CNY amounts kept as floats in figures, shown as the formatter shows money (Decimal, 2 places)."""
    return lambda value: web.fmt.money(Decimal(str(round(float(value), 2))))


WebDep = Annotated[Web, Depends(resolve)]
DrillId = Annotated[int, Path(ge=1, le=drills.MAX_ID)]
RECORD_DAYS = 90  # days of training records shown

LABELS: dict[str, str] = {
    dd.ASSIGNED: N_("to answer"), dd.SUBMITTED: N_("answered"), dd.REVIEWED: N_("reviewed"),
    dd.DEMO: N_("demo client"), dd.ANONYMISED: N_("anonymised client"),
    "sandwich": N_("Three parts: empathy, facts, plan"), "facts": N_("The client's figures are right"),
    "no_promise": N_("No forbidden promise"), "plan": N_("A concrete plan"),
}  # fmt: skip


def _list(web: Web, *, error: InputError | None = None, form: dict[str, str] | None = None) -> Response:
    me = web.require()
    today = web.now().date()
    with web.uow() as session:
        views = drills.list_drills(session, me)
        records = drills.drill_scores(session, me, start=today - timedelta(days=RECORD_DAYS), end=today)
    return render(web, "team/drills.html", {
        "views": views, "records": records, "library": drills.scenarios(web.settings), "dl": LABELS,
        "lead": me.role.value == "team_lead", "error": error, "form": form or {}, "record_days": RECORD_DAYS,
    }, status=422 if error else 200)  # fmt: skip


@router.get("/drills", response_class=HTMLResponse)
def drills_page(web: WebDep) -> Response:
    return _list(web)


@router.post("/drills")
def assign_page(
    web: WebDep, scenario_key: Annotated[str, Form(max_length=64)] = "", rm: Annotated[str, Form(max_length=64)] = "",
    client_kind: Annotated[str, Form(max_length=16)] = dd.DEMO, party_no: Annotated[str, Form(max_length=32)] = "",
    due_on: Annotated[str, Form(max_length=10)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    form = {
        "scenario_key": scenario_key,
        "rm": rm,
        "client_kind": client_kind,
        "party_no": party_no,
        "due_on": due_on,
    }
    try:
        try:
            due = date.fromisoformat(due_on) if due_on else None
        except ValueError:
            raise InputError("the due date must be YYYY-MM-DD",
                             errors=[FieldError(("due_on",), "not a date", due_on)]) from None  # fmt: skip
        with web.uow() as session:
            made = drills.assign_drill(session, me, web.settings, scenario_key=scenario_key, rm=rm.strip(),
                                       client_kind=client_kind, party_no=party_no.strip() or None, due_on=due,
                                       lang=web.locale, now=web.now())  # fmt: skip
            drill_id = made.id
    except InputError as exc:
        return _list(web, error=exc, form=form)
    return RedirectResponse(f"/drills/{drill_id}", status_code=303)


def _detail(
    web: Web, drill_id: int, *, error: InputError | None = None, form: dict[str, Any] | None = None
) -> Response:
    me = web.require()
    with web.uow() as session:
        v = drills.get_drill(session, me, drill_id)
    scenario = drills.scenarios(web.settings).get(v.drill.scenario_key)
    return render(web, "team/drill.html", {
        "money": _money(web),
        "v": v, "d": v.drill, "c": v.client, "f": v.figures, "s": scenario, "dl": LABELS, "error": error,
        "form": form or {}, "mine": me.user_id == v.drill.rm_id, "lead": me.role.value == "team_lead",
    }, status=422 if error else 200)  # fmt: skip


@router.get("/drills/{drill_id}", response_class=HTMLResponse)
def drill_page(web: WebDep, drill_id: DrillId) -> Response:
    return _detail(web, drill_id)


@router.post("/drills/{drill_id}/answer")
def answer_page(
    web: WebDep, drill_id: DrillId, call_notes: Annotated[str, Form(max_length=dd.ANSWER_MAX)] = "",
    message: Annotated[str, Form(max_length=dd.ANSWER_MAX)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            drills.submit_drill(session, me, drill_id, call_notes=call_notes, message=message, now=web.now())
    except InputError as exc:
        return _detail(web, drill_id, error=exc, form={"call_notes": call_notes, "message": message})
    return RedirectResponse(f"/drills/{drill_id}", status_code=303)


@router.post("/drills/{drill_id}/review")
def review_page(
    web: WebDep, drill_id: DrillId, adjustment: Annotated[str, Form(max_length=4)] = "0",
    comment: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        try:
            points = int(adjustment or "0")
        except ValueError:
            raise InputError("the adjustment is a whole number of points",
                             errors=[FieldError(("adjustment",), "not a number", adjustment)]) from None  # fmt: skip
        with web.uow() as session:
            drills.review_drill(session, me, drill_id, adjustment=points, comment=comment, now=web.now())
    except InputError as exc:
        return _detail(web, drill_id, error=exc, form={"adjustment": adjustment, "comment": comment})
    return RedirectResponse(f"/drills/{drill_id}", status_code=303)
