"""Community use cases: the content library and industry-matched content for a client, the morning
brief (compose, publish after the compliance scan, distribute to a book), the weekly Q&A (collect
questions, group, choose the top groups, answer, publish the answers back to the askers).

Each function takes the session (and the acting principal) first and changes state in the caller's
transaction, audited there; messages to clients go to the outbox in the same transaction, through
the compliance scan (``scan``) and the guard rails (``guard``: consent, do-not-disturb, weekly
cap, tier, quiet hours), each kept with its reason when held or suppressed.

Who does what
-------------
* Content: staff who write (RMs, team leads, research) add pieces; every signed-in user reads the
  library (it holds no client data); a client's matched pieces follow the client's read scope.
* Morning brief: one per desk and business day (``settings.timezone``). The desk of an RM or a team
  lead is their team (``team:<id>``; an RM without a team writes alone, ``user:<id>``); research
  users share the ``research`` desk. Anyone on the desk edits the draft and publishes it; a
  published brief is read by all staff in the app (the community page and ``GET /briefs``). RMs and
  team leads then send a published brief (their desk's or research's) to the clients of their own
  book (a lead: the team's books) who consent to marketing on the chosen channel, at most
  ``MAX_RECIPIENTS`` clients a sending; one message per brief and client, ever.
* Weekly Q&A: team leads and research host sessions (create, choose, answer, publish); RMs and team
  leads record questions for clients of their book; integration accounts (administrator role) post
  them for any client. Answers go back to each asker as a service message (a reply to their own
  question, so it needs no marketing consent), on the in-app channel unless another is chosen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.clients.domain import KEY_PERSON_KINDS, ConsentChannel, ConsentPurpose, PartyKind
from fincrm.clients.models import ConsentEvent, Party, PartyRelationship
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ClientSignal, ProfileVersion
from fincrm.clients.repository import changeable_parties, readable_parties
from fincrm.config import Settings
from fincrm.core.pii import mask_name
from fincrm.engagement import community_domain as dom
from fincrm.engagement import guard, holds, scan, service
from fincrm.engagement.community_models import (
    ANSWERS_PUBLISHED,
    CHOSEN,
    COLLECTING,
    DRAFT,
    PUBLISHED,
    BriefDistribution,
    ContentPiece,
    MorningBrief,
    QaGroup,
    QaQuestion,
    QaSession,
)
from fincrm.engagement.models import HELD, PENDING, SENT, SUPPRESSED, OutboxMessage
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied

MAX_ID = 2**63 - 1
WRITERS = (Role.RM, Role.TEAM_LEAD, Role.RESEARCH)  # add content, write briefs
BOOK_HOLDERS = (Role.RM, Role.TEAM_LEAD)  # send to clients of their book
QA_HOSTS = (Role.TEAM_LEAD, Role.RESEARCH)  # create, choose, answer, publish
QA_INTEGRATION = (Role.ADMIN,)  # integration accounts post questions for any client
MAX_RECIPIENTS = 5_000  # consenting clients one brief sending may reach (a team's books at most)
LIBRARY_LIMIT = 200  # pieces a list returns at most
MATCH_LIMIT = 10  # matched pieces per client
CHUNK = 5_000  # ids per IN list
RESEARCH_DESK = "research"
BRIEF_RULE = "morning_brief"  # rule_key / template_key of brief messages in the outbox
QA_RULE = "weekly_qa"
QA_TOPICS = (*dom.TOPICS, "other")
TITLE_MAX = 200


def business_day(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def _findings(
    settings: Settings, fields: dict[str, str], on: date, *, only: str | None = None
) -> list[FieldError]:
    """Scan each text; a finding (or only those of code ``only``) names its field and the passage."""
    problems = []
    for name, text in fields.items():
        found = scan.scan(text, investor=None, on=on, policy=service.scan_policy(settings))
        for f in found.findings:
            if only is None or f.code == only:
                problems.append(FieldError((name,), f"{f.code}: {f.message_en}", f.excerpt))
    return problems


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _tags(values: Iterable[str]) -> str:
    return " " + " ".join(values) + " "


def _untag(stored: str | None) -> tuple[str, ...]:
    return tuple((stored or "").split())


# ----- content library ------------------------------------------------------------------------------


def add_piece(
    session: Session, principal: Principal, settings: Settings, *, draft: dom.PieceDraft, now: datetime
) -> ContentPiece:
    """Add a piece to the library (RMs, team leads, research), audited.

    Raises
    ------
    InputError
        A field is missing or wrong (see ``community_domain.check_piece``), or a text promises
        principal or returns (the compliance scan's ``forbidden_promise``): research is shared with
        clients, so it may not carry such wording either.
    PermissionDenied
        Compliance and administrators do not write content.
    """
    if principal.role not in WRITERS:
        raise PermissionDenied("RMs, team leads and research add content")
    piece = _new_piece(settings, draft, created_by_id=principal.user_id, now=now)
    session.add(piece)
    session.flush()
    audit.append(
        session, principal, "content.add", at=now, detail=f"content {piece.id}: {piece.title_zh[:100]}"
    )
    return piece


def _new_piece(
    settings: Settings, draft: dom.PieceDraft, *, created_by_id: int, now: datetime
) -> ContentPiece:
    texts = {
        k: getattr(draft, k)
        for k in ("title_zh", "title_en", "summary_zh", "summary_en", "body_zh", "body_en")
    }
    problems = _findings(settings, texts, draft.published_on, only="forbidden_promise")
    try:
        d = dom.check_piece(draft)
    except InputError as exc:
        raise InputError(exc.message, errors=[*exc.errors, *problems]) from None
    if problems:
        raise InputError("the content promises principal or returns; reword it", errors=problems)
    return ContentPiece(
        kind=d.kind, title_zh=d.title_zh, title_en=d.title_en, summary_zh=d.summary_zh, summary_en=d.summary_en,
        body_zh=d.body_zh, body_en=d.body_en, author=d.author, industry_codes=_tags(d.industry_codes),
        topics=_tags(d.topics), tiers=None if d.tiers is None else _tags(d.tiers), published_on=d.published_on,
        created_by_id=created_by_id, created_at=now,
    )  # fmt: skip


def list_pieces(
    session: Session, principal: Principal, *, industry: str = "", topic: str = "", kind: str = "",
    limit: int = LIBRARY_LIMIT,
) -> list[ContentPiece]:  # fmt: skip
    """The library, newest first, filtered by an industry code (a piece tagged with it, a broader
    code or a finer one), a topic tag and a kind. Every signed-in user reads it."""
    problems = []
    industry = industry.strip().upper()
    if industry and not dom.INDUSTRY_CODE.match(industry):
        problems.append(FieldError(("industry",), "a GB/T 4754 code, e.g. C38", industry))
    if topic and topic not in dom.TOPICS:
        problems.append(FieldError(("topic",), f"one of {', '.join(dom.TOPICS)}", topic))
    if kind and kind not in dom.KINDS:
        problems.append(FieldError(("kind",), f"one of {', '.join(dom.KINDS)}", kind))
    if problems:
        raise InputError("the filter is not valid", errors=problems)
    stmt: Select = select(ContentPiece).order_by(ContentPiece.published_on.desc(), ContentPiece.id.desc())
    if topic:
        stmt = stmt.where(ContentPiece.topics.contains(f" {topic} "))
    if kind:
        stmt = stmt.where(ContentPiece.kind == kind)
    if not industry:
        return list(session.scalars(stmt.limit(limit)))
    # prefix either way: filter in Python over the tagged pieces (a small table)
    stmt = stmt.where(ContentPiece.industry_codes.contains(f" {industry[0]}"))
    return [
        p for p in session.scalars(stmt)
        if any(dom.industry_fit(code, industry) for code in _untag(p.industry_codes))
    ][:limit]  # fmt: skip


def get_piece(session: Session, principal: Principal, piece_id: int) -> ContentPiece:
    piece = session.get(ContentPiece, piece_id) if 1 <= piece_id <= MAX_ID else None
    if piece is None:
        raise NotFound(f"no content piece {piece_id}")
    return piece


def piece_tags(piece: ContentPiece) -> dom.PieceTags:
    tiers = None if piece.tiers is None else _untag(piece.tiers)
    return dom.PieceTags(
        piece.id, _untag(piece.industry_codes), _untag(piece.topics), tiers, piece.published_on
    )


@dataclass(frozen=True)
class MatchedPiece:
    piece: ContentPiece
    match: dom.Match


def client_interests(session: Session, party: Party) -> dom.ClientInterests:
    """What the client's content is matched on: the industry (own, employer's, or that of the company
    they are a key person of), the life-stage signals of the current batch, the tier."""
    code, source = party.industry_code, ""
    if code:
        source = "own" if party.kind == PartyKind.CORPORATE else "employer"
    else:
        company_code = session.scalar(
            select(Party.industry_code)
            .join(PartyRelationship, PartyRelationship.from_party_id == Party.id)
            .where(PartyRelationship.to_party_id == party.id, PartyRelationship.kind.in_(list(KEY_PERSON_KINDS)),
                   Party.kind == PartyKind.CORPORATE, Party.industry_code.is_not(None))
            .order_by(PartyRelationship.id).limit(1)
        )  # fmt: skip
        if company_code:
            code, source = company_code, "key_person"
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    signals: tuple[str, ...] = ()
    tier = None
    if version is not None:
        signals = tuple(sorted(set(session.scalars(
            select(ClientSignal.kind).where(ClientSignal.version_id == version, ClientSignal.party_id == party.id)
        ))))  # fmt: skip
        tier = session.scalar(
            select(ClientProfile.tier).where(
                ClientProfile.version_id == version, ClientProfile.party_id == party.id
            )
        )
    return dom.ClientInterests(str(party.kind), code, source, signals, tier)


def _readable_party(session: Session, principal: Principal, party_no: str) -> Party:
    if not principal.reads_client_data:
        raise PermissionDenied("this role reads no client data")
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, readable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return party


def matched_content(
    session: Session, principal: Principal, party_no: str, *, limit: int = MATCH_LIMIT
) -> tuple[dom.ClientInterests, list[MatchedPiece]]:
    """The library's pieces for a client the principal reads, best first, each with its reason."""
    party = _readable_party(session, principal, party_no)
    interests = client_interests(session, party)
    pieces = {p.id: p for p in session.scalars(select(ContentPiece))}
    matches = dom.match_content(interests, [piece_tags(p) for p in pieces.values()], limit=limit)
    return interests, [MatchedPiece(pieces[m.piece_id], m) for m in matches]


# ----- import ----------------------------------------------------------------------------------------

IMPORT_FIELDS = ("kind", "title_zh", "title_en", "summary_zh", "summary_en", "body_zh", "body_en", "author",
                 "industry_codes", "topics", "published_on", "tiers")  # fmt: skip
IMPORT_REQUIRED = ("kind", "title_zh", "title_en", "summary_zh", "summary_en", "author", "published_on")
IMPORT_MAX_ROWS = 5_000


def import_pieces(
    session: Session, settings: Settings, path: Path, *, username: str, now: datetime
) -> list[ContentPiece]:
    """Load pieces from a YAML (a list of mappings, or ``pieces:`` with one) or CSV (UTF-8, a header
    row) file, all or nothing, attributed to ``username`` (a writer). Tags are lists in YAML and
    separated by commas, 、 or spaces in CSV. A piece already in the library (same kind, Chinese title
    and date) is skipped, so rerunning an import adds nothing.

    Raises
    ------
    InputError
        Every problem at once, located as ``(file, row, field)`` (rows counted from 1, the CSV header
        being row 1).
    """
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active or str(user.role) not in {r.value for r in WRITERS}:
        raise InputError(f"{username!r} is not an active RM, team lead or research user",
                         errors=[FieldError(("as",), "not a content writer", username)])  # fmt: skip
    rows = _read_rows(path)
    problems: list[FieldError] = []
    made: list[ContentPiece] = []
    seen: set[tuple[str, str, date]] = set()
    for number, raw in rows:
        unknown = sorted(set(raw) - set(IMPORT_FIELDS))
        for name in unknown:
            problems.append(
                FieldError((path.name, number, name), f"unknown field; use {', '.join(IMPORT_FIELDS)}")
            )
        missing = [f for f in IMPORT_REQUIRED if not str(raw.get(f) or "").strip()]
        for name in missing:
            problems.append(FieldError((path.name, number, name), "required"))
        if unknown or missing:
            continue
        try:
            published_on = raw["published_on"]
            if not isinstance(published_on, date):
                published_on = date.fromisoformat(str(published_on).strip())
        except ValueError:
            problems.append(
                FieldError((path.name, number, "published_on"), "a date YYYY-MM-DD", raw["published_on"])
            )
            continue
        tiers = _as_tags(raw.get("tiers"))
        draft = dom.PieceDraft(
            title_zh=str(raw["title_zh"]), title_en=str(raw["title_en"]), summary_zh=str(raw["summary_zh"]),
            summary_en=str(raw["summary_en"]), body_zh=str(raw.get("body_zh") or ""),
            body_en=str(raw.get("body_en") or ""), author=str(raw["author"]), kind=str(raw["kind"]).strip(),
            industry_codes=_as_tags(raw.get("industry_codes")), topics=_as_tags(raw.get("topics")),
            published_on=published_on, tiers=tiers or None,
        )  # fmt: skip
        try:
            piece = _new_piece(settings, draft, created_by_id=user.id, now=now)
        except InputError as exc:
            problems.extend(FieldError((path.name, number, *e.loc), e.msg, e.input) for e in exc.errors)
            continue
        key = (piece.kind, piece.title_zh, piece.published_on)
        if key in seen or session.scalar(select(ContentPiece.id).where(
            ContentPiece.kind == key[0], ContentPiece.title_zh == key[1], ContentPiece.published_on == key[2]
        )) is not None:  # fmt: skip
            seen.add(key)
            continue
        seen.add(key)
        made.append(piece)
    if problems:
        raise InputError(f"{path.name}: {len(problems)} problems; nothing was imported", errors=problems)
    session.add_all(made)
    session.flush()
    audit.append(session, None, "content.import", at=now, actor=f"cli:{username}",
                 detail=f"{path.name}: {len(made)} pieces")  # fmt: skip
    return made


def _as_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return dom.split_tags(str(value))


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})",
                         errors=[FieldError((str(path),), "cannot read")]) from None  # fmt: skip
    except UnicodeDecodeError:
        raise InputError(
            f"{path.name}: not UTF-8 text", errors=[FieldError((path.name,), "not UTF-8")]
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        rows = [(i + 2, {k: v for k, v in r.items() if k is not None}) for i, r in enumerate(reader)]
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            raise InputError(
                f"{path.name}: not valid YAML", errors=[FieldError((path.name, line), "YAML syntax")]
            ) from None
        if isinstance(data, dict):
            data = data.get("pieces")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(f"{path.name}: expected a list of pieces",
                             errors=[FieldError((path.name,), "a list of mappings, or pieces: [...]")])  # fmt: skip
        rows = [(i + 1, r) for i, r in enumerate(data)]
    else:
        raise InputError(f"{path.name}: use a .csv, .yaml or .yml file",
                         errors=[FieldError((path.name,), "unknown file type", suffix)])  # fmt: skip
    if len(rows) > IMPORT_MAX_ROWS:
        raise InputError(f"{path.name}: at most {IMPORT_MAX_ROWS} pieces a file",
                         errors=[FieldError((path.name,), "too many rows", len(rows))])  # fmt: skip
    return rows


# ----- morning brief ----------------------------------------------------------------------------------


def desk_of(principal: Principal) -> str:
    """The desk whose brief the principal writes: the team, the research desk, or their own."""
    if principal.role is Role.RESEARCH:
        return RESEARCH_DESK
    if principal.role in BOOK_HOLDERS:
        return f"team:{principal.team_id}" if principal.team_id is not None else f"user:{principal.user_id}"
    raise PermissionDenied("RMs, team leads and research write the morning brief")


@dataclass(frozen=True)
class BriefView:
    brief: MorningBrief
    author: str  # display name
    mine: bool  # of the reader's desk (may edit while a draft, may publish)
    chars_zh: int
    chars_en: int


def save_brief(
    session: Session, principal: Principal, settings: Settings, *, text_zh: str, text_en: str, now: datetime
) -> MorningBrief:
    """Write or rewrite the desk's brief of the business day, as a draft (audited).

    Raises
    ------
    InputError
        A language empty or over 300 characters as a reader counts them (``reader_length``).
    Conflict
        The day's brief of the desk is already published.
    """
    desk = desk_of(principal)
    zh, en = dom.check_brief(text_zh, text_en)
    day = business_day(settings, now)
    brief = session.scalars(
        select(MorningBrief).where(MorningBrief.desk == desk, MorningBrief.brief_on == day)
    ).one_or_none()
    if brief is not None and brief.status != DRAFT:
        raise Conflict(f"the {day} brief of your desk is already published",
                       errors=[FieldError(("brief_on",), "already published", day.isoformat())])  # fmt: skip
    if brief is None:
        brief = MorningBrief(desk=desk, brief_on=day, text_zh=zh, text_en=en, status=DRAFT,
                             author_id=principal.user_id, created_at=now, updated_at=now)  # fmt: skip
        session.add(brief)
    brief.text_zh, brief.text_en, brief.author_id, brief.updated_at = zh, en, principal.user_id, now
    session.flush()
    audit.append(session, principal, "brief.save", at=now, detail=f"brief {brief.id} ({desk}, {day})")
    return brief


def _brief(session: Session, brief_id: int) -> MorningBrief:
    brief = session.get(MorningBrief, brief_id) if 1 <= brief_id <= MAX_ID else None
    if brief is None:
        raise NotFound(f"no morning brief {brief_id}")
    return brief


def publish_brief(
    session: Session, principal: Principal, settings: Settings, brief_id: int, *, now: datetime
) -> MorningBrief:
    """Publish a draft of the principal's desk after the compliance scan: any finding (a promise of
    principal or returns, promotion without a risk statement) refuses it and it stays a draft.
    Published, it is listed to every RM in the app (audited)."""
    desk = desk_of(principal)
    brief = _brief(session, brief_id)
    if brief.desk != desk:
        raise NotFound(f"no morning brief {brief_id} of your desk")
    if brief.status != DRAFT:
        raise Conflict(f"brief {brief_id} is already published",
                       errors=[FieldError(("status",), "not a draft", brief.status)])  # fmt: skip
    zh, en = dom.check_brief(brief.text_zh, brief.text_en)  # the 300-character rule, again at the gate
    problems = _findings(settings, {"text_zh": zh, "text_en": en}, business_day(settings, now))
    if problems:
        raise InputError(
            "the compliance scan refused the brief; reword it and publish again", errors=problems
        )
    brief.status, brief.published_at, brief.published_by_id = PUBLISHED, now, principal.user_id
    audit.append(
        session,
        principal,
        "brief.publish",
        at=now,
        detail=f"brief {brief.id} ({brief.desk}, {brief.brief_on})",
    )
    return brief


def list_briefs(
    session: Session, principal: Principal, *, on: date | None = None, limit: int = 30
) -> list[BriefView]:
    """Published briefs (every staff member reads them) and the drafts of the reader's own desk,
    newest day first."""
    try:
        desk: str | None = desk_of(principal)
    except PermissionDenied:
        desk = None
    visible = MorningBrief.status == PUBLISHED
    if desk is not None:
        visible = visible | (MorningBrief.desk == desk)
    stmt = (
        select(MorningBrief, User.display_name).join(User, User.id == MorningBrief.author_id).where(visible)
        .order_by(MorningBrief.brief_on.desc(), MorningBrief.id.desc()).limit(limit)
    )  # fmt: skip
    if on is not None:
        stmt = stmt.where(MorningBrief.brief_on == on)
    return [
        BriefView(b, name, b.desk == desk, dom.reader_length(b.text_zh), dom.reader_length(b.text_en))
        for b, name in session.execute(stmt).all()
    ]


def _book(principal: Principal) -> Any:
    if principal.role not in BOOK_HOLDERS:
        raise PermissionDenied("RMs and team leads send the brief to the clients of their book")
    return changeable_parties(principal)


@dataclass(frozen=True)
class _Target:
    party: Party
    state: guard.ClientState


def _targets(session: Session, book: Any, channel: str, now: datetime, *, limit: int) -> list[_Target]:
    """The book's clients with a marketing grant on the channel (or on all channels), with the guard's
    facts about each, read in a few set queries."""
    consent_channel = guard.CONSENT_CHANNEL[channel]
    granted = (
        select(ConsentEvent.party_id)
        .where(ConsentEvent.purpose == ConsentPurpose.MARKETING,
               ConsentEvent.channel.in_([consent_channel, ConsentChannel.ALL]))
        .distinct()
    )  # fmt: skip
    parties = list(session.scalars(
        select(Party).where(book, Party.id.in_(granted)).order_by(Party.id).limit(limit + 1)
    ))  # fmt: skip
    if len(parties) > limit:
        raise InputError(f"more than {limit} clients would receive it; send from each RM's book",
                         errors=[FieldError(("book",), f"at most {limit} consenting clients", len(parties))])  # fmt: skip
    ids = [p.id for p in parties]
    consents: dict[int, list[guard.Consent]] = {}
    sent: dict[int, list[datetime]] = {}
    tiers: dict[int, str] = {}
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    for part in _chunks(ids):
        for e in session.scalars(select(ConsentEvent).where(ConsentEvent.party_id.in_(part))):
            consents.setdefault(e.party_id, []).append(
                guard.Consent(str(e.purpose), str(e.channel), str(e.action), e.effective_at)
            )
        for pid, at in session.execute(
            select(OutboxMessage.party_id, OutboxMessage.created_at).where(
                OutboxMessage.party_id.in_(part), OutboxMessage.marketing.is_(True),
                OutboxMessage.status.in_((PENDING, SENT)), OutboxMessage.created_at >= now - guard.CAP_WINDOW,
            )
        ):  # fmt: skip
            sent.setdefault(pid, []).append(at)
        if version is not None:
            tiers.update(session.execute(
                select(ClientProfile.party_id, ClientProfile.tier)
                .where(ClientProfile.version_id == version, ClientProfile.party_id.in_(part))
            ).all())  # fmt: skip
    held = holds.open_holds(session, ids)  # an open complaint suppresses the brief (marketing) too
    return [
        _Target(p, guard.ClientState(tier=tiers.get(p.id), open_complaint=p.id in held,
                                     consents=tuple(consents.get(p.id, ())), marketing_sent_at=tuple(sent.get(p.id, ()))))
        for p in parties
    ]  # fmt: skip


def _outbox(
    session: Session, settings: Settings, target: _Target, *, key: str, rule_key: str, channel: str,
    subject: str, body: str, marketing: bool, now: datetime,
) -> OutboxMessage:  # fmt: skip
    """Scan, guard and store one message (pending, held or suppressed, with the reason)."""
    party = target.party
    message = OutboxMessage(
        idempotency_key=key, party_id=party.id, rule_key=rule_key, template_key=rule_key, channel=channel,
        lang=settings.locale, recipient="", subject=subject[:300], body=body, marketing=marketing, status=PENDING,
        attempts=0, next_attempt_at=now, created_at=now, reason_code="", reason="",
    )  # fmt: skip
    recipient = service.address_of(party, channel)
    found = scan.scan(
        f"{subject}\n{body}", investor=None, on=now.date(), policy=service.scan_policy(settings)
    )
    if not recipient:
        message.status, message.reason_code = SUPPRESSED, "no_address"
        message.reason = f"the client has no {channel} address"
    elif not found.ok:
        message.recipient = recipient
        message.status, message.reason_code = HELD, ",".join(found.codes)
        message.reason = "; ".join(f.message_en for f in found.findings)
    else:
        message.recipient = recipient
        decision = guard.check(guard.MessageFacts(channel=channel, marketing=marketing), target.state, now,
                               service.guard_policy(settings))  # fmt: skip
        if not decision.allowed:
            message.status, message.reason_code, message.reason = (
                SUPPRESSED,
                decision.reason_code,
                decision.reason_en,
            )
        elif decision.send_after is not None:
            message.next_attempt_at = decision.send_after
    session.add(message)
    return message


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(keys):
        found.update(
            session.scalars(
                select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(part))
            )
        )
    return found


def brief_subject(brief: MorningBrief, lang: str) -> str:
    return (
        f"财经早报 {brief.brief_on.isoformat()}"
        if lang == "zh-CN"
        else f"Morning brief {brief.brief_on.isoformat()}"
    )


def distribute_brief(
    session: Session, principal: Principal, settings: Settings, brief_id: int, *, channel: str, now: datetime
) -> BriefDistribution:
    """Send a published brief (the desk's own or research's) to the clients of the principal's book
    who granted marketing on ``channel``: one outbox message per brief and client, ever, scanned and
    guarded (consent in force, do-not-disturb, the weekly marketing cap, tier, quiet hours).

    Returns
    -------
    BriefDistribution
        Counts: consenting clients, queued (pending), held, suppressed, skipped (already sent).

    Raises
    ------
    InputError
        Unknown channel, or more than ``MAX_RECIPIENTS`` consenting clients.
    """
    book = _book(principal)
    if channel not in guard.CHANNEL_KINDS:
        raise InputError(
            "unknown channel",
            errors=[FieldError(("channel",), f"one of {', '.join(guard.CHANNEL_KINDS)}", channel)],
        )
    brief = _brief(session, brief_id)
    if brief.status != PUBLISHED or brief.desk not in (desk_of(principal), RESEARCH_DESK):
        raise NotFound(f"no published brief {brief_id} of your desk or the research desk")
    targets = _targets(session, book, channel, now, limit=MAX_RECIPIENTS)
    keys = {t.party.id: f"brief:{brief.id}:{t.party.party_no}" for t in targets}
    made = _existing_keys(session, list(keys.values()))
    lang = settings.locale
    text = brief.text_zh if lang == "zh-CN" else brief.text_en
    dist = BriefDistribution(brief_id=brief.id, user_id=principal.user_id, channel=channel, created_at=now,
                             consenting=len(targets), queued=0, held=0, suppressed=0, skipped=0)  # fmt: skip
    for target in targets:
        key = keys[target.party.id]
        if key in made:
            dist.skipped += 1
            continue
        message = _outbox(session, settings, target, key=key, rule_key=BRIEF_RULE, channel=channel,
                          subject=brief_subject(brief, lang), body=text, marketing=True, now=now)  # fmt: skip
        dist.queued += message.status == PENDING
        dist.held += message.status == HELD
        dist.suppressed += message.status == SUPPRESSED
    session.add(dist)
    session.flush()
    audit.append(session, principal, "brief.distribute", at=now,
                 detail=f"brief {brief.id} by {channel}: {dist.consenting} consenting, {dist.queued} queued, "
                        f"{dist.held} held, {dist.suppressed} suppressed, {dist.skipped} already sent")  # fmt: skip
    return dist


def distributions_of(
    session: Session, principal: Principal, brief_ids: list[int]
) -> dict[int, list[BriefDistribution]]:
    """The principal's own sendings of these briefs (for the page)."""
    out: dict[int, list[BriefDistribution]] = {}
    if not brief_ids:
        return out
    for d in session.scalars(
        select(BriefDistribution).where(BriefDistribution.brief_id.in_(brief_ids),
                                        BriefDistribution.user_id == principal.user_id)
        .order_by(BriefDistribution.id)
    ):  # fmt: skip
        out.setdefault(d.brief_id, []).append(d)
    return out


# ----- weekly Q&A -------------------------------------------------------------------------------------


def _host(principal: Principal) -> None:
    if principal.role not in QA_HOSTS:
        raise PermissionDenied("team leads and research host the weekly Q&A")


def _qa(session: Session, session_id: int, *, status: str | None = None) -> QaSession:
    qa = session.get(QaSession, session_id) if 1 <= session_id <= MAX_ID else None
    if qa is None:
        raise NotFound(f"no Q&A session {session_id}")
    if status is not None and qa.status != status:
        raise Conflict(f"Q&A session {session_id} is {qa.status}, not {status}",
                       errors=[FieldError(("status",), f"must be {status}", qa.status)])  # fmt: skip
    return qa


def create_session(
    session: Session, principal: Principal, *, title_zh: str, title_en: str, live_on: date, now: datetime
) -> QaSession:
    _host(principal)
    problems = [FieldError((name,), f"1 to {TITLE_MAX} characters", value[:80])
                for name, value in (("title_zh", title_zh), ("title_en", title_en))
                if not value.strip() or len(value) > TITLE_MAX]  # fmt: skip
    if problems:
        raise InputError("the Q&A session cannot be created as given", errors=problems)
    qa = QaSession(title_zh=title_zh.strip(), title_en=title_en.strip(), live_on=live_on, status=COLLECTING,
                   created_by_id=principal.user_id, created_at=now)  # fmt: skip
    session.add(qa)
    session.flush()
    audit.append(session, principal, "qa.create", at=now, detail=f"Q&A {qa.id} on {live_on}")
    return qa


def list_sessions(session: Session, principal: Principal, *, limit: int = 20) -> list[QaSession]:
    return list(
        session.scalars(
            select(QaSession).order_by(QaSession.live_on.desc(), QaSession.id.desc()).limit(limit)
        )
    )


def add_question(
    session: Session,
    principal: Principal,
    session_id: int,
    *,
    party_no: str,
    text: str,
    topic: str,
    now: datetime,
) -> QaQuestion:
    """Record a client's question for a collecting session: an RM or team lead for a client of their
    book, an integration account for any client. The same question (normalised) from the same client
    is kept once, so a replayed post adds nothing."""
    qa = _qa(session, session_id, status=COLLECTING)
    if principal.role in QA_INTEGRATION:
        party = session.scalars(select(Party).where(Party.party_no == party_no)).one_or_none()
    elif principal.role in BOOK_HOLDERS:
        party = session.scalars(
            select(Party).where(Party.party_no == party_no, changeable_parties(principal))
        ).one_or_none()
    else:
        raise PermissionDenied(
            "questions are recorded by the client's RM or posted by an integration account"
        )
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    problems = []
    normalised = dom.normalise_question(text)
    if not normalised or len(text) > dom.QUESTION_MAX:
        problems.append(FieldError(("text",), f"1 to {dom.QUESTION_MAX} characters", text[:80]))
    if topic not in QA_TOPICS:
        problems.append(FieldError(("topic",), f"one of {', '.join(QA_TOPICS)}", topic))
    if problems:
        raise InputError("the question cannot be recorded as given", errors=problems)
    same = session.scalars(select(QaQuestion).where(
        QaQuestion.session_id == qa.id, QaQuestion.party_id == party.id, QaQuestion.normalised == normalised
    )).first()  # fmt: skip
    if same is not None:
        return same
    question = QaQuestion(session_id=qa.id, party_id=party.id, recorded_by_id=principal.user_id, text=text.strip(),
                          topic=topic, normalised=normalised, asked_at=now)  # fmt: skip
    session.add(question)
    session.flush()
    audit.append(
        session,
        principal,
        "qa.question",
        at=now,
        party_id=party.id,
        detail=f"Q&A {qa.id}: question {question.id}",
    )
    return question


@dataclass(frozen=True)
class GroupView:
    rank: int
    topic: str
    label: str
    askers: int
    questions: int
    first_asked_at: datetime
    chosen: bool
    group_id: int | None = None  # stored once chosen
    answer_zh: str | None = None
    answer_en: str | None = None


@dataclass(frozen=True)
class QuestionView:
    question: QaQuestion
    party_no: str
    client_name: str  # masked


@dataclass(frozen=True)
class SessionView:
    qa: QaSession
    groups: list[GroupView]
    questions: list[QuestionView]  # of clients the reader may read (an integration account: none)
    total_questions: int


def _live_groups(session: Session, qa: QaSession) -> tuple[list[dom.Group], dict[int, QaQuestion]]:
    questions = {q.id: q for q in session.scalars(select(QaQuestion).where(QaQuestion.session_id == qa.id))}
    groups = dom.group_questions([
        dom.Question(q.id, q.party_id, q.topic, q.normalised, q.asked_at) for q in questions.values()
    ])  # fmt: skip
    return groups, questions


def read_session(session: Session, principal: Principal, session_id: int) -> SessionView:
    """The session's state: the groups (computed live while collecting, as chosen afterwards; each a
    count of askers and the earliest question's text) and the questions of the reader's clients."""
    qa = _qa(session, session_id)
    total = len(list(session.scalars(select(QaQuestion.id).where(QaQuestion.session_id == qa.id))))
    if qa.status == COLLECTING:
        groups, questions = _live_groups(session, qa)
        views = [GroupView(i + 1, g.topic, questions[g.leader_id].text, g.askers, len(g.question_ids),
                           g.first_asked_at, False) for i, g in enumerate(groups)]  # fmt: skip
    else:
        counts: dict[int, int] = {}
        for gid in session.scalars(select(QaQuestion.group_id).where(QaQuestion.session_id == qa.id)):
            if gid is not None:
                counts[gid] = counts.get(gid, 0) + 1
        views = [GroupView(g.rank, g.topic, g.label, g.askers, counts.get(g.id, 0), g.first_asked_at, g.chosen,
                           g.id, g.answer_zh, g.answer_en)
                 for g in session.scalars(select(QaGroup).where(QaGroup.session_id == qa.id).order_by(QaGroup.rank))]  # fmt: skip
    mine: list[QuestionView] = []
    if principal.reads_client_data:
        mine = [QuestionView(q, no, mask_name(name)) for q, no, name in session.execute(
            select(QaQuestion, Party.party_no, Party.name).join(Party, Party.id == QaQuestion.party_id)
            .where(QaQuestion.session_id == qa.id, readable_parties(principal)).order_by(QaQuestion.asked_at, QaQuestion.id)
        ).all()]  # fmt: skip
    return SessionView(qa, views, mine, total)


def choose_top(
    session: Session, principal: Principal, session_id: int, *, count: int, now: datetime
) -> list[QaGroup]:
    """Fix the groups and choose the top ``count`` for the live session: most distinct askers first,
    ties by the earliest question. Collecting ends (audited)."""
    _host(principal)
    qa = _qa(session, session_id, status=COLLECTING)
    groups, questions = _live_groups(session, qa)
    if not groups:
        raise InputError("no question has been collected yet", errors=[FieldError(("questions",), "none", 0)])
    chosen = {g.leader_id for g in dom.top_groups(groups, count)}
    stored = []
    for rank, g in enumerate(groups, start=1):
        row = QaGroup(session_id=qa.id, rank=rank, topic=g.topic, label=questions[g.leader_id].text, askers=g.askers,
                      first_asked_at=g.first_asked_at, chosen=g.leader_id in chosen)  # fmt: skip
        session.add(row)
        session.flush()
        for qid in g.question_ids:
            questions[qid].group_id = row.id
        stored.append(row)
    qa.status, qa.chosen_at = CHOSEN, now
    audit.append(session, principal, "qa.choose", at=now,
                 detail=f"Q&A {qa.id}: {len(chosen)} of {len(groups)} groups from {len(questions)} questions")  # fmt: skip
    return [g for g in stored if g.chosen]


def answer_group(
    session: Session, principal: Principal, settings: Settings, session_id: int, *, group_id: int,
    answer_zh: str, answer_en: str, now: datetime,
) -> QaGroup:  # fmt: skip
    """Write (or rewrite) the answer to a chosen group, in both languages; scanned like any text to clients."""
    _host(principal)
    qa = _qa(session, session_id, status=CHOSEN)
    group = session.get(QaGroup, group_id) if 1 <= group_id <= MAX_ID else None
    if group is None or group.session_id != qa.id or not group.chosen:
        raise NotFound(f"no chosen group {group_id} in Q&A session {session_id}")
    problems = [FieldError((name,), f"1 to {dom.ANSWER_MAX} characters", value[:80])
                for name, value in (("answer_zh", answer_zh), ("answer_en", answer_en))
                if not value.strip() or len(value) > dom.ANSWER_MAX]  # fmt: skip
    if problems:
        raise InputError("the answer cannot be saved as given", errors=problems)
    problems = _findings(
        settings, {"answer_zh": answer_zh, "answer_en": answer_en}, business_day(settings, now)
    )
    if problems:
        raise InputError("the compliance scan refused the answer; reword it", errors=problems)
    group.answer_zh, group.answer_en = dom.clean_text(answer_zh), dom.clean_text(answer_en)
    group.answered_at, group.answered_by_id = now, principal.user_id
    audit.append(session, principal, "qa.answer", at=now, detail=f"Q&A {qa.id}: group {group.id}")
    return group


@dataclass(frozen=True)
class Published:
    qa: QaSession
    askers: int
    queued: int
    held: int
    suppressed: int


def publish_answers(
    session: Session, principal: Principal, settings: Settings, session_id: int, *, channel: str = "in_app",
    now: datetime,
) -> Published:  # fmt: skip
    """Send each chosen group's answer back to every client who asked in it (one message per group
    and client; a reply, so no marketing consent is needed, but quiet hours, do-not-disturb tiers and
    the scan apply). Every chosen group must be answered first."""
    _host(principal)
    if channel not in guard.CHANNEL_KINDS:
        raise InputError(
            "unknown channel",
            errors=[FieldError(("channel",), f"one of {', '.join(guard.CHANNEL_KINDS)}", channel)],
        )
    qa = _qa(session, session_id, status=CHOSEN)
    groups = list(session.scalars(select(QaGroup).where(QaGroup.session_id == qa.id, QaGroup.chosen.is_(True))
                                  .order_by(QaGroup.rank)))  # fmt: skip
    unanswered = [g.rank for g in groups if not g.answer_zh]
    if unanswered:
        raise InputError("answer every chosen group before publishing",
                         errors=[FieldError(("groups", r), "not answered") for r in unanswered])  # fmt: skip
    pairs = session.execute(
        select(QaQuestion.group_id, Party).join(Party, Party.id == QaQuestion.party_id)
        .where(QaQuestion.group_id.in_([g.id for g in groups])).order_by(QaQuestion.group_id, Party.id)
    ).all()  # fmt: skip
    by_party = {p.id: p for _, p in pairs}
    states = _states(session, list(by_party), now)
    lang = settings.locale
    queued = held = suppressed = 0
    seen: set[tuple[int, int]] = set()
    for gid, party in pairs:
        if (gid, party.id) in seen:
            continue
        seen.add((gid, party.id))
        group = next(g for g in groups if g.id == gid)
        key = f"qa:{qa.id}:{gid}:{party.party_no}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
            continue
        title = qa.title_zh if lang == "zh-CN" else qa.title_en
        answer = group.answer_zh if lang == "zh-CN" else group.answer_en
        body = (f"您的提问：{group.label}\n解答：{answer}" if lang == "zh-CN"
                else f"Your question: {group.label}\nAnswer: {answer}")  # fmt: skip
        message = _outbox(session, settings, _Target(party, states[party.id]), key=key, rule_key=QA_RULE,
                          channel=channel, subject=title, body=body or "", marketing=False, now=now)  # fmt: skip
        queued += message.status == PENDING
        held += message.status == HELD
        suppressed += message.status == SUPPRESSED
    qa.status, qa.published_at = ANSWERS_PUBLISHED, now
    session.flush()
    audit.append(session, principal, "qa.publish", at=now,
                 detail=f"Q&A {qa.id}: {len(by_party)} askers, {queued} queued, {held} held, {suppressed} suppressed")  # fmt: skip
    return Published(qa, len(by_party), queued, held, suppressed)


def _states(session: Session, party_ids: list[int], now: datetime) -> dict[int, guard.ClientState]:
    consents: dict[int, list[guard.Consent]] = {}
    for part in _chunks(party_ids):
        for e in session.scalars(select(ConsentEvent).where(ConsentEvent.party_id.in_(part))):
            consents.setdefault(e.party_id, []).append(
                guard.Consent(str(e.purpose), str(e.channel), str(e.action), e.effective_at)
            )
    return {pid: guard.ClientState(consents=tuple(consents.get(pid, ()))) for pid in party_ids}


# ----- demo -----------------------------------------------------------------------------------------

DEMO_PIECES: tuple[dict[str, Any], ...] = (
    {
        "kind": "research",
        "title_zh": "新能源设备：储能订单高增，关注现金流管理",
        "title_en": "New-energy equipment: storage orders surge; watch cash flow",
        "summary_zh": "储能与光伏设备订单同比增长，回款周期拉长，建议企业客户关注应收账款与流动资金安排。",
        "summary_en": "Storage and solar equipment orders are up year on year while collection periods lengthen; corporate clients should watch receivables and working capital.",
        "author": "投研部 王磊",
        "industry_codes": ["C38"],
        "topics": ["working_capital", "supply_chain"],
    },
    {
        "kind": "policy",
        "title_zh": "软件和信息技术服务业税收优惠政策解读",
        "title_en": "Tax incentives for software and IT services explained",
        "summary_zh": "梳理软件企业增值税即征即退与研发费用加计扣除政策，适合财务总监参考。",
        "summary_en": "VAT refunds for software firms and the extra R&D deduction, for CFOs.",
        "author": "投研部 李娜",
        "industry_codes": ["I65"],
        "topics": ["tax", "policy"],
    },
    {
        "kind": "insight",
        "title_zh": "房地产行业：销售企稳信号与融资环境观察",
        "title_en": "Real estate: signs of steadier sales and the financing climate",
        "summary_zh": "重点城市成交边际改善，融资协调机制持续推进；企业客户宜审慎安排负债久期。",
        "summary_en": "Sales in key cities improve at the margin and the financing coordination mechanism continues; firms should manage debt duration prudently.",
        "author": "投研部 王磊",
        "industry_codes": ["K70"],
        "topics": ["macro", "policy"],
    },
    {
        "kind": "research",
        "title_zh": "医药制造：集采常态化下的经营策略",
        "title_en": "Pharmaceuticals: operating under routine volume-based procurement",
        "summary_zh": "集采品种扩围，企业利润结构变化，建议关注现金管理与汇率风险对冲。",
        "summary_en": "Procurement covers more drugs and margins shift; cash management and FX hedging deserve attention.",
        "author": "投研部 陈静",
        "industry_codes": ["C27"],
        "topics": ["working_capital", "fx"],
    },
    {
        "kind": "education",
        "title_zh": "个人养老金：开户、缴存与税收递延",
        "title_en": "Private pensions: opening, contributions and tax deferral",
        "summary_zh": "每年缴存上限12000元，缴费环节可税前扣除；领取时按3%单独计税。投资有风险。",
        "summary_en": "Up to CNY 12,000 a year, deductible when paid in and taxed at 3% on withdrawal. Investment involves risk.",
        "author": "财富管理部 赵敏",
        "industry_codes": [],
        "topics": ["pension", "tax"],
    },
    {
        "kind": "education",
        "title_zh": "子女教育金规划的三个步骤",
        "title_en": "Three steps to plan an education fund",
        "summary_zh": "从目标金额、时间和风险承受能力出发，结合定投分散时点风险。投资有风险。",
        "summary_en": "Start from the target amount, the horizon and risk tolerance; spread entry points with a systematic plan. Investment involves risk.",
        "author": "财富管理部 赵敏",
        "industry_codes": [],
        "topics": ["education", "family"],
    },
    {
        "kind": "insight",
        "title_zh": "家族信托与财富传承的常见安排",
        "title_en": "Family trusts and common succession arrangements",
        "summary_zh": "介绍家族信托的设立条件、资产类型与税务考虑，面向高净值客户。",
        "summary_en": "Setting up a family trust: conditions, eligible assets and tax considerations, for high-net-worth clients.",
        "author": "私人银行部 周宁",
        "industry_codes": [],
        "topics": ["succession"],
        "tiers": ["hnw"],
    },
    {
        "kind": "research",
        "title_zh": "批发贸易：供应链金融工具比较",
        "title_en": "Wholesale trade: comparing supply-chain finance tools",
        "summary_zh": "比较应收账款保理、订单融资与票据贴现的成本与适用场景。",
        "summary_en": "Costs and uses of receivables factoring, order financing and bill discounting compared.",
        "author": "投研部 李娜",
        "industry_codes": ["F51", "F52"],
        "topics": ["supply_chain", "working_capital"],
    },
)
DEMO_BRIEF = (
    "【财经早报】隔夜美股涨跌互现，美元指数小幅回落。央行开展逆回购操作，资金面平稳。今日关注制造业PMI数据。"
    "市场有风险，投资须谨慎。",
    "Morning brief: US stocks were mixed overnight and the dollar index eased. The central bank ran reverse repos; "
    "liquidity is steady. Today: the manufacturing PMI. Investment involves risk.",
)
DEMO_QUESTIONS = (
    ("equity", "明年科技板块还值得配置吗？"), ("equity", "明年科技板块还值得配置吗"), ("equity", "科技板块明年还值得配置吗？"),
    ("pension", "个人养老金账户怎么开？"), ("pension", "个人养老金账户怎么开户"), ("bond", "利率下行，债券基金还能买吗？"),
    ("education", "孩子教育金应该怎么准备？"),
)  # fmt: skip


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """Demo community content for the demo institution: library pieces, today's published research
    brief, and a weekly Q&A collecting questions from an RM's clients. Idempotent: a rerun adds nothing."""
    counts = {"pieces": 0, "briefs": 0, "sessions": 0, "questions": 0}
    research = session.scalars(select(User).where(User.username == "research01")).one_or_none()
    if research is None:
        return counts
    day = business_day(settings, now)
    for i, raw in enumerate(DEMO_PIECES):
        draft = dom.PieceDraft(
            title_zh=raw["title_zh"], title_en=raw["title_en"], summary_zh=raw["summary_zh"],
            summary_en=raw["summary_en"], body_zh="", body_en="", author=raw["author"], kind=raw["kind"],
            industry_codes=tuple(raw["industry_codes"]), topics=tuple(raw["topics"]),
            published_on=day - timedelta(days=3 * i), tiers=tuple(raw["tiers"]) if raw.get("tiers") else None,
        )  # fmt: skip
        if session.scalar(select(ContentPiece.id).where(ContentPiece.title_zh == draft.title_zh)) is None:
            session.add(_new_piece(settings, draft, created_by_id=research.id, now=now))
            counts["pieces"] += 1
    if (
        session.scalar(
            select(MorningBrief.id).where(MorningBrief.desk == RESEARCH_DESK, MorningBrief.brief_on == day)
        )
        is None
    ):
        session.add(MorningBrief(desk=RESEARCH_DESK, brief_on=day, text_zh=DEMO_BRIEF[0], text_en=DEMO_BRIEF[1],
                                 status=PUBLISHED, author_id=research.id, created_at=now, updated_at=now,
                                 published_at=now, published_by_id=research.id))  # fmt: skip
        counts["briefs"] += 1
    title = f"每周问答直播 {day.isoformat()}"
    if session.scalar(select(QaSession.id).where(QaSession.title_zh == title)) is None:
        qa = QaSession(title_zh=title, title_en=f"Weekly Q&A {day.isoformat()}", live_on=day + timedelta(days=3),
                       status=COLLECTING, created_by_id=research.id, created_at=now)  # fmt: skip
        session.add(qa)
        session.flush()
        counts["sessions"] += 1
        # questions of the first clients of the book, each recorded by the client's own RM
        parties = list(session.scalars(
            select(Party).where(Party.primary_rm_id.is_not(None)).order_by(Party.party_no).limit(len(DEMO_QUESTIONS))
        ))  # fmt: skip
        for i, ((topic, text), party) in enumerate(zip(DEMO_QUESTIONS, parties, strict=False)):
            session.add(QaQuestion(session_id=qa.id, party_id=party.id, recorded_by_id=party.primary_rm_id,
                                   text=text, topic=topic, normalised=dom.normalise_question(text),
                                   asked_at=now - timedelta(hours=len(DEMO_QUESTIONS) - i)))  # fmt: skip
            counts["questions"] += 1
    session.flush()
    return counts
