"""The team dashboard page (``/team/dashboard``): charts and the table of each RM's figures, with
the Excel export link. A thin handler over ``team.dashboard``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from fincrm.reports.charts import to_svg
from fincrm.team import dashboard
from fincrm.team import dashboard_domain as dom
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
PERIODS = (7, 30, 90, 365)  # days the page offers
TIER_LABELS = {"hnw": N_("High net worth"), "mass": N_("Mass affluent"), "long_tail": N_("Long tail")}


def _titles(web: Web) -> dom.ChartTitles:
    _ = web.gettext
    return dom.ChartTitles(
        aum=_("Assets by tier"), flows=_("Money in and out"), sla=_("Touchpoint SLA and key-person coverage"),
        complaints=_("Complaints per 1,000 clients"), tiers={t: _(label) for t, label in TIER_LABELS.items()},
        inflow=_("Money in"), outflow=_("Money out"), net=_("Net flow"), sla_legend=_("SLA adherence"),
        coverage_legend=_("Key persons covered"), complaints_legend=_("Complaints per 1,000 clients"),
    )  # fmt: skip


@router.get("/team/dashboard", response_class=HTMLResponse)
def dashboard_page(
    web: WebDep, days: Annotated[int, Query(ge=1, le=dashboard.MAX_PERIOD_DAYS)] = 30
) -> Response:
    me = web.require()
    start, end = dashboard.period_of(web.now(), days)
    with web.uow() as session:
        dash = dashboard.team_dashboard(session, me, web.settings, start=start, end=end, now=web.now())
    svgs = [Markup(to_svg(c, lang=web.locale)) for c in dom.charts(dash.rows, _titles(web))]  # noqa: S704 - our own escaped SVG
    return render(web, "team/dashboard.html", {
        "dash": dash, "days": days, "periods": PERIODS, "charts": svgs, "tiers": dom.TIERS, "tier_labels": TIER_LABELS,
    })  # fmt: skip
