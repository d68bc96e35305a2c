"""The report engine: one Jinja template per report kind, rendered to HTML and to PDF.

A report is a :class:`Document`: its kind, language, title, the dates it speaks for, the values
its template shows, the charts (definitions from :mod:`fincrm.reports.charts`, drawn as inline
SVG for the page and the PDF alike) and ``figures``, every headline number exactly as printed,
so tests and the API can compare what the reader sees with the engine's numbers.

``render_html`` gives a standalone page (its own CSS; shown in the workbench); ``render_pdf``
turns that page into an A4 PDF with WeasyPrint, embedding :mod:`fincrm.reports.fonts`' font.
Every page carries the institution's name (settings), the report title, page numbers, the
generated-at and data-as-of stamps, and the disclaimer of the report kind.
"""

from __future__ import annotations

import atexit
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from fincrm.core.i18n import LOCALES, Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.reports import charts
from fincrm.reports.fonts import FONT_FAMILY, font_face_css

TEMPLATE_DIR = Path(__file__).with_name("templates")
KINDS = ("health_check", "quarterly", "post_crisis", "proposal", "product", "education")
MAX_PAGES = {  # page-count bounds a rendered PDF must respect (tests and the service check them)
    "health_check": 4, "quarterly": 4, "post_crisis": 4, "proposal": 6, "product": 3, "education": 2,
}  # fmt: skip


@dataclass(frozen=True)
class Brand:
    """How the institution appears on every page (from settings)."""

    name: str
    color: str  # CSS colour of headings and rules, e.g. #8a1c2b


@dataclass
class Document:
    """One report, ready to render.

    ``as_of`` is the day the report speaks for; ``data_as_of`` the latest day of data its numbers
    use (prices, snapshots); ``figures`` maps a key to a number as printed in the report.
    """

    kind: str
    lang: str
    title: str
    subject: str  # who or what it is about, as shown on the cover line
    as_of: date
    data_as_of: date
    context: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, charts.Chart] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(
            f"unknown report kind {kind!r}; choose one of {', '.join(KINDS)}",
            errors=[FieldError(("kind",), "unknown report kind", kind)],
        )
    return kind


def check_lang(lang: str) -> str:
    if lang not in LOCALES:
        raise InputError(
            f"unknown language {lang!r}; choose one of {', '.join(LOCALES)}",
            errors=[FieldError(("lang",), "unknown language", lang)],
        )
    return lang


_ENV: Environment | None = None


def _environment() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_null_translations(newstyle=True)
        _ENV = env
    return _ENV


def css_text(value: object) -> Markup:
    """``value`` as the inside of a CSS string: quotes, backslashes and ``<`` escaped."""
    text = " ".join(str(value).split())
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return Markup(out)  # noqa: S704 - escaped for a CSS string above


def render_html(doc: Document, *, brand: Brand, generated_at: datetime, tz: ZoneInfo) -> str:
    """The report as one standalone HTML page.

    Parameters
    ----------
    doc
        The document; ``doc.kind`` selects ``templates/reports/<kind>.html``.
    brand
        Institution name and colour.
    generated_at
        When it was generated (UTC; shown in the business timezone ``tz``).

    Returns
    -------
    str
        ``<!doctype html>`` page with inline CSS and inline SVG charts.
    """
    check_kind(doc.kind)
    check_lang(doc.lang)
    trans = translations(doc.lang)
    svgs = {
        name: Markup(charts.to_svg(chart, lang=doc.lang, font_family=f"{FONT_FAMILY}, sans-serif"))  # noqa: S704 - our own escaped SVG
        for name, chart in doc.charts.items()
    }
    template = _environment().get_template(f"reports/{doc.kind}.html")
    return template.render(
        doc=doc,
        c=doc.context,
        svg=svgs,
        brand=brand,
        fmt=Formatter(doc.lang, tz),
        generated_at=generated_at,
        lang=doc.lang,
        font_family=FONT_FAMILY,
        css=css_text,
        gettext=trans.gettext,
        ngettext=trans.ngettext,
        _=trans.gettext,
    )


_PDF_FONTS: tuple[Any, Any] | None = None


def _pdf_fonts() -> tuple[Any, Any]:
    """The font configuration and the ``@font-face`` stylesheet, made once per process: loading
    the 8 MB font and writing fontconfig's rules for it cost ~20 ms a document otherwise."""
    global _PDF_FONTS
    if _PDF_FONTS is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        config = FontConfiguration()
        _PDF_FONTS = (config, CSS(string=font_face_css(), font_config=config))
        atexit.register(_drop_pdf_fonts)  # release while pango is still loaded, not at teardown
    return _PDF_FONTS


def _drop_pdf_fonts() -> None:
    global _PDF_FONTS
    _PDF_FONTS = None


def render_pdf(html: str) -> tuple[bytes, int]:
    """An A4 PDF of ``html`` (a page from :func:`render_html`) with the embedded font, and its page count."""
    import weasyprint  # imported here: loading pango costs ~0.3 s, and pages never need it

    config, font_css = _pdf_fonts()
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATE_DIR)).render(
        stylesheets=[font_css], font_config=config
    )
    buffer = io.BytesIO()
    document.write_pdf(buffer)
    return buffer.getvalue(), len(document.pages)
