"""The morning brief in a real browser: a team lead opens the community page from the menu, writes
the day's brief, is refused a promise of returns at publishing, rewords it, publishes it and sends it
to the consenting clients of the team's books."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


class TestMorningBrief:
    def test_a_lead_writes_publishes_and_sends_the_days_brief(self, page: Page) -> None:
        sign_in(page, "lead01")
        page.click("nav >> text=社群与内容")
        expect(page.locator("#brief-of-the-day")).to_be_visible()
        form = page.locator("#brief-form")
        form.locator("textarea[name=text_zh]").fill("今日理财稳赚不赔！")
        form.locator("textarea[name=text_en]").fill("A sure win today!")
        form.locator("button").click()
        draft = page.locator('#todays-draft article[data-status="draft"]')
        expect(draft).to_contain_text("今日理财稳赚不赔")
        draft.locator(".publish-brief-form button").click()
        expect(page.locator("#community-error")).to_contain_text("forbidden_promise")
        form = page.locator("#brief-form")
        form.locator("textarea[name=text_zh]").fill("今日A股小幅高开，债市平稳。市场有风险，投资须谨慎。")
        form.locator("textarea[name=text_en]").fill(
            "Stocks opened a little higher. Investment involves risk."
        )
        form.locator("button").click()
        expect(page.locator("#todays-draft [data-chars]")).to_contain_text("26 字")
        page.locator("#todays-draft .publish-brief-form button").click()
        published = page.locator('#brief-of-the-day article[data-status="published"]').first
        expect(published).to_contain_text("今日A股小幅高开")
        published.locator(".distribute-form select").select_option("in_app")
        published.locator(".distribute-form button").click()
        expect(page.locator('#brief-of-the-day .distribution[data-channel="in_app"]').first).to_contain_text(
            "已授权"
        )
        screenshot(page, "community-brief")
