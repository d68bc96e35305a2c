"""`fincrm report`: one client's PDF, a batch with progress, clear errors, reruns without copies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from fincrm.cli import app
from fincrm.config import Settings

runner = CliRunner()
AS_OF = "2026-11-27"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def rm001_clients(with_holdings: bool) -> list[str]:
    engine = create_engine(Settings().database_url)
    holds = "EXISTS" if with_holdings else "NOT EXISTS"
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT DISTINCT p.party_no FROM parties p JOIN coverages c ON c.party_id = p.id "
            "JOIN users u ON u.id = c.user_id WHERE u.username = 'rm001' "
            f"AND {holds} (SELECT 1 FROM account_parties ap JOIN holdings h ON h.account_id = ap.account_id "
            "WHERE ap.party_id = p.id AND h.market_value_amount > 0) ORDER BY p.party_no"
        )).scalars().all()  # fmt: skip
    engine.dispose()
    return list(rows)


def stored_reports() -> int:
    engine = create_engine(Settings().database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
    engine.dispose()
    return int(count)


class TestReportCommand:
    @pytest.fixture(autouse=True)
    def _demo(self, cli_env) -> None:
        assert invoke("init").exit_code == 0
        assert invoke("generate", "--clients", "300", "--seed", "5", "--as-of", AS_OF).exit_code == 0

    def test_one_clients_health_check_to_a_pdf_file(self, tmp_path: Path) -> None:
        party_no = rm001_clients(with_holdings=True)[0]
        out = tmp_path / "hc.pdf"
        result = invoke("report", "health_check", "--client", party_no, "--as", "rm001", "--as-of", AS_OF,
                        "--lang", "en", "--out", out)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"%PDF") and "Asset health check" in result.output
        assert stored_reports() == 1
        again = invoke("report", "health_check", "--client", party_no, "--as", "rm001", "--as-of", AS_OF,
                       "--lang", "en", "--out", out)  # fmt: skip
        assert again.exit_code == 0 and stored_reports() == 1  # the same day's report is replaced

    def test_a_batch_makes_what_it_can_and_names_the_rest(self, tmp_path: Path) -> None:
        good = rm001_clients(with_holdings=True)[:2]
        empty = rm001_clients(with_holdings=False)[:1]
        listing = tmp_path / "clients.txt"
        listing.write_text("# birthday list\n" + "\n".join(good + empty) + "\n", encoding="utf-8")
        result = invoke("report", "health_check", "--clients", f"@{listing}", "--as", "rm001", "--as-of", AS_OF,
                        "--out-dir", tmp_path / "pdfs")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"{len(good)} of {len(good) + len(empty)} reports made" in result.output
        for party_no in empty:
            assert party_no in result.output and "holds no products" in result.output
        assert len(list((tmp_path / "pdfs").glob("*.pdf"))) == len(good)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("flowers", "--client", "X", "--out", "x.pdf"), "unknown report kind"),
            (("health_check", "--client", "NOPE", "--out", "x.pdf"), "NOPE"),
            (("health_check", "--client", "X"), "--out"),
            (("health_check", "--client", "X", "--clients", "Y", "--out", "x.pdf"), "exactly one"),
            (("health_check", "--clients", "X", "--as-of", "2026-02-30"), "not a date"),
        ],
    )
    def test_bad_input_is_a_clear_error(self, args, message, tmp_path: Path) -> None:
        result = invoke("report", *args, "--as", "rm001")
        assert result.exit_code != 0
        assert message in result.output and "Traceback" not in result.output
        assert stored_reports() == 0
