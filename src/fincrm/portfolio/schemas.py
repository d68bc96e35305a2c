"""Shapes of the portfolio lab handed to the edges (API and pages): proposals, overrides, review steps."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from fincrm.portfolio.models import Proposal, ProposalEvent


class ProposalCreate(BaseModel):
    invest_amount: Decimal = Field(gt=0, description="amount to invest, in the reporting currency")
    method: str = Field(
        "target_risk", max_length=24, description="target_risk, max_sharpe, min_volatility or risk_parity"
    )


class WeightsCheck(BaseModel):
    weights: dict[str, float]  # product code -> fraction of the amount (sum 1)


class ProposalOverride(BaseModel):
    weights: dict[str, float]
    reason: str = Field(max_length=2000)


class ProposalAction(BaseModel):
    action: str = Field(max_length=24, description="review, approve, reject, present, accept or decline")
    reason: str = Field("", max_length=2000)


class WeightsCheckRead(BaseModel):
    ok: bool
    problems: list[dict[str, Any]]
    suitability: dict[str, dict[str, Any]]


class ProposalEventRead(BaseModel):
    at: datetime
    actor: str | None  # username; None: the system
    action: str
    from_status: str | None
    to_status: str
    reason: str
    diff: dict[str, list[float]]  # code -> [before, after] weight

    @classmethod
    def of(cls, event: ProposalEvent, actors: dict[int, str]) -> ProposalEventRead:
        return cls(
            at=event.at, actor=actors.get(event.actor_id) if event.actor_id else None, action=event.action,
            from_status=event.from_status, to_status=event.to_status, reason=event.reason,
            diff=json.loads(event.diff or "{}"),
        )  # fmt: skip


class ProposalRead(BaseModel):
    id: int
    party_no: str
    status: str
    method: str
    effective_risk: str
    invest_amount: Decimal
    currency: str
    prices_as_of: date
    created_at: datetime
    updated_at: datetime
    overridden: bool
    needs_compliance: bool
    compliance_reasons: list[str]
    machine: dict[str, Any]
    weights: dict[str, float]
    evidence: dict[str, Any]
    events: list[ProposalEventRead] = []
    # look-through by asset class ({"proposal": {class: share}, "current": ..., "machine": ...});
    # filled when one proposal is read in full (with its events), empty in lists
    class_weights: dict[str, dict[str, float]] = {}

    @classmethod
    def of(
        cls, proposal: Proposal, party_no: str, events: list[ProposalEvent] | None = None,
        actors: dict[int, str] | None = None, class_weights: dict[str, dict[str, float]] | None = None,
    ) -> ProposalRead:  # fmt: skip
        return cls(
            id=proposal.id, party_no=party_no, status=proposal.status, method=proposal.method,
            effective_risk=proposal.effective_risk, invest_amount=proposal.invest_amount,
            currency=proposal.currency, prices_as_of=proposal.prices_as_of, created_at=proposal.created_at,
            updated_at=proposal.updated_at, overridden=proposal.overridden,
            needs_compliance=proposal.needs_compliance,
            compliance_reasons=json.loads(proposal.compliance_reasons or "[]"),
            machine=json.loads(proposal.machine), weights=json.loads(proposal.weights),
            evidence=json.loads(proposal.evidence),
            events=[ProposalEventRead.of(e, actors or {}) for e in events or []],
            class_weights=class_weights or {},
        )  # fmt: skip
