"""The book-scoping rule at service level: who may read, change and reveal which client.

Runs on the 600-client demo institution of tests/web/conftest.py (a module-scoped database).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, or_, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients import service
from fincrm.clients.domain import AccountRole
from fincrm.clients.models import AccountParty, Coverage, Holding, Interaction, MemoryPoint, Party
from fincrm.clients.repository import readable_parties
from fincrm.core.crypto import FieldCipher
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.web.conftest import AS_OF, NOW
from tests.web.conftest import institution as institution  # noqa: F401 - the shared demo fixture

TODAY = AS_OF


@pytest.fixture()
def db(institution):
    """A session on the demo institution whose changes are rolled back after the test."""
    session = institution.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def who(db, username: str):
    return principal_of(db.scalars(select(User).where(User.username == username)).one())


def book_of(db, username: str) -> set[str]:
    """Client numbers of an RM's book, computed independently of the repository rule."""
    uid = db.scalar(select(User.id).where(User.username == username))
    covered = select(Coverage.party_id).where(Coverage.user_id == uid)
    return set(
        db.scalars(select(Party.party_no).where(or_(Party.primary_rm_id == uid, Party.id.in_(covered))))
    )


def all_of_book(db, principal) -> list:
    rows, page = [], 1
    while True:
        result = service.list_book(db, principal, now=NOW, today=TODAY, page=page, page_size=200)
        rows += result.rows
        if page >= result.pages:
            return rows
        page += 1


class TestListBook:
    def test_rm_sees_exactly_their_book(self, db) -> None:
        rows = all_of_book(db, who(db, "rm001"))
        assert {r.party_no for r in rows} == book_of(db, "rm001") != set()

    def test_team_lead_sees_every_book_of_the_team(self, db) -> None:
        lead = who(db, "lead01")
        members = db.scalars(select(User.username).where(User.team_id == lead.team_id)).all()
        expected = set().union(*(book_of(db, m) for m in members))
        assert {r.party_no for r in all_of_book(db, lead)} == expected

    def test_aggregates_match_a_direct_computation(self, db) -> None:
        rows = all_of_book(db, who(db, "rm001"))
        for row in rows[:25]:
            party_id = db.scalar(select(Party.id).where(Party.party_no == row.party_no))
            aum = db.scalar(
                select(func.coalesce(func.sum(Holding.market_value_amount), 0))
                .join(AccountParty, AccountParty.account_id == Holding.account_id)
                .where(
                    AccountParty.party_id == party_id,
                    AccountParty.role == AccountRole.OWNER,
                    Holding.currency == "CNY",
                )
            )
            last = db.scalar(
                select(func.max(Interaction.occurred_at)).where(Interaction.party_id == party_id)
            )
            assert row.aum_amount == Decimal(aum).quantize(Decimal("0.01")) and row.last_contact_at == last

    def test_research_sees_nothing_and_admin_is_refused(self, db) -> None:
        assert service.list_book(db, who(db, "research01"), now=NOW, today=TODAY).total == 0
        with pytest.raises(PermissionDenied):
            service.list_book(db, who(db, "admin01"), now=NOW, today=TODAY)

    def test_bad_options_are_all_reported(self, db) -> None:
        with pytest.raises(InputError) as caught:
            service.list_book(db, who(db, "rm001"), now=NOW, today=TODAY, sort="age", page=0, tier="gold")
        assert {e.loc[0] for e in caught.value.errors} == {"sort", "page", "tier"}


class TestSearch:
    def test_other_rms_clients_are_never_found(self, db) -> None:
        mine, theirs = book_of(db, "rm001"), book_of(db, "rm002")
        other = sorted(theirs - mine)[0]
        assert service.search_clients(db, who(db, "rm001"), other, now=NOW) == []
        assert [h.party_no for h in service.search_clients(db, who(db, "rm002"), other, now=NOW)] == [other]
        assert [h.party_no for h in service.search_clients(db, who(db, "compliance01"), other, now=NOW)] == [
            other
        ]

    def test_initials_search_stays_in_the_book(self, db) -> None:
        rm = who(db, "rm001")
        hits = service.search_clients(db, rm, "z", limit=100, now=NOW)
        assert hits and {h.party_no for h in hits} <= book_of(db, "rm001")

    @pytest.mark.parametrize("username", ["rm001", "lead01"])
    def test_book_driven_search_finds_exactly_the_readable_matches(self, db, username) -> None:
        reader = who(db, username)
        for prefix in ("z", "l", "w", "C0"):
            hits = service.search_clients(db, reader, prefix, limit=service.SEARCH_LIMIT_MAX, now=NOW)
            expected = db.scalars(
                select(Party.party_no)
                .where(
                    readable_parties(reader),
                    (Party.name_initials.startswith(prefix.lower())) | (Party.party_no.startswith(prefix)),
                )
                .order_by(Party.name, Party.party_no)
                .limit(service.SEARCH_LIMIT_MAX)
            ).all()
            assert [h.party_no for h in hits] == expected and len(set(expected)) == len(expected)


class TestClientReads:
    def test_out_of_scope_is_not_found_for_every_panel(self, db) -> None:
        rm = who(db, "rm001")
        other = sorted(book_of(db, "rm002") - book_of(db, "rm001"))[0]
        cipher = FieldCipher(bytes(64), "national_id")
        for read in (
            lambda: service.read_profile(db, rm, other, cipher=cipher, now=NOW),
            lambda: service.read_relationships(db, rm, other, now=NOW),
            lambda: service.read_holdings(db, rm, other, now=NOW),
            lambda: service.read_interactions(db, rm, other, now=NOW),
            lambda: service.read_memory_points(db, rm, other, now=NOW),
            lambda: service.read_consents(db, rm, other, now=NOW),
            lambda: service.read_risk(db, rm, other, now=NOW, today=TODAY),
            lambda: service.reveal(db, rm, other, "phone", cipher=cipher, now=NOW),
        ):
            with pytest.raises(NotFound):
                read()

    def test_every_read_is_audited(self, db) -> None:
        rm = who(db, "rm001")
        party_no = sorted(book_of(db, "rm001"))[0]
        before = db.scalar(select(func.count()).where(AuditRecord.action == "client.read"))
        service.read_holdings(db, rm, party_no, now=NOW)
        service.read_consents(db, rm, party_no, now=NOW)
        assert db.scalar(select(func.count()).where(AuditRecord.action == "client.read")) == before + 2


class TestMemoryPointWrites:
    def test_compliance_reads_but_may_not_write(self, db) -> None:
        party_no = sorted(book_of(db, "rm001"))[0]
        compliance = who(db, "compliance01")
        assert isinstance(service.read_memory_points(db, compliance, party_no, now=NOW), list)
        with pytest.raises(PermissionDenied):
            service.add_memory_point(db, compliance, party_no, category="hobby", text="钓鱼", now=NOW)

    def test_invalid_input_names_every_field_and_writes_nothing(self, db) -> None:
        party_no = sorted(book_of(db, "rm001"))[0]
        before = db.scalar(select(func.count()).select_from(MemoryPoint))
        with pytest.raises(InputError) as caught:
            service.add_memory_point(db, who(db, "rm001"), party_no, category="gossip", text="  ", now=NOW)
        assert {e.loc[0] for e in caught.value.errors} == {"category", "text"}
        assert db.scalar(select(func.count()).select_from(MemoryPoint)) == before

    def test_edit_of_another_clients_point_is_not_found(self, db) -> None:
        rm = who(db, "rm001")
        first, second = sorted(book_of(db, "rm001"))[:2]
        point = service.add_memory_point(db, rm, first, category="hobby", text="书法", now=NOW)
        with pytest.raises(NotFound):
            service.edit_memory_point(db, rm, second, point.id, category="hobby", text="x", now=NOW)

    def test_reveal_is_refused_to_roles_without_the_right(self, db) -> None:
        party_no = sorted(book_of(db, "rm001"))[0]
        cipher = FieldCipher(bytes(64), "national_id")
        for username in ("admin01", "research01"):
            with pytest.raises(PermissionDenied):
                service.reveal(db, who(db, username), party_no, "phone", cipher=cipher, now=NOW)
