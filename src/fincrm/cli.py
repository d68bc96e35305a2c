"""The ``fincrm`` command line. Commands are thin: parse, open a unit of work, call a service.

Errors that fincrm raises on purpose exit with status 1 and one line on stderr, no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fincrm.config import Settings
from fincrm.errors import FincrmError

app = typer.Typer(
    help="fincrm: the client book of a bank, brokerage or wealth manager.", no_args_is_help=True
)
db_app = typer.Typer(help="Operational store schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="Secrets for production settings.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
batch_app = typer.Typer(help="The nightly intelligence batch and its results.", no_args_is_help=True)
app.add_typer(batch_app, name="batch")
market_app = typer.Typer(help="Market data: daily prices of indexes and product NAVs.", no_args_is_help=True)
app.add_typer(market_app, name="market")
portfolio_app = typer.Typer(help="Portfolio lab: metrics, stress tests, proposals.", no_args_is_help=True)
app.add_typer(portfolio_app, name="portfolio")

err = Console(stderr=True)
out = Console()


@dataclass
class Context:
    settings: Settings
    _cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def engine(self) -> Engine:
        from fincrm.db.engine import engine_from_settings

        return engine_from_settings(self.settings)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from fincrm.db.engine import session_factory

        return session_factory(self.engine)


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.callback()
def main(ctx: typer.Context) -> None:
    try:
        ctx.obj = Context(Settings())
    except ValidationError as exc:
        problems = "; ".join(
            f"FINCRM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        _fail(f"invalid settings: {problems}")
    except FincrmError as exc:
        _fail(exc.message)


def _ctx(ctx: typer.Context) -> Context:
    return ctx.obj


class _ProgressReporter:
    """Adapts the services' ``progress(stage, done, total)`` callback to a rich progress bar."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(task, completed=done, total=total)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=False,
    )  # fmt: skip


def run_guarded(fn: Any) -> Any:
    try:
        return fn()
    except FincrmError as exc:
        if exc.errors:
            for problem in exc.errors[:20]:
                err.print(f"  {problem}", highlight=False, soft_wrap=True)
            if len(exc.errors) > 20:
                err.print(f"  ... and {len(exc.errors) - 20} more", highlight=False)
        _fail(exc.message)


# ----- store --------------------------------------------------------------------------------
@app.command()
def init(ctx: typer.Context) -> None:
    """Create the operational store, or migrate it to the latest schema."""
    from fincrm.db import migrate

    c = _ctx(ctx)
    run_guarded(lambda: migrate.upgrade(c.engine))
    c.settings.lake_path.mkdir(parents=True, exist_ok=True)
    out.print(f"store ready at revision {migrate.current_revision(c.engine)}; lake at {c.settings.lake_path}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from fincrm.db import migrate

    c = _ctx(ctx)
    run_guarded(lambda: migrate.upgrade(c.engine, revision))
    out.print(f"at revision {migrate.current_revision(c.engine)}")


@db_app.command("downgrade")
def db_downgrade(ctx: typer.Context, revision: str = typer.Argument("-1", help="Target revision")) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    from fincrm.db import migrate

    c = _ctx(ctx)
    run_guarded(lambda: migrate.downgrade(c.engine, revision))
    out.print(f"at revision {migrate.current_revision(c.engine)}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the store's current revision and the latest one available."""
    from fincrm.db import migrate

    c = _ctx(ctx)
    out.print(f"current: {migrate.current_revision(c.engine)}  head: {migrate.head_revision(c.engine)}")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print fresh random values for FINCRM_PII_KEY and FINCRM_SECRET_KEY."""
    import base64
    import secrets

    typer.echo(f"FINCRM_PII_KEY={base64.b64encode(secrets.token_bytes(64)).decode()}")
    typer.echo(f"FINCRM_SECRET_KEY={secrets.token_urlsafe(48)}")


def _require_current_schema(c: Context) -> None:
    from fincrm.db import migrate

    current, head = migrate.current_revision(c.engine), migrate.head_revision(c.engine)
    if current != head:
        _fail(f"the store is at revision {current}, the code needs {head}: run `fincrm init` first")


def _print_summary(c: Context) -> None:
    from rich.table import Table

    from fincrm.clients.service import summarize_book
    from fincrm.core.money import format_wan
    from fincrm.db.uow import unit_of_work
    from fincrm.lake.schemas import DATASETS
    from fincrm.lake.store import Lake

    with unit_of_work(c.sessions) as session:
        summary = summarize_book(session, currency=c.settings.reporting_currency)
    table = Table(title="fincrm institution", show_header=True)
    table.add_column("store / lake")
    table.add_column("rows", justify="right")
    for name, n in summary.counts.items():
        table.add_row(name, f"{n:,}")
    lake = Lake(c.settings.lake_path)
    for name in DATASETS:
        table.add_row(f"lake: {name}", f"{lake.count(name):,}")
    out.print(table)
    share = "n/a" if summary.top_2pct_share is None else f"{summary.top_2pct_share:.1%}"
    out.print(
        f"client assets (AUM): {summary.aum_amount:,.2f} {summary.currency} ({format_wan(summary.aum_amount)}); "
        f"the top 2% of clients hold {share}"
    )


@app.command()
def summary(ctx: typer.Context) -> None:
    """Print what the store and the lake hold: counts per table and dataset, and AUM concentration."""
    c = _ctx(ctx)
    _require_current_schema(c)
    _print_summary(c)


client_app = typer.Typer(help="Look up clients (personal data masked).", no_args_is_help=True)
app.add_typer(client_app, name="client")


@client_app.command("show")
def client_show(
    ctx: typer.Context,
    party_no: Annotated[str, typer.Argument(help="Client number")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Show one client's profile; national ID, phone and e-mail are masked."""
    from fincrm.clients.service import get_client
    from fincrm.core.crypto import FieldCipher
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    cipher = FieldCipher(
        c.settings.pii_key_bytes, "national_id", alternate=c.settings.pii_key_alternate_bytes
    )

    def work():
        with unit_of_work(c.sessions) as session:
            return get_client(session, party_no=party_no, cipher=cipher)

    client = run_guarded(work)
    if as_json:
        typer.echo(client.model_dump_json(indent=2))
        return
    for key, value in client.model_dump(exclude={"relations"}).items():
        if value not in (None, False):
            out.print(f"{key:>16}: {value}", highlight=False)
    for rel in client.relations:
        out.print(
            f"{'relation':>16}: {rel.kind} {rel.name} ({rel.party_no}) {rel.title or ''}", highlight=False
        )


@app.command()
def demo(
    ctx: typer.Context,
    clients: Annotated[int, typer.Option(min=100, help="Number of clients in the demo institution")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and date give the same bytes")] = 42,
    serve: Annotated[bool, typer.Option(help="Serve the workbench afterwards")] = True,
    host: Annotated[str, typer.Option(help="Address the workbench listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the workbench")] = 8000,
) -> None:
    """The main job on the embedded default: store, demo institution, summary, then the workbench.

    Replaces whatever the store and lake at the configured paths hold.
    """
    from fincrm.core.clock import SystemClock, local_today
    from fincrm.db import migrate
    from fincrm.db.uow import unit_of_work
    from fincrm.demo.generator import generate_institution
    from fincrm.lake.store import Lake

    c = _ctx(ctx)
    out.print(f"1/4 store: {c.settings.database_url}")
    run_guarded(lambda: migrate.upgrade(c.engine))
    as_of = local_today(SystemClock(), c.settings.tz)
    answers = c.settings.lake_path.parent / "demo-answers.json"
    out.print(f"2/4 generating {clients:,} clients (seed {seed}, as of {as_of}) into {c.settings.lake_path}")

    def work() -> None:
        with _progress() as bar, unit_of_work(c.sessions) as session:
            generate_institution(
                session, Lake(c.settings.lake_path), clients=clients, seed=seed, as_of=as_of,
                pii_key=c.settings.pii_key_bytes, answers_path=answers, progress=_ProgressReporter(bar),
            )  # fmt: skip

    run_guarded(work)
    _refresh_statistics(c)
    out.print("3/4 nightly batch (RFM, tiers, signals, risk, attrition)")
    result = run_guarded(lambda: _run_batch(c, as_of, None))
    out.print(
        f"  {result.clients:,} profiles, {result.signals:,} signals in {result.seconds:.1f} s",
        highlight=False,
    )
    out.print("4/4 summary")
    _print_summary(c)
    out.print(f"planted stories (ground truth for analytics): {answers}")
    engaged = run_guarded(lambda: _engagement_today(c, as_of))
    run_guarded(lambda: _cases_and_team_demo(c, as_of))
    out.print(
        f"engagement rules for {as_of}: {engaged.tasks:,} tasks on the RMs' days, {engaged.messages:,} messages "
        f"in the outbox ({engaged.held:,} held, {engaged.suppressed:,} suppressed)",
        highlight=False,
    )
    made, asked = run_guarded(lambda: _birthday_reports(c, as_of))
    out.print(f"birthday asset health checks for rm001's clients in the next 7 days: {made} of {asked} made")
    logins = run_guarded(lambda: _set_demo_passwords(c))
    out.print("demo users (one per role), for the workbench:")
    for username, role, password in logins:
        out.print(f"  {role:<11} {username:<13} password: {password}", highlight=False)
    if serve:
        _serve(c, host=host, port=port)


def _engagement_today(c: Context, as_of: date) -> Any:
    """The demo's morning: the cadence rules over the book, so each RM's day has its tasks."""
    from datetime import UTC, datetime, time

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import daily

    now = datetime.combine(as_of, time(1, 0), UTC)  # 09:00 in Shanghai on the demo's day
    with unit_of_work(c.sessions) as session:
        seeded = daily.seed_demo(session, c.settings, now=now)
    out.print(
        f"  community, events and programmes: {seeded['content']} content rows, {seeded['events']} event rows, "
        f"{seeded['programmes']} offer, referral and redemption rows",
        highlight=False,
    )
    with unit_of_work(c.sessions) as session:
        return daily.run_day(session, c.settings, on=as_of, now=now).applied


def _cases_and_team_demo(c: Context, as_of: date) -> None:
    """The demo's cases and team readiness: complaints, a crisis, testimonials, the SPIN library,
    drills (each part idempotent, each in its own transaction)."""
    from datetime import UTC, datetime, time

    from fincrm.db.uow import unit_of_work

    now = datetime.combine(as_of, time(1, 0), UTC)
    from fincrm.cases import complaints as demo_complaints
    from fincrm.cases import joint as demo_joint

    with unit_of_work(c.sessions) as session:
        filed = demo_complaints.seed_demo(session, c.settings, now=now)
        opened = demo_joint.seed_demo(session, c.settings, now=now)
    with unit_of_work(c.sessions) as session:
        swept = demo_complaints.escalate_breaches(session, now=now).made
        swept += demo_joint.escalate_breaches(session, now=now).made
    out.print(f"  complaints and cases: {filed} complaints, {opened} cross-department cases, "
              f"{swept} escalations to team leads", highlight=False)  # fmt: skip
    from fincrm.cases import crisis as crisis_cases
    from fincrm.team import drills as team_drills

    with unit_of_work(c.sessions) as session:
        drilled = team_drills.seed_demo(session, c.settings, now=now)
    with unit_of_work(c.sessions) as session:
        drafted = crisis_cases.seed_demo(session, c.settings, now=now)
    out.print(f"  crisis and drills: {drafted} crisis drafts, {drilled} drills", highlight=False)
    from fincrm.cases import testimonials
    from fincrm.team import precall

    with unit_of_work(c.sessions) as session:
        loaded = precall.seed_demo(session, c.settings, now=now)
    with unit_of_work(c.sessions) as session:
        told = testimonials.seed_demo(session, c.settings, now=now)
    swept = _sweep_testimonials(c, now)
    out.print(
        f"  SPIN library: {loaded.questions_added if loaded else 0} questions loaded; testimonials: "
        f"{told['testimonials']} recorded, {told['uses']} used in content, {swept.revoked.uses} expired uses revoked",
        highlight=False,
    )


def _birthday_reports(c: Context, as_of: date) -> tuple[int, int]:
    """The demo's morning: rm001's clients with a birthday in the next week get their health check."""
    from datetime import timedelta

    from fincrm.db.uow import unit_of_work
    from fincrm.reports import batch, service

    with unit_of_work(c.sessions) as session:
        me = _acting_user(c, session, "rm001")
        numbers = service.birthday_clients(session, me, as_of, as_of + timedelta(days=7))
    job = batch.Job(username="rm001", kind="health_check", as_of=as_of, lang=c.settings.locale)
    outcomes = batch.run(c.settings, c.sessions, job, numbers)
    return sum(o.report_id is not None for o in outcomes), len(numbers)


def _as_of(c: Context, text: str | None) -> date:
    from fincrm.core.clock import SystemClock, local_today

    if text is None:
        return local_today(SystemClock(), c.settings.tz)
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of: {text!r} is not a date (YYYY-MM-DD)")


def _refresh_statistics(c: Context) -> None:
    """After a bulk load: fresh planner statistics on PostgreSQL (see fincrm.db.maintenance)."""
    from fincrm.db.maintenance import refresh_statistics

    if refresh_statistics(c.engine):
        out.print("planner statistics refreshed (ANALYZE)")


def _run_batch(c: Context, as_of: date, engine: str | None) -> Any:
    from fincrm.core.clock import SystemClock
    from fincrm.intelligence import batch

    with _progress() as bar:
        return batch.run(
            c.sessions, c.settings, SystemClock(), as_of=as_of, engine=engine, progress=_ProgressReporter(bar)
        )


@batch_app.command("run")
def batch_run(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Business date YYYY-MM-DD (default: today)")] = None,
    engine: Annotated[
        str | None, typer.Option(help="duckdb or spark (default: FINCRM_ANALYTICS_ENGINE)")
    ] = None,
) -> None:
    """Compute every client's profile (RFM, tier, risk, signals, attrition) and swap it in."""
    c = _ctx(ctx)
    if engine not in (None, "duckdb", "spark"):
        _fail(f"--engine: {engine!r} is not one of duckdb, spark")
    day = _as_of(c, as_of)
    result = run_guarded(lambda: _run_batch(c, day, engine))
    out.print(
        f"batch run {result.run_id} ({result.engine}, as of {result.as_of}): {result.clients:,} profiles, "
        f"{result.signals:,} signals, version {result.version_id} is current; {result.seconds:.1f} s",
        soft_wrap=True,
    )


@batch_app.command("runs")
def batch_runs(
    ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, help="How many runs")] = 10
) -> None:
    """List the latest batch runs: start, end, engine, status, rows, version, error."""
    from fincrm.db.uow import unit_of_work
    from fincrm.intelligence import service

    c = _ctx(ctx)
    with unit_of_work(c.sessions) as session:
        runs = service.list_runs(session, limit=limit)
    for r in runs:
        end = r.finished_at.isoformat(timespec="seconds") if r.finished_at else "-"
        line = (
            f"{r.id:>5}  {r.as_of}  {r.engine:<6} {r.status:<9} {r.started_at.isoformat(timespec='seconds')} -> "
            f"{end}  rows {r.rows:,}  version {r.version_id or '-'}"
        )
        out.print(line + (f"  error: {r.error}" if r.error else ""), highlight=False, soft_wrap=True)


@batch_app.command("lift")
def batch_lift(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False
) -> None:
    """Repurchase rate by RFM cell against the whole book, with 95 % intervals (current version)."""
    import json

    from fincrm.db.uow import unit_of_work
    from fincrm.intelligence import service

    c = _ctx(ctx)

    def read() -> Any:
        with unit_of_work(c.sessions) as session:
            return service.lift_report(session, None)

    report = run_guarded(read)
    if report.as_of is None and not as_json:
        _fail("no batch results yet: run `fincrm batch run` first")
    if as_json:
        out.print_json(json.dumps(report.model_dump(mode="json")))
        return
    out.print(
        f"as of {report.as_of}: purchases within {report.window_days} days of {report.cutoff}",
        highlight=False,
    )
    for row in report.rows:
        lift = "-" if row.lift is None else f"{row.lift:.2f}"
        if row.lift_low is not None and row.lift_high is not None:
            lift += f" [{row.lift_low:.2f}, {row.lift_high:.2f}]"
        out.print(
            f"  {row.cell:<22} {row.clients:>9,} clients  {row.rate:7.2%} [{row.rate_low:.2%}, {row.rate_high:.2%}]"
            f"  lift {lift}",
            highlight=False,
        )


DEMO_USERS = ("rm001", "lead01", "research01", "compliance01", "admin01")  # one per role


def _set_demo_passwords(c: Context) -> list[tuple[str, str, str]]:
    """Give the first demo user of each role a known password (only ever with FINCRM_ENV=local)."""
    from sqlalchemy import select

    from fincrm.access.models import User
    from fincrm.access.service import set_password
    from fincrm.core.clock import SystemClock
    from fincrm.db.uow import unit_of_work

    if c.settings.env != "local":
        _fail("demo passwords are only set with FINCRM_ENV=local")
    rows = []
    with unit_of_work(c.sessions) as session:
        for username in DEMO_USERS:
            role = session.scalar(select(User.role).where(User.username == username))
            if role is None:
                continue
            password = f"demo-{username}"
            set_password(session, username=username, password=password, now=SystemClock().now())
            rows.append((username, str(role), password))
    return rows


def _serve(c: Context, *, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from fincrm.web.app import create_app

    out.print(f"workbench: http://{host}:{port}  (API: http://{host}:{port}/api/v1/docs); Ctrl+C stops it")
    if workers > 1:  # separate processes; each builds its app from the same FINCRM_* environment
        uvicorn.run(
            "fincrm.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
            log_level="warning",
        )  # fmt: skip
    else:
        uvicorn.run(create_app(c.settings), host=host, port=port, log_level="warning")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (the web tier keeps no state)")
    ] = 1,
) -> None:
    """Serve the workbench pages and the JSON API (/api/v1)."""
    c = _ctx(ctx)
    _require_current_schema(c)
    _serve(c, host=host, port=port, workers=workers)


users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("set-password")
def users_set_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Staff user name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a staff user's password (Argon2id) and unlock the account."""
    from fincrm.access.service import set_password
    from fincrm.core.clock import SystemClock
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> None:
        with unit_of_work(c.sessions) as session:
            set_password(session, username=username, password=password, now=SystemClock().now())

    run_guarded(work)
    out.print(f"password set for {username}")


# ----- import -------------------------------------------------------------------------------
def _import_help() -> str:
    from fincrm.ingest.names import BUNDLE, ENTITY_NAMES

    return (
        "Import FILE (CSV, Parquet or .xlsx) as ENTITY: validated, all-or-nothing, idempotent.\n\n"
        f"ENTITY is one of: {', '.join(ENTITY_NAMES)}; or `{BUNDLE}` with FILE a folder and --mapping a "
        "bundle that lists the files to load in one transaction. Formats: docs/import.md."
    )


@app.command("import", help=_import_help(), no_args_is_help=True)
def import_(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="What FILE holds (see the list above), or `bundle`")],
    file: Annotated[Path, typer.Argument(help="The file to import; for `bundle`, the folder of files")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping of the file's columns (needed for bundle)")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import good rows, write bad ones to a rejects file")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects", help="Rejects file (bundle: a folder); default <name>.rejects.csv beside the input"
        ),
    ] = None,
) -> None:
    from fincrm.db.uow import unit_of_work
    from fincrm.errors import InputError
    from fincrm.ingest.service import BUNDLE, import_bundle, import_file
    from fincrm.lake.store import Lake

    c = _ctx(ctx)
    _require_current_schema(c)
    lake = Lake(c.settings.lake_path)

    def work() -> tuple[Any, ...]:
        with unit_of_work(c.sessions) as session:
            if entity == BUNDLE:
                if mapping is None:
                    raise InputError(f"`fincrm import {BUNDLE} DIR` needs --mapping BUNDLE.yaml")
                return import_bundle(
                    session, lake=lake, settings=c.settings, directory=file, mapping=mapping,
                    skip_invalid=skip_invalid, rejects=rejects,
                ).steps  # fmt: skip
            return (
                import_file(
                    session, lake=lake, settings=c.settings, entity=entity, path=file, mapping=mapping,
                    skip_invalid=skip_invalid, rejects=rejects,
                ),
            )  # fmt: skip

    results = run_guarded(work)
    _refresh_statistics(c)
    for r in results:
        line = (
            f"{r.entity} <- {r.file}: {r.rows:,} rows: inserted {r.inserted:,}, updated {r.updated:,}, "
            f"unchanged {r.unchanged:,}, rejected {r.rejected:,}"
        )
        rejected_to = f" (see {r.rejects_path})" if r.rejects_path else ""
        out.print(line + rejected_to, highlight=False, soft_wrap=True)
    if len(results) > 1:
        counts = ("inserted", "updated", "unchanged", "rejected")
        totals = {k: sum(getattr(r, k) for r in results) for k in counts}
        out.print("total: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()), highlight=False)


# ----- demo institution ---------------------------------------------------------------------
@app.command()
def generate(
    ctx: typer.Context,
    clients: Annotated[
        int, typer.Option("--clients", min=50, help="Number of parties (about 5 % corporates)")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed and as-of date give the same data")
    ] = 42,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the history, YYYY-MM-DD (default: today)")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="Answer file of the planted stories (default: <lake>/../demo-answers.json)"
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Delete the clients, organisation and products already in the store"),
    ] = False,
) -> None:
    """Generate the demo institution (钱塘银行) into the store and the lake, with its planted stories."""
    from rich.table import Table
    from sqlalchemy import func, select

    from fincrm.clients.models import Party
    from fincrm.core.clock import SystemClock, local_today
    from fincrm.db.uow import unit_of_work
    from fincrm.demo import generate_institution
    from fincrm.lake.store import Lake

    c = _ctx(ctx)
    _require_current_schema(c)
    try:
        day = date.fromisoformat(as_of) if as_of else local_today(SystemClock(), c.settings.tz)
    except ValueError:
        _fail(f"--as-of must be a date as YYYY-MM-DD, got {as_of!r}")
    with unit_of_work(c.sessions) as session:
        existing = session.scalar(select(func.count()).select_from(Party)) or 0
    if existing and not replace:
        _fail(
            f"the store already holds {existing:,} clients; pass --replace to delete them (and the organisation "
            "and product shelf) and generate the demo institution in their place"
        )
    answers_path = answers or c.settings.lake_path.parent / "demo-answers.json"

    def work() -> Any:
        with _progress() as bar, unit_of_work(c.sessions) as session:
            return generate_institution(
                session, Lake(c.settings.lake_path), clients=clients, seed=seed, as_of=day,
                pii_key=c.settings.pii_key_bytes, answers_path=answers_path, progress=_ProgressReporter(bar),
            )  # fmt: skip

    result = run_guarded(work)
    _refresh_statistics(c)
    table = Table(title=f"demo institution as of {result.as_of} (seed {result.seed})")
    table.add_column("store table / lake dataset")
    table.add_column("rows", justify="right")
    for name, n in result.store_rows.items():
        table.add_row(name, f"{n:,}")
    for name, n in result.lake_rows.items():
        table.add_row(f"lake: {name}", f"{n:,}")
    out.print(table)
    stories = ", ".join(f"{kind} {n}" for kind, n in result.stories.items())
    out.print(
        f"planted stories: {stories}; answers in {result.answers_path}", highlight=False, soft_wrap=True
    )


# ----- audit trail and key rotation ---------------------------------------------------------
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Walk the whole audit trail; exit 0 when intact, 1 naming the first record that does not fit."""
    from fincrm.access.audit import verify_chain
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work():
        with unit_of_work(c.sessions) as session:
            return verify_chain(session)

    checked, broken = run_guarded(work)
    if broken is not None:
        where = f"record {broken.record_id}" if broken.record_id is not None else "the chain's tip"
        _fail(f"audit trail broken at {where}: {broken.reason} ({checked:,} records checked)")
    out.print(f"audit trail intact: {checked:,} records verified")


@keys_app.command("rotate")
def keys_rotate(
    ctx: typer.Context,
    new_key_env: Annotated[
        str,
        typer.Option(
            "--new-key-env",
            help="Name of the environment variable holding the new key (base64 of 64 bytes); "
            "the key itself never goes on the command line",
        ),
    ] = "FINCRM_NEW_PII_KEY",
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows re-encrypted per transaction")] = 1_000,
) -> None:
    """Re-encrypt every national ID number from FINCRM_PII_KEY to a new key, batch by batch.

    Safe to rerun and to resume after an interruption: rows already under the new key are skipped.
    """
    import base64
    import binascii
    import os

    from fincrm.clients.keys import rotate_national_ids
    from fincrm.core.clock import SystemClock
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    raw = os.environ.get(new_key_env, "")
    if not raw:
        _fail(f"set {new_key_env} to the new key (base64 of 64 bytes; `fincrm keys generate` makes one)")
    try:
        new_key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        _fail(f"{new_key_env} is not base64")
    if len(new_key) != 64:
        _fail(f"{new_key_env} must hold 64 bytes, it holds {len(new_key)}")
    old_key = c.settings.pii_key_bytes
    after_id, rotated, skipped = 0, 0, 0
    while True:

        def work(after: int = after_id):
            with unit_of_work(c.sessions) as session:
                return rotate_national_ids(
                    session,
                    old_key=old_key,
                    new_key=new_key,
                    after_id=after,
                    batch=batch,
                    now=SystemClock().now(),
                )

        step = run_guarded(work)
        rotated, skipped, after_id = rotated + step.rotated, skipped + step.skipped, step.last_id
        if step.rotated or step.skipped:
            err.print(
                f"  up to party id {after_id}: {rotated:,} re-encrypted, {skipped:,} already under the new key"
            )
        if step.done:
            break
    out.print(f"national ID numbers: {rotated:,} re-encrypted, {skipped:,} already under the new key")
    out.print(f"now set FINCRM_PII_KEY to the value of {new_key_env} and restart the workbench and workers")


# ----- market data and the portfolio lab ---------------------------------------------------------
MARKET_PRICES_MAPPING = """entity: market_prices
fields:
  price_on: date
  series: series
  price: price
"""


@market_app.command("import")
def market_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or .xlsx with columns date, series, price")],
) -> None:
    """Import daily prices (date, series, price) into the lake: validated, all-or-nothing, idempotent.

    Every series must be known (``fincrm import market_series``). A file whose date column is
    already called ``price_on`` is read as it is.
    """
    import tempfile

    from fincrm.db.uow import unit_of_work
    from fincrm.ingest.service import import_file
    from fincrm.lake.store import Lake

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with tempfile.TemporaryDirectory(prefix="fincrm-market-") as tmp:
            mapping = None
            if _first_line(file).split(",")[0].strip().strip('"').lower() == "date":
                mapping = Path(tmp) / "market_prices.yaml"
                mapping.write_text(MARKET_PRICES_MAPPING, encoding="utf-8")
            with unit_of_work(c.sessions) as session:
                return import_file(
                    session, lake=Lake(c.settings.lake_path), settings=c.settings, entity="market_prices",
                    path=file, mapping=mapping, skip_invalid=False, rejects=None,
                )  # fmt: skip

    r = run_guarded(work)
    out.print(
        f"market_prices <- {r.file}: {r.rows:,} rows: inserted {r.inserted:,}, updated {r.updated:,}, "
        f"unchanged {r.unchanged:,}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip


def _first_line(path: Path) -> str:
    if path.suffix.lower() in {".parquet", ".xlsx"}:
        return ""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            return handle.readline()
    except OSError:
        return ""  # the import names the unreadable file


@portfolio_app.command("metrics")
def portfolio_metrics(
    prices: Annotated[Path, typer.Argument(help="CSV: a date column, then one column of prices per series")],
    date_from: Annotated[str | None, typer.Option("--from", help="First date, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date, YYYY-MM-DD")] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", help="Series (a column) for beta and tracking error")
    ] = None,
) -> None:
    """Print every metric of every series as JSON (docs/portfolio.md states the conventions)."""
    import json

    from fincrm.errors import InputError
    from fincrm.portfolio import metrics
    from fincrm.portfolio import prices as price_files

    def work() -> dict[str, Any]:
        def day(text: str | None, option: str) -> date | None:
            if text is None:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise InputError(f"{option} must be a date YYYY-MM-DD, got {text!r}") from None

        frame = price_files.read_prices_csv(prices)
        frame = price_files.window(frame, day(date_from, "--from"), day(date_to, "--to"))
        if benchmark is not None and benchmark not in frame.columns:
            raise InputError(f"--benchmark {benchmark!r} is not a series of {prices.name}")
        return metrics.all_metrics(frame, benchmark=benchmark)

    result = run_guarded(work)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))


def _acting_user(c: Context, session: Any, username: str) -> Any:
    from sqlalchemy import select

    from fincrm.access.models import User
    from fincrm.access.service import principal_of
    from fincrm.errors import InputError

    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active:
        raise InputError(f"--as {username!r}: no active staff user of that name")
    return principal_of(user, ip="cli")


def _print_proposal(read: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(read.model_dump_json(indent=2))
        return
    out.print(
        f"proposal {read.id} for {read.party_no}: {read.status}, {read.method}, {read.effective_risk}, "
        f"{read.invest_amount} {read.currency}", highlight=False, soft_wrap=True,
    )  # fmt: skip
    for code, weight in sorted(read.weights.items(), key=lambda kv: -kv[1]):
        out.print(f"  {code:<10} {weight:>8.2%}", highlight=False)
    out.print(read.machine.get("rationale_en", ""), highlight=False, soft_wrap=True)
    for row in read.evidence.get("stress", []):
        mine = (row.get("proposal") or {}).get("max_drawdown")
        bench = (row.get("benchmark") or {}).get("max_drawdown")
        out.print(
            f"  stress {row['key']:<12} proposal {'-' if mine is None else f'{mine:.1%}'}"
            f"  benchmark {'-' if bench is None else f'{bench:.1%}'}", highlight=False,
        )  # fmt: skip


@portfolio_app.command("propose")
def portfolio_propose(
    ctx: typer.Context,
    party_no: Annotated[str, typer.Argument(help="Client number")],
    amount: Annotated[str, typer.Option("--amount", help="Amount to invest, reporting currency")],
    acting: Annotated[str, typer.Option("--as", help="Username of the RM or team lead proposing")],
    method: Annotated[
        str, typer.Option("--method", help="target_risk, max_sharpe, min_volatility or risk_parity")
    ] = "target_risk",
    as_json: Annotated[bool, typer.Option("--json", help="Print the proposal as JSON")] = False,
) -> None:
    """Propose an allocation for a client (stored as a draft with its stress tests and disclosure)."""
    from datetime import UTC, datetime
    from decimal import Decimal, InvalidOperation

    from fincrm.db.uow import unit_of_work
    from fincrm.errors import InputError
    from fincrm.portfolio import service

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise InputError(f"--amount must be a number, got {amount!r}") from None
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            now = datetime.now(UTC)
            proposal = service.create_proposal(
                session, me, party_no, settings=c.settings, invest_amount=value, method=method, now=now
            )
            return service.read_proposal(session, proposal, service.get_proposal(session, me, proposal.id)[1])

    _print_proposal(run_guarded(work), as_json)


@portfolio_app.command("act")
def portfolio_act(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(help="Proposal number")],
    action: Annotated[
        str, typer.Argument(help="review, approve, reject, acknowledge, present, accept or decline")
    ],
    acting: Annotated[str, typer.Option("--as", help="Username of the person taking the step")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required to reject or acknowledge)")] = "",
) -> None:
    """Take one review step on a proposal (audited as the user named by --as)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.portfolio import service

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            proposal = service.advance_proposal(
                session, me, proposal_id, action, reason=reason, now=datetime.now(UTC)
            )
            return proposal.id, proposal.status

    number, status = run_guarded(work)
    out.print(f"proposal {number}: {status}", highlight=False)


@portfolio_app.command("scenarios")
def portfolio_scenarios(ctx: typer.Context) -> None:
    """List the stress scenarios as JSON: the built-in windows and the institution's own."""
    import json

    from fincrm.portfolio import service

    c = _ctx(ctx)
    library = run_guarded(lambda: service.scenario_library(c.settings))
    typer.echo(json.dumps([s.as_dict() for s in library.values()], ensure_ascii=False, indent=2))


# ----- reports ------------------------------------------------------------------------------
def _client_list(value: str) -> list[str]:
    """``C001,C002`` or ``@FILE`` (one client number per line; blank lines and # comments skipped)."""
    from fincrm.errors import InputError

    if value.startswith("@"):
        path = Path(value[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"--clients {path}: cannot read the file ({exc.strerror})") from None
        found = [line.split("#", 1)[0].strip() for line in lines]
    else:
        found = [part.strip() for part in value.split(",")]
    numbers = list(dict.fromkeys(n for n in found if n))
    if not numbers:
        raise InputError(f"--clients {value!r}: no client numbers in it")
    return numbers


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: a killed run leaves no half PDF."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("report")
def report(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(help="health_check, quarterly, post_crisis, proposal, product or education")
    ],
    acting: Annotated[str, typer.Option("--as", help="Username of the RM or team lead (audited)")],
    client: Annotated[str | None, typer.Option("--client", help="Client number: one report")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="PDF file for --client")] = None,
    clients: Annotated[
        str | None, typer.Option("--clients", help="Batch: C001,C002 or @FILE with one client number a line")
    ] = None,
    birthdays_within: Annotated[
        int | None,
        typer.Option(
            "--birthdays-within",
            min=0,
            max=366,
            help="Batch: every client in your book with a birthday in the next N days",
        ),
    ] = None,  # fmt: skip
    out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Batch: also write each PDF here")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Report date YYYY-MM-DD (default today)")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN or en (default FINCRM_LOCALE)")] = None,
    subject: Annotated[
        str, typer.Option("--subject", help="Product code, proposal id, topic, scenario or quarter")
    ] = "",
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Batch: processes rendering")] = 1,
) -> None:
    """Render a report to PDF and store it against the client; or a batch for many clients."""
    from datetime import UTC, datetime, timedelta

    from fincrm.db.uow import unit_of_work
    from fincrm.reports import batch, service

    c = _ctx(ctx)
    _require_current_schema(c)
    language = lang or c.settings.locale
    modes = sum(x is not None for x in (client, clients, birthdays_within))
    if modes != 1:
        _fail("give exactly one of --client, --clients or --birthdays-within")
    if client is not None and out_file is None:
        _fail("--out FILE.pdf is required with --client")
    try:
        day = date.fromisoformat(as_of) if as_of else service.today(c.settings, datetime.now(UTC))
    except ValueError:
        _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")

    if client is not None:
        assert out_file is not None

        def one() -> Any:
            with unit_of_work(c.sessions) as session:
                me = _acting_user(c, session, acting)
                stored = service.generate_report(
                    session, me, c.settings, kind=kind, party_no=client, as_of=day, lang=language,
                    now=datetime.now(UTC), subject=subject,
                )  # fmt: skip
                return stored.id, stored.pdf, stored.page_count, stored.title

        report_id, pdf, pages, title = run_guarded(one)
        run_guarded(lambda: _write_atomically(out_file, pdf))
        out.print(f"report {report_id}: {title}, {pages} pages -> {out_file}", highlight=False)
        return

    def targets() -> list[str]:
        if clients is not None:
            return _client_list(clients)
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return service.birthday_clients(session, me, day, day + timedelta(days=birthdays_within or 0))

    numbers = run_guarded(targets)
    if not numbers:
        out.print("no clients to report on", highlight=False)
        return
    job = batch.Job(username=acting, kind=kind, as_of=day, lang=language, subject=subject)
    run_guarded(lambda: service.builder(kind))  # an unknown kind fails before any work starts
    with _progress() as bar:
        outcomes = run_guarded(
            lambda: batch.run(
                c.settings, c.sessions, job, numbers, workers=workers, progress=_ProgressReporter(bar)
            )
        )
    made = [o for o in outcomes if o.report_id is not None]
    if out_dir is not None and made:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            for o in made:
                stored, party = service.open_report(
                    session, me, o.report_id, now=datetime.now(UTC), as_pdf=True
                )
                _write_atomically(out_dir / service.file_name(stored, party.party_no), stored.pdf)
    for o in outcomes:
        if o.report_id is None:
            err.print(f"  {o.party_no}: {o.error}", highlight=False, soft_wrap=True)
    out.print(
        f"{len(made)} of {len(outcomes)} reports made ({kind}, {language}, as of {day})", highlight=False
    )
    if not made:
        raise typer.Exit(1)


# ----- engagement ---------------------------------------------------------------------------
engagement_app = typer.Typer(
    help="Engagement: cadence rules, the daily run, the outbox worker.", no_args_is_help=True
)
app.add_typer(engagement_app, name="engagement")


@engagement_app.command("run")
def engagement_run(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """Run every enabled rule over the whole book for the day: tasks and outbox messages, then
    key-person gap tasks, event invitations from tasks and partner offers (one transaction, rerun-safe)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import daily

    c = _ctx(ctx)
    _require_current_schema(c)
    now = datetime.now(UTC)
    day = _engagement_day(c, as_of, now)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return daily.run_day(session, c.settings, on=day, now=now)

    result = run_guarded(work)
    done = result.applied
    out.print(
        f"engagement {day}: {done.hits:,} hits -> {done.tasks:,} tasks, {done.messages:,} messages "
        f"({done.held:,} held for compliance, {done.suppressed:,} suppressed); {done.skipped:,} already made",
        highlight=False,
    )
    out.print(
        f"key-person gaps: {result.gaps.made:,} tasks made ({result.gaps.already:,} made earlier this week); "
        f"invitations from tasks: {result.invited.invited:,} ({result.invited.no_event:,} without an open event); "
        f"partner offers: {result.offers.made:,} made ({result.offers.existing:,} already made)",
        highlight=False,
    )


def _engagement_day(c: Context, text: str | None, now: Any) -> date:
    from zoneinfo import ZoneInfo

    if not text:
        return now.astimezone(ZoneInfo(c.settings.timezone)).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of {text!r} is not a date (YYYY-MM-DD)")


@engagement_app.command("rules")
def engagement_rules(
    ctx: typer.Context,
    check: Annotated[Path | None, typer.Option("--check", help="Validate a rules file and exit")] = None,
) -> None:
    """List the rules in force (shipped, FINCRM_ENGAGEMENT_RULES_PATH, switches), or check a file."""
    from fincrm.engagement import rules

    c = _ctx(ctx)
    if check is not None:
        found = run_guarded(lambda: rules.load_rule_files([rules.DEFAULT_RULES_PATH, check]))
        out.print(f"{check}: valid; {len(found)} rules in force with it", highlight=False)
        return
    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import service

    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return service.rules_in_force(session, c.settings)

    for r in run_guarded(work):
        actions = ",".join(a.kind for a in r.actions)
        state = "on " if r.enabled else "off"
        out.print(
            f"{state} P{r.priority} {r.key:<28} {r.trigger.kind:<22} {actions:<20} {r.source}",
            highlight=False,
        )


@engagement_app.command("deliver")
def engagement_deliver(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between rounds")] = 5.0,
) -> None:
    """The outbox worker: send due messages through the configured channels, retry, record dead letters."""
    import time
    from datetime import UTC, datetime

    from fincrm.engagement import outbox, service

    c = _ctx(ctx)
    _require_current_schema(c)
    senders = service.senders(c.settings)
    while True:
        report = run_guarded(lambda: outbox.deliver(c.sessions, senders, clock=lambda: datetime.now(UTC)))
        if report.sent or report.retrying or report.dead or once:
            out.print(f"sent {report.sent}, retrying {report.retrying}, dead {report.dead}", highlight=False)
        if once:
            return
        time.sleep(interval)


# --- community commands (content library, morning brief, weekly Q&A) ---
content_app = typer.Typer(help="The content library: research and insights tagged by industry and topic.")
brief_app = typer.Typer(help="The morning brief (at most 300 characters a language).", no_args_is_help=True)
engagement_app.add_typer(content_app, name="content")
engagement_app.add_typer(brief_app, name="brief")
AsUser = Annotated[str, typer.Option("--as", help="Username acting (a writer: RM, team lead or research)")]


def _acting(session: Session, username: str) -> Any:
    from sqlalchemy import select

    from fincrm.access.models import User
    from fincrm.access.service import principal_of

    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active:
        raise FincrmError(f"no active user {username!r}")
    return principal_of(user)


@content_app.command("import")
def content_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="YAML (a list of pieces, or pieces: [...]) or CSV with a header")
    ],
    as_user: AsUser = "research01",
) -> None:
    """Import pieces into the library, all or nothing; errors name the file, row and field (rerun-safe)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import community

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return len(
                community.import_pieces(session, c.settings, file, username=as_user, now=datetime.now(UTC))
            )

    out.print(f"{file.name}: {run_guarded(work):,} pieces imported", highlight=False)


@content_app.command("list")
def content_list(
    ctx: typer.Context,
    industry: Annotated[str, typer.Option("--industry", help="GB/T 4754 code, e.g. C38")] = "",
    topic: Annotated[str, typer.Option("--topic", help="Topic tag, e.g. pension")] = "",
) -> None:
    """The library, newest first, filtered by industry and topic."""
    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import community

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting(session, "research01")
            return [(p.published_on, p.kind, p.industry_codes.strip(), p.topics.strip(), p.title_zh)
                    for p in community.list_pieces(session, me, industry=industry, topic=topic)]  # fmt: skip

    rows = run_guarded(work)
    for on, kind, codes, topics, title in rows:
        out.print(f"{on} {kind:<10} {codes:<12} {topics:<28} {title}", highlight=False)
    out.print(f"{len(rows):,} pieces", highlight=False)


@brief_app.command("compose")
def brief_compose(
    ctx: typer.Context,
    zh: Annotated[str, typer.Option("--zh", help="The brief in Chinese")],
    en: Annotated[str, typer.Option("--en", help="The brief in English")],
    as_user: AsUser = "research01",
    publish: Annotated[bool, typer.Option("--publish", help="Publish after the compliance scan")] = False,
) -> None:
    """Write today's brief of your desk (a draft), and publish it if asked."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import community

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        now = datetime.now(UTC)
        with unit_of_work(c.sessions) as session:
            me = _acting(session, as_user)
            brief = community.save_brief(session, me, c.settings, text_zh=zh, text_en=en, now=now)
            if publish:
                community.publish_brief(session, me, c.settings, brief.id, now=now)
            return brief.id, brief.desk, brief.brief_on, brief.status

    brief_id, desk, on, status = run_guarded(work)
    out.print(f"brief {brief_id} ({desk}, {on}): {status}", highlight=False)


@brief_app.command("send")
def brief_send(
    ctx: typer.Context,
    brief_id: Annotated[int, typer.Argument(min=1, help="A published brief")],
    as_user: Annotated[str, typer.Option("--as", help="The RM or team lead whose book receives it")],
    channel: Annotated[str, typer.Option("--channel", help="email, sms, wecom or in_app")] = "wecom",
) -> None:
    """Send a published brief to the consenting clients of a book (once per client; rerun-safe)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import community

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting(session, as_user)
            d = community.distribute_brief(
                session, me, c.settings, brief_id, channel=channel, now=datetime.now(UTC)
            )
            return d.consenting, d.queued, d.held, d.suppressed, d.skipped

    consenting, queued, held, suppressed, skipped = run_guarded(work)
    out.print(
        f"brief {brief_id} by {channel}: {consenting:,} consenting clients, {queued:,} queued, {held:,} held, "
        f"{suppressed:,} suppressed, {skipped:,} already sent",
        highlight=False,
    )


# --- client events and key-person coverage commands ---
def _gatherings_now(c: Context, as_of: str | None) -> Any:
    """Now, or 10:00 in the business timezone on ``--as-of`` (as UTC)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    if not as_of:
        return now
    day = _engagement_day(c, as_of, now)
    return datetime(day.year, day.month, day.day, 10, tzinfo=c.settings.tz).astimezone(UTC)


@engagement_app.command("coverage")
def engagement_coverage(
    ctx: typer.Context,
    gap_tasks: Annotated[
        bool, typer.Option("--gap-tasks", help="Also make this ISO week's gap tasks (rerun-safe)")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """Key-person coverage of every corporate client: share with both layers covered, per team and RM."""
    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import gatherings

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _gatherings_now(c, as_of)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            rows = gatherings.institution_coverage(session, now=now, tz=c.settings.tz)
            summary = gatherings.coverage_summary(session, rows)
            made = gatherings.make_gap_tasks(session, None, now=now, tz=c.settings.tz) if gap_tasks else None
            return summary, made

    summary, made = run_guarded(work)
    for label, shares in (("team", summary.by_team), ("rm", summary.by_rm)):
        for s in shares:
            share = f"{s.share:.0%}" if s.share is not None else "-"
            out.print(
                f"{label:<4} {s.key:<20} {s.companies:>6,} companies {s.covered:>6,} covered ({share:>4}); "
                f"gaps: {s.decision_gaps:,} decision, {s.operating_gaps:,} operating",
                highlight=False,
            )
    total = summary.total
    out.print(
        f"{total.covered:,} of {total.companies:,} corporate clients fully covered"
        + (f" ({total.share:.0%})" if total.share is not None else ""),
        highlight=False,
    )
    if made is not None:
        out.print(
            f"gap tasks: {made.made:,} made, {made.already:,} already made this week, "
            f"{made.unassigned:,} gaps without an RM",
            highlight=False,
        )


events_app = typer.Typer(help="Client events: the list, invitations from rule tasks.", no_args_is_help=True)
engagement_app.add_typer(events_app, name="events")


@events_app.command("list")
def events_list(ctx: typer.Context) -> None:
    """Every client event with seats and answers (counts only, no client names)."""
    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import gatherings

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return gatherings.all_events(session)

    views = run_guarded(work)
    for v in views:
        e, a = v.event, v.mine
        starts = e.starts_at.astimezone(c.settings.tz).strftime("%Y-%m-%d %H:%M")
        out.print(
            f"{e.id:>5} {starts} {e.kind:<18} {e.status:<8} seats {v.accepted_total}/{e.capacity} "
            f"invited {a.invited} accepted {a.accepted} declined {a.declined} attended {a.attended}  {e.title_zh}",
            highlight=False,
        )
    out.print(f"{len(views)} events", highlight=False)


@events_app.command("invite-from-tasks")
def events_invite_from_tasks(ctx: typer.Context) -> None:
    """Put the clients of open invitation tasks on the next open event of the kind (rerun-safe)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import gatherings

    c = _ctx(ctx)
    _require_current_schema(c)
    now = datetime.now(UTC)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return gatherings.invite_from_tasks(session, now=now)

    done = run_guarded(work)
    out.print(
        f"{done.tasks:,} invitation tasks: {done.invited:,} invited, {done.already:,} already on the list, "
        f"{done.no_event:,} without an open event of their kind",
        highlight=False,
    )


# --- tier benefits and partners commands ---
@engagement_app.command("offers")
def engagement_offers(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default today)")
    ] = None,
    partners: Annotated[
        Path | None, typer.Option("--partners", help="Partner catalogue YAML (default: the shipped one)")
    ] = None,
) -> None:
    """Make partner offers from the clients' open signals and from open `offer` tasks (rerun-safe)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import programmes

    c = _ctx(ctx)
    _require_current_schema(c)
    now = datetime.now(UTC)
    day = _engagement_day(c, as_of, now)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return programmes.run_offers(session, c.settings, on=day, now=now, partners_path=partners)

    done = run_guarded(work)
    out.print(
        f"offers {day}: {done.made:,} made, {done.existing:,} already made, "
        f"{done.unknown:,} tasks naming no bundle or partner",
        highlight=False,
    )


@engagement_app.command("partners")
def engagement_partners(
    check: Annotated[
        Path | None, typer.Option("--check", help="Validate a partner catalogue and exit")
    ] = None,
) -> None:
    """List the partner catalogue (partners and the bundles signals trigger), or check a file."""
    from fincrm.engagement import programmes

    catalogue = run_guarded(lambda: programmes.load_partners(check))
    if check is not None:
        out.print(
            f"{check}: valid; {len(catalogue.partners)} partners, {len(catalogue.bundles)} bundles",
            highlight=False,
        )
        return
    for p in catalogue.partners.values():
        out.print(
            f"partner {p.key:<24} {p.kind:<14} {p.name_zh} / {p.name_en}", highlight=False, soft_wrap=True
        )
    for b in catalogue.bundles.values():
        tiers = ",".join(b.tiers) or "all tiers"
        out.print(
            f"bundle  {b.key:<24} {','.join(b.signals)} ({tiers}) -> "
            + " + ".join(i.partner or "bank" for i in b.items),
            highlight=False,
            soft_wrap=True,
        )


benefits_app = typer.Typer(help="Tier benefits: usage per tier.", no_args_is_help=True)
engagement_app.add_typer(benefits_app, name="benefits")


@benefits_app.command("usage")
def engagement_benefits_usage(
    ctx: typer.Context,
    acting: Annotated[str, typer.Option("--as", help="Username whose book is counted (audited reader)")],
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100, help="Calendar year")] = None,
) -> None:
    """Benefit usage per tier over a user's book: clients entitled, clients who used, uses, rate."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import programmes

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return programmes.benefits_usage(session, me, c.settings, year=year, now=datetime.now(UTC))

    usage = run_guarded(work)
    out.print(f"benefit usage {usage.year} ({acting}'s book)", highlight=False)
    for t in usage.tiers:
        rate = "-" if t.rate is None else f"{t.rate:.1%}"
        out.print(
            f"{t.tier:<10} entitled {t.entitled:>7,}  used {t.used:>7,}  redemptions {t.redemptions:>7,}  "
            f"uses {t.quantity:>7,}  rate {rate}",
            highlight=False,
            soft_wrap=True,
        )


# The `fincrm cases` group: every part of the cases capability adds its commands to `cases_app`.
cases_app = typer.Typer(
    help="Cases: complaints, crisis communication, cross-department cases, testimonials.",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")
complaints_app = typer.Typer(help="Client complaints: list, show, file.", no_args_is_help=True)
cases_app.add_typer(complaints_app, name="complaints")


def _cases_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@complaints_app.command("list")
def complaints_list(
    ctx: typer.Context,
    acting: Annotated[
        str, typer.Option("--as", help="Username whose scope is listed (RM, team lead, compliance)")
    ],
    status: Annotated[str, typer.Option(help="in_force, open, responded, resolved or closed")] = "",
) -> None:
    """Complaints of a user's scope with their SLA: open ones first by due time."""
    from fincrm.cases import complaints
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _cases_now()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return complaints.list_complaints(
                session, _acting_user(c, session, acting), now=now, status=status
            )

    views = run_guarded(work)
    for v in views:
        k, left = v.complaint, v.sla.resolution_minutes_left
        due = (
            "-"
            if left is None
            else (f"{left // 60}h{left % 60:02d}m left" if left >= 0 else f"{-left // 60}h overdue")
        )
        out.print(
            f"{k.complaint_no} {v.party_no:<12} {k.category:<17} {k.severity:<8} {k.status:<9} {due:<14} "
            f"{'BREACHED' if v.sla.breached else 'on time':<8} {v.assignee}",
            highlight=False,
        )
    out.print(f"{len(views)} complaints", highlight=False)


@complaints_app.command("show")
def complaints_show(
    ctx: typer.Context,
    complaint_no: Annotated[str, typer.Argument(help="Complaint number, e.g. TS-2026-000123")],
    acting: Annotated[str, typer.Option("--as", help="Username reading it (audited)")],
) -> None:
    """One complaint with its SLA and timeline."""
    from fincrm.cases import complaints
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _cases_now()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return complaints.read_complaint(session, _acting_user(c, session, acting), complaint_no, now=now)

    d = run_guarded(work)
    k, sla = d.view.complaint, d.view.sla
    out.print(
        f"{k.complaint_no} {d.view.party_no} {k.channel} {k.category} {k.severity} {k.status}",
        highlight=False,
    )
    out.print(f"response due {sla.response_due_at:%Y-%m-%d %H:%M}Z breached={sla.response_breached}; "
              f"resolution due {sla.resolution_due_at:%Y-%m-%d %H:%M}Z breached={sla.resolution_breached}; "
              f"marketing held={d.hold_in_force}", highlight=False)  # fmt: skip
    for s in d.steps:
        out.print(f"  {s.step.at:%Y-%m-%d %H:%M}Z {s.step.kind:<10} {s.actor:<12} {s.step.text}", highlight=False,
                  soft_wrap=True)  # fmt: skip


@complaints_app.command("file")
def complaints_file(
    ctx: typer.Context,
    acting: Annotated[str, typer.Option("--as", help="Username filing it (RM, team lead, compliance)")],
    client: Annotated[str, typer.Option("--client", help="Client number")],
    category: Annotated[
        str, typer.Option(help="mis_selling, service_attitude, fees, system_error, disclosure, other")
    ],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical")],
    description: Annotated[str, typer.Option(help="What the client complains about")],
    channel: Annotated[
        str, typer.Option(help="branch, phone, app, wecom, email, letter, regulator_referral")
    ] = "phone",
) -> None:
    """File a complaint (marketing to the client is held until it is resolved)."""
    from fincrm.cases import complaints
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _cases_now()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            made = complaints.file_complaint(
                session, _acting_user(c, session, acting), party_no=client, channel=channel, category=category,
                severity=severity, description=description, now=now,
            )  # fmt: skip
            return made.complaint_no

    out.print(f"filed {run_guarded(work)}", highlight=False)


@cases_app.command("sweep")
def cases_sweep(ctx: typer.Context) -> None:
    """Escalate SLA breaches of complaints and cross-department cases to the team leads (rerun-safe)."""
    from fincrm.cases import complaints, joint
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _cases_now()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return complaints.escalate_breaches(session, now=now), joint.escalate_breaches(session, now=now)

    for label, e in zip(("complaints", "cases"), run_guarded(work), strict=True):
        out.print(f"{label}: {e.looked:,} open looked at, {e.breaches:,} breaches, {e.made:,} escalated now, "
                  f"{e.already:,} escalated before, {e.no_lead:,} without a team lead", highlight=False)  # fmt: skip


@cases_app.command("board")
def cases_board(
    ctx: typer.Context, acting: Annotated[str, typer.Option("--as", help="Username whose cases are shown")]
) -> None:
    """The cross-department case board of a user, by column."""
    from fincrm.cases import joint
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = _cases_now()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return joint.board(session, _acting_user(c, session, acting), now=now)

    columns = run_guarded(work)
    for column, cards in columns.items():
        out.print(f"{column} ({len(cards)})", highlight=False)
        for card in cards:
            k = card.case
            out.print(f"  #{k.id:<5} {k.kind:<20} {card.client.party_no:<12} due {k.due_at:%Y-%m-%d %H:%M}Z "
                      f"{card.members} members  {k.title}", highlight=False, soft_wrap=True)  # fmt: skip


crisis_app = typer.Typer(
    help="Crisis communication: affected clients, sandwich drafts, sending.", no_args_is_help=True
)
cases_app.add_typer(crisis_app, name="crisis")
# The `fincrm team` group: drills, pre-call briefs, SPIN library, dashboards.
team_app = typer.Typer(
    help="Team readiness: drills, pre-call briefs, the SPIN library, dashboards.", no_args_is_help=True
)
app.add_typer(team_app, name="team")
drills_app = typer.Typer(help="Extreme-market drills: list, assign, training records.", no_args_is_help=True)
team_app.add_typer(drills_app, name="drills")
Series = Annotated[str, typer.Option("--series", help="Benchmark series in the lake")]
FallPct = Annotated[
    float, typer.Option("--fall-pct", help="Percent the series fell, to find the latest fall")
]
WithinDays = Annotated[int, typer.Option("--within-days", help="Trading days the fall took at most")]
StartOn = Annotated[str | None, typer.Option("--start", help="Window start YYYY-MM-DD (with --end)")]
EndOn = Annotated[str | None, typer.Option("--end", help="Window end YYYY-MM-DD (with --start)")]
MinEquity = Annotated[
    float, typer.Option("--min-equity-pct", help="Equity share (look-through) at least, percent")
]
ActingRm = Annotated[str, typer.Option("--as", help="The RM or team lead acting")]


def _crisis_fall(
    c: Context, series: str, fall_pct: float, within_days: int, start: str | None, end: str | None
) -> Any:
    from datetime import UTC, date, datetime

    from fincrm.cases import crisis

    try:
        lo, hi = (date.fromisoformat(start) if start else None), (date.fromisoformat(end) if end else None)
    except ValueError:
        raise FincrmError("--start and --end are dates YYYY-MM-DD") from None
    on = crisis.business_day(c.settings, datetime.now(UTC))
    return crisis.find_fall(
        c.settings, series=series, on=on, start=lo, end=hi, fall_pct=fall_pct, within_days=within_days
    )


@crisis_app.command("affected")
def crisis_affected(
    ctx: typer.Context, as_user: ActingRm = "rm001", series: Series = "CSI300", fall_pct: FallPct = 5.0,
    within_days: WithinDays = 5, start: StartOn = None, end: EndOn = None, min_equity_pct: MinEquity = 10.0,
) -> None:  # fmt: skip
    """The market fall and the clients of the book it hit, with their drawdown over the window."""
    from datetime import UTC, datetime

    from fincrm.cases import crisis
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        fall = _crisis_fall(c, series, fall_pct, within_days, start, end)
        with unit_of_work(c.sessions) as session:
            rows = crisis.affected_clients(session, _acting(session, as_user), c.settings, fall=fall,
                                           min_equity_pct=min_equity_pct,
                                           as_of=crisis.business_day(c.settings, datetime.now(UTC)))  # fmt: skip
        return fall, rows

    fall, rows = run_guarded(work)
    out.print(f"{fall.series} fell {fall.fall_pct:.1f}% from {fall.start} to {fall.end} ({fall.trading_days} closes)",
              highlight=False)  # fmt: skip
    for a in rows:
        dd = "-" if a.drawdown is None else f"{a.drawdown:.1%}"
        out.print(
            f"{a.party_no}  equity {a.equity_pct:5.1f}%  drawdown {dd:>7}  draft {a.open_draft or '-'}",
            highlight=False,
        )
    out.print(
        f"{len(rows)} affected clients in {as_user}'s book (equity share >= {min_equity_pct:g}%)",
        highlight=False,
    )


@crisis_app.command("draft")
def crisis_draft(
    ctx: typer.Context, as_user: ActingRm = "rm001",
    client: Annotated[str | None, typer.Option("--client", help="One client; without it every affected client")] = None,
    action: Annotated[str | None, typer.Option("--action", help="proposal, hold, rebalance, add_gradually, reduce_risk, review_meeting")] = None,
    channel: Annotated[str, typer.Option("--channel", help="email, sms, wecom or in_app")] = "wecom",
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN or en")] = None,
    series: Series = "CSI300", fall_pct: FallPct = 5.0, within_days: WithinDays = 5, start: StartOn = None,
    end: EndOn = None, min_equity_pct: MinEquity = 10.0,
) -> None:  # fmt: skip
    """Write (and scan) the sandwich draft for one client, or for every affected client of the book."""
    from datetime import UTC, datetime

    from fincrm.cases import crisis
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    now = datetime.now(UTC)

    def work() -> Any:
        fall = _crisis_fall(c, series, fall_pct, within_days, start, end)
        with unit_of_work(c.sessions) as session:
            me = _acting(session, as_user)
            made = crisis.draft_messages(session, me, c.settings, fall=fall, min_equity_pct=min_equity_pct,
                                         party_nos=[client] if client else [], action=action, channel=channel,
                                         lang=lang, now=now)  # fmt: skip
            return [(crisis.view(session, d).party_no, d.id, d.status, d.scan_codes) for d in made.drafts]

    rows = run_guarded(work)
    for no, draft_id, status, codes in rows:
        out.print(f"{no}  draft {draft_id}  {status}{'  ' + codes if codes else ''}", highlight=False)
    out.print(
        f"{len(rows)} drafts ({sum(1 for r in rows if r[2] == 'held')} held by the compliance scan)",
        highlight=False,
    )


@crisis_app.command("send")
def crisis_send(
    ctx: typer.Context, client: Annotated[str, typer.Option("--client", help="The client whose open draft is sent")],
    as_user: ActingRm = "rm001",
) -> None:  # fmt: skip
    """Put the client's open crisis draft in the engagement outbox (refused while held)."""
    from datetime import UTC, datetime

    from fincrm.cases import crisis
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            draft, message = crisis.send_draft(
                session, _acting(session, as_user), c.settings, client, now=datetime.now(UTC)
            )
            return draft.id, message.id, message.status, message.reason

    draft_id, message_id, status, reason = run_guarded(work)
    out.print(f"crisis draft {draft_id}: outbox message {message_id} {status}{' (' + reason + ')' if reason else ''}",
              highlight=False)  # fmt: skip


@crisis_app.command("reports")
def crisis_reports(
    ctx: typer.Context, as_user: ActingRm = "rm001",
    clients: Annotated[str | None, typer.Option("--clients", help="C001,C002; without it every affected client")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes rendering at once")] = 1,
    series: Series = "CSI300", fall_pct: FallPct = 5.0, within_days: WithinDays = 5, start: StartOn = None,
    end: EndOn = None, min_equity_pct: MinEquity = 10.0,
) -> None:  # fmt: skip
    """The post-crisis review of the window for every affected client (or those named), in one batch."""
    from datetime import UTC, datetime

    from fincrm.cases import crisis
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)
    today = crisis.business_day(c.settings, datetime.now(UTC))

    def work() -> Any:
        fall = _crisis_fall(c, series, fall_pct, within_days, start, end)
        with unit_of_work(c.sessions) as session:
            me = _acting(session, as_user)
            nos = [n.strip() for n in clients.split(",") if n.strip()] if clients else [
                a.party_no for a in crisis.affected_clients(session, me, c.settings, fall=fall,
                                                            min_equity_pct=min_equity_pct, as_of=today)]  # fmt: skip
        return crisis.post_crisis_reports(c.settings, c.sessions, me, fall=fall, party_nos=nos, as_of=today, lang=lang,
                                          workers=workers)  # fmt: skip

    outcomes = run_guarded(work)
    for o in outcomes:
        out.print(f"{o.party_no}  " + (f"report {o.report_id} ({o.pages} pages)" if o.report_id else f"not made: {o.error}"),
                  highlight=False)  # fmt: skip
    made = sum(1 for o in outcomes if o.report_id)
    out.print(f"post-crisis reviews: {made} of {len(outcomes)} made", highlight=False)
    if made < len(outcomes):
        raise typer.Exit(1)


@drills_app.command("list")
def drills_list(ctx: typer.Context, as_user: ActingRm = "lead01") -> None:
    """The drills of the RM, or of the team lead's team."""
    from fincrm.db.uow import unit_of_work
    from fincrm.team import drills

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return [(v.drill.id, v.drill.scenario_key, v.rm, v.drill.status, v.drill.auto_score, v.drill.final_score)
                    for v in drills.list_drills(session, _acting(session, as_user))]  # fmt: skip

    rows = run_guarded(work)
    for drill_id, key, rm, status, auto, final in rows:
        out.print(f"{drill_id:>5} {key:<20} {rm:<10} {status:<10} auto {auto if auto is not None else '-':>3} "
                  f"final {final if final is not None else '-':>3}", highlight=False)  # fmt: skip
    out.print(f"{len(rows)} drills", highlight=False)


@drills_app.command("assign")
def drills_assign(
    ctx: typer.Context, scenario: Annotated[str, typer.Option("--scenario", help="A key of the drill library")],
    rm: Annotated[str, typer.Option("--rm", help="Username of an RM of the lead's team")],
    as_user: ActingRm = "lead01",
    client: Annotated[str | None, typer.Option("--client", help="Anonymise this client of the team; without it the demo client")] = None,
) -> None:  # fmt: skip
    """A team lead gives an RM a drill on the demo client or an anonymised client of the team."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.team import drills

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            d = drills.assign_drill(session, _acting(session, as_user), c.settings, scenario_key=scenario, rm=rm,
                                    client_kind="anonymised" if client else "demo", party_no=client, now=datetime.now(UTC))  # fmt: skip
            return d.id

    out.print(f"drill {run_guarded(work)} assigned to {rm}", highlight=False)


@drills_app.command("score")
def drills_score(
    ctx: typer.Context, as_user: ActingRm = "lead01",
    days: Annotated[int, typer.Option("--days", min=1, help="Days back from today")] = 90,
) -> None:  # fmt: skip
    """Training records per RM: drills given, answered, reviewed, the average score, the last answer."""
    from datetime import UTC, datetime, timedelta

    from fincrm.db.uow import unit_of_work
    from fincrm.team import drills

    c = _ctx(ctx)
    _require_current_schema(c)
    end = datetime.now(UTC).date()

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return drills.drill_scores(
                session, _acting(session, as_user), start=end - timedelta(days=days), end=end
            )

    for r in run_guarded(work):
        avg = "-" if r.average is None else f"{r.average:.1f}"
        out.print(f"{r.rm:<12} assigned {r.assigned:>3} answered {r.taken:>3} reviewed {r.reviewed:>3} average {avg:>5} "
                  f"last {r.last_on or '-'}", highlight=False)  # fmt: skip


testimonials_app = typer.Typer(
    help="Client testimonials: list, record, withdraw, expiry sweep.", no_args_is_help=True
)
cases_app.add_typer(testimonials_app, name="testimonials")
spin_app = typer.Typer(help="The SPIN question library of the pre-call brief.", no_args_is_help=True)
team_app.add_typer(spin_app, name="spin")
ActingUser = Annotated[str, typer.Option("--as", help="Username of the staff user acting")]


@testimonials_app.command("list")
def testimonials_list(
    ctx: typer.Context,
    acting: ActingUser = "compliance01",
    usable_for: Annotated[
        str, typer.Option("--usable-for", help="content_piece or message: usable today")
    ] = "",
) -> None:
    """The testimonials the acting user may read, newest first (client numbers, no names)."""
    from datetime import UTC, datetime

    from fincrm.cases import testimonials
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            views = testimonials.list_testimonials(
                session, me, c.settings, now=datetime.now(UTC), usable_for=usable_for
            )
            return [(v.testimonial.id, v.party_no, v.testimonial.status, v.testimonial.expires_on, v.expired,
                     v.testimonial.scopes.split(), v.usable_for, v.uses) for v in views]  # fmt: skip

    rows = run_guarded(work)
    for tid, party_no, status, expires_on, expired, scopes, usable, uses in rows:
        out.print(f"{tid:>6} {party_no:<12} {status:<10} expires {expires_on}{' (expired)' if expired else ''}  "
                  f"scopes {','.join(scopes)}  usable for {','.join(usable) or '-'}  uses {uses}", highlight=False)  # fmt: skip
    out.print(f"{len(rows)} testimonials", highlight=False)


@testimonials_app.command("record")
def testimonials_record(
    ctx: typer.Context,
    client_no: Annotated[str, typer.Argument(help="The client who told the story")],
    story_zh: Annotated[str, typer.Option("--story-zh", help="The story in Chinese")],
    story_en: Annotated[str, typer.Option("--story-en", help="The story in English")],
    attribution_zh: Annotated[
        str, typer.Option("--attribution-zh", help="How the client is named, e.g. 王女士")
    ],
    attribution_en: Annotated[
        str, typer.Option("--attribution-en", help="How the client is named in English")
    ],
    scopes: Annotated[
        str, typer.Option("--scopes", help="Comma-separated: content_library,client_messages,...")
    ],
    method: Annotated[str, typer.Option("--method", help="signed_form, recorded_call or app")],
    given_on: Annotated[str, typer.Option("--given-on", help="Day of consent YYYY-MM-DD")],
    expires_on: Annotated[str, typer.Option("--expires-on", help="Last day of use YYYY-MM-DD")],
    acting: ActingUser = "rm001",
) -> None:
    """Record a client's story with the consent's scope, method, date and expiry."""
    from datetime import UTC, datetime

    from fincrm.cases import testimonials
    from fincrm.cases import testimonials_domain as td
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> int:
        given, expires = _parse_day(given_on, "--given-on"), _parse_day(expires_on, "--expires-on")
        draft = td.TestimonialDraft(story_zh, story_en, attribution_zh, attribution_en,
                                    tuple(x.strip() for x in scopes.split(",")), method, given, expires)  # fmt: skip
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return testimonials.record_testimonial(session, me, c.settings, client_no, draft=draft,
                                                   now=datetime.now(UTC)).id  # fmt: skip

    out.print(f"testimonial {run_guarded(work)} recorded for {client_no}", highlight=False)


def _parse_day(text: str, option: str) -> Any:
    from datetime import date

    from fincrm.errors import FieldError, InputError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option}: a date like 2026-12-31", errors=[FieldError((option,), "YYYY-MM-DD", text)]
        ) from None


@testimonials_app.command("withdraw")
def testimonials_withdraw(
    ctx: typer.Context,
    testimonial_id: Annotated[int, typer.Argument(min=1, help="The testimonial's id")],
    reason: Annotated[str, typer.Option("--reason", help="The client's words and the channel")],
    acting: ActingUser = "rm001",
) -> None:
    """The client withdraws consent: every use is revoked at once (content pieces, waiting messages)."""
    from datetime import UTC, datetime

    from fincrm.cases import testimonials
    from fincrm.db.uow import unit_of_work

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return testimonials.withdraw_testimonial(
                session, me, testimonial_id, reason=reason, now=datetime.now(UTC)
            )

    done = run_guarded(work)
    out.print(f"testimonial {testimonial_id} withdrawn: {done.uses} uses revoked, {done.pieces} content pieces, "
              f"{done.messages_cancelled} messages cancelled, {done.messages_already_sent} already sent", highlight=False)  # fmt: skip


def _sweep_testimonials(c: Context, now: Any) -> Any:
    from fincrm.cases import testimonials
    from fincrm.db.uow import unit_of_work

    with unit_of_work(c.sessions) as session:
        return testimonials.sweep_expired(session, None, on=now.astimezone(c.settings.tz).date(), now=now)


@testimonials_app.command("sweep")
def testimonials_sweep(ctx: typer.Context) -> None:
    """Revoke the uses of every testimonial whose consent has expired (safe to rerun)."""
    from datetime import UTC, datetime

    c = _ctx(ctx)
    _require_current_schema(c)
    done = run_guarded(lambda: _sweep_testimonials(c, datetime.now(UTC)))
    r = done.revoked
    out.print(f"{done.testimonials} expired testimonials: {r.uses} uses revoked, {r.pieces} content pieces, "
              f"{r.messages_cancelled} messages cancelled", highlight=False)  # fmt: skip


@team_app.command("precall")
def team_precall(
    ctx: typer.Context,
    client_no: Annotated[str, typer.Argument(help="The client's number")],
    acting: ActingUser = "rm001",
) -> None:
    """The pre-call brief of a client (audited like the client 360; personal data masked)."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.team import precall
    from fincrm.team import precall_domain as pd

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return precall.precall_brief(session, me, c.settings, client_no, now=datetime.now(UTC))

    b = run_guarded(work)
    cl, i = b.client, b.intelligence
    out.print(f"{cl.profile.name} ({b.party_no}) · {b.on} · AUM {cl.holdings.total_amount:,.2f} {cl.holdings.currency}",
              highlight=False)  # fmt: skip
    for title, lines in (
        ("memory points", [m.text for m in cl.memory_points]),
        ("family and key persons", [f"{r.kind} {r.name} ({r.party_no})" for r in b.family + b.key_persons]),
        ("last interactions", [f"{x.occurred_at:%Y-%m-%d} {x.channel} {x.summary}" for x in cl.interactions.rows]),
        ("open signals", [f"{x.kind} {x.detected_on}" for x in i.signals]
         + (["risk drift"] if i.risk_drift else []) + [f"attrition: {r}" for r in i.attrition_reasons]),
        ("open tasks", [f"P{t.priority} {t.title_en} due {t.due_at:%Y-%m-%d %H:%M}Z" for t in b.open_tasks]),
        ("holdings by asset class", [f"{a.asset_class} {a.amount:,.2f} ({a.share:.1%})" for a in cl.holdings.allocation]),
        ("open partner offers", [f"{o.name_en} ({o.offer.status})" for o in b.offers]),
        (f"products allowed at {b.level or '-'}", [f"{p.code} {p.risk_rating} {p.name}" for p in b.products]
         + ([b.products_note[1]] if b.products_note else [])),
    ):  # fmt: skip
        out.print(f"[bold]{title}[/]")
        for line in lines or ["-"]:
            out.print(f"  {line}", highlight=False, soft_wrap=True)
    out.print("[bold]SPIN questions[/]")
    for sgg in b.suggestions:
        why = "; ".join(pd.describe(r)[1] for r in sgg.reasons)
        out.print(f"  {sgg.topic.title_en} (why: {why})", highlight=False, soft_wrap=True)
        for q in sgg.questions:
            out.print(f"    {q.stage:<12} {q.text_zh} / {q.text_en}", highlight=False, soft_wrap=True)


@spin_app.command("list")
def spin_list(ctx: typer.Context) -> None:
    """Every topic with its triggers and questions (retired ones marked)."""
    from fincrm.db.uow import unit_of_work
    from fincrm.team import precall

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            return precall.read_library(session)

    lib = run_guarded(work)
    if not lib.stored:
        out.print("(not loaded yet: the shipped library is shown; `fincrm team spin import FILE` stores one)")
    for t in lib.topics:
        triggers = ", ".join(f"{x.kind}={x.value}" for x in t.triggers)
        out.print(
            f"{t.key} · {t.title_zh} / {t.title_en} · triggers: {triggers}", highlight=False, soft_wrap=True
        )
        for q in lib.questions:
            if q.topic == t.key:
                out.print(
                    f"  {q.key:<28} {q.stage:<12} {q.status:<8} {q.text_zh}", highlight=False, soft_wrap=True
                )
    out.print(f"{len(lib.topics)} topics, {sum(q.status == 'active' for q in lib.questions)} active questions",
              highlight=False)  # fmt: skip


@spin_app.command("import")
def spin_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A SPIN library YAML file")]
) -> None:
    """Store a library file (validated first; errors name the file, line and field). Topics and
    questions are matched by key: added or updated; others are left as they are."""
    from datetime import UTC, datetime

    from fincrm.db.uow import unit_of_work
    from fincrm.team import precall

    c = _ctx(ctx)
    _require_current_schema(c)

    def work() -> Any:
        library = precall.load_library_file(file)
        with unit_of_work(c.sessions) as session:
            return precall.import_library(session, None, library, now=datetime.now(UTC), source=file.name)

    done = run_guarded(work)
    out.print(f"{file.name}: {done.topics_added} topics added, {done.topics_updated} updated, "
              f"{done.questions_added} questions added, {done.questions_updated} updated", highlight=False)  # fmt: skip


@team_app.command("dashboard")
def team_dashboard_command(
    ctx: typer.Context,
    acting: Annotated[str, typer.Option("--as", help="Username of the RM or team lead reading it (audited)")],
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="The last N days")] = 30,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the Excel workbook to this file")
    ] = None,
) -> None:
    """Each RM's figures over the last N days and the team's total (a lead: the team; an RM: their own)."""
    from datetime import UTC, datetime

    from fincrm.core.i18n import Formatter, translations
    from fincrm.db.uow import unit_of_work
    from fincrm.team import dashboard

    c = _ctx(ctx)
    _require_current_schema(c)
    now = datetime.now(UTC)
    start, end = dashboard.period_of(now, days)

    def work() -> Any:
        with unit_of_work(c.sessions) as session:
            me = _acting_user(c, session, acting)
            return dashboard.team_dashboard(session, me, c.settings, start=start, end=end, now=now)

    dash = run_guarded(work)
    fmt = Formatter("en", c.settings.tz)
    out.print(f"team dashboard: {dash.total.name}, last {days} days", highlight=False)
    for r in [*dash.rows, dash.total]:
        out.print(
            f"{(r.username or 'TOTAL'):<10} clients {r.clients:>7,}  AUM {r.aum:>18,.2f}  net flow {r.net_flow:>16,.2f}  "
            f"SLA {fmt.pct(r.sla_rate):>6}  covered {fmt.pct(r.coverage_rate):>6}  complaints {r.complaints:>4} "
            f"({r.complaints_open} open)  saves {r.saved}/{r.at_risk}  drills {r.drills} avg {fmt.number(r.drill_average, 1)}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    if xlsx is not None:
        gettext = translations(c.settings.locale).gettext
        xlsx.write_bytes(dashboard.workbook(dash, gettext=gettext, tz=c.settings.tz))
        out.print(f"wrote {xlsx}", highlight=False)
