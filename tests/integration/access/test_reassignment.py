"""Moving clients between RMs: scope, all-or-nothing, one audit record per moved client."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fincrm.access import audit, service
from fincrm.access.domain import Role
from fincrm.access.models import AuditRecord, Team, User
from fincrm.clients.assignment import book_counts, reassign_clients
from fincrm.clients.domain import InvestorClass, PartyKind, PartyStatus
from fincrm.clients.models import Party
from fincrm.errors import InputError, PermissionDenied

T0 = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


@pytest.fixture()
def org(session):
    teams = [Team(code="T1", name="一队"), Team(code="T2", name="二队")]
    session.add_all(teams)
    session.flush()
    users = {}
    for username, role, team in [
        ("admin9", Role.ADMIN, None), ("lead9", Role.TEAM_LEAD, teams[0]), ("rm91", Role.RM, teams[0]),
        ("rm92", Role.RM, teams[0]), ("rm93", Role.RM, teams[1]), ("comp9", Role.COMPLIANCE, None),
    ]:  # fmt: skip
        users[username] = User(
            username=username,
            display_name=username,
            role=role,
            team_id=team.id if team else None,
            created_at=T0,
        )
        session.add(users[username])
    session.flush()
    for i, owner in enumerate(["rm91", "rm91", "rm91", "rm92", "rm93"]):
        session.add(Party(
            party_no=f"P{i:04d}", kind=PartyKind.INDIVIDUAL, name=f"客户{i}", name_initials="KH",
            status=PartyStatus.ACTIVE, investor_class=InvestorClass.ORDINARY, primary_rm_id=users[owner].id,
            created_at=T0, updated_at=T0,
        ))  # fmt: skip
    session.flush()
    return {name: service.principal_of(user) for name, user in users.items()}


def owner_of(session, party_no: str) -> str:
    return session.scalar(
        select(User.username).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
    )


def reassign_records(session) -> list[AuditRecord]:
    return list(
        session.scalars(
            select(AuditRecord).where(AuditRecord.action == "client.reassign").order_by(AuditRecord.id)
        )
    )


class TestReassignClients:
    def test_admin_moves_listed_clients_with_one_audit_record_each(self, session, org) -> None:
        result = reassign_clients(
            session, org["admin9"], party_nos=["P0000", "P0003", "P0000"], to_rm="rm93", now=T0
        )
        assert result.moved == ["P0000", "P0003"] and result.unchanged == []
        assert owner_of(session, "P0000") == "rm93" and owner_of(session, "P0003") == "rm93"
        records = reassign_records(session)
        assert [r.detail for r in records] == ["rm91 -> rm93", "rm92 -> rm93"]
        assert all(r.actor == "admin9" and r.fields == "primary_rm" for r in records)
        assert audit.verify_chain(session)[1] is None

    def test_a_whole_book_moves(self, session, org) -> None:
        result = reassign_clients(session, org["admin9"], from_rm="rm91", to_rm="rm92", now=T0)
        assert result.from_rm == "rm91" and sorted(result.moved) == ["P0000", "P0001", "P0002"]
        assert [b.clients for b in book_counts(session, org["admin9"]) if b.username in ("rm91", "rm92")] == [
            0,
            4,
        ]

    def test_every_bad_client_number_is_listed_and_nothing_moves(self, session, org) -> None:
        with pytest.raises(InputError) as caught:
            reassign_clients(
                session, org["admin9"], party_nos=["P0000", "NOPE1", "P0001", "NOPE2"], to_rm="rm93", now=T0
            )
        assert [e.input for e in caught.value.errors] == ["NOPE1", "NOPE2"]
        assert owner_of(session, "P0000") == "rm91" and reassign_records(session) == []

    def test_clients_already_in_the_target_book_are_left_alone(self, session, org) -> None:
        result = reassign_clients(session, org["admin9"], party_nos=["P0004"], to_rm="rm93", now=T0)
        assert result.moved == [] and result.unchanged == ["P0004"] and reassign_records(session) == []

    def test_a_team_lead_moves_within_the_team_only(self, session, org) -> None:
        lead = org["lead9"]
        assert reassign_clients(session, lead, party_nos=["P0000"], to_rm="rm92", now=T0).moved == ["P0000"]
        with pytest.raises(InputError) as outside:
            reassign_clients(session, lead, party_nos=["P0001", "P0004"], to_rm="rm92", now=T0)
        assert [(e.input, e.msg) for e in outside.value.errors] == [("P0004", "not in your team's book")]
        with pytest.raises(InputError) as other_team:
            reassign_clients(session, lead, party_nos=["P0001"], to_rm="rm93", now=T0)
        assert other_team.value.errors[0].loc == ("to_rm",)
        assert {b.username for b in book_counts(session, lead)} == {"lead9", "rm91", "rm92"}

    @pytest.mark.parametrize("who", ["rm91", "comp9"])
    def test_others_may_not_move_clients(self, session, org, who) -> None:
        with pytest.raises(PermissionDenied):
            reassign_clients(session, org[who], party_nos=["P0000"], to_rm="rm92", now=T0)

    def test_the_target_must_be_an_active_rm(self, session, org) -> None:
        service.set_user_active(session, org["admin9"], username="rm92", active=False, now=T0)
        with pytest.raises(InputError) as caught:
            reassign_clients(session, org["admin9"], party_nos=["P0000"], to_rm="rm92", now=T0)
        assert caught.value.errors[0].msg == "this user is deactivated"
        with pytest.raises(InputError):
            reassign_clients(session, org["admin9"], party_nos=["P0000"], to_rm="comp9", now=T0)

    def test_exactly_one_source(self, session, org) -> None:
        with pytest.raises(InputError):
            reassign_clients(
                session, org["admin9"], party_nos=["P0000"], from_rm="rm91", to_rm="rm92", now=T0
            )


class TestClientTrail:
    def test_compliance_reads_a_clients_trail_newest_first(self, session, org) -> None:
        reassign_clients(session, org["admin9"], party_nos=["P0000"], to_rm="rm92", now=T0)
        reassign_clients(session, org["admin9"], party_nos=["P0000"], to_rm="rm93", now=T0)
        trail = service.client_trail(session, org["comp9"], party_no="P0000", limit=1)
        assert trail.total == 2 and [r.detail for r in trail.records] == ["rm92 -> rm93"]

    def test_only_compliance_reads_the_trail(self, session, org) -> None:
        with pytest.raises(PermissionDenied):
            service.client_trail(session, org["admin9"], party_no="P0000")


class TestUserAdministration:
    def test_an_admin_cannot_deactivate_themself(self, session, org) -> None:
        with pytest.raises(InputError):
            service.set_user_active(session, org["admin9"], username="admin9", active=False, now=T0)

    def test_deactivation_is_audited_once(self, session, org) -> None:
        for _ in range(2):
            service.set_user_active(session, org["admin9"], username="rm91", active=False, now=T0)
        actions = session.scalars(select(AuditRecord.action)).all()
        assert actions.count("user.deactivate") == 1
