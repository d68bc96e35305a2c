"""Reading files: encodings, physical line numbers, malformed CSV, Parquet, Excel; any bytes are safe."""

import csv
import io
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fincrm.errors import InputError
from fincrm.ingest.reader import SourceOptions, decode, read_csv, read_source, sniff_format


def rows_of(source) -> list[dict]:
    return source.raw.to_pylist()


class TestEncodings:
    TEXT = "code,name\nSH001,上海分行\n"

    @pytest.mark.parametrize(
        ("encoded", "encoding"),
        [
            (TEXT.encode("utf-8"), "utf-8"),
            (TEXT.encode("utf-8-sig"), "utf-8-sig"),
            (TEXT.encode("gbk"), "gb18030"),
            (TEXT.encode("gb18030"), "gb18030"),
            (TEXT.encode("utf-16"), "utf-16"),
        ],
    )
    def test_detected_without_help(self, encoded: bytes, encoding: str) -> None:
        source = read_csv(encoded, "f.csv", SourceOptions())
        assert source.columns == ["code", "name"]
        assert rows_of(source) == [{"code": "SH001", "name": "上海分行"}]
        assert source.encoding == encoding

    def test_byte_order_mark_is_not_part_of_the_first_column_name(self) -> None:
        source = read_csv(b"\xef\xbb\xbf code ,name\n1,a\n", "f.csv", SourceOptions())
        assert source.columns == ["code", "name"]

    def test_an_explicit_encoding_wins(self) -> None:
        data = "名称\n张伟\n".encode("gbk")
        assert read_csv(data, "f.csv", SourceOptions(encoding="gbk")).raw.column(0).to_pylist() == ["张伟"]

    def test_bytes_that_are_not_the_given_encoding_name_the_line(self) -> None:
        with pytest.raises(InputError) as caught:
            read_csv(b"a\nok\n\xff\xfe\xfa\n", "f.csv", SourceOptions(encoding="utf-8"))
        assert caught.value.errors[0].loc == ("f.csv", 3)

    def test_unknown_encoding_name_is_refused(self) -> None:
        with pytest.raises(InputError, match="unknown encoding 'klingon'"):
            decode(b"a", "f.csv", "klingon")


class TestLineNumbers:
    def test_header_is_line_one(self) -> None:
        source = read_csv(b"a,b\n1,2\n3,4\n", "f.csv", SourceOptions())
        assert source.header_line == 1 and source.lines.tolist() == [2, 3]

    def test_quoted_line_breaks_and_blank_lines_count(self) -> None:
        data = b'a,b\r\n1,"two\r\nlines"\r\n\r\n3,4\n\n\n5,"x ""quoted"" y"'
        source = read_csv(data, "f.csv", SourceOptions())
        assert source.lines.tolist() == [2, 5, 8]
        assert rows_of(source)[0]["b"] == "two\r\nlines" and rows_of(source)[2]["b"] == 'x "quoted" y'

    def test_old_mac_line_ends(self) -> None:
        assert read_csv(b"a\r1\r2\r", "f.csv", SourceOptions()).lines.tolist() == [2, 3]

    def test_header_row_skips_a_title(self) -> None:
        source = read_csv(
            "账户导出 2025-06\n\nacct;amt\n1;2\n".encode(),
            "f.csv",
            SourceOptions(delimiter=";", header_row=3),
        )
        assert source.columns == ["acct", "amt"] and source.header_line == 3 and source.lines.tolist() == [4]

    def test_a_stray_quote_inside_a_field_still_gives_exact_lines(self) -> None:
        source = read_csv(b'a,b\n1,5"10\n\n2,"x\ny"\n', "f.csv", SourceOptions())
        assert rows_of(source) == [{"a": "1", "b": '5"10'}, {"a": "2", "b": "x\ny"}]
        assert source.lines.tolist() == [2, 4]


class TestMalformed:
    def test_records_with_the_wrong_number_of_fields_are_bad_records(self) -> None:
        source = read_csv(b"a,b\n1,2,3\n4,5\n6\n", "f.csv", SourceOptions())
        assert rows_of(source) == [{"a": "4", "b": "5"}]
        assert [(r.line, r.message) for r in source.bad_records] == [
            (2, "expected 2 fields, found 3"),
            (4, "expected 2 fields, found 1"),
        ]

    def test_an_unterminated_quote_is_a_file_error_at_its_line(self) -> None:
        with pytest.raises(InputError) as caught:
            read_csv(b'a,b\n1,2\n3,"never closed\n4,5\n', "f.csv", SourceOptions())
        assert caught.value.errors[0].loc == ("f.csv", 3)

    @pytest.mark.parametrize("data", [b"", b"\n\n\r\n"])
    def test_an_empty_file_has_no_header(self, data: bytes) -> None:
        with pytest.raises(InputError, match="no header line"):
            read_csv(data, "f.csv", SourceOptions())

    def test_duplicate_column_names_are_refused(self) -> None:
        with pytest.raises(InputError) as caught:
            read_csv(b"a,b,a\n1,2,3\n", "f.csv", SourceOptions())
        assert caught.value.errors[0].loc == ("f.csv", 1, "a")

    def test_a_missing_file_is_an_input_error(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="no such file"):
            read_source(tmp_path / "absent.csv")

    @pytest.mark.parametrize(
        "options", [SourceOptions(delimiter=";;"), SourceOptions(quote=","), SourceOptions(header_row=0)]
    )
    def test_bad_dialects_are_refused(self, options: SourceOptions) -> None:
        with pytest.raises(InputError):
            read_csv(b"a\n1\n", "f.csv", options)


class TestOtherFormats:
    def test_sniffing(self) -> None:
        assert sniff_format(b"PAR1") == "parquet" and sniff_format(b"PK\x03\x04") == "xlsx"

    def test_parquet_keeps_its_types_and_numbers_rows_from_one(self, tmp_path: Path) -> None:
        path = tmp_path / "p.parquet"
        pq.write_table(pa.table({"a": [1, 2], "b": ["x", None]}), path)
        source = read_source(path)
        assert source.format == "parquet" and source.raw.schema.field("a").type == pa.int64()
        assert source.lines.tolist() == [1, 2] and source.header_line == 0

    def test_excel_rows_are_sheet_rows_and_dates_stay_typed(self, tmp_path: Path) -> None:
        book = Workbook()
        sheet = book.active
        sheet.append(["title row"])
        sheet.append(["code", "amount", "day"])
        sheet.append(["A", 0.3, datetime(2025, 1, 6)])
        sheet.append([None, None, None])
        sheet.append(["B", 12, datetime(2025, 1, 7)])
        book.save(tmp_path / "x.xlsx")
        source = read_source(tmp_path / "x.xlsx", SourceOptions(header_row=2))
        assert source.lines.tolist() == [3, 5]
        assert source.raw.column("amount").to_pylist() == ["0.3", "12"]
        assert pa.types.is_timestamp(source.raw.column("day").type)

    def test_unknown_sheet_lists_the_sheets(self, tmp_path: Path) -> None:
        book = Workbook()
        book.active.title = "产品"
        book.save(tmp_path / "x.xlsx")
        with pytest.raises(InputError, match="sheets: 产品"):
            read_source(tmp_path / "x.xlsx", SourceOptions(sheet="Sheet1"))


def oracle(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Python's csv module: header, then (first line, fields) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, previous = [], 0
    for fields in reader:
        if fields:
            records.append((previous + 1, fields))
        previous = reader.line_num
    return records[0][1], records[1:]


def assert_same_as_oracle(source, text: str) -> None:
    header, records = oracle(text)
    assert [h.strip().lstrip("\ufeff").strip() for h in header] == source.columns
    good = [(line, fields) for line, fields in records if len(fields) == len(header)]
    assert source.lines.tolist() == [line for line, _ in good]
    assert [list(r.values()) for r in source.raw.to_pylist()] == [fields for _, fields in good]
    assert [(r.line, r.values) for r in source.bad_records] == [
        (line, fields) for line, fields in records if len(fields) != len(header)
    ]


class TestAnyBytes:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=300) | st.text(alphabet=' ,;"\r\nab1张\x00', max_size=120).map(str.encode))
    def test_any_bytes_give_an_input_error_or_the_rows_pythons_csv_reads(self, data: bytes) -> None:
        try:
            source = read_csv(data, "f.csv", SourceOptions())
        except InputError as exc:
            assert exc.errors and all(e.loc[0] == "f.csv" for e in exc.errors)
            return
        assert_same_as_oracle(source, decode(data, "f.csv")[0].decode("utf-8"))

    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(min_value=1, max_value=4).flatmap(
            lambda width: st.lists(
                st.lists(
                    st.text(alphabet='ab ,;"\n\r张\u3000', min_size=1, max_size=6),
                    min_size=width,
                    max_size=width,
                ),
                min_size=1,
                max_size=8,
            )
        ),
        st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
        st.sampled_from(["\n", "\r\n"]),
        st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    )
    def test_written_csv_reads_back_with_exact_lines(
        self, table: list[list[str]], encoding: str, newline: str, quoting: int
    ) -> None:
        header = [f"c{i}" for i in range(len(table[0]))]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline, quoting=quoting).writerows([header, *table])
        text = buffer.getvalue()
        source = read_csv(text.encode(encoding), "f.csv", SourceOptions())
        assert_same_as_oracle(source, text)
        if quoting == csv.QUOTE_ALL:  # minimal quoting leaves a lone CR unquoted: a line break
            assert source.raw.to_pylist() == [dict(zip(header, row, strict=True)) for row in table]
