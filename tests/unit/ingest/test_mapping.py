"""Mapping files: every mistake is located (mapping file, option) and lists what is valid."""

from pathlib import Path

import pyarrow as pa
import pytest

from fincrm.errors import InputError
from fincrm.ingest.entities import get_entity
from fincrm.ingest.mapping import Bundle, Mapping, apply_mapping, load_mapping
from fincrm.ingest.reader import SourceOptions, read_csv


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(e.loc, e.msg) for e in exc.value.errors]


class TestLoading:
    def test_a_full_mapping(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            """
entity: loans
source: {delimiter: ";", nulls: ["", "?"], encoding: gb18030, header_row: 2}
fields:
  loan_no: loan_id
  status: {column: status, map: {A: repaid, 1: current}}
  currency: {const: CZK}
  granted_on: {expr: "strptime(date, '%y%m%d')"}
""",
        )
        mapping = load_mapping(path)
        assert isinstance(mapping, Mapping) and mapping.entity == "loans"
        assert mapping.source == SourceOptions(
            delimiter=";", nulls=("", "?"), encoding="gb18030", header_row=2
        )
        assert mapping.fields["status"].value_map == {"A": "repaid", "1": "current"}
        assert mapping.fields["currency"].const == "CZK"

    def test_unknown_options_list_the_valid_ones(self, tmp_path: Path) -> None:
        path = write(tmp_path, "source: {delimter: ';'}\nfields: {loan_no: {colum: loan_id}}\n")
        with pytest.raises(InputError) as caught:
            load_mapping(path)
        found = errors_of(caught)
        assert (
            found[0][0] == (str(path), "source.delimter")
            and "valid options: format, delimiter" in found[0][1]
        )
        assert (str(path), "fields.loan_no.colum") in [loc for loc, _ in found]

    def test_a_field_needs_exactly_one_source(self, tmp_path: Path) -> None:
        path = write(tmp_path, "fields: {loan_no: {column: a, const: b}}\n")
        with pytest.raises(InputError) as caught:
            load_mapping(path)
        assert errors_of(caught) == [
            ((str(path), "fields.loan_no"), "give exactly one of column, expr, const")
        ]

    def test_unknown_entity_lists_the_entities(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="choose one of: branches, teams"):
            load_mapping(write(tmp_path, "entity: loan\n"))

    def test_yaml_syntax_errors_name_the_line(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="not valid YAML at line 2"):
            load_mapping(write(tmp_path, "fields:\n  a: b: c\n"))

    def test_bundles_with_inline_and_separate_mappings(self, tmp_path: Path) -> None:
        write(tmp_path, "source: {delimiter: '|'}\nfields: {code: id, name: label}\n", "branches.yaml")
        path = write(
            tmp_path,
            """
source: {delimiter: ";"}
imports:
  - {file: a.csv, entity: households, fields: {household_no: id, name: n}}
  - {file: b.csv, entity: branches, mapping: branches.yaml}
""",
        )
        bundle = load_mapping(path)
        assert isinstance(bundle, Bundle) and [s.entity for s in bundle.steps] == ["households", "branches"]
        assert (
            bundle.steps[0].mapping.source.delimiter == ";"
            and bundle.steps[1].mapping.source.delimiter == "|"
        )
        assert bundle.steps[0].mapping.where == "imports[0]."

    def test_bundle_steps_are_located(self, tmp_path: Path) -> None:
        path = write(tmp_path, "imports:\n  - {file: a.csv, entity: nope}\n  - {entity: branches}\n")
        with pytest.raises(InputError) as caught:
            load_mapping(path)
        locs = [loc for loc, _ in errors_of(caught)]
        assert (str(path), "imports[0].entity") in locs and (str(path), "imports[1].file") in locs


def source(text: str):
    return read_csv(text.encode(), "bank.csv", SourceOptions())


class TestApplying:
    def test_without_a_mapping_unknown_and_missing_columns_are_header_errors(self) -> None:
        with pytest.raises(InputError) as caught:
            apply_mapping(source("code,nmae\nA,b\n"), get_entity("branches"), None)
        assert errors_of(caught) == [
            (("bank.csv", 1, "nmae"), "unknown column; branches has: code, name, city, region"),
            (("bank.csv", 1, "name"), "missing required column"),
        ]

    def test_a_card_needs_one_of_its_reference_groups(self) -> None:
        with pytest.raises(InputError) as caught:
            apply_mapping(
                source("card_no,kind,issued_on,account_no\n1,gold,2025-01-01,A\n"), get_entity("cards"), None
            )
        assert errors_of(caught) == [
            (("bank.csv", 1, "account_party_ref or account_no and party_no"), "missing required column")
        ]

    def test_mapping_errors_name_the_mapping_file_and_field(self, tmp_path: Path) -> None:
        path = write(tmp_path, "fields: {code: id, name: {expr: 'upper(labl)'}, region: nowhere}\n")
        with pytest.raises(InputError) as caught:
            apply_mapping(source("id,label\n1,x\n"), get_entity("branches"), load_mapping(path))
        found = dict(errors_of(caught))
        assert "no column 'nowhere' in bank.csv; columns: id, label" in found[(str(path), "fields.region")]
        assert found[(str(path), "fields.name")].startswith(
            'expression cannot run: Binder Error: Referenced column "labl"'
        )

    def test_a_value_missing_from_a_value_map_is_a_row_problem(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, "fields: {account_no: a, party_no: p, role: {column: t, map: {OWNER: owner}}}\n"
        )
        mapped = apply_mapping(
            source("a,p,t\n1,2,OWNER\n1,3,USER\n"), get_entity("account_parties"), load_mapping(path)
        )
        assert mapped.columns["role"].to_pylist() == ["owner", None]
        assert [(e.loc, e.msg, e.input) for e in mapped.issues.field_errors("bank.csv", [2, 3])] == [
            (("bank.csv", 3, "t"), "not in the mapping's value map (OWNER)", "USER")
        ]

    def test_an_expression_failing_on_some_rows_marks_exactly_those_rows(self, tmp_path: Path) -> None:
        path = write(tmp_path, "fields: {code: d, name: {expr: \"strftime(strptime(d, '%y%m%d'), '%Y')\"}}\n")
        text = "d\n" + "".join(f"{'9x0101' if i in (3, 40, 77) else '930101'}\n" for i in range(100))
        mapped = apply_mapping(source(text), get_entity("branches"), load_mapping(path))
        assert mapped.issues.bad_rows().nonzero()[0].tolist() == [3, 40, 77]
        assert mapped.columns["name"].to_pylist()[:3] == ["1993", "1993", "1993"]

    def test_source_trim_and_nulls_apply_before_expressions(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, "source: {nulls: ['', '?']}\nfields: {code: c, name: {expr: \"coalesce(n, 'none')\"}}\n"
        )
        mapped = apply_mapping(source("c,n\n1, ? \n2,x\n"), get_entity("branches"), load_mapping(path))
        assert mapped.columns["name"].to_pylist() == ["none", "x"]
        assert isinstance(mapped.columns["code"], pa.Array)
