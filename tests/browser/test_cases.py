"""Complaints and cross-department cases in a real browser: an RM files a complaint from the client
360, sees it on /complaints with its SLA countdown, resolves it and records the client's feedback;
the RM opens a joint case and adds research01, who signs in, sees the case and the masked client
summary, gets 404 on the client's 360 and signs the joint proposal off."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveWorkbench, screenshot, sign_in

pytestmark = pytest.mark.browser


class TestComplaintsAndCases:
    def test_complaint_from_the_360_to_feedback_and_a_joint_case_signed_by_research(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no = live_workbench.party_nos("rm001", limit=4)[-1]
        sign_in(page, "rm001")
        page.goto(f"/clients/{party_no}")
        expect(page.locator("#client-complaints")).to_be_visible()
        page.click("#file-complaint-link")
        form = page.locator("#complaint-form")
        expect(form.locator("input[name=client_no]")).to_have_value(party_no)
        form.locator("select[name=category]").select_option("mis_selling")
        form.locator("select[name=severity]").select_option("high")
        form.locator("textarea[name=description]").fill("客户反映购买结构性产品时未被告知可能亏损本金")
        form.locator("button").click()
        expect(page.locator("#complaint-title")).to_have_attribute("data-status", "open")
        number = page.locator("#complaint-title").inner_text().split()[-1]
        expect(page.locator("#marketing-hold")).to_have_attribute("data-held", "true")
        page.click("nav >> text=客户投诉")
        row = page.locator(f'#complaints-table tr[data-complaint="{number}"]')
        expect(row).to_have_attribute("data-breached", "false")
        expect(row.locator(".sla-response")).to_contain_text("剩余 4 小时")
        screenshot(page, "complaints-list")
        row.locator("a").click()
        resolve = page.locator("#resolve-form")
        resolve.locator("textarea[name=summary]").fill("重新进行风险揭示并退还认购费")
        resolve.locator("input[name=compensation_amount]").fill("500")
        resolve.locator("button").click()
        expect(page.locator("#complaint-title")).to_have_attribute("data-status", "resolved")
        feedback = page.locator("#feedback-form")
        feedback.locator("select[name=satisfaction]").select_option("satisfied")
        feedback.locator("select[name=score]").select_option("5")
        feedback.locator("button").click()
        expect(page.locator("#feedback")).to_have_attribute("data-satisfaction", "satisfied")
        expect(page.locator("#marketing-hold")).to_have_attribute("data-held", "false")
        screenshot(page, "complaint-detail")

        page.goto(f"/clients/{party_no}")
        page.click("#open-case-link")
        new = page.locator("#new-case-form")
        expect(new.locator("input[name=client_no]")).to_have_value(party_no)
        new.locator("select[name=kind]").select_option("family_trust")
        new.locator("input[name=title]").fill("家族信托设立")
        new.locator("textarea[name=description]").fill("客户希望为两名子女设立家族信托")
        new.locator("button").click()
        expect(page.locator("#case-title")).to_have_attribute("data-status", "open")
        case_path = page.url.split(live_workbench.base_url, 1)[1]
        page.locator("#member-form input[name=username]").fill("research01")
        page.locator("#member-form button").click()
        expect(page.locator('#members li[data-member="research01"]')).to_be_visible()
        page.locator("#proposal-form textarea[name=text]").fill("信托资产以固收为主，权益不超过 30%。")
        page.locator("#proposal-form button").click()
        page.locator("#signoff-form button").click()
        expect(page.locator('#signoffs tr[data-function="rm"]')).to_have_attribute("data-signed", "true")
        page.click("#logout")

        sign_in(page, "research01")
        page.click("nav >> text=跨部门协作工单")
        page.locator(f'#case-board article[data-case="{case_path.rsplit("/", 1)[1]}"] a').click()
        expect(page.locator("#client-summary")).to_have_attribute("data-client", party_no)
        expect(page.locator("#summary-need")).to_contain_text("两名子女")
        page.locator("#signoff-form button").click()
        expect(page.locator("#case-title")).to_have_attribute("data-status", "agreed")
        screenshot(page, "joint-case-agreed")
        response = page.goto(f"/clients/{party_no}")
        assert response is not None and response.status == 404
