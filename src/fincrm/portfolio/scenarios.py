"""Named stress scenarios and product look-through to asset classes. Pure.

Conventions: a *shock* is the stylised total return of one asset class over the scenario
window, as a fraction (``-0.55`` is a 55 % fall), in the currency of the index it was read
from (USD for US indices and gold, CNY for CSI 300). The numbers are approximate, rounded
index moves used only where no price series of the asset class covers the window (see
`fincrm.portfolio.stress`). Windows are calendar dates, both ends inclusive. Weights are
fractions of portfolio value (a fully invested portfolio sums to 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from fincrm.errors import FieldError, InputError
from fincrm.products.domain import AssetClass

ASSET_CLASSES: tuple[str, ...] = tuple(c.value for c in AssetClass)  # the known asset-class keys
EXPOSURE_SUM_TOLERANCE = 1e-6  # fraction: how far a product's exposure weights may be from 1


@dataclass(frozen=True)
class Scenario:
    """One historical or institution-defined stress window.

    ``shocks`` maps an asset class to its stylised total return over the window (fraction,
    e.g. ``-0.55``); ``source`` says in one line where the numbers come from.
    """

    key: str
    name_zh: str
    name_en: str
    start: date
    end: date
    shocks: dict[str, float] = field(hash=False)
    source: str = ""

    def as_dict(self) -> dict[str, object]:
        """The scenario as JSON-ready values (dates as ISO strings)."""
        return {
            "key": self.key,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "shocks": dict(self.shocks),
            "source": self.source,
        }


_SOURCE = (
    "Approximate, rounded index moves over the window: equity S&P 500 (CSI 300 for China 2015) "
    "price return, bond US aggregate bond index (ChinaBond composite for China 2015), commodity "
    "gold in USD, cash 3-month bills, real estate listed REITs (FTSE Nareit), alternative a "
    "hedge-fund composite (HFRI)."
)

SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario(
            key="dotcom",
            name_zh="互联网泡沫破裂",
            name_en="Dot-com bust",
            start=date(2000, 3, 24),
            end=date(2002, 10, 9),
            shocks={
                "equity": -0.49,
                "bond": 0.25,
                "commodity": 0.12,
                "cash": 0.08,
                "real_estate": 0.30,
                "alternative": 0.05,
            },
            source=_SOURCE,
        ),
        Scenario(
            key="gfc",
            name_zh="全球金融危机",
            name_en="Global financial crisis",
            start=date(2007, 10, 9),
            end=date(2009, 3, 9),
            shocks={
                "equity": -0.57,
                "bond": 0.06,
                "commodity": 0.25,
                "cash": 0.02,
                "real_estate": -0.70,
                "alternative": -0.20,
            },
            source=_SOURCE,
        ),
        Scenario(
            key="china_2015",
            name_zh="2015年A股股灾",
            name_en="China 2015 market crash",
            start=date(2015, 6, 8),
            end=date(2016, 1, 28),
            shocks={
                "equity": -0.45,
                "bond": 0.05,
                "commodity": -0.05,
                "cash": 0.02,
                "real_estate": -0.15,
                "alternative": -0.10,
            },
            source=_SOURCE,
        ),
        Scenario(
            key="covid",
            name_zh="新冠疫情冲击",
            name_en="COVID-19 crash",
            start=date(2020, 2, 19),
            end=date(2020, 3, 23),
            shocks={
                "equity": -0.34,
                "bond": -0.01,
                "commodity": -0.03,
                "cash": 0.001,
                "real_estate": -0.42,
                "alternative": -0.10,
            },
            source=_SOURCE,
        ),
        Scenario(
            key="rates_2022",
            name_zh="2022年加息冲击",
            name_en="2022 rate shock",
            start=date(2022, 1, 3),
            end=date(2022, 10, 12),
            shocks={
                "equity": -0.25,
                "bond": -0.16,
                "commodity": -0.07,
                "cash": 0.01,
                "real_estate": -0.33,
                "alternative": -0.05,
            },
            source=_SOURCE,
        ),
    )
}


def custom_scenario(
    key: str, name_zh: str, name_en: str, start: date, end: date, shocks: Mapping[str, float]
) -> Scenario:
    """An institution-defined scenario, checked before use.

    Parameters
    ----------
    key
        Short identifier, non-empty.
    name_zh, name_en
        Display names in Chinese and English, non-empty.
    start, end
        The window's first and last calendar day; ``start`` must be before ``end``.
    shocks
        Total return per asset class over the window, a fraction greater than -1 (a class
        cannot lose more than everything); keys among `ASSET_CLASSES`; at least one.

    Returns
    -------
    Scenario
        With ``source`` saying it is institution-defined.

    Raises
    ------
    InputError
        Listing every problem, each located by its field (``("shocks", "equity")`` for one shock).

    Examples
    --------
    >>> s = custom_scenario("t", "测试", "Test", date(2024, 1, 2), date(2024, 3, 1), {"equity": -0.2})
    >>> s.shocks
    {'equity': -0.2}
    """
    errors: list[FieldError] = []
    for name, value in (("key", key), ("name_zh", name_zh), ("name_en", name_en)):
        if not isinstance(value, str) or not value.strip():
            errors.append(FieldError((name,), "must be a non-empty text", value))
    dates_ok = True
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, date):
            errors.append(FieldError((name,), "must be a date", value))
            dates_ok = False
    if dates_ok and not start < end:
        errors.append(FieldError(("start",), f"must be before end ({end.isoformat()})", start.isoformat()))
    if not shocks:
        errors.append(FieldError(("shocks",), "give at least one asset-class shock", dict(shocks or {})))
    for asset_class, shock in dict(shocks or {}).items():
        if asset_class not in ASSET_CLASSES:
            errors.append(
                FieldError(
                    ("shocks", asset_class),
                    f"unknown asset class; use one of {', '.join(ASSET_CLASSES)}",
                    asset_class,
                )
            )
        elif not isinstance(shock, int | float) or not math.isfinite(shock) or shock <= -1:
            errors.append(
                FieldError(
                    ("shocks", asset_class), "must be a finite fraction greater than -1 (e.g. -0.3)", shock
                )
            )
    if errors:
        raise InputError("Invalid custom scenario: " + "; ".join(str(e) for e in errors), errors=errors)
    return Scenario(
        key=key,
        name_zh=name_zh,
        name_en=name_en,
        start=start,
        end=end,
        shocks={k: float(v) for k, v in shocks.items()},
        source="Institution-defined scenario.",
    )


def look_through(
    product_weights: Mapping[str, float], exposures: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """Asset-class weights of a portfolio of products, each product looked through.

    Parameters
    ----------
    product_weights
        Fraction of portfolio value per product code.
    exposures
        Per product code, its asset-class weights (fractions summing to 1 within
        `EXPOSURE_SUM_TOLERANCE`).

    Returns
    -------
    dict[str, float]
        Fraction of portfolio value per asset class; sums to the sum of ``product_weights``.

    Raises
    ------
    InputError
        A held product has no exposure record, or its exposure weights do not sum to 1;
        every such product is named.

    Examples
    --------
    >>> look_through(
    ...     {"balanced": 0.5, "deposit": 0.5},
    ...     {"balanced": {"equity": 0.6, "bond": 0.4}, "deposit": {"cash": 1.0}},
    ... )
    {'equity': 0.3, 'bond': 0.2, 'cash': 0.5}
    """
    errors: list[FieldError] = []
    out: dict[str, float] = {}
    for product, weight in product_weights.items():
        split = exposures.get(product)
        if not split:
            errors.append(
                FieldError(
                    ("exposures", product), "no asset-class exposure recorded for this product", product
                )
            )
            continue
        total = math.fsum(split.values())
        if abs(total - 1.0) > EXPOSURE_SUM_TOLERANCE:
            errors.append(FieldError(("exposures", product), "exposure weights must sum to 1", total))
            continue
        for asset_class, share in split.items():
            out[asset_class] = out.get(asset_class, 0.0) + weight * share
    if errors:
        raise InputError("Cannot look through: " + "; ".join(str(e) for e in errors), errors=errors)
    return out


def look_through_matrix(weights: np.ndarray, exposures: np.ndarray) -> np.ndarray:
    """Asset-class weights of many portfolios at once: ``weights @ exposures``.

    Parameters
    ----------
    weights
        (P portfolios x K products), fraction of each portfolio's value per product.
    exposures
        (K products x A asset classes), each row a product's asset-class weights summing to 1.

    Returns
    -------
    numpy.ndarray
        (P x A) fraction of each portfolio's value per asset class.

    Raises
    ------
    InputError
        Shapes do not match, or an exposure row does not sum to 1 (the rows are named).

    Examples
    --------
    >>> look_through_matrix(np.array([[0.5, 0.5]]), np.array([[0.6, 0.4], [0.0, 1.0]]))
    array([[0.3, 0.7]])
    """
    w = np.asarray(weights, dtype=float)
    e = np.asarray(exposures, dtype=float)
    if w.ndim != 2 or e.ndim != 2 or w.shape[1] != e.shape[0]:
        raise InputError(
            f"weights (P x K) and exposures (K x A) do not fit: got {w.shape} and {e.shape}",
            errors=[FieldError(("exposures",), "needs one row per product column of weights", list(e.shape))],
        )
    bad = np.flatnonzero(np.abs(e.sum(axis=1) - 1.0) > EXPOSURE_SUM_TOLERANCE)
    if bad.size:
        rows = [int(i) for i in bad]
        raise InputError(
            f"exposure rows {rows} do not sum to 1",
            errors=[FieldError(("exposures", i), "exposure weights must sum to 1") for i in rows],
        )
    return w @ e
