"""Cross-department rapid-response cases: the board, opening a case, members, comments, attachments,
the joint proposal and its sign-offs.

JSON API of this part (thin handlers over ``cases.joint``)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import Response

from fincrm.cases import joint
from fincrm.cases.joint_schemas import (
    AttachmentCreate,
    BoardRead,
    CaseCreate,
    CaseDetailRead,
    CaseRead,
    CommentCreate,
    MemberCreate,
    ProposalBody,
)
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import FieldError, InputError
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["cases"])
WebDep = Annotated[Web, Depends(resolve)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


def download(found) -> Response:  # noqa: ANN001 - a JointAttachment
    """The attachment as a download, its original name kept (RFC 5987 for non-ASCII names)."""
    return Response(found.data, media_type=found.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.file_name)}",
        "X-Content-Type-Options": "nosniff",
    })  # fmt: skip


@router.get("/cases", response_model=BoardRead)
def board(web: WebDep) -> BoardRead:
    """Your cases (a lead: the team's) by column: open, awaiting sign-off, agreed, breached, closed."""
    me = web.require()
    with web.uow() as session:
        columns = joint.board(session, me, now=web.now())
        return BoardRead(columns={k: [CaseRead.of(c) for c in v] for k, v in columns.items()})


@router.post("/cases", response_model=CaseDetailRead, status_code=201)
def open_case(web: WebDep, body: CaseCreate, x_csrf_token: CsrfHeader = None) -> CaseDetailRead:
    """Open a case for a client of your book; the joint proposal is due in 24 hours."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        case = joint.open_case(session, me, party_no=body.client_no, kind=body.kind, title=body.title,
                               description=body.description, now=web.now())  # fmt: skip
        return CaseDetailRead.of_detail(joint.read_case(session, me, case.id, now=web.now()))


@router.get("/cases/{case_id}", response_model=CaseDetailRead)
def read_case(web: WebDep, case_id: CaseId) -> CaseDetailRead:
    """The case with the client summary (masked), members, comments, attachments and sign-offs."""
    me = web.require()
    with web.uow() as session:
        return CaseDetailRead.of_detail(joint.read_case(session, me, case_id, now=web.now()))


def _act(web: Web, case_id: int, csrf: str | None, action) -> CaseDetailRead:  # noqa: ANN001
    me = web.require()
    web.check_csrf(csrf)
    with web.uow() as session:
        action(session, me)
        return CaseDetailRead.of_detail(joint.read_case(session, me, case_id, now=web.now()))


@router.post("/cases/{case_id}/members", response_model=CaseDetailRead, status_code=201)
def add_member(
    web: WebDep, case_id: CaseId, body: MemberCreate, x_csrf_token: CsrfHeader = None
) -> CaseDetailRead:
    """Add research, compliance or another RM (the case's RMs and the team lead)."""
    return _act(web, case_id, x_csrf_token,
                lambda s, me: joint.add_member(s, me, case_id, username=body.username, now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/comments", response_model=CaseDetailRead, status_code=201)
def add_comment(
    web: WebDep, case_id: CaseId, body: CommentCreate, x_csrf_token: CsrfHeader = None
) -> CaseDetailRead:
    return _act(web, case_id, x_csrf_token,
                lambda s, me: joint.add_comment(s, me, case_id, text=body.text, now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/attachments", response_model=CaseDetailRead, status_code=201)
def add_attachment(
    web: WebDep, case_id: CaseId, body: AttachmentCreate, x_csrf_token: CsrfHeader = None
) -> CaseDetailRead:
    """Attach a file (base64 in JSON; the case page uploads with a form): at most 5 MiB."""
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("the file is not valid base64",
                         errors=[FieldError(("content_base64",), "base64 of the file's bytes", None)]) from exc  # fmt: skip
    return _act(web, case_id, x_csrf_token, lambda s, me: joint.add_attachment(
        s, me, case_id, file_name=body.file_name, content_type=body.content_type, data=data, now=web.now()))  # fmt: skip


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}})  # fmt: skip
def read_attachment(web: WebDep, case_id: CaseId, attachment_id: AttachmentId) -> Response:
    """Download an attachment (whoever may read the case)."""
    me = web.require()
    with web.uow() as session:
        return download(joint.read_attachment(session, me, case_id, attachment_id, now=web.now()))


@router.post("/cases/{case_id}/proposal", response_model=CaseDetailRead)
def set_proposal(
    web: WebDep, case_id: CaseId, body: ProposalBody, x_csrf_token: CsrfHeader = None
) -> CaseDetailRead:
    """Write the joint proposal (a new version: sign-offs start afresh)."""
    return _act(web, case_id, x_csrf_token,
                lambda s, me: joint.set_proposal(s, me, case_id, text=body.text, now=web.now()))  # fmt: skip


@router.post("/cases/{case_id}/signoff", response_model=CaseDetailRead)
def sign_off(web: WebDep, case_id: CaseId, x_csrf_token: CsrfHeader = None) -> CaseDetailRead:
    """Sign the current proposal for your function (members only)."""
    return _act(web, case_id, x_csrf_token, lambda s, me: joint.sign_off(s, me, case_id, now=web.now()))


@router.post("/cases/{case_id}/close", response_model=CaseDetailRead)
def close_case(web: WebDep, case_id: CaseId, x_csrf_token: CsrfHeader = None) -> CaseDetailRead:
    return _act(web, case_id, x_csrf_token, lambda s, me: joint.close_case(s, me, case_id, now=web.now()))
