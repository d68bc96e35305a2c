"""Extreme-market drill use cases: the scenario library, assigning a drill (team leads), the RM's answer
scored by the automatic checks, the lead's review, and training records per RM.

A drill's client is either the demo client (a fixed portfolio of shelf products, ``DEMO_PORTFOLIO``)
or an anonymised client: a real client of the lead's team whose current holdings (market values and
look-through exposures) are kept while the name, client number, contacts and every other personal
field are left out; the RM sees an alias. The scenario moves the holdings (``drills_domain``); the
figures are stored with the drill so the checks and the review read the same numbers.

Use cases take the session first and change state in the caller's transaction, audited there; none
commits. Team leads assign and review the drills of their team's RMs; an RM answers their own drills;
nobody else reads drills (they are training records of staff, not client data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session, aliased

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied
from fincrm.portfolio import service as portfolio
from fincrm.team import drills_domain as dd
from fincrm.team.drills_models import Drill

SCENARIOS_PATH = Path(__file__).with_name("drill_scenarios.yaml")
DEMO_PORTFOLIO = (
    ("EF001", 400_000.0),
    ("BF001", 300_000.0),
    ("WMP001", 200_000.0),
    ("MMF001", 100_000.0),
)  # CNY
DEMO_PROFILE = ("mass", "C3")  # tier and risk level of the demo client
ALIAS = ("陈先生（化名）", "Mr Chen (alias)")
MAX_ID = 2**63 - 1
_RM = aliased(User, name="drill_rm")
_LOADED: dict[tuple[str, float], dict[str, dd.DrillScenario]] = {}


def scenarios(settings: Settings) -> dict[str, dd.DrillScenario]:
    """The drill library (``drill_scenarios.yaml``), validated once per change of the file; its
    ``portfolio_scenario`` entries take their shocks from the portfolio lab's library."""
    try:
        stamp = (str(SCENARIOS_PATH), SCENARIOS_PATH.stat().st_mtime)
        text = SCENARIOS_PATH.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{SCENARIOS_PATH}: cannot read the drill scenarios ({exc.strerror})") from None
    if stamp not in _LOADED:
        shocks = {k: s.shocks for k, s in portfolio.scenario_library(settings).items()}
        _LOADED.clear()
        _LOADED[stamp] = dd.load_scenarios(text, SCENARIOS_PATH.name, portfolio_shocks=shocks)
    return _LOADED[stamp]


def _visible(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.RM:
        return Drill.rm_id == principal.user_id
    if principal.role is Role.TEAM_LEAD:
        if principal.team_id is None:
            return Drill.assigned_by_id == principal.user_id
        return Drill.rm_id.in_(select(User.id).where(User.team_id == principal.team_id))
    raise PermissionDenied("drills are for relationship managers and their team leads")


def _drill(session: Session, principal: Principal, drill_id: int) -> Drill:
    where = _visible(principal)
    found = (
        session.scalars(select(Drill).where(Drill.id == drill_id, where)).one_or_none()
        if 1 <= drill_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(f"no drill {drill_id} of your team")
    return found


def _positions(session: Session, values: dict[str, float], lang: str) -> list[dd.Position]:
    shelf = portfolio.shelf_facts(session)
    out = []
    for code, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        p = shelf.get(code)
        if value <= 0:
            continue
        name = (p.name if lang == "zh-CN" else p.name_en or p.name) if p is not None else code
        exposures = dict(p.exposures) if p is not None and p.exposures else {"cash": 1.0}
        out.append(dd.Position(code, name, round(float(value), 2), exposures))
    return out


def _profile(session: Session, party_id: int) -> tuple[str | None, str | None]:
    version = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    if version is None:
        return None, None
    row = session.execute(select(ClientProfile.tier, ClientProfile.effective_risk)
                          .where(ClientProfile.version_id == version, ClientProfile.party_id == party_id)).first()  # fmt: skip
    return (row[0], row[1]) if row else (None, None)


def assign_drill(
    session: Session, principal: Principal, settings: Settings, *, scenario_key: str, rm: str,
    client_kind: str = dd.DEMO, party_no: str | None = None, due_on: date | None = None, lang: str | None = None,
    now: datetime, ref: str | None = None,
) -> Drill:  # fmt: skip
    """A team lead gives an RM of the team a drill: a scenario of the library on the demo client or an
    anonymised client of the team's book (``party_no``), the scenario's figures computed now.

    Raises
    ------
    PermissionDenied
        Not a team lead.
    NotFound
        The RM is not an active RM of the lead's team, or the client is not in the team's book.
    InputError
        Unknown scenario or client kind, a client without holdings, a due date in the past.
    """
    if principal.role is not Role.TEAM_LEAD:
        raise PermissionDenied("only team leads assign drills")
    lang = lang or settings.locale
    library = scenarios(settings)
    problems = []
    if scenario_key not in library:
        problems.append(FieldError(("scenario_key",), f"one of {', '.join(library)}", scenario_key))
    if client_kind not in dd.CLIENT_KINDS:
        problems.append(FieldError(("client_kind",), f"one of {', '.join(dd.CLIENT_KINDS)}", client_kind))
    elif client_kind == dd.ANONYMISED and not party_no:
        problems.append(
            FieldError(("client_no",), "an anonymised drill needs a client of your team", party_no)
        )
    if due_on is not None and due_on < now.date():
        problems.append(FieldError(("due_on",), "must not be in the past", due_on.isoformat()))
    if lang not in ("zh-CN", "en"):
        problems.append(FieldError(("lang",), "zh-CN or en", lang))
    if problems:
        raise InputError("the drill cannot be assigned as given", errors=problems)
    team = (
        select(User.id).where(User.team_id == principal.team_id)
        if principal.team_id is not None
        else select(User.id).where(false())
    )
    assignee = session.scalars(
        select(User).where(User.username == rm, User.role == Role.RM, User.is_active.is_(True), User.id.in_(team))
    ).one_or_none()  # fmt: skip
    if assignee is None:
        raise NotFound(f"no active relationship manager {rm!r} in your team")
    scenario = library[scenario_key]
    source: Party | None = None
    if client_kind == dd.ANONYMISED:
        source = session.scalars(
            select(Party).where(Party.party_no == party_no, readable_parties(principal))
        ).one_or_none()
        if source is None:
            raise NotFound(f"no client with client number {party_no!r} in your team's book")
        values = portfolio.client_holdings(session, source)
        tier, level = _profile(session, source.id)
    else:
        values = dict(DEMO_PORTFOLIO)
        tier, level = DEMO_PROFILE
    positions = _positions(session, values, lang)
    if not positions:
        raise InputError(f"client {party_no} holds nothing to stress; choose another client",
                         errors=[FieldError(("client_no",), "no holdings", party_no)])  # fmt: skip
    figures = dd.scenario_figures(scenario, positions)
    client = {"kind": client_kind, "alias": ALIAS[0] if lang == "zh-CN" else ALIAS[1], "tier": tier,
              "risk_level": level, "lang": lang}  # fmt: skip
    drill = Drill(
        ref=ref, scenario_key=scenario.key, scenario_name=f"{scenario.name_zh} | {scenario.name_en}"[:200],
        client_kind=client_kind, source_party_id=source.id if source else None, client=json.dumps(client, ensure_ascii=False),
        figures=json.dumps(figures, ensure_ascii=False), rm_id=assignee.id, assigned_by_id=principal.user_id,
        assigned_at=now, due_on=due_on, status=dd.ASSIGNED, call_notes="", message="", checks="[]",
        review_comment="",
    )  # fmt: skip
    session.add(drill)
    session.flush()
    audit.append(session, principal, "drill.assign", at=now, party_id=source.id if source else None,
                 detail=f"drill {drill.id} {scenario.key} ({client_kind}) to {assignee.username}")  # fmt: skip
    return drill


def submit_drill(
    session: Session, principal: Principal, drill_id: int, *, call_notes: str, message: str, now: datetime
) -> Drill:
    """The RM's call notes and message, scored at once by the automatic checks; may be answered again
    until the lead has reviewed it."""
    if principal.role is not Role.RM:
        raise PermissionDenied("drills are answered by the relationship manager they were given to")
    drill = _drill(session, principal, drill_id)
    problems = []
    if drill.status == dd.REVIEWED:
        problems.append(FieldError(("status",), "already reviewed", drill.status))
    if not message.strip() or len(message) > dd.ANSWER_MAX:
        problems.append(FieldError(("message",), f"1 to {dd.ANSWER_MAX} characters", message[:80]))
    if len(call_notes) > dd.ANSWER_MAX:
        problems.append(FieldError(("call_notes",), f"at most {dd.ANSWER_MAX} characters", call_notes[:80]))
    if problems:
        raise InputError("the answer cannot be taken as given", errors=problems)
    checks = dd.check_answer(call_notes, message, json.loads(drill.figures), on=now.date())
    drill.call_notes, drill.message, drill.submitted_at = call_notes.strip(), message.strip(), now
    drill.checks = json.dumps([c.as_json() for c in checks], ensure_ascii=False)
    drill.auto_score, drill.status = dd.total(checks), dd.SUBMITTED
    audit.append(
        session, principal, "drill.submit", at=now, detail=f"drill {drill.id}: {drill.auto_score} points"
    )
    return drill


def review_drill(
    session: Session, principal: Principal, drill_id: int, *, adjustment: int, comment: str, now: datetime
) -> Drill:
    """The team lead's review of an answered drill: points added or taken (within ``MAX_ADJUSTMENT``) and
    a comment; the final score is kept within 0..100."""
    if principal.role is not Role.TEAM_LEAD:
        raise PermissionDenied("only team leads review drills")
    drill = _drill(session, principal, drill_id)
    problems = []
    if drill.status == dd.ASSIGNED or drill.auto_score is None:
        problems.append(FieldError(("status",), "the RM has not answered yet", drill.status))
    if not -dd.MAX_ADJUSTMENT <= adjustment <= dd.MAX_ADJUSTMENT:
        problems.append(
            FieldError(("adjustment",), f"-{dd.MAX_ADJUSTMENT} to {dd.MAX_ADJUSTMENT} points", adjustment)
        )
    if not comment.strip() or len(comment) > 2000:
        problems.append(FieldError(("comment",), "1 to 2000 characters", comment[:80]))
    if problems:
        raise InputError("the review cannot be taken as given", errors=problems)
    drill.review_adjustment, drill.review_comment = adjustment, comment.strip()
    drill.final_score = dd.final_score(drill.auto_score or 0, adjustment)
    drill.reviewed_by_id, drill.reviewed_at, drill.status = principal.user_id, now, dd.REVIEWED
    audit.append(session, principal, "drill.review", at=now,
                 detail=f"drill {drill.id}: {adjustment:+d} -> {drill.final_score} points")  # fmt: skip
    return drill


@dataclass(frozen=True)
class DrillView:
    drill: Drill
    rm: str
    assigned_by: str

    @property
    def client(self) -> dict[str, Any]:
        return json.loads(self.drill.client)

    @property
    def figures(self) -> dict[str, Any]:
        return json.loads(self.drill.figures)

    @property
    def checks(self) -> list[dict[str, Any]]:
        return json.loads(self.drill.checks or "[]")


_LEAD = aliased(User, name="drill_lead")


def _views(session: Session, where: Any) -> list[DrillView]:
    rows = session.execute(
        select(Drill, _RM.username, _LEAD.username).join(_RM, _RM.id == Drill.rm_id)
        .join(_LEAD, _LEAD.id == Drill.assigned_by_id).where(where)
        .order_by(Drill.assigned_at.desc(), Drill.id.desc())
    ).all()  # fmt: skip
    return [DrillView(*r) for r in rows]


def list_drills(session: Session, principal: Principal, *, status: str = "") -> list[DrillView]:
    """An RM's own drills, or a lead's team's, newest first."""
    where = _visible(principal)
    if status:
        if status not in dd.STATUSES:
            raise InputError(
                "unknown status", errors=[FieldError(("status",), f"one of {', '.join(dd.STATUSES)}", status)]
            )
        where = where & (Drill.status == status)
    return _views(session, where)


def get_drill(session: Session, principal: Principal, drill_id: int) -> DrillView:
    return _views(session, Drill.id == _drill(session, principal, drill_id).id)[0]


def drill_scores(
    session: Session, principal: Principal, *, start: date, end: date
) -> list[dd.TrainingRecord]:
    """Training records per RM (the lead's team, or the RM alone) over drills assigned or answered on
    ``start`` .. ``end`` (UTC dates, inclusive): drills given, answered, reviewed, the average score and
    the last answer. Every RM of a lead's team has a row, with zeros when they had no drill.

    Raises
    ------
    PermissionDenied
        For roles other than RM and team lead.
    InputError
        ``end`` before ``start``.
    """
    where = _visible(principal)
    if end < start:
        raise InputError(
            "the period must run forward", errors=[FieldError(("end",), "before start", end.isoformat())]
        )
    lo = datetime.combine(start, time.min, UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, UTC)
    rows = session.execute(
        select(_RM.username, Drill.status, Drill.auto_score, Drill.final_score, Drill.submitted_at)
        .join(_RM, _RM.id == Drill.rm_id)
        .where(where, ((Drill.assigned_at >= lo) & (Drill.assigned_at < hi))
               | ((Drill.submitted_at >= lo) & (Drill.submitted_at < hi)))
    ).all()  # fmt: skip
    records = {
        r.rm: r
        for r in dd.training_records((u, s, a, f, at.date() if at else None) for u, s, a, f, at in rows)
    }
    if principal.role is Role.TEAM_LEAD and principal.team_id is not None:
        team = session.scalars(select(User.username).where(User.team_id == principal.team_id, User.role == Role.RM)
                               .order_by(User.username)).all()  # fmt: skip
    else:
        team = [principal.username] if principal.role is Role.RM else sorted(records)
    return [
        records.get(u) or dd.TrainingRecord(u, 0, 0, 0, None, None) for u in sorted(set(team) | set(records))
    ]


# ----- demo ---------------------------------------------------------------------------------------

DEMO_REF = "demo-drill-rm001"
DEMO_ANSWER = (
    "客户情绪激动，先倾听并安抚；说明账户回撤与市场整体下跌的关系；约定明天下午3点面谈复盘配置。",
    "陈先生，您好。看到账户一个月下跌{fall}，我非常理解您的担心。同期沪深300下跌{bench}，您的组合跌幅主要来自权益类基金。"
    "我的建议是先不要在低点全部赎回，明天下午3点我们面谈，一起把权益比例调回约定的目标，并安排分批定投。投资有风险，我们一起稳住节奏。",
)


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """rm001's drill on the demo client (the library's first scenario): assigned by rm001's team lead,
    answered and reviewed. Safe to rerun (the drill has a ``ref``). Returns the number made."""
    if session.scalar(select(Drill.id).where(Drill.ref == DEMO_REF)) is not None:
        return 0
    rm = session.scalars(select(User).where(User.username == "rm001")).one_or_none()
    if rm is None or rm.team_id is None:
        return 0
    lead = session.scalars(select(User).where(User.team_id == rm.team_id, User.role == Role.TEAM_LEAD,
                                              User.is_active.is_(True)).order_by(User.username)).first()  # fmt: skip
    if lead is None:
        return 0
    key = next(iter(scenarios(settings)))
    drill = assign_drill(session, principal_of(lead), settings, scenario_key=key, rm="rm001", now=now - timedelta(days=3),
                         lang="zh-CN", ref=DEMO_REF)  # fmt: skip
    figures = json.loads(drill.figures)
    bench = figures.get("benchmark_fall_pct")
    message = DEMO_ANSWER[1].format(
        fall=f"{figures['fall_pct']:g}%", bench=f"{bench:g}%" if bench is not None else "—"
    )
    submit_drill(
        session,
        principal_of(rm),
        drill.id,
        call_notes=DEMO_ANSWER[0],
        message=message,
        now=now - timedelta(days=2),
    )
    review_drill(session, principal_of(lead), drill.id, adjustment=5, comment="共情到位，数据准确；下次把再平衡的金额说具体。",
                 now=now - timedelta(days=1))  # fmt: skip
    return 1
