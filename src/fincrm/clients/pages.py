"""Workbench pages of the client book (HTML): search, my book, the client 360, memory-point forms.

Thin handlers over ``clients.service``; the only logic here is presentation: the geometry of the
relationship graph and of the allocation donut, both drawn as inline SVG computed server-side
(no JavaScript, nothing from a CDN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.clients import profile as profile_service
from fincrm.clients import service
from fincrm.clients.schemas import AllocationSlice, Client360, IntelligenceRead, RelationshipsRead, RevealRead
from fincrm.core.crypto import FieldCipher
from fincrm.errors import FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import ASSET_CLASS, INTELLIGENCE_LABELS, MEMORY_CATEGORY, N_, RELATIONSHIP
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]

HOUSEHOLD_ROLE = {
    "head": N_("household head"),
    "spouse": N_("spouse"),
    "child": N_("child"),
    "parent": N_("parent"),
    "other": N_("household member"),
}
EXTRA_ASSET_CLASS = {"unclassified": N_("not classified")}
# Display labels of client vocabulary that fincrm.web.labels does not carry (yet).
CLIENT_LABELS = {
    "party_kind": {"individual": N_("individual"), "corporate": N_("corporate")},
    "party_status": {"active": N_("active client"), "dormant": N_("dormant client"), "closed": N_("closed client")},
    "gender": {"F": N_("female"), "M": N_("male")},
    "investor_class": {"ordinary": N_("ordinary investor"), "professional": N_("professional investor")},
    "direction": {"inbound": N_("inbound"), "outbound": N_("outbound")},
    "consent_action": {"grant": N_("granted"), "withdraw": N_("withdrawn")},
    "account_kind": {
        "current": N_("current account"), "savings": N_("savings account"),
        "investment": N_("investment account"), "card": N_("card account"), "loan": N_("loan account"),
    },
    "account_role": {"owner": N_("owner"), "authorised": N_("authorised user")},
    "account_status": {"open": N_("open"), "closed": N_("closed"), "frozen": N_("frozen")},
    "product_kind": {
        "deposit": N_("deposit"), "money_market_fund": N_("money-market fund"), "bond_fund": N_("bond fund"),
        "equity_fund": N_("equity fund"), "hybrid_fund": N_("hybrid fund"),
        "bank_wmp": N_("bank wealth-management product"), "structured": N_("structured product"),
        "private_fund": N_("private fund"), "insurance": N_("insurance"), "gold": N_("gold"), "loan": N_("loan"),
    },
    "risk_rating": {
        "R1": N_("R1 low"), "R2": N_("R2 medium-low"), "R3": N_("R3 medium"), "R4": N_("R4 medium-high"),
        "R5": N_("R5 high"),
    },
}  # fmt: skip
# A family edge read from the other side: if the client is the other's child, the other is a parent.
FAMILY_INVERSE = {"child": "parent", "parent": "child", "spouse": "spouse", "sibling": "sibling"}
PALETTE = ("#0b5cad", "#e07b39", "#2e9e5b", "#b8860b", "#8e44ad", "#c0392b", "#7f8c8d")
BOOK_PAGE_SIZE = 50  # rows per page of "My book"
TIMELINE_PAGE_SIZE = 20  # interactions per page on the client 360

GRAPH_SIZE = 520  # px, square SVG viewBox of the relationship graph
GRAPH_INNER_R = 120  # px, ring of household members
GRAPH_OUTER_R = 215  # px, ring of key persons and other relations
DONUT_SIZE = 220  # px, square SVG viewBox of the allocation donut
DONUT_R = 100  # px, outer radius
DONUT_HOLE_R = 58  # px, inner radius


def _cipher(web: Web) -> FieldCipher:
    return FieldCipher(
        web.settings.pii_key_bytes, "national_id", alternate=web.settings.pii_key_alternate_bytes
    )


def _today(web: Web) -> date:
    return web.now().astimezone(web.settings.tz).date()


@dataclass(frozen=True, slots=True)
class GraphNode:
    x: float
    y: float
    name: str
    party_no: str
    readable: bool
    household: bool


@dataclass(frozen=True, slots=True)
class GraphEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    lx: float  # label position, near the party that holds the role
    ly: float
    label: str  # message id of the role, translated by the template
    title: str | None  # job title as recorded (董事长, 财务总监), shown as is


def relationship_graph(rel: RelationshipsRead) -> tuple[GraphNode, list[GraphNode], list[GraphEdge]]:
    """Place the client in the centre, household members on an inner ring, others on an outer one.

    Each edge is labelled with the role the labelled end plays: for a stored row "B is the
    chairman of A" read from A, the label "chairman" sits next to B; read from B, next to B as
    well (the client). Family edges are inverted instead (child of B means B is the parent).
    """
    c = GRAPH_SIZE / 2
    centre = GraphNode(c, c, rel.name, rel.party_no, True, True)
    inner = [r for r in rel.relations if r.household]
    outer = [r for r in rel.relations if not r.household]
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    for ring, radius, offset in ((inner, GRAPH_INNER_R, -math.pi / 2), (outer, GRAPH_OUTER_R, -math.pi / 3)):
        for i, r in enumerate(ring):
            angle = offset + 2 * math.pi * i / len(ring)
            x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
            nodes.append(GraphNode(round(x, 1), round(y, 1), r.name, r.party_no, r.readable, r.household))
            if r.kind in HOUSEHOLD_ROLE and r.kind not in FAMILY_INVERSE:
                label, near_other = HOUSEHOLD_ROLE[r.kind], True
            elif r.inverse and r.kind in FAMILY_INVERSE:
                label, near_other = _relationship_label(FAMILY_INVERSE[r.kind]), True
            else:
                label, near_other = _relationship_label(r.kind), not r.inverse
            t = 0.62 if near_other else 0.3
            edges.append(GraphEdge(
                c, c, round(x, 1), round(y, 1), round(c + (x - c) * t, 1), round(c + (y - c) * t - 4, 1),
                label, r.title if r.title and not r.inverse and r.kind not in FAMILY_INVERSE else None,
            ))  # fmt: skip
    return centre, nodes, edges


def _relationship_label(kind: str) -> str:
    return RELATIONSHIP.get(kind, kind)


@dataclass(frozen=True, slots=True)
class DonutSlice:
    path: str  # SVG path data of the ring segment
    colour: str
    asset_class: str
    share: float  # fraction of 1


def allocation_donut(allocation: list[AllocationSlice]) -> list[DonutSlice]:
    """Ring segments of the look-through allocation, clockwise from 12 o'clock."""
    c = DONUT_SIZE / 2
    slices: list[DonutSlice] = []
    start = 0.0
    for i, part in enumerate(allocation):
        colour = PALETTE[i % len(PALETTE)]
        if part.share >= 0.9999:  # a full ring cannot be drawn as one arc
            d = (
                f"M {c} {c - DONUT_R} A {DONUT_R} {DONUT_R} 0 1 1 {c - 0.01} {c - DONUT_R} Z "
                f"M {c} {c - DONUT_HOLE_R} A {DONUT_HOLE_R} {DONUT_HOLE_R} 0 1 0 {c - 0.01} {c - DONUT_HOLE_R} Z"
            )
            slices.append(DonutSlice(d, colour, part.asset_class, part.share))
            break
        end = start + part.share * 2 * math.pi
        large = 1 if end - start > math.pi else 0

        def pt(radius: float, angle: float) -> str:
            return f"{c + radius * math.sin(angle):.2f} {c - radius * math.cos(angle):.2f}"

        d = (
            f"M {pt(DONUT_R, start)} A {DONUT_R} {DONUT_R} 0 {large} 1 {pt(DONUT_R, end)} "
            f"L {pt(DONUT_HOLE_R, end)} A {DONUT_HOLE_R} {DONUT_HOLE_R} 0 {large} 0 {pt(DONUT_HOLE_R, start)} Z"
        )
        slices.append(DonutSlice(d, colour, part.asset_class, part.share))
        start = end
    return slices


def _asset_label(asset_class: str) -> str:
    return ASSET_CLASS.get(asset_class) or EXTRA_ASSET_CLASS.get(asset_class, asset_class)


def _panels(web: Web, session: Any, me: Any, party_no: str) -> list[tuple[str, dict[str, Any]]]:
    """Panels other capabilities add to the 360 (reports, ...), each read in the page's transaction."""
    return [panel(web, session, me, party_no) for panel in web.state.client_panels]


def _render_360(
    web: Web,
    data: Client360,
    revealed: RevealRead | None = None,
    *,
    intel: IntelligenceRead | None = None,
    panels: list[tuple[str, dict[str, Any]]] | None = None,
) -> HTMLResponse:
    centre, nodes, edges = relationship_graph(data.relationships)
    return render(
        web,
        "clients/client_360.html",
        {
            "c": data, "p": data.profile, "centre": centre, "nodes": nodes, "edges": edges, "graph_size": GRAPH_SIZE,
            "donut": allocation_donut(data.holdings.allocation), "donut_size": DONUT_SIZE,
            "asset_label": _asset_label, "revealed": revealed, "today": _today(web),
            "memory_categories": list(MEMORY_CATEGORY), "cl": CLIENT_LABELS, "household_role": HOUSEHOLD_ROLE,
            "intel": intel, "il": INTELLIGENCE_LABELS, "panels": panels or [],
        },
    )  # fmt: skip


@router.get("/clients/search", response_class=HTMLResponse)
def search_page(web: WebDep, q: Annotated[str, Query(max_length=64)] = "") -> Response:
    me = web.require()
    hits = None
    if q.strip():
        with web.uow() as session:
            hits = service.search_clients(session, me, q, now=web.now())
    return render(web, "clients/search.html", {"q": q, "hits": hits, "cl": CLIENT_LABELS})


def _opt_date(name: str, value: str | None, problems: list[FieldError]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(FieldError((name,), "a date like 2026-06-30", value))
        return None


def _opt_int(name: str, value: str | None, problems: list[FieldError]) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        problems.append(FieldError((name,), "a whole number", value))
        return None


@router.get("/book", response_class=HTMLResponse)
def book_page(
    web: WebDep,
    risk_level: Annotated[str, Query(max_length=2)] = "",
    city: Annotated[str, Query(max_length=100)] = "",
    last_contact_before: Annotated[str, Query(max_length=10)] = "",
    last_contact_after: Annotated[str, Query(max_length=10)] = "",
    not_contacted_days: Annotated[str, Query(max_length=5)] = "",
    tier: Annotated[str, Query(max_length=32)] = "",
    sort: Annotated[str, Query(max_length=20)] = "name",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    me = web.require()
    problems: list[FieldError] = []
    before = _opt_date("last_contact_before", last_contact_before, problems)
    after = _opt_date("last_contact_after", last_contact_after, problems)
    days = _opt_int("not_contacted_days", not_contacted_days, problems)
    if problems:
        raise InputError("the book cannot be listed with these filters", errors=problems)
    with web.uow() as session:
        result = service.list_book(
            session, me, now=web.now(), today=_today(web), risk_level=risk_level or None, city=city or None,
            last_contact_before=before, last_contact_after=after, not_contacted_days=days, tier=tier or None,
            sort=sort, page=page, page_size=BOOK_PAGE_SIZE,
        )  # fmt: skip
    filters = {
        "risk_level": risk_level, "city": city, "last_contact_before": last_contact_before,
        "last_contact_after": last_contact_after, "not_contacted_days": not_contacted_days, "tier": tier,
    }  # fmt: skip
    return render(web, "clients/book.html", {"book": result, "filters": filters, "sort": sort})


@router.get("/clients/{party_no}", response_class=HTMLResponse)
def client_360_page(
    web: WebDep, party_no: str, ipage: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    me = web.require()
    with web.uow() as session:
        data = service.read_client_360(
            session, me, party_no, cipher=_cipher(web), now=web.now(), today=_today(web),
            interactions_page=ipage, interactions_page_size=TIMELINE_PAGE_SIZE,
        )  # fmt: skip
        # read_client_360 has recorded this page view in the audit trail already
        intel = profile_service.read_intelligence(session, me, party_no, now=web.now(), audited=False)
        panels = _panels(web, session, me, party_no)
    return _render_360(web, data, intel=intel, panels=panels)


@router.post("/clients/{party_no}/reveal", response_class=HTMLResponse)
def reveal_page(
    web: WebDep, party_no: str, field: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = ""
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        revealed = service.reveal(session, me, party_no, field, cipher=_cipher(web), now=web.now())
        data = service.read_client_360(
            session, me, party_no, cipher=_cipher(web), now=web.now(), today=_today(web),
            interactions_page_size=TIMELINE_PAGE_SIZE,
        )  # fmt: skip
        # read_client_360 has recorded this page view in the audit trail already
        intel = profile_service.read_intelligence(session, me, party_no, now=web.now(), audited=False)
        panels = _panels(web, session, me, party_no)
    return _render_360(web, data, revealed, intel=intel, panels=panels)


def _back_to_memory_points(party_no: str) -> RedirectResponse:
    return RedirectResponse(f"/clients/{party_no}#memory-points", status_code=303)


@router.post("/clients/{party_no}/memory-points")
def add_memory_point_page(
    web: WebDep,
    party_no: str,
    category: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.add_memory_point(session, me, party_no, category=category, text=text, now=web.now())
    return _back_to_memory_points(party_no)


@router.post("/clients/{party_no}/memory-points/{point_id}")
def edit_memory_point_page(
    web: WebDep,
    party_no: str,
    point_id: int,
    category: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.edit_memory_point(
            session, me, party_no, point_id, category=category, text=text, now=web.now()
        )
    return _back_to_memory_points(party_no)


@router.post("/clients/{party_no}/memory-points/{point_id}/delete")
def remove_memory_point_page(
    web: WebDep, party_no: str, point_id: int, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.remove_memory_point(session, me, party_no, point_id, now=web.now())
    return _back_to_memory_points(party_no)
