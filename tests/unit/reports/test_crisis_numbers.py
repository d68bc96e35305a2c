"""The post-crisis review's pure numbers on tiny hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fincrm.portfolio import stress
from fincrm.reports.crisis import (
    account_values,
    drawdown,
    holding_weights,
    largest_fall,
    max_drawdown,
    percentile,
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


def test_account_values_switch_units_at_each_snapshot_and_hold_unpriced_products_flat() -> None:
    days = pd.to_datetime(["2025-01-30", "2025-01-31", "2025-02-03", "2025-02-28", "2025-03-03"])
    nav = pd.DataFrame({"N": [1.0, 2.0, 2.5, 3.0, 3.5]}, index=days)
    snaps = pd.DataFrame({
        "as_of_on": pd.to_datetime(["2025-01-31", "2025-01-31", "2025-02-28"]),
        "product_code": ["F", "X", "F"], "units": [10.0, 1.0, 4.0], "market_value_amount": [20.0, 7.0, 12.0],
    })  # fmt: skip
    values = account_values(snaps, nav.drop(index=pd.Timestamp("2025-02-03")), {"F": "N", "X": None}, days)
    # before the first snapshot: unknown; then 10 units x NAV + 7 flat (NAV of 02-03 carried from 01-31)
    assert np.isnan(values.iloc[0])
    assert values.iloc[1:].tolist() == [27.0, 27.0, 12.0, 14.0]


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
