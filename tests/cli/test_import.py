"""`fincrm import`: counts on success, one-line reasons on failure, never a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fincrm.cli import app
from fincrm.ingest.names import ENTITY_NAMES
from tests.conftest import REPO_ROOT, SHARED_DATA

runner = CliRunner()
EXAMPLES = REPO_ROOT / "docs" / "examples" / "import"


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_help_lists_every_entity() -> None:
    result = runner.invoke(app, ["import", "--help"], terminal_width=400)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in ENTITY_NAMES:
        assert name in text
    assert "--skip-invalid" in text and "--mapping" in text and "--rejects" in text


def test_refuses_an_unmigrated_store(cli_env) -> None:
    result = invoke("import", "branches", EXAMPLES / "branches.csv")
    assert result.exit_code == 1 and "run `fincrm init` first" in result.output


class TestImport:
    @pytest.fixture(autouse=True)
    def _store(self, cli_env) -> None:
        assert invoke("init").exit_code == 0

    def test_prints_counts_and_is_idempotent(self) -> None:
        first = invoke("import", "branches", EXAMPLES / "branches.csv")
        assert first.exit_code == 0, first.output
        assert "inserted 2, updated 0, unchanged 0, rejected 0" in first.output
        again = invoke("import", "branches", EXAMPLES / "branches.csv")
        assert "inserted 0, updated 0, unchanged 2, rejected 0" in again.output

    def test_bad_rows_exit_1_with_located_errors_and_no_traceback(self, tmp_path: Path) -> None:
        path = tmp_path / "b.csv"
        path.write_text("code,name\nB1,x\nB2,\n", encoding="utf-8")
        result = invoke("import", "branches", path)
        assert result.exit_code == 1
        assert f"{path}:3:name: required: no value" in result.output
        assert "nothing was imported" in result.output
        assert "Traceback" not in result.output

    def test_skip_invalid_writes_rejects(self, tmp_path: Path) -> None:
        path = tmp_path / "b.csv"
        path.write_text("code,name\nB1,x\nB2,\n", encoding="utf-8")
        result = invoke("import", "branches", path, "--skip-invalid")
        assert result.exit_code == 0, result.output
        assert "inserted 1, updated 0, unchanged 0, rejected 1" in result.output
        assert (tmp_path / "b.rejects.csv").read_text(encoding="utf-8").splitlines()[
            0
        ] == "code,name,line,errors"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["import", "client", "x.csv"], "unknown entity 'client'; choose one of: branches"),
            (["import", "bundle", "."], "needs --mapping"),
            (["import", "branches", "missing.csv"], "missing.csv: no such file"),
        ],
    )
    def test_errors_are_one_line(self, args: list[str], message: str) -> None:
        result = invoke(*args)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output

    def test_the_berka_bundle_in_one_command(self) -> None:
        assert (SHARED_DATA / "berka").is_dir(), "Berka tables missing from ../shared/data"
        mapping = REPO_ROOT / "docs" / "examples" / "mappings" / "berka.yaml"
        result = invoke("import", "bundle", SHARED_DATA / "berka", "--mapping", mapping)
        assert result.exit_code == 0, result.output
        assert (
            "standing_orders" in result.output
            and "total: inserted 23,360, updated 0, unchanged 0, rejected 0" in result.output
        )
