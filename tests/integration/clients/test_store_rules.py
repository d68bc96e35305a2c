"""Rules the store itself enforces: encryption at rest, named constraints, timezone-aware times."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from fincrm.clients.domain import (
    ConsentAction,
    ConsentChannel,
    ConsentPurpose,
    InvestorClass,
    PartyKind,
    PartyStatus,
)
from fincrm.clients.models import ConsentEvent, Party
from fincrm.core.crypto import FieldCipher

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def _person(**overrides) -> Party:
    values = dict(
        party_no="C0001", kind=PartyKind.INDIVIDUAL, name="张伟", name_initials="zw", status=PartyStatus.ACTIVE,
        investor_class=InvestorClass.ORDINARY, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    values.update(overrides)
    return Party(**values)


class TestParties:
    def test_national_id_is_encrypted_at_rest(self, session) -> None:
        cipher = FieldCipher(b"k" * 64, "national_id")
        session.add(
            _person(national_id_cipher=cipher.encrypt("11010519491231002X"), national_id_last4="002X")
        )
        session.flush()
        raw = session.execute(
            text("SELECT national_id_cipher FROM parties WHERE party_no = 'C0001'")
        ).scalar_one()
        assert b"19491231" not in bytes(raw)
        assert cipher.decrypt(bytes(raw)) == "11010519491231002X"

    def test_corporate_fields_are_refused_on_individuals(self, session) -> None:
        session.add(_person(uscc="91350100M000100Y43"))
        with pytest.raises(IntegrityError, match="ck_parties_corporate_fields"):
            session.flush()

    def test_individual_fields_are_refused_on_corporates(self, session) -> None:
        session.add(_person(kind=PartyKind.CORPORATE, birth_on=date(1980, 1, 1)))
        with pytest.raises(IntegrityError, match="ck_parties_individual_fields"):
            session.flush()

    def test_client_number_is_unique(self, session) -> None:
        session.add(_person())
        session.flush()
        session.add(_person(name="李娜"))
        with pytest.raises(IntegrityError, match="party_no"):
            session.flush()


class TestTimestamps:
    def test_come_back_timezone_aware_utc(self, session) -> None:
        party = _person()
        session.add(party)
        session.flush()
        session.add(ConsentEvent(
            party_id=party.id, purpose=ConsentPurpose.MARKETING, channel=ConsentChannel.SMS,
            action=ConsentAction.GRANT, effective_at=datetime.fromisoformat("2026-03-01T16:30:00+08:00"),
        ))  # fmt: skip
        session.flush()
        session.expire_all()
        got = session.scalars(select(ConsentEvent.effective_at)).one()
        assert got == datetime(2026, 3, 1, 8, 30, tzinfo=UTC) and got.tzinfo is not None

    def test_naive_datetimes_are_refused(self, session) -> None:
        session.add(_person(created_at=datetime(2026, 3, 1, 8, 30)))
        with pytest.raises(Exception, match="naive datetime"):
            session.flush()


class TestConsentHistory:
    def test_state_at_any_instant(self, session) -> None:
        from fincrm.clients.service import consents_at

        party = _person()
        session.add(party)
        session.flush()
        for when, action in [
            ("2025-01-01T09:00:00+08:00", ConsentAction.GRANT),
            ("2025-06-01T09:00:00+08:00", ConsentAction.WITHDRAW),
        ]:
            session.add(ConsentEvent(
                party_id=party.id, purpose=ConsentPurpose.MARKETING, channel=ConsentChannel.SMS,
                action=action, effective_at=datetime.fromisoformat(when),
            ))  # fmt: skip
        session.flush()
        key = ("marketing", "sms")
        assert consents_at(session, party_no="C0001", at=datetime(2024, 12, 31, tzinfo=UTC)) == {key: False}
        assert consents_at(session, party_no="C0001", at=datetime(2025, 3, 1, tzinfo=UTC)) == {key: True}
        assert consents_at(session, party_no="C0001", at=datetime(2025, 6, 1, 1, tzinfo=UTC)) == {key: False}
