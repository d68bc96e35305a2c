"""Risk-education one-pagers rendered for a demo client through the report service."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.reports import engine, service
from fincrm.reports.fonts import missing_glyphs
from tests.integration.demo.conftest import AS_OF
from tests.integration.reports.pdfcheck import pdf_text, squash

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


def generate(ctx, subject: str, lang: str):
    return service.generate_report(ctx["session"], ctx["rm"], ctx["settings"], kind="education",
                                   party_no=ctx["client"], as_of=AS_OF, lang=lang, now=NOW, subject=subject)  # fmt: skip


@pytest.mark.parametrize("topic", ["leverage", "volatility", "drawdown"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_topic_renders_in_bounds_with_every_figure_printed(ctx, topic, lang) -> None:
    report = generate(ctx, topic, lang)
    text, dark = pdf_text(report.pdf)
    assert dark > 1000, "the first page looks blank"
    assert missing_glyphs(text) == []
    assert 1 <= report.page_count <= engine.MAX_PAGES["education"]
    assert report.subject_key == topic
    figures = json.loads(report.figures)
    assert figures
    for key, value in figures.items():
        assert squash(value) in squash(text), f"{key}={value!r} is not in the PDF"


def test_the_worst_fall_is_the_csi300_drawdown_recomputed_from_the_lake(ctx) -> None:
    report = generate(ctx, "drawdown", "en")
    rows = ctx["demo"].sql(
        f"SELECT price_on, price FROM market_prices WHERE series = 'CSI300' AND price_on <= DATE '{AS_OF}' ORDER BY 1"
    )
    prices = pd.Series([float(p) for _, p in rows])
    depth = (prices / prices.cummax() - 1).min()
    assert json.loads(report.figures)["depth"] == f"{depth * 100:.1f}%"
    assert depth < -0.20  # the demo market's crisis


def test_volatility_is_the_annualised_daily_standard_deviation(ctx) -> None:
    report = generate(ctx, "volatility", "zh-CN")
    rows = ctx["demo"].sql(
        f"SELECT price_on, price FROM market_prices WHERE series = 'CBA_BOND' AND price_on <= DATE '{AS_OF}' ORDER BY 1"
    )
    prices = pd.Series([float(p) for _, p in rows])
    vol = prices.pct_change().dropna().std(ddof=1) * 252**0.5
    assert json.loads(report.figures)["bond_vol"] == f"{vol * 100:.1f}%"


def test_an_unknown_topic_lists_the_topics(ctx) -> None:
    with pytest.raises(InputError, match="leverage, volatility, drawdown"):
        generate(ctx, "options", "en")
    with pytest.raises(InputError, match="choose one of"):
        generate(ctx, "", "en")
