"""Reports for a list of clients (e.g. every birthday next week), on one or several processes.

Each client is one unit of work: the report is built and rendered in a read-only transaction
(on SQLite it never queues for the write lock, so workers render in parallel), then stored and
audited in a short transaction of its own. A client whose report cannot be made (no holdings,
no prices) is reported with the reason and the others go on; stopping the batch at any moment
loses nothing already stored, and a rerun replaces the same day's reports rather than adding
copies.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.config import Settings
from fincrm.db.engine import engine_from_settings, read_only, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.errors import FincrmError, InputError
from fincrm.reports import service


@dataclass(frozen=True)
class Job:
    username: str
    kind: str
    as_of: date
    lang: str
    subject: str = ""


@dataclass(frozen=True)
class Outcome:
    party_no: str
    report_id: int | None  # None: not made
    pages: int = 0
    seconds: float = 0.0  # wall time of this client's report
    error: str = ""


def _principal(session: Session, username: str):  # noqa: ANN202 - Principal
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active:
        raise InputError(f"no active staff user {username!r}")
    return principal_of(user, ip="batch")


def make_one(sessions: sessionmaker[Session], settings: Settings, job: Job, party_no: str) -> Outcome:
    """One client's report: render (read-only), then store (its own transaction)."""
    import time

    started = time.perf_counter()
    now = datetime.now(UTC)
    try:
        with unit_of_work(sessions) as session:
            read_only(session)
            me = _principal(session, job.username)
            rendered = service.render_report(
                session, me, settings, kind=job.kind, party_no=party_no, as_of=job.as_of, lang=job.lang,
                now=now, subject=job.subject,
            )  # fmt: skip
        with unit_of_work(sessions) as session:
            report = service.store_report(session, _principal(session, job.username), rendered, now=now)
            report_id = report.id
    except FincrmError as exc:
        return Outcome(party_no, None, error=exc.message, seconds=time.perf_counter() - started)
    return Outcome(party_no, report_id, rendered.pages, time.perf_counter() - started)


_WORKER: tuple[sessionmaker[Session], Settings] | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER
    _WORKER = (session_factory(engine_from_settings(settings)), settings)


def _work(args: tuple[Job, str]) -> Outcome:
    assert _WORKER is not None, "worker not initialised"
    sessions, settings = _WORKER
    return make_one(sessions, settings, *args)


def run(
    settings: Settings,
    sessions: sessionmaker[Session],
    job: Job,
    party_nos: list[str],
    *,
    workers: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Outcome]:
    """Make ``job``'s report for every client in ``party_nos``; outcomes in the same order.

    Parameters
    ----------
    workers
        Processes rendering at once (1: in this process). Each worker opens its own connection.
    progress
        Called as ``progress("reports", done, total)`` after each client.
    """
    if workers < 1:
        raise InputError("--workers must be at least 1")
    outcomes: list[Outcome] = []
    total = len(party_nos)
    for done, outcome in enumerate(_outcomes(settings, sessions, job, party_nos, workers), start=1):
        outcomes.append(outcome)
        if progress is not None:
            progress("reports", done, total)
    return outcomes


def _outcomes(
    settings: Settings, sessions: sessionmaker[Session], job: Job, party_nos: list[str], workers: int
) -> Iterator[Outcome]:
    if workers == 1 or len(party_nos) < 2:
        for no in party_nos:
            yield make_one(sessions, settings, job, no)
        return
    # spawn, not fork: the parent may hold database connections and library threads
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=_init_worker, initargs=(settings,)
    ) as pool:
        yield from pool.imap(_work, [(job, no) for no in party_nos], chunksize=4)
