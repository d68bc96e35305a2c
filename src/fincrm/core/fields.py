"""Declared fields of tabular data (lake datasets and import entities).

One ``Field`` list describes a dataset: its Arrow schema for Parquet, and the rules an import
checks row by row (required, type, allowed values, range, pattern, length). Kinds:

- ``string``: text; ``max_length`` in characters
- ``int``: 64-bit integer
- ``float``: 64-bit float (prices and ratios, never money)
- ``amount``: money, decimal(18, 2); ``units``: decimal(20, 6); ``rate``: percent, decimal(9, 6)
- ``date``: calendar date, ISO ``YYYY-MM-DD`` unless a mapping gives a format
- ``timestamp``: instant; naive inputs are read in the business timezone and stored in UTC
- ``bool``: true/false, 1/0, yes/no, 是/否
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

FieldKind = Literal["string", "int", "float", "amount", "units", "rate", "date", "timestamp", "bool"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "amount": pa.decimal128(18, 2),
    "units": pa.decimal128(20, 6),
    "rate": pa.decimal128(9, 6),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: FieldKind
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    exclusive_min: bool = False  # True: value must be > min_value
    pattern: str | None = None  # full-match regular expression for strings
    max_length: int | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.kind]


def arrow_schema(fields: tuple[Field, ...]) -> pa.Schema:
    return pa.schema([pa.field(f.name, f.arrow_type, nullable=not f.required) for f in fields])
