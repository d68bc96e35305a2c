"""Administration pages (HTML): staff users, teams, moving clients between RMs.

Administrators manage people and the assignment of books; they read no client personal data, so
these pages show client numbers and counts only. Every form carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.access import service
from fincrm.access.domain import Role
from fincrm.errors import Conflict, FincrmError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]
ROLES = [r.value for r in Role]


def _users_page(web: Web, *, error: FincrmError | None = None, form: dict | None = None) -> Response:
    me = web.require()
    with web.uow() as session:
        users = service.list_users(session, me)
        teams = service.list_teams(session, me)
    team_codes = {t.id: t.code for t in teams}
    return render(
        web, "access/admin_users.html",
        {
            "users": users, "teams": teams, "team_codes": team_codes, "roles": ROLES, "error": error,
            "form": form or {}, "notice": web.request.query_params.get("done"),
            "notice_user": web.request.query_params.get("user", ""),
        },
        status=error.status if error else 200,
    )  # fmt: skip


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(web: WebDep) -> Response:
    return _users_page(web)


@router.post("/admin/users")
def create_user(
    web: WebDep,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=256)],
    team_code: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            service.create_user(
                session, me, username=username.strip(), display_name=display_name, role=role,
                password=password, team_code=team_code or None, now=web.now(),
            )  # fmt: skip
    except (InputError, Conflict) as exc:
        form = {"username": username, "display_name": display_name, "role": role, "team_code": team_code}
        return _users_page(web, error=exc, form=form)
    return RedirectResponse(f"/admin/users?done=created&user={quote(username.strip())}", status_code=303)


@router.post("/admin/users/{username}/active")
def set_active(
    web: WebDep, username: str, active: Annotated[int, Form()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            service.set_user_active(session, me, username=username, active=bool(active), now=web.now())
    except InputError as exc:
        return _users_page(web, error=exc)
    done = "reactivated" if active else "deactivated"
    return RedirectResponse(f"/admin/users?done={done}&user={quote(username)}", status_code=303)


@router.post("/admin/users/{username}/password")
def set_password(
    web: WebDep,
    username: str,
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    try:
        with web.uow() as session:
            service.set_password(session, username=username, password=password, now=web.now(), actor=me)
    except InputError as exc:
        return _users_page(web, error=exc)
    return RedirectResponse(f"/admin/users?done=password&user={quote(username)}", status_code=303)


@router.get("/admin/teams", response_class=HTMLResponse)
def teams_page(web: WebDep) -> Response:
    me = web.require()
    with web.uow() as session:
        teams = service.list_teams(session, me)
        users = service.list_users(session, me)
    members: dict[int, int] = {}
    leads: dict[int, list[str]] = {}
    for u in users:
        if u.team_id is not None and u.is_active:
            members[u.team_id] = members.get(u.team_id, 0) + 1
            if u.role is Role.TEAM_LEAD:
                leads.setdefault(u.team_id, []).append(u.display_name)
    return render(web, "access/admin_teams.html", {"teams": teams, "members": members, "leads": leads})
