"""Import use cases: one file of one entity, or a bundle of files in one transaction.

The steps for a file: read it (`reader`), map it (`mapping`), convert and check every column
(`validate`), apply the entity's defaults, key, rules, references and uniqueness (`entities`,
`persist`), then write. Every problem is collected before anything is written:

- by default one bad row means nothing is written, and one `InputError` lists every problem
  located ``(file, line, column)``;
- with ``skip_invalid`` the good rows are written and the bad ones go to a rejects file (UTF-8
  CSV: the original columns, then ``line`` and ``errors``), ``<name>.rejects.csv`` next to the
  input unless a path is given.

Store entities are upserted by their natural key in the caller's session: the caller's
`unit_of_work` commits or rolls back, so a failed or killed import leaves the store as it was.
Feeds go through `Lake.upsert`, which swaps a new version in atomically. Either way, importing the
same file twice changes nothing the second time, and the result counts what happened.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fincrm.config import Settings
from fincrm.core.clock import Clock, SystemClock
from fincrm.core.crypto import FieldCipher
from fincrm.errors import Conflict, FieldError, InputError
from fincrm.ingest import persist
from fincrm.ingest.entities import ENTITIES, DeriveContext, EntitySpec, Rows, get_entity
from fincrm.ingest.mapping import Bundle, Mapping, apply_mapping, load_mapping
from fincrm.ingest.names import BUNDLE
from fincrm.ingest.reader import BadRecord, Source, SourceOptions, read_source
from fincrm.ingest.validate import Issues, as_text, constraint_problems, convert
from fincrm.lake.store import Lake

__all__ = ["BUNDLE", "BundleResult", "ImportResult", "import_bundle", "import_file", "prepare"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one file's import did. ``rows`` = inserted + updated + unchanged + rejected."""

    entity: str
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejects_path: Path | None = None
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class BundleResult:
    steps: tuple[ImportResult, ...]

    def total(self, what: str) -> int:
        return sum(getattr(step, what) for step in self.steps)


@dataclass
class Prepared:
    """A file validated and ready to write: ``output`` holds target columns for every row."""

    spec: EntitySpec
    source: Source
    issues: Issues
    output: dict[str, pa.Array]
    insert_only: tuple[str, ...] = ()
    bad_records: list[BadRecord] = field(default_factory=list)

    @property
    def bad(self) -> np.ndarray:
        return self.issues.bad_rows()

    @property
    def rejected(self) -> int:
        return int(self.bad.sum()) + len(self.bad_records)

    def errors(self) -> list[FieldError]:
        found = self.issues.field_errors(self.source.file, self.source.lines)
        found += [FieldError((self.source.file, r.line, "*"), r.message) for r in self.bad_records]
        return sorted(found, key=lambda e: e.loc[1] if len(e.loc) > 1 else 0)


def _context(settings: Settings, clock: Clock | None) -> DeriveContext:
    return DeriveContext(
        cipher=FieldCipher(settings.pii_key_bytes, "national_id"),
        now=(clock or SystemClock()).now(),
        tz=settings.tz,
    )


# ----- validation -----------------------------------------------------------------------------
def prepare(
    session: Session, spec: EntitySpec, source: Source, mapping: Mapping | None, ctx: DeriveContext
) -> Prepared:
    """Map, convert and check every row of ``source`` against ``spec``; nothing is written.

    Parameters
    ----------
    session
        Read for references and uniqueness (sees rows written earlier in the transaction).
    spec
        The entity.
    source
        The file, read.
    mapping
        Its mapping, or None when the file uses our column names.
    ctx
        Cipher, instant and timezone for derived columns.

    Returns
    -------
    Prepared
        Target columns for all rows, and the problems found (``bad`` marks the rows to reject).

    Raises
    ------
    InputError
        File-level problems only (columns, mapping); row problems are returned, not raised.
    """
    mapped = apply_mapping(source, spec, mapping)
    issues = mapped.issues
    n = source.num_rows
    label = mapped.labels
    # rows the mapping already failed (value map, expression) are not also reported as empty
    mapping_failed = pa.array(issues.bad_rows()) if issues else None
    typed: dict[str, pa.Array] = {}
    for name, values in mapped.columns.items():
        f = spec.field(name)
        parsed = convert(values, f, tz=ctx.tz, fmt=mapped.formats.get(name))
        shown = as_text(values)
        for mask, reason in parsed.problems:
            issues.add_mask(mask, label[name], reason, shown)
        for mask, reason in constraint_problems(parsed.values, f):
            issues.add_mask(mask, label[name], reason, shown)
        absent = values.is_null()
        if name in spec.defaults:
            default = pa.scalar(spec.defaults[name], f.arrow_type)
            parsed_values = pc.if_else(absent, default, parsed.values)
        else:
            parsed_values = parsed.values
            if f.required:
                missing = absent if mapping_failed is None else pc.and_(absent, pc.invert(mapping_failed))
                issues.add_mask(missing, label[name], "required: no value", None)
        typed[name] = parsed_values
    absent_defaults = {
        name: value for name, value in spec.defaults.items() if name not in typed and not spec.is_feed
    }
    rows = Rows(typed, n)
    _duplicate_keys(spec, rows, source, issues, label)
    for rule in spec.rules:
        for mask, column, message in rule(rows):
            _add_rule_result(issues, mask, label.get(column, column), message, typed.get(column))
    resolved: dict[str, pa.Array] = {}
    for reference in spec.references:
        ids, problems = persist.resolve_reference(session, reference, rows)
        for mask, column, message in problems:
            _add_rule_result(issues, mask, label.get(column, column), message, None)
        if ids is not None and reference.column is not None:
            resolved[reference.column] = ids
    for store_rule in spec.store_rules:
        for mask, column, message in store_rule(session, rows, resolved):
            _add_rule_result(issues, mask, label.get(column, column), message, typed.get(column))
    output = _output_columns(spec, rows, resolved, ctx)
    for name, value in absent_defaults.items():
        output[name] = pa.array([value] * n, spec.field(name).arrow_type)
    if not spec.is_feed:
        _unique_conflicts(session, spec, output, issues, label)
    insert_only = tuple(absent_defaults)
    return Prepared(spec, source, issues, output, insert_only, list(source.bad_records))


def _add_rule_result(
    issues: Issues, mask: np.ndarray, column: str, message: str | list[str], values: pa.Array | None
) -> None:
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    shown = None if values is None else as_text(values).take(pa.array(rows)).to_pylist()
    issues.add(rows, column, message, shown)


def _duplicate_keys(
    spec: EntitySpec, rows: Rows, source: Source, issues: Issues, label: dict[str, str]
) -> None:
    """Rows sharing a natural key with another row of the file; each names the other lines."""
    parts = [rows.get(name) for name in spec.key]
    if any(p is None for p in parts):
        return
    key_text = [as_text(p) for p in parts]
    combined = key_text[0] if len(key_text) == 1 else pc.binary_join_element_wise(*key_text, "\x1f")
    counts = pc.value_counts(combined.drop_null())
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if not len(repeated):
        return
    dup_rows = np.flatnonzero(
        pc.fill_null(pc.is_in(combined, value_set=repeated), False).to_numpy(zero_copy_only=False)
    )
    keys = combined.take(pa.array(dup_rows)).to_pylist()
    lines_by_key: dict[str, list[int]] = {}
    for row, key in zip(dup_rows.tolist(), keys, strict=True):
        lines_by_key.setdefault(key, []).append(int(source.lines[row]))
    messages = []
    for row, key in zip(dup_rows.tolist(), keys, strict=True):
        others = [line for line in lines_by_key[key] if line != int(source.lines[row])]
        messages.append(f"duplicate key ({', '.join(spec.key)}): also on line {', '.join(map(str, others))}")
    shown = [k.replace("\x1f", ", ") for k in keys]
    issues.add(dup_rows, label.get(spec.key[0], spec.key[0]), messages, shown)


def _output_columns(
    spec: EntitySpec, rows: Rows, resolved: dict[str, pa.Array], ctx: DeriveContext
) -> dict[str, pa.Array]:
    output: dict[str, pa.Array] = {}
    if spec.is_feed:
        for f in spec.fields:
            values = rows.get(f.name)
            output[f.name] = values if values is not None else pa.nulls(rows.num_rows, f.arrow_type)
        return output
    for name in rows.names():
        column = spec.store_column(name)
        if column is not None:
            output[column] = rows.get(name)
    output.update(resolved)
    if spec.derive is not None:
        output.update(spec.derive(rows, ctx))
    return output


def _unique_conflicts(
    session: Session, spec: EntitySpec, output: dict[str, pa.Array], issues: Issues, label: dict[str, str]
) -> None:
    key_values = [output.get(k) for k in spec.store_key]
    if any(v is None for v in key_values):
        return
    for column in spec.unique:
        values = output.get(column)
        if values is None:
            continue
        field_name = "national_id" if column == "national_id_cipher" else column
        for mask, message in persist.unique_conflicts(session, spec, column, values, key_values):
            issues.add_mask(mask, label.get(field_name, field_name), f"{field_name} {message}", None)


# ----- writing --------------------------------------------------------------------------------
def _good_table(prepared: Prepared) -> tuple[dict[str, pa.Array], np.ndarray]:
    good = ~prepared.bad
    selector = pa.array(good)
    return {name: values.filter(selector) for name, values in prepared.output.items()}, good


def _write_store(session: Session, prepared: Prepared) -> tuple[int, int, int]:
    """Upsert the good rows; returns (inserted, updated, unchanged)."""
    spec = prepared.spec
    columns, good = _good_table(prepared)
    count = int(good.sum())
    if count == 0:
        return 0, 0, 0
    table = persist.store_table(spec)
    key = spec.store_key
    existed = persist.existing_rows(session, table, key, [columns[k] for k in key])
    names = list(columns)
    rows = pa.table([columns[n] for n in names], names=names).to_pylist()
    try:
        changed = persist.upsert(session, spec, rows, extra_insert_only=prepared.insert_only)
    except IntegrityError as exc:
        constraint = (
            getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or str(exc.orig).splitlines()[0]
        )
        raise Conflict(
            f"{prepared.source.file}: the store refused the rows ({constraint}); nothing was imported"
        ) from None
    inserted = int((~existed).sum())
    return inserted, changed - inserted, count - changed


def _feed_table(prepared: Prepared) -> pa.Table:
    columns, _good = _good_table(prepared)
    spec = prepared.spec
    return pa.table([columns[f.name] for f in spec.fields], names=list(spec.field_names))


def _write_feed(lake: Lake, prepared: Prepared) -> tuple[int, int, int]:
    table = _feed_table(prepared)
    if table.num_rows == 0:
        return 0, 0, 0
    assert prepared.spec.dataset is not None
    written = lake.upsert(prepared.spec.dataset, table)
    return (
        written.rows_inserted,
        written.rows_changed - written.rows_inserted,
        table.num_rows - written.rows_changed,
    )


def default_rejects_path(path: Path) -> Path:
    """``<folder>/<name>.rejects.csv`` for an input ``<folder>/<name>.<ext>``.

    Examples
    --------
    >>> default_rejects_path(Path("in/loans.csv")).as_posix()
    'in/loans.rejects.csv'
    """
    return path.with_name(f"{path.stem}.rejects.csv")


def write_rejects(prepared: Prepared, target: Path) -> Path:
    """Write the rejected rows as UTF-8 CSV: original columns, then ``line`` and ``errors``.

    The file is written to a temporary name and renamed, so a reader never sees half of it.
    """
    source = prepared.source
    columns = source.columns
    bad_rows = np.flatnonzero(prepared.bad)
    by_row = prepared.issues.by_row()
    records: list[tuple[int, list[str], str]] = []
    if bad_rows.size:
        subset = source.raw.take(pa.array(bad_rows))
        texts = [as_text(subset.column(c).combine_chunks()).to_pylist() for c in columns]
        for i, row in enumerate(bad_rows.tolist()):
            values = ["" if t[i] is None else t[i] for t in texts]
            records.append((int(source.lines[row]), values, "; ".join(by_row.get(row, []))))
    for record in prepared.bad_records:
        values = (record.values + [""] * len(columns))[: len(columns)]
        extra = record.values[len(columns) :]
        message = record.message + (f" (extra values: {', '.join(extra)})" if extra else "")
        records.append((record.line, values, message))
    records.sort(key=lambda r: r[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*columns, "line", "errors"])
            for line, values, message in records:
                writer.writerow([*values, line, message])
        os.replace(temporary, target)
    except OSError as exc:
        raise InputError(f"cannot write the rejects file {target}: {exc.strerror}") from None
    return target


def _raise_if_bad(prepared: Prepared) -> None:
    if prepared.rejected:
        errors = prepared.errors()
        total = prepared.source.num_rows + len(prepared.bad_records)
        raise InputError(
            f"{prepared.source.file}: {prepared.rejected} of {total} "
            f"row(s) have problems ({len(errors)} in all); nothing was imported "
            "(fix them, or use --skip-invalid to import the rest)",
            errors=errors,
        )


def _handle_rejects(
    prepared: Prepared, skip_invalid: bool, rejects: Path | None, input_path: Path
) -> Path | None:
    if not skip_invalid:
        _raise_if_bad(prepared)
        return None
    if not prepared.rejected:
        return None
    return write_rejects(prepared, rejects or default_rejects_path(input_path))


def _load_single_mapping(mapping: Path | None, spec: EntitySpec) -> Mapping | None:
    if mapping is None:
        return None
    loaded = load_mapping(mapping)
    if isinstance(loaded, Bundle):
        raise InputError(f"{mapping} is a bundle mapping: use `fincrm import bundle DIR --mapping {mapping}`")
    if loaded.entity is not None and loaded.entity != spec.name:
        raise InputError(f"{mapping} maps {loaded.entity}, not {spec.name}")
    return loaded


def _read(path: Path, mapping: Mapping | None, display: str) -> Source:
    options = mapping.source if mapping is not None else SourceOptions()
    return read_source(path, options, display=display)


def import_file(
    session: Session,
    *,
    lake: Lake,
    settings: Settings,
    entity: str,
    path: Path,
    mapping: Path | None = None,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    clock: Clock | None = None,
) -> ImportResult:
    """Import one file of one entity, all-or-nothing unless ``skip_invalid``.

    Parameters
    ----------
    session
        The caller's unit of work; store rows are written in it and never committed here.
    lake
        Where feeds go.
    settings
        Business timezone (naive timestamps) and the PII key (national IDs).
    entity
        Entity name, see `fincrm.ingest.entities.ENTITIES`.
    path
        CSV, Parquet or ``.xlsx`` file.
    mapping
        YAML mapping from the file's columns to the entity's; None when they already match.
    skip_invalid
        Write the good rows and put the bad ones in a rejects file instead of failing.
    rejects
        Rejects file; default ``<name>.rejects.csv`` next to the input.
    clock
        Source of ``created_at``/``updated_at``; the system clock by default.

    Returns
    -------
    ImportResult
        Rows inserted, updated, unchanged and rejected.

    Raises
    ------
    InputError
        Unknown entity or option, unreadable file, wrong columns, a bad mapping, or (without
        ``skip_invalid``) any bad row: ``errors`` lists each ``(file, line, column)``.
    Conflict
        The store refused the rows (a constraint the validation does not know about).
    """
    spec = get_entity(entity)
    loaded = _load_single_mapping(mapping, spec)
    source = _read(Path(path), loaded, str(path))
    prepared = prepare(session, spec, source, loaded, _context(settings, clock))
    rejects_path = _handle_rejects(prepared, skip_invalid, rejects, Path(path))
    if spec.is_feed:
        inserted, updated, unchanged = _write_feed(lake, prepared)
    else:
        inserted, updated, unchanged = _write_store(session, prepared)
    return ImportResult(
        spec.name,
        str(path),
        source.num_rows + len(prepared.bad_records),
        inserted,
        updated,
        unchanged,
        prepared.rejected,
        rejects_path,
        source.encoding,
    )


def import_bundle(
    session: Session,
    *,
    lake: Lake,
    settings: Settings,
    directory: Path,
    mapping: Path,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    clock: Clock | None = None,
) -> BundleResult:
    """Import the files a bundle mapping lists, in order, in the caller's one transaction.

    Each file is validated against the store as the earlier files left it, so a bundle may load
    clients and then their accounts. Feeds in a bundle are written last, after every store file
    has passed; if any file fails, the caller's unit of work rolls back the store part.

    Parameters
    ----------
    session
        The caller's unit of work.
    lake
        Where feeds go.
    settings
        Business timezone and PII key.
    directory
        Folder holding the files; their names come from the bundle.
    mapping
        The bundle YAML (see `fincrm.ingest.mapping`).
    skip_invalid
        Write good rows, reject bad ones (per file).
    rejects
        Folder for the rejects files; default: next to each input.
    clock
        Source of timestamps; the system clock by default.

    Returns
    -------
    BundleResult
        One result per file, in order.

    Raises
    ------
    InputError
        As `import_file`, for the first file that fails; nothing is written then.
    """
    loaded = load_mapping(mapping)
    if not isinstance(loaded, Bundle):
        raise InputError(
            f"{mapping} maps a single entity; a bundle lists imports: [{{file, entity, fields}}]"
        )
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(
            f"{directory}: no such folder", errors=[FieldError((str(directory),), "no such folder")]
        )
    ctx = _context(settings, clock)
    results: list[ImportResult | None] = []
    feeds: list[tuple[int, Prepared]] = []
    for step in loaded.steps:
        spec = ENTITIES[step.entity]
        path = directory / step.file
        source = _read(path, step.mapping, str(path))
        prepared = prepare(session, spec, source, step.mapping, ctx)
        target = None if rejects is None else Path(rejects) / default_rejects_path(path).name
        rejects_path = _handle_rejects(prepared, skip_invalid, target, path)
        total = source.num_rows + len(prepared.bad_records)
        if spec.is_feed:
            feeds.append((len(results), prepared))
            results.append(
                ImportResult(
                    spec.name, str(path), total, 0, 0, 0, prepared.rejected, rejects_path, source.encoding
                )
            )
            continue
        inserted, updated, unchanged = _write_store(session, prepared)
        results.append(
            ImportResult(
                spec.name,
                str(path),
                total,
                inserted,
                updated,
                unchanged,
                prepared.rejected,
                rejects_path,
                source.encoding,
            )
        )
    for position, prepared in feeds:
        inserted, updated, unchanged = _write_feed(lake, prepared)
        before = results[position]
        assert before is not None
        results[position] = ImportResult(
            before.entity,
            before.file,
            before.rows,
            inserted,
            updated,
            unchanged,
            before.rejected,
            before.rejects_path,
            before.encoding,
        )
    return BundleResult(tuple(r for r in results if r is not None))
