"""Community services on the demo institution: the morning brief (one per desk and day, the scan at
publishing, distribution to the book's consenting clients through the guard rails, once per client),
the content library (import with located errors, all or nothing; matching through a key person), the
weekly Q&A (scope of who records, grouping, choosing, answers back to each asker), the demo seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.domain import KEY_PERSON_KINDS, ConsentAction, ConsentChannel, ConsentPurpose, PartyKind
from fincrm.clients.models import ConsentEvent, Party, PartyRelationship
from fincrm.clients.repository import changeable_parties
from fincrm.config import Settings
from fincrm.engagement import community
from fincrm.engagement.community_models import BriefDistribution, ContentPiece, MorningBrief, QaQuestion
from fincrm.engagement.models import PENDING, SUPPRESSED, OutboxMessage
from fincrm.errors import Conflict, InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai
QUIET = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 14, tzinfo=UTC)  # 22:00 in Shanghai
SETTINGS = Settings()
OK_ZH = "今日A股小幅高开，债市平稳。市场有风险，投资须谨慎。"
OK_EN = "Stocks opened a little higher; bonds were steady. Investment involves risk."


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    rm = principal_of(users["rm001"])
    lead = principal_of(
        next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    )
    stranger = principal_of(
        next(u for u in users.values() if str(u.role) == "rm" and u.team_id != rm.team_id)
    )
    return {"s": s, "rm": rm, "lead": lead, "stranger": stranger, "research": principal_of(users["research01"]),
            "compliance": principal_of(users["compliance01"]), "admin": principal_of(users["admin01"])}  # fmt: skip


def grant(s, party_id: int, channel: ConsentChannel, at: datetime, purpose=ConsentPurpose.MARKETING) -> None:
    s.add(
        ConsentEvent(
            party_id=party_id, purpose=purpose, channel=channel, action=ConsentAction.GRANT, effective_at=at
        )
    )
    s.flush()


def book(org, who: str) -> list[Party]:
    return list(org["s"].scalars(select(Party).where(changeable_parties(org[who])).order_by(Party.id)))


class TestMorningBrief:
    def test_one_brief_per_desk_and_day_a_team_shares_it(self, org) -> None:
        s = org["s"]
        first = community.save_brief(s, org["rm"], SETTINGS, text_zh="草稿", text_en="draft", now=NOW)
        again = community.save_brief(s, org["lead"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=NOW)
        assert again.id == first.id and first.desk == f"team:{org['rm'].team_id}" and first.text_zh == OK_ZH
        other = community.save_brief(s, org["research"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=NOW)
        assert other.id != first.id and other.desk == "research"
        with pytest.raises(PermissionDenied):
            community.save_brief(s, org["compliance"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=NOW)
        with pytest.raises(NotFound):  # another desk's draft
            community.publish_brief(s, org["stranger"], SETTINGS, first.id, now=NOW)

    def test_a_promise_is_refused_and_leaves_a_draft_then_a_published_brief_is_final(self, org) -> None:
        s = org["s"]
        later = NOW + timedelta(days=1)
        brief = community.save_brief(s, org["rm"], SETTINGS, text_zh="本产品保本保收益", text_en="Capital guaranteed.",
                                     now=later)  # fmt: skip
        with pytest.raises(InputError) as caught:
            community.publish_brief(s, org["rm"], SETTINGS, brief.id, now=later)
        assert {e.loc[0] for e in caught.value.errors} == {"text_zh", "text_en"}
        assert s.get(MorningBrief, brief.id).status == "draft"
        community.save_brief(s, org["rm"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=later)
        published = community.publish_brief(s, org["rm"], SETTINGS, brief.id, now=later)
        assert published.status == "published" and published.published_by_id == org["rm"].user_id
        with pytest.raises(Conflict):
            community.save_brief(s, org["rm"], SETTINGS, text_zh="改", text_en="edit", now=later)
        assert (
            s.scalar(
                select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "brief.publish")
            )
            >= 1
        )
        assert brief.id in [v.brief.id for v in community.list_briefs(s, org["compliance"])]

    def test_distribution_reaches_only_the_books_consenting_clients_once_through_the_guard_rails(
        self, org
    ) -> None:
        s = org["s"]
        day = NOW + timedelta(days=2)
        brief = community.save_brief(s, org["rm"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=day)
        community.publish_brief(s, org["rm"], SETTINGS, brief.id, now=day)
        mine = book(org, "rm")
        capped, plain, dnd = mine[0], mine[1], mine[2]
        for p in (capped, plain, dnd):
            grant(s, p.id, ConsentChannel.ALL, day - timedelta(days=30))
        grant(s, dnd.id, ConsentChannel.APP, day - timedelta(days=1), purpose=ConsentPurpose.DO_NOT_DISTURB)
        for i in range(SETTINGS.marketing_per_week):  # the weekly cap already reached
            s.add(OutboxMessage(idempotency_key=f"cap:{capped.id}:{i}", party_id=capped.id, rule_key="x", template_key="x",
                                channel="sms", lang="zh-CN", recipient="1", subject="", body="x", marketing=True,
                                status=PENDING, attempts=0, next_attempt_at=day, created_at=day - timedelta(days=1)))  # fmt: skip
        s.flush()
        outsider = book(org, "stranger")[0]
        grant(s, outsider.id, ConsentChannel.ALL, day - timedelta(days=30))
        dist = community.distribute_brief(s, org["rm"], SETTINGS, brief.id, channel="in_app", now=day)
        sent = {m.party_id: m for m in s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"brief:{brief.id}:%")))}  # fmt: skip
        assert outsider.id not in sent and {capped.id, plain.id, dnd.id} <= set(sent)
        assert set(sent) <= {p.id for p in mine}
        assert sent[plain.id].status == PENDING and sent[plain.id].body == OK_ZH and sent[plain.id].marketing
        assert (sent[capped.id].status, sent[capped.id].reason_code) == (SUPPRESSED, "weekly_cap")
        assert (sent[dnd.id].status, sent[dnd.id].reason_code) == (SUPPRESSED, "opted_out")
        assert dist.consenting == len(sent) == dist.queued + dist.held + dist.suppressed
        again = community.distribute_brief(s, org["rm"], SETTINGS, brief.id, channel="in_app", now=day)
        assert (again.queued, again.skipped) == (0, dist.consenting)
        assert (
            s.scalar(
                select(func.count())
                .select_from(BriefDistribution)
                .where(BriefDistribution.brief_id == brief.id)
            )
            == 2
        )

    def test_quiet_hours_defer_and_research_sends_to_nobody(self, org) -> None:
        s = org["s"]
        brief = community.save_brief(s, org["research"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=QUIET)
        community.publish_brief(s, org["research"], SETTINGS, brief.id, now=QUIET)
        with pytest.raises(PermissionDenied):
            community.distribute_brief(s, org["research"], SETTINGS, brief.id, channel="sms", now=QUIET)
        mine = book(org, "lead")
        grant(s, mine[5].id, ConsentChannel.APP, QUIET - timedelta(days=3))
        community.distribute_brief(s, org["lead"], SETTINGS, brief.id, channel="in_app", now=QUIET)
        message = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"brief:{brief.id}:{mine[5].party_no}"
            )
        ).one()
        assert message.status == PENDING and message.next_attempt_at > QUIET  # waits for the morning
        with pytest.raises(InputError):
            community.distribute_brief(s, org["lead"], SETTINGS, brief.id, channel="fax", now=QUIET)

    def test_a_draft_is_not_sent(self, org) -> None:
        s = org["s"]
        draft = community.save_brief(
            s, org["rm"], SETTINGS, text_zh=OK_ZH, text_en=OK_EN, now=NOW + timedelta(days=5)
        )
        with pytest.raises(NotFound):
            community.distribute_brief(s, org["rm"], SETTINGS, draft.id, channel="sms", now=NOW)


class TestContent:
    def test_an_import_with_a_bad_row_names_file_row_and_field_and_imports_nothing(
        self, org, tmp_path: Path
    ) -> None:
        s = org["s"]
        path = tmp_path / "pieces.csv"
        path.write_text(
            "kind,title_zh,title_en,summary_zh,summary_en,author,industry_codes,topics,published_on\n"
            "research,储能月报,Storage monthly,要点,Points,投研部,C38,policy,2026-11-20\n"
            "insight,保本理财,Guaranteed,要点,Points,投研部,X9,policy,2026-11-21\n"
            "insight,地产观察,Property,要点,Points,投研部,K70,,not-a-date\n",
            encoding="utf-8",
        )
        before = s.scalar(select(func.count()).select_from(ContentPiece))
        with pytest.raises(InputError) as caught:
            community.import_pieces(s, SETTINGS, path, username="research01", now=NOW)
        locs = {e.loc for e in caught.value.errors}
        assert ("pieces.csv", 3, "industry_codes") in locs and ("pieces.csv", 3, "title_zh") in locs
        assert ("pieces.csv", 4, "published_on") in locs
        assert s.scalar(select(func.count()).select_from(ContentPiece)) == before

    def test_a_yaml_import_adds_pieces_once(self, org, tmp_path: Path) -> None:
        s = org["s"]
        path = tmp_path / "pieces.yaml"
        path.write_text(
            "pieces:\n"
            "  - {kind: policy, title_zh: 医药集采解读, title_en: Procurement, summary_zh: 要点, summary_en: Points,\n"
            "     author: 投研部, industry_codes: [C27], topics: [policy], published_on: 2026-11-22, tiers: [hnw, mass]}\n",
            encoding="utf-8",
        )
        made = community.import_pieces(s, SETTINGS, path, username="research01", now=NOW)
        assert len(made) == 1 and made[0].tiers == " hnw mass "
        assert community.import_pieces(s, SETTINGS, path, username="research01", now=NOW) == []
        with pytest.raises(InputError):
            community.import_pieces(s, SETTINGS, path, username="compliance01", now=NOW)

    def test_a_key_person_gets_the_pieces_of_their_companys_industry(self, org) -> None:
        s = org["s"]
        row = s.execute(
            select(PartyRelationship.to_party_id, Party.industry_code)
            .join(Party, Party.id == PartyRelationship.from_party_id)
            .where(PartyRelationship.kind.in_(list(KEY_PERSON_KINDS)), Party.kind == PartyKind.CORPORATE,
                   Party.industry_code.is_not(None))
        ).first()  # fmt: skip
        assert row is not None, "the demo has key persons of companies"
        person = s.get(Party, row[0])
        person.industry_code = None  # no employer industry recorded: the company's is used
        s.flush()
        piece = community.add_piece(s, org["research"], SETTINGS, now=NOW, draft=community.dom.PieceDraft(
            title_zh="行业专题", title_en="Industry note", summary_zh="要点", summary_en="Points", body_zh="", body_en="",
            author="投研部", kind="research", industry_codes=(row[1],), topics=(), published_on=NOW.date()))  # fmt: skip
        interests, matches = community.matched_content(s, org["compliance"], person.party_no)
        assert interests.industry_source == "key_person" and interests.industry_code == row[1]
        assert matches[0].piece.id == piece.id and "关键人" in matches[0].match.reason_zh
        with pytest.raises(NotFound):
            community.matched_content(s, org["research"], person.party_no)
        with pytest.raises(PermissionDenied):
            community.matched_content(s, org["admin"], person.party_no)


class TestWeeklyQa:
    def test_from_questions_to_answers_back_to_each_asker(self, org) -> None:
        s = org["s"]
        qa = community.create_session(
            s, org["research"], title_zh="周问答", title_en="Weekly", live_on=NOW.date(), now=NOW
        )
        mine = book(org, "rm")
        texts = [("equity", "明年科技板块还值得配置吗？"), ("equity", "明年科技板块还值得配置吗"),
                 ("equity", "科技板块明年还值得配置吗？"), ("pension", "个人养老金怎么开户？")]  # fmt: skip
        for (topic, text), party in zip(texts, mine, strict=False):
            community.add_question(
                s, org["rm"], qa.id, party_no=party.party_no, text=text, topic=topic, now=NOW
            )
        again = community.add_question(s, org["rm"], qa.id, party_no=mine[0].party_no, text="明年科技板块还值得配置吗",
                                       topic="equity", now=NOW)  # fmt: skip
        assert (
            s.scalar(select(func.count()).select_from(QaQuestion).where(QaQuestion.session_id == qa.id)) == 4
        )
        assert again.party_id == mine[0].id
        community.add_question(s, org["admin"], qa.id, party_no=book(org, "stranger")[0].party_no,
                               text="美元还会涨吗", topic="fx", now=NOW)  # fmt: skip
        with pytest.raises(NotFound):
            community.add_question(
                s, org["rm"], qa.id, party_no=book(org, "stranger")[0].party_no, text="x", topic="fx", now=NOW
            )
        with pytest.raises(PermissionDenied):
            community.add_question(
                s, org["research"], qa.id, party_no=mine[0].party_no, text="x", topic="fx", now=NOW
            )
        view = community.read_session(s, org["rm"], qa.id)
        assert [g.askers for g in view.groups] == [3, 1, 1] and len(view.questions) == 4
        chosen = community.choose_top(s, org["lead"], qa.id, count=1, now=NOW)
        assert len(chosen) == 1 and chosen[0].askers == 3
        with pytest.raises(Conflict):
            community.add_question(
                s, org["rm"], qa.id, party_no=mine[0].party_no, text="晚到", topic="fx", now=NOW
            )
        community.answer_group(s, org["research"], SETTINGS, qa.id, group_id=chosen[0].id, answer_zh="分批配置。投资有风险。",
                               answer_en="Build positions gradually. Investment involves risk.", now=NOW)  # fmt: skip
        done = community.publish_answers(s, org["research"], SETTINGS, qa.id, now=NOW)
        assert done.askers == 3 and done.queued == 3 and done.qa.status == "published"
        bodies = list(
            s.scalars(select(OutboxMessage.body).where(OutboxMessage.idempotency_key.like(f"qa:{qa.id}:%")))
        )
        assert len(bodies) == 3 and all("分批配置" in b and "您的提问" in b for b in bodies)
        with pytest.raises(Conflict):
            community.publish_answers(s, org["research"], SETTINGS, qa.id, now=NOW)


class TestDemo:
    def test_the_seed_is_idempotent(self, org) -> None:
        s = org["s"]
        first = community.seed_demo(s, SETTINGS, now=NOW + timedelta(days=10))
        assert first["pieces"] >= 1 and first["briefs"] == 1 and first["questions"] >= 3
        assert community.seed_demo(s, SETTINGS, now=NOW + timedelta(days=10)) == dict.fromkeys(first, 0)
