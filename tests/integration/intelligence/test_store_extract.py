"""The batch's store extract: the ADBC drivers (SQLite, PostgreSQL) give the same tables as the session.

Runs on a small demo institution committed to a database of its own (an SQLite file, or a schema on
the test PostgreSQL in the suite's second pass), because the drivers open their own connection and
see only committed rows.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from sqlalchemy import select, update

from fincrm.clients.models import Party
from fincrm.config import Settings
from fincrm.db import migrate
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.demo import generate_institution
from fincrm.intelligence import inputs
from fincrm.lake.store import Lake
from tests.conftest import drop_database, new_database_url

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("extract")
    url = new_database_url(root)
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as session:
        generate_institution(
            session, Lake(root / "lake"), clients=300, seed=7, as_of=AS_OF,
            pii_key=Settings().pii_key_bytes, answers_path=root / "answers.json",
        )  # fmt: skip
    yield url, sessions
    engine.dispose()
    drop_database(url)


def session_tables(sessions) -> dict[str, pa.Table]:
    with unit_of_work(sessions) as session:
        return {
            name: inputs._fetch(session, statement, inputs.STORE_SCHEMAS[name])
            for name, statement in inputs._extracts().items()
        }


def canonical(table: pa.Table) -> list[tuple]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def test_the_drivers_give_every_table_equal_to_the_session_path(store) -> None:
    url, sessions = store
    fast = inputs._extract_adbc(url)
    slow = session_tables(sessions)
    assert fast is not None and set(fast) == set(inputs.STORE_SCHEMAS)
    for name, table in slow.items():
        assert table.num_rows > 0 or name == "interactions", name
        assert fast[name].schema == inputs.STORE_SCHEMAS[name], name
        assert canonical(fast[name]) == canonical(table), name


def test_a_column_whose_type_the_driver_guesses_wrong_is_read_through_the_session(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, sessions = store
    if not url.startswith("sqlite"):
        pytest.skip("type inference from the first rows is specific to the SQLite driver")
    # the first party (in table order) without an industry code, a later one with one: a driver
    # that reads one row per batch infers an integer column, then meets text
    with unit_of_work(sessions) as session:
        first = session.scalars(select(Party.id).order_by(Party.id).limit(1)).one()
        code = session.scalars(select(Party.industry_code).where(Party.id == first)).one()
        session.execute(update(Party).where(Party.id == first).values(industry_code=None))
    try:
        monkeypatch.setattr(inputs, "ADBC_BATCH_ROWS", 1)
        fast = inputs._extract_adbc(url)
        assert "parties" not in fast
        assert "relationships" in fast  # the other tables still come from the driver
        with unit_of_work(sessions) as session:
            from fincrm.lake.analytics import backend

            con = backend(Settings(_env_file=None), "duckdb")
            data = inputs.load(session, Lake(url), con, as_of=AS_OF, store_url=url)
            parties = con.to_pyarrow(data["parties"])
        assert canonical(parties) == canonical(session_tables(sessions)["parties"])
    finally:
        with unit_of_work(sessions) as session:
            session.execute(update(Party).where(Party.id == first).values(industry_code=code))
