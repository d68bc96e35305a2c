"""Mapping files: a bank's own export onto our import columns, without code.

A mapping (YAML) has source options and one entry per target field::

    entity: loans                    # optional; checked against the command's ENTITY
    source:                          # how to read the file (all optional)
      format: csv                    # csv | parquet | xlsx; default: from the file's first bytes
      delimiter: ";"
      quote: '"'                     # null: no quoting
      encoding: gb18030              # default: detect
      header_row: 1
      sheet: Sheet1                  # xlsx only
      nulls: ["", "?"]               # values that mean "no value" (after trimming)
      trim: true                     # strip surrounding whitespace
    fields:                          # omitted: the file already uses our column names
      loan_no: loan_id               # a source column
      granted_on:                    # a DuckDB SQL expression over the source columns
        expr: "strptime(CAST(date AS VARCHAR), '%y%m%d')"
      status:
        column: status
        map: {A: repaid, B: defaulted, C: current, D: in_arrears}
      currency: {const: CZK}

A field entry takes exactly one of ``column``, ``expr``, ``const``, and optionally ``map`` (value
map; a value missing from it is an error, null stays null), ``trim`` and ``nulls`` (override the
source's) and ``format`` (strptime format for a date or timestamp column).

A bundle lists several imports applied in order in one transaction::

    source: {delimiter: ";"}         # defaults for every import
    imports:
      - file: district.asc           # relative to the bundle's folder (the command's DIR)
        entity: branches
        fields: {code: A1, name: A2}
      - file: client.asc
        entity: parties
        mapping: client.yaml         # or a mapping file, relative to this YAML file

Expressions run in `fincrm.lake.sql.project`, sandboxed (no file or network access).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from fincrm.errors import FieldError, InputError
from fincrm.ingest.entities import EntitySpec, get_entity
from fincrm.ingest.reader import FORMATS, Source, SourceOptions
from fincrm.ingest.validate import Issues, as_text, clean_text
from fincrm.lake.sql import ExpressionError, check_expressions, project

SOURCE_KEYS = ("format", "delimiter", "quote", "encoding", "header_row", "sheet", "nulls", "trim")
FIELD_KEYS = ("column", "expr", "const", "map", "trim", "nulls", "format")
MAPPING_KEYS = ("entity", "source", "fields")
BUNDLE_KEYS = ("source", "imports")
STEP_KEYS = ("file", "entity", "mapping", "source", "fields")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How one target field is computed from the source."""

    target: str
    column: str | None = None
    expr: str | None = None
    const: str | None = None
    has_const: bool = False
    value_map: dict[str, str | None] | None = None
    trim: bool | None = None
    nulls: tuple[str, ...] | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    """A single-entity mapping; ``where`` locates it inside its file (``imports[2].``)."""

    path: Path | None
    source: SourceOptions = field(default_factory=SourceOptions)
    fields: dict[str, FieldMap] | None = None
    entity: str | None = None
    where: str = ""

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else "(no mapping)"


@dataclass(frozen=True, slots=True)
class BundleStep:
    file: str
    entity: str
    mapping: Mapping


@dataclass(frozen=True, slots=True)
class Bundle:
    path: Path
    steps: tuple[BundleStep, ...]


class _Problems:
    """Collects mapping-file problems, each located (mapping file, place in the file)."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[FieldError] = []

    def add(self, where: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError((str(self.path), where), message, value))

    def raise_if_any(self) -> None:
        if self.errors:
            first = self.errors[0]
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise InputError(f"{self.path}: {first.loc[-1]}: {first.msg}{more}", errors=self.errors)


def _unknown_keys(problems: _Problems, where: str, given: dict[str, Any], valid: tuple[str, ...]) -> None:
    for key in given:
        if key not in valid:
            problems.add(f"{where}{key}", f"unknown option; valid options: {', '.join(valid)}", key)


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such mapping file", errors=[FieldError((str(path),), "no such file")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read the mapping file: {exc}", errors=[FieldError((str(path),), str(exc))]
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"{path}: not valid YAML at {where}: {reason}",
            errors=[FieldError((str(path), where), str(reason))],
        ) from None


def load_mapping(path: Path) -> Mapping | Bundle:
    """Read and check a mapping or bundle file.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    Mapping | Bundle
        A bundle when the file has an ``imports`` list.

    Raises
    ------
    InputError
        Listing every problem, located ``(mapping file, option path)``: unknown options (with the
        valid ones), wrong types, unknown entities or target fields, a field with no or several
        sources.
    """
    path = Path(path)
    document = _load_yaml(path)
    problems = _Problems(path)
    if not isinstance(document, dict):
        problems.add("", "a mapping file must be a YAML mapping with source/fields or imports")
        problems.raise_if_any()
    if "imports" in document:
        bundle = _parse_bundle(path, document, problems)
        problems.raise_if_any()
        return bundle
    mapping = _parse_mapping(path, document, problems, "", SourceOptions())
    problems.raise_if_any()
    return mapping


def _parse_bundle(path: Path, document: dict[str, Any], problems: _Problems) -> Bundle:
    _unknown_keys(problems, "", document, BUNDLE_KEYS)
    defaults = _parse_source(problems, "source.", document.get("source"), SourceOptions())
    imports = document.get("imports")
    steps: list[BundleStep] = []
    if not isinstance(imports, list) or not imports:
        problems.add("imports", "must be a non-empty list of {file, entity, fields or mapping}")
        return Bundle(path, ())
    for i, step in enumerate(imports):
        where = f"imports[{i}]."
        if not isinstance(step, dict):
            problems.add(where[:-1], "must be a mapping with file, entity and fields or mapping")
            continue
        _unknown_keys(problems, where, step, STEP_KEYS)
        file, entity = step.get("file"), step.get("entity")
        if not isinstance(file, str) or not file:
            problems.add(f"{where}file", "required: the file name, relative to the bundle folder", file)
        if not isinstance(entity, str):
            problems.add(f"{where}entity", "required: the entity to import", entity)
            continue
        try:
            spec = get_entity(entity)
        except InputError as exc:
            problems.add(f"{where}entity", exc.message, entity)
            continue
        if "mapping" in step:
            if "fields" in step:
                problems.add(f"{where}mapping", "give either mapping (a file) or fields, not both")
            if not isinstance(step["mapping"], str):
                problems.add(f"{where}mapping", "must be a file name relative to this file", step["mapping"])
                continue
            inner_path = path.parent / step["mapping"]
            inner_doc = _load_yaml(inner_path)
            inner = _Problems(inner_path)
            if not isinstance(inner_doc, dict) or "imports" in inner_doc:
                inner.add("", "must be a single-entity mapping (source, fields)")
                inner.raise_if_any()
            base = _parse_source(problems, f"{where}source.", step.get("source"), defaults)
            mapping = _parse_mapping(inner_path, inner_doc, inner, "", base)
            inner.raise_if_any()
        else:
            doc = {k: v for k, v in step.items() if k in ("source", "fields")}
            mapping = _parse_mapping(path, doc, problems, where, defaults)
        if mapping.entity is not None and mapping.entity != entity:
            problems.add(f"{where}entity", f"the mapping is for {mapping.entity}, not {entity}")
        if isinstance(file, str) and file:
            steps.append(BundleStep(file, spec.name, replace(mapping, entity=spec.name)))
    return Bundle(path, tuple(steps))


def _parse_mapping(
    path: Path, document: dict[str, Any], problems: _Problems, where: str, base: SourceOptions
) -> Mapping:
    _unknown_keys(problems, where, document, MAPPING_KEYS)
    entity = document.get("entity")
    spec: EntitySpec | None = None
    if entity is not None:
        try:
            spec = get_entity(str(entity))
        except InputError as exc:
            problems.add(f"{where}entity", exc.message, entity)
    source = _parse_source(problems, f"{where}source.", document.get("source"), base)
    fields_doc = document.get("fields")
    fields: dict[str, FieldMap] | None = None
    if fields_doc is not None:
        if not isinstance(fields_doc, dict):
            problems.add(
                f"{where}fields", "must map target fields to a source column or {column|expr|const: ...}"
            )
        else:
            fields = {}
            for target, entry in fields_doc.items():
                parsed = _parse_field(problems, f"{where}fields.{target}", str(target), entry)
                if parsed is not None:
                    fields[str(target)] = parsed
    return Mapping(path, source, fields, None if spec is None else spec.name, where)


def _parse_source(problems: _Problems, where: str, given: Any, base: SourceOptions) -> SourceOptions:
    if given is None:
        return base
    if not isinstance(given, dict):
        problems.add(where[:-1], "must be a mapping of source options")
        return base
    _unknown_keys(problems, where, given, SOURCE_KEYS)
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key == "format":
            if value not in FORMATS:
                problems.add(f"{where}format", f"must be one of: {', '.join(FORMATS)}", value)
                continue
        elif key in ("delimiter", "encoding", "sheet"):
            if not isinstance(value, str):
                problems.add(f"{where}{key}", "must be text", value)
                continue
        elif key == "quote":
            if value is not None and not isinstance(value, str):
                problems.add(f"{where}quote", "must be one character, or null for no quoting", value)
                continue
        elif key == "header_row":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.add(f"{where}header_row", "must be a line number, 1 or more", value)
                continue
        elif key == "trim":
            if not isinstance(value, bool):
                problems.add(f"{where}trim", "must be true or false", value)
                continue
        elif key == "nulls":
            value = _text_list(problems, f"{where}nulls", value)
            if value is None:
                continue
        if key in SOURCE_KEYS:
            values[key] = value
    if "delimiter" in values and values["delimiter"] in ("\\t", "tab"):
        values["delimiter"] = "\t"
    return replace(base, **values)


def _text_list(problems: _Problems, where: str, value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        return tuple(str(v) for v in value)
    problems.add(where, "must be a list of texts", value)
    return None


def _scalar_text(value: Any) -> str | None:
    """A YAML scalar as the text a CSV cell would hold (dates ISO, booleans true/false)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parse_field(problems: _Problems, where: str, target: str, entry: Any) -> FieldMap | None:
    if isinstance(entry, str):
        return FieldMap(target, column=entry)
    if not isinstance(entry, dict):
        problems.add(where, "give a source column name or {column | expr | const: ...}", entry)
        return None
    _unknown_keys(problems, f"{where}.", entry, FIELD_KEYS)
    sources = [k for k in ("column", "expr", "const") if k in entry]
    if len(sources) != 1:
        problems.add(where, "give exactly one of column, expr, const", entry)
        return None
    column, expr = entry.get("column"), entry.get("expr")
    if "column" in entry and not isinstance(column, str | int):
        problems.add(f"{where}.column", "must be a column name", column)
        return None
    if "expr" in entry and (not isinstance(expr, str) or not expr.strip()):
        problems.add(f"{where}.expr", "must be a SQL expression (text)", expr)
        return None
    value_map = None
    if "map" in entry:
        raw_map = entry["map"]
        if not isinstance(raw_map, dict) or not raw_map:
            problems.add(f"{where}.map", "must map source values to target values", raw_map)
            return None
        value_map = {str(_scalar_text(k)): _scalar_text(v) for k, v in raw_map.items()}
    trim = entry.get("trim")
    if trim is not None and not isinstance(trim, bool):
        problems.add(f"{where}.trim", "must be true or false", trim)
    nulls = _text_list(problems, f"{where}.nulls", entry["nulls"]) if "nulls" in entry else None
    fmt = entry.get("format")
    if fmt is not None and not isinstance(fmt, str):
        problems.add(f"{where}.format", "must be a strptime format such as %Y%m%d", fmt)
    return FieldMap(
        target,
        column=None if column is None else str(column),
        expr=expr,
        const=_scalar_text(entry.get("const")),
        has_const="const" in entry,
        value_map=value_map,
        trim=trim if isinstance(trim, bool) else None,
        nulls=nulls,
        format=fmt if isinstance(fmt, str) else None,
    )


# ----- applying a mapping ---------------------------------------------------------------------
@dataclass
class Mapped:
    """Target columns of one file, before conversion to their declared types."""

    columns: dict[str, pa.Array]
    labels: dict[str, str]  # target field -> what to call it in error locations (the source column)
    formats: dict[str, str]
    issues: Issues


def apply_mapping(source: Source, spec: EntitySpec, mapping: Mapping | None) -> Mapped:
    """Select, compute and clean the target columns of ``spec`` from ``source``.

    Without ``fields`` the file's columns are taken by name: unknown and missing columns are
    errors located at the header line. With ``fields`` every target must be a field of the
    entity and every source column must exist; expressions must run.

    Raises
    ------
    InputError
        For problems with the file's columns or the mapping, each located; row-level problems
        (a value missing from a value map, an expression failing on a row) go into ``issues``.
    """
    options = mapping.source if mapping is not None else SourceOptions()
    issues = Issues(source.num_rows)
    if mapping is None or mapping.fields is None:
        return _by_name(source, spec, options, issues)
    return _by_mapping(source, spec, mapping, options, issues)


def _header_error(source: Source, column: str, message: str) -> FieldError:
    return FieldError((source.file, source.header_line, column), message)


def _by_name(source: Source, spec: EntitySpec, options: SourceOptions, issues: Issues) -> Mapped:
    errors = []
    valid = spec.field_names
    for column in source.columns:
        if column not in valid:
            errors.append(
                _header_error(source, column, f"unknown column; {spec.name} has: {', '.join(valid)}")
            )
    present = set(source.columns)
    errors.extend(_header_error(source, name, "missing required column") for name in _missing(spec, present))
    if errors:
        raise InputError(f"{source.file}: the columns do not match {spec.name}", errors=errors)
    columns = {
        name: clean_text(source.raw.column(name), trim=options.trim, nulls=options.nulls)
        for name in source.columns
    }
    return Mapped(columns, {name: name for name in columns}, {}, issues)


def _missing(spec: EntitySpec, present: set[str]) -> list[str]:
    """Required fields with no column (and no default), as names or "a, or b and c" for references."""
    missing = []
    for f in spec.fields:
        if (
            f.required
            and f.name not in present
            and f.name not in spec.defaults
            and spec.reference_of(f.name) is None
        ):
            missing.append(f.name)
    for reference in spec.references:
        if reference.required and not any(all(n in present for n in group) for group in reference.via):
            missing.append(" or ".join(" and ".join(group) for group in reference.via))
    return missing


def _by_mapping(
    source: Source, spec: EntitySpec, mapping: Mapping, options: SourceOptions, issues: Issues
) -> Mapped:
    assert mapping.fields is not None
    problems = _Problems(mapping.path or Path("(mapping)"))
    where = f"{mapping.where}fields."
    valid = spec.field_names
    for target, entry in mapping.fields.items():
        if target not in valid:
            problems.add(f"{where}{target}", f"not a field of {spec.name}; fields: {', '.join(valid)}")
        if entry.column is not None and entry.column not in source.columns:
            problems.add(
                f"{where}{target}",
                f"no column {entry.column!r} in {source.file}; columns: {', '.join(source.columns)}",
                entry.column,
            )
    for name in _missing(spec, set(mapping.fields)):
        problems.add(f"{where}{name}", f"required field of {spec.name} is not mapped")
    cleaned = pa.table(
        [clean_text(source.raw.column(c), trim=options.trim, nulls=options.nulls) for c in source.columns],
        names=source.columns,
    )
    expressions = {t: e.expr for t, e in mapping.fields.items() if e.expr is not None}
    for target, reason in check_expressions(cleaned.schema, expressions).items():
        problems.add(f"{where}{target}", f"expression cannot run: {reason}", expressions[target])
    problems.raise_if_any()
    computed: pa.Table | None = None
    if expressions:
        try:
            projection = project(cleaned, expressions)
        except ExpressionError as exc:  # checked above; kept so a change in the engine stays reported
            for target, reason in exc.problems.items():
                problems.add(f"{where}{target}", f"expression cannot run: {reason}", expressions[target])
            problems.raise_if_any()
            raise
        computed = projection.table
        for target, (rows, _reason) in projection.failures.items():
            issues.add(rows, target, f"the mapping's expression failed on this row: {expressions[target]}")
    columns: dict[str, pa.Array] = {}
    labels: dict[str, str] = {}
    formats: dict[str, str] = {}
    for target, entry in mapping.fields.items():
        if entry.column is not None:
            trim = options.trim if entry.trim is None else entry.trim
            nulls = options.nulls if entry.nulls is None else entry.nulls
            values = clean_text(source.raw.column(entry.column), trim=trim, nulls=nulls)
            labels[target] = entry.column
        elif entry.expr is not None:
            assert computed is not None
            values = computed.column(target).combine_chunks()
            if entry.trim is not None or entry.nulls is not None:
                values = clean_text(values, trim=bool(entry.trim), nulls=entry.nulls or ())
            labels[target] = target
        else:
            values = pa.array([entry.const] * source.num_rows, pa.string())
            labels[target] = target
        if entry.value_map is not None:
            values = _apply_value_map(values, entry.value_map, issues, labels[target])
        if entry.format is not None:
            formats[target] = entry.format
        columns[target] = values
    return Mapped(columns, labels, formats, issues)


def _apply_value_map(
    values: pa.Array, value_map: dict[str, str | None], issues: Issues, label: str
) -> pa.Array:
    text = as_text(values)
    keys = pa.array(list(value_map), pa.string())
    targets = pa.array(list(value_map.values()), pa.string())
    index = pc.index_in(text, value_set=keys)
    missing = pc.and_(text.is_valid(), index.is_null())
    rows = np.flatnonzero(pc.fill_null(missing, False).to_numpy(zero_copy_only=False))
    if rows.size:
        issues.add(
            rows, label, f"not in the mapping's value map ({', '.join(value_map)})", text.take(pa.array(rows))
        )
    return targets.take(index)
