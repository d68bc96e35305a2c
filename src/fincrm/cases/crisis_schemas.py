"""API shapes of crisis communication: the market fall, affected clients, sandwich drafts, the
post-crisis reports batch and the strategy meeting's invitations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from fincrm.cases import crisis_domain as cd
from fincrm.cases.crisis import Affected, DraftView, MarketFall


class FallRead(BaseModel):
    series: str
    start: date = Field(description="the fall's peak day")
    end: date = Field(description="the window's last close")
    drawdown: float = Field(description="the series' maximum drawdown in the window, fraction <= 0")
    fall_pct: float = Field(description="the same as a positive percentage")
    trading_days: int
    found_in_lake: bool = Field(description="found by the threshold (true) or given as dates (false)")

    @classmethod
    def of(cls, f: MarketFall) -> FallRead:
        return cls(series=f.series, start=f.start, end=f.end, drawdown=f.drawdown, fall_pct=f.fall_pct,
                   trading_days=f.trading_days, found_in_lake=f.found)  # fmt: skip


class AffectedRead(BaseModel):
    client_no: str
    name: str
    held_amount: float = Field(description="current holdings, CNY")
    equity_pct: float = Field(description="look-through equity share of the holdings, percent")
    drawdown: float | None = Field(description="buy-and-hold maximum drawdown over the window, fraction <= 0")
    open_draft: str | None = Field(description="status of the client's open crisis draft")

    @classmethod
    def of(cls, a: Affected) -> AffectedRead:
        return cls(client_no=a.party_no, name=a.name, held_amount=a.held_amount, equity_pct=a.equity_pct,
                   drawdown=a.drawdown, open_draft=a.open_draft)  # fmt: skip


class AffectedPage(BaseModel):
    fall: FallRead
    min_equity_pct: float
    clients: list[AffectedRead]


class WindowBody(BaseModel):
    series: str = Field("CSI300", min_length=1, max_length=32)
    start: date | None = Field(None, description="with end: the window; without: the latest fall in the lake")
    end: date | None = None
    fall_pct: float = Field(cd.DEFAULT_FALL_PCT, gt=0, lt=100, description="percent, to find the latest fall")
    within_days: int = Field(
        cd.DEFAULT_WITHIN_DAYS, ge=1, le=250, description="trading days, to find the latest fall"
    )


class DraftCreate(WindowBody):
    action: str | None = Field(
        None,
        max_length=32,
        description="proposal, hold, rebalance, add_gradually, "
        "reduce_risk or review_meeting; none: the proposal if there is one, else hold",
    )
    channel: str = Field("wecom", max_length=16, description="email, sms, wecom or in_app")
    lang: str | None = Field(None, max_length=5, description="zh-CN or en (default: the institution's)")


class BatchCreate(DraftCreate):
    min_equity_pct: float = Field(cd.DEFAULT_MIN_EQUITY_PCT, ge=0, le=100)
    client_nos: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="these clients only (each in your book); empty: every affected client",
    )


class DraftEdit(BaseModel):
    body: str = Field(min_length=1, max_length=cd.BODY_MAX)


class DecisionBody(BaseModel):
    approve: bool
    reason: str = Field(min_length=1, max_length=2000)


class DraftRead(BaseModel):
    id: int
    client_no: str
    name: str
    status: str = Field(description="draft, held, approved, sent, superseded or rejected")
    series: str
    start: date
    end: date
    lang: str
    channel: str
    action: str
    proposal_id: int | None
    subject: str
    empathy: str
    facts_text: str
    plan_text: str
    body: str
    facts: dict[str, Any] = Field(description="the figures the text was written from")
    scan_codes: list[str]
    scan_reason: str
    edits: int
    author: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    message_id: int | None
    message_status: str | None = Field(description="the outbox row's status once sent")

    @classmethod
    def of(cls, v: DraftView) -> DraftRead:
        d = v.draft
        return cls(
            id=d.id, client_no=v.party_no, name=v.name, status=d.status, series=d.series, start=d.start_on, end=d.end_on,
            lang=d.lang, channel=d.channel, action=d.action, proposal_id=d.proposal_id, subject=d.subject,
            empathy=d.empathy, facts_text=d.facts_text, plan_text=d.plan_text, body=d.body, facts=v.facts,
            scan_codes=[c for c in d.scan_codes.split(",") if c], scan_reason=d.scan_reason, edits=d.edits,
            author=v.author, created_at=d.created_at, updated_at=d.updated_at, sent_at=d.sent_at,
            message_id=d.message_id, message_status=v.message_status,
        )  # fmt: skip


class ReportsCreate(WindowBody):
    client_nos: list[str] = Field(min_length=1, max_length=200)
    lang: str = Field("zh-CN", max_length=5)


class ReportOutcomeRead(BaseModel):
    client_no: str
    report_id: int | None
    pages: int
    error: str


class MeetingCreate(BaseModel):
    client_nos: list[str] = Field(min_length=1, max_length=500)
    event_id: int | None = Field(None, ge=1, description="an existing event; none: a new strategy meeting")
    title_zh: str = Field("", max_length=200)
    title_en: str = Field("", max_length=200)
    starts_at: datetime | None = Field(None, description="with a timezone offset, for a new meeting")
    venue: str = Field("", max_length=200)
    capacity: int = Field(30, ge=1, le=10_000)
    channel: str = Field("phone", max_length=16)


class MeetingRead(BaseModel):
    event_id: int
    invited: list[str]
    already: list[str]
