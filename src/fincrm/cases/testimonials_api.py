"""Client testimonials (客户见证): JSON API (thin handlers over ``fincrm.cases.testimonials``).

Actions on a story name it in the body (``testimonial_id``): a use, a withdrawal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.cases import testimonials
from fincrm.cases import testimonials_domain as td
from fincrm.cases.testimonials_schemas import (
    NewPiece,
    RevokedRead,
    SweepRead,
    TestimonialCreate,
    TestimonialDetailRead,
    TestimonialRead,
    UseCreate,
    UseRead,
    WithdrawalCreate,
)
from fincrm.errors import FieldError, InputError
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["cases"])
WebDep = Annotated[Web, Depends(resolve)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
ClientNo = Annotated[str, Path(max_length=32)]
TestimonialId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/testimonials", response_model=list[TestimonialRead])
def list_testimonials(
    web: WebDep,
    usable_for: Annotated[
        str, Query(max_length=16, description="content_piece or message: usable today")
    ] = "",
) -> list[TestimonialRead]:
    """The stories of your book, newest first; ``usable_for`` keeps those usable today for that use."""
    me = web.require()
    with web.uow() as session:
        views = testimonials.list_testimonials(
            session, me, web.settings, now=web.now(), usable_for=usable_for
        )
        return [TestimonialRead.of(v) for v in views]


@router.get("/clients/{party_no}/testimonials", response_model=list[TestimonialRead])
def client_testimonials(web: WebDep, party_no: ClientNo) -> list[TestimonialRead]:
    """A client's stories (withdrawn ones included)."""
    me = web.require()
    with web.uow() as session:
        views = testimonials.list_testimonials(session, me, web.settings, now=web.now(), party_no=party_no)
        return [TestimonialRead.of(v) for v in views]


@router.post("/clients/{party_no}/testimonials", response_model=TestimonialDetailRead, status_code=201)
def record(
    web: WebDep, party_no: ClientNo, body: TestimonialCreate, x_csrf_token: CsrfHeader = None
) -> TestimonialDetailRead:
    """Record a client's story with the consent's scope, method, date and expiry (RMs and team leads)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        made = testimonials.record_testimonial(
            session, me, web.settings, party_no, draft=body.draft(), now=web.now()
        )
        return TestimonialDetailRead.of_detail(
            testimonials.read_testimonial(session, me, web.settings, made.id, now=web.now())
        )


@router.post("/testimonials/{testimonial_id}/uses", response_model=UseRead, status_code=201)
def use(
    web: WebDep, testimonial_id: TestimonialId, body: UseCreate, x_csrf_token: CsrfHeader = None
) -> UseRead:
    """Put a usable story into a content piece (new or existing) or send it to a client of your book."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        if body.target_kind == td.CONTENT_PIECE:
            made = testimonials.use_in_content(
                session, me, web.settings, testimonial_id, piece_id=body.piece_id, now=web.now(),
                new_piece=_piece(body.new_piece) if body.new_piece else None,
            )  # fmt: skip
        elif body.target_kind == td.MESSAGE:
            if not body.client_no:
                raise InputError("name the recipient", errors=[FieldError(("client_no",), "required", None)])
            made = testimonials.share_with_client(session, me, web.settings, testimonial_id,
                                                  party_no=body.client_no, channel=body.channel, now=web.now())  # fmt: skip
        else:
            raise InputError("unknown use", errors=[
                FieldError(("target_kind",), f"one of {', '.join(td.USE_SCOPE)}", body.target_kind)])  # fmt: skip
        return UseRead.of(made)


def _piece(p: NewPiece) -> testimonials.PieceFields:
    return testimonials.PieceFields(
        p.title_zh, p.title_en, p.summary_zh, p.summary_en, tuple(p.topics), p.kind
    )


@router.post("/testimonials/{testimonial_id}/withdrawal", response_model=RevokedRead)
def withdraw(
    web: WebDep, testimonial_id: TestimonialId, body: WithdrawalCreate, x_csrf_token: CsrfHeader = None
) -> RevokedRead:
    """The client withdrew consent: every use is revoked at once (content pieces, waiting messages)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return RevokedRead.of(
            testimonials.withdraw_testimonial(session, me, testimonial_id, reason=body.reason, now=web.now())
        )


@router.post("/testimonials/sweep", response_model=SweepRead)
def sweep(web: WebDep, x_csrf_token: CsrfHeader = None) -> SweepRead:
    """Revoke the uses of stories whose consent has expired (team leads, compliance, administrators)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    on = web.now().astimezone(web.settings.tz).date()
    with web.uow() as session:
        return SweepRead.of(on, testimonials.sweep_expired(session, me, on=on, now=web.now()))
