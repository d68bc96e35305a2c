"""Every router of the app, registered explicitly in capability order."""

from __future__ import annotations

from fastapi import FastAPI


def include_all(app: FastAPI) -> None:
    from fincrm.access import api as access_api
    from fincrm.access import pages as access_pages
    from fincrm.clients import api as clients_api
    from fincrm.clients import pages as clients_pages

    app.include_router(access_pages.router)
    app.include_router(access_api.router, prefix="/api/v1")
    app.include_router(clients_pages.router)
    app.include_router(clients_api.router, prefix="/api/v1")
    from fincrm.access import admin_api, admin_pages, audit_pages

    app.include_router(admin_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(admin_api.router, prefix="/api/v1")
    app.include_router(audit_pages.api_router, prefix="/api/v1")
    from fincrm.clients import assignment_api, assignment_pages

    app.include_router(assignment_pages.router)
    app.include_router(assignment_api.router, prefix="/api/v1")
    from fincrm.intelligence import api as intelligence_api
    from fincrm.intelligence import pages as intelligence_pages

    app.include_router(intelligence_pages.router)
    app.include_router(intelligence_api.router, prefix="/api/v1")
    from fincrm.portfolio import api as portfolio_api
    from fincrm.portfolio import pages as portfolio_pages

    app.include_router(portfolio_pages.router)
    app.include_router(portfolio_api.router, prefix="/api/v1")
    from fincrm.reports import api as reports_api
    from fincrm.reports import pages as reports_pages

    app.include_router(reports_pages.router)
    app.include_router(reports_api.router, prefix="/api/v1")
    app.state.fincrm.client_panels.append(reports_pages.client_panel)
    from fincrm.engagement import api as engagement_api
    from fincrm.engagement import pages as engagement_pages

    app.include_router(engagement_pages.router)
    app.include_router(engagement_api.router, prefix="/api/v1")
    from fincrm.engagement import (
        community_api,
        community_pages,
        gatherings_api,
        gatherings_pages,
        programmes_api,
        programmes_pages,
    )

    for pages, api in ((community_pages, community_api), (gatherings_pages, gatherings_api),
                       (programmes_pages, programmes_api)):  # fmt: skip
        app.include_router(pages.router)
        app.include_router(api.router, prefix="/api/v1")
        app.state.fincrm.client_panels.append(pages.client_panel)
    from fincrm.cases import complaints_api, complaints_pages, joint_api, joint_pages

    for pages, api in ((complaints_pages, complaints_api), (joint_pages, joint_api)):
        app.include_router(pages.router)
        app.include_router(api.router, prefix="/api/v1")
    app.state.fincrm.client_panels.append(complaints_pages.client_panel)
    from fincrm.cases import crisis_api, crisis_pages
    from fincrm.team import drills_api, drills_pages

    for pages, api in ((crisis_pages, crisis_api), (drills_pages, drills_api)):
        app.include_router(pages.router)
        app.include_router(api.router, prefix="/api/v1")
    app.state.fincrm.client_panels.append(crisis_pages.client_panel)
    from fincrm.cases import testimonials_api, testimonials_pages
    from fincrm.team import precall_api, precall_pages

    for pages, api in ((testimonials_pages, testimonials_api), (precall_pages, precall_api)):
        app.include_router(pages.router)
        app.include_router(api.router, prefix="/api/v1")
    app.state.fincrm.client_panels.append(precall_pages.client_panel)
    from fincrm.team import dashboard_api, dashboard_pages

    app.include_router(dashboard_pages.router)
    app.include_router(dashboard_api.router, prefix="/api/v1")
