"""The run record of each batch run: when, on which engine, how far it got, and why it failed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk

RUN_RUNNING, RUN_SUCCEEDED, RUN_FAILED = "running", "succeeded", "failed"


class BatchRun(Base):
    __tablename__ = "batch_runs"

    id: Mapped[id_pk]
    as_of: Mapped[date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | succeeded | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    step: Mapped[str] = mapped_column(String(64), default="")  # the step running or that failed
    version_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("profile_versions.id"))
    rows: Mapped[int] = mapped_column(default=0)  # profile and signal rows written
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON: timings per step, validation figures
