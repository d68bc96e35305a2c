"""Financial RFM, tiers and the lift report on tiny hand-checkable books, on DuckDB and on Spark."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from fincrm.intelligence.domain import CELL_KEYS
from fincrm.intelligence.inputs import STORE_SCHEMAS, Inputs
from fincrm.intelligence.rfm import features, lift, positions_at, scores, tiers
from fincrm.lake.schemas import DATASETS

AS_OF = date(2026, 11, 27)
SQRT_252 = math.sqrt(252)


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """An input table with every declared column; columns not given are null."""
    schema = STORE_SCHEMAS[name] if name in STORE_SCHEMAS else DATASETS[name].schema

    def value(row: dict[str, Any], field: pa.Field) -> Any:
        v = row.get(field.name)
        return Decimal(str(v)) if v is not None and pa.types.is_decimal(field.type) else v

    return pa.table({f.name: pa.array([value(r, f) for r in rows], f.type) for f in schema})


def parties(*party_nos: str) -> pa.Table:
    return table("parties", [{"party_no": p} for p in party_nos])


def holding(party_no: str, product_code: str, amount: float, first_bought_on: date | None = None) -> dict:
    return {"party_no": party_no, "account_no": f"A{party_no}", "product_code": product_code,
            "market_value_amount": amount, "as_of_on": AS_OF, "first_bought_on": first_bought_on}  # fmt: skip


def txn(party_no: str, kind: str, on: date, amount: float, product_code: str | None) -> dict:
    return {"txn_id": f"{party_no}-{kind}-{on}-{product_code}", "account_no": f"A{party_no}", "party_no": party_no,
            "booked_at": datetime(on.year, on.month, on.day, 2, tzinfo=UTC), "kind": kind, "amount": amount,
            "currency": "CNY", "product_code": product_code, "channel": "mobile"}  # fmt: skip


PRODUCTS = table(
    "products",
    [
        {"product_code": "MMF", "days_to_cash": 0, "lockup_days": 0, "price_series_code": None},
        {"product_code": "BOND", "days_to_cash": 3, "lockup_days": 0, "price_series_code": "S_BOND"},
        {"product_code": "PE", "days_to_cash": 5, "lockup_days": 365, "price_series_code": "S_EQ"},
        {"product_code": "FUNDX", "days_to_cash": 1, "lockup_days": 0, "price_series_code": None},
    ],
)
# Three prices per series inside the 12 months to AS_OF (and one before it, which is ignored).
PRICES = table(
    "market_prices",
    [
        {"price_on": on, "series": series, "price": price}
        for series, path in (("S_BOND", (50.0, 100.0, 101.0, 103.0)), ("S_EQ", (10.0, 100.0, 90.0, 99.0)))
        for on, price in zip(
            (date(2025, 11, 1), date(2025, 12, 1), date(2026, 6, 1), date(2026, 11, 2)), path, strict=True
        )
    ],
)
BOND_RETURNS = (101 / 100 - 1, 103 / 101 - 1)
EQ_RETURNS = (90 / 100 - 1, 99 / 90 - 1)


def frame(inputs: Inputs, expr) -> pd.DataFrame:
    return inputs.con.execute(expr).sort_values("party_no").set_index("party_no")


def small_book(make_inputs) -> Inputs:
    """C1: 70% T+0 money fund, 30% T+3 bond fund; C2: a private fund still locked up; C3: nothing; C4: 50/50."""
    return make_inputs(
        AS_OF,
        parties=parties("C1", "C2", "C3", "C4"),
        products=PRODUCTS,
        market_prices=PRICES,
        holdings=table("holdings", [
            holding("C1", "MMF", 70_000.0),
            holding("C1", "BOND", 30_000.0, date(2020, 1, 1)),
            holding("C2", "PE", 100_000.0, AS_OF - timedelta(days=30)),
            holding("C4", "BOND", 50_000.0, AS_OF - timedelta(days=10)),
            holding("C4", "PE", 50_000.0, date(2020, 1, 1)),
        ]),
        transactions=table("transactions", [
            txn("C1", "purchase", AS_OF - timedelta(days=180), -70_000.0, "MMF"),
            txn("C1", "purchase", AS_OF - timedelta(days=365), -30_000.0, "BOND"),
            txn("C1", "purchase", date(2026, 1, 1), -100_000.0, "FUNDX"),
            txn("C1", "redemption", date(2026, 3, 1), 101_000.0, "FUNDX"),
            txn("C1", "salary_credit", date(2026, 3, 5), 20_000.0, None),
            txn("C1", "purchase", AS_OF + timedelta(days=1), -5_000.0, "BOND"),  # after the date: unseen
        ]),
    )  # fmt: skip


class TestPositionsAt:
    def test_current_holdings_from_their_valuation_date(self, make_inputs) -> None:
        inputs = small_book(make_inputs)
        got = inputs.con.execute(positions_at(inputs, AS_OF)).sort_values(["party_no", "product_code"])
        assert list(zip(got.party_no, got.product_code, got.market_value_amount, strict=True)) == [
            ("C1", "BOND", 30_000.0), ("C1", "MMF", 70_000.0), ("C2", "PE", 100_000.0),
            ("C4", "BOND", 50_000.0), ("C4", "PE", 50_000.0),
        ]  # fmt: skip

    def test_earlier_dates_read_the_last_month_end_snapshot_without_look_ahead(self, make_inputs) -> None:
        snap = [
            {"as_of_on": date(2026, 9, 30), "account_no": "A1", "party_no": "C1", "product_code": "MMF",
             "units": 1.0, "cost_amount": 1.0, "market_value_amount": 10.0, "currency": "CNY"},
            {"as_of_on": date(2026, 10, 31), "account_no": "A1", "party_no": "C1", "product_code": "MMF",
             "units": 1.0, "cost_amount": 1.0, "market_value_amount": 20.0, "currency": "CNY"},
            {"as_of_on": date(2026, 10, 31), "account_no": "A2", "party_no": "C1", "product_code": "MMF",
             "units": 1.0, "cost_amount": 1.0, "market_value_amount": 5.0, "currency": "CNY"},
        ]  # fmt: skip
        inputs = make_inputs(
            AS_OF,
            holdings=table("holdings", [holding("C1", "MMF", 99.0)]),
            holdings_snapshots=table("holdings_snapshots", snap),
        )
        con = inputs.con
        assert con.execute(positions_at(inputs, date(2026, 11, 15))).market_value_amount.tolist() == [25.0]
        assert con.execute(positions_at(inputs, date(2026, 10, 30))).market_value_amount.tolist() == [10.0]
        assert con.execute(positions_at(inputs, date(2026, 9, 29)).count()) == 0


class TestFeatures:
    def test_liquidity_counts_t_plus_1_assets_and_remaining_lockups(self, make_inputs) -> None:
        inputs = small_book(make_inputs)
        got = frame(inputs, features(inputs, AS_OF, positions_at(inputs, AS_OF)))
        assert got.aum_amount.tolist() == [100_000.0, 100_000.0, 0.0, 100_000.0]
        assert got.liquid_share["C1"] == pytest.approx(0.7)
        assert got.days_to_cash["C1"] == pytest.approx(0.9)  # 0.7 x 0 + 0.3 x 3
        assert got.liquid_share["C2"] == 0.0
        assert got.days_to_cash["C2"] == pytest.approx(5 + 335)  # T+5 after 335 more days of lock-up
        assert got.days_to_cash["C4"] == pytest.approx(0.5 * 3 + 0.5 * 5)  # PE lock-up ended long ago

    def test_holding_days_weight_spells_by_purchase_amount(self, make_inputs) -> None:
        inputs = small_book(make_inputs)
        got = frame(inputs, features(inputs, AS_OF, positions_at(inputs, AS_OF)))
        # C1: MMF held 180 days, BOND since 2020 from the store (2,522 days), FUNDX closed after 59 days
        bond_days = (AS_OF - date(2020, 1, 1)).days
        expected = (70_000 * 180 + 30_000 * bond_days + 100_000 * 59) / 200_000
        assert got.holding_days["C1"] == pytest.approx(expected)
        assert got.holding_days["C2"] == pytest.approx(30.0)  # no trades: store date, weighted by value
        assert got.holding_days["C4"] == pytest.approx((10 + bond_days) / 2)

    def test_risk_adjusted_return_uses_series_covariance_at_current_weights(self, make_inputs) -> None:
        inputs = small_book(make_inputs)
        got = frame(inputs, features(inputs, AS_OF, positions_at(inputs, AS_OF)))
        bond = pd.Series(BOND_RETURNS)
        eq = pd.Series(EQ_RETURNS)
        # C1: 30% bond fund, 70% money fund without a series (return 0, volatility 0)
        assert got.return_12m["C1"] == pytest.approx(0.3 * 0.03)
        assert got.vol_12m["C1"] == pytest.approx(0.3 * bond.std() * SQRT_252)
        assert got.rar_12m["C1"] == pytest.approx(0.009 / (0.3 * bond.std() * SQRT_252))
        assert got.return_12m["C2"] == pytest.approx(-0.01)
        assert got.vol_12m["C2"] == pytest.approx(0.2 / math.sqrt(2) * SQRT_252)  # sd of (-0.1, 0.1)
        var = 0.25 * bond.var() + 0.25 * eq.var() + 2 * 0.25 * bond.cov(eq)
        assert got.return_12m["C4"] == pytest.approx(0.5 * 0.03 + 0.5 * -0.01)
        assert got.vol_12m["C4"] == pytest.approx(math.sqrt(var * 252))

    def test_clients_without_assets_keep_a_row_with_null_metrics(self, make_inputs) -> None:
        inputs = small_book(make_inputs)
        got = frame(inputs, features(inputs, AS_OF, positions_at(inputs, AS_OF)))
        assert got.loc["C3", "aum_amount"] == 0.0
        assert got.loc["C3"].drop("aum_amount").isna().all()

    def test_a_portfolio_without_any_volatility_has_no_risk_adjusted_return(self, make_inputs) -> None:
        inputs = make_inputs(
            AS_OF,
            parties=parties("C1"),
            products=PRODUCTS,
            holdings=table("holdings", [holding("C1", "MMF", 1.0)]),
        )
        got = frame(inputs, features(inputs, AS_OF, positions_at(inputs, AS_OF)))
        assert (got.return_12m["C1"], got.vol_12m["C1"]) == (0.0, 0.0)
        assert pd.isna(got.rar_12m["C1"])


def ten_clients(make_inputs, **extra: pa.Table) -> Inputs:
    """C01..C10: C0k holds k x 10% in the money fund (rest bond fund), bought (11 - k) x 100 days ago; C11 nothing."""
    rows = []
    for k in range(1, 11):
        bought = AS_OF - timedelta(days=(11 - k) * 100)
        rows.append(holding(f"C{k:02}", "MMF", k * 10_000.0, bought))
        if k < 10:
            rows.append(holding(f"C{k:02}", "BOND", (10 - k) * 10_000.0, bought))
    names = [f"C{k:02}" for k in range(1, 12)]
    return make_inputs(
        AS_OF, parties=parties(*names), products=PRODUCTS, holdings=table("holdings", rows), **extra
    )


class TestScores:
    def test_quintiles_within_the_institution_and_named_cells(self, make_inputs) -> None:
        inputs = ten_clients(make_inputs)
        got = frame(inputs, scores(features(inputs, AS_OF, positions_at(inputs, AS_OF))))
        assert got.r_score.tolist()[:10] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # more liquid, higher
        assert got.f_score.tolist()[:10] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # held longer, higher
        assert got.m_score.tolist()[:10] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # all equal (0): by party_no
        assert got.rfm_cell.tolist() == ["locked_in_laggard"] * 4 + ["stable_core"] * 2 + [
            "nimble_trader"
        ] * 4 + ["no_assets"]
        assert got.loc["C11", ["r_score", "f_score", "m_score"]].isna().all()


class TestTiers:
    def test_thresholds_are_inclusive_lower_bounds(self, make_inputs) -> None:
        inputs = ten_clients(make_inputs)
        got = frame(inputs, tiers(features(inputs, AS_OF, positions_at(inputs, AS_OF)), 100_000, 50_000))
        assert got.tier.tolist() == ["hnw"] * 10 + ["long_tail"]
        got = frame(inputs, tiers(features(inputs, AS_OF, positions_at(inputs, AS_OF)), 6_000_000, 100_000))
        assert got.tier.tolist() == ["mass"] * 10 + ["long_tail"]

    def test_thresholds_out_of_order_are_rejected(self, make_inputs) -> None:
        inputs = ten_clients(make_inputs)
        with pytest.raises(ValueError, match="mass_min < hnw_min"):
            tiers(features(inputs, AS_OF, positions_at(inputs, AS_OF)), 50_000, 6_000_000)


class TestLift:
    def test_repurchase_rates_per_cell_with_wilson_and_katz_intervals(self, make_inputs) -> None:
        cutoff = AS_OF - timedelta(days=90)
        snapshot = [
            {"as_of_on": date(2026, 7, 31), "account_no": h["account_no"], "party_no": h["party_no"],
             "product_code": h["product_code"], "units": 1.0, "cost_amount": 1.0,
             "market_value_amount": h["market_value_amount"], "currency": "CNY"}
            for h in ten_clients_rows()
        ]  # fmt: skip
        inputs = ten_clients(
            make_inputs,
            holdings_snapshots=table("holdings_snapshots", snapshot),
            transactions=table("transactions", [
                txn("C01", "purchase", cutoff + timedelta(days=1), -1.0, "FUNDX"),
                txn("C02", "purchase", AS_OF, -1.0, "FUNDX"),
                txn("C07", "purchase", AS_OF - timedelta(days=5), -1.0, "FUNDX"),
                txn("C08", "redemption", AS_OF - timedelta(days=5), 1.0, "MMF"),  # not a purchase
                txn("C11", "purchase", cutoff, -1.0, "FUNDX"),  # on the cutoff day: before the window
                txn("C11", "purchase", AS_OF + timedelta(days=1), -1.0, "FUNDX"),  # after as_of
            ]),
        )  # fmt: skip
        got = lift(inputs, window_days=90).set_index("rfm_cell")
        assert got.index.tolist() == ["locked_in_laggard", "stable_core", "nimble_trader", "no_assets", "all"]
        assert got.clients.tolist() == [4, 2, 4, 1, 11]
        assert got.repurchasers.tolist() == [2, 0, 1, 0, 3]
        # Wilson, z = 1.959964: 2/4 -> (0.5 -/+ 0.349961); 0/2 -> (0, z^2/2 / (1 + z^2/2) x 2) = (0, 0.657620)
        assert got.loc["locked_in_laggard", ["rate", "rate_low", "rate_high"]].tolist() == pytest.approx(
            [0.5, 0.150039, 0.849961], abs=1e-6
        )
        assert got.loc["stable_core", ["rate_low", "rate_high"]].tolist() == pytest.approx(
            [0.0, 0.657620], abs=1e-6
        )
        assert got.loc["all", ["rate", "rate_low", "rate_high"]].tolist() == pytest.approx(
            [3 / 11, 0.097461, 0.565645], abs=1e-6
        )
        # Katz: (2/4) / (3/11) = 1.8333, se = sqrt(1/2 - 1/4 + 1/3 - 1/11) = 0.701729
        se = math.sqrt(1 / 2 - 1 / 4 + 1 / 3 - 1 / 11)
        assert got.loc["locked_in_laggard", ["lift", "lift_low", "lift_high"]].tolist() == pytest.approx(
            [11 / 6, 11 / 6 * math.exp(-1.959964 * se), 11 / 6 * math.exp(1.959964 * se)], rel=1e-6
        )
        assert got.loc["stable_core", "lift"] == 0.0
        assert math.isnan(got.loc["stable_core", "lift_low"])
        assert got.loc["all", "lift"] == 1.0


def ten_clients_rows() -> list[dict]:
    rows = []
    for k in range(1, 11):
        rows.append(holding(f"C{k:02}", "MMF", k * 10_000.0))
        if k < 10:
            rows.append(holding(f"C{k:02}", "BOND", (10 - k) * 10_000.0))
    return rows


class TestDemoInstitution:
    def test_rfm_scores_every_client_with_assets(self, demo_inputs: Inputs) -> None:
        con, as_of = demo_inputs.con, demo_inputs.as_of
        feats = features(demo_inputs, as_of, positions_at(demo_inputs, as_of))
        got = con.execute(feats.join(scores(feats), "party_no"))
        assert len(got) == con.execute(demo_inputs["parties"].count())
        with_assets = got[got.aum_amount > 0]
        assert len(with_assets) > 0.5 * len(got)
        for column in ("r_score", "f_score", "m_score"):
            assert with_assets[column].between(1, 5).all()
            assert sorted(with_assets[column].unique()) == [1, 2, 3, 4, 5]
        assert with_assets.rfm_cell.isin(CELL_KEYS).all()
        assert (got[got.aum_amount == 0].rfm_cell == "no_assets").all()
        assert with_assets.liquid_share.between(0, 1).all()
        assert (with_assets.days_to_cash >= 0).all() and (with_assets.vol_12m >= 0).all()
        assert with_assets.return_12m.abs().max() < 2

    def test_lift_report_covers_the_book(self, demo_inputs: Inputs) -> None:
        report = lift(demo_inputs)
        book = report.set_index("rfm_cell").loc["all"]
        assert book.clients == demo_inputs.con.execute(demo_inputs["parties"].count())
        assert report[report.rfm_cell != "all"].clients.sum() == book.clients
        assert ((report.rate_low <= report.rate) & (report.rate <= report.rate_high)).all()
