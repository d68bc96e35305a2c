"""Tier benefits and ecosystem partners: the pure rules (no SQLAlchemy, web, I/O or clock).

- The partner catalogue: partners (renovation companies, law firms, family offices, universities, ...)
  and bundles, each triggered by a life-stage signal kind (or a recorded life event of the same
  meaning) and optionally limited to wealth tiers, parsed from YAML text with every problem located
  as ``(file, line, field)``.
- Offers: one per client, bundle and signal occurrence (the idempotency key); status
  proposed -> presented -> accepted | declined.
- Referrals: a client introduced to a partner; status referred -> contacted -> converted | lost.
- Benefits: a redemption must name a benefit of the client's current tier and fit in what is left
  of its yearly allowance (calendar year, business time zone; quantities are uses, whole numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import yaml

from fincrm.clients.domain import LifeEventKind
from fincrm.errors import FieldError, InputError
from fincrm.intelligence.domain import TIERS
from fincrm.intelligence.signal_rules import SIGNAL_KINDS

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PARTNER_KINDS = (
    "renovation", "furniture", "law_firm", "family_office", "university", "healthcare", "tax_adviser",
    "insurance", "other",
)  # fmt: skip
# what may trigger a bundle: the batch's life-stage signals and the life events staff record
TRIGGER_KINDS = tuple(dict.fromkeys((*SIGNAL_KINDS, *(k.value for k in LifeEventKind))))
PROPOSED, PRESENTED, ACCEPTED, DECLINED = "proposed", "presented", "accepted", "declined"
OFFER_STATUSES = (PROPOSED, PRESENTED, ACCEPTED, DECLINED)
OFFER_NEXT = {PROPOSED: (PRESENTED, ACCEPTED, DECLINED), PRESENTED: (ACCEPTED, DECLINED)}
REFERRED, CONTACTED, CONVERTED, LOST = "referred", "contacted", "converted", "lost"
REFERRAL_STATUSES = (REFERRED, CONTACTED, CONVERTED, LOST)
REFERRAL_NEXT = {REFERRED: (CONTACTED, CONVERTED, LOST), CONTACTED: (CONVERTED, LOST)}
NOTE_MAX = 1000  # characters of a note on a redemption, an offer or a referral
QUANTITY_MAX = 100  # uses in one redemption
PARTNER_FIELDS = ("key", "kind", "name_zh", "name_en", "description_zh", "description_en")
PARTNER_OPTIONAL = ("contact",)
BUNDLE_FIELDS = ("key", "name_zh", "name_en", "signals", "items")
BUNDLE_OPTIONAL = ("tiers", "description_zh", "description_en")
ITEM_FIELDS = ("name_zh", "name_en")
ITEM_OPTIONAL = ("partner",)


@dataclass(frozen=True, slots=True)
class Partner:
    key: str
    kind: str  # one of PARTNER_KINDS
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    contact: str = ""


@dataclass(frozen=True, slots=True)
class BundleItem:
    """One part of a bundle: the bank's own product (``partner`` empty) or a partner's."""

    name_zh: str
    name_en: str
    partner: str = ""


@dataclass(frozen=True, slots=True)
class Bundle:
    key: str
    name_zh: str
    name_en: str
    signals: tuple[str, ...]  # trigger kinds (TRIGGER_KINDS)
    items: tuple[BundleItem, ...]
    tiers: tuple[str, ...] = ()  # empty: every tier
    description_zh: str = ""
    description_en: str = ""

    @property
    def partners(self) -> tuple[str, ...]:
        """The partner keys of the bundle, in item order, each once."""
        return tuple(dict.fromkeys(i.partner for i in self.items if i.partner))


@dataclass(frozen=True, slots=True)
class Catalogue:
    partners: dict[str, Partner]
    bundles: dict[str, Bundle]

    def bundles_for(self, kind: str, tier: str | None) -> list[Bundle]:
        """The bundles a signal kind triggers for a client of ``tier`` (None: tier unknown, so only
        bundles open to every tier).

        Examples
        --------
        >>> item = BundleItem("住房按揭贷款", "Mortgage")
        >>> home = Bundle("new_home", "安家", "New home", ("renovation_need",), (item,), ("hnw",))
        >>> c = Catalogue({}, {"new_home": home})
        >>> [b.key for b in c.bundles_for("renovation_need", "hnw")], c.bundles_for("renovation_need", "mass")
        (['new_home'], [])
        """
        return [
            b for b in self.bundles.values()
            if kind in b.signals and (not b.tiers or (tier is not None and tier in b.tiers))
        ]  # fmt: skip


def offer_key(bundle_key: str, party_no: str, kind: str, on: date) -> str:
    """The idempotency key of an offer: one per client, bundle and signal occurrence.

    Examples
    --------
    >>> offer_key("new_home", "C000123", "renovation_need", date(2026, 6, 1))
    'offer:new_home:C000123:renovation_need@2026-06-01'
    """
    return f"offer:{bundle_key}:{party_no}:{kind}@{on.isoformat()}"


def transition_problem(kind: str, current: str, new: str) -> FieldError | None:
    """Why an offer or a referral may not move from ``current`` to ``new`` (None when it may).

    Examples
    --------
    >>> transition_problem("offer", "proposed", "accepted") is None
    True
    >>> str(transition_problem("referral", "converted", "lost"))
    "status: converted is final (got 'lost')"
    >>> str(transition_problem("offer", "proposed", "sold"))
    "status: one of proposed, presented, accepted, declined (got 'sold')"
    """
    statuses, following = (
        (OFFER_STATUSES, OFFER_NEXT) if kind == "offer" else (REFERRAL_STATUSES, REFERRAL_NEXT)
    )
    if new not in statuses:
        return FieldError(("status",), f"one of {', '.join(statuses)}", new)
    if current not in following:
        return FieldError(("status",), f"{current} is final", new)
    if new not in following[current]:
        return FieldError(("status",), f"from {current} only to {' or '.join(following[current])}", new)
    return None


def remaining(allowance: int | None, used: int) -> int | None:
    """What is left of a yearly allowance after ``used`` uses (None: no limit; never below 0).

    Examples
    --------
    >>> remaining(4, 1), remaining(1, 3), remaining(None, 7)
    (3, 0, None)
    """
    return None if allowance is None else max(allowance - used, 0)


def redemption_problems(
    *, benefit_key: str, tier: str | None, tier_benefits: tuple[str, ...], allowance: int | None, used: int,
    quantity: int, used_on: date, today: date, note: str,
) -> list[FieldError]:  # fmt: skip
    """Every reason a redemption cannot be recorded (empty: it can).

    ``used`` counts the client's uses of the benefit in ``used_on``'s calendar year so far.

    Examples
    --------
    >>> ok = dict(tier="mass", tier_benefits=("portfolio_checkup",), allowance=1, quantity=1,
    ...           used_on=date(2026, 6, 1), today=date(2026, 6, 30), note="")
    >>> redemption_problems(benefit_key="portfolio_checkup", used=0, **ok)
    []
    >>> [str(e) for e in redemption_problems(benefit_key="portfolio_checkup", used=1, **ok)]
    ['quantity: the yearly allowance of 1 for 2026 is used up (0 left) (got 1)']
    >>> [e.loc[0] for e in redemption_problems(benefit_key="family_office_services", used=0, **ok)]
    ['benefit_key']
    """
    problems: list[FieldError] = []
    if tier is None:
        problems.append(FieldError(("benefit_key",), "the client has no tier yet (the nightly batch sets it)",
                                   benefit_key))  # fmt: skip
    elif benefit_key not in tier_benefits:
        problems.append(
            FieldError(("benefit_key",), f"not a benefit of the client's tier ({tier})", benefit_key)
        )
    if not 1 <= quantity <= QUANTITY_MAX:
        problems.append(FieldError(("quantity",), f"a whole number from 1 to {QUANTITY_MAX}", quantity))
    elif allowance is not None and used + quantity > allowance:
        left = remaining(allowance, used)
        problems.append(FieldError(
            ("quantity",), f"the yearly allowance of {allowance} for {used_on.year} is used up ({left} left)",
            quantity,
        ))  # fmt: skip
    if used_on > today:
        problems.append(FieldError(("used_on",), "not in the future", used_on.isoformat()))
    elif used_on.year < today.year - 1:
        problems.append(FieldError(("used_on",), "this year or last year", used_on.isoformat()))
    if len(note) > NOTE_MAX:
        problems.append(FieldError(("note",), f"at most {NOTE_MAX} characters", note[:80]))
    return problems


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction, None when ``whole`` is 0.

    Examples
    --------
    >>> rate(1, 4), rate(0, 0)
    (0.25, None)
    """
    return part / whole if whole else None


# ----- the partner catalogue ---------------------------------------------------------------------


def parse_catalogue(text: str, name: str) -> Catalogue:
    """Read a partner catalogue from YAML text (``name`` is the file, for the error locations).

    Raises
    ------
    InputError
        Not YAML, or breaks the format; ``errors`` locates each problem as ``(file, line, field)``.

    Examples
    --------
    >>> text = '''
    ... partners:
    ...   - {key: anju, kind: renovation, name_zh: 安居, name_en: Anju, description_zh: 装修, description_en: Renovation}
    ... bundles:
    ...   - key: new_home
    ...     name_zh: 安家
    ...     name_en: New home
    ...     signals: [renovation_need]
    ...     items: [{name_zh: 按揭, name_en: Mortgage}, {partner: anju, name_zh: 装修贷, name_en: Renovation loan}]
    ... '''
    >>> parse_catalogue(text, "p.yaml").bundles["new_home"].partners
    ('anju',)
    >>> bad = text.replace("kind: renovation", "kind: bakery")
    >>> try:
    ...     parse_catalogue(bad, "p.yaml")
    ... except InputError as exc:
    ...     print(exc.errors[0])
    p.yaml:3:kind: unknown partner kind; use one of renovation, furniture, law_firm, family_office, university, healthcare, tax_adviser, insurance, other (got 'bakery')
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError(
            f"partner catalogue {name} is not valid YAML (line {line})",
            errors=[FieldError((name, line, ""), str(getattr(exc, "problem", exc)))],
        ) from exc
    errors: list[FieldError] = []
    partners: dict[str, Partner] = {}
    bundles: dict[str, Bundle] = {}
    sections = {}
    if not isinstance(root, yaml.MappingNode):
        errors.append(FieldError((name, _line(root), ""), "must map partners and bundles to lists"))
    else:
        for k, v in root.value:
            if k.value not in ("partners", "bundles"):
                errors.append(FieldError((name, _line(k), k.value), "unknown section; use partners, bundles"))
            else:
                sections[k.value] = v
        for section in ("partners", "bundles"):
            if section not in sections:
                errors.append(FieldError((name, _line(root), section), "section missing (may be [])"))
    for node in _items(name, sections.get("partners"), "partners", errors):
        values = _mapping(name, node, PARTNER_FIELDS, PARTNER_OPTIONAL, errors)
        if values is None:
            continue
        kind_line = _field_line(node, "kind")
        if "kind" in values and values["kind"] not in PARTNER_KINDS:
            errors.append(FieldError((name, kind_line, "kind"),
                                     f"unknown partner kind; use one of {', '.join(PARTNER_KINDS)}", values["kind"]))  # fmt: skip
            continue
        if _key_ok(name, node, values, partners, "partner", errors) and all(
            f in values for f in PARTNER_FIELDS
        ):
            partners[values["key"]] = Partner(**values)
    for node in _items(name, sections.get("bundles"), "bundles", errors):
        bundle = _bundle(name, node, partners, errors)
        if bundle is not None and _key_ok(name, node, {"key": bundle.key}, bundles, "bundle", errors):
            bundles[bundle.key] = bundle
    if errors:
        raise InputError(
            f"partner catalogue {name} has {len(errors)} problem(s): " + "; ".join(map(str, errors)),
            errors=errors,
        )
    return Catalogue(partners, bundles)


def _bundle(
    name: str, node: yaml.Node, partners: dict[str, Partner], errors: list[FieldError]
) -> Bundle | None:
    if not isinstance(node, yaml.MappingNode):
        errors.append(
            FieldError((name, _line(node), "bundle"), "must be a mapping of " + ", ".join(BUNDLE_FIELDS))
        )
        return None
    given = {k.value: v for k, v in node.value}
    before = len(errors)
    texts: dict[str, str] = {}
    for k, v in node.value:
        if k.value not in BUNDLE_FIELDS + BUNDLE_OPTIONAL:
            errors.append(FieldError((name, _line(k), k.value),
                                     f"unknown field; use {', '.join(BUNDLE_FIELDS + BUNDLE_OPTIONAL)}"))  # fmt: skip
        elif k.value not in ("signals", "items", "tiers"):
            if not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
                errors.append(FieldError((name, _line(v), k.value), "must be a non-empty text"))
            else:
                texts[k.value] = str(v.value).strip()
    errors.extend(
        FieldError((name, _line(node), f), "field missing") for f in BUNDLE_FIELDS if f not in given
    )
    signals = _words(name, given.get("signals"), "signals", TRIGGER_KINDS, "signal kind", errors)
    tiers = _words(name, given.get("tiers"), "tiers", TIERS, "tier", errors) if "tiers" in given else ()
    items: list[BundleItem] = []
    for item in _items(name, given.get("items"), "items", errors) if "items" in given else ():
        values = _mapping(name, item, ITEM_FIELDS, ITEM_OPTIONAL, errors)
        if values is None:
            continue
        if values.get("partner") and values["partner"] not in partners:
            errors.append(FieldError((name, _field_line(item, "partner"), "partner"),
                                     "no such partner in the partners section", values["partner"]))  # fmt: skip
        elif all(f in values for f in ITEM_FIELDS):
            items.append(BundleItem(**values))
    if "items" in given and isinstance(given["items"], yaml.SequenceNode) and not given["items"].value:
        errors.append(FieldError((name, _line(given["items"]), "items"), "at least one item"))
    if "key" in texts and not KEY.match(texts["key"]):
        errors.append(FieldError((name, _field_line(node, "key"), "key"), "must be snake_case", texts["key"]))
    if len(errors) > before:
        return None
    return Bundle(
        key=texts["key"], name_zh=texts["name_zh"], name_en=texts["name_en"], signals=signals, items=tuple(items),
        tiers=tiers, description_zh=texts.get("description_zh", ""), description_en=texts.get("description_en", ""),
    )  # fmt: skip


def _items(name: str, node: yaml.Node | None, field: str, errors: list[FieldError]) -> list[yaml.Node]:
    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        errors.append(FieldError((name, _line(node), field), "must be a list"))
        return []
    return list(node.value)


def _mapping(
    name: str, node: yaml.Node, fields: tuple[str, ...], optional: tuple[str, ...], errors: list[FieldError]
) -> dict[str, str] | None:
    """The text fields of a mapping node (problems appended), None when it is not a mapping."""
    if not isinstance(node, yaml.MappingNode):
        errors.append(FieldError((name, _line(node), "item"), "must be a mapping of " + ", ".join(fields)))
        return None
    values: dict[str, str] = {}
    for k, v in node.value:
        if k.value not in fields + optional:
            errors.append(
                FieldError((name, _line(k), k.value), f"unknown field; use {', '.join(fields + optional)}")
            )
        elif not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
            errors.append(FieldError((name, _line(v), k.value), "must be a non-empty text"))
        else:
            values[k.value] = str(v.value).strip()
    given = {k.value for k, _ in node.value}
    errors.extend(FieldError((name, _line(node), f), "field missing") for f in fields if f not in given)
    return values


def _words(
    name: str,
    node: yaml.Node | None,
    field: str,
    allowed: tuple[str, ...],
    what: str,
    errors: list[FieldError],
) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        errors.append(FieldError((name, _line(node), field), f"must be a non-empty list of {what}s"))
        return ()
    out = []
    for item in node.value:
        value = str(item.value) if isinstance(item, yaml.ScalarNode) else ""
        if value not in allowed:
            errors.append(FieldError((name, _line(item), field), f"unknown {what}; use one of {', '.join(allowed)}",
                                     value or None))  # fmt: skip
        else:
            out.append(value)
    return tuple(dict.fromkeys(out))


def _key_ok(
    name: str, node: yaml.Node, values: dict[str, str], seen: dict, what: str, errors: list[FieldError]
) -> bool:
    key = values.get("key")
    if key is None:
        return False
    line = _field_line(node, "key")
    if not KEY.match(key):
        errors.append(FieldError((name, line, "key"), "must be snake_case (a-z, 0-9, _; at most 64)", key))
        return False
    if key in seen:
        errors.append(FieldError((name, line, "key"), f"duplicate {what} key", key))
        return False
    return True


def _field_line(node: yaml.Node, field: str) -> int:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == field:
                return _line(v)
    return _line(node)


def _line(node: yaml.Node | None) -> int:
    return 1 if node is None else node.start_mark.line + 1
