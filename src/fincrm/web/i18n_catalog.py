"""Keep the zh-CN catalogs in step with the code: extract every message and find untranslated ones.

Translations may live in any ``*.po`` of ``web/locale/zh_CN/LC_MESSAGES`` (one per capability keeps
parallel work apart); ``update`` adds the messages that none of them has to ``messages.po``.

uv run python -m fincrm.web.i18n_catalog          # rewrite messages.po, list untranslated ids
uv run python -m fincrm.web.i18n_catalog --check  # exit 1 if any message lacks a translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from fincrm.web.i18n import LOCALE_DIR, catalog_files

ROOT = Path(__file__).resolve().parents[1]  # src/fincrm
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def extract() -> list[str]:
    ids: dict[str, None] = {}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, str) and message:
            ids.setdefault(message, None)
    return sorted(ids)


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale)
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def translated(locale: str = "zh_CN") -> dict[str, str]:
    """Every message with a non-empty translation, over all catalog files of the language."""
    found: dict[str, str] = {}
    for path in catalog_files(locale):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and isinstance(message.id, str) and message.string:
                    found.setdefault(message.id, message.string)
    return found


def missing(locale: str = "zh_CN") -> list[str]:
    done = translated(locale)
    return [m for m in extract() if m not in done]


def update(locale: str = "zh_CN") -> list[str]:
    old = load(locale)
    others: set[str] = set()
    for path in catalog_files(locale):
        if path.name != "messages.po":
            with path.open("rb") as fh:
                others |= {m.id for m in read_po(fh, locale=locale) if isinstance(m.id, str) and m.id}
    new = Catalog(locale=locale, project="fincrm")
    for message in extract():
        if message in others:
            continue
        existing = old.get(message)
        new.add(message, existing.string if existing else "")
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, new, width=120, omit_header=True, sort_output=True)
    return missing(locale)


if __name__ == "__main__":
    gaps = missing() if "--check" in sys.argv else update()
    for message in gaps:
        print(f"untranslated: {message!r}")
    sys.exit(1 if gaps and "--check" in sys.argv else 0)
