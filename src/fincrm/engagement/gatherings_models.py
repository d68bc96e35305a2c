"""Client events (salons, forums, closed-door meetings) with invitation lists, RSVP and attendance; key-person coverage of corporate clients and gap tasks.

Tables of this part of the engagement capability. Coverage itself is computed from the client book
(key persons and interactions) and needs no table; its gap tasks are ordinary ``tasks`` rows.

An invitation names the invited client (``party_id``) and, for a key person, the company they are
invited for (``company_id``): the company's RM may see and work the invitation even when the person
is not in their own book. One invitation per client and event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class ClientEvent(Base):
    """A salon, forum or closed-door meeting clients are invited to."""

    __tablename__ = "client_events"
    __table_args__ = (Index("ix_client_events_kind_status_starts", "kind", "status", "starts_at"),)

    id: Mapped[id_pk]
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # source system or demo id
    kind: Mapped[str] = mapped_column(String(32))  # tax_salon | capital_forum | strategy_meeting | ...
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column()  # seats; acceptances beyond it are refused
    audience: Mapped[str] = mapped_column(String(500), default="")  # who it is for, in words
    organiser_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))  # planned | open | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventInvitation(Base):
    """A client on an event's invitation list, their answer and whether they came."""

    __tablename__ = "event_invitations"
    __table_args__ = (UniqueConstraint("event_id", "party_id"),)

    id: Mapped[id_pk]
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("client_events.id"), index=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(16))  # clients.domain.Channel: phone, wechat, ...
    source: Mapped[str] = mapped_column(String(16))  # manual | task | suggestion | demo
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"))
    rsvp: Mapped[str] = mapped_column(String(16))  # pending | accepted | declined
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None until recorded after the start
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
