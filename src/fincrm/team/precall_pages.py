"""The pre-call brief (访前简报) and the SPIN library: pages (thin handlers over ``fincrm.team.precall``).

``/clients/{party_no}/pre-call`` is the brief (``?fragment=spin`` with ``HX-Request`` answers the
SPIN panel alone); ``/team/spin`` is the library, which team leads edit (add, edit, retire a question;
load the shipped library while the store has none). ``client_panel`` adds a link to the brief to the
client 360."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.errors import FieldError, InputError
from fincrm.team import precall
from fincrm.team import precall_domain as pd
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
QuestionKey = Annotated[str, Path(max_length=64)]

LABELS = {  # SPIN stages and trigger kinds as the pages name them
    "situation": N_("Situation"), "problem": N_("Problem"), "implication": N_("Implication"),
    "need_payoff": N_("Need-payoff"), pd.ACTIVE: N_("active"), pd.RETIRED: N_("retired"),
    "signal": N_("life-stage signal"), "client_kind": N_("client kind"), "key_person": N_("key person"),
    "tier": N_("tier"), "rfm_cell": N_("RFM cell"), "attrition_reason": N_("attrition reason"),
    "risk_drift": N_("risk drift"), "age_at_least": N_("age at least"), "asset_share": N_("share of holdings"),
    "onboarded_within_days": N_("client for at most (days)"),
}  # fmt: skip


@router.get("/clients/{party_no}/pre-call", response_class=HTMLResponse)
def precall_page(
    web: WebDep, party_no: Annotated[str, Path(max_length=32)],
    fragment: Annotated[str, Query(max_length=8)] = "", hx_request: Annotated[str | None, Header()] = None,
) -> Response:  # fmt: skip
    me = web.require()
    with web.uow() as session:
        brief = precall.precall_brief(session, me, web.settings, party_no, now=web.now())
    context = {"b": brief, "pl": LABELS, "stages": pd.STAGES, "describe": pd.describe}
    if fragment == "spin" and hx_request:
        return render(web, "team/precall_spin.html", context)
    return render(web, "team/precall.html", context)


def _library(web: Web, *, error: InputError | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        lib = precall.read_library(session)
    return render(web, "team/spin.html", {
        "lib": lib, "pl": LABELS, "stages": pd.STAGES, "may_edit": me.role in precall.EDITORS, "error": error,
    }, status=422 if error else 200)  # fmt: skip


@router.get("/team/spin", response_class=HTMLResponse)
def spin_page(web: WebDep) -> Response:
    return _library(web)


def _edit(web: Web, csrf_token: str, action: Any) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except InputError as exc:
        return _library(web, error=exc)
    return RedirectResponse("/team/spin", status_code=303)


@router.post("/team/spin/load")
def load_page(web: WebDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    def load(session: Session, me: Principal) -> None:
        if precall.read_library(session).stored:
            raise InputError(
                "the library is already loaded", errors=[FieldError(("library",), "loaded", None)]
            )
        precall.import_library(session, me, precall.load_library_file(precall.DEFAULT_LIBRARY_PATH), now=web.now(),
                               source=precall.DEFAULT_LIBRARY_PATH.name)  # fmt: skip

    return _edit(web, csrf_token, load)


@router.post("/team/spin/questions")
def add_page(
    web: WebDep, topic: Annotated[str, Form(max_length=64)] = "", stage: Annotated[str, Form(max_length=16)] = "",
    text_zh: Annotated[str, Form(max_length=pd.TEXT_MAX)] = "", text_en: Annotated[str, Form(max_length=pd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _edit(web, csrf_token, lambda s, me: precall.add_question(
        s, me, topic=topic, stage=stage, text_zh=text_zh, text_en=text_en, now=web.now()))  # fmt: skip


@router.post("/team/spin/questions/{key}/edit")
def edit_page(
    web: WebDep, key: QuestionKey, stage: Annotated[str, Form(max_length=16)] = "",
    text_zh: Annotated[str, Form(max_length=pd.TEXT_MAX)] = "", text_en: Annotated[str, Form(max_length=pd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _edit(web, csrf_token, lambda s, me: precall.edit_question(
        s, me, key, stage=stage, text_zh=text_zh, text_en=text_en, now=web.now()))  # fmt: skip


@router.post("/team/spin/questions/{key}/retire")
def retire_page(web: WebDep, key: QuestionKey, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _edit(web, csrf_token, lambda s, me: precall.retire_question(s, me, key, now=web.now()))


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's link to the pre-call brief (the 360 has already checked the reader's scope)."""
    del web, session, me
    return "team/precall_panel.html", {"party_no": party_no}
