"""Risk and performance metrics of return series, vectorised over many portfolios.

This module owns the numbers the portfolio lab reports for a price or return history:
returns, volatility, Sharpe, Sortino and Calmar ratios, drawdowns, value at risk and the
benchmark-relative beta, alpha and tracking error.

Conventions
-----------
- Returns are simple (``p[t] / p[t-1] - 1``) and are fractions, not percents: ``0.01`` is 1 %.
- Annualised figures use ``periods_per_year`` periods a year, 252 for daily data
  (12 for monthly, 52 for weekly). Annual return is geometric (CAGR), as in empyrical.
- Standard deviations are sample standard deviations (``ddof=1``); annualised volatility is
  the per-period standard deviation times ``sqrt(periods_per_year)``.
- ``risk_free`` and ``required_return`` are per-period rates (a daily rate for daily data),
  as in empyrical.
- Drawdowns are negative fractions (``-0.25`` is a 25 % fall from the running peak), measured
  from a starting wealth of 1 before the first return, as in empyrical.
- Value at risk (VaR) and conditional value at risk (CVaR, expected shortfall) are reported as
  POSITIVE losses: a 5 % daily VaR of ``0.02`` means a 2 % one-day loss.
- Shapes: every function takes a 1-D array of ``T`` periods (one series, returns a float) or a
  2-D array of shape ``(T, N)`` (``T`` periods, ``N`` portfolios or series, one per column) and
  then returns an array of ``N`` values. Columns are computed together by numpy; there is no
  Python loop over columns.
- Missing values: inputs must be NaN-free and finite. A NaN or infinity raises
  :class:`fincrm.errors.InputError` naming the first offending row and column; series that
  start on different dates are handled by :func:`all_metrics`, which computes each group of
  columns over its own range.
- Degenerate inputs: a ratio whose denominator is exactly zero (a constant return series for
  Sharpe, no return below the required return for Sortino) is ``+inf`` or ``-inf`` with the
  sign of its numerator, and ``nan`` when the numerator is zero too, as in empyrical. Calmar
  is ``nan`` when there is no drawdown, as in empyrical. Too few periods for a statistic
  (fewer than 2 returns where a standard deviation is needed, none at all elsewhere) raise
  :class:`fincrm.errors.InputError`.

Why not just call empyrical
---------------------------
The results agree with empyrical (empyrical-reloaded) to 1e-9 and the tests check that on
real S&P 500 history. empyrical works series by series, with pandas alignment and some Python
per call; stress tests over a book of a million clients evaluate the same metrics for a
``(T, N)`` matrix of simulated portfolio returns at once, so the 2-D path here is plain numpy
over axis 0, and the only dependency is numpy (plus pandas for the dated helpers).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from fincrm.errors import FieldError, InputError

TRADING_DAYS_PER_YEAR = 252  # periods a year for daily data
VAR_METHODS = ("historical", "parametric")

Method = Literal["historical", "parametric"]
FloatOrArray = float | np.ndarray


# --------------------------------------------------------------------------- validation


def _as_matrix(values: Any, *, name: str, min_rows: int) -> tuple[np.ndarray, bool]:
    """Return ``values`` as a float (T, N) matrix and whether the input was 1-D."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise InputError(
            f"{name} must be a 1-D array (one series) or a 2-D array (periods x series); "
            f"got {array.ndim} dimensions",
            errors=[FieldError(loc=(name,), msg="wrong number of dimensions", input=array.ndim)],
        )
    one_d = array.ndim == 1
    matrix = array[:, np.newaxis] if one_d else array
    if matrix.shape[0] < min_rows:
        raise InputError(
            f"{name} has {matrix.shape[0]} periods; at least {min_rows} are needed. "
            "Use a longer history or a wider window.",
            errors=[
                FieldError(
                    loc=(name,),
                    msg=f"needs at least {min_rows} periods",
                    input=int(matrix.shape[0]),
                )
            ],
        )
    finite = np.isfinite(matrix)
    if not finite.all():
        rows, cols = np.nonzero(~finite)
        row, col = int(rows[0]), int(cols[0])
        raise InputError(
            f"{name} contains {rows.size} missing or infinite values, the first at row {row}, "
            f"column {col}; drop or fill them before computing metrics.",
            errors=[
                FieldError(
                    loc=(name, row, col),
                    msg="value must be a finite number",
                    input=float(matrix[row, col]),
                )
            ],
        )
    return matrix, one_d


def _out(values: np.ndarray, one_d: bool) -> FloatOrArray:
    """Return a float for a 1-D input, the per-column array otherwise."""
    return float(values[0]) if one_d else values


def _check_periods_per_year(periods_per_year: float) -> None:
    if not periods_per_year > 0:
        raise InputError(
            f"periods_per_year must be positive (252 for daily data); got {periods_per_year!r}",
            errors=[FieldError(loc=("periods_per_year",), msg="must be positive", input=periods_per_year)],
        )


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise InputError(
            f"level must be a probability between 0 and 1 (0.05 for a 95 % VaR); got {level!r}",
            errors=[FieldError(loc=("level",), msg="must be between 0 and 1", input=level)],
        )


def _check_method(method: str) -> None:
    if method not in VAR_METHODS:
        raise InputError(
            f"unknown VaR method {method!r}; choose one of {', '.join(VAR_METHODS)}",
            errors=[FieldError(loc=("method",), msg=f"must be one of {VAR_METHODS}", input=method)],
        )


def _benchmark_matrix(benchmark: Any, shape: tuple[int, int]) -> np.ndarray:
    """Return the benchmark as a matrix broadcastable against returns of ``shape``."""
    bench, _ = _as_matrix(benchmark, name="benchmark", min_rows=2)
    if bench.shape[0] != shape[0] or bench.shape[1] not in (1, shape[1]):
        raise InputError(
            f"benchmark has shape {bench.shape} but returns have shape {shape}; give one "
            "benchmark series of the same length, or one column per returns column.",
            errors=[FieldError(loc=("benchmark",), msg="shape mismatch", input=list(bench.shape))],
        )
    return bench


def _std(matrix: np.ndarray) -> np.ndarray:
    """Sample standard deviation per column, exactly 0 for a constant column.

    The mean of identical floats can differ from them in the last bit, leaving a residue of
    about 1e-18 instead of 0; empyrical zeroes it the same way.
    """
    std = matrix.std(axis=0, ddof=1)
    constant = matrix.max(axis=0) == matrix.min(axis=0)
    return np.where(constant, 0.0, std)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(numerator, denominator)


def _wealth(matrix: np.ndarray) -> np.ndarray:
    """Wealth paths starting at 1 before the first return: shape (T + 1, N)."""
    wealth = np.empty((matrix.shape[0] + 1, matrix.shape[1]))
    wealth[0] = 1.0
    np.add(matrix, 1.0, out=wealth[1:])
    np.cumprod(wealth[1:], axis=0, out=wealth[1:])
    return wealth


# --------------------------------------------------------------------------- returns


def simple_returns(prices: Any) -> FloatOrArray:
    """Simple period returns of a price history.

    Parameters
    ----------
    prices
        Positive prices, 1-D (one series) or 2-D (periods x series), oldest first, in any
        currency unit; at least 2 rows.

    Returns
    -------
    numpy.ndarray
        Returns as fractions, ``p[t] / p[t-1] - 1``, with one row fewer than ``prices``.

    Raises
    ------
    InputError
        If fewer than 2 prices, a missing value, or a price that is not positive.

    Examples
    --------
    >>> simple_returns([100.0, 110.0, 99.0]).round(6).tolist()
    [0.1, -0.1]
    """
    matrix, one_d = _as_matrix(prices, name="prices", min_rows=2)
    if (matrix <= 0).any():
        rows, cols = np.nonzero(matrix <= 0)
        row, col = int(rows[0]), int(cols[0])
        raise InputError(
            f"prices must be positive; row {row}, column {col} is {matrix[row, col]!r}",
            errors=[
                FieldError(loc=("prices", row, col), msg="must be positive", input=float(matrix[row, col]))
            ],
        )
    returns = matrix[1:] / matrix[:-1] - 1.0
    return returns[:, 0] if one_d else returns


def cumulative_return(returns: Any) -> FloatOrArray:
    """Total compounded return over the whole history.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 1 period.

    Returns
    -------
    float or numpy.ndarray
        ``prod(1 + r) - 1`` as a fraction, per column for 2-D input.

    Examples
    --------
    >>> round(cumulative_return([0.1, -0.1]), 6)
    -0.01
    """
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=1)
    return _out(np.prod(1.0 + matrix, axis=0) - 1.0, one_d)


def annual_return(returns: Any, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> FloatOrArray:
    """Compound annual growth rate (CAGR), as empyrical's ``annual_return``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 1 period.
    periods_per_year
        Periods a year: 252 for daily, 52 weekly, 12 monthly data.

    Returns
    -------
    float or numpy.ndarray
        ``(prod(1 + r)) ** (periods_per_year / T) - 1`` as a fraction a year.

    Examples
    --------
    >>> round(annual_return([0.01] * 12, periods_per_year=12), 6)
    0.126825
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=1)
    years = matrix.shape[0] / periods_per_year
    return _out(np.prod(1.0 + matrix, axis=0) ** (1.0 / years) - 1.0, one_d)


def annual_volatility(returns: Any, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> FloatOrArray:
    """Annualised volatility: sample standard deviation times ``sqrt(periods_per_year)``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        Volatility as a fraction a year (``0.2`` is 20 % a year).

    Examples
    --------
    >>> round(annual_volatility([0.01, -0.01], periods_per_year=252), 6)
    0.224499
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    return _out(_std(matrix) * math.sqrt(periods_per_year), one_d)


# --------------------------------------------------------------------------- ratios


def sharpe_ratio(
    returns: Any, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> FloatOrArray:
    """Annualised Sharpe ratio of excess returns, as empyrical's ``sharpe_ratio``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    risk_free
        Risk-free return per period (a daily rate for daily data), as a fraction.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)``, unitless. A constant
        series gives ``+-inf`` (sign of the mean excess return), or ``nan`` if that is 0.

    Examples
    --------
    >>> round(sharpe_ratio([0.02, 0.0], periods_per_year=1), 6)
    0.707107
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    # The standard deviation of r - rf is that of r: no (T, N) copy for a constant rate.
    ratio = _ratio(matrix.mean(axis=0) - risk_free, _std(matrix)) * math.sqrt(periods_per_year)
    return _out(ratio, one_d)


def downside_risk(
    returns: Any, required_return: float = 0.0, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> FloatOrArray:
    """Annualised downside deviation below ``required_return``, as empyrical's ``downside_risk``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 1 period.
    required_return
        Minimum acceptable return per period, as a fraction.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``sqrt(mean(min(r - required, 0) ** 2)) * sqrt(periods_per_year)``: the mean is over
        ALL periods (not only the losing ones), a fraction a year.
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=1)
    shortfall = np.minimum(matrix - required_return, 0.0)
    risk = np.sqrt(np.mean(shortfall * shortfall, axis=0)) * math.sqrt(periods_per_year)
    return _out(risk, one_d)


def sortino_ratio(
    returns: Any, required_return: float = 0.0, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> FloatOrArray:
    """Annualised Sortino ratio, as empyrical's ``sortino_ratio``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    required_return
        Minimum acceptable return per period, as a fraction.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``mean(r - required) * periods_per_year / downside_risk(...)``, unitless; ``+-inf``
        when no period falls below ``required_return``, ``nan`` if the mean is 0 too.

    Examples
    --------
    >>> round(sortino_ratio([0.02, -0.01], periods_per_year=1), 6)
    0.707107
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    adjusted = matrix - required_return
    shortfall = np.minimum(adjusted, 0.0)
    risk = np.sqrt(np.mean(shortfall * shortfall, axis=0)) * math.sqrt(periods_per_year)
    return _out(_ratio(adjusted.mean(axis=0) * periods_per_year, risk), one_d)


def calmar_ratio(returns: Any, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> FloatOrArray:
    """Calmar ratio: annual return over the size of the maximum drawdown, as empyrical.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 1 period.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``annual_return / abs(max_drawdown)``, unitless; ``nan`` when there is no drawdown
        (or the ratio is infinite), as in empyrical.

    Examples
    --------
    >>> round(calmar_ratio([0.1, -0.5, 0.2], periods_per_year=3), 6)
    -0.68
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=1)
    drawdown = _max_drawdown(matrix)
    growth = annual_return(matrix, periods_per_year)
    ratio = _ratio(growth, np.abs(drawdown))
    ratio = np.where((drawdown < 0) & np.isfinite(ratio), ratio, np.nan)
    return _out(ratio, one_d)


# --------------------------------------------------------------------------- drawdowns


def _drawdowns(wealth: np.ndarray) -> np.ndarray:
    """Drawdown from the running peak for each row of positive wealth paths (T, N)."""
    drawdown = np.maximum.accumulate(wealth, axis=0)
    np.divide(wealth, drawdown, out=drawdown)
    drawdown -= 1.0
    return drawdown


def _max_drawdown(matrix: np.ndarray) -> np.ndarray:
    return _drawdowns(_wealth(matrix)).min(axis=0)


def max_drawdown(returns: Any) -> FloatOrArray:
    """Largest peak-to-trough fall of the compounded wealth path, as empyrical's ``max_drawdown``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 1 period.

    Returns
    -------
    float or numpy.ndarray
        A negative fraction (``-0.568`` is a 56.8 % fall), ``0.0`` if wealth never falls. The
        starting wealth before the first return counts as a peak.

    Examples
    --------
    >>> round(max_drawdown([0.1, -0.5, 0.2]), 6)
    -0.5
    """
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=1)
    return _out(_max_drawdown(matrix), one_d)


def drawdown_dates(values: Any, dates: Sequence[Any] | pd.Index | np.ndarray) -> dict[str, np.ndarray]:
    """Dates and depth of the maximum drawdown of each column of a value (price or wealth) matrix.

    Vectorised with argmin/argmax over axis 0, no loop over columns.

    Parameters
    ----------
    values
        Positive values (prices, net asset values, wealth), 1-D or (T, N), oldest first, in any
        currency unit; at least 2 rows.
    dates
        ``T`` dates (``datetime.date``, ISO strings, ``numpy.datetime64`` or a pandas index),
        one per row, increasing.

    Returns
    -------
    dict[str, numpy.ndarray]
        One array of ``N`` entries per key:

        - ``peak_on`` (``datetime64[D]``): the last date at the running peak before the trough;
        - ``trough_on`` (``datetime64[D]``): the date of the lowest drawdown (the first if tied);
        - ``recovery_on`` (``datetime64[D]``): the first date after the trough with the value
          back at or above the peak, ``NaT`` if not recovered by the last date;
        - ``depth`` (float): the drawdown at the trough, a negative fraction;
        - ``days_to_trough`` (int): calendar days from peak to trough;
        - ``days_to_recover`` (float): calendar days from trough to recovery, ``nan`` if not
          recovered.

        A column that never falls below its running peak has depth ``0.0`` and peak, trough
        and recovery all on the first date.

    Raises
    ------
    InputError
        If values are missing, not positive, or the dates do not match the rows.
    """
    matrix, _ = _as_matrix(values, name="values", min_rows=2)
    if (matrix <= 0).any():
        rows, cols = np.nonzero(matrix <= 0)
        row, col = int(rows[0]), int(cols[0])
        raise InputError(
            f"values must be positive; row {row}, column {col} is {matrix[row, col]!r}",
            errors=[
                FieldError(loc=("values", row, col), msg="must be positive", input=float(matrix[row, col]))
            ],
        )
    days = np.asarray(pd.DatetimeIndex(pd.to_datetime(dates)).values.astype("datetime64[D]"))
    if days.shape[0] != matrix.shape[0]:
        raise InputError(
            f"got {days.shape[0]} dates for {matrix.shape[0]} rows of values; give one date per row",
            errors=[FieldError(loc=("dates",), msg="one date per row", input=int(days.shape[0]))],
        )
    if (np.diff(days) <= np.timedelta64(0, "D")).any():
        raise InputError(
            "dates must be strictly increasing, oldest first",
            errors=[FieldError(loc=("dates",), msg="must be strictly increasing")],
        )
    t, n = matrix.shape
    drawdown = _drawdowns(matrix)
    at_peak = drawdown >= 0.0
    rows = np.arange(t)[:, np.newaxis]
    trough = drawdown.argmin(axis=0)
    # Last row at the peak on or before the trough: argmax on the reversed mask finds it.
    before = at_peak & (rows <= trough)
    peak = t - 1 - before[::-1].argmax(axis=0)
    # First row at or above the peak after the trough.
    after = at_peak & (rows > trough)
    recovered = after.any(axis=0)
    recovery = after.argmax(axis=0)
    depth = drawdown[trough, np.arange(n)]
    flat = depth >= 0.0
    peak = np.where(flat, 0, peak)
    trough = np.where(flat, 0, trough)
    recovered = recovered | flat
    recovery = np.where(flat, 0, recovery)

    recovery_on = np.where(recovered, days[recovery], np.datetime64("NaT", "D"))
    to_recover = (recovery_on - days[trough]).astype("timedelta64[D]").astype(np.float64)
    to_recover = np.where(recovered, to_recover, np.nan)
    return {
        "peak_on": days[peak],
        "trough_on": days[trough],
        "recovery_on": recovery_on,
        "depth": depth,
        "days_to_trough": (days[trough] - days[peak]).astype(np.int64),
        "days_to_recover": to_recover,
    }


def drawdown_periods(prices_or_values: pd.Series) -> dict[str, Any]:
    """Dates and depth of the maximum drawdown of one dated price or value series.

    Parameters
    ----------
    prices_or_values
        Positive prices or values indexed by date, oldest first, NaN-free, at least 2 rows.

    Returns
    -------
    dict
        ``peak_on``, ``trough_on`` and ``recovery_on`` (``datetime.date``, ``recovery_on`` is
        ``None`` if the value never got back to the peak), ``depth`` (negative fraction),
        ``days_to_trough`` (calendar days from peak to trough) and ``days_to_recover``
        (calendar days from trough to recovery, ``None`` if not recovered). See
        :func:`drawdown_dates` for the tie rules.

    Examples
    --------
    >>> s = pd.Series([100.0, 120.0, 60.0, 130.0],
    ...               index=pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-09"]))
    >>> found = drawdown_periods(s)
    >>> found["peak_on"], found["trough_on"], found["recovery_on"], found["depth"]
    (datetime.date(2020, 1, 2), datetime.date(2020, 1, 5), datetime.date(2020, 1, 9), -0.5)
    >>> found["days_to_trough"], found["days_to_recover"]
    (3, 4)
    """
    if not isinstance(prices_or_values, pd.Series):
        raise InputError(
            "drawdown_periods needs a pandas Series indexed by date; use drawdown_dates for arrays",
            errors=[FieldError(loc=("prices_or_values",), msg="must be a pandas Series")],
        )
    found = drawdown_dates(prices_or_values.to_numpy(dtype=np.float64), prices_or_values.index)
    return _drawdown_row(found, 0)


# --------------------------------------------------------------------------- tail risk


def value_at_risk(returns: Any, level: float = 0.05, method: Method = "historical") -> FloatOrArray:
    """Value at risk over one period, reported as a positive loss.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    level
        Tail probability: 0.05 for a 95 % VaR.
    method
        ``"historical"``: minus the empirical ``level`` quantile of the returns with numpy's
        default linear interpolation (``np.percentile``), i.e. minus empyrical's
        ``value_at_risk(returns, cutoff=level)``. ``"parametric"``: normal returns with the
        sample mean and sample standard deviation, ``-(mean + std * z_level)``.

    Returns
    -------
    float or numpy.ndarray
        The loss, a fraction of value per period (``0.02`` is a 2 % loss); negative if even
        the tail quantile is a gain.

    Raises
    ------
    InputError
        For an unknown method (valid choices are listed), a level outside (0, 1), fewer than
        2 periods or missing values.

    Examples
    --------
    >>> round(value_at_risk([-0.04, -0.02, 0.0, 0.02, 0.04], level=0.25), 6)
    0.02
    """
    _check_method(method)
    _check_level(level)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    if method == "historical":
        loss = -np.percentile(matrix, 100.0 * level, axis=0)
    else:
        z = NormalDist().inv_cdf(level)
        loss = -(matrix.mean(axis=0) + _std(matrix) * z)
    return _out(loss, one_d)


def conditional_value_at_risk(
    returns: Any, level: float = 0.05, method: Method = "historical"
) -> FloatOrArray:
    """Conditional value at risk (expected shortfall) over one period, as a positive loss.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    level
        Tail probability: 0.05 for the mean of the worst 5 % of periods.
    method
        ``"historical"``: minus the mean of the ``k + 1`` lowest returns with
        ``k = int((T - 1) * level)``, exactly empyrical's
        ``conditional_value_at_risk(returns, cutoff=level)``. ``"parametric"``: normal returns
        with the sample mean and sample standard deviation,
        ``-(mean - std * pdf(z_level) / level)``.

    Returns
    -------
    float or numpy.ndarray
        The expected loss in the tail, a fraction of value per period; at least the VaR of
        the same method and level.

    Raises
    ------
    InputError
        For an unknown method (valid choices are listed), a level outside (0, 1), fewer than
        2 periods or missing values.

    Examples
    --------
    >>> round(conditional_value_at_risk([-0.04, -0.02, 0.0, 0.02, 0.04], level=0.25), 6)
    0.03
    """
    _check_method(method)
    _check_level(level)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    if method == "historical":
        k = int((matrix.shape[0] - 1) * level)
        tail = np.partition(matrix, k, axis=0)[: k + 1]
        loss = -tail.mean(axis=0)
    else:
        normal = NormalDist()
        z = normal.inv_cdf(level)
        loss = -(matrix.mean(axis=0) - _std(matrix) * normal.pdf(z) / level)
    return _out(loss, one_d)


# --------------------------------------------------------------------------- benchmark-relative


def _beta(matrix: np.ndarray, bench: np.ndarray) -> np.ndarray:
    # One benchmark column is centred once and broadcast, not copied N times.
    residual = bench - bench.mean(axis=0)
    covariance = np.einsum("tn,tn->n", np.broadcast_to(residual, matrix.shape), matrix) / matrix.shape[0]
    variance = np.mean(residual * residual, axis=0)
    variance = np.where(variance < 1.0e-30, np.nan, variance)
    return covariance / np.broadcast_to(variance, covariance.shape)


def beta(returns: Any, benchmark: Any) -> FloatOrArray:
    """Beta of returns against a benchmark, ``cov(r, b) / var(b)``, as empyrical's ``beta``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    benchmark
        Benchmark returns over the same periods: 1-D of length ``T`` (one benchmark for all
        columns) or (T, N) (one per column).

    Returns
    -------
    float or numpy.ndarray
        Beta, unitless; ``nan`` for a constant benchmark.

    Examples
    --------
    >>> round(beta([0.02, -0.02, 0.04], [0.01, -0.01, 0.02]), 6)
    2.0
    """
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    bench = _benchmark_matrix(benchmark, matrix.shape)
    return _out(_beta(matrix, bench), one_d)


def alpha(
    returns: Any,
    benchmark: Any,
    risk_free: float = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> FloatOrArray:
    """Annualised Jensen's alpha, as empyrical's ``alpha``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    benchmark
        Benchmark returns over the same periods, 1-D of length ``T`` or (T, N).
    risk_free
        Risk-free return per period, as a fraction.
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``(1 + mean(r - rf - beta * (b - rf))) ** periods_per_year - 1``, a fraction a year.
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    bench = _benchmark_matrix(benchmark, matrix.shape)
    slope = _beta(matrix - risk_free, bench - risk_free)
    residual = (matrix - risk_free) - slope * (bench - risk_free)
    return _out((1.0 + residual.mean(axis=0)) ** periods_per_year - 1.0, one_d)


def tracking_error(
    returns: Any, benchmark: Any, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> FloatOrArray:
    """Annualised tracking error: sample standard deviation of active returns ``r - b``.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    benchmark
        Benchmark returns over the same periods, 1-D of length ``T`` or (T, N).
    periods_per_year
        Periods a year: 252 for daily data.

    Returns
    -------
    float or numpy.ndarray
        ``std(r - b, ddof=1) * sqrt(periods_per_year)``, a fraction a year.

    Examples
    --------
    >>> round(tracking_error([0.02, 0.0], [0.01, 0.01], periods_per_year=1), 6)
    0.014142
    """
    _check_periods_per_year(periods_per_year)
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)
    bench = _benchmark_matrix(benchmark, matrix.shape)
    return _out(_std(matrix - bench) * math.sqrt(periods_per_year), one_d)


# --------------------------------------------------------------------------- all at once


def summary(
    returns: Any,
    benchmark: Any = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    risk_free: float = 0.0,
) -> dict[str, FloatOrArray]:
    """Every metric of this module for the same returns at once.

    Parameters
    ----------
    returns
        Simple period returns as fractions, 1-D or (T, N); at least 2 periods.
    benchmark
        Optional benchmark returns over the same periods (1-D or (T, N)); adds ``beta``,
        ``alpha`` and ``tracking_error``.
    periods_per_year
        Periods a year: 252 for daily data.
    risk_free
        Risk-free return per period, used for Sharpe, as Sortino's required return and for
        alpha.

    Returns
    -------
    dict[str, float | numpy.ndarray]
        ``periods``, ``cumulative_return``, ``annual_return``, ``annual_volatility``,
        ``sharpe_ratio``, ``sortino_ratio``, ``downside_risk``, ``calmar_ratio``,
        ``max_drawdown``, ``value_at_risk`` and ``conditional_value_at_risk`` (historical, 5 %),
        ``value_at_risk_parametric`` and ``conditional_value_at_risk_parametric`` (normal, 5 %),
        and with a benchmark ``beta``, ``alpha``, ``tracking_error``. Units as in the
        individual functions.
    """
    matrix, one_d = _as_matrix(returns, name="returns", min_rows=2)

    def shaped(values: FloatOrArray) -> FloatOrArray:
        return _out(np.asarray(values), one_d)

    result: dict[str, FloatOrArray] = {
        "periods": matrix.shape[0],
        "cumulative_return": shaped(cumulative_return(matrix)),
        "annual_return": shaped(annual_return(matrix, periods_per_year)),
        "annual_volatility": shaped(annual_volatility(matrix, periods_per_year)),
        "sharpe_ratio": shaped(sharpe_ratio(matrix, risk_free, periods_per_year)),
        "sortino_ratio": shaped(sortino_ratio(matrix, risk_free, periods_per_year)),
        "downside_risk": shaped(downside_risk(matrix, risk_free, periods_per_year)),
        "calmar_ratio": shaped(calmar_ratio(matrix, periods_per_year)),
        "max_drawdown": shaped(max_drawdown(matrix)),
        "value_at_risk": shaped(value_at_risk(matrix)),
        "conditional_value_at_risk": shaped(conditional_value_at_risk(matrix)),
        "value_at_risk_parametric": shaped(value_at_risk(matrix, method="parametric")),
        "conditional_value_at_risk_parametric": shaped(
            conditional_value_at_risk(matrix, method="parametric")
        ),
    }
    if benchmark is not None:
        bench = _benchmark_matrix(benchmark, matrix.shape)
        result["beta"] = shaped(beta(matrix, bench))
        result["alpha"] = shaped(alpha(matrix, bench, risk_free, periods_per_year))
        result["tracking_error"] = shaped(tracking_error(matrix, bench, periods_per_year))
    return result


def _json_value(value: Any) -> float | int | str | None:
    """A JSON-ready scalar: finite floats, ints, ISO dates, ``None`` for NaN, NaT and inf."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").astype(dt.date)
    if isinstance(value, np.integer | int):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _drawdown_row(found: dict[str, np.ndarray], j: int) -> dict[str, Any]:
    """Column ``j`` of :func:`drawdown_dates` as dates, a float and whole days (or ``None``)."""
    row = {key: _json_value(value[j]) for key, value in found.items()}
    if row["days_to_recover"] is not None:
        row["days_to_recover"] = int(row["days_to_recover"])
    return row


def all_metrics(
    prices: pd.DataFrame, benchmark: str | None = None
) -> dict[str, dict[str, float | int | str | None]]:
    """Every metric for every column of a wide price frame, ready to print as JSON.

    Each series is measured over its own range (from its first to its last price), so series
    that start later, as a stock listed after the others, are fine; columns sharing a range
    are computed together. Uses daily conventions (252 periods a year, risk-free 0).

    Parameters
    ----------
    prices
        Positive prices indexed by date (``DatetimeIndex`` or ``datetime.date`` values),
        one column per series, oldest first. Empty cells are allowed only before a series
        starts or after it ends.
    benchmark
        Optional name of the column to use as benchmark for ``beta``, ``alpha`` and
        ``tracking_error``; it must have prices over each other series' range.

    Returns
    -------
    dict[str, dict]
        Per series code: ``observations`` (number of prices), ``first_on`` and ``last_on``
        (ISO dates), every key of :func:`summary` except ``periods`` (floats; ``None`` where
        not finite, e.g. Sharpe of a constant series), and the maximum drawdown's
        ``peak_on``, ``trough_on``, ``recovery_on`` (ISO dates or ``None``),
        ``days_to_trough`` and ``days_to_recover`` (calendar days or ``None``).

    Raises
    ------
    InputError
        Naming the series: unknown benchmark column (valid ones listed), a gap inside a
        series' range, fewer than 2 prices, a non-positive price, a benchmark that does not
        cover a series' range.
    """
    if not isinstance(prices, pd.DataFrame):
        raise InputError(
            "all_metrics needs a pandas DataFrame of prices, one column per series",
            errors=[FieldError(loc=("prices",), msg="must be a pandas DataFrame")],
        )
    columns = [str(c) for c in prices.columns]
    frame = prices.set_axis(columns, axis=1).astype(np.float64)
    if benchmark is not None and benchmark not in columns:
        raise InputError(
            f"benchmark {benchmark!r} is not a column of the prices; choose one of {', '.join(columns)}",
            errors=[FieldError(loc=("benchmark",), msg="unknown series", input=benchmark)],
        )
    dates = pd.DatetimeIndex(pd.to_datetime(frame.index))
    present = frame.notna().to_numpy()
    t = present.shape[0]
    has_any = present.any(axis=0)
    first = present.argmax(axis=0)
    last = t - 1 - present[::-1].argmax(axis=0)
    inside = (np.arange(t)[:, np.newaxis] >= first) & (np.arange(t)[:, np.newaxis] <= last)
    gaps = inside & ~present
    problems: list[FieldError] = []
    for col in np.nonzero(~has_any)[0]:
        problems.append(FieldError(loc=(columns[col],), msg="series has no prices"))
    for col in np.nonzero(has_any & gaps.any(axis=0))[0]:
        row = int(gaps[:, col].argmax())
        problems.append(
            FieldError(
                loc=(columns[col], dates[row].date().isoformat()),
                msg="price missing inside the series' range",
            )
        )
    for col in np.nonzero(has_any & (last - first < 1))[0]:
        problems.append(
            FieldError(
                loc=(columns[col],), msg="needs at least 2 prices", input=int(last[col] - first[col] + 1)
            )
        )
    if problems:
        details = "; ".join(
            f"{p.loc[0]}: {p.msg}" + (f" on {p.loc[1]}" if len(p.loc) > 1 else "") for p in problems
        )
        raise InputError(
            f"cannot compute metrics for {len(problems)} series ({details}); fill the gaps, drop the "
            "series or choose a window where each series has at least 2 prices",
            errors=problems,
        )

    values = frame.to_numpy()
    result: dict[str, dict[str, float | int | str | None]] = {}
    ranges = sorted({(int(f), int(la)) for f, la in zip(first, last, strict=True)})
    for start, stop in ranges:  # one pass per distinct date range, not per column
        cols = np.nonzero((first == start) & (last == stop))[0]
        block = values[start : stop + 1, cols]
        returns = simple_returns(block)
        bench_returns = None
        if benchmark is not None:
            bench_prices = frame[benchmark].to_numpy()[start : stop + 1]
            if np.isnan(bench_prices).any():
                raise InputError(
                    f"benchmark {benchmark!r} has no price on "
                    f"{dates[start + int(np.isnan(bench_prices).argmax())].date().isoformat()}, "
                    f"inside the range of series {', '.join(columns[c] for c in cols)}; "
                    "choose a benchmark covering their whole history",
                    errors=[FieldError(loc=(benchmark,), msg="benchmark does not cover the range")],
                )
            bench_returns = simple_returns(bench_prices)
        stats = summary(returns, benchmark=bench_returns)
        dd = drawdown_dates(block, dates[start : stop + 1])
        for j, col in enumerate(cols):
            row: dict[str, float | int | str | None] = {
                "observations": stop - start + 1,
                "first_on": dates[start].date().isoformat(),
                "last_on": dates[stop].date().isoformat(),
            }
            for key, metric in stats.items():
                if key != "periods":
                    row[key] = _json_value(np.asarray(metric)[j])
            for key, found in _drawdown_row(dd, j).items():
                if key != "depth":  # the same number as max_drawdown
                    row[key] = found.isoformat() if isinstance(found, dt.date) else found
            result[columns[col]] = row
    return {code: result[code] for code in columns}
