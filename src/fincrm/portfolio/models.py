"""Stored proposals of the portfolio lab and every step taken on them.

A proposal keeps the machine's allocation as it was computed (``machine``), the weights the RM
settled on (``weights``), and the evidence shown with it (stress tests, Monte Carlo range,
suitability verdicts, fee disclosure) as JSON documents, so that what the client was shown can be
reproduced later. ``ProposalEvent`` rows are the review trail: who did what, when, why, and for an
override the weight changes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import AMOUNT, Base, BigId, UTCDateTime, id_pk

# Review states, in order: draft -> rm_reviewed -> compliance_checked -> presented -> accepted | declined
DRAFT, RM_REVIEWED, COMPLIANCE_CHECKED, PRESENTED = "draft", "rm_reviewed", "compliance_checked", "presented"
ACCEPTED, DECLINED = "accepted", "declined"
STATUSES = (DRAFT, RM_REVIEWED, COMPLIANCE_CHECKED, PRESENTED, ACCEPTED, DECLINED)


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[id_pk]
    party_id: Mapped[int] = mapped_column(BigId, ForeignKey("parties.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    method: Mapped[str] = mapped_column(String(24))  # min_volatility | max_sharpe | risk_parity
    effective_risk: Mapped[str] = mapped_column(String(2))  # C1..C5 used for the risk budget
    invest_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(String(3))
    prices_as_of: Mapped[date] = mapped_column(Date)  # last price day of the history used
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # the RM changed the machine's weights
    needs_compliance: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    compliance_reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reason codes
    machine: Mapped[str] = mapped_column(Text)  # JSON: the optimiser's proposal as computed
    weights: Mapped[str] = mapped_column(Text)  # JSON {product code: weight}, the current weights
    evidence: Mapped[str] = mapped_column(
        Text
    )  # JSON: stress, Monte Carlo, backtest, suitability, disclosure


class ProposalEvent(Base):
    __tablename__ = "proposal_events"

    id: Mapped[id_pk]
    proposal_id: Mapped[int] = mapped_column(BigId, ForeignKey("proposals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(32))  # created | override | review | approve | ...
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[str] = mapped_column(Text, default="{}")  # JSON {code: [before, after]} for overrides
