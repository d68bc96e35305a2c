"""Declarative base, constraint naming convention and the column types every capability shares.

Constraint names are stable (``uq_parties_party_no``) so that a violation can be reported
against the right field. Money is NUMERIC(18, 2) next to a 3-letter currency column; units are
NUMERIC(20, 6); rates in percent are NUMERIC(9, 6). Datetimes are stored in UTC and always come
back timezone-aware, on SQLite too.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric, String, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# BIGINT primary keys on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

AMOUNT = Numeric(18, 2, asdecimal=True)  # money, paired with a currency column
UNITS = Numeric(20, 6, asdecimal=True)  # fund units, shares
RATE_PCT = Numeric(9, 6, asdecimal=True)  # percent: 1.5 means 1.5 %

id_pk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
amount = Annotated[Decimal, mapped_column(AMOUNT)]
currency = Annotated[str, mapped_column(String(3))]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]


def enum_column(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint listing the values."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
