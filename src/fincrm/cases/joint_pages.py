"""Cross-department rapid-response cases: the board, opening a case, members, comments, attachments,
the joint proposal and its sign-offs.

Pages of this part (thin handlers over ``cases.joint``): ``/cases`` (the board by column and the
form to open a case, prefilled from the client 360 with ``?client=``), ``/cases/{id}`` (client
summary, members, proposal and sign-offs, comments, attachments) and the attachment download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.cases import joint
from fincrm.cases import joint_domain as jd
from fincrm.cases.joint_api import download
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import Conflict, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID)]

LABELS: dict[str, str] = {  # kinds, functions, statuses and board columns as the pages name them
    "family_trust": N_("Family trust"), "cross_border": N_("Cross-border planning"),
    "corporate_financing": N_("Corporate financing"), "succession": N_("Succession planning"),
    "tax_planning": N_("Tax planning"), "other": N_("Other"),
    jd.RM: N_("Relationship manager"), jd.RESEARCH: N_("Research"), jd.COMPLIANCE: N_("Compliance"),
    jd.OPEN: N_("Open"), jd.AWAITING: N_("Awaiting sign-off"), jd.AGREED: N_("Agreed"),
    jd.BREACHED: N_("Breached / escalated"), jd.CLOSED: N_("Closed"),
    "hnw": N_("High-net-worth"), "mass": N_("Mass"), "long_tail": N_("Long tail"),
    "individual": N_("Individual"), "corporate": N_("Corporate"),
}  # fmt: skip


def _board(web: Web, *, form: dict[str, str], error: InputError | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        columns = joint.board(session, me, now=web.now())
    return render(web, "cases/joint_board.html", {
        "columns": columns, "jl": LABELS, "kinds": jd.KINDS, "form": form, "error": error,
        "may_open": me.role in joint.OPENERS, "sla_hours": jd.PROPOSAL_SLA_HOURS,
    }, status=422 if error else 200)  # fmt: skip


@router.get("/cases", response_class=HTMLResponse)
def board_page(web: WebDep, client: Annotated[str, Query(max_length=32)] = "") -> Response:
    return _board(web, form={"client_no": client, "kind": "family_trust"})


@router.post("/cases")
def open_case_page(
    web: WebDep, client_no: Annotated[str, Form(max_length=32)] = "", kind: Annotated[str, Form(max_length=24)] = "",
    title: Annotated[str, Form(max_length=jd.TITLE_MAX)] = "",
    description: Annotated[str, Form(max_length=jd.DESCRIPTION_MAX)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            case = joint.open_case(session, me, party_no=client_no.strip(), kind=kind, title=title,
                                   description=description, now=web.now())  # fmt: skip
            case_id = case.id
    except InputError as exc:
        form = {"client_no": client_no, "kind": kind, "title": title, "description": description}
        return _board(web, form=form, error=exc)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _detail(web: Web, case_id: int, *, error: Exception | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        d = joint.read_case(session, me, case_id, now=web.now())
    return render(web, "cases/joint_detail.html", {
        "d": d, "k": d.card.case, "jl": LABELS, "error": error, "max_mib": jd.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "types": jd.ALLOWED_CONTENT_TYPES,
    }, status=(409 if isinstance(error, Conflict) else 422) if error else 200)  # fmt: skip


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(web: WebDep, case_id: CaseId) -> Response:
    return _detail(web, case_id)


def _act(web: Web, case_id: int, csrf_token: str, action: Any) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except (InputError, Conflict) as exc:
        return _detail(web, case_id, error=exc)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/members")
def member_page(
    web: WebDep, case_id: CaseId, username: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, case_id, csrf_token,
                lambda s, me: joint.add_member(s, me, case_id, username=username.strip(), now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/comments")
def comment_page(
    web: WebDep, case_id: CaseId, text: Annotated[str, Form(max_length=jd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, case_id, csrf_token,
                lambda s, me: joint.add_comment(s, me, case_id, text=text, now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/proposal")
def proposal_page(
    web: WebDep, case_id: CaseId, text: Annotated[str, Form(max_length=jd.TEXT_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, case_id, csrf_token,
                lambda s, me: joint.set_proposal(s, me, case_id, text=text, now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/signoff")
def signoff_page(web: WebDep, case_id: CaseId, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _act(web, case_id, csrf_token, lambda s, me: joint.sign_off(s, me, case_id, now=web.now()))


@router.post("/cases/{case_id}/close")
def close_page(web: WebDep, case_id: CaseId, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _act(web, case_id, csrf_token, lambda s, me: joint.close_case(s, me, case_id, now=web.now()))


@router.post("/cases/{case_id}/attachments")
def attachment_page(
    web: WebDep, case_id: CaseId, file: Annotated[UploadFile, File()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    # read one byte past the cap, so an oversized upload is refused without reading it all
    data = file.file.read(jd.MAX_ATTACHMENT_BYTES + 1)
    name, content_type = file.filename or "", file.content_type or ""
    return _act(web, case_id, csrf_token, lambda s, me: joint.add_attachment(
        s, me, case_id, file_name=name, content_type=content_type, data=data, now=web.now()))  # fmt: skip


@router.get("/cases/{case_id}/attachments/{attachment_id}")
def attachment_download(web: WebDep, case_id: CaseId, attachment_id: AttachmentId) -> Response:
    me = web.require()
    with web.uow() as session:
        return download(joint.read_attachment(session, me, case_id, attachment_id, now=web.now()))
