"""Crisis communication in a real browser: a market drop -> the affected clients listed -> the sandwich
draft for one client with its figures (equal to the service's) -> a compliance hold on a forbidden
phrase -> edited and sent (the outbox row pending) -> the post-crisis review report -> an invitation to
a closed-door strategy meeting."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fincrm.cases import crisis
from fincrm.cases import crisis_domain as cd
from fincrm.cases.crisis_models import CrisisDraft
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement.models import OutboxMessage
from tests.browser.conftest import LiveWorkbench, screenshot, sign_in
from tests.web.conftest import NOW

pytestmark = pytest.mark.browser


def test_market_drop_to_sandwich_to_outbox_to_review_and_meeting(
    page: Page, live_workbench: LiveWorkbench
) -> None:
    settings = live_workbench.settings
    sign_in(page, "rm001")
    page.click("nav >> [data-nav=crisis]")
    page.fill("#window-form input[name=min_equity_pct]", "0.5")
    page.click("#window-form button")
    fall = crisis.find_fall(settings, on=crisis.business_day(settings, NOW))
    expect(page.locator("#fall")).to_have_attribute("data-start", str(fall.start))
    rows = page.locator("#affected tr[data-client]:not([data-drawdown=''])")
    expect(rows.first).to_be_visible()
    party_no = rows.first.get_attribute("data-client")
    rows.first.locator("select[name=action]").select_option("hold")
    rows.first.locator(".draft-form button").click()
    expect(page.locator("#draft-title")).to_contain_text(party_no)

    # the figures shown are the service's, computed again here
    with unit_of_work(live_workbench.sessions) as s:
        party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
        figures, _ = crisis.client_figures(s, settings, party, fall, crisis.business_day(settings, NOW))
        stats = crisis.recovery(settings, fall)
    expect(page.locator("[data-figure=benchmark_drawdown]")).to_have_text(
        cd.pct_text(figures.benchmark_drawdown)
    )
    expect(page.locator("[data-figure=portfolio_drawdown]")).to_have_text(
        cd.pct_text(figures.portfolio_drawdown)
    )
    expect(page.locator("[data-figure=peer_mean]")).to_have_text(cd.pct_text(figures.peer_mean))
    expect(page.locator("[data-figure=recovery]")).to_have_text(f"{stats.recovered}/{stats.similar}")
    expect(page.locator("#part-facts")).to_contain_text(cd.pct_text(figures.portfolio_drawdown))
    expect(page.locator("#status")).to_have_attribute("data-status", "draft")

    # a forbidden promise holds it; an edit without it releases it; then it goes to the outbox
    page.fill("#edit-form textarea", "您好，请放心，这个组合保本，稳赚不赔。")
    page.click("#edit-form button")
    expect(page.locator("#status")).to_have_attribute("data-status", "held")
    expect(page.locator("#scan-findings")).to_have_attribute("data-codes", re.compile("forbidden_promise"))
    expect(page.locator("#send-form")).to_have_count(0)
    page.fill("#edit-form textarea", "您好，市场下跌让人担心，我理解。投资有风险，我明天给您打电话一起复盘。")
    page.click("#edit-form button")
    expect(page.locator("#status")).to_have_attribute("data-status", "draft")
    page.click("#send-form button")
    expect(page.locator("#status")).to_have_attribute("data-status", "sent")
    expect(page.locator("#message-status")).to_have_attribute("data-status", re.compile("pending|sent"))
    draft_url = page.url
    with unit_of_work(live_workbench.sessions) as s:
        draft = s.scalars(
            select(CrisisDraft).where(CrisisDraft.party_id == party.id, CrisisDraft.status == "sent")
        ).one()
        message = s.get(OutboxMessage, draft.message_id)
        assert (
            message.status in ("pending", "sent")
            and not message.marketing
            and "明天给您打电话" in message.body
        )
    screenshot(page, "crisis-sent")

    # after the crisis: the post-crisis review, then the closed-door meeting
    page.click("#report-form button")
    expect(page).to_have_url(re.compile(r"/reports/\d+$"), timeout=60_000)
    page.goto(draft_url)
    page.fill("#meeting-form input[name=starts_at]", "2026-07-10T15:00")
    page.fill("#meeting-form input[name=venue]", "私人银行中心贵宾室")
    page.click("#meeting-form button")
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    expect(page.locator(f"tr[data-client='{party_no}']")).to_have_attribute("data-rsvp", "pending")
    screenshot(page, "crisis-meeting")
