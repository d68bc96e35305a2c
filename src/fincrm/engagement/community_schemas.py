"""Shapes of community objects handed to the edges (API and pages): content pieces and matches,
morning briefs and their sendings, weekly Q&A sessions, groups and questions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fincrm.engagement import community_domain as dom
from fincrm.engagement.community import BriefView, MatchedPiece, Published, SessionView
from fincrm.engagement.community_models import BriefDistribution, ContentPiece, QaGroup, QaQuestion, QaSession


class PieceCreate(BaseModel):
    kind: str = Field(max_length=16, description="research, insight, policy or education")
    title_zh: str = Field(max_length=dom.TITLE_MAX)
    title_en: str = Field(max_length=dom.TITLE_MAX)
    summary_zh: str = Field(max_length=dom.SUMMARY_MAX)
    summary_en: str = Field(max_length=dom.SUMMARY_MAX)
    body_zh: str = Field("", max_length=dom.BODY_MAX)
    body_en: str = Field("", max_length=dom.BODY_MAX)
    author: str = Field(max_length=dom.AUTHOR_MAX)
    industry_codes: list[str] = Field(default_factory=list, max_length=20, description="GB/T 4754, e.g. C38")
    topics: list[str] = Field(default_factory=list, max_length=20)
    published_on: date
    tiers: list[str] | None = Field(None, max_length=3, description="hnw, mass, long_tail; null for everyone")

    def draft(self) -> dom.PieceDraft:
        return dom.PieceDraft(
            title_zh=self.title_zh, title_en=self.title_en, summary_zh=self.summary_zh, summary_en=self.summary_en,
            body_zh=self.body_zh, body_en=self.body_en, author=self.author, kind=self.kind,
            industry_codes=tuple(self.industry_codes), topics=tuple(self.topics), published_on=self.published_on,
            tiers=None if self.tiers is None else tuple(self.tiers),
        )  # fmt: skip


class PieceRead(BaseModel):
    id: int
    kind: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    body_zh: str
    body_en: str
    author: str
    industry_codes: list[str]
    topics: list[str]
    tiers: list[str] | None
    published_on: date

    @classmethod
    def of(cls, p: ContentPiece) -> PieceRead:
        return cls(
            id=p.id, kind=p.kind, title_zh=p.title_zh, title_en=p.title_en, summary_zh=p.summary_zh,
            summary_en=p.summary_en, body_zh=p.body_zh, body_en=p.body_en, author=p.author,
            industry_codes=p.industry_codes.split(), topics=p.topics.split(),
            tiers=None if p.tiers is None else p.tiers.split(), published_on=p.published_on,
        )  # fmt: skip


class MatchRead(BaseModel):
    piece: PieceRead
    score: int = Field(description="3 industry (same or broader code), 2 industry (finer code), 1 topic")
    reason_zh: str
    reason_en: str

    @classmethod
    def of(cls, m: MatchedPiece) -> MatchRead:
        return cls(piece=PieceRead.of(m.piece), score=m.match.score, reason_zh=m.match.reason_zh,
                   reason_en=m.match.reason_en)  # fmt: skip


class ClientContentRead(BaseModel):
    client_no: str
    industry_code: str | None
    industry_source: str = Field(description="own, employer, key_person, or empty")
    signals: list[str]
    matches: list[MatchRead]


class BriefSave(BaseModel):
    text_zh: str = Field(max_length=2000, description="at most 300 characters as a reader sees them")
    text_en: str = Field(max_length=2000, description="at most 300 characters as a reader sees them")


class BriefRead(BaseModel):
    id: int
    desk: str
    brief_on: date
    status: str
    text_zh: str
    text_en: str
    chars_zh: int
    chars_en: int
    author: str
    mine: bool
    published_at: datetime | None

    @classmethod
    def of(cls, v: BriefView) -> BriefRead:
        b = v.brief
        return cls(id=b.id, desk=b.desk, brief_on=b.brief_on, status=b.status, text_zh=b.text_zh, text_en=b.text_en,
                   chars_zh=v.chars_zh, chars_en=v.chars_en, author=v.author, mine=v.mine,
                   published_at=b.published_at)  # fmt: skip


class BriefDistribute(BaseModel):
    channel: str = Field("wecom", max_length=16, description="email, sms, wecom or in_app")


class DistributionRead(BaseModel):
    id: int
    brief_id: int
    channel: str
    consenting: int
    queued: int
    held: int
    suppressed: int
    skipped: int

    @classmethod
    def of(cls, d: BriefDistribution) -> DistributionRead:
        return cls(id=d.id, brief_id=d.brief_id, channel=d.channel, consenting=d.consenting, queued=d.queued,
                   held=d.held, suppressed=d.suppressed, skipped=d.skipped)  # fmt: skip


class QaSessionCreate(BaseModel):
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    live_on: date


class QaSessionRead(BaseModel):
    id: int
    title_zh: str
    title_en: str
    live_on: date
    status: str

    @classmethod
    def of(cls, s: QaSession) -> QaSessionRead:
        return cls(id=s.id, title_zh=s.title_zh, title_en=s.title_en, live_on=s.live_on, status=s.status)


class QuestionCreate(BaseModel):
    client_no: str = Field(min_length=1, max_length=32)
    text: str = Field(max_length=dom.QUESTION_MAX)
    topic: str = Field("other", max_length=32)


class QuestionRead(BaseModel):
    id: int
    session_id: int
    client_no: str
    client_name: str = Field(description="masked")
    text: str
    topic: str
    asked_at: datetime
    group_id: int | None

    @classmethod
    def of(cls, q: QaQuestion, client_no: str, client_name: str) -> QuestionRead:
        return cls(id=q.id, session_id=q.session_id, client_no=client_no, client_name=client_name, text=q.text,
                   topic=q.topic, asked_at=q.asked_at, group_id=q.group_id)  # fmt: skip


class GroupRead(BaseModel):
    id: int | None = Field(description="null while the session is collecting (groups are live)")
    rank: int
    topic: str
    label: str
    askers: int
    questions: int
    chosen: bool
    answer_zh: str | None
    answer_en: str | None


class QaSessionDetail(QaSessionRead):
    total_questions: int
    groups: list[GroupRead]
    questions: list[QuestionRead] = Field(description="questions of clients you may read")

    @classmethod
    def of_view(cls, v: SessionView) -> QaSessionDetail:
        return cls(
            **QaSessionRead.of(v.qa).model_dump(), total_questions=v.total_questions,
            groups=[GroupRead(id=g.group_id, rank=g.rank, topic=g.topic, label=g.label, askers=g.askers,
                              questions=g.questions, chosen=g.chosen, answer_zh=g.answer_zh, answer_en=g.answer_en)
                    for g in v.groups],
            questions=[QuestionRead.of(q.question, q.party_no, q.client_name) for q in v.questions],
        )  # fmt: skip


class ChooseBody(BaseModel):
    count: int = Field(5, ge=1, le=50, description="how many groups the live session takes")


class AnswerBody(BaseModel):
    group_id: int = Field(ge=1, le=2**63 - 1)
    answer_zh: str = Field(max_length=dom.ANSWER_MAX)
    answer_en: str = Field(max_length=dom.ANSWER_MAX)


class GroupAnswered(BaseModel):
    id: int
    rank: int
    answer_zh: str | None
    answer_en: str | None

    @classmethod
    def of(cls, g: QaGroup) -> GroupAnswered:
        return cls(id=g.id, rank=g.rank, answer_zh=g.answer_zh, answer_en=g.answer_en)


class PublishBody(BaseModel):
    channel: str = Field("in_app", max_length=16, description="email, sms, wecom or in_app")


class PublishedRead(BaseModel):
    session: QaSessionRead
    askers: int
    queued: int
    held: int
    suppressed: int

    @classmethod
    def of(cls, p: Published) -> PublishedRead:
        return cls(session=QaSessionRead.of(p.qa), askers=p.askers, queued=p.queued, held=p.held,
                   suppressed=p.suppressed)  # fmt: skip
