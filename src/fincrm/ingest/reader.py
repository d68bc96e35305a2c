"""Reading import files into Arrow, with the line number of every row.

Formats: CSV (any delimiter and quote character), Parquet and Excel ``.xlsx``. The format comes
from the mapping's ``source.format`` or else from the file's first bytes (Parquet and ``.xlsx``
have magic numbers; anything else is read as CSV).

CSV encodings: UTF-8, UTF-8 with a byte-order mark, GBK/GB18030 and UTF-16 with a byte-order mark
are recognised without help: we try strict UTF-8, then strict GB18030, and only then ask
charset-normalizer to guess. A mapping's ``source.encoding`` overrides detection.

Line numbers are physical: the header is line 1 (or ``header_row``) and a quoted value spanning
two lines makes the next record start two lines further on. Blank lines are skipped. CSV follows
RFC 4180 (quotes around a whole field, a doubled quote inside one); the fast path parses with
Arrow's multi-threaded reader and locates records with a vectorised scan of the bytes, and a file
that is not regular RFC 4180 (a stray quote inside an unquoted field, a row with the wrong number
of fields) is re-read with Python's ``csv`` module, which reports the exact line of each problem.

Values are returned as read: strings for CSV and Excel, the file's own types for Parquet.
Trimming and null markers are applied later, per field (`fincrm.ingest.mapping`).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from charset_normalizer import from_bytes

from fincrm.errors import FieldError, InputError

Format = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "xlsx")
MAX_FIELD_CHARS = 131_072  # longest CSV value accepted (Python's csv default limit), in characters

_NL, _CR = 10, 13
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How to read one file; every field has a default that suits our own documented format."""

    format: Format | None = None  # None: from the file's first bytes
    delimiter: str = ","
    quote: str | None = '"'  # None: no quoting at all
    encoding: str | None = None  # None: detect (UTF-8, then GB18030, then a guess)
    header_row: int = 1  # line (CSV) or sheet row (Excel) holding the column names
    sheet: str | None = None  # Excel sheet name; None: the first sheet
    nulls: tuple[str, ...] = ("",)  # values (after trimming) that mean "no value"
    trim: bool = True  # strip leading and trailing whitespace from text values


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not become a row (wrong number of fields); kept for the rejects file."""

    line: int
    values: list[str]
    message: str


@dataclass(slots=True)
class Source:
    """A file read into Arrow: ``raw`` has one column per header name, ``lines`` one int per row."""

    file: str
    format: Format
    columns: list[str]
    raw: pa.Table
    lines: np.ndarray
    header_line: int
    encoding: str | None = None
    bad_records: list[BadRecord] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return self.raw.num_rows


def read_source(path: Path, options: SourceOptions | None = None, *, display: str | None = None) -> Source:
    """Read ``path`` as CSV, Parquet or Excel into a `Source`.

    Parameters
    ----------
    path
        The file.
    options
        Source options (delimiter, encoding, header row, ...); defaults read our own format.
    display
        Name of the file in error locations; defaults to ``str(path)``.

    Returns
    -------
    Source
        Raw values, header names (trimmed, byte-order mark removed) and line numbers.

    Raises
    ------
    InputError
        The file is missing or unreadable, the encoding is unknown, the header is empty or has
        duplicate names, or the CSV is malformed beyond one record (an unterminated quote).
    """
    options = options or SourceOptions()
    name = display or str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", errors=[FieldError((name,), "no such file")]) from None
    except IsADirectoryError:
        raise InputError(
            f"{name}: is a folder, not a file", errors=[FieldError((name,), "is a folder")]
        ) from None
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read: {exc.strerror}", errors=[FieldError((name,), str(exc))]
        ) from None
    fmt = options.format or sniff_format(data)
    if fmt == "parquet":
        return read_parquet(data, name)
    if fmt == "xlsx":
        return read_xlsx(data, name, options)
    return read_csv(data, name, options)


def sniff_format(data: bytes) -> Format:
    """The format told by the first bytes: Parquet and ``.xlsx`` (a zip) have magic numbers.

    Examples
    --------
    >>> sniff_format(b"PAR1...."), sniff_format(b"PK\\x03\\x04..."), sniff_format(b"a,b\\n")
    ('parquet', 'xlsx', 'csv')
    """
    if data.startswith(_PARQUET_MAGIC):
        return "parquet"
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    return "csv"


def _file_error(name: str, message: str, line: int | None = None) -> InputError:
    loc: tuple[str | int, ...] = (name,) if line is None else (name, line)
    return InputError(f"{name}: {message}", errors=[FieldError(loc, message)])


# ----- encodings ------------------------------------------------------------------------------
def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[bytes, str]:
    """The file's bytes as UTF-8 (no byte-order mark) and the name of the encoding read.

    Examples
    --------
    >>> decode("户名".encode("gbk"), "f.csv")
    (b'\\xe6\\x88\\xb7\\xe5\\x90\\x8d', 'gb18030')
    >>> decode(b"\\xef\\xbb\\xbfa,b", "f.csv")
    (b'a,b', 'utf-8-sig')
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            raise _file_error(
                name,
                f"unknown encoding {encoding!r}; use a Python codec name such as utf-8, gb18030 or cp1250",
            ) from None
        return _decode_as(data, name, codec.name), codec.name
    if data.startswith(_UTF8_BOM):
        return _decode_as(data[len(_UTF8_BOM) :], name, "utf-8"), "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        return _decode_as(data, name, "utf-16"), "utf-16"
    if _is_utf8(data):
        return data, "utf-8"
    try:
        return data.decode("gb18030").encode("utf-8"), "gb18030"
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data).best()
    if guess is None or guess.encoding is None:
        raise _file_error(
            name,
            "cannot tell the file's encoding (it is neither UTF-8 nor GB18030); "
            "set source.encoding in a mapping file",
        )
    return _decode_as(data, name, guess.encoding), guess.encoding


def _is_utf8(data: bytes) -> bool:
    """Strict UTF-8 check of the whole buffer, vectorised by Arrow (no Python string is built)."""
    offsets = pa.py_buffer(
        np.array([0, len(data)], dtype=np.int32 if len(data) < 2**31 else np.int64).tobytes()
    )
    kind = pa.string() if len(data) < 2**31 else pa.large_string()
    try:
        pa.Array.from_buffers(kind, 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decode_as(data: bytes, name: str, encoding: str) -> bytes:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _file_error(name, f"bytes that are not {encoding} at line {line}: {exc.reason}", line) from None
    return (text[1:] if text.startswith("\ufeff") else text).encode("utf-8")


# ----- CSV ------------------------------------------------------------------------------------
def read_csv(data: bytes, name: str, options: SourceOptions) -> Source:
    """Parse CSV bytes (any supported encoding); see the module docstring for the rules."""
    _check_dialect(name, options)
    utf8, encoding = decode(data, name, options.encoding)
    buf = np.frombuffer(utf8, dtype=np.uint8)
    breaks = _line_breaks(buf, has_cr=b"\r" in utf8)
    skip = options.header_row - 1
    if skip > len(breaks):
        raise _file_error(name, f"header_row {options.header_row} is past the end of the file")
    start = 0 if skip == 0 else int(breaks[skip - 1]) + 1
    quote = None if options.quote is None else ord(options.quote)
    scanned = _scan_records(buf, start, breaks, quote, ord(options.delimiter))
    if scanned is not None:
        starts, lines = scanned
        if starts.size == 0:
            raise _file_error(name, "the file is empty: there is no header line")
        parsed = _parse_fast(utf8, start, starts, options)
        if parsed is not None:
            header, table = parsed
            columns = _header_names(name, header, int(lines[0]))
            raw = pa.table(table.columns[:], names=columns).slice(1)
            return Source(name, "csv", columns, raw, lines[1:], int(lines[0]), encoding)
    return _parse_slow(utf8[start:].decode("utf-8"), name, options, first_line=skip + 1, encoding=encoding)


def _check_dialect(name: str, options: SourceOptions) -> None:
    problems = []
    if len(options.delimiter) != 1 or options.delimiter in "\r\n" or not options.delimiter.isascii():
        problems.append(
            f"delimiter must be one ASCII character other than a line break, got {options.delimiter!r}"
        )
    if options.quote is not None and (
        len(options.quote) != 1 or options.quote in "\r\n" or not options.quote.isascii()
    ):
        problems.append(f"quote must be one ASCII character, got {options.quote!r}")
    if options.quote is not None and options.quote == options.delimiter:
        problems.append("quote and delimiter must differ")
    if options.header_row < 1:
        problems.append(f"header_row must be 1 or more, got {options.header_row}")
    if problems:
        raise InputError(f"{name}: " + "; ".join(problems), errors=[FieldError((name,), p) for p in problems])


def _line_breaks(buf: np.ndarray, *, has_cr: bool = True) -> np.ndarray:
    """Positions of the last byte of every physical line break (LF, CRLF or a lone CR).

    ``has_cr=False`` (the caller found no CR byte) saves a pass over the buffer.
    """
    lf = np.flatnonzero(buf == _NL)
    if not has_cr:
        return lf
    cr = np.flatnonzero(buf == _CR)
    if cr.size:
        following = buf[np.minimum(cr + 1, buf.size - 1)]
        cr = cr[(following != _NL) | (cr == buf.size - 1)]  # a CR not followed by LF ends a line too
        return np.union1d(lf, cr) if cr.size else lf
    return lf


def _scan_records(
    buf: np.ndarray, start: int, breaks: np.ndarray, quote: int | None, delimiter: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Byte offset and physical line of every non-blank record from ``start`` on.

    ``breaks`` are all physical line breaks of ``buf`` (see `_line_breaks`). A line break ends a
    record when an even number of quote characters precede it (in a regular RFC 4180 file, quotes
    inside a quoted value come in pairs). Returns None when some quote is not where RFC 4180
    allows it, so that the slow path decides.
    """
    n = buf.size
    last = max(n - 1, 0)
    candidates = breaks[breaks >= start]
    if quote is None:
        ends = candidates
    else:
        quotes = np.flatnonzero(buf[start:] == quote) + start
        if quotes.size & 1:
            return None  # an opening quote is never closed
        if quotes.size:
            opening, closing = quotes[0::2], quotes[1::2]
            if not (
                _all_separators(buf[np.maximum(opening - 1, 0)], delimiter, quote, opening == start)
                and _all_separators(buf[np.minimum(closing + 1, last)], delimiter, quote, closing + 1 >= n)
            ):
                return None
        ends = candidates[(np.searchsorted(quotes, candidates) % 2) == 0]
    starts = np.concatenate([[start], ends + 1]).astype(np.int64)
    stops = np.concatenate([ends, [n]]).astype(np.int64)
    # a CRLF break leaves its CR at the end of the record's bytes: it is not content
    has_cr = (
        (stops > starts) & (buf[np.clip(stops - 1, 0, last)] == _CR)
        if n
        else np.zeros(stops.size, dtype=bool)
    )
    keep = (stops - starts - has_cr) > 0
    starts = starts[keep]
    lines = np.searchsorted(breaks, starts, side="left") + 1
    return starts, lines.astype(np.int64)


def _all_separators(neighbours: np.ndarray, delimiter: int, quote: int, at_edge: np.ndarray) -> bool:
    """Whether every byte next to a quote is a delimiter, line break or quote (or the file's edge)."""
    return bool(
        np.all(
            (neighbours == delimiter)
            | (neighbours == _NL)
            | (neighbours == _CR)
            | (neighbours == quote)
            | at_edge
        )
    )


def _parse_fast(
    utf8: bytes, start: int, starts: np.ndarray, options: SourceOptions
) -> tuple[list[str], pa.Table] | None:
    """Arrow's CSV reader over the records; None when it disagrees with the scan or fails."""
    first_end = int(starts[1]) if starts.size > 1 else len(utf8)
    header_text = utf8[int(starts[0]) : first_end].decode("utf-8")
    try:
        header = next(_python_reader(io.StringIO(header_text, newline=""), options))
    except (csv.Error, StopIteration):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(memoryview(utf8)[start:]),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=options.delimiter,
                quote_char=options.quote if options.quote is not None else False,
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != starts.size or table.num_rows == 0:
        return None
    if [table.column(i)[0].as_py() for i in range(len(names))] != header:
        return None
    return header, table


def _python_reader(stream: io.StringIO, options: SourceOptions) -> Any:
    quoting = csv.QUOTE_NONE if options.quote is None else csv.QUOTE_MINIMAL
    return csv.reader(
        stream,
        delimiter=options.delimiter,
        quotechar=options.quote,
        quoting=quoting,
        doublequote=True,
        strict=True,
    )


def _parse_slow(text: str, name: str, options: SourceOptions, *, first_line: int, encoding: str) -> Source:
    """Python's csv reader, record by record, with exact lines for malformed records."""
    reader = _python_reader(io.StringIO(text, newline=""), options)
    header: list[str] | None = None
    header_line = first_line
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[BadRecord] = []
    consumed = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = first_line + consumed
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = f"a value is longer than {MAX_FIELD_CHARS} characters"
            dialect = f"delimiter {options.delimiter!r}, quote {options.quote!r}"
            raise _file_error(
                name,
                f"malformed CSV at line {line}: {reason} (read with {dialect}; "
                "a mapping's source options set others)",
                line,
            ) from None
        line = first_line + consumed
        consumed = reader.line_num
        if not record:
            continue
        if header is None:
            header, header_line = record, line
            continue
        if len(record) != len(header):
            bad.append(BadRecord(line, record, f"expected {len(header)} fields, found {len(record)}"))
            continue
        rows.append(record)
        lines.append(line)
    if header is None:
        raise _file_error(name, "the file is empty: there is no header line")
    columns = _header_names(name, header, header_line)
    arrays = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(columns))]
    raw = pa.table(arrays, names=columns) if columns else pa.table({})
    return Source(name, "csv", columns, raw, np.array(lines, dtype=np.int64), header_line, encoding, bad)


def _header_names(name: str, header: list[Any], line: int) -> list[str]:
    columns = ["" if h is None else str(h).strip().lstrip("\ufeff").strip() for h in header]
    seen: dict[str, int] = {}
    problems = []
    for position, column in enumerate(columns, start=1):
        if column in seen:
            label = f"column {position}" if column == "" else column
            problems.append(
                FieldError((name, line, label), f"duplicate column name (also column {seen[column]})", column)
            )
        seen.setdefault(column, position)
    if problems:
        raise InputError(f"{name}: the header has duplicate column names", errors=problems)
    return columns


# ----- Parquet --------------------------------------------------------------------------------
def read_parquet(data: bytes, name: str) -> Source:
    """Read a Parquet file; rows are numbered from 1 and the schema counts as line 0."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise _file_error(name, f"not a readable Parquet file: {exc}") from None
    columns = _header_names(name, table.column_names, 0)
    arrays = []
    for column_name, column in zip(columns, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_nested(column.type):
            raise _file_error(
                name, f"column {column_name!r} holds nested values ({column.type}); flatten it first", 0
            )
        arrays.append(column)
    raw = pa.table(arrays, names=columns)
    return Source(name, "parquet", columns, raw, np.arange(1, raw.num_rows + 1, dtype=np.int64), 0)


# ----- Excel ----------------------------------------------------------------------------------
def read_xlsx(data: bytes, name: str, options: SourceOptions) -> Source:
    """Read one sheet of an ``.xlsx`` workbook; lines are the sheet's row numbers."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _file_error(name, f"not a readable .xlsx workbook: {exc}") from None
    try:
        if options.sheet is None:
            sheet = workbook.worksheets[0]
        elif options.sheet in workbook.sheetnames:
            sheet = workbook[options.sheet]
        else:
            raise _file_error(name, f"no sheet {options.sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
        header: list[str] | None = None
        header_line = options.header_row
        rows: list[list[str | None]] = []
        lines: list[int] = []
        bad: list[BadRecord] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number < options.header_row:
                continue
            cells = list(values)
            if number == options.header_row:
                while cells and cells[-1] in (None, ""):
                    cells.pop()
                header = [_cell_text(c) or "" for c in cells]
                continue
            if all(c in (None, "") for c in cells):
                continue
            assert header is not None
            extra = [_cell_text(c) or "" for c in cells[len(header) :] if c not in (None, "")]
            cells = (cells + [None] * len(header))[: len(header)]
            if extra:
                texts = [_cell_text(c) or "" for c in cells]
                bad.append(BadRecord(number, texts + extra, "values beyond the last named column"))
                continue
            rows.append(cells)
            lines.append(number)
    finally:
        workbook.close()
    if header is None:
        raise _file_error(name, f"the sheet has no header row {options.header_row}")
    columns = _header_names(name, header, header_line)
    arrays = [_sheet_column([r[i] for r in rows]) for i in range(len(columns))]
    raw = pa.table(arrays, names=columns) if columns else pa.table({})
    return Source(name, "xlsx", columns, raw, np.array(lines, dtype=np.int64), header_line, None, bad)


def _sheet_column(cells: list[Any]) -> pa.Array:
    """A column of cells: date/time cells stay typed (a date cell is a midnight datetime), the rest text."""
    present = [c for c in cells if c is not None and c != ""]
    if present and all(isinstance(c, datetime) for c in present):
        return pa.array([c if isinstance(c, datetime) else None for c in cells], pa.timestamp("us"))
    return pa.array([_cell_text(c) for c in cells], pa.string())


def _cell_text(value: Any) -> str | None:
    """An Excel cell as the text a person sees; numbers without float noise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
