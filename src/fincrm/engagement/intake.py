"""Events in real time: one group commit per process for ``POST /api/v1/events``.

Each request hands its event to the process's intake and waits. One thread takes every event
waiting at that moment (up to ``MAX_BATCH``), applies them in one transaction
(``service.ingest_events``: one query per kind of fact, bulk inserts, one audit-chain update) and
answers each request after the commit. Under load the batches grow by themselves (what arrives
while a batch commits is the next batch), so throughput rises with the rate instead of every
event paying its own transaction; at a low rate a batch is one event and nothing waits.

Nothing is acknowledged before it is committed, so a process killed at any moment loses no
acknowledged event (the sender retries the others with the same key; replays are duplicates).
If a batch's transaction fails as a whole (a lock timeout, a key race on PostgreSQL), its events
are applied again one by one, so only the event at fault answers with its error.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from fincrm.access.domain import Principal
from fincrm.config import Settings
from fincrm.db.uow import unit_of_work
from fincrm.engagement import service
from fincrm.errors import FincrmError

MAX_BATCH = 256  # events per transaction at most


@dataclass
class _Waiting:
    principal: Principal
    event: service.EventIn
    now: datetime  # UTC, when the request arrived
    answer: Future = field(default_factory=Future)


class EventIntake:
    """The group commit of one process; ``submit`` is called from request threads."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, *, max_batch: int = MAX_BATCH
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._started = False
        self._lock = threading.Lock()
        self.batches = 0  # transactions committed (for the benchmark and tests)

    def submit(self, principal: Principal, event: service.EventIn, *, now: datetime) -> service.Ingested:
        """Apply ``event`` in the next batch and answer once it is committed; raises its error."""
        service.check_event(principal, event)  # refused at once, before it waits for a batch
        waiting = _Waiting(principal, event, now)
        self._start()
        self._queue.put(waiting)
        done = waiting.answer.result()
        if isinstance(done, FincrmError):
            raise done
        return done

    def _start(self) -> None:
        with self._lock:
            if not self._started:
                threading.Thread(target=self._run, name="fincrm-event-intake", daemon=True).start()
                self._started = True

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._apply(batch)
            except Exception:  # noqa: BLE001 - the batch failed as a whole: retry its events one by one
                for waiting in batch:
                    try:
                        self._apply([waiting])
                    except Exception as exc:  # noqa: BLE001 - handed to the request waiting for it
                        waiting.answer.set_exception(exc)

    def _apply(self, batch: list[_Waiting]) -> None:
        with unit_of_work(self._sessions) as session:
            done = service.ingest_events(
                session,
                self._settings,
                [(w.principal, w.event) for w in batch],
                now=max(w.now for w in batch),
            )
        self.batches += 1
        for waiting, answer in zip(batch, done, strict=True):
            waiting.answer.set_result(answer)
