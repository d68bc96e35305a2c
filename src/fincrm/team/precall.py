"""The pre-call brief (访前简报) and its editable SPIN question library.

The brief gathers, for one client the reader may read, what an RM wants in front of them before any
contact, from the services that own each part (nothing here re-reads their tables):

* memory points, family and key persons, the last interactions, holdings by asset class and AUM:
  ``clients.service.read_client_360`` (one audited ``client.read``, like the 360 page);
* open signals, risk drift and attrition: ``clients.profile.read_intelligence`` (current batch);
* open partner offers: ``engagement.programmes.list_offers``;
* products the client's risk level allows: the product shelf with look-through facts
  (``portfolio.service.shelf_facts``), the client's questionnaire (``client_investor``) and the
  suitability table (``portfolio.suitability.check_many``), at the lower of the stated and the
  effective (batch) level; only ``suitable`` verdicts are listed;
* open tasks of the client (the one query of this module's own: tasks have no per-client reader);
* SPIN questions chosen by ``precall_domain.choose`` from the library in the store, each topic with
  the reasons (the signal or fact that chose it).

The SPIN library: imported from ``spin_library.yaml`` (or an institution's file, validated with
file, line and field); team leads add, edit and retire questions, each change audited. Until a
library is imported, the brief uses the shipped file as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.clients import profile as clients_profile
from fincrm.clients import service as clients_service
from fincrm.clients.domain import FAMILY_KINDS, KEY_PERSON_KINDS
from fincrm.clients.schemas import Client360, IntelligenceRead, RelationRead
from fincrm.config import Settings
from fincrm.core.crypto import FieldCipher
from fincrm.engagement import programmes
from fincrm.engagement import programmes_domain as pgd
from fincrm.engagement.models import OPEN, Task
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied
from fincrm.portfolio import service as portfolio_service
from fincrm.portfolio import suitability
from fincrm.team import precall_domain as pd
from fincrm.team.spin_models import SpinQuestion, SpinTopic

DEFAULT_LIBRARY_PATH = Path(__file__).with_name("spin_library.yaml")
LAST_INTERACTIONS = 5  # interactions shown
MAX_PRODUCTS = 8  # suitable products shown (closest to the client's level first)
MAX_TASKS = 10
EDITORS = (Role.TEAM_LEAD,)  # who edits the SPIN library


# ----- the SPIN library -----------------------------------------------------------------------------


def load_library_file(path: Path) -> pd.Library:
    """Read and validate a library file (errors name the file, line and field)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the SPIN library ({exc.strerror})",
                         errors=[FieldError((str(path),), exc.strerror or "unreadable", None)]) from None  # fmt: skip
    return pd.parse_library(text, path.name)


def _trigger_json(t: pd.Trigger) -> dict[str, Any]:
    return {"kind": t.kind, "value": list(t.value) if isinstance(t.value, tuple) else t.value}


def _trigger_of(raw: dict[str, Any]) -> pd.Trigger:
    value = raw["value"]
    return pd.Trigger(raw["kind"], tuple(value) if isinstance(value, list) else value)


@dataclass(frozen=True)
class LibraryRead:
    topics: list[pd.Topic]
    questions: list[pd.Question]  # every question, retired ones included
    stored: bool  # False: nothing imported yet, the shipped file is shown
    updated_by: dict[str, str]  # question key -> username of its last editor ('' for an import)


def read_library(session: Session) -> LibraryRead:
    """The library in the store, or the shipped file while none was imported."""
    topics = list(session.scalars(select(SpinTopic).order_by(SpinTopic.position, SpinTopic.key)))
    if not topics:
        lib = load_library_file(DEFAULT_LIBRARY_PATH)
        return LibraryRead(list(lib.topics), list(lib.questions), False, {})
    users = dict(session.execute(select(User.id, User.username)).all())
    rows = list(session.scalars(select(SpinQuestion).order_by(SpinQuestion.topic_key, SpinQuestion.position,
                                                              SpinQuestion.key)))  # fmt: skip
    return LibraryRead(
        [pd.Topic(t.key, t.title_zh, t.title_en, tuple(_trigger_of(r) for r in json.loads(t.triggers)), t.position)
         for t in topics],
        [pd.Question(q.key, q.topic_key, q.stage, q.text_zh, q.text_en, q.position, q.status) for q in rows],
        True, {q.key: users.get(q.updated_by_id or 0, "") for q in rows},
    )  # fmt: skip


@dataclass(frozen=True)
class Imported:
    topics_added: int
    topics_updated: int
    questions_added: int
    questions_updated: int


def import_library(
    session: Session, principal: Principal | None, library: pd.Library, *, now: datetime, source: str
) -> Imported:
    """Store a validated library: topics and questions are matched by key, added or updated (a listed
    question that was retired becomes active again); questions the file does not list are left as
    they are. ``principal`` None is the system (CLI, demo); otherwise a team lead. Audited."""
    if principal is not None and principal.role not in EDITORS:
        raise PermissionDenied("team leads edit the SPIN library")
    topics = {t.key: t for t in session.scalars(select(SpinTopic))}
    questions = {q.key: q for q in session.scalars(select(SpinQuestion))}
    counts = [0, 0, 0, 0]
    for t in library.topics:
        triggers = json.dumps([_trigger_json(x) for x in t.triggers], ensure_ascii=False)
        row = topics.get(t.key)
        if row is None:
            session.add(SpinTopic(key=t.key, title_zh=t.title_zh, title_en=t.title_en, triggers=triggers,
                                  position=t.position, updated_at=now))  # fmt: skip
            counts[0] += 1
        elif (row.title_zh, row.title_en, row.triggers, row.position) != (
            t.title_zh,
            t.title_en,
            triggers,
            t.position,
        ):
            row.title_zh, row.title_en, row.triggers, row.position, row.updated_at = (
                t.title_zh, t.title_en, triggers, t.position, now)  # fmt: skip
            counts[1] += 1
    for q in library.questions:
        row = questions.get(q.key)
        if row is None:
            session.add(SpinQuestion(key=q.key, topic_key=q.topic, stage=q.stage, text_zh=q.text_zh, text_en=q.text_en,
                                     position=q.position, status=pd.ACTIVE, created_at=now, updated_at=now,
                                     updated_by_id=principal.user_id if principal else None))  # fmt: skip
            counts[2] += 1
        elif (row.topic_key, row.stage, row.text_zh, row.text_en, row.position, row.status) != (
                q.topic, q.stage, q.text_zh, q.text_en, q.position, pd.ACTIVE):  # fmt: skip
            row.topic_key, row.stage, row.text_zh, row.text_en, row.position, row.status = (
                q.topic, q.stage, q.text_zh, q.text_en, q.position, pd.ACTIVE)  # fmt: skip
            row.updated_at, row.updated_by_id = now, principal.user_id if principal else None
            counts[3] += 1
    session.flush()
    result = Imported(*counts)
    audit.append(session, principal, "spin.import", at=now, actor=None if principal else "system",
                 detail=f"{source}: {result.topics_added} topics added, {result.topics_updated} updated, "
                        f"{result.questions_added} questions added, {result.questions_updated} updated")  # fmt: skip
    return result


def _editor(principal: Principal) -> None:
    if principal.role not in EDITORS:
        raise PermissionDenied("team leads edit the SPIN library")


def _stored_topics(session: Session) -> list[str]:
    keys = list(session.scalars(select(SpinTopic.key).order_by(SpinTopic.position)))
    if not keys:
        raise InputError("the SPIN library has not been loaded yet; import it first (fincrm team spin import)",
                         errors=[FieldError(("library",), "empty", None)])  # fmt: skip
    return keys


def _question(session: Session, key: str) -> SpinQuestion:
    row = session.scalars(select(SpinQuestion).where(SpinQuestion.key == key).with_for_update()).one_or_none()
    if row is None:
        raise NotFound(f"no SPIN question {key!r}")
    return row


def add_question(
    session: Session,
    principal: Principal,
    *,
    topic: str,
    stage: str,
    text_zh: str,
    text_en: str,
    now: datetime,
) -> SpinQuestion:
    """A new question at the end of a topic's stage (team leads), keyed ``<topic>.<stage letter><n>``."""
    _editor(principal)
    problems = pd.check_question(topic, stage, text_zh, text_en, _stored_topics(session))
    if problems:
        raise InputError("the question cannot be added as given", errors=problems)
    taken = set(session.scalars(select(SpinQuestion.key).where(SpinQuestion.topic_key == topic)))
    n = 1
    while f"{topic}.{stage[0]}{n}" in taken:
        n += 1
    position = (
        session.scalar(select(func.max(SpinQuestion.position)).where(SpinQuestion.topic_key == topic)) or 0
    ) + 1
    row = SpinQuestion(key=f"{topic}.{stage[0]}{n}", topic_key=topic, stage=stage, text_zh=text_zh.strip(),
                       text_en=text_en.strip(), position=position, status=pd.ACTIVE, created_at=now, updated_at=now,
                       updated_by_id=principal.user_id)  # fmt: skip
    session.add(row)
    session.flush()
    audit.append(session, principal, "spin.add", at=now, detail=f"{row.key} ({stage}): {row.text_zh[:100]}")
    return row


def edit_question(
    session: Session, principal: Principal, key: str, *, stage: str, text_zh: str, text_en: str, now: datetime
) -> SpinQuestion:
    """Change a question's stage or texts (team leads); audited with the old and the new Chinese text."""
    _editor(principal)
    row = _question(session, key)
    problems = pd.check_question(row.topic_key, stage, text_zh, text_en, [row.topic_key])
    if problems:
        raise InputError("the question cannot be saved as given", errors=problems)
    before = row.text_zh
    row.stage, row.text_zh, row.text_en = stage, text_zh.strip(), text_en.strip()
    row.updated_at, row.updated_by_id = now, principal.user_id
    audit.append(session, principal, "spin.edit", at=now,
                 detail=f"{key} ({stage}): {before[:100]} -> {row.text_zh[:100]}")  # fmt: skip
    return row


def retire_question(session: Session, principal: Principal, key: str, *, now: datetime) -> SpinQuestion:
    """Stop suggesting a question (team leads); it stays in the store for the record. Audited."""
    _editor(principal)
    row = _question(session, key)
    if row.status == pd.RETIRED:
        raise InputError("the question is already retired", errors=[FieldError(("key",), "retired", key)])
    row.status, row.updated_at, row.updated_by_id = pd.RETIRED, now, principal.user_id
    audit.append(session, principal, "spin.retire", at=now, detail=f"{key}: {row.text_zh[:100]}")
    return row


# ----- the brief ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTask:
    id: int
    title_zh: str
    title_en: str
    reason_zh: str
    reason_en: str
    priority: int
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class SuitableProduct:
    code: str
    name: str
    name_en: str | None
    kind: str
    risk_rating: str
    asset_class: str


@dataclass(frozen=True)
class PreCallBrief:
    party_no: str
    on: date  # the business day of the brief
    client: Client360  # masked personal data; holdings, last interactions, memory points
    intelligence: IntelligenceRead  # signals, risk drift, attrition (current batch)
    family: list[RelationRead]
    key_persons: list[RelationRead]  # the company's key persons, or the companies the client stands for
    open_tasks: list[OpenTask]
    offers: list[programmes.OfferView]  # open partner offers (proposed or presented)
    level: str | None  # the risk level products were matched at (lower of stated and effective)
    products: list[SuitableProduct]
    products_total: int  # suitable products on the shelf (``products`` shows the first MAX_PRODUCTS)
    products_note: tuple[str, str] | None  # (zh, en) when no product may be recommended, and why
    suggestions: list[pd.Suggestion]
    library_stored: bool


def _lower(a: str | None, b: str | None) -> str | None:
    known = [x for x in (a, b) if x in suitability.LEVELS]
    return min(known, key=suitability.LEVELS.index) if known else None


def _products(session: Session, party: Any, on: date) -> tuple[str | None, list[SuitableProduct], int,
                                                                    tuple[str, str] | None]:  # fmt: skip
    investor, effective = portfolio_service.client_investor(session, party)
    level = _lower(investor.level, effective)
    matched = suitability.Investor(level, investor.valid_until, professional=investor.professional,
                                   qualified=investor.qualified)  # fmt: skip
    shelf = portfolio_service.shelf_facts(session)
    facts = list(shelf.values())
    verdicts = suitability.check_many(
        matched, [suitability.Product(f.code, f.kind, f.risk_rating, f.name) for f in facts], on
    )
    blocked = next((v for v in verdicts if v.outcome == "blocked"), None)
    if blocked is not None:
        return level, [], 0, (blocked.message_zh, blocked.message_en)
    ok = [f for f, v in zip(facts, verdicts, strict=True) if v.outcome == "suitable"]
    ok.sort(key=lambda f: (-int(f.risk_rating[1]), f.code))
    shown = [
        SuitableProduct(f.code, f.name, f.name_en, f.kind, f.risk_rating, f.asset_class)
        for f in ok[:MAX_PRODUCTS]
    ]
    return level, shown, len(ok), None


def _open_tasks(session: Session, party_id: int, now: datetime) -> list[OpenTask]:
    rows = session.scalars(
        select(Task).where(Task.party_id == party_id, Task.status == OPEN)
        .order_by(Task.due_at, Task.priority, Task.id).limit(MAX_TASKS))  # fmt: skip
    return [OpenTask(t.id, t.title_zh, t.title_en, t.reason_zh, t.reason_en, t.priority, t.due_at, t.due_at < now)
            for t in rows]  # fmt: skip


def facts_of(
    data: Client360, intel: IntelligenceRead, on: date, *, onboarded_on: date | None
) -> pd.ClientFacts:
    """The facts the SPIN choice reads, from the 360 and the batch profile already read."""
    p = data.profile
    key_person_of = tuple((r.name, r.kind) for r in data.relationships.relations
                          if r.inverse and r.kind in KEY_PERSON_KINDS)  # fmt: skip
    return pd.ClientFacts(
        kind=p.kind, on=on, birth_on=p.birth_on, onboarded_on=onboarded_on,
        signals=tuple((s.kind, s.detected_on) for s in intel.signals), key_person_of=key_person_of,
        tier=intel.tier, rfm_cell=intel.rfm_cell, attrition_reasons=tuple(intel.attrition_reasons),
        risk_drift=intel.risk_drift, asset_shares={a.asset_class: a.share for a in data.holdings.allocation},
    )  # fmt: skip


def precall_brief(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, now: datetime
) -> PreCallBrief:
    """Everything to have in front of you before contacting a client, read in the caller's transaction
    and audited as one ``client.read`` (personal data, like the 360).

    Raises
    ------
    NotFound
        The client is outside the reader's scope.
    PermissionDenied
        A role that reads no client data (administrators).
    """
    on = now.astimezone(settings.tz).date()
    cipher = FieldCipher(settings.pii_key_bytes, "national_id", alternate=settings.pii_key_alternate_bytes)
    data = clients_service.read_client_360(session, principal, party_no, cipher=cipher, now=now, today=on,
                                           interactions_page_size=LAST_INTERACTIONS)  # fmt: skip
    party = clients_service.readable_party(session, principal, party_no)
    intel = clients_profile.read_intelligence(session, principal, party_no, now=now, audited=False)
    relations = data.relationships.relations
    family = [
        r for r in relations if r.kind in FAMILY_KINDS or (r.household and r.kind not in KEY_PERSON_KINDS)
    ]
    key_persons = [r for r in relations if r.kind in KEY_PERSON_KINDS]
    offers = [o for o in programmes.list_offers(session, principal, party_no=party_no)
              if o.offer.status in (pgd.PROPOSED, pgd.PRESENTED)]  # fmt: skip
    level, products, total, note = _products(session, party, on)
    library = read_library(session)
    facts = facts_of(data, intel, on, onboarded_on=party.onboarded_on)
    return PreCallBrief(
        party_no=party.party_no, on=on, client=data, intelligence=intel, family=family, key_persons=key_persons,
        open_tasks=_open_tasks(session, party.id, now), offers=offers, level=level, products=products,
        products_total=total, products_note=note,
        suggestions=pd.choose(facts, library.topics, library.questions), library_stored=library.stored,
    )  # fmt: skip


# ----- demo -----------------------------------------------------------------------------------------


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> Imported | None:
    """Load the shipped SPIN library when the store has none (safe to rerun: None when already loaded)."""
    del settings  # the shipped library needs no settings
    if session.scalar(select(SpinTopic.id).limit(1)) is not None:
        return None
    return import_library(session, None, load_library_file(DEFAULT_LIBRARY_PATH), now=now,
                          source=DEFAULT_LIBRARY_PATH.name)  # fmt: skip
