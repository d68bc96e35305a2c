"""The Berka (PKDD'99) Czech bank tables load with one bundle and reproduce the published facts."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fincrm.clients.models import Account, AccountParty, Card, Loan, Party, StandingOrder
from tests.conftest import REPO_ROOT, SHARED_DATA

BERKA = SHARED_DATA / "berka"
MAPPING = REPO_ROOT / "docs" / "examples" / "mappings" / "berka.yaml"


@pytest.fixture(autouse=True)
def _berka_present() -> None:
    # The data set is part of the workplace (../shared/data); its absence is a broken checkout, not a skip.
    assert BERKA.is_dir(), f"Berka tables missing at {BERKA}"


def grouped(session, column) -> dict:
    return dict(session.execute(select(column, func.count()).group_by(column)).all())


def test_berka_bundle_loads_the_published_facts_and_a_second_import_changes_nothing(
    run_bundle, sessions
) -> None:
    first = run_bundle(BERKA, MAPPING)
    assert [(s.entity, s.inserted, s.rejected) for s in first.steps] == [
        ("branches", 77, 0),
        ("parties", 5_369, 0),
        ("accounts", 4_500, 0),
        ("account_parties", 5_369, 0),
        ("loans", 682, 0),
        ("cards", 892, 0),
        ("standing_orders", 6_471, 0),
    ]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 4_500
        assert grouped(session, Party.gender) == {"F": 2_645, "M": 2_724}
        assert session.execute(select(func.min(Party.birth_on), func.max(Party.birth_on))).one() == (
            date(1911, 8, 20),
            date(1987, 9, 27),
        )
        assert grouped(session, AccountParty.role) == {"owner": 4_500, "authorised": 869}
        owners = (
            select(AccountParty.account_id, func.count().label("n"))
            .where(AccountParty.role == "owner")
            .group_by(AccountParty.account_id)
            .subquery()
        )
        assert session.execute(select(func.count(), func.min(owners.c.n), func.max(owners.c.n))).one() == (
            4_500,
            1,
            1,
        )
        assert session.scalar(select(func.count()).select_from(Loan)) == 682
        assert Decimal(session.scalar(select(func.sum(Loan.principal_amount)))) == Decimal("103261740")
        assert grouped(session, Loan.status) == {
            "repaid": 203,
            "defaulted": 31,
            "current": 403,
            "in_arrears": 45,
        }
        assert grouped(session, Card.kind) == {"classic": 659, "junior": 145, "gold": 88}
        assert session.scalar(select(func.count()).select_from(StandingOrder)) == 6_471
        assert grouped(session, StandingOrder.purpose) == {
            "household": 3_502,
            None: 1_379,
            "loan": 717,
            "insurance": 532,
            "leasing": 341,
        }
        assert grouped(session, Account.statement_frequency) == {
            "monthly": 4_167,
            "weekly": 240,
            "after_transaction": 93,
        }
        assert session.scalar(select(Party.name).where(Party.party_no == "123")) == "Berka client 123"
        assert session.scalar(select(func.count()).select_from(Party).where(Party.branch_id.is_(None))) == 0
    second = run_bundle(BERKA, MAPPING)
    assert all(s.inserted == 0 and s.updated == 0 and s.unchanged == s.rows for s in second.steps)
