"""The post-crisis review's pure numbers on tiny hand-checkable inputs."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from fincrm.portfolio import stress
from fincrm.reports.crisis import (
    account_values,
    daily_units,
    drawdown,
    flow_free_index,
    flows_on_days,
    holding_weights,
    largest_fall,
    max_drawdown,
    percentile,
    unit_prices,
)


def test_drawdown_and_max_drawdown() -> None:
    v = np.array([100.0, 80.0, 120.0, 60.0, 90.0])
    assert drawdown(v).tolist() == pytest.approx([0.0, -0.2, 0.0, -0.5, -0.25])
    assert max_drawdown(v) == -0.5 and max_drawdown(np.array([])) == 0.0


def test_largest_fall_is_the_deepest_drawdown_and_its_prior_peak() -> None:
    s = pd.Series([100.0, 80.0, 120.0, 60.0, 130.0], index=pd.date_range("2025-01-01", periods=5))
    peak, trough = largest_fall(s)
    assert (peak.day, trough.day) == (3, 4)
    assert largest_fall(pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2025-01-01", periods=3))) is None


def trades(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(date.fromisoformat(on), kind, code, u) for on, kind, code, u in rows],
        columns=["on", "kind", "product_code", "units"],
    )


def test_daily_units_apply_trades_day_by_day_and_re_anchor_at_each_snapshot() -> None:
    days = pd.to_datetime(["2025-01-02", "2025-01-21", "2025-01-22", "2025-01-31", "2025-02-03"])
    t = trades(
        ("2025-01-21", "redemption", "F", 60.0),  # 100 -> 40
        ("2025-01-22", "purchase", "G", 5.0),
        ("2025-01-25", "maturity", "M", float("nan")),  # a Saturday; no units: M goes to 0
        ("2025-01-25", "dividend", "F", float("nan")),  # changes no units
        ("2025-02-01", "purchase", "F", 10.0),  # after the snapshot: 40 + 10
    )
    snaps = pd.DataFrame({"as_of_on": pd.to_datetime(["2025-01-31", "2025-01-31"]),
                          "product_code": ["F", "G"], "units": [40.0, 5.5]})  # fmt: skip
    units, gaps = daily_units({"F": 100.0, "M": 3.0}, date(2024, 12, 31), t, snaps, days)
    assert units["F"].tolist() == [100.0, 40.0, 40.0, 40.0, 50.0]
    assert units["G"].tolist() == [0.0, 0.0, 5.0, 5.5, 5.5]  # re-anchored to the snapshot's 5.5
    assert units["M"].tolist() == [3.0, 3.0, 3.0, 0.0, 0.0]
    # one row per product at the snapshot: rebuilt - snapshot
    assert gaps.set_index("product_code")["gap"].to_dict() == pytest.approx({"F": 0.0, "G": -0.5})
    assert set(gaps["as_of_on"]) == {date(2025, 1, 31)}


def test_a_snapshot_without_a_product_empties_it() -> None:
    days = pd.to_datetime(["2025-01-30", "2025-02-03"])
    empty = pd.DataFrame({"as_of_on": pd.to_datetime([]), "product_code": [], "units": []})
    units, gaps = daily_units(
        {"F": 10.0}, date(2024, 12, 31), trades(), empty, days, anchors=[date(2025, 1, 31)]
    )
    assert units["F"].tolist() == [10.0, 0.0]
    assert gaps[["product_code", "rebuilt", "snapshot"]].values.tolist() == [["F", 10.0, 0.0]]


def test_account_values_price_units_daily_and_hold_unpriced_products_at_their_last_price() -> None:
    days = pd.to_datetime(["2025-01-30", "2025-01-31", "2025-02-03"])
    nav = pd.DataFrame({"N": [1.0, 2.0]}, index=days[:2])  # 02-03 missing: carried from 01-31
    seen = pd.DataFrame({"on": pd.to_datetime(["2025-01-31"]), "product_code": ["X"], "price": [7.0]})
    prices = unit_prices(["F", "X"], nav, {"F": "N", "X": None}, seen, days)
    assert prices.to_dict("list") == {"F": [1.0, 2.0, 2.0], "X": [7.0, 7.0, 7.0]}
    units = pd.DataFrame({"F": [10.0, 10.0, 4.0], "X": [1.0, 1.0, 1.0]}, index=days)
    assert account_values(units, prices).tolist() == [17.0, 27.0, 15.0]


def test_flows_count_on_the_next_valued_day_and_not_before_the_first() -> None:
    days = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])
    on = pd.Series(pd.to_datetime(["2024-12-31", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"]))
    assert flows_on_days(on, pd.Series([9.0, 8.0, 1.0, 2.0, -5.0]), days).tolist() == [0.0, 1.0, -3.0]


def test_a_redemption_with_flat_prices_is_no_drawdown_of_the_index() -> None:
    days = pd.date_range("2025-01-01", periods=5)
    values = pd.Series([100.0, 100.0, 40.0, 40.0, 40.0], index=days)  # 60 redeemed on day 3, NAV flat
    flows = pd.Series([0.0, 0.0, -60.0, 0.0, 0.0], index=days)
    index = flow_free_index(values, flows)
    assert index.tolist() == pytest.approx([1.0] * 5)
    assert max_drawdown(index.to_numpy()) == 0.0
    assert max_drawdown(values.to_numpy()) == pytest.approx(-0.6)  # what the money line shows


@pytest.mark.parametrize("flow_day, flow", [(None, 0.0), (2, 500.0), (2, -50.0), (3, -90.0), (4, 1000.0)])
def test_a_ten_percent_price_fall_is_minus_ten_percent_whatever_the_flows(flow_day, flow) -> None:
    nav = np.array([1.0, 1.0, 0.95, 0.9, 0.9, 0.9])  # falls 10 % from day 1 to day 3, then flat
    days = pd.date_range("2025-03-03", periods=len(nav))
    units = np.full(len(nav), 100.0)
    flows = np.zeros(len(nav))
    if flow_day is not None:  # units bought (+) or sold (-) at that day's NAV
        units[flow_day:] += flow / nav[flow_day]
        flows[flow_day] = flow
    index = flow_free_index(pd.Series(units * nav, index=days), pd.Series(flows, index=days))
    assert index.iloc[-1] == pytest.approx(0.9)
    assert max_drawdown(index.to_numpy()) == pytest.approx(-0.1)


def test_the_index_stays_flat_after_an_empty_day() -> None:
    days = pd.date_range("2025-01-01", periods=4)
    values = pd.Series([50.0, 0.0, 30.0, 33.0], index=days)  # all redeemed, then 30 bought, +10 %
    index = flow_free_index(values, pd.Series([0.0, -50.0, 30.0, 0.0], index=days))
    assert index.tolist() == pytest.approx([1.0, 1.0, 1.0, 1.1])


def test_holding_weights_and_a_vectorised_replay_match_by_hand() -> None:
    holdings = pd.DataFrame({
        "holder": ["a", "a", "b"], "product_code": ["F", "X", "G"], "units": [10.0, 1.0, 5.0],
        "market_value_amount": [10.0, 50.0, 5.0],
    })  # fmt: skip
    w = holding_weights(holdings, {"N1": 1.0, "N2": 2.0}, {"F": "N1", "G": "N2", "X": None}, ["N1", "N2"])
    assert w.tolist() == [[10.0, 0.0, 50.0], [0.0, 10.0, 0.0]]
    paths = np.array([[1.0, 2.0, 1.0], [0.5, 2.2, 1.0], [0.8, 1.1, 1.0]])
    dd = stress.replay(paths, w)["max_drawdown"]
    # a: 60 -> 55 -> 58: -5/60; b: 10 -> 11 -> 5.5: -0.5
    assert dd.tolist() == pytest.approx([-5 / 60, -0.5])


def test_percentile_counts_smaller_falls_and_half_the_ties() -> None:
    peers = np.array([-0.1, -0.2, -0.3, -0.2])
    assert percentile(-0.2, peers) == pytest.approx((1 + 0.5 * 2) / 4)
    assert percentile(-0.5, peers) == 1.0 and percentile(0.0, peers) == 0.0
