"""Declared schemas of the lake datasets.

Each dataset has a key (a rerun or re-import upserts by it), an optional partition column
derived from a date, and fields (see fincrm.core.fields). Amounts are signed from the account's
point of view: money into the account is positive, money out negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from fincrm.core.fields import Field, arrow_schema

TRANSACTION_KINDS = (
    "deposit", "withdrawal", "salary_credit", "purchase", "redemption", "dividend", "interest", "fee",
    "transfer_in", "transfer_out", "loan_drawdown", "loan_repayment", "card_spend", "maturity",
)  # fmt: skip
TRANSACTION_CHANNELS = ("branch", "mobile", "online", "atm", "pos", "auto", "counter", "wechat")
COUNTERPARTY_CATEGORIES = (
    "employer", "retail", "dining", "travel", "education", "healthcare", "home_improvement",
    "real_estate", "utilities", "insurance", "automotive", "childcare", "entertainment", "transfer",
    "investment", "government", "other",
)  # fmt: skip
CURRENCY = r"[A-Z]{3}"


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    partition_from: str | None = None  # date/timestamp column the partition is derived from
    partition_grain: Literal["month", "year"] = "month"
    description: str = ""

    @property
    def schema(self) -> pa.Schema:
        return arrow_schema(self.fields)

    @property
    def partition_column(self) -> str | None:
        return None if self.partition_from is None else self.partition_grain

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


TRANSACTIONS = DatasetSpec(
    name="transactions",
    description="Every booked transaction of every account.",
    key=("txn_id",),
    partition_from="booked_at",
    fields=(
        Field("txn_id", "string", True, "Source system's transaction id", max_length=64),
        Field("account_no", "string", True, "Account the transaction is booked on", max_length=34),
        Field("party_no", "string", True, "Client number of the account owner", max_length=32),
        Field("booked_at", "timestamp", True, "When it was booked"),
        Field("kind", "string", True, "Transaction type", choices=TRANSACTION_KINDS),
        Field("amount", "amount", True, "Signed amount: + into the account, - out of it"),
        Field("currency", "string", True, "ISO 4217", pattern=CURRENCY),
        Field(
            "product_code", "string", False, "Product bought, redeemed, matured or paying out", max_length=32
        ),
        Field("units", "units", False, "Product units traded", min_value=0),
        Field("channel", "string", True, "Where it was initiated", choices=TRANSACTION_CHANNELS),
        Field(
            "counterparty_category", "string", False, "Who is paid or pays", choices=COUNTERPARTY_CATEGORIES
        ),
        Field("counterparty", "string", False, "Counterparty name (employer, merchant)", max_length=200),
    ),
)

HOLDINGS_SNAPSHOTS = DatasetSpec(
    name="holdings_snapshots",
    description="Month-end positions of every account in every product.",
    key=("as_of_on", "account_no", "product_code"),
    partition_from="as_of_on",
    fields=(
        Field("as_of_on", "date", True, "Valuation date (month end)"),
        Field("account_no", "string", True, max_length=34),
        Field("party_no", "string", True, max_length=32),
        Field("product_code", "string", True, max_length=32),
        Field("units", "units", True, min_value=0),
        Field("cost_amount", "amount", True, "Purchase cost of the units held", min_value=0),
        Field("market_value_amount", "amount", True, "Units times the day's price", min_value=0),
        Field("currency", "string", True, pattern=CURRENCY),
    ),
)

MARKET_PRICES = DatasetSpec(
    name="market_prices",
    description="Daily closing prices (index levels or NAVs) of every market series.",
    key=("series", "price_on"),
    partition_from="price_on",
    partition_grain="year",
    fields=(
        Field("price_on", "date", True, "Trading day"),
        Field("series", "string", True, "Series code (see market_series in the store)", max_length=32),
        Field("price", "float", True, "Close, in the series' currency", min_value=0, exclusive_min=True),
    ),
)

SOCIAL_SECURITY = DatasetSpec(
    name="social_security",
    description="Monthly social-security contributions of individual clients (external data).",
    key=("party_no", "month_on"),
    partition_from="month_on",
    partition_grain="year",
    fields=(
        Field("party_no", "string", True, max_length=32),
        Field("month_on", "date", True, "First day of the contribution month"),
        Field("contribution_base_amount", "amount", True, "Monthly contribution base", min_value=0),
        Field("currency", "string", True, pattern=CURRENCY),
        Field("employer", "string", True, "Contributing employer", max_length=200),
        Field("city", "string", False, max_length=100),
    ),
)

PROPERTY_TRANSACTIONS = DatasetSpec(
    name="property_transactions",
    description="Registered property sales (external data).",
    key=("deal_id",),
    fields=(
        Field("deal_id", "string", True, max_length=64),
        Field("deal_on", "date", True, "Registration date"),
        Field("city", "string", True, max_length=100),
        Field("price_amount", "amount", True, min_value=0, exclusive_min=True),
        Field("currency", "string", True, pattern=CURRENCY),
        Field("area_sqm", "float", False, "Floor area in square metres", min_value=0, exclusive_min=True),
        Field("kind", "string", True, choices=("new", "resale")),
        Field("buyer_party_no", "string", False, "Buyer, when matched to a client", max_length=32),
    ),
)

SUPPLY_CHAIN = DatasetSpec(
    name="supply_chain",
    description="Receivables and payables of corporate clients with their counterparties (external data).",
    key=("record_id",),
    fields=(
        Field("record_id", "string", True, max_length=64),
        Field("party_no", "string", True, "Corporate client", max_length=32),
        Field("counterparty", "string", True, max_length=200),
        Field("direction", "string", True, choices=("receivable", "payable")),
        Field("amount", "amount", True, min_value=0, exclusive_min=True),
        Field("currency", "string", True, pattern=CURRENCY),
        Field("booked_on", "date", True, "Invoice date"),
        Field("due_on", "date", True, "Agreed payment date"),
        Field("settled_on", "date", False, "Actual payment date; empty while open"),
    ),
)

INDUSTRY_POLICY = DatasetSpec(
    name="industry_policy",
    description="Industry policy events by industry code (external data).",
    key=("event_id",),
    fields=(
        Field("event_id", "string", True, max_length=64),
        Field("industry_code", "string", True, "GB/T 4754 section letter or division", max_length=8),
        Field("event_on", "date", True),
        Field("direction", "string", True, choices=("supportive", "restrictive", "neutral")),
        Field("headline", "string", True, max_length=500),
        Field("source", "string", False, max_length=200),
    ),
)

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        TRANSACTIONS, HOLDINGS_SNAPSHOTS, MARKET_PRICES, SOCIAL_SECURITY,
        PROPERTY_TRANSACTIONS, SUPPLY_CHAIN, INDUSTRY_POLICY,
    )
}  # fmt: skip
