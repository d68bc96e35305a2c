"""Team dashboards (JSON and Excel): ``GET /team/dashboard`` and ``GET /team/dashboard.xlsx``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from fincrm.team import dashboard
from fincrm.team.dashboard_schemas import DashboardRead
from fincrm.web.context import Web, resolve

router = APIRouter(tags=["team"])
WebDep = Annotated[Web, Depends(resolve)]
Days = Annotated[
    int, Query(ge=1, le=dashboard.MAX_PERIOD_DAYS, description="the last N days, when start is not given")
]
Start = Annotated[datetime | None, Query(description="period start (with a timezone offset)")]
End = Annotated[datetime | None, Query(description="period end, exclusive (with a timezone offset)")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(web: Web, days: int, start: datetime | None, end: datetime | None) -> dashboard.Dashboard:
    me = web.require()
    default_start, default_end = dashboard.period_of(web.now(), days)
    with web.uow() as session:
        return dashboard.team_dashboard(session, me, web.settings, start=start or default_start,
                                        end=end or default_end, now=web.now())  # fmt: skip


@router.get("/team/dashboard", response_model=DashboardRead)
def read_dashboard(web: WebDep, days: Days = 30, start: Start = None, end: End = None) -> DashboardRead:
    """Each RM's figures over the period and the team's total (a lead: the team; an RM: their own)."""
    return DashboardRead.of(_read(web, days, start, end))


@router.get("/team/dashboard.xlsx", response_class=Response)
def export_dashboard(web: WebDep, days: Days = 30, start: Start = None, end: End = None) -> Response:
    """The same figures as an Excel workbook (headers in the caller's language)."""
    dash = _read(web, days, start, end)
    body = dashboard.workbook(dash, gettext=web.gettext, tz=web.settings.tz)
    name = f"team-dashboard-{dash.end.astimezone(web.settings.tz):%Y-%m-%d}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
