"""Administration API (JSON, ``/api/v1/admin``): staff users, teams, API tokens, reassignment.

Writes authenticated by the session cookie must send the session's CSRF token in ``X-CSRF-Token``;
bearer tokens need none. Roles are checked before the body is validated, so a caller without the
right role learns nothing from validation errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from fincrm.access import service
from fincrm.access.domain import Role
from fincrm.access.models import User
from fincrm.errors import PermissionDenied
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(prefix="/admin", tags=["admin"])
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


def _admin(web: Annotated[Web, Depends(resolve)]) -> Web:
    if web.require().role is not Role.ADMIN:
        raise PermissionDenied("only an administrator may do this")
    return web


AdminWeb = Annotated[Web, Depends(_admin)]


class UserRead(BaseModel):
    username: str
    display_name: str
    role: str
    team_id: int | None
    is_active: bool


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    password: str = Field(max_length=256)
    team_code: str | None = Field(None, max_length=32)


class PasswordUpdate(BaseModel):
    password: str = Field(max_length=256)


class TeamRead(BaseModel):
    id: int
    code: str
    name: str


class TokenCreate(BaseModel):
    username: str = Field(max_length=64, description="The staff user the token acts as")
    name: str = Field(max_length=100, description="What the token is for, e.g. the integrating system")


class TokenRead(BaseModel):
    id: int
    name: str
    username: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="The secret, shown this once only; the store keeps its digest")


def _user_read(user: User) -> UserRead:
    return UserRead(
        username=user.username, display_name=user.display_name, role=user.role.value, team_id=user.team_id,
        is_active=user.is_active,
    )  # fmt: skip


@router.get("/users", response_model=list[UserRead])
def list_users(web: AdminWeb) -> list[UserRead]:
    with web.uow() as session:
        return [_user_read(u) for u in service.list_users(session, web.require())]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> UserRead:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        user = service.create_user(session, web.require(), now=web.now(), **body.model_dump())
        return _user_read(user)


@router.post("/users/{username}/deactivate", response_model=UserRead)
def deactivate_user(username: str, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> UserRead:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return _user_read(
            service.set_user_active(session, web.require(), username=username, active=False, now=web.now())
        )


@router.post("/users/{username}/reactivate", response_model=UserRead)
def reactivate_user(username: str, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> UserRead:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        return _user_read(
            service.set_user_active(session, web.require(), username=username, active=True, now=web.now())
        )


@router.put("/users/{username}/password", status_code=204)
def set_password(username: str, body: PasswordUpdate, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> None:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        service.set_password(
            session, username=username, password=body.password, now=web.now(), actor=web.require()
        )


@router.get("/teams", response_model=list[TeamRead])
def list_teams(web: AdminWeb) -> list[TeamRead]:
    with web.uow() as session:
        return [
            TeamRead(id=t.id, code=t.code, name=t.name) for t in service.list_teams(session, web.require())
        ]


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(web: AdminWeb) -> list[TokenRead]:
    with web.uow() as session:
        return [
            TokenRead(
                id=t.id,
                name=t.name,
                username=username,
                created_at=t.created_at,
                revoked_at=t.revoked_at,
                last_used_at=t.last_used_at,
            )  # fmt: skip
            for t, username in service.list_api_tokens(session, web.require())
        ]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def issue_token(body: TokenCreate, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> TokenIssued:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        token, secret = service.issue_api_token(
            session, web.require(), username=body.username, name=body.name, now=web.now()
        )
        return TokenIssued(
            id=token.id, name=token.name, username=body.username, created_at=token.created_at,
            revoked_at=None, last_used_at=None, token=secret,
        )  # fmt: skip


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, web: AdminWeb, x_csrf_token: CsrfHeader = None) -> None:
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        service.revoke_api_token(session, web.require(), token_id=token_id, now=web.now())
