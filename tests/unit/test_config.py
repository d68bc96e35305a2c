import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from fincrm.config import DEMO_PII_KEY, Settings
from fincrm.errors import ConfigurationError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("FINCRM_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


class TestSettings:
    def test_defaults_make_a_fresh_checkout_work(self) -> None:
        s = Settings()
        assert s.database_url.startswith("sqlite:///./var/")
        assert s.lake_path == Path("var/lake")
        assert (s.analytics_engine, s.timezone, s.locale, s.reporting_currency) == (
            "duckdb",
            "Asia/Shanghai",
            "zh-CN",
            "CNY",
        )

    def test_reads_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FINCRM_LOCALE", "en")
        monkeypatch.setenv("FINCRM_REPORTING_CURRENCY", "USD")
        s = Settings()
        assert (s.locale, s.reporting_currency) == ("en", "USD")

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("FINCRM_TIMEZONE", "Mars/Olympus", "unknown timezone"),
            ("FINCRM_REPORTING_CURRENCY", "cny", "3 upper-case letters"),
            ("FINCRM_LOCALE", "fr", "zh-CN"),
            ("FINCRM_ANALYTICS_ENGINE", "pandas", "duckdb"),
            ("FINCRM_PII_KEY", "c2hvcnQ=", "64 bytes"),
        ],
    )
    def test_rejects_bad_values(
        self, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
    ) -> None:
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError, match=message):
            Settings()

    @pytest.mark.parametrize("env", ["staging", "production"])
    def test_refuses_demo_secrets_outside_local(self, monkeypatch: pytest.MonkeyPatch, env: str) -> None:
        monkeypatch.setenv("FINCRM_ENV", env)
        with pytest.raises(ConfigurationError, match="FINCRM_PII_KEY is the public demo value"):
            Settings()

    def test_production_starts_with_own_secrets(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import base64
        import os

        monkeypatch.setenv("FINCRM_ENV", "production")
        monkeypatch.setenv("FINCRM_PII_KEY", base64.b64encode(os.urandom(64)).decode())
        monkeypatch.setenv("FINCRM_SECRET_KEY", "x" * 40)
        assert Settings().pii_key.get_secret_value() != DEMO_PII_KEY


class TestSettingsDocumentation:
    def test_every_setting_is_documented(self) -> None:
        documented = set(re.findall(r"`(FINCRM_[A-Z_]+)`", DOCS.read_text(encoding="utf-8")))
        declared = {f"FINCRM_{name.upper()}" for name in Settings.model_fields}
        assert declared - documented == set(), "settings missing from docs/configuration.md"
        assert documented - declared - {"FINCRM_TEST_DATABASE_URL"} == set(), "docs list unknown settings"

    def test_every_setting_has_a_description(self) -> None:
        assert [n for n, f in Settings.model_fields.items() if not f.description] == []
