"""Community: the content library (research and insights tagged by industry and topic), the morning brief (<= 300 characters) and its distribution, the weekly Q&A.

Tables of this part of the engagement capability. Tags are stored as space-separated words with a
space at each end (`` C38 I65 ``), so that one tag can be found with ``LIKE '% C38 %'`` on every
backend; the library is small (thousands of pieces), so matching itself runs in Python.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk

# morning brief statuses: draft -> published (the scan passed); a published brief is not edited
DRAFT, PUBLISHED = "draft", "published"
# weekly Q&A session statuses: collecting (questions come in) -> chosen (top groups fixed, answers
# written) -> published (answers sent back to the askers)
COLLECTING, CHOSEN, ANSWERS_PUBLISHED = "collecting", "chosen", "published"


class ContentPiece(Base):
    """A piece of research or insight in the library, bilingual, tagged by industry and topic."""

    __tablename__ = "content_pieces"

    id: Mapped[id_pk]
    kind: Mapped[str] = mapped_column(String(16))  # research | insight | policy | education
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    body_zh: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100))
    industry_codes: Mapped[str] = mapped_column(String(200), default=" ")  # ' C38 I65 ' (GB/T 4754)
    topics: Mapped[str] = mapped_column(String(300), default=" ")  # ' pension tax '
    tiers: Mapped[str | None] = mapped_column(String(40))  # ' hnw mass '; None: every tier
    published_on: Mapped[date] = mapped_column(Date, index=True)
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MorningBrief(Base):
    """The day's morning brief (财经早报) of a desk: one per desk and day, at most 300 characters a
    language. The desk is ``team:<id>`` for RMs and team leads, ``research`` for the research desk."""

    __tablename__ = "morning_briefs"
    __table_args__ = (UniqueConstraint("desk", "brief_on"),)

    id: Mapped[id_pk]
    desk: Mapped[str] = mapped_column(String(40))
    brief_on: Mapped[date] = mapped_column(Date, index=True)  # the business day (settings.timezone)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))


class BriefDistribution(Base):
    """One sending of a published brief to the clients of a book, with what became of it."""

    __tablename__ = "brief_distributions"

    id: Mapped[id_pk]
    brief_id: Mapped[int] = mapped_column(BigId, ForeignKey("morning_briefs.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consenting: Mapped[int] = mapped_column(default=0)  # clients of the book with marketing consent there
    queued: Mapped[int] = mapped_column(default=0)  # new outbox messages (pending)
    held: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)  # already sent this brief earlier


class QaSession(Base):
    """A weekly Q&A live session (每周问答直播) and its state."""

    __tablename__ = "qa_sessions"

    id: Mapped[id_pk]
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    live_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QaGroup(Base):
    """Questions that ask the same thing, fixed when the top groups are chosen."""

    __tablename__ = "qa_groups"

    id: Mapped[id_pk]
    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("qa_sessions.id"), index=True)
    rank: Mapped[int] = mapped_column(SmallInteger)  # 1 = most askers
    topic: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(Text)  # the earliest question's text
    askers: Mapped[int] = mapped_column()  # distinct clients
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chosen: Mapped[bool] = mapped_column(Boolean)
    answer_zh: Mapped[str | None] = mapped_column(Text)
    answer_en: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))


class QaQuestion(Base):
    """A client's question for a session, recorded by their RM or posted by an integration account."""

    __tablename__ = "qa_questions"

    id: Mapped[id_pk]
    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("qa_sessions.id"), index=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    normalised: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("qa_groups.id"), index=True)
