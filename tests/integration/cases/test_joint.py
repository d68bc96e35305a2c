"""Cross-department cases on the demo institution: an RM opens a case and adds research and
compliance, who see the client only through the case (audited) and still not through the client's
own reads; comments, attachments with their limits, the joint proposal and sign-off by function;
escalation to the team lead once on breach; the board by column; the demo seeding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.cases import joint
from fincrm.cases import joint_domain as jd
from fincrm.cases.joint_models import JointAttachment, JointCase
from fincrm.clients.domain import PartyStatus
from fincrm.clients.models import Party
from fincrm.clients.repository import readable_parties
from fincrm.clients.service import readable_party
from fincrm.config import Settings
from fincrm.core.pii import mask_name
from fincrm.engagement.models import Task
from fincrm.errors import Conflict, InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = principal_of(users["rm001"])
    book = list(s.scalars(
        select(Party).where(readable_parties(rm), Party.status == PartyStatus.ACTIVE).order_by(Party.party_no)
    ))  # fmt: skip
    lead = next(
        u for u in users.values() if u.team_id == users["rm001"].team_id and str(u.role) == "team_lead"
    )
    return {"s": s, "rm": rm, "lead": principal_of(lead), "research": principal_of(users["research01"]),
            "research2": principal_of(users["research02"]), "compliance": principal_of(users["compliance01"]),
            "admin": principal_of(users["admin01"]), "book": book,
            "settings": Settings(_env_file=None, lake_path=demo.lake_path)}  # fmt: skip


def open_with_members(org, party: Party, *, at: datetime = NOW) -> JointCase:  # noqa: ANN001
    s = org["s"]
    case = joint.open_case(s, org["rm"], party_no=party.party_no, kind="family_trust", title="家族信托",
                           description="客户希望设立家族信托", now=at)  # fmt: skip
    joint.add_member(s, org["rm"], case.id, username="research01", now=at)
    joint.add_member(s, org["rm"], case.id, username="compliance01", now=at)
    return case


class TestOpen:
    def test_an_rm_opens_a_case_for_a_client_of_the_book_due_in_24_hours(self, org) -> None:
        case = joint.open_case(org["s"], org["rm"], party_no=org["book"][0].party_no, kind="cross_border",
                               title="跨境资产配置", description="子女海外求学", now=NOW)  # fmt: skip
        assert (case.status, case.due_at) == ("open", NOW + timedelta(hours=24))
        detail = joint.read_case(org["s"], org["rm"], case.id, now=NOW)
        assert [(m.username, m.function) for m in detail.members] == [("rm001", "rm")]

    def test_who_may_open_and_for_whom(self, org) -> None:
        s, party = org["s"], org["book"][0]
        for who in ("research", "compliance", "admin"):
            with pytest.raises(PermissionDenied):
                joint.open_case(
                    s, org[who], party_no=party.party_no, kind="other", title="t", description="d", now=NOW
                )
        outsider = s.scalars(
            select(Party).where(~readable_parties(org["lead"])).order_by(Party.party_no)
        ).first()
        with pytest.raises(NotFound):
            joint.open_case(
                s, org["rm"], party_no=outsider.party_no, kind="other", title="t", description="d", now=NOW
            )
        with pytest.raises(InputError) as err:
            joint.open_case(
                s, org["rm"], party_no=party.party_no, kind="yacht", title="", description="d", now=NOW
            )
        assert [e.loc[0] for e in err.value.errors] == ["kind", "title"]


class TestMembersSeeTheClientOnlyThroughTheCase:
    def test_research_reads_the_case_with_a_masked_summary_audited_and_not_the_client(self, org) -> None:
        s, party = org["s"], org["book"][1]
        case = open_with_members(org, party)
        before = s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "case.read")
        )
        detail = joint.read_case(s, org["research"], case.id, now=NOW)
        assert detail.card.client.party_no == party.party_no
        assert detail.card.client.masked_name == mask_name(party.name) != party.name
        assert detail.me_member == "research" and detail.may_work and not detail.may_manage
        after = s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "case.read")
        )
        assert after == before + 1
        with pytest.raises(NotFound):
            readable_party(s, org["research"], party.party_no)  # the client's own reads stay closed
        joint.read_case(s, org["rm"], case.id, now=NOW)  # the RM reads their own client: no case.read record
        assert (
            s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "case.read"))
            == after
        )

    def test_a_research_analyst_who_is_not_a_member_sees_nothing(self, org) -> None:
        case = open_with_members(org, org["book"][2])
        with pytest.raises(NotFound):
            joint.read_case(org["s"], org["research2"], case.id, now=NOW)
        assert all(case.id not in {c.case.id for c in cards}
                   for cards in joint.board(org["s"], org["research2"], now=NOW).values())  # fmt: skip
        with pytest.raises(PermissionDenied):
            joint.board(org["s"], org["admin"], now=NOW)

    def test_members_are_added_once_by_the_rm_and_not_by_research(self, org) -> None:
        s = org["s"]
        case = open_with_members(org, org["book"][3])
        with pytest.raises(Conflict):
            joint.add_member(s, org["rm"], case.id, username="research01", now=NOW)
        with pytest.raises(PermissionDenied):
            joint.add_member(s, org["research"], case.id, username="research02", now=NOW)
        with pytest.raises(InputError):
            joint.add_member(s, org["rm"], case.id, username="admin01", now=NOW)
        joint.add_member(s, org["lead"], case.id, username="research02", now=NOW)


class TestWork:
    def test_comments_attachments_proposal_and_signoff_by_function(self, org) -> None:
        s = org["s"]
        case = open_with_members(org, org["book"][4])
        joint.add_comment(s, org["research"], case.id, text="权益仓位不超过 30%", now=NOW)
        made = joint.add_attachment(s, org["research"], case.id, file_name="../方案.pdf", content_type="application/pdf",
                                    data=b"%PDF-1.4 test", now=NOW)  # fmt: skip
        assert made.file_name == "方案.pdf"
        got = joint.read_attachment(s, org["compliance"], case.id, made.id, now=NOW)
        assert got.data == b"%PDF-1.4 test"
        with pytest.raises(NotFound):
            joint.read_attachment(s, org["research2"], case.id, made.id, now=NOW)
        with pytest.raises(InputError):
            joint.add_attachment(s, org["rm"], case.id, file_name="big.pdf", content_type="application/pdf",
                                 data=b"0" * (jd.MAX_ATTACHMENT_BYTES + 1), now=NOW)  # fmt: skip
        with pytest.raises(InputError):
            joint.add_attachment(s, org["rm"], case.id, file_name="run.exe", content_type="application/x-msdownload",
                                 data=b"MZ", now=NOW)  # fmt: skip
        assert (
            s.scalar(
                select(func.count()).select_from(JointAttachment).where(JointAttachment.case_id == case.id)
            )
            == 1
        )
        with pytest.raises(InputError):
            joint.sign_off(s, org["rm"], case.id, now=NOW)  # no proposal yet
        joint.set_proposal(s, org["rm"], case.id, text="信托方案 v1", now=NOW)
        joint.sign_off(s, org["research"], case.id, now=NOW)
        with pytest.raises(Conflict):
            joint.sign_off(s, org["research"], case.id, now=NOW)
        with pytest.raises(PermissionDenied):
            joint.sign_off(s, org["lead"], case.id, now=NOW)  # the lead is not a member
        joint.sign_off(s, org["rm"], case.id, now=NOW)
        assert case.status == "awaiting_signoff"
        joint.sign_off(s, org["compliance"], case.id, now=NOW + timedelta(hours=1))
        assert (case.status, case.agreed_at) == ("agreed", NOW + timedelta(hours=1))
        joint.set_proposal(s, org["rm"], case.id, text="信托方案 v2", now=NOW + timedelta(hours=2))
        assert (case.status, case.proposal_version) == ("awaiting_signoff", 2)
        assert joint.read_case(s, org["rm"], case.id, now=NOW).signoff.missing == (
            "rm",
            "research",
            "compliance",
        )
        joint.close_case(s, org["rm"], case.id, now=NOW + timedelta(hours=3))
        with pytest.raises(InputError):
            joint.add_comment(s, org["rm"], case.id, text="x", now=NOW)


class TestEscalationAndBoard:
    def test_a_case_not_agreed_in_24_hours_escalates_once_to_the_lead_and_shows_as_breached(
        self, org
    ) -> None:
        s = org["s"]
        late = open_with_members(org, org["book"][5], at=NOW - timedelta(hours=30))
        fresh = open_with_members(org, org["book"][6], at=NOW)
        first = joint.escalate_breaches(s, now=NOW)
        task = s.scalars(select(Task).where(Task.idempotency_key == jd.escalation_key(late.id))).one()
        assert task.assignee_id == org["lead"].user_id and late.escalated_at == NOW
        assert first.made >= 1
        assert s.scalar(select(Task.id).where(Task.idempotency_key == jd.escalation_key(fresh.id))) is None
        assert joint.escalate_breaches(s, now=NOW).made == 0
        columns = joint.board(s, org["lead"], now=NOW)
        assert late.id in {c.case.id for c in columns["breached"]}
        assert fresh.id in {c.case.id for c in columns["open"]}
        research_board = joint.board(s, org["research"], now=NOW)
        assert late.id in {c.case.id for c in research_board["breached"]}


class TestDemo:
    def test_seed_demo_makes_one_case_once(self, org) -> None:
        s = org["s"]
        assert joint.seed_demo(s, org["settings"], now=NOW) == 1
        assert joint.seed_demo(s, org["settings"], now=NOW) == 0
        case = s.scalars(select(JointCase).where(JointCase.ref == joint.DEMO_REF)).one()
        detail = joint.read_case(s, org["research"], case.id, now=NOW)
        assert {m.username for m in detail.members} == {"rm001", "research01", "compliance01"}
        assert detail.signoff.signed == ("research",) and case.status == "awaiting_signoff"
