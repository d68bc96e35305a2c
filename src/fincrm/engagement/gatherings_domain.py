"""Pure rules of key-person coverage and client events: no SQLAlchemy, FastAPI, I/O or clock.

Key-person coverage: a corporate client has a decision layer (chairman, decision maker;
决策层) and an operating layer (CFO, operator; 操作层). Each layer is *covered* when one of its
people was contacted recently, *due* when the last contact is about to be too old, and a *gap*
when it is too old, never happened, or nobody holds the role. Thresholds are in days
(``DECISION_MAKER_DAYS``, ``OPERATOR_DAYS``); ``DUE_SOON_DAYS`` is the warning window before them.
Days are counted between calendar dates in the institution's time zone.

Client events: a salon, forum or closed-door meeting with a capacity; invitations carry an RSVP
(pending, accepted, declined) and, after the event starts, whether the guest attended.
Attendance rate = attended / accepted (the guests who said yes and came).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# ----- key-person coverage --------------------------------------------------------------------

DECISION, OPERATING = "decision", "operating"  # the two layers, in display order
LAYERS = (DECISION, OPERATING)
LAYER_KINDS = {  # relationship kinds (clients.domain.RelationshipKind values) of each layer
    DECISION: ("chairman", "decision_maker"),
    OPERATING: ("cfo", "operator"),
}
LAYER_OF = {kind: layer for layer, kinds in LAYER_KINDS.items() for kind in kinds}
DECISION_MAKER_DAYS = 90  # days: a decision maker not contacted for longer is a gap
OPERATOR_DAYS = 30  # days: an operator not contacted for longer is a gap
THRESHOLD_DAYS = {DECISION: DECISION_MAKER_DAYS, OPERATING: OPERATOR_DAYS}
DUE_SOON_DAYS = {DECISION: 14, OPERATING: 7}  # days before the threshold when a contact falls due
COVERED, DUE, GAP = "covered", "due", "gap"
LAYER_LABELS = {DECISION: ("决策层", "decision maker"), OPERATING: ("操作层", "operator")}  # (zh, en)
GAP_RULE_KEY = "coverage_gap"  # Task.rule_key of gap tasks
GAP_PRIORITY = {DECISION: 2, OPERATING: 3}  # task priority 1 (highest) .. 5
GAP_TASK_DUE_DAYS = 7  # days an RM has to close a gap task


@dataclass(frozen=True)
class KeyPersonContact:
    """One key person of a company and the day they were last contacted (None: never)."""

    party_no: str
    name: str
    kind: str  # chairman | decision_maker | cfo | operator
    last_contact_on: date | None


@dataclass(frozen=True)
class LayerCoverage:
    layer: str
    status: str  # covered | due | gap
    people: tuple[KeyPersonContact, ...]  # most recently contacted first
    last_contact_on: date | None  # the latest contact with anyone of the layer
    days_since: int | None  # None when never contacted or nobody holds the role
    threshold_days: int

    @property
    def missing(self) -> bool:
        """Nobody holds the role at the company."""
        return not self.people


def layer_status(days_since: int | None, layer: str, *, has_people: bool = True) -> str:
    """Covered, due or gap for a layer whose last contact was ``days_since`` days ago.

    Examples
    --------
    >>> [layer_status(d, "operating") for d in (0, 22, 23, 30, 31, None)]
    ['covered', 'covered', 'due', 'due', 'gap', 'gap']
    >>> layer_status(5, "decision", has_people=False)
    'gap'
    """
    if layer not in THRESHOLD_DAYS:
        raise ValueError(f"unknown layer {layer!r}: one of {', '.join(LAYERS)}")
    if not has_people or days_since is None:
        return GAP
    limit = THRESHOLD_DAYS[layer]
    if days_since > limit:
        return GAP
    return DUE if days_since >= limit - DUE_SOON_DAYS[layer] else COVERED


def assess_layer(layer: str, people: Iterable[KeyPersonContact], on: date) -> LayerCoverage:
    """The coverage of one layer on ``on``: the most recent contact with any of its people counts."""
    ordered = tuple(sorted(people, key=lambda p: (p.last_contact_on is None, -(p.last_contact_on or on).toordinal(),
                                                  p.party_no)))  # fmt: skip
    last = max((p.last_contact_on for p in ordered if p.last_contact_on is not None), default=None)
    days = (on - last).days if last is not None else None
    if days is not None and days < 0:
        days = 0  # a contact dated later the same day in another zone is not in the future
    return LayerCoverage(layer, layer_status(days, layer, has_people=bool(ordered)), ordered, last, days,
                         THRESHOLD_DAYS[layer])  # fmt: skip


def assess_company(people: Iterable[KeyPersonContact], on: date) -> dict[str, LayerCoverage]:
    """Both layers of a company from its key persons (people of other kinds are ignored)."""
    by_layer: dict[str, list[KeyPersonContact]] = {layer: [] for layer in LAYERS}
    for p in people:
        if p.kind in LAYER_OF:
            by_layer[LAYER_OF[p.kind]].append(p)
    return {layer: assess_layer(layer, by_layer[layer], on) for layer in LAYERS}


def fully_covered(layers: dict[str, LayerCoverage]) -> bool:
    """Both layers have a recent enough contact (due still counts: it is not late yet)."""
    return all(c.status != GAP for c in layers.values())


def iso_week(on: date) -> str:
    """The ISO week of a day, e.g. ``2026-W48``.

    Examples
    --------
    >>> iso_week(date(2026, 11, 29)), iso_week(date(2027, 1, 1))
    ('2026-W48', '2026-W53')
    """
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


def gap_task_key(company_no: str, layer: str, on: date) -> str:
    """Idempotency key of a gap task: one per company, layer and ISO week, so reruns add nothing.

    >>> gap_task_key("C0000123", "decision", date(2026, 11, 29))
    'coverage_gap:C0000123:decision:2026-W48'
    """
    return f"{GAP_RULE_KEY}:{company_no}:{layer}:{iso_week(on)}"


def gap_task_titles(company_name: str, cov: LayerCoverage) -> tuple[str, str]:
    """(zh, en) title of the task that closes a gap."""
    zh, en = LAYER_LABELS[cov.layer]
    if cov.missing:
        return (f"补充{company_name}的{zh}关键人并建立联系", f"Find and meet {company_name}'s {en}")
    if cov.days_since is None:
        return (f"联系{company_name}的{zh}（从未联系）", f"Contact {company_name}'s {en} (never contacted)")
    return (f"联系{company_name}的{zh}（已 {cov.days_since} 天未联系）",
            f"Contact {company_name}'s {en} ({cov.days_since} days since the last contact)")  # fmt: skip


@dataclass(frozen=True)
class CoverageShare:
    key: str  # the RM's username or the team's code
    companies: int
    covered: int  # both layers not a gap
    decision_gaps: int
    operating_gaps: int

    @property
    def share(self) -> float | None:
        """Fraction (0..1) of companies with both layers covered; None without companies."""
        return self.covered / self.companies if self.companies else None


def coverage_shares(rows: Iterable[tuple[str, dict[str, LayerCoverage]]]) -> list[CoverageShare]:
    """Per key (RM or team): companies, fully covered ones, and the gaps of each layer."""
    acc: dict[str, list[int]] = {}
    for key, layers in rows:
        a = acc.setdefault(key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += fully_covered(layers)
        a[2] += layers[DECISION].status == GAP
        a[3] += layers[OPERATING].status == GAP
    return [CoverageShare(k, *v) for k, v in sorted(acc.items())]


# ----- client events ----------------------------------------------------------------------------

EVENT_KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")  # e.g. tax_salon, capital_forum
EVENT_KIND_LABELS = {  # the kinds the default rules and the strategy meetings use: (zh, en)
    "tax_salon": ("税务沙龙", "Tax salon"),
    "capital_forum": ("资本论坛", "Capital forum"),
    "strategy_meeting": ("闭门策略会", "Closed-door strategy meeting"),
    "client_salon": ("客户沙龙", "Client salon"),
}
PLANNED, OPEN, CLOSED = "planned", "open", "closed"
EVENT_STATUSES = (PLANNED, OPEN, CLOSED)
STATUS_MOVES = {PLANNED: (OPEN, CLOSED), OPEN: (CLOSED,), CLOSED: ()}  # closed is final
PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
RSVPS = (PENDING, ACCEPTED, DECLINED)
MAX_CAPACITY = 10_000  # seats
TITLE_MAX, VENUE_MAX, AUDIENCE_MAX = 200, 200, 500  # characters

# Audience presets for invitation suggestions: key persons of a layer, or individual clients of a tier.
AUDIENCES = {
    "operators": ("key persons", OPERATING),
    "decision_makers": ("key persons", DECISION),
    "tier:hnw": ("tier", "hnw"),
    "tier:mass": ("tier", "mass"),
    "tier:long_tail": ("tier", "long_tail"),
}
DEFAULT_AUDIENCE = {
    "tax_salon": "operators",
    "capital_forum": "decision_makers",
    "strategy_meeting": "tier:hnw",
}


def event_kind_problem(kind: str) -> str | None:
    """Why a kind is not acceptable, or None."""
    return (
        None if EVENT_KIND_PATTERN.match(kind or "") else "2 to 32 of a-z, 0-9 and _, starting with a letter"
    )


def status_move_problem(current: str, new: str) -> str | None:
    """Why an event may not move from ``current`` to ``new`` (planned -> open -> closed), or None.

    >>> status_move_problem("planned", "open") is None, status_move_problem("closed", "open")
    (True, 'closed cannot become open')
    """
    if new not in EVENT_STATUSES:
        return f"one of {', '.join(EVENT_STATUSES)}"
    if new == current:
        return None
    return None if new in STATUS_MOVES[current] else f"{current} cannot become {new}"


def seats_left(capacity: int, accepted: int) -> int:
    """Seats still free: never negative."""
    return max(capacity - accepted, 0)


@dataclass(frozen=True)
class Attendance:
    invited: int
    pending: int
    accepted: int
    declined: int
    attended: int
    no_show: int  # accepted, recorded as not attended

    @property
    def rate(self) -> float | None:
        """Attended over accepted (0..1); None before anyone accepted."""
        return self.attended / self.accepted if self.accepted else None


def attendance(invitations: Sequence[tuple[str, bool | None]]) -> Attendance:
    """Counts over (rsvp, attended) pairs of an event's invitations.

    >>> a = attendance([("accepted", True), ("accepted", False), ("declined", None), ("pending", None)])
    >>> (a.invited, a.accepted, a.declined, a.attended, a.no_show, a.rate)
    (4, 2, 1, 1, 1, 0.5)
    """
    rsvp = [r for r, _ in invitations]
    return Attendance(
        invited=len(invitations), pending=rsvp.count(PENDING), accepted=rsvp.count(ACCEPTED),
        declined=rsvp.count(DECLINED), attended=sum(1 for r, a in invitations if a is True and r == ACCEPTED),
        no_show=sum(1 for r, a in invitations if a is False and r == ACCEPTED),
    )  # fmt: skip
