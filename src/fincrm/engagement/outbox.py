"""The outbox: messages stored with their cause, delivered by a worker after commit.

States: ``pending`` (waiting for its ``next_attempt_at``) -> ``sent``; a retryable failure puts it
back to ``pending`` with exponential backoff, and after ``MAX_ATTEMPTS`` it is ``dead`` (visible to
compliance and operations with its last error); a permanent failure (bad address) is ``dead`` at
once. ``held`` messages wait for compliance (scan findings) and become ``pending`` or
``rejected``; ``suppressed`` ones were stopped by a guard rail, with the reason, and are final.

Delivery is at-least-once: the worker leases due messages in one short transaction (so two
workers never take the same message), sends them outside any transaction, and records each
outcome in its own transaction. A worker killed between the send and the record leaves the lease
to expire and the message to be sent again; the idempotency key travels with it (e-mail
Message-ID, webhook id) so the receiving side can drop the duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from fincrm.db.uow import unit_of_work
from fincrm.engagement.models import DEAD, PENDING, SENT, OutboxMessage
from fincrm.errors import ExternalServiceError

MAX_ATTEMPTS = 6  # sends tried before a message is dead
BACKOFF_BASE = timedelta(seconds=30)  # wait after the first failure; doubles each time
LEASE = timedelta(minutes=2)  # how long a worker owns a message it is sending
BATCH = 50  # messages leased at once


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> str: ...


class PermanentFailure(Exception):
    """Raised by a sender when retrying cannot help (a refused address, a malformed request)."""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    retrying: int
    dead: int


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed sends: 30 s, 1 min, 2 min, 4 min, ...

    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3)]
    [30, 60, 120]
    """
    return BACKOFF_BASE * (2 ** max(0, attempts - 1))


def lease_due(session: Session, *, now: datetime, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due pending messages for this worker (one transaction): ids, oldest first."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.next_attempt_at <= now,
                (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until <= now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        )
    return ids


def record(session: Session, message_id: int, *, now: datetime, provider_id: str | None, error: str = "",
           permanent: bool = False) -> str:  # fmt: skip
    """Record one send's outcome; returns the new status."""
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    message.lease_until = None
    if provider_id is not None:
        message.status, message.sent_at, message.provider_id, message.last_error = SENT, now, provider_id, ""
    elif permanent or message.attempts >= MAX_ATTEMPTS:
        message.status, message.last_error = DEAD, error[:2000]
        message.reason_code = "permanent_failure" if permanent else "too_many_attempts"
    else:
        message.status, message.last_error = PENDING, error[:2000]
        message.next_attempt_at = now + backoff(message.attempts)
    return message.status


def deliver(
    sessions: sessionmaker[Session], senders: Mapping[str, Sender], *, clock: Callable[[], datetime],
    limit: int = BATCH,
) -> DeliveryReport:  # fmt: skip
    """One round of the worker: lease due messages, send each, record each outcome."""
    with unit_of_work(sessions) as session:
        ids = lease_due(session, now=clock(), limit=limit)
    sent = retrying = dead = 0
    for message_id in ids:
        with unit_of_work(sessions) as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            session.expunge(message)  # a detached copy to send from, outside any transaction
        sender = senders.get(message.channel)
        provider_id: str | None = None
        error, permanent = "", False
        if sender is None:
            error, permanent = f"no sender configured for channel {message.channel!r}", True
        else:
            try:
                provider_id = sender.send(message)
            except PermanentFailure as exc:
                error, permanent = str(exc), True
            except ExternalServiceError as exc:
                error = exc.message
        with unit_of_work(sessions) as session:
            status = record(session, message_id, now=clock(), provider_id=provider_id, error=error,
                            permanent=permanent)  # fmt: skip
        sent += status == SENT
        dead += status == DEAD
        retrying += status == PENDING
    return DeliveryReport(sent, retrying, dead)


def counts(session: Session) -> dict[str, Any]:
    """Messages per status (operations dashboard)."""
    from sqlalchemy import func

    return dict(
        session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
