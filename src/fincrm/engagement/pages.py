"""Engagement pages: my day (tasks with SLA countdown and client context; complete, snooze,
reassign) and SLA adherence; the rules (switch, dry run); messages held for compliance. Thin
handlers over the engagement services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.clients.domain import Channel
from fincrm.engagement import service, tasks
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
SLA_DAYS = 30  # window of the adherence panel


def _my_day(web: Web, *, error: InputError | None = None) -> Response:
    me = web.require()
    now = web.now()
    with web.uow() as session:
        views = tasks.my_day(session, me, now=now)
        adherence = tasks.sla_adherence(session, me, start=now - timedelta(days=SLA_DAYS), end=now, now=now)
    return render(
        web, "engagement/my_day.html",
        {"views": views, "adherence": adherence, "channels": [c.value for c in Channel], "error": error,
         "sla_days": SLA_DAYS, "now": now},
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/my-day", response_class=HTMLResponse)
def my_day_page(web: WebDep) -> Response:
    return _my_day(web)


def _act(web: Web, csrf_token: str, action) -> Response:  # noqa: ANN001 - a callable on the session
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except InputError as exc:
        return _my_day(web, error=exc)
    return RedirectResponse("/my-day", status_code=303)


@router.post("/tasks/{task_id}/complete")
def complete_page(
    web: WebDep, task_id: TaskId, outcome: Annotated[str, Form(max_length=2000)] = "",
    channel: Annotated[str, Form(max_length=16)] = "phone", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: tasks.complete_task(
        s, me, task_id, outcome=outcome, channel=channel, now=web.now()))  # fmt: skip


@router.post("/tasks/{task_id}/snooze")
def snooze_page(
    web: WebDep, task_id: TaskId, hours: Annotated[str, Form(max_length=6)] = "",
    reason: Annotated[str, Form(max_length=500)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def act(s, me) -> None:  # noqa: ANN001
        try:
            until: datetime = web.now() + timedelta(hours=float(hours))
        except ValueError:
            raise InputError(
                "hours must be a number", errors=[FieldError(("hours",), "not a number", hours)]
            ) from None
        tasks.snooze_task(s, me, task_id, until=until, reason=reason, now=web.now())

    return _act(web, csrf_token, act)


@router.post("/tasks/{task_id}/reassign")
def reassign_page(
    web: WebDep, task_id: TaskId, to: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(
        web, csrf_token, lambda s, me: tasks.reassign_task(s, me, task_id, to_username=to, now=web.now())
    )


# ----- rules and held messages -----------------------------------------------------------------


@router.get("/engagement/rules", response_class=HTMLResponse)
def rules_page(web: WebDep, dry_run: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The rules in force; team leads and administrators switch them; anyone sees a dry run."""
    me = web.require()
    now = web.now()
    today = now.astimezone(ZoneInfo(web.settings.timezone)).date()
    with web.uow() as session:
        in_force = service.rules_in_force(session, web.settings)
        preview = service.dry_run(session, me, web.settings, dry_run, on=today) if dry_run else None
    return render(web, "engagement/rules.html", {
        "rules": in_force, "preview": preview, "may_switch": me.role in service.RULE_ADMINS, "today": today,
    })  # fmt: skip


@router.post("/engagement/rules/{key}")
def switch_rule_page(
    web: WebDep, key: Annotated[str, Path(max_length=64)], enabled: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.switch_rule(session, me, web.settings, key, enabled=enabled == "true", now=web.now())
    return RedirectResponse("/engagement/rules", status_code=303)


@router.get("/compliance/messages", response_class=HTMLResponse)
def held_messages_page(web: WebDep) -> Response:
    me = web.require()
    with web.uow() as session:
        held = service.held_messages(session, me)
    return render(web, "engagement/held.html", {"held": held})


@router.post("/compliance/messages/{message_id}")
def decide_message_page(
    web: WebDep, message_id: Annotated[int, Path(ge=1, le=MAX_ID)], decision: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            service.decide_message(session, me, message_id, approve=decision == "release", reason=reason,
                                   now=web.now())  # fmt: skip
    except InputError as exc:
        with web.uow() as session:
            held = service.held_messages(session, me)
        return render(web, "engagement/held.html", {"held": held, "error": exc}, status=422)
    return RedirectResponse("/compliance/messages", status_code=303)
