"""Cadence rules as data: what triggers a rule, whom it targets, what it does. Pure.

A rule file is YAML with one top-level key, ``rules``, holding a list of rules::

    rules:
      - key: birthday_health_check          # unique, lower_snake_case
        name_zh: 生日资产体检
        name_en: Birthday asset health check
        enabled: true                       # optional, default true
        trigger: {kind: birthday, days_before: 3, calendar: client}
        audience: {kinds: [individual], tiers: [hnw, mass]}   # optional; empty = everyone
        actions:
          - {kind: report, report: health_check}
          - {kind: task, title_zh: 生日前资产体检, title_en: Pre-birthday asset check}
        priority: 2                         # 1 (most urgent) .. 5
        sla_minutes: 4320                   # a task is due this long after the hit
        caps: {per_client_per_week: 2}      # optional; marketing touches per client per week
        marketing: false                    # required: does the rule promote a product?

The trigger's parameters and each action's parameters sit beside its ``kind``; the kinds and their
parameters are declared once, in ``TRIGGER_KINDS`` and ``ACTION_KINDS``. The loader reads the YAML
node tree (``yaml.compose``) so that every problem names the file, the line and the field, and it
reports all problems at once in one ``InputError``.

Units: percentages are percent (``fall_pct: 7`` is 7 %), amounts are in the reporting currency,
durations say their unit in the name (``days_before``, ``due_in_minutes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fincrm.clients.domain import TIERS, LifeEventKind, PartyKind, RelationshipKind, RiskLevel
from fincrm.engagement.calendar import HOLIDAY_KEYS
from fincrm.errors import FieldError, InputError
from fincrm.intelligence.signal_rules import SIGNAL_KINDS
from fincrm.products.domain import AssetClass

CHANNELS = ("email", "sms", "wecom", "in_app")
CALENDARS = ("solar", "lunar", "client")  # client: the calendar the client celebrates (birthday_lunar)
DIRECTIONS = ("in", "out")
SENTIMENTS = ("supportive", "restrictive", "neutral")  # industry_policy.direction in the lake
REPORT_KINDS = ("health_check", "quarterly", "post_crisis", "proposal", "product", "education")
LIFE_STAGE_KINDS = tuple(dict.fromkeys((*SIGNAL_KINDS, *(k.value for k in LifeEventKind))))
ASSET_CLASSES = tuple(a.value for a in AssetClass)
PARTY_KINDS = tuple(k.value for k in PartyKind)
RISK_LEVELS = tuple(r.value for r in RiskLevel)
KEY_PERSON_KINDS = ("chairman", "decision_maker", "cfo", "operator", "shareholder")
assert set(KEY_PERSON_KINDS) <= {k.value for k in RelationshipKind}
PRIORITIES = range(1, 6)  # 1 most urgent .. 5
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a trigger or action: its type, whether it is required, its default."""

    type: str  # int | number | str | str_list | bool
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] | None = None  # for str and each item of str_list
    min: float | None = None
    max: float | None = None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Kind:
    """A trigger or action kind: a one-line description and its parameters."""

    doc: str
    params: Mapping[str, Param] = field(default_factory=dict)


def _within(default: int) -> Param:
    return Param("int", False, default, min=1, max=366, doc="events dated in the last N days, today included")


def _repeat() -> Param:
    return Param("int", False, 90, min=1, max=366, doc="raise again at most once every N days")


# --- The extension points: every trigger and action kind, declared once --------------------------

TRIGGER_KINDS: dict[str, Kind] = {
    "account_opened": Kind("A client opened their relationship (onboarded_on).", {"within_days": _within(1)}),
    "first_salary": Kind("The first salary credit arrived.", {"within_days": _within(1)}),
    "product_maturing": Kind(
        "A product the client holds matures in N days.", {"days": Param("int", min=0, max=366)}
    ),
    "large_flow": Kind(
        "Money in or out of the client's accounts in one day reached an amount.",
        {
            "direction": Param("str", choices=DIRECTIONS),
            "min_amount": Param("number", min=0),
            "within_days": _within(1),
        },
    ),
    "market_drawdown": Kind(
        "A market series fell by fall_pct within within_days closes; clients exposed above a share.",
        {
            "series": Param("str"),
            "fall_pct": Param("number", min=0, max=100),
            "within_days": Param("int", min=1, max=250, doc="trading days (closes) before the latest"),
            "asset_class": Param("str", choices=ASSET_CLASSES),
            "min_exposure_pct": Param("number", min=0, max=100),
        },
    ),
    "birthday": Kind(
        "The client's birthday is in N days.",
        {
            "days_before": Param("int", min=0, max=60),
            "calendar": Param("str", False, "client", choices=CALENDARS),
        },
    ),
    "holiday": Kind(
        "A public holiday starts in N days.",
        {"names": Param("str_list", choices=HOLIDAY_KEYS), "days_before": Param("int", min=0, max=60)},
    ),
    "quarterly_review": Kind(
        "The quarterly review falls due on a day of each quarter.",
        {
            "tiers": Param("str_list", choices=TIERS),
            "day_of_quarter": Param("int", False, 1, min=1, max=90, doc="1 = first day of the quarter"),
        },
    ),
    "life_stage_signal": Kind(
        "A life-stage signal was detected or a life event recorded.",
        {"kinds": Param("str_list", choices=LIFE_STAGE_KINDS), "within_days": _within(7)},
    ),
    "risk_drift": Kind("Behaviour drifted above the stated risk level.", {"repeat_days": _repeat()}),
    "attrition_risk": Kind(
        "The attrition score reached a level.",
        {"min_score": Param("number", min=0, max=1), "repeat_days": _repeat()},
    ),
    "industry_policy": Kind(
        "A policy event for the corporate client's industry.",
        {"sentiment": Param("str_list", False, SENTIMENTS, choices=SENTIMENTS), "within_days": _within(7)},
    ),
    "questionnaire_expiry": Kind(
        "The risk questionnaire expires in N days.", {"days_before": Param("int", min=0, max=366)}
    ),
}

ACTION_KINDS: dict[str, Kind] = {
    "task": Kind(
        "A task for the client's RM, due a number of minutes after the hit.",
        {
            "title_zh": Param("str"),
            "title_en": Param("str"),
            "due_in_minutes": Param("int", False, None, min=1, doc="default: the rule's sla_minutes"),
        },
    ),
    "message": Kind(
        "A message to the client through a channel template.",
        {"template": Param("str"), "channel": Param("str", choices=CHANNELS)},
    ),
    "report": Kind(
        "A client report (e.g. the asset health check).", {"report": Param("str", choices=REPORT_KINDS)}
    ),
    "invitation": Kind("An invitation to an event.", {"event": Param("str")}),
    "offer": Kind("A partner offer.", {"partner": Param("str")}),
}

AUDIENCE_FIELDS: dict[str, Param] = {
    "kinds": Param("str_list", False, (), choices=PARTY_KINDS),
    "tiers": Param("str_list", False, (), choices=TIERS),
    "risk_levels": Param("str_list", False, (), choices=RISK_LEVELS, doc="effective risk level"),
    "min_aum_amount": Param("number", False, None, min=0),
    "max_aum_amount": Param("number", False, None, min=0),
    "key_persons": Param(
        "str_list", False, (), choices=KEY_PERSON_KINDS,
        doc="target these key persons of the (corporate) client instead of the client",
    ),
}  # fmt: skip

CAP_FIELDS: dict[str, Param] = {"per_client_per_week": Param("int", False, None, min=0)}

RULE_FIELDS = (
    "key", "name_zh", "name_en", "enabled", "trigger", "audience", "actions", "priority",
    "sla_minutes", "caps", "marketing",
)  # fmt: skip
REQUIRED_RULE_FIELDS = ("key", "name_zh", "name_en", "trigger", "actions", "priority", "marketing")


@dataclass(frozen=True)
class Trigger:
    kind: str
    params: dict[str, Any]  # every declared parameter, defaults filled in; lists as tuples


@dataclass(frozen=True)
class Audience:
    """Who a rule may hit; an empty tuple or None means no filter on that field."""

    kinds: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    min_aum_amount: float | None = None
    max_aum_amount: float | None = None
    key_persons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    kind: str  # task | message | report | invitation | offer
    params: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    key: str
    name_zh: str
    name_en: str
    enabled: bool
    trigger: Trigger
    audience: Audience
    actions: tuple[Action, ...]
    priority: int  # 1 most urgent .. 5
    sla_minutes: int | None  # a task is due within this many minutes of the hit
    caps: dict[str, int]  # e.g. {"per_client_per_week": 2}; only for marketing rules
    marketing: bool  # promotes a product: subject to the marketing caps, consent and opt-out
    source: str  # "file:line" of the rule's definition

    def task_due_minutes(self, action: Action) -> int | None:
        """Minutes from the hit to a task's due time: the action's own, else the rule's SLA."""
        return action.params.get("due_in_minutes") or self.sla_minutes


# --- Loading --------------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, source: str, node: Node, where: str, msg: str, value: Any = None) -> None:
        self.errors.append(FieldError((source, f"line {node.start_mark.line + 1}", where), msg, value))


@dataclass
class _Entry:
    """One rule's fields as YAML nodes, each with the file it came from (overrides mix files)."""

    source: str
    node: MappingNode
    fields: dict[str, tuple[str, Node, Node]]  # name -> (source, key node, value node)


_CONSTRUCTOR = SafeConstructor()


def _value(node: Node) -> Any:
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    finally:
        _CONSTRUCTOR.constructed_objects.clear()


def _label(node: Node) -> str:
    return (
        "a mapping"
        if isinstance(node, MappingNode)
        else "a list"
        if isinstance(node, SequenceNode)
        else "a value"
    )


def _mapping(node: Node, source: str, where: str, problems: _Problems) -> dict[str, tuple[Node, Node]] | None:
    """A mapping node's items by key, reporting non-mappings, non-string and duplicate keys."""
    if not isinstance(node, MappingNode):
        problems.add(source, node, where, f"expected a mapping, got {_label(node)}", _plain(node))
        return None
    items: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, str) or key == "":
            problems.add(source, key_node, where, "keys must be names")
            continue
        if key in items:
            problems.add(source, key_node, f"{where}.{key}" if where else key, "duplicate field", key)
            continue
        items[key] = (key_node, value_node)
    return items


def _plain(node: Node) -> Any:
    return node.value if isinstance(node, ScalarNode) else None


def _check(value: Any, spec: Param) -> str | None:
    """What is wrong with ``value`` for ``spec``, or None."""
    if spec.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
    elif spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
    elif spec.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    elif spec.type == "str":
        if not isinstance(value, str) or not value.strip():
            return "must be non-empty text"
        if spec.choices and value not in spec.choices:
            return f"unknown value; valid: {', '.join(spec.choices)}"
        return None
    elif spec.type == "str_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of names"
        if spec.required and not value:
            return "must name at least one"
        bad = [v for v in value if spec.choices and v not in spec.choices]
        if bad:
            return f"unknown {', '.join(map(repr, bad))}; valid: {', '.join(spec.choices or ())}"
        if len(set(value)) != len(value):
            return "lists a name twice"
        return None
    if spec.min is not None and value < spec.min:
        return f"must be at least {spec.min:g}"
    if spec.max is not None and value > spec.max:
        return f"must be at most {spec.max:g}"
    return None


def _params(
    items: dict[str, tuple[Node, Node]],
    specs: Mapping[str, Param],
    source: str,
    where: str,
    what: str,
    owner: Node,
    problems: _Problems,
) -> dict[str, Any]:
    """Typed parameters from a mapping's items: missing, unknown and mistyped ones reported."""
    out: dict[str, Any] = {}
    for name, (key_node, _) in items.items():
        if name not in specs:
            valid = ", ".join(specs) or "none"
            problems.add(
                source, key_node, f"{where}.{name}", f"unknown parameter of {what}; valid: {valid}", name
            )
    for name, spec in specs.items():
        if name not in items:
            if spec.required:
                problems.add(source, owner, f"{where}.{name}", f"missing parameter of {what}")
            else:
                out[name] = tuple(spec.default) if isinstance(spec.default, list | tuple) else spec.default
            continue
        node = items[name][1]
        try:
            value = _value(node)
        except ConstructorError as exc:
            problems.add(source, node, f"{where}.{name}", f"unreadable value: {exc.problem}")
            continue
        wrong = _check(value, spec)
        if wrong:
            problems.add(source, node, f"{where}.{name}", wrong, value)
            continue
        out[name] = tuple(value) if isinstance(value, list) else value
    return out


def _kinded(
    node: Node, kinds: Mapping[str, Kind], source: str, where: str, what: str, problems: _Problems
) -> tuple[str, dict[str, Any]] | None:
    """A ``{kind: ..., param: ...}`` mapping checked against the declared kinds."""
    items = _mapping(node, source, where, problems)
    if items is None:
        return None
    if "kind" not in items:
        problems.add(source, node, f"{where}.kind", f"missing {what} kind; valid: {', '.join(kinds)}")
        return None
    kind_node = items.pop("kind")[1]
    kind = _plain(kind_node)
    if kind not in kinds:
        problems.add(
            source, kind_node, f"{where}.kind", f"unknown {what} kind; valid: {', '.join(kinds)}", kind
        )
        return None
    params = _params(items, kinds[kind].params, source, where, f"{what} {kind}", node, problems)
    return kind, params


def _entries(text: str, source: str, problems: _Problems) -> list[_Entry]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}" if mark else "line ?"
        problems.errors.append(FieldError((source, line, ""), f"not valid YAML: {exc.problem or exc}"))
        return []
    if root is None:
        return []
    top = _mapping(root, source, "", problems)
    if top is None:
        return []
    for name, (key_node, _) in top.items():
        if name != "rules":
            problems.add(source, key_node, name, "unknown top-level field; a rule file holds `rules:`", name)
    if "rules" not in top:
        return []
    rules_node = top["rules"][1]
    if not isinstance(rules_node, SequenceNode):
        problems.add(source, rules_node, "rules", f"expected a list of rules, got {_label(rules_node)}")
        return []
    entries = []
    for i, node in enumerate(rules_node.value):
        items = _mapping(node, source, f"rules[{i}]", problems)
        if items is not None:
            fields = {name: (source, k, v) for name, (k, v) in items.items()}
            entries.append(_Entry(source, node, fields))
    return entries


def _entry_key(entry: _Entry, problems: _Problems) -> str | None:
    if "key" not in entry.fields:
        problems.add(entry.source, entry.node, "key", "missing field: every rule needs a key")
        return None
    source, _, node = entry.fields["key"]
    key = _plain(node)
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        problems.add(
            source, node, "key", "a rule key is lower_snake_case (a-z, 0-9, _), at most 64 characters", key
        )
        return None
    return key


def _build(entry: _Entry, key: str, problems: _Problems) -> Rule | None:
    before = len(problems.errors)
    fields = entry.fields
    for name, (source, key_node, _) in fields.items():
        if name not in RULE_FIELDS:
            problems.add(
                source, key_node, name, f"rule {key!r}: unknown field; valid: {', '.join(RULE_FIELDS)}", name
            )
    for name in REQUIRED_RULE_FIELDS:
        if name not in fields:
            problems.add(entry.source, entry.node, name, f"rule {key!r}: missing field")

    def scalar(name: str, spec: Param) -> Any:
        if name not in fields:
            return spec.default
        source, _, node = fields[name]
        try:
            value = _value(node)
        except ConstructorError as exc:
            problems.add(source, node, name, f"rule {key!r}: unreadable value: {exc.problem}")
            return None
        wrong = _check(value, spec)
        if wrong:
            problems.add(source, node, name, f"rule {key!r}: {name} {wrong}", value)
            return None
        return value

    name_zh = scalar("name_zh", Param("str"))
    name_en = scalar("name_en", Param("str"))
    enabled = scalar("enabled", Param("bool", False, True))
    marketing = scalar("marketing", Param("bool"))
    priority = scalar("priority", Param("int", min=min(PRIORITIES), max=max(PRIORITIES)))
    sla_minutes = scalar("sla_minutes", Param("int", False, None, min=1))

    trigger = None
    if "trigger" in fields:
        source, _, node = fields["trigger"]
        parsed = _kinded(node, TRIGGER_KINDS, source, "trigger", "trigger", problems)
        trigger = Trigger(*parsed) if parsed else None

    audience = Audience()
    if "audience" in fields:
        source, _, node = fields["audience"]
        items = _mapping(node, source, "audience", problems)
        if items is not None:
            values = _params(items, AUDIENCE_FIELDS, source, "audience", "audience", node, problems)
            audience = Audience(**values)
            low, high = audience.min_aum_amount, audience.max_aum_amount
            if low is not None and high is not None and low > high:
                problems.add(
                    source, node, "audience.max_aum_amount", "must not be below min_aum_amount", high
                )

    caps: dict[str, int] = {}
    if "caps" in fields:
        source, _, node = fields["caps"]
        items = _mapping(node, source, "caps", problems)
        if items is not None:
            values = _params(items, CAP_FIELDS, source, "caps", "caps", node, problems)
            caps = {k: v for k, v in values.items() if v is not None}

    actions: list[Action] = []
    if "actions" in fields:
        source, _, node = fields["actions"]
        if not isinstance(node, SequenceNode) or not node.value:
            problems.add(source, node, "actions", f"rule {key!r}: actions must be a non-empty list")
        else:
            for i, action_node in enumerate(node.value):
                parsed = _kinded(action_node, ACTION_KINDS, source, f"actions[{i}]", "action", problems)
                if parsed is None:
                    continue
                action = Action(*parsed)
                if action.kind == "task" and action.params["due_in_minutes"] is None and sla_minutes is None:
                    problems.add(
                        source, action_node, f"actions[{i}].due_in_minutes",
                        f"rule {key!r}: a task needs due_in_minutes or the rule's sla_minutes",
                    )  # fmt: skip
                actions.append(action)
    if caps and marketing is False:
        source, _, node = fields["caps"]
        problems.add(
            source,
            node,
            "caps",
            f"rule {key!r}: caps limit marketing touches; set marketing: true or drop caps",
        )
    if len(problems.errors) > before or trigger is None:
        return None
    return Rule(
        key=key, name_zh=name_zh, name_en=name_en, enabled=enabled, trigger=trigger, audience=audience,
        actions=tuple(actions), priority=priority, sla_minutes=sla_minutes, caps=caps, marketing=marketing,
        source=f"{entry.source}:{entry.node.start_mark.line + 1}",
    )  # fmt: skip


def _raise(problems: _Problems, what: str) -> None:
    if problems.errors:
        shown = "; ".join(str(e) for e in problems.errors[:5])
        more = f" (and {len(problems.errors) - 5} more)" if len(problems.errors) > 5 else ""
        raise InputError(
            f"{len(problems.errors)} problem(s) in {what}: {shown}{more}", errors=problems.errors
        )


def load_rules(text: str, source: str) -> list[Rule]:
    """Parse and validate one rule file; every problem names the file, line and field.

    Parameters
    ----------
    text
        The YAML text.
    source
        Name shown in errors and kept in ``Rule.source`` (usually the file path).

    Returns
    -------
    list of Rule
        In file order.

    Raises
    ------
    InputError
        Listing every problem found, each as ``FieldError((source, "line N", field), msg, value)``.

    Examples
    --------
    >>> text = '''
    ... rules:
    ...   - key: maturity_call
    ...     name_zh: 产品到期提醒
    ...     name_en: Product maturing
    ...     trigger: {kind: product_maturing, days: 7}
    ...     actions: [{kind: task, title_zh: 到期前联系客户, title_en: Call before maturity}]
    ...     priority: 2
    ...     sla_minutes: 2880
    ...     marketing: false
    ... '''
    >>> [(r.key, r.trigger.params, r.source) for r in load_rules(text, "mine.yaml")]
    [('maturity_call', {'days': 7}, 'mine.yaml:3')]
    >>> try:
    ...     load_rules(text.replace("product_maturing", "maturing"), "mine.yaml")
    ... except InputError as exc:
    ...     print(exc.errors[0])  # doctest: +ELLIPSIS
    mine.yaml:line 6:trigger.kind: unknown trigger kind; valid: account_opened, ... (got 'maturing')
    """
    problems = _Problems()
    rules: list[Rule] = []
    seen: dict[str, _Entry] = {}
    for entry in _entries(text, source, problems):
        key = _entry_key(entry, problems)
        if key is None:
            continue
        if key in seen:
            first = seen[key].node.start_mark.line + 1
            problems.add(
                source, entry.fields["key"][2], "key", f"duplicate rule key (first at line {first})", key
            )
            continue
        seen[key] = entry
        rule = _build(entry, key, problems)
        if rule is not None:
            rules.append(rule)
    _raise(problems, source)
    return rules


def load_rule_files(paths: Iterable[str | Path]) -> list[Rule]:
    """Load rule files in order; a later file overrides an earlier rule of the same key.

    An override lists only the fields it changes, e.g. ``{key: holiday_greeting, enabled: false}``
    disables a shipped rule, and ``{key: market_drawdown_comfort, trigger: {...}}`` replaces its
    trigger. Each field keeps the file and line it came from, so errors point at the right file.
    Within one file a key may appear once.

    Raises
    ------
    InputError
        Every problem of every file; a missing file is a problem too.
    """
    problems = _Problems()
    merged: dict[str, _Entry] = {}
    paths = list(paths)
    for path in paths:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            problems.errors.append(
                FieldError((source, "line 0", ""), f"cannot read the rule file: {exc.strerror}")
            )
            continue
        in_file: dict[str, int] = {}
        for entry in _entries(text, source, problems):
            key = _entry_key(entry, problems)
            if key is None:
                continue
            line = entry.node.start_mark.line + 1
            if key in in_file:
                problems.add(
                    source,
                    entry.fields["key"][2],
                    "key",
                    f"duplicate rule key (first at line {in_file[key]})",
                    key,
                )
                continue
            in_file[key] = line
            if key in merged:  # an override: its fields replace the earlier ones, one by one
                base = merged[key]
                merged[key] = _Entry(base.source, base.node, {**base.fields, **entry.fields})
            else:
                merged[key] = entry
    rules = [rule for key, entry in merged.items() if (rule := _build(entry, key, problems)) is not None]
    _raise(problems, ", ".join(str(p) for p in paths))
    return rules


DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.yaml")


def default_rules() -> list[Rule]:
    """The shipped cadence (``default_rules.yaml``)."""
    return load_rule_files([DEFAULT_RULES_PATH])
