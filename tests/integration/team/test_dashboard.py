"""The team dashboard on the demo institution after the nightly batch and the day's rules: each
RM's assets by tier, flows, coverage, SLA adherence and attrition saves match a straightforward
reading of the store and the lake; a lead sees the team, an RM their own row, others nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.engagement import service as engagement
from fincrm.engagement import tasks
from fincrm.engagement.models import OPEN, Task
from fincrm.errors import InputError, PermissionDenied
from fincrm.intelligence import batch
from fincrm.team import dashboard
from tests.integration.demo.conftest import AS_OF, Demo, demo  # noqa: F401 - the module fixture

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(demo: Demo):  # noqa: F811 - the re-imported fixture
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    sessions = sessionmaker(bind=demo.session.connection(), join_transaction_mode="create_savepoint")
    batch.run(sessions, settings, FixedClock(NOW - timedelta(hours=1)), as_of=AS_OF, engine="duckdb")
    engagement.run_daily(demo.session, settings, on=AS_OF, now=NOW - timedelta(days=2))
    users = {u.username: principal_of(u) for u in demo.session.scalars(select(User))}
    return demo.session, settings, users


def read(world, who: str, days: int = 30) -> dashboard.Dashboard:
    s, settings, users = world
    return dashboard.team_dashboard(
        s, users[who], settings, start=NOW - timedelta(days=days), end=NOW, now=NOW
    )


class TestTeamDashboard:
    def test_assets_by_tier_are_the_current_profiles_of_each_rms_clients(self, world) -> None:
        s = world[0]
        dash = read(world, "lead01")
        assert len(dash.rows) >= 2 and dash.team
        version = s.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
        frame = pd.DataFrame(s.execute(
            select(User.username, ClientProfile.tier, ClientProfile.aum_amount)
            .join(Party, Party.primary_rm_id == User.id).join(ClientProfile, ClientProfile.party_id == Party.id)
            .where(ClientProfile.version_id == version, Party.status != "closed")
        ).all(), columns=["rm", "tier", "aum"])  # fmt: skip
        expected = frame.assign(aum=frame["aum"].astype(float)).groupby(["rm", "tier"])["aum"].sum()
        for row in dash.rows:
            for tier, amount in row.aum_by_tier.items():
                assert amount == pytest.approx(expected[(row.username, tier)], abs=0.01)
        assert dash.total.aum == pytest.approx(sum(r.aum for r in dash.rows), abs=0.01)
        assert dash.total.aum > 0

    def test_flows_are_the_lakes_deposits_and_withdrawals_of_the_book(self, world, demo: Demo) -> None:  # noqa: F811
        s = world[0]
        dash = read(world, "lead01", days=90)
        book = pd.DataFrame(s.execute(
            select(Party.party_no, User.username).join(User, User.id == Party.primary_rm_id)
            .where(Party.status != "closed")
        ).all(), columns=["party_no", "rm"])  # fmt: skip
        start = (NOW - timedelta(days=90)).replace(tzinfo=None)
        txns = pd.DataFrame(demo.sql(
            "SELECT party_no, kind, CAST(amount AS DOUBLE), booked_at FROM transactions"
        ), columns=["party_no", "kind", "amount", "booked_at"])  # fmt: skip
        at = pd.to_datetime(txns["booked_at"], utc=True).dt.tz_localize(None)
        txns = txns[txns["kind"].isin(["deposit", "transfer_in", "withdrawal", "transfer_out"])
                    & (at >= start) & (at < NOW.replace(tzinfo=None))]  # fmt: skip
        joined = txns.merge(book, on="party_no")
        money_in = joined[joined["amount"] > 0].groupby("rm")["amount"].sum()
        money_out = joined[joined["amount"] < 0].groupby("rm")["amount"].sum()
        assert any(r.inflow > 0 for r in dash.rows) and any(r.outflow < 0 for r in dash.rows)
        for row in dash.rows:
            assert row.inflow == pytest.approx(money_in.get(row.username, 0.0), abs=0.01)
            assert row.outflow == pytest.approx(money_out.get(row.username, 0.0), abs=0.01)

    def test_sla_and_attrition_saves_follow_the_tasks(self, world) -> None:
        s, settings, users = world
        before = {r.username: r for r in read(world, "lead02").rows}  # rm002's team: a large book
        rm = max(before.values(), key=lambda r: r.at_risk)  # the team's RM with most clients at risk
        assert rm.at_risk >= 1 and rm.saved == rm.contacted == 0  # nothing done yet
        retention = s.scalars(
            select(Task).join(Party, Party.id == Task.party_id)
            .where(Task.rule_key == "attrition_retention_call", Task.status == OPEN,
                   Party.primary_rm_id == users[rm.username].user_id)
            .order_by(Task.id)
        ).first()  # fmt: skip
        on_time = retention.due_at - timedelta(minutes=1)
        assigned = next(p for p in users.values() if p.user_id == retention.assignee_id)
        tasks.complete_task(
            s, assigned, retention.id, outcome="reached, staying", channel="phone", now=on_time
        )
        after = {r.username: r for r in read(world, "lead02").rows}[rm.username]
        assert (after.at_risk, after.contacted, after.saved) == (rm.at_risk, 1, 1)  # no money out since
        assert after.tasks_on_time == rm.tasks_on_time + (retention.due_at < NOW)

    def test_a_complaint_filed_in_the_period_counts_for_the_rm(self, world) -> None:
        from fincrm.cases import complaints

        s, settings, users = world
        before = {r.username: r for r in read(world, "lead02").rows}["rm002"]
        client = s.scalar(select(Party.party_no).where(Party.primary_rm_id == users["rm002"].user_id)
                          .order_by(Party.party_no))  # fmt: skip
        complaints.file_complaint(s, users["rm002"], party_no=client, channel="phone", category="fees",
                                  severity="high", description="fee charged twice", now=NOW - timedelta(days=3))  # fmt: skip
        after = {r.username: r for r in read(world, "lead02").rows}["rm002"]
        assert (after.complaints, after.complaints_open) == (
            before.complaints + 1,
            before.complaints_open + 1,
        )
        assert after.complaints_per_1000 == pytest.approx(after.complaints * 1000 / after.clients)

    def test_the_drill_scores_are_the_training_records_of_the_period(self, world) -> None:
        from fincrm.team import drills

        s, settings, users = world
        drills.seed_demo(s, settings, now=NOW - timedelta(days=1))  # rm001's drill, answered and reviewed
        row = {r.username: r for r in read(world, "lead01").rows}["rm001"]
        (record,) = [r for r in drills.drill_scores(s, users["lead01"], start=(NOW - timedelta(days=30)).date(),
                                                     end=NOW.date()) if r.rm == "rm001"]  # fmt: skip
        assert row.drills == record.taken >= 1 and row.drill_average == pytest.approx(record.average)

    def test_an_rm_reads_their_own_row_and_other_roles_none(self, world) -> None:
        dash = read(world, "rm001")
        assert [r.username for r in dash.rows] == ["rm001"]
        for who in ("compliance01", "research01", "admin01"):
            with pytest.raises(PermissionDenied):
                read(world, who)

    def test_a_period_must_be_ordered_and_at_most_a_year(self, world) -> None:
        s, settings, users = world
        with pytest.raises(InputError) as refused:
            dashboard.team_dashboard(
                s, users["lead01"], settings, start=NOW, end=NOW - timedelta(days=1), now=NOW
            )
        assert refused.value.errors[0].loc == ("end",)
        with pytest.raises(InputError):
            dashboard.team_dashboard(
                s, users["lead01"], settings, start=NOW - timedelta(days=400), end=NOW, now=NOW
            )

    def test_the_workbook_holds_a_row_per_rm_and_the_total(self, world) -> None:
        from openpyxl import load_workbook

        s = world[0]
        audits = s.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
        dash = read(world, "lead01")
        assert s.scalar(select(AuditRecord.action).where(AuditRecord.id > audits)) == "team.dashboard"
        sheet = load_workbook(io.BytesIO(dashboard.workbook(dash, gettext=lambda m: m, tz=UTC))).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        header = rows[0]
        assert header[0] == "RM" and "SLA adherence" in header
        assert [r[0] for r in rows[1:]] == [r.name for r in dash.rows] + [dash.total.name]
        aum = header.index("AUM")
        assert rows[-1][aum] == pytest.approx(sum(r[aum] for r in rows[1:-1]), abs=0.05)
