"""Testimonials on the demo institution: record with consent, scope of each role, uses in the content
library and in messages, the usable list at read time, withdrawal taking effect everywhere in one
transaction (content pieces, waiting messages, the usable list, the audit trail), the expiry sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.cases import testimonials as svc
from fincrm.cases import testimonials_domain as td
from fincrm.cases.testimonials_models import Testimonial, TestimonialUse
from fincrm.clients.models import Coverage, Party
from fincrm.config import Settings
from fincrm.engagement import community
from fincrm.engagement.community_domain import PieceDraft
from fincrm.engagement.community_models import ContentPiece
from fincrm.engagement.models import HELD, PENDING, SENT, SUPPRESSED, OutboxMessage
from fincrm.errors import Conflict, InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai
SETTINGS = Settings()
STORY = "回款期拉长那段时间，客户经理帮我们理清了流动资金安排。"


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = users["rm001"]
    book = list(
        s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no).limit(3)
        )
    )
    team = [u.id for u in users.values() if u.team_id == rm.team_id]
    outsider = s.scalars(
        select(Party.party_no).where(Party.primary_rm_id.not_in(team),
                            Party.id.not_in(select(Coverage.party_id).where(Coverage.user_id.in_(team))))
        .order_by(Party.party_no)
    ).first()  # fmt: skip
    stranger = next(u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id)
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    return {"rm": principal_of(rm), "lead": principal_of(lead), "stranger": principal_of(stranger),
            "compliance": principal_of(users["compliance01"]), "research": principal_of(users["research01"]),
            "admin": principal_of(users["admin01"]), "book": book, "outsider": outsider}  # fmt: skip


@pytest.fixture()
def s(demo):  # noqa: F811
    """The demo session inside a savepoint rolled back after each test."""
    nested = demo.session.begin_nested()
    yield demo.session
    nested.rollback()
    demo.session.expunge_all()  # ids are reused after the rollback: forget the rows it undid


def draft(
    story: str = STORY, scopes: tuple[str, ...] = ("content_library", "client_messages"), **kw
) -> td.TestimonialDraft:
    values = dict(story_zh=story, story_en="Our RM sorted out our working capital when collections slowed.",
                  attribution_zh="陈先生", attribution_en="Mr Chen", scopes=scopes, method="signed_form",
                  given_on=AS_OF - timedelta(days=10), expires_on=AS_OF + timedelta(days=200))  # fmt: skip
    values.update(kw)
    return td.TestimonialDraft(**values)


def record(s, org, **kw) -> Testimonial:
    return svc.record_testimonial(s, org["rm"], SETTINGS, org["book"][0], draft=draft(**kw), now=NOW)


def fields() -> svc.PieceFields:
    return svc.PieceFields("客户见证：流动资金", "Client story: working capital", "一位企业主的经历。", "A business owner's story.",
                           ("working_capital",))  # fmt: skip


def research_piece(s, org) -> ContentPiece:
    d = PieceDraft(title_zh="制造业现金流观察", title_en="Manufacturing cash flow", summary_zh="回款周期拉长。",
                   summary_en="Collections lengthen.", body_zh="研究正文。", body_en="Research body.", author="投研部",
                   kind="research", industry_codes=("C38",), topics=(), published_on=AS_OF)  # fmt: skip
    return community.add_piece(s, org["research"], SETTINGS, draft=d, now=NOW)


def actions(s, since: int) -> list[str]:
    return list(s.scalars(select(AuditRecord.action).where(AuditRecord.id > since).order_by(AuditRecord.id)))


def last_audit(s) -> int:
    return s.scalar(select(func.max(AuditRecord.id))) or 0


class TestRecord:
    def test_the_rm_records_a_story_with_its_consent_audited(self, s, org) -> None:
        mark = last_audit(s)
        t = record(s, org)
        assert (t.status, t.scopes, t.expires_on) == ("active", " content_library client_messages ",
                                                      AS_OF + timedelta(days=200))  # fmt: skip
        assert actions(s, mark) == ["testimonial.record"]

    def test_bad_consent_is_refused_and_nothing_is_written(self, s, org) -> None:
        before = s.scalar(select(func.count()).select_from(Testimonial))
        with pytest.raises(InputError) as caught:
            record(s, org, expires_on=None, scopes=())
        assert {e.loc[0] for e in caught.value.errors} == {"expires_on", "scopes"}
        assert s.scalar(select(func.count()).select_from(Testimonial)) == before

    def test_a_client_outside_the_book_is_not_found_and_other_roles_may_not_record(self, s, org) -> None:
        with pytest.raises(NotFound):
            svc.record_testimonial(s, org["rm"], SETTINGS, org["outsider"], draft=draft(), now=NOW)
        for role in ("compliance", "research", "admin"):
            with pytest.raises(PermissionDenied):
                svc.record_testimonial(s, org[role], SETTINGS, org["book"][0], draft=draft(), now=NOW)


class TestScope:
    def test_each_role_sees_what_its_scope_allows(self, s, org) -> None:
        t = record(s, org)
        for role in ("rm", "lead", "compliance"):
            assert t.id in [
                v.testimonial.id for v in svc.list_testimonials(s, org[role], SETTINGS, now=NOW)
            ], role
        assert t.id not in [
            v.testimonial.id for v in svc.list_testimonials(s, org["stranger"], SETTINGS, now=NOW)
        ]
        assert svc.list_testimonials(s, org["research"], SETTINGS, now=NOW) == []
        with pytest.raises(PermissionDenied):
            svc.list_testimonials(s, org["admin"], SETTINGS, now=NOW)
        with pytest.raises(NotFound):
            svc.read_testimonial(s, org["stranger"], SETTINGS, t.id, now=NOW)


class TestUsableList:
    def test_usable_stories_are_filtered_by_use_and_by_the_day_of_the_read(self, s, org) -> None:
        both = record(s, org, expires_on=AS_OF + timedelta(days=3))
        training = record(s, org, story="只用于内部培训的故事。", scopes=("internal_training",))

        def usable(now: datetime, use: str) -> set[int]:
            return {
                v.testimonial.id
                for v in svc.list_testimonials(s, org["rm"], SETTINGS, now=now, usable_for=use)
            }

        assert both.id in usable(NOW, "content_piece") and training.id not in usable(NOW, "content_piece")
        assert both.id in usable(NOW + timedelta(days=3), "message")
        assert both.id not in usable(NOW + timedelta(days=4), "message")  # expired at read time, no job ran
        with pytest.raises(InputError):
            svc.list_testimonials(s, org["rm"], SETTINGS, now=NOW, usable_for="billboard")


class TestUseInContent:
    def test_a_new_piece_carries_the_story_through_the_library(self, s, org) -> None:
        t = record(s, org)
        mark = last_audit(s)
        use = svc.use_in_content(s, org["rm"], SETTINGS, t.id, new_piece=fields(), now=NOW)
        piece = s.get(ContentPiece, use.target_id)
        assert STORY in piece.body_zh and "Mr Chen" in piece.body_en
        assert (use.target_kind, use.scope) == ("content_piece", "content_library")
        assert actions(s, mark) == ["content.add", "testimonial.use"]

    def test_the_story_is_added_to_an_existing_piece_once(self, s, org) -> None:
        t = record(s, org)
        piece = research_piece(s, org)
        svc.use_in_content(s, org["rm"], SETTINGS, t.id, piece_id=piece.id, now=NOW)
        assert piece.body_zh.startswith("研究正文。") and STORY in piece.body_zh
        with pytest.raises(Conflict):
            svc.use_in_content(s, org["rm"], SETTINGS, t.id, piece_id=piece.id, now=NOW)

    def test_a_story_without_the_content_scope_or_expired_cannot_be_used(self, s, org) -> None:
        training = record(s, org, scopes=("internal_training",))
        with pytest.raises(InputError, match="does not cover content_library"):
            svc.use_in_content(s, org["rm"], SETTINGS, training.id, new_piece=fields(), now=NOW)
        short = record(s, org, expires_on=AS_OF + timedelta(days=1))
        with pytest.raises(InputError, match="expired"):
            svc.use_in_content(
                s, org["rm"], SETTINGS, short.id, new_piece=fields(), now=NOW + timedelta(days=2)
            )

    def test_a_story_promising_returns_stays_out_of_the_library(self, s, org) -> None:
        t = record(s, org, story="跟着客户经理买，保本保收益，稳赚不赔。")
        piece = research_piece(s, org)
        with pytest.raises(InputError, match="promises"):
            svc.use_in_content(s, org["rm"], SETTINGS, t.id, piece_id=piece.id, now=NOW)
        assert piece.body_zh == "研究正文。"

    def test_neither_or_both_targets_is_refused(self, s, org) -> None:
        t = record(s, org)
        with pytest.raises(InputError, match="not both"):
            svc.use_in_content(s, org["rm"], SETTINGS, t.id, now=NOW)


class TestShareWithClient:
    def test_a_message_goes_through_the_outbox_once_per_client(self, s, org) -> None:
        t = record(s, org)
        use = svc.share_with_client(s, org["rm"], SETTINGS, t.id, party_no=org["book"][1], channel="in_app",
                                    now=NOW)  # fmt: skip
        message = s.get(OutboxMessage, use.target_id)
        assert message.marketing and STORY in message.body
        assert message.status in (PENDING, HELD, SUPPRESSED)  # the guard decides; the reason is kept
        with pytest.raises(Conflict):
            svc.share_with_client(s, org["rm"], SETTINGS, t.id, party_no=org["book"][1], channel="in_app",
                                  now=NOW)  # fmt: skip
        with pytest.raises(NotFound):
            svc.share_with_client(s, org["rm"], SETTINGS, t.id, party_no=org["outsider"], channel="sms",
                                  now=NOW)  # fmt: skip

    def test_a_story_with_a_forbidden_promise_is_held_for_compliance(self, s, org) -> None:
        t = record(s, org, story="保本保收益，稳赚不赔。")
        use = svc.share_with_client(s, org["rm"], SETTINGS, t.id, party_no=org["book"][1], channel="in_app",
                                    now=NOW)  # fmt: skip
        assert s.get(OutboxMessage, use.target_id).status == HELD


def quoting_message(s, party_no: str, body: str, status: str, key: str) -> OutboxMessage:
    """A message some other flow put in the outbox (e.g. a brief) that quotes the story."""
    party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
    m = OutboxMessage(idempotency_key=key, party_id=party.id, rule_key="morning_brief", template_key="morning_brief",
                      channel="in_app", lang="zh-CN", recipient=party.party_no, body=body, marketing=True, status=status,
                      reason_code="", reason="", attempts=0, next_attempt_at=NOW, created_at=NOW)  # fmt: skip
    s.add(m)
    s.flush()
    return m


class TestWithdraw:
    def test_a_withdrawal_takes_effect_everywhere_in_one_go(self, s, org) -> None:
        clean = record(s, org)
        piece = research_piece(s, org)
        made = svc.use_in_content(s, org["rm"], SETTINGS, clean.id, new_piece=fields(), now=NOW)
        svc.use_in_content(s, org["rm"], SETTINGS, clean.id, piece_id=piece.id, now=NOW)
        sent_use = svc.share_with_client(s, org["rm"], SETTINGS, clean.id, party_no=org["book"][1],
                                         channel="in_app", now=NOW)  # fmt: skip
        s.get(OutboxMessage, sent_use.target_id).status = PENDING
        other = quoting_message(s, org["book"][-1], f"早报：{STORY}", PENDING, "test-brief-quote")
        gone = quoting_message(s, org["book"][-1], f"早报：{STORY}", SENT, "test-brief-sent")
        mark = last_audit(s)
        done = svc.withdraw_testimonial(
            s, org["lead"], clean.id, reason="客户来电撤回授权", now=NOW + timedelta(hours=1)
        )
        assert (done.uses, done.pieces, done.messages_cancelled) == (3, 2, 2)
        assert STORY not in s.get(ContentPiece, made.target_id).body_zh
        assert piece.body_zh == "研究正文。" and piece.body_en == "Research body."
        cancelled = s.get(OutboxMessage, sent_use.target_id)
        assert (cancelled.status, cancelled.reason_code) == (SUPPRESSED, "testimonial_withdrawn")
        assert "客户来电撤回授权" in cancelled.reason
        assert (other.status, other.reason_code) == (SUPPRESSED, "testimonial_withdrawn")
        assert gone.status == SENT  # sent already: not recalled
        assert all(u.revoked_at is not None for u in s.scalars(
            select(TestimonialUse).where(TestimonialUse.testimonial_id == clean.id)))  # fmt: skip
        assert clean.id not in {v.testimonial.id for v in svc.list_testimonials(
            s, org["rm"], SETTINGS, now=NOW + timedelta(hours=1), usable_for="content_piece")}  # fmt: skip
        assert actions(s, mark) == ["testimonial.withdraw"]
        with pytest.raises(InputError, match="withdrawn"):
            svc.use_in_content(
                s, org["rm"], SETTINGS, clean.id, new_piece=fields(), now=NOW + timedelta(hours=2)
            )
        with pytest.raises(InputError) as again:
            svc.withdraw_testimonial(s, org["rm"], clean.id, reason="again", now=NOW + timedelta(hours=2))
        assert again.value.errors[0].msg == "already withdrawn"

    def test_a_held_message_is_cancelled_too(self, s, org) -> None:
        t = record(s, org, story="保本保收益，稳赚不赔。")
        use = svc.share_with_client(s, org["rm"], SETTINGS, t.id, party_no=org["book"][1], channel="in_app",
                                    now=NOW)  # fmt: skip
        svc.withdraw_testimonial(s, org["compliance"], t.id, reason="客户要求", now=NOW)
        assert s.get(OutboxMessage, use.target_id).status == SUPPRESSED

    def test_a_refused_withdrawal_changes_nothing(self, s, org) -> None:
        t = record(s, org)
        use = svc.use_in_content(s, org["rm"], SETTINGS, t.id, new_piece=fields(), now=NOW)
        with pytest.raises(InputError, match="cannot be withdrawn"):
            svc.withdraw_testimonial(s, org["rm"], t.id, reason=" ", now=NOW)
        assert t.status == "active" and STORY in s.get(ContentPiece, use.target_id).body_zh
        with pytest.raises(NotFound):
            svc.withdraw_testimonial(s, org["stranger"], t.id, reason="x", now=NOW)
        with pytest.raises(PermissionDenied):
            svc.withdraw_testimonial(s, org["research"], t.id, reason="x", now=NOW)


class TestSweep:
    def test_expired_stories_lose_their_uses_once(self, s, org) -> None:
        t = record(s, org, expires_on=AS_OF + timedelta(days=2))
        use = svc.use_in_content(s, org["rm"], SETTINGS, t.id, new_piece=fields(), now=NOW)
        later = AS_OF + timedelta(days=3)
        first = svc.sweep_expired(s, None, on=later, now=NOW + timedelta(days=3))
        assert first.testimonials >= 1 and first.revoked.pieces >= 1
        assert STORY not in s.get(ContentPiece, use.target_id).body_zh
        assert s.get(TestimonialUse, use.id).revoked_reason.startswith("consent expired on")
        again = svc.sweep_expired(s, org["lead"], on=later, now=NOW + timedelta(days=3))
        assert again.testimonials == 0 and again.revoked.uses == 0
        with pytest.raises(PermissionDenied):
            svc.sweep_expired(s, org["rm"], on=later, now=NOW)

    def test_a_story_still_in_force_is_left_alone(self, s, org) -> None:
        t = record(s, org)
        use = svc.use_in_content(s, org["rm"], SETTINGS, t.id, new_piece=fields(), now=NOW)
        svc.sweep_expired(s, None, on=AS_OF, now=NOW)
        assert s.get(TestimonialUse, use.id).revoked_at is None


class TestDemo:
    def test_seeding_twice_adds_nothing_more(self, s, org) -> None:
        first = svc.seed_demo(s, SETTINGS, now=NOW)
        assert first == {"testimonials": 2, "uses": 1}
        assert svc.seed_demo(s, SETTINGS, now=NOW) == {"testimonials": 0, "uses": 0}
