"""The command line: help everywhere, store lifecycle, one-line errors without tracebacks."""

import pytest
from typer.testing import CliRunner

from fincrm.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


class TestHelp:
    @pytest.mark.parametrize(
        "command", [[], ["init"], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["demo"], ["summary"]]
    )
    def test_every_command_has_help(self, command: list[str]) -> None:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


class TestStoreLifecycle:
    def test_init_then_downgrade_then_upgrade(self, cli_env) -> None:
        first = invoke("init")
        assert first.exit_code == 0, first.output
        assert "store ready at revision 0012" in first.output
        again = invoke("init")  # idempotent
        assert again.exit_code == 0
        down = invoke("db", "downgrade")
        assert down.exit_code == 0 and "at revision 0011" in down.output
        up = invoke("db", "upgrade")
        assert up.exit_code == 0 and "at revision 0012" in up.output
        assert "current: 0012  head: 0012" in invoke("db", "current").output

    def test_summary_of_an_empty_store(self, cli_env) -> None:
        invoke("init")
        result = invoke("summary")
        assert result.exit_code == 0, result.output
        assert "individual clients" in result.output and "top 2% of clients hold n/a" in result.output

    def test_commands_refuse_an_unmigrated_store(self, cli_env) -> None:
        result = runner.invoke(app, ["summary"])
        assert result.exit_code == 1
        assert "run `fincrm init` first" in result.output


class TestErrors:
    def test_bad_settings_exit_non_zero_with_one_line(self, cli_env, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FINCRM_TIMEZONE", "Mars/Olympus")
        result = runner.invoke(app, ["init"])
        assert result.exit_code == 1
        assert "FINCRM_TIMEZONE" in result.output and "unknown timezone" in result.output
        assert "Traceback" not in result.output

    def test_demo_keys_refused_in_production(self, cli_env, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FINCRM_ENV", "production")
        result = runner.invoke(app, ["init"])
        assert result.exit_code == 1 and "public demo value" in result.output

    def test_keys_generate_prints_usable_keys(self, cli_env, monkeypatch: pytest.MonkeyPatch) -> None:
        lines = dict(line.split("=", 1) for line in invoke("keys", "generate").output.split())
        monkeypatch.setenv("FINCRM_ENV", "production")
        monkeypatch.setenv("FINCRM_PII_KEY", lines["FINCRM_PII_KEY"])
        monkeypatch.setenv("FINCRM_SECRET_KEY", lines["FINCRM_SECRET_KEY"])
        assert runner.invoke(app, ["init"]).exit_code == 0


class TestClientShow:
    def test_unknown_client_is_a_one_line_error(self, cli_env) -> None:
        invoke("init")
        result = runner.invoke(app, ["client", "show", "NOPE"])
        assert result.exit_code == 1 and "no client with client number 'NOPE'" in result.output

    def test_shows_masked_personal_data(self, cli_env, settings) -> None:
        import json
        from datetime import UTC, date, datetime

        from fincrm.clients.domain import InvestorClass, PartyKind, PartyStatus
        from fincrm.clients.models import Party
        from fincrm.core.crypto import FieldCipher
        from fincrm.db.engine import make_engine, session_factory
        from fincrm.db.uow import unit_of_work

        invoke("init")
        now = datetime(2026, 1, 1, tzinfo=UTC)
        cipher = FieldCipher(settings.pii_key_bytes, "national_id")
        engine = make_engine(settings.database_url)
        with unit_of_work(session_factory(engine)) as session:
            session.add(Party(
                party_no="C0001", kind=PartyKind.INDIVIDUAL, name="张伟", name_initials="zw",
                status=PartyStatus.ACTIVE, investor_class=InvestorClass.ORDINARY, birth_on=date(1949, 12, 31),
                national_id_cipher=cipher.encrypt("11010519491231002X"), phone="13812345678",
                email="zhang.wei@example.cn", created_at=now, updated_at=now,
            ))  # fmt: skip
        engine.dispose()
        result = invoke("client", "show", "C0001", "--json")
        assert result.exit_code == 0, result.output
        shown = json.loads(result.output)
        assert (shown["national_id"], shown["phone"], shown["email"]) == (
            "110***********002X",
            "138****5678",
            "z***@example.cn",
        )
        assert "13812345678" not in result.output and "19491231" not in result.output
