"""Shapes of engagement objects handed to the edges (API and pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from fincrm.engagement.tasks import Adherence, TaskView


class TaskRead(BaseModel):
    id: int
    client_no: str
    client_name: str
    assignee: str
    rule_key: str
    title_zh: str
    title_en: str
    reason_zh: str
    reason_en: str
    priority: int
    due_at: datetime
    overdue: bool
    minutes_left: int
    status: str
    memory_points: list[str] = []
    last_contacts: list[dict[str, Any]] = []
    signals: list[str] = []

    @classmethod
    def of(cls, view: TaskView) -> TaskRead:
        t = view.task
        return cls(
            id=t.id, client_no=view.party_no, client_name=view.client_name, assignee=view.assignee,
            rule_key=t.rule_key, title_zh=t.title_zh, title_en=t.title_en, reason_zh=t.reason_zh,
            reason_en=t.reason_en, priority=t.priority, due_at=t.due_at, overdue=view.overdue,
            minutes_left=view.minutes_left, status=t.status, memory_points=view.memory_points,
            last_contacts=[{"at": at, "channel": ch, "summary": s} for at, ch, s in view.last_contacts],
            signals=view.signals,
        )  # fmt: skip


class TaskComplete(BaseModel):
    outcome: str = Field(max_length=2000)
    channel: str = Field(
        "phone", max_length=16, description="phone, visit, wechat, sms, email, event, branch, app"
    )


class TaskSnooze(BaseModel):
    until: datetime
    reason: str = Field(max_length=500)


class TaskReassign(BaseModel):
    to: str = Field(
        min_length=1, max_length=64, description="username of an RM or team lead who reads the client"
    )


class AdherenceRead(BaseModel):
    username: str
    due: int
    on_time: int
    late: int
    missed: int
    rate: float | None

    @classmethod
    def of(cls, a: Adherence) -> AdherenceRead:
        return cls(
            username=a.username, due=a.due, on_time=a.on_time, late=a.late, missed=a.missed, rate=a.rate
        )
