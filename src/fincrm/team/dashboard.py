"""Team dashboards (use cases): the figures of each RM of a lead's team over a period, the team's
total, and the same as an Excel workbook. Read-only; reading it is audited (it summarises client
data). Conventions in :mod:`fincrm.team.dashboard_domain`.

Scope: a team lead sees every RM of their team (and their own book); an RM sees their own row.
Other roles read no team figures (compliance reads the underlying pages: complaints, held messages).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import Team, User
from fincrm.cases import complaints
from fincrm.clients.domain import PartyStatus
from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.config import Settings
from fincrm.engagement import gatherings, tasks
from fincrm.engagement.facts import INFLOW_KINDS, OUTFLOW_KINDS
from fincrm.engagement.models import DONE, Task
from fincrm.engagement.service import rules_in_force
from fincrm.errors import FieldError, InputError, PermissionDenied
from fincrm.lake.analytics import connect
from fincrm.team import dashboard_domain as dom
from fincrm.team import drills

READERS = (Role.RM, Role.TEAM_LEAD)
MAX_PERIOD_DAYS = 366  # a dashboard period is at most a year
CHUNK = 5_000  # ids per IN list


@dataclass(frozen=True)
class Dashboard:
    team: str  # the team's name ('' for an RM without a team)
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    rows: list[dom.RmFigures]  # one per RM, by name
    total: dom.RmFigures


def _members(session: Session, me: Principal) -> tuple[str, list[tuple[int, str, str]]]:
    """(team name, [(user id, username, display name)]) of the people whose figures ``me`` reads."""
    if me.role not in READERS:
        raise PermissionDenied("team dashboards are for relationship managers and team leads")
    team = session.get(Team, me.team_id) if me.team_id is not None else None
    if me.role is Role.RM or team is None:
        return (team.name if team else "", [(me.user_id, me.username, me.display_name)])
    users = session.execute(
        select(User.id, User.username, User.display_name)
        .where(User.team_id == team.id, User.role.in_((Role.RM, Role.TEAM_LEAD)))
        .order_by(User.display_name, User.username)
    ).all()
    return team.name, [tuple(u) for u in users]


def _check_period(start: datetime, end: datetime) -> None:
    problems = []
    if start.tzinfo is None or end.tzinfo is None:
        problems.append(FieldError(("start",), "needs a timezone offset", start.isoformat()))
    elif end <= start:
        problems.append(FieldError(("end",), "after the start", end.isoformat()))
    elif (end - start).days > MAX_PERIOD_DAYS:
        problems.append(
            FieldError(("end",), f"at most {MAX_PERIOD_DAYS} days after the start", end.isoformat())
        )
    if problems:
        raise InputError("the period cannot be read", errors=problems)


def _book(session: Session, user_ids: Sequence[int]) -> dict[str, int]:
    """party_no -> primary RM id of the clients (not closed) whose primary RM is one of ``user_ids``."""
    return dict(
        session.execute(
            select(Party.party_no, Party.primary_rm_id).where(
                Party.primary_rm_id.in_(user_ids), Party.status != PartyStatus.CLOSED
            )
        ).all()
    )


def _assets(session: Session, user_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """RM id -> tier -> sum of the current profile's assets of their clients."""
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    out: dict[int, dict[str, float]] = {}
    if version is None:
        return out
    for rm_id, tier, amount in session.execute(
        select(Party.primary_rm_id, ClientProfile.tier, func.sum(ClientProfile.aum_amount))
        .join(ClientProfile, ClientProfile.party_id == Party.id)
        .where(ClientProfile.version_id == version, Party.primary_rm_id.in_(user_ids),
               Party.status != PartyStatus.CLOSED)
        .group_by(Party.primary_rm_id, ClientProfile.tier)
    ):  # fmt: skip
        out.setdefault(rm_id, {})[tier] = float(amount or 0)
    return out


def _flows(settings: Settings, since: dict[str, datetime], end: datetime) -> dict[str, tuple[float, float]]:
    """party_no -> (money in, money out) from each client's own ``since`` (UTC) to ``end``, from the
    lake's transactions (DuckDB; the clients' table is joined in the engine)."""
    if not since:
        return {}
    kinds = ", ".join(f"'{k}'" for k in (*INFLOW_KINDS, *OUTFLOW_KINDS))
    clients = pa.table(
        {"party_no": list(since), "since": pa.array(list(since.values()), pa.timestamp("us", tz="UTC"))}
    )
    con = connect(settings)
    try:
        con.register("clients", clients)
        rows = con.execute(
            f"""
            SELECT t.party_no,
                   CAST(COALESCE(SUM(t.amount) FILTER (WHERE t.amount > 0), 0) AS DOUBLE),
                   CAST(COALESCE(SUM(t.amount) FILTER (WHERE t.amount < 0), 0) AS DOUBLE)
            FROM transactions t JOIN clients c ON c.party_no = t.party_no
            WHERE t.kind IN ({kinds}) AND t.booked_at >= c.since AND t.booked_at < ?
            GROUP BY t.party_no
            """,
            [end],
        ).fetchall()
    finally:
        con.close()
    return {party_no: (money_in, money_out) for party_no, money_in, money_out in rows}


def _retention(session: Session, settings: Settings, user_ids: Sequence[int], start: datetime, end: datetime,
               usernames: dict[int, str]) -> dict[str, tuple[int, int, int]]:  # fmt: skip
    """Attrition saves per RM username (see the domain's conventions)."""
    keys = [r.key for r in rules_in_force(session, settings) if r.trigger.kind == "attrition_risk"]
    if not keys:
        return {}
    made = session.execute(
        select(Party.primary_rm_id, Party.party_no, Task.status, Task.completed_at)
        .join(Party, Party.id == Task.party_id)
        .where(Task.rule_key.in_(keys), Task.created_at >= start, Task.created_at < end,
               Party.primary_rm_id.in_(user_ids))
        .order_by(Task.created_at, Task.id)
    ).all()  # fmt: skip
    done_since = {no: at for _, no, status, at in made if status == DONE and at is not None}
    flows = _flows(settings, done_since, end)
    return dom.attrition_saves(
        (usernames[rm_id], no, status == DONE, sum(flows.get(no, (0.0, 0.0))) if status == DONE else None)
        for rm_id, no, status, _ in made
    )


def team_dashboard(
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Dashboard:
    """The figures of each RM the caller may read, over ``[start, end)`` (UTC), and the total.

    Raises
    ------
    PermissionDenied
        For a role other than RM and team lead.
    InputError
        For a period without timezone, empty, or longer than ``MAX_PERIOD_DAYS``.
    """
    _check_period(start, end)
    team, members = _members(session, principal)
    ids = [m[0] for m in members]
    usernames = {m[0]: m[1] for m in members}
    book = _book(session, ids)
    clients: dict[int, int] = {}
    for rm_id in book.values():
        clients[rm_id] = clients.get(rm_id, 0) + 1
    assets = _assets(session, ids)
    flows = _flows(settings, dict.fromkeys(book, start), end)
    money: dict[int, list[float]] = {}
    for party_no, (money_in, money_out) in flows.items():
        m = money.setdefault(book[party_no], [0.0, 0.0])
        m[0] += money_in
        m[1] += money_out
    covered: dict[str, list[int]] = {}
    for company in gatherings.coverage(session, principal, now=now, tz=settings.tz):
        if company.rm_id in usernames:
            c = covered.setdefault(company.rm, [0, 0])
            c[0] += 1
            c[1] += company.fully_covered
    sla = {a.username: a for a in tasks.sla_adherence(session, principal, start=start, end=end, now=now)}
    saves = _retention(session, settings, ids, start, end, usernames)
    rows = []
    for user_id, username, name in members:
        a = sla.get(username)
        at_risk, contacted, saved = saves.get(username, (0, 0, 0))
        rows.append(dom.RmFigures(
            username, name, clients=clients.get(user_id, 0), aum_by_tier=assets.get(user_id, {}),
            inflow=money.get(user_id, [0.0, 0.0])[0], outflow=money.get(user_id, [0.0, 0.0])[1],
            companies=covered.get(username, [0, 0])[0], companies_covered=covered.get(username, [0, 0])[1],
            tasks_due=a.due if a else 0, tasks_on_time=a.on_time if a else 0,
            at_risk=at_risk, contacted=contacted, saved=saved,
        ))  # fmt: skip
    rows = _with_cases_and_drills(session, principal, rows, start=start, end=end, now=now)
    audit.append(session, principal, "team.dashboard", at=now,
                 detail=f"{team or principal.username}: {start.isoformat()} .. {end.isoformat()}, {len(rows)} RMs")  # fmt: skip
    return Dashboard(team, start, end, rows, dom.total(rows, name=team or principal.display_name))


def _with_cases_and_drills(
    session: Session, principal: Principal, rows: list[dom.RmFigures], *, start: datetime, end: datetime,
    now: datetime,
) -> list[dom.RmFigures]:  # fmt: skip
    """Complaints and drill scores per RM, from the cases and drills capabilities."""
    rates = {
        r.key: r for r in complaints.complaint_rates(session, principal, start=start, end=end, now=now).by_rm
    }
    last_day = (end - timedelta(microseconds=1)).astimezone(UTC).date()  # drill periods are inclusive dates
    trained = {
        r.rm: r
        for r in drills.drill_scores(session, principal, start=start.astimezone(UTC).date(), end=last_day)
    }
    out = []
    for row in rows:
        rate = rates.get(row.username)
        if rate is not None:
            row = dom.with_values(row, complaints=rate.received, complaints_open=rate.open,
                                  complaints_breached=rate.breached)  # fmt: skip
        record = trained.get(row.username)
        if record is not None and record.taken:
            row = dom.with_values(
                row, drills=record.taken, drill_score_sum=(record.average or 0.0) * record.taken
            )
        out.append(row)
    return out


# ----- Excel --------------------------------------------------------------------------------------


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marked for the catalog, translated by the caller
    return message


def _tier_aum(tier: str, r: dom.RmFigures) -> float:
    return round(r.aum_by_tier.get(tier, 0.0), 2)


TIER_COLUMNS = {
    "hnw": N_("AUM, high net worth"),
    "mass": N_("AUM, mass affluent"),
    "long_tail": N_("AUM, long tail"),
}
COLUMNS = (  # (header key, value of a row); headers are translated by the caller
    (N_("RM"), lambda r: r.name),
    (N_("Clients"), lambda r: r.clients),
    *((label, partial(_tier_aum, t)) for t, label in TIER_COLUMNS.items()),
    (N_("AUM"), lambda r: round(r.aum, 2)),
    (N_("Money in"), lambda r: round(r.inflow, 2)),
    (N_("Money out"), lambda r: round(r.outflow, 2)),
    (N_("Net flow"), lambda r: round(r.net_flow, 2)),
    (N_("Companies"), lambda r: r.companies),
    (N_("Key persons covered"), lambda r: r.coverage_rate),
    (N_("Tasks due"), lambda r: r.tasks_due),
    (N_("SLA adherence"), lambda r: r.sla_rate),
    (N_("Complaints"), lambda r: r.complaints),
    (N_("Complaints open"), lambda r: r.complaints_open),
    (N_("Complaints past SLA"), lambda r: r.complaints_breached),
    (N_("Complaints per 1,000 clients"), lambda r: r.complaints_per_1000),
    (N_("At risk of attrition"), lambda r: r.at_risk),
    (N_("Contacted"), lambda r: r.contacted),
    (N_("Saved"), lambda r: r.saved),
    (N_("Drills"), lambda r: r.drills),
    (N_("Average drill score"), lambda r: r.drill_average),
)
PERCENT_COLUMNS = (N_("Key persons covered"), N_("SLA adherence"))


def workbook(dash: Dashboard, *, gettext: Callable[[str], str], tz: tzinfo) -> bytes:
    """The dashboard as an .xlsx file: one sheet with a row per RM and the total, headers in the
    caller's language (``gettext``), amounts as numbers, rates as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _ = gettext
    book = Workbook()
    sheet = book.active
    sheet.title = _("Team dashboard")[:31]
    start, end = dash.start.astimezone(tz), dash.end.astimezone(tz)
    sheet.append([f"{dash.total.name}  {start:%Y-%m-%d} .. {end:%Y-%m-%d}"])
    sheet.append([_(h) for h, _value in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in [*dash.rows, dash.total]:
        sheet.append([value(row) for _h, value in COLUMNS])
    for index, (header, _value) in enumerate(COLUMNS, start=1):
        if header in PERCENT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    last = sheet.max_row
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def period_of(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last ``days`` days up to ``now`` (UTC)."""
    end = now.astimezone(UTC)
    return end - timedelta(days=days), end
