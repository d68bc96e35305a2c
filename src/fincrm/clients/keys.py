"""Rotation of the key that encrypts national ID numbers at rest (``parties.national_id_cipher``).

Rotation runs in batches, each in its own transaction, so pages keep reading while it runs and an
interrupted run resumes where it stopped. A row already under the new key is recognised (it
decrypts with the new key) and skipped, so a rerun changes nothing. Until the operator switches
``FINCRM_PII_KEY`` to the new key, rows moved so far are read with the new key only: run the
rotation in a maintenance window, or switch the setting as soon as it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.clients.models import Party
from fincrm.core.crypto import FieldCipher
from fincrm.errors import FieldError, InputError

NATIONAL_ID_PURPOSE = "national_id"  # associated data binding a ciphertext to its field
ROTATION_BATCH = 1_000  # rows per transaction


@dataclass(frozen=True, slots=True)
class RotationBatch:
    last_id: int  # resume after this party id; unchanged when nothing was left
    rotated: int  # rows re-encrypted under the new key
    skipped: int  # rows already under the new key
    done: bool  # no rows after ``last_id``


def rotate_national_ids(
    session: Session, *, old_key: bytes, new_key: bytes, after_id: int = 0, batch: int = ROTATION_BATCH,
    now: datetime | None = None,
) -> RotationBatch:  # fmt: skip
    """Re-encrypt the next ``batch`` national ID numbers (party id > ``after_id``) under ``new_key``.

    Parameters
    ----------
    old_key, new_key
        64-byte AES-SIV keys: the current one and the one replacing it.
    after_id
        Party id after which to continue (0 at the start).
    now
        When given, one audit record (``pii_key.rotate``) describes the batch.

    Raises
    ------
    InputError
        The keys are equal, or a row decrypts with neither key (all such client numbers listed;
        the batch changes nothing).
    """
    if old_key == new_key:
        raise InputError("the new key is the current key; generate one with `fincrm keys generate`")
    old, new = FieldCipher(old_key, NATIONAL_ID_PURPOSE), FieldCipher(new_key, NATIONAL_ID_PURPOSE)
    parties = session.scalars(
        select(Party)
        .where(Party.id > after_id, Party.national_id_cipher.is_not(None))
        .order_by(Party.id)
        .limit(batch)
    ).all()
    if not parties:
        return RotationBatch(after_id, 0, 0, True)
    rotated = skipped = 0
    problems: list[FieldError] = []
    for party in parties:
        try:
            new.decrypt(party.national_id_cipher)
            skipped += 1
            continue
        except ValueError:
            pass
        try:
            plain = old.decrypt(party.national_id_cipher)
        except ValueError:
            problems.append(FieldError(("national_id", party.party_no), "decrypts with neither key", None))
            continue
        party.national_id_cipher = new.encrypt(plain)
        rotated += 1
    if problems:
        raise InputError(
            f"{len(problems)} national ID number(s) decrypt with neither the current nor the new key",
            errors=problems,
        )
    if now is not None and rotated:
        audit.append(
            session, None, "pii_key.rotate", at=now, actor="cli", fields=["national_id"],
            detail=f"parties {parties[0].id}..{parties[-1].id}: {rotated} rotated, {skipped} already new",
        )  # fmt: skip
    session.flush()
    return RotationBatch(parties[-1].id, rotated, skipped, len(parties) < batch)
