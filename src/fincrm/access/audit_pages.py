"""The audit trail for compliance: a client's trail as a page, a CSV download and JSON.

Only compliance officers read the trail. The CSV starts with a UTF-8 byte-order mark so that
Excel on a Chinese Windows desktop opens it as UTF-8 instead of GBK; each view (page or API) and
each download is audited.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from fincrm.access import service
from fincrm.access.models import AuditRecord
from fincrm.errors import PermissionDenied
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["audit"])
PER_PAGE = 50  # records per page of the trail
PARTY_NO = Annotated[str, Query(min_length=1, max_length=32, description="Client number")]


def _compliance(web: Annotated[Web, Depends(resolve)]) -> Web:
    if web.require().role not in service.AUDIT_READERS:
        raise PermissionDenied("only compliance may read the audit trail")
    return web


ComplianceWeb = Annotated[Web, Depends(_compliance)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    web: ComplianceWeb,
    party_no: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    trail = None
    if party_no.strip():
        with web.uow() as session:
            trail = service.client_trail(
                session, web.require(), party_no=party_no, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
            )
            service.record_trail_view(session, web.require(), trail=trail, now=web.now())
    pages = max(1, -(-trail.total // PER_PAGE)) if trail else 1
    return render(
        web, "access/audit.html",
        {"party_no": party_no.strip(), "trail": trail, "page": page, "pages": pages, "per_page": PER_PAGE},
    )  # fmt: skip


CSV_COLUMNS = (
    N_("Record"),
    N_("When (UTC)"),
    N_("Who"),
    N_("Action"),
    N_("Fields"),
    N_("Detail"),
    N_("IP address"),
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel would run as a formula


def _cell(value: object) -> str:
    """A CSV cell that Excel shows as text: free text (a memory point, a refused user name) that
    starts like a formula is prefixed with an apostrophe (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@router.get("/audit/export")
def audit_export(web: ComplianceWeb, party_no: PARTY_NO) -> Response:
    with web.uow() as session:
        trail = service.client_trail(session, web.require(), party_no=party_no, limit=None)
        service.record_trail_export(session, web.require(), trail=trail, now=web.now())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([web.gettext(c) for c in CSV_COLUMNS] + [web.gettext("Client number")])
    for r in trail.records:
        at = r.at.isoformat(timespec="seconds")
        writer.writerow(
            [_cell(v) for v in (r.id, at, r.actor, r.action, r.fields, r.detail, r.ip, trail.party_no)]
        )
    filename = f"audit-{trail.party_no}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


class AuditRecordRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    fields: list[str]
    detail: str
    ip: str | None


class AuditTrailPage(BaseModel):
    party_no: str
    total: int
    page: int
    per_page: int
    records: list[AuditRecordRead]


def _read(r: AuditRecord) -> AuditRecordRead:
    return AuditRecordRead(
        id=r.id, at=r.at, actor=r.actor, action=r.action, fields=[f for f in r.fields.split(",") if f],
        detail=r.detail, ip=r.ip,
    )  # fmt: skip


@api_router.get("/audit", response_model=AuditTrailPage)
def audit_trail(
    web: ComplianceWeb,
    party_no: PARTY_NO,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = PER_PAGE,
) -> AuditTrailPage:
    with web.uow() as session:
        trail = service.client_trail(
            session, web.require(), party_no=party_no, offset=(page - 1) * per_page, limit=per_page
        )
        service.record_trail_view(session, web.require(), trail=trail, now=web.now())
    return AuditTrailPage(
        party_no=trail.party_no, total=trail.total, page=page, per_page=per_page,
        records=[_read(r) for r in trail.records],
    )  # fmt: skip
