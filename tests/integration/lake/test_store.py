"""The versioned lake: idempotent upserts, atomic swaps, deterministic bytes."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from fincrm.lake import store as lake_store
from fincrm.lake.store import Lake


def _prices(rows: list[tuple[date, str, float]]) -> pa.Table:
    return pa.table({
        "price_on": [r[0] for r in rows], "series": [r[1] for r in rows], "price": [r[2] for r in rows],
    })  # fmt: skip


def _digest(lake: Lake, name: str) -> dict[str, str]:
    current = lake.current_dir(name)
    return {str(f.relative_to(current)): hashlib.sha256(f.read_bytes()).hexdigest() for f in lake.files(name)}


class TestUpsert:
    def test_same_rows_twice_change_nothing(self, lake: Lake) -> None:
        rows = _prices([(date(2024, 1, 2), "CSI300", 3400.5), (date(2025, 1, 2), "CSI300", 3900.0)])
        first = lake.upsert("market_prices", rows)
        second = lake.upsert("market_prices", rows)
        assert (first.version, first.rows_changed, first.rows_total) == ("v000001", 2, 2)
        assert (second.version, second.rows_changed, second.rows_total) == (None, 0, 2)

    def test_updates_by_key_and_keeps_untouched_partitions(self, lake: Lake) -> None:
        lake.upsert("market_prices", _prices([(date(2024, 1, 2), "A", 1.0), (date(2025, 1, 2), "A", 2.0)]))
        before = _digest(lake, "market_prices")
        result = lake.upsert(
            "market_prices", _prices([(date(2025, 1, 2), "A", 2.5), (date(2025, 1, 3), "A", 3.0)])
        )
        assert (result.rows_changed, result.rows_total) == (2, 3)
        after = _digest(lake, "market_prices")
        assert after["year=2024/part-0.parquet"] == before["year=2024/part-0.parquet"]
        assert lake.read("market_prices").column("price").to_pylist() == [1.0, 2.5, 3.0]

    def test_duplicate_keys_in_one_write_are_refused(self, lake: Lake) -> None:
        with pytest.raises(ValueError, match="duplicate keys"):
            lake.upsert(
                "market_prices", _prices([(date(2024, 1, 2), "A", 1.0), (date(2024, 1, 2), "A", 2.0)])
            )
        assert lake.current_dir("market_prices") is None

    def test_same_input_gives_same_bytes(self, tmp_path: Path) -> None:
        rows = _prices([(date(2025, 1, d), "A", float(d)) for d in range(1, 20)])
        a, b = Lake(tmp_path / "a"), Lake(tmp_path / "b")
        a.replace("market_prices", rows)
        b.replace("market_prices", rows.take(list(reversed(range(rows.num_rows)))))
        assert _digest(a, "market_prices") == _digest(b, "market_prices")


class TestAtomicSwap:
    def test_a_writer_killed_before_the_swap_leaves_the_previous_version(
        self, lake: Lake, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        lake.upsert("market_prices", _prices([(date(2024, 1, 2), "A", 1.0)]))

        def killed(*_args: object) -> None:
            raise KeyboardInterrupt("killed while writing")

        monkeypatch.setattr(lake_store, "_fsync_dir", killed)
        with pytest.raises(KeyboardInterrupt):
            lake.upsert("market_prices", _prices([(date(2024, 1, 2), "A", 9.0)]))
        monkeypatch.undo()
        assert lake.read("market_prices").column("price").to_pylist() == [1.0]
        # the next writer clears what the killed one left and carries on
        result = lake.upsert("market_prices", _prices([(date(2024, 1, 3), "A", 2.0)]))
        assert result.rows_total == 2
        folders = sorted(p.name for p in (lake.root / "market_prices").iterdir() if p.is_dir())
        assert folders == [result.version]


class TestSchemas:
    def test_transactions_partition_by_utc_month_and_keep_decimals(self, lake: Lake) -> None:
        table = pa.table({
            "txn_id": ["t1", "t2"], "account_no": ["A1", "A1"], "party_no": ["P1", "P1"],
            "booked_at": [datetime(2025, 1, 31, 20, tzinfo=UTC), datetime(2025, 2, 1, 1, tzinfo=UTC)],
            "kind": ["salary_credit", "card_spend"],
            "amount": pa.array([Decimal("15000.00"), Decimal("-88.50")], pa.decimal128(18, 2)),
            "currency": ["CNY", "CNY"], "product_code": [None, None],
            "units": pa.array([None, None], pa.decimal128(20, 6)),
            "channel": ["auto", "pos"], "counterparty_category": ["employer", "dining"],
            "counterparty": ["某某科技有限公司", "海底捞"],
        })  # fmt: skip
        lake.replace("transactions", table)
        assert sorted(p.parent.name for p in lake.files("transactions")) == ["month=2025-01", "month=2025-02"]
        assert lake.read("transactions").column("amount").to_pylist() == [
            Decimal("15000.00"),
            Decimal("-88.50"),
        ]


class TestReplaceStream:
    def test_batches_become_one_version_in_key_order_per_file(self, lake: Lake) -> None:
        with lake.replace_stream("market_prices") as writer:
            writer.add(_prices([(date(2025, 1, 3), "B", 2.0), (date(2024, 5, 1), "B", 1.0)]))
            writer.add(_prices([(date(2025, 1, 2), "A", 3.0)]))
            assert lake.current_dir("market_prices") is None  # nothing visible before the block ends
        assert writer.result is not None and writer.result.rows_total == 3
        names = sorted(
            str(f.relative_to(lake.current_dir("market_prices"))) for f in lake.files("market_prices")
        )
        assert names == [
            "year=2024/part-00000.parquet",
            "year=2025/part-00000.parquet",
            "year=2025/part-00001.parquet",
        ]
        assert lake.read("market_prices").column("series").to_pylist() == ["A", "B", "B"]

    def test_an_error_inside_the_block_keeps_the_previous_version(self, lake: Lake) -> None:
        lake.replace("market_prices", _prices([(date(2024, 1, 2), "A", 1.0)]))
        with pytest.raises(RuntimeError), lake.replace_stream("market_prices") as writer:
            writer.add(_prices([(date(2024, 1, 2), "A", 9.0)]))
            raise RuntimeError("generation failed halfway")
        assert lake.read("market_prices").column("price").to_pylist() == [1.0]
        assert [p.name for p in (lake.root / "market_prices").iterdir() if p.is_dir()] == ["v000001"]

    def test_duplicate_keys_in_a_batch_are_refused(self, lake: Lake) -> None:
        with (
            pytest.raises(ValueError, match="duplicate keys"),
            lake.replace_stream("market_prices") as writer,
        ):
            writer.add(_prices([(date(2024, 1, 2), "A", 1.0), (date(2024, 1, 2), "A", 2.0)]))
        assert lake.current_dir("market_prices") is None
