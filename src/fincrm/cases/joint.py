"""Cross-department rapid-response cases: an RM opens a case for a client's complex need, adds
research, compliance and other RMs; the members comment, share attachments, write one joint
proposal and sign it off function by function within 24 hours; a breach escalates to the team lead.

Use cases take the session first and change state in the caller's transaction, audited there; none
commits.

Scope: a case is visible to its members, and to the RMs and team leads whose book (team) holds the
client, and to compliance (who reads every client). Members outside the client's book (research,
compliance, an RM of another team) see the client only through the case: a limited, masked summary
(``ClientSummary``); every read of a case by such a member is audited. The client's own pages keep
answering 404 to them (``clients.repository`` is unchanged). Administrators see no case (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.cases import joint_domain as jd
from fincrm.cases.complaints import Escalations, lead_for
from fincrm.cases.joint_models import JointAttachment, JointCase, JointComment, JointMember, JointSignoff
from fincrm.clients.domain import PartyStatus
from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.clients.repository import changeable_parties, readable_parties
from fincrm.config import Settings
from fincrm.core.pii import mask_name
from fincrm.engagement.tasks import MAX_ID, insert_task
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied

OPENERS = (Role.RM, Role.TEAM_LEAD)  # who opens a case (for a client of their book)
READERS = (Role.RM, Role.TEAM_LEAD, Role.RESEARCH, Role.COMPLIANCE)
MEMBER_ROLES = tuple(Role(r) for r in jd.ROLE_FUNCTION)  # who may be added as a member
BOOK_ROLES = (Role.RM, Role.TEAM_LEAD)  # roles with a book of clients


def _require_reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise PermissionDenied("your role takes no part in cross-department cases")


def _is_member(principal: Principal) -> ColumnElement[bool]:
    return exists().where(JointMember.case_id == JointCase.id, JointMember.user_id == principal.user_id)


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The cases the principal may read: their own (member), those of clients in their book or team,
    every case for compliance."""
    if principal.role is Role.COMPLIANCE:
        return true()
    if principal.role in BOOK_ROLES:
        in_book = exists().where(Party.id == JointCase.party_id, readable_parties(principal))
        return or_(_is_member(principal), in_book)
    if principal.role is Role.RESEARCH:
        return _is_member(principal)
    return false()


def _case(session: Session, principal: Principal, case_id: int, *, lock: bool = False) -> JointCase:
    _require_reader(principal)
    if not 1 <= case_id <= MAX_ID:
        raise NotFound(f"no case {case_id}")
    stmt = select(JointCase).where(JointCase.id == case_id, _visible(principal))
    found = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if found is None:
        raise NotFound(f"no case {case_id} among yours")
    return found


def _membership(session: Session, case: JointCase, principal: Principal) -> JointMember | None:
    return session.scalars(
        select(JointMember).where(JointMember.case_id == case.id, JointMember.user_id == principal.user_id)
    ).one_or_none()


def _in_book(session: Session, case: JointCase, principal: Principal) -> bool:
    """The client is in the principal's own book (or team's): they may read the client anyway."""
    if principal.role not in BOOK_ROLES:
        return False
    return (
        session.scalar(select(Party.id).where(Party.id == case.party_id, readable_parties(principal)))
        is not None
    )


def _require_worker(session: Session, case: JointCase, principal: Principal) -> JointMember | None:
    """Members, and the team lead of the client's book, work on a case (comment, attach, propose)."""
    member = _membership(session, case, principal)
    if member is None and not (principal.role is Role.TEAM_LEAD and _in_book(session, case, principal)):
        raise PermissionDenied("only the case's members and the team lead work on it")
    return member


def _require_not_closed(case: JointCase) -> None:
    if case.status == jd.CLOSED:
        raise InputError(f"case {case.id} is closed", errors=[FieldError(("status",), "closed", case.status)])


def _audit(
    session: Session, principal: Principal, action: str, case: JointCase, now: datetime, detail: str
) -> None:
    audit.append(session, principal, f"case.{action}", at=now, party_id=case.party_id,
                 detail=f"case {case.id}: {detail}"[:500])  # fmt: skip


def open_case(
    session: Session, principal: Principal, *, party_no: str, kind: str, title: str, description: str, now: datetime,
    ref: str | None = None,
) -> JointCase:  # fmt: skip
    """Open a case for a client of the caller's book; the caller becomes its first member (rm) and the
    joint proposal falls due 24 hours later.

    Raises
    ------
    PermissionDenied
        A role other than RM or team lead.
    NotFound
        The client is outside the caller's book.
    InputError
        Unknown kind, empty or too long title or description.
    """
    if principal.role not in OPENERS:
        raise PermissionDenied("only relationship managers and team leads open cases")
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, changeable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    if problems := jd.open_problems(kind=kind, title=title, description=description):
        raise InputError("the case cannot be opened as given", errors=problems)
    case = JointCase(
        ref=ref, party_id=party.id, kind=kind, title=title.strip(), description=description.strip(), status=jd.OPEN,
        opened_by_id=principal.user_id, opened_at=now, due_at=jd.due_at(now), proposal_text="", proposal_version=0,
        updated_at=now,
    )  # fmt: skip
    session.add(case)
    session.flush()
    session.add(JointMember(case_id=case.id, user_id=principal.user_id, function=jd.RM,
                            added_by_id=principal.user_id, added_at=now))  # fmt: skip
    session.flush()
    _audit(session, principal, "open", case, now, f"{kind}: {title.strip()[:100]}")
    return case


def add_member(
    session: Session, principal: Principal, case_id: int, *, username: str, now: datetime
) -> JointMember:
    """Add a staff member (research, compliance, another RM or team lead): the case's RM members and
    the team lead add people. The member signs for their role's function.

    Raises
    ------
    InputError
        No active staff user of that name, or one of a role that takes no part (administrators).
    Conflict
        Already a member.
    """
    case = _case(session, principal, case_id, lock=True)
    member = _require_worker(session, case, principal)
    if member is not None and member.function != jd.RM:
        raise PermissionDenied("only the case's RMs and the team lead add members")
    _require_not_closed(case)
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active or str(user.role) not in jd.ROLE_FUNCTION:
        raise InputError(f"{username!r} cannot join a case",
                         errors=[FieldError(("username",), "an active RM, team lead, research analyst or "
                                            "compliance officer", username)])  # fmt: skip
    if session.scalar(select(JointMember.id).where(JointMember.case_id == case.id,
                                                   JointMember.user_id == user.id)) is not None:  # fmt: skip
        raise Conflict(f"{username} is already a member", errors=[FieldError(("username",), "already a member",
                                                                             username)])  # fmt: skip
    added = JointMember(case_id=case.id, user_id=user.id, function=jd.ROLE_FUNCTION[str(user.role)],
                        added_by_id=principal.user_id, added_at=now)  # fmt: skip
    session.add(added)
    session.flush()
    _recompute(session, case, now)
    case.updated_at = now
    _audit(session, principal, "member", case, now, f"{username} added as {added.function}")
    return added


def add_comment(
    session: Session, principal: Principal, case_id: int, *, text: str, now: datetime
) -> JointComment:
    case = _case(session, principal, case_id)
    _require_worker(session, case, principal)
    _require_not_closed(case)
    if not text.strip() or len(text) > jd.TEXT_MAX:
        raise InputError("the comment cannot be added",
                         errors=[FieldError(("text",), f"1 to {jd.TEXT_MAX} characters", text[:80])])  # fmt: skip
    comment = JointComment(case_id=case.id, author_id=principal.user_id, at=now, text=text.strip())
    session.add(comment)
    case.updated_at = now
    session.flush()
    _audit(session, principal, "comment", case, now, f"comment {comment.id}")
    return comment


def add_attachment(
    session: Session, principal: Principal, case_id: int, *, file_name: str, content_type: str, data: bytes,
    now: datetime,
) -> JointAttachment:  # fmt: skip
    """Store a file on the case (bytes in the store): at most 5 MiB, of an allowed content type.

    Raises
    ------
    InputError
        Empty, too large, of a content type not allowed, or without a usable name.
    """
    case = _case(session, principal, case_id)
    _require_worker(session, case, principal)
    _require_not_closed(case)
    content_type = (content_type or "").split(";")[0].strip().lower()
    if problems := jd.attachment_problems(file_name, content_type, len(data)):
        raise InputError("the file cannot be attached", errors=problems)
    attachment = JointAttachment(
        case_id=case.id, uploaded_by_id=principal.user_id, at=now, file_name=jd.clean_file_name(file_name),
        content_type=content_type, size_bytes=len(data), data=data,
    )  # fmt: skip
    session.add(attachment)
    case.updated_at = now
    session.flush()
    _audit(session, principal, "attach", case, now, f"attachment {attachment.id} {attachment.file_name} "
                                                    f"({attachment.size_bytes} bytes)")  # fmt: skip
    return attachment


def read_attachment(
    session: Session, principal: Principal, case_id: int, attachment_id: int, *, now: datetime
) -> JointAttachment:
    """An attachment's bytes for whoever may read the case; audited (a file about the client)."""
    case = _case(session, principal, case_id)
    found = None
    if 1 <= attachment_id <= MAX_ID:
        found = session.scalars(
            select(JointAttachment).where(
                JointAttachment.id == attachment_id, JointAttachment.case_id == case.id
            )
        ).one_or_none()
    if found is None:
        raise NotFound(f"no attachment {attachment_id} on case {case_id}")
    _audit(session, principal, "download", case, now, f"attachment {found.id} {found.file_name}")
    return found


def _signed(session: Session, case: JointCase) -> list[str]:
    return list(session.scalars(
        select(JointSignoff.function).where(JointSignoff.case_id == case.id,
                                            JointSignoff.proposal_version == case.proposal_version)
    ))  # fmt: skip


def _functions(session: Session, case: JointCase) -> list[str]:
    return list(session.scalars(select(JointMember.function).where(JointMember.case_id == case.id)))


def _recompute(session: Session, case: JointCase, now: datetime) -> None:
    """After a member joins: an agreed case with a newly represented function awaits its sign-off."""
    if case.status in (jd.AWAITING, jd.AGREED) and case.proposal_version:
        status = jd.status_after_signoff(_functions(session, case), _signed(session, case))
        if status != case.status:
            case.status = status
            case.agreed_at = now if status == jd.AGREED else None


def set_proposal(
    session: Session, principal: Principal, case_id: int, *, text: str, now: datetime
) -> JointCase:
    """Write (or rewrite) the joint proposal: a new version, whose sign-offs start afresh."""
    case = _case(session, principal, case_id, lock=True)
    _require_worker(session, case, principal)
    _require_not_closed(case)
    if not text.strip() or len(text) > jd.TEXT_MAX:
        raise InputError("the proposal cannot be saved",
                         errors=[FieldError(("text",), f"1 to {jd.TEXT_MAX} characters", text[:80])])  # fmt: skip
    case.proposal_text, case.proposal_version, case.proposal_at = text.strip(), case.proposal_version + 1, now
    case.status, case.agreed_at, case.updated_at = jd.AWAITING, None, now
    session.flush()
    _audit(session, principal, "proposal", case, now, f"proposal version {case.proposal_version}")
    return case


def sign_off(session: Session, principal: Principal, case_id: int, *, now: datetime) -> JointCase:
    """Sign the current proposal for the caller's function; the case is agreed once every function
    among the members has signed.

    Raises
    ------
    PermissionDenied
        The caller is not a member.
    InputError
        No proposal yet, or the case is closed.
    Conflict
        The caller's function has already signed this version.
    """
    case = _case(session, principal, case_id, lock=True)
    member = _membership(session, case, principal)
    if member is None:
        raise PermissionDenied("only the case's members sign off its proposal")
    _require_not_closed(case)
    if case.proposal_version == 0:
        raise InputError("there is no proposal to sign yet",
                         errors=[FieldError(("proposal",), "write the joint proposal first", None)])  # fmt: skip
    signed = _signed(session, case)
    if member.function in signed:
        raise Conflict(f"{member.function} has already signed version {case.proposal_version}",
                       errors=[FieldError(("function",), "already signed", member.function)])  # fmt: skip
    session.add(JointSignoff(case_id=case.id, proposal_version=case.proposal_version, function=member.function,
                             user_id=principal.user_id, at=now))  # fmt: skip
    session.flush()
    case.status = jd.status_after_signoff(_functions(session, case), [*signed, member.function])
    case.agreed_at = now if case.status == jd.AGREED else None
    case.updated_at = now
    _audit(session, principal, "signoff", case, now,
           f"{member.function} signed version {case.proposal_version} -> {case.status}")  # fmt: skip
    return case


def close_case(session: Session, principal: Principal, case_id: int, *, now: datetime) -> JointCase:
    """Close the case (its RM members or the team lead), agreed or not."""
    case = _case(session, principal, case_id, lock=True)
    member = _require_worker(session, case, principal)
    if member is not None and member.function != jd.RM:
        raise PermissionDenied("only the case's RMs and the team lead close it")
    _require_not_closed(case)
    before = case.status
    case.status, case.closed_at, case.updated_at = jd.CLOSED, now, now
    _audit(session, principal, "close", case, now, f"{before} -> closed")
    return case


# ----- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSummary:
    """What a case shows of its client: masked name, tier, AUM and the need; nothing else."""

    party_no: str
    masked_name: str
    kind: str  # individual | corporate
    tier: str | None  # hnw | mass | long_tail (None before the first nightly batch)
    aum_amount: Decimal | None  # reporting currency
    effective_risk: str | None  # C1..C5


@dataclass(frozen=True)
class MemberView:
    username: str
    display_name: str
    function: str


@dataclass(frozen=True)
class CaseCard:
    case: JointCase
    client: ClientSummary
    opener: str
    column: str  # joint_domain.BOARD_COLUMNS
    minutes_left: int
    breached: bool
    members: int


@dataclass(frozen=True)
class CaseDetail:
    card: CaseCard
    members: list[MemberView]
    comments: list[tuple[JointComment, str]]  # (comment, author username)
    attachments: list[tuple[int, str, str, int, datetime, str]]  # (id, name, type, bytes, at, uploader)
    signoff: jd.SignoffState
    me_member: str | None  # the caller's function, None when not a member
    may_work: bool  # comment, attach, propose
    may_manage: bool  # add members, close


def _summaries(session: Session, party_ids: list[int]) -> dict[int, ClientSummary]:
    if not party_ids:
        return {}
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    profiles: dict[int, tuple[str, Decimal, str | None]] = {}
    if version is not None:
        for pid, tier, aum, risk in session.execute(
            select(ClientProfile.party_id, ClientProfile.tier, ClientProfile.aum_amount, ClientProfile.effective_risk)
            .where(ClientProfile.version_id == version, ClientProfile.party_id.in_(party_ids))
        ):  # fmt: skip
            profiles[pid] = (tier, aum, risk)
    out = {}
    for pid, no, name, kind in session.execute(
        select(Party.id, Party.party_no, Party.name, Party.kind).where(Party.id.in_(party_ids))
    ):
        tier, aum, risk = profiles.get(pid, (None, None, None))
        out[pid] = ClientSummary(no, mask_name(name), str(kind), tier, aum, risk)
    return out


def _cards(session: Session, cases: list[JointCase], now: datetime) -> list[CaseCard]:
    summaries = _summaries(session, sorted({c.party_id for c in cases}))
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({c.opened_by_id for c in cases}))).all()) if cases else {}  # fmt: skip
    counts: dict[int, int] = {}
    for case_id in session.scalars(
        select(JointMember.case_id).where(JointMember.case_id.in_([c.id for c in cases]))
    ):
        counts[case_id] = counts.get(case_id, 0) + 1
    return [
        CaseCard(c, summaries[c.party_id], names.get(c.opened_by_id, ""),
                 jd.board_column(c.status, c.due_at, now, escalated=c.escalated_at is not None),
                 jd.minutes_left(c.due_at, now), jd.is_breached(c.status, c.due_at, now, c.agreed_at), counts.get(c.id, 0))
        for c in cases
    ]  # fmt: skip


def board(session: Session, principal: Principal, *, now: datetime) -> dict[str, list[CaseCard]]:
    """The caller's cases by board column (open, awaiting sign-off, agreed, breached, closed), each
    column soonest due first; closed ones latest first."""
    _require_reader(principal)
    cases = list(
        session.scalars(select(JointCase).where(_visible(principal)).order_by(JointCase.due_at, JointCase.id))
    )
    columns: dict[str, list[CaseCard]] = {c: [] for c in jd.BOARD_COLUMNS}
    for card in _cards(session, cases, now):
        columns[card.column].append(card)
    columns[jd.CLOSED].sort(key=lambda c: c.case.closed_at or c.case.updated_at, reverse=True)
    return columns


def read_case(session: Session, principal: Principal, case_id: int, *, now: datetime) -> CaseDetail:
    """A case with its client summary, members, comments, attachments and sign-offs. A read by
    someone outside the client's book (research, compliance, an RM of another team) is audited."""
    case = _case(session, principal, case_id)
    card = _cards(session, [case], now)[0]
    members = [MemberView(u, d, f) for u, d, f in session.execute(
        select(User.username, User.display_name, JointMember.function).join(User, User.id == JointMember.user_id)
        .where(JointMember.case_id == case.id).order_by(JointMember.added_at, JointMember.id))]  # fmt: skip
    comments = [(c, u) for c, u in session.execute(
        select(JointComment, User.username).join(User, User.id == JointComment.author_id)
        .where(JointComment.case_id == case.id).order_by(JointComment.at, JointComment.id))]  # fmt: skip
    attachments = [tuple(r) for r in session.execute(
        select(JointAttachment.id, JointAttachment.file_name, JointAttachment.content_type, JointAttachment.size_bytes,
               JointAttachment.at, User.username)
        .join(User, User.id == JointAttachment.uploaded_by_id)
        .where(JointAttachment.case_id == case.id).order_by(JointAttachment.at, JointAttachment.id))]  # fmt: skip
    member = _membership(session, case, principal)
    in_book = _in_book(session, case, principal)
    lead = principal.role is Role.TEAM_LEAD and in_book
    if not in_book:
        _audit(session, principal, "read", case, now, "read by a member outside the client's book")
    return CaseDetail(
        card, members, comments, attachments, jd.signoff_state(_functions(session, case), _signed(session, case)),
        member.function if member else None, member is not None or lead,
        (member is not None and member.function == jd.RM) or lead,
    )  # fmt: skip


# ----- escalation ---------------------------------------------------------------------------------


def escalate_breaches(session: Session, *, now: datetime) -> Escalations:
    """A task for the team lead of the opener's team for each case not agreed by its due time, once
    per case (idempotency key ``joint_case_breach:<id>``); safe to rerun."""
    rows = session.execute(
        select(JointCase, Party).join(Party, Party.id == JointCase.party_id)
        .where(JointCase.status.in_((jd.OPEN, jd.AWAITING)), JointCase.due_at < now).order_by(JointCase.id)
    ).all()  # fmt: skip
    made = already = no_lead = 0
    for case, party in rows:
        lead = lead_for(session, case.opened_by_id)
        if lead is None:
            no_lead += 1
            continue
        task = insert_task(
            session, party=party, assignee_id=lead.id, rule_key=jd.BREACH_RULE_KEY,
            idempotency_key=jd.escalation_key(case.id),
            title_zh=f"跨部门协作工单 #{case.id}「{case.title}」联合方案超过 24 小时未完成会签",
            title_en=f"Cross-department case #{case.id} '{case.title}': joint proposal not agreed within 24 hours",
            reason_zh=f"截止时间 {case.due_at.isoformat(timespec='minutes')} 已过",
            reason_en=f"due {case.due_at.isoformat(timespec='minutes')}",
            evidence={"case_id": case.id, "status": case.status, "due_at": case.due_at},
            due_at=now + timedelta(hours=jd.ESCALATION_DUE_HOURS), priority=jd.ESCALATION_PRIORITY, now=now,
        )  # fmt: skip
        if task is None:
            already += 1
            continue
        made += 1
        case.escalated_at = now
        audit.append(session, None, "case.escalate", at=now, actor="system", party_id=party.id,
                     detail=f"case {case.id}: not agreed by {case.due_at.isoformat()}, task {task.id} for {lead.username}")  # fmt: skip
    session.flush()
    return Escalations(len(rows), len(rows), made, already, no_lead)


# ----- demo ---------------------------------------------------------------------------------------

DEMO_REF = "demo-joint-case"


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """One family-trust case of a client of rm001's, opened six hours ago with research01 and
    compliance01 as members, a joint proposal written and signed by research. Safe to rerun (the case
    carries a ``ref``). Returns the number of cases made (0 or 1)."""
    del settings  # the demo needs no setting; the signature matches the other parts' seeders
    if session.scalar(select(JointCase.id).where(JointCase.ref == DEMO_REF)) is not None:
        return 0
    users = {u.username: u for u in session.scalars(
        select(User).where(User.username.in_(("rm001", "research01", "compliance01")), User.is_active.is_(True)))}  # fmt: skip
    if len(users) < 3:
        return 0
    rm, research = principal_of(users["rm001"]), principal_of(users["research01"])
    party_no = session.scalars(
        select(Party.party_no).where(changeable_parties(rm), Party.status == PartyStatus.ACTIVE)
        .order_by(Party.party_no.desc())
    ).first()  # fmt: skip
    if party_no is None:
        return 0
    at = now - timedelta(hours=6)
    case = open_case(session, rm, party_no=party_no, kind="family_trust", title="家族信托与子女教育金安排",
                     description="客户计划设立家族信托，兼顾两名子女海外留学教育金与资产隔离，需要投研给出信托资产配置建议、"
                                 "合规确认信托架构与适当性要求。", now=at, ref=DEMO_REF)  # fmt: skip
    add_member(session, rm, case.id, username="research01", now=at + timedelta(minutes=10))
    add_member(session, rm, case.id, username="compliance01", now=at + timedelta(minutes=12))
    add_comment(session, research, case.id, text="建议信托资产以固收+为主，权益仓位不超过 30%，预留 3 年教育金流动性。",
                now=at + timedelta(hours=2))  # fmt: skip
    set_proposal(session, rm, case.id, text="一、设立 3000 万元家族信托，受益人为配偶及两名子女；二、信托资产配置：固收类 60%、"
                 "权益类 25%、现金管理 15%；三、每年分配教育金，首年 80 万元；四、合规：完成合格投资者认定与风险揭示。",
                 now=at + timedelta(hours=3))  # fmt: skip
    sign_off(session, research, case.id, now=at + timedelta(hours=4))
    return 1
