"""Engagement use cases: the rules in force, events in real time, the daily run over the book, the
messages a rule sends (rendered, scanned, guarded, put in the outbox), compliance's held messages.

Each function takes the session and changes state in the caller's transaction; tasks and outbox
messages are written in the same transaction as their cause (the event, or the day's run), and
the audit record goes with them. Idempotency keys make replays and reruns add nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.clients.models import ConsentEvent, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.engagement import evaluate, guard, holds, message_templates, outbox, rules, scan
from fincrm.engagement.channels import (
    EmailChannel,
    InAppChannel,
    OutgoingMessage,
    PermanentChannelError,
    WebhookChannel,
)
from fincrm.engagement.facts import load_book_facts
from fincrm.engagement.models import (
    HELD,
    OPEN,
    PENDING,
    REJECTED,
    SENT,
    SUPPRESSED,
    EngagementEvent,
    OutboxMessage,
    RuleSwitch,
    Task,
)
from fincrm.errors import FieldError, FincrmError, InputError, NotFound, PermissionDenied
from fincrm.products.models import Product

MAX_ID = 2**63 - 1
EVENT_KEY_MAX = 160  # characters of an event's idempotency key
RULE_ADMINS = (Role.TEAM_LEAD, Role.ADMIN)  # who may switch rules on and off
EVENT_SENDERS = (Role.ADMIN,)  # integration accounts (API tokens of an admin-role service user)
DRY_RUN_SAMPLE = 10
ACTION_TITLES = {  # task titles of actions that are not tasks themselves: (zh, en) with {x}
    "report": ("准备并送达{x}报告", "Prepare and deliver the {x} report"),
    "invitation": ("邀请客户参加：{x}", "Invite the client to: {x}"),
    "offer": ("向客户介绍合作方方案：{x}", "Present the partner offer: {x}"),
}
DEFAULT_TASK_MINUTES = 24 * 60  # due time of an action task when neither the action nor the rule says


# ----- rules ---------------------------------------------------------------------------------


_LOADED: dict[tuple[tuple[str, float], ...], list[rules.Rule]] = {}  # (path, mtime)... -> rules


def _rule_files(settings: Settings) -> list[rules.Rule]:
    """The rule files parsed once per process, again when a file changes (its modification time)."""
    paths: list[Any] = [rules.DEFAULT_RULES_PATH]
    if settings.engagement_rules_path is not None:
        paths.append(settings.engagement_rules_path)
    try:
        stamp = tuple((str(p), Path(p).stat().st_mtime) for p in paths)
    except OSError as exc:
        raise InputError(f"{exc.filename}: cannot read the engagement rules file ({exc.strerror})") from None
    if stamp not in _LOADED:
        _LOADED.clear()
        _LOADED[stamp] = rules.load_rule_files(paths)
    return _LOADED[stamp]


def rules_in_force(session: Session, settings: Settings) -> list[rules.Rule]:
    """The shipped rules, the institution's file over them, then the switches set in the workbench."""
    loaded = _rule_files(settings)
    switches = dict(session.execute(select(RuleSwitch.rule_key, RuleSwitch.enabled)).all())
    return [replace(r, enabled=switches.get(r.key, r.enabled)) for r in loaded]


def _rule(session: Session, settings: Settings, key: str) -> rules.Rule:
    for r in rules_in_force(session, settings):
        if r.key == key:
            return r
    raise NotFound(f"no engagement rule {key!r}")


def switch_rule(
    session: Session, principal: Principal, settings: Settings, key: str, *, enabled: bool, now: datetime
) -> rules.Rule:
    """Turn a rule on or off for the institution (team leads and administrators), audited."""
    if principal.role not in RULE_ADMINS:
        raise PermissionDenied("only team leads and administrators switch engagement rules")
    rule = _rule(session, settings, key)
    switch = session.get(RuleSwitch, key)
    if switch is None:
        switch = RuleSwitch(rule_key=key, enabled=enabled, updated_by_id=principal.user_id, updated_at=now)
        session.add(switch)
    switch.enabled, switch.updated_by_id, switch.updated_at = enabled, principal.user_id, now
    audit.append(
        session, principal, "rule.enable" if enabled else "rule.disable", at=now, detail=f"rule {key}"
    )
    return replace(rule, enabled=enabled)


@dataclass(frozen=True)
class DryRun:
    rule: rules.Rule
    on: date
    count: int  # hits over the whole book
    sample: list[evaluate.Hit]  # up to DRY_RUN_SAMPLE hits among the reader's clients


def dry_run(session: Session, principal: Principal, settings: Settings, key: str, *, on: date) -> DryRun:
    """What a rule would create on ``on`` (enabled or not), nothing stored: the count over the book
    and samples from the reader's own clients."""
    if not principal.reads_client_data and principal.role is not Role.ADMIN:
        raise PermissionDenied("your role reads no client data")
    rule = _rule(session, settings, key)
    hits = evaluate.due_today([rule], load_book_facts(session, settings, on), on, include_disabled=True)
    sample: list[evaluate.Hit] = []
    if principal.reads_client_data and hits:
        mine = set(session.scalars(
            select(Party.party_no).where(Party.party_no.in_([h.party_no for h in hits[:5000]]),
                                         readable_parties(principal))
        ))  # fmt: skip
        sample = [h for h in hits if h.party_no in mine][:DRY_RUN_SAMPLE]
    return DryRun(rule, on, len(hits), sample)


# ----- applying hits -------------------------------------------------------------------------


@dataclass
class Applied:
    hits: int = 0
    tasks: int = 0
    messages: int = 0
    held: int = 0
    suppressed: int = 0
    skipped: int = 0  # already made by an earlier run or replay
    # per event (id -> its share) when the hits came from events (``apply_hits(event_of_hit=...)``)
    by_event: dict[int, Applied] = field(default_factory=dict)


CHUNK = 5_000  # keys or client numbers per IN list (PostgreSQL allows 65,535 parameters a statement)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(session: Session, column: Any, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(sorted(set(keys))):
        found.update(session.scalars(select(column).where(column.in_(part))))
    return found


def apply_hits(
    session: Session, settings: Settings, in_force: Iterable[rules.Rule], hits: list[evaluate.Hit], *,
    now: datetime, event_of_hit: dict[str, int] | None = None,
) -> Applied:  # fmt: skip
    """Turn hits into tasks and outbox messages (in the caller's transaction), once per key.

    Keys already made are found with one query per few thousand keys, and new tasks are inserted
    in bulk; messages are rendered, scanned and guarded one by one. ``event_of_hit`` (hit key ->
    event id) marks hits that come from events: their tasks carry the event, and ``by_event`` gives
    each event its share of what was made.
    """
    by_key = {r.key: r for r in in_force}
    wanted = {h.party_no for h in hits} | {str(h.evidence["company_party_no"]) for h in hits
                                             if h.evidence.get("company_party_no")}  # fmt: skip
    parties: dict[str, Any] = {}  # party_no -> row with the columns a task or a message needs
    for part in _chunks(sorted(wanted)):
        parties.update(
            (p.party_no, p)
            for p in session.connection().execute(select(*PARTY_COLUMNS).where(Party.party_no.in_(part)))
        )
    rm_ids = {p.primary_rm_id for p in parties.values() if p.primary_rm_id is not None}
    rm_names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(rm_ids))).all())
    planned = [
        (hit, rule, action, f"{hit.idempotency_key}#{index}")
        for hit in hits if (rule := by_key.get(hit.rule_key)) is not None
        for index, action in enumerate(rule.actions)
    ]  # fmt: skip
    made_tasks = _existing(
        session, Task.idempotency_key, [k for _, _, a, k in planned if a.kind != "message"]
    )
    made_messages = _existing(
        session, OutboxMessage.idempotency_key, [k for _, _, a, k in planned if a.kind == "message"]
    )
    out = Applied(hits=len(hits))
    out.skipped += sum(1 for h in hits if h.rule_key not in by_key)
    task_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    messages = [h for h, _, a, _ in planned if a.kind == "message" and h.party_no in parties]
    recipients = recipient_facts(
        session, settings, {parties[h.party_no].id for h in messages}, now,
        with_products=any("products" in h.evidence for h in messages),
    )  # fmt: skip
    for hit, rule, action, key in planned:
        party = parties.get(hit.party_no)
        if party is None:
            out.skipped += 1
            continue
        if action.kind == "message":
            if key in made_messages:
                out.skipped += 1
                continue
            made_messages.add(key)
            row = _message_row(settings, recipients, party=party, rule=rule, action=action, key=key, hit=hit,
                               now=now, rm_name=rm_names.get(party.primary_rm_id or 0, ""))  # fmt: skip
            message_rows.append(row)
            out.messages += 1
            if event_of_hit and (event_id := event_of_hit.get(hit.idempotency_key)) is not None:
                share = out.by_event.setdefault(event_id, Applied())
                share.messages += 1
                share.held += row["status"] == HELD
                share.suppressed += row["status"] == SUPPRESSED
            out.held += row["status"] == HELD
            out.suppressed += row["status"] == SUPPRESSED
            continue
        # a key person's task goes to the RM of the company they stand for
        company = parties.get(str(hit.evidence.get("company_party_no") or ""))
        assignee = company.primary_rm_id if company is not None else party.primary_rm_id
        if assignee is None or key in made_tasks:
            out.skipped += 1  # already made, or nobody to give it to (the book assignment comes first)
            continue
        made_tasks.add(key)
        title_zh, title_en = _titles(action)
        minutes = rule.task_due_minutes(action) or DEFAULT_TASK_MINUTES
        evidence = {**hit.evidence, "action": action.kind,
                    **{k: v for k, v in action.params.items() if k in ("kind", "event", "partner")}}  # fmt: skip
        task_rows.append({
            "idempotency_key": key, "party_id": party.id, "assignee_id": assignee, "rule_key": rule.key,
            "event_id": (event_of_hit or {}).get(hit.idempotency_key), "title_zh": title_zh[:300], "title_en": title_en[:300], "reason_zh": hit.reason_zh,
            "reason_en": hit.reason_en, "evidence": json.dumps(evidence, ensure_ascii=False, default=str),
            "priority": rule.priority, "created_at": now, "due_at": now + timedelta(minutes=minutes), "status": OPEN,
        })  # fmt: skip
    # Core inserts on the session's connection (same transaction): no ORM bookkeeping per row
    # A concurrent transaction (another event of the same client, on a second worker) may make the
    # same key between the check above and these inserts: the key's row is then left to it.
    made = 0
    for part in _chunks(task_rows, 1_000):
        if event_of_hit:  # which event made which task: the keys actually inserted
            keys = _insert_new_keys(session, Task, part)
            made += len(keys)
            for r in part:
                if r["idempotency_key"] in keys and r["event_id"] is not None:
                    out.by_event.setdefault(r["event_id"], Applied()).tasks += 1
        else:
            made += _insert_new(session, Task, part)
    for part in _chunks(message_rows, 1_000):
        _insert_new(session, OutboxMessage, part)
    out.tasks = made
    return out


def _insert_new(session: Session, model: Any, rows: list[dict[str, Any]]) -> int:
    """Insert rows whose idempotency key is not taken yet (INSERT ... ON CONFLICT DO NOTHING on
    SQLite and PostgreSQL); returns how many were inserted."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(model.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = connection.execute(statement, rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def _insert_new_keys(session: Session, model: Any, rows: list[dict[str, Any]]) -> set[str]:
    """``_insert_new`` that answers the idempotency keys it inserted (RETURNING)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = model.__table__
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.idempotency_key)
    )
    return set(connection.execute(statement, rows).scalars())


def _titles(action: rules.Action) -> tuple[str, str]:
    p = action.params
    if action.kind == "task":
        return str(p.get("title_zh", "")), str(p.get("title_en", ""))
    zh, en = ACTION_TITLES[action.kind]
    x = str(p.get("kind") or p.get("event") or p.get("partner") or "")
    return zh.format(x=x), en.format(x=x)


# ----- messages ------------------------------------------------------------------------------


def address_of(party: Party, channel: str) -> str | None:
    """The client's address on ``channel``: e-mail, the phone for SMS and WeCom, the client number
    for the in-app inbox (None when the client has none)."""
    if channel == "email":
        return party.email
    if channel in ("sms", "wecom"):
        return party.phone
    return party.party_no  # in-app: the client's inbox


@dataclass
class RecipientFacts:
    """What the messages of one batch read about their clients, loaded once in column queries:
    tier (current profile), consent events, marketing sent in the last 7 days (updated as the
    batch adds messages, so the weekly cap holds within a run), product names; and the policies."""

    tiers: dict[int, str | None]
    consents: dict[int, list[guard.Consent]]
    marketing_sent: dict[int, list[datetime]]
    product_names: dict[str, tuple[str, str | None]]  # code -> (zh, en)
    policy: guard.GuardPolicy
    scan_policy: scan.ScanPolicy
    held: dict[int, str]  # clients with a marketing hold in force (an open complaint) -> its source

    def state(self, party_id: int) -> guard.ClientState:
        return guard.ClientState(
            tier=self.tiers.get(party_id), open_complaint=party_id in self.held,
            consents=tuple(self.consents.get(party_id, ())),
            marketing_sent_at=tuple(self.marketing_sent.get(party_id, ())),
        )  # fmt: skip


def recipient_facts(
    session: Session,
    settings: Settings,
    party_ids: Iterable[int],
    now: datetime,
    *,
    with_products: bool = True,
) -> RecipientFacts:
    """The guard rails' facts about ``party_ids`` as of ``now`` (UTC), in a few column queries: what any
    sender needs to scan and guard messages to them (``.state(party_id)``, ``.policy``,
    ``.scan_policy``); product names too unless ``with_products`` is False."""
    ids = sorted(set(party_ids))
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    tiers: dict[int, str | None] = {}
    consents: dict[int, list[guard.Consent]] = {}
    sent: dict[int, list[datetime]] = {}
    for part in _chunks(ids):
        if version is not None:
            tiers.update(session.execute(
                select(ClientProfile.party_id, ClientProfile.tier)
                .where(ClientProfile.version_id == version, ClientProfile.party_id.in_(part))
            ).all())  # fmt: skip
        for party_id, purpose, channel, action, at in session.execute(
            select(ConsentEvent.party_id, ConsentEvent.purpose, ConsentEvent.channel, ConsentEvent.action,
                   ConsentEvent.effective_at).where(ConsentEvent.party_id.in_(part))
        ):  # fmt: skip
            consents.setdefault(party_id, []).append(
                guard.Consent(str(purpose), str(channel), str(action), at)
            )
        for party_id, at in session.execute(
            select(OutboxMessage.party_id, OutboxMessage.created_at).where(
                OutboxMessage.party_id.in_(part), OutboxMessage.marketing.is_(True),
                OutboxMessage.status.in_((PENDING, SENT)), OutboxMessage.created_at >= now - guard.CAP_WINDOW,
            )
        ):  # fmt: skip
            sent.setdefault(party_id, []).append(at)
    names = (
        {
            code: (zh, en)
            for code, zh, en in session.execute(select(Product.code, Product.name, Product.name_en))
        }
        if with_products
        else {}
    )
    held = holds.open_holds(session, ids)
    return RecipientFacts(tiers, consents, sent, names, guard_policy(settings), scan_policy(settings), held)


def guard_policy(settings: Settings) -> guard.GuardPolicy:
    """The guard rails' settings (weekly marketing cap, quiet hours, timezone) for every sender."""
    start, end = (time.fromisoformat(settings.quiet_start), time.fromisoformat(settings.quiet_end))
    return guard.GuardPolicy(marketing_per_week=settings.marketing_per_week, quiet_start=start, quiet_end=end,
                             tz=ZoneInfo(settings.timezone))  # fmt: skip


def scan_policy(settings: Settings) -> scan.ScanPolicy:
    """The compliance scan's phrase lists: ``FINCRM_SCAN_POLICY_PATH`` or the shipped default; every
    outgoing text is scanned with it."""
    return scan.load_policy(settings.scan_policy_path) if settings.scan_policy_path else scan.DEFAULT_POLICY


PARTY_COLUMNS = (Party.id, Party.party_no, Party.name, Party.email, Party.phone, Party.primary_rm_id)


def message_facts(
    settings: Settings,
    party: Any,
    hit: evaluate.Hit,
    *,
    rm_name: str,
    lang: str,
    rule: rules.Rule | None = None,
    product_names: dict[str, tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    """What a message template may say about the client: their own facts from the hit's evidence,
    named the way the templates name them. ``party`` has ``name``; ``product_names`` maps a product
    code to its (zh, en) names (codes not in it are printed as they are)."""
    ev = hit.evidence
    facts: dict[str, Any] = {
        "client_name": party.name, "rm_name": rm_name, "rm_phone": "",
        "institution": settings.institution_name if lang == "zh-CN" else settings.institution_name_en,
    }  # fmt: skip
    if "products" in ev:  # maturity
        names = product_names or {}
        shown = [(names.get(c) or (c, c))[0 if lang == "zh-CN" else 1] or c for c in ev["products"]]
        facts["product_name"] = "、".join(shown) if lang == "zh-CN" else ", ".join(shown)
        facts["maturity_on"] = ev.get("matures_on")
    if "quarter" in ev:  # e.g. 2026Q4
        year, quarter = str(ev["quarter"]).split("Q")
        facts["year"], facts["quarter"] = int(year), int(quarter)
    if "fall_pct" in ev:  # market drawdown
        facts["index_name"] = ev.get("series", "")
        facts["index_fall_pct"] = float(ev["fall_pct"])  # percent, as the templates print it
        facts["equity_share_pct"] = float(ev.get("exposure_pct", 0))
        facts["window_days"] = (rule.trigger.params.get("within_days") if rule is not None else None) or 5
        facts["call_by"] = hit.on + timedelta(days=1)
    if "holiday" in ev:
        facts["holiday_key"] = ev["holiday"]
    if "valid_until" in ev:
        facts["valid_until"] = ev["valid_until"]
    return facts


def _message_row(
    settings: Settings, recipients: RecipientFacts, *, party: Any, rule: rules.Rule, action: rules.Action, key: str,
    hit: evaluate.Hit, now: datetime, rm_name: str,
) -> dict[str, Any]:  # fmt: skip
    """One outbox row: rendered, scanned and guarded (no database access; ``recipients`` holds the
    client facts, and is told about a marketing message that will go, for the weekly cap)."""
    channel = str(action.params.get("channel", "in_app"))
    template_key = str(action.params.get("template", ""))
    lang = settings.locale
    facts = message_facts(settings, party, hit, rm_name=rm_name, lang=lang, rule=rule,
                          product_names=recipients.product_names)  # fmt: skip
    row: dict[str, Any] = {
        "idempotency_key": key, "party_id": party.id, "rule_key": rule.key, "template_key": template_key,
        "channel": channel, "lang": lang, "recipient": "", "subject": "", "body": "", "marketing": rule.marketing,
        "status": PENDING, "reason_code": "", "reason": "", "attempts": 0, "next_attempt_at": now,
        "last_error": "", "provider_id": "", "created_at": now,
    }  # fmt: skip
    try:
        rendered = message_templates.render(template_key, lang, facts, channel=channel)
    except InputError as exc:
        row.update(status=HELD, reason_code="template_error", reason=exc.message)
        return row
    row.update(
        subject=rendered.subject[:300], body=rendered.body, marketing=rule.marketing or rendered.marketing
    )
    recipient = address_of(party, channel)
    if not recipient:
        row.update(status=SUPPRESSED, reason_code="no_address", reason=f"the client has no {channel} address")
        return row
    row["recipient"] = recipient
    # The rules' messages concern no product (no promotion): the scan looks for promises and
    # promotion wording without a risk statement, so the recipient's suitability facts are not read.
    found = scan.scan(f"{rendered.subject}\n{rendered.body}", products=(), investor=None, on=now.date(),
                      policy=recipients.scan_policy)  # fmt: skip
    if not found.ok:
        row.update(status=HELD, reason_code=",".join(found.codes),
                   reason="; ".join(f.message_en for f in found.findings))  # fmt: skip
        return row
    decision = guard.check(guard.MessageFacts(channel=channel, marketing=row["marketing"]),
                           recipients.state(party.id), now, recipients.policy)  # fmt: skip
    if not decision.allowed:
        row.update(status=SUPPRESSED, reason_code=decision.reason_code, reason=decision.reason_en)
        return row
    if decision.send_after is not None:
        row["next_attempt_at"] = decision.send_after
    if row["marketing"]:
        recipients.marketing_sent.setdefault(party.id, []).append(now)
    return row


def enqueue_message(
    session: Session, settings: Settings, *, party: Any, rule: rules.Rule, action: rules.Action, key: str,
    hit: evaluate.Hit, now: datetime, rm_name: str = "", known_new: bool = False,
) -> OutboxMessage | None:  # fmt: skip
    """Render, scan and guard one message and store it in the outbox (None if the key exists).

    Stored as ``pending`` (sent after commit by the worker, at the end of quiet hours if need be),
    ``held`` for compliance (a scan finding, or a template that cannot be filled) or ``suppressed``
    (a guard rail, or no address on the channel), each with its reason. ``party`` is a ``Party``
    or a row of ``PARTY_COLUMNS``. ``apply_hits`` does the same for many messages at once.
    """
    if not known_new and session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    recipients = recipient_facts(session, settings, [party.id], now)
    message = OutboxMessage(**_message_row(settings, recipients, party=party, rule=rule, action=action, key=key,
                                           hit=hit, now=now, rm_name=rm_name))  # fmt: skip
    session.add(message)
    session.flush()
    return message


def held_messages(session: Session, principal: Principal) -> list[tuple[OutboxMessage, str]]:
    """Messages waiting for compliance, oldest first, with the client number."""
    if principal.role is not Role.COMPLIANCE:
        raise PermissionDenied("only compliance reviews held messages")
    return list(session.execute(
        select(OutboxMessage, Party.party_no).join(Party, Party.id == OutboxMessage.party_id)
        .where(OutboxMessage.status == HELD).order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).tuples())  # fmt: skip


def decide_message(
    session: Session, principal: Principal, message_id: int, *, approve: bool, reason: str, now: datetime
) -> OutboxMessage:
    """Compliance releases a held message to be sent, or rejects it; the reason is required, audited."""
    if principal.role is not Role.COMPLIANCE:
        raise PermissionDenied("only compliance reviews held messages")
    message = session.get(OutboxMessage, message_id) if 1 <= message_id <= MAX_ID else None
    if message is None or message.status != HELD:
        raise NotFound(f"no held message {message_id}")
    if not reason.strip():
        raise InputError("say why", errors=[FieldError(("reason",), "empty", reason)])
    if approve and message.reason_code == "template_error":
        raise InputError("a message whose template could not be filled cannot be sent; reject it",
                         errors=[FieldError(("approve",), "nothing to send", message.reason)])  # fmt: skip
    message.status = PENDING if approve else REJECTED
    message.next_attempt_at, message.reviewed_by_id, message.reviewed_at = now, principal.user_id, now
    message.reason = f"{message.reason} | {'released' if approve else 'rejected'}: {reason.strip()}"[:4000]
    audit.append(session, principal, "message.release" if approve else "message.reject", at=now,
                 party_id=message.party_id, detail=f"message {message.id}: {reason.strip()[:200]}")  # fmt: skip
    return message


# ----- events and the daily run ----------------------------------------------------------------


@dataclass(frozen=True)
class Ingested:
    event_id: int
    duplicate: bool
    applied: Applied


@dataclass(frozen=True)
class EventIn:
    """An event as posted: the sender's idempotency key, kind, client number, when it happened
    (timezone-aware) and its payload."""

    key: str
    kind: str
    party_no: str
    occurred_at: datetime
    payload: dict[str, Any]


def check_event(principal: Principal, event: EventIn) -> None:
    """Refuse an event that cannot be accepted as given (who posts it, its fields), before any work."""
    if principal.role not in EVENT_SENDERS:
        raise PermissionDenied("events are posted by integration accounts (administrator role)")
    problems = []
    if not event.key or len(event.key) > EVENT_KEY_MAX:
        problems.append(FieldError(("idempotency_key",), f"1 to {EVENT_KEY_MAX} characters", event.key[:80]))
    if event.kind not in evaluate.EVENT_KINDS:
        problems.append(FieldError(("kind",), f"one of {', '.join(evaluate.EVENT_KINDS)}", event.kind))
    if event.occurred_at.tzinfo is None:
        problems.append(
            FieldError(("occurred_at",), "needs a timezone offset", event.occurred_at.isoformat())
        )
    if problems:
        raise InputError("the event cannot be accepted as given", errors=problems)


_EVENT_PARTY_COLUMNS = (Party.id, Party.party_no, Party.kind, Party.birth_on, Party.birthday_lunar,
                        Party.onboarded_on, Party.primary_rm_id, Party.industry_code)  # fmt: skip


def _client_rows(session: Session, party_nos: list[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """party_no -> (party id, the client's row for the rules), in two column queries."""
    found = {}
    for part in _chunks(sorted(set(party_nos))):
        found.update(
            (r.party_no, r)
            for r in session.execute(select(*_EVENT_PARTY_COLUMNS).where(Party.party_no.in_(part)))
        )
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    profiles: dict[int, Any] = {}
    if version is not None and found:
        for part in _chunks(sorted(r.id for r in found.values())):
            profiles.update((r.party_id, r) for r in session.execute(
                select(ClientProfile.party_id, ClientProfile.tier, ClientProfile.effective_risk, ClientProfile.aum_amount)
                .where(ClientProfile.version_id == version, ClientProfile.party_id.in_(part))
            ))  # fmt: skip
    rows = {}
    for no, r in found.items():
        profile = profiles.get(r.id)
        rows[no] = (r.id, {
            "party_no": r.party_no, "kind": str(r.kind), "birth_on": r.birth_on, "birthday_lunar": r.birthday_lunar,
            "onboarded_on": r.onboarded_on, "primary_rm_id": r.primary_rm_id, "industry_code": r.industry_code,
            "tier": profile.tier if profile is not None else None,
            "effective_risk": profile.effective_risk if profile is not None else None,
            "aum": float(profile.aum_amount) if profile is not None else None,
        })  # fmt: skip
    return rows


def _insert_events(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert events whose key is new (ON CONFLICT DO NOTHING); key -> id of those inserted. A key
    missing from the answer was stored meanwhile by a concurrent transaction (a replay racing its
    first post on another worker): that event is a duplicate."""
    if not rows:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = EngagementEvent.__table__
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.idempotency_key, table.c.id)
    )
    return {key: event_id for key, event_id in connection.execute(statement, rows)}


def ingest_events(
    session: Session, settings: Settings, events: list[tuple[Principal, EventIn]], *, now: datetime
) -> list[Ingested | FincrmError]:
    """Record many events once per key and act on them at once, in the caller's transaction (the
    batch of a group commit): one query per kind of fact for the whole batch, one bulk insert per
    table and one audit-chain update, instead of some fifteen statements per event.

    Each event is answered in order: ``Ingested`` (``duplicate`` for a key stored before, earlier in
    the batch, or by a concurrent transaction), or the error for that event alone (``NotFound`` for
    an unknown client, or what ``check_event`` raises); the other events go ahead. ``now`` (UTC)
    stamps what is made: the batch's latest receipt time.
    """
    out: list[Ingested | FincrmError | None] = [None] * len(events)
    for i, (principal, event) in enumerate(events):
        try:
            check_event(principal, event)
        except (InputError, PermissionDenied) as exc:
            out[i] = exc
    live = [i for i, o in enumerate(out) if o is None]
    keys = [events[i][1].key for i in live]
    stored: dict[str, int] = {}
    for part in _chunks(sorted(set(keys))):
        stored.update(session.execute(
            select(EngagementEvent.idempotency_key, EngagementEvent.id).where(EngagementEvent.idempotency_key.in_(part))
        ).all())  # fmt: skip
    clients = _client_rows(session, [events[i][1].party_no for i in live if events[i][1].key not in stored])
    tz = ZoneInfo(settings.timezone)
    today = now.astimezone(tz).date()
    in_force = rules_in_force(session, settings)
    enabled = [r for r in in_force if r.enabled]
    first_of_key: dict[str, int] = {}  # key -> index of its first new event in this batch
    new_rows: list[dict[str, Any]] = []
    hits_of: dict[int, list[evaluate.Hit]] = {}
    for i in live:
        principal, event = events[i]
        if event.key in stored or event.key in first_of_key:
            continue
        client = clients.get(event.party_no)
        if client is None:
            out[i] = NotFound(f"no client with client number {event.party_no!r}")
            continue
        party_id, row = client
        try:  # the payload is the event's own (a large_flow without an amount is refused alone)
            hits_of[i] = evaluate.hits_for_event(
                enabled, evaluate.Event(event.kind, event.party_no, event.occurred_at, event.payload), row, today,
                tz=tz,
            )  # fmt: skip
        except InputError as exc:
            out[i] = exc
            continue
        first_of_key[event.key] = i
        new_rows.append({
            "idempotency_key": event.key, "kind": event.kind, "party_id": party_id, "occurred_at": event.occurred_at,
            "received_at": now, "payload": json.dumps(event.payload, ensure_ascii=False, default=str),
            "hits": len(hits_of[i]),
        })  # fmt: skip
    inserted = _insert_events(session, new_rows)
    raced = [k for k in first_of_key if k not in inserted]
    for part in _chunks(raced):
        stored.update(session.execute(
            select(EngagementEvent.idempotency_key, EngagementEvent.id).where(EngagementEvent.idempotency_key.in_(part))
        ).all())  # fmt: skip
    hits: list[evaluate.Hit] = []
    event_of_hit: dict[str, int] = {}
    for key, i in first_of_key.items():
        if key in inserted:
            for hit in hits_of[i]:
                event_of_hit.setdefault(hit.idempotency_key, inserted[key])
                hits.append(hit)
    applied = apply_hits(session, settings, in_force, hits, now=now, event_of_hit=event_of_hit)
    entries = []
    for i in live:
        if out[i] is not None:
            continue
        principal, event = events[i]
        if first_of_key.get(event.key) == i and event.key in inserted:
            event_id = inserted[event.key]
            mine = applied.by_event.get(event_id, Applied())
            mine.hits = len(hits_of[i])
            out[i] = Ingested(event_id, False, mine)
            entries.append(audit.Entry(
                principal, "event.ingest", now, party_id=clients[event.party_no][0],
                detail=f"event {event_id} {event.kind} ({event.key}): {mine.hits} hits, {mine.tasks} tasks, "
                       f"{mine.messages} messages",
            ))  # fmt: skip
        else:
            out[i] = Ingested(stored.get(event.key) or inserted[event.key], True, Applied())
    audit.append_many(session, entries)
    return [o for o in out if o is not None]


def ingest_event(
    session: Session, principal: Principal, settings: Settings, *, key: str, kind: str, party_no: str,
    occurred_at: datetime, payload: dict[str, Any], now: datetime,
) -> Ingested:  # fmt: skip
    """Record an event once per key and act on it at once: the rules it triggers make their tasks
    and messages in this transaction. A replay of the same key changes nothing (at-least-once senders)."""
    event = EventIn(key, kind, party_no, occurred_at, payload)
    check_event(principal, event)
    (done,) = ingest_events(session, settings, [(principal, event)], now=now)
    if isinstance(done, FincrmError):
        raise done
    return done


def run_daily(session: Session, settings: Settings, *, on: date, now: datetime) -> Applied:
    """Every enabled rule over the whole book for ``on``; rerunning the day adds nothing."""
    in_force = rules_in_force(session, settings)
    facts = load_book_facts(session, settings, on)
    hits = evaluate.due_today([r for r in in_force if r.enabled], facts, on)
    applied = apply_hits(session, settings, in_force, hits, now=now)
    audit.append(session, None, "engagement.daily", at=now, actor="system",
                 detail=f"{on}: {applied.hits} hits, {applied.tasks} tasks, {applied.messages} messages, "
                        f"{applied.held} held, {applied.suppressed} suppressed, {applied.skipped} already made")  # fmt: skip
    return applied


# ----- channels ------------------------------------------------------------------------------


class ChannelSender:
    """The outbox's sender for one channel adapter (keys hashed into what a Message-ID allows)."""

    def __init__(self, channel: Any):
        self.channel = channel

    def send(self, message: OutboxMessage) -> str:
        key = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:40]
        outgoing = OutgoingMessage(key=key, to=message.recipient, body=message.body, subject=message.subject,
                                   lang=message.lang)  # fmt: skip
        try:
            return str(self.channel.send(outgoing))
        except PermanentChannelError as exc:
            raise outbox.PermanentFailure(exc.message) from exc


def senders(settings: Settings, *, in_app: Any = None) -> dict[str, ChannelSender]:
    """The channels configured in settings (a channel without settings is left out: its messages die
    with 'no sender configured', visible to operations)."""
    timeout = settings.channel_timeout_seconds
    out: dict[str, ChannelSender] = {}
    if settings.smtp_host:
        out["email"] = ChannelSender(EmailChannel(
            settings.smtp_host, settings.smtp_port, settings.smtp_sender, starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None, timeout=timeout,
        ))  # fmt: skip
    if settings.sms_webhook_url:
        token = settings.sms_webhook_token.get_secret_value() if settings.sms_webhook_token else None
        out["sms"] = ChannelSender(WebhookChannel(settings.sms_webhook_url, "sms", token, timeout=timeout))
    if settings.wecom_webhook_url:
        token = settings.wecom_webhook_token.get_secret_value() if settings.wecom_webhook_token else None
        out["wecom"] = ChannelSender(
            WebhookChannel(settings.wecom_webhook_url, "wecom", token, timeout=timeout)
        )
    out["in_app"] = ChannelSender(InAppChannel(in_app or (lambda m: f"inapp-{m.key}")))
    return out
