"""Product disclosures rendered for a demo client through the report service."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from fincrm.errors import InputError
from fincrm.products.models import Product
from fincrm.reports import engine, service
from fincrm.reports.fonts import missing_glyphs
from tests.integration.demo.conftest import AS_OF
from tests.integration.reports.pdfcheck import pdf_text, squash

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


def generate(ctx, code: str, lang: str):
    return service.generate_report(ctx["session"], ctx["rm"], ctx["settings"], kind="product",
                                   party_no=ctx["client"], as_of=AS_OF, lang=lang, now=NOW, subject=code)  # fmt: skip


@pytest.mark.parametrize("code", ["SP004", "EF001", "MMF001"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_disclosure_renders_in_bounds_with_every_figure_printed(ctx, code, lang) -> None:
    report = generate(ctx, code, lang)
    text, dark = pdf_text(report.pdf)
    assert dark > 1000, "the first page looks blank"
    assert missing_glyphs(text) == []
    assert 1 <= report.page_count <= engine.MAX_PAGES["product"]
    assert report.subject_key == code
    for key, value in json.loads(report.figures).items():
        assert squash(value) in squash(text), f"{key}={value!r} is not in the PDF"


def test_the_tranches_and_the_analogy_are_shown(ctx) -> None:
    product = ctx["session"].scalars(select(Product).where(Product.code == "SP004")).one()
    layers = json.loads(product.tranches)
    assert sum(t["share_pct"] for t in layers) == pytest.approx(100)
    report = generate(ctx, "SP004", "en")
    text = squash(pdf_text(report.pdf)[0])
    assert squash(layers[0]["name_en"]) in text and "70.0%" in text
    assert squash(product.analogy_en)[:40] in text


def test_the_worst_fall_of_the_nav_is_recomputed_from_the_lake(ctx) -> None:
    report = generate(ctx, "EF001", "zh-CN")
    rows = ctx["demo"].sql(
        "SELECT price_on, price FROM market_prices WHERE series = 'NAV_EF001' "
        f"AND price_on <= DATE '{AS_OF}' ORDER BY 1"
    )
    prices = pd.Series([float(p) for _, p in rows])
    depth = (prices / prices.cummax() - 1).min()
    worst_year = (prices / prices.shift(252) - 1).min()
    figures = json.loads(report.figures)
    assert figures["own_max_drawdown"] == f"{depth * 100:.1f}%"
    assert figures["own_worst_year"] == f"{worst_year * 100:.1f}%"


def test_a_product_without_an_analogy_says_none_is_recorded(ctx) -> None:
    session = ctx["session"]
    product = session.scalars(select(Product).where(Product.code == "BF001")).one()
    saved = product.analogy_en
    product.analogy_en = None
    session.flush()
    try:
        text = squash(pdf_text(generate(ctx, "BF001", "en").pdf)[0])
    finally:
        product.analogy_en = saved
        session.flush()
    assert squash("No plain-language analogy is recorded") in text


@pytest.mark.parametrize(("code", "message"), [("NOPE1", "NOPE1"), ("", "product code"), ("LN001", "loan")])
def test_bad_subjects_are_refused(ctx, code, message) -> None:
    with pytest.raises(InputError, match=message):
        generate(ctx, code, "en")
