"""Store upkeep after bulk loads.

PostgreSQL plans queries from table statistics; right after a million rows arrive in one
transaction autovacuum has not sampled them yet, and the planner may scan whole tables (measured:
the client 360 holdings panel at p50 4.2 s on a fresh 1M-client store, 19 ms after ANALYZE). So bulk
loads refresh the statistics themselves. SQLite needs nothing here.
"""

from __future__ import annotations

from sqlalchemy import Engine, text


def refresh_statistics(engine: Engine) -> bool:
    """ANALYZE fincrm's tables (those of the connection's schema) on PostgreSQL; True if it ran."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in list(tables):
            conn.execute(text(f'ANALYZE "{table}"'))
    return True
