"""The entity reference of docs/import.md, generated from the declarations.

``python -m fincrm.ingest.docs docs/import.md`` rewrites the part of the file between the
``BEGIN GENERATED`` and ``END GENERATED`` markers; a test fails when the two disagree, so the
documentation cannot drift from what the importer checks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fincrm.core.fields import Field
from fincrm.ingest.entities import ENTITIES, EntitySpec

BEGIN = "<!-- BEGIN GENERATED: entity reference (python -m fincrm.ingest.docs docs/import.md) -->"
END = "<!-- END GENERATED: entity reference -->"

KIND_LABELS = {
    "string": "text",
    "int": "integer",
    "float": "number",
    "amount": "amount (decimal, 2 places)",
    "units": "units (decimal, 6 places)",
    "rate": "percent (decimal, 6 places)",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "yes/no",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type(f: Field) -> str:
    label = KIND_LABELS[f.kind]
    if f.max_length is not None:
        label += f", ≤ {f.max_length} chars"
    return label


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _rules(f: Field) -> str:
    parts = []
    if f.choices is not None:
        parts.append("one of " + ", ".join(f"`{c}`" for c in f.choices))
    if f.pattern is not None:
        parts.append(f"matches `{f.pattern}`")
    if f.min_value is not None:
        parts.append(f"{'>' if f.exclusive_min else '≥'} {_number(f.min_value)}")
    if f.max_value is not None:
        parts.append(f"≤ {_number(f.max_value)}")
    return "; ".join(parts)


def _required(spec: EntitySpec, f: Field) -> str:
    reference = spec.reference_of(f.name)
    if reference is not None and len(reference.via) > 1:
        return "one group" if reference.required else ""
    return "yes" if f.required and f.name not in spec.defaults else ""


def _reference(spec: EntitySpec, f: Field) -> str:
    reference = spec.reference_of(f.name)
    if reference is None:
        return ""
    for group, keys in zip(reference.via, reference.keys, strict=True):
        if f.name in group:
            return f"{reference.entity}.{keys[group.index(f.name)]}"
    return ""


def _default(spec: EntitySpec, f: Field) -> str:
    if f.name not in spec.defaults:
        return ""
    value = spec.defaults[f.name]
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`" if value != "" else "(empty)"


def entity_section(spec: EntitySpec) -> str:
    """The Markdown reference of one entity: target, key, rules and a table of its columns."""
    lines = [
        f"#### `{spec.name}`" if spec.is_feed else f"### `{spec.name}`",
        "",
        f"{spec.description} Written to the {spec.target}.",
        "",
    ]
    lines.append(f"- Key: {', '.join(f'`{k}`' for k in spec.key)} (re-importing a key updates that row)")
    unique = [("national_id" if u == "national_id_cipher" else u) for u in spec.unique]
    if unique:
        lines.append(f"- Unique besides the key: {', '.join(f'`{u}`' for u in unique)}")
    for reference in spec.references:
        if len(reference.via) > 1:
            options = " or ".join("(" + ", ".join(f"`{n}`" for n in g) + ")" for g in reference.via)
            need = "required" if reference.required else "optional"
            lines.append(f"- Refers to {reference.entity} by {options} ({need})")
    for rule in (*spec.rules, *spec.store_rules):
        doc = " ".join((rule.__doc__ or "").split())
        if doc:
            lines.append(f"- Rule: {doc}")
    lines += [
        "",
        "| column | type | required | allowed values | default | refers to | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in spec.fields:
        cells = [
            f"`{f.name}`",
            _type(f),
            _required(spec, f),
            _rules(f),
            _default(spec, f),
            _reference(spec, f),
            f.description,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def entity_reference() -> str:
    """The generated part of docs/import.md: every entity, store entities first, in import order."""
    parts = ["## Entities", "", "Import them in this order: an entity only refers to those above it.", ""]
    feeds_started = False
    for spec in ENTITIES.values():
        if spec.is_feed and not feeds_started:
            parts += ["### Feeds", "", "Written to the lake; a feed row is always replaced whole.", ""]
            feeds_started = True
        parts.append(entity_section(spec))
    return "\n".join(parts)


def generated_block() -> str:
    return f"{BEGIN}\n{entity_reference()}{END}"


def update(path: Path) -> bool:
    """Rewrite the generated block of ``path``; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {BEGIN!r} ... {END!r} block")
    new = pattern.sub(lambda _m: generated_block(), text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    for name in sys.argv[1:] or ["docs/import.md"]:
        print(f"{name}: {'updated' if update(Path(name)) else 'up to date'}")
