"""Roles of staff users. Pure: no persistence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    RM = "rm"  # relationship manager: owns a book of clients
    TEAM_LEAD = "team_lead"  # sees the books of the team's RMs
    RESEARCH = "research"  # sees a client only through a case shared with them
    COMPLIANCE = "compliance"  # reads everything, changes only compliance objects
    ADMIN = "admin"  # manages users and assignments, reads no client personal data


# Roles that may read a client's personal data at all (subject to book scope for RMs and leads).
READS_CLIENT_DATA = frozenset({Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE, Role.RESEARCH})
# Roles that may change client records in their scope (memory points, interactions, ...).
CHANGES_CLIENT_DATA = frozenset({Role.RM, Role.TEAM_LEAD})
# Roles that may reveal an unmasked national ID or phone number (always audited).
MAY_REVEAL_PII = frozenset({Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE})

MAX_FAILED_LOGINS = 5  # failed attempts before the account locks
LOCKOUT_SECONDS = 15 * 60  # how long a locked account stays locked
SESSION_SECONDS = 8 * 3600  # a working day; the session ends then even without logout


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a signed-in staff user or an API token acting as one."""

    user_id: int
    username: str
    display_name: str
    role: Role
    team_id: int | None
    locale: str | None = None
    ip: str | None = None
    via_token: bool = False

    @property
    def reads_client_data(self) -> bool:
        return self.role in READS_CLIENT_DATA

    @property
    def changes_client_data(self) -> bool:
        return self.role in CHANGES_CLIENT_DATA

    @property
    def may_reveal_pii(self) -> bool:
        return self.role in MAY_REVEAL_PII


def backoff_seconds(failed_logins: int) -> int:
    """Delay the next login attempt grows with failures: 0, 0, 1, 2, 4, 8 ... seconds, capped at 30.

    Examples
    --------
    >>> [backoff_seconds(n) for n in range(7)]
    [0, 0, 1, 2, 4, 8, 16]
    """
    return 0 if failed_logins < 2 else min(30, 2 ** (failed_logins - 2))
