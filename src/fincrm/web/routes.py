"""Every router of the app, registered explicitly in capability order."""

from __future__ import annotations

from fastapi import FastAPI


def include_all(app: FastAPI) -> None:
    from fincrm.access import api as access_api
    from fincrm.access import pages as access_pages

    app.include_router(access_pages.router)
    app.include_router(access_api.router, prefix="/api/v1")
