"""One transaction per use case.

The entry point (CLI command, request handler) opens ``unit_of_work``; services receive the
session, never commit, and the whole use case commits at the end or rolls back on any exception.
Callbacks registered with ``on_commit`` (mail, file swaps) run only after a successful commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

_AFTER_COMMIT_KEY = "fincrm_after_commit"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the unit of work around ``session`` commits; never if it rolls back."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        session.info.pop(_AFTER_COMMIT_KEY, None)
        raise
    finally:
        session.close()
    for callback in session.info.pop(_AFTER_COMMIT_KEY, []):
        callback()
