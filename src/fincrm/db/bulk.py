"""Set-based writes for imports and the demo generator, inside the caller's transaction.

``upsert`` inserts rows and, where a row with the same natural key exists, updates it in place
(``INSERT ... ON CONFLICT DO UPDATE``, which SQLite and PostgreSQL both support). Rows that are
already identical are left untouched, so re-importing a file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CHUNK_ROWS = 5_000  # rows per statement: below SQLite's 32,766 bound-parameter limit for wide tables


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Plain bulk insert (executemany); returns the number of rows."""
    if rows:
        for chunk in _chunks(rows, 50_000):
            session.execute(table.insert(), list(chunk))
    return len(rows)


def upsert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    insert_only: Sequence[str] = (),
    touch: Sequence[str] = (),
) -> int:
    """Insert or update ``rows`` by the unique ``key`` columns; returns rows written or changed.

    Only columns present in the rows are updated, and only where a value differs, so an
    unchanged row costs no write. ``insert_only`` columns (``created_at``) are written when a row
    is inserted and never updated; ``touch`` columns (``updated_at``) are updated only when some
    other column changed. Neither is compared.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        insert = sqlite.insert
    elif dialect == "postgresql":
        insert = postgresql.insert
    else:
        raise NotImplementedError(f"upsert is implemented for sqlite and postgresql, not {dialect}")
    columns = list(rows[0].keys())
    unchanged_on_update = {*key, "id", *insert_only, *touch}
    update_cols = [c for c in columns if c not in unchanged_on_update]
    touched = [c for c in touch if c in columns]
    written = 0
    per_chunk = max(1, min(CHUNK_ROWS, 30_000 // max(len(columns), 1)))
    for chunk in _chunks(rows, per_chunk):
        stmt = insert(table).values(list(chunk))
        if update_cols:
            excluded = stmt.excluded
            changed = or_(*[table.c[c].is_distinct_from(excluded[c]) for c in update_cols])
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in key],
                set_={c: excluded[c] for c in update_cols + touched},
                where=changed,
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[k] for k in key])
        # RETURNING counts exactly the rows inserted or changed; rowcount is -1 on some drivers
        written += len(session.execute(stmt.returning(table.c[key[0]])).all())
    return written
