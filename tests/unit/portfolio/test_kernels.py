"""The compiled replay kernel against the numpy replay it replaced and against empyrical."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincrm.errors import InputError
from fincrm.portfolio.kernels import replay_kernel
from fincrm.portfolio.scenarios import ASSET_CLASSES, SCENARIOS
from fincrm.portfolio.stress import _replay_numpy, replay, scenario_paths


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    """Real S&P 500 daily levels 1999-01-04..2018-12-31 (arch's data set), column ``spx``."""
    import arch.data.sp500 as sp500

    return sp500.load()[["Adj Close"]].rename(columns={"Adj Close": "spx"})


def _random_book(seed: int, days: int, series: int, portfolios: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    paths = 100 * np.cumprod(1 + rng.normal(0, 0.02, size=(days, series)), axis=0)
    return paths, rng.dirichlet(np.ones(series), size=portfolios)


def _assert_same(kernel: dict[str, np.ndarray], oracle: dict[str, np.ndarray]) -> None:
    np.testing.assert_allclose(kernel["total_return"], oracle["total_return"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(kernel["max_drawdown"], oracle["max_drawdown"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(kernel["trough_index"], oracle["trough_index"])


class TestReplayKernel:
    @pytest.mark.parametrize(
        ("days", "series", "portfolios", "chunk_size"),
        [
            (300, 6, 1000, None),  # the stress book's shape
            (250, 6, 1, None),  # one portfolio
            (1, 6, 50, None),  # one day: nothing moves
            (2, 6, 50, None),  # two days
            (120, 1, 300, 7),  # a single series, uneven blocks
            (120, 4, 300, 1),  # exactly one group of four series, blocks of one
            (120, 5, 513, 256),  # a partial group, a partial last block
            (120, 9, 300, 1000),  # three groups, one block larger than the book
        ],
    )
    def test_equals_the_numpy_replay(
        self, days: int, series: int, portfolios: int, chunk_size: int | None
    ) -> None:
        paths, weights = _random_book(days * series + portfolios, days, series, portfolios)
        _assert_same(replay(paths, weights, chunk_size=chunk_size), _replay_numpy(paths, weights))

    def test_long_short_weights_equal_the_numpy_replay(self) -> None:
        paths, _ = _random_book(11, 200, 6, 1)
        weights = np.random.default_rng(12).normal(0, 1, size=(400, 6))
        weights[:, 0] += 1 - weights.sum(axis=1)  # net long: initial value 1
        _assert_same(replay(paths, weights), _replay_numpy(paths, weights))

    def test_a_portfolio_that_never_falls_has_no_drawdown_and_trough_zero(self) -> None:
        rising = np.array([[1.0, 2.0], [1.0, 2.0], [1.5, 2.0], [2.0, 2.5]])  # flat, then up
        r = replay(rising, np.array([[0.3, 0.7], [1.0, 0.0]]))
        np.testing.assert_array_equal(r["max_drawdown"], [0.0, 0.0])
        np.testing.assert_array_equal(r["trough_index"], [0, 0])
        _assert_same(r, _replay_numpy(rising, np.array([[0.3, 0.7], [1.0, 0.0]])))

    def test_ties_for_the_minimum_report_the_first_day(self) -> None:
        # both portfolios touch half their running peak twice: on day 1 and again on day 4
        paths = np.array([[1.0, 1.0], [0.5, 0.5], [1.0, 1.0], [2.0, 2.0], [1.0, 1.0], [2.0, 2.0]])
        weights = np.array([[0.5, 0.5], [0.25, 0.75]])
        r = replay(paths, weights)
        np.testing.assert_array_equal(r["max_drawdown"], [-0.5, -0.5])
        np.testing.assert_array_equal(r["trough_index"], [1, 1])
        np.testing.assert_array_equal(r["total_return"], [1.0, 1.0])
        _assert_same(r, _replay_numpy(paths, weights))

    def test_block_size_changes_no_figure(self) -> None:
        paths, weights = _random_book(5, 80, 6, 777)
        a = replay(paths, weights, chunk_size=1)
        for size in (3, 256, 10_000):
            b = replay(paths, weights, chunk_size=size)
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])

    def test_a_block_size_below_one_is_rejected(self) -> None:
        paths, weights = _random_book(5, 10, 2, 3)
        with pytest.raises(InputError, match="chunk_size"):
            replay(paths, weights, chunk_size=-1)

    def test_kernel_writes_into_the_given_arrays(self) -> None:
        rel = np.array([[1.0], [0.8], [1.2]])
        total, drawdown, trough = np.full(1, np.nan), np.full(1, np.nan), np.full(1, -1, dtype=np.int64)
        replay_kernel(rel, np.array([[1.0]]), 1, total, drawdown, trough)
        assert total[0] == pytest.approx(0.2, abs=1e-15)
        assert drawdown[0] == pytest.approx(-0.2, abs=1e-15)
        assert trough[0] == 1

    @settings(max_examples=40, deadline=None)
    @given(
        days=st.integers(1, 40),
        series=st.integers(1, 7),
        portfolios=st.integers(1, 40),
        chunk_size=st.integers(1, 50),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_any_shape_equals_the_numpy_replay(
        self, days: int, series: int, portfolios: int, chunk_size: int, seed: int
    ) -> None:
        paths, weights = _random_book(seed, days, series, portfolios)
        r = replay(paths, weights, chunk_size=chunk_size)
        _assert_same(r, _replay_numpy(paths, weights))
        assert (r["max_drawdown"] <= 0).all()


class TestKernelOnRealPrices:
    def test_drawdowns_equal_empyrical_in_every_scenario(self, spx: pd.DataFrame) -> None:
        import empyrical

        weights = np.random.default_rng(0).dirichlet(np.ones(len(ASSET_CLASSES)), size=25)
        mapping = {c: ("spx" if c == "equity" else None) for c in ASSET_CLASSES}
        for scenario in SCENARIOS.values():
            paths, _, _ = scenario_paths(spx, scenario, mapping)
            r = replay(paths, weights)
            _assert_same(r, _replay_numpy(paths, weights))
            for i, w in enumerate(weights):
                value = (paths / paths[0]) @ w
                expected = empyrical.max_drawdown(value[1:] / value[:-1] - 1.0)
                assert r["max_drawdown"][i] == pytest.approx(expected, abs=1e-12), scenario.key

    def test_sp500_alone_through_the_gfc_equals_empyrical(self, spx: pd.DataFrame) -> None:
        import empyrical

        paths, _, _ = scenario_paths(spx, SCENARIOS["gfc"], {"equity": "spx"})
        r = replay(paths, np.array([1.0]))
        daily = paths[1:, 0] / paths[:-1, 0] - 1.0
        assert r["max_drawdown"] == pytest.approx(empyrical.max_drawdown(daily), abs=1e-12)
        assert r["trough_index"] == int(np.argmin(paths[:, 0] / np.maximum.accumulate(paths[:, 0])))
