"""Bulk writes of the generated book into the operational store, inside the caller's transaction.

Rows arrive column-wise with their primary keys already assigned (1..n per table), so rows can
reference each other without round trips. Two dialect paths:

* SQLite: ``executemany`` of one prepared INSERT through the driver (``exec_driver_sql``);
* PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, then the id sequences are moved past
  the largest id so later inserts by the application do not collide.

Values are handed to the driver in the form SQLAlchemy itself would store them: dates as
``YYYY-MM-DD``, UTC instants as ``YYYY-MM-DD HH:MM:SS.ffffff`` (with ``+00`` on PostgreSQL),
money and units as exact decimal strings (never float), booleans as 0/1 on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from fincrm.demo.columns import decimal_array
from fincrm.errors import ConfigurationError

BATCH_ROWS = 50_000  # rows per executemany call: bounds the memory of the Python row tuples
SQLITE_CACHE_KIB = 512 * 1024  # page cache while generating, KiB


@dataclass(frozen=True, slots=True)
class Col:
    """A typed column: ``kind`` is raw, date (epoch days), stamp (UTC µs), dec2, dec6 or bool."""

    kind: str
    values: Any
    valid: np.ndarray | None = None


def raw(values: Sequence[Any] | np.ndarray) -> Col:
    return Col("raw", values)


def day_col(days: np.ndarray, valid: np.ndarray | None = None) -> Col:
    return Col("date", np.asarray(days, dtype=np.int64), valid)


def stamp_col(us: np.ndarray) -> Col:
    return Col("stamp", np.asarray(us, dtype=np.int64))


def money_col(cents: np.ndarray, valid: np.ndarray | None = None) -> Col:
    return Col("dec2", np.asarray(cents, dtype=np.int64), valid)


def units_col(micro: np.ndarray) -> Col:
    return Col("dec6", np.asarray(micro, dtype=np.int64))


def bool_col(values: np.ndarray) -> Col:
    return Col("bool", np.asarray(values, dtype=bool))


class StoreWriter:
    """Writes whole tables through the session's connection; never commits."""

    def __init__(self, session: Session):
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"the demo generator writes to SQLite or PostgreSQL, not {self.dialect}; "
                "point FINCRM_DATABASE_URL at one of them"
            )
        self.counts: dict[str, int] = {}
        self._sqlite_cache: int | None = None

    def __enter__(self) -> StoreWriter:
        if self.dialect == "sqlite":
            # Unique and secondary indexes of a million-row table do not fit SQLite's default 2 MB
            # page cache; random index inserts would then go to disk. Restored on exit.
            self._sqlite_cache = self.connection.exec_driver_sql("PRAGMA cache_size").scalar()
            self.connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sqlite_cache is not None:
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {int(self._sqlite_cache)}")

    def clear(self, tables: Sequence[Table]) -> None:
        """Delete every row of ``tables``, children first (``tables`` in dependency order)."""
        for table in reversed(tables):
            self.connection.execute(table.delete())

    def insert(self, table: Table, columns: dict[str, Col]) -> int:
        """Insert one chunk of rows into ``table``; returns the number of rows."""
        names = list(columns)
        missing = [c for c in names if c not in table.c]
        if missing:
            raise KeyError(f"{table.name} has no columns {missing}")
        n = _length(next(iter(columns.values()))) if columns else 0
        if n == 0:
            return 0
        quoted = ", ".join(f'"{c}"' for c in names)
        for start in range(0, n, BATCH_ROWS):
            stop = min(start + BATCH_ROWS, n)
            lists = [self._driver_values(columns[c], start, stop) for c in names]
            rows = list(zip(*lists, strict=True))
            if self.dialect == "sqlite":
                marks = ", ".join("?" for _ in names)
                self.connection.exec_driver_sql(
                    f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows
                )
            else:
                raw_conn = self.connection.connection.driver_connection
                with raw_conn.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        return n

    def reset_sequences(self, tables: Sequence[Table]) -> None:
        """PostgreSQL only: move each id sequence past the largest id written."""
        if self.dialect != "postgresql":
            return
        for table in tables:
            if "id" not in table.c:
                continue
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{table.name}"'
                )
            )

    def _driver_values(self, col: Col, start: int, stop: int) -> list[Any]:
        valid = None if col.valid is None else col.valid[start:stop]
        if col.kind == "raw":
            values = col.values[start:stop]
            return values.tolist() if isinstance(values, np.ndarray) else list(values)
        if col.kind == "bool":
            vals = col.values[start:stop]
            return vals.astype(int).tolist() if self.dialect == "sqlite" else vals.tolist()
        if col.kind == "date":
            out = np.datetime_as_string(col.values[start:stop].astype("datetime64[D]")).tolist()
        elif col.kind == "stamp":
            text_ = np.datetime_as_string(col.values[start:stop].astype("datetime64[us]"), unit="us")
            view = text_.view(np.uint32).reshape(len(text_), -1)
            view[:, 10] = ord(" ")
            out = text_.tolist()
            if self.dialect == "postgresql":
                out = [s + "+00" for s in out]
        elif col.kind in ("dec2", "dec6"):
            scale, precision = (2, 18) if col.kind == "dec2" else (6, 20)
            out = decimal_array(col.values[start:stop], scale, precision).cast("string").to_pylist()
        else:
            raise ValueError(f"unknown column kind {col.kind}")
        if valid is not None:
            out = [v if ok else None for v, ok in zip(out, valid.tolist(), strict=True)]
        return out


def _length(col: Col) -> int:
    return len(col.values)
