"""Book assignment API (``/api/v1/admin/assignments``): move clients between RMs.

In the clients capability because it changes the client book (see assignment.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field, model_validator

from fincrm.clients import assignment
from fincrm.errors import PermissionDenied
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(prefix="/admin", tags=["admin"])
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


def _reassigner(web: Annotated[Web, Depends(resolve)]) -> Web:
    if web.require().role not in assignment.MAY_REASSIGN:
        raise PermissionDenied("only an administrator or a team lead may move clients between RMs")
    return web


class BookRead(BaseModel):
    username: str
    display_name: str
    team_code: str | None
    is_active: bool
    clients: int


class ReassignmentCreate(BaseModel):
    to_rm: str = Field(max_length=64)
    party_nos: list[str] | None = Field(None, max_length=assignment.MAX_PARTY_NOS)
    from_rm: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _one_source(self) -> ReassignmentCreate:
        if (self.party_nos is None) == (self.from_rm is None):
            raise ValueError("give exactly one of party_nos and from_rm")
        return self


class ReassignmentRead(BaseModel):
    from_rm: str | None
    to_rm: str
    moved: list[str]
    unchanged: list[str]


@router.get("/assignments", response_model=list[BookRead])
def list_books(web: Annotated[Web, Depends(_reassigner)]) -> list[BookRead]:
    with web.uow() as session:
        return [
            BookRead(
                username=b.username,
                display_name=b.display_name,
                team_code=b.team_code,
                is_active=b.is_active,
                clients=b.clients,
            )  # fmt: skip
            for b in assignment.book_counts(session, web.require())
        ]


@router.post("/assignments", response_model=ReassignmentRead)
def reassign(
    body: ReassignmentCreate, web: Annotated[Web, Depends(_reassigner)], x_csrf_token: CsrfHeader = None
) -> ReassignmentRead:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        result = assignment.reassign_clients(
            session, web.require(), party_nos=body.party_nos, from_rm=body.from_rm, to_rm=body.to_rm,
            now=web.now(),
        )  # fmt: skip
    return ReassignmentRead(
        from_rm=result.from_rm, to_rm=result.to_rm, moved=result.moved, unchanged=result.unchanged
    )
