"""Importing master data into the store: located errors, all-or-nothing, rejects, idempotency."""

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from fincrm.access.models import Branch
from fincrm.clients.models import Account, Interaction, Party
from fincrm.core.clock import FixedClock
from fincrm.core.crypto import FieldCipher
from fincrm.errors import InputError
from fincrm.ingest.service import default_rejects_path

from .conftest import EXAMPLES

ACCOUNTS_HEADER = "account_no,kind,currency,opened_on\n"


def located(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(e.loc[1:], e.msg, e.input) for e in exc.value.errors]


class TestErrorsAreLocated:
    def test_bad_values_name_line_column_reason_and_value(self, run_import, write_file) -> None:
        path = write_file(
            "accounts.csv", ACCOUNTS_HEADER + "A1,current,CNY,2024-01-05\nA2,chequing,cny,2024-02-30\n"
        )
        with pytest.raises(InputError) as caught:
            run_import("accounts", path)
        assert located(caught) == [
            ((3, "kind"), "must be one of: current, savings, investment, card, loan", "chequing"),
            ((3, "currency"), "does not match [A-Z]{3}", "cny"),
            ((3, "opened_on"), "not a date (YYYY-MM-DD)", "2024-02-30"),
        ]
        assert caught.value.errors[0].loc[0] == str(path)
        assert "1 of 2 row(s) have problems" in caught.value.message

    def test_lines_are_physical_lines(self, run_import, write_file) -> None:
        path = write_file("branches.csv", 'code,name\nB1,"two\nlines"\n\nB2,\n')
        with pytest.raises(InputError) as caught:
            run_import("branches", path)
        assert located(caught) == [((5, "name"), "required: no value", None)]

    def test_unknown_and_missing_columns(self, run_import, write_file) -> None:
        with pytest.raises(InputError) as caught:
            run_import(
                "accounts",
                write_file("a.csv", "account_no,kind,currency,opend_on\nA1,current,CNY,2024-01-05\n"),
            )
        assert [e.loc[1:] for e in caught.value.errors] == [(1, "opend_on"), (1, "opened_on")]

    def test_duplicate_keys_name_the_other_lines(self, run_import, write_file) -> None:
        path = write_file("b.csv", "code,name\nB1,a\nB2,b\nB1,c\nB1,d\n")
        with pytest.raises(InputError) as caught:
            run_import("branches", path)
        assert [(loc, msg) for loc, msg, _ in located(caught)] == [
            ((2, "code"), "duplicate key (code): also on line 4, 5"),
            ((4, "code"), "duplicate key (code): also on line 2, 5"),
            ((5, "code"), "duplicate key (code): also on line 2, 4"),
        ]

    def test_unknown_references(self, run_import, write_file, example_book) -> None:
        path = write_file(
            "ap.csv", "account_no,party_no,role\n6222020000000005,P0002,authorised\nNOPE,P9,owner\n"
        )
        with pytest.raises(InputError) as caught:
            run_import("account_parties", path)
        assert [(loc, msg) for loc, msg, _ in located(caught)] == [
            (
                (3, "account_no"),
                "unknown accounts account_no='NOPE': not in the store (nor imported before this file)",
            ),
            (
                (3, "party_no"),
                "unknown parties party_no='P9': not in the store (nor imported before this file)",
            ),
        ]

    def test_a_card_reference_by_ref_or_by_account_and_party(
        self, run_import, write_file, example_book
    ) -> None:
        path = write_file(
            "cards.csv",
            "card_no,account_party_ref,account_no,party_no,kind,issued_on\n"
            "C9,AP-1,6222020000000001,P0002,gold,2025-01-01\n"  # the two ways point at different links
            "C8,,6222020000000001,,gold,2025-01-01\n"  # half a key
            "C7,,,,gold,2025-01-01\n",  # no link at all
        )
        with pytest.raises(InputError) as caught:
            run_import("cards", path)
        assert [(loc, msg) for loc, msg, _ in located(caught)] == [
            ((2, "account_no"), "points at another account_parties row than account_party_ref"),
            ((3, "account_no"), "give all of account_no, party_no or none"),
            ((3, "account_party_ref"), "required: give account_party_ref or account_no and party_no"),
            ((4, "account_party_ref"), "required: give account_party_ref or account_no and party_no"),
        ]

    def test_party_rules(self, run_import, write_file, example_book) -> None:
        path = write_file(
            "p.csv",
            "party_no,kind,name,national_id,birth_on,uscc,gender\n"
            "N1,individual,甲,310104198003071234,,,\n"  # wrong check digit
            "N2,individual,乙,310104198003071235,1980-03-08,,\n"  # birth date disagrees
            "N3,corporate,丙公司,,,91310115MA1H7GXY2H,F\n"  # gender on a corporate; USCC already C0001's
            "N4,individual,丁,310104198211201241,,,\n",  # national ID already P0002's
        )
        with pytest.raises(InputError) as caught:
            run_import("parties", path)
        assert [(loc, msg) for loc, msg, _ in located(caught)] == [
            ((2, "national_id"), "check digit should be 5"),
            ((3, "national_id"), "birth date in the ID (1980-03-07) differs from birth_on (1980-03-08)"),
            ((3, "national_id"), "national_id already belongs to another record in the store"),
            ((4, "gender"), "only for individual clients"),
            ((4, "uscc"), "uscc already belongs to another record in the store"),
            ((5, "national_id"), "national_id already belongs to another record in the store"),
        ]

    def test_one_owner_per_account(self, run_import, write_file, example_book) -> None:
        path = write_file(
            "ap.csv",
            "account_no,party_no,role\n6222020000000002,P0001,owner\n"  # P0002 owns it already
            "6222020000000005,P0002,owner\n6222020000000005,P0003,owner\n",  # two owners in the file
        )
        with pytest.raises(InputError) as caught:
            run_import("account_parties", path)
        assert located(caught) == [
            ((2, "role"), "the account already has owner P0002; change that link first", "owner"),
            ((3, "role"), "the account has more than one owner in this file", "owner"),
            ((3, "role"), "the account already has owner P0001; change that link first", "owner"),
            ((4, "role"), "the account has more than one owner in this file", "owner"),
            ((4, "role"), "the account already has owner P0001; change that link first", "owner"),
        ]

    def test_a_record_with_the_wrong_number_of_fields(self, run_import, write_file) -> None:
        with pytest.raises(InputError) as caught:
            run_import("branches", write_file("b.csv", "code,name\nB1,a,extra\nB2,b\n"))
        assert located(caught) == [((2, "*"), "expected 2 fields, found 3", None)]


class TestAllOrNothing:
    def test_a_bad_last_row_leaves_no_rows(self, run_import, write_file, count) -> None:
        rows = "".join(f"A{i},current,CNY,2024-01-05\n" for i in range(2_000))
        path = write_file("a.csv", ACCOUNTS_HEADER + rows + "A-last,current,CNY,not a date\n")
        with pytest.raises(InputError) as caught:
            run_import("accounts", path)
        assert [e.loc[1] for e in caught.value.errors] == [2_002]
        assert count("accounts") == 0

    def test_a_failure_half_way_through_a_bundle_leaves_nothing(
        self, run_bundle, write_file, tmp_path, count
    ) -> None:
        write_file("b.csv", "code,name\nB1,一分行\n")
        write_file(
            "a.csv", ACCOUNTS_HEADER.replace("\n", ",branch_code\n") + "A1,current,CNY,2024-01-05,B1\n"
        )
        write_file("p.csv", "party_no,kind,name,branch_code\nP1,individual,甲,B1\nP2,individual,乙,B9\n")
        mapping = write_file(
            "bundle.yaml",
            "imports:\n  - {file: b.csv, entity: branches}\n"
            "  - {file: a.csv, entity: accounts}\n  - {file: p.csv, entity: parties}\n",
        )
        with pytest.raises(InputError) as caught:
            run_bundle(tmp_path, mapping)
        assert caught.value.errors[0].loc[1:] == (3, "branch_code")
        assert count("branches") == 0 and count("accounts") == 0 and count("parties") == 0


class TestSkipInvalid:
    def test_good_rows_are_written_and_bad_ones_go_to_the_rejects_file(
        self, run_import, write_file, count
    ) -> None:
        path = write_file(
            "accounts.csv",
            ACCOUNTS_HEADER
            + "A1,current,CNY,2024-01-05\n A2 ,current,CNY,2024-13-01\nA3,savings,CNY,2024-01-07,x\n",
        )
        result = run_import("accounts", path, skip_invalid=True)
        assert (result.rows, result.inserted, result.rejected) == (3, 1, 2)
        assert result.rejects_path == default_rejects_path(path) == path.with_name("accounts.rejects.csv")
        with open(result.rejects_path, encoding="utf-8", newline="") as handle:
            rejects = list(csv.reader(handle))
        assert rejects == [
            ["account_no", "kind", "currency", "opened_on", "line", "errors"],
            [" A2 ", "current", "CNY", "2024-13-01", "3", "opened_on: not a date (YYYY-MM-DD)"],
            ["A3", "savings", "CNY", "2024-01-07", "4", "expected 4 fields, found 5 (extra values: x)"],
        ]
        assert count("accounts") == 0 + 1

    def test_a_given_rejects_path_and_no_file_when_nothing_is_rejected(
        self, run_import, write_file, tmp_path
    ) -> None:
        target = tmp_path / "out" / "bad.csv"
        result = run_import(
            "branches", write_file("b.csv", "code,name\nB1,x\nB2,\n"), skip_invalid=True, rejects=target
        )
        assert result.rejects_path == target and target.exists()
        clean = run_import("branches", write_file("c.csv", "code,name\nB3,x\n"), skip_invalid=True)
        assert clean.rejects_path is None and not default_rejects_path(tmp_path / "c.csv").exists()

    def test_file_level_problems_still_stop_everything(self, run_import, write_file) -> None:
        with pytest.raises(InputError, match="do not match"):
            run_import("branches", write_file("b.csv", "code,nam\nB1,x\n"), skip_invalid=True)


class TestIdempotent:
    def test_same_file_twice_changes_nothing_and_a_changed_row_is_updated(
        self, run_import, write_file
    ) -> None:
        path = write_file("a.csv", ACCOUNTS_HEADER + "A1,current,CNY,2024-01-05\nA2,savings,CNY,2024-01-06\n")
        first, second = run_import("accounts", path), run_import("accounts", path)
        assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
        changed = write_file(
            "a.csv",
            ACCOUNTS_HEADER
            + "A1,current,CNY,2024-01-05\nA2,savings,USD,2024-01-06\nA3,loan,CNY,2024-02-01\n",
        )
        third = run_import("accounts", changed)
        assert (third.inserted, third.updated, third.unchanged) == (1, 1, 1)

    def test_columns_absent_from_the_file_are_left_alone(self, run_import, write_file, sessions) -> None:
        run_import(
            "accounts",
            write_file(
                "a.csv", "account_no,kind,currency,opened_on,status\nA1,current,CNY,2024-01-05,frozen\n"
            ),
        )
        result = run_import(
            "accounts",
            write_file(
                "b.csv",
                "account_no,kind,currency,opened_on,statement_frequency\nA1,current,CNY,2024-01-05,monthly\n",
            ),
        )
        assert result.updated == 1
        with sessions() as session:
            account = session.scalars(select(Account).where(Account.account_no == "A1")).one()
        assert (account.status, account.statement_frequency) == ("frozen", "monthly")

    def test_party_search_helpers_encryption_and_timestamps(
        self, run_import, write_file, sessions, import_settings
    ) -> None:
        path = write_file(
            "p.csv",
            "party_no,kind,name,phone,national_id\nP1,individual,张伟,138-1234-5678,310104198003071235\n",
        )
        run_import("parties", path)
        later = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
        assert run_import("parties", path, clock=later).unchanged == 1
        with sessions() as session:
            party = session.scalars(select(Party).where(Party.party_no == "P1")).one()
        assert (party.name_initials, party.phone_last4, party.national_id_last4) == ("zw", "5678", "1235")
        assert party.national_id_cipher != b"310104198003071235"
        assert (
            FieldCipher(import_settings.pii_key_bytes, "national_id").decrypt(party.national_id_cipher)
            == "310104198003071235"
        )
        assert (party.status, party.investor_class) == ("active", "ordinary")
        assert party.created_at == party.updated_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        run_import("parties", write_file("p2.csv", "party_no,kind,name\nP1,individual,张伟伟\n"), clock=later)
        with sessions() as session:
            party = session.scalars(select(Party).where(Party.party_no == "P1")).one()
        assert party.created_at < party.updated_at == datetime(2026, 3, 1, tzinfo=UTC)


class TestFormatsAndTime:
    def test_gbk_and_bom_files(self, run_import, write_file, sessions) -> None:
        run_import("branches", write_file("g.csv", "code,name,city\nSH,上海分行,上海\n", "gbk"))
        run_import("branches", write_file("u.csv", "code,name\nBJ,北京分行\n", "utf-8-sig"))
        with sessions() as session:
            assert set(session.scalars(select(Branch.name))) == {"上海分行", "北京分行"}

    def test_excel_and_parquet(self, run_import, tmp_path, count) -> None:
        book = Workbook()
        book.active.append(["account_no", "kind", "currency", "opened_on"])
        book.active.append(["X1", "current", "CNY", datetime(2024, 1, 5)])
        book.save(tmp_path / "a.xlsx")
        assert run_import("accounts", tmp_path / "a.xlsx").inserted == 1
        pq.write_table(
            pa.table(
                {
                    "account_no": ["X2"],
                    "kind": ["savings"],
                    "currency": ["CNY"],
                    "opened_on": [date(2024, 1, 6)],
                }
            ),
            tmp_path / "a.parquet",
        )
        assert run_import("accounts", tmp_path / "a.parquet").inserted == 1
        assert count("accounts") == 2

    def test_naive_timestamps_are_business_time_stored_in_utc(
        self, run_import, example_book, sessions
    ) -> None:
        run_import("interactions", EXAMPLES / "interactions.csv")
        with sessions() as session:
            occurred = dict(session.execute(select(Interaction.ref, Interaction.occurred_at)).all())
        assert occurred["INT-1"] == datetime(2025, 6, 30, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
        assert occurred["INT-2"] == datetime(2025, 7, 2, 11, 5, tzinfo=UTC)  # given with +08:00


def test_missing_file_and_wrong_mapping_kind(run_import, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        run_import("branches", tmp_path / "absent.csv")
    bundle = tmp_path / "b.yaml"
    bundle.write_text("imports:\n  - {file: a.csv, entity: branches}\n")
    with pytest.raises(InputError, match="is a bundle mapping"):
        run_import("branches", tmp_path / "absent.csv", mapping=bundle)


def test_a_mapping_expression_failing_on_one_row_is_reported_at_its_line(
    run_import, write_file, count
) -> None:
    path = write_file("account.asc", '"account_id";"date"\n1;930101\n2;93x101\n')
    mapping = write_file(
        "m.yaml",
        'source: {delimiter: ";"}\nfields:\n  account_no: account_id\n  kind: {const: current}\n'
        "  currency: {const: CZK}\n  opened_on: {expr: \"strptime(date, '%y%m%d')\"}\n",
    )
    with pytest.raises(InputError) as caught:
        run_import("accounts", path, mapping=mapping)
    assert located(caught) == [
        ((3, "opened_on"), "the mapping's expression failed on this row: strptime(date, '%y%m%d')", None)
    ]
    result = run_import("accounts", path, mapping=mapping, skip_invalid=True)
    assert (result.inserted, result.rejected) == (1, 1) and count("accounts") == 1
