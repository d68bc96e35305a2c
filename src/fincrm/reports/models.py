"""Stored reports: each rendered document kept against its client, HTML and PDF together.

One row per (client, kind, subject, language, as-of day): generating the same report again
replaces the row's content, so a rerun of a batch gives the same set of reports.
``subject_key`` names what a report is about beyond the client: a product code for a product
disclosure, a proposal id for a proposal report, a topic for a risk-education page, a scenario
key for a post-crisis review; '' otherwise.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("party_id", "kind", "subject_key", "lang", "as_of_on"),
        CheckConstraint("page_count > 0", name="page_count_positive"),
    )

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # see reports.engine.KINDS
    subject_key: Mapped[str] = mapped_column(String(64), default="")
    lang: Mapped[str] = mapped_column(String(5))  # zh-CN | en
    as_of_on: Mapped[date] = mapped_column(Date)  # the day the report speaks for
    data_as_of_on: Mapped[date] = mapped_column(Date)  # latest day of data behind its numbers
    title: Mapped[str] = mapped_column(String(300))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    generated_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    figures: Mapped[str] = mapped_column(Text)  # JSON {key: number as printed}
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column()
