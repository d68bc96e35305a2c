"""Sign-in, sign-out, language switch and the landing redirect (HTML)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincrm.access import service
from fincrm.access.domain import Role
from fincrm.web.context import SESSION_COOKIE, CsrfRejected, Web, client_ip, resolve
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "fincrm_login_csrf"  # double-submit token: the login form has no session yet


def _safe_next(target: str | None) -> str:
    """Only same-site paths; never an absolute URL an attacker could plant."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/", response_class=HTMLResponse)
def home(web: Annotated[Web, Depends(resolve)]) -> Response:
    me = web.require()
    return RedirectResponse(
        "/admin/users" if me.role is Role.ADMIN else ("/audit" if me.role is Role.COMPLIANCE else "/book"),
        303,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(web: Annotated[Web, Depends(resolve)], next: str = "/", failed: int = 0) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        web, "access/login.html", {"next": _safe_next(next), "failed": failed, "login_csrf": token}
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=web.request.url.scheme == "https"
    )
    return response


@router.post("/login")
def login(
    web: Annotated[Web, Depends(resolve)],
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, login_csrf):
        raise CsrfRejected("the sign-in form has expired; reload the page and try again")
    with web.uow() as session:
        signed = service.sign_in(
            session, username=username, password=password, ip=client_ip(request), now=web.now()
        )
    if signed is None:
        return RedirectResponse(f"/login?failed=1&next={_safe_next(next)}", status_code=303)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, signed.cookie_token, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", max_age=int((signed.expires_at - web.now()).total_seconds()),
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(web: Annotated[Web, Depends(resolve)], csrf_token: Annotated[str, Form()] = "") -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.sign_out(session, me, cookie_token=web.cookie_token or "", now=web.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def switch_language(
    web: Annotated[Web, Depends(resolve)],
    locale: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    with web.uow() as session:
        service.set_locale(session, me, locale=locale)
    return RedirectResponse(_safe_next(next), status_code=303)
