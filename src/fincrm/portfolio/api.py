"""Portfolio lab API (JSON): propose an allocation, re-check and override its weights, review steps,
the compliance queue.

Thin: each route opens one unit of work and calls one service; writes authenticated by cookie must
echo the session's CSRF token in ``X-CSRF-Token`` (API tokens are exempt).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.portfolio import service
from fincrm.portfolio.schemas import (
    ProposalAction,
    ProposalCreate,
    ProposalOverride,
    ProposalRead,
    WeightsCheck,
    WeightsCheckRead,
)
from fincrm.portfolio.service import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["portfolio"])
WebDep = Annotated[Web, Depends(resolve)]
PartyNo = Annotated[str, Path(min_length=1, max_length=32)]
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


@router.get("/products/compare")
def compare_products(
    web: WebDep,
    codes: Annotated[str, Query(min_length=1, max_length=300, description="comma-separated codes")],
) -> dict:
    """Products side by side: return, volatility, Sharpe, maximum drawdown, ranked per unit of risk."""
    me = web.require()
    with web.uow() as session:
        return service.compare_products(
            session, me, codes.split(","), settings=web.settings, on=web.now().date()
        )


@router.post("/clients/{party_no}/proposals", response_model=ProposalRead, status_code=201)
def create_proposal(
    web: WebDep, party_no: PartyNo, body: ProposalCreate, x_csrf_token: CsrfHeader = None
) -> ProposalRead:
    """The optimiser's proposal for the amount, stored as a draft with its evidence (stress, Monte Carlo, fees)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        proposal = service.create_proposal(
            session, me, party_no, settings=web.settings, invest_amount=body.invest_amount,
            method=body.method, now=web.now(),
        )  # fmt: skip
        _, events = service.get_proposal(session, me, proposal.id)
        return service.read_proposal(session, proposal, events)


@router.get("/clients/{party_no}/proposals", response_model=list[ProposalRead])
def list_proposals(web: WebDep, party_no: PartyNo) -> list[ProposalRead]:
    """The client's proposals, newest first (without their event trails)."""
    me = web.require()
    with web.uow() as session:
        return [
            service.read_proposal(session, p)
            for p in service.list_proposals(session, me, party_no, now=web.now())
        ]


@router.get("/proposals/{proposal_id}", response_model=ProposalRead)
def get_proposal(web: WebDep, proposal_id: ProposalId) -> ProposalRead:
    me = web.require()
    with web.uow() as session:
        proposal, events = service.get_proposal(session, me, proposal_id, now=web.now())
        return service.read_proposal(session, proposal, events)


@router.post("/proposals/{proposal_id}/check", response_model=WeightsCheckRead)
def check_weights(
    web: WebDep, proposal_id: ProposalId, body: WeightsCheck, x_csrf_token: CsrfHeader = None
) -> WeightsCheckRead:
    """Suitability and limits of edited weights, saving nothing (for live feedback while typing)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return WeightsCheckRead(
            **service.check_weights(session, me, proposal_id, body.weights, now=web.now())
        )


@router.post("/proposals/{proposal_id}/override", response_model=ProposalRead)
def override_proposal(
    web: WebDep, proposal_id: ProposalId, body: ProposalOverride, x_csrf_token: CsrfHeader = None
) -> ProposalRead:
    """The RM's weights replace the draft's; the reason and the diff are kept and compliance must check it."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        proposal = service.override_proposal(
            session, me, proposal_id, body.weights, reason=body.reason, settings=web.settings, now=web.now()
        )
        _, events = service.get_proposal(session, me, proposal.id)
        return service.read_proposal(session, proposal, events)


@router.post("/proposals/{proposal_id}/actions", response_model=ProposalRead)
def advance_proposal(
    web: WebDep, proposal_id: ProposalId, body: ProposalAction, x_csrf_token: CsrfHeader = None
) -> ProposalRead:
    """One review step: review, approve, reject (with a reason), present, accept or decline."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        proposal = service.advance_proposal(
            session, me, proposal_id, body.action, reason=body.reason, now=web.now()
        )
        _, events = service.get_proposal(session, me, proposal.id)
        return service.read_proposal(session, proposal, events)


@router.get("/compliance/proposals", response_model=list[ProposalRead])
def compliance_queue(web: WebDep) -> list[ProposalRead]:
    """Reviewed proposals with an override or a suitability mismatch, oldest first (compliance only)."""
    me = web.require()
    with web.uow() as session:
        return [
            service.read_proposal(session, p) for p in service.compliance_queue(session, me, now=web.now())
        ]
