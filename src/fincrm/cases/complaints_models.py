"""Client complaints (客户投诉): the complaint with its SLA-relevant times, resolution and the client's
feedback, and its timeline of steps.

The complaint number (``TS-<year>-<serial>``) is derived from the row id, so two intakes at once
cannot take the same number. Money: ``compensation_amount`` NUMERIC(18, 2) with its currency.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import AMOUNT, Base, BigId, UTCDateTime, id_pk


class Complaint(Base):
    """A client's complaint, from intake to resolution, feedback and closing."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status_received_at", "status", "received_at"),)

    id: Mapped[id_pk]
    complaint_no: Mapped[str] = mapped_column(String(20), unique=True)  # TS-2026-000123
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # demo or source-system id
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    channel: Mapped[str] = mapped_column(String(24))  # complaints_domain.CHANNELS
    category: Mapped[str] = mapped_column(String(24))  # complaints_domain.CATEGORIES
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    description: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # open | responded | resolved | closed
    filed_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_summary: Mapped[str | None] = mapped_column(Text)
    remedy: Mapped[str | None] = mapped_column(Text)
    compensation_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    compensation_currency: Mapped[str | None] = mapped_column(String(3))
    feedback_satisfaction: Mapped[str | None] = mapped_column(
        String(16)
    )  # satisfied | partly | not_satisfied
    feedback_score: Mapped[int | None] = mapped_column(SmallInteger)  # 1..5
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ComplaintStep(Base):
    """One step of a complaint's timeline (intake, assigned, note, response, escalated, ...)."""

    __tablename__ = "complaint_steps"

    id: Mapped[id_pk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # complaints_domain.TIMELINE_KINDS
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))  # None: the system
    text: Mapped[str] = mapped_column(Text, default="")
