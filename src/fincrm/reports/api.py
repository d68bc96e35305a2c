"""Reports API (JSON): generate a report for a client, list a client's reports, fetch one as
metadata, PDF or HTML. Thin: each route opens one unit of work and calls one service; fetching a
report's content is audited as a view or a download.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import HTMLResponse, Response

from fincrm.reports import service
from fincrm.reports.schemas import ReportCreate, ReportRead
from fincrm.reports.service import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["reports"])
WebDep = Annotated[Web, Depends(resolve)]
PartyNo = Annotated[str, Path(min_length=1, max_length=32)]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


@router.post("/clients/{party_no}/reports", response_model=ReportRead, status_code=201)
def generate_report(
    web: WebDep, party_no: PartyNo, body: ReportCreate, x_csrf_token: CsrfHeader = None
) -> ReportRead:
    """Render a report (HTML and PDF) for the client and store it; the same day's report is replaced."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    now = web.now()
    with web.uow() as session:
        report = service.generate_report(
            session, me, web.settings, kind=body.kind, party_no=party_no,
            as_of=body.as_of or service.today(web.settings, now), lang=body.lang or web.locale, now=now,
            subject=body.subject,
        )  # fmt: skip
        return ReportRead.of(report, party_no)


@router.get("/clients/{party_no}/reports", response_model=list[ReportRead])
def list_reports(web: WebDep, party_no: PartyNo) -> list[ReportRead]:
    """The client's stored reports, newest first."""
    me = web.require()
    with web.uow() as session:
        return [ReportRead.of(r, party_no) for r in service.list_reports(session, me, party_no)]


@router.get("/reports/{report_id}", response_model=ReportRead)
def get_report(web: WebDep, report_id: ReportId) -> ReportRead:
    """One report's metadata and headline figures (audited as a view)."""
    me = web.require()
    with web.uow() as session:
        report, party = service.open_report(session, me, report_id, now=web.now(), as_pdf=False)
        return ReportRead.of(report, party.party_no)


@router.get("/reports/{report_id}/pdf", response_class=Response)
def download_report(web: WebDep, report_id: ReportId) -> Response:
    """The report's PDF (audited as a download)."""
    me = web.require()
    with web.uow() as session:
        report, party = service.open_report(session, me, report_id, now=web.now(), as_pdf=True)
        return pdf_response(report.pdf, service.file_name(report, party.party_no))


@router.get("/reports/{report_id}/html", response_class=HTMLResponse)
def report_html(web: WebDep, report_id: ReportId) -> HTMLResponse:
    """The report as a standalone HTML page (audited as a view)."""
    me = web.require()
    with web.uow() as session:
        report, _party = service.open_report(session, me, report_id, now=web.now(), as_pdf=False)
        return HTMLResponse(report.html)


def pdf_response(pdf: bytes, file_name: str) -> Response:
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )  # fmt: skip
