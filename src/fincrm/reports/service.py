"""Report use cases: build a report for a client, store it, list a client's reports, open one.

Every function takes the session and the acting principal; book scoping is applied here, and
the audit record (generated, viewed, downloaded) is appended in the caller's transaction. A
report is rendered to HTML and PDF before anything is written, so a failure stores nothing;
generating the same (client, kind, subject, language, day) again replaces the stored report.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.clients.models import Party
from fincrm.clients.repository import readable_parties
from fincrm.clients.service import readable_party
from fincrm.config import Settings
from fincrm.core.i18n import Formatter
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied
from fincrm.reports import engine
from fincrm.reports.engine import Brand, Document
from fincrm.reports.models import Report
from fincrm.reports.reader import ClientReader

GENERATING_ROLES = (Role.RM, Role.TEAM_LEAD)
MAX_ID = 2**63 - 1  # largest id a BIGINT column holds
SUBJECT_MAX = 64  # characters of a subject key (product code, proposal id, topic, scenario)

# kind -> module with ``document(reader, lang, fmt, subject) -> (Document, subject key)``
KIND_MODULES = {
    "health_check": "health", "quarterly": "quarterly", "post_crisis": "crisis", "proposal": "proposal",
    "product": "product", "education": "education",
}  # fmt: skip
Builder = Callable[[ClientReader, str, Formatter, str], tuple[Document, str]]


def builder(kind: str) -> Builder:
    """The ``document`` function of a report kind's module."""
    module = importlib.import_module(f"fincrm.reports.{KIND_MODULES[engine.check_kind(kind)]}")
    return module.document  # type: ignore[no-any-return]


def brand(settings: Settings, lang: str) -> Brand:
    return Brand(
        name=settings.institution_name if lang == "zh-CN" else settings.institution_name_en,
        color=settings.brand_color,
    )


def build_document(
    session: Session, principal: Principal, settings: Settings, *, kind: str, party_no: str, as_of: date,
    lang: str, subject: str = "",
) -> tuple[Document, str, Party]:  # fmt: skip
    """Compute one report for a client in the reader's book (nothing is stored).

    Returns
    -------
    tuple
        The document, its subject key and the client.

    Raises
    ------
    InputError
        Unknown kind or language, or data the report needs is missing (no holdings, no prices
        for the window, an unknown product or proposal), named in the message.
    NotFound
        The client is not in the reader's book.
    """
    engine.check_kind(kind)
    engine.check_lang(lang)
    if len(subject) > SUBJECT_MAX:
        raise InputError(f"subject must be at most {SUBJECT_MAX} characters",
                         errors=[FieldError(("subject",), "too long", subject[:80])])  # fmt: skip
    build = builder(kind)
    party = readable_party(session, principal, party_no)
    reader = ClientReader(session, settings, party, as_of)
    try:
        doc, key = build(reader, lang, Formatter(lang, ZoneInfo(settings.timezone)), subject)
    finally:
        reader.close()
    return doc, key, party


def render(doc: Document, settings: Settings, generated_at: datetime) -> tuple[str, bytes, int]:
    """(page HTML, PDF bytes, page count) of a document; the page count is checked against the kind's bound."""
    tz = ZoneInfo(settings.timezone)
    b = brand(settings, doc.lang)
    page = engine.render_html(doc, brand=b, generated_at=generated_at, tz=tz)
    pdf, pages = engine.render_pdf(page)
    if pages > engine.MAX_PAGES[doc.kind]:
        raise InputError(
            f"the {doc.kind} report for {doc.subject} ran to {pages} pages, more than its bound of "
            f"{engine.MAX_PAGES[doc.kind]}; the data is larger than the layout allows"
        )
    return page, pdf, pages


@dataclass(frozen=True)
class Rendered:
    """A report computed and rendered, not yet stored."""

    party_id: int
    party_no: str
    kind: str
    subject_key: str
    lang: str
    as_of: date
    doc: Document
    html: str
    pdf: bytes
    pages: int


def render_report(
    session: Session, principal: Principal, settings: Settings, *, kind: str, party_no: str, as_of: date,
    lang: str, now: datetime, subject: str = "",
) -> Rendered:  # fmt: skip
    """Build and render one report (reads only; nothing is stored or audited)."""
    if principal.role not in GENERATING_ROLES:
        raise PermissionDenied("only relationship managers and team leads generate client reports")
    doc, key, party = build_document(
        session, principal, settings, kind=kind, party_no=party_no, as_of=as_of, lang=lang, subject=subject
    )
    html, pdf, pages = render(doc, settings, now)
    return Rendered(party.id, party.party_no, kind, key, lang, as_of, doc, html, pdf, pages)


def store_report(session: Session, principal: Principal, r: Rendered, *, now: datetime) -> Report:
    """Store a rendered report against its client, replacing the same day's; audited."""
    if principal.role not in GENERATING_ROLES:
        raise PermissionDenied("only relationship managers and team leads generate client reports")
    report = session.scalars(
        select(Report).where(
            Report.party_id == r.party_id, Report.kind == r.kind, Report.subject_key == r.subject_key,
            Report.lang == r.lang, Report.as_of_on == r.as_of,
        )
    ).one_or_none()  # fmt: skip
    action = "report.regenerate" if report is not None else "report.generate"
    if report is None:
        report = Report(
            party_id=r.party_id, kind=r.kind, subject_key=r.subject_key, lang=r.lang, as_of_on=r.as_of
        )
        session.add(report)
    report.data_as_of_on = r.doc.data_as_of
    report.title = r.doc.title[:300]
    report.generated_at = now
    report.generated_by_id = principal.user_id
    report.figures = json.dumps(r.doc.figures, ensure_ascii=False)
    report.html = r.html
    report.pdf = r.pdf
    report.pdf_sha256 = hashlib.sha256(r.pdf).hexdigest()
    report.page_count = r.pages
    session.flush()
    audit.append(session, principal, action, at=now, party_id=r.party_id,
                 detail=f"report {report.id}: {r.kind} {r.subject_key} {r.lang} as of {r.as_of}, {r.pages} pages")  # fmt: skip
    return report


def generate_report(
    session: Session, principal: Principal, settings: Settings, *, kind: str, party_no: str, as_of: date,
    lang: str, now: datetime, subject: str = "",
) -> Report:  # fmt: skip
    """Build, render and store one report against its client (replacing the same day's), audited."""
    rendered = render_report(
        session, principal, settings, kind=kind, party_no=party_no, as_of=as_of, lang=lang, now=now,
        subject=subject,
    )  # fmt: skip
    return store_report(session, principal, rendered, now=now)


def list_reports(session: Session, principal: Principal, party_no: str) -> list[Report]:
    """A client's stored reports, newest first (content not loaded into the caller's hands)."""
    party = readable_party(session, principal, party_no)
    return list(
        session.scalars(
            select(Report)
            .where(Report.party_id == party.id)
            .order_by(Report.generated_at.desc(), Report.id.desc())
        )
    )


def open_report(
    session: Session, principal: Principal, report_id: int, *, now: datetime, as_pdf: bool
) -> tuple[Report, Party]:
    """One stored report of a client in the reader's book; the view or download is audited."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    if not 1 <= report_id <= MAX_ID:
        raise NotFound(f"no report {report_id}")
    row = session.execute(
        select(Report, Party)
        .join(Party, Party.id == Report.party_id)
        .where(Report.id == report_id, readable_parties(principal))
    ).one_or_none()
    if row is None:
        raise NotFound(f"no report {report_id} in your book")
    report, party = row
    audit.append(session, principal, "report.download" if as_pdf else "report.view", at=now,
                 party_id=party.id, detail=f"report {report.id}: {report.kind} {report.lang}")  # fmt: skip
    return report, party


def birthday_clients(session: Session, principal: Principal, start: date, end: date) -> list[str]:
    """Client numbers in the reader's book whose (solar) birthday falls on ``start`` .. ``end``.

    The window may span a year end; it is at most 366 days.
    """
    if end < start or (end - start).days > 366:
        raise InputError("the birthday window must run forward and be at most 366 days")
    days = {
        (d.month, d.day)
        for d in (start.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1))
    }
    months = sorted({m for m, _ in days})
    rows = session.execute(
        select(Party.party_no, Party.birth_on)
        .where(readable_parties(principal), Party.birth_on.is_not(None),
               extract("month", Party.birth_on).in_(months))
        .order_by(Party.party_no)
    ).all()  # fmt: skip
    return [no for no, born in rows if (born.month, born.day) in days]


def today(settings: Settings, now: datetime) -> date:
    """The business day of ``now`` in the institution's timezone."""
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def file_name(report: Report, party_no: str) -> str:
    """ASCII download name: <client>-<kind>[-<subject>]-<lang>-<as of>.pdf."""
    parts = [party_no, report.kind, report.subject_key, report.lang, report.as_of_on.isoformat()]
    safe = ["".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in p) for p in parts]
    return "-".join(p for p in safe if p) + ".pdf"
