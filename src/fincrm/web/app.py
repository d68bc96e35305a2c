"""The web application: ``create_app(settings)`` builds it; nothing happens at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from fincrm.config import Settings
from fincrm.core.clock import Clock, SystemClock
from fincrm.db.engine import engine_from_settings, session_factory
from fincrm.errors import FieldError, FincrmError, InputError, NotFound
from fincrm.web.context import AppState, NotSignedIn, resolve
from fincrm.web.render import make_environment, render

STATIC_DIR = Path(__file__).with_name("static")
logger = logging.getLogger("fincrm.web")


def create_app(
    settings: Settings, *, clock: Clock | None = None, sessions: sessionmaker[Session] | None = None
) -> FastAPI:
    app = FastAPI(
        title="fincrm API",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.fincrm = AppState(
        settings=settings,
        sessions=sessions or session_factory(engine_from_settings(settings)),
        clock=clock or SystemClock(),
        templates=make_environment(),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)

    from fincrm.web import routes

    routes.include_all(app)
    return app


def app_from_environment() -> FastAPI:
    """Factory for server processes started by uvicorn itself (``fincrm serve --workers N``)."""
    return create_app(Settings())


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def render_error(request: Request, error: FincrmError) -> Response:
    if _wants_json(request):
        return JSONResponse(error.as_dict(), status_code=error.status)
    if isinstance(error, NotSignedIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    web = resolve(request)
    template = "_error.html" if request.headers.get("hx-request") else "error.html"
    return render(web, template, {"error": error}, status=error.status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FincrmError)
    async def _fincrm_error(request: Request, exc: FincrmError) -> Response:
        return render_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            FieldError(
                tuple(str(p) for p in e.get("loc", ())), e.get("msg", "invalid"), _jsonable(e.get("input"))
            )
            for e in exc.errors()
        ]
        return render_error(request, InputError("the request is not valid; see errors", errors=errors))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A bug, not bad input: log it with its traceback and answer in the one error shape.
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        error = FincrmError("an unexpected error occurred; it has been logged")
        error.status = 500
        return render_error(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render_error(request, NotFound("no such page or resource"))
        error = FincrmError(str(exc.detail))
        error.status = exc.status_code
        return render_error(request, error)


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)[:200]
