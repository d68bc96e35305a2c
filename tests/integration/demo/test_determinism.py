"""Same seed and as-of date, same institution: byte-identical Parquet files, identical store rows
and answer file. Generation replaces what was there, so running it twice in one store is safe."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.config import Settings
from fincrm.demo import generate_institution
from fincrm.demo.generator import TABLES
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake

AS_OF = date(2026, 3, 31)


def generate(session: Session, root: Path, seed: int) -> tuple[dict[str, bytes], dict[str, list], bytes]:
    lake = Lake(root / "lake")
    stages: list[str] = []
    generate_institution(
        session,
        lake,
        clients=400,
        seed=seed,
        as_of=AS_OF,
        pii_key=Settings().pii_key_bytes,
        answers_path=root / "answers.json",
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert {"prepare", "clients", "lake"} <= set(stages)
    files = {
        f"{name}/{f.relative_to(lake.current_dir(name))}": f.read_bytes()
        for name in DATASETS
        for f in lake.files(name)
    }
    dump = {t.name: [tuple(r) for r in session.execute(select(t).order_by(t.c.id))] for t in TABLES}
    return files, dump, (root / "answers.json").read_bytes()


class TestDeterminism:
    def test_same_seed_and_as_of_give_identical_output(self, session, tmp_path):
        files_a, dump_a, answers_a = generate(session, tmp_path / "a", seed=11)
        files_b, dump_b, answers_b = generate(session, tmp_path / "b", seed=11)
        assert files_a.keys() == files_b.keys()
        assert [k for k in files_a if files_a[k] != files_b[k]] == []
        assert dump_a == dump_b
        assert answers_a == answers_b
        assert len(dump_a["parties"]) == 400

    def test_another_seed_gives_another_institution(self, session, tmp_path):
        files_a, dump_a, _ = generate(session, tmp_path / "a", seed=11)
        files_b, dump_b, _ = generate(session, tmp_path / "b", seed=12)
        assert (
            files_a["market_prices/year=2025/part-0.parquet"]
            != files_b["market_prices/year=2025/part-0.parquet"]
        )
        assert dump_a["parties"] != dump_b["parties"]
