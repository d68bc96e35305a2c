"""Portfolio metrics against empyrical on real history, plus hand-checkable and edge cases.

Real data: the S&P 500 (arch.data.sp500, 1999-01-04..2018-12-31, "Adj Close") and the
PyPortfolioOpt test prices (20 stocks, SPY as benchmark). Agreement with empyrical is checked
to a RELATIVE tolerance of 1e-9 (``RTOL``) with an absolute floor of 1e-12 (``ATOL``) for values
that are exactly 0 in one implementation and rounding noise in the other.
"""

from __future__ import annotations

import json
import math

import arch.data.sp500
import empyrical
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fincrm.errors import InputError
from fincrm.portfolio import metrics
from tests.conftest import SHARED_DATA

RTOL = 1e-9
ATOL = 1e-12
PYPFOPT = SHARED_DATA / "pypfopt-tests"


def close(ours: object, theirs: object) -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float), rtol=RTOL, atol=ATOL
    )


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    return arch.data.sp500.load()["Adj Close"]


@pytest.fixture(scope="module")
def sp500_returns(sp500: pd.Series) -> np.ndarray:
    return metrics.simple_returns(sp500.to_numpy())


@pytest.fixture(scope="module")
def stocks() -> pd.DataFrame:
    """All 20 stocks and SPY on their common dates, 2015-01-02..2018-04-11, no gaps."""
    prices = pd.read_csv(PYPFOPT / "stock_prices.csv", index_col="date", parse_dates=True)
    spy = pd.read_csv(PYPFOPT / "spy_prices.csv", index_col="date", parse_dates=True)
    joined = prices.join(spy, how="inner").loc["2015-01-02":]
    assert not joined.isna().any().any()
    return joined


@pytest.fixture(scope="module")
def stock_returns(stocks: pd.DataFrame) -> np.ndarray:
    return metrics.simple_returns(stocks.drop(columns="SPY").to_numpy())


@pytest.fixture(scope="module")
def spy_returns(stocks: pd.DataFrame) -> np.ndarray:
    return metrics.simple_returns(stocks["SPY"].to_numpy())


class TestSimpleReturns:
    def test_match_empyrical_on_the_sp500(self, sp500: pd.Series, sp500_returns: np.ndarray) -> None:
        close(sp500_returns, empyrical.simple_returns(sp500.to_numpy()))
        assert sp500_returns.shape == (len(sp500) - 1,)

    def test_keep_columns_for_a_matrix(self, stocks: pd.DataFrame, stock_returns: np.ndarray) -> None:
        assert stock_returns.shape == (len(stocks) - 1, 20)

    def test_non_positive_price_is_refused(self) -> None:
        with pytest.raises(InputError, match="row 1, column 0"):
            metrics.simple_returns([1.0, 0.0, 2.0])


class TestAgainstEmpyricalOnTheSp500:
    """Every metric of one real 20-year daily series, 1-D path."""

    def test_cumulative_return(self, sp500_returns: np.ndarray) -> None:
        close(metrics.cumulative_return(sp500_returns), empyrical.cum_returns_final(sp500_returns))

    def test_annual_return(self, sp500_returns: np.ndarray) -> None:
        close(metrics.annual_return(sp500_returns), empyrical.annual_return(sp500_returns))

    def test_annual_volatility(self, sp500_returns: np.ndarray) -> None:
        close(metrics.annual_volatility(sp500_returns), empyrical.annual_volatility(sp500_returns))

    @pytest.mark.parametrize("risk_free", [0.0, 0.0001])
    def test_sharpe_ratio(self, sp500_returns: np.ndarray, risk_free: float) -> None:
        close(
            metrics.sharpe_ratio(sp500_returns, risk_free=risk_free),
            empyrical.sharpe_ratio(sp500_returns, risk_free=risk_free),
        )

    @pytest.mark.parametrize("required_return", [0.0, 0.0002])
    def test_sortino_ratio(self, sp500_returns: np.ndarray, required_return: float) -> None:
        close(
            metrics.sortino_ratio(sp500_returns, required_return=required_return),
            empyrical.sortino_ratio(sp500_returns, required_return=required_return),
        )
        close(
            metrics.downside_risk(sp500_returns, required_return=required_return),
            empyrical.downside_risk(sp500_returns, required_return=required_return),
        )

    def test_calmar_ratio(self, sp500_returns: np.ndarray) -> None:
        close(metrics.calmar_ratio(sp500_returns), empyrical.calmar_ratio(sp500_returns))

    def test_max_drawdown(self, sp500_returns: np.ndarray) -> None:
        close(metrics.max_drawdown(sp500_returns), empyrical.max_drawdown(sp500_returns))

    @pytest.mark.parametrize("level", [0.01, 0.05, 0.1])
    def test_historical_value_at_risk_is_empyricals_as_a_positive_loss(
        self, sp500_returns: np.ndarray, level: float
    ) -> None:
        ours = metrics.value_at_risk(sp500_returns, level=level)
        close(ours, -empyrical.value_at_risk(sp500_returns, cutoff=level))
        assert ours > 0

    @pytest.mark.parametrize("level", [0.01, 0.05, 0.1])
    def test_historical_conditional_value_at_risk(self, sp500_returns: np.ndarray, level: float) -> None:
        ours = metrics.conditional_value_at_risk(sp500_returns, level=level)
        close(ours, -empyrical.conditional_value_at_risk(sp500_returns, cutoff=level))
        assert ours >= metrics.value_at_risk(sp500_returns, level=level)

    def test_a_one_column_matrix_gives_the_same_numbers_as_an_array(self, sp500_returns: np.ndarray) -> None:
        one = metrics.summary(sp500_returns, benchmark=sp500_returns)
        many = metrics.summary(sp500_returns[:, np.newaxis], benchmark=sp500_returns)
        for key, value in one.items():
            assert isinstance(value, float | int), key
            if key != "periods":
                close(many[key], [value])


class TestAgainstEmpyricalPerColumn:
    """The vectorised (T, N) path over 20 real stocks equals empyrical column by column."""

    @pytest.mark.parametrize(
        ("ours", "theirs"),
        [
            (metrics.cumulative_return, empyrical.cum_returns_final),
            (metrics.annual_return, empyrical.annual_return),
            (metrics.annual_volatility, empyrical.annual_volatility),
            (metrics.sharpe_ratio, empyrical.sharpe_ratio),
            (metrics.sortino_ratio, empyrical.sortino_ratio),
            (metrics.downside_risk, empyrical.downside_risk),
            (metrics.calmar_ratio, empyrical.calmar_ratio),
            (metrics.max_drawdown, empyrical.max_drawdown),
            (metrics.value_at_risk, lambda r: -empyrical.value_at_risk(r)),
            (metrics.conditional_value_at_risk, lambda r: -empyrical.conditional_value_at_risk(r)),
        ],
        ids=lambda f: getattr(f, "__name__", "fn"),
    )
    def test_single_series_metric(self, stock_returns: np.ndarray, ours, theirs) -> None:
        vector = ours(stock_returns)
        assert vector.shape == (20,)
        close(vector, [theirs(stock_returns[:, j]) for j in range(20)])

    def test_beta_against_spy(self, stock_returns: np.ndarray, spy_returns: np.ndarray) -> None:
        expected = [empyrical.beta(stock_returns[:, j], spy_returns) for j in range(20)]
        close(metrics.beta(stock_returns, spy_returns), expected)

    def test_alpha_against_spy(self, stock_returns: np.ndarray, spy_returns: np.ndarray) -> None:
        expected = [empyrical.alpha(stock_returns[:, j], spy_returns, risk_free=0.0001) for j in range(20)]
        close(metrics.alpha(stock_returns, spy_returns, risk_free=0.0001), expected)

    def test_tracking_error_is_the_annual_volatility_of_active_returns(
        self, stock_returns: np.ndarray, spy_returns: np.ndarray
    ) -> None:
        expected = [empyrical.annual_volatility(stock_returns[:, j] - spy_returns) for j in range(20)]
        close(metrics.tracking_error(stock_returns, spy_returns), expected)

    def test_one_benchmark_per_column(self, stock_returns: np.ndarray, spy_returns: np.ndarray) -> None:
        lagged = np.column_stack([spy_returns, np.roll(spy_returns, 1)])
        pair = stock_returns[:, :2]
        expected = [empyrical.beta(pair[:, j], lagged[:, j]) for j in range(2)]
        close(metrics.beta(pair, lagged), expected)

    def test_beta_of_the_sp500_against_itself_is_one(self, sp500_returns: np.ndarray) -> None:
        assert metrics.beta(sp500_returns, sp500_returns) == pytest.approx(1.0, rel=RTOL)
        assert metrics.tracking_error(sp500_returns, sp500_returns) == 0.0

    def test_mismatched_benchmark_is_refused(
        self, stock_returns: np.ndarray, spy_returns: np.ndarray
    ) -> None:
        with pytest.raises(InputError, match="benchmark has shape"):
            metrics.beta(stock_returns, spy_returns[:-1])


class TestParametricValueAtRisk:
    def test_value_at_risk_is_the_normal_quantile_with_sample_moments(
        self, sp500_returns: np.ndarray
    ) -> None:
        mean, std = sp500_returns.mean(), sp500_returns.std(ddof=1)
        expected = -stats.norm.ppf(0.05, loc=mean, scale=std)
        close(metrics.value_at_risk(sp500_returns, method="parametric"), expected)

    def test_conditional_value_at_risk_is_the_normal_tail_mean(self, sp500_returns: np.ndarray) -> None:
        mean, std = sp500_returns.mean(), sp500_returns.std(ddof=1)
        cut = stats.norm.ppf(0.01, loc=mean, scale=std)
        tail_mean = stats.norm(loc=mean, scale=std).expect(lambda x: x, ub=cut, conditional=True)
        ours = metrics.conditional_value_at_risk(sp500_returns, level=0.01, method="parametric")
        assert ours == pytest.approx(-tail_mean, rel=1e-7)  # numerical integration, not a formula
        assert ours > metrics.value_at_risk(sp500_returns, level=0.01, method="parametric")

    def test_vectorised_over_columns(self, stock_returns: np.ndarray) -> None:
        expected = -stats.norm.ppf(
            0.05, loc=stock_returns.mean(axis=0), scale=stock_returns.std(axis=0, ddof=1)
        )
        close(metrics.value_at_risk(stock_returns, method="parametric"), expected)

    def test_unknown_method_lists_the_choices(self, sp500_returns: np.ndarray) -> None:
        with pytest.raises(InputError, match="historical, parametric"):
            metrics.value_at_risk(sp500_returns, method="montecarlo")  # type: ignore[arg-type]

    @pytest.mark.parametrize("level", [0.0, 1.0, 5.0])
    def test_level_outside_zero_and_one_is_refused(self, sp500_returns: np.ndarray, level: float) -> None:
        with pytest.raises(InputError, match="level"):
            metrics.conditional_value_at_risk(sp500_returns, level=level)


class TestDrawdownPeriods:
    def test_global_financial_crisis_on_the_sp500(self, sp500: pd.Series) -> None:
        found = metrics.drawdown_periods(sp500)
        assert -0.575 < found["depth"] < -0.560
        assert found["peak_on"] == pd.Timestamp("2007-10-09").date()
        assert found["trough_on"] == pd.Timestamp("2009-03-09").date()
        assert found["recovery_on"] == pd.Timestamp("2013-03-28").date()
        assert found["recovery_on"].year == 2013
        assert found["days_to_trough"] == 517 and found["days_to_recover"] == 1480

    def test_depth_is_the_max_drawdown_of_the_returns(
        self, sp500: pd.Series, sp500_returns: np.ndarray
    ) -> None:
        close(metrics.drawdown_periods(sp500)["depth"], metrics.max_drawdown(sp500_returns))

    def test_unrecovered_drawdown_has_no_recovery_date(self, sp500: pd.Series) -> None:
        found = metrics.drawdown_periods(sp500.loc["2007-01-01":"2010-12-31"])
        assert found["trough_on"] == pd.Timestamp("2009-03-09").date()
        assert found["recovery_on"] is None and found["days_to_recover"] is None

    def test_series_that_only_rises_has_no_drawdown(self) -> None:
        rising = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2020-01-01", periods=3))
        found = metrics.drawdown_periods(rising)
        assert found["depth"] == 0.0 and found["peak_on"] == found["trough_on"] == found["recovery_on"]


class TestDrawdownDates:
    def test_equals_drawdown_periods_column_by_column(self, stocks: pd.DataFrame) -> None:
        found = metrics.drawdown_dates(stocks.to_numpy(), stocks.index)
        for j, code in enumerate(stocks.columns):
            one = metrics.drawdown_periods(stocks[code])
            assert found["peak_on"][j].astype(object) == one["peak_on"], code
            assert found["trough_on"][j].astype(object) == one["trough_on"], code
            recovery = found["recovery_on"][j]
            assert (None if np.isnat(recovery) else recovery.astype(object)) == one["recovery_on"], code
            assert found["depth"][j] == one["depth"], code

    def test_depths_equal_empyrical_max_drawdowns(
        self, stocks: pd.DataFrame, stock_returns: np.ndarray
    ) -> None:
        found = metrics.drawdown_dates(stocks.drop(columns="SPY").to_numpy(), stocks.index)
        close(found["depth"], [empyrical.max_drawdown(stock_returns[:, j]) for j in range(20)])

    def test_dates_must_match_rows(self, stocks: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="dates for"):
            metrics.drawdown_dates(stocks.to_numpy(), stocks.index[:-1])


class TestHandCheckedValues:
    """Tiny inputs whose results can be worked out on paper."""

    def test_two_period_figures(self) -> None:
        returns = [0.10, -0.05]
        assert metrics.cumulative_return(returns) == pytest.approx(0.045)
        assert metrics.annual_return(returns, periods_per_year=2) == pytest.approx(0.045)
        assert metrics.annual_volatility(returns, periods_per_year=1) == pytest.approx(math.sqrt(0.01125))
        assert metrics.sharpe_ratio(returns, periods_per_year=1) == pytest.approx(0.025 / math.sqrt(0.01125))
        assert metrics.max_drawdown(returns) == pytest.approx(-0.05)

    def test_var_of_five_returns(self) -> None:
        returns = [-0.04, -0.02, 0.0, 0.02, 0.04]
        assert metrics.value_at_risk(returns, level=0.1) == pytest.approx(0.032)  # linear interpolation
        assert metrics.conditional_value_at_risk(returns, level=0.1) == pytest.approx(0.04)


class TestDegenerateInputs:
    def test_constant_positive_returns_have_infinite_ratios_and_no_calmar(self) -> None:
        returns = np.full(10, 0.001)
        assert metrics.annual_volatility(returns) == 0.0
        assert metrics.sharpe_ratio(returns) == math.inf
        assert metrics.sortino_ratio(returns) == math.inf
        assert math.isnan(metrics.calmar_ratio(returns))
        assert metrics.sharpe_ratio(returns) == empyrical.sharpe_ratio(returns)

    def test_constant_zero_returns_have_undefined_ratios(self) -> None:
        returns = np.zeros(10)
        assert math.isnan(metrics.sharpe_ratio(returns))
        assert math.isnan(metrics.sortino_ratio(returns))

    def test_constant_negative_returns_have_minus_infinite_sharpe(self) -> None:
        assert metrics.sharpe_ratio(np.full(5, -0.01)) == -math.inf

    @pytest.mark.parametrize(
        "function",
        [metrics.annual_volatility, metrics.sharpe_ratio, metrics.sortino_ratio, metrics.value_at_risk],
    )
    def test_one_period_is_too_few(self, function) -> None:
        with pytest.raises(InputError, match="at least 2"):
            function([0.01])

    def test_no_period_is_too_few_for_a_return(self) -> None:
        with pytest.raises(InputError, match="at least 1"):
            metrics.cumulative_return([])

    def test_missing_value_is_refused_with_its_place(self) -> None:
        returns = np.zeros((5, 3))
        returns[2, 1] = np.nan
        with pytest.raises(InputError, match="row 2, column 1") as caught:
            metrics.sharpe_ratio(returns)
        assert caught.value.errors[0].loc == ("returns", 2, 1)

    def test_three_dimensions_are_refused(self) -> None:
        with pytest.raises(InputError, match="3 dimensions"):
            metrics.max_drawdown(np.zeros((2, 2, 2)))

    def test_non_positive_periods_per_year_is_refused(self) -> None:
        with pytest.raises(InputError, match="periods_per_year"):
            metrics.annual_return([0.01, 0.02], periods_per_year=0)


class TestSummary:
    def test_every_key_for_a_matrix_with_benchmark(
        self, stock_returns: np.ndarray, spy_returns: np.ndarray
    ) -> None:
        result = metrics.summary(stock_returns, benchmark=spy_returns)
        assert {"beta", "alpha", "tracking_error", "sharpe_ratio", "value_at_risk_parametric"} <= set(result)
        close(result["sharpe_ratio"], metrics.sharpe_ratio(stock_returns))
        close(result["tracking_error"], metrics.tracking_error(stock_returns, spy_returns))

    def test_risk_free_moves_sharpe_and_sortino(self, sp500_returns: np.ndarray) -> None:
        result = metrics.summary(sp500_returns, risk_free=0.0001)
        close(result["sharpe_ratio"], empyrical.sharpe_ratio(sp500_returns, risk_free=0.0001))
        close(result["sortino_ratio"], empyrical.sortino_ratio(sp500_returns, required_return=0.0001))


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, object]]:
    prices = pd.read_csv(PYPFOPT / "stock_prices.csv", index_col="date", parse_dates=True)
    return metrics.all_metrics(prices.loc["2010-01-04":], benchmark="AAPL")


class TestAllMetrics:
    def test_is_json_ready(self, report: dict[str, dict[str, object]]) -> None:
        text = json.dumps(report, allow_nan=False)
        assert json.loads(text) == report
        assert list(report)[:3] == ["GOOG", "AAPL", "FB"]

    def test_late_starting_series_is_measured_over_its_own_range(
        self, report: dict[str, dict[str, object]]
    ) -> None:
        prices = pd.read_csv(PYPFOPT / "stock_prices.csv", index_col="date", parse_dates=True)
        fb = prices["FB"].dropna()
        aapl = prices.loc[fb.index, "AAPL"]
        returns = metrics.simple_returns(fb.to_numpy())
        row = report["FB"]
        assert row["first_on"] == "2012-05-18" and row["last_on"] == "2018-04-11"
        assert row["observations"] == len(fb)
        close(row["sharpe_ratio"], empyrical.sharpe_ratio(returns))
        close(row["beta"], empyrical.beta(returns, metrics.simple_returns(aapl.to_numpy())))
        dd = metrics.drawdown_periods(fb)
        assert row["trough_on"] == dd["trough_on"].isoformat()
        assert row["max_drawdown"] == pytest.approx(dd["depth"], rel=RTOL)

    def test_sp500_report_names_the_crisis(self, sp500: pd.Series) -> None:
        row = metrics.all_metrics(sp500.to_frame("SPX"))["SPX"]
        assert (row["peak_on"], row["trough_on"], row["recovery_on"]) == (
            "2007-10-09",
            "2009-03-09",
            "2013-03-28",
        )
        assert row["observations"] == 5031 and "beta" not in row

    def test_gap_inside_a_series_is_named(self) -> None:
        prices = pd.DataFrame(
            {"A": [1.0, 1.1, 1.2, 1.3], "B": [2.0, np.nan, 2.1, 2.2]},
            index=pd.date_range("2020-01-01", periods=4),
        )
        with pytest.raises(InputError, match="B: price missing") as caught:
            metrics.all_metrics(prices)
        assert caught.value.errors[0].loc == ("B", "2020-01-02")

    def test_unknown_benchmark_lists_the_series(self) -> None:
        prices = pd.DataFrame({"A": [1.0, 1.1]}, index=pd.date_range("2020-01-01", periods=2))
        with pytest.raises(InputError, match="choose one of A"):
            metrics.all_metrics(prices, benchmark="SPY")
