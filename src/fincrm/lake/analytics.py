"""The analytics connection: one view per lake dataset, on the configured engine.

This is the one module that knows which engine runs. DuckDB (embedded) is the default; Apache
Spark arrives with the intelligence batch and is refused with a clear message until then.
"""

from __future__ import annotations

import duckdb

from fincrm.config import Settings
from fincrm.errors import ConfigurationError
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake, _file_list


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per dataset over its current version.

    A dataset with no data yet is an empty view with the declared columns, so queries never
    fail for lack of files.
    """
    if settings.analytics_engine != "duckdb":
        raise ConfigurationError(
            f"FINCRM_ANALYTICS_ENGINE={settings.analytics_engine} is not available in this version; use duckdb"
        )
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
