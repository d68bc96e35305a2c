"""API shapes of extreme-market drills: the scenario library, drills, answers, reviews, training records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from fincrm.team import drills_domain as dd
from fincrm.team.drills import DrillView


class ScenarioRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    situation_zh: str
    situation_en: str
    kind: str = Field(description="account, holding or shocks")
    days: int = Field(description="trading days the fall took")
    fall_pct: float | None
    benchmark_fall_pct: float | None
    shocks: dict[str, float]

    @classmethod
    def of(cls, s: dd.DrillScenario) -> ScenarioRead:
        return cls(key=s.key, name_zh=s.name_zh, name_en=s.name_en, situation_zh=s.situation_zh,
                   situation_en=s.situation_en, kind=s.kind, days=s.days, fall_pct=s.fall_pct,
                   benchmark_fall_pct=s.benchmark_fall_pct, shocks=s.shocks)  # fmt: skip


class DrillCreate(BaseModel):
    scenario_key: str = Field(min_length=2, max_length=64)
    rm: str = Field(min_length=1, max_length=64, description="username of an RM of your team")
    client_kind: str = Field(dd.DEMO, max_length=16, description="demo or anonymised")
    client_no: str | None = Field(None, max_length=32, description="for anonymised: a client of your team")
    due_on: date | None = None
    lang: str | None = Field(None, max_length=5)


class SubmissionCreate(BaseModel):
    call_notes: str = Field("", max_length=dd.ANSWER_MAX)
    message: str = Field(min_length=1, max_length=dd.ANSWER_MAX)


class ReviewCreate(BaseModel):
    adjustment: int = Field(0, ge=-dd.MAX_ADJUSTMENT, le=dd.MAX_ADJUSTMENT, description="points")
    comment: str = Field(min_length=1, max_length=2000)


class DrillRead(BaseModel):
    id: int
    scenario_key: str
    scenario_name: str
    client_kind: str
    client: dict[str, Any] = Field(description="alias, tier, risk level: no personal data")
    figures: dict[str, Any] = Field(description="the scenario's figures on the client's holdings")
    rm: str
    assigned_by: str
    assigned_at: datetime
    due_on: date | None
    status: str = Field(description="assigned, submitted or reviewed")
    call_notes: str
    message: str
    submitted_at: datetime | None
    checks: list[dict[str, Any]]
    auto_score: int | None
    review_adjustment: int | None
    review_comment: str
    reviewed_at: datetime | None
    final_score: int | None

    @classmethod
    def of(cls, v: DrillView) -> DrillRead:
        d = v.drill
        return cls(
            id=d.id, scenario_key=d.scenario_key, scenario_name=d.scenario_name, client_kind=d.client_kind,
            client=v.client, figures=v.figures, rm=v.rm, assigned_by=v.assigned_by, assigned_at=d.assigned_at,
            due_on=d.due_on, status=d.status, call_notes=d.call_notes, message=d.message, submitted_at=d.submitted_at,
            checks=v.checks, auto_score=d.auto_score, review_adjustment=d.review_adjustment,
            review_comment=d.review_comment, reviewed_at=d.reviewed_at, final_score=d.final_score,
        )  # fmt: skip


class TrainingRecordRead(BaseModel):
    rm: str
    assigned: int
    taken: int
    reviewed: int
    average: float | None = Field(description="points out of 100")
    last_on: date | None

    @classmethod
    def of(cls, r: dd.TrainingRecord) -> TrainingRecordRead:
        return cls(
            rm=r.rm,
            assigned=r.assigned,
            taken=r.taken,
            reviewed=r.reviewed,
            average=r.average,
            last_on=r.last_on,
        )
