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


class TestScenarios:
    def test_the_built_in_windows_are_listed(self, cli_env) -> None:
        result = invoke("portfolio", "scenarios")
        assert result.exit_code == 0, result.output
        keys = [s["key"] for s in json.loads(result.output)]
        assert keys == ["dotcom", "gfc", "china_2015", "covid", "rates_2022"]

    def test_an_institutions_own_scenario_is_added_and_a_bad_one_is_located(
        self, cli_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "scenarios.yaml"
        path.write_text(
            "- {key: property_slump, name_zh: 房地产下行, name_en: Property slump, start: 2021-07-01,"
            " end: 2022-10-31, shocks: {equity: -0.3, real_estate: -0.4, bond: 0.03}}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("FINCRM_SCENARIOS_PATH", str(path))
        listed = json.loads(invoke("portfolio", "scenarios").output)
        assert listed[-1]["key"] == "property_slump" and listed[-1]["shocks"]["real_estate"] == -0.4
        path.write_text(
            "- {key: gfc, name_zh: x, name_en: x, start: 2020-01-01, end: 2020-02-01, shocks: {equity: -0.1}}\n"
            "- {key: later, name_zh: x, name_en: x, start: 2020-03-01, end: 2020-02-01, shocks: {equity: -2}}\n",
            encoding="utf-8",
        )
        result = invoke("portfolio", "scenarios")
        assert result.exit_code == 1
        assert "scenarios.yaml:1:key" in result.output and "scenarios.yaml:2" in result.output


class TestPropose:
    @pytest.fixture(autouse=True)
    def _demo(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        assert invoke("generate", "--clients", "300", "--seed", "5", "--as-of", "2026-11-27").exit_code == 0

    def test_an_rm_proposes_and_reviews_from_the_command_line(self) -> None:
        from sqlalchemy import create_engine, text

        from fincrm.config import Settings

        engine = create_engine(Settings().database_url)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT p.party_no FROM parties p JOIN coverages c ON c.party_id = p.id "
                "JOIN users u ON u.id = c.user_id WHERE u.username = 'rm001' AND p.kind = 'individual' "
                "ORDER BY p.party_no"
            )).scalars().all()  # fmt: skip
        engine.dispose()
        proposed = None
        for party_no in rows:  # the first client whose questionnaire is still valid
            result = invoke("portfolio", "propose", party_no, "--amount", "200000", "--as", "rm001", "--json")
            if result.exit_code == 0:
                proposed = json.loads(result.output)
                break
            assert "blocked" in result.output
        assert proposed is not None and proposed["status"] == "draft"
        assert abs(sum(proposed["weights"].values()) - 1) < 1e-9
        reviewed = invoke("portfolio", "act", proposed["id"], "review", "--as", "rm001")
        assert reviewed.exit_code == 0 and "compliance_checked" in reviewed.output

    def test_an_unknown_user_or_amount_is_refused(self) -> None:
        result = invoke("portfolio", "propose", "X", "--amount", "100", "--as", "nobody")
        assert result.exit_code == 1 and "nobody" in result.output
        result = invoke("portfolio", "propose", "X", "--amount", "lots", "--as", "rm001")
        assert result.exit_code == 1 and "--amount" in result.output
