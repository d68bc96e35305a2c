"""Column-at-a-time parsing and checking of import values against declared fields.

Every function here works on whole Arrow columns (pyarrow compute, numpy), never row by row, so
a million-row feed validates in seconds. A value that fails becomes null in the typed column and
its row is recorded in `Issues` with the column name and the reason.

Accepted text forms (the documented import format; a mapping can convert anything else):

- ``int``: optional sign and up to 18 digits
- ``float``: decimal or scientific notation, finite
- ``amount``/``units``/``rate``: plain decimal (``-1234.50``); digits past the scale must be zeros
  (``1.500`` is an amount, ``1.505`` is rejected, not rounded)
- ``date``: ``YYYY-MM-DD`` (or the mapping's ``format``, zero-padded)
- ``timestamp``: ``YYYY-MM-DD HH:MM[:SS[.ffffff]]`` with ``T`` or a space, optionally followed by
  ``Z`` or an offset ``+08:00``; without an offset the business timezone applies; stored in UTC
- ``bool``: true/false, 1/0, yes/no, y/n, 是/否 (any case)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fincrm.core.fields import Field
from fincrm.errors import FieldError

TRUE_TEXT = ("true", "1", "yes", "y", "是")
FALSE_TEXT = ("false", "0", "no", "n", "否")
INT_PATTERN = r"^[+-]?\d{1,18}$"
FLOAT_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
DECIMAL_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
TIMESTAMP_PATTERN = (
    r"^(?P<day>\d{4}-\d{2}-\d{2})[T ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
PLAIN_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$"
TIMESTAMP_FORM = "YYYY-MM-DD HH:MM[:SS[.ffffff]] with an optional offset such as +08:00 or Z"


def _mask(values: Any) -> np.ndarray:
    """A boolean Arrow or numpy array as numpy, null counting as False."""
    if isinstance(values, np.ndarray):
        return values.astype(bool, copy=False)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


@dataclass
class Issues:
    """Problems with rows, kept as (rows, column, message, shown values) groups until reported.

    ``message`` is one string for the whole group or one string per row.
    """

    num_rows: int
    groups: list[tuple[np.ndarray, str, str | Sequence[str], Sequence[Any] | None]] = field(
        default_factory=list
    )

    def add(
        self,
        rows: np.ndarray,
        column: str,
        message: str | Sequence[str],
        shown: Sequence[Any] | pa.Array | None = None,
    ) -> None:
        """Record ``message`` for ``rows`` (0-based indices); ``shown`` aligns with ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        if isinstance(shown, pa.Array | pa.ChunkedArray):
            shown = shown.to_pylist()
        self.groups.append((rows, column, message, shown))

    def add_mask(
        self, mask: Any, column: str, message: str, values: pa.Array | pa.ChunkedArray | None
    ) -> None:
        """Record ``message`` for every row where ``mask`` is true, showing ``values`` there."""
        rows = np.flatnonzero(_mask(mask))
        if rows.size:
            shown = None if values is None else _array(values).take(pa.array(rows)).to_pylist()
            self.add(rows, column, message, shown)

    def bad_rows(self) -> np.ndarray:
        """Boolean mask of the rows with at least one problem."""
        bad = np.zeros(self.num_rows, dtype=bool)
        for rows, *_ in self.groups:
            bad[rows] = True
        return bad

    def __bool__(self) -> bool:
        return bool(self.groups)

    def field_errors(self, file: str, lines: np.ndarray) -> list[FieldError]:
        """One `FieldError` per problem, located ``(file, line, column)``, ordered by line."""
        errors = []
        for order, (rows, column, message, shown) in enumerate(self.groups):
            for i, row in enumerate(rows.tolist()):
                msg = message if isinstance(message, str) else message[i]
                value = None if shown is None else shown[i]
                errors.append(
                    (int(lines[row]), order, FieldError((file, int(lines[row]), column), msg, value))
                )
        errors.sort(key=lambda e: (e[0], e[1]))
        return [e[2] for e in errors]

    def by_row(self) -> dict[int, list[str]]:
        """Row index to its problems as ``column: message`` texts (for the rejects file)."""
        found: dict[int, list[str]] = {}
        for rows, column, message, _shown in self.groups:
            for i, row in enumerate(rows.tolist()):
                msg = message if isinstance(message, str) else message[i]
                found.setdefault(row, []).append(f"{column}: {msg}")
        return found


def clean_text(values: pa.Array | pa.ChunkedArray, *, trim: bool, nulls: Sequence[str]) -> pa.Array:
    """Trim text (Unicode whitespace, incl. the ideographic space) and turn null markers into null.

    Non-text columns (Parquet, expression results) are returned unchanged.

    Examples
    --------
    >>> clean_text(pa.array([" a ", "?", "\\u3000", None]), trim=True, nulls=("", "?")).to_pylist()
    ['a', None, None, None]
    """
    values = _array(values)
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    if not pa.types.is_string(values.type):
        return values
    if trim:
        values = pc.utf8_trim_whitespace(values)
    if nulls:
        values = pc.if_else(pc.is_in(values, value_set=pa.array(list(nulls), pa.string())), None, values)
    return values


def as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any column as text, for messages, rejects files and text-typed fields."""
    values = _array(values)
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_large_string(values.type) or pa.types.is_binary(values.type):
        return values.cast(pa.string())
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "true", "false")
    return values.cast(pa.string())


@dataclass(frozen=True, slots=True)
class Parsed:
    """A column converted to its field's Arrow type; failed rows are null and listed."""

    values: pa.Array
    problems: list[tuple[np.ndarray, str]]


def convert(
    values: pa.Array | pa.ChunkedArray, spec: Field, *, tz: ZoneInfo, fmt: str | None = None
) -> Parsed:
    """Convert a column (text or typed) to ``spec``'s type, recording the rows that fail.

    Parameters
    ----------
    values
        The column after trimming and null markers.
    spec
        The declared field.
    tz
        Business timezone, for timestamps without an offset.
    fmt
        strptime format for ``date`` and ``timestamp`` text (a mapping's ``format``).

    Returns
    -------
    Parsed
        Typed values (null where absent or failed) and ``(bool mask, reason)`` per problem kind.

    Examples
    --------
    >>> from fincrm.core.fields import Field
    >>> parsed = convert(pa.array(["1.50", "1.505", "x", None]), Field("a", "amount"), tz=ZoneInfo("UTC"))
    >>> parsed.values.to_pylist()
    [Decimal('1.50'), None, None, None]
    >>> [(m.nonzero()[0].tolist(), why) for m, why in parsed.problems if m.any()]
    [([2], 'not a decimal number'), ([1], 'more than 2 decimal places')]
    """
    values = _array(values)
    kind = spec.kind
    if kind == "string":
        return Parsed(as_text(values), [])
    if kind == "int":
        return _to_int(values)
    if kind == "float":
        return _to_float(values)
    if kind in ("amount", "units", "rate"):
        return _to_decimal(values, spec.arrow_type)
    if kind == "date":
        return _to_date(values, tz, fmt)
    if kind == "timestamp":
        return _to_timestamp(values, tz, fmt)
    if kind == "bool":
        return _to_bool(values)
    raise ValueError(f"unknown field kind {kind!r}")


def _failed(source: pa.Array, result: pa.Array) -> np.ndarray:
    """Rows with a value in ``source`` but none in ``result``."""
    return _mask(pc.and_(source.is_valid(), result.is_null()))


def _to_int(values: pa.Array) -> Parsed:
    target = pa.int64()
    if pa.types.is_integer(values.type):
        try:
            return Parsed(values.cast(target), [])
        except pa.ArrowInvalid:
            values = as_text(values)
    elif pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
        whole = (
            pc.equal(pc.floor(values), values)
            if pa.types.is_floating(values.type)
            else pc.equal(pc.round(values, 0), values)
        )
        whole = pc.and_(whole, pc.less(pc.abs(values.cast(pa.float64())), 9e18))
        ok = pc.fill_null(whole, False)
        out = pc.if_else(ok, values, None).cast(target, safe=False)
        return Parsed(out, [(_failed(values, out), "not a whole number")])
    values = as_text(values)
    ok = pc.match_substring_regex(values, INT_PATTERN)
    out = pc.replace_substring_regex(pc.if_else(ok, values, None), r"^\+", "").cast(target)
    return Parsed(out, [(_failed(values, out), "not an integer")])


def _to_float(values: pa.Array) -> Parsed:
    target = pa.float64()
    if (
        pa.types.is_integer(values.type)
        or pa.types.is_decimal(values.type)
        or pa.types.is_floating(values.type)
    ):
        out = values.cast(target)
        finite = pc.is_finite(out)
        out = pc.if_else(finite, out, None)
        return Parsed(out, [(_failed(values, out), "not a finite number")])
    values = as_text(values)
    ok = pc.match_substring_regex(values, FLOAT_PATTERN)
    out = pc.replace_substring_regex(pc.if_else(ok, values, None), r"^\+", "").cast(target)
    out = pc.if_else(pc.is_finite(out), out, None)
    return Parsed(out, [(_failed(values, out), "not a number")])


def _to_decimal(values: pa.Array, target: pa.Decimal128Type) -> Parsed:
    scale, integer_digits = target.scale, target.precision - target.scale
    if pa.types.is_integer(values.type):
        values = as_text(values)
    elif pa.types.is_decimal(values.type) and values.type.scale <= scale:
        values = as_text(values)
    elif not pa.types.is_string(values.type):
        values = as_text(values)  # floats (Excel, Parquet) as their shortest decimal text
    number = pc.match_substring_regex(values, DECIMAL_PATTERN)
    parts = pc.extract_regex(
        pc.if_else(number, values, None), r"^[+-]?0*(?P<whole>\d*)\.?(?P<fraction>\d*?)0*$"
    )
    whole_len = pc.utf8_length(pc.struct_field(parts, "whole"))
    fraction_len = pc.utf8_length(pc.struct_field(parts, "fraction"))
    too_precise = pc.greater(fraction_len, scale)
    too_large = pc.greater(whole_len, integer_digits)
    ok = pc.and_(number, pc.invert(pc.or_(too_precise, too_large)))
    out = pc.if_else(ok, values, None).cast(target)
    problems = [
        (_mask(pc.and_(values.is_valid(), pc.invert(number))), "not a decimal number"),
        (_mask(too_precise), f"more than {scale} decimal places"),
        (
            _mask(pc.and_kleene(too_large, pc.invert(too_precise))),
            f"more than {integer_digits} digits before the point",
        ),
    ]
    return Parsed(out, problems)


def _strict_cast(values: pa.Array, shaped: pa.Array, target: pa.DataType) -> pa.Array | None:
    """Arrow's own ISO-8601 cast when every value has the expected shape and is valid, else None.

    Arrow's cast refuses impossible dates and times (30 February, 24:00) for the whole column;
    then the caller takes the slower path that finds the bad rows one by one.
    """
    if pc.all(pc.or_(shaped, values.is_null())).as_py() is False:
        return None
    try:
        return values.cast(target)
    except pa.ArrowInvalid:
        return None


def _roundtrip(text: pa.Array, fmt: str, unit: str) -> pa.Array:
    """strptime that refuses what it would silently normalise (30 February becomes 1 March)."""
    parsed = pc.strptime(text, format=fmt, unit=unit, error_is_null=True)
    same = pc.equal(pc.strftime(parsed, format=fmt), text)
    return pc.if_else(pc.fill_null(same, False), parsed, None)


def _to_date(values: pa.Array, tz: ZoneInfo, fmt: str | None) -> Parsed:
    target = pa.date32()
    if pa.types.is_date(values.type):
        return Parsed(values.cast(target), [])
    if pa.types.is_timestamp(values.type):
        local = _wall_clock(values, tz)
        day = local.cast(target, safe=False)
        midnight = pc.equal(day.cast(pa.timestamp(local.type.unit)), local)
        out = pc.if_else(midnight, day, None)
        return Parsed(out, [(_failed(values, out), "has a time of day; expected a date")])
    values = as_text(values)
    if fmt is None:
        shaped = pc.match_substring_regex(values, DATE_PATTERN)
        fast = _strict_cast(values, shaped, target)
        if fast is not None:
            return Parsed(fast, [])
        parsed = _roundtrip(pc.if_else(shaped, values, None), "%Y-%m-%d", "s")
        reason = "not a date (YYYY-MM-DD)"
    else:
        parsed = _roundtrip(values, fmt, "s")
        reason = f"not a date in the format {fmt}"
    out = parsed.cast(target)
    return Parsed(out, [(_failed(values, out), reason)])


def _wall_clock(values: pa.Array, tz: ZoneInfo) -> pa.Array:
    """Timestamps as naive local wall-clock time (aware ones converted to ``tz`` first)."""
    if values.type.tz is None:
        return values
    return pc.local_timestamp(values.cast(pa.timestamp(values.type.unit, tz=str(tz))))


def _localise(naive: pa.Array, tz: ZoneInfo) -> tuple[pa.Array, np.ndarray]:
    """Naive local times to UTC; also the rows that do not exist or are ambiguous in ``tz``."""
    name = str(tz)
    earliest = pc.assume_timezone(naive, name, ambiguous="earliest", nonexistent="earliest")
    latest = pc.assume_timezone(naive, name, ambiguous="latest", nonexistent="latest")
    unclear = _mask(pc.not_equal(earliest, latest))
    utc = earliest.cast(pa.timestamp("us", tz="UTC"))
    if unclear.any():
        utc = pc.if_else(pa.array(unclear), None, utc)
    return utc, unclear


def _to_timestamp(values: pa.Array, tz: ZoneInfo, fmt: str | None) -> Parsed:
    target = pa.timestamp("us", tz="UTC")
    if pa.types.is_timestamp(values.type):
        if values.type.tz is not None:
            return Parsed(values.cast(target), [])
        out, unclear = _localise(values.cast(pa.timestamp("us")), tz)
        return Parsed(out, [(unclear, f"does not exist or is ambiguous in {tz} (clock change)")])
    if pa.types.is_date(values.type):
        out, unclear = _localise(values.cast(pa.timestamp("us")), tz)
        return Parsed(out, [(unclear, f"does not exist or is ambiguous in {tz} (clock change)")])
    values = as_text(values)
    if fmt is not None:
        naive = _roundtrip(values, fmt, "s").cast(pa.timestamp("us"))
        out, unclear = _localise(naive, tz)
        return Parsed(
            out,
            [
                (_mask(pc.and_(values.is_valid(), naive.is_null())), f"not a timestamp in the format {fmt}"),
                (unclear, f"does not exist or is ambiguous in {tz} (clock change)"),
            ],
        )
    shaped = pc.match_substring_regex(values, TIMESTAMP_PATTERN)
    plain = pc.match_substring_regex(values, PLAIN_TIMESTAMP_PATTERN)
    fast = _strict_cast(values, plain, pa.timestamp("us"))
    if fast is not None:  # the usual feed: no offsets, no fractions, every value valid
        out, unclear = _localise(fast, tz)
        return Parsed(out, [(unclear, f"does not exist or is ambiguous in {tz} (clock change)")])
    parts = pc.extract_regex(pc.if_else(shaped, values, None), TIMESTAMP_PATTERN)
    second = pc.struct_field(parts, "second")
    second = pc.if_else(pc.equal(second, ""), "00", second)
    canonical = pc.binary_join_element_wise(
        pc.struct_field(parts, "day"),
        " ",
        pc.struct_field(parts, "hour"),
        ":",
        pc.struct_field(parts, "minute"),
        ":",
        second,
        "",
    )
    naive = _roundtrip(canonical, "%Y-%m-%d %H:%M:%S", "s").cast(pa.timestamp("us"))
    fraction = pc.utf8_rpad(pc.struct_field(parts, "fraction"), 6, "0")
    micros = pc.if_else(pc.equal(fraction, "000000"), "0", fraction).cast(pa.int64())
    naive = pc.add(naive, micros.cast(pa.duration("us")))
    zone = pc.struct_field(parts, "zone")
    has_zone = pc.fill_null(pc.not_equal(zone, ""), False)
    local_utc, unclear = _localise(naive, tz)
    offset_utc = pc.subtract(naive, _offset(zone).cast(pa.duration("us"))).cast(pa.timestamp("us"))
    offset_utc = pc.assume_timezone(offset_utc, "UTC")
    out = pc.if_else(has_zone, offset_utc.cast(target), local_utc)
    unclear = unclear & ~_mask(has_zone)
    unparsed = _mask(pc.and_(values.is_valid(), naive.is_null()))
    return Parsed(
        out,
        [
            (unparsed, f"not a timestamp ({TIMESTAMP_FORM})"),
            (unclear, f"does not exist or is ambiguous in {tz} (clock change)"),
        ],
    )


def _offset(zone: pa.Array) -> pa.Array:
    """Offsets ``Z``, ``+08``, ``+0800``, ``+08:00`` in microseconds east of UTC (0 when empty)."""
    digits = pc.replace_substring_regex(zone, r"[^0-9]", "")
    hours = pc.utf8_slice_codeunits(digits, 0, 2)
    minutes = pc.utf8_slice_codeunits(digits, 2, 4)
    hours = pc.if_else(pc.equal(hours, ""), "0", hours).cast(pa.int64())
    minutes = pc.if_else(pc.equal(minutes, ""), "0", minutes).cast(pa.int64())
    sign = pc.if_else(pc.starts_with(zone, "-"), -1, 1)
    total = pc.multiply(sign, pc.add(pc.multiply(hours, 3_600_000_000), pc.multiply(minutes, 60_000_000)))
    return pc.fill_null(total, 0)


def _to_bool(values: pa.Array) -> Parsed:
    if pa.types.is_boolean(values.type):
        return Parsed(values, [])
    if pa.types.is_integer(values.type):
        values = as_text(values)
    values = as_text(values)
    lowered = pc.utf8_lower(values)
    is_true = pc.is_in(lowered, value_set=pa.array(TRUE_TEXT))
    is_false = pc.is_in(lowered, value_set=pa.array(FALSE_TEXT))
    out = pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
    return Parsed(out, [(_failed(values, out), "not a yes/no value (true/false, 1/0, yes/no, 是/否)")])


def constraint_problems(values: pa.Array, spec: Field) -> list[tuple[np.ndarray, str]]:
    """Rows whose (typed, non-null) value breaks ``spec``'s choices, pattern, length or range.

    Examples
    --------
    >>> from fincrm.core.fields import Field
    >>> f = Field("ccy", "string", pattern="[A-Z]{3}", max_length=3)
    >>> [(m.tolist(), why) for m, why in constraint_problems(pa.array(["CNY", "cny", None]), f)]
    [([False, True, False], 'does not match [A-Z]{3}')]
    """
    problems = []
    if spec.choices is not None:
        inside = pc.is_in(values, value_set=pa.array(list(spec.choices), values.type))
        problems.append(
            (
                _mask(pc.and_(values.is_valid(), pc.invert(inside))),
                "must be one of: " + ", ".join(spec.choices),
            )
        )
    if spec.pattern is not None:
        matched = pc.match_substring_regex(values, f"^(?:{spec.pattern})$")
        problems.append((_mask(pc.invert(matched)), f"does not match {spec.pattern}"))
    if spec.max_length is not None:
        problems.append(
            (
                _mask(pc.greater(pc.utf8_length(values), spec.max_length)),
                f"longer than {spec.max_length} characters",
            )
        )
    if spec.min_value is not None:
        low = pc.less_equal if spec.exclusive_min else pc.less
        sign = ">" if spec.exclusive_min else "≥"
        problems.append(
            (
                _mask(low(values, _bound(spec.min_value, values.type))),
                f"must be {sign} {_num(spec.min_value)}",
            )
        )
    if spec.max_value is not None:
        problems.append(
            (
                _mask(pc.greater(values, _bound(spec.max_value, values.type))),
                f"must be ≤ {_num(spec.max_value)}",
            )
        )
    return [(m, why) for m, why in problems if m.any()]


def _bound(value: float, type_: pa.DataType) -> pa.Scalar:
    if pa.types.is_decimal(type_):
        return pa.scalar(value).cast(pa.float64()).cast(type_)
    if pa.types.is_integer(type_):
        return pa.scalar(int(value), type_)
    return pa.scalar(float(value), pa.float64())


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
