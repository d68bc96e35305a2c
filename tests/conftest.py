"""Shared fixtures: database choice, migrated schema, per-test transaction, lake, CLI settings.

The store is SQLite (a temporary file) unless ``FINCRM_TEST_DATABASE_URL`` names a PostgreSQL
database; there every test run works in its own schema, so parallel runs never meet. The schema
is built once per run by the Alembic migrations (so they are tested too) and every test runs in
a transaction that is rolled back; services that "commit" through ``unit_of_work`` commit a
savepoint only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings
from fincrm.db import migrate
from fincrm.db.engine import make_engine
from fincrm.lake.store import Lake

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _postgres_url() -> str | None:
    return os.environ.get("FINCRM_TEST_DATABASE_URL") or None


def new_database_url(tmp_path: Path) -> str:
    """URL of a new, empty database: an SQLite file, or a fresh schema on the test PostgreSQL."""
    pg = _postgres_url()
    if pg is None:
        return f"sqlite:///{tmp_path / 'fincrm.db'}"
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = make_engine(pg)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    schema = parsed.query["options"].split("=", 1)[1]
    engine = make_engine(_postgres_url())
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = new_database_url(tmp_path_factory.mktemp("db"))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def connection(engine: Engine) -> Iterator:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture()
def sessions(connection) -> sessionmaker[Session]:
    """A session factory bound to the test's transaction: commits become savepoints."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture()
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture()
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


@pytest.fixture()
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment for running the CLI against its own empty store and lake."""
    url = new_database_url(tmp_path)
    env = {"FINCRM_DATABASE_URL": url, "FINCRM_LAKE_PATH": str(tmp_path / "lake")}
    for key in [k for k in os.environ if k.startswith("FINCRM_") and k != "FINCRM_TEST_DATABASE_URL"]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    yield env
    drop_database(url)


@pytest.fixture()
def settings(cli_env: dict[str, str]) -> Settings:
    return Settings()
