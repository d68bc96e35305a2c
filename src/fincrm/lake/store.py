"""Versioned Parquet datasets with an atomic swap.

Layout of one dataset::

    <lake>/<dataset>/_CURRENT                 "v000007": the version readers use
    <lake>/<dataset>/v000007/month=2025-01/part-0.parquet
    <lake>/<dataset>/.lock                    held while a writer works

A write builds a complete new version folder (partitions it does not touch are hard-linked from
the current version, so they cost nothing), then replaces ``_CURRENT`` with ``os.replace``, which
is atomic. A writer killed at any moment leaves the previous version in force; its half-written
folder is removed by the next writer. Writes are deterministic: rows are sorted by the dataset
key, so the same input gives the same bytes.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fincrm.lake.schemas import DATASETS, DatasetSpec

_VERSION = re.compile(r"v(\d{6})")
PARQUET_OPTIONS = {"compression": "zstd", "row_group_size": 1_000_000}


@dataclass(frozen=True, slots=True)
class WriteResult:
    dataset: str
    version: str | None  # None: nothing changed, no new version
    rows_in: int  # rows offered
    rows_changed: int  # rows inserted or different from what was there
    rows_total: int  # rows in the dataset after the write
    rows_inserted: int = 0  # rows whose key was not in the dataset before (all rows for replace)


class Lake:
    """The lake at ``root``. Cheap to create; holds no open files."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # ----- reading -------------------------------------------------------------------------
    def current_dir(self, name: str) -> Path | None:
        pointer = self.root / name / "_CURRENT"
        if not pointer.exists():
            return None
        return self.root / name / pointer.read_text().strip()

    def files(self, name: str) -> list[Path]:
        """Parquet files of the current version, in a stable order."""
        current = self.current_dir(name)
        return [] if current is None else sorted(current.rglob("*.parquet"))

    def read(self, name: str, *, filter_sql: str | None = None) -> pa.Table:
        """The whole current dataset (or the rows matching a DuckDB ``WHERE`` clause) as Arrow."""
        spec = DATASETS[name]
        files = self.files(name)
        if not files:
            return spec.schema.empty_table()
        with duckdb.connect() as con:
            sql = f"SELECT {_columns(spec)} FROM read_parquet({_file_list(files)})"
            if filter_sql:
                sql += f" WHERE {filter_sql}"
            sql += f" ORDER BY {', '.join(spec.key)}"
            return con.sql(sql).to_arrow_table().cast(spec.schema)

    def count(self, name: str) -> int:
        files = self.files(name)
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)

    # ----- writing -------------------------------------------------------------------------
    @contextmanager
    def _locked(self, name: str) -> Iterator[Path]:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield folder
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def replace(self, name: str, table: pa.Table) -> WriteResult:
        """Make ``table`` the whole dataset (the demo generator's write)."""
        return self._write(name, table, upsert=False)

    @contextmanager
    def replace_stream(self, name: str) -> Iterator[StreamWriter]:
        """Replace a dataset with rows handed over in batches, never holding them all.

        Each ``add(batch)`` is sorted by key and written as one file per partition it touches
        (``part-00000.parquet``, ``part-00001.parquet``, ... in the order of the batches); the
        version is swapped in when the block ends without an exception, and discarded otherwise.
        Batches must hold disjoint keys (the caller's contract: e.g. one batch per group of
        clients); duplicates inside one batch are refused. The same batches in the same order give
        the same bytes.
        """
        spec = DATASETS[name]
        with self._locked(name) as folder:
            _remove_abandoned(folder)
            new_version = _next_version(self.current_dir(name))
            staging = folder / f".{new_version}.tmp"
            staging.mkdir()
            writer = StreamWriter(spec, staging)
            try:
                yield writer
                writer.finish()
            except BaseException:
                writer.abandon()
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _swap_in(folder, staging, new_version)
            writer.result = WriteResult(
                name, new_version, writer.rows, writer.rows, self.count(name), writer.rows
            )

    def upsert(self, name: str, table: pa.Table) -> WriteResult:
        """Insert new keys and overwrite existing ones; rows whose key is absent stay.

        Re-offering rows that are already there changes nothing and creates no version. A key
        whose row moves to another partition (a re-dated transaction) leaves its old partition.
        """
        return self._write(name, table, upsert=True)

    def _write(self, name: str, table: pa.Table, *, upsert: bool) -> WriteResult:
        spec = DATASETS[name]
        table = table.select(spec.schema.names).cast(spec.schema)
        if not upsert:
            return _replace_all(self, spec, table)
        with self._locked(name) as folder, duckdb.connect() as con:
            _remove_abandoned(folder)
            current = self.current_dir(name)
            con.register("incoming", table)
            dup_sql = (
                f"SELECT count(*) FROM (SELECT {_key(spec)} FROM incoming GROUP BY ALL HAVING count(*) > 1)"
            )
            if _scalar(con, dup_sql):
                raise ValueError(f"{name}: duplicate keys {spec.key} in the rows to write")
            new_version = _next_version(current)
            staging = folder / f".{new_version}.tmp"
            staging.mkdir()
            part_col = spec.partition_column
            pieces = _split_by_partition(table, spec)
            incoming_parts = list(pieces)
            old_parts = _existing_partitions(current, part_col)
            changed = 0
            matched = 0  # incoming keys that were already in the dataset
            keys = _key(spec)
            all_incoming = f"SELECT ({keys}) FROM incoming"
            # A key can move to another partition (a transaction re-dated into another month)
            # unless the partition is derived from a key column; then other partitions are safe.
            key_may_move = upsert and part_col is not None and spec.partition_from not in spec.key
            for part in incoming_parts:
                old_files = old_parts.get(part, []) if upsert else []
                con.register("incoming_part", pieces[part])
                new_rows = f"SELECT {_columns(spec)} FROM incoming_part"
                if old_files:
                    old_rows = f"SELECT {_columns(spec)} FROM read_parquet({_file_list(old_files)})"
                    changed += _scalar(con, f"SELECT count(*) FROM ({new_rows} EXCEPT ALL {old_rows})")
                    hits = f"SELECT count(*) FROM ({old_rows}) WHERE ({keys}) IN ({all_incoming})"
                    matched += _scalar(con, hits)
                    merged = f"{old_rows} WHERE ({keys}) NOT IN ({all_incoming}) UNION ALL {new_rows}"
                    result = con.sql(f"SELECT * FROM ({merged}) ORDER BY {keys}").to_arrow_table()
                else:  # a new partition: its rows, already in key order
                    changed += pieces[part].num_rows
                    result = pieces[part]
                target = staging if part is None else staging / f"{part_col}={part}"
                target.mkdir(parents=True, exist_ok=True)
                pq.write_table(result.cast(spec.schema), target / "part-0.parquet", **PARQUET_OPTIONS)
            if upsert:
                if changed == 0 and current is not None:
                    shutil.rmtree(staging)
                    return WriteResult(name, None, table.num_rows, 0, self.count(name), 0)
                for part, files in old_parts.items():  # untouched partitions carry over
                    if part in incoming_parts:
                        continue
                    target = staging if part is None else staging / f"{part_col}={part}"
                    old_rows = f"SELECT {_columns(spec)} FROM read_parquet({_file_list(files)})"
                    moved = (
                        _scalar(con, f"SELECT count(*) FROM ({old_rows}) WHERE ({keys}) IN ({all_incoming})")
                        if key_may_move else 0
                    )  # fmt: skip
                    matched += moved
                    if moved:
                        kept = con.sql(
                            f"{old_rows} WHERE ({keys}) NOT IN ({all_incoming}) ORDER BY {keys}"
                        ).to_arrow_table()
                        if kept.num_rows:
                            target.mkdir(parents=True, exist_ok=True)
                            pq.write_table(
                                kept.cast(spec.schema), target / "part-0.parquet", **PARQUET_OPTIONS
                            )
                        continue
                    target.mkdir(parents=True, exist_ok=True)
                    for f in files:
                        os.link(f, target / f.name)
            _swap_in(folder, staging, new_version)
            inserted = table.num_rows - matched if upsert else table.num_rows
            return WriteResult(name, new_version, table.num_rows, changed, self.count(name), inserted)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _columns(spec: DatasetSpec) -> str:
    return ", ".join(f'"{n}"' for n in spec.schema.names)


def _key(spec: DatasetSpec) -> str:
    return ", ".join(f'"{k}"' for k in spec.key)


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _split_by_partition(table: pa.Table, spec: DatasetSpec) -> dict[str | None, pa.Table]:
    """Rows by partition label (``2025-01``; None for an unpartitioned dataset), each in key order.

    One sort by the key, one stable argsort of integer partition labels and one gather, instead
    of one scan of the input per partition.
    """
    if table.num_rows == 0:
        return {} if spec.partition_column is not None else {None: table}
    by_key = [(k, "ascending") for k in spec.key]
    order = pc.sort_indices(table.select(list(spec.key)), sort_keys=by_key).to_numpy()
    if spec.partition_column is None:
        return {None: table.take(pa.array(order))}
    labels = _partition_labels(table, spec)[order]
    by_part = np.argsort(labels, kind="stable")
    order, labels = order[by_part], labels[by_part]
    table = table.take(pa.array(order))
    bounds = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1], True])
    return {
        _partition_label_text(int(labels[lo]), spec): table.slice(lo, hi - lo)
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    }


def _existing_partitions(current: Path | None, part_col: str | None) -> dict[str | None, list[Path]]:
    if current is None:
        return {}
    if part_col is None:
        files = sorted(current.glob("*.parquet"))
        return {None: files} if files else {}
    parts: dict[str | None, list[Path]] = {}
    for sub in sorted(current.glob(f"{part_col}=*")):
        parts[sub.name.split("=", 1)[1]] = sorted(sub.glob("*.parquet"))
    return parts


def _next_version(current: Path | None) -> str:
    number = 0 if current is None else int(_VERSION.fullmatch(current.name).group(1))
    return f"v{number + 1:06d}"


def _remove_abandoned(folder: Path) -> None:
    """Delete what a killed writer left: staging folders and versions newer than _CURRENT."""
    pointer = folder / "_CURRENT"
    current = pointer.read_text().strip() if pointer.exists() else None
    for entry in folder.iterdir():
        if entry.name.endswith(".tmp"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        elif _VERSION.fullmatch(entry.name) and entry.name != current:
            shutil.rmtree(entry)


def _swap_in(folder: Path, staging: Path, new_version: str) -> None:
    """Make the complete ``staging`` folder the current version, atomically; drop older ones."""
    final = folder / new_version
    staging.rename(final)
    tmp_pointer = folder / "_CURRENT.tmp"
    tmp_pointer.write_text(new_version)
    _fsync_dir(final)
    os.replace(tmp_pointer, folder / "_CURRENT")
    _fsync_dir(folder)
    for old in folder.iterdir():
        if _VERSION.fullmatch(old.name) and old.name != new_version:
            shutil.rmtree(old)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_all(lake: Lake, spec: DatasetSpec, table: pa.Table) -> WriteResult:
    """A whole new version from ``table`` alone (``Lake.replace``), with Arrow kernels.

    No old rows take part in a replace, so one sort by the key and one stable split by partition
    give the same files, in the same row order, as the upsert path, without scanning the input
    once per partition (a three-year demo history has dozens of partitions and tens of millions
    of rows). Partitions are written in parallel; each file depends only on its own rows.
    """
    name = spec.name
    with lake._locked(name) as folder:
        _remove_abandoned(folder)
        current = lake.current_dir(name)
        # One permutation: by key, then (stable) by partition, so each partition is in key order.
        order = pc.sort_indices(table.select(list(spec.key)), sort_keys=[(k, "ascending") for k in spec.key])
        if _adjacent_duplicates(table.select(list(spec.key)).take(order), spec.key):
            raise ValueError(f"{name}: duplicate keys {spec.key} in the rows to write")
        order = order.to_numpy()
        part_col = spec.partition_column
        labels = None
        if part_col is not None and table.num_rows:
            labels = _partition_labels(table, spec)[order]
            by_part = np.argsort(labels, kind="stable")
            order, labels = order[by_part], labels[by_part]
        new_version = _next_version(current)
        staging = folder / f".{new_version}.tmp"
        staging.mkdir()
        # Rows are gathered partition by partition inside the writers, so only the partitions being
        # written are ever materialised (a whole sorted copy of a large table would double memory).
        pieces: list[tuple[Path, np.ndarray]] = []
        if part_col is None:
            pieces.append((staging, order))
        elif labels is not None:
            bounds = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1], True])
            for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                label = _partition_label_text(int(labels[lo]), spec)
                pieces.append((staging / f"{part_col}={label}", order[lo:hi]))

        def write(piece: tuple[Path, np.ndarray]) -> None:
            target, rows = piece
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.take(pa.array(rows)), target / "part-0.parquet", **PARQUET_OPTIONS)

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(write, pieces))
        _swap_in(folder, staging, new_version)
        n = table.num_rows
        return WriteResult(name, new_version, n, n, lake.count(name), n)


class StreamWriter:
    """Writes batches of one dataset into a staging version; see ``Lake.replace_stream``.

    Parquet encoding runs on a background thread (pyarrow releases the GIL), so the caller can
    compute the next batch meanwhile; at most two batches wait, which bounds memory.
    """

    def __init__(self, spec: DatasetSpec, staging: Path):
        self.spec = spec
        self.staging = staging
        self.rows = 0
        self.result: WriteResult | None = None
        self._batches = 0
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list = []

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        spec = self.spec
        table = table.select(spec.schema.names).cast(spec.schema)
        order = pc.sort_indices(table.select(list(spec.key)), sort_keys=[(k, "ascending") for k in spec.key])
        if _adjacent_duplicates(table.select(list(spec.key)).take(order), spec.key):
            raise ValueError(f"{spec.name}: duplicate keys {spec.key} in the rows to write")
        sequence = self._batches
        self._batches += 1
        self.rows += table.num_rows
        while len(self._pending) >= 2:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(self._write, table, order.to_numpy(), sequence))

    def _write(self, table: pa.Table, order: np.ndarray, sequence: int) -> None:
        spec = self.spec
        part_col = spec.partition_column
        file_name = f"part-{sequence:05d}.parquet"
        if part_col is None:
            pq.write_table(table.take(pa.array(order)), self.staging / file_name, **PARQUET_OPTIONS)
            return
        labels = _partition_labels(table, spec)[order]
        by_part = np.argsort(labels, kind="stable")
        order, labels = order[by_part], labels[by_part]
        bounds = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1], True])
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            target = self.staging / f"{part_col}={_partition_label_text(int(labels[lo]), spec)}"
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.take(pa.array(order[lo:hi])), target / file_name, **PARQUET_OPTIONS)

    def finish(self) -> None:
        for future in self._pending:
            future.result()
        self._pending.clear()
        self._pool.shutdown()

    def abandon(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)


def _adjacent_duplicates(table: pa.Table, key: tuple[str, ...]) -> bool:
    """Whether two neighbouring rows of ``table`` (sorted by ``key``) share their key."""
    if table.num_rows < 2:
        return False
    same = None
    for k in key:
        column = table.column(k)
        equal = pc.fill_null(pc.equal(column.slice(1), column.slice(0, table.num_rows - 1)), False)
        same = equal if same is None else pc.and_(same, equal)
    return bool(pc.any(same).as_py())


def _partition_labels(table: pa.Table, spec: DatasetSpec) -> np.ndarray:
    """Partition of each row as an integer (yyyymm or yyyy) of its UTC calendar date."""
    column = table.column(spec.partition_from)
    if column.null_count:
        raise ValueError(f"{spec.name}: {spec.partition_from} is empty in {column.null_count} rows")
    if pa.types.is_timestamp(column.type):
        micros = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64()).to_numpy()
        days = np.floor_divide(micros, 86_400_000_000).astype("datetime64[D]")
    else:
        days = pc.cast(column, pa.int32()).to_numpy().astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)
    years = months // 12 + 1970
    return years * 100 + months % 12 + 1 if spec.partition_grain == "month" else years


def _partition_label_text(label: int, spec: DatasetSpec) -> str:
    return f"{label // 100:04d}-{label % 100:02d}" if spec.partition_grain == "month" else f"{label:04d}"
