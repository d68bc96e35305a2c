"""Cross-department rapid-response cases (联合作战): the case, its members by function, comments,
attachments (bytes kept in the store) and sign-offs of the joint proposal.

A member who is not in the client's book sees the client only through the case (a limited,
masked summary); the client's own pages stay closed to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class JointCase(Base):
    """A client's complex need worked on by RM, research and compliance with a 24-hour SLA."""

    __tablename__ = "joint_cases"
    __table_args__ = (Index("ix_joint_cases_status_due_at", "status", "due_at"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # demo or source-system id
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # joint_domain.KINDS
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)  # the client's need
    status: Mapped[str] = mapped_column(String(20))  # open | awaiting_signoff | agreed | closed
    opened_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # opened_at + 24 h
    proposal_text: Mapped[str] = mapped_column(Text, default="")
    proposal_version: Mapped[int] = mapped_column(default=0)  # 0: no proposal yet
    proposal_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JointMember(Base):
    """A staff user working on a case, with the function they sign for."""

    __tablename__ = "joint_case_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[id_pk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("joint_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    function: Mapped[str] = mapped_column(String(16))  # rm | research | compliance
    added_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JointComment(Base):
    __tablename__ = "joint_case_comments"

    id: Mapped[id_pk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("joint_cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)


class JointAttachment(Base):
    """A file shared on a case; the bytes live in the store (at most 5 MiB)."""

    __tablename__ = "joint_case_attachments"

    id: Mapped[id_pk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("joint_cases.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JointSignoff(Base):
    """A function's sign-off of one version of the joint proposal."""

    __tablename__ = "joint_case_signoffs"
    __table_args__ = (UniqueConstraint("case_id", "proposal_version", "function"),)

    id: Mapped[id_pk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("joint_cases.id"), index=True)
    proposal_version: Mapped[int] = mapped_column()
    function: Mapped[str] = mapped_column(String(16))  # rm | research | compliance
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
