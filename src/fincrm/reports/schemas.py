"""Shapes of stored reports handed to the edges (API and pages)."""

from __future__ import annotations

import json
from datetime import date, datetime

from pydantic import BaseModel, Field

from fincrm.reports.models import Report


class ReportCreate(BaseModel):
    kind: str = Field(
        max_length=24, description="health_check, quarterly, post_crisis, proposal, product or education"
    )
    as_of: date | None = Field(None, description="the day the report speaks for; today when omitted")
    lang: str | None = Field(None, max_length=5, description="zh-CN or en; the user's language when omitted")
    subject: str = Field(
        "", max_length=64,
        description="product code (product), proposal id (proposal), topic (education: leverage, volatility, "
        "drawdown), scenario key (post_crisis), quarter YYYYQn (quarterly); '' for the default",
    )  # fmt: skip


class ReportRead(BaseModel):
    id: int
    client_no: str
    kind: str
    subject_key: str
    lang: str
    as_of: date
    data_as_of: date
    title: str
    generated_at: datetime
    page_count: int
    size_bytes: int
    pdf_sha256: str
    figures: dict[str, str]
    html_url: str
    pdf_url: str

    @classmethod
    def of(cls, report: Report, client_no: str) -> ReportRead:
        return cls(
            id=report.id, client_no=client_no, kind=report.kind, subject_key=report.subject_key,
            lang=report.lang, as_of=report.as_of_on, data_as_of=report.data_as_of_on, title=report.title,
            generated_at=report.generated_at, page_count=report.page_count, size_bytes=len(report.pdf),
            pdf_sha256=report.pdf_sha256, figures=json.loads(report.figures),
            html_url=f"/reports/{report.id}", pdf_url=f"/reports/{report.id}.pdf",
        )  # fmt: skip
