"""The analytics connection: one view per lake dataset, on the configured engine.

This is the one module that knows which engine runs. DuckDB (embedded) is the default; Apache
Spark (PySpark) runs the same Ibis expressions when one machine is outgrown. ``connect`` gives a raw
DuckDB connection for the import checks; ``backend`` gives an Ibis backend on either engine.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any, Literal

import duckdb
import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from fincrm.config import Settings
from fincrm.errors import ConfigurationError
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake, _file_list


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per dataset over its current version.

    A dataset with no data yet is an empty view with the declared columns, so queries never
    fail for lack of files.
    """
    lake = Lake(settings.lake_path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, spec in DATASETS.items():
        files = lake.files(name)
        if files:
            cols = ", ".join(f'"{n}"' for n in spec.schema.names)
            con.execute(f"CREATE VIEW {name} AS SELECT {cols} FROM read_parquet({_file_list(files)})")
        else:
            con.register(f"_{name}_empty", spec.schema.empty_table())
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
    return con


# --- Ibis: one pipeline, two engines ------------------------------------------------------------
#
# The intelligence batch is written once as Ibis expressions. ``backend`` returns an Ibis backend on
# DuckDB (embedded) or PySpark; ``register`` puts an Arrow table (a store extract) next to the lake
# datasets under a name, and ``lake_tables`` exposes every dataset's current version.

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")

_spark_lock = threading.Lock()
_spark_session: Any = None


def spark_session(settings: Settings) -> Any:
    """The process's Spark session (created once; Spark allows one per JVM).

    Local mode binds to loopback and keeps its warehouse in a temporary folder; the session time
    zone is UTC, like every timestamp in the lake.
    """
    global _spark_session
    with _spark_lock:
        if _spark_session is not None:
            return _spark_session
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "FINCRM_ANALYTICS_ENGINE=spark needs pyspark: install fincrm with the `spark` extra"
            ) from exc
        master = settings.spark_master
        builder = (
            SparkSession.builder.appName("fincrm-batch")
            .master(master)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.ansi.enabled", "false")
        )
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = (
                builder.config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.memory", settings.analytics_memory.replace("GB", "g"))
                .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="fincrm-spark-warehouse-"))
            )
        _spark_session = builder.getOrCreate()
        _spark_session.sparkContext.setLogLevel("ERROR")
        return _spark_session


def backend(settings: Settings, engine: Engine | None = None) -> BaseBackend:
    """A fresh Ibis backend on ``engine`` (default: the configured one)."""
    engine = engine or settings.analytics_engine
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql(f"SET memory_limit = '{settings.analytics_memory}'")
        # Every result the pipeline relies on is ordered explicitly; without this DuckDB keeps
        # the order of rows through scans and materialisations (about 10% slower on 100M rows).
        con.raw_sql("SET preserve_insertion_order = false")
        return con
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(settings))
    raise ConfigurationError(f"unknown analytics engine {engine!r}; use one of {', '.join(ENGINES)}")


def engine_of(con: BaseBackend) -> Engine:
    return "spark" if con.name == "pyspark" else "duckdb"


def register(con: BaseBackend, name: str, table: pa.Table) -> ibis.Table:
    """Make an Arrow table queryable as ``name`` on ``con`` (replacing any table of that name)."""
    if con.name == "pyspark":
        session = con._session  # the backend's SparkSession
        if table.num_rows == 0:
            frame = session.createDataFrame([], schema=_spark_schema(table.schema))
        else:
            # PySpark 4 takes Arrow directly; through pandas, multi-chunk string columns fail Arrow
            # conversion and the row-by-row fallback refuses nullable integers (NaN floats)
            frame = session.createDataFrame(_spark_safe(table), schema=_spark_schema(table.schema))
        frame.createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, table, temp=True, overwrite=True)


def materialize(con: BaseBackend, name: str, expr: ibis.Table) -> ibis.Table:
    """Compute ``expr`` once and keep the result as ``name`` for the queries that follow.

    DuckDB stores it as a temporary table; Spark caches the DataFrame behind a temporary view (in
    memory, spilling to local disk) and fills the cache now, so that later queries read the
    cached rows instead of recomputing ``expr`` from the lake.
    """
    if con.name == "pyspark":
        frame = con._session.sql(con.compile(expr)).persist()
        frame.count()
        frame.createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, expr, temp=True, overwrite=True)


def lake_tables(con: BaseBackend, lake: Lake) -> dict[str, ibis.Table]:
    """Every lake dataset's current version as an Ibis table (empty, with its columns, if no data)."""
    tables: dict[str, ibis.Table] = {}
    for name, spec in DATASETS.items():
        files = lake.files(name)
        if not files:
            tables[name] = register(con, name, spec.schema.empty_table())
        elif con.name == "pyspark":
            frame = con._session.read.parquet(*map(str, files)).select(*spec.schema.names)
            frame.createOrReplaceTempView(name)
            tables[name] = con.table(name)
        else:
            cols = ", ".join(f'"{n}"' for n in spec.schema.names)
            con.raw_sql(
                f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} FROM read_parquet({_file_list(files)})"
            )
            tables[name] = con.table(name)
    return tables


def _spark_safe(table: pa.Table) -> pa.Table:
    """Arrow types Spark takes from pandas: decimals as float64, timestamps as UTC microseconds."""
    fields = []
    for f in table.schema:
        if pa.types.is_decimal(f.type):
            fields.append(pa.field(f.name, pa.float64()))
        elif pa.types.is_timestamp(f.type):
            fields.append(pa.field(f.name, pa.timestamp("us", tz="UTC")))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields))


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql import types as T

    def convert(t: pa.DataType) -> Any:
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return T.StringType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_integer(t):
            return T.LongType() if t.bit_width > 32 else T.IntegerType()
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            return T.DoubleType()
        if pa.types.is_date(t):
            return T.DateType()
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        raise TypeError(f"no Spark type for Arrow {t}")

    return T.StructType([T.StructField(f.name, convert(f.type), True) for f in schema])
