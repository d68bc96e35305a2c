"""Migrations: upgrade from empty, downgrade one step, and the ORM matches the migrated schema."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from fincrm.db import migrate
from fincrm.db.engine import make_engine
from fincrm.models import metadata
from tests.conftest import drop_database, new_database_url


def _fresh_engine(tmp_path: Path):
    url = new_database_url(tmp_path)
    return url, make_engine(url)


class TestMigrations:
    def test_upgrade_from_empty_creates_every_table(self, tmp_path: Path) -> None:
        url, engine = _fresh_engine(tmp_path)
        try:
            assert migrate.current_revision(engine) is None
            migrate.upgrade(engine)
            assert migrate.current_revision(engine) == migrate.head_revision(engine)
            assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
            drop_database(url)

    def test_downgrade_one_step_and_back(self, tmp_path: Path) -> None:
        url, engine = _fresh_engine(tmp_path)
        try:
            migrate.upgrade(engine)
            head = migrate.current_revision(engine)
            migrate.downgrade(engine, "-1")
            assert migrate.current_revision(engine) != head
            migrate.upgrade(engine)
            assert migrate.current_revision(engine) == head
        finally:
            engine.dispose()
            drop_database(url)

    def test_downgrade_to_base_removes_every_table(self, tmp_path: Path) -> None:
        url, engine = _fresh_engine(tmp_path)
        try:
            migrate.upgrade(engine)
            migrate.downgrade(engine, "base")
            assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        finally:
            engine.dispose()
            drop_database(url)

    def test_orm_matches_migrated_schema(self, engine) -> None:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
