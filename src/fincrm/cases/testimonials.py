"""Client testimonials (客户见证): record a story with the client's consent, use it in the content
library or in a message to a client, withdraw it, and sweep the uses of expired stories.

Each function takes the session (and the acting principal) first and changes state in the caller's
transaction, audited there; none commits.

Who does what
-------------
* RMs and team leads record, use and withdraw the stories of the clients of their book; compliance
  reads every story and may withdraw one (a client may ask anyone); research and administrators
  see none. A story outside the caller's scope answers NotFound.
* Only a story that is active (not withdrawn), unexpired on today's date (``expires_on`` is the
  last day of use) and whose consent scope covers the use may be used (``testimonials_domain``).

Where a story goes, and what a withdrawal (or an expiry sweep) undoes, in the same transaction
----------------------------------------------------------------------------------------------
* Content pieces of the library (``fincrm.engagement.community``): a use creates a piece through
  ``community.add_piece`` with the story as its body, or adds the story's block to an existing
  piece's body (after the compliance scan). Revoking takes that exact block out of ``body_zh`` and
  ``body_en`` of every piece that carries it.
* Outbox messages: a use sends the story to a client of the book as a marketing message (scanned
  and guarded like every message). Revoking cancels every message of the story's uses that is still
  ``pending`` or ``held`` (status ``suppressed``, reason code ``testimonial_withdrawn`` or
  ``testimonial_expired``), and any other pending or held message whose text quotes the story. A
  message already sent cannot be recalled; the use records that it had gone. A message a worker
  has already leased (mid-send) is locked first, so it is either cancelled or already sent.
* The usable list (pages, API) filters by status and today's date at read time, so a withdrawn or
  expired story disappears from it at once, with no job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.cases import testimonials_domain as td
from fincrm.cases.testimonials_models import Testimonial, TestimonialUse
from fincrm.clients.models import Party
from fincrm.clients.repository import changeable_parties, readable_parties
from fincrm.config import Settings
from fincrm.engagement import community, guard, scan
from fincrm.engagement import community_domain as cdom
from fincrm.engagement import service as engagement
from fincrm.engagement.community_models import ContentPiece
from fincrm.engagement.models import HELD, PENDING, SENT, SUPPRESSED, OutboxMessage
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied

MAX_ID = 2**63 - 1
RECORDERS = (Role.RM, Role.TEAM_LEAD)  # record and use stories of their book
WITHDRAWERS = (Role.RM, Role.TEAM_LEAD, Role.COMPLIANCE)
SWEEPERS = (Role.TEAM_LEAD, Role.COMPLIANCE, Role.ADMIN)  # the sweep returns counts only
LIST_LIMIT = 200
RULE_KEY = "testimonial"  # rule_key / template_key of the messages that carry a story
WITHDRAWN_CODE, EXPIRED_CODE = "testimonial_withdrawn", "testimonial_expired"


def _tags(values: Iterable[str]) -> str:
    return " " + " ".join(values) + " "


def scopes_of(t: Testimonial) -> tuple[str, ...]:
    return tuple(t.scopes.split())


def _today(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def _readable(principal: Principal) -> ColumnElement[bool]:
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    return readable_parties(principal)


def _withdrawable(principal: Principal) -> ColumnElement[bool]:
    if principal.role not in WITHDRAWERS:
        raise PermissionDenied("RMs, team leads and compliance withdraw testimonials")
    return true() if principal.role is Role.COMPLIANCE else changeable_parties(principal)


def _recordable(principal: Principal) -> ColumnElement[bool]:
    if principal.role not in RECORDERS:
        raise PermissionDenied("RMs and team leads record and use the testimonials of their book")
    return changeable_parties(principal)


def _testimonial(
    session: Session, scope: ColumnElement[bool], testimonial_id: int, *, lock: bool = False
) -> tuple[Testimonial, Party]:
    found = None
    if 1 <= testimonial_id <= MAX_ID:
        stmt = (select(Testimonial, Party).join(Party, Party.id == Testimonial.party_id)
                .where(Testimonial.id == testimonial_id, scope))  # fmt: skip
        found = session.execute(stmt.with_for_update(of=Testimonial) if lock else stmt).one_or_none()
    if found is None:
        raise NotFound(f"no testimonial {testimonial_id} among your clients")
    return found[0], found[1]


# ----- record and read ------------------------------------------------------------------------------


def record_testimonial(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, draft: td.TestimonialDraft,
    now: datetime,
) -> Testimonial:  # fmt: skip
    """Record a client's story with the consent it was given under (RMs and team leads), audited.

    Raises
    ------
    NotFound
        The client is not in the caller's book.
    InputError
        Every field problem at once (``testimonials_domain.check_testimonial``).
    """
    scope = _recordable(principal)
    party = session.scalars(select(Party).where(Party.party_no == party_no, scope)).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    d = td.check_testimonial(draft, _today(settings, now))
    assert d.given_on is not None and d.expires_on is not None  # checked above
    t = Testimonial(
        party_id=party.id, story_zh=d.story_zh, story_en=d.story_en, attribution_zh=d.attribution_zh,
        attribution_en=d.attribution_en, scopes=_tags(d.scopes), method=d.method, given_on=d.given_on,
        expires_on=d.expires_on, status=td.ACTIVE, recorded_by_id=principal.user_id, recorded_at=now,
    )  # fmt: skip
    session.add(t)
    session.flush()
    audit.append(session, principal, "testimonial.record", at=now, party_id=party.id,
                 detail=f"testimonial {t.id}: scopes {' '.join(d.scopes)}, {d.method}, "
                        f"given {d.given_on}, expires {d.expires_on}")  # fmt: skip
    return t


@dataclass(frozen=True)
class TestimonialView:
    __test__ = False  # not a pytest test class, despite the name

    testimonial: Testimonial
    party_no: str
    client_name: str
    recorded_by: str
    uses: int  # uses in force (not revoked)
    expired: bool  # on the day of the read
    usable_for: tuple[str, ...]  # the uses (content_piece, message) it may be put to today


def _views(session: Session, rows: list[tuple[Testimonial, Party]], on: date) -> list[TestimonialView]:
    ids = [t.id for t, _ in rows]
    counts: dict[int, int] = {}
    if ids:
        counts = dict(session.execute(
            select(TestimonialUse.testimonial_id, func.count()).where(
                TestimonialUse.testimonial_id.in_(ids), TestimonialUse.revoked_at.is_(None))
            .group_by(TestimonialUse.testimonial_id)
        ).all())  # fmt: skip
    users = dict(session.execute(select(User.id, User.username)).all())
    out = []
    for t, party in rows:
        usable = tuple(u for u in td.USE_SCOPE
                       if td.unusable_reason(t.status, t.expires_on, scopes_of(t), u, on) is None)  # fmt: skip
        out.append(TestimonialView(t, party.party_no, party.name, users.get(t.recorded_by_id, ""), counts.get(t.id, 0),
                                   td.expired(t.expires_on, on), usable))  # fmt: skip
    return out


def list_testimonials(
    session: Session, principal: Principal, settings: Settings, *, now: datetime, party_no: str | None = None,
    usable_for: str = "", limit: int = LIST_LIMIT,
) -> list[TestimonialView]:  # fmt: skip
    """The stories of the caller's scope, newest first; ``usable_for`` (``content_piece`` or ``message``)
    keeps those that may be put to that use today: active, not expired on today's date (read time)
    and consented for it.

    Raises
    ------
    InputError
        An unknown ``usable_for``.
    NotFound
        ``party_no`` outside the caller's scope.
    """
    scope = _readable(principal)
    if usable_for and usable_for not in td.USE_SCOPE:
        raise InputError("unknown use", errors=[
            FieldError(("usable_for",), f"one of {', '.join(td.USE_SCOPE)}", usable_for)])  # fmt: skip
    on = _today(settings, now)
    stmt = select(Testimonial, Party).join(Party, Party.id == Testimonial.party_id).where(scope)
    if party_no is not None:
        if session.scalar(select(Party.id).where(Party.party_no == party_no, scope)) is None:
            raise NotFound(f"no client with client number {party_no!r} in your book")
        stmt = stmt.where(Party.party_no == party_no)
    if usable_for:
        stmt = stmt.where(Testimonial.status == td.ACTIVE, Testimonial.expires_on >= on,
                          Testimonial.scopes.contains(f" {td.USE_SCOPE[usable_for]} "))  # fmt: skip
    rows = session.execute(
        stmt.order_by(Testimonial.recorded_at.desc(), Testimonial.id.desc()).limit(limit)
    ).all()
    return _views(session, [(t, p) for t, p in rows], on)


@dataclass(frozen=True)
class UseView:
    use: TestimonialUse
    target_label: str  # the piece's title or the message's client number


@dataclass(frozen=True)
class TestimonialDetail:
    __test__ = False

    view: TestimonialView
    uses: list[UseView]


def read_testimonial(
    session: Session, principal: Principal, settings: Settings, testimonial_id: int, *, now: datetime
) -> TestimonialDetail:
    """One story of the caller's scope with every use, in force or revoked; audited (personal data)."""
    t, party = _testimonial(session, _readable(principal), testimonial_id)
    uses = list(session.scalars(
        select(TestimonialUse).where(TestimonialUse.testimonial_id == t.id).order_by(TestimonialUse.id)))  # fmt: skip
    pieces = dict(session.execute(select(ContentPiece.id, ContentPiece.title_zh).where(
        ContentPiece.id.in_([u.target_id for u in uses if u.target_kind == td.CONTENT_PIECE]))).all())  # fmt: skip
    messages = dict(session.execute(
        select(OutboxMessage.id, Party.party_no).join(Party, Party.id == OutboxMessage.party_id)
        .where(OutboxMessage.id.in_([u.target_id for u in uses if u.target_kind == td.MESSAGE]))).all())  # fmt: skip
    labels = {td.CONTENT_PIECE: pieces, td.MESSAGE: messages}
    audit.append(session, principal, "testimonial.read", at=now, party_id=party.id, fields=["testimonial"],
                 detail=f"testimonial {t.id}")  # fmt: skip
    return TestimonialDetail(_views(session, [(t, party)], _today(settings, now))[0],
                             [UseView(u, str(labels[u.target_kind].get(u.target_id, ""))) for u in uses])  # fmt: skip


# ----- uses -----------------------------------------------------------------------------------------


def _usable(t: Testimonial, use: str, on: date) -> None:
    reason = td.unusable_reason(t.status, t.expires_on, scopes_of(t), use, on)
    if reason is not None:
        raise InputError(f"testimonial {t.id} cannot be used here: {reason}",
                         errors=[FieldError(("testimonial_id",), reason, t.id)])  # fmt: skip


def _blocks(t: Testimonial) -> tuple[str, str]:
    return (
        td.story_block(t.story_zh, t.attribution_zh, "zh-CN"),
        td.story_block(t.story_en, t.attribution_en, "en"),
    )


@dataclass(frozen=True)
class PieceFields:
    """A new content piece made to carry a story: its titles, summaries and topic tags."""

    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    topics: tuple[str, ...] = ("family",)
    kind: str = "insight"


def use_in_content(
    session: Session, principal: Principal, settings: Settings, testimonial_id: int, *, now: datetime,
    piece_id: int | None = None, new_piece: PieceFields | None = None,
) -> TestimonialUse:  # fmt: skip
    """Put a story into the content library: a new piece (``new_piece``) made through the library's
    ``add_piece`` with the story as its body, or the story added to an existing piece (``piece_id``).
    Recorded as a use (testimonial, ``content_piece``, the piece's id), audited.

    Raises
    ------
    InputError
        The story is withdrawn, expired or not consented for the content library; neither or both
        of ``piece_id`` and ``new_piece``; the piece's fields are wrong or the text promises returns.
    Conflict
        The story is already in that piece.
    NotFound
        The story (outside the caller's book) or the piece.
    """
    t, party = _testimonial(session, _recordable(principal), testimonial_id, lock=True)
    on = _today(settings, now)
    _usable(t, td.CONTENT_PIECE, on)
    if (piece_id is None) == (new_piece is None):
        raise InputError("name an existing piece or describe a new one, not both",
                         errors=[FieldError(("piece_id",), "one of piece_id and new_piece", piece_id)])  # fmt: skip
    block_zh, block_en = _blocks(t)
    if new_piece is not None:
        draft = cdom.PieceDraft(
            title_zh=new_piece.title_zh, title_en=new_piece.title_en, summary_zh=new_piece.summary_zh,
            summary_en=new_piece.summary_en, body_zh=block_zh.lstrip("\n"), body_en=block_en.lstrip("\n"),
            author=principal.display_name[:100], kind=new_piece.kind, industry_codes=(), topics=new_piece.topics,
            published_on=on,
        )  # fmt: skip
        piece = community.add_piece(session, principal, settings, draft=draft, now=now)
        block_zh, block_en = piece.body_zh, piece.body_en  # the whole body is the story
    else:
        assert piece_id is not None
        piece = community.get_piece(session, principal, piece_id)
        session.refresh(piece, with_for_update=True)
        if session.scalar(select(TestimonialUse.id).where(
                TestimonialUse.testimonial_id == t.id, TestimonialUse.target_kind == td.CONTENT_PIECE,
                TestimonialUse.target_id == piece.id, TestimonialUse.revoked_at.is_(None))) is not None:  # fmt: skip
            raise Conflict(f"testimonial {t.id} is already in content piece {piece.id}",
                           errors=[FieldError(("piece_id",), "already carries the story", piece.id)])  # fmt: skip
        problems = [
            FieldError((name,), f"{f.code}: {f.message_en}", f.excerpt)
            for name, text in (("story_zh", block_zh), ("story_en", block_en))
            for f in scan.scan(text, investor=None, on=on, policy=engagement.scan_policy(settings)).findings
            if f.code == "forbidden_promise"
        ]  # fmt: skip
        if problems:
            raise InputError("the story promises principal or returns; it cannot go into the library",
                             errors=problems)  # fmt: skip
        piece.body_zh, piece.body_en = (piece.body_zh or "") + block_zh, (piece.body_en or "") + block_en
    use = TestimonialUse(testimonial_id=t.id, target_kind=td.CONTENT_PIECE, target_id=piece.id,
                         scope=td.USE_SCOPE[td.CONTENT_PIECE], block_zh=block_zh, block_en=block_en,
                         used_by_id=principal.user_id, used_at=now)  # fmt: skip
    session.add(use)
    session.flush()
    audit.append(session, principal, "testimonial.use", at=now, party_id=party.id,
                 detail=f"testimonial {t.id} in content piece {piece.id} (use {use.id})")  # fmt: skip
    return use


def share_with_client(
    session: Session, principal: Principal, settings: Settings, testimonial_id: int, *, party_no: str,
    channel: str, now: datetime,
) -> TestimonialUse:  # fmt: skip
    """Send a story to a client of the caller's book as a marketing message through the outbox
    (compliance scan, then the guard rails: consent, do-not-disturb, weekly cap, holds, quiet hours),
    once per story and client; recorded as a use (testimonial, ``message``, the message's id), audited.
    The message may be stored held or suppressed with its reason, like any other.

    Raises
    ------
    InputError
        The story may not be used in messages (withdrawn, expired, not consented), or an unknown channel.
    Conflict
        The story was already sent to that client.
    NotFound
        The story or the recipient outside the caller's book.
    """
    scope = _recordable(principal)
    t, owner = _testimonial(session, scope, testimonial_id, lock=True)
    _usable(t, td.MESSAGE, _today(settings, now))
    if channel not in guard.CHANNEL_KINDS:
        raise InputError("unknown channel", errors=[
            FieldError(("channel",), f"one of {', '.join(guard.CHANNEL_KINDS)}", channel)])  # fmt: skip
    party = session.scalars(select(Party).where(Party.party_no == party_no, scope)).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    key = f"{RULE_KEY}:{t.id}:{party.party_no}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
        raise Conflict(f"testimonial {t.id} was already sent to {party_no}",
                       errors=[FieldError(("party_no",), "already sent this story", party_no)])  # fmt: skip
    lang = settings.locale
    block = _blocks(t)[0 if lang == "zh-CN" else 1]
    subject = "客户见证分享" if lang == "zh-CN" else "A client's story"
    body = block.lstrip("\n")
    message = OutboxMessage(
        idempotency_key=key, party_id=party.id, rule_key=RULE_KEY, template_key=RULE_KEY, channel=channel, lang=lang,
        recipient="", subject=subject, body=body, marketing=True, status=PENDING, reason_code="", reason="",
        attempts=0, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    facts = engagement.recipient_facts(session, settings, [party.id], now, with_products=False)
    recipient = engagement.address_of(party, channel)
    found = scan.scan(f"{subject}\n{body}", investor=None, on=now.date(), policy=facts.scan_policy)
    if not recipient:
        message.status, message.reason_code = SUPPRESSED, "no_address"
        message.reason = f"the client has no {channel} address"
    elif not found.ok:
        message.recipient, message.status, message.reason_code = (
            recipient,
            HELD,
            ",".join(dict.fromkeys(found.codes))[:40],
        )
        message.reason = "; ".join(f.message_en for f in found.findings)
    else:
        message.recipient = recipient
        decision = guard.check(guard.MessageFacts(channel=channel, marketing=True), facts.state(party.id), now,
                               facts.policy)  # fmt: skip
        if not decision.allowed:
            message.status, message.reason_code, message.reason = (
                SUPPRESSED,
                decision.reason_code,
                decision.reason_en,
            )
        elif decision.send_after is not None:
            message.next_attempt_at = decision.send_after
    session.add(message)
    session.flush()
    use = TestimonialUse(testimonial_id=t.id, target_kind=td.MESSAGE, target_id=message.id,
                         scope=td.USE_SCOPE[td.MESSAGE], block_zh=body if lang == "zh-CN" else "",
                         block_en=body if lang != "zh-CN" else "", used_by_id=principal.user_id, used_at=now)  # fmt: skip
    session.add(use)
    session.flush()
    audit.append(session, principal, "testimonial.use", at=now, party_id=owner.id,
                 detail=f"testimonial {t.id} sent to {party.party_no} by {channel}: message {message.id} "
                        f"{message.status} (use {use.id})")  # fmt: skip
    return use


# ----- withdrawal and expiry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Revoked:
    uses: int  # uses revoked now
    pieces: int  # content pieces the story was taken out of
    messages_cancelled: int  # pending or held messages cancelled
    messages_already_sent: int  # messages that had gone before the withdrawal


def _revoke(session: Session, t: Testimonial, *, code: str, reason: str, now: datetime) -> Revoked:
    """Revoke every use in force of a story, in the caller's transaction: take its block out of each
    content piece, cancel each pending or held message carrying it (rows locked first)."""
    uses = list(session.scalars(
        select(TestimonialUse).where(TestimonialUse.testimonial_id == t.id, TestimonialUse.revoked_at.is_(None))
        .order_by(TestimonialUse.id).with_for_update()))  # fmt: skip
    pieces = cancelled = gone = 0
    seen_messages: set[int] = set()
    for use in uses:
        note = reason
        if use.target_kind == td.CONTENT_PIECE:
            piece = session.scalars(
                select(ContentPiece).where(ContentPiece.id == use.target_id).with_for_update()).one_or_none()  # fmt: skip
            if piece is not None:
                piece.body_zh, hit_zh = td.remove_block(piece.body_zh or "", use.block_zh)
                piece.body_en, hit_en = td.remove_block(piece.body_en or "", use.block_en)
                pieces += hit_zh or hit_en
        else:
            seen_messages.add(use.target_id)
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.id == use.target_id).with_for_update()).one_or_none()  # fmt: skip
            if message is not None and message.status in (PENDING, HELD):
                _cancel(message, code, reason)
                cancelled += 1
            elif message is not None and message.status == SENT:
                gone += 1
                note = f"{reason} (the message had already been sent)"
        use.revoked_at, use.revoked_reason = now, note[:2000]
    # any other message still waiting that quotes the story (e.g. pasted into a brief or an answer)
    quotes = [s for s in (t.story_zh, t.story_en) if len(s) >= 8]
    if quotes:
        for message in session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.status.in_((PENDING, HELD)), OutboxMessage.id.not_in(seen_messages or {0}),
                or_(*[OutboxMessage.body.contains(q, autoescape=True) for q in quotes]),
            ).with_for_update()
        ):  # fmt: skip
            _cancel(message, code, reason)
            cancelled += 1
    return Revoked(len(uses), pieces, cancelled, gone)


def _cancel(message: OutboxMessage, code: str, reason: str) -> None:
    message.status, message.reason_code = SUPPRESSED, code
    message.reason = f"{message.reason} | cancelled: {reason}".strip(" |")[:4000]
    message.lease_until = None


def withdraw_testimonial(
    session: Session, principal: Principal, testimonial_id: int, *, reason: str, now: datetime
) -> Revoked:
    """The client withdraws consent: the story becomes unusable and every use is revoked in this
    transaction (out of every content piece, its waiting messages cancelled), audited.

    Raises
    ------
    InputError
        No reason given, or the story is already withdrawn.
    NotFound
        The story is outside the caller's scope.
    """
    t, party = _testimonial(session, _withdrawable(principal), testimonial_id, lock=True)
    problems = []
    if not reason.strip():
        problems.append(FieldError(("reason",), "say why (e.g. the client's words and the channel)", reason))
    elif len(reason) > td.REASON_MAX:
        problems.append(FieldError(("reason",), f"at most {td.REASON_MAX} characters", reason[:80]))
    if t.status == td.WITHDRAWN:
        problems.append(FieldError(("testimonial_id",), "already withdrawn", t.id))
    if problems:
        raise InputError("the testimonial cannot be withdrawn as asked", errors=problems)
    t.status, t.withdrawn_at, t.withdrawn_by_id, t.withdrawal_reason = (
        td.WITHDRAWN,
        now,
        principal.user_id,
        reason.strip(),
    )
    done = _revoke(session, t, code=WITHDRAWN_CODE, reason=f"consent withdrawn: {reason.strip()}", now=now)
    audit.append(session, principal, "testimonial.withdraw", at=now, party_id=party.id,
                 detail=f"testimonial {t.id}: {done.uses} uses revoked, {done.pieces} pieces, "
                        f"{done.messages_cancelled} messages cancelled, {done.messages_already_sent} already sent")  # fmt: skip
    return done


@dataclass(frozen=True)
class Swept:
    testimonials: int  # expired stories with uses still in force
    revoked: Revoked


def sweep_expired(session: Session, principal: Principal | None, *, on: date, now: datetime) -> Swept:
    """Revoke the uses of every story whose consent expired before ``on`` (its ``expires_on`` is past),
    the same way as a withdrawal; safe to rerun (revoked uses are not touched again). ``principal``
    None is the system's own run (CLI, demo); otherwise a team lead, compliance or an administrator.
    """
    if principal is not None and principal.role not in SWEEPERS:
        raise PermissionDenied("team leads, compliance and administrators run the expiry sweep")
    due = list(session.scalars(
        select(Testimonial).where(Testimonial.expires_on < on, Testimonial.id.in_(
            select(TestimonialUse.testimonial_id).where(TestimonialUse.revoked_at.is_(None))))
        .order_by(Testimonial.id).with_for_update()))  # fmt: skip
    totals = [0, 0, 0, 0]
    for t in due:
        done = _revoke(
            session, t, code=EXPIRED_CODE, reason=f"consent expired on {t.expires_on.isoformat()}", now=now
        )
        for i, n in enumerate((done.uses, done.pieces, done.messages_cancelled, done.messages_already_sent)):
            totals[i] += n
        audit.append(session, principal, "testimonial.expire", at=now, party_id=t.party_id,
                     actor=None if principal else "system",
                     detail=f"testimonial {t.id} expired {t.expires_on}: {done.uses} uses revoked")  # fmt: skip
    result = Swept(len(due), Revoked(*totals))
    audit.append(session, principal, "testimonial.sweep", at=now, actor=None if principal else "system",
                 detail=f"{on}: {result.testimonials} expired stories, {totals[0]} uses revoked, {totals[1]} pieces, "
                        f"{totals[2]} messages cancelled")  # fmt: skip
    return result


def pieces_carrying(session: Session, piece_ids: Iterable[int]) -> dict[int, int]:
    """Content piece id -> the number of stories in force in it (for the library's pages)."""
    ids = list(piece_ids)
    if not ids:
        return {}
    return dict(session.execute(
        select(TestimonialUse.target_id, func.count()).where(
            TestimonialUse.target_kind == td.CONTENT_PIECE, TestimonialUse.target_id.in_(ids),
            TestimonialUse.revoked_at.is_(None)).group_by(TestimonialUse.target_id)).all())  # fmt: skip


# ----- demo -----------------------------------------------------------------------------------------

DEMO_STORIES = (
    {
        "story_zh": "企业回款周期拉长那段时间，客户经理帮我们梳理了应收账款和流动资金安排，心里有底了。",
        "story_en": "When our collections slowed down, our relationship manager helped us sort out receivables "
                    "and working capital; we knew where we stood.",
        "attribution_zh": "陈先生，制造业企业主", "attribution_en": "Mr Chen, manufacturing business owner",
        "scopes": ("content_library", "internal_training", "client_messages"), "method": "signed_form",
    },
    {
        "story_zh": "孩子上大学前五年开始准备教育金，每月定投，压力小了很多。",
        "story_en": "We started the education fund five years before university with a monthly plan; "
                    "it took the pressure off.",
        "attribution_zh": "李女士", "attribution_en": "Ms Li",
        "scopes": ("internal_training", "events"), "method": "recorded_call",
    },
)  # fmt: skip
DEMO_PIECE = PieceFields(
    title_zh="客户见证：企业回款期拉长时的流动资金安排", title_en="Client story: working capital when collections slow",
    summary_zh="一位制造业企业主讲述与客户经理一起梳理应收账款和流动资金的经历（经客户书面授权）。",
    summary_en="A manufacturing business owner on sorting out receivables and working capital with the RM "
               "(published with the client's written consent).",
    topics=("working_capital", "family"),
)  # fmt: skip


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """Two testimonials of rm001's first clients, the first used in a new content piece. Safe to rerun
    (a client's story already recorded is not recorded again)."""
    counts = {"testimonials": 0, "uses": 0}
    rm = session.scalars(select(User).where(User.username == "rm001")).one_or_none()
    if rm is None:
        return counts
    me = principal_of(rm)
    parties = list(session.scalars(
        select(Party).where(Party.primary_rm_id == rm.id).order_by(Party.party_no).limit(len(DEMO_STORIES))))  # fmt: skip
    today = _today(settings, now)
    for i, (raw, party) in enumerate(zip(DEMO_STORIES, parties, strict=False)):
        if session.scalar(select(Testimonial.id).where(Testimonial.party_id == party.id,
                                                       Testimonial.story_zh == raw["story_zh"])) is not None:  # fmt: skip
            continue
        draft = td.TestimonialDraft(
            **raw, given_on=today.replace(day=1), expires_on=today + timedelta(days=365)
        )
        t = record_testimonial(session, me, settings, party.party_no, draft=draft, now=now)
        counts["testimonials"] += 1
        if i == 0:
            use_in_content(session, me, settings, t.id, new_piece=DEMO_PIECE, now=now)
            counts["uses"] += 1
    return counts
