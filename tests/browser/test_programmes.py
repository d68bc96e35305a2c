"""Benefits and partners in a real browser: an RM opens the page from the menu, records a client's
use of a benefit (the allowance left goes down) and presents a partner offer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import NOW, LiveWorkbench, screenshot, sign_in

pytestmark = pytest.mark.browser


def _client_with_a_new_home(live_workbench: LiveWorkbench) -> tuple[str, str]:
    """One of rm001's mass or hnw clients who bought a home two days ago, with the offers made; the
    benefit with a yearly allowance that the test uses."""
    from fincrm.access.models import User
    from fincrm.clients.domain import LifeEventKind, LifeEventOrigin
    from fincrm.clients.models import LifeEvent, Party
    from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
    from fincrm.db.uow import unit_of_work
    from fincrm.engagement import programmes

    with unit_of_work(live_workbench.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        party, tier = s.execute(
            select(Party, ClientProfile.tier).join(ClientProfile, ClientProfile.party_id == Party.id)
            .join(ProfileVersion, ProfileVersion.id == ClientProfile.version_id)
            .where(Party.primary_rm_id == rm.id, ProfileVersion.status == VERSION_CURRENT,
                   ClientProfile.tier.in_(("mass", "hnw"))).order_by(Party.party_no.desc()).limit(1)
        ).one()  # fmt: skip
        s.add(LifeEvent(party_id=party.id, kind=LifeEventKind.HOME_PURCHASE, occurred_on=NOW.date() - timedelta(days=2),
                        origin=LifeEventOrigin.RECORDED, note="客户告知已购房", recorded_at=NOW))  # fmt: skip
        s.flush()
        programmes.run_offers(s, live_workbench.settings, on=NOW.date(), now=NOW)
        return party.party_no, ("investment_education" if tier == "mass" else "family_office_services")


class TestBenefitsAndPartners:
    def test_an_rm_records_a_benefit_use_and_presents_the_new_home_offer(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no, benefit = _client_with_a_new_home(live_workbench)
        sign_in(page, "rm001")
        page.click("nav >> text=权益与合作方")
        expect(page.locator("#usage-tiers")).to_be_visible()
        expect(page.locator("#offers")).to_contain_text(party_no)
        expect(page.locator('#bundles tr[data-bundle="new_home"]')).to_contain_text("匠心家装")
        screenshot(page, "programmes")
        page.goto(f"/clients/{party_no}/programmes")
        row = page.locator(f'#entitlements tr[data-benefit="{benefit}"]')
        left = int(row.locator("[data-remaining]").inner_text())
        row.locator("input[name=note]").fill("陪同客户参加讲座")
        row.locator(".redeem-form button").click()
        expect(page.locator("#redemptions")).to_contain_text("陪同客户参加讲座")
        expect(page.locator(f'#entitlements tr[data-benefit="{benefit}"] [data-remaining]')).to_have_text(
            str(left - 1)
        )
        offer = page.locator('article.offer[data-status="proposed"]', has_text="安家礼包").first
        offer_id = offer.get_attribute("data-offer-id")
        offer.locator(".offer-status-form select").select_option("presented")
        offer.locator(".offer-status-form button").click()
        expect(page.locator(f'article.offer[data-offer-id="{offer_id}"]')).to_have_attribute(
            "data-status", "presented"
        )
        screenshot(page, "programmes-client")
