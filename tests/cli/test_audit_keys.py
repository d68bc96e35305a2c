"""`fincrm audit verify` and `fincrm keys rotate`."""

from __future__ import annotations

import base64
import secrets

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from fincrm.access.models import AuditRecord
from fincrm.cli import app
from fincrm.clients.keys import NATIONAL_ID_PURPOSE
from fincrm.clients.models import Party
from fincrm.core.crypto import FieldCipher
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture()
def store(cli_env, settings):
    assert invoke("init").exit_code == 0
    generated = invoke("generate", "--clients", "120", "--seed", "5", "--as-of", "2026-06-30")
    assert generated.exit_code == 0, generated.output
    engine = make_engine(cli_env["FINCRM_DATABASE_URL"])
    yield session_factory(engine)
    engine.dispose()


def national_ids(sessions, key: bytes) -> dict[str, str]:
    cipher = FieldCipher(key, NATIONAL_ID_PURPOSE)
    with unit_of_work(sessions) as s:
        rows = s.execute(
            select(Party.party_no, Party.national_id_cipher).where(Party.national_id_cipher.is_not(None))
        )
        return {no: cipher.decrypt(c) for no, c in rows}


class TestAuditVerify:
    def test_an_intact_trail_exits_0_with_the_count(self, store) -> None:
        invoke("users", "set-password", "rm001", "--password", "long-enough-1")  # writes one record
        result = invoke("audit", "verify")
        assert result.exit_code == 0, result.output
        assert "intact" in result.output and "1 records" in result.output

    def test_a_tampered_record_exits_1_and_is_named(self, store) -> None:
        for _ in range(3):
            invoke("users", "set-password", "rm001", "--password", "long-enough-1")
        with unit_of_work(store) as s:
            s.execute(update(AuditRecord).where(AuditRecord.id == 2).values(detail="someone else"))
        result = invoke("audit", "verify")
        assert result.exit_code == 1 and "record 2" in result.output and "edited" in result.output


class TestKeysRotate:
    def test_rotation_moves_every_id_to_the_new_key_and_a_rerun_changes_nothing(
        self, store, settings, monkeypatch
    ) -> None:
        old_key = settings.pii_key_bytes
        before = national_ids(store, old_key)
        assert len(before) > 50
        new_key = secrets.token_bytes(64)
        monkeypatch.setenv("FINCRM_NEW_PII_KEY", base64.b64encode(new_key).decode())
        first = invoke("keys", "rotate", "--batch", "17")
        assert first.exit_code == 0, first.output
        assert f"{len(before):,} re-encrypted, 0 already" in first.output and "FINCRM_PII_KEY" in first.output
        assert national_ids(store, new_key) == before
        with pytest.raises(ValueError):
            national_ids(store, old_key)
        with unit_of_work(store) as s:
            ciphers = set(
                s.scalars(select(Party.national_id_cipher).where(Party.national_id_cipher.is_not(None)))
            )
        again = invoke("keys", "rotate", "--batch", "17")
        assert again.exit_code == 0 and f"0 re-encrypted, {len(before):,} already" in again.output
        with unit_of_work(store) as s:
            assert (
                set(s.scalars(select(Party.national_id_cipher).where(Party.national_id_cipher.is_not(None))))
                == ciphers
            )
        assert invoke("audit", "verify").exit_code == 0

    def test_an_interrupted_rotation_resumes(self, store, settings, monkeypatch) -> None:
        from fincrm.clients.keys import rotate_national_ids

        before = national_ids(store, settings.pii_key_bytes)
        new_key = secrets.token_bytes(64)
        with unit_of_work(store) as s:  # the first batch only, as if the process had stopped
            step = rotate_national_ids(s, old_key=settings.pii_key_bytes, new_key=new_key, batch=10)
        assert step.rotated == 10 and not step.done
        monkeypatch.setenv("FINCRM_NEW_PII_KEY", base64.b64encode(new_key).decode())
        result = invoke("keys", "rotate")
        assert result.exit_code == 0 and f"{len(before) - 10:,} re-encrypted, 10 already" in result.output
        assert national_ids(store, new_key) == before

    def test_the_key_never_comes_from_the_command_line(self, store, monkeypatch) -> None:
        monkeypatch.delenv("FINCRM_NEW_PII_KEY", raising=False)
        missing = invoke("keys", "rotate")
        assert missing.exit_code == 1 and "FINCRM_NEW_PII_KEY" in missing.output
        monkeypatch.setenv("MY_KEY", base64.b64encode(b"short").decode())
        short = invoke("keys", "rotate", "--new-key-env", "MY_KEY")
        assert short.exit_code == 1 and "64 bytes" in short.output

    def test_the_current_key_is_refused_as_the_new_one(self, store, settings, monkeypatch) -> None:
        monkeypatch.setenv("FINCRM_NEW_PII_KEY", base64.b64encode(settings.pii_key_bytes).decode())
        result = invoke("keys", "rotate")
        assert result.exit_code == 1 and "current key" in result.output


@pytest.mark.parametrize("command", [["audit"], ["audit", "verify"], ["keys", "rotate"]])
def test_commands_have_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
