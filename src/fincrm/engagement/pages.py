"""Engagement pages: my day (tasks with SLA countdown and client context; complete, snooze,
reassign) and SLA adherence. Thin handlers over the engagement services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.clients.domain import Channel
from fincrm.engagement import tasks
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
