"""Dynamic risk profile on hand-made inputs (both engines) and on the demo institution."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from fincrm.intelligence import risk

AS_OF = date(2024, 1, 15)
# CSI300 closes: peak 105 on 3 Jan; 10 %+ below it on 5 and 8 Jan; new peak 110 on 10 Jan; 10 %+ below
# it again on 11 and 12 Jan (still in drawdown on the last close).
PRICES = [
    (date(2024, 1, 2), 100.0),
    (date(2024, 1, 3), 105.0),
    (date(2024, 1, 4), 95.0),
    (date(2024, 1, 5), 90.0),
    (date(2024, 1, 8), 85.0),
    (date(2024, 1, 9), 100.0),
    (date(2024, 1, 10), 110.0),
    (date(2024, 1, 11), 98.0),
    (date(2024, 1, 12), 97.0),
]


def market_prices() -> pa.Table:
    return pa.table(
        {
            "price_on": [d for d, _ in PRICES] + [date(2024, 1, 5)],
            "series": ["CSI300"] * len(PRICES) + ["CSI500"],
            "price": [p for _, p in PRICES] + [1.0],
        }
    )


def products() -> pa.Table:
    return pa.table(
        {
            "product_code": ["EQ1", "BND"],
            "kind": ["equity_fund", "bond_fund"],
            "risk_rating": ["R4", "R2"],
            "days_to_cash": [1, 1],
            "lockup_days": [0, 0],
            "price_series_code": ["EQ1", "BND"],
            "matures_on": [None, None],
        }
    )


def parties(*numbers: str) -> pa.Table:
    n = len(numbers)
    none = [None] * n
    return pa.table(
        {
            "party_no": list(numbers),
            "kind": ["individual"] * n,
            "status": ["active"] * n,
            "onboarded_on": [date(2020, 1, 1)] * n,
            "birth_on": none,
            "gender": none,
            "industry_code": none,
            "income_band": none,
            "occupation": none,
            "city": none,
            "primary_rm_id": [1] * n,
        }
    )


def snapshots(rows: list[tuple[str, str, float, float, float]], on: date = date(2023, 12, 31)) -> pa.Table:
    """rows: (party_no, product_code, units, cost_amount, market_value_amount)."""
    return pa.table(
        {
            "as_of_on": [on] * len(rows),
            "account_no": [f"A{r[0]}" for r in rows],
            "party_no": [r[0] for r in rows],
            "product_code": [r[1] for r in rows],
            "units": [r[2] for r in rows],
            "cost_amount": [r[3] for r in rows],
            "market_value_amount": [r[4] for r in rows],
            "currency": ["CNY"] * len(rows),
        }
    )


def transactions(rows: list[tuple[str, date, str, float, str | None, float | None]]) -> pa.Table:
    """rows: (party_no, day, kind, amount, product_code, units); booked at 10:00 UTC."""
    return pa.table(
        {
            "txn_id": [f"T{i}" for i in range(len(rows))],
            "account_no": [f"A{r[0]}" for r in rows],
            "party_no": [r[0] for r in rows],
            "booked_at": [datetime(r[1].year, r[1].month, r[1].day, 10, tzinfo=UTC) for r in rows],
            "kind": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
            "currency": ["CNY"] * len(rows),
            "product_code": [r[4] for r in rows],
            "units": [r[5] for r in rows],
            "channel": ["mobile"] * len(rows),
            "counterparty_category": [None] * len(rows),
            "counterparty": [None] * len(rows),
        }
    )


def interactions(rows: list[tuple[str, date, str, str]]) -> pa.Table:
    """rows: (party_no, day, direction, purpose)."""
    return pa.table(
        {
            "party_no": [r[0] for r in rows],
            "occurred_at": [datetime(r[1].year, r[1].month, r[1].day, 9, tzinfo=UTC) for r in rows],
            "channel": ["phone"] * len(rows),
            "direction": [r[2] for r in rows],
            "purpose": [r[3] for r in rows],
        }
    )


def assessments(rows: list[tuple[str, str, date, date]]) -> pa.Table:
    return pa.table(
        {
            "party_no": [r[0] for r in rows],
            "level": [r[1] for r in rows],
            "score": [50] * len(rows),
            "taken_on": [r[2] for r in rows],
            "valid_until": [r[3] for r in rows],
        }
    )


class TestRegimes:
    def test_periods_start_and_end_on_the_threshold_crossings(self, make_inputs) -> None:
        inputs = make_inputs(AS_OF, market_prices=market_prices())
        got = inputs.con.to_pyarrow(risk.regimes(inputs)).to_pylist()
        assert [
            (r["period_no"], r["started_on"], r["ended_on"], r["trough_on"], r["trading_days"], r["ongoing"])
            for r in got
        ] == [
            (1, date(2024, 1, 5), date(2024, 1, 8), date(2024, 1, 8), 2, False),
            (2, date(2024, 1, 11), date(2024, 1, 12), date(2024, 1, 12), 2, True),
        ]
        assert [r["max_drawdown_pct"] for r in got] == pytest.approx([19.05, 11.82])

    def test_a_higher_threshold_keeps_only_the_deep_fall(self, make_inputs) -> None:
        inputs = make_inputs(AS_OF, market_prices=market_prices())
        got = inputs.con.to_pyarrow(risk.regimes(inputs, threshold=0.15))
        assert got.column("started_on").to_pylist() == [date(2024, 1, 8)]

    def test_no_prices_means_no_periods(self, make_inputs) -> None:
        inputs = make_inputs(AS_OF)
        assert len(inputs.con.execute(risk.regimes(inputs))) == 0


def profile_inputs(make_inputs):
    return make_inputs(
        AS_OF,
        parties=parties("P1", "P2", "P3", "P4", "P5"),
        market_prices=market_prices(),
        products=products(),
        risk_assessments=assessments(
            [
                ("P1", "C4", date(2023, 6, 1), date(2025, 6, 1)),
                ("P2", "C5", date(2020, 1, 1), date(2021, 1, 1)),
                ("P2", "C3", date(2022, 1, 1), date(2023, 1, 1)),
                ("P3", "C5", date(2023, 3, 1), date(2025, 3, 1)),
            ]
        ),
        holdings_snapshots=snapshots(
            [
                ("P1", "EQ1", 100.0, 800.0, 1000.0),
                ("P2", "EQ1", 50.0, 600.0, 500.0),
                ("P3", "EQ1", 100.0, 1000.0, 1000.0),
                ("P4", "BND", 100.0, 100.0, 100.0),
                ("P5", "EQ1", 10.0, 100.0, 100.0),
            ]
        ),
        transactions=transactions(
            [
                ("P1", date(2024, 1, 5), "redemption", 900.0, "EQ1", 100.0),  # all, above cost
                ("P3", date(2024, 1, 8), "redemption", 240.0, "EQ1", 30.0),  # 30 %, below cost
                ("P5", date(2024, 1, 12), "redemption", 95.0, "EQ1", 10.0),  # all, in the open period
                ("P4", date(2024, 1, 5), "redemption", 100.0, "BND", 100.0),  # not a risky product
            ]
        ),
        interactions=interactions(
            [
                ("P3", date(2024, 1, 5), "inbound", "market_concern"),
                ("P2", date(2024, 1, 5), "outbound", "market_concern"),  # the RM's call
                ("P2", date(2024, 1, 9), "inbound", "market_concern"),  # between the periods
            ]
        ),
    )


class TestProfile:
    @pytest.fixture
    def rows(self, make_inputs) -> dict[str, dict]:
        inputs = profile_inputs(make_inputs)
        frame = inputs.con.to_pyarrow(risk.profile(inputs))
        assert frame.column_names == [
            "party_no",
            "stated_risk",
            "questionnaire_valid_until",
            "questionnaire_expired",
            "behavioural_risk",
            "effective_risk",
            "risk_drift",
            "behaviour_evidence",
        ]
        assert frame.column("party_no").to_pylist() == ["P1", "P2", "P3", "P4", "P5"]
        return {r["party_no"]: r for r in frame.to_pylist()}

    def test_c4_client_who_sold_all_equity_in_a_drawdown_behaves_like_c2(self, rows) -> None:
        r = rows["P1"]
        assert (r["stated_risk"], r["behavioural_risk"], r["effective_risk"]) == ("C4", "C2", "C2")
        assert r["risk_drift"] is True
        assert r["questionnaire_expired"] is False
        assert r["behaviour_evidence"] == (
            "redeemed 100% of risky holdings during drawdowns; 0 market_concern inquiries; "
            "realised loss 0 CNY; exposure 1000 CNY"
        )

    def test_client_who_held_through_keeps_the_latest_stated_level_and_expiry_is_flagged(self, rows) -> None:
        r = rows["P2"]
        assert (r["stated_risk"], r["behavioural_risk"], r["effective_risk"]) == ("C3", "C3", "C3")
        assert r["questionnaire_valid_until"] == date(2023, 1, 1)
        assert r["questionnaire_expired"] is True
        assert r["risk_drift"] is False
        assert r["behaviour_evidence"].startswith("redeemed 0% of risky holdings during drawdowns; 0 market")

    def test_partial_sale_at_a_loss_with_a_worried_call_lowers_an_aggressive_client(self, rows) -> None:
        # exposure 1000 (period 1) + 700 (period 2, after selling 30 units); sold 300: 18 % -> 1 point,
        # one inbound concern call -> 1 point, a loss of 30 x (10 - 8) = 60 -> 1 point: C2.
        r = rows["P3"]
        assert (r["stated_risk"], r["behavioural_risk"], r["effective_risk"]) == ("C5", "C2", "C2")
        assert r["risk_drift"] is True
        assert r["behaviour_evidence"] == (
            "redeemed 18% of risky holdings during drawdowns; 1 market_concern inquiries; "
            "realised loss 60 CNY; exposure 1700 CNY"
        )

    def test_client_without_questionnaire_or_risky_holdings_has_no_level(self, rows) -> None:
        r = rows["P4"]
        assert r["stated_risk"] is None and r["behavioural_risk"] is None and r["effective_risk"] is None
        assert r["questionnaire_expired"] is True
        assert r["risk_drift"] is False
        assert r["behaviour_evidence"] == "no risky holdings at the start of a drawdown"

    def test_behaviour_alone_sets_the_level_when_no_questionnaire_exists(self, rows) -> None:
        # sold everything in the ongoing period (share 100 / 200 = 0.5: 3 points) at a loss (1 point): C1
        r = rows["P5"]
        assert r["stated_risk"] is None
        assert (r["behavioural_risk"], r["effective_risk"]) == ("C1", "C1")
        assert r["risk_drift"] is False
        assert "realised loss 5 CNY; exposure 200 CNY" in r["behaviour_evidence"]


class TestProfileOnDemo:
    def test_crisis_is_found_and_fearful_clients_drift_down(self, demo_inputs, demo) -> None:
        con = demo_inputs.con
        periods = con.to_pyarrow(risk.regimes(demo_inputs))
        crisis = demo.answers["market"]["crisis"]
        deepest = max(periods.to_pylist(), key=lambda r: r["max_drawdown_pct"])
        print("\ndrawdown periods:\n", periods.to_pandas().to_string())
        # Measured from the running (all-time) peak, so at least the planted peak-to-trough fall.
        assert deepest["started_on"] <= date.fromisoformat(crisis["trough_on"]) <= deepest["ended_on"]
        assert deepest["max_drawdown_pct"] >= crisis["drawdown_pct"] - 0.01
        frame = con.execute(risk.profile(demo_inputs))
        assert frame.party_no.is_unique
        assert len(frame) == demo.result.store_rows["parties"]
        drift = frame[frame.risk_drift]
        print(
            "profiles:", len(frame), "drift:", len(drift), "expired:", int(frame.questionnaire_expired.sum())
        )
        print(frame.groupby(["stated_risk", "behavioural_risk"]).size().to_string())
        assert len(drift) > 0
        assert (drift.effective_risk == drift.behavioural_risk).all()
        assert (drift.behavioural_risk < drift.stated_risk).all()
