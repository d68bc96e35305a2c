"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

Pages of this part (thin handlers over its services): ``/programmes`` (benefit usage per tier, the
partner catalogue, the book's offers and referrals, conversion per partner), the client's benefits,
offers and referrals (``/clients/{no}/programmes`` and the client-360 panel ``client_panel``), and
the forms that record a redemption, move an offer or a referral on, and refer a client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.engagement import programmes
from fincrm.engagement import programmes_domain as domain
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_, SIGNAL, TIER
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PartyNo = Annotated[str, Path(min_length=1, max_length=32)]
BenefitKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]{0,63}$")]
CsrfField = Annotated[str, Form()]
Note = Annotated[str, Form(max_length=domain.NOTE_MAX)]
PANEL_ROWS = 5  # offers and referrals on the 360 panel

PARTNER_KIND = {
    "renovation": N_("renovation"), "furniture": N_("furniture"), "law_firm": N_("law firm"),
    "family_office": N_("family office"), "university": N_("university"), "healthcare": N_("health care"),
    "tax_adviser": N_("tax adviser"), "insurance": N_("insurance"), "other": N_("other"),
}  # fmt: skip
OFFER_STATUS = {
    "proposed": N_("proposed"), "presented": N_("presented"), "accepted": N_("accepted"),
    "declined": N_("declined"),
}  # fmt: skip
REFERRAL_STATUS = {
    "referred": N_("referred"), "contacted": N_("contacted"), "converted": N_("converted"), "lost": N_("lost"),
}  # fmt: skip
LIFE_EVENT = {
    "home_purchase": N_("home purchase"), "child_birth": N_("child birth"), "child_education": N_("child education"),
    "retirement": N_("retirement"), "business_expansion": N_("business expansion"),
}  # fmt: skip
LABELS = {
    "kind": PARTNER_KIND, "offer": OFFER_STATUS, "referral": REFERRAL_STATUS, "tier": TIER,
    "signal": {**SIGNAL, **LIFE_EVENT}, "offer_next": domain.OFFER_NEXT, "referral_next": domain.REFERRAL_NEXT,
}  # fmt: skip


def _context(session: Session, me: Principal, web: Web, party_no: str) -> dict[str, Any]:
    return {
        "party_no": party_no, "pl": LABELS,
        "benefits": programmes.client_benefits(session, me, web.settings, party_no, now=web.now()),
        "offers": programmes.list_offers(session, me, party_no=party_no),
        "referrals": programmes.list_referrals(session, me, party_no=party_no),
        "partners": programmes.load_partners().partners, "may_change": me.changes_client_data,
        "today": web.now().astimezone(web.settings.tz).date(),
    }  # fmt: skip


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's benefits and partners panel: entitlements with what is left this year, a
    redemption form, the client's offers and referrals (register in ``web/routes.py``)."""
    return "engagement/_programmes_panel.html", {**_context(session, me, web, party_no), "rows": PANEL_ROWS}


def _client_page(web: Web, party_no: str, *, error: InputError | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        panel = _context(session, me, web, party_no)
    return render(web, "engagement/programmes_client.html", {"panel": {**panel, "rows": programmes.LIST_LIMIT},
                  "error": error}, status=422 if error else 200)  # fmt: skip


@router.get("/clients/{party_no}/programmes", response_class=HTMLResponse)
def client_programmes_page(web: WebDep, party_no: PartyNo) -> Response:
    return _client_page(web, party_no)


def _overview(web: Web, *, error: InputError | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        usage = programmes.benefits_usage(session, me, web.settings, now=web.now())
        offers = programmes.list_offers(session, me)
        referrals = programmes.list_referrals(session, me)
        conversion = programmes.conversion_by_partner(session, me)
    return render(
        web, "engagement/programmes.html",
        {"usage": usage, "catalogue": programmes.load_partners(), "offers": offers, "referrals": referrals,
         "conversion": conversion, "pl": LABELS, "may_change": me.changes_client_data, "error": error},
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/programmes", response_class=HTMLResponse)
def programmes_page(web: WebDep) -> Response:
    """Benefit usage per tier, the partner catalogue, the book's offers and referrals, conversion."""
    return _overview(web)


def _act(
    web: Web, csrf_token: str, back: str, party_no: str, action: Callable[[Session, Principal], Any]
) -> Response:
    """Run one change; back to the 360, the client's page or /programmes; errors re-render with 422."""
    me = web.require()
    web.check_csrf(csrf_token)
    back = back if back in ("client", "client_page") and party_no else "programmes"
    try:
        with web.uow() as session:
            action(session, me)
    except InputError as exc:
        return _overview(web, error=exc) if back == "programmes" else _client_page(web, party_no, error=exc)
    if back == "programmes":
        return RedirectResponse("/programmes", status_code=303)
    target = (
        f"/clients/{party_no}/programmes"
        if back == "client_page"
        else f"/clients/{party_no}#client-programmes"
    )
    return RedirectResponse(target, status_code=303)


def _int(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(
            f"{field} must be a whole number", errors=[FieldError((field,), "not a whole number", text)]
        ) from None


def _date(text: str, field: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InputError(
            f"{field} must be a date", errors=[FieldError((field,), "YYYY-MM-DD", text)]
        ) from None


@router.post("/clients/{party_no}/benefits/{benefit_key}/redeem")
def redeem_page(
    web: WebDep, party_no: PartyNo, benefit_key: BenefitKey, quantity: Annotated[str, Form(max_length=6)] = "1",
    used_on: Annotated[str, Form(max_length=10)] = "", note: Note = "",
    back: Annotated[str, Form(max_length=16)] = "client", csrf_token: CsrfField = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, back, party_no, lambda s, me: programmes.redeem_benefit(
        s, me, web.settings, party_no, benefit_key, quantity=_int(quantity, "quantity"),
        used_on=_date(used_on, "used_on"), note=note, now=web.now(),
    ))  # fmt: skip


@router.post("/clients/{party_no}/referrals")
def refer_client_page(
    web: WebDep, party_no: PartyNo, partner_key: Annotated[str, Form(max_length=64)] = "",
    client_consented: Annotated[str, Form(max_length=5)] = "", note: Note = "",
    back: Annotated[str, Form(max_length=16)] = "client", csrf_token: CsrfField = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, back, party_no, lambda s, me: programmes.refer_client(
        s, me, party_no, partner_key=partner_key, client_consented=client_consented == "yes", note=note,
        now=web.now(),
    ))  # fmt: skip


@router.post("/programmes/offers/{offer_id}/status")
def offer_status_page(
    web: WebDep, offer_id: Id, status: Annotated[str, Form(max_length=16)] = "", note: Note = "",
    back: Annotated[str, Form(max_length=16)] = "programmes", party_no: Annotated[str, Form(max_length=32)] = "",
    csrf_token: CsrfField = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, back, party_no, lambda s, me: programmes.set_offer_status(
        s, me, offer_id, status=status, note=note, now=web.now()))  # fmt: skip


@router.post("/programmes/offers/{offer_id}/referral")
def offer_referral_page(
    web: WebDep, offer_id: Id, partner_key: Annotated[str, Form(max_length=64)] = "",
    client_consented: Annotated[str, Form(max_length=5)] = "", note: Note = "",
    back: Annotated[str, Form(max_length=16)] = "programmes", party_no: Annotated[str, Form(max_length=32)] = "",
    csrf_token: CsrfField = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, back, party_no, lambda s, me: programmes.refer_from_offer(
        s, me, offer_id, partner_key=partner_key or None, client_consented=client_consented == "yes", note=note,
        now=web.now(),
    ))  # fmt: skip


@router.post("/programmes/referrals/{referral_id}/status")
def referral_status_page(
    web: WebDep, referral_id: Id, status: Annotated[str, Form(max_length=16)] = "", note: Note = "",
    back: Annotated[str, Form(max_length=16)] = "programmes", party_no: Annotated[str, Form(max_length=32)] = "",
    csrf_token: CsrfField = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, back, party_no, lambda s, me: programmes.set_referral_status(
        s, me, referral_id, status=status, note=note, now=web.now()))  # fmt: skip
