"""A generated demo institution shared by the tests of one module.

Generation takes a few seconds, so it runs once per module inside a transaction of its own that
is rolled back at the end, like the per-test transactions of the main conftest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings
from fincrm.demo import GenerationResult, generate_institution
from fincrm.lake.analytics import connect
from fincrm.lake.store import Lake

AS_OF = date(2026, 11, 27)
SEED = 7
CLIENTS = 2000


@dataclass
class Demo:
    session: Session
    lake: Lake
    result: GenerationResult
    answers: dict[str, Any]
    lake_path: Path

    def sql(self, query: str) -> list[tuple]:
        """Run DuckDB SQL over the lake views."""
        con = connect(Settings(lake_path=self.lake_path))
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo")
    with engine.connect() as conn:
        outer = conn.begin()
        session = sessionmaker(bind=conn, join_transaction_mode="create_savepoint")()
        lake = Lake(root / "lake")
        result = generate_institution(
            session,
            lake,
            clients=CLIENTS,
            seed=SEED,
            as_of=AS_OF,
            pii_key=Settings().pii_key_bytes,
            answers_path=root / "answers.json",
        )
        session.flush()
        answers = json.loads((root / "answers.json").read_text(encoding="utf-8"))
        yield Demo(session, lake, result, answers, root / "lake")
        session.close()
        outer.rollback()
