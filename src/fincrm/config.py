"""Settings: one object, built once at the edge (CLI callback, app factory) and passed down.

Every setting is read from the environment with the prefix ``FINCRM_`` (or a ``.env`` file) and
is documented in docs/configuration.md; a test checks that the two agree. Nothing else in fincrm
reads ``os.environ``.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fincrm.errors import ConfigurationError

# Well-known keys for the demo institution only. `Settings` refuses them outside env=local, so a
# production deployment can never run with a key that is printed in this file.
DEMO_PII_KEY = base64.b64encode(
    b"fincrm-demo-pii-key-NOT-FOR-PRODUCTION-USE-000000000000000000000"[:64]
).decode()
DEMO_SECRET_KEY = "fincrm-demo-secret-NOT-FOR-PRODUCTION"


class Settings(BaseSettings):
    """fincrm configuration (environment prefix ``FINCRM_``)."""

    model_config = SettingsConfigDict(
        env_prefix="FINCRM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["local", "staging", "production"] = Field(
        "local",
        description="Deployment environment. Only `local` accepts the built-in demo keys.",
    )
    database_url: str = Field(
        "sqlite:///./var/fincrm.db",
        description="SQLAlchemy URL of the operational store: an SQLite file by default, "
        "`postgresql+psycopg://user@host:5432/db` in production.",
    )
    lake_path: Path = Field(
        Path("./var/lake"),
        description="Folder of the Parquet lake (transactions, holdings snapshots, market prices, "
        "external feeds). Shared storage when several machines run the batch.",
    )
    analytics_engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Engine that reads the lake: embedded DuckDB, or Apache Spark at scale."
    )
    spark_master: str = Field(
        "local[2]",
        description="Spark master URL when the analytics engine is spark: `local[N]` on one machine, "
        "`spark://host:7077` (or `yarn`, `k8s://...`) on a cluster.",
    )
    analytics_memory: str = Field(
        "4GB",
        description="Memory the analytics engine may use for the batch (DuckDB `memory_limit`; the Spark "
        "driver memory in local mode), e.g. `4GB`.",
    )
    tier_hnw_min_amount: Decimal = Field(
        Decimal("6000000"),
        description="Assets under management (reporting currency) from which a client is high-net-worth "
        "(private-banking tier). The batch reads it.",
    )
    tier_mass_min_amount: Decimal = Field(
        Decimal("50000"),
        description="Assets under management from which a client is in the mass (affluent) tier; below it "
        "the long tail, served by digital self-service.",
    )
    benefits_path: Path | None = Field(
        None,
        description="YAML file of the benefit catalogue per tier; the built-in catalogue "
        "(docs/intelligence.md) when unset.",
    )
    scenarios_path: Path | None = Field(
        None,
        description="YAML list of the institution's own stress scenarios (key, name_zh, name_en, start, "
        "end, shocks per asset class), added to the built-in historical windows (docs/portfolio.md).",
    )
    institution_name: str = Field(
        "示范银行财富管理部",
        max_length=100,
        description="Institution name printed on Chinese reports and pages (branding).",
    )
    institution_name_en: str = Field(
        "Demo Bank Wealth Management",
        max_length=100,
        description="Institution name printed on English reports and pages.",
    )
    brand_color: str = Field(
        "#8a1c2b",
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Brand colour of report headings and rules, `#rrggbb`.",
    )
    engagement_rules_path: Path | None = Field(
        None,
        description="YAML file of the institution's own engagement rules, added to the shipped defaults; a rule "
        "with a default's key replaces it (`enabled: false` turns it off). Errors name the file and the line.",
    )
    scan_policy_path: Path | None = Field(
        None,
        description="YAML file of the message compliance scan: forbidden phrases, risk-statement and promotion "
        "markers (added to or replacing the built-in lists; docs/engagement.md).",
    )
    marketing_per_week: int = Field(
        2, ge=0, le=50, description="Marketing messages a client may receive in any 7 days (guard rail)."
    )
    quiet_start: str = Field(
        "21:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Start of quiet hours (HH:MM, business timezone): messages wait until they end.",
    )
    quiet_end: str = Field(
        "08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="End of quiet hours (HH:MM)."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for client e-mail; unset: e-mail is not sent."
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_sender: str = Field(
        "wealth@example.invalid",
        max_length=200,
        description="From address of client e-mail (may carry a name).",
    )
    smtp_starttls: bool = Field(False, description="Use STARTTLS on the SMTP connection.")
    smtp_username: str | None = Field(None, description="SMTP login, when the server requires one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    sms_webhook_url: str | None = Field(
        None, description="HTTP endpoint of the SMS gateway; unset: SMS is not sent."
    )
    sms_webhook_token: SecretStr | None = Field(None, description="Bearer token of the SMS gateway.")
    wecom_webhook_url: str | None = Field(
        None, description="WeCom robot webhook URL; unset: WeCom is not sent."
    )
    wecom_webhook_token: SecretStr | None = Field(None, description="WeCom robot key.")
    channel_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="Timeout of one send through a channel (seconds)."
    )
    timezone: str = Field(
        "Asia/Shanghai",
        description="Business timezone for dates shown to people and for day boundaries; "
        "timestamps are always stored in UTC.",
    )
    locale: Literal["zh-CN", "en"] = Field("zh-CN", description="Default language of pages and reports.")
    reporting_currency: str = Field(
        "CNY", description="ISO 4217 currency in which totals are reported (3 upper-case letters)."
    )
    pii_key: SecretStr = Field(
        SecretStr(DEMO_PII_KEY),
        description="Base64 of 64 random bytes: the AES-SIV key that encrypts national ID numbers "
        "at rest. Required outside env=local; generate with `fincrm keys generate`.",
    )
    pii_key_alternate: SecretStr | None = Field(
        None,
        description="Optional second AES-SIV key (base64 of 64 bytes) that is also tried when decrypting; "
        "set it to the new key while `fincrm keys rotate` runs so reads never stop (docs/keys.md).",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEMO_SECRET_KEY),
        description="Secret that signs session cookies and CSRF tokens. Required outside env=local.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Asia/Shanghai") from exc
        return value

    @model_validator(mode="after")
    def _tier_thresholds_ordered(self) -> Settings:
        if not 0 <= self.tier_mass_min_amount < self.tier_hnw_min_amount:
            raise ValueError(
                "tier thresholds must satisfy 0 <= FINCRM_TIER_MASS_MIN_AMOUNT < FINCRM_TIER_HNW_MIN_AMOUNT"
            )
        return self

    @field_validator("reporting_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise ValueError(f"currency must be 3 upper-case letters (ISO 4217), got {value!r}")
        return value

    @field_validator("pii_key", "pii_key_alternate")
    @classmethod
    def _key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except binascii.Error as exc:
            raise ValueError("pii_key must be base64") from exc
        if len(raw) != 64:
            raise ValueError(f"pii_key must decode to 64 bytes, got {len(raw)}")
        return value

    @model_validator(mode="after")
    def _no_demo_secrets_outside_local(self) -> Settings:
        if self.env != "local":
            for name, demo in (("pii_key", DEMO_PII_KEY), ("secret_key", DEMO_SECRET_KEY)):
                if getattr(self, name).get_secret_value() == demo:
                    raise ConfigurationError(
                        f"FINCRM_{name.upper()} is the public demo value but FINCRM_ENV={self.env}; "
                        "set a secret of your own (see docs/configuration.md)"
                    )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def pii_key_bytes(self) -> bytes:
        return base64.b64decode(self.pii_key.get_secret_value())

    @property
    def pii_key_alternate_bytes(self) -> bytes | None:
        alternate = self.pii_key_alternate
        return None if alternate is None else base64.b64decode(alternate.get_secret_value())
