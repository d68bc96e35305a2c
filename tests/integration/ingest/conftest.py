"""Fixtures for import tests: settings, a runner in its own unit of work, files, the example book."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.db.uow import unit_of_work
from fincrm.ingest.entities import ENTITIES
from fincrm.ingest.service import BundleResult, ImportResult, import_bundle, import_file
from fincrm.lake.store import Lake
from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples" / "import"
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture()
def import_settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None, database_url="sqlite://", lake_path=tmp_path / "lake", timezone="Asia/Shanghai"
    )


@pytest.fixture()
def run_import(
    sessions: sessionmaker[Session], lake: Lake, import_settings: Settings
) -> Callable[..., ImportResult]:
    """Import one file in its own unit of work, as the CLI does."""

    def run(entity: str, path: Path, *, clock: FixedClock | None = None, **options: Any) -> ImportResult:
        with unit_of_work(sessions) as session:
            return import_file(
                session,
                lake=lake,
                settings=import_settings,
                entity=entity,
                path=path,
                clock=clock or FixedClock(NOW),
                **options,
            )

    return run


@pytest.fixture()
def run_bundle(
    sessions: sessionmaker[Session], lake: Lake, import_settings: Settings
) -> Callable[..., BundleResult]:
    def run(directory: Path, mapping: Path, **options: Any) -> BundleResult:
        with unit_of_work(sessions) as session:
            return import_bundle(
                session,
                lake=lake,
                settings=import_settings,
                directory=directory,
                mapping=mapping,
                clock=FixedClock(NOW),
                **options,
            )

    return run


@pytest.fixture()
def write_file(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture()
def count(sessions: sessionmaker[Session]) -> Callable[..., int]:
    """Rows of a store table (by entity name), optionally filtered."""

    def rows(entity: str, *where: Any) -> int:
        from fincrm.ingest.persist import store_table

        table = store_table(ENTITIES[entity])
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(table).where(*where))

    return rows


@pytest.fixture()
def example_book(run_import: Callable[..., ImportResult]) -> None:
    """Every store entity's example file imported, in dependency order."""
    for spec in ENTITIES.values():
        if not spec.is_feed:
            run_import(spec.name, EXAMPLES / f"{spec.name}.csv")
