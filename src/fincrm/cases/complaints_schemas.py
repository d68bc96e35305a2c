"""API shapes of client complaints: intake, actions, the timeline and complaint rates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from fincrm.cases import complaints_domain as cd
from fincrm.cases.complaints import ComplaintDetail, ComplaintRates, ComplaintView, Escalations


class ComplaintCreate(BaseModel):
    client_no: str = Field(max_length=32)
    channel: str = Field(max_length=24, description=", ".join(cd.CHANNELS))
    category: str = Field(max_length=24, description=", ".join(cd.CATEGORIES))
    severity: str = Field(max_length=16, description=", ".join(cd.SEVERITIES))
    description: str = Field(max_length=cd.DESCRIPTION_MAX)
    received_at: datetime | None = Field(
        None, description="when the complaint came in (default now), with offset"
    )


class AssignBody(BaseModel):
    username: str = Field(max_length=64)


class TextBody(BaseModel):
    text: str = Field(max_length=cd.TEXT_MAX)


class ResolutionBody(BaseModel):
    summary: str = Field(max_length=cd.TEXT_MAX)
    remedy: str = Field("", max_length=cd.TEXT_MAX)
    compensation_amount: Decimal | None = Field(None, description="paid to the client, 2 decimals at most")
    compensation_currency: str | None = Field(None, max_length=3, description="ISO 4217, e.g. CNY")


class FeedbackBody(BaseModel):
    satisfaction: str = Field(max_length=16, description=", ".join(cd.SATISFACTION))
    score: int = Field(ge=cd.SCORE_MIN, le=cd.SCORE_MAX)
    comment: str = Field("", max_length=cd.TEXT_MAX)


class ReopenBody(BaseModel):
    reason: str = Field(max_length=cd.TEXT_MAX)


class SlaRead(BaseModel):
    response_due_at: datetime
    resolution_due_at: datetime
    response_minutes_left: int | None = Field(description="None once answered; negative when overdue")
    resolution_minutes_left: int | None = Field(description="None once resolved; negative when overdue")
    response_breached: bool
    resolution_breached: bool

    @classmethod
    def of(cls, s: cd.SlaState) -> SlaRead:
        return cls(response_due_at=s.response_due_at, resolution_due_at=s.resolution_due_at,
                   response_minutes_left=s.response_minutes_left, resolution_minutes_left=s.resolution_minutes_left,
                   response_breached=s.response_breached, resolution_breached=s.resolution_breached)  # fmt: skip


class ComplaintRead(BaseModel):
    complaint_no: str
    client_no: str
    client_name: str
    channel: str
    category: str
    severity: str
    status: str
    description: str
    received_at: datetime
    assignee: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_summary: str | None
    remedy: str | None
    compensation_amount: Decimal | None
    compensation_currency: str | None
    feedback_satisfaction: str | None
    feedback_score: int | None
    feedback_comment: str | None
    sla: SlaRead

    @classmethod
    def of(cls, v: ComplaintView) -> ComplaintRead:
        c = v.complaint
        return cls(
            complaint_no=c.complaint_no, client_no=v.party_no, client_name=v.client_name, channel=c.channel,
            category=c.category, severity=c.severity, status=c.status, description=c.description,
            received_at=c.received_at, assignee=v.assignee, first_response_at=c.first_response_at,
            resolved_at=c.resolved_at, closed_at=c.closed_at, resolution_summary=c.resolution_summary, remedy=c.remedy,
            compensation_amount=c.compensation_amount, compensation_currency=c.compensation_currency,
            feedback_satisfaction=c.feedback_satisfaction, feedback_score=c.feedback_score,
            feedback_comment=c.feedback_comment, sla=SlaRead.of(v.sla),
        )  # fmt: skip


class StepRead(BaseModel):
    kind: str
    at: datetime
    actor: str
    text: str


class ComplaintDetailRead(ComplaintRead):
    marketing_held: bool = Field(description="marketing to the client is held while the complaint is open")
    timeline: list[StepRead]

    @classmethod
    def of_detail(cls, d: ComplaintDetail) -> ComplaintDetailRead:
        base = ComplaintRead.of(d.view).model_dump()
        return cls(**base, marketing_held=d.hold_in_force,
                   timeline=[StepRead(kind=s.step.kind, at=s.step.at, actor=s.actor, text=s.step.text) for s in d.steps])  # fmt: skip


class RateRead(BaseModel):
    key: str = Field(description="RM username or team name ('' for the total)")
    clients: int = Field(description="active clients in the book")
    received: int
    open: int
    breached: int
    resolved_within_sla: int
    per_1000: float | None = Field(description="received per 1,000 clients of the book")
    by_category: dict[str, int]

    @classmethod
    def of(cls, r: cd.ComplaintRate) -> RateRead:
        return cls(key=r.key, clients=r.clients, received=r.received, open=r.open, breached=r.breached,
                   resolved_within_sla=r.resolved_within_sla, per_1000=r.per_1000, by_category=r.by_category)  # fmt: skip


class RatesRead(BaseModel):
    start: datetime
    end: datetime
    total: RateRead
    by_rm: list[RateRead]
    by_team: list[RateRead]

    @classmethod
    def of(cls, r: ComplaintRates) -> RatesRead:
        return cls(start=r.start, end=r.end, total=RateRead.of(r.total), by_rm=[RateRead.of(x) for x in r.by_rm],
                   by_team=[RateRead.of(x) for x in r.by_team])  # fmt: skip


class EscalationsRead(BaseModel):
    looked: int
    breaches: int
    made: int
    already: int
    no_lead: int

    @classmethod
    def of(cls, e: Escalations) -> EscalationsRead:
        return cls(looked=e.looked, breaches=e.breaches, made=e.made, already=e.already, no_lead=e.no_lead)
