"""The hash-chained audit trail detects edited, deleted and reordered records and names them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from fincrm.access import audit
from fincrm.access.models import AuditRecord

T0 = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


@pytest.fixture()
def trail(session):
    for i in range(5):
        audit.append(
            session, None, "client.read", at=T0 + timedelta(seconds=i), party_id=100 + i, fields=["phone"]
        )
    session.flush()
    return session


class TestAuditChain:
    def test_an_intact_trail_verifies(self, trail) -> None:
        assert audit.verify_chain(trail) == (5, None)

    def test_an_edited_record_is_named(self, trail) -> None:
        trail.execute(update(AuditRecord).where(AuditRecord.id == 3).values(fields="national_id"))
        trail.expire_all()
        _, broken = audit.verify_chain(trail)
        assert broken.record_id == 3 and "edited" in broken.reason

    def test_a_deleted_record_is_named(self, trail) -> None:
        trail.execute(delete(AuditRecord).where(AuditRecord.id == 2))
        _, broken = audit.verify_chain(trail)
        assert broken.record_id == 2 and "missing" in broken.reason

    def test_a_deleted_tail_is_noticed(self, trail) -> None:
        trail.execute(delete(AuditRecord).where(AuditRecord.id == 5))
        _, broken = audit.verify_chain(trail)
        assert broken.record_id is None and "ends at record 4" in broken.reason

    def test_reordered_records_are_named(self, trail) -> None:
        trail.execute(update(AuditRecord).where(AuditRecord.id == 2).values(id=99))
        trail.execute(update(AuditRecord).where(AuditRecord.id == 3).values(id=2))
        trail.execute(update(AuditRecord).where(AuditRecord.id == 99).values(id=3))
        trail.expire_all()
        _, broken = audit.verify_chain(trail)
        assert broken.record_id == 2

    def test_many_appended_at_once_chain_like_one_by_one(self, trail) -> None:
        """``append_many`` continues the chain exactly as ``append`` would, and the trail verifies."""
        from sqlalchemy import select

        entries = [
            audit.Entry(
                None, "event.ingest", T0 + timedelta(minutes=1, seconds=i), party_id=200 + i, detail=f"e{i}"
            )
            for i in range(3)
        ]
        assert audit.append_many(trail, entries) == 3
        assert audit.append_many(trail, []) == 0
        audit.append(trail, None, "client.read", at=T0 + timedelta(minutes=2), party_id=300)
        trail.flush()
        assert audit.verify_chain(trail) == (9, None)
        rows = trail.scalars(
            select(AuditRecord).where(AuditRecord.id.between(6, 8)).order_by(AuditRecord.id)
        ).all()
        assert [(r.action, r.party_id, r.detail) for r in rows] == [
            ("event.ingest", 200 + i, f"e{i}") for i in range(3)
        ]
        expected = audit.record_hash(id=6, at=entries[0].at, actor_id=None, actor="system", action="event.ingest",
                                     party_id=200, fields="", detail="e0", ip=None, prev_hash=rows[0].prev_hash)  # fmt: skip
        assert rows[0].hash == expected and rows[1].prev_hash == rows[0].hash
