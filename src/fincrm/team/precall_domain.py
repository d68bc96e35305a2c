"""Pure rules of the pre-call brief (访前简报): the SPIN question library and the choice of questions
for a client's situation. No SQLAlchemy, FastAPI, I/O or clock.

SPIN (situation, problem, implication, need-payoff; 背景 / 难点 / 暗示 / 需求-效益) questions are
grouped by topic (retirement, education, corporate cash flow, ...). A topic carries *triggers*: facts
about a client that make the topic worth raising. A trigger is one mapping with one key:

==========================  ============================================================================
``signal: KIND``            the current batch has the life-stage signal KIND for the client
``client_kind: KIND``       the client is ``individual`` or ``corporate``
``key_person: true``        the client is a key person (chairman, decision maker, CFO, ...) of a company
``tier: TIER``              the client's tier is TIER (``hnw``, ``mass``, ``long_tail``)
``rfm_cell: CELL``          the client's financial RFM cell is CELL (e.g. ``idle_cash``)
``attrition_reason: CODE``  the attrition model names CODE (e.g. ``asset_decline``)
``risk_drift: true``        behaviour shows less risk appetite than the questionnaire says
``age_at_least: YEARS``     an individual at least YEARS old on the day
``asset_share: {asset_class: CLASS, at_least: FRACTION}``  CLASS is at least FRACTION (0..1) of holdings
``onboarded_within_days: DAYS``  a client for at most DAYS days (a new company, a new client)
==========================  ============================================================================

A topic is suggested when any of its triggers holds; each suggestion carries the reasons (every
trigger that held, with the fact behind it). Topics are ranked by the number of reasons, then by
their place in the library; at most ``MAX_TOPICS`` are shown, each with its active questions in
SPIN order.

The library file (YAML) is validated as a whole; every problem is reported with the file, line
and field (``LibraryError``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from fincrm.errors import FieldError, InputError

STAGES = ("situation", "problem", "implication", "need_payoff")  # SPIN order
STAGE_LABELS = {
    "situation": ("背景问题", "Situation"), "problem": ("难点问题", "Problem"),
    "implication": ("暗示问题", "Implication"), "need_payoff": ("需求-效益问题", "Need-payoff"),
}  # fmt: skip
TRIGGER_KINDS = ("signal", "client_kind", "key_person", "tier", "rfm_cell", "attrition_reason", "risk_drift",
                 "age_at_least", "asset_share", "onboarded_within_days")  # fmt: skip
CLIENT_KINDS = ("individual", "corporate")
TIERS = ("hnw", "mass", "long_tail")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{1,63}$")  # topic and question keys: retirement, retirement.s1
TEXT_MAX = 500  # characters of a question per language
TITLE_MAX = 100  # characters of a topic title
MAX_TOPICS = 4  # topics suggested at once
ACTIVE, RETIRED = "active", "retired"


@dataclass(frozen=True)
class Trigger:
    kind: str  # one of TRIGGER_KINDS
    value: Any  # str, bool, int, or (asset_class, fraction) for asset_share


@dataclass(frozen=True)
class Topic:
    key: str
    title_zh: str
    title_en: str
    triggers: tuple[Trigger, ...]
    position: int = 0


@dataclass(frozen=True)
class Question:
    key: str
    topic: str
    stage: str
    text_zh: str
    text_en: str
    position: int = 0
    status: str = ACTIVE


@dataclass(frozen=True)
class ClientFacts:
    """What the choice reads about a client; amounts are not needed, only shares (0..1) and codes."""

    kind: str  # individual | corporate
    on: date  # the day of the brief
    birth_on: date | None = None
    onboarded_on: date | None = None
    signals: tuple[tuple[str, date], ...] = ()  # (kind, detected_on) of the current batch
    key_person_of: tuple[tuple[str, str], ...] = ()  # (company name, relationship kind)
    tier: str | None = None
    rfm_cell: str | None = None
    attrition_reasons: tuple[str, ...] = ()
    risk_drift: bool = False
    asset_shares: dict[str, float] = field(default_factory=dict)  # asset class -> share of holdings

    @property
    def age(self) -> int | None:
        if self.birth_on is None:
            return None
        b, d = self.birth_on, self.on
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


@dataclass(frozen=True)
class Reason:
    """Why a topic was chosen: the trigger and the client's fact that met it."""

    kind: str
    value: str  # the trigger's value (a code, or a threshold)
    fact: str  # the client's fact, e.g. '2026-10-01' (a signal's day), '62%' (a share), '58' (an age)


@dataclass(frozen=True)
class Suggestion:
    topic: Topic
    reasons: tuple[Reason, ...]
    questions: tuple[Question, ...]  # active, in SPIN order then position


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def reasons_for(topic: Topic, facts: ClientFacts) -> tuple[Reason, ...]:
    """Every trigger of ``topic`` that holds for the client, with the fact behind it.

    Examples
    --------
    >>> t = Topic("retirement", "养老", "Retirement", (Trigger("age_at_least", 50), Trigger("signal", "pension_planning")))
    >>> f = ClientFacts("individual", date(2026, 11, 29), birth_on=date(1970, 3, 1))
    >>> reasons_for(t, f)
    (Reason(kind='age_at_least', value='50', fact='56'),)
    """
    out: list[Reason] = []
    for tr in topic.triggers:
        k, v = tr.kind, tr.value
        if k == "signal":
            out += [Reason(k, v, day.isoformat()) for kind, day in facts.signals if kind == v][:1]
        elif k == "client_kind" and facts.kind == v:
            out.append(Reason(k, v, facts.kind))
        elif k == "key_person" and v and facts.key_person_of:
            name, rel = facts.key_person_of[0]
            out.append(Reason(k, "true", f"{name} ({rel})"))
        elif k == "tier" and facts.tier == v:
            out.append(Reason(k, v, v))
        elif k == "rfm_cell" and facts.rfm_cell == v:
            out.append(Reason(k, v, v))
        elif k == "attrition_reason" and v in facts.attrition_reasons:
            out.append(Reason(k, v, v))
        elif k == "risk_drift" and v and facts.risk_drift:
            out.append(Reason(k, "true", "true"))
        elif k == "age_at_least" and facts.kind == "individual" and facts.age is not None and facts.age >= v:
            out.append(Reason(k, str(v), str(facts.age)))
        elif k == "asset_share":
            asset_class, at_least = v
            share = facts.asset_shares.get(asset_class, 0.0)
            if share >= at_least and share > 0:
                out.append(Reason(k, f"{asset_class} >= {_pct(at_least)}", _pct(share)))
        elif (k == "onboarded_within_days" and facts.onboarded_on is not None
              and 0 <= (facts.on - facts.onboarded_on).days <= v):  # fmt: skip
            out.append(Reason(k, str(v), facts.onboarded_on.isoformat()))
    return tuple(out)


def choose(
    facts: ClientFacts, topics: Iterable[Topic], questions: Iterable[Question], *, limit: int = MAX_TOPICS
) -> list[Suggestion]:
    """The topics to raise with a client, best first, each with its reasons and active questions.

    Examples
    --------
    >>> topics = [Topic("idle_cash", "闲置资金", "Idle cash", (Trigger("asset_share", ("cash", 0.5)),), 1),
    ...           Topic("education", "教育金", "Education", (Trigger("signal", "education_fund"),), 2)]
    >>> qs = [Question("education.p1", "education", "problem", "难点？", "Problem?"),
    ...       Question("education.s1", "education", "situation", "背景？", "Situation?"),
    ...       Question("education.x", "education", "situation", "旧", "Old", status="retired")]
    >>> f = ClientFacts("individual", date(2026, 11, 29), signals=(("education_fund", date(2026, 10, 1)),),
    ...                 asset_shares={"cash": 0.2})
    >>> [(s.topic.key, [q.key for q in s.questions], s.reasons[0].fact) for s in choose(f, topics, qs)]
    [('education', ['education.s1', 'education.p1'], '2026-10-01')]
    """
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        if q.status == ACTIVE:
            by_topic.setdefault(q.topic, []).append(q)
    ranked = []
    for t in topics:
        reasons = reasons_for(t, facts)
        if reasons:
            qs = sorted(by_topic.get(t.key, []), key=lambda q: (STAGES.index(q.stage), q.position, q.key))
            ranked.append(Suggestion(t, reasons, tuple(qs)))
    ranked.sort(key=lambda s: (-len(s.reasons), s.topic.position, s.topic.key))
    return ranked[:limit]


def describe(reason: Reason) -> tuple[str, str]:
    """A reason in words, (zh, en), naming the fact; codes are left for the page to label.

    >>> describe(Reason("asset_share", "cash >= 50%", "62%"))
    ('资产占比 cash >= 50%：当前 62%', 'holdings share cash >= 50%: now 62%')
    """
    k, v, f = reason.kind, reason.value, reason.fact
    return {
        "signal": (f"人生阶段信号 {v}（{f} 识别）", f"life-stage signal {v} (detected {f})"),
        "client_kind": ("企业客户" if v == "corporate" else "个人客户", f"{v} client"),
        "key_person": (f"关键人：{f}", f"key person of {f}"),
        "tier": (f"客户分层 {v}", f"tier {v}"),
        "rfm_cell": (f"金融 RFM 分群 {v}", f"financial RFM cell {v}"),
        "attrition_reason": (f"流失风险原因 {v}", f"attrition reason {v}"),
        "risk_drift": ("实际风险偏好低于测评等级", "behaviour below the questionnaire's risk level"),
        "age_at_least": (f"年龄 {f} 岁（≥{v}）", f"age {f} (at least {v})"),
        "asset_share": (f"资产占比 {v}：当前 {f}", f"holdings share {v}: now {f}"),
        "onboarded_within_days": (
            f"新客户（{f} 开户，{v} 天内）",
            f"new client (onboarded {f}, within {v} days)",
        ),
    }[k]


# ----- the library file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    topics: tuple[Topic, ...]
    questions: tuple[Question, ...]


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _mapping(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def _text(
    m: dict[str, tuple[yaml.Node, yaml.Node]], name: str, limit: int, where: tuple, errors: list[FieldError],
    source: str, parent: yaml.Node,
) -> str:  # fmt: skip
    kv = m.get(name)
    if kv is None or not isinstance(kv[1], yaml.ScalarNode) or not str(kv[1].value).strip():
        errors.append(
            FieldError((source, _line(kv[1] if kv else parent), *where, name), "required text", None)
        )
        return ""
    value = str(kv[1].value).strip()
    if len(value) > limit:
        errors.append(
            FieldError((source, _line(kv[1]), *where, name), f"at most {limit} characters", value[:60])
        )
    return value


def _trigger(node: yaml.Node, where: tuple, errors: list[FieldError], source: str) -> Trigger | None:
    m = _mapping(node)
    loc = (source, _line(node), *where)
    if len(m) != 1:
        errors.append(FieldError(loc, f"one mapping with one of {', '.join(TRIGGER_KINDS)}", None))
        return None
    (kind, (_, v)), = m.items()  # fmt: skip
    if kind not in TRIGGER_KINDS:
        errors.append(FieldError((*loc, kind), f"one of {', '.join(TRIGGER_KINDS)}", kind))
        return None
    if kind == "asset_share":
        sub = _mapping(v)
        try:
            asset_class, at_least = str(sub["asset_class"][1].value), float(sub["at_least"][1].value)
        except (KeyError, ValueError, AttributeError):
            errors.append(FieldError((*loc, kind), "asset_class and at_least (a fraction 0..1)", None))
            return None
        if not 0 < at_least <= 1:
            errors.append(FieldError((*loc, kind, "at_least"), "a fraction above 0 and at most 1", at_least))
            return None
        return Trigger(kind, (asset_class, at_least))
    if not isinstance(v, yaml.ScalarNode):
        errors.append(FieldError((*loc, kind), "a single value", None))
        return None
    raw = str(v.value).strip()
    if kind in ("key_person", "risk_drift"):
        if raw.lower() not in ("true", "yes"):
            errors.append(FieldError((*loc, kind), "true", raw))
            return None
        return Trigger(kind, True)
    if kind in ("age_at_least", "onboarded_within_days"):
        if not raw.isdigit() or not 0 < int(raw) <= 36_600:
            errors.append(FieldError((*loc, kind), "a whole number of years or days", raw))
            return None
        return Trigger(kind, int(raw))
    if kind == "client_kind" and raw not in CLIENT_KINDS:
        errors.append(FieldError((*loc, kind), f"one of {', '.join(CLIENT_KINDS)}", raw))
        return None
    if kind == "tier" and raw not in TIERS:
        errors.append(FieldError((*loc, kind), f"one of {', '.join(TIERS)}", raw))
        return None
    if not re.match(r"^[a-z][a-z0-9_]{1,31}$", raw):
        errors.append(FieldError((*loc, kind), "a code of a-z, 0-9 and _", raw))
        return None
    return Trigger(kind, raw)


def parse_library(text: str, source: str = "spin_library.yaml") -> Library:
    """Parse and validate a SPIN library file: ``topics:``, a list of topics, each with ``key``,
    ``title_zh``, ``title_en``, ``triggers`` (a list) and ``questions`` (a list of ``key``, ``stage``,
    ``text_zh``, ``text_en``). Keys are unique over the file.

    Raises
    ------
    InputError
        Every problem at once, each located as ``(file, line, topic or question key, field)``.
    """
    errors: list[FieldError] = []
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"{source}: not valid YAML", errors=[
            FieldError((source, mark.line + 1 if mark else 0), str(exc).splitlines()[0], None)]) from None  # fmt: skip
    topics_kv = _mapping(root).get("topics") if root is not None else None
    if topics_kv is None or not isinstance(topics_kv[1], yaml.SequenceNode) or not topics_kv[1].value:
        raise InputError(f"{source}: no topics", errors=[
            FieldError((source, _line(root), "topics"), "a list of topics", None)])  # fmt: skip
    topics: list[Topic] = []
    questions: list[Question] = []
    keys: set[str] = set()
    for ti, tnode in enumerate(topics_kv[1].value, start=1):
        m = _mapping(tnode)
        key = (
            str(m["key"][1].value).strip() if "key" in m and isinstance(m["key"][1], yaml.ScalarNode) else ""
        )
        where = (key or f"topic {ti}",)
        if not KEY_PATTERN.match(key) or "." in key:
            errors.append(FieldError((source, _line(tnode), *where, "key"), "a-z, 0-9 and _, 2 to 64", key))
        elif key in keys:
            errors.append(FieldError((source, _line(m["key"][1]), *where, "key"), "used twice", key))
        keys.add(key)
        title_zh = _text(m, "title_zh", TITLE_MAX, where, errors, source, tnode)
        title_en = _text(m, "title_en", TITLE_MAX, where, errors, source, tnode)
        trig_kv = m.get("triggers")
        triggers = []
        if trig_kv is None or not isinstance(trig_kv[1], yaml.SequenceNode) or not trig_kv[1].value:
            errors.append(
                FieldError((source, _line(tnode), *where, "triggers"), "a list of at least one trigger", None)
            )
        else:
            for node in trig_kv[1].value:
                found = _trigger(node, (*where, "triggers"), errors, source)
                if found is not None:
                    triggers.append(found)
        topics.append(Topic(key, title_zh, title_en, tuple(triggers), ti))
        q_kv = m.get("questions")
        if q_kv is None or not isinstance(q_kv[1], yaml.SequenceNode):
            errors.append(
                FieldError((source, _line(tnode), *where, "questions"), "a list of questions", None)
            )
            continue
        for qi, qnode in enumerate(q_kv[1].value, start=1):
            qm = _mapping(qnode)
            qkey = (
                str(qm["key"][1].value).strip()
                if "key" in qm and isinstance(qm["key"][1], yaml.ScalarNode)
                else ""
            )
            qwhere = (qkey or f"{key} question {qi}",)
            if not KEY_PATTERN.match(qkey):
                errors.append(
                    FieldError((source, _line(qnode), *qwhere, "key"), "a-z, 0-9, _ and ., 2 to 64", qkey)
                )
            elif qkey in keys:
                errors.append(FieldError((source, _line(qm["key"][1]), *qwhere, "key"), "used twice", qkey))
            keys.add(qkey)
            stage_kv = qm.get("stage")
            stage = str(stage_kv[1].value) if stage_kv else ""
            if stage not in STAGES:
                errors.append(FieldError((source, _line(stage_kv[1] if stage_kv else qnode), *qwhere, "stage"),
                                         f"one of {', '.join(STAGES)}", stage))  # fmt: skip
            questions.append(Question(qkey, key, stage, _text(qm, "text_zh", TEXT_MAX, qwhere, errors, source, qnode),
                                      _text(qm, "text_en", TEXT_MAX, qwhere, errors, source, qnode), qi))  # fmt: skip
    if errors:
        raise InputError(f"{source}: {len(errors)} problem(s) in the SPIN library", errors=errors)
    return Library(tuple(topics), tuple(questions))


def check_question(
    topic: str, stage: str, text_zh: str, text_en: str, topics: Sequence[str]
) -> list[FieldError]:
    """The problems of a question typed in the library editor (empty when it is fine).

    >>> [e.loc for e in check_question("education", "guess", "", "ok", ["education"])]
    [('stage',), ('text_zh',)]
    """
    problems = []
    if topic not in topics:
        problems.append(FieldError(("topic",), f"one of {', '.join(topics)}", topic))
    if stage not in STAGES:
        problems.append(FieldError(("stage",), f"one of {', '.join(STAGES)}", stage))
    for name, value in (("text_zh", text_zh), ("text_en", text_en)):
        if not value.strip():
            problems.append(FieldError((name,), "required", value))
        elif len(value) > TEXT_MAX:
            problems.append(FieldError((name,), f"at most {TEXT_MAX} characters", value[:60]))
    return problems
