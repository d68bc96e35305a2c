"""Access API: who am I, my language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from fincrm.access import service
from fincrm.access.schemas import LocaleUpdate, MeRead
from fincrm.web.context import CSRF_HEADER, Web, resolve

router = APIRouter(tags=["access"])


@router.get("/me", response_model=MeRead)
def me(web: Annotated[Web, Depends(resolve)]) -> MeRead:
    p = web.require()
    return MeRead(
        username=p.username,
        display_name=p.display_name,
        role=p.role.value,
        team_id=p.team_id,
        locale=web.locale,
    )


@router.put("/me/locale", response_model=MeRead)
def put_locale(
    body: LocaleUpdate,
    web: Annotated[Web, Depends(resolve)],
    x_csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> MeRead:
    p = web.require()
    web.check_csrf(x_csrf_token)
    with web.uow() as session:
        service.set_locale(session, p, locale=body.locale)
    return MeRead(
        username=p.username,
        display_name=p.display_name,
        role=p.role.value,
        team_id=p.team_id,
        locale=body.locale,
    )
