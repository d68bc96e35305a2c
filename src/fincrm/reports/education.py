"""Risk-education one-pagers (投资者教育): leverage, volatility and drawdown in plain words.

Each topic is one page whose numbers come from the lake's own index history: the equity index
(``EQUITY_SERIES``, CSI 300) and the bond index (``BOND_SERIES``, ChinaBond composite), and where
it helps the client's own holdings (their equity share, for volatility).

Conventions
-----------
- Returns are simple and fractions (0.01 is 1 %); volatility is annualised with 252 trading days
  (:mod:`fincrm.portfolio.metrics`); "a typical year moves about ±x %" uses one annualised standard
  deviation (about two years in three stay within it).
- Leverage is borrowed money taken once at the start of the window: with ``k`` times leverage the
  client's stake is ``1 + k × (index change since the start)``, floored at zero (a stake that hits
  zero is wiped out and stays so); the cost of borrowing is left out, which flatters leverage.
- Monthly returns run from one month's last trading day to the next.
- Drawdown is the fall from the running peak (:func:`fincrm.portfolio.metrics.drawdown_periods`);
  recovery is counted in trading days from the trough to the first close back at the old peak.
- The gain needed to recover from a fall ``d`` (negative fraction) is ``1 / (1 + d) - 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.portfolio import metrics
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.reader import ClientReader

TOPICS = ("leverage", "volatility", "drawdown")
EQUITY_SERIES = "CSI300"  # the equity index the pages speak about
BOND_SERIES = "CBA_BOND"  # the bond index set against it
HISTORY_DAYS = 10 * 366  # calendar days of history read (all the lake has, up to ten years)
YEAR_DAYS = 252  # trading days in a year: the leverage window
LEVERAGES = (1, 2, 3)  # times the client's own money
BIG_FALL = -0.33  # the fall shown at the highest leverage, fraction
MIN_DAYS = 60  # trading days a topic needs at the least
RECOVERY_FALLS = (-0.10, -0.20, -0.30, -0.50)  # falls whose recovery gain is tabulated


def gain_to_recover(fall: float) -> float:
    """The gain that brings a value back after a fall (both fractions).

    Examples
    --------
    >>> round(gain_to_recover(-0.10), 4), gain_to_recover(-0.5)
    (0.1111, 1.0)
    """
    if not -1 < fall <= 0:
        raise InputError(f"a fall is a fraction between -1 (excluded) and 0, got {fall}")
    return 1 / (1 + fall) - 1


def leveraged_path(prices: pd.Series, leverage: float) -> pd.Series:
    """The client's stake, per 1 of own money, when ``leverage`` times it is in the index.

    Borrowed once at the start, no borrowing cost; a stake that reaches zero stays at zero.

    Examples
    --------
    >>> p = pd.Series([100.0, 110.0, 60.0, 90.0])
    >>> leveraged_path(p, 2).round(2).tolist()
    [1.0, 1.2, 0.2, 0.8]
    >>> leveraged_path(p, 3).round(2).tolist()
    [1.0, 1.3, 0.0, 0.0]
    """
    stake = 1 + leverage * (prices / prices.iloc[0] - 1)
    wiped = (stake <= 0).cummax()
    return stake.where(~wiped, 0.0)


def monthly_returns(prices: pd.Series) -> pd.Series:
    """Returns from each month's last trading day to the next month's (first month dropped).

    Examples
    --------
    >>> idx = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-29", "2024-03-28"])
    >>> monthly_returns(pd.Series([9.0, 10.0, 11.0, 9.9], index=idx)).round(3).tolist()
    [0.1, -0.1]
    """
    month_end = prices.groupby(prices.index.to_period("M")).last()
    out = month_end.pct_change().dropna()
    out.index = prices.groupby(prices.index.to_period("M")).apply(lambda s: s.index[-1]).loc[out.index]
    return out


@dataclass(frozen=True)
class EducationFacts:
    topic: str
    as_of: date
    data_as_of: date
    equity: pd.Series  # CSI 300 closes, date index
    bond: pd.Series  # bond index closes, date index (may be empty for leverage and drawdown)
    equity_share: float | None  # share of the client's holdings in equity, None without holdings


def load(reader: ClientReader, topic: str) -> EducationFacts:
    """Read the index history (and the client's equity share) a topic needs."""
    start = reader.as_of - timedelta(days=HISTORY_DAYS)
    wide = reader.prices([EQUITY_SERIES, BOND_SERIES], start, reader.as_of)
    need = (EQUITY_SERIES, BOND_SERIES) if topic == "volatility" else (EQUITY_SERIES,)
    series = {s: wide[s].dropna() if s in wide.columns else pd.Series(dtype=float) for s in need}
    short = [s for s, v in series.items() if len(v) < MIN_DAYS]
    if short:
        raise InputError(
            f"too little price history for {', '.join(short)} up to {reader.as_of} "
            f"(a {topic} page needs at least {MIN_DAYS} trading days): import prices first"
        )
    equity = series[EQUITY_SERIES]
    share = None
    if topic == "volatility":
        positions = reader.positions()
        total = sum(p.value for p in positions)
        if total > 0:
            share = sum(p.value * p.exposures.get("equity", 0.0) for p in positions) / total
    return EducationFacts(
        topic=topic, as_of=reader.as_of, data_as_of=equity.index[-1].date(), equity=equity,
        bond=series.get(BOND_SERIES, pd.Series(dtype=float)), equity_share=share,
    )  # fmt: skip


# ----- numbers (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class LeverageNumbers:
    start_on: date
    end_on: date
    paths: dict[int, pd.Series]  # leverage -> stake per 1 of own money
    index_change: float  # index return over the window
    worst_index_fall: float  # worst fall from the window's start, <= 0
    ends: dict[int, float]  # leverage -> return of own money over the window
    lows: dict[int, float]  # leverage -> worst point of own money, return from the start
    big_fall_loss: float  # what BIG_FALL does to own money at the highest leverage


def leverage_numbers(equity: pd.Series) -> LeverageNumbers:
    """1×/2×/3× on the index's last year of closes."""
    window = equity.iloc[-(YEAR_DAYS + 1) :]
    paths = {k: leveraged_path(window, k) for k in LEVERAGES}
    top = max(LEVERAGES)
    return LeverageNumbers(
        start_on=window.index[0].date(), end_on=window.index[-1].date(), paths=paths,
        index_change=float(window.iloc[-1] / window.iloc[0] - 1),
        worst_index_fall=float(min(0.0, (window / window.iloc[0]).min() - 1)),
        ends={k: float(p.iloc[-1] - 1) for k, p in paths.items()},
        lows={k: float(p.min() - 1) for k, p in paths.items()},
        big_fall_loss=max(-1.0, top * BIG_FALL),
    )  # fmt: skip


@dataclass(frozen=True)
class VolatilityNumbers:
    start_on: date
    end_on: date
    vol: dict[str, float]  # series -> annualised volatility
    monthly: dict[str, pd.Series]  # series -> monthly returns
    best: dict[str, float]
    worst: dict[str, float]


def volatility_numbers(equity: pd.Series, bond: pd.Series) -> VolatilityNumbers:
    """Annualised volatility and monthly return range of both indices over their common history."""
    both = pd.concat({EQUITY_SERIES: equity, BOND_SERIES: bond}, axis=1).dropna()
    vol, monthly = {}, {}
    for s in (EQUITY_SERIES, BOND_SERIES):
        vol[s] = float(metrics.annual_volatility(metrics.simple_returns(both[s].to_numpy())))
        monthly[s] = monthly_returns(both[s])
    return VolatilityNumbers(
        start_on=both.index[0].date(), end_on=both.index[-1].date(), vol=vol, monthly=monthly,
        best={s: float(m.max()) for s, m in monthly.items()}, worst={s: float(m.min()) for s, m in monthly.items()},
    )  # fmt: skip


@dataclass(frozen=True)
class DrawdownNumbers:
    start_on: date
    end_on: date
    path: pd.Series  # drawdown from the running peak, <= 0
    depth: float
    peak_on: date
    trough_on: date
    recovery_on: date | None
    recovery_trading_days: int | None  # trough to recovery; None when not yet recovered
    current: float  # drawdown on the last day
    gains: list[tuple[float, float]]  # (fall, gain needed), the worst fall last


def drawdown_numbers(equity: pd.Series) -> DrawdownNumbers:
    """The index's drawdown path, its worst fall and the trading days it took to recover."""
    found = metrics.drawdown_periods(equity)
    path = equity / equity.cummax() - 1
    days = None
    if found["recovery_on"] is not None:
        idx = equity.index
        days = int(
            idx.get_loc(pd.Timestamp(found["recovery_on"])) - idx.get_loc(pd.Timestamp(found["trough_on"]))
        )
    depth = float(found["depth"])
    gains = [(f, gain_to_recover(f)) for f in RECOVERY_FALLS]
    if depth < 0:
        gains.append((depth, gain_to_recover(depth)))
    return DrawdownNumbers(
        start_on=equity.index[0].date(), end_on=equity.index[-1].date(), path=path, depth=depth,
        peak_on=found["peak_on"], trough_on=found["trough_on"], recovery_on=found["recovery_on"],
        recovery_trading_days=days, current=float(path.iloc[-1]), gains=gains,
    )  # fmt: skip


# ----- documents (pure) -----------------------------------------------------------------------


def _points(series: pd.Series, step: int = 1, digits: int = 4) -> tuple[tuple[date, float], ...]:
    picked = series.iloc[::step]
    if picked.index[-1] != series.index[-1]:
        picked = pd.concat([picked, series.iloc[-1:]])
    return tuple((d.date(), round(float(v), digits)) for d, v in picked.items())


def build(facts: EducationFacts, *, lang: str, fmt: Formatter) -> Document:
    """The one-pager of ``facts.topic`` in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    builders: dict[str, Callable[..., tuple[str, dict, dict, dict]]] = {
        "leverage": _leverage, "volatility": _volatility, "drawdown": _drawdown,
    }  # fmt: skip
    title, context, chart_map, figures = builders[facts.topic](facts, _, fmt)
    context["topic"] = facts.topic
    return Document(
        kind="education", lang=lang, title=title, subject=_("Investor education"),
        as_of=facts.as_of, data_as_of=facts.data_as_of, context=context, charts=chart_map, figures=figures,
    )  # fmt: skip


def _leverage(facts: EducationFacts, _: Callable[[str], str], fmt: Formatter) -> tuple:
    n = leverage_numbers(facts.equity)
    top = max(LEVERAGES)
    figures = {
        "window": f"{fmt.date(n.start_on)} – {fmt.date(n.end_on)}",
        "index_change": fmt.pct(n.index_change),
        "worst_index_fall": fmt.pct(abs(n.worst_index_fall)),
        **{f"end_{k}x": fmt.pct(n.ends[k]) for k in LEVERAGES},
        **{f"low_{k}x": fmt.pct(n.lows[k]) for k in LEVERAGES},
        "big_fall": fmt.pct(abs(BIG_FALL), 0),
        "big_fall_loss": fmt.pct(abs(n.big_fall_loss), 0),
    }
    series = tuple(charts.Series(_("%(k)s× leverage") % {"k": k}, _points(n.paths[k] - 1)) for k in LEVERAGES)
    chart_map = {
        "paths": charts.LineChart(
            title=_("The same year of the CSI 300 with 1×, 2× and 3× leverage"),
            series=series, y_format="pct", zero_line=True, height=250,
        )
    }  # fmt: skip
    rows = [{"k": k, "end": figures[f"end_{k}x"], "low": figures[f"low_{k}x"]} for k in LEVERAGES]
    return (_("Leverage: borrowed money multiplies gains and losses alike"),
            {"rows": rows, "top": top}, chart_map, figures)  # fmt: skip


def _volatility(facts: EducationFacts, _: Callable[[str], str], fmt: Formatter) -> tuple:
    n = volatility_numbers(facts.equity, facts.bond)
    names = {EQUITY_SERIES: _("CSI 300 (shares)"), BOND_SERIES: _("ChinaBond composite (bonds)")}
    figures = {
        "window": f"{fmt.date(n.start_on)} – {fmt.date(n.end_on)}",
        "equity_vol": fmt.pct(n.vol[EQUITY_SERIES]),
        "bond_vol": fmt.pct(n.vol[BOND_SERIES]),
        "equity_best_month": fmt.pct(n.best[EQUITY_SERIES]),
        "equity_worst_month": fmt.pct(n.worst[EQUITY_SERIES]),
        "bond_best_month": fmt.pct(n.best[BOND_SERIES]),
        "bond_worst_month": fmt.pct(n.worst[BOND_SERIES]),
        "ratio": f"{n.vol[EQUITY_SERIES] / n.vol[BOND_SERIES]:.0f}" if n.vol[BOND_SERIES] > 0 else "—",
    }
    if facts.equity_share:
        figures["equity_share"] = fmt.pct(facts.equity_share)
    chart_map = {
        "monthly": charts.LineChart(
            title=_("Monthly returns: shares against bonds"),
            series=tuple(charts.Series(names[s], _points(n.monthly[s])) for s in (EQUITY_SERIES, BOND_SERIES)),
            y_format="pct", zero_line=True, height=210,
        ),
        "range": charts.BarChart(
            title=_("Best and worst month"),
            categories=(names[EQUITY_SERIES], names[BOND_SERIES]),
            groups=((_("Best month"), (round(n.best[EQUITY_SERIES], 4), round(n.best[BOND_SERIES], 4))),
                    (_("Worst month"), (round(n.worst[EQUITY_SERIES], 4), round(n.worst[BOND_SERIES], 4)))),
            y_format="pct", horizontal=True, height=120,
        ),
    }  # fmt: skip
    rows = [
        {"name": names[s], "vol": figures[f"{k}_vol"], "best": figures[f"{k}_best_month"],
         "worst": figures[f"{k}_worst_month"]}
        for s, k in ((EQUITY_SERIES, "equity"), (BOND_SERIES, "bond"))
    ]  # fmt: skip
    return (_("Volatility: how far a typical year swings"), {"rows": rows}, chart_map, figures)


def _drawdown(facts: EducationFacts, _: Callable[[str], str], fmt: Formatter) -> tuple:
    n = drawdown_numbers(facts.equity)
    figures = {
        "window": f"{fmt.date(n.start_on)} – {fmt.date(n.end_on)}",
        "depth": fmt.pct(n.depth),
        "peak_on": fmt.date(n.peak_on),
        "trough_on": fmt.date(n.trough_on),
        "recovery": str(n.recovery_trading_days) if n.recovery_trading_days is not None else _("not yet recovered"),
        "gain_needed": fmt.pct(gain_to_recover(n.depth)) if n.depth < 0 else fmt.pct(0.0),
    }  # fmt: skip
    if n.recovery_on is None:
        figures["current"] = fmt.pct(n.current)
    step = max(1, len(n.path) // 250)
    chart_map = {
        "path": charts.LineChart(
            title=_("CSI 300: fall from its previous peak"),
            series=(charts.Series(_("Drawdown"), _points(n.path, step)),),
            markers=(charts.Marker(n.trough_on, _("Worst point %(d)s") % {"d": figures["depth"]}),),
            y_format="pct", zero_line=True, height=250,
        )
    }  # fmt: skip
    gains = [{"fall": fmt.pct(f), "gain": fmt.pct(g), "worst": i == len(RECOVERY_FALLS)}
             for i, (f, g) in enumerate(n.gains)]  # fmt: skip
    return (_("Drawdown: a fall takes a bigger gain to undo"),
            {"gains": gains, "recovered": n.recovery_on is not None,
             "recovery_on": fmt.date(n.recovery_on) if n.recovery_on else ""}, chart_map, figures)  # fmt: skip


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The one-pager for ``subject`` (a topic of ``TOPICS``); the key is the topic."""
    topic = subject.strip()
    if topic not in TOPICS:
        raise InputError(
            f"unknown education topic {subject!r}; choose one of {', '.join(TOPICS)}",
            errors=[FieldError(("subject",), f"one of {', '.join(TOPICS)}", subject)],
        )
    return build(load(reader, topic), lang=lang, fmt=fmt), topic
