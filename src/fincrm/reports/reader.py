"""What reports read about one client: the store (profile, holdings, products, proposals) and the
lake (monthly holdings snapshots, transactions, daily prices), scoped to the reader's book.

A :class:`ClientReader` is built once per report by the service (book scoping happens there) and
handed to the loader of the report kind, which turns what it reads into the facts its pure
builder needs. Amounts are in the reporting currency (CNY), weights are fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.config import Settings
from fincrm.lake.analytics import connect
from fincrm.portfolio import service as portfolio
from fincrm.products.models import Product


@dataclass(frozen=True)
class Position:
    """One product the client holds now (summed over the client's accounts)."""

    code: str
    name: str
    name_en: str
    kind: str
    risk_rating: str  # R1..R5
    value: float  # market value, CNY
    exposures: dict[str, float]  # asset class -> fraction of the product
    days_to_cash: int  # business days from redemption order to cash
    distribution: str  # proprietary | distributed
    series: str | None  # NAV series in market_prices


class ClientReader:
    """Reads one client's data for a report; every method is a read, nothing is written."""

    def __init__(self, session: Session, settings: Settings, party: Party, as_of: date):
        self.session = session
        self.settings = settings
        self.party = party
        self.as_of = as_of
        self.tz = ZoneInfo(settings.timezone)
        self._lake: Any = None

    def lake(self) -> Any:
        """One DuckDB connection over the lake for this report (opening one costs ~30 ms)."""
        if self._lake is None:
            self._lake = connect(self.settings)
        return self._lake

    def close(self) -> None:
        if self._lake is not None:
            self._lake.close()
            self._lake = None

    # ----- store ---------------------------------------------------------------------------
    def profile(self) -> ClientProfile | None:
        """The client's profile in the current batch version (tier, effective risk, ...)."""
        version = self.session.scalar(
            select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT)
        )
        return self.session.get(ClientProfile, (version, self.party.id)) if version is not None else None

    def investor(self) -> tuple[Any, str | None]:
        """(suitability.Investor from the latest questionnaire, effective risk level C1..C5 or None)."""
        return portfolio.client_investor(self.session, self.party)

    def positions(self) -> list[Position]:
        """Current holdings with their product facts, largest first."""
        values = portfolio.client_holdings(self.session, self.party)
        if not values:
            return []
        products = {
            p.code: p for p in self.session.scalars(select(Product).where(Product.code.in_(sorted(values))))
        }
        facts = portfolio.shelf_facts(self.session)
        out = []
        for code, value in values.items():
            p = products[code]
            f = facts.get(code)
            out.append(Position(
                code=code, name=p.name, name_en=p.name_en or p.name, kind=str(p.kind),
                risk_rating=str(p.risk_rating), value=value,
                exposures=dict(f.exposures) if f is not None else {"cash": 1.0} if str(p.kind) == "deposit" else {},
                days_to_cash=int(p.days_to_cash), distribution=str(p.distribution), series=p.price_series_code,
            ))  # fmt: skip
        return sorted(out, key=lambda x: (-x.value, x.code))

    def product(self, code: str) -> Product | None:
        return self.session.scalars(select(Product).where(Product.code == code)).one_or_none()

    # ----- lake ----------------------------------------------------------------------------
    def _query(self, sql: str, params: list[Any]) -> pd.DataFrame:
        return self.lake().execute(sql, params).df()

    def snapshots(self, start: date, end: date) -> pd.DataFrame:
        """Month-end positions between ``start`` and ``end`` (inclusive): as_of_on, product_code,
        units, market_value_amount (summed over the client's accounts)."""
        return self._query(
            "SELECT as_of_on, product_code, sum(units)::DOUBLE AS units, "
            "sum(market_value_amount)::DOUBLE AS market_value_amount FROM holdings_snapshots "
            "WHERE party_no = ? AND as_of_on BETWEEN ? AND ? GROUP BY 1, 2 ORDER BY 1, 2",
            [self.party.party_no, start, end],
        )

    def transactions(self, start: date, end: date, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
        """The client's transactions booked on business days ``start`` .. ``end`` (inclusive):
        booked_at (UTC), kind, amount (signed, + into the account), product_code."""
        lo = datetime.combine(start, time.min, self.tz)
        hi = datetime.combine(end + timedelta(days=1), time.min, self.tz)
        sql = (
            "SELECT booked_at, kind, amount::DOUBLE AS amount, product_code FROM transactions "
            "WHERE party_no = ? AND booked_at >= ? AND booked_at < ?"
        )
        params: list[Any] = [self.party.party_no, lo, hi]
        if kinds:
            sql += " AND kind IN (SELECT unnest(?))"
            params.append(list(kinds))
        return self._query(sql + " ORDER BY booked_at", params)

    def prices(self, series: list[str], start: date, end: date) -> pd.DataFrame:
        """Daily prices of ``series`` from ``start`` to ``end`` (inclusive), wide, date index."""
        if not series:
            return pd.DataFrame()
        frame = self._query(
            "SELECT price_on, series, price FROM market_prices WHERE series IN (SELECT unnest(?)) "
            "AND price_on BETWEEN ? AND ? ORDER BY price_on",
            [sorted(set(series)), start, end],
        )
        if frame.empty:
            return pd.DataFrame()
        wide = frame.pivot(index="price_on", columns="series", values="price").sort_index()
        wide.index = pd.to_datetime(wide.index)
        return wide.astype(float)

    def last_price_on(self) -> date | None:
        """The last trading day with prices on or before ``as_of``."""
        frame = self._query("SELECT max(price_on) AS d FROM market_prices WHERE price_on <= ?", [self.as_of])
        value = frame["d"].iloc[0] if not frame.empty else None
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()
