"""API shapes of the pre-call brief (访前简报) and the SPIN library."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from fincrm.clients.schemas import (
    AllocationSlice,
    InteractionRead,
    MemoryPointRead,
    RelationRead,
    SignalRead,
)
from fincrm.team import precall_domain as pd
from fincrm.team.precall import Imported, LibraryRead, OpenTask, PreCallBrief, SuitableProduct


class ReasonRead(BaseModel):
    kind: str = Field(description="the trigger: signal, asset_share, age_at_least, ...")
    value: str
    fact: str = Field(description="the client's fact that met it")
    text_zh: str
    text_en: str

    @classmethod
    def of(cls, r: pd.Reason) -> ReasonRead:
        zh, en = pd.describe(r)
        return cls(kind=r.kind, value=r.value, fact=r.fact, text_zh=zh, text_en=en)


class QuestionRead(BaseModel):
    key: str
    topic: str
    stage: str = Field(description="situation, problem, implication or need_payoff")
    text_zh: str
    text_en: str
    status: str = Field(description="active or retired")

    @classmethod
    def of(cls, q: pd.Question) -> QuestionRead:
        return cls(
            key=q.key, topic=q.topic, stage=q.stage, text_zh=q.text_zh, text_en=q.text_en, status=q.status
        )


class SuggestionRead(BaseModel):
    topic: str
    title_zh: str
    title_en: str
    reasons: list[ReasonRead]
    questions: list[QuestionRead]

    @classmethod
    def of(cls, s: pd.Suggestion) -> SuggestionRead:
        return cls(topic=s.topic.key, title_zh=s.topic.title_zh, title_en=s.topic.title_en,
                   reasons=[ReasonRead.of(r) for r in s.reasons], questions=[QuestionRead.of(q) for q in s.questions])  # fmt: skip


class OpenTaskRead(BaseModel):
    id: int
    title_zh: str
    title_en: str
    priority: int
    due_at: datetime
    overdue: bool

    @classmethod
    def of(cls, t: OpenTask) -> OpenTaskRead:
        return cls(id=t.id, title_zh=t.title_zh, title_en=t.title_en, priority=t.priority, due_at=t.due_at,
                   overdue=t.overdue)  # fmt: skip


class OfferRead(BaseModel):
    id: int
    name_zh: str
    name_en: str
    status: str
    signal: str


class ProductRead(BaseModel):
    code: str
    name: str
    name_en: str | None
    kind: str
    risk_rating: str
    asset_class: str

    @classmethod
    def of(cls, p: SuitableProduct) -> ProductRead:
        return cls(code=p.code, name=p.name, name_en=p.name_en, kind=p.kind, risk_rating=p.risk_rating,
                   asset_class=p.asset_class)  # fmt: skip


class HoldingsSummaryRead(BaseModel):
    aum_amount: Decimal = Field(description="market value of owned accounts' holdings")
    currency: str
    by_asset_class: list[AllocationSlice]


class PreCallRead(BaseModel):
    client_no: str
    name: str = Field(description="the client's name as the 360 shows it")
    kind: str
    on: date
    memory_points: list[MemoryPointRead]
    family: list[RelationRead]
    key_persons: list[RelationRead]
    last_interactions: list[InteractionRead]
    signals: list[SignalRead]
    risk_drift: bool
    effective_risk: str | None
    attrition_score: float | None = Field(description="0..1")
    attrition_reasons: list[str]
    open_tasks: list[OpenTaskRead]
    holdings: HoldingsSummaryRead
    offers: list[OfferRead]
    risk_level_matched: str | None = Field(description="the lower of the stated and effective levels")
    products: list[ProductRead]
    products_total: int
    products_note_zh: str | None
    products_note_en: str | None
    spin: list[SuggestionRead]

    @classmethod
    def of(cls, b: PreCallBrief) -> PreCallRead:
        c, i = b.client, b.intelligence
        return cls(
            client_no=b.party_no, name=c.profile.name, kind=c.profile.kind, on=b.on, memory_points=c.memory_points,
            family=b.family, key_persons=b.key_persons, last_interactions=c.interactions.rows, signals=i.signals,
            risk_drift=i.risk_drift, effective_risk=i.effective_risk, attrition_score=i.attrition_score,
            attrition_reasons=i.attrition_reasons, open_tasks=[OpenTaskRead.of(t) for t in b.open_tasks],
            holdings=HoldingsSummaryRead(aum_amount=c.holdings.total_amount, currency=c.holdings.currency,
                                         by_asset_class=c.holdings.allocation),
            offers=[OfferRead(id=o.offer.id, name_zh=o.name_zh, name_en=o.name_en, status=o.offer.status,
                              signal=o.offer.signal_kind) for o in b.offers],
            risk_level_matched=b.level, products=[ProductRead.of(p) for p in b.products], products_total=b.products_total,
            products_note_zh=b.products_note[0] if b.products_note else None,
            products_note_en=b.products_note[1] if b.products_note else None,
            spin=[SuggestionRead.of(s) for s in b.suggestions],
        )  # fmt: skip


class TopicRead(BaseModel):
    key: str
    title_zh: str
    title_en: str
    triggers: list[dict]
    questions: list[QuestionRead]


class LibraryOut(BaseModel):
    stored: bool = Field(description="False until a library is imported: the shipped file is shown")
    topics: list[TopicRead]

    @classmethod
    def of(cls, lib: LibraryRead) -> LibraryOut:
        return cls(stored=lib.stored, topics=[
            TopicRead(key=t.key, title_zh=t.title_zh, title_en=t.title_en,
                      triggers=[{"kind": x.kind, "value": list(x.value) if isinstance(x.value, tuple) else x.value}
                                for x in t.triggers],
                      questions=[QuestionRead.of(q) for q in lib.questions if q.topic == t.key])
            for t in lib.topics
        ])  # fmt: skip


class QuestionCreate(BaseModel):
    topic: str = Field(max_length=64)
    stage: str = Field(max_length=16, description="situation, problem, implication or need_payoff")
    text_zh: str = Field(max_length=pd.TEXT_MAX)
    text_en: str = Field(max_length=pd.TEXT_MAX)


class QuestionEdit(BaseModel):
    stage: str = Field(max_length=16)
    text_zh: str = Field(max_length=pd.TEXT_MAX)
    text_en: str = Field(max_length=pd.TEXT_MAX)


class ImportedRead(BaseModel):
    topics_added: int
    topics_updated: int
    questions_added: int
    questions_updated: int

    @classmethod
    def of(cls, i: Imported) -> ImportedRead:
        return cls(topics_added=i.topics_added, topics_updated=i.topics_updated, questions_added=i.questions_added,
                   questions_updated=i.questions_updated)  # fmt: skip
