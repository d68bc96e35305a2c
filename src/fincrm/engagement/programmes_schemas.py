"""Shapes of tier benefits, partners, offers and referrals handed to the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fincrm.engagement import programmes_domain as domain
from fincrm.engagement.programmes import (
    ClientBenefits,
    Conversion,
    OfferView,
    ReferralView,
    Usage,
)
from fincrm.engagement.programmes_domain import Catalogue, Partner
from fincrm.engagement.programmes_models import BenefitRedemption, PartnerReferral


class RedemptionCreate(BaseModel):
    quantity: int = Field(1, ge=1, le=domain.QUANTITY_MAX, description="uses")
    used_on: date | None = Field(None, description="business date of the use; today when absent")
    note: str = Field("", max_length=domain.NOTE_MAX)


class RedemptionRead(BaseModel):
    id: int
    benefit_key: str
    tier: str
    used_on: date
    quantity: int
    note: str
    recorded_at: datetime

    @classmethod
    def of(cls, r: BenefitRedemption) -> RedemptionRead:
        return cls(id=r.id, benefit_key=r.benefit_key, tier=r.tier, used_on=r.used_on, quantity=r.quantity,
                   note=r.note, recorded_at=r.recorded_at)  # fmt: skip


class EntitlementRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    allowance_per_year: int | None = Field(description="uses per calendar year; null: no limit")
    used: int = Field(description="uses this calendar year")
    remaining: int | None = Field(description="uses left this year; null: no limit")


class ClientBenefitsRead(BaseModel):
    client_no: str
    tier: str | None
    year: int
    entitlements: list[EntitlementRead]
    redemptions: list[RedemptionRead]

    @classmethod
    def of(cls, c: ClientBenefits) -> ClientBenefitsRead:
        return cls(
            client_no=c.party_no, tier=c.tier, year=c.year,
            entitlements=[EntitlementRead(
                key=e.benefit.key, name_zh=e.benefit.name_zh, name_en=e.benefit.name_en,
                description_zh=e.benefit.description_zh, description_en=e.benefit.description_en,
                allowance_per_year=e.benefit.allowance_per_year, used=e.used, remaining=e.remaining,
            ) for e in c.entitlements],
            redemptions=[RedemptionRead.of(r) for r in c.redemptions],
        )  # fmt: skip


class TierUsageRead(BaseModel):
    tier: str
    benefits: int
    entitled: int
    used: int
    redemptions: int
    quantity: int
    rate: float | None = Field(description="clients who used / clients entitled (fraction)")


class BenefitUsageRead(BaseModel):
    tier: str
    key: str
    allowance_per_year: int | None
    clients: int
    redemptions: int
    quantity: int


class UsageRead(BaseModel):
    year: int
    tiers: list[TierUsageRead]
    benefits: list[BenefitUsageRead]

    @classmethod
    def of(cls, u: Usage) -> UsageRead:
        return cls(
            year=u.year,
            tiers=[TierUsageRead(tier=t.tier, benefits=t.benefits, entitled=t.entitled, used=t.used,
                                 redemptions=t.redemptions, quantity=t.quantity, rate=t.rate) for t in u.tiers],
            benefits=[BenefitUsageRead(tier=b.tier, key=b.benefit.key, allowance_per_year=b.benefit.allowance_per_year,
                                       clients=b.clients, redemptions=b.redemptions, quantity=b.quantity)
                      for b in u.benefits],
        )  # fmt: skip


class PartnerRead(BaseModel):
    key: str
    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    contact: str

    @classmethod
    def of(cls, p: Partner) -> PartnerRead:
        return cls(key=p.key, kind=p.kind, name_zh=p.name_zh, name_en=p.name_en, description_zh=p.description_zh,
                   description_en=p.description_en, contact=p.contact)  # fmt: skip


class BundleItemRead(BaseModel):
    name_zh: str
    name_en: str
    partner: str = Field(description="partner key; empty for the bank's own product")


class BundleRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    signals: list[str]
    tiers: list[str] = Field(description="empty: every tier")
    items: list[BundleItemRead]


class CatalogueRead(BaseModel):
    partners: list[PartnerRead]
    bundles: list[BundleRead]

    @classmethod
    def of(cls, c: Catalogue) -> CatalogueRead:
        return cls(
            partners=[PartnerRead.of(p) for p in c.partners.values()],
            bundles=[BundleRead(
                key=b.key, name_zh=b.name_zh, name_en=b.name_en, description_zh=b.description_zh,
                description_en=b.description_en, signals=list(b.signals), tiers=list(b.tiers),
                items=[BundleItemRead(name_zh=i.name_zh, name_en=i.name_en, partner=i.partner) for i in b.items],
            ) for b in c.bundles.values()],
        )  # fmt: skip


class ReferralRead(BaseModel):
    id: int
    client_no: str
    partner_key: str
    offer_id: int | None
    status: str
    note: str
    referred_at: datetime
    contacted_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, r: PartnerReferral, client_no: str) -> ReferralRead:
        return cls(id=r.id, client_no=client_no, partner_key=r.partner_key, offer_id=r.offer_id, status=r.status,
                   note=r.note, referred_at=r.referred_at, contacted_at=r.contacted_at, closed_at=r.closed_at)  # fmt: skip

    @classmethod
    def of_view(cls, v: ReferralView) -> ReferralRead:
        return cls.of(v.referral, v.party_no)


class OfferRead(BaseModel):
    id: int
    client_no: str
    bundle_key: str
    partner_key: str
    name_zh: str
    name_en: str
    signal_kind: str
    signal_on: date | None
    task_id: int | None
    status: str
    note: str
    created_at: datetime
    updated_at: datetime
    items: list[BundleItemRead]
    referrals: list[ReferralRead]

    @classmethod
    def of(cls, v: OfferView) -> OfferRead:
        o = v.offer
        return cls(
            id=o.id, client_no=v.party_no, bundle_key=o.bundle_key, partner_key=o.partner_key, name_zh=v.name_zh,
            name_en=v.name_en, signal_kind=o.signal_kind, signal_on=o.signal_on, task_id=o.task_id, status=o.status,
            note=o.note, created_at=o.created_at, updated_at=o.updated_at,
            items=[BundleItemRead(name_zh=i.name_zh, name_en=i.name_en, partner=i.partner) for i in v.items],
            referrals=[ReferralRead.of(r, v.party_no) for r in v.referrals],
        )  # fmt: skip


class StatusChange(BaseModel):
    status: str = Field(max_length=16, description="offers: presented, accepted, declined; referrals: "
                        "contacted, converted, lost")  # fmt: skip
    note: str = Field("", max_length=domain.NOTE_MAX)


class OfferReferralCreate(BaseModel):
    partner_key: str | None = Field(
        None, max_length=64, description="one partner of the offer; all when absent"
    )
    client_consented: bool = Field(description="the client agreed to be introduced to the partner (PIPL)")
    note: str = Field("", max_length=domain.NOTE_MAX)


class ReferralCreate(BaseModel):
    partner_key: str = Field(min_length=1, max_length=64)
    client_consented: bool = Field(description="the client agreed to be introduced to the partner (PIPL)")
    note: str = Field("", max_length=domain.NOTE_MAX)


class ConversionRead(BaseModel):
    partner_key: str
    kind: str
    name_zh: str
    name_en: str
    referrals: int
    contacted: int
    converted: int
    lost: int
    rate: float | None = Field(description="converted / referrals (fraction)")

    @classmethod
    def of(cls, c: Conversion) -> ConversionRead:
        p = c.partner
        return cls(
            partner_key=c.partner_key, kind=p.kind if p else "", name_zh=p.name_zh if p else c.partner_key,
            name_en=p.name_en if p else c.partner_key, referrals=c.referrals, contacted=c.contacted,
            converted=c.converted, lost=c.lost, rate=c.rate,
        )  # fmt: skip


class OffersMadeRead(BaseModel):
    made: int
    existing: int
    unknown: int
