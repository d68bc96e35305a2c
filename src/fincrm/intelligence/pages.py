"""The segment dashboard page: tiers, RFM heat map, lift chart, signals, drift alerts, attrition.

Charts are inline SVG computed here (no JavaScript, nothing from a CDN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from fincrm.intelligence import service
from fincrm.intelligence.domain import BOOK
from fincrm.intelligence.schemas import HeatCell, LiftReport
from fincrm.web.context import Web, resolve
from fincrm.web.labels import INTELLIGENCE_LABELS
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]

HEAT_CELL = 44  # px per heat-map square
LIFT_WIDTH, LIFT_ROW = 420, 26  # px: chart width, height of one bar row


@dataclass(frozen=True)
class HeatSquare:
    x: int
    y: int
    r_score: int
    f_score: int
    clients: int
    opacity: float


@dataclass(frozen=True)
class LiftBar:
    y: int
    cell: str
    width: float  # px of the lift value
    low: float  # px of the interval's ends
    high: float
    lift: float | None


def heat_squares(cells: list[HeatCell]) -> list[HeatSquare]:
    """5 x 5 squares (R across, F up), shaded by the share of the largest square."""
    counts = {(c.r_score, c.f_score): c.clients for c in cells}
    peak = max(counts.values(), default=0) or 1
    return [
        HeatSquare(
            x=(r - 1) * HEAT_CELL,
            y=(5 - f) * HEAT_CELL,
            r_score=r,
            f_score=f,
            clients=counts.get((r, f), 0),
            opacity=round(0.08 + 0.92 * counts.get((r, f), 0) / peak, 3),
        )  # fmt: skip
        for r in range(1, 6)
        for f in range(1, 6)
    ]


def lift_bars(report: LiftReport) -> tuple[list[LiftBar], float]:
    """One bar per cell (the lift), with its 95 % interval; returns the bars and the x of lift 1."""
    rows = [r for r in report.rows if r.cell != BOOK and r.lift is not None]
    top = max([r.lift_high or r.lift or 0 for r in rows] + [2.0])
    scale = LIFT_WIDTH / top
    bars = [
        LiftBar(
            y=i * LIFT_ROW,
            cell=r.cell,
            width=round((r.lift or 0) * scale, 1),
            low=round((r.lift_low or 0) * scale, 1),
            high=round((r.lift_high or 0) * scale, 1),
            lift=r.lift,
        )  # fmt: skip
        for i, r in enumerate(rows)
    ]
    return bars, round(scale, 1)


@router.get("/segments", response_class=HTMLResponse)
def segments_page(web: WebDep) -> Response:
    me = web.require()
    with web.uow() as session:
        board = service.segment_dashboard(session, me, now=web.now())
        lift = service.lift_report(session, me)
    bars, one = lift_bars(lift)
    catalogue = service.benefit_catalogue(web.settings.benefits_path)
    return render(
        web,
        "intelligence/segments.html",
        {
            "board": board, "lift": lift, "bars": bars, "lift_one": one, "lift_width": LIFT_WIDTH,
            "lift_row": LIFT_ROW, "squares": heat_squares(board.heat_map), "heat_cell": HEAT_CELL,
            "il": INTELLIGENCE_LABELS, "benefits": catalogue.tiers,
        },
    )  # fmt: skip
