"""Tier benefits and partners on the demo institution: entitlements and redemptions within the
tier and its yearly allowance, usage per tier over a book, offers made once from signals and from
rule tasks, offer and referral status, referrals with consent, conversion per partner; who may do what."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.access.service import principal_of
from fincrm.clients.domain import LifeEventKind, LifeEventOrigin
from fincrm.clients.models import Coverage, LifeEvent, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ClientSignal, ProfileVersion
from fincrm.config import Settings
from fincrm.engagement import programmes, tasks
from fincrm.engagement.programmes_models import BenefitRedemption, PartnerOffer, PartnerReferral
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai
SETTINGS = Settings()
SERIAL = itertools.count()


def _profile(s, version: ProfileVersion, party: Party, tier: str) -> None:
    s.add(ClientProfile(
        version_id=version.id, party_id=party.id, aum_amount=Decimal("1000000"), tier=tier, rfm_cell="stable_core",
        questionnaire_expired=False, risk_drift=False,
    ))  # fmt: skip


@pytest.fixture(scope="module")
def org(demo):  # noqa: F811 - the re-imported fixture
    """The busiest RM's first three clients made hnw, mass and long-tail in a current profile version (the
    batch's output), a stranger RM of another team, the team lead, compliance."""
    s = demo.session
    users = {u.username: u for u in s.scalars(select(User))}
    busiest = s.scalar(select(Party.primary_rm_id).where(Party.primary_rm_id.is_not(None))
                       .group_by(Party.primary_rm_id).order_by(func.count().desc(), Party.primary_rm_id).limit(1))  # fmt: skip
    rm = next(u for u in users.values() if u.id == busiest)
    hnw, mass, tail = s.scalars(
        select(Party).where(Party.primary_rm_id == rm.id).order_by(Party.party_no).limit(3)
    ).all()
    for version in s.scalars(select(ProfileVersion).where(ProfileVersion.status == VERSION_CURRENT)):
        version.status = "retired"
    version = ProfileVersion(
        as_of=AS_OF, status=VERSION_CURRENT, engine="duckdb", created_at=NOW, metrics="{}"
    )
    s.add(version)
    s.flush()
    for party, tier in ((hnw, "hnw"), (mass, "mass"), (tail, "long_tail")):
        _profile(s, version, party, tier)
    s.flush()
    covering = set(
        s.scalars(select(Coverage.user_id).where(Coverage.party_id.in_([hnw.id, mass.id, tail.id])))
    )
    stranger = next(
        u for u in users.values() if u.team_id != rm.team_id and str(u.role) == "rm" and u.id not in covering
    )
    lead = next(u for u in users.values() if u.team_id == rm.team_id and str(u.role) == "team_lead")
    return {"s": s, "rm": principal_of(rm), "stranger": principal_of(stranger), "lead": principal_of(lead),
            "compliance": principal_of(users["compliance01"]), "admin": principal_of(users["admin01"]),
            "hnw": hnw, "mass": mass, "tail": tail, "version": version}  # fmt: skip


def _audits(s, action: str) -> int:
    return s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action))


class TestEntitlements:
    def test_a_client_is_entitled_to_the_benefits_of_their_tier_with_the_yearly_allowance(self, org) -> None:
        got = programmes.client_benefits(org["s"], org["rm"], SETTINGS, org["mass"].party_no, now=NOW)
        assert got.tier == "mass" and got.year == AS_OF.year
        by_key = {e.benefit.key: e for e in got.entitlements}
        assert set(by_key) == {"investment_education", "portfolio_checkup", "light_perks"}
        assert by_key["portfolio_checkup"].benefit.allowance_per_year == 1
        assert by_key["portfolio_checkup"].remaining == 1
        tail = programmes.client_benefits(org["s"], org["rm"], SETTINGS, org["tail"].party_no, now=NOW)
        assert all(e.remaining is None for e in tail.entitlements)  # no yearly limit

    def test_another_rms_client_is_not_found(self, org) -> None:
        with pytest.raises(NotFound):
            programmes.client_benefits(org["s"], org["stranger"], SETTINGS, org["mass"].party_no, now=NOW)


class TestRedemptions:
    def test_uses_count_against_the_allowance_until_it_is_used_up(self, org) -> None:
        s, no = org["s"], org["hnw"].party_no
        before = _audits(s, "benefit.redeem")
        programmes.redeem_benefit(s, org["rm"], SETTINGS, no, "family_office_services", quantity=3,
                                  used_on=AS_OF - timedelta(days=10), note="律师咨询", now=NOW)  # fmt: skip
        got = programmes.client_benefits(s, org["rm"], SETTINGS, no, now=NOW)
        entitlement = next(e for e in got.entitlements if e.benefit.key == "family_office_services")
        assert (entitlement.used, entitlement.remaining) == (3, 1)
        with pytest.raises(InputError) as refused:
            programmes.redeem_benefit(
                s, org["rm"], SETTINGS, no, "family_office_services", quantity=2, now=NOW
            )
        assert (
            refused.value.errors[0].loc == ("quantity",) and "used up (1 left)" in refused.value.errors[0].msg
        )
        programmes.redeem_benefit(s, org["lead"], SETTINGS, no, "family_office_services", now=NOW)
        assert _audits(s, "benefit.redeem") == before + 2

    def test_last_years_uses_do_not_count_this_year(self, org) -> None:
        s, no = org["s"], org["mass"].party_no
        programmes.redeem_benefit(s, org["rm"], SETTINGS, no, "portfolio_checkup", used_on=date(AS_OF.year - 1, 12, 20),
                                  now=NOW)  # fmt: skip
        programmes.redeem_benefit(s, org["rm"], SETTINGS, no, "portfolio_checkup", now=NOW)
        with pytest.raises(InputError, match="cannot be redeemed"):
            programmes.redeem_benefit(s, org["rm"], SETTINGS, no, "portfolio_checkup", now=NOW)

    def test_a_benefit_of_another_tier_is_refused_and_nothing_is_written(self, org) -> None:
        s = org["s"]
        count = s.scalar(select(func.count()).select_from(BenefitRedemption))
        with pytest.raises(InputError) as refused:
            programmes.redeem_benefit(s, org["rm"], SETTINGS, org["tail"].party_no, "private_fund_allocation",
                                      quantity=0, used_on=AS_OF + timedelta(days=1), now=NOW)  # fmt: skip
        fields = {e.loc[0] for e in refused.value.errors}
        assert fields == {"benefit_key", "quantity", "used_on"}  # every problem at once
        assert "long_tail" in refused.value.errors[0].msg
        assert s.scalar(select(func.count()).select_from(BenefitRedemption)) == count

    def test_who_may_record_a_use(self, org) -> None:
        s, no = org["s"], org["tail"].party_no
        with pytest.raises(NotFound):
            programmes.redeem_benefit(s, org["stranger"], SETTINGS, no, "community", now=NOW)
        with pytest.raises(PermissionDenied):
            programmes.redeem_benefit(s, org["compliance"], SETTINGS, no, "community", now=NOW)
        with pytest.raises(PermissionDenied):
            programmes.redeem_benefit(s, org["admin"], SETTINGS, no, "community", now=NOW)


class TestUsage:
    def test_usage_per_tier_counts_the_book_only(self, org) -> None:
        s = org["s"]
        programmes.redeem_benefit(
            s, org["rm"], SETTINGS, org["tail"].party_no, "community", quantity=2, now=NOW
        )
        usage = programmes.benefits_usage(s, org["rm"], SETTINGS, now=NOW)
        tiers = {t.tier: t for t in usage.tiers}
        assert tiers["long_tail"].entitled == 1 and tiers["long_tail"].used == 1
        assert tiers["long_tail"].quantity >= 2 and tiers["long_tail"].rate == 1.0
        community = next(b for b in usage.benefits if b.benefit.key == "community")
        assert community.clients == 1 and community.quantity >= 2
        theirs = programmes.benefits_usage(s, org["stranger"], SETTINGS, now=NOW)
        assert all(t.used == 0 and t.entitled == 0 for t in theirs.tiers)
        with pytest.raises(PermissionDenied):
            programmes.benefits_usage(s, org["admin"], SETTINGS, now=NOW)


def _signal(org, party: Party, kind: str, on: date) -> None:
    org["s"].add(ClientSignal(version_id=org["version"].id, party_id=party.id, kind=kind, detected_on=on,
                              confidence=0.9, summary=kind, evidence="[]"))  # fmt: skip
    org["s"].flush()


class TestOffers:
    def test_signals_make_each_bundle_offer_once_and_tiers_limit_them(self, org) -> None:
        s = org["s"]
        _signal(org, org["hnw"], "succession_planning", AS_OF - timedelta(days=5))
        _signal(org, org["mass"], "succession_planning", AS_OF - timedelta(days=5))  # the bundle is hnw only
        _signal(org, org["mass"], "renovation_need", AS_OF - timedelta(days=400))  # too old: not open
        s.add(LifeEvent(party_id=org["tail"].id, kind=LifeEventKind.HOME_PURCHASE, occurred_on=AS_OF - timedelta(days=3),
                        origin=LifeEventOrigin.RECORDED, recorded_at=NOW))  # fmt: skip
        s.flush()
        first = programmes.run_offers(s, SETTINGS, on=AS_OF, now=NOW)
        again = programmes.run_offers(s, SETTINGS, on=AS_OF, now=NOW)
        assert first.made >= 2 and again.made == 0 and again.existing >= first.made
        mine = {(v.party_no, v.offer.bundle_key) for v in programmes.list_offers(s, org["rm"])}
        assert (org["hnw"].party_no, "succession") in mine
        assert (org["tail"].party_no, "new_home") in mine
        assert (org["mass"].party_no, "succession") not in mine
        assert (org["mass"].party_no, "new_home") not in mine
        home = next(v for v in programmes.list_offers(s, org["rm"], party_no=org["tail"].party_no)
                    if v.offer.bundle_key == "new_home")  # fmt: skip
        assert [i.partner for i in home.items] == ["", "jiangxin_renovation", "qimu_furniture"]
        assert home.offer.status == "proposed" and home.offer.signal_kind == "home_purchase"
        theirs = {v.party_no for v in programmes.list_offers(s, org["stranger"])}
        assert not theirs & {org["hnw"].party_no, org["tail"].party_no}

    def test_offer_tasks_become_offers_once_sharing_the_signals_key(self, org) -> None:
        s, party = org["s"], org["hnw"]
        on = AS_OF - timedelta(days=2)
        evidence = {"kind": "education_fund", "detected_on": f"{on} 00:00:00", "action": "offer",
                    "partner": "education_path"}  # fmt: skip
        made = tasks.insert_task(s, party=party, assignee_id=org["rm"].user_id, rule_key="life_stage_offer",
                                 idempotency_key="prog:task:1", title_zh="介绍", title_en="offer", due_at=NOW,
                                 priority=3, now=NOW, evidence=evidence)  # fmt: skip
        single = tasks.insert_task(s, party=party, assignee_id=org["rm"].user_id, rule_key="partner_offer",
                                   idempotency_key="prog:task:2", title_zh="介绍", title_en="offer", due_at=NOW,
                                   priority=3, now=NOW, evidence={"action": "offer", "partner": "kangning_health"})  # fmt: skip
        tasks.insert_task(s, party=party, assignee_id=org["rm"].user_id, rule_key="partner_offer",
                          idempotency_key="prog:task:3", title_zh="介绍", title_en="offer", due_at=NOW, priority=3,
                          now=NOW, evidence={"action": "offer", "partner": "no_such_partner"})  # fmt: skip
        _signal(org, party, "education_fund", on)
        programmes.make_offers(s, SETTINGS, on=AS_OF, now=NOW)  # the signal's offer first
        out = programmes.offers_from_tasks(s, SETTINGS, now=NOW)
        assert (out.made, out.existing, out.unknown) == (1, 1, 1)
        assert programmes.offers_from_tasks(s, SETTINGS, now=NOW).made == 0
        linked = s.scalars(select(PartnerOffer).where(PartnerOffer.task_id.in_([made.id, single.id]))).all()
        assert sorted((o.bundle_key, o.partner_key) for o in linked) == [
            ("", "kangning_health"),
            ("education_path", ""),
        ]

    def test_status_moves_forward_only_and_is_audited(self, org) -> None:
        s = org["s"]
        offer = _offer(org, "newlyweds", org["mass"])
        programmes.set_offer_status(s, org["rm"], offer.id, status="presented", note="面谈介绍", now=NOW)
        with pytest.raises(InputError) as refused:
            programmes.set_offer_status(s, org["rm"], offer.id, status="proposed", now=NOW)
        assert refused.value.errors[0].loc == ("status",)
        programmes.set_offer_status(s, org["rm"], offer.id, status="declined", now=NOW)
        with pytest.raises(InputError, match="cannot become"):
            programmes.set_offer_status(s, org["rm"], offer.id, status="accepted", now=NOW)
        assert _audits(s, "offer.status") >= 2
        with pytest.raises(NotFound):
            programmes.set_offer_status(s, org["stranger"], offer.id, status="accepted", now=NOW)
        with pytest.raises(PermissionDenied):
            programmes.set_offer_status(s, org["compliance"], offer.id, status="accepted", now=NOW)


def _offer(org, bundle: str, party: Party) -> PartnerOffer:
    """An offer proposed by hand (as a rule's task or the signals would make it)."""
    offer = PartnerOffer(idempotency_key=f"test:{bundle}:{party.party_no}:{next(SERIAL)}", party_id=party.id,
                         bundle_key=bundle, partner_key="", signal_kind="", status="proposed", note="", created_at=NOW,
                         updated_at=NOW)  # fmt: skip
    org["s"].add(offer)
    org["s"].flush()
    return offer


class TestReferrals:
    def test_an_accepted_offer_refers_the_client_to_its_partners_with_consent(self, org) -> None:
        s = org["s"]
        offer = _offer(org, "succession", org["hnw"])
        with pytest.raises(InputError, match="cannot be referred"):  # not accepted yet
            programmes.refer_from_offer(s, org["rm"], offer.id, client_consented=True, now=NOW)
        programmes.set_offer_status(s, org["rm"], offer.id, status="accepted", now=NOW)
        with pytest.raises(InputError) as refused:
            programmes.refer_from_offer(s, org["rm"], offer.id, client_consented=False, now=NOW)
        assert [e.loc for e in refused.value.errors] == [("client_consented",)]
        one = programmes.refer_from_offer(s, org["rm"], offer.id, partner_key="hengzheng_law", client_consented=True,
                                          now=NOW)  # fmt: skip
        rest = programmes.refer_from_offer(s, org["rm"], offer.id, client_consented=True, now=NOW)
        assert [r.partner_key for r in one] == ["hengzheng_law"]
        assert [r.partner_key for r in rest] == ["tongzhou_family_office"]
        with pytest.raises(InputError, match="cannot be referred"):
            programmes.refer_from_offer(s, org["rm"], offer.id, client_consented=True, now=NOW)

    def test_referral_status_dates_and_conversion_per_partner(self, org) -> None:
        s, later = org["s"], NOW + timedelta(days=3)
        won = programmes.refer_client(s, org["rm"], org["tail"].party_no, partner_key="qimu_furniture",
                                      client_consented=True, note="客户要买沙发", now=NOW)  # fmt: skip
        gone = programmes.refer_client(s, org["rm"], org["tail"].party_no, partner_key="qimu_furniture",
                                       client_consented=True, now=NOW)  # fmt: skip
        programmes.set_referral_status(s, org["rm"], won.id, status="contacted", now=NOW)
        programmes.set_referral_status(s, org["lead"], won.id, status="converted", now=later)
        programmes.set_referral_status(s, org["rm"], gone.id, status="lost", now=later)
        assert won.contacted_at == NOW and won.closed_at == later and gone.contacted_at is None
        with pytest.raises(InputError):
            programmes.set_referral_status(s, org["rm"], won.id, status="lost", now=later)
        furniture = next(
            c for c in programmes.conversion_by_partner(s, org["rm"]) if c.partner_key == "qimu_furniture"
        )
        assert (furniture.referrals, furniture.converted, furniture.lost) == (
            2,
            1,
            1,
        ) and furniture.rate == 0.5
        assert all(c.referrals == 0 for c in programmes.conversion_by_partner(s, org["stranger"])
                   if c.partner_key == "qimu_furniture")  # fmt: skip
        listed = programmes.list_referrals(s, org["rm"], partner_key="qimu_furniture")
        assert {v.referral.id for v in listed} == {won.id, gone.id}

    def test_referral_input_is_checked_and_scoped(self, org) -> None:
        s = org["s"]
        with pytest.raises(InputError) as refused:
            programmes.refer_client(s, org["rm"], org["tail"].party_no, partner_key="nobody", client_consented=False,
                                    now=NOW)  # fmt: skip
        assert {e.loc[0] for e in refused.value.errors} == {"partner_key", "client_consented"}
        with pytest.raises(NotFound):
            programmes.refer_client(s, org["stranger"], org["tail"].party_no, partner_key="qimu_furniture",
                                    client_consented=True, now=NOW)  # fmt: skip
        with pytest.raises(NotFound):
            programmes.set_referral_status(s, org["rm"], 2**62, status="contacted", now=NOW)
        assert (
            s.scalar(
                select(func.count())
                .select_from(PartnerReferral)
                .where(PartnerReferral.partner_key == "nobody")
            )
            == 0
        )


class TestCatalogue:
    def test_a_bad_partner_file_names_file_line_and_field(self, tmp_path) -> None:
        path = tmp_path / "partners.yaml"
        path.write_text(
            "partners:\n"
            "  - {key: a, kind: renovation, name_zh: 甲, name_en: A, description_zh: x, description_en: x}\n"
            "bundles:\n"
            "  - key: b\n"
            "    name_zh: 乙\n"
            "    name_en: B\n"
            "    signals: [lottery_win]\n"
            "    tiers: [gold]\n"
            "    items: [{partner: z, name_zh: 丙, name_en: C}]\n",
            encoding="utf-8",
        )
        with pytest.raises(InputError) as raised:
            programmes.load_partners(path)
        locs = {(e.loc[1], e.loc[2]) for e in raised.value.errors}
        assert {(7, "signals"), (8, "tiers"), (9, "partner")} <= locs
        assert all(e.loc[0] == str(path) for e in raised.value.errors)
        with pytest.raises(InputError, match="cannot read"):
            programmes.load_partners(tmp_path / "missing.yaml")

    def test_the_shipped_catalogue_has_the_property_purchase_bundle(self) -> None:
        catalogue = programmes.load_partners()
        home = catalogue.bundles["new_home"]
        assert "renovation_need" in home.signals and home.partners == (
            "jiangxin_renovation",
            "qimu_furniture",
        )
        kinds = {p.kind for p in catalogue.partners.values()}
        assert {"renovation", "law_firm", "family_office", "university"} <= kinds


class TestDemo:
    def test_seed_demo_adds_content_once(self, org) -> None:
        s = org["s"]
        s.execute(PartnerReferral.__table__.delete())
        s.execute(BenefitRedemption.__table__.delete())
        s.expunge_all()  # the deleted rows' objects must not meet their reused ids (SQLite) in the identity map
        added = programmes.seed_demo(s, SETTINGS, now=NOW)
        assert added > 0
        assert s.scalar(select(func.count()).select_from(BenefitRedemption)) > 0
        assert programmes.seed_demo(s, SETTINGS, now=NOW) == 0
