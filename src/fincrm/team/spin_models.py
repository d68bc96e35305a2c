"""The editable SPIN question library (SPIN 提问法) of the pre-call brief.

Loaded from ``spin_library.yaml`` (or an institution's file) by an import, then edited by team leads
in the workbench: add a question, edit its text or stage, retire it (a retired question is kept, for
the audit trail, and no longer suggested). Topics and their triggers come from the file; a topic's
triggers are stored as JSON (``[{"kind": "signal", "value": "education_fund"}, ...]``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class SpinTopic(Base):
    """A topic of the library (retirement, education, ...) with the triggers that suggest it."""

    __tablename__ = "spin_topics"

    id: Mapped[id_pk]
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(100))
    triggers: Mapped[str] = mapped_column(Text)  # JSON list of {"kind", "value"}
    position: Mapped[int] = mapped_column(SmallInteger)  # order in the library (1 first)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SpinQuestion(Base):
    """One question of a topic at one SPIN stage."""

    __tablename__ = "spin_questions"

    id: Mapped[id_pk]
    key: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. retirement.s1
    topic_key: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # situation | problem | implication | need_payoff
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16))  # active | retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))  # None: an import
