"""Reading price history files for the portfolio lab, with errors that say where the problem is.

A prices file is a CSV in one of two layouts:

- wide: a first column ``date`` (ISO ``YYYY-MM-DD``), then one column of prices per series,
  the header being the series code. A cell may be empty before a series starts (a stock
  listed later) or after it ends, never between two prices of the same series;
- long: columns ``date``, ``series``, ``price`` in any order, one price a line (the layout
  ``fincrm market import`` takes); it is pivoted to the wide layout.

Prices are positive numbers in the series' own currency unit. Every problem found is
reported at once (up to :data:`MAX_ERRORS`) in one :class:`fincrm.errors.InputError` whose
field errors have ``loc = (file name, line number, column)``; line 1 is the header.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fincrm.errors import FieldError, InputError

MAX_ERRORS = 50  # field errors reported per file; the message says when more were found
DATE_COLUMN = "date"
LONG_COLUMNS = ("date", "series", "price")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class _Problems:
    file_name: str
    errors: list[FieldError] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, column: str, msg: str, value: object = None) -> None:
        self.count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(loc=(self.file_name, line, column), msg=msg, input=value))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {self.count - 5} more)" if self.count > 5 else ""
        capped = f"; only the first {MAX_ERRORS} are listed" if self.count > MAX_ERRORS else ""
        raise InputError(
            f"prices file {self.file_name} has {self.count} problem(s){capped}: {shown}{more}. "
            "Fix the file and run again.",
            errors=self.errors,
        )


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _parse_price(
    problems: _Problems, text: str, *, line: int, series: str, on: dt.date | None
) -> float | None:
    """The price in ``text``, NaN for an empty cell, ``None`` (and a problem) if invalid."""
    text = text.strip()
    if text == "":
        return math.nan
    when = on.isoformat() if on is not None else "an unreadable date"
    try:
        price = float(text)
    except ValueError:
        problems.add(line, series, f"series {series} on {when}: price is not a number", text)
        return None
    if not math.isfinite(price) or price <= 0:
        problems.add(line, series, f"series {series} on {when}: price must be a positive number", text)
        return None
    return price


def _check_dates(problems: _Problems, dates: list[tuple[dt.date, int]], column: str, scope: str) -> None:
    """Report duplicates (both lines) and the first date out of order, for one scope."""
    seen: dict[dt.date, int] = {}
    previous: dt.date | None = None
    out_of_order = False
    for on, line in dates:
        if on in seen:
            problems.add(
                line,
                column,
                f"{scope}date {on.isoformat()} appears twice, on lines {seen[on]} and {line}",
                on.isoformat(),
            )
        else:
            seen[on] = line
            if previous is not None and on < previous and not out_of_order:
                out_of_order = True
                problems.add(
                    line,
                    column,
                    f"{scope}dates are not sorted: {on.isoformat()} on line {line} comes after "
                    f"{previous.isoformat()}; sort the file by date, oldest first",
                    on.isoformat(),
                )
            previous = on if previous is None or on > previous else previous


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader]
    except OSError as error:
        raise InputError(
            f"cannot read prices file {path}: {error.strerror or error}",
            errors=[FieldError(loc=(path.name,), msg="cannot read file", input=str(path))],
        ) from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(
            f"prices file {path.name} is not a UTF-8 CSV file: {error}",
            errors=[FieldError(loc=(path.name,), msg="not a UTF-8 CSV file")],
        ) from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(
            f"prices file {path.name} is empty; expected a header 'date,<series>,...'",
            errors=[FieldError(loc=(path.name, 1), msg="file is empty")],
        )
    return [cell.strip() for cell in rows[0][1]], rows[1:]


def _wide(problems: _Problems, header: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    series = header[1:]
    dates: list[tuple[dt.date, int]] = []
    values: list[list[float]] = []
    lines: list[int] = []
    for line, row in rows:
        if len(row) != len(header):
            problems.add(line, DATE_COLUMN, f"line has {len(row)} cells, the header has {len(header)}")
            continue
        on = _parse_date(row[0])
        if on is None:
            problems.add(line, DATE_COLUMN, "date is not an ISO date YYYY-MM-DD", row[0])
        prices = [
            _parse_price(problems, text, line=line, series=code, on=on)
            for code, text in zip(series, row[1:], strict=True)
        ]
        if on is None:
            continue
        dates.append((on, line))
        values.append([math.inf if p is None else p for p in prices])  # inf: reported, not a gap
        lines.append(line)
    _check_dates(problems, dates, DATE_COLUMN, "")
    frame = pd.DataFrame(
        np.array(values, dtype=np.float64).reshape(len(values), len(series)),
        index=pd.DatetimeIndex([on for on, _ in dates], name=DATE_COLUMN),
        columns=series,
    )
    frame["__line"] = lines
    return frame


def _long(problems: _Problems, header: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    where = {name.lower(): i for i, name in enumerate(header)}
    i_date, i_series, i_price = (where[name] for name in LONG_COLUMNS)
    records: list[tuple[dt.date, str, float, int]] = []
    by_series: dict[str, list[tuple[dt.date, int]]] = {}
    for line, row in rows:
        if len(row) != len(header):
            problems.add(line, DATE_COLUMN, f"line has {len(row)} cells, the header has {len(header)}")
            continue
        code = row[i_series].strip()
        on = _parse_date(row[i_date])
        if on is None:
            problems.add(line, DATE_COLUMN, f"series {code}: date is not an ISO date YYYY-MM-DD", row[i_date])
        if not code:
            problems.add(line, "series", "series code is empty")
            continue
        price = _parse_price(problems, row[i_price], line=line, series=code, on=on)
        if price is not None and math.isnan(price):
            problems.add(line, "price", f"series {code} on {on}: price is empty")
            continue
        if on is None:
            continue
        records.append((on, code, math.inf if price is None else price, line))  # inf: reported, not a gap
        by_series.setdefault(code, []).append((on, line))
    for code, dates in by_series.items():
        _check_dates(problems, dates, DATE_COLUMN, f"series {code}: ")
    long = pd.DataFrame(records, columns=["date", "series", "price", "line"])
    long = long.drop_duplicates(subset=["date", "series"], keep="first")
    frame = long.pivot(index="date", columns="series", values="price")
    frame.index = pd.DatetimeIndex(frame.index, name=DATE_COLUMN)
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.sort_index()
    # The line of each series' next price locates a gap in a long file.
    line_of = long.pivot(index="date", columns="series", values="line").sort_index()
    frame["__line"] = line_of.bfill().min(axis=1).fillna(0).astype(int).to_numpy()
    return frame


def _check_series(problems: _Problems, frame: pd.DataFrame, min_observations: int) -> None:
    """Report gaps inside a series' range and series that are too short."""
    values = frame.drop(columns="__line")
    lines = frame["__line"].to_numpy()
    present = values.notna().to_numpy()
    t = present.shape[0]
    rows = np.arange(t)[:, np.newaxis]
    first = present.argmax(axis=0) if t else np.zeros(present.shape[1], dtype=int)
    last = t - 1 - present[::-1].argmax(axis=0) if t else np.zeros(present.shape[1], dtype=int)
    gaps = (rows >= first) & (rows <= last) & ~present
    counts = present.sum(axis=0)
    for j, code in enumerate(values.columns):
        if gaps[:, j].any():
            row = int(gaps[:, j].argmax())
            missing = values.index[row].date().isoformat()
            problems.add(
                int(lines[row]),
                code,
                f"series {code} has no price on {missing} (and {int(gaps[:, j].sum())} date(s) in all) "
                "inside its own range while other series have one; fill the gap or drop the series",
                missing,
            )
        if counts[j] < min_observations:
            problems.add(
                1,
                code,
                f"series {code} has {int(counts[j])} price(s); at least {min_observations} are needed",
                int(counts[j]),
            )


def read_prices_csv(path: Path, *, min_observations: int = 2) -> pd.DataFrame:
    """Read a wide or long prices CSV into a frame indexed by date, one float column per series.

    Parameters
    ----------
    path
        The CSV file: wide (``date`` then one column per series code) or long (``date``,
        ``series``, ``price``). Dates are ISO ``YYYY-MM-DD``; prices are positive numbers in
        the series' currency unit.
    min_observations
        The fewest prices each series must have.

    Returns
    -------
    pandas.DataFrame
        Indexed by a ``DatetimeIndex`` named ``date``, sorted, one float64 column per series
        in file order (sorted by code for a long file); NaN only before a series starts or
        after it ends.

    Raises
    ------
    InputError
        Listing every problem found (up to 50), each with ``loc = (file, line, column)`` and
        a message naming the series and date: a missing ``date`` column, an unparseable date,
        dates out of order (the first one) or repeated (both lines), a price that is empty in
        a long file, not a number or not positive, a gap inside a series' range, a series
        with fewer than ``min_observations`` prices.
    """
    path = Path(path)
    problems = _Problems(path.name)
    header, rows = _read_rows(path)
    lowered = [name.lower() for name in header]
    if set(LONG_COLUMNS) <= set(lowered) and len(header) == len(LONG_COLUMNS):
        frame = _long(problems, header, rows)
    elif lowered and lowered[0] == DATE_COLUMN:
        codes = header[1:]
        if not codes or any(not code for code in codes) or len(set(codes)) != len(codes):
            problems.add(
                1, DATE_COLUMN, "header needs one distinct, non-empty series code per column", header
            )
            problems.raise_if_any()
        frame = _wide(problems, header, rows)
    else:
        raise InputError(
            f"prices file {path.name} has no 'date' column first; expected a header "
            "'date,<series>,...' (wide) or 'date,series,price' (long)",
            errors=[
                FieldError(
                    loc=(path.name, 1, header[0] if header else ""), msg="missing date column", input=header
                )
            ],
        )
    _check_series(problems, frame.sort_index(kind="stable"), min_observations)
    problems.raise_if_any()
    return frame.drop(columns="__line").sort_index().astype(np.float64)


def window(
    prices: pd.DataFrame,
    start: dt.date | None,
    end: dt.date | None,
    *,
    min_observations: int = 2,
) -> pd.DataFrame:
    """The rows of ``prices`` dated from ``start`` to ``end``, both included.

    Parameters
    ----------
    prices
        A frame indexed by date, as :func:`read_prices_csv` returns.
    start, end
        First and last date of the window; ``None`` leaves that side open.
    min_observations
        The fewest rows the window must keep.

    Returns
    -------
    pandas.DataFrame
        The slice, same columns.

    Raises
    ------
    InputError
        If ``start`` is after ``end`` or the window keeps fewer than ``min_observations``
        rows; the message names the window and the file's date range.
    """
    label = f"{start.isoformat() if start else 'start'} to {end.isoformat() if end else 'end'}"
    if start is not None and end is not None and start > end:
        raise InputError(
            f"window {label} is empty: the first date is after the last",
            errors=[FieldError(loc=("window",), msg="start is after end", input=label)],
        )
    index = pd.DatetimeIndex(prices.index)
    keep = np.ones(len(index), dtype=bool)
    if start is not None:
        keep &= index >= pd.Timestamp(start)
    if end is not None:
        keep &= index <= pd.Timestamp(end)
    sliced = prices.loc[keep]
    if len(sliced) < min_observations:
        span = (
            f"{index.min().date().isoformat()} to {index.max().date().isoformat()}"
            if len(index)
            else "no dates"
        )
        raise InputError(
            f"window {label} holds {len(sliced)} dated row(s); at least {min_observations} are "
            f"needed (the prices run {span}). Choose a wider window.",
            errors=[FieldError(loc=("window",), msg=f"needs at least {min_observations} rows", input=label)],
        )
    return sliced
