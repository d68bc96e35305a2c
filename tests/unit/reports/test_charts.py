"""Server-side SVG charts: structure, labels, formats, geometry, bad input, and WeasyPrint.

Geometry is checked on the parsed SVG (a higher value has a smaller y coordinate); the PDF tests
prove WeasyPrint renders our ``<text>`` as real, extractable text.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import numpy as np
import pypdfium2
import pytest
import weasyprint

from fincrm.errors import InputError
from fincrm.reports.charts import (
    PALETTE,
    Band,
    BarChart,
    Layer,
    LineChart,
    Marker,
    Series,
    StackChart,
    chart_values,
    to_svg,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    """Rendered text of every ``<text>`` (tspans joined), optionally of one class only."""
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text") if cls is None or el.get("class") == cls]


def polyline_points(el: ET.Element) -> list[tuple[float, float]]:
    return [tuple(float(c) for c in pair.split(",")) for pair in el.get("points").split()]


def pdf_text(svg: str) -> str:
    pdf = pypdfium2.PdfDocument(weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf())
    return pdf[0].get_textpage().get_text_range()


def line(*ys: float, title: str = "Net value", **kwargs) -> LineChart:
    return LineChart(title, (Series("Portfolio", tuple((float(i), y) for i, y in enumerate(ys))),), **kwargs)


def dated(start: date, days: int, step: int = 1) -> tuple[tuple[date, float], ...]:
    return tuple((start + timedelta(days=i), 1 + i / 1000) for i in range(0, days + 1, step))


ALLOCATION = BarChart(
    "Allocation",
    ("Equity", "Bonds", "Cash"),
    (("Current", (0.55, 0.35, 0.10)), ("Target", (0.50, 0.40, 0.10))),
)
STRUCTURE = StackChart(
    "Structure",
    (
        Layer("Senior A", 0.7, "fixed 4.2% a year, paid first"),
        Layer("Mezzanine", 0.2),
        Layer("Junior", 0.1, "absorbs the first losses"),
    ),
    arrow_label="losses hit from the bottom",
)
NAV = LineChart(
    "NAV",
    (
        Series("Portfolio", dated(date(2023, 1, 2), 400, 5)),
        Series("Benchmark", tuple((x, y * 0.98) for x, y in dated(date(2023, 1, 2), 400, 5)), dashed=True),
    ),
    markers=(Marker(date(2023, 6, 30), "Rebalanced"),),
    bands=(
        Band(
            "5%-95%",
            tuple((x, y * 0.9) for x, y in dated(date(2023, 1, 2), 400, 5)),
            tuple((x, y * 1.1) for x, y in dated(date(2023, 1, 2), 400, 5)),
        ),
    ),
    y_format="pct",
)


class TestToSvgOutput:
    @pytest.mark.parametrize("chart", [NAV, ALLOCATION, STRUCTURE], ids=["line", "bar", "stack"])
    def test_is_one_standalone_svg_element(self, chart):
        svg = to_svg(chart)
        root = parse(svg)
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 260"')
        assert root.tag == f"{SVG}svg"
        assert (root.get("width"), root.get("height"), root.get("role")) == ("640", "260", "img")
        assert root.get("aria-label") == chart.title
        assert root.find("svg:title", NS).text == chart.title
        assert chart.title in texts(root)
        assert "<script" not in svg and "href" not in svg

    def test_font_family_is_set_on_the_root(self):
        root = parse(to_svg(ALLOCATION, font_family='fincrm-sans, "Noto Sans SC", sans-serif'))
        assert root.get("font-family") == 'fincrm-sans, "Noto Sans SC", sans-serif'
        assert all(el.get("font-family") is None for el in root.iter(f"{SVG}text"))

    def test_size_follows_the_definition(self):
        root = parse(to_svg(line(1, 2, width=400, height=180)))
        assert (root.get("viewBox"), root.get("width"), root.get("height")) == ("0 0 400 180", "400", "180")

    def test_user_text_is_escaped(self):
        chart = BarChart('Risk <high> & "low"', ("A<B", "C&D"), (("x > y", (0.1, 0.2)), ("'q'", (0.3, 0.4))))
        svg = to_svg(chart)
        assert "<high>" not in svg and "A<B" not in svg and "C&D" not in svg
        root = parse(svg)
        assert root.get("aria-label") == 'Risk <high> & "low"'
        assert {"A<B", "C&D", "x > y", "'q'", 'Risk <high> & "low"'} <= set(texts(root))

    def test_chinese_labels_survive(self):
        chart = BarChart("资产配置", ("股票", "债券"), (("当前", (0.6, 0.4)), ("目标", (0.5, 0.5))))
        root = parse(to_svg(chart))
        assert {"资产配置", "股票", "债券", "当前", "目标"} <= set(texts(root))

    def test_same_input_gives_the_same_string(self):
        assert to_svg(NAV) == to_svg(NAV)
        assert to_svg(STRUCTURE, lang="en") == to_svg(STRUCTURE, lang="en")

    def test_coordinates_have_at_most_one_decimal(self):
        root = parse(to_svg(NAV))
        for el in root.iter(f"{SVG}polyline"):
            for x, y in polyline_points(el):
                assert round(x, 1) == x and round(y, 1) == y

    def test_legend_only_with_more_than_one_entry(self):
        assert parse(to_svg(line(1, 2))).find(".//svg:g[@class='legend']", NS) is None
        legend = parse(to_svg(ALLOCATION)).find(".//svg:g[@class='legend']", NS)
        assert texts(legend) == ["Current", "Target"]

    def test_palette_by_position_unless_a_colour_is_given(self):
        chart = LineChart(
            "Two",
            (Series("a", ((0.0, 1.0), (1.0, 2.0))), Series("b", ((0.0, 2.0), (1.0, 3.0)), color="#123456")),
        )
        strokes = [el.get("stroke") for el in parse(to_svg(chart)).iter(f"{SVG}polyline")]
        assert strokes == [PALETTE[0], "#123456"]


class TestToSvgFormats:
    def y_ticks(self, chart, lang="zh-CN") -> list[str]:
        return texts(parse(to_svg(chart, lang=lang)).find(".//svg:g[@class='y-axis']", NS), "tick")

    def test_pct_ticks(self):
        assert self.y_ticks(line(0.0, 0.35, y_format="pct")) == ["0.0%", "10.0%", "20.0%", "30.0%", "40.0%"]

    def test_pct_negative_ticks_use_ascii_minus(self):
        ticks = self.y_ticks(line(-0.2, -0.05, zero_line=True, y_format="pct"))
        assert ticks == ["-20.0%", "-15.0%", "-10.0%", "-5.0%", "0.0%"]

    def test_amount_ticks_zh_in_wan_and_en_in_millions(self):
        chart = line(0, 1_200_000, y_format="amount")
        assert self.y_ticks(chart, "zh-CN") == ["0", "50万", "100万", "150万"]
        assert self.y_ticks(chart, "en") == ["0", "0.5M", "1M", "1.5M"]

    def test_amount_ticks_zh_in_yi(self):
        assert self.y_ticks(line(0, 3e8, y_format="amount"), "zh-CN") == ["0", "1亿", "2亿", "3亿"]

    def test_number_ticks_trim_decimals(self):
        assert self.y_ticks(line(0.98, 1.31)) == ["0.9", "1", "1.1", "1.2", "1.3", "1.4"]

    def test_ticks_are_nice_and_four_to_six(self):
        for ys in [(0.0, 7.3), (-3.2, 11.0), (0.013, 0.0171), (120.0, 980.0), (-1e6, 2.5e7)]:
            root = parse(to_svg(line(*ys)))
            n = len(texts(root.find(".//svg:g[@class='y-axis']", NS), "tick"))
            assert 4 <= n <= 6, ys

    @pytest.mark.parametrize(
        ("value", "y_format", "lang", "shown"),
        [
            (1_200_000, "amount", "zh-CN", "120万"),
            (1_200_000, "amount", "en", "1.2M"),
            (150_000_000, "amount", "zh-CN", "1.5亿"),
            (2_500, "amount", "en", "2.5K"),
            (850, "amount", "zh-CN", "850"),
            (0.123, "pct", "en", "12.3%"),
            (-0.05, "pct", "en", "-5.0%"),
            (2.5, "number", "en", "2.5"),
            (1.23456, "number", "en", "1.23"),
        ],
    )
    def test_value_labels(self, value, y_format, lang, shown):
        chart = BarChart("One", ("a",), (("g", (value,)),), y_format=y_format)
        assert texts(parse(to_svg(chart, lang=lang)), "value") == [shown]


class TestToSvgLineChart:
    def test_higher_value_is_drawn_higher(self):
        root = parse(to_svg(line(1.0, 3.0, 2.0)))
        (a, b, c) = polyline_points(root.find(".//svg:polyline[@class='series']", NS))
        assert b[1] < c[1] < a[1]
        assert a[0] < b[0] < c[0]

    def test_single_point_draws_a_dot(self):
        root = parse(to_svg(line(5.0)))
        assert root.find(".//svg:circle[@class='series']", NS) is not None
        assert len(texts(root.find(".//svg:g[@class='y-axis']", NS), "tick")) >= 3

    def test_flat_line_still_draws(self):
        root = parse(to_svg(line(0.0, 0.0, 0.0)))
        ys = {y for _, y in polyline_points(root.find(".//svg:polyline[@class='series']", NS))}
        assert len(ys) == 1

    def test_dated_ticks_are_months_for_short_spans(self):
        chart = LineChart("NAV", (Series("p", dated(date(2023, 1, 10), 253)),))
        x_ticks = texts(parse(to_svg(chart)).find(".//svg:g[@class='x-axis']", NS), "tick")
        assert x_ticks == ["2023-03", "2023-05", "2023-07", "2023-09"]

    def test_dated_ticks_are_years_beyond_three_years(self):
        chart = LineChart("NAV", (Series("p", dated(date(2015, 1, 1), 3440, 7)),))
        x_ticks = texts(parse(to_svg(chart)).find(".//svg:g[@class='x-axis']", NS), "tick")
        assert x_ticks == ["2016", "2018", "2020", "2022", "2024"]

    def test_dated_ticks_are_days_for_a_few_weeks(self):
        chart = LineChart("NAV", (Series("p", dated(date(2023, 1, 10), 41)),))
        x_ticks = texts(parse(to_svg(chart)).find(".//svg:g[@class='x-axis']", NS), "tick")
        assert x_ticks[0] == "2023-01-16" and len(x_ticks) == 6

    def test_band_is_a_translucent_polygon_behind_the_lines(self):
        root = parse(to_svg(NAV))
        children = list(root)
        band = root.find("svg:polygon[@class='band']", NS)
        assert float(band.get("fill-opacity")) < 1
        first_line = root.find("svg:polyline[@class='series']", NS)
        assert children.index(band) < children.index(first_line)
        assert len(band.get("points").split()) == 2 * len(NAV.bands[0].lower)
        assert "5%-95%" in texts(root.find(".//svg:g[@class='legend']", NS))

    def test_markers_are_dashed_lines_with_labels(self):
        chart = LineChart(
            "NAV",
            (Series("p", dated(date(2023, 1, 2), 400)),),
            markers=(Marker(date(2023, 6, 30), "Rebalanced"), Marker(date(2023, 7, 3), "再平衡 <q2>")),
        )
        markers = parse(to_svg(chart)).findall(".//svg:g[@class='marker']", NS)
        assert [texts(m)[0] for m in markers] == ["Rebalanced", "再平衡 <q2>"]
        assert all(m.find("svg:line", NS).get("stroke-dasharray") for m in markers)
        # Three days apart: the second label moves to another row instead of overprinting.
        y_labels = [float(m.find("svg:text", NS).get("y")) for m in markers]
        assert y_labels[0] != y_labels[1]

    def test_datetimes_and_numpy_numbers_are_accepted(self):
        stamps = LineChart(
            "NAV", (Series("p", ((datetime(2024, 1, 31, 16), 1.0), (date(2024, 2, 29), 2.0))),)
        )
        days = LineChart("NAV", (Series("p", ((date(2024, 1, 31), 1.0), (date(2024, 2, 29), 2.0))),))
        assert to_svg(stamps) == to_svg(days)
        assert chart_values(BarChart("T", ("a",), (("g", (np.float32(0.5),)),))) == [0.5]
        assert chart_values(line(*np.array([1, 2], dtype=np.int64))) == [1.0, 2.0]

    def test_zero_line_for_drawdowns(self):
        root = parse(to_svg(line(0.0, -0.1, -0.25, -0.05, y_format="pct", zero_line=True)))
        zero = root.find("svg:line[@class='zero-line']", NS)
        points = polyline_points(root.find("svg:polyline[@class='series']", NS))
        assert float(zero.get("y1")) == points[0][1]
        assert all(y >= float(zero.get("y1")) for _, y in points)

    def test_dashed_series(self):
        polylines = parse(to_svg(NAV)).findall("svg:polyline[@class='series']", NS)
        assert [p.get("stroke-dasharray") is not None for p in polylines] == [False, True]


class TestToSvgBarChart:
    def bars(self, chart, lang="en") -> tuple[list[ET.Element], ET.Element]:
        root = parse(to_svg(chart, lang=lang))
        return root.findall("svg:rect[@class='bar']", NS), root.find("svg:line[@class='zero-line']", NS)

    def test_higher_value_is_a_taller_bar_drawn_higher(self):
        rects, zero = self.bars(ALLOCATION)
        current = rects[:3]  # group "Current": Equity 55%, Bonds 35%, Cash 10%
        tops = [float(r.get("y")) for r in current]
        heights = [float(r.get("height")) for r in current]
        assert tops[0] < tops[1] < tops[2]
        assert heights[0] > heights[1] > heights[2]
        assert all(
            math.isclose(float(r.get("y")) + float(r.get("height")), float(zero.get("y1")), abs_tol=0.11)
            for r in current
        )

    def test_negative_bars_go_below_the_zero_line(self):
        chart = BarChart("Returns", ("2022", "2023"), (("Fund", (-0.08, 0.05)),))
        (neg, pos), zero = self.bars(chart)
        zero_y = float(zero.get("y1"))
        assert math.isclose(float(neg.get("y")), zero_y, abs_tol=0.11)
        assert float(neg.get("height")) > 0
        assert float(pos.get("y")) < zero_y
        assert texts(parse(to_svg(chart)), "value") == ["-8.0%", "5.0%"]

    def test_horizontal_bars(self):
        chart = BarChart(
            "Stress",
            ("2008", "2015"),
            (("Portfolio", (-0.32, 0.03)), ("Benchmark", (-0.45, -0.05))),
            horizontal=True,
        )
        rects, zero = self.bars(chart)
        zero_x = float(zero.get("x1"))
        p08, p15, b08, _ = rects
        assert math.isclose(float(p08.get("x")) + float(p08.get("width")), zero_x, abs_tol=0.11)
        assert math.isclose(float(p15.get("x")), zero_x, abs_tol=0.11)
        assert float(b08.get("width")) > float(p08.get("width"))
        assert float(p08.get("y")) < float(p15.get("y"))  # categories top to bottom
        root = parse(to_svg(chart))
        assert texts(root, "category") == ["2008", "2015"]
        assert texts(root, "value") == ["-32.0%", "3.0%", "-45.0%", "-5.0%"]

    def test_value_labels_in_amount_format(self):
        chart = BarChart("AUM", ("A", "B"), (("AUM", (1_200_000, 35_000)),), y_format="amount")
        assert texts(parse(to_svg(chart, lang="zh-CN")), "value") == ["120万", "3.5万"]
        assert texts(parse(to_svg(chart, lang="en")), "value") == ["1.2M", "35K"]

    def test_long_category_labels_are_rotated(self):
        cats = tuple(f"Category number {i}" for i in range(8))
        chart = BarChart("Many", cats, (("g", tuple(0.1 * i for i in range(8))),))
        labels = parse(to_svg(chart)).findall("svg:text[@class='category']", NS)
        assert len(labels) == 8 and all("rotate(-35" in t.get("transform") for t in labels)


class TestToSvgStackChart:
    def test_layers_stack_from_the_top_with_heights_by_share(self):
        root = parse(to_svg(STRUCTURE))
        rects = root.findall("svg:rect[@class='layer']", NS)
        ys = [float(r.get("y")) for r in rects]
        heights = [float(r.get("height")) for r in rects]
        assert ys == sorted(ys)
        total = sum(heights)
        for h, layer in zip(heights, STRUCTURE.layers, strict=True):
            assert math.isclose(h / total, layer.share, abs_tol=0.002)
        for upper, lower, h in zip(ys, ys[1:], heights, strict=False):
            assert math.isclose(upper + h, lower, abs_tol=0.11)

    def test_labels_shares_and_notes(self):
        root = parse(to_svg(STRUCTURE))
        assert texts(root, "layer-label") == ["Senior A 70.0%", "Mezzanine 20.0%", "Junior 10.0%"]
        assert texts(root, "note") == ["fixed 4.2% a year, paid first", "absorbs the first losses"]

    def test_arrow_only_with_a_label(self):
        root = parse(to_svg(STRUCTURE))
        assert texts(root.find("svg:g[@class='arrow']", NS)) == ["losses hit from the bottom"]
        plain = StackChart("Mix", (Layer("Equity", 0.6), Layer("Bonds", 0.4)))
        assert parse(to_svg(plain)).find("svg:g[@class='arrow']", NS) is None

    def test_thin_layers_get_labels_that_do_not_overlap(self):
        chart = StackChart(
            "Thin", (Layer("Big", 0.97, "note"), Layer("Small", 0.02, "note"), Layer("Tiny", 0.01, "note"))
        )
        labels = parse(to_svg(chart)).findall("svg:text[@class='layer-label']", NS)
        ys = [float(t.get("y")) for t in labels]
        assert all(b - a >= 26 for a, b in zip(ys, ys[1:], strict=False))
        assert ys[-1] <= 260


class TestToSvgInvalidInput:
    D = date(2024, 1, 2)

    @pytest.mark.parametrize(
        ("chart", "problem"),
        [
            (LineChart("T<1>", ()), "no series"),
            (LineChart("T<1>", (Series("p", ()),)), "no points"),
            (LineChart("T<1>", (Series("p", ((1.0, 1.0), (0.0, 2.0))),)), "not ascending"),
            (LineChart("T<1>", (Series("p", ((0.0, 1.0), (0.0, 2.0))),)), "not ascending"),
            (line(1.0, math.nan, title="T<1>"), "finite"),
            (line(1.0, math.inf, title="T<1>"), "finite"),
            (line(1.0, 2.0, title="T<1>", y_format="percent"), "pct, amount, number"),
            (
                LineChart("T<1>", (Series("p", ((D, 1.0),)), Series("q", ((1.0, 1.0),)))),
                "mixes dates and numbers",
            ),
            (
                LineChart(
                    "T<1>",
                    (Series("p", ((0.0, 1.0), (1.0, 2.0))),),
                    bands=(Band("b", ((0.0, 0.5), (1.0, 1.5)), ((0.0, 1.5),)),),
                ),
                "lower has 2 points but upper has 1",
            ),
            (
                LineChart(
                    "T<1>",
                    (Series("p", ((0.0, 1.0), (1.0, 2.0))),),
                    bands=(Band("b", ((0.0, 0.5), (1.0, 1.5)), ((0.0, 1.5), (2.0, 2.5))),),
                ),
                "same xs",
            ),
            (
                LineChart("T<1>", (Series("p", ((0.0, 1.0), (1.0, 2.0))),), markers=(Marker(5.0, "late"),)),
                "outside the x range",
            ),
            (
                LineChart(
                    "T<1>",
                    (Series("p", ((0.0, 1.0), (1.0, 2.0))),),
                    bands=(Band("b", ((0.0, 0.5), (1.0, 2.5)), ((0.0, 1.5), (1.0, 2.0))),),
                ),
                "lower is above upper",
            ),
            (LineChart("T<1>", (Series("p", ((0.0, True),)),)), "finite number"),
            (
                LineChart("T<1>", (Series("p", ((datetime(2024, 1, 2, 9), 1.0), (date(2024, 1, 2), 2.0))),)),
                "not ascending",
            ),
            (BarChart("T<1>", ("a", "b"), (("g", (0.1,)),)), "has 1 values for 2 categories"),
            (BarChart("T<1>", ("a",), (("g", (math.nan,)),)), "finite"),
            (BarChart("T<1>", ("a",), ()), "no groups"),
            (BarChart("T<1>", (), (("g", ()),)), "no categories"),
            (BarChart("T<1>", ("a",), (("g", (0.1,)),), y_format="money"), "pct, amount, number"),
            (StackChart("T<1>", ()), "no layers"),
            (StackChart("T<1>", (Layer("a", 0.7), Layer("b", 0.2))), "sum to 0.9"),
            (StackChart("T<1>", (Layer("a", 1.1), Layer("b", -0.1))), "> 0"),
            (StackChart("T<1>", (Layer("a", 1.0), Layer("b", 0.0))), "> 0"),
            (StackChart("T<1>", (Layer("a", 1.0),), width=50), "too small"),
        ],
    )
    def test_raises_input_error_naming_the_title(self, chart, problem):
        with pytest.raises(InputError) as caught:
            to_svg(chart)
        assert "'T<1>'" in caught.value.message
        assert problem in caught.value.message
        assert caught.value.errors
        with pytest.raises(InputError):
            chart_values(chart)

    def test_every_problem_is_reported_at_once(self):
        chart = BarChart("Two problems", ("a", "b"), (("g", (math.inf,)),), y_format="bps")
        with pytest.raises(InputError) as caught:
            to_svg(chart)
        assert len(caught.value.errors) == 3

    def test_unknown_language(self):
        with pytest.raises(InputError, match="zh-CN, en"):
            to_svg(ALLOCATION, lang="fr")

    def test_shares_within_tolerance_are_accepted(self):
        to_svg(StackChart("Ok", (Layer("a", 0.7), Layer("b", 0.3 + 5e-7))))


class TestToSvgInPdf:
    """WeasyPrint renders our SVG text as PDF text (DejaVu here; reports embed their CJK font)."""

    def test_line_chart(self):
        text = pdf_text(to_svg(NAV, lang="en"))
        assert "NAV" in text and "Rebalanced" in text and "2023-07" in text and "100.0%" in text

    def test_bar_chart(self):
        text = pdf_text(to_svg(ALLOCATION, lang="en"))
        assert "55.0%" in text and "Equity" in text

    def test_stack_chart(self):
        text = pdf_text(to_svg(STRUCTURE, lang="en"))
        assert "Senior A" in text and "70.0%" in text and "absorbs the first losses" in text


class TestChartValues:
    def test_line_chart_series_then_bands(self):
        chart = LineChart(
            "T",
            (Series("p", ((0.0, 1.0), (1.0, 2.0))), Series("q", ((0.0, 3.0),))),
            bands=(Band("b", ((0.0, 0.5), (1.0, 1.5)), ((0.0, 1.5), (1.0, 2.5))),),
        )
        assert chart_values(chart) == [1.0, 2.0, 3.0, 0.5, 1.5, 1.5, 2.5]

    def test_bar_chart_group_by_group(self):
        assert chart_values(ALLOCATION) == [0.55, 0.35, 0.10, 0.50, 0.40, 0.10]

    def test_stack_chart_shares(self):
        assert chart_values(STRUCTURE) == [0.7, 0.2, 0.1]

    def test_values_are_floats(self):
        assert all(type(v) is float for v in chart_values(BarChart("T", ("a",), (("g", (3,)),))))
