"""API shapes of the team dashboards."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from fincrm.team import dashboard_domain as dom
from fincrm.team.dashboard import Dashboard


class RmFiguresRead(BaseModel):
    username: str  # '' for the team's total
    name: str
    clients: int
    aum_by_tier: dict[str, float]  # tier -> amount (reporting currency)
    aum: float
    inflow: float
    outflow: float
    net_flow: float
    companies: int
    companies_covered: int
    coverage_rate: float | None  # fraction
    tasks_due: int
    tasks_on_time: int
    sla_rate: float | None  # fraction
    complaints: int
    complaints_open: int
    complaints_breached: int
    complaints_per_1000: float | None
    at_risk: int
    contacted: int
    saved: int
    save_rate: float | None  # fraction
    drills: int
    drill_average: float | None  # 0-100

    @classmethod
    def of(cls, r: dom.RmFigures) -> RmFiguresRead:
        return cls(
            username=r.username, name=r.name, clients=r.clients,
            aum_by_tier={t: round(r.aum_by_tier.get(t, 0.0), 2) for t in dom.TIERS}, aum=round(r.aum, 2),
            inflow=round(r.inflow, 2), outflow=round(r.outflow, 2), net_flow=round(r.net_flow, 2),
            companies=r.companies, companies_covered=r.companies_covered, coverage_rate=r.coverage_rate,
            tasks_due=r.tasks_due, tasks_on_time=r.tasks_on_time, sla_rate=r.sla_rate, complaints=r.complaints,
            complaints_open=r.complaints_open, complaints_breached=r.complaints_breached,
            complaints_per_1000=r.complaints_per_1000, at_risk=r.at_risk, contacted=r.contacted, saved=r.saved,
            save_rate=r.save_rate, drills=r.drills, drill_average=r.drill_average,
        )  # fmt: skip


class DashboardRead(BaseModel):
    team: str
    start: datetime
    end: datetime
    rows: list[RmFiguresRead]
    total: RmFiguresRead

    @classmethod
    def of(cls, d: Dashboard) -> DashboardRead:
        return cls(team=d.team, start=d.start, end=d.end, rows=[RmFiguresRead.of(r) for r in d.rows],
                   total=RmFiguresRead.of(d.total))  # fmt: skip
