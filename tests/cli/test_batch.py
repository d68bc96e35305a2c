"""`fincrm batch run / runs / lift`: the nightly batch from the command line, and its bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fincrm.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


class TestBatchCommands:
    def test_run_then_list_the_run_and_print_the_lift(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        assert invoke("generate", "--clients", "300", "--seed", "3", "--as-of", "2026-06-30").exit_code == 0
        ran = invoke("batch", "run", "--as-of", "2026-06-30", "--engine", "duckdb")
        assert ran.exit_code == 0, ran.output
        assert "300 profiles" in ran.output and "is current" in ran.output
        runs = invoke("batch", "runs")
        assert runs.exit_code == 0 and "succeeded" in runs.output and "2026-06-30" in runs.output
        lift = invoke("batch", "lift", "--json")
        assert lift.exit_code == 0, lift.output
        report = json.loads(lift.output)
        book = next(r for r in report["rows"] if r["cell"] == "all")
        assert report["as_of"] == "2026-06-30" and book["clients"] == 300 and book["lift"] == 1.0
        text = invoke("batch", "lift")
        assert text.exit_code == 0 and "lift" in text.output

    def test_lift_before_any_run_says_what_to_do(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        result = invoke("batch", "lift")
        assert result.exit_code == 1 and "fincrm batch run" in result.output

    def test_a_bad_date_or_engine_is_named(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        bad_date = invoke("batch", "run", "--as-of", "2026-13-01")
        assert bad_date.exit_code == 1 and "--as-of" in bad_date.output and "2026-13-01" in bad_date.output
        bad_engine = invoke("batch", "run", "--engine", "oracle")
        assert bad_engine.exit_code == 1 and "--engine" in bad_engine.output and "oracle" in bad_engine.output

    def test_an_empty_store_is_refused_and_the_run_recorded_as_failed(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        result = invoke("batch", "run", "--as-of", "2026-06-30")
        assert result.exit_code == 1 and "no clients" in result.output
        runs = invoke("batch", "runs")
        assert "failed" in runs.output and "no clients" in runs.output
