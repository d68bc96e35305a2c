"""Pure rules of cross-department rapid-response cases (跨部门协作工单 / 联合作战): no SQLAlchemy,
FastAPI, I/O or clock.

An RM opens a case for a client's complex need and adds members from research (投研), compliance
(合规) and other RMs. The members write one joint proposal; each *function* represented among the
members (rm, research, compliance) signs it off, and the case is *agreed* when every function has
signed the current version (editing the proposal starts a new version and clears the sign-offs).

SLA: the joint proposal is due ``PROPOSAL_SLA_HOURS`` (24) clock hours after the case was opened;
the case is *breached* when it is not agreed by then (agreed late, or still not agreed at ``now``).
A breached case is escalated to the team lead once (an engagement task).

Attachments: at most ``MAX_ATTACHMENT_BYTES`` (5 MiB) each, of an allowed content type, with the
original file name kept (path separators and control characters removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fincrm.errors import FieldError

KINDS = ("family_trust", "cross_border", "corporate_financing", "succession", "tax_planning", "other")
RM, RESEARCH, COMPLIANCE = "rm", "research", "compliance"
FUNCTIONS = (RM, RESEARCH, COMPLIANCE)
ROLE_FUNCTION = {
    "rm": RM,
    "team_lead": RM,
    "research": RESEARCH,
    "compliance": COMPLIANCE,
}  # staff role -> function

OPEN, AWAITING, AGREED, CLOSED = "open", "awaiting_signoff", "agreed", "closed"
STATUSES = (OPEN, AWAITING, AGREED, CLOSED)
BREACHED = "breached"  # a board column, not a stored status: open or awaiting past the due time
BOARD_COLUMNS = (OPEN, AWAITING, AGREED, BREACHED, CLOSED)

PROPOSAL_SLA_HOURS = 24  # hours from opening to an agreed joint proposal
BREACH_RULE_KEY = "joint_case_breach"  # Task.rule_key of escalation tasks
ESCALATION_DUE_HOURS = 4  # hours a team lead has to act on an escalation task
ESCALATION_PRIORITY = 1  # task priority 1 (highest) .. 5

TITLE_MAX, DESCRIPTION_MAX, TEXT_MAX = 200, 4000, 20000  # characters
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024  # 5 MiB per file
FILE_NAME_MAX = 200  # characters
ALLOWED_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def due_at(opened_at: datetime) -> datetime:
    """When the joint proposal is due: 24 hours after opening.

    >>> from datetime import UTC
    >>> due_at(datetime(2026, 11, 29, 1, tzinfo=UTC)).isoformat()
    '2026-11-30T01:00:00+00:00'
    """
    return opened_at + timedelta(hours=PROPOSAL_SLA_HOURS)


def functions_of(member_functions: Iterable[str]) -> tuple[str, ...]:
    """The functions represented among the members, in display order."""
    present = set(member_functions)
    return tuple(f for f in FUNCTIONS if f in present)


def missing_signoffs(member_functions: Iterable[str], signed: Iterable[str]) -> tuple[str, ...]:
    """The functions still to sign the current proposal.

    >>> missing_signoffs(["rm", "research", "compliance", "rm"], ["research"])
    ('rm', 'compliance')
    """
    done = set(signed)
    return tuple(f for f in functions_of(member_functions) if f not in done)


def status_after_signoff(member_functions: Iterable[str], signed: Iterable[str]) -> str:
    """Agreed when every function among the members has signed, else still awaiting sign-off.

    >>> status_after_signoff(["rm", "research"], ["rm", "research"]), status_after_signoff(["rm", "research"], ["rm"])
    ('agreed', 'awaiting_signoff')
    """
    return AGREED if not missing_signoffs(member_functions, signed) else AWAITING


def is_breached(status: str, due: datetime, now: datetime, agreed_at: datetime | None = None) -> bool:
    """Not agreed by the due time: agreed late, or still open or awaiting sign-off past it.

    >>> from datetime import UTC
    >>> t = datetime(2026, 11, 29, tzinfo=UTC)
    >>> is_breached("open", t, t + timedelta(minutes=1)), is_breached("agreed", t, t + timedelta(days=3), t)
    (True, False)
    """
    if agreed_at is not None:
        return agreed_at > due
    if status in (OPEN, AWAITING):
        return now > due
    return False  # closed without agreement: no longer timed


def board_column(status: str, due: datetime, now: datetime, *, escalated: bool = False) -> str:
    """The board column of a case: open and awaiting cases past their due time (or escalated) go to
    ``breached``.

    >>> from datetime import UTC
    >>> t = datetime(2026, 11, 29, tzinfo=UTC)
    >>> board_column("awaiting_signoff", t, t - timedelta(hours=1)), board_column("open", t, t + timedelta(hours=1))
    ('awaiting_signoff', 'breached')
    """
    if status in (OPEN, AWAITING) and (escalated or now > due):
        return BREACHED
    return status


def minutes_left(due: datetime, now: datetime) -> int:
    """Minutes to the due time (negative when overdue)."""
    return int((due - now).total_seconds() // 60)


def escalation_key(case_id: int) -> str:
    """Idempotency key of a case's escalation task (one per case).

    >>> escalation_key(42)
    'joint_case_breach:42'
    """
    return f"{BREACH_RULE_KEY}:{case_id}"


def clean_file_name(name: str) -> str:
    """The uploaded name without directories, path separators or control characters.

    >>> clean_file_name("C:\\\\docs\\\\信托方案.pdf"), clean_file_name("../../etc/passwd")
    ('信托方案.pdf', 'passwd')
    """
    base = re.split(r"[/\\]", name or "")[-1]
    return _UNSAFE_NAME.sub("_", base).strip(" .")[:FILE_NAME_MAX]


def attachment_problems(file_name: str, content_type: str, size: int) -> list[FieldError]:
    """Every problem with an upload (empty when it may be stored)."""
    problems: list[FieldError] = []
    if not clean_file_name(file_name):
        problems.append(FieldError(("file",), "a file name is needed", file_name))
    if content_type not in ALLOWED_CONTENT_TYPES:
        problems.append(FieldError(("content_type",), "PDF, PNG, JPEG, text, CSV or an Office document",
                                   content_type))  # fmt: skip
    if size <= 0:
        problems.append(FieldError(("file",), "the file is empty", size))
    elif size > MAX_ATTACHMENT_BYTES:
        problems.append(FieldError(("file",), f"at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB", size))
    return problems


def open_problems(*, kind: str, title: str, description: str) -> list[FieldError]:
    problems: list[FieldError] = []
    if kind not in KINDS:
        problems.append(FieldError(("kind",), f"one of {', '.join(KINDS)}", kind))
    if not title.strip() or len(title) > TITLE_MAX:
        problems.append(FieldError(("title",), f"1 to {TITLE_MAX} characters", title[:80]))
    if not description.strip() or len(description) > DESCRIPTION_MAX:
        problems.append(FieldError(("description",), f"1 to {DESCRIPTION_MAX} characters", description[:80]))
    return problems


@dataclass(frozen=True)
class SignoffState:
    functions: tuple[str, ...]  # represented among the members
    signed: tuple[str, ...]  # have signed the current version
    missing: tuple[str, ...]


def signoff_state(member_functions: Iterable[str], signed: Iterable[str]) -> SignoffState:
    member_functions = list(member_functions)
    present = functions_of(member_functions)
    done = tuple(f for f in present if f in set(signed))
    return SignoffState(present, done, missing_signoffs(member_functions, signed))
