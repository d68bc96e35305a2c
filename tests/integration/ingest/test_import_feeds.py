"""Importing feeds into the lake: idempotent upserts by the dataset key, references to the store."""

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fincrm.errors import InputError

from .conftest import EXAMPLES

HEADER = "txn_id,account_no,party_no,booked_at,kind,amount,currency,channel\n"


def txn(
    txn_id: str, booked_at: str, amount: str, account: str = "6222020000000001", party: str = "P0001"
) -> str:
    return f"{txn_id},{account},{party},{booked_at},deposit,{amount},CNY,branch\n"


class TestTransactions:
    def test_counts_and_idempotency(self, run_import, write_file, lake, example_book) -> None:
        path = write_file(
            "t.csv", HEADER + txn("T1", "2025-01-31 23:30", "100.00") + txn("T2", "2025-02-01 09:00", "5")
        )
        first = run_import("transactions", path)
        assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
        version = lake.current_dir("transactions")
        second = run_import("transactions", path)
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
        assert lake.current_dir("transactions") == version  # nothing changed: no new version
        changed = write_file(
            "t.csv", HEADER + txn("T1", "2025-01-31 23:30", "100.01") + txn("T3", "2025-02-02 09:00", "1")
        )
        third = run_import("transactions", changed)
        assert (third.inserted, third.updated, third.unchanged) == (1, 1, 0)
        rows = {r["txn_id"]: r for r in lake.read("transactions").to_pylist()}
        assert set(rows) == {"T1", "T2", "T3"} and rows["T1"]["amount"] == Decimal("100.01")
        assert rows["T1"]["booked_at"] == datetime(2025, 1, 31, 15, 30, tzinfo=UTC)

    def test_a_re_dated_transaction_moves_partition_without_a_duplicate(
        self, run_import, write_file, lake, example_book
    ) -> None:
        run_import(
            "transactions",
            write_file(
                "t.csv", HEADER + txn("T1", "2025-01-15 10:00", "1") + txn("T2", "2025-01-16 10:00", "2")
            ),
        )
        moved = run_import("transactions", write_file("u.csv", HEADER + txn("T1", "2025-03-15 10:00", "1")))
        assert (moved.inserted, moved.updated) == (0, 1)
        table = lake.read("transactions")
        assert sorted(table.column("txn_id").to_pylist()) == ["T1", "T2"]
        assert {f.parent.name for f in lake.files("transactions")} == {"month=2025-01", "month=2025-03"}

    def test_references_to_the_store_are_checked(self, run_import, write_file, lake, example_book) -> None:
        path = write_file(
            "t.csv",
            HEADER + txn("T1", "2025-01-15 10:00", "1") + txn("T2", "2025-01-15 10:00", "1", "NOPE", "P0001"),
        )
        with pytest.raises(InputError) as caught:
            run_import("transactions", path)
        assert [e.loc[1:] for e in caught.value.errors] == [(3, "account_no")]
        assert lake.count("transactions") == 0
        result = run_import("transactions", path, skip_invalid=True)
        assert (result.inserted, result.rejected) == (1, 1) and lake.count("transactions") == 1

    def test_feed_values_are_checked_like_store_values(self, run_import, write_file, example_book) -> None:
        path = write_file(
            "t.csv", HEADER + "T1,6222020000000001,P0001,2025-01-15 10:00,gift,1.001,rmb,branch\n"
        )
        with pytest.raises(InputError) as caught:
            run_import("transactions", path)
        assert [(e.loc[2], e.msg) for e in caught.value.errors] == [
            (
                "kind",
                "must be one of: "
                + ", ".join(
                    (
                        "deposit",
                        "withdrawal",
                        "salary_credit",
                        "purchase",
                        "redemption",
                        "dividend",
                        "interest",
                        "fee",
                        "transfer_in",
                        "transfer_out",
                        "loan_drawdown",
                        "loan_repayment",
                        "card_spend",
                        "maturity",
                    )
                ),
            ),
            ("amount", "more than 2 decimal places"),
            ("currency", "does not match [A-Z]{3}"),
        ]
        assert caught.value.errors[0].input == "gift"


class TestOtherFeeds:
    def test_market_prices_from_parquet_are_idempotent(
        self, run_import, tmp_path, lake, example_book
    ) -> None:
        run_import("market_series", EXAMPLES / "market_series.csv")
        path = tmp_path / "p.parquet"
        pq.write_table(
            pa.table(
                {
                    "price_on": ["2025-06-27", "2025-06-30"],
                    "series": ["CSI300"] * 2,
                    "price": [3921.76, 3936.08],
                }
            ),
            path,
        )
        assert run_import("market_prices", path).inserted == 2
        assert run_import("market_prices", path).unchanged == 2
        assert lake.count("market_prices") == 2

    def test_a_feed_through_a_mapping(self, run_import, write_file, lake) -> None:
        path = write_file(
            "policy.csv",
            "编号;行业;日期;方向;标题\nP1;C34;20250305;利好;设备更新\nP2;K70;20250520;中性;税费调整\n",
            "gbk",
        )
        mapping = write_file(
            "m.yaml",
            """
source: {delimiter: ";"}
fields:
  event_id: 编号
  industry_code: 行业
  event_on: {column: 日期, format: "%Y%m%d"}
  direction: {column: 方向, map: {利好: supportive, 利空: restrictive, 中性: neutral}}
  headline: 标题
""",
        )
        result = run_import("industry_policy", path, mapping=mapping)
        assert (result.inserted, result.encoding) == (2, "gb18030")
        assert sorted(lake.read("industry_policy").column("direction").to_pylist()) == [
            "neutral",
            "supportive",
        ]
