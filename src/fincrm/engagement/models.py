"""Engagement tables: inbound events, the RM's tasks, the message outbox, rule switches.

Idempotency: an event, a task and a message each carry a unique ``idempotency_key`` made from
what caused it (the event's own key; rule + client + occurrence for the daily run), so replaying
events or rerunning a day creates nothing twice. A message is written to the outbox in the same
transaction as its cause and sent by a worker after commit: the worker leases it
(``lease_until``), sends, and records the outcome; a worker killed after the lease leaves the
message to be retried when the lease runs out (at-least-once; the e-mail Message-ID is the
idempotency key, so a receiver can recognise a resend).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk

# task statuses
OPEN, DONE, CANCELLED = "open", "done", "cancelled"
# message statuses: pending -> sent | (retry) pending | dead; held (compliance) -> pending | rejected;
# suppressed (guard rails, with the reason) is final
PENDING, SENT, DEAD, HELD, REJECTED, SUPPRESSED = "pending", "sent", "dead", "held", "rejected", "suppressed"


class EngagementEvent(Base):
    """An event posted to ``POST /api/v1/events`` (or by an import), kept once per key."""

    __tablename__ = "engagement_events"

    id: Mapped[id_pk]
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # account_opened | salary_credited | large_flow | ...
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    hits: Mapped[int] = mapped_column(default=0)  # rules that fired on it


class Task(Base):
    """Something an RM should do for a client by ``due_at``."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),)

    id: Mapped[id_pk]
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    assignee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    rule_key: Mapped[str] = mapped_column(String(64))  # '' for a task made by hand
    event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("engagement_events.id"))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    priority: Mapped[int] = mapped_column(SmallInteger)  # 1 (highest) .. 5
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # open | done | cancelled
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snooze_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    interaction_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("interactions.id"))


class OutboxMessage(Base):
    """A message to a client, from its cause to its delivery (or why it was not sent)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[id_pk]
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    rule_key: Mapped[str] = mapped_column(String(64))
    template_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | wecom | in_app
    lang: Mapped[str] = mapped_column(String(5))
    recipient: Mapped[str] = mapped_column(String(200))  # address, phone or user id of the channel
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    marketing: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(40), default="")  # why held / suppressed / dead
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RuleSwitch(Base):
    """An institution's decision to turn a shipped or configured rule on or off."""

    __tablename__ = "rule_switches"

    rule_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
