"""The pre-call brief (访前简报) and the SPIN library: JSON API (thin handlers over ``fincrm.team.precall``).

Library edits name the question in the body (``key``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path

from fincrm.team import precall
from fincrm.team import precall_domain as pd
from fincrm.team.precall_schemas import (
    LibraryOut,
    PreCallRead,
    QuestionCreate,
    QuestionEdit,
    QuestionRead,
)
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["team"])
WebDep = Annotated[Web, Depends(resolve)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]
QuestionKey = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/clients/{party_no}/pre-call", response_model=PreCallRead)
def pre_call(web: WebDep, party_no: Annotated[str, Path(max_length=32)]) -> PreCallRead:
    """Memory points, family and key persons, last interactions, open signals and tasks, holdings,
    suitable offers and SPIN questions with the reason each was chosen; audited as a client read."""
    me = web.require()
    with web.uow() as session:
        return PreCallRead.of(precall.precall_brief(session, me, web.settings, party_no, now=web.now()))


@router.get("/spin", response_model=LibraryOut)
def library(web: WebDep) -> LibraryOut:
    """The SPIN library: topics with their triggers and questions (retired ones marked)."""
    web.require()
    with web.uow() as session:
        return LibraryOut.of(precall.read_library(session))


def _read(q) -> QuestionRead:
    return QuestionRead.of(
        pd.Question(q.key, q.topic_key, q.stage, q.text_zh, q.text_en, q.position, q.status)
    )


@router.post("/spin/questions", response_model=QuestionRead, status_code=201)
def add_question(web: WebDep, body: QuestionCreate, x_csrf_token: CsrfHeader = None) -> QuestionRead:
    """Add a question to a topic (team leads)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return _read(precall.add_question(session, me, topic=body.topic, stage=body.stage, text_zh=body.text_zh,
                                          text_en=body.text_en, now=web.now()))  # fmt: skip


@router.put("/spin/questions/{question_key}", response_model=QuestionRead)
def edit_question(
    web: WebDep, question_key: QuestionKey, body: QuestionEdit, x_csrf_token: CsrfHeader = None
) -> QuestionRead:
    """Change a question's stage or texts (team leads)."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return _read(precall.edit_question(session, me, question_key, stage=body.stage, text_zh=body.text_zh,
                                           text_en=body.text_en, now=web.now()))  # fmt: skip


@router.post("/spin/questions/{question_key}/retirement", response_model=QuestionRead)
def retire_question(web: WebDep, question_key: QuestionKey, x_csrf_token: CsrfHeader = None) -> QuestionRead:
    """Stop suggesting a question (team leads); it stays on record."""
    me = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return _read(precall.retire_question(session, me, question_key, now=web.now()))
