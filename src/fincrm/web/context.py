"""Per-request context: settings, clock, transactions, the signed-in principal, language, formatting.

Routes and pages receive a ``Web`` and open exactly one unit of work per use case through it.
Authentication is resolved once per request, from the session cookie (pages and API) or an
``Authorization: Bearer`` API token (API only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access import service as access_service
from fincrm.access.domain import Principal
from fincrm.config import Settings
from fincrm.core.clock import Clock
from fincrm.db.engine import read_only
from fincrm.db.uow import unit_of_work
from fincrm.errors import FincrmError
from fincrm.web.i18n import LOCALES, Formatter, translations

SESSION_COOKIE = "fincrm_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class NotSignedIn(FincrmError):
    """No valid session or token; pages redirect to the login page, the API answers 401."""

    status = 401


class CsrfRejected(FincrmError):
    status = 403


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock
    templates: Any
    # Panels other capabilities add to the client 360 (dependency inversion: clients/ imports none
    # of them): each is called as panel(web, session, principal, party_no) -> (template, context).
    client_panels: list[Any] = field(default_factory=list)
    # Per-process helpers a capability starts on first use (e.g. the events group commit), by name.
    workers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Web:
    request: Request
    state: AppState
    principal: Principal | None = None
    csrf_token: str | None = None
    cookie_token: str | None = None
    locale: str = "zh-CN"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    def now(self):
        return self.state.clock.now()

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with unit_of_work(self.state.sessions) as session:
            yield session

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.locale, self.settings.tz)

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def require(self) -> Principal:
        if self.principal is None:
            raise NotSignedIn("sign in first")
        return self.principal

    def check_csrf(self, submitted: str | None) -> None:
        """State-changing requests authenticated by cookie must echo the session's CSRF token."""
        if self.principal is not None and self.principal.via_token:
            return
        if not submitted or submitted != self.csrf_token:
            raise CsrfRejected(
                "the form has expired or did not come from this site; reload the page and try again"
            )


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def resolve(request: Request) -> Web:
    """Build the request's context and resolve who is signed in (one short read transaction)."""
    state: AppState = request.app.state.fincrm
    web = Web(request=request, state=state, locale=state.settings.locale)
    ip = client_ip(request)
    now = state.clock.now()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        with unit_of_work(state.sessions) as session:
            read_only(session)  # a token check only reads; its last use is written once a minute
            web.principal, stale = access_service.check_api_token(
                session, token=auth[7:].strip(), ip=ip, now=now
            )
        if stale is not None:
            with unit_of_work(state.sessions) as session:
                access_service.touch_api_token(session, token_id=stale, now=now)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        with unit_of_work(state.sessions) as session:
            read_only(session)  # a session lookup never writes, so it need not queue for the write lock
            found = access_service.resolve_session(session, cookie_token=cookie, ip=ip, now=now)
        if found is not None:
            web.principal, web.csrf_token = found
            web.cookie_token = cookie
    if web.principal is not None and web.principal.locale in LOCALES:
        web.locale = web.principal.locale
    elif (asked := request.query_params.get("lang")) in LOCALES:
        web.locale = asked
    return web
