"""Chinese text helpers: pinyin initials for search (张伟 -> zw)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """Lower-case initials of each character's pinyin; Latin letters are kept.

    Examples
    --------
    >>> pinyin_initials("张伟")
    'zw'
    >>> pinyin_initials("Berka 12")
    'berka12'
    """
    parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(p for p in "".join(parts).lower() if p.isalnum())
