"""The benefit catalogue per wealth tier: a bilingual YAML file, built in or given by FINCRM_BENEFITS_PATH.

The file maps each tier (``hnw``, ``mass``, ``long_tail``: all three required) to a list of benefits with
``key, name_zh, name_en, description_zh, description_en`` (non-empty strings; keys unique across the file)
and optionally ``allowance_per_year`` (a whole number from 1: how many times a client may use it per
calendar year; absent means no yearly limit).
Every problem is reported at once as an ``InputError`` whose field errors are located as
``(file, line, field)`` (line numbers from 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from fincrm.errors import FieldError, InputError
from fincrm.intelligence.domain import TIERS, Tier

BUILT_IN = Path(__file__).with_name("benefits.yaml")
FIELDS = ("key", "name_zh", "name_en", "description_zh", "description_en")
OPTIONAL = ("allowance_per_year",)
ALLOWANCE_MAX = 10_000  # uses per client and calendar year; above this a limit means nothing
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Benefit:
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    allowance_per_year: int | None = None  # uses per client and calendar year; None: no limit


def load_benefits(path: Path | None = None) -> dict[Tier, list[Benefit]]:
    """Read and validate a benefit catalogue (the built-in one when ``path`` is None).

    Raises
    ------
    InputError
        The file is missing, is not YAML, or breaks the format; ``errors`` locates each problem as
        ``(file, line, field)``.

    Examples
    --------
    >>> catalogue = load_benefits()
    >>> [b.key for b in catalogue["hnw"]][:2]
    ['tailored_products', 'private_fund_allocation']
    """
    path = BUILT_IN if path is None else Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the benefit catalogue {name}: {exc.strerror}; fix FINCRM_BENEFITS_PATH or unset it",
            errors=[FieldError((name,), "file not readable")],
        ) from exc
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError(
            f"benefit catalogue {name} is not valid YAML (line {line})",
            errors=[FieldError((name, line, ""), str(getattr(exc, "problem", exc)))],
        ) from exc

    errors: list[FieldError] = []
    catalogue: dict[Tier, list[Benefit]] = {}
    if not isinstance(root, yaml.MappingNode):
        errors.append(
            FieldError((name, _line(root), ""), f"must map each tier ({', '.join(TIERS)}) to a list")
        )
    else:
        seen: set[str] = set()
        for key_node, value in root.value:
            tier = key_node.value
            if tier not in TIERS:
                errors.append(
                    FieldError(
                        (name, _line(key_node), "tier"), f"unknown tier; use one of {', '.join(TIERS)}", tier
                    )
                )
                continue
            catalogue[tier] = _benefits(name, value, seen, errors)
        for tier in TIERS:
            if tier not in catalogue:
                errors.append(
                    FieldError((name, _line(root), tier), "tier missing: list its benefits (may be [])")
                )
    if errors:
        raise InputError(
            f"benefit catalogue {name} has {len(errors)} problem(s): " + "; ".join(map(str, errors)),
            errors=errors,
        )
    return {tier: catalogue[tier] for tier in TIERS}


def _benefits(name: str, node: yaml.Node, seen: set[str], errors: list[FieldError]) -> list[Benefit]:
    if not isinstance(node, yaml.SequenceNode):
        errors.append(FieldError((name, _line(node), "benefits"), "must be a list of benefits"))
        return []
    out = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            errors.append(
                FieldError((name, _line(item), "benefit"), "must be a mapping of " + ", ".join(FIELDS))
            )
            continue
        values: dict[str, str] = {}
        allowance: int | None = None
        for k, v in item.value:
            if k.value in OPTIONAL:
                text = str(v.value).strip() if isinstance(v, yaml.ScalarNode) else ""
                if not text.isdigit() or not 1 <= int(text) <= ALLOWANCE_MAX:
                    errors.append(FieldError((name, _line(v), k.value),
                                             f"a whole number from 1 to {ALLOWANCE_MAX}", text or None))  # fmt: skip
                else:
                    allowance = int(text)
            elif k.value not in FIELDS:
                errors.append(
                    FieldError(
                        (name, _line(k), k.value), f"unknown field; use {', '.join(FIELDS + OPTIONAL)}"
                    )
                )
            elif not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
                errors.append(FieldError((name, _line(v), k.value), "must be a non-empty text"))
            else:
                values[k.value] = str(v.value).strip()
        given = {k.value for k, _ in item.value}
        errors.extend(FieldError((name, _line(item), f), "field missing") for f in FIELDS if f not in given)
        key = values.get("key")
        if key is not None:
            key_line = next(_line(v) for k, v in item.value if k.value == "key")
            if not KEY.match(key):
                errors.append(FieldError((name, key_line, "key"), "must be snake_case", key))
            elif key in seen:
                errors.append(FieldError((name, key_line, "key"), "duplicate benefit key", key))
            seen.add(key)
        if len(values) == len(FIELDS):
            out.append(Benefit(**values, allowance_per_year=allowance))
    return out


def _line(node: yaml.Node | None) -> int:
    return 1 if node is None else node.start_mark.line + 1
