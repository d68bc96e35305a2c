"""API shapes of client testimonials (客户见证) and their uses."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fincrm.cases import testimonials_domain as td
from fincrm.cases.testimonials import Revoked, Swept, TestimonialDetail, TestimonialView
from fincrm.cases.testimonials_models import TestimonialUse


class TestimonialCreate(BaseModel):
    __test__ = False

    story_zh: str = Field(max_length=td.STORY_MAX)
    story_en: str = Field(max_length=td.STORY_MAX)
    attribution_zh: str = Field(
        max_length=td.ATTRIBUTION_MAX, description="how the client is named, e.g. 王女士"
    )
    attribution_en: str = Field(max_length=td.ATTRIBUTION_MAX)
    scopes: list[str] = Field(max_length=len(td.SCOPES), description=", ".join(td.SCOPES))
    method: str = Field(max_length=16, description=", ".join(td.METHODS))
    given_on: date
    expires_on: date = Field(description="the last day the story may be used")

    def draft(self) -> td.TestimonialDraft:
        return td.TestimonialDraft(self.story_zh, self.story_en, self.attribution_zh, self.attribution_en,
                                   tuple(self.scopes), self.method, self.given_on, self.expires_on)  # fmt: skip


class TestimonialRead(BaseModel):
    __test__ = False

    id: int
    client_no: str
    client_name: str
    story_zh: str
    story_en: str
    attribution_zh: str
    attribution_en: str
    scopes: list[str]
    method: str
    given_on: date
    expires_on: date
    status: str = Field(description="active or withdrawn")
    expired: bool = Field(description="expires_on is before today (read time)")
    usable_for: list[str] = Field(description="the uses it may be put to today: content_piece, message")
    uses_in_force: int
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None

    @classmethod
    def of(cls, v: TestimonialView) -> TestimonialRead:
        t = v.testimonial
        return cls(
            id=t.id, client_no=v.party_no, client_name=v.client_name, story_zh=t.story_zh, story_en=t.story_en,
            attribution_zh=t.attribution_zh, attribution_en=t.attribution_en, scopes=t.scopes.split(),
            method=t.method, given_on=t.given_on, expires_on=t.expires_on, status=t.status, expired=v.expired,
            usable_for=list(v.usable_for), uses_in_force=v.uses, recorded_by=v.recorded_by, recorded_at=t.recorded_at,
            withdrawn_at=t.withdrawn_at, withdrawal_reason=t.withdrawal_reason,
        )  # fmt: skip


class UseRead(BaseModel):
    id: int
    testimonial_id: int
    target_kind: str = Field(description="content_piece or message")
    target_id: int
    target: str = Field(description="the piece's title or the recipient's client number")
    scope: str
    used_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, u: TestimonialUse, target: str = "") -> UseRead:
        return cls(id=u.id, testimonial_id=u.testimonial_id, target_kind=u.target_kind, target_id=u.target_id,
                   target=target, scope=u.scope, used_at=u.used_at, revoked_at=u.revoked_at,
                   revoked_reason=u.revoked_reason)  # fmt: skip


class TestimonialDetailRead(TestimonialRead):
    uses: list[UseRead]

    @classmethod
    def of_detail(cls, d: TestimonialDetail) -> TestimonialDetailRead:
        return cls(
            **TestimonialRead.of(d.view).model_dump(),
            uses=[UseRead.of(u.use, u.target_label) for u in d.uses],
        )


class NewPiece(BaseModel):
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    summary_zh: str = Field(max_length=1000)
    summary_en: str = Field(max_length=1000)
    topics: list[str] = Field(default=["family"], max_length=8)
    kind: str = Field(default="insight", max_length=16)


class UseCreate(BaseModel):
    target_kind: str = Field(max_length=16, description="content_piece or message")
    piece_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="content_piece: an existing piece"
    )
    new_piece: NewPiece | None = Field(
        default=None, description="content_piece: a new piece carrying the story"
    )
    client_no: str | None = Field(
        default=None, max_length=32, description="message: the recipient (your book)"
    )
    channel: str = Field(default="in_app", max_length=16, description="message: email, sms, wecom or in_app")


class WithdrawalCreate(BaseModel):
    reason: str = Field(max_length=td.REASON_MAX)


class RevokedRead(BaseModel):
    uses: int
    pieces: int
    messages_cancelled: int
    messages_already_sent: int

    @classmethod
    def of(cls, r: Revoked) -> RevokedRead:
        return cls(uses=r.uses, pieces=r.pieces, messages_cancelled=r.messages_cancelled,
                   messages_already_sent=r.messages_already_sent)  # fmt: skip


class SweepRead(BaseModel):
    on: date
    testimonials: int = Field(description="expired stories whose uses were revoked now")
    revoked: RevokedRead

    @classmethod
    def of(cls, on: date, s: Swept) -> SweepRead:
        return cls(on=on, testimonials=s.testimonials, revoked=RevokedRead.of(s.revoked))
