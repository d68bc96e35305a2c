"""Client complaints: intake, assignment, the timeline, first response, resolution with remedy and
compensation, the client's feedback, reopening and closing; SLA escalation to the team lead; complaint
rates per RM and team.

Use cases take the session first and change state in the caller's transaction, audited there; none
commits. An open complaint (open or responded) holds marketing to the client
(``engagement.holds``, source ``complaint``, ref the complaint number), placed on intake and reopen
and lifted on resolution, in the same transaction.

Scope: an RM handles the complaints of their book, a team lead their team's, compliance every
complaint (and may be assigned); research and administrators none (403). A complaint outside the
caller's scope answers 404. SLA targets and the rates' definitions: ``complaints_domain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session, aliased

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import Team, User
from fincrm.access.service import principal_of
from fincrm.cases import complaints_domain as cd
from fincrm.cases.complaints_models import Complaint, ComplaintStep
from fincrm.clients.domain import PartyStatus
from fincrm.clients.models import Coverage, Party
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.engagement import holds
from fincrm.engagement.tasks import insert_task
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied

HANDLERS = (Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE)  # who files, reads and works complaints
ASSIGNABLE = (Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE)  # who a complaint may be assigned to
LIST_LIMIT = 500  # complaints shown at once
HOLD_REASON = ("客户投诉处理中（{no}），暂停营销触达", "Complaint {no} is open: marketing paused")  # (zh, en)
_ASSIGNEE = aliased(User, name="assignee")


def _require_handler(principal: Principal) -> None:
    if principal.role not in HANDLERS:
        raise PermissionDenied("only relationship managers, team leads and compliance handle complaints")


def _step(session: Session, complaint: Complaint, kind: str, *, at: datetime, actor: Principal | None,
          text: str = "") -> None:  # fmt: skip
    session.add(ComplaintStep(complaint_id=complaint.id, kind=kind, at=at, actor_id=actor.user_id if actor else None,
                              text=text))  # fmt: skip


def _place_hold(session: Session, complaint: Complaint, at: datetime) -> None:
    zh, en = HOLD_REASON
    holds.place_hold(session, party_id=complaint.party_id, source=holds.COMPLAINT, ref=complaint.complaint_no,
                     reason_zh=zh.format(no=complaint.complaint_no), reason_en=en.format(no=complaint.complaint_no),
                     at=at)  # fmt: skip


def _may_handle_client(session: Session, user: User, party_id: int) -> bool:
    """Whether ``user`` may be assigned a complaint of the client: compliance always; an RM or team
    lead when the client is in their book (their team's for a lead)."""
    if not user.is_active or str(user.role) not in {r.value for r in ASSIGNABLE}:
        return False
    reader = principal_of(user)
    if reader.role is Role.COMPLIANCE:
        return True
    return session.scalar(select(Party.id).where(Party.id == party_id, readable_parties(reader))) is not None


def _complaint(session: Session, principal: Principal, complaint_no: str, *, lock: bool = False) -> Complaint:
    _require_handler(principal)
    stmt = (
        select(Complaint).join(Party, Party.id == Complaint.party_id)
        .where(Complaint.complaint_no == complaint_no, readable_parties(principal))
    )  # fmt: skip
    found = session.scalars(stmt.with_for_update(of=Complaint) if lock else stmt).one_or_none()
    if found is None:
        raise NotFound(f"no complaint {complaint_no!r} among your clients")
    return found


def file_complaint(
    session: Session, principal: Principal, *, party_no: str, channel: str, category: str, severity: str,
    description: str, now: datetime, received_at: datetime | None = None, ref: str | None = None,
) -> Complaint:  # fmt: skip
    """Record a complaint, number it, assign it (to the filing RM or team lead; a complaint logged by
    compliance to the client's primary RM) and hold marketing to the client; every field problem is
    reported at once.

    ``received_at`` (UTC, default ``now``) starts the SLA clocks; it may lie up to a year back (a
    letter logged late) but not in the future.

    Raises
    ------
    PermissionDenied
        Research and administrators.
    NotFound
        The client is outside the caller's scope.
    InputError
        An unknown channel, category or severity, an empty description, a bad ``received_at``.
    """
    _require_handler(principal)
    received = received_at or now
    problems = cd.intake_problems(channel=channel, category=category, severity=severity, description=description,
                                  received_at=received, now=now)  # fmt: skip
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, readable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    if problems:
        raise InputError("the complaint cannot be filed as given", errors=problems)
    assignee_id = principal.user_id  # an RM or team lead who takes the complaint handles it
    if principal.role is Role.COMPLIANCE and party.primary_rm_id is not None:
        rm = session.get(User, party.primary_rm_id)
        if rm is not None and rm.is_active:
            assignee_id = rm.id  # compliance logs (e.g. a regulator referral); the client's RM handles it
    complaint = Complaint(
        complaint_no=f"new-{uuid4().hex[:16]}", ref=ref, party_id=party.id, channel=channel,
        category=category, severity=severity, description=description.strip(), received_at=received, status=cd.OPEN,
        filed_by_id=principal.user_id, assignee_id=assignee_id, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(complaint)
    session.flush()
    complaint.complaint_no = cd.complaint_number(received.year, complaint.id)
    _step(session, complaint, cd.INTAKE, at=received, actor=principal,
          text=f"{channel} · {category} · {severity}")  # fmt: skip
    assignee = session.get(User, assignee_id)
    _step(
        session, complaint, cd.ASSIGNED, at=now, actor=principal, text=assignee.username if assignee else ""
    )
    _place_hold(session, complaint, now)
    session.flush()
    audit.append(session, principal, "complaint.file", at=now, party_id=party.id,
                 detail=f"{complaint.complaint_no} {category} {severity} via {channel}")  # fmt: skip
    return complaint


def _check_move(complaint: Complaint, step: str) -> None:
    if (why := cd.move_problem(step, complaint.status)) is not None:
        raise InputError(f"complaint {complaint.complaint_no} is {complaint.status}",
                         errors=[FieldError(("status",), why, complaint.status)])  # fmt: skip


def _touch(session: Session, principal: Principal, complaint: Complaint, action: str, now: datetime,
           detail: str) -> Complaint:  # fmt: skip
    complaint.updated_at = now
    session.flush()
    audit.append(session, principal, f"complaint.{action}", at=now, party_id=complaint.party_id,
                 detail=f"{complaint.complaint_no}: {detail}"[:500])  # fmt: skip
    return complaint


def assign(
    session: Session, principal: Principal, complaint_no: str, *, username: str, now: datetime
) -> Complaint:
    """Give the complaint to a staff user who may handle the client: an RM or team lead whose book
    holds the client, or a compliance officer."""
    complaint = _complaint(session, principal, complaint_no, lock=True)
    _check_move(complaint, cd.ASSIGNED)
    target = session.scalars(select(User).where(User.username == username)).one_or_none()
    if target is None or not _may_handle_client(session, target, complaint.party_id):
        raise InputError(f"{username!r} may not handle this client's complaint",
                         errors=[FieldError(("username",), "an active RM or team lead of the client's book, "
                                            "or a compliance officer", username)])  # fmt: skip
    complaint.assignee_id = target.id
    _step(session, complaint, cd.ASSIGNED, at=now, actor=principal, text=target.username)
    return _touch(session, principal, complaint, "assign", now, f"assigned to {target.username}")


def add_note(
    session: Session, principal: Principal, complaint_no: str, *, text: str, now: datetime
) -> Complaint:
    """An internal note on the timeline (any status)."""
    complaint = _complaint(session, principal, complaint_no)
    if problems := cd.text_problems("text", text):
        raise InputError("the note cannot be added", errors=problems)
    _step(session, complaint, cd.NOTE, at=now, actor=principal, text=text.strip())
    return _touch(session, principal, complaint, "note", now, "note added")


def respond(
    session: Session, principal: Principal, complaint_no: str, *, text: str, now: datetime
) -> Complaint:
    """Record the response given to the client; the first one stops the first-response clock."""
    complaint = _complaint(session, principal, complaint_no, lock=True)
    _check_move(complaint, cd.RESPONSE)
    if problems := cd.text_problems("text", text):
        raise InputError("the response cannot be recorded", errors=problems)
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    complaint.status = cd.RESPONDED
    _step(session, complaint, cd.RESPONSE, at=now, actor=principal, text=text.strip())
    return _touch(session, principal, complaint, "respond", now, "response recorded")


def resolve(
    session: Session, principal: Principal, complaint_no: str, *, summary: str, remedy: str = "",
    compensation_amount: str | Decimal | None = None, compensation_currency: str | None = None, now: datetime,
) -> Complaint:  # fmt: skip
    """Resolve the complaint with a summary, the remedy and any compensation (amount with its
    currency), and lift the marketing hold.

    Raises
    ------
    InputError
        The complaint is already resolved or closed, the summary is empty, the compensation is
        negative, has more than 2 decimals or no 3-letter currency.
    """
    complaint = _complaint(session, principal, complaint_no, lock=True)
    _check_move(complaint, cd.RESOLVED_STEP)
    problems = cd.text_problems("summary", summary)
    if len(remedy) > cd.TEXT_MAX:
        problems.append(FieldError(("remedy",), f"at most {cd.TEXT_MAX} characters", remedy[:80]))
    amount, currency, money_problems = cd.parse_compensation(compensation_amount, compensation_currency)
    problems += money_problems
    if problems:
        raise InputError("the complaint cannot be resolved as given", errors=problems)
    complaint.status, complaint.resolved_at = cd.RESOLVED, now
    complaint.first_response_at = complaint.first_response_at or now
    complaint.resolution_summary, complaint.remedy = summary.strip(), remedy.strip()
    complaint.compensation_amount, complaint.compensation_currency = amount, currency
    money = f"; compensation {amount} {currency}" if amount is not None else ""
    _step(session, complaint, cd.RESOLVED_STEP, at=now, actor=principal, text=summary.strip() + money)
    holds.lift_hold(session, source=holds.COMPLAINT, ref=complaint.complaint_no, at=now)
    return _touch(session, principal, complaint, "resolve", now, f"resolved{money}")


def record_feedback(
    session: Session, principal: Principal, complaint_no: str, *, satisfaction: str, score: int, comment: str = "",
    now: datetime,
) -> Complaint:  # fmt: skip
    """The client's view of the handling: satisfied, partly or not satisfied, a 1-5 score, a comment."""
    complaint = _complaint(session, principal, complaint_no)
    _check_move(complaint, cd.FEEDBACK)
    if problems := cd.feedback_problems(satisfaction, score, comment):
        raise InputError("the feedback cannot be recorded as given", errors=problems)
    complaint.feedback_satisfaction, complaint.feedback_score = satisfaction, score
    complaint.feedback_comment, complaint.feedback_at = comment.strip(), now
    _step(session, complaint, cd.FEEDBACK, at=now, actor=principal,
          text=f"{satisfaction} {score}/5" + (f": {comment.strip()}" if comment.strip() else ""))  # fmt: skip
    return _touch(session, principal, complaint, "feedback", now, f"{satisfaction} {score}/5")


def reopen(
    session: Session, principal: Principal, complaint_no: str, *, reason: str, now: datetime
) -> Complaint:
    """Reopen a resolved or closed complaint (the client is not satisfied): marketing is held again.
    The SLA clocks keep their original start, so a reopened complaint is usually late already."""
    complaint = _complaint(session, principal, complaint_no, lock=True)
    _check_move(complaint, cd.REOPENED)
    if problems := cd.text_problems("reason", reason):
        raise InputError("say why the complaint is reopened", errors=problems)
    complaint.status, complaint.resolved_at, complaint.closed_at = cd.RESPONDED, None, None
    _step(session, complaint, cd.REOPENED, at=now, actor=principal, text=reason.strip())
    _place_hold(session, complaint, now)
    return _touch(session, principal, complaint, "reopen", now, "reopened")


def close(session: Session, principal: Principal, complaint_no: str, *, now: datetime) -> Complaint:
    """Close a resolved complaint (after the feedback, or when the client gives none)."""
    complaint = _complaint(session, principal, complaint_no, lock=True)
    _check_move(complaint, cd.CLOSED_STEP)
    complaint.status, complaint.closed_at = cd.CLOSED, now
    _step(session, complaint, cd.CLOSED_STEP, at=now, actor=principal)
    holds.lift_hold(session, source=holds.COMPLAINT, ref=complaint.complaint_no, at=now)
    return _touch(session, principal, complaint, "close", now, "closed")


# ----- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintView:
    complaint: Complaint
    party_no: str
    client_name: str
    assignee: str  # username ('' when unassigned)
    sla: cd.SlaState

    @property
    def in_force(self) -> bool:
        return self.complaint.status in cd.IN_FORCE


@dataclass(frozen=True)
class StepView:
    step: ComplaintStep
    actor: str  # username, or 'system'


@dataclass(frozen=True)
class ComplaintDetail:
    view: ComplaintView
    steps: list[StepView]
    hold_in_force: bool


def _sla(c: Complaint, now: datetime) -> cd.SlaState:
    return cd.sla_state(c.severity, c.received_at, now, first_response_at=c.first_response_at,
                        resolved_at=c.resolved_at)  # fmt: skip


def _views(rows: list, now: datetime) -> list[ComplaintView]:
    return [ComplaintView(c, no, name, assignee or "", _sla(c, now)) for c, no, name, assignee in rows]


def _select(scope: ColumnElement[bool]):  # noqa: ANN202 - a select of (Complaint, party_no, name, assignee)
    return (
        select(Complaint, Party.party_no, Party.name, _ASSIGNEE.username)
        .join(Party, Party.id == Complaint.party_id)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Complaint.assignee_id)
        .where(scope)
    )


def list_complaints(
    session: Session, principal: Principal, *, now: datetime, status: str = "", severity: str = "",
    breached: bool | None = None, party_no: str = "", limit: int = LIST_LIMIT,
) -> list[ComplaintView]:  # fmt: skip
    """The complaints of the caller's scope, open ones first by their nearest due time, then the
    others latest first; ``status`` ``open`` keeps open and responded ones.

    Raises
    ------
    InputError
        An unknown status or severity filter.
    """
    _require_handler(principal)
    problems = []
    if status and status not in (*cd.STATUSES, "in_force"):
        problems.append(FieldError(("status",), f"one of in_force, {', '.join(cd.STATUSES)}", status))
    if severity and severity not in cd.SEVERITIES:
        problems.append(FieldError(("severity",), f"one of {', '.join(cd.SEVERITIES)}", severity))
    if problems:
        raise InputError("unknown complaint filter", errors=problems)
    stmt = _select(readable_parties(principal))
    if status == "in_force":
        stmt = stmt.where(Complaint.status.in_(cd.IN_FORCE))
    elif status:
        stmt = stmt.where(Complaint.status == status)
    if severity:
        stmt = stmt.where(Complaint.severity == severity)
    if party_no:
        stmt = stmt.where(Party.party_no == party_no)
    rows = session.execute(
        stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    ).all()
    views = _views(list(rows), now)
    if breached is not None:
        views = [v for v in views if v.sla.breached == breached]
    live = sorted((v for v in views if v.in_force), key=lambda v: (v.sla.resolution_due_at, v.complaint.id))
    return live + [v for v in views if not v.in_force]


def read_complaint(
    session: Session, principal: Principal, complaint_no: str, *, now: datetime
) -> ComplaintDetail:
    """A complaint with its timeline; the read is audited (it shows the client's complaint)."""
    complaint = _complaint(session, principal, complaint_no)
    row = session.execute(_select(Complaint.id == complaint.id)).one()
    steps = session.execute(
        select(ComplaintStep, User.username).outerjoin(User, User.id == ComplaintStep.actor_id)
        .where(ComplaintStep.complaint_id == complaint.id).order_by(ComplaintStep.at, ComplaintStep.id)
    ).all()  # fmt: skip
    in_force = bool(holds.open_holds(session, [complaint.party_id])) and complaint.status in cd.IN_FORCE
    audit.append(session, principal, "complaint.read", at=now, party_id=complaint.party_id,
                 detail=complaint.complaint_no)  # fmt: skip
    return ComplaintDetail(_views([row], now)[0], [StepView(s, u or "system") for s, u in steps], in_force)


def view_of(session: Session, complaint: Complaint, *, now: datetime) -> ComplaintView:
    """A complaint the caller already holds (just filed or changed), with the names shown."""
    return _views([session.execute(_select(Complaint.id == complaint.id)).one()], now)[0]


def client_complaints(
    session: Session, principal: Principal, party_no: str, *, now: datetime
) -> list[ComplaintView]:
    """The complaints of one client of the caller's scope (NotFound outside it)."""
    _require_handler(principal)
    found = session.scalar(select(Party.id).where(Party.party_no == party_no, readable_parties(principal)))
    if found is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return list_complaints(session, principal, now=now, party_no=party_no)


# ----- rates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRates:
    """Complaints received in ``[start, end)`` (UTC) per RM and per team, outcomes as of ``now``.

    Each row counts complaints of clients in the row's book (the RM's, or the team's RMs'):
    ``received``, ``open`` (not yet resolved), ``breached`` (either SLA target missed),
    ``resolved_within_sla``, ``per_1000`` (received per 1,000 active clients of the book) and
    ``by_category`` (received per category). ``by_team`` is empty for an RM.
    """

    start: datetime
    end: datetime
    by_rm: list[cd.ComplaintRate]  # key: RM username
    by_team: list[cd.ComplaintRate]  # key: team name
    total: cd.ComplaintRate  # key: ''


def complaint_rates(
    session: Session, principal: Principal, *, start: datetime, end: datetime, now: datetime
) -> ComplaintRates:
    """Complaint rates of the caller's scope: an RM their own book, a team lead each RM of the team
    and the team, compliance every RM and team. Used by the complaints page and the team dashboards.

    A book is the active clients whose primary RM the RM is or whom the RM covers (secondary
    coverage), as in ``clients.repository``; a client in two books of a team counts once for the team
    and the total.

    Parameters
    ----------
    start, end
        The period of receipt, UTC, ``start`` included and ``end`` excluded.
    now
        The moment open complaints are judged against their SLA targets.

    Raises
    ------
    PermissionDenied
        Research and administrators.
    InputError
        ``end`` not after ``start``.
    """
    _require_handler(principal)
    if end <= start:
        raise InputError(
            "the period is empty", errors=[FieldError(("end",), "must be after start", end.isoformat())]
        )
    users = select(User.id, User.username, User.team_id).where(
        User.role.in_([Role.RM.value, Role.TEAM_LEAD.value])
    )
    if principal.role is Role.RM:
        users = users.where(User.id == principal.user_id)
    elif principal.role is Role.TEAM_LEAD:
        users = users.where(
            User.team_id == principal.team_id
            if principal.team_id is not None
            else User.id == principal.user_id
        )
    staff = {uid: (name, team_id) for uid, name, team_id in session.execute(users)}
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    ids = list(staff)
    holders = union(
        select(Party.primary_rm_id.label("user_id"), Party.id.label("party_id")).where(Party.primary_rm_id.in_(ids)),
        select(Coverage.user_id.label("user_id"), Coverage.party_id.label("party_id")).where(Coverage.user_id.in_(ids)),
    ).subquery()  # fmt: skip
    active = select(holders.c.user_id, holders.c.party_id).join(Party, Party.id == holders.c.party_id).where(
        Party.status == PartyStatus.ACTIVE).subquery()  # fmt: skip
    rm_books = {staff[uid][0]: n for uid, n in session.execute(
        select(active.c.user_id, func.count(func.distinct(active.c.party_id))).group_by(active.c.user_id))}  # fmt: skip
    rm_books = {name: rm_books.get(name, 0) for name, _ in staff.values()}
    team_books: dict[str, int] = {teams.get(team_id, "-"): 0 for _, team_id in staff.values()}
    for team_id, n in session.execute(
        select(User.team_id, func.count(func.distinct(active.c.party_id)))
        .join(User, User.id == active.c.user_id).group_by(User.team_id)
    ):  # fmt: skip
        team_books[teams.get(team_id, "-")] = n
    total_book = session.scalar(select(func.count(func.distinct(active.c.party_id)))) or 0
    holders_of: dict[int, set[int]] = {}
    found: dict[int, Complaint] = {}
    for uid, c in session.execute(
        select(holders.c.user_id, Complaint).join(Complaint, Complaint.party_id == holders.c.party_id)
        .where(Complaint.received_at >= start, Complaint.received_at < end)
    ):  # fmt: skip
        holders_of.setdefault(c.id, set()).add(uid)
        found[c.id] = c
    rm_facts, team_facts, all_facts = [], [], []
    for cid, c in found.items():
        sla = _sla(c, now)
        args = (c.category, c.status in cd.IN_FORCE, sla.breached,
                cd.resolved_within_sla(c.severity, c.received_at, c.resolved_at))  # fmt: skip
        rm_facts += [cd.ComplaintFact(staff[uid][0], *args) for uid in holders_of[cid]]
        team_facts += [
            cd.ComplaintFact(t, *args) for t in sorted({teams.get(staff[u][1], "-") for u in holders_of[cid]})
        ]
        all_facts.append(cd.ComplaintFact("", *args))
    return ComplaintRates(
        start, end, cd.rates(rm_facts, rm_books),
        cd.rates(team_facts, team_books) if principal.role is not Role.RM else [],
        cd.rates(all_facts, {"": total_book})[0],
    )  # fmt: skip


# ----- escalation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalations:
    looked: int  # open complaints (or cases) looked at
    breaches: int  # breaches found (a complaint may breach both targets)
    made: int  # new escalation tasks
    already: int  # escalated before (the task exists)
    no_lead: int  # breaches with no active team lead to escalate to


def lead_for(session: Session, rm_id: int | None) -> User | None:
    """The active team lead of the RM's team (the first by username), or None."""
    if rm_id is None:
        return None
    team_id = session.scalar(select(User.team_id).where(User.id == rm_id))
    if team_id is None:
        return None
    return session.scalars(
        select(User).where(User.team_id == team_id, User.role == Role.TEAM_LEAD.value, User.is_active.is_(True))
        .order_by(User.username)
    ).first()  # fmt: skip


LABEL_ZH = {cd.RESPONSE: "首次响应", cd.RESOLUTION: "办结"}  # breach kind -> zh
SEVERITY_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}


def escalate_breaches(session: Session, *, now: datetime) -> Escalations:
    """A task for the team lead for each SLA breach of an open complaint, once per complaint and
    breach kind (idempotency key ``complaint_breach:<no>:<kind>``), with an ``escalated`` step on the
    timeline; safe to rerun. The lead is the one of the assignee's team (or of the client's primary RM's
    team when the assignee has none, e.g. compliance)."""
    rows = session.execute(
        select(Complaint, Party).join(Party, Party.id == Complaint.party_id)
        .where(Complaint.status.in_(cd.IN_FORCE)).order_by(Complaint.id)
    ).all()  # fmt: skip
    breaches = made = already = no_lead = 0
    for complaint, party in rows:
        for kind in _sla(complaint, now).breach_kinds:
            breaches += 1
            key = cd.escalation_key(complaint.complaint_no, kind)
            lead = lead_for(session, complaint.assignee_id) or lead_for(session, party.primary_rm_id)
            if lead is None:
                no_lead += 1
                continue
            response_h, resolution_h = cd.SLA_HOURS[complaint.severity]
            due = complaint.received_at + timedelta(
                hours=resolution_h if kind == cd.RESOLUTION else response_h
            )
            task = insert_task(
                session, party=party, assignee_id=lead.id, rule_key=cd.BREACH_RULE_KEY, idempotency_key=key,
                title_zh=f"投诉 {complaint.complaint_no} {LABEL_ZH[kind]}超时（严重程度：{SEVERITY_ZH[complaint.severity]}）",
                title_en=f"Complaint {complaint.complaint_no}: {kind} overdue ({complaint.severity})",
                reason_zh=f"{LABEL_ZH[kind]}时限 {due.isoformat(timespec='minutes')} 已过",
                reason_en=f"the {kind} target {due.isoformat(timespec='minutes')} has passed",
                evidence={"complaint_no": complaint.complaint_no, "breach": kind, "due_at": due,
                          "severity": complaint.severity},
                due_at=now + timedelta(hours=cd.ESCALATION_DUE_HOURS), priority=cd.ESCALATION_PRIORITY, now=now,
            )  # fmt: skip
            if task is None:
                already += 1
                continue
            made += 1
            _step(session, complaint, cd.ESCALATED, at=now, actor=None, text=f"{kind} → {lead.username}")
            audit.append(session, None, "complaint.escalate", at=now, actor="system", party_id=party.id,
                         detail=f"{complaint.complaint_no}: {kind} breach, task {task.id} for {lead.username}")  # fmt: skip
    session.flush()
    return Escalations(len(rows), breaches, made, already, no_lead)


# ----- demo ---------------------------------------------------------------------------------------

DEMO_RM = "rm001"
DEMO_COMPLAINTS = (  # ref, channel, category, severity, hours before now, description, outcome
    ("demo-complaint-open", "phone", "service_attitude", "medium", 3,
     "客户来电反映网点理财经理多次未按约定时间回电，希望更换对接人。", "open"),
    ("demo-complaint-breached", "app", "system_error", "high", 30,
     "客户通过手机银行反映基金定投扣款两次，要求退回重复扣款。", "open"),
    ("demo-complaint-resolved", "branch", "fees", "low", 24 * 9,
     "客户对结构性产品提前赎回费用计算有异议，认为销售时未充分说明。", "resolved"),
)  # fmt: skip


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """Demo complaints in rm001's book: one open within its SLA, one breached (high severity, no
    response for 30 hours), one resolved with compensation and the client's feedback. Safe to rerun
    (each carries a ``ref``). Returns the number made."""
    del settings  # the demo needs no setting; the signature matches the other parts' seeders
    user = session.scalars(select(User).where(User.username == DEMO_RM)).one_or_none()
    if user is None:
        return 0
    me = principal_of(user)
    clients = list(session.scalars(
        select(Party.party_no).where(readable_parties(me), Party.status == PartyStatus.ACTIVE)
        .order_by(Party.party_no).limit(len(DEMO_COMPLAINTS))
    ))  # fmt: skip
    made = 0
    for (ref, channel, category, severity, hours, text, outcome), party_no in zip(DEMO_COMPLAINTS, clients,
                                                                                   strict=False):  # fmt: skip
        if session.scalar(select(Complaint.id).where(Complaint.ref == ref)) is not None:
            continue
        at = now - timedelta(hours=hours)
        c = file_complaint(session, me, party_no=party_no, channel=channel, category=category, severity=severity,
                           description=text, received_at=at, now=at, ref=ref)  # fmt: skip
        made += 1
        if outcome == "resolved":
            respond(session, me, c.complaint_no, text="已致电客户说明费用计算规则，并承诺三个工作日内复核。",
                    now=at + timedelta(hours=20))  # fmt: skip
            resolve(session, me, c.complaint_no, summary="复核发现销售时风险揭示书未载明提前赎回费率，属说明不充分。",
                    remedy="退还提前赎回费用并重新进行风险揭示。", compensation_amount="1280.00",
                    compensation_currency="CNY", now=at + timedelta(days=3))  # fmt: skip
            record_feedback(session, me, c.complaint_no, satisfaction=cd.SATISFIED, score=5,
                            comment="处理及时，感谢。", now=at + timedelta(days=4))  # fmt: skip
    return made
