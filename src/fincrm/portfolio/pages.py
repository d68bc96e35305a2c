"""Portfolio lab pages (HTML): the lab of one client (propose, evidence, override, review) and the
compliance queue.

Thin handlers over ``portfolio.service``; the only logic here is presentation: the stress bar chart
and the backtest line, drawn as inline SVG computed server-side (no JavaScript library, nothing from
a CDN). Form posts redirect back to the lab (post-redirect-get); an input error re-renders the lab
with the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.access.domain import Role
from fincrm.errors import FieldError, InputError
from fincrm.portfolio import service
from fincrm.portfolio.scenarios import ASSET_CLASSES
from fincrm.portfolio.schemas import ProposalRead
from fincrm.portfolio.service import MAX_ID
from fincrm.web.context import Web, resolve
from fincrm.web.labels import ASSET_CLASS, N_
from fincrm.web.render import render

ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]

STRESS_WIDTH, STRESS_ROW, STRESS_BAR = 360, 54, 14  # px: bar area width, rows per scenario, one bar
LINE_WIDTH, LINE_HEIGHT = 560, 180  # px: backtest chart
SERIES_COLOUR = {"proposal": "#0b5cad", "current": "#e07b39", "benchmark": "#7f8c8d"}
STATUS = {
    "draft": N_("draft"), "rm_reviewed": N_("reviewed by the RM"), "compliance_checked": N_("compliance checked"),
    "presented": N_("presented to the client"), "accepted": N_("accepted"), "declined": N_("declined"),
}  # fmt: skip
ACTION = {
    "created": N_("created"), "override": N_("override"), "review": N_("review"), "approve": N_("approve"),
    "reject": N_("reject"), "present": N_("present"), "accept": N_("accept"), "decline": N_("decline"),
    "auto_checked": N_("checked by the system"),
}  # fmt: skip
METHOD = {
    "target_risk": N_("highest return within the risk budget"),
    "max_sharpe": N_("maximum Sharpe ratio"), "min_volatility": N_("minimum volatility"),
    "risk_parity": N_("risk parity"),
}  # fmt: skip
SERIES = {"proposal": N_("Proposal"), "current": N_("Current"), "benchmark": N_("Benchmark")}
OUTCOME = {
    "suitable": N_("suitable"), "needs_acknowledgement": N_("needs the client's acknowledgement"),
    "refused": N_("refused"), "blocked": N_("blocked"),
}  # fmt: skip
REASON = {"override": N_("override by the RM"), "suitability_mismatch": N_("suitability mismatch")}
LAB_LABELS = {
    "status": STATUS, "action": ACTION, "method": METHOD, "series": SERIES, "outcome": OUTCOME,
    "reason": REASON,
}  # fmt: skip


@dataclass(frozen=True)
class StressBar:
    y: float
    width: float  # px of the drawdown's size
    series: str  # proposal | current | benchmark
    colour: str
    drawdown: float


@dataclass(frozen=True)
class StressGroup:
    y: float
    key: str
    name_zh: str
    name_en: str
    bars: list[StressBar]


SCATTER_WIDTH, SCATTER_HEIGHT = 320, 180  # px of the risk/return plot area


def scatter_points(chart: dict[str, Any]) -> list[tuple[str, float, float, float, float]]:
    """(label, x px, y px, volatility, return) of each point, volatility from 0 to the largest
    (plus a margin) left to right and return bottom to top (0 included)."""
    points = chart.get("points", [])
    if not points:
        return []
    xs, ys = [p["x"] for p in points], [p["y"] for p in points]
    x_max = max(max(xs), 0.01) * 1.2
    y_lo, y_hi = min(min(ys), 0.0), max(max(ys), 0.01) * 1.2
    return [
        (p["label"], p["x"] / x_max * SCATTER_WIDTH,
         SCATTER_HEIGHT - (p["y"] - y_lo) / (y_hi - y_lo) * SCATTER_HEIGHT, p["x"], p["y"])
        for p in points
    ]  # fmt: skip


def stress_chart(rows: list[dict[str, Any]]) -> list[StressGroup]:
    """One group per scenario, one horizontal bar per series, length = size of the maximum drawdown."""
    worst = max(
        [
            abs(r[s]["max_drawdown"])
            for r in rows
            for s in SERIES_COLOUR
            if r.get(s) and r[s].get("max_drawdown")
        ]
        + [0.01]
    )
    groups = []
    for i, r in enumerate(rows):
        bars = []
        for j, s in enumerate(SERIES_COLOUR):
            dd = (r.get(s) or {}).get("max_drawdown")
            if dd is None:
                continue
            bars.append(StressBar(
                y=i * STRESS_ROW + j * STRESS_BAR, width=round(abs(dd) / worst * STRESS_WIDTH, 1), series=s,
                colour=SERIES_COLOUR[s], drawdown=dd,
            ))  # fmt: skip
        groups.append(StressGroup(i * STRESS_ROW, r["key"], r["name_zh"], r["name_en"], bars))
    return groups


def line_path(
    values: list[float], width: int = LINE_WIDTH, height: int = LINE_HEIGHT
) -> tuple[str, float, float]:
    """SVG path of a series scaled into the box (top = highest value); returns it with the min and max."""
    if len(values) < 2:
        return "", 0.0, 0.0
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    points = [f"{i * step:.1f},{height - (v - low) / span * height:.1f}" for i, v in enumerate(values)]
    return "M " + " L ".join(points), low, high


def allowed_actions(role: Role, status: str) -> list[str]:
    return [
        a for a, (roles, sources, _) in service.TRANSITIONS.items() if role in roles and status in sources
    ]


def _lab(
    web: Web, party_no: str, proposal_id: int | None = None, *, error: InputError | None = None
) -> HTMLResponse:
    me = web.require()
    with web.uow() as session:
        proposals = [
            service.read_proposal(session, p)
            for p in service.list_proposals(session, me, party_no, now=web.now())
        ]
        shown: ProposalRead | None = None
        chosen = proposal_id or (proposals[0].id if proposals else None)
        if chosen is not None:
            proposal, events = service.get_proposal(session, me, chosen, now=web.now())
            shown = service.read_proposal(session, proposal, events)
    context: dict[str, Any] = {
        "party_no": party_no, "proposals": proposals, "pr": shown, "error": error, "ll": LAB_LABELS,
        "methods": service.METHODS, "stress_width": STRESS_WIDTH, "stress_row": STRESS_ROW,
        "stress_bar": STRESS_BAR, "series_colour": SERIES_COLOUR, "line_width": LINE_WIDTH,
        "line_height": LINE_HEIGHT, "actions": [], "codes": [], "asset_classes": ASSET_CLASSES,
        "asset_label": lambda c: ASSET_CLASS.get(c, c),
    }  # fmt: skip
    if shown is not None:
        ev = shown.evidence
        current = ev.get("current_weights", {})
        context["codes"] = sorted(set(shown.weights) | set(current) | set(shown.machine.get("weights", {})))
        context["current"] = current
        context["stress"] = stress_chart(ev.get("stress", []))
        backtest = ev.get("backtest")
        context["backtest_path"] = line_path(backtest["values"]) if backtest else ("", 0.0, 0.0)
        comparison = ev.get("comparison")
        context["scatter"] = scatter_points(comparison["chart"]) if comparison else []
        context["actions"] = allowed_actions(me.role, shown.status)
        context["amounts"] = {
            c: (shown.invest_amount * Decimal(str(w))).quantize(Decimal("0.01"))
            for c, w in shown.weights.items()
            if w
        }
        context["names"] = {
            line["code"]: (line["name"], line["name_en"])
            for line in ev.get("disclosure", {}).get("lines", [])
        }
    return render(web, "portfolio/lab.html", context, status=422 if error else 200)


def _back(party_no: str, proposal_id: int) -> RedirectResponse:
    return RedirectResponse(f"/clients/{party_no}/lab?proposal={proposal_id}", status_code=303)


@router.get("/clients/{party_no}/lab", response_class=HTMLResponse)
def lab_page(
    web: WebDep, party_no: str, proposal: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    return _lab(web, party_no, proposal)


@router.post("/clients/{party_no}/lab/proposals")
def create_proposal_page(
    web: WebDep,
    party_no: str,
    invest_amount: Annotated[str, Form()] = "",
    method: Annotated[str, Form()] = "target_risk",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        amount = Decimal(invest_amount.replace(",", "").strip())
    except InvalidOperation:
        problem = FieldError(("invest_amount",), "not a number", invest_amount)
        return _lab(web, party_no, error=InputError("the amount must be a number", errors=[problem]))
    try:
        with web.uow() as session:
            proposal = service.create_proposal(
                session,
                me,
                party_no,
                settings=web.settings,
                invest_amount=amount,
                method=method,
                now=web.now(),
            )
            proposal_id = proposal.id
    except InputError as exc:
        return _lab(web, party_no, error=exc)
    return _back(party_no, proposal_id)


@router.post("/clients/{party_no}/lab/proposals/{proposal_id}/override")
async def override_proposal_page(
    web: WebDep, party_no: str, proposal_id: ProposalId, request: Request
) -> Response:
    """Weights come as ``w_<code>`` fields in percent (the form shows percentages)."""
    me = web.require()
    form = await request.form()
    web.check_csrf(str(form.get("csrf_token", "")))
    weights, problems = {}, []
    for key, value in form.items():
        if key.startswith("w_") and str(value).strip():
            try:
                weights[key[2:]] = float(str(value)) / 100
            except ValueError:
                problems.append(FieldError(("weights", key[2:]), "not a number", str(value)))
    if problems:
        return _lab(web, party_no, proposal_id, error=InputError("a weight is not a number", errors=problems))
    try:
        with web.uow() as session:
            service.override_proposal(
                session, me, proposal_id, weights, reason=str(form.get("reason", "")), settings=web.settings,
                now=web.now(),
            )  # fmt: skip
    except InputError as exc:
        return _lab(web, party_no, proposal_id, error=exc)
    return _back(party_no, proposal_id)


@router.post("/clients/{party_no}/lab/proposals/{proposal_id}/actions")
def advance_proposal_page(
    web: WebDep,
    party_no: str,
    proposal_id: ProposalId,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next_page: Annotated[str, Form(alias="next")] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            service.advance_proposal(session, me, proposal_id, action, reason=reason, now=web.now())
    except InputError as exc:
        return _lab(web, party_no, proposal_id, error=exc)
    if next_page == "queue":
        return RedirectResponse("/compliance/proposals", status_code=303)
    return _back(party_no, proposal_id)


@router.get("/compliance/proposals", response_class=HTMLResponse)
def compliance_queue_page(web: WebDep) -> Response:
    me = web.require()
    with web.uow() as session:
        queue = [
            service.read_proposal(session, p) for p in service.compliance_queue(session, me, now=web.now())
        ]
    return render(web, "portfolio/queue.html", {"queue": queue, "ll": LAB_LABELS})


@router.get("/products/compare", response_class=HTMLResponse)
def compare_products_page(web: WebDep, codes: Annotated[str, Query(max_length=300)] = "") -> Response:
    """Products side by side per unit of risk (a form; the result when codes are given)."""
    web.require()
    result, error = None, None
    if codes.strip():
        try:
            with web.uow() as session:
                result = service.compare_products(
                    session, web.require(), codes.split(","), settings=web.settings, on=web.now().date()
                )
        except InputError as exc:
            error = exc.message
    context = {"codes": codes, "result": result, "error": error,
               "scatter": scatter_points(result["chart"]) if result else []}  # fmt: skip
    return render(web, "portfolio/compare.html", context, status=422 if error else 200)
