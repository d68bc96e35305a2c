"""Stress tests, backtests and Monte Carlo of asset-class portfolios. numpy/pandas; replay is a numba kernel.

Conventions:

* Prices are levels in one currency per series, indexed by trading date; a *path* is a
  block of levels (T trading days x A series) whose first row is the window's first day.
* Weights are fractions of the portfolio's initial value per series or asset class; a fully
  invested portfolio sums to 1. Returns and drawdowns are fractions (``-0.25`` = 25 % loss);
  a drawdown is the fall from the running peak, so it is never positive.
* Stress replay is buy-and-hold over the window (no rebalancing): a portfolio's value on day
  t is ``sum_a w_a * paths[t, a] / paths[0, a]``.
* Annualisation uses ``periods_per_year`` trading days (252 by default); volatility scales by
  its square root, annual return is geometric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from fincrm.errors import FieldError, InputError
from fincrm.portfolio.scenarios import Scenario

TRADING_DAYS_PER_YEAR = 252  # trading days in a year, for annualisation
WEIGHT_SUM_TOLERANCE = 1e-6  # fraction: how far a weight vector may sum from 1
REPLAY_CELLS_PER_CHUNK = 1 << 19  # portfolios x days per numpy replay block (4 MiB of float64)
REBALANCE_CHOICES = ("none", "monthly", "quarterly", "annual")
MONTE_CARLO_METHODS = ("bootstrap", "parametric")
FAN_POINTS = 52  # points of the Monte Carlo fan chart (about one a week over a year)
_MC_CHUNK_CELLS = 4_000_000  # path-days x assets per Monte Carlo block


def _input_error(loc: tuple[str | int, ...], msg: str, value: Any = None) -> InputError:
    where = ".".join(str(p) for p in loc)
    return InputError(f"{where}: {msg}", errors=[FieldError(loc, msg, value)])


def _check_paths(paths: np.ndarray, name: str = "paths") -> np.ndarray:
    p = np.asarray(paths, dtype=float)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise _input_error((name,), "must be a (days x series) array with at least one day", list(p.shape))
    if not np.isfinite(p).all():
        raise _input_error((name,), "contains missing or infinite prices; fill or drop them first")
    if (p[0] <= 0).any():
        raise _input_error((name,), "the first day's prices must be positive")
    return p


def _check_weights(weights: np.ndarray, n_series: int) -> tuple[np.ndarray, bool]:
    w = np.asarray(weights, dtype=float)
    single = w.ndim == 1
    w2 = w[None, :] if single else w
    if w2.ndim != 2 or w2.shape[1] != n_series:
        raise _input_error(
            ("weights",), f"must be (P x {n_series}) or ({n_series},), one column per series", list(w.shape)
        )
    if not np.isfinite(w2).all():
        raise _input_error(("weights",), "contains missing or infinite weights")
    if (w2.sum(axis=1) <= 0).any():
        raise _input_error(
            ("weights",), "every portfolio needs a positive initial value (sum of weights > 0)"
        )
    return w2, single


def replay(
    paths: np.ndarray, weights: np.ndarray, *, chunk_size: int | None = None
) -> dict[str, np.ndarray] | dict[str, float | int]:
    """Replay buy-and-hold portfolios along price paths: total return, drawdown, trough day.

    Runs the compiled `fincrm.portfolio.kernels.replay_kernel`: blocks of portfolios in
    parallel on every core, one pass over the days per block with the running peak and the
    worst value / peak ratio kept per portfolio, so a million portfolios run in constant
    extra memory. The first call in a process loads (or, once, compiles) the kernel.

    Parameters
    ----------
    paths
        (T days x A series) price levels; the first row is the window's first day.
    weights
        (P x A) or (A,): each portfolio's initial value per series, fractions. They need not
        sum to 1: returns are on the initial value ``sum(w)``.
    chunk_size
        Portfolios per kernel block (a unit of parallel work); default
        `fincrm.portfolio.kernels.REPLAY_BLOCK`. It changes speed only, never the figures.

    Returns
    -------
    dict
        ``total_return`` (end value / initial value - 1, fraction), ``max_drawdown`` (worst
        peak-to-trough fall within the window, fraction <= 0) and ``trough_index`` (row of
        ``paths`` where it bottoms, the first such row; 0 if the portfolio never falls): arrays
        of length P, or plain numbers for 1-D weights.

    Raises
    ------
    InputError
        Shapes do not fit, prices are missing or not positive on the first day, a
        portfolio has no positive initial value, or ``chunk_size`` is not positive.

    Examples
    --------
    >>> paths = np.array([[100.0, 10.0], [50.0, 11.0], [80.0, 12.0]])
    >>> r = replay(paths, np.array([0.5, 0.5]))
    >>> round(r["total_return"], 4), round(r["max_drawdown"], 4), r["trough_index"]
    (0.0, -0.2, 1)
    """
    p = _check_paths(paths)
    w, single = _check_weights(weights, p.shape[1])
    if chunk_size is not None and chunk_size < 1:
        raise _input_error(("chunk_size",), "must be a positive number of portfolios", chunk_size)
    n_portfolios = w.shape[0]
    rel = np.ascontiguousarray(p / p[0])  # (T x A), 1 on day 0
    total = np.empty(n_portfolios)
    drawdown = np.empty(n_portfolios)
    trough = np.empty(n_portfolios, dtype=np.int64)
    # Imported here: loading numba costs 1-2 s, which pages and commands that never stress-test
    # should not pay.
    from fincrm.portfolio.kernels import REPLAY_BLOCK, replay_kernel

    replay_kernel(rel, np.ascontiguousarray(w), chunk_size or REPLAY_BLOCK, total, drawdown, trough)
    if single:
        return {
            "total_return": float(total[0]),
            "max_drawdown": float(drawdown[0]),
            "trough_index": int(trough[0]),
        }
    return {"total_return": total, "max_drawdown": drawdown, "trough_index": trough}


def _replay_numpy(
    paths: np.ndarray, weights: np.ndarray, *, chunk_size: int | None = None
) -> dict[str, np.ndarray]:
    """`replay` in plain numpy, blocks of (portfolios x days): the tests' oracle for the kernel.

    Takes 2-D weights and returns arrays; ``chunk_size`` defaults to about
    `REPLAY_CELLS_PER_CHUNK` / T portfolios.
    """
    p = _check_paths(paths)
    w, _ = _check_weights(weights, p.shape[1])
    n_days, n_portfolios = p.shape[0], w.shape[0]
    rel_t = np.ascontiguousarray((p / p[0]).T)  # (A x T), 1 on day 0
    size = chunk_size or max(64, REPLAY_CELLS_PER_CHUNK // n_days)
    total = np.empty(n_portfolios)
    drawdown = np.empty(n_portfolios)
    trough = np.empty(n_portfolios, dtype=np.int64)
    for lo in range(0, n_portfolios, size):
        hi = min(lo + size, n_portfolios)
        value = np.einsum("pa,at->pt", w[lo:hi], rel_t)  # (chunk x T)
        total[lo:hi] = value[:, -1] / value[:, 0] - 1.0
        ratio = np.maximum.accumulate(value, axis=1)
        np.divide(value, ratio, out=ratio)  # value / running peak, in (0, 1]
        at = ratio.argmin(axis=1)
        trough[lo:hi] = at
        drawdown[lo:hi] = ratio[np.arange(hi - lo), at] - 1.0
    return {"total_return": total, "max_drawdown": drawdown, "trough_index": trough}


def recovery_days(
    after: np.ndarray,
    weights: np.ndarray,
    trough_value: float | np.ndarray,
    peak_value: float | np.ndarray,
) -> int | None | np.ndarray:
    """Trading days after a window until a buy-and-hold portfolio is back at its peak.

    Parameters
    ----------
    after
        (T2 days x A series) price levels on the trading days after the window, each column
        divided by its level on the window's first day (the scale of ``replay``'s values).
    weights
        (P x A) or (A,), the same weights as in the window.
    trough_value
        The portfolio's value at the end of the window, on the same scale; if it is already at
        or above ``peak_value`` there is nothing to recover and the answer is 0.
    peak_value
        The value to get back to: the portfolio's peak within the window (``sum(w)`` when it
        peaks on the first day).

    Returns
    -------
    int | None | numpy.ndarray
        Day 1 is the first trading day after the window. For 1-D weights an int, or None if
        the data end first; for 2-D weights an int array with -1 for "not within the data".

    Examples
    --------
    >>> after = np.array([[0.8], [0.95], [1.01]])
    >>> recovery_days(after, np.array([1.0]), 0.7, 1.0)
    3
    >>> recovery_days(after[:2], np.array([1.0]), 0.7, 1.0) is None
    True
    """
    a = np.asarray(after, dtype=float)
    w, single = _check_weights(weights, a.shape[1] if a.ndim == 2 else -1)
    trough = np.broadcast_to(np.asarray(trough_value, dtype=float), (w.shape[0],))
    peak = np.broadcast_to(np.asarray(peak_value, dtype=float), (w.shape[0],))
    out = np.full(w.shape[0], -1, dtype=np.int64)
    out[trough >= peak] = 0
    todo = np.flatnonzero(out < 0)
    if a.shape[0] and todo.size:
        if not np.isfinite(a).all():
            raise _input_error(("after",), "contains missing or infinite prices; fill or drop them first")
        value = np.einsum("pa,ta->pt", w[todo], a)  # (P x T2)
        back = value >= peak[todo, None]
        hit = back.any(axis=1)
        out[todo[hit]] = back[hit].argmax(axis=1) + 1
    if single:
        return None if out[0] < 0 else int(out[0])
    return out


def _covers(series: pd.Series, start: date, end: date) -> bool:
    valid = series.dropna()
    return not valid.empty and valid.index[0] <= pd.Timestamp(start) and valid.index[-1] >= pd.Timestamp(end)


def _stylised(shock: float, n_days: int) -> np.ndarray:
    if n_days == 1:
        return np.array([1.0])
    return np.exp(np.linspace(0.0, math.log1p(shock), n_days))


def _scenario_paths(
    prices: pd.DataFrame, scenario: Scenario, series_for_class: Mapping[str, str | None]
) -> tuple[np.ndarray, list[str], dict[str, str], pd.DatetimeIndex, dict[str, str]]:
    classes = list(series_for_class)
    if not classes:
        raise _input_error(("series_for_class",), "name at least one asset class")
    replayed = {
        c: s
        for c, s in series_for_class.items()
        if s is not None and s in prices.columns and _covers(prices[s], scenario.start, scenario.end)
    }
    missing = [c for c in classes if c not in replayed and c not in scenario.shocks]
    if missing:
        raise InputError(
            f"Scenario {scenario.key!r} has no shock for {', '.join(missing)} and no covering price series",
            errors=[
                FieldError(
                    ("series_for_class", c), "map it to a series covering the window or add a shock", c
                )
                for c in missing
            ],
        )
    start, end = pd.Timestamp(scenario.start), pd.Timestamp(scenario.end)
    if replayed:
        used = prices[list(dict.fromkeys(replayed.values()))].sort_index()
        upto = used.loc[:end].ffill()  # a market closed on a day keeps its last price
        days = upto.index[(upto.index >= start) & upto.notna().all(axis=1)]
        if days.empty or days[0] > start + pd.Timedelta(days=7):
            raise _input_error(
                ("prices",), f"no common trading day near the start of {scenario.key!r}", str(scenario.start)
            )
        levels = upto.loc[days]
    else:
        days = pd.bdate_range(start, end)
        levels = None
    paths = np.empty((len(days), len(classes)))
    methods: dict[str, str] = {}
    for j, c in enumerate(classes):
        if levels is not None and c in replayed:
            col = levels[replayed[c]].to_numpy(dtype=float)
            paths[:, j] = col / col[0]
            methods[c] = "replay"
        else:
            paths[:, j] = _stylised(scenario.shocks[c], len(days))
            methods[c] = "stylised"
    return paths, classes, methods, pd.DatetimeIndex(days), replayed


def scenario_paths(
    prices: pd.DataFrame, scenario: Scenario, series_for_class: Mapping[str, str | None]
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Daily paths of each asset class over a scenario window: replayed or stylised.

    Per asset class: if its mapped series covers the window (a price on or before the first
    day and on or after the last), the path is that series' imported prices ("replay");
    otherwise it is a stylised straight line in log space from 1 to ``1 + shock`` over the
    window's trading days ("stylised"). The trading days are those of the replayed series
    within the window (a day counts when every replayed series has a price, carried forward
    over another market's holiday); when nothing is replayed they are the business days
    (Monday to Friday) of the window.

    Parameters
    ----------
    prices
        Wide price levels: a date index and one column per series.
    scenario
        The window and the stylised shocks.
    series_for_class
        Asset class -> column of ``prices`` to replay, or None for stylised.

    Returns
    -------
    tuple
        ``paths`` (T days x A classes, each column 1 on the window's first day), the list of
        classes in column order, and the method per class (``"replay"`` or ``"stylised"``).

    Raises
    ------
    InputError
        A class has neither a covering series nor a shock in the scenario.
    """
    paths, classes, methods, _, _ = _scenario_paths(prices, scenario, series_for_class)
    return paths, classes, methods


def _weights_vector(weights: Mapping[str, float], field: str) -> np.ndarray:
    w = np.array([float(v) for v in weights.values()])
    if not len(w) or not np.isfinite(w).all() or abs(w.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise _input_error((field,), "must be finite fractions summing to 1", dict(weights))
    return w


def _after_window(prices: pd.DataFrame, series: list[str], end: date, start_levels: np.ndarray) -> np.ndarray:
    used = prices[series].sort_index()
    last = min(used[s].last_valid_index() for s in series)
    block = used.loc[(used.index > pd.Timestamp(end)) & (used.index <= last)].ffill().dropna()
    return block.to_numpy(dtype=float) / start_levels


def stress_test(
    prices: pd.DataFrame,
    scenario: Scenario,
    class_weights: Mapping[str, float],
    series_for_class: Mapping[str, str | None],
    benchmark_series: str | None = None,
) -> dict[str, Any]:
    """Stress one asset-class portfolio (and a benchmark) through a scenario window.

    Buy-and-hold replay of `scenario_paths`. Recovery is counted on the imported prices after
    the window and only when every held class was replayed (a stylised path has no "after").

    Parameters
    ----------
    prices
        Wide price levels (date index, one column per series).
    scenario
        The window and its stylised shocks.
    class_weights
        Fraction of value per asset class, summing to 1.
    series_for_class
        Asset class -> series to replay (None or absent: stylised).
    benchmark_series
        A column of ``prices`` to stress the same way, or None.

    Returns
    -------
    dict
        JSON-ready: ``scenario`` (its fields), ``days`` (trading days in the window),
        ``portfolio`` and ``benchmark`` (None when not asked), each with ``total_return`` and
        ``max_drawdown`` (fractions), ``trough_on`` (ISO date), ``recovery_days`` (trading
        days after the window, None if not within the data or not computable), and
        ``methods`` (per class) or ``covered`` (benchmark: False and None figures when the
        series does not cover the window).
    """
    w = _weights_vector(class_weights, "class_weights")
    mapping = {c: series_for_class.get(c) for c in class_weights}
    paths, classes, methods, days, replayed = _scenario_paths(prices, scenario, mapping)
    result = replay(paths, w)
    recovery = None
    held = [c for c, x in zip(classes, w, strict=True) if x != 0]
    if all(c in replayed for c in held):
        series = [replayed[c] for c in held]
        start_levels = prices[series].sort_index().loc[: days[0]].ffill().iloc[-1].to_numpy(dtype=float)
        after = _after_window(prices, series, scenario.end, start_levels)
        value = paths @ w
        recovery = recovery_days(after, w[w != 0], value[-1], value.max())
    portfolio = {
        "total_return": result["total_return"],
        "max_drawdown": result["max_drawdown"],
        "trough_on": days[result["trough_index"]].date().isoformat(),
        "recovery_days": recovery,
        "methods": methods,
    }
    benchmark = None
    if benchmark_series is not None:
        benchmark = _benchmark(prices, scenario, benchmark_series)
    return {"scenario": scenario.as_dict(), "days": len(days), "portfolio": portfolio, "benchmark": benchmark}


def _benchmark(prices: pd.DataFrame, scenario: Scenario, name: str) -> dict[str, Any]:
    if name not in prices.columns:
        raise _input_error(("benchmark_series",), "is not a column of prices", name)
    out: dict[str, Any] = {
        "series": name,
        "covered": False,
        "total_return": None,
        "max_drawdown": None,
        "trough_on": None,
        "recovery_days": None,
    }
    if not _covers(prices[name], scenario.start, scenario.end):
        return out
    paths, _, _, days, _ = _scenario_paths(prices, scenario, {"benchmark": name})
    r = replay(paths, np.array([1.0]))
    start_level = prices[name].sort_index().loc[: days[0]].ffill().iloc[-1]
    after = _after_window(prices, [name], scenario.end, np.array([start_level]))
    out.update(
        covered=True,
        total_return=r["total_return"],
        max_drawdown=r["max_drawdown"],
        trough_on=days[r["trough_index"]].date().isoformat(),
        recovery_days=recovery_days(after, np.array([1.0]), paths[-1, 0], paths[:, 0].max()),
    )
    return out


_PERIOD_FREQ = {"monthly": "M", "quarterly": "Q", "annual": "Y"}


def backtest(
    prices: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    rebalance: str = "quarterly",
    start: date | None = None,
    end: date | None = None,
) -> pd.Series:
    """Value of a portfolio rebalanced to target weights, starting at 1.0.

    On the first trading day in the range the portfolio buys the target weights at that day's
    prices; on the first trading day of each later period (calendar month, quarter or year)
    it sells and buys back to the targets at that day's prices, with no costs. In between
    the holdings drift with prices (buy-and-hold). ``rebalance="none"`` never rebalances.

    Parameters
    ----------
    prices
        Wide price levels (date index, one column per series); every weighted series needs
        a price on every day of the range (a missing day is carried forward from the day
        before; days before a series starts are dropped).
    weights
        Series name -> target fraction of value, summing to 1.
    rebalance
        One of `REBALANCE_CHOICES`.
    start, end
        Optional first and last calendar day (inclusive).

    Returns
    -------
    pandas.Series
        Portfolio value per trading day, 1.0 on the first.

    Raises
    ------
    InputError
        Unknown ``rebalance``, weights not summing to 1, unknown series, or no data in range.

    Examples
    --------
    >>> px = pd.DataFrame({"a": [1.0, 2.0, 2.0], "b": [1.0, 1.0, 2.0]},
    ...                   index=pd.to_datetime(["2024-01-31", "2024-02-01", "2024-02-02"]))
    >>> backtest(px, {"a": 0.5, "b": 0.5}, rebalance="monthly").round(4).tolist()
    [1.0, 1.5, 2.25]
    """
    if rebalance not in REBALANCE_CHOICES:
        raise _input_error(
            ("rebalance",), f"unknown rebalancing; use one of {', '.join(REBALANCE_CHOICES)}", rebalance
        )
    w = _weights_vector(weights, "weights")
    names = list(weights)
    unknown = [n for n in names if n not in prices.columns]
    if unknown:
        raise _input_error(("weights",), f"no prices for {', '.join(unknown)}", unknown)
    px = prices[names].sort_index()
    if start is not None:
        px = px.loc[pd.Timestamp(start) :]
    if end is not None:
        px = px.loc[: pd.Timestamp(end)]
    px = px.ffill().dropna()
    if px.empty:
        raise _input_error(("prices",), "no day in range has a price for every weighted series")
    p = px.to_numpy(dtype=float)
    if rebalance == "none":
        first = np.zeros(len(px), dtype=bool)
        first[0] = True
    else:
        period = px.index.to_period(_PERIOD_FREQ[rebalance]).asi8
        first = np.r_[True, period[1:] != period[:-1]]
    starts = np.flatnonzero(first)  # rows where the portfolio is (re)set to the targets
    segment = np.cumsum(first) - 1  # segment of each row
    # growth over each finished segment, with the targets bought at its first row
    step = (p[starts[1:]] / p[starts[:-1]]) @ w
    at_start = np.r_[1.0, np.cumprod(step)]  # value at each rebalance
    values = at_start[segment] * ((p / p[starts[segment]]) @ w)
    return pd.Series(values, index=px.index, name="value")


def backtest_summary(values: pd.Series, *, periods_per_year: int = TRADING_DAYS_PER_YEAR) -> dict[str, float]:
    """Annual return, volatility and maximum drawdown of a value series.

    Parameters
    ----------
    values
        Portfolio value per trading day (e.g. from `backtest`).
    periods_per_year
        Trading days per year for annualisation.

    Returns
    -------
    dict
        ``annual_return`` (geometric, fraction per year), ``volatility`` (standard deviation
        of daily simple returns, ddof 1, times sqrt(periods_per_year)), ``max_drawdown``
        (fraction <= 0), ``total_return`` (fraction) and ``days``.

    Examples
    --------
    >>> s = backtest_summary(pd.Series([1.0, 1.1, 0.99, 1.2]), periods_per_year=3)
    >>> round(s["annual_return"], 4), round(s["max_drawdown"], 4)
    (0.2, -0.1)
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or len(v) < 2 or not np.isfinite(v).all() or (v <= 0).any():
        raise _input_error(("values",), "needs at least two positive values")
    daily = v[1:] / v[:-1] - 1.0
    total = v[-1] / v[0] - 1.0
    years = (len(v) - 1) / periods_per_year
    return {
        "annual_return": float((v[-1] / v[0]) ** (1.0 / years) - 1.0),
        "volatility": float(daily.std(ddof=1) * math.sqrt(periods_per_year)) if len(daily) > 1 else 0.0,
        "max_drawdown": float((v / np.maximum.accumulate(v)).min() - 1.0),
        "total_return": float(total),
        "days": len(v),
    }


def monte_carlo(
    returns: np.ndarray,
    weights: np.ndarray,
    *,
    horizon_days: int = TRADING_DAYS_PER_YEAR,
    paths: int = 10_000,
    method: str = "bootstrap",
    seed: int = 0,
    rebalance: bool = True,
) -> dict[str, Any]:
    """Simulated distribution of a portfolio's return over a horizon, with a fan chart.

    ``bootstrap`` draws whole historical days (rows) with replacement, so each simulated day
    keeps the cross-asset co-movement of a real day. ``parametric`` draws days from a
    multivariate normal with the sample mean and covariance (ddof 1) of the daily returns.
    With ``rebalance`` the weights are restored every day (portfolio daily return ``r @ w``);
    without, the portfolio buys and holds. Deterministic for a seed.

    Parameters
    ----------
    returns
        (T days x A assets) daily simple returns (fractions), no missing values.
    weights
        (A,) fractions of initial value, summing to 1.
    horizon_days
        Trading days simulated.
    paths
        Number of simulated paths.
    method
        One of `MONTE_CARLO_METHODS`.
    seed
        Seed of the random generator.
    rebalance
        Daily rebalancing (True) or buy-and-hold (False).

    Returns
    -------
    dict
        JSON-ready: ``percentiles`` of the horizon return (fractions; keys ``p5``, ``p50``,
        ``p95``) and ``mean``; ``fan``: ``day`` (trading days from today, about
        `FAN_POINTS` of them plus day 0) and ``p5``/``p50``/``p95`` of the value (1.0 today)
        on those days; and the settings used.

    Raises
    ------
    InputError
        Unknown method, shapes that do not fit, missing returns, weights not summing to 1.
    """
    if method not in MONTE_CARLO_METHODS:
        raise _input_error(
            ("method",), f"unknown method; use one of {', '.join(MONTE_CARLO_METHODS)}", method
        )
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2 or r.shape[0] < 2 or not np.isfinite(r).all():
        raise _input_error(
            ("returns",), "must be a (days x assets) array of at least two days, no missing values"
        )
    w = np.asarray(weights, dtype=float)
    if w.shape != (r.shape[1],):
        raise _input_error(("weights",), f"needs one weight per asset column ({r.shape[1]})", list(w.shape))
    _weights_vector(dict(enumerate(w)), "weights")
    if horizon_days < 1 or paths < 1:
        raise _input_error(
            ("horizon_days",), "horizon_days and paths must be positive", [horizon_days, paths]
        )
    rng = np.random.default_rng(seed)
    days = np.unique(np.linspace(0, horizon_days, min(FAN_POINTS, horizon_days) + 1).round().astype(int))
    mean, cov = r.mean(axis=0), np.cov(r, rowvar=False, ddof=1).reshape(r.shape[1], r.shape[1])
    chunk = max(1, _MC_CHUNK_CELLS // (horizon_days * r.shape[1]))
    fan = np.empty((paths, len(days)))
    for lo in range(0, paths, chunk):
        n = min(chunk, paths - lo)
        if method == "bootstrap":
            drawn = r[rng.integers(0, r.shape[0], size=(n, horizon_days))]  # (n x H x A)
        else:
            drawn = rng.multivariate_normal(mean, cov, size=(n, horizon_days), method="svd")
        if rebalance:
            value = np.cumprod(1.0 + drawn @ w, axis=1)
        else:
            value = np.cumprod(1.0 + drawn, axis=1) @ w
        value = np.concatenate([np.ones((n, 1)), value], axis=1)
        fan[lo : lo + n] = value[:, days]
    pct = np.percentile(fan, [5, 50, 95], axis=0)
    final = fan[:, -1] - 1.0
    return {
        "method": method,
        "paths": paths,
        "horizon_days": horizon_days,
        "rebalance": rebalance,
        "seed": seed,
        "percentiles": {
            "p5": float(pct[0, -1] - 1),
            "p50": float(pct[1, -1] - 1),
            "p95": float(pct[2, -1] - 1),
        },
        "mean": float(final.mean()),
        "fan": {
            "day": days.tolist(),
            "p5": pct[0].tolist(),
            "p50": pct[1].tolist(),
            "p95": pct[2].tolist(),
        },
    }
