"""Child process of the batch's SQLite store extract: run each query through the ADBC SQLite
driver and write its result as an Arrow IPC file.

It runs apart from the batch process because the driver carries its own copy of the SQLite
library, and two copies in one process break SQLite's POSIX file locks (see
``fincrm.intelligence.inputs._extract_adbc``). It imports nothing of fincrm, so it starts fast.

    python -m fincrm.intelligence.sqlite_extract DATABASE FOLDER BATCH_ROWS < jobs.json

``jobs.json`` is ``[{"name": ..., "sql": ...}, ...]``; the names of the tables written go to stdout,
one per line; a query whose later rows disagree with the types inferred from the first
``BATCH_ROWS`` is skipped (its name is not printed), so that the caller reads it another way.
"""

from __future__ import annotations

import json
import sys

import adbc_driver_sqlite.dbapi as driver
import pyarrow as pa
from adbc_driver_manager import Error as AdbcError


def main(database: str, folder: str, batch_rows: int) -> None:
    jobs = json.load(sys.stdin)
    with driver.connect(database) as connection:
        cursor = connection.cursor()
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        for job in jobs:
            try:
                cursor.execute(job["sql"])
                table = cursor.fetch_arrow_table()
            except (AdbcError, OSError):  # a type mismatch surfaces as Arrow's OSError
                continue
            with pa.OSFile(f"{folder}/{job['name']}.arrow", "wb") as sink:
                with pa.ipc.new_file(sink, table.schema) as writer:
                    writer.write_table(table)
            print(job["name"], flush=True)
        cursor.close()
        connection.rollback()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
