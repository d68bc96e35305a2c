"""The quarterly diagnosis' pure numbers on tiny hand-checkable inputs."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from fincrm.core.i18n import Formatter
from fincrm.errors import InputError
from fincrm.reports.quarterly import (
    QuarterFacts,
    allocation,
    build,
    index_return,
    numbers,
    parse_quarter,
    pct,
)


def facts(**changes) -> QuarterFacts:
    base = dict(
        client_no="C1", client_name="Li", as_of=date(2026, 11, 28), quarter="2026Q3", start_on=date(2026, 6, 30),
        end_on=date(2026, 9, 30), data_as_of=date(2026, 9, 30), start_values={"EQ": 100.0, "BD": 100.0},
        end_values={"EQ": 90.0, "BD": 160.0},
        flows={"BD": {"purchase": 60.0, "dividend": 2.0}, "EQ": {"redemption": 5.0}},
        trades=[], names={"EQ": ("股票基金", "Equity fund"), "BD": ("债券基金", "Bond fund")},
        exposures={"EQ": {"equity": 1.0}, "BD": {"bond": 0.9, "cash": 0.1}}, cash_start=50.0, cash_end=750.0,
        month_values=[(date(2026, 6, 30), 200.0), (date(2026, 9, 30), 250.0)], benchmark_return=-0.05,
        bond_return=0.01, level="C3",
    )  # fmt: skip
    base.update(changes)
    return QuarterFacts(**base)


def test_flows_result_and_contributions_by_hand() -> None:
    n = numbers(facts())
    # flows: +60 purchase - 2 dividend - 5 redemption = 53; result: 250 - 200 - 53 = -3
    assert (n.purchases, n.redemptions, n.dividends, n.net_flow) == (60.0, 5.0, 2.0, 53.0)
    assert n.result == -3.0 and n.simple_return == pytest.approx(-0.015)
    # EQ: 90 - 100 + 5 = -5; BD: 160 - 100 - 58 = 2; they add up to the result
    assert n.contribution == {"BD": 2.0, "EQ": -5.0}
    assert sum(n.contribution.values()) == n.result
    assert n.product_return["EQ"] == pytest.approx(-0.05)
    assert n.alloc_end["equity"] == pytest.approx(90 / 250) and n.alloc_end["cash"] == pytest.approx(16 / 250)
    assert n.cash_share_end == pytest.approx(0.75) and n.top_code_end == "BD"


def test_no_start_value_has_no_return() -> None:
    n = numbers(facts(start_values={}, flows={"BD": {"purchase": 250.0}}))
    assert n.result == 0.0 and n.simple_return is None


def test_allocation_counts_unknown_products_as_cash_and_is_zero_when_empty() -> None:
    assert allocation({"X": 10.0}, {})["cash"] == 1.0
    assert set(allocation({}, {}).values()) == {0.0}


def test_quarters() -> None:
    assert parse_quarter("", date(2026, 3, 31)) == ("2026Q1", date(2025, 12, 31), date(2026, 3, 31))
    assert parse_quarter("", date(2026, 3, 30))[0] == "2025Q4"
    assert parse_quarter("2024Q4", date(2026, 1, 1))[1:] == (date(2024, 9, 30), date(2024, 12, 31))
    for bad in ("2026q3", "2026Q5", "Q3 2026", "2026-09"):
        with pytest.raises(InputError, match="YYYYQn"):
            parse_quarter(bad, date(2026, 11, 28))
    with pytest.raises(InputError, match="after the report date"):
        parse_quarter("2026Q4", date(2026, 11, 28))


def test_index_return_uses_the_last_price_on_or_before_each_day() -> None:
    s = pd.Series([100.0, 110.0, 99.0], index=pd.to_datetime(["2026-06-29", "2026-09-29", "2026-10-02"]))
    assert index_return(s, date(2026, 6, 30), date(2026, 9, 30)) == pytest.approx(0.1)
    assert index_return(s, date(2026, 6, 1), date(2026, 9, 30)) is None  # no price before the start


def test_pct_never_prints_a_negative_zero() -> None:
    fmt = Formatter("en", ZoneInfo("Asia/Shanghai"))
    assert pct(fmt, -0.0004) == "0.0%" and pct(fmt, -0.002) == "-0.2%" and pct(fmt, None) == "—"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_build_prints_the_numbers_and_suggests_from_them(lang: str) -> None:
    f = facts()
    fmt = Formatter(lang, ZoneInfo("Asia/Shanghai"))
    doc = build(f, numbers(f), lang=lang, fmt=fmt)
    assert doc.figures["result"].endswith("3.00") and doc.figures["simple_return"] == "-1.5%"
    assert doc.figures["benchmark_return"] == "-5.0%"
    assert len(doc.context["suggestions"]) >= 2  # idle cash (75 %) and concentration (64 % in one product)
    assert {"value", "contribution"} <= set(doc.charts)
