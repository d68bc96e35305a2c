"""The font every report embeds, and a check that it covers every character a report uses.

Reports embed one font: Noto Sans SC (SIL Open Font License), installed from PyPI with the
``pylopdf-fonts-zh-cn`` package, so a fresh machine renders Chinese in PDFs with nothing installed
by hand and nothing downloaded at run time. It covers Latin, digits, CJK punctuation and the
Chinese characters of GB 18030 level 1 and 2. WeasyPrint subsets it per PDF (HarfBuzz subsetting,
``libharfbuzz-subset0``, which the set-up scripts install; without it WeasyPrint falls back to
fontTools, about 25 times slower on this font).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pylopdf_fonts_zh_cn
from fontTools.ttLib import TTFont

FONT_FAMILY = "fincrm-sans"  # CSS family name of the embedded font in reports
# Characters that are layout, not glyphs: never looked up in the font.
_LAYOUT = frozenset("\n\r\t\f\v\u00ad\u200b\ufeff")


def font_path() -> Path:
    """Path of the embedded font file (OpenType, CFF outlines)."""
    return Path(pylopdf_fonts_zh_cn.sans_path())


def font_face_css() -> str:
    """The ``@font-face`` rule that points WeasyPrint at the embedded font."""
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{font_path().as_uri()}"); }}'


@cache
def covered_codepoints() -> frozenset[int]:
    """Every Unicode code point the embedded font has a glyph for."""
    font = TTFont(str(font_path()), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` the embedded font cannot draw, sorted, without repeats.

    Examples
    --------
    >>> missing_glyphs("资产健康检查 Asset health check 12.5%")
    []
    """
    covered = covered_codepoints()
    return sorted({ch for ch in text if ch not in _LAYOUT and not ch.isspace() and ord(ch) not in covered})
