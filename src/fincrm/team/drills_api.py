"""Extreme-market drills: the scenario library, drills, the RM's answers, the lead's reviews and training
records.

JSON API (thin handlers over ``fincrm.team.drills``); an answer or a review names its drill in the body."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.team import drills
from fincrm.team.drills_schemas import (
    DrillCreate,
    DrillRead,
    ReviewCreate,
    ScenarioRead,
    SubmissionCreate,
    TrainingRecordRead,
)
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["team"])
WebDep = Annotated[Web, Depends(resolve)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
DrillId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SCORE_WINDOW_DAYS = 90  # default period of the training records


@router.get("/drills/scenarios", response_model=list[ScenarioRead])
def scenarios(web: WebDep) -> list[ScenarioRead]:
    """The drill scenario library (no client data)."""
    web.require()
    return [ScenarioRead.of(s) for s in drills.scenarios(web.settings).values()]


@router.get("/drills", response_model=list[DrillRead])
def list_drills(web: WebDep, status: Annotated[str, Query(max_length=16)] = "") -> list[DrillRead]:
    """Your drills (RM) or your team's (team lead), newest first."""
    me = web.require()
    with web.uow() as session:
        return [DrillRead.of(v) for v in drills.list_drills(session, me, status=status)]


@router.post("/drills", response_model=DrillRead, status_code=201)
def assign(web: WebDep, body: DrillCreate, x_csrf_token: CsrfHeader = None) -> DrillRead:
    """Give an RM of your team a drill on the demo client or an anonymised client of your team."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = drills.assign_drill(session, me, web.settings, scenario_key=body.scenario_key, rm=body.rm,
                                   client_kind=body.client_kind, party_no=body.client_no, due_on=body.due_on,
                                   lang=body.lang, now=web.now())  # fmt: skip
        return DrillRead.of(drills.get_drill(session, me, made.id))


@router.post("/drills/{drill_id}/answer", response_model=DrillRead)
def submit(
    web: WebDep, drill_id: DrillId, body: SubmissionCreate, x_csrf_token: CsrfHeader = None
) -> DrillRead:
    """Answer your drill: call notes and the message, scored at once by the automatic checks."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        drills.submit_drill(
            session, me, drill_id, call_notes=body.call_notes, message=body.message, now=web.now()
        )
        return DrillRead.of(drills.get_drill(session, me, drill_id))


@router.post("/drills/{drill_id}/review", response_model=DrillRead)
def review(web: WebDep, drill_id: DrillId, body: ReviewCreate, x_csrf_token: CsrfHeader = None) -> DrillRead:
    """Review an answered drill of your team: points added or taken and a comment."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        drills.review_drill(
            session, me, drill_id, adjustment=body.adjustment, comment=body.comment, now=web.now()
        )
        return DrillRead.of(drills.get_drill(session, me, drill_id))


@router.get("/drills/scores", response_model=list[TrainingRecordRead])
def scores(web: WebDep, start: date | None = None, end: date | None = None) -> list[TrainingRecordRead]:
    """Training records per RM (your team, or yourself) over the period (default: the last 90 days)."""
    me = web.require()
    end = end or web.now().date()
    start = start or end - timedelta(days=SCORE_WINDOW_DAYS)
    with web.uow() as session:
        return [TrainingRecordRead.of(r) for r in drills.drill_scores(session, me, start=start, end=end)]
