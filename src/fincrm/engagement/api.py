"""Engagement API (JSON): my day, task actions, SLA adherence. Thin: one unit of work per route."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.engagement import tasks
from fincrm.engagement.schemas import AdherenceRead, TaskComplete, TaskRead, TaskReassign, TaskSnooze
from fincrm.engagement.tasks import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["engagement"])
WebDep = Annotated[Web, Depends(resolve)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


@router.get("/my-day", response_model=list[TaskRead])
def my_day(web: WebDep) -> list[TaskRead]:
    """Open tasks due today and overdue ones, soonest first, each with the client's context."""
    me = web.require()
    with web.uow() as session:
        return [TaskRead.of(v) for v in tasks.my_day(session, me, now=web.now())]


@router.post("/tasks/{task_id}/complete", response_model=TaskRead)
def complete(web: WebDep, task_id: TaskId, body: TaskComplete, x_csrf_token: CsrfHeader = None) -> TaskRead:
    """Close the task with its outcome (recorded as an interaction with the client)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        tasks.complete_task(session, me, task_id, outcome=body.outcome, channel=body.channel, now=web.now())
        return TaskRead.of(tasks.read_task(session, me, task_id, now=web.now()))


@router.post("/tasks/{task_id}/snooze", response_model=TaskRead)
def snooze(web: WebDep, task_id: TaskId, body: TaskSnooze, x_csrf_token: CsrfHeader = None) -> TaskRead:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        tasks.snooze_task(session, me, task_id, until=body.until, reason=body.reason, now=web.now())
        return TaskRead.of(tasks.read_task(session, me, task_id, now=web.now()))


@router.post("/tasks/{task_id}/reassign", response_model=TaskRead)
def reassign(web: WebDep, task_id: TaskId, body: TaskReassign, x_csrf_token: CsrfHeader = None) -> TaskRead:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        task = tasks.reassign_task(session, me, task_id, to_username=body.to, now=web.now())
        return TaskRead.of(tasks.view_of(session, task, now=web.now()))


@router.get("/tasks/sla", response_model=list[AdherenceRead])
def sla(web: WebDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> list[AdherenceRead]:
    """SLA adherence per RM (yours, or your team's) over the last ``days`` days."""
    me = web.require()
    now = web.now()
    with web.uow() as session:
        rows = tasks.sla_adherence(session, me, start=now - timedelta(days=days), end=now, now=now)
        return [AdherenceRead.of(a) for a in rows]
