"""Events in real time as a group commit: a batch of events answers each one in order (new,
replayed, duplicated within the batch, refused), attributes each task to its event, writes one
audit record per new event; the intake groups the events waiting at one moment into one
transaction; a batch that fails as a whole is retried one by one, so only the event at fault fails."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement import intake, service
from fincrm.engagement.models import EngagementEvent, Task
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.web.conftest import NOW


@pytest.fixture(scope="module")
def people(institution):
    with unit_of_work(institution.sessions) as s:
        users = {u.username: principal_of(u) for u in s.scalars(select(User))}
        clients = s.scalars(  # clients with an RM, so their events make tasks
            select(Party.party_no).where(Party.primary_rm_id.is_not(None), Party.kind == "individual")
            .order_by(Party.party_no).limit(12)
        ).all()  # fmt: skip
    return users, list(clients)


def opened(party_no: str, key: str | None = None, **changes) -> service.EventIn:
    fields = {"key": key or f"t-{uuid.uuid4()}", "kind": "account_opened", "party_no": party_no,
              "occurred_at": NOW - timedelta(minutes=5), "payload": {}} | changes  # fmt: skip
    return service.EventIn(**fields)


class TestIngestEvents:
    def test_a_batch_answers_each_event_in_order(self, institution, people) -> None:
        users, clients = people
        admin = users["admin01"]
        earlier = opened(clients[0])
        with unit_of_work(institution.sessions) as s:
            (first,) = service.ingest_events(s, institution.settings, [(admin, earlier)], now=NOW)
        assert not first.duplicate
        new_a, new_b = opened(clients[1]), opened(clients[2])
        batch = [
            (admin, new_a),
            (admin, earlier),  # stored before
            (admin, new_a),  # twice in this batch
            (admin, new_b),
            (admin, opened("NO-SUCH-CLIENT")),
            (admin, opened(clients[3], kind="lottery")),
            (admin, opened(clients[3], kind="large_flow")),  # no amount in its payload
            (users["rm001"], opened(clients[3])),  # not an integration account
        ]
        with unit_of_work(institution.sessions) as s:
            audit_before = s.scalar(select(func.count()).select_from(AuditRecord))
            done = service.ingest_events(s, institution.settings, batch, now=NOW)
        assert len(done) == len(batch)
        a, replay, twice, b, unknown, lottery, no_amount, rm = done
        assert not a.duplicate and not b.duplicate and a.event_id != b.event_id
        assert (replay.duplicate, replay.event_id) == (True, first.event_id)
        assert (twice.duplicate, twice.event_id, twice.applied.tasks) == (True, a.event_id, 0)
        assert isinstance(unknown, NotFound) and "NO-SUCH-CLIENT" in unknown.message
        assert isinstance(lottery, InputError) and lottery.errors[0].loc == ("kind",)
        assert isinstance(no_amount, InputError) and isinstance(rm, PermissionDenied)
        with unit_of_work(institution.sessions) as s:
            for answer in (a, b):
                stored = s.get(EngagementEvent, answer.event_id)
                tasks = s.scalar(
                    select(func.count()).select_from(Task).where(Task.event_id == answer.event_id)
                )
                assert answer.applied.tasks == tasks >= 1  # the welcome call and the visit of week one
                assert stored.hits == answer.applied.hits >= 1
            records = s.scalars(
                select(AuditRecord).where(AuditRecord.id > audit_before).order_by(AuditRecord.id)
            ).all()
        assert [r.action for r in records] == ["event.ingest", "event.ingest"]
        assert f"event {a.event_id} account_opened" in records[0].detail
        assert f"event {b.event_id} account_opened" in records[1].detail


class TestIntake:
    def test_the_events_waiting_at_one_moment_commit_together(self, institution, people) -> None:
        users, clients = people
        events = [opened(no) for no in clients[4:10]]
        grouped = intake.EventIntake(institution.sessions, institution.settings)
        waiting = [intake._Waiting(users["admin01"], e, NOW) for e in events]
        for w in waiting:  # queued before the thread starts: one batch takes them all
            grouped._queue.put(w)
        grouped._start()
        answers = [w.answer.result(timeout=30) for w in waiting]
        assert grouped.batches == 1
        assert all(not a.duplicate and a.applied.tasks >= 1 for a in answers)
        assert len({a.event_id for a in answers}) == len(events)
        # from request threads, as the API calls it; replays answer duplicate with the same ids
        results: dict[int, service.Ingested] = {}

        def post(n: int) -> None:
            results[n] = grouped.submit(users["admin01"], events[n], now=NOW)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(len(events))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert [results[n].event_id for n in range(len(events))] == [a.event_id for a in answers]
        assert all(r.duplicate for r in results.values())
        with pytest.raises(InputError):  # refused before it waits for a batch
            grouped.submit(users["admin01"], opened(clients[0], kind="lottery"), now=NOW)

    def test_two_workers_given_the_same_events_store_each_once(self, institution, people) -> None:
        """Two processes' intakes (two workers) racing on the same keys: each key is stored once, both
        answers carry its id, exactly one of them made it, and its tasks exist once."""
        users, clients = people
        events = [opened(no) for no in clients[:4]] + [opened(clients[0])]  # two of one client
        workers = [intake.EventIntake(institution.sessions, institution.settings) for _ in range(2)]
        answers: dict[tuple[int, int], service.Ingested] = {}
        start = threading.Barrier(len(workers) * len(events))

        def post(w: int, n: int) -> None:
            start.wait(timeout=30)
            answers[(w, n)] = workers[w].submit(users["admin01"], events[n], now=NOW)

        threads = [threading.Thread(target=post, args=(w, n)) for w in range(2) for n in range(len(events))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(answers) == 2 * len(events)
        for n in range(len(events)):
            first, second = answers[(0, n)], answers[(1, n)]
            assert first.event_id == second.event_id and sorted([first.duplicate, second.duplicate]) == [
                False,
                True,
            ]
        with unit_of_work(institution.sessions) as s:
            keys = [e.key for e in events]
            stored = s.scalar(select(func.count()).select_from(EngagementEvent)
                              .where(EngagementEvent.idempotency_key.in_(keys)))  # fmt: skip
            twice = s.execute(
                select(Task.idempotency_key).where(Task.event_id.in_([answers[(0, n)].event_id for n in range(len(events))]))
                .group_by(Task.idempotency_key).having(func.count() > 1)
            ).all()  # fmt: skip
        assert stored == len(events) and twice == []

    def test_a_batch_that_fails_as_a_whole_is_retried_one_by_one(self, institution, people) -> None:
        """A database error on one event (a trigger refusing its key) fails that event alone."""
        users, clients = people
        poison = f"poison-{uuid.uuid4().hex[:8]}"
        with unit_of_work(institution.sessions) as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.idempotency_key = '{poison}' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                ))  # fmt: skip
                s.execute(text("CREATE TRIGGER refuse_poison BEFORE INSERT ON engagement_events "
                               "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"))  # fmt: skip
            else:
                s.execute(text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON engagement_events "
                    f"WHEN NEW.idempotency_key = '{poison}' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
                ))  # fmt: skip
        try:
            grouped = intake.EventIntake(institution.sessions, institution.settings)
            good = [opened(no) for no in clients[10:12]]
            waiting = [
                intake._Waiting(users["admin01"], e, NOW)
                for e in (good[0], opened(clients[3], poison), good[1])
            ]
            for w in waiting:
                grouped._queue.put(w)
            grouped._start()
            with pytest.raises(Exception, match="poisoned"):
                waiting[1].answer.result(timeout=30)
            first, third = waiting[0].answer.result(timeout=30), waiting[2].answer.result(timeout=30)
            assert not first.duplicate and not third.duplicate
            assert grouped.batches == 2  # the whole batch rolled back, then two of three one by one
            with unit_of_work(institution.sessions) as s:
                keys = set(s.scalars(select(EngagementEvent.idempotency_key).where(
                    EngagementEvent.idempotency_key.in_([good[0].key, good[1].key, poison]))))  # fmt: skip
            assert keys == {good[0].key, good[1].key}
        finally:
            with unit_of_work(institution.sessions) as s:
                s.execute(text("DROP TRIGGER IF EXISTS refuse_poison" + (
                    " ON engagement_events" if s.get_bind().dialect.name == "postgresql" else "")))  # fmt: skip
                if s.get_bind().dialect.name == "postgresql":
                    s.execute(text("DROP FUNCTION IF EXISTS refuse_poison()"))
