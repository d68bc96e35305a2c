"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

Tables of this part of the engagement capability. Benefits and partners themselves live in YAML
catalogues (``intelligence/benefits.yaml``, ``engagement/partners.yaml``); these tables keep what
happened: a client used a benefit, a bundle was offered to a client, a client was referred to a
partner. Keys of the catalogues are stored as text so that a catalogue change never breaks history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import Base, BigId, UTCDateTime, id_pk


class BenefitRedemption(Base):
    """A client used a benefit of their tier (``quantity`` uses on ``used_on``, business date)."""

    __tablename__ = "benefit_redemptions"
    __table_args__ = (Index("ix_benefit_redemptions_party_benefit_on", "party_id", "benefit_key", "used_on"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"))
    benefit_key: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))  # the client's tier when it was used
    used_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)  # uses, >= 1
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerOffer(Base):
    """A bundle (or one partner's offer, from a rule's task) offered to a client, once per key."""

    __tablename__ = "partner_offers"

    id: Mapped[id_pk]
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    bundle_key: Mapped[str] = mapped_column(String(64))  # '' for a single partner's offer
    partner_key: Mapped[str] = mapped_column(String(64))  # '' for a bundle
    signal_kind: Mapped[str] = mapped_column(String(32))  # what triggered it ('' when unknown)
    signal_on: Mapped[date | None] = mapped_column(Date)
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"))
    status: Mapped[str] = mapped_column(String(16))  # proposed | presented | accepted | declined
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))


class PartnerReferral(Base):
    """A client introduced to a partner (with the client's consent to share their details)."""

    __tablename__ = "partner_referrals"
    __table_args__ = (UniqueConstraint("offer_id", "partner_key"),)

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    partner_key: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("partner_offers.id"))
    status: Mapped[str] = mapped_column(String(16))  # referred | contacted | converted | lost
    note: Mapped[str] = mapped_column(Text, default="")
    referred_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # consent confirmed at the same time
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # converted or lost
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
