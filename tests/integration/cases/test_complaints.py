"""Complaints on the demo institution: intake with numbering, assignment and the marketing hold; the
steps of the timeline; an open complaint suppresses marketing through the guard rails until it is
resolved; scope of each role; SLA escalation to the team lead once per breach; complaint rates; the
demo seeding and its rerun."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.cases import complaints
from fincrm.cases import complaints_domain as cd
from fincrm.cases.complaints_models import Complaint, ComplaintStep
from fincrm.clients.domain import PartyStatus
from fincrm.clients.models import ConsentEvent, Coverage, Party
from fincrm.clients.repository import readable_parties
from fincrm.config import Settings
from fincrm.engagement import holds, service
from fincrm.engagement.evaluate import Hit
from fincrm.engagement.models import PENDING, SUPPRESSED, OutboxMessage, Task
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    book = list(s.scalars(
        select(Party).where(readable_parties(principal_of(rm)), Party.status == PartyStatus.ACTIVE).order_by(Party.party_no)
    ))  # fmt: skip
    team = [u.id for u in users.values() if u.team_id == rm.team_id]
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    stranger = next(u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id)
    outsider = s.scalars(
        select(Party).where(Party.primary_rm_id.not_in(team),
                            Party.id.not_in(select(Coverage.party_id).where(Coverage.user_id.in_(team))))
        .order_by(Party.party_no)
    ).first()  # fmt: skip
    return {"s": s, "rm": principal_of(rm), "lead": principal_of(lead), "stranger": principal_of(stranger),
            "compliance": principal_of(users["compliance01"]), "research": principal_of(users["research01"]),
            "admin": principal_of(users["admin01"]), "book": book, "outsider": outsider,
            "settings": Settings(_env_file=None, lake_path=demo.lake_path)}  # fmt: skip


def file(
    org, party: Party, *, severity: str = "medium", at: datetime = NOW, category: str = "fees"
) -> Complaint:  # noqa: ANN001
    return complaints.file_complaint(org["s"], org["rm"], party_no=party.party_no, channel="phone", category=category,
                                     severity=severity, description="客户对理财产品手续费有异议", received_at=at,
                                     now=max(at, NOW))  # fmt: skip


def hold_in_force(s, party: Party) -> bool:  # noqa: ANN001
    return party.id in holds.open_holds(s, [party.id])


class TestIntake:
    def test_a_complaint_is_numbered_assigned_to_the_rm_timed_and_holds_marketing(self, org) -> None:
        s, party = org["s"], org["book"][0]
        c = file(org, party, severity="high")
        assert cd.NUMBER_PATTERN.match(c.complaint_no) and c.complaint_no == f"TS-{NOW.year}-{c.id:06d}"
        assert (c.status, c.assignee_id, c.received_at) == ("open", org["rm"].user_id, NOW)
        steps = list(s.scalars(select(ComplaintStep.kind).where(ComplaintStep.complaint_id == c.id)))
        assert steps == ["intake", "assigned"]
        assert hold_in_force(s, party)
        assert (
            s.scalar(select(AuditRecord.action).where(AuditRecord.detail.like(f"{c.complaint_no}%")))
            == "complaint.file"
        )
        view = complaints.view_of(s, c, now=NOW + timedelta(hours=5))
        assert view.sla.response_breached and view.sla.response_minutes_left == -60  # high: 4 h to respond

    def test_every_problem_is_reported_and_nothing_is_written(self, org) -> None:
        s = org["s"]
        before = s.scalar(select(func.count()).select_from(Complaint))
        with pytest.raises(InputError) as err:
            complaints.file_complaint(s, org["rm"], party_no=org["book"][1].party_no, channel="fax", category="x",
                                      severity="urgent", description="", now=NOW)  # fmt: skip
        assert {e.loc[0] for e in err.value.errors} == {"channel", "category", "severity", "description"}
        assert s.scalar(select(func.count()).select_from(Complaint)) == before

    def test_a_client_outside_the_book_is_not_found_and_research_and_admin_are_refused(self, org) -> None:
        with pytest.raises(NotFound):
            file(org, org["outsider"])
        for who in ("research", "admin"):
            with pytest.raises(PermissionDenied):
                complaints.file_complaint(org["s"], org[who], party_no=org["book"][0].party_no, channel="app",
                                          category="fees", severity="low", description="x", now=NOW)  # fmt: skip

    def test_compliance_files_for_any_client(self, org) -> None:
        c = complaints.file_complaint(org["s"], org["compliance"], party_no=org["outsider"].party_no,
                                      channel="regulator_referral", category="mis_selling", severity="critical",
                                      description="监管转办：客户反映产品销售误导", now=NOW)  # fmt: skip
        assert c.assignee_id == org["outsider"].primary_rm_id


class TestLifecycle:
    def test_respond_resolve_feedback_close_and_reopen(self, org) -> None:
        s, party = org["s"], org["book"][2]
        c = file(org, party, severity="low")
        no = c.complaint_no
        with pytest.raises(InputError):
            complaints.close(s, org["rm"], no, now=NOW)  # resolve first
        complaints.respond(s, org["rm"], no, text="已致电客户致歉", now=NOW + timedelta(hours=1))
        assert (c.status, c.first_response_at) == ("responded", NOW + timedelta(hours=1))
        with pytest.raises(InputError) as err:
            complaints.resolve(s, org["rm"], no, summary="", compensation_amount="-5", compensation_currency="cny",
                               now=NOW)  # fmt: skip
        assert {e.loc[0] for e in err.value.errors} == {
            "summary",
            "compensation_amount",
            "compensation_currency",
        }
        assert hold_in_force(s, party)
        complaints.resolve(s, org["rm"], no, summary="退还手续费", remedy="退费", compensation_amount="300.5",
                           compensation_currency="CNY", now=NOW + timedelta(hours=30))  # fmt: skip
        assert (c.status, c.compensation_amount, c.compensation_currency) == (
            "resolved",
            Decimal("300.50"),
            "CNY",
        )
        assert not hold_in_force(s, party)
        complaints.record_feedback(
            s, org["rm"], no, satisfaction="partly", score=3, comment="还行", now=NOW + timedelta(days=2)
        )
        complaints.close(s, org["rm"], no, now=NOW + timedelta(days=3))
        assert c.status == "closed"
        complaints.reopen(s, org["rm"], no, reason="客户再次来电不满", now=NOW + timedelta(days=4))
        assert c.status == "responded" and c.resolved_at is None and hold_in_force(s, party)
        detail = complaints.read_complaint(s, org["rm"], no, now=NOW + timedelta(days=4))
        assert [x.step.kind for x in detail.steps] == [
            "intake", "assigned", "response", "resolved", "feedback", "closed", "reopened"]  # fmt: skip
        assert detail.hold_in_force and detail.view.sla.resolution_minutes_left is not None

    def test_assignment_only_to_someone_who_may_handle_the_client(self, org) -> None:
        s = org["s"]
        c = file(org, org["book"][3])
        complaints.assign(s, org["lead"], c.complaint_no, username="compliance01", now=NOW)
        assert c.assignee_id == org["compliance"].user_id
        with pytest.raises(InputError):
            complaints.assign(s, org["rm"], c.complaint_no, username=org["stranger"].username, now=NOW)
        with pytest.raises(InputError):
            complaints.assign(s, org["rm"], c.complaint_no, username="research01", now=NOW)


class TestScope:
    def test_each_role_sees_its_own_scope(self, org) -> None:
        s = org["s"]
        mine = file(org, org["book"][4])
        theirs = complaints.file_complaint(s, org["compliance"], party_no=org["outsider"].party_no, channel="email",
                                           category="other", severity="low", description="其他", now=NOW)  # fmt: skip
        rm_list = {v.complaint.complaint_no for v in complaints.list_complaints(s, org["rm"], now=NOW)}
        lead_list = {v.complaint.complaint_no for v in complaints.list_complaints(s, org["lead"], now=NOW)}
        all_list = {
            v.complaint.complaint_no for v in complaints.list_complaints(s, org["compliance"], now=NOW)
        }
        assert mine.complaint_no in rm_list and theirs.complaint_no not in rm_list
        assert mine.complaint_no in lead_list and theirs.complaint_no not in lead_list
        assert {mine.complaint_no, theirs.complaint_no} <= all_list
        stranger = next(principal_of(u) for u in s.scalars(select(User).where(User.role == "rm").order_by(User.username))
                        if s.scalar(select(Party.id).where(Party.id == mine.party_id,
                                                           readable_parties(principal_of(u)))) is None)  # fmt: skip
        with pytest.raises(NotFound):
            complaints.read_complaint(s, stranger, mine.complaint_no, now=NOW)
        with pytest.raises(PermissionDenied):
            complaints.list_complaints(s, org["research"], now=NOW)
        with pytest.raises(NotFound):
            complaints.client_complaints(s, org["rm"], org["outsider"].party_no, now=NOW)


class TestMarketingHold:
    def test_marketing_to_the_complainant_is_suppressed_while_open_and_goes_after_resolution(
        self, org
    ) -> None:
        s, settings = org["s"], org["settings"]
        party = next(p for p in org["book"][5:] if p.phone and str(p.kind) == "individual")
        s.add(ConsentEvent(party_id=party.id, purpose="marketing", channel="all", action="grant",
                           effective_at=NOW - timedelta(days=30)))  # fmt: skip
        base = {r.key: r for r in service.rules_in_force(s, settings)}["birthday_greeting"]
        marketing = replace(base, key="complaint_test_marketing", marketing=True)

        def send(n: str):  # noqa: ANN202
            hit = Hit(
                marketing.key,
                party.party_no,
                AS_OF,
                "测试",
                "test",
                {},
                f"{marketing.key}:{party.party_no}:{n}",
            )
            service.apply_hits(s, settings, [marketing], [hit], now=NOW)
            return s.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"%{hit.idempotency_key}%"))).one()  # fmt: skip

        c = file(org, party)
        first = send("open")
        assert (first.status, first.reason_code) == (SUPPRESSED, "open_complaint")
        complaints.resolve(s, org["rm"], c.complaint_no, summary="已解决", now=NOW + timedelta(hours=2))
        after = send("resolved")
        assert after.status == PENDING


class TestEscalation:
    def test_a_breach_makes_one_task_for_the_team_lead_per_kind_and_reruns_add_nothing(self, org) -> None:
        s = org["s"]
        late = file(org, org["book"][8], severity="critical", at=NOW - timedelta(hours=30))
        fresh = file(org, org["book"][9], severity="low", at=NOW)
        first = complaints.escalate_breaches(s, now=NOW)
        tasks = list(
            s.scalars(
                select(Task).where(Task.idempotency_key.like(f"complaint_breach:{late.complaint_no}:%"))
            )
        )
        assert sorted(t.idempotency_key.rsplit(":", 1)[1] for t in tasks) == ["resolution", "response"]
        assert {t.assignee_id for t in tasks} == {org["lead"].user_id}
        assert first.made >= 2
        assert s.scalar(select(func.count()).select_from(Task).where(
            Task.idempotency_key.like(f"complaint_breach:{fresh.complaint_no}:%"))) == 0  # fmt: skip
        again = complaints.escalate_breaches(s, now=NOW)
        assert again.made == 0 and again.already >= 2
        kinds = list(s.scalars(select(ComplaintStep.kind).where(ComplaintStep.complaint_id == late.id)))
        assert kinds.count("escalated") == 2


class TestRates:
    def test_rates_count_the_book_per_rm_and_team(self, org) -> None:
        s = org["s"]
        start, end = NOW - timedelta(days=365), NOW + timedelta(days=1)
        book = readable_parties(org["rm"])
        rows = s.scalars(
            select(Complaint).join(Party, Party.id == Complaint.party_id)
            .where(book, Complaint.received_at >= start, Complaint.received_at < end)
        ).all()  # fmt: skip
        assert rows, "earlier tests filed complaints in rm001's book"
        clients = s.scalar(
            select(func.count()).select_from(Party).where(book, Party.status == PartyStatus.ACTIVE)
        )
        mine = complaints.complaint_rates(s, org["rm"], start=start, end=end, now=NOW)
        [row] = mine.by_rm
        assert (row.key, row.received, row.clients) == ("rm001", len(rows), clients)
        assert row.per_1000 == pytest.approx(len(rows) * 1000 / clients)
        assert row.open == sum(c.status in cd.IN_FORCE for c in rows)
        assert row.by_category == {k: sum(c.category == k for c in rows) for k in {c.category for c in rows}}
        assert mine.by_team == []
        team = complaints.complaint_rates(s, org["lead"], start=start, end=end, now=NOW)
        assert "rm001" in {r.key for r in team.by_rm} and len(team.by_team) == 1
        assert team.total.received == sum(r.received for r in team.by_rm) == team.by_team[0].received
        with pytest.raises(InputError):
            complaints.complaint_rates(s, org["rm"], start=end, end=start, now=NOW)
        with pytest.raises(PermissionDenied):
            complaints.complaint_rates(s, org["admin"], start=start, end=end, now=NOW)


class TestDemo:
    def test_seed_demo_makes_three_complaints_once(self, org) -> None:
        s = org["s"]
        assert complaints.seed_demo(s, org["settings"], now=NOW) == 3
        assert complaints.seed_demo(s, org["settings"], now=NOW) == 0
        demo_rows = {
            c.ref: c for c in s.scalars(select(Complaint).where(Complaint.ref.like("demo-complaint-%")))
        }
        views = {r: complaints.view_of(s, c, now=NOW) for r, c in demo_rows.items()}
        assert not views["demo-complaint-open"].sla.breached
        assert views["demo-complaint-breached"].sla.response_breached
        resolved = demo_rows["demo-complaint-resolved"]
        assert (resolved.status, resolved.feedback_satisfaction, resolved.feedback_score) == (
            "resolved",
            "satisfied",
            5,
        )
        in_book = {p.id for p in org["book"]}
        assert all(c.party_id in in_book for c in demo_rows.values())
