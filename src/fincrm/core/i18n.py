"""Languages of the workbench: Babel catalogs (gettext .po) compiled in memory at start-up, and
locale-aware formatting of money, numbers and dates.

Catalogs live in ``web/locale/<lang>/LC_MESSAGES/*.po`` (one per capability); message ids are
English, so the English catalog may stay empty. Chinese readers get large amounts in 万/亿 as well.
This module sits in core because pages (web) and documents (reports) both speak through it.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from fincrm.core.money import format_wan

LOCALES = ("zh-CN", "en")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"


def babel_name(locale: str) -> str:
    return locale.replace("-", "_")


def catalog_files(locale: str) -> list[Path]:
    """Every ``*.po`` of a language; each capability may keep its own (clients.po, admin.po, ...)."""
    return sorted((LOCALE_DIR / babel_name(locale) / "LC_MESSAGES").glob("*.po"))


@cache
def translations(locale: str) -> gettext.NullTranslations:
    merged: gettext.NullTranslations | None = None
    for po_path in catalog_files(locale):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=babel_name(locale))
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    return merged or gettext.NullTranslations()


class Formatter:
    """Formats values for one locale and timezone."""

    def __init__(self, locale: str, tz: ZoneInfo):
        self.locale = locale
        self.babel = Locale.parse(babel_name(locale))
        self.tz = tz

    def money(self, amount: Decimal | None, currency: str = "CNY") -> str:
        """¥1,234,567.89 (both languages); zh-CN adds 万/亿 for large amounts: ¥1,234,567.89（123.46万）."""
        if amount is None:
            return "—"
        text = format_currency(amount, currency, locale=self.babel)
        if self.locale == "zh-CN" and abs(amount) >= 10_000:
            text += f"（{format_wan(amount)}）"
        return text

    def number(self, value: float | int | Decimal | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.babel)

    def pct(self, value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value * 100:.{digits}f}%"

    def date(self, value: date | None) -> str:
        return "—" if value is None else format_date(value, format="medium", locale=self.babel)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(value.astimezone(self.tz), format="medium", locale=self.babel)
