"""Reading prices files: the real PyPortfolioOpt test prices, and one small file per error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.portfolio.prices import MAX_ERRORS, read_prices_csv, window

STOCKS = Path("/work/shared/data/pypfopt-tests/stock_prices.csv")


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, **kwargs: int) -> InputError:
    with pytest.raises(InputError) as caught:
        read_prices_csv(path, **kwargs)
    return caught.value


class TestReadPricesCsv:
    def test_reads_the_real_stock_prices_with_late_starting_series(self) -> None:
        frame = read_prices_csv(STOCKS)
        assert frame.shape == (7126, 20)
        assert frame.index.is_monotonic_increasing and frame.index.name == "date"
        assert all(dtype == np.float64 for dtype in frame.dtypes)
        assert list(frame.columns[:3]) == ["GOOG", "AAPL", "FB"]
        assert frame["FB"].first_valid_index() == pd.Timestamp("2012-05-18")
        assert frame["AAPL"].iloc[0] == pytest.approx(0.117203)

    def test_long_layout_is_pivoted_to_wide(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            "series,date,price\nB,2020-01-02,10\nA,2020-01-02,1\nA,2020-01-03,1.5\nB,2020-01-03,11\n",
        )
        frame = read_prices_csv(path)
        assert list(frame.columns) == ["A", "B"]
        assert frame.loc["2020-01-03", "A"] == 1.5 and frame.loc["2020-01-02", "B"] == 10.0

    def test_missing_date_column_is_named(self, tmp_path: Path) -> None:
        error = refused(write(tmp_path, "day,A\n2020-01-02,1\n"))
        assert "prices.csv" in error.message and "'date'" in error.message

    def test_unparseable_date_names_the_line_and_value(self, tmp_path: Path) -> None:
        error = refused(write(tmp_path, "date,A\n2020-01-02,1\n02/01/2020,2\n2020-01-06,3\n"))
        assert error.errors[0].loc == ("prices.csv", 3, "date")
        assert error.errors[0].input == "02/01/2020"

    def test_unsorted_dates_name_the_first_out_of_order_date_and_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, "date,A\n2020-01-03,1\n2020-01-02,2\n2020-01-06,3\n2020-01-05,4\n")
        error = refused(path)
        assert len(error.errors) == 1
        assert error.errors[0].loc == ("prices.csv", 3, "date")
        assert "2020-01-02" in error.message and "line 3" in error.message

    def test_duplicate_dates_name_the_date_and_both_lines(self, tmp_path: Path) -> None:
        error = refused(write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,2\n2020-01-03,3\n"))
        assert "2020-01-03" in error.message and "lines 3 and 4" in error.message

    def test_duplicate_dates_in_a_long_file_name_the_series(self, tmp_path: Path) -> None:
        path = write(tmp_path, "date,series,price\n2020-01-02,A,1\n2020-01-02,A,2\n2020-01-03,A,3\n")
        error = refused(path)
        assert "series A" in error.message and "lines 2 and 3" in error.message

    @pytest.mark.parametrize(
        ("cell", "reason"),
        [("0", "positive"), ("-3.5", "positive"), ("abc", "not a number"), ("nan", "positive")],
    )
    def test_bad_price_names_series_date_and_value(self, tmp_path: Path, cell: str, reason: str) -> None:
        error = refused(
            write(tmp_path, f"date,A,B\n2020-01-02,1,2\n2020-01-03,1.1,{cell}\n2020-01-06,1.2,2.1\n")
        )
        assert error.errors == error.errors[:1]
        (problem,) = error.errors
        assert problem.loc == ("prices.csv", 3, "B") and problem.input == cell
        assert "series B on 2020-01-03" in problem.msg and reason in problem.msg

    def test_gap_inside_a_series_names_series_and_first_missing_date(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            "date,A,B\n2020-01-02,1,\n2020-01-03,1.1,5\n2020-01-06,1.2,\n2020-01-07,1.3,\n2020-01-08,1.4,6\n",
        )
        error = refused(path)
        (problem,) = error.errors
        assert problem.loc == ("prices.csv", 4, "B")
        assert "series B has no price on 2020-01-06" in problem.msg and "2 date(s)" in problem.msg

    def test_leading_and_trailing_empty_cells_are_not_gaps(self, tmp_path: Path) -> None:
        path = write(tmp_path, "date,A,B\n2020-01-02,1,\n2020-01-03,1.1,5\n2020-01-06,1.2,6\n2020-01-07,,7\n")
        frame = read_prices_csv(path)
        assert frame["B"].first_valid_index() == pd.Timestamp("2020-01-03")
        assert np.isnan(frame.loc["2020-01-07", "A"])

    def test_gap_in_a_long_file_is_found_after_pivoting(self, tmp_path: Path) -> None:
        rows = ["A,2020-01-02,1", "A,2020-01-03,2", "A,2020-01-06,3", "B,2020-01-02,5", "B,2020-01-06,6"]
        error = refused(write(tmp_path, "series,date,price\n" + "\n".join(rows) + "\n"))
        assert "series B has no price on 2020-01-03" in error.message

    def test_too_short_a_history_names_series_and_counts(self, tmp_path: Path) -> None:
        path = write(tmp_path, "date,A,B\n2020-01-02,1,\n2020-01-03,1.1,\n2020-01-06,1.2,2\n")
        error = refused(path, min_observations=3)
        (problem,) = error.errors
        assert problem.loc[2] == "B" and problem.input == 1
        assert "series B has 1 price(s); at least 3 are needed" in problem.msg

    def test_every_problem_is_collected_in_one_error(self, tmp_path: Path) -> None:
        path = write(tmp_path, "date,A,B\n2020-01-02,x,2\n2020-13-01,1,2\n2020-01-06,1,-2\n")
        error = refused(path)
        assert [e.loc[1] for e in error.errors] == [2, 3, 4]
        assert "3 problem(s)" in error.message

    def test_errors_are_capped(self, tmp_path: Path) -> None:
        lines = [f"{dt.date(2020, 1, 1) + dt.timedelta(days=i)},-1" for i in range(MAX_ERRORS + 10)]
        error = refused(write(tmp_path, "date,A\n" + "\n".join(lines) + "\n"))
        assert len(error.errors) == MAX_ERRORS
        assert f"{MAX_ERRORS + 10} problem(s)" in error.message and "first 50" in error.message

    def test_missing_file_is_named(self, tmp_path: Path) -> None:
        error = refused(tmp_path / "nope.csv")
        assert "nope.csv" in error.message


class TestWindow:
    @pytest.fixture
    def frame(self) -> pd.DataFrame:
        return read_prices_csv(STOCKS)

    def test_keeps_both_ends(self, frame: pd.DataFrame) -> None:
        part = window(frame, dt.date(2018, 1, 2), dt.date(2018, 1, 31))
        assert part.index[0] == pd.Timestamp("2018-01-02") and part.index[-1] == pd.Timestamp("2018-01-31")
        assert len(part) == 21

    def test_open_ends_keep_everything(self, frame: pd.DataFrame) -> None:
        assert len(window(frame, None, None)) == 7126

    def test_too_narrow_a_window_is_named(self, frame: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="window 2018-01-06 to 2018-01-07 holds 0"):
            window(frame, dt.date(2018, 1, 6), dt.date(2018, 1, 7))

    def test_reversed_window_is_refused(self, frame: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="window 2018-02-01 to 2018-01-01"):
            window(frame, dt.date(2018, 2, 1), dt.date(2018, 1, 1))

    def test_min_observations_counts_rows(self, frame: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="at least 30"):
            window(frame, dt.date(2018, 1, 2), dt.date(2018, 1, 31), min_observations=30)
