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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
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

    def upsert(self, name: str, table: pa.Table) -> WriteResult:
        """Insert new keys and overwrite existing ones; rows whose key is absent stay.

        Re-offering rows that are already there changes nothing and creates no version.
        """
        return self._write(name, table, upsert=True)

    def _write(self, name: str, table: pa.Table, *, upsert: bool) -> WriteResult:
        spec = DATASETS[name]
        table = table.select(spec.schema.names).cast(spec.schema)
        with self._locked(name) as folder, duckdb.connect() as con:
            _remove_abandoned(folder)
            current = self.current_dir(name)
            con.register("incoming", _with_partition(table, spec))
            dup_sql = f"SELECT count(*) FROM (SELECT {_key(spec)} FROM incoming GROUP BY ALL HAVING count(*) > 1)"
            if _scalar(con, dup_sql):
                raise ValueError(f"{name}: duplicate keys {spec.key} in the rows to write")
            new_version = _next_version(current)
            staging = folder / f".{new_version}.tmp"
            staging.mkdir()
            part_col = spec.partition_column
            incoming_parts = (
                [None] if part_col is None
                else [r[0] for r in con.execute(f"SELECT DISTINCT {part_col} FROM incoming ORDER BY 1").fetchall()]
            )  # fmt: skip
            old_parts = _existing_partitions(current, part_col)
            changed = 0
            for part in incoming_parts:
                where = "" if part is None else f" WHERE {part_col} = '{part}'"
                old_files = old_parts.get(part, []) if upsert else []
                new_rows = f"SELECT {_columns(spec)} FROM incoming{where}"
                if old_files:
                    old_rows = f"SELECT {_columns(spec)} FROM read_parquet({_file_list(old_files)})"
                    changed += _scalar(con, f"SELECT count(*) FROM ({new_rows} EXCEPT ALL {old_rows})")
                    merged = (
                        f"{old_rows} WHERE ({_key(spec)}) NOT IN (SELECT ({_key(spec)}) FROM incoming{where}) "
                        f"UNION ALL {new_rows}"
                    )
                else:
                    changed += _scalar(con, f"SELECT count(*) FROM ({new_rows})")
                    merged = new_rows
                result = con.sql(f"SELECT * FROM ({merged}) ORDER BY {', '.join(spec.key)}").to_arrow_table()
                target = staging if part is None else staging / f"{part_col}={part}"
                target.mkdir(parents=True, exist_ok=True)
                pq.write_table(result.cast(spec.schema), target / "part-0.parquet", **PARQUET_OPTIONS)
            if upsert:
                if changed == 0 and current is not None:
                    shutil.rmtree(staging)
                    return WriteResult(name, None, table.num_rows, 0, self.count(name))
                for part, files in old_parts.items():  # untouched partitions carry over
                    if part in incoming_parts:
                        continue
                    target = staging if part is None else staging / f"{part_col}={part}"
                    target.mkdir(parents=True, exist_ok=True)
                    for f in files:
                        os.link(f, target / f.name)
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
            return WriteResult(name, new_version, table.num_rows, changed, self.count(name))


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _columns(spec: DatasetSpec) -> str:
    return ", ".join(f'"{n}"' for n in spec.schema.names)


def _key(spec: DatasetSpec) -> str:
    return ", ".join(f'"{k}"' for k in spec.key)


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _with_partition(table: pa.Table, spec: DatasetSpec) -> pa.Table:
    if spec.partition_from is None:
        return table
    column = table.column(spec.partition_from)
    fmt = "%Y-%m" if spec.partition_grain == "month" else "%Y"
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.timestamp("us"))  # partition by the UTC calendar
    labels = pc.strftime(column, format=fmt)
    return table.append_column(spec.partition_column, labels)


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
