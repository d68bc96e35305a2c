from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from fincrm.intelligence.inputs import STORE_SCHEMAS


class TestFromArrow:
    def test_given_and_missing_tables_are_queryable_on_the_engine(self, make_inputs) -> None:
        parties = pa.table({f.name: pa.nulls(2, f.type) for f in STORE_SCHEMAS["parties"]}).set_column(
            0, "party_no", pa.array(["C1", "C2"])
        )
        inputs = make_inputs(date(2026, 11, 27), parties=parties)
        assert inputs.con.execute(inputs["parties"].count()) == 2
        assert inputs.con.execute(inputs["transactions"].count()) == 0
        assert "amount" in inputs["transactions"].columns

    def test_a_missing_column_is_named(self, make_inputs) -> None:
        with pytest.raises(KeyError, match="lacks columns: kind"):
            make_inputs(date(2026, 11, 27), parties=pa.table({"party_no": ["C1"]}))


class TestRegister:
    def test_multi_chunk_tables_with_nulls_round_trip_on_each_engine(self, con) -> None:
        from fincrm.lake.analytics import register

        chunk = pa.table(
            {"s": ["x", None], "i": pa.array([1, None], pa.int64()), "d": pa.array([date(2024, 1, 1), None])}
        )
        table = register(con, "two_chunks", pa.concat_tables([chunk, chunk]))
        got = con.to_pyarrow(table.order_by(["s", "i"]))
        assert (
            got.num_rows == 4
            and got.column("i").null_count == 2
            and got.column("s").to_pylist().count("x") == 2
        )
