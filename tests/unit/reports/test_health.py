"""The asset health check's numbers on a hand-checkable book, its words, and its PDF."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pypdfium2
import pytest

from fincrm.core.i18n import Formatter
from fincrm.errors import InputError
from fincrm.reports import engine, health
from fincrm.reports.engine import Brand, css_text
from fincrm.reports.fonts import missing_glyphs
from fincrm.reports.reader import Position

TZ = ZoneInfo("Asia/Shanghai")


def position(code: str, value: float, exposures: dict[str, float], rating: str = "R2", days: int = 1,
             kind: str = "fund") -> Position:  # fmt: skip
    return Position(code=code, name=f"产品{code}", name_en=f"Product {code}", kind=kind, risk_rating=rating,
                    value=value, exposures=exposures, days_to_cash=days, distribution="distributed", series=None)  # fmt: skip


FACTS = health.HealthFacts(
    client_no="C001", client_name="王小明", as_of=date(2026, 11, 28), data_as_of=date(2026, 11, 27),
    positions=[
        position("EQ", 600_000, {"equity": 1.0}, rating="R4", days=3),
        position("BD", 300_000, {"bond": 1.0}, rating="R2", days=2),
        position("CASH", 100_000, {"cash": 1.0}, rating="R1", days=0, kind="deposit"),
    ],
    level="C3", questionnaire_valid_until=date(2027, 6, 30),
    target={"cash": 0.10, "bond": 0.40, "equity": 0.40, "commodity": 0.05, "real_estate": 0.05},
    target_source="model:C3", monthly_spending=20_000.0, fees_paid_12m=1_234.5,
    values_12m=[(date(2026, 9, 30), 950_000.0), (date(2026, 10, 31), 1_000_000.0)],
)  # fmt: skip
RATES = {"EQ": 1.5, "BD": 0.5, "CASH": 0.0}  # % a year


class TestNumbers:
    def test_a_hand_checked_book(self) -> None:
        n = health.numbers(FACTS, RATES)
        assert n.total == 1_000_000
        assert n.current["equity"] == pytest.approx(0.6) and n.current["cash"] == pytest.approx(0.1)
        assert n.drift["equity"] == pytest.approx(0.2) and n.drift["bond"] == pytest.approx(-0.1)
        assert n.above_level_share == pytest.approx(0.6)  # R4 above C3
        assert n.weighted_rating == pytest.approx(0.6 * 4 + 0.3 * 2 + 0.1 * 1)
        assert n.liquid_value == 1_000_000  # every product pays out within 3 business days
        assert n.liquidity_months == pytest.approx(50.0)
        assert n.top_share == pytest.approx(0.6) and n.top3_share == pytest.approx(1.0)
        assert n.hhi == pytest.approx(0.36 + 0.09 + 0.01)
        assert n.ongoing_charges == pytest.approx(600_000 * 0.015 + 300_000 * 0.005)

    def test_no_spending_means_no_liquidity_months(self) -> None:
        from dataclasses import replace

        n = health.numbers(replace(FACTS, monthly_spending=0.0), RATES)
        assert n.liquidity_months is None


class TestDocument:
    @pytest.mark.parametrize("lang", ["zh-CN", "en"])
    def test_figures_and_suggestions_follow_the_numbers(self, lang: str) -> None:
        doc = health.build(FACTS, health.numbers(FACTS, RATES), lang=lang, fmt=Formatter(lang, TZ))
        assert doc.figures["equity_share"] == "60.0%" and doc.figures["max_drift"] == "20.0%"
        assert doc.figures["above_level_share"] == "60.0%" and doc.figures["weighted_rating"] == "R3.1"
        text = " ".join(doc.context["suggestions"])
        assert "60.0%" in text and "40.0%" in text  # rebalance equity: 60 % against 40 %
        assert ("权益" in text) == (lang == "zh-CN")

    def test_a_deposit_is_not_called_concentrated(self) -> None:
        from dataclasses import replace

        facts = replace(FACTS, positions=[position("CASH", 1_000_000, {"cash": 1.0}, rating="R1", days=0,
                                                   kind="deposit")])  # fmt: skip
        doc = health.build(facts, health.numbers(facts, RATES), lang="en", fmt=Formatter("en", TZ))
        assert not any("One product is" in s for s in doc.context["suggestions"])

    @pytest.mark.parametrize("lang", ["zh-CN", "en"])
    def test_the_pdf_shows_every_figure_in_the_embedded_font(self, lang: str) -> None:
        from datetime import UTC, datetime

        doc = health.build(FACTS, health.numbers(FACTS, RATES), lang=lang, fmt=Formatter(lang, TZ))
        brand = Brand("示范银行" if lang == "zh-CN" else "Demo Bank", "#8a1c2b")
        html = engine.render_html(doc, brand=brand, generated_at=datetime(2026, 11, 28, 1, tzinfo=UTC), tz=TZ)
        pdf, pages = engine.render_pdf(html)
        assert 1 <= pages <= engine.MAX_PAGES["health_check"]
        document = pypdfium2.PdfDocument(pdf)
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        flat = "".join(text.split())
        for key, value in doc.figures.items():
            assert "".join(value.split()) in flat, key
        assert missing_glyphs(text) == []
        assert ("资产体检报告" in text) == (lang == "zh-CN")


class TestEngine:
    def test_unknown_kind_and_language_are_refused_with_the_choices(self) -> None:
        with pytest.raises(InputError, match="health_check"):
            engine.check_kind("flowers")
        with pytest.raises(InputError, match="zh-CN"):
            engine.check_lang("fr")

    def test_css_strings_are_escaped(self) -> None:
        assert str(css_text('A "B" \\ <C>\nD')) == 'A \\"B\\" \\\\ \\3c C> D'

    def test_the_font_covers_chinese_and_not_emoji(self) -> None:
        assert missing_glyphs("资产健康检查 ¥1,234（123.46万）—") == []
        assert missing_glyphs("生日快乐😀") == ["😀"]
