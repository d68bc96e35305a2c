"""Reading a rendered report back, shared by the report tests: its text, and how much ink page one has."""

from __future__ import annotations

import pypdfium2


def pdf_text(pdf: bytes) -> tuple[str, int]:
    """(text of every page, dark pixels on page one rendered at half scale): a page with content has
    thousands; a blank page none."""
    doc = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in doc)
    image = doc[0].render(scale=0.5).to_pil().convert("L")
    dark = sum(1 for v in image.tobytes() if v < 200)
    doc.close()
    return text, dark


def squash(text: str) -> str:
    """Text without whitespace: a line the PDF breaks still matches the figure as printed."""
    return "".join(text.split())
