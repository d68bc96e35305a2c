"""Portfolio optimisation: minimum volatility, maximum Sharpe and risk parity. Pure.

Conventions
-----------
- Weights are fractions of the portfolio (0.25 = 25 %), long-only, summing to 1.
- ``mu`` is the expected return per asset as an annual fraction (0.05 = 5 % a year);
  ``cov`` is the annualised covariance of simple returns (fractions squared per year).
- Volatility is the annualised standard deviation, ``sqrt(w' cov w)``, as a fraction.
- ``risk_free_rate`` is an annual fraction (default 0.02 = 2 % a year); the Sharpe ratio is
  ``(w' mu - risk_free_rate) / volatility``.
- :func:`expected_returns_and_cov` estimates ``mu`` and ``cov`` from daily prices the way
  PyPortfolioOpt does (``mean_historical_return`` with compounding and ``sample_cov``):
  ``r = prices.pct_change().dropna(how="all")``, ``mu = (1 + r).prod() ** (periods_per_year /
  r.count()) - 1`` and ``cov = r.cov() * periods_per_year`` (pairwise, so assets with a
  shorter history are kept).

Solvers
-------
The mean-variance methods use PyPortfolioOpt's ``EfficientFrontier`` (cvxpy, Clarabel interior
point). PyPortfolioOpt has no equal-risk-contribution optimiser, so risk parity uses
``scipy.optimize`` (see :func:`optimize`). Before any solver runs, the linear constraints are
checked with a linear programme (HiGHS through ``scipy.optimize.linprog``); when they cannot
all hold, the error names a smallest set of constraints that conflict, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import pandas as pd
from pypfopt import EfficientFrontier
from pypfopt.exceptions import OptimizationError
from scipy.optimize import Bounds, LinearConstraint, linprog, minimize

from fincrm.errors import FieldError, InputError

METHODS = ("min_volatility", "max_sharpe", "target_risk", "risk_parity")

# Slack allowed when checking that a solution respects a bound or a cap (weight fraction).
CONSTRAINT_TOL = 1e-6
# Solver used by PyPortfolioOpt through cvxpy (interior point, accurate to ~1e-8 in weights).
CVXPY_SOLVER = "CLARABEL"

Groups = dict[str, tuple[list[int], float | None, float | None]]


@dataclass(frozen=True, slots=True)
class _Linear:
    """One linear constraint ``coeffs @ w <= rhs`` with its description in words."""

    words: str
    coeffs: np.ndarray
    rhs: float


def optimize(
    mu: np.ndarray,
    cov: np.ndarray,
    *,
    method: str,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    groups: Groups | None = None,
    risk_free_rate: float = 0.02,
    max_volatility: float | None = None,
    risk_budget: np.ndarray | None = None,
    asset_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Long-only portfolio weights summing to 1, by the chosen method under the given limits.

    Methods:

    - ``"min_volatility"``: the lowest-volatility portfolio (PyPortfolioOpt
      ``min_volatility``). With ``max_volatility`` the cap only has to be checked.
    - ``"target_risk"``: the highest expected return with volatility at most ``max_volatility``
      (required), i.e. the whole risk budget used (PyPortfolioOpt ``efficient_risk``).
    - ``"max_sharpe"``: the tangency portfolio (PyPortfolioOpt ``max_sharpe``). With
      ``max_volatility``, if the tangency portfolio is more volatile than the cap, the
      portfolio of highest expected return whose volatility stays within the cap
      (PyPortfolioOpt ``efficient_risk``); on the concave long-only frontier that is also
      the highest Sharpe ratio the cap allows.
    - ``"risk_parity"``: every asset contributes the same share of portfolio variance, or the
      shares given by ``risk_budget``. PyPortfolioOpt has no such optimiser and the problem
      is not a cvxpy-friendly program in weights, so it is solved with ``scipy.optimize``:
      without binding limits, the log-barrier form of Spinu (2013), ``min 0.5 y' cov y -
      sum(b log y)`` (strictly convex, unique solution, ``w = y / sum(y)``) by L-BFGS-B;
      when bounds or group limits rule that portfolio out, the standard least-squares
      objective ``sum((w_i (cov w)_i / w' cov w - b_i) ** 2)`` under the limits by SLSQP,
      which gives the contributions closest to the budget that the limits allow.
      ``max_volatility`` is not accepted: risk parity sets the risk mix, not its level.

    Parameters
    ----------
    mu
        Expected return per asset, annual fraction.
    cov
        Annualised covariance matrix, aligned with ``mu``.
    method
        One of ``METHODS``.
    lower, upper
        Per-asset weight bounds as fractions (default 0 and 1); a cash floor is a lower
        bound on the cash asset, a concentration limit an upper bound.
    groups
        ``{name: (asset indices, minimum share or None, maximum share or None)}``: limits
        on the summed weight of a group (equity share, a sector), as fractions.
    risk_free_rate
        Annual fraction; used by ``max_sharpe``.
    max_volatility
        Cap on annualised volatility as a fraction (0.10 = 10 % a year).
    risk_budget
        Target share of risk per asset for ``risk_parity`` (positive; normalised to sum 1).
    asset_names
        Names used in error messages (default ``asset 0``, ``asset 1``, ...).

    Returns
    -------
    numpy.ndarray
        Weights, fractions summing to 1, aligned with ``mu``.

    Raises
    ------
    InputError
        An unknown method, misshapen or non-finite input, a covariance matrix that is not
        positive semi-definite, limits that cannot all hold (the message names the ones that
        conflict), a volatility cap below the lowest volatility the limits allow, or, for
        ``max_sharpe``, no admissible portfolio beating the risk-free rate.
    """
    mu_a, cov_a, lo, hi, budget = _validate(
        mu, cov, method, lower, upper, groups, max_volatility, risk_budget, asset_names
    )
    n = mu_a.shape[0]
    names = list(asset_names) if asset_names is not None else [f"asset {i}" for i in range(n)]
    groups = groups or {}
    linear = _linear_constraints(lo, hi, groups, names)
    _check_feasible(n, linear)

    if method == "risk_parity":
        weights = _risk_parity(cov_a, budget, lo, hi, groups, linear, names)
    elif method == "min_volatility":
        weights = _min_volatility(mu_a, cov_a, lo, hi, groups)
        _check_volatility_cap(weights, cov_a, max_volatility, linear)
    elif method == "target_risk":
        weights = _target_risk(mu_a, cov_a, lo, hi, groups, max_volatility, linear)
    else:
        weights = _max_sharpe(mu_a, cov_a, lo, hi, groups, risk_free_rate, max_volatility, linear)
    return _tidy(weights)


def portfolio_performance(
    weights: np.ndarray, mu: np.ndarray, cov: np.ndarray, risk_free_rate: float = 0.02
) -> tuple[float, float, float]:
    """Expected annual return, annualised volatility and Sharpe ratio of a portfolio.

    Parameters
    ----------
    weights
        Fractions per asset.
    mu
        Expected annual return per asset, fraction.
    cov
        Annualised covariance matrix.
    risk_free_rate
        Annual fraction.

    Returns
    -------
    tuple[float, float, float]
        ``(annual_return, volatility, sharpe)``; return and volatility as annual fractions.
        The Sharpe ratio is ``nan`` for a portfolio with zero volatility.

    Examples
    --------
    >>> import numpy as np
    >>> ret, vol, sharpe = portfolio_performance(
    ...     np.array([0.5, 0.5]), np.array([0.04, 0.08]), np.diag([0.01, 0.04])
    ... )
    >>> round(ret, 4), round(vol, 4), round(sharpe, 4)
    (0.06, 0.1118, 0.3578)
    """
    w = np.asarray(weights, dtype=float)
    annual_return = float(w @ np.asarray(mu, dtype=float))
    variance = float(w @ np.asarray(cov, dtype=float) @ w)
    volatility = float(np.sqrt(max(variance, 0.0)))
    sharpe = (annual_return - risk_free_rate) / volatility if volatility > 0 else float("nan")
    return annual_return, volatility, float(sharpe)


def expected_returns_and_cov(
    prices: pd.DataFrame, periods_per_year: int = 252
) -> tuple[pd.Series, pd.DataFrame]:
    """Annual expected returns and annualised covariance from a table of prices.

    ``r = prices.pct_change().dropna(how="all")``; ``mu = (1 + r).prod() ** (periods_per_year
    / r.count()) - 1`` (compounded over each asset's own history); ``cov = r.cov() *
    periods_per_year`` (pairwise). Leading gaps (an asset listed later) are allowed.

    Parameters
    ----------
    prices
        One column per asset, one row per period, oldest first; positive prices.
    periods_per_year
        Rows per year (252 for daily trading prices).

    Returns
    -------
    tuple[pandas.Series, pandas.DataFrame]
        ``(mu, cov)`` labelled by the columns of ``prices``; ``mu`` as annual fractions.

    Raises
    ------
    InputError
        No rows or columns, non-numeric or non-positive prices, an asset with fewer than two
        prices, or a non-positive ``periods_per_year``.
    """
    errors: list[FieldError] = []
    if not isinstance(prices, pd.DataFrame) or prices.empty:
        raise InputError(
            "prices must be a non-empty table with one column per asset",
            errors=[FieldError(("prices",), "empty or not a DataFrame")],
        )
    if periods_per_year <= 0:
        errors.append(FieldError(("periods_per_year",), "must be positive", periods_per_year))
    for column in prices.columns:
        series = prices[column]
        if not pd.api.types.is_numeric_dtype(series):
            errors.append(FieldError(("prices", str(column)), "prices must be numbers"))
            continue
        if (series.dropna() <= 0).any():
            errors.append(FieldError(("prices", str(column)), "prices must be positive"))
        if series.count() < 2:
            errors.append(FieldError(("prices", str(column)), "needs at least two prices"))
    if errors:
        raise InputError("prices cannot give expected returns: " + "; ".join(map(str, errors)), errors=errors)
    returns = prices.pct_change(fill_method=None).dropna(how="all")
    mu = (1 + returns).prod() ** (periods_per_year / returns.count()) - 1
    cov = returns.cov() * periods_per_year
    return mu, cov


# -- validation and constraints ----------------------------------------------------------------


def _validate(
    mu, cov, method, lower, upper, groups, max_volatility, risk_budget, asset_names
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    if method not in METHODS:
        raise InputError(
            f"unknown optimisation method {method!r}; choose one of {', '.join(METHODS)}",
            errors=[FieldError(("method",), f"must be one of {', '.join(METHODS)}", method)],
        )
    errors: list[FieldError] = []
    mu_a = np.asarray(mu, dtype=float)
    cov_a = np.asarray(cov, dtype=float)
    if mu_a.ndim != 1 or mu_a.size == 0:
        raise InputError(
            "mu must be a non-empty vector", errors=[FieldError(("mu",), "not a vector", mu_a.shape)]
        )
    n = mu_a.size
    if cov_a.shape != (n, n):
        raise InputError(
            f"cov must be {n} x {n} to match mu",
            errors=[FieldError(("cov",), f"expected shape ({n}, {n})", cov_a.shape)],
        )
    if not np.all(np.isfinite(mu_a)):
        errors.append(FieldError(("mu",), "has missing or infinite values"))
    if not np.all(np.isfinite(cov_a)):
        errors.append(FieldError(("cov",), "has missing or infinite values"))
    elif not np.allclose(cov_a, cov_a.T, rtol=1e-10, atol=1e-12):
        errors.append(FieldError(("cov",), "is not symmetric"))
    else:
        eig = np.linalg.eigvalsh(cov_a)
        if eig[0] < -1e-10 * max(1.0, eig[-1]):
            errors.append(
                FieldError(("cov",), "is not positive semi-definite; use a shrunk estimate", eig[0])
            )
    if asset_names is not None and len(asset_names) != n:
        errors.append(FieldError(("asset_names",), f"needs {n} names", len(asset_names)))
    lo = np.zeros(n) if lower is None else np.asarray(lower, dtype=float)
    hi = np.ones(n) if upper is None else np.asarray(upper, dtype=float)
    for label, arr in (("lower", lo), ("upper", hi)):
        if arr.shape != (n,):
            errors.append(FieldError((label,), f"needs one bound per asset ({n})", arr.shape))
        elif not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
            errors.append(FieldError((label,), "bounds are fractions between 0 and 1 (long-only)"))
    for name, spec in (groups or {}).items():
        members, gmin, gmax = spec
        if not members or any(not 0 <= int(i) < n for i in members):
            errors.append(FieldError(("groups", name), f"asset indices must lie in 0..{n - 1}", members))
        for label, value in (("min", gmin), ("max", gmax)):
            if value is not None and not 0 <= value <= 1:
                errors.append(
                    FieldError(("groups", name, label), "must be a fraction between 0 and 1", value)
                )
    if max_volatility is not None:
        if not max_volatility > 0:
            errors.append(FieldError(("max_volatility",), "must be a positive fraction", max_volatility))
        elif method == "risk_parity":
            errors.append(
                FieldError(
                    ("max_volatility",),
                    "risk_parity sets the mix of risk, not its level; use min_volatility or "
                    "max_sharpe for a volatility cap",
                    max_volatility,
                )
            )
    budget = None
    if risk_budget is not None:
        budget = np.asarray(risk_budget, dtype=float)
        if method != "risk_parity":
            errors.append(FieldError(("risk_budget",), "only risk_parity takes a risk budget"))
        elif budget.shape != (n,) or not np.all(np.isfinite(budget)) or np.any(budget <= 0):
            errors.append(FieldError(("risk_budget",), f"needs {n} positive shares"))
        else:
            budget = budget / budget.sum()
    if errors:
        raise InputError("cannot optimise: " + "; ".join(map(str, errors)), errors=errors)
    return mu_a, cov_a, lo, hi, budget


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def _linear_constraints(lo: np.ndarray, hi: np.ndarray, groups: Groups, names: list[str]) -> list[_Linear]:
    """The limits other than ``w >= 0`` and ``sum(w) == 1``, each as ``a @ w <= b``."""
    n = lo.size
    out: list[_Linear] = []
    for i in range(n):
        unit = np.zeros(n)
        unit[i] = 1.0
        if lo[i] > 0:
            out.append(_Linear(f"minimum weight {_pct(lo[i])} on {names[i]}", -unit, -lo[i]))
        if hi[i] < 1:
            out.append(_Linear(f"maximum weight {_pct(hi[i])} on {names[i]}", unit, hi[i]))
    for name, (members, gmin, gmax) in groups.items():
        ind = np.zeros(n)
        ind[list(members)] = 1.0
        if gmin is not None and gmin > 0:
            out.append(_Linear(f"{name} at least {_pct(gmin)}", -ind, -gmin))
        if gmax is not None and gmax < 1:
            out.append(_Linear(f"{name} at most {_pct(gmax)}", ind, gmax))
    return out


def _feasible(n: int, linear: list[_Linear], objective: np.ndarray | None = None):
    """Solve the LP ``min objective @ w`` over long-only weights summing to 1 under ``linear``."""
    c = np.zeros(n) if objective is None else objective
    kwargs = {}
    if linear:
        kwargs = {"A_ub": np.array([c_.coeffs for c_ in linear]), "b_ub": np.array([c_.rhs for c_ in linear])}
    return linprog(c, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, 1)] * n, method="highs", **kwargs)


def _check_feasible(n: int, linear: list[_Linear]) -> None:
    """Raise InputError naming a smallest conflicting set when the limits cannot all hold."""
    if _feasible(n, linear).status != 2:  # 2 = infeasible
        return
    # Deletion filter: drop each limit in turn; keep it out if the rest still conflict.
    conflict = list(linear)
    for constraint in list(conflict):
        trial = [c for c in conflict if c is not constraint]
        if _feasible(n, trial).status == 2:
            conflict = trial
    words = "; ".join(c.words for c in conflict)
    raise InputError(
        f"these limits cannot all hold in a long-only portfolio that sums to 100%: {words}. "
        "Loosen one of them.",
        errors=[FieldError(("constraints",), c.words) for c in conflict],
    )


def _efficient_frontier(mu, cov, lo, hi, groups: Groups) -> EfficientFrontier:
    ef = EfficientFrontier(mu, cov, weight_bounds=list(zip(lo, hi, strict=True)), solver=CVXPY_SOLVER)
    for members, gmin, gmax in groups.values():
        idx = list(members)
        if gmin is not None and gmin > 0:
            ef.add_constraint(lambda w, idx=idx, gmin=gmin: cp.sum(w[idx]) >= gmin)
        if gmax is not None and gmax < 1:
            ef.add_constraint(lambda w, idx=idx, gmax=gmax: cp.sum(w[idx]) <= gmax)
    return ef


def _solve(ef: EfficientFrontier, step: str, **kwargs) -> np.ndarray:
    try:
        getattr(ef, step)(**kwargs)
    except OptimizationError as exc:
        raise InputError(
            f"the optimiser could not find a {step} portfolio under these limits ({exc}); "
            "check the covariance matrix and loosen the limits"
        ) from exc
    return np.asarray(ef.weights, dtype=float)


def _volatility(weights: np.ndarray, cov: np.ndarray) -> float:
    return float(np.sqrt(max(float(weights @ cov @ weights), 0.0)))


def _min_volatility(mu, cov, lo, hi, groups) -> np.ndarray:
    return _solve(_efficient_frontier(mu, cov, lo, hi, groups), "min_volatility")


def _check_volatility_cap(weights, cov, max_volatility, linear) -> None:
    if max_volatility is None:
        return
    vol = _volatility(weights, cov)
    if vol > max_volatility + CONSTRAINT_TOL:
        limits = "; ".join(c.words for c in linear) or "no other limits"
        raise InputError(
            f"volatility cap {_pct(max_volatility)} a year is below the lowest volatility these "
            f"limits allow ({_pct(vol)} a year; limits: {limits}). Raise the cap or loosen the limits.",
            errors=[FieldError(("max_volatility",), f"lowest achievable is {vol:.6f}", max_volatility)],
        )


def _max_sharpe(mu, cov, lo, hi, groups, risk_free_rate, max_volatility, linear) -> np.ndarray:
    n = mu.size
    best = _feasible(n, linear, objective=-mu)
    if -best.fun <= risk_free_rate + 1e-12:
        raise InputError(
            f"no portfolio allowed by these limits is expected to beat the risk-free rate "
            f"{_pct(risk_free_rate)} (best {_pct(-best.fun)} a year), so the Sharpe ratio cannot be "
            "maximised; use min_volatility",
            errors=[FieldError(("risk_free_rate",), "at or above every admissible return", risk_free_rate)],
        )
    weights = _solve(
        _efficient_frontier(mu, cov, lo, hi, groups), "max_sharpe", risk_free_rate=risk_free_rate
    )
    if max_volatility is None or _volatility(weights, cov) <= max_volatility + CONSTRAINT_TOL:
        return weights
    floor = _min_volatility(mu, cov, lo, hi, groups)
    _check_volatility_cap(floor, cov, max_volatility, linear)
    if _volatility(floor, cov) >= max_volatility:
        return floor
    return _solve(
        _efficient_frontier(mu, cov, lo, hi, groups), "efficient_risk", target_volatility=max_volatility
    )


def _target_risk(mu, cov, lo, hi, groups, max_volatility, linear) -> np.ndarray:
    """The highest expected return whose volatility is at most ``max_volatility`` (PyPortfolioOpt
    ``efficient_risk``): a robo-adviser's use of the client's whole risk budget. When even the
    least volatile portfolio allowed is above the cap, that is an error (``_check_volatility_cap``)."""
    if max_volatility is None:
        raise InputError(
            "target_risk needs max_volatility (the risk budget)",
            errors=[FieldError(("max_volatility",), "required for target_risk")],
        )
    # The highest return the limits allow is a linear programme (milliseconds); when its
    # volatility is within the cap it is the answer, and the quadratic solves are skipped.
    best = _feasible(mu.size, linear, objective=-mu)
    top = np.clip(best.x, 0.0, None)
    if _volatility(top / top.sum(), cov) <= max_volatility:
        return top / top.sum()
    floor = _min_volatility(mu, cov, lo, hi, groups)
    _check_volatility_cap(floor, cov, max_volatility, linear)
    if _volatility(floor, cov) >= max_volatility - CONSTRAINT_TOL:
        return floor
    return _solve(
        _efficient_frontier(mu, cov, lo, hi, groups), "efficient_risk", target_volatility=max_volatility
    )


# -- risk parity -------------------------------------------------------------------------------


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Share of portfolio variance carried by each asset, ``w_i (cov w)_i / w' cov w``.

    The shares sum to 1; a zero-volatility portfolio gives ``nan``.

    Examples
    --------
    >>> import numpy as np
    >>> risk_contributions(np.array([2 / 3, 1 / 3]), np.diag([0.01, 0.04])).round(4)
    array([0.5, 0.5])
    """
    w = np.asarray(weights, dtype=float)
    marginal = np.asarray(cov, dtype=float) @ w
    total = float(w @ marginal)
    if total <= 0:
        return np.full(w.shape, np.nan)
    return w * marginal / total


def _satisfies(weights: np.ndarray, linear: list[_Linear]) -> bool:
    return all(c.coeffs @ weights <= c.rhs + CONSTRAINT_TOL for c in linear)


def _risk_parity(cov, budget, lo, hi, groups, linear, names) -> np.ndarray:
    n = cov.shape[0]
    b = np.full(n, 1.0 / n) if budget is None else budget
    zero = [names[i] for i in range(n) if cov[i, i] <= 0]
    if zero:
        raise InputError(
            f"risk parity needs every asset to carry risk; zero variance: {', '.join(zero)}. "
            "Leave those assets out or use min_volatility.",
            errors=[FieldError(("cov", name), "zero variance") for name in zero],
        )
    unconstrained = _log_barrier_parity(cov, b)
    if _satisfies(unconstrained, linear):
        return unconstrained
    return _least_squares_parity(cov, b, lo, hi, groups, unconstrained)


def _log_barrier_parity(cov: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spinu's strictly convex form: ``min 0.5 y' cov y - b' log y`` over ``y > 0``.

    At the optimum ``y_i (cov y)_i = b_i``, so ``w = y / sum(y)`` has risk shares ``b``.
    """
    y0 = b / np.sqrt(np.diag(cov))
    y0 = y0 / np.sqrt(y0 @ cov @ y0)  # scaled so that y0' cov y0 = sum(b) = 1

    def fun(y):
        cy = cov @ y
        return 0.5 * y @ cy - b @ np.log(y), cy - b / y

    result = minimize(
        fun,
        y0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(1e-12, None)] * y0.size,
        options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 10_000},
    )
    y = result.x
    # Polish with Newton steps on the same objective (Hessian cov + diag(b / y^2) is positive
    # definite), which takes L-BFGS-B's ~1e-8 answer to machine precision.
    for _ in range(20):
        grad = cov @ y - b / y
        step = np.linalg.solve(cov + np.diag(b / y**2), grad)
        t = 1.0
        while np.any(y - t * step <= 0):
            t /= 2
        y = y - t * step
        if np.max(np.abs(step)) <= 1e-15 * np.max(y):
            break
    return y / y.sum()


def _least_squares_parity(cov, b, lo, hi, groups: Groups, start: np.ndarray) -> np.ndarray:
    """``min sum((w_i (cov w)_i / w' cov w - b_i)^2)`` under the limits, by SLSQP."""
    n = cov.shape[0]

    def fun(w):
        m = cov @ w
        s = float(w @ m)
        rc = w * m / s
        jac = (np.diag(m) + w[:, None] * cov) / s - 2 * np.outer(w * m, m) / s**2
        diff = rc - b
        return float(diff @ diff), 2 * jac.T @ diff

    rows, low, high = [], [], []
    for members, gmin, gmax in groups.values():
        ind = np.zeros(n)
        ind[list(members)] = 1.0
        rows.append(ind)
        low.append(0.0 if gmin is None else gmin)
        high.append(1.0 if gmax is None else gmax)
    x0 = np.clip(start, lo, hi)
    result = minimize(
        fun,
        x0,
        jac=True,
        method="SLSQP",
        bounds=Bounds(lo, hi),
        constraints=[LinearConstraint(np.ones((1, n)), 1.0, 1.0)]
        + ([LinearConstraint(np.array(rows), np.array(low), np.array(high))] if rows else []),
        options={"ftol": 1e-15, "maxiter": 1_000},
    )
    if not result.success:
        raise InputError(
            f"risk parity under these limits did not converge ({result.message}); loosen the limits "
            "or use min_volatility"
        )
    return np.clip(result.x, lo, hi)


def _tidy(weights: np.ndarray) -> np.ndarray:
    """Clear solver dust (|w| < 1e-10) and renormalise to sum exactly 1."""
    w = np.where(np.abs(weights) < 1e-10, 0.0, weights)
    w = np.clip(w, 0.0, None)
    return w / w.sum()
