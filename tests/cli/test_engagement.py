"""`fincrm engagement`: the daily run (rerun-safe), the rules in force, a rules file checked with its
errors located, one round of the outbox worker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fincrm.cli import app

runner = CliRunner()
AS_OF = "2026-11-27"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


class TestEngagementCommands:
    @pytest.fixture(autouse=True)
    def _demo(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        assert invoke("generate", "--clients", "300", "--seed", "5", "--as-of", AS_OF).exit_code == 0

    def test_the_daily_run_makes_tasks_once(self) -> None:
        first = invoke("engagement", "run", "--as-of", AS_OF)
        assert first.exit_code == 0, first.output
        made = int(re.search(r"-> ([\d,]+) tasks", first.output).group(1).replace(",", ""))
        assert made > 0
        again = invoke("engagement", "run", "--as-of", AS_OF)
        assert again.exit_code == 0 and "-> 0 tasks, 0 messages" in " ".join(again.output.split())

    def test_rules_are_listed_and_a_bad_file_is_named_with_its_line(self, tmp_path: Path) -> None:
        listed = invoke("engagement", "rules")
        assert listed.exit_code == 0 and "birthday_health_check" in listed.output
        bad = tmp_path / "ours.yaml"
        bad.write_text(
            "rules:\n  - key: vip_call\n    name_zh: 电话\n    name_en: Call\n    priority: 9\n    marketing: false\n"
            "    trigger: {kind: lottery}\n    actions: [{kind: task, title_zh: 打电话, title_en: Call}]\n",
            encoding="utf-8",
        )
        result = invoke("engagement", "rules", "--check", bad)
        assert result.exit_code == 1
        flat = " ".join(result.output.split())
        assert "ours.yaml" in flat and "line 5" in flat and "line 7" in flat and "Traceback" not in flat

    def test_one_round_of_the_worker(self) -> None:
        assert invoke("engagement", "run", "--as-of", AS_OF).exit_code == 0
        result = invoke("engagement", "deliver", "--once")
        assert result.exit_code == 0 and re.search(r"sent \d+, retrying \d+, dead \d+", result.output)

    def test_a_bad_date_is_refused(self) -> None:
        result = invoke("engagement", "run", "--as-of", "2026-02-30")
        assert result.exit_code == 1 and "not a date" in result.output
