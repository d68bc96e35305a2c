"""Analytics fixtures: every pipeline test runs on each engine (DuckDB, and Spark in local mode).

One Spark session serves the whole run (it starts in about 5-15 s); DuckDB gets a fresh in-memory
backend per test. ``make_inputs`` registers small hand-made Arrow tables as the batch's inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

import pyarrow as pa
import pytest
from ibis.backends import BaseBackend

from fincrm.config import Settings
from fincrm.intelligence.inputs import Inputs, from_arrow
from fincrm.lake.analytics import ENGINES, backend

# The hand-made pipeline tests touch no database, so the PostgreSQL pass of the suite (which sets
# FINCRM_TEST_DATABASE_URL) runs them on DuckDB only; the SQLite pass covers both engines, and
# test_batch's engine comparison runs on both engines in both passes.
PIPELINE_ENGINES = ("duckdb",) if os.environ.get("FINCRM_TEST_DATABASE_URL") else ENGINES


@pytest.fixture(params=PIPELINE_ENGINES)
def con(request: pytest.FixtureRequest) -> BaseBackend:
    """An Ibis backend on each engine in turn."""
    return backend(Settings(_env_file=None), request.param)


@pytest.fixture
def make_inputs(con: BaseBackend) -> Callable[..., Inputs]:
    def make(as_of: date, **tables: pa.Table) -> Inputs:
        return from_arrow(con, tables, as_of=as_of)

    return make


# A generated demo institution (2,000 clients, planted stories and their answer file), shared by
# the tests of one module; ``demo_inputs`` loads it as the batch's inputs on DuckDB.
from tests.integration.demo.conftest import AS_OF as DEMO_AS_OF  # noqa: E402
from tests.integration.demo.conftest import Demo, demo  # noqa: E402,F401


@pytest.fixture(scope="module")
def demo_inputs(demo: Demo) -> Inputs:  # noqa: F811 - the re-imported fixture
    from fincrm.intelligence.inputs import load

    con = backend(Settings(_env_file=None), "duckdb")
    return load(demo.session, demo.lake, con, as_of=DEMO_AS_OF)
