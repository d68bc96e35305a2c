"""Each signal rule on tiny hand-made inputs, on DuckDB and Spark; then the demo's planted stories."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from fincrm.intelligence.evaluation import score
from fincrm.intelligence.signal_rules import DEFAULT_RULES, retirement_month
from fincrm.intelligence.signals import SIGNAL_COLUMNS, detect, evidence

AS_OF = date(2026, 6, 30)


def rows(**cols) -> pa.Table:
    return pa.table(cols)


def party(
    no, kind="individual", birth=None, gender="M", industry=None, occupation=None, onboarded=date(2015, 1, 1)
):
    return {
        "party_no": no, "kind": kind, "status": "active", "onboarded_on": onboarded, "birth_on": birth,
        "gender": gender, "industry_code": industry, "income_band": None, "occupation": occupation,
        "city": "上海市", "primary_rm_id": 1,
    }  # fmt: skip


def parties(*ps) -> pa.Table:
    return pa.Table.from_pylist(list(ps))


def txns(*ts) -> pa.Table:
    out = []
    for txn_id, party_no, day, kind, amount, category in ts:
        out.append({
            "txn_id": txn_id, "account_no": "A" + party_no, "party_no": party_no,
            "booked_at": datetime(day.year, day.month, day.day, 10, tzinfo=UTC), "kind": kind,
            "amount": amount, "currency": "CNY", "product_code": None, "units": None, "channel": "pos",
            "counterparty_category": category, "counterparty": "x",
        })  # fmt: skip
    return pa.Table.from_pylist(out)


def run(make_inputs, only: str, as_of: date = AS_OF, **tables):
    inputs = make_inputs(as_of, **tables)
    rules = replace(DEFAULT_RULES, kinds=(only,))
    df = inputs.con.execute(detect(inputs, rules))
    assert tuple(df.columns) == SIGNAL_COLUMNS
    df["detected_on"] = [d.date() for d in df.detected_on]  # pandas gives dates as Timestamps
    return df


def test_renovation_need(make_inputs) -> None:
    deals = pa.Table.from_pylist([
        {"deal_id": "D1", "deal_on": date(2026, 2, 10), "city": "上海市", "price_amount": 3_000_000.0,
         "currency": "CNY", "area_sqm": 90.0, "kind": "new", "buyer_party_no": "C1"},
        {"deal_id": "D9", "deal_on": date(2024, 2, 10), "city": "上海市", "price_amount": 3_000_000.0,
         "currency": "CNY", "area_sqm": 90.0, "kind": "new", "buyer_party_no": "C9"},  # too long ago
    ])  # fmt: skip
    t = txns(
        ("T1", "C1", date(2026, 2, 10), "transfer_out", -900_000.0, "real_estate"),
        ("T2", "C1", date(2026, 4, 2), "card_spend", -20_000.0, "home_improvement"),
        ("T3", "C2", date(2026, 5, 3), "transfer_out", -500_000.0, "real_estate"),
        ("T4", "C3", date(2026, 5, 3), "transfer_out", -50_000.0, "real_estate"),  # too small
        ("T5", "C3", date(2026, 5, 4), "card_spend", -30_000.0, "home_improvement"),  # no purchase
    )
    df = run(make_inputs, "renovation_need", property_transactions=deals, transactions=t)
    assert df.party_no.tolist() == ["C1", "C2"]
    c1, c2 = df.iloc[0], df.iloc[1]
    assert c1.detected_on == date(2026, 2, 10) and c1.confidence == pytest.approx(0.95)
    assert json.loads(c1.evidence) == [
        {"dataset": "property_transactions", "key": "D1"},
        {"dataset": "transactions", "key": "T1"},
        {"dataset": "transactions", "key": "T2"},
    ]
    assert "3000000 CNY" in c1.summary and "20000 CNY in 1 payments" in c1.summary
    assert c2.confidence == pytest.approx(0.6) and "no home-improvement spend yet" in c2.summary


def test_education_fund(make_inputs) -> None:
    p = parties(
        party("C1", birth=date(1992, 1, 1)), party("C2", birth=date(1993, 1, 1), gender="F"),
        party("C3", birth=date(2025, 10, 1)),  # newborn of C1 and C2
        party("C4", birth=date(1960, 1, 1)), party("C5", birth=date(1990, 1, 1)),  # grown-up child
    )  # fmt: skip
    rel = rows(
        from_party_no=["C1", "C2", "C4"], to_party_no=["C3", "C3", "C5"], kind=["child", "child", "child"]
    )
    t = txns(("H1", "C1", date(2025, 9, 30), "card_spend", -8_000.0, "healthcare"))
    df = run(make_inputs, "education_fund", parties=p, relationships=rel, transactions=t)
    assert df.party_no.tolist() == ["C1"]  # one signal per household: the parent whose spending shows it
    assert df.iloc[0].detected_on == date(2025, 10, 1) and df.iloc[0].confidence == pytest.approx(0.9)
    assert json.loads(df.iloc[0].evidence) == [
        {"dataset": "relationships", "key": "C1|C3|child"},
        {"dataset": "transactions", "key": "H1"},
    ]
    assert "(now 8 months)" in df.iloc[0].summary


def test_education_fund_from_spending_pattern(make_inputs) -> None:
    t = txns(
        ("H1", "C7", date(2026, 1, 5), "card_spend", -6_000.0, "healthcare"),
        *[(f"K{i}", "C7", date(2026, 2, i + 1), "card_spend", -300.0, "childcare") for i in range(3)],
        ("H2", "C8", date(2026, 1, 5), "card_spend", -6_000.0, "healthcare"),  # no childcare after
    )
    df = run(make_inputs, "education_fund", transactions=t)
    assert df.party_no.tolist() == ["C7"] and df.iloc[0].confidence == pytest.approx(0.5)
    assert [e["key"] for e in json.loads(df.iloc[0].evidence)] == ["H1", "K0", "K1", "K2"]


def test_salary_plan(make_inputs) -> None:
    months = [date(2025, m, 1) for m in range(7, 13)] + [date(2026, m, 1) for m in range(1, 5)]
    bases = {
        "C1": [10_000.0] * 6 + [12_000.0] * 4,  # +20 % from 2026-01, sustained
        "C2": [10_000.0] * 9 + [13_000.0],  # step in the last month only: not yet sustained
        "C3": [10_000.0] * 6 + [11_000.0] * 4,  # +10 %: below the step
    }
    ss = pa.Table.from_pylist([
        {"party_no": p, "month_on": m, "contribution_base_amount": b, "currency": "CNY", "employer": "E", "city": None}
        for p, bs in bases.items() for m, b in zip(months, bs, strict=True)
    ])  # fmt: skip
    df = run(make_inputs, "salary_plan", social_security=ss)
    assert df.party_no.tolist() == ["C1"]
    assert df.iloc[0].detected_on == date(2026, 1, 1)
    assert "up 20%" in df.iloc[0].summary and "10000 -> 12000" in df.iloc[0].summary
    assert [e["key"] for e in json.loads(df.iloc[0].evidence)] == [
        "C1|2025-10-01", "C1|2025-11-01", "C1|2025-12-01", "C1|2026-01-01", "C1|2026-02-01",
    ]  # fmt: skip


def test_marriage(make_inputs) -> None:
    p = parties(
        party("C1", birth=date(1995, 1, 1)), party("C2", birth=date(1996, 1, 1), onboarded=date(2026, 3, 1)),
        party("C3", birth=date(1995, 1, 1)), party("C4", birth=date(1995, 1, 1), onboarded=date(2020, 1, 1)),
    )  # fmt: skip
    rel = rows(
        from_party_no=["C1", "C2", "C3", "C4"], to_party_no=["C2", "C1", "C4", "C3"], kind=["spouse"] * 4
    )
    df = run(make_inputs, "marriage", parties=p, relationships=rel)
    assert df.party_no.tolist() == ["C1"] and df.iloc[0].detected_on == date(2026, 3, 1)
    assert json.loads(df.iloc[0].evidence) == [{"dataset": "relationships", "key": "C1|C2|spouse"}]


def test_pension_planning(make_inputs) -> None:
    p = parties(
        party("C1", birth=date(1968, 3, 10), gender="M"),  # retires 2029-01 at 60y10m
        party("C2", birth=date(1973, 3, 10), gender="F"),  # F55 track: 2029-01 at 55y10m
        party("C3", birth=date(1980, 3, 10), gender="M"),  # far away
        party("C4", birth=date(1960, 3, 10), gender="M"),  # already retired
    )  # fmt: skip
    df = run(make_inputs, "pension_planning", parties=p)
    assert df.party_no.tolist() == ["C1", "C2"]
    assert retirement_month(date(1968, 3, 10), "M") == date(2029, 1, 1)
    assert "60y10m in 2029-01, 31 months away" in df.iloc[0].summary
    assert retirement_month(date(1973, 3, 10), "F") == date(2029, 1, 1)
    assert "55y10m in 2029-01" in df.iloc[1].summary
    assert df.iloc[0].detected_on == date(2024, 1, 1)


def test_succession_planning(make_inputs) -> None:
    p = parties(
        party("K1", kind="corporate", industry="C17", gender=None),
        party("C1", birth=date(1970, 1, 1)),  # chairman of K1, HNW
        party("C2", birth=date(1970, 1, 1), occupation="企业主"),  # owner by occupation, not HNW
        party("C3", birth=date(1985, 1, 1), occupation="企业主"),  # HNW but young
    )  # fmt: skip
    rel = rows(from_party_no=["K1"], to_party_no=["C1"], kind=["chairman"])
    h = pa.Table.from_pylist([
        {"party_no": p, "account_no": "A" + p, "product_code": "F1", "units": 1.0, "cost_amount": v,
         "market_value_amount": v, "currency": "CNY", "as_of_on": AS_OF, "first_bought_on": date(2020, 1, 1)}
        for p, v in (("C1", 8_000_000.0), ("C2", 1_000_000.0), ("C3", 9_000_000.0))
    ])  # fmt: skip
    df = run(make_inputs, "succession_planning", parties=p, relationships=rel, holdings=h)
    assert df.party_no.tolist() == ["C1"]
    assert json.loads(df.iloc[0].evidence) == [
        {"dataset": "relationships", "key": "K1|C1|chairman"},
        {"dataset": "holdings", "key": "AC1|F1"},
    ]
    assert "aged 56 with AUM 8000000 CNY" in df.iloc[0].summary


def test_working_capital(make_inputs) -> None:
    recs = []
    for party_no, late in (("K1", 40), ("K2", 3)):
        for i in range(12):
            due = date(2025, 7 + i, 5) if i < 6 else date(2026, i - 5, 5)
            stretched = late if due > date(2026, 1, 1) else 2
            recs.append({
                "record_id": f"{party_no}-{i:02d}", "party_no": party_no, "counterparty": "x",
                "direction": "receivable", "amount": 1000.0, "currency": "CNY", "booked_on": due,
                "due_on": due, "settled_on": date.fromordinal(due.toordinal() + stretched),
            })  # fmt: skip
    df = run(make_inputs, "working_capital", supply_chain=pa.Table.from_pylist(recs))
    assert df.party_no.tolist() == ["K1"]
    assert df.iloc[0].detected_on == date(2026, 1, 5)
    assert "40 days past due" in df.iloc[0].summary and "vs 2 days" in df.iloc[0].summary
    assert len(json.loads(df.iloc[0].evidence)) == 6


def test_research_outreach(make_inputs) -> None:
    p = parties(
        party("K1", kind="corporate", industry="C1711", gender=None),
        party("K2", kind="corporate", industry="F51", gender=None),
        party("K3", kind="corporate", industry="C27", gender=None),
    )  # fmt: skip
    pol = pa.Table.from_pylist([
        {"event_id": "P1", "industry_code": "C17", "event_on": date(2026, 6, 1), "direction": "restrictive",
         "headline": "纺织业限产", "source": None},
        {"event_id": "P2", "industry_code": "F51", "event_on": date(2025, 6, 1), "direction": "supportive",
         "headline": "old", "source": None},  # too old
    ])  # fmt: skip
    df = run(make_inputs, "research_outreach", parties=p, industry_policy=pol)
    assert df.party_no.tolist() == ["K1"]
    assert json.loads(df.iloc[0].evidence) == [{"dataset": "industry_policy", "key": "P1"}]
    assert df.iloc[0].summary.startswith("restrictive policy on industry C17 (2026-06-01")


def test_evidence_table_and_no_input(make_inputs) -> None:
    inputs = make_inputs(AS_OF)
    assert inputs.con.execute(detect(inputs)).empty
    assert list(inputs.con.execute(evidence(inputs)).columns) == [
        "party_no",
        "kind",
        "rank",
        "dataset",
        "key",
    ]


# --- the demo institution ------------------------------------------------------------------------

WHOLE_HISTORY = replace(
    DEFAULT_RULES, renovation_lookback_days=1100, education_lookback_days=1100, salary_lookback_days=1100
)


def test_demo_planted_stories_are_found(demo_inputs, demo) -> None:
    df = demo_inputs.con.execute(detect(demo_inputs, WHOLE_HISTORY))
    result = score(df, demo.answers, demo_inputs.as_of)
    for kind, r in result.items():
        print(
            f"{kind:16} tp={r['tp']} fp={r['fp']} fn={r['fn']} precision={r['precision']:.2f} recall={r['recall']:.2f}"
        )
    for kind, r in result.items():
        assert r["tp"] > 0, kind
        assert r["precision"] >= 0.8 and r["recall"] >= 0.8, (kind, r)
    assert df.confidence.between(0, 1).all()
    assert all(1 <= len(json.loads(e)) <= DEFAULT_RULES.max_evidence for e in df.evidence)
