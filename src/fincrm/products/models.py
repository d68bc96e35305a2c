"""Product shelf, look-through exposures and the catalogue of market price series.

Fee and commission rates are percent per annum (``_pct``; 1.5 means 1.5 %), except
subscription and redemption fees, which are percent of the amount traded.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.db.base import AMOUNT, RATE_PCT, Base, BigId, enum_column, id_pk
from fincrm.products.domain import AssetClass, Distribution, ProductKind, RiskRating, SeriesKind


class MarketSeries(Base):
    """A daily price series in the lake (``market_prices.series`` = ``code``)."""

    __tablename__ = "market_series"

    id: Mapped[id_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[SeriesKind] = mapped_column(enum_column(SeriesKind, "series_kind"))
    asset_class: Mapped[AssetClass | None] = mapped_column(enum_column(AssetClass, "asset_class"))
    currency: Mapped[str] = mapped_column(String(3))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("days_to_cash >= 0", name="days_to_cash_non_negative"),
        CheckConstraint("lockup_days >= 0", name="lockup_non_negative"),
        CheckConstraint("min_investment_amount >= 0", name="min_investment_non_negative"),
    )

    id: Mapped[id_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[ProductKind] = mapped_column(enum_column(ProductKind, "product_kind"))
    risk_rating: Mapped[RiskRating] = mapped_column(enum_column(RiskRating, "risk_rating"))
    currency: Mapped[str] = mapped_column(String(3))
    days_to_cash: Mapped[int] = mapped_column()  # business days from redemption order to cash
    lockup_days: Mapped[int] = mapped_column(default=0)  # calendar days after purchase before redemption
    min_investment_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    issued_on: Mapped[date | None] = mapped_column(Date)
    matures_on: Mapped[date | None] = mapped_column(Date)
    distribution: Mapped[Distribution] = mapped_column(enum_column(Distribution, "distribution"))
    issuer: Mapped[str | None] = mapped_column(String(200))
    subscription_fee_pct: Mapped[Decimal] = mapped_column(RATE_PCT, default=Decimal(0))
    redemption_fee_pct: Mapped[Decimal] = mapped_column(RATE_PCT, default=Decimal(0))
    management_fee_pct: Mapped[Decimal] = mapped_column(RATE_PCT, default=Decimal(0))
    custody_fee_pct: Mapped[Decimal] = mapped_column(RATE_PCT, default=Decimal(0))
    distribution_commission_pct: Mapped[Decimal] = mapped_column(RATE_PCT, default=Decimal(0))
    structure_description: Mapped[str | None] = mapped_column(Text)  # plain language, e.g. tranches
    structure_description_en: Mapped[str | None] = mapped_column(Text)
    analogy: Mapped[str | None] = mapped_column(Text)  # plain-language analogy for disclosure (zh)
    analogy_en: Mapped[str | None] = mapped_column(Text)
    # JSON list of layers from the most senior down: {name, name_en, share_pct, note, note_en}
    tranches: Mapped[str | None] = mapped_column(Text)
    price_series_code: Mapped[str | None] = mapped_column(String(32))  # NAV series in market_prices
    on_shelf: Mapped[bool] = mapped_column(default=True)


class ProductExposure(Base):
    """Look-through: the share of a product in one asset class (and sector, for equity)."""

    __tablename__ = "product_exposures"
    __table_args__ = (
        UniqueConstraint("product_id", "asset_class", "sector"),
        CheckConstraint("weight_pct > 0 AND weight_pct <= 100", name="weight_range"),
    )

    id: Mapped[id_pk]
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column(AssetClass, "asset_class"))
    sector: Mapped[str] = mapped_column(String(50), default="")  # GICS-like sector, '' when not split
    weight_pct: Mapped[Decimal] = mapped_column(RATE_PCT)
