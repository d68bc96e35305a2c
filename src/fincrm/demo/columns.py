"""Column building blocks of the generator: exact decimals, UTC timestamps, strings, spill files.

Conventions: money is carried as int64 *cents* and product units as int64 *micro-units*
(1e-6) until the moment a column is written, so sums reconcile exactly; Arrow decimal128
columns are built straight from those integers (the unscaled value is the integer), never
through float. Instants are int64 microseconds since the Unix epoch, UTC. Dates are int32 days
since the epoch. Strings are built with Arrow compute kernels (take, join), not Python loops.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

US_PER_DAY = 86_400_000_000
US_PER_SECOND = 1_000_000
CST_OFFSET_US = 8 * 3600 * US_PER_SECOND  # Asia/Shanghai is UTC+8 all year (no daylight saving)
STAMP = pa.timestamp("us", tz="UTC")


def take(values: pa.Array | Sequence[str], idx: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``values[idx]`` as an Arrow array; rows where ``valid`` is False are null."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    indices = pa.array(np.asarray(idx, dtype=np.int64), mask=None if valid is None else ~np.asarray(valid))
    return pc.take(arr, indices)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation; a plain ``str`` is broadcast."""
    return pc.binary_join_element_wise(*parts, "")


def int_str(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as decimal strings, left-padded with zeros to ``width``."""
    s = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def decimal_array(
    unscaled: np.ndarray, scale: int, precision: int, valid: np.ndarray | None = None
) -> pa.Array:
    """decimal128(precision, scale) whose unscaled values are ``unscaled`` (e.g. cents for scale 2)."""
    v = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((len(v), 2), dtype=np.int64)
    words[:, 0] = v
    words[:, 1] = v >> 63  # sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), len(v), [_validity(valid, len(v)), pa.py_buffer(words)]
    )


def amounts(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return decimal_array(cents, 2, 18, valid)


def units(micro: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return decimal_array(micro, 6, 20, valid)


def stamps(us: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64)).view(STAMP)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    d = np.ascontiguousarray(days, dtype=np.int32)
    return pa.Array.from_buffers(pa.date32(), len(d), [_validity(valid, len(d)), pa.py_buffer(d)])


def _validity(valid: np.ndarray | None, n: int) -> pa.Buffer | None:
    if valid is None:
        return None
    return pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))


def local_stamp(day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """UTC microseconds of ``seconds`` after local (UTC+8) midnight of epoch ``day``."""
    return (
        np.asarray(day, dtype=np.int64) * US_PER_DAY
        + np.asarray(seconds, dtype=np.int64) * US_PER_SECOND
        - CST_OFFSET_US
    )


def ymd_int(days: np.ndarray) -> np.ndarray:
    """Epoch days as yyyymmdd integers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    return (
        (year.astype(np.int64) + 1970) * 10_000
        + (month.astype(np.int64) % 12 + 1) * 100
        + (d - month.astype("datetime64[D]")).astype(np.int64)
        + 1
    )


def cents_text(cents: np.ndarray) -> list[str]:
    """Amounts as exact decimal strings ('-12.30'), the form both databases parse without float."""
    return amounts(cents).cast(pa.string()).to_pylist()


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Start offsets of runs of equal values in a sorted array."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def group_rank(keys: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal values (``keys`` sorted)."""
    n = len(keys)
    starts = group_starts(keys)
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n) - first


class Spill:
    """Per-chunk Arrow tables of one generation, kept until the lake write.

    Tables stay in memory up to ``memory_bytes``; past that they go to Arrow IPC files that are
    read back memory-mapped, so a million clients (tens of GB of rows) cost page cache rather
    than heap.
    """

    def __init__(self, root: Path, memory_bytes: int = 4 * 1024**3):
        self.root = root
        self.memory_bytes = memory_bytes
        self._held = 0
        self._dir: Path | None = None
        self._parts: dict[str, list[pa.Table | Path]] = {}
        self._sources: list[pa.MemoryMappedFile] = []

    def add(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        parts = self._parts.setdefault(name, [])
        if self._held + table.nbytes <= self.memory_bytes:
            self._held += table.nbytes
            parts.append(table)
            return
        if self._dir is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix=".demo-spill-", dir=self.root))
        path = self._dir / f"{name}-{len(parts):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        parts.append(path)

    def table(self, name: str, schema: pa.Schema) -> pa.Table:
        tables = []
        for part in self._parts.get(name, []):
            if isinstance(part, Path):
                source = pa.memory_map(str(part), "r")
                self._sources.append(source)
                part = pa.ipc.open_file(source).read_all()
            tables.append(part)
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def drop(self, name: str) -> None:
        """Forget a dataset once it is written, so its memory can be reused."""
        for part in self._parts.pop(name, []):
            if not isinstance(part, Path):
                self._held -= part.nbytes

    def close(self) -> None:
        for source in self._sources:
            source.close()
        self._sources.clear()
        self._parts.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
