"""Community: the content library (research and insights tagged by industry and topic), the morning brief (<= 300 characters) and its distribution, the weekly Q&A.

Pages of this part (thin handlers over ``engagement.community``): ``/community`` (the brief of the
day with its compose form and history, the library with filters and an add form, the Q&A sessions),
``/community/qa/{id}`` (questions, groups, choose, answer, publish), and the client 360's matched
content panel (``client_panel``; registered in ``web.routes``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.engagement import community
from fincrm.engagement import community_domain as dom
from fincrm.engagement.guard import CHANNEL_KINDS
from fincrm.engagement.tasks import MAX_ID
from fincrm.errors import FieldError, InputError, PermissionDenied
from fincrm.web.context import Web, resolve
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
BriefId = Annotated[int, Path(ge=1, le=MAX_ID)]
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]
PANEL_ROWS = 5  # matched pieces on the client 360


def client_panel(web: Web, session: Session, me: Principal, party_no: str) -> tuple[str, dict[str, Any]]:
    """The client 360's panel of matched content (industry, then topics from signals), with reasons."""
    interests, matches = community.matched_content(session, me, party_no, limit=PANEL_ROWS)
    return "engagement/_community_panel.html", {
        "party_no": party_no,
        "interests": interests,
        "matches": matches,
    }


def _common(web: Web) -> dict[str, Any]:
    return {"kinds": dom.KINDS, "kind_labels": dom.KIND_LABELS, "topics": dom.TOPICS, "sections": dom.SECTIONS,
            "brief_max": dom.BRIEF_MAX, "channels": CHANNEL_KINDS}  # fmt: skip


def _community(
    web: Web, *, industry: str = "", topic: str = "", kind: str = "", error: InputError | None = None,
    form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    me = web.require()
    now = web.now()
    today = community.business_day(web.settings, now)
    filter_error = None
    with web.uow() as session:
        briefs = community.list_briefs(session, me)
        try:
            pieces = community.list_pieces(session, me, industry=industry, topic=topic, kind=kind)
        except InputError as exc:
            filter_error, pieces = exc, community.list_pieces(session, me)
        sessions = community.list_sessions(session, me)
        sendings = community.distributions_of(session, me, [v.brief.id for v in briefs])
    try:
        desk = community.desk_of(me)
    except PermissionDenied:
        desk = None
    todays = [v for v in briefs if v.brief.brief_on == today]
    mine_today = next((v for v in todays if v.mine), None)
    return render(
        web, "engagement/community.html",
        {**_common(web), "today": today, "briefs": briefs, "todays": todays, "mine_today": mine_today, "desk": desk,
         "pieces": pieces, "sessions": sessions, "sendings": sendings, "error": error or filter_error,
         "form": form or {}, "filters": {"industry": industry, "topic": topic, "kind": kind},
         "may_write": me.role in community.WRITERS, "may_send": me.role in community.BOOK_HOLDERS,
         "may_host": me.role in community.QA_HOSTS},
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/community", response_class=HTMLResponse)
def community_page(
    web: WebDep, industry: Annotated[str, Query(max_length=8)] = "", topic: Annotated[str, Query(max_length=32)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
) -> Response:  # fmt: skip
    return _community(web, industry=industry, topic=topic, kind=kind)


def _act(
    web: Web, csrf_token: str, action, *, back: str = "/community", form: dict | None = None
) -> Response:  # noqa: ANN001
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            action(session, me)
    except InputError as exc:
        if back.startswith("/community/qa/"):
            return _qa_page(web, int(back.rsplit("/", 1)[1]), error=exc, form=form)
        return _community(web, error=exc, form=form)
    return RedirectResponse(back, status_code=303)


@router.post("/community/briefs")
def save_brief_page(
    web: WebDep, text_zh: Annotated[str, Form(max_length=2000)] = "", text_en: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.save_brief(
        s, me, web.settings, text_zh=text_zh, text_en=text_en, now=web.now()),
        form={"text_zh": text_zh, "text_en": text_en})  # fmt: skip


@router.post("/community/briefs/{brief_id}/publish")
def publish_brief_page(web: WebDep, brief_id: BriefId, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _act(
        web, csrf_token, lambda s, me: community.publish_brief(s, me, web.settings, brief_id, now=web.now())
    )


@router.post("/community/briefs/{brief_id}/distribute")
def distribute_brief_page(
    web: WebDep, brief_id: BriefId, channel: Annotated[str, Form(max_length=16)] = "wecom",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.distribute_brief(
        s, me, web.settings, brief_id, channel=channel, now=web.now()))  # fmt: skip


@router.post("/community/content")
def add_content_page(
    web: WebDep, kind: Annotated[str, Form(max_length=16)] = "", title_zh: Annotated[str, Form(max_length=400)] = "",
    title_en: Annotated[str, Form(max_length=400)] = "", summary_zh: Annotated[str, Form(max_length=2000)] = "",
    summary_en: Annotated[str, Form(max_length=2000)] = "", body_zh: Annotated[str, Form(max_length=20000)] = "",
    body_en: Annotated[str, Form(max_length=20000)] = "", author: Annotated[str, Form(max_length=200)] = "",
    industry_codes: Annotated[str, Form(max_length=200)] = "", topics: Annotated[list[str], Form()] = [],  # noqa: B006
    published_on: Annotated[str, Form(max_length=10)] = "", tiers: Annotated[list[str], Form()] = [],  # noqa: B006
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def act(s, me) -> None:  # noqa: ANN001
        try:
            on = (
                date.fromisoformat(published_on)
                if published_on
                else community.business_day(web.settings, web.now())
            )
        except ValueError:
            raise InputError(
                "the date is not valid", errors=[FieldError(("published_on",), "YYYY-MM-DD", published_on)]
            ) from None
        draft = dom.PieceDraft(
            title_zh=title_zh, title_en=title_en, summary_zh=summary_zh, summary_en=summary_en, body_zh=body_zh,
            body_en=body_en, author=author, kind=kind, industry_codes=dom.split_tags(industry_codes),
            topics=tuple(topics), published_on=on, tiers=tuple(tiers) or None,
        )  # fmt: skip
        community.add_piece(s, me, web.settings, draft=draft, now=web.now())

    form = {"kind": kind, "title_zh": title_zh, "title_en": title_en, "summary_zh": summary_zh,
            "summary_en": summary_en, "author": author, "industry_codes": industry_codes}  # fmt: skip
    return _act(web, csrf_token, act, form=form)


@router.post("/community/qa")
def create_session_page(
    web: WebDep, title_zh: Annotated[str, Form(max_length=400)] = "", title_en: Annotated[str, Form(max_length=400)] = "",
    live_on: Annotated[str, Form(max_length=10)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def act(s, me) -> None:  # noqa: ANN001
        try:
            on = date.fromisoformat(live_on)
        except ValueError:
            raise InputError(
                "the date is not valid", errors=[FieldError(("live_on",), "YYYY-MM-DD", live_on)]
            ) from None
        community.create_session(s, me, title_zh=title_zh, title_en=title_en, live_on=on, now=web.now())

    return _act(web, csrf_token, act, form={"title_zh": title_zh, "title_en": title_en, "live_on": live_on})


# ----- one Q&A session --------------------------------------------------------------------------------


def _qa_page(
    web: Web, session_id: int, *, error: InputError | None = None, form: dict | None = None
) -> Response:
    me = web.require()
    with web.uow() as session:
        view = community.read_session(session, me, session_id)
    return render(
        web, "engagement/community_qa.html",
        {**_common(web), "view": view, "qa_topics": community.QA_TOPICS, "error": error, "form": form or {},
         "may_record": me.role in community.BOOK_HOLDERS, "may_host": me.role in community.QA_HOSTS},
        status=422 if error else 200,
    )  # fmt: skip


@router.get("/community/qa/{session_id}", response_class=HTMLResponse)
def qa_page(web: WebDep, session_id: SessionId) -> Response:
    return _qa_page(web, session_id)


@router.post("/community/qa/{session_id}/questions")
def add_question_page(
    web: WebDep, session_id: SessionId, client_no: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=1000)] = "", topic: Annotated[str, Form(max_length=32)] = "other",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.add_question(
        s, me, session_id, party_no=client_no, text=text, topic=topic, now=web.now()),
        back=f"/community/qa/{session_id}", form={"client_no": client_no, "text": text, "topic": topic})  # fmt: skip


@router.post("/community/qa/{session_id}/choose")
def choose_page(
    web: WebDep, session_id: SessionId, count: Annotated[int, Form(ge=1, le=50)] = 5,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.choose_top(s, me, session_id, count=count, now=web.now()),
                back=f"/community/qa/{session_id}")  # fmt: skip


@router.post("/community/qa/{session_id}/answers")
def answer_page(
    web: WebDep, session_id: SessionId, group_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    answer_zh: Annotated[str, Form(max_length=4000)] = "", answer_en: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.answer_group(
        s, me, web.settings, session_id, group_id=group_id, answer_zh=answer_zh, answer_en=answer_en, now=web.now()),
        back=f"/community/qa/{session_id}")  # fmt: skip


@router.post("/community/qa/{session_id}/publish")
def publish_page(
    web: WebDep, session_id: SessionId, channel: Annotated[str, Form(max_length=16)] = "in_app",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(web, csrf_token, lambda s, me: community.publish_answers(
        s, me, web.settings, session_id, channel=channel, now=web.now()), back=f"/community/qa/{session_id}")  # fmt: skip
