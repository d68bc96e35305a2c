"""Column conversion and checks: exact decimals, strict dates, timestamps to UTC, clear reasons."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincrm.core.fields import Field
from fincrm.ingest.validate import Issues, clean_text, constraint_problems, convert
from tests.strategies import amounts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def problems(parsed) -> list[tuple[list[int], str]]:
    return [(np.flatnonzero(mask).tolist(), why) for mask, why in parsed.problems if mask.any()]


class TestText:
    def test_trim_and_null_markers(self) -> None:
        cleaned = clean_text(pa.array([" a ", "?", " ", "\u3000b", None]), trim=True, nulls=("", "?"))
        assert cleaned.to_pylist() == ["a", None, None, "b", None]

    def test_no_trim_keeps_spaces(self) -> None:
        assert clean_text(pa.array([" a "]), trim=False, nulls=()).to_pylist() == [" a "]


class TestNumbers:
    def test_integers(self) -> None:
        parsed = convert(
            pa.array(["1", "-5", "+7", "1.0", "x", "1234567890123456789"]), Field("n", "int"), tz=SHANGHAI
        )
        assert parsed.values.to_pylist() == [1, -5, 7, None, None, None]
        assert problems(parsed) == [([3, 4, 5], "not an integer")]

    def test_amounts_are_exact_and_never_rounded(self) -> None:
        parsed = convert(
            pa.array(["1234.5", "1.500", "-0.01", "1.005", "1e3", "12345678901234567"]),
            Field("a", "amount"),
            tz=SHANGHAI,
        )
        assert parsed.values.to_pylist()[:3] == [Decimal("1234.50"), Decimal("1.50"), Decimal("-0.01")]
        assert problems(parsed) == [
            ([4], "not a decimal number"),
            ([3], "more than 2 decimal places"),
            ([5], "more than 16 digits before the point"),
        ]

    @settings(max_examples=200, deadline=None)
    @given(amounts)
    def test_any_amount_written_as_text_reads_back_equal(self, value: Decimal) -> None:
        parsed = convert(pa.array([str(value)]), Field("a", "amount"), tz=SHANGHAI)
        assert parsed.values.to_pylist() == [value]

    def test_floats_from_excel_or_parquet_read_as_their_shortest_text(self) -> None:
        parsed = convert(pa.array([0.1, 0.3, 2.675]), Field("a", "amount"), tz=SHANGHAI)
        assert parsed.values.to_pylist() == [Decimal("0.10"), Decimal("0.30"), None]

    def test_ranges(self) -> None:
        spec = Field("w", "rate", min_value=0, exclusive_min=True, max_value=100)
        values = convert(pa.array(["0", "50", "100.5"]), spec, tz=SHANGHAI).values
        assert [(m.tolist(), why) for m, why in constraint_problems(values, spec)] == [
            ([True, False, False], "must be > 0"),
            ([False, False, True], "must be ≤ 100"),
        ]


class TestDates:
    def test_iso_dates_only_and_no_silent_normalising(self) -> None:
        parsed = convert(
            pa.array(["2024-02-29", "2023-02-29", "2024/01/05", "20240105"]), Field("d", "date"), tz=SHANGHAI
        )
        assert parsed.values.to_pylist() == [date(2024, 2, 29), None, None, None]
        assert problems(parsed) == [([1, 2, 3], "not a date (YYYY-MM-DD)")]

    def test_a_mapping_format(self) -> None:
        parsed = convert(pa.array(["930101", "930230"]), Field("d", "date"), tz=SHANGHAI, fmt="%y%m%d")
        assert parsed.values.to_pylist() == [date(1993, 1, 1), None]

    def test_a_timestamp_at_midnight_is_a_date_any_other_time_is_not(self) -> None:
        values = pa.array([datetime(1993, 1, 1), datetime(1993, 1, 1, 8)], pa.timestamp("us"))
        parsed = convert(values, Field("d", "date"), tz=SHANGHAI)
        assert parsed.values.to_pylist() == [date(1993, 1, 1), None]


class TestTimestamps:
    def test_naive_times_are_local_and_stored_in_utc(self) -> None:
        parsed = convert(
            pa.array(
                [
                    "2025-06-30 10:30",
                    "2025-06-30T10:30:05.25",
                    "2025-06-30T10:30:00+02:00",
                    "2025-06-30 10:30:00Z",
                ]
            ),
            Field("t", "timestamp"),
            tz=SHANGHAI,
        )
        assert parsed.values.to_pylist() == [
            datetime(2025, 6, 30, 2, 30, tzinfo=UTC),
            datetime(2025, 6, 30, 2, 30, 5, 250000, tzinfo=UTC),
            datetime(2025, 6, 30, 8, 30, tzinfo=UTC),
            datetime(2025, 6, 30, 10, 30, tzinfo=UTC),
        ]

    def test_impossible_times_are_refused(self) -> None:
        parsed = convert(
            pa.array(["2025-06-31 10:00", "2025-06-30 24:00", "noon"]), Field("t", "timestamp"), tz=SHANGHAI
        )
        assert parsed.values.null_count == 3 and problems(parsed)[0][0] == [0, 1, 2]

    @pytest.mark.parametrize("local", ["2024-03-31 02:30", "2024-10-27 02:30"])
    def test_times_a_clock_change_skips_or_repeats_are_refused(self, local: str) -> None:
        parsed = convert(pa.array([local]), Field("t", "timestamp"), tz=ZoneInfo("Europe/Prague"))
        assert problems(parsed) == [([0], "does not exist or is ambiguous in Europe/Prague (clock change)")]


class TestBooleans:
    def test_chinese_and_english_yes_no(self) -> None:
        parsed = convert(pa.array(["true", "NO", "是", "否", "1", "maybe"]), Field("b", "bool"), tz=SHANGHAI)
        assert parsed.values.to_pylist() == [True, False, True, False, True, None]


class TestConstraints:
    def test_choices_pattern_and_length(self) -> None:
        spec = Field("c", "string", choices=("CNY", "USD"), pattern="[A-Z]{3}", max_length=3)
        found = constraint_problems(pa.array(["CNY", "cny", "EURO", None]), spec)
        assert [(np.flatnonzero(m).tolist(), why) for m, why in found] == [
            ([1, 2], "must be one of: CNY, USD"),
            ([1, 2], "does not match [A-Z]{3}"),
            ([2], "longer than 3 characters"),
        ]


class TestIssues:
    def test_errors_are_located_and_ordered_by_line(self) -> None:
        issues = Issues(3)
        issues.add(np.array([2]), "b", "bad b", ["x"])
        issues.add(np.array([0, 2]), "a", ["first", "third"], ["p", "q"])
        errors = issues.field_errors("f.csv", np.array([2, 3, 7]))
        assert [(e.loc, e.msg, e.input) for e in errors] == [
            (("f.csv", 2, "a"), "first", "p"),
            (("f.csv", 7, "b"), "bad b", "x"),
            (("f.csv", 7, "a"), "third", "q"),
        ]
        assert issues.bad_rows().tolist() == [True, False, True]
        assert issues.by_row() == {2: ["b: bad b", "a: third"], 0: ["a: first"]}


class TestAnyText:
    @settings(max_examples=300, deadline=None)
    @given(
        st.sampled_from(["int", "float", "amount", "units", "rate", "date", "timestamp", "bool", "string"]),
        st.lists(st.none() | st.text(alphabet="0123456789+-.eE:TZ /年x ", max_size=30), max_size=8),
    )
    def test_any_text_converts_or_is_reported_never_raises(self, kind: str, values: list[str | None]) -> None:
        parsed = convert(pa.array(values, pa.string()), Field("x", kind), tz=SHANGHAI)
        failed = np.zeros(len(values), dtype=bool)
        for mask, _why in parsed.problems:
            failed |= mask
        for value, out, bad in zip(values, parsed.values.to_pylist(), failed, strict=True):
            assert (out is None) == (value is None or bool(bad))
