"""Vocabulary of the product shelf. Pure."""

from __future__ import annotations

from enum import StrEnum


class ProductKind(StrEnum):
    DEPOSIT = "deposit"
    MONEY_MARKET_FUND = "money_market_fund"
    BOND_FUND = "bond_fund"
    EQUITY_FUND = "equity_fund"
    HYBRID_FUND = "hybrid_fund"
    BANK_WMP = "bank_wmp"  # bank wealth-management product 银行理财
    STRUCTURED = "structured"
    PRIVATE_FUND = "private_fund"
    INSURANCE = "insurance"
    GOLD = "gold"
    LOAN = "loan"


class RiskRating(StrEnum):
    """Product risk rating, R1 (lowest) to R5 (highest)."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class Distribution(StrEnum):
    PROPRIETARY = "proprietary"  # 自营
    DISTRIBUTED = "distributed"  # 代销: the institution earns a distribution commission


class AssetClass(StrEnum):
    CASH = "cash"
    BOND = "bond"
    EQUITY = "equity"
    COMMODITY = "commodity"  # gold and other commodities
    REAL_ESTATE = "real_estate"
    ALTERNATIVE = "alternative"


class SeriesKind(StrEnum):
    INDEX = "index"  # a market or asset-class index
    PRODUCT = "product"  # the NAV of a product on the shelf
