"""Engagement API (JSON): my day, task actions, SLA adherence, events in real time, rules (list,
switch, dry run), messages held for compliance. Thin: one unit of work per route."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.clients.models import Party
from fincrm.engagement import intake, service, tasks
from fincrm.engagement.schemas import (
    AdherenceRead,
    DryRunRead,
    EventCreate,
    EventRead,
    HitRead,
    MessageDecision,
    MessageRead,
    RuleRead,
    RuleSwitchBody,
    TaskComplete,
    TaskRead,
    TaskReassign,
    TaskSnooze,
)
from fincrm.engagement.tasks import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["engagement"])
WebDep = Annotated[Web, Depends(resolve)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
RuleKey = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]{1,63}$")]
MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]


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


@router.post("/events", response_model=EventRead, status_code=202)
def post_event(web: WebDep, body: EventCreate, x_csrf_token: CsrfHeader = None) -> EventRead:
    """An event from a core system (integration account): the rules it triggers make their tasks and
    messages before this returns (committed, in a group commit with the events posted meanwhile); a
    replay of the same key makes nothing new (``duplicate``)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    event = service.EventIn(body.idempotency_key, body.kind, body.client_no, body.occurred_at, body.payload)
    done = _intake(web).submit(me, event, now=web.now())
    return EventRead(event_id=done.event_id, duplicate=done.duplicate, hits=done.applied.hits,
                     tasks=done.applied.tasks, messages=done.applied.messages)  # fmt: skip


def _intake(web: Web) -> intake.EventIntake:
    workers = web.state.workers
    if "events" not in workers:
        workers.setdefault("events", intake.EventIntake(web.state.sessions, web.settings))
    return workers["events"]


@router.get("/engagement/rules", response_model=list[RuleRead])
def list_rules(web: WebDep) -> list[RuleRead]:
    """Every rule in force: shipped, the institution's file, and the switches."""
    web.require()
    with web.uow() as session:
        return [RuleRead.of(r) for r in service.rules_in_force(session, web.settings)]


@router.put("/engagement/rules/{key}", response_model=RuleRead)
def switch_rule(web: WebDep, key: RuleKey, body: RuleSwitchBody, x_csrf_token: CsrfHeader = None) -> RuleRead:
    """Turn a rule on or off (team leads and administrators)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return RuleRead.of(
            service.switch_rule(session, me, web.settings, key, enabled=body.enabled, now=web.now())
        )


@router.get("/engagement/rules/{key}/dry-run", response_model=DryRunRead)
def dry_run(web: WebDep, key: RuleKey, on: Annotated[date | None, Query()] = None) -> DryRunRead:
    """What the rule would make on a day (today by default): the count and samples from your book."""
    me = web.require()
    day = on or web.now().astimezone(ZoneInfo(web.settings.timezone)).date()
    with web.uow() as session:
        result = service.dry_run(session, me, web.settings, key, on=day)
        return DryRunRead(
            rule=RuleRead.of(result.rule), on=day.isoformat(), count=result.count,
            sample=[HitRead(client_no=h.party_no, on=h.on.isoformat(), reason_zh=h.reason_zh, reason_en=h.reason_en,
                            idempotency_key=h.idempotency_key) for h in result.sample],
        )  # fmt: skip


@router.get("/compliance/messages", response_model=list[MessageRead])
def held_messages(web: WebDep) -> list[MessageRead]:
    """Messages held by the compliance scan, oldest first (compliance)."""
    me = web.require()
    with web.uow() as session:
        return [MessageRead.of(m, no) for m, no in service.held_messages(session, me)]


@router.post("/compliance/messages/{message_id}/decision", response_model=MessageRead)
def decide(
    web: WebDep, message_id: MessageId, body: MessageDecision, x_csrf_token: CsrfHeader = None
) -> MessageRead:
    """Release a held message to be sent, or reject it, with the reason (compliance, audited)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        message = service.decide_message(session, me, message_id, approve=body.approve, reason=body.reason,
                                         now=web.now())  # fmt: skip
        return MessageRead.of(message, session.get(Party, message.party_id).party_no)
