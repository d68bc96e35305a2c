"""The RM's tasks on the demo institution: my day with context, complete (an interaction),
snooze, reassign within the team, SLA adherence; who may touch which task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Interaction, Party
from fincrm.engagement import tasks
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    party = s.scalars(
        select(Party).where(Party.primary_rm_id == rm.id).order_by(Party.party_no).limit(1)
    ).one()
    # an RM of another team who neither owns nor covers the client
    covering = set(s.scalars(select(Coverage.user_id).where(Coverage.party_id == party.id)))
    stranger = next(
        u
        for u in users.values()
        if u.team_id != rm.team_id
        and str(u.role) == "rm"
        and u.id not in covering
        and u.id != party.primary_rm_id
    )
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    return {"s": s, "rm": principal_of(rm), "stranger": principal_of(stranger), "party": party,
            "lead": principal_of(lead), "compliance": principal_of(users["compliance01"])}  # fmt: skip


def make(org, *, key: str, due_in: timedelta, priority: int = 2):
    return tasks.insert_task(
        org["s"], party=org["party"], assignee_id=org["rm"].user_id, rule_key="new_client_call",
        idempotency_key=key, title_zh="开户一小时内致电", title_en="Call within an hour of account opening",
        due_at=NOW + due_in, priority=priority, now=NOW, reason_zh="新开户", reason_en="account opened",
    )  # fmt: skip


class TestMyDay:
    def test_due_and_overdue_tasks_come_soonest_first_with_the_clients_context(self, org) -> None:
        late = make(org, key="t:late", due_in=timedelta(minutes=-30))
        soon = make(org, key="t:soon", due_in=timedelta(minutes=45))
        make(org, key="t:later", due_in=timedelta(days=3))
        day = [
            v for v in tasks.my_day(org["s"], org["rm"], now=NOW) if v.task.idempotency_key.startswith("t:")
        ]
        assert [v.task.id for v in day] == [late.id, soon.id]  # the one due in 3 days waits
        assert day[0].overdue and day[0].minutes_left == -30 and not day[1].overdue
        assert day[0].party_no == org["party"].party_no

    def test_the_same_key_adds_nothing_twice(self, org) -> None:
        assert make(org, key="t:once", due_in=timedelta(hours=1)) is not None
        assert make(org, key="t:once", due_in=timedelta(hours=1)) is None

    def test_a_team_lead_sees_the_teams_tasks_an_outsider_none(self, org) -> None:
        task = make(org, key="t:team", due_in=timedelta(hours=2))
        assert task.id in [v.task.id for v in tasks.my_day(org["s"], org["lead"], now=NOW)]
        assert task.id not in [v.task.id for v in tasks.my_day(org["s"], org["stranger"], now=NOW)]
        with pytest.raises(PermissionDenied):
            tasks.my_day(org["s"], org["compliance"], now=NOW)


class TestActions:
    def test_completing_records_an_interaction_and_counts_as_on_time(self, org) -> None:
        task = make(org, key="t:done", due_in=timedelta(hours=1))
        done = tasks.complete_task(org["s"], org["rm"], task.id, outcome="客户已接听，约周五面谈", channel="phone",
                                   now=NOW + timedelta(minutes=20))  # fmt: skip
        assert done.status == "done" and done.interaction_id is not None
        interaction = org["s"].get(Interaction, done.interaction_id)
        assert interaction.outcome == "客户已接听，约周五面谈" and str(interaction.channel) == "phone"
        rows = tasks.sla_adherence(org["s"], org["rm"], start=NOW, end=NOW + timedelta(days=1),
                                   now=NOW + timedelta(days=1))  # fmt: skip
        mine = next(r for r in rows if r.username == "rm001")
        assert mine.on_time >= 1 and mine.due >= mine.on_time + mine.late + mine.missed
        with pytest.raises(InputError, match="not open"):
            tasks.complete_task(org["s"], org["rm"], task.id, outcome="again", channel="phone", now=NOW)

    def test_bad_outcome_and_channel_are_named(self, org) -> None:
        task = make(org, key="t:bad", due_in=timedelta(hours=1))
        with pytest.raises(InputError) as exc:
            tasks.complete_task(org["s"], org["rm"], task.id, outcome=" ", channel="pigeon", now=NOW)
        assert {e.loc[0] for e in exc.value.errors} == {"outcome", "channel"}

    def test_snooze_hides_until_then_and_needs_a_reason(self, org) -> None:
        task = make(org, key="t:snooze", due_in=timedelta(minutes=10))
        with pytest.raises(InputError):
            tasks.snooze_task(
                org["s"], org["rm"], task.id, until=NOW + timedelta(hours=2), reason="", now=NOW
            )
        tasks.snooze_task(
            org["s"], org["rm"], task.id, until=NOW + timedelta(hours=2), reason="客户出差", now=NOW
        )
        assert task.id not in [v.task.id for v in tasks.my_day(org["s"], org["rm"], now=NOW)]
        later = [v.task.id for v in tasks.my_day(org["s"], org["rm"], now=NOW + timedelta(hours=3))]
        assert task.id in later

    def test_reassign_only_to_someone_who_may_read_the_client(self, org) -> None:
        task = make(org, key="t:move", due_in=timedelta(hours=1))
        with pytest.raises(InputError):
            tasks.reassign_task(org["s"], org["rm"], task.id, to_username="compliance01", now=NOW)
        with pytest.raises(InputError):  # an RM of another team may not read the client
            tasks.reassign_task(org["s"], org["rm"], task.id, to_username=org["stranger"].username, now=NOW)
        tasks.reassign_task(org["s"], org["rm"], task.id, to_username=org["lead"].username, now=NOW)
        assert task.assignee_id == org["lead"].user_id
        with pytest.raises(NotFound):  # no longer rm001's
            tasks.complete_task(org["s"], org["rm"], task.id, outcome="x", channel="phone", now=NOW)
        actions = set(org["s"].scalars(select(AuditRecord.action).where(AuditRecord.action.like("task.%"))))
        assert {"task.reassign"} <= actions

    def test_another_rms_task_is_not_found(self, org) -> None:
        task = make(org, key="t:private", due_in=timedelta(hours=1))
        with pytest.raises(NotFound):
            tasks.snooze_task(
                org["s"], org["stranger"], task.id, until=NOW + timedelta(hours=1), reason="x", now=NOW
            )
