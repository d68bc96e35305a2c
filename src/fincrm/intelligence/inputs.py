"""What the batch reads: the lake datasets plus extracts of the store, as Ibis tables on one backend.

The pipeline is written against ``STORE_SCHEMAS`` (store extracts, keyed by client number like the
lake) and the lake datasets of ``fincrm.lake.schemas``. ``load`` extracts the store into Arrow and
registers everything on the backend; tests call ``from_arrow`` with small hand-made tables. Money is
float64 in the reporting currency inside the pipeline and becomes Decimal again when written back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from sqlalchemy import BigInteger, Float, Select, String, cast, select
from sqlalchemy.engine import URL, make_url
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
from fincrm.intelligence import attrition_rules, risk_rules, signal_rules
from fincrm.lake.analytics import lake_tables, materialize, register
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
# Counterparty categories of the transactions the signal rules read row by row.
EVENT_CATEGORIES = signal_rules.TRANSACTION_CATEGORIES
# Transaction kinds the product rules read (RFM holding time, repurchases, redemptions in drawdowns),
# kept even without a product code.
PRODUCT_KINDS = ("purchase", "redemption", "maturity")
ADBC_BATCH_ROWS = 1_000_000  # the SQLite driver infers each column's type from the first batch


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
    _stage(con, registered)
    return Inputs(con, registered, as_of)


def load(
    session: Session, lake: Lake, con: BaseBackend, *, as_of: date, store_url: str | URL | None = None
) -> Inputs:
    """Extract the store and expose the lake on ``con``: everything the batch reads.

    With ``store_url`` (the batch passes its engine's URL) the store is read through Arrow's
    database connectivity drivers (ADBC, SQLite or PostgreSQL) in one read-only transaction,
    straight into Arrow; without it, or for another database, through ``session``, which also
    sees that session's uncommitted changes.
    """
    tables = dict(lake_tables(con, lake))
    # The driver reads the store on one core while the engine stages the lake on the others.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_extract_adbc, store_url) if store_url is not None else None
        _stage(con, tables)
        fast = pending.result() if pending is not None else None
    for name, statement in _extracts().items():
        schema = STORE_SCHEMAS[name]
        table = fast.get(name) if fast is not None else None
        if table is None:
            table = _fetch(session, statement, schema)
        tables[name] = register(con, name, table)
    return Inputs(con, tables, as_of)


def _stage(con: BaseBackend, tables: dict[str, ibis.Table]) -> None:
    """Add the derived inputs that several steps read, computed once from the lake.

    ``event_transactions`` keeps the few transactions the row-level rules look at (product trades
    and payouts, purchases, redemptions and maturities, the counterparty categories of
    ``EVENT_CATEGORIES``) with their UTC booking day and float amounts, so those steps never scan every transaction again;
    ``product_transactions`` is its rows with a product or of a ``PRODUCT_KINDS`` kind.
    """
    t = tables["transactions"]
    keep = (
        t.product_code.notnull() | t.kind.isin(PRODUCT_KINDS) | t.counterparty_category.isin(EVENT_CATEGORIES)
    )
    events = t.filter(keep).select(
        "txn_id", "party_no", "kind", "product_code", "counterparty_category",
        day=t.booked_at.date(), amount=t.amount.cast("float64"), units=t.units.cast("float64"),
    )  # fmt: skip
    events = materialize(con, "event_transactions", events)
    tables["event_transactions"] = events
    tables["product_transactions"] = events.filter(
        events.product_code.notnull() | events.kind.isin(PRODUCT_KINDS)
    )


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
        ),  # fmt: skip
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
        .join(Product, Product.id == HoldingRow.product_id),  # fmt: skip
        "products": select(
            Product.code,
            Product.kind,
            Product.risk_rating,
            Product.days_to_cash,
            Product.lockup_days,
            Product.price_series_code,
            Product.matures_on,
        ),  # fmt: skip
        "product_exposures": select(
            Product.code, ProductExposure.asset_class, ProductExposure.weight_pct / 100
        ).join(Product, Product.id == ProductExposure.product_id),
        "risk_assessments": select(
            Party.party_no,
            RiskAssessment.level,
            RiskAssessment.score,
            RiskAssessment.taken_on,
            RiskAssessment.valid_until,
        ).join(Party, Party.id == RiskAssessment.party_id),  # fmt: skip
        "interactions": select(
            Party.party_no,
            Interaction.occurred_at,
            Interaction.channel,
            Interaction.direction,
            Interaction.purpose,
        )
        .join(Party, Party.id == Interaction.party_id)
        .where(Interaction.purpose.in_(INTERACTION_PURPOSES)),
        "relationships": _relationships(),
    }


def _relationships() -> Select:
    source, target = Party.__table__.alias("source"), Party.__table__.alias("target")
    return (
        select(source.c.party_no, target.c.party_no, PartyRelationship.kind)
        .join(source, source.c.id == PartyRelationship.from_party_id)
        .join(target, target.c.id == PartyRelationship.to_party_id)
    )


def _extract_adbc(store_url: str | URL) -> dict[str, pa.Table] | None:
    """Every extract through ADBC in one read-only transaction, or None for another database.

    The drivers hand over Arrow columns directly: about 4x faster than a Python cursor on SQLite
    (1.08M clients: 7 s instead of 36 s, measured in benchmarks/batch.py). On SQLite every column
    is cast in SQL so that its values share one storage class; the driver infers a column's type
    from the first ``ADBC_BATCH_ROWS`` rows, and a table whose later rows disagree with that
    (a column null throughout the first batch, say) is left out of the result, so that ``load``
    reads it through the session instead: slower, never wrong.

    The SQLite driver carries its own copy of the SQLite library. Two copies in one process break
    SQLite's POSIX file locks (closing one copy's file drops the other's locks: "disk I/O error",
    or worse, see sqlite.org/howtocorrupt.html 2.2), so on SQLite the extract runs in a child
    process and hands its tables back as Arrow IPC files.
    """
    url = make_url(store_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return _extract_sqlite_in_child(url.database)
    if backend == "postgresql":
        import adbc_driver_postgresql.dbapi as driver

        connection = driver.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        return _extract_postgresql(connection)
    return None


def _extract_sqlite_in_child(path: str) -> dict[str, pa.Table]:
    """Run ``python -m fincrm.intelligence.sqlite_extract`` (a fresh, light interpreter: no fork
    of this process) on the compiled extracts and read the Arrow IPC files it writes."""
    import json
    import subprocess
    import sys
    import tempfile

    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    jobs = [
        {"name": name, "sql": str(_typed_select(statement, STORE_SCHEMAS[name], sqlite=True).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}))}
        for name, statement in _extracts().items()
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="fincrm-extract-") as folder:
        done = subprocess.run(
            [sys.executable, "-m", "fincrm.intelligence.sqlite_extract", path, folder, str(ADBC_BATCH_ROWS)],
            input=json.dumps(jobs), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"the store extract process failed: {done.stderr.strip()[-2000:]}")
        out = {}
        for name in done.stdout.split():
            with pa.memory_map(f"{folder}/{name}.arrow") as source:
                raw = pa.ipc.open_file(source).read_all()
            schema = STORE_SCHEMAS[name]
            arrays = [_conform(raw.column(i), field.type) for i, field in enumerate(schema)]
            out[name] = pa.Table.from_arrays(arrays, schema=schema)
        return out


def _extract_postgresql(connection: Any) -> dict[str, pa.Table]:
    """Every extract on one ADBC PostgreSQL connection, in one repeatable-read snapshot."""
    from adbc_driver_manager import Error as AdbcError
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    out: dict[str, pa.Table] = {}
    with connection:
        cursor = connection.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, statement in _extracts().items():
            schema = STORE_SCHEMAS[name]
            typed = _typed_select(statement, schema, sqlite=False)
            sql = str(typed.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            try:
                cursor.execute(sql)
                raw = cursor.fetch_arrow_table()
            except (AdbcError, OSError):
                continue  # the session path reads this table (see _extract_adbc)
            arrays = [_conform(raw.column(i), field.type) for i, field in enumerate(schema)]
            out[name] = pa.Table.from_arrays(arrays, schema=schema)
        cursor.close()
        connection.rollback()
    return out


def _typed_select(statement: Select, schema: pa.Schema, *, sqlite: bool) -> Select:
    """``statement``'s columns under the schema's names; on SQLite cast to one storage class each
    (dates and timestamps stay ISO text there, as SQLite keeps them)."""
    sub = statement.subquery()
    columns = []
    for column, field in zip(sub.c, schema, strict=True):
        if pa.types.is_floating(field.type):
            value = cast(column, Float)
        elif sqlite and pa.types.is_integer(field.type):
            value = cast(column, BigInteger)
        elif sqlite:
            value = cast(column, String)
        else:
            value = column
        columns.append(value.label(field.name))
    return select(*columns)


def _conform(column: pa.ChunkedArray, type_: pa.DataType) -> pa.ChunkedArray:
    """A driver's column as ``type_``: ISO text dates and UTC timestamps (SQLite) are parsed, and a
    column null throughout (typed int64 by the driver) becomes nulls of ``type_``."""
    if column.type == type_:
        return column
    if column.null_count == len(column):
        return pa.chunked_array([pa.nulls(len(column), type_)])
    if pa.types.is_timestamp(type_):
        if pa.types.is_string(column.type):
            return column.cast(pa.timestamp("us")).cast(type_)
        return column.cast(pa.timestamp("us", tz="UTC")).cast(type_)
    return column.cast(type_)


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
