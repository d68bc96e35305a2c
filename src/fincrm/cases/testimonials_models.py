"""Client testimonials (客户见证) and every use made of them.

A testimonial belongs to the client who told the story (``party_id``) and is read and changed by
whoever may read and change that client. Scopes are stored as space-separated words with a space
at each end (`` content_library events ``), like the content library's tags.

A use records where the story went (``target_kind``: a content piece or an outbox message, and the
target's id) and the exact block of text it added (``block_zh`` / ``block_en``), so that revoking
the use can take exactly that text out again. A use is revoked once (``revoked_at``), with the reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class Testimonial(Base):
    """A client's story and the consent it was recorded under."""

    __test__ = False  # not a pytest test class, despite the name

    __tablename__ = "testimonials"
    __table_args__ = (Index("ix_testimonials_status_expires", "status", "expires_on"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    story_zh: Mapped[str] = mapped_column(Text)
    story_en: Mapped[str] = mapped_column(Text)
    attribution_zh: Mapped[str] = mapped_column(String(100))  # how the client is named, e.g. 王女士
    attribution_en: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(200))  # ' content_library events '
    method: Mapped[str] = mapped_column(String(16))  # signed_form | recorded_call | app
    given_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)  # the last day the story may be used
    status: Mapped[str] = mapped_column(String(16))  # active | withdrawn
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class TestimonialUse(Base):
    """One place a story was put: a content piece or an outbox message."""

    __test__ = False

    __tablename__ = "testimonial_uses"
    __table_args__ = (Index("ix_testimonial_uses_target", "target_kind", "target_id"),)

    id: Mapped[id_pk]
    testimonial_id: Mapped[int] = mapped_column(BigId, ForeignKey("testimonials.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # content_piece | message
    target_id: Mapped[int] = mapped_column(BigId)  # content_pieces.id or outbox_messages.id
    scope: Mapped[str] = mapped_column(String(32))  # the consent scope the use was made under
    block_zh: Mapped[str] = mapped_column(Text)  # the exact text added (empty where nothing was)
    block_en: Mapped[str] = mapped_column(Text)
    used_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
