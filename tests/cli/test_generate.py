"""`fincrm generate`: creates the demo institution, refuses to overwrite clients without --replace."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fincrm.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


class TestGenerate:
    def test_generates_prints_counts_and_writes_the_answers(self, cli_env):
        assert invoke("init").exit_code == 0
        result = invoke("generate", "--clients", "300", "--seed", "3", "--as-of", "2026-06-30")
        assert result.exit_code == 0, result.output
        assert "parties" in result.output and "300" in result.output
        assert "lake: transactions" in result.output
        answers = Path(cli_env["FINCRM_LAKE_PATH"]).parent / "demo-answers.json"
        body = json.loads(answers.read_text(encoding="utf-8"))
        assert body["as_of"] == "2026-06-30" and body["seed"] == 3 and body["stories"]

    def test_refuses_to_replace_clients_without_the_flag(self, cli_env, tmp_path):
        assert invoke("init").exit_code == 0
        assert invoke("generate", "--clients", "120", "--as-of", "2026-06-30").exit_code == 0
        refused = invoke("generate", "--clients", "120", "--as-of", "2026-06-30")
        assert refused.exit_code == 1
        assert "--replace" in refused.output
        answers = tmp_path / "elsewhere" / "answers.json"
        replaced = invoke(
            "generate", "--clients", "150", "--as-of", "2026-06-30", "--replace", "--answers", str(answers)
        )
        assert replaced.exit_code == 0, replaced.output
        assert answers.exists()

    def test_rejects_a_bad_date(self, cli_env):
        assert invoke("init").exit_code == 0
        result = invoke("generate", "--clients", "100", "--as-of", "30/06/2026")
        assert result.exit_code == 1
        assert "YYYY-MM-DD" in result.output

    def test_needs_a_migrated_store(self, cli_env):
        result = invoke("generate", "--clients", "100")
        assert result.exit_code == 1
        assert "fincrm init" in result.output


class TestStatisticsAfterBulkLoad:
    def test_postgres_statistics_are_fresh_after_generate(self, cli_env):
        from sqlalchemy import text

        from fincrm.db.engine import make_engine

        assert invoke("init").exit_code == 0
        result = invoke("generate", "--clients", "120", "--seed", "4", "--as-of", "2026-06-30")
        assert result.exit_code == 0, result.output
        engine = make_engine(cli_env["FINCRM_DATABASE_URL"])
        try:
            if engine.dialect.name != "postgresql":
                assert "ANALYZE" not in result.output  # SQLite needs no statistics step
                return
            assert "planner statistics refreshed (ANALYZE)" in result.output
            with engine.connect() as conn:
                analyzed = conn.execute(
                    text(
                        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                        "WHERE relname = 'parties' AND schemaname = current_schema()"
                    )
                ).scalar_one()
            assert analyzed
        finally:
            engine.dispose()
