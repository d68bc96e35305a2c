"""The audit trail: append-only records chained by SHA-256.

Each record's ``hash`` covers its own content and the previous record's hash, so editing,
deleting or reordering any record breaks the chain from that point; ``verify_chain`` names the
first record that does not fit. Records are written in the caller's transaction, so an audited
change and its record commit or roll back together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fincrm.access.domain import Principal
from fincrm.access.models import AuditHead, AuditRecord

GENESIS = "0" * 64


def record_hash(
    *, id: int, at: datetime, actor_id: int | None, actor: str, action: str, party_id: int | None,
    fields: str, detail: str, ip: str | None, prev_hash: str,
) -> str:  # fmt: skip
    payload = json.dumps(
        [id, at.isoformat(timespec="microseconds"), actor_id, actor, action, party_id, fields, detail, ip, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    session: Session,
    principal: Principal | None,
    action: str,
    *,
    at: datetime,
    party_id: int | None = None,
    fields: Iterable[str] = (),
    detail: str = "",
    actor: str | None = None,
) -> AuditRecord:
    """Append one record to the chain inside the caller's transaction; returns it (not attached).

    ``principal`` None means the system itself (batch, CLI), named by ``actor``.
    """
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_id=AuditHead.last_id + 1)
        .returning(AuditHead.last_id, AuditHead.last_hash)
    ).one()
    new_id, prev = int(head.last_id), head.last_hash
    values = dict(
        id=new_id, at=at, actor_id=principal.user_id if principal else None,
        actor=principal.username if principal else (actor or "system"), action=action, party_id=party_id,
        fields=",".join(sorted(set(fields))), detail=detail, ip=principal.ip if principal else None, prev_hash=prev,
    )  # fmt: skip
    values["hash"] = record_hash(**values)
    # Core statements, not the unit of work: an audited read pays for three short statements only.
    session.execute(insert(AuditRecord).values(**values))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=values["hash"]))
    return AuditRecord(**values)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record for ``append_many``: who, what, about which client (as ``append`` takes them)."""

    principal: Principal | None
    action: str
    at: datetime
    party_id: int | None = None
    detail: str = ""
    fields: tuple[str, ...] = ()
    actor: str | None = None


def append_many(session: Session, entries: list[Entry]) -> int:
    """Append several records to the chain with one head update and one bulk insert; the same
    records, in the same order, as that many ``append`` calls. Returns how many were written.

    A batch of events pays three statements for all its records instead of three each, and holds
    the chain's head (a row lock on PostgreSQL) once.
    """
    if not entries:
        return 0
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_id=AuditHead.last_id + len(entries))
        .returning(AuditHead.last_id, AuditHead.last_hash)
    ).one()
    first_id, prev = int(head.last_id) - len(entries) + 1, head.last_hash
    rows = []
    for offset, e in enumerate(entries):
        p = e.principal
        values = dict(
            id=first_id + offset, at=e.at, actor_id=p.user_id if p else None,
            actor=p.username if p else (e.actor or "system"), action=e.action, party_id=e.party_id,
            fields=",".join(sorted(set(e.fields))), detail=e.detail, ip=p.ip if p else None, prev_hash=prev,
        )  # fmt: skip
        values["hash"] = prev = record_hash(**values)
        rows.append(values)
    session.execute(insert(AuditRecord), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    return len(rows)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    record_id: int | None  # the first record that does not fit (None: the tip does not match)
    reason: str


def verify_chain(session: Session, *, batch: int = 10_000) -> tuple[int, ChainBreak | None]:
    """Walk the whole trail; return (records checked, the first break or None)."""
    expected_id, prev = 1, GENESIS
    last_id = 0
    checked = 0
    while True:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
        ).all()
        if not rows:
            break
        for r in rows:
            checked += 1
            if r.id != expected_id:
                return checked, ChainBreak(expected_id, f"record {expected_id} is missing (next is {r.id})")
            if r.prev_hash != prev:
                return checked, ChainBreak(r.id, f"record {r.id} does not follow record {r.id - 1}")
            values = dict(
                id=r.id, at=r.at, actor_id=r.actor_id, actor=r.actor, action=r.action, party_id=r.party_id,
                fields=r.fields, detail=r.detail, ip=r.ip, prev_hash=r.prev_hash,
            )  # fmt: skip
            if record_hash(**values) != r.hash:
                return checked, ChainBreak(r.id, f"record {r.id} was edited after it was written")
            prev, expected_id, last_id = r.hash, r.id + 1, r.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != last_id or head.last_hash != prev):
        return checked, ChainBreak(
            None, f"the trail ends at record {last_id} but {head.last_id} were written"
        )
    return checked, None
