"""Batch results API: the segment dashboard of the caller's book, the lift report, run records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fincrm.intelligence import service
from fincrm.intelligence.schemas import BatchRunRead, BenefitCatalogue, LiftReport, SegmentDashboard
from fincrm.web.context import Web, resolve

router = APIRouter(tags=["intelligence"])
WebDep = Annotated[Web, Depends(resolve)]


@router.get("/segments", response_model=SegmentDashboard)
def segments(
    web: WebDep, limit: Annotated[int, Query(ge=1, le=service.FLAG_LIMIT_MAX)] = 20
) -> SegmentDashboard:
    """Tier counts and assets, RFM cells and heat map, signals, drift alerts, attrition list (your book)."""
    me = web.require()
    with web.uow() as session:
        return service.segment_dashboard(session, me, now=web.now(), limit=limit)


@router.get("/batch/lift", response_model=LiftReport)
def lift(web: WebDep) -> LiftReport:
    """Repurchase rate by RFM cell against the whole book, with 95 % intervals (institution-wide)."""
    me = web.require()
    with web.uow() as session:
        return service.lift_report(session, me)


@router.get("/benefits", response_model=BenefitCatalogue)
def benefits(web: WebDep) -> BenefitCatalogue:
    """The benefit catalogue per tier (high-net-worth, mass, long tail)."""
    web.require()
    return service.benefit_catalogue(web.settings.benefits_path)


@router.get("/batch/runs", response_model=list[BatchRunRead])
def runs(web: WebDep, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[BatchRunRead]:
    """The latest batch runs: start, end, engine, status, rows, version, error."""
    web.require()
    with web.uow() as session:
        return service.list_runs(session, limit=limit)
