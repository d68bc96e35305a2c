"""Rendering pages with the request's language and formatting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from fincrm.web import labels
from fincrm.web.i18n import translations

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    PACKAGE / "web" / "templates",
    PACKAGE / "access" / "templates",
    PACKAGE / "clients" / "templates",
    PACKAGE / "portfolio" / "templates",
    PACKAGE / "intelligence" / "templates",
    PACKAGE / "reports" / "templates",
    PACKAGE / "engagement" / "templates",
    PACKAGE / "cases" / "templates",
    PACKAGE / "team" / "templates",
]


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)
    return env


def render(
    web: Any, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    env: Environment = web.state.templates
    trans = translations(web.locale)
    template_obj = env.get_template(template)
    values = {
        "web": web,
        "me": web.principal,
        "fmt": web.fmt,
        "locale": web.locale,
        "csrf_token": web.csrf_token,
        "gettext": trans.gettext,
        "ngettext": trans.ngettext,
        "_": trans.gettext,
        "labels": labels,
        **(context or {}),
    }
    html = template_obj.render(values)
    return HTMLResponse(html, status_code=status)
