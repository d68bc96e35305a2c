"""Engines and sessions built from Settings. Nothing here runs at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings

READ_ONLY = "fincrm_read_only"  # execution option: this transaction will not write


def read_only(session: Session) -> None:
    """Declare, before its first statement, that ``session``'s transaction only reads.

    On SQLite it then starts with a deferred BEGIN and never queues for the write lock; other
    backends ignore it. A write attempted anyway may fail with "database is locked" on SQLite.
    """
    session.connection(execution_options={READ_ONLY: True})


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite: create the folder, enforce foreign keys, use WAL.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we switch it off and
    emit BEGIN IMMEDIATE ourselves (the recipe in SQLAlchemy's SQLite dialect documentation).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so a transaction that reads and then writes
            # (every audited read does) waits its turn under the busy timeout instead of failing with
            # "database is locked" when it tries to upgrade. WAL readers outside fincrm still read.
            # A use case that only reads may ask for a deferred BEGIN with the execution option
            # READ_ONLY (see read_only()), so it never waits for the write lock.
            deferred = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
