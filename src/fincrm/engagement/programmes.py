"""Tier benefits and ecosystem partners: use cases.

- Benefits: a client's entitlements are the benefits of their current tier (the intelligence
  catalogue, ``FINCRM_BENEFITS_PATH`` or the built-in one), each with its yearly allowance and what
  is left of it this calendar year (business time zone); an RM records a redemption (refused when
  the benefit is not in the tier or the allowance is used up); usage per tier over the reader's book.
- Partners: the partner catalogue (``partners.yaml`` or a file passed by path) with bundles triggered
  by life-stage signals; offers made from the clients' open signals and from rule tasks of action
  ``offer`` (once per key); offer status; referrals of a client to a partner, from an accepted
  offer or by hand, with the client's consent; conversion per partner.

Each function takes the session first and changes state in the caller's transaction, audited there.
Reads and writes are scoped to the caller's book (``readable_parties``); writes need a role that
changes client records (RM, team lead).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal
from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import LifeEvent, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ClientSignal, ProfileVersion
from fincrm.clients.repository import readable_parties
from fincrm.clients.service import readable_party
from fincrm.config import Settings
from fincrm.engagement import programmes_domain as domain
from fincrm.engagement.models import OPEN, Task
from fincrm.engagement.programmes_domain import Bundle, BundleItem, Catalogue, Partner
from fincrm.engagement.programmes_models import BenefitRedemption, PartnerOffer, PartnerReferral
from fincrm.errors import FieldError, InputError, NotFound, PermissionDenied
from fincrm.intelligence.benefits import Benefit, load_benefits
from fincrm.intelligence.domain import TIERS

MAX_ID = 2**63 - 1
PARTNERS_PATH = Path(__file__).with_name("partners.yaml")
OFFER_WINDOW_DAYS = 180  # a signal detected up to this many days before the run is still open
LIST_LIMIT = 200  # rows of an offers or referrals list
CHUNK = 5_000  # keys per IN list (PostgreSQL allows 65,535 parameters a statement)
REDEMPTIONS_SHOWN = 20  # a client's latest redemptions on the 360

_PARTNERS: dict[tuple[str, float], Catalogue] = {}


def load_partners(path: Path | None = None) -> Catalogue:
    """The partner catalogue (the shipped ``partners.yaml`` when ``path`` is None), parsed once per
    file version (modification time).

    Raises
    ------
    InputError
        The file cannot be read, is not YAML or breaks the format (located as file, line, field).

    Examples
    --------
    >>> sorted(load_partners().bundles)[:2]
    ['education_path', 'new_home']
    """
    path = PARTNERS_PATH if path is None else Path(path)
    try:
        stamp = (str(path), path.stat().st_mtime)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the partner catalogue {path}: {exc.strerror}",
            errors=[FieldError((str(path),), "file not readable")],
        ) from exc
    if stamp not in _PARTNERS:
        _PARTNERS.clear()
        _PARTNERS[stamp] = domain.parse_catalogue(text, str(path))
    return _PARTNERS[stamp]


def _today(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def _writer(session: Session, principal: Principal, party_no: str) -> Party:
    """The client, if the principal reads it (else NotFound) and changes client records (else 403)."""
    party = readable_party(session, principal, party_no)
    if not principal.changes_client_data:
        raise PermissionDenied("your role may read this client but not change its records")
    return party


def _current_version(session: Session) -> int | None:
    return session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))


def _tier_of(session: Session, party_id: int) -> str | None:
    version = _current_version(session)
    profile = session.get(ClientProfile, (version, party_id)) if version is not None else None
    return profile.tier if profile is not None else None


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ----- benefits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entitlement:
    benefit: Benefit
    used: int  # uses this calendar year
    remaining: int | None  # None: no yearly limit


@dataclass(frozen=True)
class ClientBenefits:
    party_no: str
    client_name: str
    tier: str | None  # None before the first batch run
    year: int
    entitlements: list[Entitlement]
    redemptions: list[BenefitRedemption]  # latest first
    names: dict[str, Benefit]  # every benefit of the catalogue by key (a use may predate a tier change)


def client_benefits(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, now: datetime
) -> ClientBenefits:
    """The benefits of the client's current tier with what is left of each this year, and the
    client's latest redemptions (NotFound outside the reader's book)."""
    party = readable_party(session, principal, party_no)
    tier = _tier_of(session, party.id)
    year = _today(settings, now).year
    used = dict(session.execute(
        select(BenefitRedemption.benefit_key, func.sum(BenefitRedemption.quantity))
        .where(BenefitRedemption.party_id == party.id, BenefitRedemption.used_on >= date(year, 1, 1),
               BenefitRedemption.used_on <= date(year, 12, 31))
        .group_by(BenefitRedemption.benefit_key)
    ).all())  # fmt: skip
    catalogue = load_benefits(settings.benefits_path)
    benefits = catalogue[tier] if tier in TIERS else []
    entitlements = [
        Entitlement(b, int(used.get(b.key) or 0), domain.remaining(b.allowance_per_year, int(used.get(b.key) or 0)))
        for b in benefits
    ]  # fmt: skip
    latest = list(session.scalars(
        select(BenefitRedemption).where(BenefitRedemption.party_id == party.id)
        .order_by(BenefitRedemption.used_on.desc(), BenefitRedemption.id.desc()).limit(REDEMPTIONS_SHOWN)
    ))  # fmt: skip
    names = {b.key: b for listed in catalogue.values() for b in listed}
    return ClientBenefits(party.party_no, party.name, tier, year, entitlements, latest, names)


def redeem_benefit(
    session: Session, principal: Principal, settings: Settings, party_no: str, benefit_key: str, *,
    quantity: int = 1, used_on: date | None = None, note: str = "", now: datetime,
) -> BenefitRedemption:  # fmt: skip
    """Record that a client used a benefit of their tier (``quantity`` uses on ``used_on``, today by
    default), audited.

    Raises
    ------
    InputError
        The benefit is not in the client's current tier, the yearly allowance would be exceeded,
        the date is in the future or before last year, or the note is too long (all reported at once).
    NotFound
        The client is not in the caller's book.
    PermissionDenied
        The role changes no client records (compliance, admin).
    """
    party = _writer(session, principal, party_no)
    # Serialise redemptions of one client so two at once cannot both take the last use.
    session.execute(select(Party.id).where(Party.id == party.id).with_for_update())
    today = _today(settings, now)
    day = used_on or today
    tier = _tier_of(session, party.id)
    benefits = load_benefits(settings.benefits_path)[tier] if tier in TIERS else []
    benefit = next((b for b in benefits if b.key == benefit_key), None)
    used = session.scalar(
        select(func.coalesce(func.sum(BenefitRedemption.quantity), 0)).where(
            BenefitRedemption.party_id == party.id, BenefitRedemption.benefit_key == benefit_key,
            BenefitRedemption.used_on >= date(day.year, 1, 1), BenefitRedemption.used_on <= date(day.year, 12, 31),
        )
    )  # fmt: skip
    problems = domain.redemption_problems(
        benefit_key=benefit_key, tier=tier, tier_benefits=tuple(b.key for b in benefits),
        allowance=benefit.allowance_per_year if benefit else None, used=int(used or 0), quantity=quantity,
        used_on=day, today=today, note=note,
    )  # fmt: skip
    if problems:
        raise InputError("the benefit cannot be redeemed as given", errors=problems)
    assert tier is not None
    redemption = BenefitRedemption(
        party_id=party.id, benefit_key=benefit_key, tier=tier, used_on=day, quantity=quantity,
        note=note.strip(), recorded_by_id=principal.user_id, recorded_at=now,
    )  # fmt: skip
    session.add(redemption)
    session.flush()
    audit.append(session, principal, "benefit.redeem", at=now, party_id=party.id,
                 detail=f"redemption {redemption.id}: {benefit_key} x{quantity} on {day.isoformat()}")  # fmt: skip
    return redemption


@dataclass(frozen=True)
class TierUsage:
    tier: str
    benefits: int  # benefits in the tier's catalogue
    entitled: int  # clients of the reader's book now in the tier (0 when the tier has no benefits)
    used: int  # of those, clients who used a benefit of the tier this year
    redemptions: int
    quantity: int  # uses
    rate: float | None  # used / entitled


@dataclass(frozen=True)
class BenefitUsage:
    tier: str
    benefit: Benefit
    clients: int  # clients who used it this year
    redemptions: int
    quantity: int


@dataclass(frozen=True)
class Usage:
    year: int
    tiers: list[TierUsage]
    benefits: list[BenefitUsage]


def benefits_usage(
    session: Session, principal: Principal, settings: Settings, *, year: int | None = None, now: datetime
) -> Usage:
    """Usage per tier over the reader's book for a calendar year (this one by default): clients
    entitled (now in the tier), clients who used a benefit of it, redemptions, uses and the rate.

    A redemption counts for the tier the client had when it was recorded; ``entitled`` is today's
    tier membership, so the rate is "share of today's tier that used a benefit this year".
    """
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    year = year or _today(settings, now).year
    catalogue = load_benefits(settings.benefits_path)
    version = _current_version(session)
    members: dict[str, int] = {}
    if version is not None:
        members = dict(session.execute(
            select(ClientProfile.tier, func.count()).join(Party, Party.id == ClientProfile.party_id)
            .where(ClientProfile.version_id == version, readable_parties(principal)).group_by(ClientProfile.tier)
        ).all())  # fmt: skip
    in_year = (BenefitRedemption.used_on >= date(year, 1, 1), BenefitRedemption.used_on <= date(year, 12, 31))
    base = select(BenefitRedemption.tier, BenefitRedemption.benefit_key).join(
        Party, Party.id == BenefitRedemption.party_id
    )
    per_benefit = {
        (t, k): (int(c), int(n), int(q or 0))
        for t, k, c, n, q in session.execute(
            base.add_columns(func.count(func.distinct(BenefitRedemption.party_id)), func.count(),
                             func.sum(BenefitRedemption.quantity))
            .where(*in_year, readable_parties(principal))
            .group_by(BenefitRedemption.tier, BenefitRedemption.benefit_key)
        )
    }  # fmt: skip
    users = dict(session.execute(
        select(BenefitRedemption.tier, func.count(func.distinct(BenefitRedemption.party_id)))
        .join(Party, Party.id == BenefitRedemption.party_id)
        .where(*in_year, readable_parties(principal)).group_by(BenefitRedemption.tier)
    ).all())  # fmt: skip
    tiers, benefits = [], []
    for tier in TIERS:
        listed = catalogue[tier]
        entitled = int(members.get(tier, 0)) if listed else 0
        rows = [(b, per_benefit.get((tier, b.key), (0, 0, 0))) for b in listed]
        redemptions = sum(n for (t, _k), (_c, n, _q) in per_benefit.items() if t == tier)
        quantity = sum(q for (t, _k), (_c, _n, q) in per_benefit.items() if t == tier)
        used = int(users.get(tier, 0))
        tiers.append(TierUsage(tier, len(listed), entitled, used, redemptions, quantity,
                               domain.rate(used, entitled)))  # fmt: skip
        benefits.extend(BenefitUsage(tier, b, c, n, q) for b, (c, n, q) in rows)
    return Usage(year, tiers, benefits)


# ----- offers --------------------------------------------------------------------------------


@dataclass
class OffersMade:
    made: int = 0
    existing: int = 0  # already made by an earlier run
    unknown: int = 0  # tasks naming no bundle or partner of the catalogue


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(sorted(set(keys))):
        found.update(
            session.scalars(
                select(PartnerOffer.idempotency_key).where(PartnerOffer.idempotency_key.in_(part))
            )
        )
    return found


def make_offers(
    session: Session, settings: Settings, *, on: date, now: datetime, partners_path: Path | None = None
) -> OffersMade:
    """Offer every bundle a client's open signals trigger (signals of the current batch version and
    recorded life events of the last ``OFFER_WINDOW_DAYS`` days up to ``on``), once per client, bundle
    and signal occurrence: rerunning adds nothing.

    Examples
    --------
    See ``tests/integration/engagement/test_programmes.py`` (needs a store).
    """
    catalogue = load_partners(partners_path)
    since = on - timedelta(days=OFFER_WINDOW_DAYS)
    version = _current_version(session)
    tiers: dict[int, str] = {}
    rows: list[tuple[int, str, str, date]] = []  # party id, party no, kind, detected on
    if version is not None:
        rows += [tuple(r) for r in session.execute(
            select(Party.id, Party.party_no, ClientSignal.kind, ClientSignal.detected_on)
            .join(Party, Party.id == ClientSignal.party_id)
            .where(ClientSignal.version_id == version, ClientSignal.detected_on.between(since, on))
        )]  # fmt: skip
    rows += [
        (pid, no, getattr(kind, "value", kind), occurred)
        for pid, no, kind, occurred in session.execute(
            select(Party.id, Party.party_no, LifeEvent.kind, LifeEvent.occurred_on)
            .join(Party, Party.id == LifeEvent.party_id)
            .where(LifeEvent.occurred_on.between(since, on))
        )
    ]
    if version is not None and rows:
        for part in _chunks(sorted({r[0] for r in rows})):
            tiers.update((pid, tier) for pid, tier in session.execute(
                select(ClientProfile.party_id, ClientProfile.tier)
                .where(ClientProfile.version_id == version, ClientProfile.party_id.in_(part))
            ))  # fmt: skip
    planned: dict[str, tuple[int, str, str, date]] = {}
    for party_id, party_no, kind, detected_on in rows:
        for bundle in catalogue.bundles_for(kind, tiers.get(party_id)):
            planned.setdefault(domain.offer_key(bundle.key, party_no, kind, detected_on),
                               (party_id, bundle.key, kind, detected_on))  # fmt: skip
    existing = _existing_keys(session, list(planned))
    out = OffersMade(existing=len(existing))
    for key, (party_id, bundle_key, kind, detected_on) in sorted(planned.items()):
        if key in existing:
            continue
        session.add(PartnerOffer(
            idempotency_key=key, party_id=party_id, bundle_key=bundle_key, partner_key="", signal_kind=kind,
            signal_on=detected_on, status=domain.PROPOSED, note="", created_at=now, updated_at=now,
        ))  # fmt: skip
        out.made += 1
    session.flush()
    return out


def _evidence_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def offers_from_tasks(
    session: Session, settings: Settings, *, now: datetime, partners_path: Path | None = None
) -> OffersMade:
    """Turn open rule tasks of action ``offer`` into offers: the action's ``partner`` names a bundle
    (a bundle offer) or a partner (that partner's offer). A task from a life-stage signal gets the
    same key as the signal's own offer, so the two paths never offer twice; rerunning adds nothing.
    """
    catalogue = load_partners(partners_path)
    done = set(session.scalars(select(PartnerOffer.task_id).where(PartnerOffer.task_id.is_not(None))))
    tasks = [
        t for t in session.execute(
            select(Task.id, Task.party_id, Task.evidence, Party.party_no).join(Party, Party.id == Task.party_id)
            .where(Task.status == OPEN, Task.evidence.like('%"offer"%'))  # narrowed below, whatever the JSON spacing
        )
        if t.id not in done
    ]  # fmt: skip
    out = OffersMade()
    planned: dict[str, dict[str, Any]] = {}
    for task_id, party_id, evidence, party_no in tasks:
        ev = json.loads(evidence or "{}")
        if ev.get("action") != "offer":
            continue
        name, kind, day = (
            str(ev.get("partner") or ""),
            str(ev.get("kind") or ""),
            _evidence_day(ev.get("detected_on")),
        )
        if name in catalogue.bundles:
            key = domain.offer_key(name, party_no, kind, day) if kind and day else f"offer:task:{task_id}"
            values = {"bundle_key": name, "partner_key": ""}
        elif name in catalogue.partners:
            key, values = f"offer:task:{task_id}", {"bundle_key": "", "partner_key": name}
        else:
            out.unknown += 1
            continue
        planned.setdefault(key, {**values, "party_id": party_id, "task_id": task_id, "signal_kind": kind[:32],
                                 "signal_on": day})  # fmt: skip
    existing = _existing_keys(session, list(planned))
    for key, values in sorted(planned.items()):
        if key in existing:
            # the signal's offer exists: link the task to it once, so it is not looked at again
            offer = session.scalars(select(PartnerOffer).where(PartnerOffer.idempotency_key == key)).one()
            if offer.task_id is None:
                offer.task_id = values["task_id"]
            out.existing += 1
            continue
        session.add(PartnerOffer(idempotency_key=key, status=domain.PROPOSED, note="", created_at=now,
                                 updated_at=now, **values))  # fmt: skip
        out.made += 1
    session.flush()
    return out


def run_offers(
    session: Session, settings: Settings, *, on: date, now: datetime, partners_path: Path | None = None
) -> OffersMade:
    """The daily step: offers from open signals, then from open ``offer`` tasks (audited once)."""
    signals = make_offers(session, settings, on=on, now=now, partners_path=partners_path)
    tasks = offers_from_tasks(session, settings, now=now, partners_path=partners_path)
    out = OffersMade(signals.made + tasks.made, signals.existing + tasks.existing, tasks.unknown)
    audit.append(session, None, "offers.make", at=now, actor="system",
                 detail=f"{on}: {out.made} offers made, {out.existing} already made, {out.unknown} tasks "
                        "naming no bundle or partner")  # fmt: skip
    return out


@dataclass(frozen=True)
class OfferView:
    offer: PartnerOffer
    party_no: str
    client_name: str
    name_zh: str
    name_en: str
    items: tuple[BundleItem, ...]
    partners: tuple[Partner, ...]
    referrals: list[PartnerReferral] = field(default_factory=list)


def _describe(
    catalogue: Catalogue, offer: PartnerOffer
) -> tuple[str, str, tuple[BundleItem, ...], tuple[Partner, ...]]:
    """Names, items and partners of an offer; a key gone from the catalogue still shows as itself."""
    bundle: Bundle | None = catalogue.bundles.get(offer.bundle_key) if offer.bundle_key else None
    if bundle is not None:
        partners = tuple(catalogue.partners[k] for k in bundle.partners if k in catalogue.partners)
        return bundle.name_zh, bundle.name_en, bundle.items, partners
    partner = catalogue.partners.get(offer.partner_key)
    if partner is not None:
        return (
            partner.name_zh,
            partner.name_en,
            (BundleItem(partner.name_zh, partner.name_en, partner.key),),
            (partner,),
        )
    key = offer.bundle_key or offer.partner_key
    return key, key, (), ()


def _views(session: Session, catalogue: Catalogue, rows: list[Any]) -> list[OfferView]:
    ids = [offer.id for offer, _no, _name in rows]
    referrals: dict[int, list[PartnerReferral]] = {}
    for part in _chunks(ids):
        for r in session.scalars(select(PartnerReferral).where(PartnerReferral.offer_id.in_(part))
                                 .order_by(PartnerReferral.id)):  # fmt: skip
            referrals.setdefault(r.offer_id or 0, []).append(r)
    out = []
    for offer, party_no, name in rows:
        zh, en, items, partners = _describe(catalogue, offer)
        out.append(OfferView(offer, party_no, name, zh, en, items, partners, referrals.get(offer.id, [])))
    return out


def list_offers(
    session: Session, principal: Principal, *, party_no: str | None = None, status: str | None = None,
    limit: int = LIST_LIMIT, partners_path: Path | None = None,
) -> list[OfferView]:  # fmt: skip
    """Offers of the reader's book (or of one client), open ones first, newest first."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    if status is not None and status not in domain.OFFER_STATUSES:
        raise InputError("unknown offer status",
                         errors=[FieldError(("status",), f"one of {', '.join(domain.OFFER_STATUSES)}", status)])  # fmt: skip
    stmt = select(PartnerOffer, Party.party_no, Party.name).join(Party, Party.id == PartnerOffer.party_id)
    if party_no is not None:
        stmt = stmt.where(PartnerOffer.party_id == readable_party(session, principal, party_no).id)
    else:
        stmt = stmt.where(readable_parties(principal))
    if status is not None:
        stmt = stmt.where(PartnerOffer.status == status)
    open_first = PartnerOffer.status.in_((domain.PROPOSED, domain.PRESENTED)).desc()
    rows = session.execute(
        stmt.order_by(open_first, PartnerOffer.created_at.desc(), PartnerOffer.id.desc()).limit(limit)
    ).all()
    return _views(session, load_partners(partners_path), list(rows))


def offer_view(
    session: Session, principal: Principal, offer_id: int, *, partners_path: Path | None = None
) -> OfferView:
    """One offer of the reader's book with its referrals (NotFound otherwise)."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    row = None
    if 1 <= offer_id <= MAX_ID:
        row = session.execute(
            select(PartnerOffer, Party.party_no, Party.name).join(Party, Party.id == PartnerOffer.party_id)
            .where(PartnerOffer.id == offer_id, readable_parties(principal))
        ).one_or_none()  # fmt: skip
    if row is None:
        raise NotFound(f"no offer {offer_id} in your book")
    return _views(session, load_partners(partners_path), [row])[0]


def _offer(session: Session, principal: Principal, offer_id: int) -> tuple[PartnerOffer, Party]:
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    row = None
    if 1 <= offer_id <= MAX_ID:
        row = session.execute(
            select(PartnerOffer, Party).join(Party, Party.id == PartnerOffer.party_id)
            .where(PartnerOffer.id == offer_id, readable_parties(principal))
        ).one_or_none()  # fmt: skip
    if row is None:
        raise NotFound(f"no offer {offer_id} in your book")
    if not principal.changes_client_data:
        raise PermissionDenied("your role may read this client but not change its records")
    return row[0], row[1]


def set_offer_status(
    session: Session, principal: Principal, offer_id: int, *, status: str, note: str = "", now: datetime
) -> PartnerOffer:
    """Move an offer on: proposed -> presented -> accepted | declined (audited)."""
    offer, party = _offer(session, principal, offer_id)
    problems = []
    if (problem := domain.transition_problem("offer", offer.status, status)) is not None:
        problems.append(problem)
    if len(note) > domain.NOTE_MAX:
        problems.append(FieldError(("note",), f"at most {domain.NOTE_MAX} characters", note[:80]))
    if problems:
        raise InputError(f"offer {offer.id} cannot become {status}", errors=problems)
    before = offer.status
    offer.status, offer.updated_at, offer.updated_by_id = status, now, principal.user_id
    if note.strip():
        offer.note = note.strip()
    audit.append(session, principal, "offer.status", at=now, party_id=party.id,
                 detail=f"offer {offer.id} ({offer.bundle_key or offer.partner_key}): {before} -> {status}")  # fmt: skip
    return offer


def _consent_problem(client_consented: bool) -> FieldError | None:
    # PIPL art. 23: giving a client's details to another handler needs the client's separate consent.
    if client_consented:
        return None
    return FieldError(
        ("client_consented",), "confirm the client agreed to be introduced to the partner", False
    )


def _new_referral(
    session: Session, principal: Principal, *, party: Party, partner_key: str, offer_id: int | None, note: str,
    now: datetime,
) -> PartnerReferral:  # fmt: skip
    referral = PartnerReferral(
        party_id=party.id, partner_key=partner_key, offer_id=offer_id, status=domain.REFERRED, note=note.strip(),
        referred_by_id=principal.user_id, referred_at=now, updated_at=now,
    )  # fmt: skip
    session.add(referral)
    session.flush()
    audit.append(session, principal, "referral.create", at=now, party_id=party.id,
                 detail=f"referral {referral.id}: {partner_key}" + (f" from offer {offer_id}" if offer_id else ""))  # fmt: skip
    return referral


def refer_from_offer(
    session: Session, principal: Principal, offer_id: int, *, partner_key: str | None = None,
    client_consented: bool, note: str = "", now: datetime, partners_path: Path | None = None,
) -> list[PartnerReferral]:  # fmt: skip
    """Refer the client of an accepted offer to its partners (one, or every partner not yet referred),
    with the client's consent to be introduced; audited.

    Raises
    ------
    InputError
        The offer is not accepted, the partner is not part of it or already referred, no consent.
    """
    offer, party = _offer(session, principal, offer_id)
    _zh, _en, _items, partners = _describe(load_partners(partners_path), offer)
    keys = [p.key for p in partners]
    done = set(
        session.scalars(select(PartnerReferral.partner_key).where(PartnerReferral.offer_id == offer.id))
    )
    problems = []
    if offer.status != domain.ACCEPTED:
        problems.append(FieldError(("status",), "refer only from an accepted offer", offer.status))
    if partner_key is not None and partner_key not in keys:
        problems.append(FieldError(("partner_key",), f"one of the offer's partners: {', '.join(keys) or 'none'}",
                                   partner_key))  # fmt: skip
    wanted = [k for k in ([partner_key] if partner_key else keys) if k not in done]
    if not problems and not wanted:
        problems.append(FieldError(("partner_key",), "already referred", partner_key or ", ".join(keys)))
    if (consent := _consent_problem(client_consented)) is not None:
        problems.append(consent)
    if len(note) > domain.NOTE_MAX:
        problems.append(FieldError(("note",), f"at most {domain.NOTE_MAX} characters", note[:80]))
    if problems:
        raise InputError(f"the client of offer {offer.id} cannot be referred as given", errors=problems)
    return [
        _new_referral(session, principal, party=party, partner_key=k, offer_id=offer.id, note=note, now=now)
        for k in wanted
    ]


def refer_client(
    session: Session, principal: Principal, party_no: str, *, partner_key: str, client_consented: bool,
    note: str = "", now: datetime, partners_path: Path | None = None,
) -> PartnerReferral:  # fmt: skip
    """Refer a client to a partner by hand (no offer), with the client's consent; audited."""
    party = _writer(session, principal, party_no)
    catalogue = load_partners(partners_path)
    problems = []
    if partner_key not in catalogue.partners:
        problems.append(FieldError(("partner_key",), f"one of {', '.join(catalogue.partners)}", partner_key))
    if (consent := _consent_problem(client_consented)) is not None:
        problems.append(consent)
    if len(note) > domain.NOTE_MAX:
        problems.append(FieldError(("note",), f"at most {domain.NOTE_MAX} characters", note[:80]))
    if problems:
        raise InputError("the client cannot be referred as given", errors=problems)
    return _new_referral(
        session, principal, party=party, partner_key=partner_key, offer_id=None, note=note, now=now
    )


def set_referral_status(
    session: Session, principal: Principal, referral_id: int, *, status: str, note: str = "", now: datetime
) -> PartnerReferral:
    """Move a referral on: referred -> contacted -> converted | lost, with the dates (audited)."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    referral = None
    if 1 <= referral_id <= MAX_ID:
        referral = session.scalars(
            select(PartnerReferral).join(Party, Party.id == PartnerReferral.party_id)
            .where(PartnerReferral.id == referral_id, readable_parties(principal))
        ).one_or_none()  # fmt: skip
    if referral is None:
        raise NotFound(f"no referral {referral_id} in your book")
    if not principal.changes_client_data:
        raise PermissionDenied("your role may read this client but not change its records")
    problems = []
    if (problem := domain.transition_problem("referral", referral.status, status)) is not None:
        problems.append(problem)
    if len(note) > domain.NOTE_MAX:
        problems.append(FieldError(("note",), f"at most {domain.NOTE_MAX} characters", note[:80]))
    if problems:
        raise InputError(f"referral {referral.id} cannot become {status}", errors=problems)
    before = referral.status
    referral.status, referral.updated_at = status, now
    if status == domain.CONTACTED:
        referral.contacted_at = now
    elif status in (domain.CONVERTED, domain.LOST):
        referral.closed_at = now
    if note.strip():
        referral.note = note.strip()
    audit.append(session, principal, "referral.status", at=now, party_id=referral.party_id,
                 detail=f"referral {referral.id} ({referral.partner_key}): {before} -> {status}")  # fmt: skip
    return referral


@dataclass(frozen=True)
class ReferralView:
    referral: PartnerReferral
    party_no: str
    client_name: str
    partner: Partner | None  # None when the key is gone from the catalogue


def list_referrals(
    session: Session, principal: Principal, *, party_no: str | None = None, status: str | None = None,
    partner_key: str | None = None, limit: int = LIST_LIMIT, partners_path: Path | None = None,
) -> list[ReferralView]:  # fmt: skip
    """Referrals of the reader's book (or of one client), open ones first, newest first."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    if status is not None and status not in domain.REFERRAL_STATUSES:
        raise InputError("unknown referral status",
                         errors=[FieldError(("status",), f"one of {', '.join(domain.REFERRAL_STATUSES)}", status)])  # fmt: skip
    stmt = select(PartnerReferral, Party.party_no, Party.name).join(
        Party, Party.id == PartnerReferral.party_id
    )
    if party_no is not None:
        stmt = stmt.where(PartnerReferral.party_id == readable_party(session, principal, party_no).id)
    else:
        stmt = stmt.where(readable_parties(principal))
    if status is not None:
        stmt = stmt.where(PartnerReferral.status == status)
    if partner_key is not None:
        stmt = stmt.where(PartnerReferral.partner_key == partner_key)
    open_first = PartnerReferral.status.in_((domain.REFERRED, domain.CONTACTED)).desc()
    rows = session.execute(
        stmt.order_by(open_first, PartnerReferral.referred_at.desc(), PartnerReferral.id.desc()).limit(limit)
    ).all()
    partners = load_partners(partners_path).partners
    return [ReferralView(r, no, name, partners.get(r.partner_key)) for r, no, name in rows]


def referral_view(
    session: Session, principal: Principal, referral_id: int, *, partners_path: Path | None = None
) -> ReferralView:
    """One referral of the reader's book (NotFound otherwise)."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    row = None
    if 1 <= referral_id <= MAX_ID:
        row = session.execute(
            select(PartnerReferral, Party.party_no, Party.name).join(Party, Party.id == PartnerReferral.party_id)
            .where(PartnerReferral.id == referral_id, readable_parties(principal))
        ).one_or_none()  # fmt: skip
    if row is None:
        raise NotFound(f"no referral {referral_id} in your book")
    referral, party_no, name = row
    return ReferralView(
        referral, party_no, name, load_partners(partners_path).partners.get(referral.partner_key)
    )


@dataclass(frozen=True)
class Conversion:
    partner_key: str
    partner: Partner | None
    referrals: int
    contacted: int  # still being worked on
    converted: int
    lost: int
    rate: float | None  # converted / referrals


def conversion_by_partner(
    session: Session, principal: Principal, *, partners_path: Path | None = None
) -> list[Conversion]:
    """Per partner over the reader's book: referrals, how many converted or were lost, and the
    conversion rate (converted over all referrals). Every catalogue partner has a row."""
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")
    counts: dict[str, dict[str, int]] = {}
    for key, status, n in session.execute(
        select(PartnerReferral.partner_key, PartnerReferral.status, func.count())
        .join(Party, Party.id == PartnerReferral.party_id).where(readable_parties(principal))
        .group_by(PartnerReferral.partner_key, PartnerReferral.status)
    ):  # fmt: skip
        counts.setdefault(key, {})[status] = int(n)
    partners = load_partners(partners_path).partners
    out = []
    for key in [*partners, *sorted(set(counts) - set(partners))]:
        c = counts.get(key, {})
        total = sum(c.values())
        out.append(Conversion(key, partners.get(key), total, c.get(domain.CONTACTED, 0), c.get(domain.CONVERTED, 0),
                              c.get(domain.LOST, 0), domain.rate(c.get(domain.CONVERTED, 0), total)))  # fmt: skip
    return out


# ----- demo ----------------------------------------------------------------------------------

DEMO_NOTES = ("客户到网点听了市场解读讲座", "年度资产配置体检，已出具建议", "贵宾厅礼遇，陪同家人出行",
              "家族信托税务顾问咨询一次")  # fmt: skip


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """Demo content: offers from the demo's signals, some presented, accepted and referred (with
    their outcomes), and benefit redemptions this year for clients of each tier. Idempotent: once
    the demo has redemptions or referrals, a rerun adds nothing. Returns the rows added."""
    today = _today(settings, now)
    made = make_offers(session, settings, on=today, now=now).made
    if session.scalar(select(func.count()).select_from(BenefitRedemption)) or session.scalar(
        select(func.count()).select_from(PartnerReferral)
    ):
        return made
    users = {u.id: u for u in session.scalars(select(User))}
    # the demo's first RM signs in first: their book shows the content
    first_rm = min(((u.username, u.id) for u in users.values() if str(u.role) == "rm"), default=("", 0))[1]
    first = principal_of(users[first_rm]) if first_rm else None
    added = made
    offers = session.execute(
        select(PartnerOffer, Party).join(Party, Party.id == PartnerOffer.party_id)
        .where(Party.primary_rm_id.is_not(None), PartnerOffer.status == domain.PROPOSED)
        .order_by((Party.primary_rm_id == first_rm).desc(), PartnerOffer.id).limit(12)
    ).all()  # fmt: skip
    steps = ((domain.PRESENTED,), (domain.PRESENTED, domain.ACCEPTED), (domain.DECLINED,))
    for index, (offer, party) in enumerate(offers):
        rm = principal_of(users[party.primary_rm_id])
        path = steps[index % len(steps)] if index < 9 else ()
        for status in path:
            set_offer_status(session, rm, offer.id, status=status, note="客户表示有兴趣，约下周详谈", now=now)
        if offer.status == domain.ACCEPTED:
            referrals = refer_from_offer(
                session, rm, offer.id, client_consented=True, note="客户同意转介", now=now
            )
            added += len(referrals)
            for n, referral in enumerate(referrals):
                outcome = (domain.CONTACTED, domain.CONVERTED, domain.LOST)[(index + n) % 3]
                if outcome != domain.CONTACTED:
                    set_referral_status(session, rm, referral.id, status=domain.CONTACTED, now=now)
                set_referral_status(session, rm, referral.id, status=outcome, now=now)
    version = _current_version(session)
    if version is None or first is None:
        return added
    catalogue = load_benefits(settings.benefits_path)
    for tier in TIERS:
        clients = session.execute(
            select(Party).join(ClientProfile, ClientProfile.party_id == Party.id)
            .where(ClientProfile.version_id == version, ClientProfile.tier == tier, Party.primary_rm_id.is_not(None))
            .order_by(readable_parties(first).desc(), Party.party_no).limit(6)
        ).scalars().all()  # fmt: skip
        for index, party in enumerate(clients[::2]):
            benefit = catalogue[tier][index % len(catalogue[tier])] if catalogue[tier] else None
            if benefit is None:
                continue
            day = max(date(today.year, 1, 1), today - timedelta(days=30 * (index + 1)))
            redeem_benefit(
                session, principal_of(users[party.primary_rm_id]), settings, party.party_no, benefit.key,
                quantity=1, used_on=day, note=DEMO_NOTES[index % len(DEMO_NOTES)], now=now,
            )  # fmt: skip
            added += 1
    return added
