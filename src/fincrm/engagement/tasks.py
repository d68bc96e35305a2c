"""The RM's tasks: my day (due and overdue, with the client's context), complete with an outcome
(which becomes an interaction), snooze with a reason, reassign, and SLA adherence.

Each function takes the session and the acting principal and changes state in the caller's
transaction, audited there. A task is the RM's own (assignee) or, for a team lead, the team's.
SLA: a task is on time when completed at or before ``due_at``; adherence is on-time completions
over tasks due in the period (open overdue ones count as missed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.domain import Channel, Direction
from fincrm.clients.models import Interaction, MemoryPoint, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientSignal, ProfileVersion
from fincrm.clients.repository import readable_parties
from fincrm.engagement.models import CANCELLED, DONE, OPEN, Task
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied

MAX_ID = 2**63 - 1
MY_DAY_HORIZON = timedelta(days=1)  # tasks due within this are on today's list
MAX_SNOOZE = timedelta(days=30)
OUTCOME_MAX = 2000  # characters
CONTEXT_MEMORY_POINTS = 3
CONTEXT_CONTACTS = 3


@dataclass(frozen=True)
class TaskView:
    task: Task
    party_no: str
    client_name: str
    assignee: str
    overdue: bool
    minutes_left: int  # negative when overdue
    memory_points: list[str]
    last_contacts: list[tuple[datetime, str, str]]  # (when, channel, summary)
    signals: list[str]  # open signal kinds of the current batch version


def _visible(principal: Principal) -> Any:
    """Which tasks the principal works on: an RM their own, a team lead the team's."""
    if principal.role is Role.RM:
        return Task.assignee_id == principal.user_id
    if principal.role is Role.TEAM_LEAD:
        team = select(User.id).where(User.team_id == select(User.team_id).where(User.id == principal.user_id)
                                     .scalar_subquery())  # fmt: skip
        return Task.assignee_id.in_(team)
    raise PermissionDenied("only relationship managers and team leads have tasks")


def my_day(session: Session, principal: Principal, *, now: datetime) -> list[TaskView]:
    """Open tasks due by the end of the horizon (and overdue ones), soonest first, with context."""
    horizon = now + MY_DAY_HORIZON
    stmt: Select = (
        select(Task, Party, User.username)
        .join(Party, Party.id == Task.party_id)
        .join(User, User.id == Task.assignee_id)
        .where(_visible(principal), Task.status == OPEN, Task.due_at <= horizon)
        .where((Task.snoozed_until.is_(None)) | (Task.snoozed_until <= now))
        .order_by(Task.due_at, Task.priority, Task.id)
    )
    return _views(session, session.execute(stmt).all(), now)


def read_task(session: Session, principal: Principal, task_id: int, *, now: datetime) -> TaskView:
    """One of the principal's tasks, whatever its status, with the client's context."""
    return view_of(session, _task(session, principal, task_id), now=now)


def view_of(session: Session, task: Task, *, now: datetime) -> TaskView:
    """A task the caller already holds (e.g. just reassigned away), with the client's context."""
    row = session.execute(
        select(Task, Party, User.username)
        .join(Party, Party.id == Task.party_id)
        .join(User, User.id == Task.assignee_id)
        .where(Task.id == task.id)
    ).one()
    return _views(session, [row], now)[0]


def _views(session: Session, rows: Any, now: datetime) -> list[TaskView]:
    party_ids = sorted({party.id for _, party, _ in rows})
    memory: dict[int, list[str]] = {}
    for point in session.scalars(
        select(MemoryPoint)
        .where(MemoryPoint.party_id.in_(party_ids))
        .order_by(MemoryPoint.recorded_at.desc())
    ):
        memory.setdefault(point.party_id, []).append(point.text)
    contacts: dict[int, list[tuple[datetime, str, str]]] = {}
    for it in session.scalars(
        select(Interaction)
        .where(Interaction.party_id.in_(party_ids))
        .order_by(Interaction.occurred_at.desc())
    ):
        bucket = contacts.setdefault(it.party_id, [])
        if len(bucket) < CONTEXT_CONTACTS:
            bucket.append((it.occurred_at, str(it.channel), it.summary))
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    signals: dict[int, list[str]] = {}
    if version is not None:
        for sig in session.scalars(
            select(ClientSignal).where(
                ClientSignal.version_id == version, ClientSignal.party_id.in_(party_ids)
            )
        ):
            signals.setdefault(sig.party_id, []).append(str(sig.kind))
    out = []
    for task, party, username in rows:
        left = int((task.due_at - now).total_seconds() // 60)
        out.append(TaskView(
            task=task, party_no=party.party_no, client_name=party.name, assignee=username, overdue=left < 0,
            minutes_left=left, memory_points=memory.get(party.id, [])[:CONTEXT_MEMORY_POINTS],
            last_contacts=contacts.get(party.id, []), signals=sorted(set(signals.get(party.id, []))),
        ))  # fmt: skip
    return out


def _task(session: Session, principal: Principal, task_id: int) -> Task:
    if not 1 <= task_id <= MAX_ID:
        raise NotFound(f"no task {task_id}")
    task = session.scalars(select(Task).where(Task.id == task_id, _visible(principal))).one_or_none()
    if task is None:
        raise NotFound(f"no task {task_id} among yours")
    return task


def _open(task: Task) -> None:
    if task.status != OPEN:
        raise InputError(f"task {task.id} is {task.status}, not open",
                         errors=[FieldError(("task",), "not open", task.status)])  # fmt: skip


def complete_task(
    session: Session, principal: Principal, task_id: int, *, outcome: str, channel: str, now: datetime
) -> Task:
    """Close a task with its outcome; the contact is recorded as an interaction with the client."""
    task = _task(session, principal, task_id)
    _open(task)
    problems = []
    if not outcome.strip():
        problems.append(FieldError(("outcome",), "say what happened", outcome))
    if len(outcome) > OUTCOME_MAX:
        problems.append(FieldError(("outcome",), f"at most {OUTCOME_MAX} characters", outcome[:80]))
    if channel not in {c.value for c in Channel}:
        problems.append(FieldError(("channel",), f"one of {', '.join(c.value for c in Channel)}", channel))
    if problems:
        raise InputError("the task cannot be completed as given", errors=problems)
    interaction = Interaction(
        party_id=task.party_id, user_id=principal.user_id, occurred_at=now, channel=Channel(channel),
        direction=Direction.OUTBOUND, purpose=(task.rule_key or "task")[:50], summary=task.title_zh,
        outcome=outcome.strip()[:200],
    )  # fmt: skip
    session.add(interaction)
    session.flush()
    task.status, task.completed_at, task.outcome, task.interaction_id = (
        DONE,
        now,
        outcome.strip(),
        interaction.id,
    )
    audit.append(session, principal, "task.complete", at=now, party_id=task.party_id,
                 detail=f"task {task.id} ({task.rule_key}): {'on time' if now <= task.due_at else 'late'}")  # fmt: skip
    return task


def snooze_task(
    session: Session, principal: Principal, task_id: int, *, until: datetime, reason: str, now: datetime
) -> Task:
    """Hide a task from my day until ``until`` (at most 30 days), with the reason; the SLA is unchanged."""
    task = _task(session, principal, task_id)
    _open(task)
    problems = []
    if not reason.strip():
        problems.append(FieldError(("reason",), "say why", reason))
    if not now < until <= now + MAX_SNOOZE:
        problems.append(FieldError(("until",), "must be in the next 30 days", until.isoformat()))
    if problems:
        raise InputError("the task cannot be snoozed as given", errors=problems)
    task.snoozed_until, task.snooze_reason = until, reason.strip()
    audit.append(session, principal, "task.snooze", at=now, party_id=task.party_id,
                 detail=f"task {task.id} until {until.isoformat()}: {reason.strip()[:200]}")  # fmt: skip
    return task


def reassign_task(
    session: Session, principal: Principal, task_id: int, *, to_username: str, now: datetime
) -> Task:
    """Give a task to another active RM or team lead who may read the client (so nobody is handed
    a client outside their book)."""
    task = _task(session, principal, task_id)
    _open(task)
    current = session.get(User, task.assignee_id)
    target = session.scalars(select(User).where(User.username == to_username)).one_or_none()
    allowed = False
    if target is not None and target.is_active and str(target.role) in (Role.RM.value, Role.TEAM_LEAD.value):
        reader = principal_of(target)
        allowed = session.scalar(
            select(Party.id).where(Party.id == task.party_id, readable_parties(reader))
        ) is not None  # fmt: skip
    if not allowed or target is None:
        raise InputError(f"{to_username!r} is not an active RM or team lead who may read this client",
                         errors=[FieldError(("to",), "may not take this client's task", to_username)])  # fmt: skip
    before = current.username
    task.assignee_id = target.id
    audit.append(session, principal, "task.reassign", at=now, party_id=task.party_id,
                 detail=f"task {task.id}: {before} -> {target.username}")  # fmt: skip
    return task


def cancel_task(session: Session, principal: Principal, task_id: int, *, reason: str, now: datetime) -> Task:
    task = _task(session, principal, task_id)
    _open(task)
    if not reason.strip():
        raise InputError("say why the task is cancelled", errors=[FieldError(("reason",), "empty", reason)])
    task.status, task.outcome, task.completed_at = CANCELLED, reason.strip(), now
    audit.append(session, principal, "task.cancel", at=now, party_id=task.party_id,
                 detail=f"task {task.id}: {reason.strip()[:200]}")  # fmt: skip
    return task


@dataclass(frozen=True)
class Adherence:
    username: str
    due: int  # tasks due in the period
    on_time: int  # completed at or before due
    late: int  # completed after due
    missed: int  # still open and overdue
    rate: float | None  # on_time / due


def sla_adherence(
    session: Session, principal: Principal, *, start: datetime, end: datetime, now: datetime
) -> list[Adherence]:
    """Per RM (one's own, or the team's for a lead): tasks due in [start, end) and how they went."""
    rows = session.execute(
        select(User.username, Task.status, Task.due_at, Task.completed_at)
        .join(User, User.id == Task.assignee_id)
        .where(_visible(principal), Task.due_at >= start, Task.due_at < end, Task.status != CANCELLED)
    ).all()
    counts: dict[str, list[int]] = {}
    for username, status, due_at, completed_at in rows:
        c = counts.setdefault(username, [0, 0, 0, 0])
        c[0] += 1
        if status == DONE and completed_at is not None and completed_at <= due_at:
            c[1] += 1
        elif status == DONE:
            c[2] += 1
        elif due_at < now:
            c[3] += 1
    return [
        Adherence(u, due, on, late, missed, on / due if due else None)
        for u, (due, on, late, missed) in sorted(counts.items())
    ]


def task_counts(session: Session, principal: Principal, *, now: datetime) -> dict[str, int]:
    """Open tasks of the principal: overdue and due today (for the menu badge)."""
    base = select(func.count()).select_from(Task).where(_visible(principal), Task.status == OPEN)
    return {
        "overdue": session.scalar(base.where(Task.due_at < now)) or 0,
        "today": session.scalar(base.where(Task.due_at >= now, Task.due_at <= now + MY_DAY_HORIZON)) or 0,
    }


def evidence_of(task: Task) -> dict[str, Any]:
    return json.loads(task.evidence or "{}")


def insert_task(
    session: Session, *, party: Party, assignee_id: int, rule_key: str, idempotency_key: str, title_zh: str,
    title_en: str, due_at: datetime, priority: int, now: datetime, reason_zh: str = "", reason_en: str = "",
    evidence: dict[str, Any] | None = None, event_id: int | None = None,
) -> Task | None:  # fmt: skip
    """Add a task unless one with the same idempotency key exists (then None): replays add nothing."""
    if session.scalar(select(Task.id).where(Task.idempotency_key == idempotency_key)) is not None:
        return None
    task = Task(
        idempotency_key=idempotency_key, party_id=party.id, assignee_id=assignee_id, rule_key=rule_key,
        event_id=event_id, title_zh=title_zh[:300], title_en=title_en[:300], reason_zh=reason_zh,
        reason_en=reason_en, evidence=json.dumps(evidence or {}, ensure_ascii=False, default=str),
        priority=priority, created_at=now, due_at=due_at, status=OPEN,
    )  # fmt: skip
    session.add(task)
    session.flush()
    return task


def insert_task_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert many new tasks at once (Core inserts in the session's transaction, a thousand rows a
    statement); the caller has made sure their idempotency keys are new. Returns the rows inserted."""
    for start in range(0, len(rows), 1_000):
        session.connection().execute(insert(Task.__table__), rows[start : start + 1_000])
    return len(rows)


def add_task(
    session: Session, principal: Principal, party: Party, *, title: str, due_at: datetime, priority: int,
    now: datetime,
) -> Task:  # fmt: skip
    """A task an RM sets themselves for a client in their book (audited)."""
    if principal.role not in (Role.RM, Role.TEAM_LEAD):
        raise PermissionDenied("only relationship managers and team leads have tasks")
    problems = []
    if not title.strip() or len(title) > 300:
        problems.append(FieldError(("title",), "1 to 300 characters", title[:80]))
    if not 1 <= priority <= 5:
        problems.append(FieldError(("priority",), "1 (highest) to 5", priority))
    if due_at < now - timedelta(minutes=1):
        problems.append(FieldError(("due_at",), "not in the past", due_at.isoformat()))
    if problems:
        raise InputError("the task cannot be added as given", errors=problems)
    key = f"manual:{principal.user_id}:{now.isoformat()}:{party.id}"
    task = insert_task(
        session, party=party, assignee_id=principal.user_id, rule_key="", idempotency_key=key,
        title_zh=title.strip(), title_en=title.strip(), due_at=due_at, priority=priority, now=now,
    )  # fmt: skip
    assert task is not None
    audit.append(
        session, principal, "task.add", at=now, party_id=party.id, detail=f"task {task.id}: {title[:200]}"
    )
    return task
