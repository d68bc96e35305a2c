"""Marketing holds: a client to whom no marketing may go for now, with why and since when.

Capabilities to the right of engagement (cases: an open complaint) cannot be read from the
guard rails, so they place a hold here, in the same transaction as their own change, and lift it
when the cause ends. The guard reads the holds in force (``open_holds``) for every batch of
messages; service messages are not held. One hold per cause (``source`` + ``ref``): placing it
again re-opens it, lifting it twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk

CHUNK = 5_000  # ids per IN list

COMPLAINT = "complaint"  # the source of the holds placed by an open complaint


class MarketingHold(Base):
    """While ``lifted_at`` is empty, marketing to the client is suppressed (reason ``open_complaint``)."""

    __tablename__ = "marketing_holds"
    __table_args__ = (UniqueConstraint("source", "ref"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # e.g. "complaint"
    ref: Mapped[str] = mapped_column(String(64))  # the cause's id in its source, e.g. the complaint number
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


def _hold(session: Session, source: str, ref: str) -> MarketingHold | None:
    return session.scalars(
        select(MarketingHold).where(MarketingHold.source == source, MarketingHold.ref == ref)
    ).one_or_none()


def place_hold(
    session: Session, *, party_id: int, source: str, ref: str, reason_zh: str, reason_en: str, at: datetime
) -> MarketingHold:
    """Hold marketing to ``party_id`` because of ``source``/``ref`` from ``at`` (UTC) on; re-opens a lifted one."""
    hold = _hold(session, source, ref)
    if hold is None:
        hold = MarketingHold(party_id=party_id, source=source, ref=ref, reason_zh=reason_zh,
                             reason_en=reason_en, placed_at=at, lifted_at=None)  # fmt: skip
        session.add(hold)
    else:
        hold.party_id, hold.reason_zh, hold.reason_en, hold.placed_at, hold.lifted_at = (
            party_id, reason_zh, reason_en, at, None
        )  # fmt: skip
    session.flush()
    return hold


def lift_hold(session: Session, *, source: str, ref: str, at: datetime) -> bool:
    """End the hold of ``source``/``ref`` at ``at`` (UTC); False when there was none in force."""
    hold = _hold(session, source, ref)
    if hold is None or hold.lifted_at is not None:
        return False
    hold.lifted_at = at
    session.flush()
    return True


def open_holds(session: Session, party_ids: Iterable[int]) -> dict[int, str]:
    """The clients among ``party_ids`` with a hold in force, each with the source of one of its holds."""
    ids = sorted(set(party_ids))
    held: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        held.update(session.execute(
            select(MarketingHold.party_id, MarketingHold.source)
            .where(MarketingHold.party_id.in_(part), MarketingHold.lifted_at.is_(None))
        ).all())  # fmt: skip
    return held
