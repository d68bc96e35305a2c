"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

JSON API of this part (thin handlers over its services; one unit of work per route)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.engagement import programmes
from fincrm.engagement.programmes_schemas import (
    CatalogueRead,
    ClientBenefitsRead,
    ConversionRead,
    OfferRead,
    OfferReferralCreate,
    RedemptionCreate,
    RedemptionRead,
    ReferralCreate,
    ReferralRead,
    StatusChange,
    UsageRead,
)
from fincrm.engagement.tasks import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["engagement"])
WebDep = Annotated[Web, Depends(resolve)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
BenefitKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]{0,63}$")]
PartyNo = Annotated[str, Path(min_length=1, max_length=32)]
Limit = Annotated[int, Query(ge=1, le=programmes.LIST_LIMIT)]


@router.get("/clients/{party_no}/benefits", response_model=ClientBenefitsRead)
def client_benefits(web: WebDep, party_no: PartyNo) -> ClientBenefitsRead:
    """The benefits of the client's current tier, the yearly allowance and what is left of it."""
    me = web.require()
    with web.uow() as session:
        return ClientBenefitsRead.of(
            programmes.client_benefits(session, me, web.settings, party_no, now=web.now())
        )


@router.post("/clients/{party_no}/benefits/{benefit_key}/redemptions", response_model=RedemptionRead,
             status_code=201)  # fmt: skip
def redeem(
    web: WebDep,
    party_no: PartyNo,
    benefit_key: BenefitKey,
    body: RedemptionCreate,
    x_csrf_token: CsrfHeader = None,
) -> RedemptionRead:
    """Record that the client used a benefit of their tier (refused outside the tier or the allowance)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = programmes.redeem_benefit(
            session, me, web.settings, party_no, benefit_key, quantity=body.quantity, used_on=body.used_on,
            note=body.note, now=web.now(),
        )  # fmt: skip
        return RedemptionRead.of(made)


@router.get("/benefits/usage", response_model=UsageRead)
def usage(web: WebDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> UsageRead:
    """Usage per tier over your book (your team's for a team lead) for a calendar year."""
    me = web.require()
    with web.uow() as session:
        return UsageRead.of(programmes.benefits_usage(session, me, web.settings, year=year, now=web.now()))


@router.get("/partners", response_model=CatalogueRead)
def partners(web: WebDep) -> CatalogueRead:
    """The partner catalogue: partners and the bundles signals trigger (no client data)."""
    web.require()
    return CatalogueRead.of(programmes.load_partners())


@router.get("/offers", response_model=list[OfferRead])
def offers(
    web: WebDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    limit: Limit = programmes.LIST_LIMIT,
) -> list[OfferRead]:
    """Offers of your book, open ones first."""
    me = web.require()
    with web.uow() as session:
        return [OfferRead.of(v) for v in programmes.list_offers(session, me, status=status, limit=limit)]


@router.get("/clients/{party_no}/offers", response_model=list[OfferRead])
def client_offers(web: WebDep, party_no: PartyNo) -> list[OfferRead]:
    """The client's offers, each with its referrals."""
    me = web.require()
    with web.uow() as session:
        return [OfferRead.of(v) for v in programmes.list_offers(session, me, party_no=party_no)]


@router.post("/offers/{offer_id}/status", response_model=OfferRead)
def offer_status(web: WebDep, offer_id: Id, body: StatusChange, x_csrf_token: CsrfHeader = None) -> OfferRead:
    """Move an offer on: proposed -> presented -> accepted | declined."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        programmes.set_offer_status(session, me, offer_id, status=body.status, note=body.note, now=web.now())
        return OfferRead.of(programmes.offer_view(session, me, offer_id))


@router.post("/offers/{offer_id}/referral", response_model=list[ReferralRead], status_code=201)
def offer_referral(
    web: WebDep, offer_id: Id, body: OfferReferralCreate, x_csrf_token: CsrfHeader = None
) -> list[ReferralRead]:
    """Refer the client of an accepted offer to its partner(s), with the client's consent."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = programmes.refer_from_offer(
            session, me, offer_id, partner_key=body.partner_key, client_consented=body.client_consented,
            note=body.note, now=web.now(),
        )  # fmt: skip
        return [ReferralRead.of_view(programmes.referral_view(session, me, r.id)) for r in made]


@router.post("/clients/{party_no}/referrals", response_model=ReferralRead, status_code=201)
def refer_client(
    web: WebDep, party_no: PartyNo, body: ReferralCreate, x_csrf_token: CsrfHeader = None
) -> ReferralRead:
    """Refer a client to a partner by hand (no offer), with the client's consent."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = programmes.refer_client(
            session, me, party_no, partner_key=body.partner_key, client_consented=body.client_consented,
            note=body.note, now=web.now(),
        )  # fmt: skip
        return ReferralRead.of(made, party_no)


@router.get("/referrals", response_model=list[ReferralRead])
def referrals(
    web: WebDep, status: Annotated[str | None, Query(max_length=16)] = None,
    partner: Annotated[str | None, Query(max_length=64)] = None, limit: Limit = programmes.LIST_LIMIT,
) -> list[ReferralRead]:  # fmt: skip
    """Referrals of your book, open ones first; filter by status or partner."""
    me = web.require()
    with web.uow() as session:
        rows = programmes.list_referrals(session, me, status=status, partner_key=partner, limit=limit)
        return [ReferralRead.of_view(v) for v in rows]


@router.get("/referrals/conversion", response_model=list[ConversionRead])
def conversion(web: WebDep) -> list[ConversionRead]:
    """Per partner over your book: referrals, converted, lost and the conversion rate."""
    me = web.require()
    with web.uow() as session:
        return [ConversionRead.of(c) for c in programmes.conversion_by_partner(session, me)]


@router.post("/referrals/{referral_id}/status", response_model=ReferralRead)
def referral_status(
    web: WebDep, referral_id: Id, body: StatusChange, x_csrf_token: CsrfHeader = None
) -> ReferralRead:
    """Move a referral on: referred -> contacted -> converted | lost."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        programmes.set_referral_status(
            session, me, referral_id, status=body.status, note=body.note, now=web.now()
        )
        return ReferralRead.of_view(programmes.referral_view(session, me, referral_id))
