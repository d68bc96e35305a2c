"""Key-person coverage and client events on the demo institution: last contacts (the person's own and
company meetings naming them), gap statuses, gap tasks once per week, events with invitations, RSVP
against capacity, attendance, suggestions, invitations from rule tasks, scope of each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.domain import Channel, Direction, PartyKind
from fincrm.clients.models import Coverage, Interaction, Party, PartyRelationship
from fincrm.config import Settings
from fincrm.engagement import gatherings
from fincrm.engagement import gatherings_domain as gd
from fincrm.engagement.gatherings_models import ClientEvent, EventInvitation
from fincrm.engagement.models import Task
from fincrm.engagement.tasks import insert_task
from fincrm.errors import Conflict, InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai
TZ = Settings().tz


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    # the corporate team's RMs hold the companies: take the RM of the first one
    first = s.scalars(
        select(Party).where(Party.kind == PartyKind.CORPORATE, Party.primary_rm_id.is_not(None)).order_by(Party.party_no)
    ).first()  # fmt: skip
    rm = s.get(User, first.primary_rm_id)
    companies = list(s.scalars(
        select(Party).where(Party.primary_rm_id == rm.id, Party.kind == PartyKind.CORPORATE).order_by(Party.party_no)
    ))  # fmt: skip
    assert len(companies) >= 2, "the demo gives the corporate RM companies"
    team = [u.id for u in users.values() if u.team_id == rm.team_id]
    covering = set(
        s.scalars(select(Coverage.user_id).where(Coverage.party_id.in_([c.id for c in companies])))
    )
    stranger = next(
        u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id and u.id not in covering
    )
    covered_by_team = select(Coverage.party_id).where(Coverage.user_id.in_(team))
    outsider = s.scalars(
        select(Party).where(Party.primary_rm_id.not_in(team), Party.id.not_in(covered_by_team)).order_by(Party.party_no)
    ).first()  # fmt: skip
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    individual = s.scalars(
        select(Party).where(Party.kind == PartyKind.INDIVIDUAL).order_by(Party.party_no)
    ).first()  # fmt: skip
    return {"s": s, "rm": principal_of(rm), "lead": principal_of(lead), "stranger": principal_of(stranger),
            "compliance": principal_of(users["compliance01"]), "admin": principal_of(users["admin01"]),
            "research": principal_of(users["research01"]), "companies": companies, "outsider": outsider,
            "individual": individual}  # fmt: skip


def key_people(s, company: Party, kinds: tuple[str, ...]) -> list[Party]:
    return list(s.scalars(
        select(Party).join(PartyRelationship, PartyRelationship.to_party_id == Party.id)
        .where(PartyRelationship.from_party_id == company.id, PartyRelationship.kind.in_(kinds))
    ))  # fmt: skip


def contact(s, party: Party, at: datetime, summary: str = "季度回访") -> None:
    s.add(Interaction(party_id=party.id, occurred_at=at, channel=Channel.VISIT, direction=Direction.OUTBOUND,
                      purpose="test", summary=summary, outcome=None))  # fmt: skip
    s.flush()


def company_with(s, companies: list[Party], layer: str) -> tuple[Party, Party]:
    for company in companies:
        people = key_people(s, company, gd.LAYER_KINDS[layer])
        if people:
            return company, people[0]
    raise AssertionError(f"the demo gives the RM no company with a {layer} key person")


class TestCoverage:
    def test_a_fresh_contact_covers_the_layer_and_an_old_one_is_a_gap(self, org) -> None:
        s = org["s"]
        company, cfo = company_with(s, org["companies"], gd.OPERATING)
        contact(s, cfo, NOW - timedelta(days=3))
        found = gatherings.client_coverage(s, org["rm"], company.party_no, now=NOW, tz=TZ)
        operating = found.layers[gd.OPERATING]
        assert operating.status == gd.COVERED and operating.days_since == 3
        assert cfo.party_no in [p.party_no for p in operating.people]
        later = gatherings.client_coverage(
            s, org["rm"], company.party_no, now=NOW + timedelta(days=40), tz=TZ
        )
        assert later.layers[gd.OPERATING].status == gd.GAP and later.layers[gd.OPERATING].days_since == 43

    def test_a_company_meeting_naming_the_chairman_counts_for_him(self, org) -> None:
        s = org["s"]
        company, chairman = company_with(s, org["companies"], gd.DECISION)
        before = gatherings.client_coverage(s, org["rm"], company.party_no, now=NOW, tz=TZ)
        mentioned = NOW - timedelta(days=1)
        contact(s, company, mentioned, summary=f"拜访公司，与{chairman.name}董事长交流融资需求")
        after = gatherings.client_coverage(s, org["rm"], company.party_no, now=NOW, tz=TZ)
        decision = after.layers[gd.DECISION]
        assert decision.last_contact_on == mentioned.astimezone(TZ).date() and decision.status == gd.COVERED
        person = next(p for p in decision.people if p.party_no == chairman.party_no)
        assert person.last_contact_on == mentioned.astimezone(TZ).date()
        assert (
            before.layers[gd.DECISION].last_contact_on != decision.last_contact_on or decision.days_since == 1
        )

    def test_a_missing_role_is_a_gap(self, org) -> None:
        s = org["s"]
        company = org["companies"][-1]
        s.execute(delete(PartyRelationship).where(
            PartyRelationship.from_party_id == company.id, PartyRelationship.kind.in_(gd.LAYER_KINDS[gd.OPERATING])))  # fmt: skip
        found = gatherings.client_coverage(s, org["rm"], company.party_no, now=NOW, tz=TZ)
        assert found.layers[gd.OPERATING].missing and found.layers[gd.OPERATING].status == gd.GAP
        assert not found.fully_covered and gd.OPERATING in found.gaps

    def test_each_role_sees_its_own_book(self, org) -> None:
        s = org["s"]
        mine = {r.party_no for r in gatherings.coverage(s, org["rm"], now=NOW, tz=TZ)}
        assert {c.party_no for c in org["companies"]} == mine
        team = {r.party_no for r in gatherings.coverage(s, org["lead"], now=NOW, tz=TZ)}
        assert mine <= team
        assert not mine & {r.party_no for r in gatherings.coverage(s, org["stranger"], now=NOW, tz=TZ)}
        assert gatherings.coverage(s, org["research"], now=NOW, tz=TZ) == []
        with pytest.raises(PermissionDenied):
            gatherings.coverage(s, org["admin"], now=NOW, tz=TZ)
        with pytest.raises(NotFound):
            gatherings.client_coverage(s, org["stranger"], org["companies"][0].party_no, now=NOW, tz=TZ)
        assert (
            gatherings.client_coverage(s, org["compliance"], org["individual"].party_no, now=NOW, tz=TZ)
            is None
        )

    def test_the_summary_counts_companies_with_both_layers_covered(self, org) -> None:
        s = org["s"]
        rows = gatherings.coverage(s, org["lead"], now=NOW, tz=TZ)
        summary = gatherings.coverage_summary(s, rows)
        assert summary.total.companies == len(rows)
        assert summary.total.covered == sum(r.fully_covered for r in rows)
        assert sum(x.companies for x in summary.by_rm) == len(rows)
        rm001 = next(x for x in summary.by_rm if x.key == org["rm"].username)
        assert rm001.companies == len(org["companies"])


class TestGapTasks:
    def test_gap_tasks_go_to_the_companys_rm_once_per_week(self, org) -> None:
        s = org["s"]
        first = gatherings.make_gap_tasks(s, org["rm"], now=NOW, tz=TZ)
        assert first.gaps >= 1 and first.made + first.already == first.gaps - first.unassigned
        week = gd.iso_week(NOW.astimezone(TZ).date())
        made = list(s.scalars(select(Task).where(Task.rule_key == gd.GAP_RULE_KEY,
                                                 Task.idempotency_key.like(f"%:{week}"))))  # fmt: skip
        assert made and all(t.assignee_id == org["rm"].user_id for t in made)
        assert first.companies == len(org["companies"]) and len(made) == first.made
        again = gatherings.make_gap_tasks(s, org["rm"], now=NOW + timedelta(hours=5), tz=TZ)
        assert again.made == 0 and again.already == first.made + first.already
        nightly = gatherings.make_gap_tasks(s, None, now=NOW + timedelta(hours=6), tz=TZ)  # the daily run
        assert nightly.companies > len(org["companies"]) and nightly.made >= 0
        assert gatherings.make_gap_tasks(s, None, now=NOW + timedelta(hours=7), tz=TZ).made == 0
        next_week = gatherings.make_gap_tasks(s, org["rm"], now=NOW + timedelta(days=7), tz=TZ)
        assert next_week.made >= 1  # a new ISO week asks again
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "coverage.gap_tasks")) >= 4  # fmt: skip

    def test_only_rms_and_team_leads_make_gap_tasks(self, org) -> None:
        with pytest.raises(PermissionDenied):
            gatherings.make_gap_tasks(org["s"], org["compliance"], now=NOW, tz=TZ)


def new_event(org, *, kind: str = "tax_salon", capacity: int = 10, starts_in: timedelta = timedelta(days=10),
              status: str = gd.OPEN, who: str = "lead") -> ClientEvent:  # fmt: skip
    return gatherings.create_event(
        org["s"], org[who], kind=kind, title_zh="年度税务沙龙", title_en="Annual tax salon", starts_at=NOW + starts_in,
        venue="分行多功能厅", capacity=capacity, audience="企业财务总监", status=status, now=NOW,
    )  # fmt: skip


class TestEvents:
    def test_bad_fields_are_named_at_once(self, org) -> None:
        with pytest.raises(InputError) as exc:
            gatherings.create_event(org["s"], org["rm"], kind="Tax Salon!", title_zh="", title_en="x",
                                    starts_at=NOW - timedelta(days=1), venue="v", capacity=0, now=NOW)  # fmt: skip
        assert {e.loc[0] for e in exc.value.errors} == {"kind", "title_zh", "starts_at", "capacity"}
        with pytest.raises(PermissionDenied):
            new_event(org, who="compliance")

    def test_invitation_rsvp_within_capacity_and_attendance_after_the_start(self, org) -> None:
        s = org["s"]
        event = new_event(org, capacity=1, starts_in=timedelta(hours=2))
        one, two = (
            gatherings.invite(s, org["rm"], event.id, party_no=c.party_no, now=NOW)
            for c in org["companies"][:2]
        )
        with pytest.raises(Conflict):
            gatherings.invite(s, org["rm"], event.id, party_no=org["companies"][0].party_no, now=NOW)
        gatherings.set_rsvp(s, org["rm"], event.id, one.id, rsvp=gd.ACCEPTED, now=NOW)
        with pytest.raises(Conflict, match="full"):
            gatherings.set_rsvp(s, org["rm"], event.id, two.id, rsvp=gd.ACCEPTED, now=NOW)
        with pytest.raises(InputError):  # not started yet
            gatherings.record_attendance(s, org["rm"], event.id, one.id, attended=True, now=NOW)
        later = NOW + timedelta(hours=3)
        with pytest.raises(InputError):  # only guests who accepted
            gatherings.record_attendance(s, org["rm"], event.id, two.id, attended=True, now=later)
        gatherings.set_rsvp(s, org["rm"], event.id, two.id, rsvp=gd.DECLINED, now=NOW)
        gatherings.record_attendance(s, org["rm"], event.id, one.id, attended=True, now=later)
        view = gatherings.read_event(s, org["rm"], event.id).view
        assert (view.mine.invited, view.mine.accepted, view.mine.declined, view.mine.attended) == (2, 1, 1, 1)
        assert view.mine.rate == 1.0 and view.seats_left == 0
        gatherings.set_event_status(s, org["lead"], event.id, status=gd.CLOSED, now=later)
        with pytest.raises(InputError):
            gatherings.invite(s, org["rm"], event.id, party_no=org["companies"][1].party_no, now=later)
        with pytest.raises(InputError):
            gatherings.set_event_status(s, org["lead"], event.id, status=gd.OPEN, now=later)

    def test_each_role_sees_the_invitations_of_its_scope(self, org) -> None:
        s = org["s"]
        event = new_event(org)
        mine = gatherings.invite(
            s, org["rm"], event.id, party_no=org["companies"][0].party_no, channel="wechat", now=NOW
        )
        with pytest.raises(NotFound):
            gatherings.invite(s, org["rm"], event.id, party_no=org["outsider"].party_no, now=NOW)
        with pytest.raises(PermissionDenied):
            gatherings.invite(s, org["compliance"], event.id, party_no=org["companies"][0].party_no, now=NOW)
        seen = {r: [v.invitation.id for v in gatherings.read_event(s, org[r], event.id).invitations]
                for r in ("rm", "lead", "stranger", "compliance", "research")}  # fmt: skip
        assert seen["rm"] == seen["lead"] == seen["compliance"] == [mine.id]
        assert seen["stranger"] == [] and seen["research"] == []
        with pytest.raises(NotFound):
            gatherings.set_rsvp(s, org["stranger"], event.id, mine.id, rsvp=gd.ACCEPTED, now=NOW)
        with pytest.raises(PermissionDenied):
            gatherings.list_events(s, org["admin"], now=NOW)
        actions = set(s.scalars(select(AuditRecord.action).where(AuditRecord.action.like("event.%"))))
        assert {"event.create", "event.invite"} <= actions

    def test_a_key_person_is_invited_for_the_company_and_suggested_until_invited(self, org) -> None:
        s = org["s"]
        company, cfo = company_with(s, org["companies"], gd.OPERATING)
        event = new_event(org)
        audience, found = gatherings.suggestions(s, org["rm"], event.id)
        assert audience == "operators" and (cfo.party_no, company.party_no) in [
            (x.party_no, x.company_no) for x in found
        ]
        assert all(x.role in gd.LAYER_KINDS[gd.OPERATING] for x in found)
        made = gatherings.invite(
            s, org["rm"], event.id, party_no=cfo.party_no, company_no=company.party_no, now=NOW
        )
        assert made.company_id == company.id
        _, after = gatherings.suggestions(s, org["rm"], event.id)
        assert cfo.party_no not in [x.party_no for x in after]
        assert [v.invitation.id for v in gatherings.read_event(s, org["rm"], event.id).invitations] == [
            made.id
        ]
        with pytest.raises(InputError):  # a client who is not a key person of the company
            gatherings.invite(s, org["rm"], event.id, party_no=org["individual"].party_no,
                              company_no=company.party_no, now=NOW)  # fmt: skip
        with pytest.raises(InputError):
            gatherings.suggestions(s, org["rm"], event.id, audience="everyone")


class TestInviteFromTasks:
    def test_invitation_tasks_fill_the_next_open_event_once(self, org) -> None:
        s = org["s"]
        company, cfo = company_with(s, org["companies"], gd.OPERATING)
        task = insert_task(
            s, party=cfo, assignee_id=org["rm"].user_id, rule_key="cfo_tax_salon", idempotency_key="gather:t1",
            title_zh="邀请客户参加：tax_salon", title_en="Invite the client to: tax_salon", due_at=NOW + timedelta(days=5),
            priority=3, now=NOW, evidence={"company_party_no": company.party_no, "role": "cfo", "action": "invitation",
                                           "event": "capital_forum_test"},
        )  # fmt: skip
        first = gatherings.invite_from_tasks(s, now=NOW)
        assert first.no_event >= 1
        later = new_event(org, kind="capital_forum_test", starts_in=timedelta(days=30))
        sooner = new_event(org, kind="capital_forum_test", starts_in=timedelta(days=20))
        new_event(
            org, kind="capital_forum_test", starts_in=timedelta(days=5), status=gd.PLANNED
        )  # not inviting yet
        done = gatherings.invite_from_tasks(s, now=NOW)
        assert done.invited >= 1
        made = s.scalars(select(EventInvitation).where(EventInvitation.task_id == task.id)).one()
        assert (
            made.event_id == sooner.id
            and made.company_id == company.id
            and made.invited_by_id == task.assignee_id
        )
        assert not s.scalar(select(EventInvitation.id).where(EventInvitation.event_id == later.id))
        again = gatherings.invite_from_tasks(s, now=NOW)
        assert again.invited == 0 and again.already >= 1


class TestDemo:
    def test_seed_demo_is_rerun_safe(self, org) -> None:
        s = org["s"]
        made = gatherings.seed_demo(s, Settings(), now=NOW)
        assert made == len(gatherings.DEMO_EVENTS)
        assert gatherings.seed_demo(s, Settings(), now=NOW + timedelta(days=1)) == 0
        past = s.scalars(select(ClientEvent).where(ClientEvent.ref == "demo-strategy-meeting")).one()
        assert past.status == gd.CLOSED
        salon = s.scalars(select(ClientEvent).where(ClientEvent.ref == "demo-tax-salon")).one()
        assert s.scalar(
            select(func.count()).select_from(EventInvitation).where(EventInvitation.event_id == salon.id)
        )
