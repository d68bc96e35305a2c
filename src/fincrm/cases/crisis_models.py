"""Crisis communication: the sandwich drafts written to clients after a market fall.

A draft belongs to one client and one window of one benchmark series; it keeps the three parts as
generated, the text the RM edits and sends, the figures it was generated from (``facts``, JSON:
the client's and peers' drawdowns, the benchmark's, the recovery statistics and the history span) so
that a sent text is traceable to its numbers, the last compliance scan's findings, and the outbox
message it became. Status: draft (scans clean, may be sent), held (a scan finding: edit it or ask
compliance), approved (compliance released a held text), sent, superseded (a newer draft replaced it),
rejected (compliance refused it). A client has at most one open (draft, held, approved) draft.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class CrisisDraft(Base):
    """A crisis message to one client, from its generated parts to the outbox."""

    __tablename__ = "crisis_drafts"
    __table_args__ = (Index("ix_crisis_drafts_party_status", "party_id", "status"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"))
    series: Mapped[str] = mapped_column(String(32))  # benchmark series, e.g. CSI300
    start_on: Mapped[date] = mapped_column(Date)  # the window: the fall's peak day ...
    end_on: Mapped[date] = mapped_column(Date)  # ... to its last close
    lang: Mapped[str] = mapped_column(String(5))  # zh-CN | en
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | wecom | in_app
    action: Mapped[str] = mapped_column(String(32))  # proposal | hold | rebalance | ...
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    empathy: Mapped[str] = mapped_column(Text)  # the three parts as generated
    facts_text: Mapped[str] = mapped_column(Text)
    plan_text: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the text as edited, sent as it is
    facts: Mapped[str] = mapped_column(Text)  # JSON: the figures the parts were written from
    scan_codes: Mapped[str] = mapped_column(String(200), default="")  # last scan's finding codes
    scan_reason: Mapped[str] = mapped_column(Text, default="")  # last scan's findings, in English
    edits: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_reason: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbox_messages.id"))
