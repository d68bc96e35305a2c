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


class EventCreate(BaseModel):
    idempotency_key: str = Field(
        min_length=1, max_length=160, description="the sender's unique id of the event"
    )
    kind: str = Field(max_length=32, description="account_opened, first_salary or large_flow")
    client_no: str = Field(min_length=1, max_length=32)
    occurred_at: datetime = Field(description="with a timezone offset")
    payload: dict[str, Any] = Field(default_factory=dict, description="large_flow: {amount: signed, + in}")


class EventRead(BaseModel):
    event_id: int
    duplicate: bool  # the key was seen before: nothing new was made
    hits: int
    tasks: int
    messages: int


class RuleRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    enabled: bool
    trigger: str
    params: dict[str, Any]
    actions: list[dict[str, Any]]
    priority: int
    marketing: bool
    source: str

    @classmethod
    def of(cls, rule: Any) -> RuleRead:
        return cls(
            key=rule.key, name_zh=rule.name_zh, name_en=rule.name_en, enabled=rule.enabled, trigger=rule.trigger.kind,
            params={k: list(v) if isinstance(v, tuple) else v for k, v in rule.trigger.params.items()},
            actions=[{"kind": a.kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in a.params.items()}}
                     for a in rule.actions],
            priority=rule.priority, marketing=rule.marketing, source=rule.source,
        )  # fmt: skip


class RuleSwitchBody(BaseModel):
    enabled: bool


class HitRead(BaseModel):
    client_no: str
    on: str
    reason_zh: str
    reason_en: str
    idempotency_key: str


class DryRunRead(BaseModel):
    rule: RuleRead
    on: str
    count: int
    sample: list[HitRead]


class MessageRead(BaseModel):
    id: int
    client_no: str
    rule_key: str
    template_key: str
    channel: str
    subject: str
    body: str
    marketing: bool
    status: str
    reason_code: str
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, message: Any, client_no: str) -> MessageRead:
        return cls(
            id=message.id, client_no=client_no, rule_key=message.rule_key, template_key=message.template_key,
            channel=message.channel, subject=message.subject, body=message.body, marketing=message.marketing,
            status=message.status, reason_code=message.reason_code, reason=message.reason,
            created_at=message.created_at,
        )  # fmt: skip


class MessageDecision(BaseModel):
    approve: bool
    reason: str = Field(min_length=1, max_length=1000)
