"""Report pages: a client's reports (list, generate), one report shown in the workbench, its PDF;
and the reports panel of the client 360. Thin handlers over ``reports.service``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.errors import FieldError, InputError
from fincrm.reports import engine, service
from fincrm.reports.api import pdf_response
from fincrm.reports.service import MAX_ID
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID)]
PANEL_ROWS = 8  # reports listed on the client 360
KIND_LABELS = {
    "health_check": N_("Asset health check"), "quarterly": N_("Quarterly asset diagnosis"),
    "post_crisis": N_("Post-crisis review"), "proposal": N_("Proposal report"),
    "product": N_("Product disclosure"), "education": N_("Risk education"),
}  # fmt: skip
SUBJECT_HINTS = {
    "product": N_("product code, e.g. SP001"), "proposal": N_("proposal number; empty for the latest"),
    "education": N_("leverage, volatility or drawdown"), "post_crisis": N_("scenario; empty for the largest fall"),
    "quarterly": N_("quarter, e.g. 2026Q3; empty for the last one"),
}  # fmt: skip


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's reports panel: the latest reports and a link to all of them."""
    reports = service.list_reports(session, me, party_no)
    return "reports/_panel.html", {
        "party_no": party_no, "reports": reports[:PANEL_ROWS], "more": len(reports) > PANEL_ROWS,
        "kind_labels": KIND_LABELS,
    }  # fmt: skip


def _client_reports(
    web: Web, party_no: str, *, error: InputError | None = None, form: dict | None = None
) -> Response:
    me = web.require()
    with web.uow() as session:
        reports = service.list_reports(session, me, party_no)
    return render(
        web, "reports/client_reports.html",
        {
            "party_no": party_no, "reports": reports, "kinds": engine.KINDS, "kind_labels": KIND_LABELS,
            "subject_hints": SUBJECT_HINTS, "error": error, "form": form or {},
            "today": service.today(web.settings, web.now()),
        },
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/clients/{party_no}/reports", response_class=HTMLResponse)
def client_reports_page(web: WebDep, party_no: str) -> Response:
    return _client_reports(web, party_no)


@router.post("/clients/{party_no}/reports")
def generate_report_page(
    web: WebDep,
    party_no: str,
    kind: Annotated[str, Form(max_length=24)] = "",
    lang: Annotated[str, Form(max_length=5)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    subject: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    form = {"kind": kind, "lang": lang, "as_of": as_of, "subject": subject}
    now = web.now()
    try:
        try:
            day = date.fromisoformat(as_of) if as_of else service.today(web.settings, now)
        except ValueError:
            raise InputError("the as-of date must be YYYY-MM-DD",
                             errors=[FieldError(("as_of",), "not a date", as_of)]) from None  # fmt: skip
        with web.uow() as session:
            report = service.generate_report(
                session, me, web.settings, kind=kind, party_no=party_no, as_of=day, lang=lang or web.locale,
                now=now, subject=subject.strip(),
            )  # fmt: skip
            report_id = report.id
    except InputError as exc:
        return _client_reports(web, party_no, error=exc, form=form)
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.get("/reports/{report_id}.pdf")
def report_pdf_page(web: WebDep, report_id: ReportId) -> Response:
    me = web.require()
    with web.uow() as session:
        report, party = service.open_report(session, me, report_id, now=web.now(), as_pdf=True)
        return pdf_response(report.pdf, service.file_name(report, party.party_no))


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(web: WebDep, report_id: ReportId) -> Response:
    """The report inside the workbench (its own page in a frame), with the PDF download; audited."""
    me = web.require()
    with web.uow() as session:
        report, party = service.open_report(session, me, report_id, now=web.now(), as_pdf=False)
        values = {"report": report, "party_no": party.party_no, "kind_labels": KIND_LABELS}
    return render(web, "reports/view.html", values)
