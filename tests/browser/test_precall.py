"""The pre-call brief and testimonials in a real browser: from My day an RM opens a task's pre-call brief
and sees SPIN questions with the reason each topic was chosen; a team lead edits one of those questions
in the library and the RM's brief shows it; a testimonial is used in a content piece, then withdrawn,
and is gone from the piece at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement.tasks import insert_task
from fincrm.team import precall
from tests.browser.conftest import LiveWorkbench, screenshot, sign_in
from tests.web.conftest import NOW

pytestmark = pytest.mark.browser
STORY = "那年回款最难的时候，客户经理陪我们把流动资金一笔一笔理清楚。"


def client_with_spin(live_workbench: LiveWorkbench) -> tuple[str, str]:
    """A client of rm001 for whom the brief suggests a topic, with a task due now; (client, topic)."""
    with unit_of_work(live_workbench.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        me = principal_of(rm)
        for party in s.scalars(select(Party).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)):
            brief = precall.precall_brief(s, me, live_workbench.settings, party.party_no, now=NOW)
            if brief.suggestions:
                insert_task(s, party=party, assignee_id=rm.id, rule_key="browser_precall",
                            idempotency_key=f"browser-precall:{party.party_no}", title_zh="访前准备：季度回访",
                            title_en="Prepare the quarterly call", due_at=NOW + timedelta(hours=1), priority=1, now=NOW)  # fmt: skip
                return party.party_no, brief.suggestions[0].topic.key
    raise AssertionError("no client of rm001 gets a SPIN suggestion")


def sign_out(page: Page) -> None:
    page.click("#logout")
    expect(page.locator("#username")).to_be_visible()


class TestPreCallBrief:
    def test_from_my_day_to_spin_questions_and_a_leads_edit_shows_on_the_brief(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no, topic = client_with_spin(live_workbench)
        sign_in(page, "rm001")
        page.click("nav >> [data-nav=my-day]")
        task = page.locator("article.task", has_text="访前准备：季度回访")
        task.locator("a.precall-link").click()
        expect(page.locator("#precall")).to_have_attribute("data-party-no", party_no)
        card = page.locator(f"#spin [data-topic={topic}]")
        expect(card.locator(".reason").first).to_be_visible()
        expect(card.locator("li[data-stage=situation]").first).to_be_visible()
        question = card.locator("li[data-question]").first.get_attribute("data-question")
        screenshot(page, "precall-brief")
        sign_out(page)

        sign_in(page, "lead01")
        page.click("nav >> [data-nav=spin]")
        if page.locator("#spin-load").count():
            page.click("#spin-load")
        row = page.locator(f"tr[data-question='{question}']")
        row.locator("input[name=text_zh]").fill("先聊聊您最近最关心的一件事？")
        row.locator("input[name=text_en]").fill("What has been on your mind most lately?")
        row.locator("button[type=submit]").first.click()
        expect(page.locator(f"tr[data-question='{question}'] input[name=text_zh]")).to_have_value(
            "先聊聊您最近最关心的一件事？"
        )
        sign_out(page)

        sign_in(page, "rm001")
        page.goto(f"/clients/{party_no}/pre-call")
        expect(page.locator(f"#spin li[data-question='{question}']")).to_contain_text(
            "先聊聊您最近最关心的一件事？"
        )
        screenshot(page, "precall-brief-edited")


class TestTestimonial:
    def test_a_story_used_in_content_is_gone_from_the_piece_once_withdrawn(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no = live_workbench.party_nos("rm001", limit=1)[0]
        sign_in(page, "rm001")
        page.click("nav >> [data-nav=testimonials]")
        form = page.locator("#testimonial-form")
        form.locator("input[name=party_no]").fill(party_no)
        form.locator("textarea[name=story_zh]").fill(STORY)
        form.locator("textarea[name=story_en]").fill(
            "When collections were hardest, our RM sorted out our cash with us."
        )
        form.locator("input[name=attribution_zh]").fill("陈先生，制造业企业主")
        form.locator("input[name=attribution_en]").fill("Mr Chen, manufacturer")
        form.locator("input[value=content_library]").check()
        form.locator("input[name=expires_on]").fill((NOW.date() + timedelta(days=365)).isoformat())
        form.locator("button[type=submit]").click()
        expect(page.locator("#story")).to_contain_text(STORY)

        new = page.locator("#use-new-piece")
        new.locator("input[name=title_zh]").fill("客户见证：难时的流动资金")
        new.locator("input[name=title_en]").fill("Client story: cash in hard times")
        new.locator("input[name=summary_zh]").fill("经客户书面授权发布。")
        new.locator("input[name=summary_en]").fill("Published with the client's written consent.")
        new.locator("button[type=submit]").click()
        expect(page.locator(".piece-body")).to_contain_text(STORY)
        screenshot(page, "testimonial-in-content")

        page.fill("#withdraw-form input[name=reason]", "客户来电要求撤回授权")
        page.click("#withdraw-button")
        expect(page.locator("#withdrawn")).to_be_visible()
        expect(page.locator(".piece-body")).not_to_contain_text(STORY)
        expect(page.locator("#testimonial")).to_have_attribute("data-status", "withdrawn")
        screenshot(page, "testimonial-withdrawn")
