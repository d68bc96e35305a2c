"""What the batch reads: the lake datasets plus extracts of the store, as Ibis tables on one backend.

The pipeline is written against ``STORE_SCHEMAS`` (store extracts, keyed by client number like the
lake) and the lake datasets of ``fincrm.lake.schemas``. ``load`` extracts the store into Arrow and
registers everything on the backend; tests call ``from_arrow`` with small hand-made tables. Money is
float64 in the reporting currency inside the pipeline and becomes Decimal again when written back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fincrm.clients.models import (
    Account,
    AccountParty,
    Interaction,
    Party,
    PartyRelationship,
    RiskAssessment,
)
from fincrm.clients.models import Holding as HoldingRow
from fincrm.intelligence import attrition_rules, risk_rules
from fincrm.lake.analytics import lake_tables, register
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake
from fincrm.products.models import Product, ProductExposure

STRING, FLOAT, INT, DATE = pa.string(), pa.float64(), pa.int64(), pa.date32()
TIMESTAMP = pa.timestamp("us", tz="UTC")

STORE_SCHEMAS: dict[str, pa.Schema] = {
    # one row per client; kind individual|corporate; gender F|M; status active|dormant|closed
    "parties": pa.schema(
        [
            ("party_no", STRING),
            ("kind", STRING),
            ("status", STRING),
            ("onboarded_on", DATE),
            ("birth_on", DATE),
            ("gender", STRING),
            ("industry_code", STRING),
            ("income_band", STRING),
            ("occupation", STRING),
            ("city", STRING),
            ("primary_rm_id", INT),
        ]
    ),  # fmt: skip
    # current positions of accounts the client owns (role owner), valued as of as_of_on
    "holdings": pa.schema(
        [
            ("party_no", STRING),
            ("account_no", STRING),
            ("product_code", STRING),
            ("units", FLOAT),
            ("cost_amount", FLOAT),
            ("market_value_amount", FLOAT),
            ("currency", STRING),
            ("as_of_on", DATE),
            ("first_bought_on", DATE),
        ]
    ),  # fmt: skip
    # product shelf; days_to_cash: business days from redemption order to cash
    "products": pa.schema(
        [
            ("product_code", STRING),
            ("kind", STRING),
            ("risk_rating", STRING),
            ("days_to_cash", INT),
            ("lockup_days", INT),
            ("price_series_code", STRING),
            ("matures_on", DATE),
        ]
    ),  # fmt: skip
    # look-through: weight is a fraction (0-1] of the product in the asset class
    "product_exposures": pa.schema([("product_code", STRING), ("asset_class", STRING), ("weight", FLOAT)]),
    # every questionnaire; level C1..C5
    "risk_assessments": pa.schema(
        [("party_no", STRING), ("level", STRING), ("score", INT), ("taken_on", DATE), ("valid_until", DATE)]
    ),
    # only the purposes in INTERACTION_PURPOSES
    "interactions": pa.schema(
        [
            ("party_no", STRING),
            ("occurred_at", TIMESTAMP),
            ("channel", STRING),
            ("direction", STRING),
            ("purpose", STRING),
        ]
    ),  # fmt: skip
    # from_party_no has relation kind to to_party_no (e.g. A --child--> B: B is A's child)
    "relationships": pa.schema([("from_party_no", STRING), ("to_party_no", STRING), ("kind", STRING)]),
}

TABLES = (*STORE_SCHEMAS, *DATASETS)
EXTRACT_BATCH = 200_000  # rows fetched from the store per round trip
# The batch reads only these interactions (inquiries during drawdowns, complaints), so routine
# contacts (millions at scale) are never extracted.
INTERACTION_PURPOSES = (risk_rules.CONCERN_PURPOSE, attrition_rules.COMPLAINT_PURPOSE)


class Inputs(Mapping[str, ibis.Table]):
    """Every table the pipeline reads, by name, on one backend."""

    def __init__(self, con: BaseBackend, tables: dict[str, ibis.Table], as_of: date) -> None:
        self.con, self._tables, self.as_of = con, tables, as_of

    def __getitem__(self, name: str) -> ibis.Table:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def from_arrow(con: BaseBackend, tables: Mapping[str, pa.Table], *, as_of: date) -> Inputs:
    """Register hand-made tables (tests, examples); missing ones are empty with their columns.

    Each given table must have every declared column (a missing one is an error naming it) and is
    cast to the declared types.
    """
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise KeyError(f"unknown input tables: {', '.join(sorted(unknown))}")
    registered = {}
    for name in TABLES:
        schema = STORE_SCHEMAS[name] if name in STORE_SCHEMAS else DATASETS[name].schema
        given = tables.get(name)
        if given is None:
            table = schema.empty_table()
        else:
            missing = [f.name for f in schema if f.name not in given.column_names]
            if missing:
                raise KeyError(f"input table {name} lacks columns: {', '.join(missing)}")
            table = given.select(schema.names).cast(schema)
        registered[name] = register(con, name, table)
    return Inputs(con, registered, as_of)


def load(session: Session, lake: Lake, con: BaseBackend, *, as_of: date) -> Inputs:
    """Extract the store and expose the lake on ``con``: everything the batch reads."""
    tables = dict(lake_tables(con, lake))
    for name, statement in _extracts().items():
        tables[name] = register(con, name, _fetch(session, statement, STORE_SCHEMAS[name]))
    return Inputs(con, tables, as_of)


def _extracts() -> dict[str, Select]:
    owner = (
        select(AccountParty.account_id, Party.party_no)
        .join(Party, Party.id == AccountParty.party_id)
        .where(AccountParty.role == "owner")
        .subquery()
    )
    return {
        "parties": select(
            Party.party_no,
            Party.kind,
            Party.status,
            Party.onboarded_on,
            Party.birth_on,
            Party.gender,
            Party.industry_code,
            Party.income_band,
            Party.occupation,
            Party.city,
            Party.primary_rm_id,
        ).order_by(Party.party_no),  # fmt: skip
        "holdings": select(
            owner.c.party_no,
            Account.account_no,
            Product.code,
            HoldingRow.units,
            HoldingRow.cost_amount,
            HoldingRow.market_value_amount,
            HoldingRow.currency,
            HoldingRow.as_of_on,
            HoldingRow.first_bought_on,
        )
        .join(Account, Account.id == HoldingRow.account_id)
        .join(owner, owner.c.account_id == HoldingRow.account_id)
        .join(Product, Product.id == HoldingRow.product_id)
        .order_by(owner.c.party_no, Account.account_no, Product.code),  # fmt: skip
        "products": select(
            Product.code,
            Product.kind,
            Product.risk_rating,
            Product.days_to_cash,
            Product.lockup_days,
            Product.price_series_code,
            Product.matures_on,
        ).order_by(Product.code),  # fmt: skip
        "product_exposures": select(
            Product.code, ProductExposure.asset_class, ProductExposure.weight_pct / 100
        )
        .join(Product, Product.id == ProductExposure.product_id)
        .order_by(Product.code, ProductExposure.asset_class, ProductExposure.sector),
        "risk_assessments": select(
            Party.party_no,
            RiskAssessment.level,
            RiskAssessment.score,
            RiskAssessment.taken_on,
            RiskAssessment.valid_until,
        )
        .join(Party, Party.id == RiskAssessment.party_id)
        .order_by(Party.party_no, RiskAssessment.taken_on, RiskAssessment.id),  # fmt: skip
        "interactions": select(
            Party.party_no,
            Interaction.occurred_at,
            Interaction.channel,
            Interaction.direction,
            Interaction.purpose,
        )
        .join(Party, Party.id == Interaction.party_id)
        .where(Interaction.purpose.in_(INTERACTION_PURPOSES))
        .order_by(Party.party_no, Interaction.occurred_at, Interaction.id),
        "relationships": _relationships(),
    }


def _relationships() -> Select:
    source, target = Party.__table__.alias("source"), Party.__table__.alias("target")
    return (
        select(source.c.party_no, target.c.party_no, PartyRelationship.kind)
        .join(source, source.c.id == PartyRelationship.from_party_id)
        .join(target, target.c.id == PartyRelationship.to_party_id)
        .order_by(source.c.party_no, target.c.party_no, PartyRelationship.kind)
    )


def _fetch(session: Session, statement: Select, schema: pa.Schema) -> pa.Table:
    """Stream a select into Arrow in batches of ``EXTRACT_BATCH`` rows, columns cast to ``schema``.

    The statement runs on the driver cursor (its few literals rendered inline) and each column is
    converted by Arrow in one call: SQLAlchemy's per-value result processing and Python loops cost
    about 30,000 rows/s here, which made the store extract the slowest part of the batch.
    """
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.exec_driver_sql(sql)
    batches = []
    while rows := cursor.fetchmany(EXTRACT_BATCH):
        columns = list(zip(*rows, strict=True))
        arrays = [_array(values, field.type) for values, field in zip(columns, schema, strict=True)]
        batches.append(pa.record_batch(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _array(values: tuple, type_: pa.DataType) -> pa.Array:
    """One column of driver values as ``type_``: SQLite hands dates and timestamps over as ISO text
    (timestamps in UTC, as fincrm stores them), PostgreSQL as date/datetime objects."""
    if pa.types.is_timestamp(type_):
        if any(isinstance(v, str) for v in values):
            return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(type_)
        return pa.array(values, pa.timestamp("us", tz="UTC")).cast(type_)
    if pa.types.is_date(type_) and any(isinstance(v, str) for v in values):
        return pa.array(values, pa.string()).cast(type_)
    if pa.types.is_floating(type_):
        return pa.array([None if v is None else float(v) for v in values], type_)
    if pa.types.is_string(type_):
        return pa.array(values, pa.string())
    return pa.array(values, type_)
