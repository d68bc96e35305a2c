"""SQL expressions over an Arrow table, evaluated by the embedded engine (DuckDB).

Imports use this to compute a target column from a bank's own columns (``strptime(CAST(date AS
VARCHAR), '%y%m%d')``) without code. Callers hand over expression text and get Arrow back; only
this package names the engine.

The connection is sandboxed: no file system, no network and no extensions, so a mapping file can
compute values but cannot read or write anything beyond the table it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SMALL_BATCH_ROWS = 64  # below this many rows a failing batch is evaluated row by row


class ExpressionError(ValueError):
    """One or more expressions cannot be evaluated at all (syntax, unknown column or function).

    ``problems`` maps the name of each bad expression to the engine's one-line reason.
    """

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Projection:
    """Result of `project`: one column per expression, and the rows where an expression failed.

    ``failures`` maps an expression name to the 0-based row indices where evaluating it raised an
    error (a value it could not convert, say) and to the engine's message for the first of them.
    Those rows hold null in ``table``.
    """

    table: pa.Table
    failures: dict[str, tuple[np.ndarray, str]] = field(default_factory=dict)


def _connect(table: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={"enable_external_access": False, "autoload_known_extensions": False, "threads": 2}
    )
    con.execute("SET TimeZone = 'UTC'")
    con.register("src", table)
    return con


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _select(expression: str) -> str:
    return f"SELECT ({expression}) AS value FROM src"


def check_expressions(columns: pa.Schema, expressions: dict[str, str]) -> dict[str, str]:
    """Reasons why expressions cannot run over a table with ``columns``; empty when all can.

    Examples
    --------
    >>> schema = pa.schema([("date", pa.string())])
    >>> check_expressions(schema, {"ok": "strptime(date, '%y%m%d')", "bad": "upper(dat)"})["bad"]
    'Binder Error: Referenced column "dat" not found in FROM clause!'
    """
    problems: dict[str, str] = {}
    with _connect(columns.empty_table()) as con:
        for name, expression in expressions.items():
            try:
                statements = con.extract_statements(_select(expression))
                if len(statements) != 1:
                    problems[name] = "must be a single expression, not several statements"
                    continue
                con.sql(_select(expression)).to_arrow_table()
            except duckdb.Error as exc:
                problems[name] = _first_line(exc)
    return problems


def project(table: pa.Table, expressions: dict[str, str]) -> Projection:
    """Evaluate SQL ``expressions`` (name -> expression over ``table``'s columns), row-aligned.

    An expression that cannot run at all raises `ExpressionError`. An expression that fails on
    some rows only (a malformed date, say) gives null there, and those rows are listed in the
    result's ``failures``; the rows are found by bisection, so a clean column costs one query.

    Parameters
    ----------
    table
        Source rows; column names are referred to as SQL identifiers (quote odd ones: ``"A 1"``).
    expressions
        Target name to DuckDB SQL expression.

    Returns
    -------
    Projection
        ``table`` has one column per expression, in the given order, ``table.num_rows`` rows.

    Raises
    ------
    ExpressionError
        Naming every expression with a syntax error, unknown column or unknown function.

    Examples
    --------
    >>> src = pa.table({"date": ["930101", "93x101"]})
    >>> result = project(src, {"opened_on": "CAST(strptime(date, '%y%m%d') AS DATE)"})
    >>> result.table.column("opened_on").to_pylist()
    [datetime.date(1993, 1, 1), None]
    >>> result.failures["opened_on"][0].tolist()
    [1]
    """
    problems = check_expressions(table.schema, expressions)
    if problems:
        raise ExpressionError(problems)
    columns: list[pa.ChunkedArray] = []
    failures: dict[str, tuple[np.ndarray, str]] = {}
    with _connect(table) as con:
        for name, expression in expressions.items():
            try:
                column = con.sql(_select(expression)).to_arrow_table().column(0)
            except duckdb.Error as exc:
                bad_rows = _failing_rows(table, expression)
                column = _evaluate_try(con, expression)
                failures[name] = (bad_rows, _first_line(exc))
                if bad_rows.size:
                    mask = np.zeros(table.num_rows, dtype=bool)
                    mask[bad_rows] = True
                    column = pa.chunked_array(
                        [
                            pc.if_else(
                                pa.array(mask), pa.nulls(len(mask), column.type), column.combine_chunks()
                            )
                        ]
                    )
            columns.append(column)
    return Projection(pa.table(columns, names=list(expressions)), failures)


def _evaluate_try(con: duckdb.DuckDBPyConnection, expression: str) -> pa.ChunkedArray:
    return con.sql(f"SELECT TRY({expression}) AS value FROM src").to_arrow_table().column(0)


def _fails(con: duckdb.DuckDBPyConnection, rows: pa.Table, expression: str) -> bool:
    con.register("src", rows)
    try:
        con.sql(_select(expression)).to_arrow_table()
    except duckdb.Error:
        return True
    return False


def _failing_rows(table: pa.Table, expression: str) -> np.ndarray:
    """Indices of the rows on which ``expression`` raises, by bisection over the candidates.

    Only rows where ``TRY(expression)`` is null can fail, so the search starts from those.
    """
    found: list[np.ndarray] = []
    with _connect(table) as con:
        tried = _evaluate_try(con, expression)
        candidates = np.flatnonzero(tried.is_null().to_numpy(zero_copy_only=False))
        pending = [candidates]
        while pending:
            rows = pending.pop()
            if rows.size == 0 or not _fails(con, table.take(rows), expression):
                continue
            if rows.size <= SMALL_BATCH_ROWS:
                found.append(
                    np.array([r for r in rows if _fails(con, table.take([r]), expression)], dtype=np.int64)
                )
                continue
            middle = rows.size // 2
            pending.extend([rows[middle:], rows[:middle]])
    return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
