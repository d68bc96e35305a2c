"""Client testimonials (客户见证): pages (thin handlers over ``fincrm.cases.testimonials``).

``/testimonials`` lists the stories of the reader's book with what each may be used for today and
records a new one; ``/testimonials/{id}`` shows a story with its uses (each content piece's body as
it is now) and the forms to use it in content, send it to a client, and withdraw it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.cases import testimonials
from fincrm.cases import testimonials_domain as td
from fincrm.engagement import community, guard
from fincrm.engagement import community_domain as cdom
from fincrm.errors import Conflict, FieldError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.labels import N_
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
TestimonialId = Annotated[int, Path(ge=1, le=testimonials.MAX_ID)]

LABELS = {  # scopes, methods, statuses and uses as the pages name them
    "internal_training": N_("Internal training"), "content_library": N_("Content library"),
    "client_messages": N_("Messages to clients"), "events": N_("Client events"),
    "public_materials": N_("Public materials"), "signed_form": N_("Signed form"), "recorded_call": N_("Recorded call"),
    "app": N_("In the app"), td.ACTIVE: N_("active"), td.WITHDRAWN: N_("withdrawn"),
    td.CONTENT_PIECE: N_("content piece"), td.MESSAGE: N_("message to a client"),
}  # fmt: skip


def _list(web: Web, *, error: InputError | None = None, form: dict | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        views = testimonials.list_testimonials(session, me, web.settings, now=web.now())
    return render(web, "cases/testimonials.html", {
        "views": views, "tl": LABELS, "scopes": td.SCOPES, "methods": td.METHODS, "error": error, "form": form or {},
        "may_record": me.role in testimonials.RECORDERS, "today": web.now().astimezone(web.settings.tz).date(),
    }, status=422 if error else 200)  # fmt: skip


@router.get("/testimonials", response_class=HTMLResponse)
def testimonials_page(web: WebDep) -> Response:
    return _list(web)


def _day(name: str, text: str, problems: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldError((name,), "a date like 2026-12-31", text))
        return None


@router.post("/testimonials")
def record_page(
    web: WebDep, party_no: Annotated[str, Form(max_length=32)] = "",
    story_zh: Annotated[str, Form(max_length=td.STORY_MAX)] = "", story_en: Annotated[str, Form(max_length=td.STORY_MAX)] = "",
    attribution_zh: Annotated[str, Form(max_length=td.ATTRIBUTION_MAX)] = "",
    attribution_en: Annotated[str, Form(max_length=td.ATTRIBUTION_MAX)] = "",
    scopes: Annotated[list[str] | None, Form()] = None, method: Annotated[str, Form(max_length=16)] = "",
    given_on: Annotated[str, Form(max_length=10)] = "", expires_on: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    form = {"party_no": party_no, "story_zh": story_zh, "story_en": story_en, "attribution_zh": attribution_zh,
            "attribution_en": attribution_en, "scopes": scopes or [], "method": method, "given_on": given_on,
            "expires_on": expires_on}  # fmt: skip
    problems: list[FieldError] = []
    given, expires = _day("given_on", given_on, problems), _day("expires_on", expires_on, problems)
    try:
        if problems:
            raise InputError("the testimonial cannot be recorded as given", errors=problems)
        draft = td.TestimonialDraft(story_zh, story_en, attribution_zh, attribution_en, tuple(scopes or ()), method,
                                    given, expires)  # fmt: skip
        with web.uow() as session:
            made = testimonials.record_testimonial(
                session, me, web.settings, party_no.strip(), draft=draft, now=web.now()
            )
            made_id = made.id
    except InputError as exc:
        return _list(web, error=exc, form=form)
    return RedirectResponse(f"/testimonials/{made_id}", status_code=303)


def _detail(web: Web, testimonial_id: int, *, error: Exception | None = None, done: Any = None) -> Response:
    me = web.require()
    with web.uow() as session:
        detail = testimonials.read_testimonial(session, me, web.settings, testimonial_id, now=web.now())
        pieces = {u.use.target_id: community.get_piece(session, me, u.use.target_id) for u in detail.uses
                  if u.use.target_kind == td.CONTENT_PIECE}  # fmt: skip
        library = community.list_pieces(session, me, limit=50) if me.role in testimonials.RECORDERS else []
    return render(web, "cases/testimonial_detail.html", {
        "d": detail, "t": detail.view.testimonial, "tl": LABELS, "pieces": pieces, "library": library,
        "topics": list(cdom.TOPICS), "channels": guard.CHANNEL_KINDS, "error": error, "done": done,
        "may_use": me.role in testimonials.RECORDERS, "may_withdraw": me.role in testimonials.WITHDRAWERS,
    }, status=(409 if isinstance(error, Conflict) else 422) if error else 200)  # fmt: skip


@router.get("/testimonials/{testimonial_id}", response_class=HTMLResponse)
def detail_page(web: WebDep, testimonial_id: TestimonialId) -> Response:
    return _detail(web, testimonial_id)


@router.post("/testimonials/{testimonial_id}/use")
def use_page(
    web: WebDep, testimonial_id: TestimonialId, target: Annotated[str, Form(max_length=16)] = "new",
    piece_id: Annotated[str, Form(max_length=20)] = "", title_zh: Annotated[str, Form(max_length=200)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "", summary_zh: Annotated[str, Form(max_length=1000)] = "",
    summary_en: Annotated[str, Form(max_length=1000)] = "", topics: Annotated[list[str] | None, Form()] = None,
    party_no: Annotated[str, Form(max_length=32)] = "", channel: Annotated[str, Form(max_length=16)] = "in_app",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            if target == "message":
                testimonials.share_with_client(session, me, web.settings, testimonial_id, party_no=party_no.strip(),
                                               channel=channel, now=web.now())  # fmt: skip
            elif target == "existing":
                if not piece_id.isdigit():
                    raise InputError(
                        "choose a piece",
                        errors=[FieldError(("piece_id",), "a piece of the library", piece_id)],
                    )
                testimonials.use_in_content(session, me, web.settings, testimonial_id, piece_id=int(piece_id),
                                            now=web.now())  # fmt: skip
            else:
                fields = testimonials.PieceFields(
                    title_zh, title_en, summary_zh, summary_en, tuple(topics or ("family",))
                )
                testimonials.use_in_content(
                    session, me, web.settings, testimonial_id, new_piece=fields, now=web.now()
                )
    except (InputError, Conflict) as exc:
        return _detail(web, testimonial_id, error=exc)
    return RedirectResponse(f"/testimonials/{testimonial_id}", status_code=303)


@router.post("/testimonials/{testimonial_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(
    web: WebDep, testimonial_id: TestimonialId, reason: Annotated[str, Form(max_length=td.REASON_MAX)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            done = testimonials.withdraw_testimonial(
                session, me, testimonial_id, reason=reason, now=web.now()
            )
    except InputError as exc:
        return _detail(web, testimonial_id, error=exc)
    return _detail(web, testimonial_id, done=done)
