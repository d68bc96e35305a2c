"""fincrm.lake.sql.project: expressions over Arrow, row failures found exactly, sandboxed."""

import pyarrow as pa
import pytest

from fincrm.lake.sql import ExpressionError, check_expressions, project


class TestProject:
    def test_columns_come_back_row_aligned(self) -> None:
        table = pa.table({"a": ["1", "2", None], "b": ["x", "y", "z"]})
        result = project(table, {"s": "CAST(a AS INTEGER) * 10", "t": "b || a"})
        assert result.table.to_pydict() == {"s": [10, 20, None], "t": ["x1", "y2", None]}
        assert result.failures == {}

    def test_rows_that_fail_are_listed_and_null(self) -> None:
        values = ["930101"] * 500
        for bad in (0, 17, 499):
            values[bad] = "93x101"
        result = project(pa.table({"d": values}), {"day": "strptime(d, '%y%m%d')"})
        rows, reason = result.failures["day"]
        assert rows.tolist() == [0, 17, 499] and "Could not parse" in reason
        assert result.table.column("day").null_count == 3

    def test_expressions_that_cannot_run_are_all_reported(self) -> None:
        with pytest.raises(ExpressionError) as caught:
            project(pa.table({"a": ["1"]}), {"x": "nosuchfn(a)", "y": "a +", "z": "a"})
        assert set(caught.value.problems) == {"x", "y"}

    def test_several_statements_are_refused(self) -> None:
        problems = check_expressions(pa.schema([("a", pa.string())]), {"x": "a FROM src; SELECT 1"})
        assert "x" in problems

    def test_no_file_access(self, tmp_path) -> None:
        secret = tmp_path / "secret.csv"
        secret.write_text("x\n1\n")
        with pytest.raises(ExpressionError, match="disabled by configuration|Permission"):
            project(pa.table({"a": ["1"]}), {"x": f"(SELECT count(*) FROM read_csv('{secret}'))"})
