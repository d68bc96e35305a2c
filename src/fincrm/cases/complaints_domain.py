"""Pure rules of client complaints (客户投诉): no SQLAlchemy, FastAPI, I/O or clock.

A complaint is received (``received_at``, UTC), answered (first response) and resolved; each
severity has two service-level targets in hours, counted in elapsed clock hours from
``received_at`` (not business hours):

=========  ==============  ==========
severity   first response  resolution
=========  ==============  ==========
critical   2               24
high       4               72
medium     24              168 (7 days)
low        48              360 (15 days)
=========  ==============  ==========

Source: the institution's internal complaint-handling standard as modelled for the demo bank
(the tiers follow the common practice of Chinese retail banks: the most serious cases answered
within hours and settled within a day). The regulatory ceiling is the *Measures for Handling
Consumer Complaints in the Banking and Insurance Sectors* (银行业保险业消费投诉处理管理办法,
CBIRC Order 2020 No. 3): a decision within 15 days of receipt, so no target here exceeds 360
hours. A target is *breached* when the step happened after its due time, or has not happened
and ``now`` is past it.

Complaint rates are counts per RM or team over a period; ``per_1000`` is complaints received per
1,000 clients of the book (active clients whose primary RM is the RM).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from fincrm.errors import FieldError

# ----- vocabularies -----------------------------------------------------------------------------

CHANNELS = ("branch", "phone", "app", "wecom", "email", "letter", "regulator_referral")
CATEGORIES = ("mis_selling", "service_attitude", "fees", "system_error", "disclosure", "other")
SEVERITIES = ("low", "medium", "high", "critical")

OPEN, RESPONDED, RESOLVED, CLOSED = "open", "responded", "resolved", "closed"
STATUSES = (OPEN, RESPONDED, RESOLVED, CLOSED)
IN_FORCE = (OPEN, RESPONDED)  # statuses during which marketing to the client is held

# timeline steps, in the order they usually happen
INTAKE, ASSIGNED, NOTE, RESPONSE, ESCALATED = "intake", "assigned", "note", "response", "escalated"
RESOLVED_STEP, FEEDBACK, REOPENED, CLOSED_STEP = "resolved", "feedback", "reopened", "closed"
TIMELINE_KINDS = (INTAKE, ASSIGNED, NOTE, RESPONSE, ESCALATED, RESOLVED_STEP, FEEDBACK, REOPENED, CLOSED_STEP)

SATISFIED, PARTLY, NOT_SATISFIED = "satisfied", "partly", "not_satisfied"
SATISFACTION = (SATISFIED, PARTLY, NOT_SATISFIED)
SCORE_MIN, SCORE_MAX = 1, 5  # the client's score of the handling

# SLA targets in hours from receipt: (first response, resolution); see the module docstring
SLA_HOURS: dict[str, tuple[int, int]] = {
    "critical": (2, 24),
    "high": (4, 72),
    "medium": (24, 168),
    "low": (48, 360),
}
REGULATORY_RESOLUTION_HOURS = 360  # 15 days (CBIRC Order 2020 No. 3): no target may exceed it

RESPONSE, RESOLUTION = "response", "resolution"  # the two SLA kinds (breach kinds of an escalation)
BREACH_RULE_KEY = "complaint_breach"  # Task.rule_key of escalation tasks
ESCALATION_DUE_HOURS = 4  # hours a team lead has to act on an escalation task
ESCALATION_PRIORITY = 1  # task priority 1 (highest) .. 5

DESCRIPTION_MAX, TEXT_MAX = 4000, 4000  # characters
NUMBER_PATTERN = re.compile(r"^TS-\d{4}-\d{6,}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_COMPENSATION = Decimal("100000000")  # CNY 100 million: above it is a typing error


def complaint_number(year: int, serial: int) -> str:
    """The complaint number shown to staff and the client: ``TS-<year>-<serial, 6 digits>``.

    >>> complaint_number(2026, 123)
    'TS-2026-000123'
    """
    return f"TS-{year:04d}-{serial:06d}"


# ----- SLA ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaState:
    """Where a complaint stands against its two targets at ``now``.

    ``*_minutes_left`` is None once the step is done, negative when overdue.
    """

    response_due_at: datetime
    resolution_due_at: datetime
    response_minutes_left: int | None
    resolution_minutes_left: int | None
    response_breached: bool
    resolution_breached: bool

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached

    @property
    def breach_kinds(self) -> tuple[str, ...]:
        return tuple(
            k for k, b in ((RESPONSE, self.response_breached), (RESOLUTION, self.resolution_breached)) if b
        )


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def sla_state(
    severity: str,
    received_at: datetime,
    now: datetime,
    *,
    first_response_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> SlaState:
    """The due times and breach flags of a complaint (resolution also answers it).

    Examples
    --------
    >>> from datetime import UTC
    >>> t0 = datetime(2026, 11, 2, 1, tzinfo=UTC)
    >>> s = sla_state("high", t0, t0 + timedelta(hours=5))
    >>> s.response_breached, s.response_minutes_left, s.resolution_minutes_left
    (True, -60, 4020)
    >>> s = sla_state("high", t0, t0 + timedelta(days=9), first_response_at=t0 + timedelta(hours=1),
    ...               resolved_at=t0 + timedelta(hours=70))
    >>> s.breached, s.resolution_minutes_left
    (False, None)
    """
    if severity not in SLA_HOURS:
        raise ValueError(f"unknown severity {severity!r}: one of {', '.join(SEVERITIES)}")
    response_h, resolution_h = SLA_HOURS[severity]
    response_due = received_at + timedelta(hours=response_h)
    resolution_due = received_at + timedelta(hours=resolution_h)
    answered = first_response_at or resolved_at
    if answered is not None and resolved_at is not None:
        answered = min(answered, resolved_at)
    return SlaState(
        response_due_at=response_due,
        resolution_due_at=resolution_due,
        response_minutes_left=None if answered else _minutes(response_due - now),
        resolution_minutes_left=None if resolved_at else _minutes(resolution_due - now),
        response_breached=(answered or now) > response_due,
        resolution_breached=(resolved_at or now) > resolution_due,
    )


def resolved_within_sla(severity: str, received_at: datetime, resolved_at: datetime | None) -> bool:
    """Resolved, and at or before the resolution target."""
    if resolved_at is None:
        return False
    return resolved_at <= received_at + timedelta(hours=SLA_HOURS[severity][1])


def escalation_key(complaint_no: str, kind: str) -> str:
    """Idempotency key of the escalation task of one breach: one per complaint and breach kind.

    >>> escalation_key("TS-2026-000123", "response")
    'complaint_breach:TS-2026-000123:response'
    """
    if kind not in (RESPONSE, RESOLUTION):
        raise ValueError(f"unknown breach kind {kind!r}")
    return f"{BREACH_RULE_KEY}:{complaint_no}:{kind}"


# ----- moves and input ---------------------------------------------------------------------------

MOVES: dict[str, tuple[str, ...]] = {  # step -> statuses it may happen in
    ASSIGNED: (OPEN, RESPONDED),
    NOTE: STATUSES,
    RESPONSE: (OPEN, RESPONDED),
    RESOLVED_STEP: (OPEN, RESPONDED),
    FEEDBACK: (RESOLVED, CLOSED),
    REOPENED: (RESOLVED, CLOSED),
    CLOSED_STEP: (RESOLVED,),
}


def move_problem(step: str, status: str) -> str | None:
    """Why ``step`` may not happen to a complaint in ``status``, or None.

    >>> move_problem("resolved", "open") is None, move_problem("closed", "open")
    (True, 'a open complaint cannot be closed; resolve it first')
    """
    allowed = MOVES[step]
    if status in allowed:
        return None
    if step == CLOSED_STEP:
        return f"a {status} complaint cannot be closed; resolve it first"
    return f"not possible on a {status} complaint (only when {' or '.join(allowed)})"


def _choice(problems: list[FieldError], name: str, value: str, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        problems.append(FieldError((name,), f"one of {', '.join(choices)}", value))


def _text(problems: list[FieldError], name: str, value: str, limit: int, *, required: bool = True) -> None:
    if required and not value.strip():
        problems.append(FieldError((name,), "must not be empty", value))
    elif len(value) > limit:
        problems.append(FieldError((name,), f"at most {limit} characters", value[:80]))


def intake_problems(
    *, channel: str, category: str, severity: str, description: str, received_at: datetime, now: datetime
) -> list[FieldError]:
    """Every problem with a new complaint's fields (empty when it can be filed)."""
    problems: list[FieldError] = []
    _choice(problems, "channel", channel, CHANNELS)
    _choice(problems, "category", category, CATEGORIES)
    _choice(problems, "severity", severity, SEVERITIES)
    _text(problems, "description", description, DESCRIPTION_MAX)
    if received_at.tzinfo is None:
        problems.append(FieldError(("received_at",), "needs a timezone offset", received_at.isoformat()))
    elif received_at > now + timedelta(minutes=5):
        problems.append(FieldError(("received_at",), "must not be in the future", received_at.isoformat()))
    elif received_at < now - timedelta(days=365):
        problems.append(FieldError(("received_at",), "at most one year ago", received_at.isoformat()))
    return problems


def text_problems(name: str, value: str, *, limit: int = TEXT_MAX) -> list[FieldError]:
    problems: list[FieldError] = []
    _text(problems, name, value, limit)
    return problems


def parse_compensation(amount: str | Decimal | None, currency: str | None) -> tuple[Decimal | None, str | None, list[FieldError]]:  # fmt: skip
    """The compensation of a resolution as (amount, currency, problems): none, or a non-negative
    amount in a 3-letter currency with at most 2 decimals.

    >>> parse_compensation("1200.50", "CNY")[:2]
    (Decimal('1200.50'), 'CNY')
    >>> parse_compensation("", "")[:2]
    (None, None)
    >>> [e.msg for e in parse_compensation("-1", "cny")[2]]
    ['0 or more', 'a 3-letter currency code like CNY']
    """
    problems: list[FieldError] = []
    text = "" if amount is None else str(amount).strip()
    if not text:
        return None, None, problems
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(FieldError(("compensation_amount",), "a number like 1200.50", text))
        value = None
    if value is not None:
        if not value.is_finite() or value < 0:
            problems.append(FieldError(("compensation_amount",), "0 or more", text))
        elif value > MAX_COMPENSATION:
            problems.append(FieldError(("compensation_amount",), f"at most {MAX_COMPENSATION}", text))
        elif value != value.quantize(Decimal("0.01")):
            problems.append(FieldError(("compensation_amount",), "at most 2 decimals", text))
    code = (currency or "").strip()
    if not CURRENCY_PATTERN.match(code):
        problems.append(FieldError(("compensation_currency",), "a 3-letter currency code like CNY", currency))
    return (
        (value.quantize(Decimal("0.01")) if value is not None and not problems else None),
        (code if not problems else None),
        problems,
    )


def feedback_problems(satisfaction: str, score: int, comment: str) -> list[FieldError]:
    problems: list[FieldError] = []
    _choice(problems, "satisfaction", satisfaction, SATISFACTION)
    if not SCORE_MIN <= score <= SCORE_MAX:
        problems.append(FieldError(("score",), f"{SCORE_MIN} to {SCORE_MAX}", score))
    _text(problems, "comment", comment, TEXT_MAX, required=False)
    return problems


# ----- rates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFact:
    """One complaint as the rates see it."""

    key: str  # the RM's username or the team's name the complaint counts for
    category: str
    open: bool  # not yet resolved
    breached: bool  # either target breached as of the rates' ``now``
    resolved_within_sla: bool


@dataclass(frozen=True)
class ComplaintRate:
    """Complaints received in a period for one RM or team, and their outcome as of ``now``.

    ``per_1000`` is received per 1,000 clients of the book (None for an empty book);
    ``within_sla_share`` is resolved within the resolution target over received (0..1).
    """

    key: str
    clients: int  # active clients in the book
    received: int
    open: int
    breached: int
    resolved_within_sla: int
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def per_1000(self) -> float | None:
        return self.received * 1000 / self.clients if self.clients else None

    @property
    def within_sla_share(self) -> float | None:
        return self.resolved_within_sla / self.received if self.received else None


def rates(facts: Iterable[ComplaintFact], book_sizes: dict[str, int]) -> list[ComplaintRate]:
    """Per key: counts over ``facts``; every key of ``book_sizes`` appears, with zeros when it had none.

    >>> r = rates([ComplaintFact("rm001", "fees", True, True, False),
    ...            ComplaintFact("rm001", "fees", False, False, True)], {"rm001": 400, "rm002": 10})
    >>> [(x.key, x.received, x.open, x.breached, x.resolved_within_sla, x.per_1000, x.by_category) for x in r]
    [('rm001', 2, 1, 1, 1, 5.0, {'fees': 2}), ('rm002', 0, 0, 0, 0, 0.0, {})]
    """
    acc: dict[str, list[int]] = {k: [0, 0, 0, 0] for k in book_sizes}
    cats: dict[str, dict[str, int]] = {k: {} for k in book_sizes}
    for f in facts:
        a = acc.setdefault(f.key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += f.open
        a[2] += f.breached
        a[3] += f.resolved_within_sla
        c = cats.setdefault(f.key, {})
        c[f.category] = c.get(f.category, 0) + 1
    return [
        ComplaintRate(k, book_sizes.get(k, 0), *v, by_category=dict(sorted(cats[k].items())))
        for k, v in sorted(acc.items())
    ]
