"""Community: the content library (research and insights tagged by industry and topic), the morning brief (<= 300 characters) and its distribution, the weekly Q&A.

JSON API of this part (thin handlers over its services; one unit of work per route)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from fincrm.engagement import community
from fincrm.engagement.community_schemas import (
    AnswerBody,
    BriefDistribute,
    BriefRead,
    BriefSave,
    ChooseBody,
    ClientContentRead,
    DistributionRead,
    GroupAnswered,
    MatchRead,
    PieceCreate,
    PieceRead,
    PublishBody,
    PublishedRead,
    QaSessionCreate,
    QaSessionDetail,
    QaSessionRead,
    QuestionCreate,
    QuestionRead,
)
from fincrm.engagement.tasks import MAX_ID
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["engagement"])
WebDep = Annotated[Web, Depends(resolve)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
PieceId = Annotated[int, Path(ge=1, le=MAX_ID)]
BriefId = Annotated[int, Path(ge=1, le=MAX_ID)]
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/content", response_model=list[PieceRead])
def list_content(
    web: WebDep, industry: Annotated[str, Query(max_length=8)] = "", topic: Annotated[str, Query(max_length=32)] = "",
    kind: Annotated[str, Query(max_length=16)] = "", limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PieceRead]:  # fmt: skip
    """The content library, newest first; filter by industry code (GB/T 4754), topic tag and kind."""
    me = web.require()
    with web.uow() as session:
        pieces = community.list_pieces(session, me, industry=industry, topic=topic, kind=kind, limit=limit)
        return [PieceRead.of(p) for p in pieces]


@router.post("/content", response_model=PieceRead, status_code=201)
def add_content(web: WebDep, body: PieceCreate, x_csrf_token: CsrfHeader = None) -> PieceRead:
    """Add a piece (RMs, team leads, research); a promise of principal or returns is refused."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return PieceRead.of(community.add_piece(session, me, web.settings, draft=body.draft(), now=web.now()))


@router.get("/content/{piece_id}", response_model=PieceRead)
def get_content(web: WebDep, piece_id: PieceId) -> PieceRead:
    me = web.require()
    with web.uow() as session:
        return PieceRead.of(community.get_piece(session, me, piece_id))


@router.get("/clients/{party_no}/content", response_model=ClientContentRead)
def client_content(web: WebDep, party_no: Annotated[str, Path(max_length=32)]) -> ClientContentRead:
    """Pieces matched to a client in your scope (industry first, then topics from life-stage signals),
    each with the reason of the match."""
    me = web.require()
    with web.uow() as session:
        interests, matches = community.matched_content(session, me, party_no)
        return ClientContentRead(
            client_no=party_no, industry_code=interests.industry_code, industry_source=interests.industry_source,
            signals=list(interests.signals), matches=[MatchRead.of(m) for m in matches],
        )  # fmt: skip


@router.get("/briefs", response_model=list[BriefRead])
def list_briefs(web: WebDep, on: Annotated[date | None, Query()] = None) -> list[BriefRead]:
    """Published morning briefs (all staff) and your desk's drafts, newest day first."""
    me = web.require()
    with web.uow() as session:
        return [BriefRead.of(v) for v in community.list_briefs(session, me, on=on)]


@router.post("/briefs", response_model=BriefRead)
def save_brief(web: WebDep, body: BriefSave, x_csrf_token: CsrfHeader = None) -> BriefRead:
    """Write or rewrite today's draft of your desk (at most 300 characters in each language)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        brief = community.save_brief(session, me, web.settings, text_zh=body.text_zh, text_en=body.text_en,
                                     now=web.now())  # fmt: skip
        return BriefRead.of(
            next(v for v in community.list_briefs(session, me, on=brief.brief_on) if v.brief.id == brief.id)
        )


@router.post("/briefs/{brief_id}/publish", response_model=BriefRead)
def publish_brief(web: WebDep, brief_id: BriefId, x_csrf_token: CsrfHeader = None) -> BriefRead:
    """Publish your desk's draft after the compliance scan (a finding refuses it)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        brief = community.publish_brief(session, me, web.settings, brief_id, now=web.now())
        return BriefRead.of(
            next(v for v in community.list_briefs(session, me, on=brief.brief_on) if v.brief.id == brief.id)
        )


@router.post("/briefs/{brief_id}/distribute", response_model=DistributionRead)
def distribute_brief(
    web: WebDep, brief_id: BriefId, body: BriefDistribute, x_csrf_token: CsrfHeader = None
) -> DistributionRead:
    """Send a published brief to the clients of your book who consent to marketing on the channel."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return DistributionRead.of(
            community.distribute_brief(
                session, me, web.settings, brief_id, channel=body.channel, now=web.now()
            )
        )


@router.get("/qa/sessions", response_model=list[QaSessionRead])
def list_sessions(web: WebDep) -> list[QaSessionRead]:
    me = web.require()
    with web.uow() as session:
        return [QaSessionRead.of(s) for s in community.list_sessions(session, me)]


@router.post("/qa/sessions", response_model=QaSessionRead, status_code=201)
def create_session(web: WebDep, body: QaSessionCreate, x_csrf_token: CsrfHeader = None) -> QaSessionRead:
    """A new weekly Q&A collecting questions (team leads and research)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return QaSessionRead.of(community.create_session(
            session, me, title_zh=body.title_zh, title_en=body.title_en, live_on=body.live_on, now=web.now()
        ))  # fmt: skip


@router.get("/qa/sessions/{session_id}", response_model=QaSessionDetail)
def read_session(web: WebDep, session_id: SessionId) -> QaSessionDetail:
    """The session's state: groups ranked by askers, and the questions of clients you may read."""
    me = web.require()
    with web.uow() as session:
        return QaSessionDetail.of_view(community.read_session(session, me, session_id))


@router.post("/qa/sessions/{session_id}/questions", response_model=QuestionRead, status_code=201)
def add_question(
    web: WebDep, session_id: SessionId, body: QuestionCreate, x_csrf_token: CsrfHeader = None
) -> QuestionRead:
    """A client's question: recorded by their RM, or posted by an integration account (admin role)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        q = community.add_question(session, me, session_id, party_no=body.client_no, text=body.text, topic=body.topic,
                                   now=web.now())  # fmt: skip
        return QuestionRead.of(q, body.client_no, "")


@router.post("/qa/sessions/{session_id}/choose", response_model=list[GroupAnswered])
def choose(
    web: WebDep, session_id: SessionId, body: ChooseBody, x_csrf_token: CsrfHeader = None
) -> list[GroupAnswered]:
    """Fix the groups and choose the top ones (most askers, ties by earliest); collecting ends."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return [
            GroupAnswered.of(g)
            for g in community.choose_top(session, me, session_id, count=body.count, now=web.now())
        ]


@router.post("/qa/sessions/{session_id}/answers", response_model=GroupAnswered)
def answer(
    web: WebDep, session_id: SessionId, body: AnswerBody, x_csrf_token: CsrfHeader = None
) -> GroupAnswered:
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return GroupAnswered.of(community.answer_group(
            session, me, web.settings, session_id, group_id=body.group_id, answer_zh=body.answer_zh,
            answer_en=body.answer_en, now=web.now(),
        ))  # fmt: skip


@router.post("/qa/sessions/{session_id}/publish", response_model=PublishedRead)
def publish(
    web: WebDep, session_id: SessionId, body: PublishBody, x_csrf_token: CsrfHeader = None
) -> PublishedRead:
    """Send every chosen group's answer back to each client who asked in it."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return PublishedRead.of(
            community.publish_answers(
                session, me, web.settings, session_id, channel=body.channel, now=web.now()
            )
        )
