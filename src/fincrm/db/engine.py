"""Engines and sessions built from Settings. Nothing here runs at import time."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings

READ_ONLY = "fincrm_read_only"  # execution option: this transaction will not write
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the write lock
_WRITER = "fincrm_holds_writer_lock"  # connection-record flag: this connection holds the process's lock


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
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}, **kwargs)
        # Writers of this process queue on a Python lock before BEGIN IMMEDIATE. SQLite's own busy
        # handler polls with sleeps of up to 100 ms, so under concurrent requests a waiting writer
        # wakes late and the tail latency grows to seconds; a lock hands over at once (measured in
        # benchmarks/web_latency.py). Between processes (``fincrm serve --workers N``) the wait for
        # BEGIN IMMEDIATE polls in short steps instead (_begin_immediate).
        writer_lock = threading.Lock()

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
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN")
                return
            record = conn.connection._connection_record
            if not record.info.get(_WRITER):
                if not writer_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT):
                    raise TimeoutError(
                        f"no write turn on the SQLite store within {SQLITE_BUSY_TIMEOUT:.0f} s"
                    )
                record.info[_WRITER] = True
            try:
                _begin_immediate(conn.connection.driver_connection)
            except BaseException:
                _release(record)
                raise

        def _release(record: Any) -> None:
            if record.info.pop(_WRITER, False):
                writer_lock.release()

        # End the SQLite transaction here and hand the turn on at once; the driver's own commit
        # or rollback that follows is then a no-op (no transaction is open).
        @event.listens_for(engine, "commit")
        def _on_commit(conn: Any) -> None:
            record = conn.connection._connection_record
            if record.info.get(_WRITER):
                driver = conn.connection.driver_connection
                if driver.in_transaction:
                    driver.execute("COMMIT")
                _release(record)

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Any) -> None:
            record = conn.connection._connection_record
            if record.info.get(_WRITER):
                driver = conn.connection.driver_connection
                try:
                    if driver.in_transaction:
                        driver.execute("ROLLBACK")
                finally:
                    _release(record)

        @event.listens_for(engine, "checkin")
        def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
            _release(record)  # a connection never goes back to the pool holding the turn

        @event.listens_for(engine, "close")
        def _on_close(_dbapi_connection: Any, record: Any) -> None:
            _release(record)

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_POLL_START, _POLL_MAX = 0.0005, 0.005  # seconds between attempts at the SQLite write lock


def _begin_immediate(driver: Any) -> None:
    """BEGIN IMMEDIATE, retried every 0.5-5 ms for up to SQLITE_BUSY_TIMEOUT while another process
    holds the write lock. SQLite's built-in busy handler sleeps up to 100 ms between attempts, which
    across server processes adds that much latency to a request for a lock held for a millisecond.
    """
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
        pause = _POLL_START
        while True:
            try:
                driver.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
