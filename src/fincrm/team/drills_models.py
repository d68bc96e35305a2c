"""Extreme-market drills (极端市场演练): a team lead assigns a scenario on a demo or anonymised client
to an RM; the RM answers with call notes and a message; automatic checks score it and the lead
reviews.

The drill keeps the client as the RM sees it (``client``, JSON: an alias, tier, risk level and the
holdings scaled by the scenario; no name, contact or identifier of a real client) and the scenario's
computed figures (``figures``, JSON), so the checks and any later reading use the same numbers. For an
anonymised client the real client's id is kept (``source_party_id``) for the lead's audit trail only.
Scores are points out of 100: ``auto_score`` from the checks (``checks``, JSON), ``final_score`` the
auto score plus the lead's adjustment, clamped to 0..100.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class Drill(Base):
    """One drill assigned to one RM."""

    __tablename__ = "drills"
    __table_args__ = (Index("ix_drills_rm_status", "rm_id", "status"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # demo id
    scenario_key: Mapped[str] = mapped_column(String(64))
    scenario_name: Mapped[str] = mapped_column(String(200))  # zh | en, as when assigned
    client_kind: Mapped[str] = mapped_column(String(16))  # demo | anonymised
    source_party_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("parties.id"))
    client: Mapped[str] = mapped_column(Text)  # JSON: alias, tier, risk level, holdings (scaled)
    figures: Mapped[str] = mapped_column(Text)  # JSON: the scenario's computed figures
    rm_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)  # assigned | submitted | reviewed
    call_notes: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checks: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the automatic checks
    auto_score: Mapped[int | None] = mapped_column()
    review_adjustment: Mapped[int | None] = mapped_column()  # points, -50..50
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    final_score: Mapped[int | None] = mapped_column()
