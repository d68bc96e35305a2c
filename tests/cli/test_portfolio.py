"""`fincrm market import` and `fincrm portfolio metrics`: results for users and scripts, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fincrm.cli import app
from tests.conftest import REPO_ROOT, SHARED_DATA

runner = CliRunner()
EXAMPLES = REPO_ROOT / "docs" / "examples" / "import"
STOCKS = SHARED_DATA / "pypfopt-tests" / "stock_prices.csv"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


class TestMarketImport:
    @pytest.fixture(autouse=True)
    def _store(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        assert invoke("import", "market_series", EXAMPLES / "market_series.csv").exit_code == 0

    def test_date_series_price_rows_land_in_the_lake_idempotently(self, tmp_path: Path) -> None:
        series = (EXAMPLES / "market_series.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
        path = tmp_path / "prices.csv"
        path.write_text(f"date,series,price\n2026-11-26,{series},100.5\n2026-11-27,{series},101.25\n")
        first = invoke("market", "import", path)
        assert first.exit_code == 0, first.output
        assert "2 rows: inserted 2, updated 0, unchanged 0" in first.output
        again = invoke("market", "import", path)
        assert "inserted 0, updated 0, unchanged 2" in again.output

    def test_an_unknown_series_or_a_bad_price_is_named_and_nothing_is_written(self, tmp_path: Path) -> None:
        path = tmp_path / "prices.csv"
        path.write_text("date,series,price\n2026-11-26,NOPE,100\n2026-11-27,NOPE,-1\n")
        result = invoke("market", "import", path)
        assert result.exit_code == 1
        assert "NOPE" in result.output and "price" in result.output and "Traceback" not in result.output


class TestPortfolioMetrics:
    def test_every_metric_of_every_series_as_json(self) -> None:
        result = invoke("portfolio", "metrics", STOCKS, "--from", "2010-01-04", "--to", "2017-12-29")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert set(report) >= {"AAPL", "XOM", "MA"}
        aapl = report["AAPL"]
        for name in ("annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio",
                     "max_drawdown", "value_at_risk", "conditional_value_at_risk"):  # fmt: skip
            assert isinstance(aapl[name], float), name
        assert aapl["max_drawdown"] < 0 < aapl["value_at_risk"]

    def test_the_window_changes_the_figures(self) -> None:
        whole = json.loads(invoke("portfolio", "metrics", STOCKS).output)
        part = json.loads(invoke("portfolio", "metrics", STOCKS, "--from", "2015-01-02").output)
        assert whole["XOM"]["annual_return"] != part["XOM"]["annual_return"]

    def test_a_bad_file_names_the_series_and_the_date(self, tmp_path: Path) -> None:
        path = tmp_path / "p.csv"
        path.write_text("date,A,B\n2020-01-02,1,2\n2020-01-03,1.1,0\n2020-01-06,1.2,2.1\n")
        result = invoke("portfolio", "metrics", path)
        assert result.exit_code == 1
        assert "B" in result.output and "2020-01-03" in result.output and "Traceback" not in result.output

    def test_a_bad_date_option_is_refused(self) -> None:
        result = invoke("portfolio", "metrics", STOCKS, "--from", "yesterday")
        assert result.exit_code == 1 and "--from" in result.output
