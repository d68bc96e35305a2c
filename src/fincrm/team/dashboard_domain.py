"""Team dashboards: one row of figures per relationship manager and the team's total, and the
charts drawn from them. Pure: the service (``team.dashboard``) gathers the inputs.

Conventions
-----------
- Amounts are in the reporting currency (CNY by default), as floats rounded only when shown.
- A period is ``[start, end)`` in UTC; flows and tasks are counted when they fall inside it.
- Assets by tier are the current profile's ``aum_amount`` of each client whose primary RM the RM
  is, summed per tier (``hnw``, ``mass``, ``long_tail``); the batch assigns the tiers.
- Net flow = new money in (deposits, transfers in) plus money taken out (withdrawals, transfers
  out; negative amounts) over the period, for the clients whose primary RM the RM is: the kinds of
  the engagement engine's large-flow rule (``engagement.facts.INFLOW_KINDS``/``OUTFLOW_KINDS``);
  product trades, interest and card spending are not flows of assets under management.
- Key-person coverage: the share of the RM's corporate clients with both the decision maker and
  the operator covered (``engagement.gatherings``).
- Touchpoint SLA adherence: tasks due in the period done by their due time, over tasks due
  (``engagement.tasks.sla_adherence``; cancelled tasks are not counted).
- Complaints: received in the period from clients of the RM's book (owned or covered, as
  ``cases.complaints.complaint_rates`` counts them), still open, past either SLA target; per 1,000
  clients: received x 1,000 / the RM's clients.
- Attrition saves: clients with a retention task (a rule with an attrition trigger) created in the
  period that was done, and whose net flow (as above) from the task's completion to the end of the
  period is not negative: contacted and not draining. ``at_risk`` counts every client with such a
  task, ``contacted`` those whose task was done.
- Drill scores: drills assigned or answered in the period that the RM answered, and their average
  score (0-100; ``team.drills.drill_scores``).
- A rate with nothing to count is None (shown as "-"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from fincrm.reports.charts import BarChart

TIERS = ("hnw", "mass", "long_tail")  # as fincrm.clients.domain.TIERS
TOTAL = ""  # the key of the team's total row


@dataclass(frozen=True)
class RmFigures:
    """One RM's figures for the period (``username`` TOTAL: the team's total)."""

    username: str
    name: str
    clients: int = 0
    aum_by_tier: Mapping[str, float] = field(default_factory=dict)  # tier -> amount
    inflow: float = 0.0  # external money in over the period (>= 0)
    outflow: float = 0.0  # external money out over the period (<= 0)
    companies: int = 0  # corporate clients with key persons on record
    companies_covered: int = 0  # both layers covered
    tasks_due: int = 0
    tasks_on_time: int = 0
    complaints: int = 0  # received in the period
    complaints_open: int = 0  # open now
    complaints_breached: int = 0  # past an SLA now or when resolved
    at_risk: int = 0  # clients with a retention task made in the period
    contacted: int = 0  # ... whose task was done
    saved: int = 0  # ... and with no net external outflow since
    drills: int = 0  # drills scored in the period
    drill_score_sum: float = 0.0

    @property
    def aum(self) -> float:
        return float(sum(self.aum_by_tier.values()))

    @property
    def net_flow(self) -> float:
        return self.inflow + self.outflow

    @property
    def coverage_rate(self) -> float | None:
        return self.companies_covered / self.companies if self.companies else None

    @property
    def sla_rate(self) -> float | None:
        return self.tasks_on_time / self.tasks_due if self.tasks_due else None

    @property
    def complaints_per_1000(self) -> float | None:
        return self.complaints * 1000 / self.clients if self.clients else None

    @property
    def save_rate(self) -> float | None:
        return self.saved / self.at_risk if self.at_risk else None

    @property
    def drill_average(self) -> float | None:
        return self.drill_score_sum / self.drills if self.drills else None


_SUMMED = (
    "clients", "inflow", "outflow", "companies", "companies_covered", "tasks_due", "tasks_on_time", "complaints",
    "complaints_open", "complaints_breached", "at_risk", "contacted", "saved", "drills", "drill_score_sum",
)  # fmt: skip


def total(rows: Iterable[RmFigures], *, name: str) -> RmFigures:
    """The team's row: every count and amount summed, rates recomputed from the sums.

    >>> a = RmFigures("rm1", "A", clients=10, tasks_due=4, tasks_on_time=3, aum_by_tier={"hnw": 5.0})
    >>> b = RmFigures("rm2", "B", clients=30, tasks_due=0, aum_by_tier={"hnw": 1.0, "mass": 2.0})
    >>> t = total([a, b], name="Team")
    >>> (t.clients, t.sla_rate, dict(t.aum_by_tier), t.aum)
    (40, 0.75, {'hnw': 6.0, 'mass': 2.0, 'long_tail': 0.0}, 8.0)
    """
    rows = list(rows)
    sums = {f: sum(getattr(r, f) for r in rows) for f in _SUMMED}
    tiers = {t: float(sum(r.aum_by_tier.get(t, 0.0) for r in rows)) for t in TIERS}
    return RmFigures(TOTAL, name, aum_by_tier=tiers, **sums)


def attrition_saves(tasks: Iterable[tuple[str, str, bool, float | None]]) -> dict[str, tuple[int, int, int]]:
    """Per RM, (at risk, contacted, saved) from one tuple per client with a retention task:
    (RM username, client number, task done, net external flow since the task was done or None).

    A client counts once per RM (their latest task decides). Saved: done and a flow >= 0 (no flow
    at all counts as 0: nothing left).

    >>> attrition_saves([("rm1", "C1", True, 10.0), ("rm1", "C2", True, -5.0), ("rm1", "C3", False, None)])
    {'rm1': (3, 2, 1)}
    """
    latest: dict[tuple[str, str], tuple[bool, float | None]] = {}
    for rm, party_no, done, flow in tasks:
        latest[(rm, party_no)] = (done, flow)
    out: dict[str, list[int]] = {}
    for (rm, _), (done, flow) in latest.items():
        c = out.setdefault(rm, [0, 0, 0])
        c[0] += 1
        if done:
            c[1] += 1
            if (flow or 0.0) >= 0:
                c[2] += 1
    return {rm: (a, b, c) for rm, (a, b, c) in sorted(out.items())}


def with_values(row: RmFigures, **values: object) -> RmFigures:
    """``row`` with some figures replaced (the service fills a row source by source)."""
    return replace(row, **values)


@dataclass(frozen=True)
class ChartTitles:
    """The charts' titles and legends in the page's language (the caller translates)."""

    aum: str
    flows: str
    sla: str
    complaints: str
    tiers: Mapping[str, str]  # tier -> label
    inflow: str
    outflow: str
    net: str
    sla_legend: str
    coverage_legend: str
    complaints_legend: str


def charts(rows: list[RmFigures], t: ChartTitles) -> list[BarChart]:
    """Up to four bar charts over the RMs (not the total): assets by tier, flows, SLA adherence and
    key-person coverage (fractions), complaints per 1,000 clients. A rate with nothing to count is
    drawn as 0 and shown as "-" in the table; a chart whose every bar is 0 is left out (it would
    only draw an empty axis)."""
    names = tuple(r.name for r in rows)
    if not rows:
        return []
    height = max(220, 60 + 28 * len(rows))
    drawn = [
        BarChart(
            t.aum,
            names,
            tuple((t.tiers[tier], tuple(r.aum_by_tier.get(tier, 0.0) for r in rows)) for tier in TIERS),
            y_format="amount",
            horizontal=True,
            height=height,
        ),  # fmt: skip
        BarChart(
            t.flows,
            names,
            (
                (t.inflow, tuple(r.inflow for r in rows)),
                (t.outflow, tuple(r.outflow for r in rows)),
                (t.net, tuple(r.net_flow for r in rows)),
            ),
            y_format="amount",
            horizontal=True,
            height=height,
        ),  # fmt: skip
        BarChart(
            t.sla,
            names,
            (
                (t.sla_legend, tuple(r.sla_rate or 0.0 for r in rows)),
                (t.coverage_legend, tuple(r.coverage_rate or 0.0 for r in rows)),
            ),
            y_format="pct",
            horizontal=True,
            height=height,
        ),  # fmt: skip
        BarChart(
            t.complaints,
            names,
            ((t.complaints_legend, tuple(r.complaints_per_1000 or 0.0 for r in rows)),),
            y_format="number",
            horizontal=True,
            height=height,
        ),  # fmt: skip
    ]
    return [c for c in drawn if any(v != 0 for _label, values in c.groups for v in values)]
