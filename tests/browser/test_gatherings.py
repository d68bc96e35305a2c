"""Client events and key-person coverage in a real browser: a corporate RM opens the events from the
menu, checks the coverage of their companies and makes the gap tasks, plans a tax salon, invites a
suggested CFO or operator and records the answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import set_password
from fincrm.clients.domain import PartyKind
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from tests.browser.conftest import LiveWorkbench, screenshot
from tests.web.conftest import NOW

pytestmark = pytest.mark.browser
PASSWORD = "demo-corporate-rm"


def corporate_rm(live_workbench: LiveWorkbench) -> str:
    """The RM of the first corporate client, with a password to sign in with."""
    with unit_of_work(live_workbench.sessions) as s:
        company = s.scalars(
            select(Party).where(Party.kind == PartyKind.CORPORATE, Party.primary_rm_id.is_not(None)).order_by(Party.party_no)
        ).first()  # fmt: skip
        username = s.get(User, company.primary_rm_id).username
        set_password(s, username=username, password=PASSWORD, now=NOW)
        return username


class TestClientEvents:
    def test_a_corporate_rm_closes_coverage_gaps_and_invites_a_cfo_to_a_tax_salon(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        username = corporate_rm(live_workbench)
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        expect(page.locator("#logout")).to_be_visible()
        page.click("nav >> text=客户活动")
        page.click("#coverage-link")
        expect(page.locator("#coverage-table tr[data-company]").first).to_be_visible()
        expect(page.locator("#coverage-summary")).to_contain_text(username)
        page.click("#gap-tasks-form button")
        expect(page.locator("#gap-tasks-made")).to_contain_text("缺口任务")
        screenshot(page, "coverage")
        page.goto("/events")
        starts = (NOW + timedelta(days=14)).astimezone(live_workbench.settings.tz)
        form = page.locator("#new-event-form")
        form.locator("input[name=title_zh]").fill("年度汇算清缴税务沙龙")
        form.locator("input[name=title_en]").fill("Annual tax filing salon")
        form.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT14:00"))
        form.locator("input[name=venue]").fill("分行 18 楼多功能厅")
        form.locator("input[name=capacity]").fill("30")
        form.locator("select[name=status]").select_option("open")
        form.locator("button").click()
        expect(page.locator("#event-title")).to_contain_text("年度汇算清缴税务沙龙")
        suggestion = page.locator("#suggestions tr[data-suggestion]").first
        client_no = suggestion.get_attribute("data-suggestion")
        suggestion.locator("button").click()
        row = page.locator(f'#invitations tr[data-client="{client_no}"]')
        expect(row).to_have_attribute("data-rsvp", "pending")
        row.locator('button[data-rsvp="accepted"]').click()
        expect(page.locator(f'#invitations tr[data-client="{client_no}"]')).to_have_attribute(
            "data-rsvp", "accepted"
        )
        expect(page.locator("#seats")).to_contain_text("剩余 29 席")
        screenshot(page, "event-detail")
