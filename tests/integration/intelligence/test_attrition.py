"""Attrition features and labels on hand-made inputs (both engines), and the model on the demo."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from fincrm.intelligence import attrition
from tests.integration.intelligence.test_risk import interactions, parties, snapshots, transactions

AT = date(2024, 7, 1)


def attrition_inputs(make_inputs):
    salary = [("A", date(2024, m, 10), "salary_credit", 10_000.0, None, None) for m in (1, 2, 3, 4)]
    spend = [
        ("A", d, "card_spend", -100.0, None, None)
        for d in (date(2023, 11, 5), date(2023, 12, 5), date(2024, 1, 5), date(2024, 2, 5), date(2024, 4, 15))
    ]
    tx = transactions(
        salary
        + spend
        + [
            ("A", date(2024, 5, 15), "redemption", 50_000.0, "EQ1", 10.0),
            ("A", date(2024, 6, 1), "transfer_out", -50_000.0, None, None),
            ("A", AT, "transfer_out", -999_999.0, None, None),  # on T itself: not seen at T
        ]
    )
    channels = ["auto"] * 4 + ["mobile"] * 8
    tx = tx.set_column(tx.schema.get_field_index("channel"), "channel", [channels])
    snaps = [
        snapshots([("A", "EQ1", 20.0, 150_000.0, 200_000.0)], on=date(2024, 4, 30)),
        snapshots(
            [("A", "EQ1", 10.0, 75_000.0, 100_000.0), ("C", "BND", 5.0, 50_000.0, 50_000.0)],
            date(2024, 5, 31),
        ),
        snapshots(
            [("A", "EQ1", 1.0, 7_500.0, 10_000.0), ("C", "BND", 5.0, 50_000.0, 50_000.0)], date(2024, 8, 31)
        ),
    ]
    return make_inputs(
        date(2024, 11, 30),
        parties=parties("A", "B", "C"),
        transactions=tx,
        holdings_snapshots=pa.concat_tables(snaps),
        interactions=interactions(
            [
                ("A", date(2024, 5, 1), "inbound", "complaint"),
                ("A", date(2023, 12, 1), "inbound", "complaint"),  # older than 180 days
                ("B", date(2024, 5, 1), "inbound", "periodic_review"),
            ]
        ),
    )


class TestFeatures:
    def test_warning_signs_are_measured_from_data_before_the_date(self, make_inputs) -> None:
        inputs = attrition_inputs(make_inputs)
        rows = {r["party_no"]: r for r in inputs.con.to_pyarrow(attrition.features(inputs, AT)).to_pylist()}
        a = rows["A"]
        assert (a["salary_months_last3"], a["salary_months_prior6"]) == (1, 3)
        assert a["salary_drop"] == pytest.approx(3 / 6 - 1 / 3)
        assert a["assets_amount"] == pytest.approx(100_000.0)
        assert a["net_outflow_amount"] == pytest.approx(40_100.0)  # salary 10,000 in; 50,000 + 100 out
        assert a["outflow_ratio"] == pytest.approx(0.401)
        assert a["inactivity_days"] == 30  # last client action: the transfer of 1 June
        assert a["complaints"] == 1
        assert a["spend_drop"] == pytest.approx(0.5)  # 1 spend in 90 days against 4 in the 180 before
        assert a["asset_decline"] == pytest.approx(0.5)
        assert a["redemption_ratio"] == pytest.approx(0.25)

    def test_client_without_any_activity_gets_neutral_values_and_capped_inactivity(self, make_inputs) -> None:
        inputs = attrition_inputs(make_inputs)
        rows = {r["party_no"]: r for r in inputs.con.to_pyarrow(attrition.features(inputs, AT)).to_pylist()}
        b = rows["B"]
        assert b["inactivity_days"] == 365
        assert b["assets_amount"] == 0.0 and b["complaints"] == 0
        assert (b["salary_drop"], b["outflow_ratio"], b["spend_drop"], b["asset_decline"]) == (0, 0, 0, 0)


class TestLabels:
    def test_drained_client_is_churned_and_a_steady_one_is_not(self, make_inputs) -> None:
        inputs = attrition_inputs(make_inputs)
        got = inputs.con.to_pyarrow(attrition.labels(inputs, AT, 90)).to_pylist()
        assert [(r["party_no"], r["assets_amount"], r["assets_after_amount"], r["churned"]) for r in got] == [
            ("A", 100_000.0, 10_000.0, True),
            ("C", 50_000.0, 50_000.0, False),
        ]


class TestScoreOnDemo:
    def test_planted_churners_rank_high_with_reasons(self, demo_inputs, demo) -> None:
        scores, metrics = attrition.score(demo_inputs, horizon_days=90)
        result = attrition.evaluate(scores, demo.answers)
        print("\nattrition metrics:", metrics)
        print("against planted churners:", result)
        assert list(scores.columns) == ["party_no", "attrition_score", "attrition_reasons"]
        assert scores.party_no.is_unique and len(scores) == demo.result.store_rows["parties"]
        assert scores.attrition_score.between(0, 1).all()
        assert result["churners"] > 0
        assert result["auc"] >= 0.65  # measured 0.716 on seed 7 (see docs/intelligence-risk-attrition.md)
        top = scores.nlargest(20, "attrition_score")
        print(top.to_string())
        assert (top.attrition_reasons != "").all()


class TestBacktestOnDemo:
    def test_planted_churners_are_flagged_before_they_leave(self, demo_inputs, demo) -> None:
        result = attrition.backtest(demo_inputs, demo.answers, horizon_days=90, folds=4)
        print("\npoint-in-time backtest against planted churners:", result)
        assert result["positives"] > 0 and result["scored"] > 1000
        assert result["auc"] is not None and result["auc"] >= 0.9  # measured 0.995 (7 positives, seed 7)


class TestScoreWithoutChurners:
    def test_a_book_with_no_churner_gets_no_scores_and_says_why(self, make_inputs) -> None:
        inputs = make_inputs(
            date(2024, 11, 30),
            parties=parties("A", "B"),
            holdings_snapshots=pa.concat_tables(
                [
                    snapshots(
                        [("A", "EQ1", 10.0, 50_000.0, 50_000.0), ("B", "EQ1", 10.0, 60_000.0, 60_000.0)], on
                    )
                    for on in (date(2024, 5, 31), date(2024, 8, 31), date(2024, 10, 31))
                ]
            ),
        )
        scores, metrics = attrition.score(inputs, horizon_days=90)
        assert scores.empty and list(scores.columns) == ["party_no", "attrition_score", "attrition_reasons"]
        assert "single class" in metrics["skipped"] and metrics["validation_auc"] is None
