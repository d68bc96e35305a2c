"""Clients API (JSON): search, the book and the client 360 panels, memory points, reveal.

Thin: each route opens one unit of work and calls one service; writes authenticated by cookie
must echo the session's CSRF token in ``X-CSRF-Token`` (API tokens are exempt).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from fincrm.clients import profile as profile_service
from fincrm.clients import service
from fincrm.clients.schemas import (
    BookPage,
    ClientHit,
    ClientRead,
    ConsentsRead,
    HoldingsRead,
    IntelligenceRead,
    InteractionPage,
    MemoryPointCreate,
    MemoryPointRead,
    MemoryPointUpdate,
    RelationshipsRead,
    RevealRead,
    RevealRequest,
    RiskRead,
)
from fincrm.core.crypto import FieldCipher
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["clients"])
WebDep = Annotated[Web, Depends(resolve)]
PartyNo = Annotated[str, Path(min_length=1, max_length=32)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


def cipher_of(web: Web) -> FieldCipher:
    """The national-ID cipher, built once per settings object (key schedule setup is not free)."""
    return _cipher(web.settings.pii_key_bytes, web.settings.pii_key_alternate_bytes)


@cache
def _cipher(key: bytes, alternate: bytes | None) -> FieldCipher:
    return FieldCipher(key, "national_id", alternate=alternate)


def today_of(web: Web) -> date:
    """Today in the institution's timezone: questionnaire validity is a calendar date there."""
    return web.now().astimezone(web.settings.tz).date()


@router.get("/clients/search", response_model=list[ClientHit])
def search(
    web: WebDep, q: Annotated[str, Query(max_length=64)] = "", limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[ClientHit]:
    me = web.require()
    with web.uow() as session:
        return service.search_clients(session, me, q, limit, now=web.now())


@router.get("/book", response_model=BookPage)
def book(
    web: WebDep,
    risk_level: Annotated[str | None, Query(pattern=r"^C[1-5]$")] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    last_contact_before: date | None = None,
    last_contact_after: date | None = None,
    not_contacted_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    tier: Annotated[
        str | None, Query(max_length=32, description="hnw, mass or long_tail (from the nightly batch)")
    ] = None,
    sort: Annotated[str, Query(max_length=20)] = "name",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.PAGE_SIZE_MAX)] = 50,
) -> BookPage:
    me = web.require()
    with web.uow() as session:
        return service.list_book(
            session, me, now=web.now(), today=today_of(web), risk_level=risk_level, city=city,
            last_contact_before=last_contact_before, last_contact_after=last_contact_after,
            not_contacted_days=not_contacted_days, tier=tier, sort=sort, page=page, page_size=page_size,
        )  # fmt: skip


@router.get("/clients/{party_no}/profile", response_model=ClientRead)
def profile(web: WebDep, party_no: PartyNo) -> ClientRead:
    me = web.require()
    with web.uow() as session:
        return service.read_profile(session, me, party_no, cipher=cipher_of(web), now=web.now())


@router.get("/clients/{party_no}/relationships", response_model=RelationshipsRead)
def relationships(web: WebDep, party_no: PartyNo) -> RelationshipsRead:
    me = web.require()
    with web.uow() as session:
        return service.read_relationships(session, me, party_no, now=web.now())


@router.get("/clients/{party_no}/holdings", response_model=HoldingsRead)
def holdings(web: WebDep, party_no: PartyNo) -> HoldingsRead:
    me = web.require()
    with web.uow() as session:
        return service.read_holdings(session, me, party_no, now=web.now())


@router.get("/clients/{party_no}/intelligence", response_model=IntelligenceRead)
def intelligence(web: WebDep, party_no: PartyNo) -> IntelligenceRead:
    """The nightly batch's profile: tier, RFM cell, stated vs effective risk, attrition, signals."""
    me = web.require()
    with web.uow() as session:
        return profile_service.read_intelligence(session, me, party_no, now=web.now())


@router.get("/clients/{party_no}/interactions", response_model=InteractionPage)
def interactions(
    web: WebDep,
    party_no: PartyNo,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.PAGE_SIZE_MAX)] = 20,
) -> InteractionPage:
    me = web.require()
    with web.uow() as session:
        return service.read_interactions(session, me, party_no, now=web.now(), page=page, page_size=page_size)


@router.get("/clients/{party_no}/memory-points", response_model=list[MemoryPointRead])
def memory_points(web: WebDep, party_no: PartyNo) -> list[MemoryPointRead]:
    me = web.require()
    with web.uow() as session:
        return service.read_memory_points(session, me, party_no, now=web.now())


@router.post("/clients/{party_no}/memory-points", response_model=MemoryPointRead, status_code=201)
def add_memory_point(
    web: WebDep, party_no: PartyNo, body: MemoryPointCreate, x_csrf_token: CsrfHeader = None
) -> MemoryPointRead:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return service.add_memory_point(
            session, me, party_no, category=body.category, text=body.text, now=web.now()
        )


@router.put("/clients/{party_no}/memory-points/{point_id}", response_model=MemoryPointRead)
def edit_memory_point(
    web: WebDep, party_no: PartyNo, point_id: int, body: MemoryPointUpdate, x_csrf_token: CsrfHeader = None
) -> MemoryPointRead:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return service.edit_memory_point(
            session, me, party_no, point_id, category=body.category, text=body.text, now=web.now()
        )


@router.delete("/clients/{party_no}/memory-points/{point_id}", status_code=204)
def remove_memory_point(
    web: WebDep, party_no: PartyNo, point_id: int, x_csrf_token: CsrfHeader = None
) -> Response:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        service.remove_memory_point(session, me, party_no, point_id, now=web.now())
    return Response(status_code=204)


@router.get("/clients/{party_no}/consents", response_model=ConsentsRead)
def consents(web: WebDep, party_no: PartyNo) -> ConsentsRead:
    me = web.require()
    with web.uow() as session:
        return service.read_consents(session, me, party_no, now=web.now())


@router.get("/clients/{party_no}/risk", response_model=RiskRead)
def risk(web: WebDep, party_no: PartyNo) -> RiskRead:
    me = web.require()
    with web.uow() as session:
        return service.read_risk(session, me, party_no, now=web.now(), today=today_of(web))


@router.post("/clients/{party_no}/reveal", response_model=RevealRead)
def reveal(
    web: WebDep, party_no: PartyNo, body: RevealRequest, x_csrf_token: CsrfHeader = None
) -> RevealRead:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return service.reveal(session, me, party_no, body.field, cipher=cipher_of(web), now=web.now())
