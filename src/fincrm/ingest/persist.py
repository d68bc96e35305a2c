"""Where imports meet the store: natural-key lookups, reference resolution, uniqueness, upserts.

Lookups are set-based: the distinct key values of a file are fetched in chunks of
``LOOKUP_CHUNK`` and matched back to the rows with Arrow, so a million-row feed that names ten
thousand accounts costs a handful of queries. Everything runs in the caller's session, so rows
written by an earlier file of the same bundle are found too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from fincrm.db.bulk import upsert_rows
from fincrm.ingest.entities import ENTITIES, EntitySpec, Reference, Rows
from fincrm.models import metadata

LOOKUP_CHUNK = 2_000  # key tuples per IN (...) query; well below SQLite's bound-parameter limit
_SEPARATOR = "\x1f"  # joins the parts of a composite key into one string for matching


def store_table(spec: EntitySpec) -> Table:
    assert spec.table is not None, f"{spec.name} is a lake feed"
    return metadata.tables[spec.table]


def _key_columns(spec: EntitySpec, names: Sequence[str]) -> tuple[list[Any], Any]:
    """SQL columns holding ``names`` of ``spec`` (direct, or a referenced entity's key), and the FROM."""
    table = store_table(spec)
    source: Any = table
    columns = []
    for name in names:
        if name in table.c:
            columns.append(table.c[name])
            continue
        reference = spec.reference_of(name)
        if (
            reference is None
            or reference.column is None
            or len(reference.via) != 1
            or len(reference.via[0]) != 1
        ):
            raise ValueError(f"{spec.name}.{name} cannot be looked up")
        other = store_table(ENTITIES[reference.entity]).alias(f"ref_{name}")
        source = source.join(other, table.c[reference.column] == other.c.id)
        columns.append(other.c[reference.keys[0][0]])
    return columns, source


def _combined(columns: Sequence[pa.Array]) -> pa.Array:
    """One matchable array from one or more key columns (text joined by a separator)."""
    if len(columns) == 1 and not pa.types.is_integer(columns[0].type):
        return columns[0]
    text = [
        c if pa.types.is_string(c.type) or pa.types.is_binary(c.type) else c.cast(pa.string())
        for c in columns
    ]
    if len(text) == 1:
        return text[0]
    return pc.binary_join_element_wise(*text, _SEPARATOR)


def _distinct(columns: Sequence[pa.Array]) -> list[tuple[Any, ...]]:
    table = pa.table(list(columns), names=[f"k{i}" for i in range(len(columns))]).drop_null()
    unique = table.group_by(table.column_names).aggregate([])
    return list(zip(*(unique.column(i).to_pylist() for i in range(unique.num_columns)), strict=True))


def _fetch(
    session: Session, columns: list[Any], source: Any, extra: list[Any], keys: list[tuple[Any, ...]]
) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        if len(columns) == 1:
            condition = columns[0].in_([k[0] for k in chunk])
        else:
            condition = tuple_(*columns).in_(chunk)
        statement = select(*columns, *extra).select_from(source).where(condition)
        found.extend(session.execute(statement).all())
    return found


def lookup_ids(
    session: Session, spec: EntitySpec, names: Sequence[str], values: Sequence[pa.Array]
) -> pa.Array:
    """Store id of the ``spec`` row whose fields ``names`` equal ``values``, row by row (null: none).

    Parameters
    ----------
    session
        The caller's session (sees rows written earlier in the same transaction).
    spec
        The referenced entity.
    names
        Fields of ``spec`` forming a unique key (direct columns or its own one-column references).
    values
        One array per name, aligned with the importing file's rows.

    Returns
    -------
    pa.Array
        int64 ids, null where any value is null or no row matches.
    """
    columns, source = _key_columns(spec, names)
    keys = _distinct(values)
    if not keys:
        return pa.nulls(len(values[0]), pa.int64())
    table = store_table(spec)
    found = _fetch(session, columns, source, [table.c.id], keys)
    if not found:
        return pa.nulls(len(values[0]), pa.int64())
    store_keys = [pa.array([row[i] for row in found], values[i].type) for i in range(len(names))]
    store_ids = pa.array([row[-1] for row in found], pa.int64())
    index = pc.index_in(_combined(values), value_set=_combined(store_keys))
    return store_ids.take(index)


def resolve_reference(
    session: Session, reference: Reference, rows: Rows
) -> tuple[pa.Array | None, list[tuple[np.ndarray, str, str | list[str]]]]:
    """Ids of the referenced rows (None when the file has none of the reference's columns).

    Returns the ids and problems ``(mask, column, message)``: unknown keys, half-given
    composite keys, alternatives that point at different rows, and a required reference that
    is empty (for a one-column reference the field's own "required" covers that).
    """
    target = ENTITIES[reference.entity]
    n = rows.num_rows
    result: pa.Array | None = None
    problems: list[tuple[np.ndarray, str, str | list[str]]] = []
    given_any = np.zeros(n, dtype=bool)
    for group, keys in zip(reference.via, reference.keys, strict=True):
        if not all(name in rows for name in group):
            continue
        values = [rows.get(name) for name in group]
        valid = [v.is_valid().to_numpy(zero_copy_only=False) for v in values]
        complete = np.logical_and.reduce(valid)
        partial = np.logical_or.reduce(valid) & ~complete
        if partial.any():
            problems.append((partial, group[0], f"give all of {', '.join(group)} or none"))
        given_any |= complete
        ids = lookup_ids(session, target, keys, values)
        unknown = complete & ids.is_null().to_numpy(zero_copy_only=False)
        if unknown.any():
            shown = [v.to_pylist() for v in values]
            messages = [
                f"unknown {reference.entity} "
                + ", ".join(f"{k}={shown[j][i]!r}" for j, k in enumerate(keys))
                + ": not in the store (nor imported before this file)"
                for i in np.flatnonzero(unknown)
            ]
            problems.append((unknown, group[0], messages))
        if result is None:
            result = ids
        else:
            clash = pc.fill_null(pc.not_equal(result, ids), False).to_numpy(zero_copy_only=False)
            if clash.any():
                problems.append(
                    (clash, group[0], f"points at another {reference.entity} row than {reference.via[0][0]}")
                )
            result = pc.coalesce(result, ids)
    if result is not None and reference.required and len(reference.via) > 1:
        absent = ~given_any
        if absent.any():
            options = " or ".join(" and ".join(g) for g in reference.via)
            problems.append((absent, reference.via[0][0], f"required: give {options}"))
    return result, problems


def existing_rows(
    session: Session, table: Table, key: Sequence[str], values: Sequence[pa.Array]
) -> np.ndarray:
    """Mask of the rows whose ``key`` (store columns) already exists in ``table``."""
    keys = _distinct(values)
    if not keys:
        return np.zeros(len(values[0]), dtype=bool)
    columns = [table.c[k] for k in key]
    found = _fetch(session, columns, table, [], keys)
    if not found:
        return np.zeros(len(values[0]), dtype=bool)
    store = [pa.array([row[i] for row in found], values[i].type) for i in range(len(key))]
    return pc.is_in(_combined(values), value_set=_combined(store)).to_numpy(zero_copy_only=False)


def unique_conflicts(
    session: Session, spec: EntitySpec, column: str, values: pa.Array, key_values: Sequence[pa.Array]
) -> list[tuple[np.ndarray, str]]:
    """Rows whose ``column`` value repeats inside the file or belongs to another store row."""
    problems: list[tuple[np.ndarray, str]] = []
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    if not valid.any():
        return problems
    counts = pc.value_counts(values.filter(values.is_valid()))
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if len(repeated):
        problems.append(
            (
                pc.is_in(values, value_set=repeated).to_numpy(zero_copy_only=False) & valid,
                "appears more than once in the file",
            )
        )
    table = store_table(spec)
    key = spec.store_key
    found = _fetch(
        session,
        [table.c[column]],
        table,
        [table.c[k] for k in key],
        [(v,) for v in pc.unique(values.drop_null()).to_pylist()],
    )
    if found:
        owners = pa.array([row[0] for row in found], values.type)
        owner_keys = [pa.array([row[1 + i] for row in found], key_values[i].type) for i in range(len(key))]
        index = pc.index_in(values, value_set=owners)
        theirs = _combined([k.take(index) for k in owner_keys])
        ours = _combined(list(key_values))
        clash = pc.fill_null(pc.not_equal(theirs, ours), False).to_numpy(zero_copy_only=False)
        if clash.any():
            problems.append((clash, "already belongs to another record in the store"))
    return problems


def upsert(
    session: Session, spec: EntitySpec, rows: list[dict[str, Any]], *, extra_insert_only: Sequence[str] = ()
) -> int:
    """Upsert ``rows`` (store columns) by the entity's store key; returns rows inserted or changed.

    ``extra_insert_only`` names columns the file did not have, filled with the entity's default:
    they are set on new rows and left alone on existing ones.
    """
    return upsert_rows(
        session,
        store_table(spec),
        rows,
        spec.store_key,
        insert_only=(*spec.insert_only, *extra_insert_only),
        touch=spec.touch,
    )
