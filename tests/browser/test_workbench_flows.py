"""The main workbench flows in a real browser: sign in, find a client, open the 360, note a
memory point, switch language, be refused another RM's client, sign out."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveWorkbench, screenshot, sign_in
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser

README_SCREENSHOT = REPO_ROOT / "docs" / "img" / "workbench.png"


def _open_client_360(page: Page, party_no: str) -> None:
    response = page.goto(f"/clients/{party_no}")
    assert response is not None and response.status == 200, f"/clients/{party_no} answered {response}"
    expect(page.locator("#client-360")).to_be_visible()
    expect(page.locator("#client-360")).to_contain_text(party_no)


class TestSignIn:
    def test_an_rm_signs_in_and_lands_on_their_book(self, page: Page) -> None:
        sign_in(page, "rm001")
        expect(page).to_have_url(re.compile(r"/book$"))
        expect(page.locator("#error-page")).to_have_count(0)
        expect(page.locator("#book h1")).to_contain_text("我的管户")
        expect(page.locator("#book-table tbody tr").first).to_be_visible()
        expect(page.locator("#logout")).to_have_text("退出")
        expect(page.locator("nav")).to_contain_text("我的管户")
        screenshot(page, "sign_in-book")

    def test_a_wrong_password_keeps_the_login_page(self, page: Page) -> None:
        page.goto("/login")
        page.fill("#username", "rm001")
        page.fill("#password", "not-the-password")
        page.click("#sign-in")
        expect(page).to_have_url(re.compile(r"/login\?failed=1"))
        expect(page.locator("[role=alert]")).to_be_visible()
        screenshot(page, "sign_in-refused")


class TestClientSearch:
    def test_search_by_client_number_finds_the_client_and_opens_the_360(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no = live_workbench.party_nos("rm001", limit=1)[0]
        sign_in(page, "rm001")
        page.goto("/clients/search")
        form = page.locator("#search-form")
        expect(form).to_be_visible()
        form.locator("#q").fill(party_no)
        form.locator("#search-submit").click()
        expect(page.locator("#search-results tbody tr")).to_have_count(1)
        result = page.locator(f'#search-results tr[data-party-no="{party_no}"] a').first
        expect(result).to_be_visible()
        screenshot(page, "search-results")
        result.click()
        expect(page).to_have_url(re.compile(rf"/clients/{party_no}$"))
        expect(page.locator("#client-360")).to_contain_text(party_no)


class TestClient360:
    def test_the_360_shows_the_client_and_their_memory_points(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no = live_workbench.party_nos("rm001", limit=2)[-1]
        sign_in(page, "rm001")
        _open_client_360(page, party_no)
        expect(page.locator("#memory-points")).to_be_visible()
        shot = screenshot(page, "client_360")
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)

    def test_a_new_memory_point_is_listed_after_saving(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        party_no = live_workbench.party_nos("rm001", limit=3)[-1]
        note = "客户女儿九月赴英国读研，关注外币理财"
        sign_in(page, "rm001")
        _open_client_360(page, party_no)
        form = page.locator("#memory-point-add")
        expect(form).to_be_visible()
        before = page.locator("#memory-point-list li[data-memory-point-id]").count()
        form.locator("select[name=category]").select_option(index=1)
        form.locator("[name=text]").fill(note)
        form.locator("button").click()
        listed = page.locator("#memory-point-list li[data-memory-point-id]")
        expect(listed).to_have_count(before + 1)
        expect(page.locator("#memory-point-list")).to_contain_text(note)
        page.reload()  # saved, not only shown: the list still holds it after a fresh load
        expect(page.locator("#memory-point-list")).to_contain_text(note)
        screenshot(page, "memory_point-added")


class TestLanguage:
    def test_the_switch_changes_the_page_text_both_ways(self, page: Page) -> None:
        sign_in(page, "lead01")  # the choice is kept per user: a user no other flow signs in as
        logout = page.locator("#logout")
        expect(logout).to_have_text("退出")
        page.click("#switch-language")
        expect(logout).to_have_text("Sign out")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#switch-language")).to_have_text("中文")
        screenshot(page, "language-en")
        page.click("#switch-language")
        expect(logout).to_have_text("退出")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        screenshot(page, "language-zh")


class TestBookScope:
    def test_another_rms_client_by_url_is_not_found(self, page: Page, live_workbench: LiveWorkbench) -> None:
        mine = set(live_workbench.party_nos("rm001", limit=10_000))
        theirs = next(p for p in live_workbench.party_nos("rm002", limit=50) if p not in mine)
        sign_in(page, "rm001")
        response = page.goto(f"/clients/{theirs}")
        assert response is not None and response.status == 404
        expect(page.locator("#error-page")).to_have_attribute("data-status", "404")
        expect(page.locator("#error-page h1")).to_have_text("未找到")
        assert page.locator("#client-360").count() == 0
        screenshot(page, "book_scope-not_found")


class TestSignOut:
    def test_sign_out_returns_to_login_and_pages_need_a_new_sign_in(self, page: Page) -> None:
        sign_in(page, "rm001")
        page.click("#logout")
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.locator("#sign-in")).to_be_visible()
        page.goto("/book")
        expect(page).to_have_url(re.compile(r"/login\?next=/book"))
        screenshot(page, "sign_out")


class TestAdministration:
    def test_an_admin_lands_on_the_user_list_and_sees_no_client_pages(self, page: Page) -> None:
        sign_in(page, "admin01")
        expect(page).to_have_url(re.compile(r"/admin/users$"))
        expect(page.locator('#users tr[data-user="rm001"]')).to_be_visible()
        expect(page.locator('nav a[data-nav="book"]')).to_have_count(0)
        screenshot(page, "admin-users")


class TestAuditTrail:
    def test_compliance_sees_who_read_a_client(self, page: Page, live_workbench: LiveWorkbench) -> None:
        party_no = live_workbench.party_nos("rm001", limit=4)[-1]
        sign_in(page, "rm001")
        _open_client_360(page, party_no)  # the read that compliance will find
        page.context.clear_cookies()
        sign_in(page, "compliance01")
        expect(page).to_have_url(re.compile(r"/audit$"))
        page.locator("#audit-filter [name=party_no]").fill(party_no)
        page.locator("#audit-filter button").click()
        expect(page.locator("#trail tr[data-record]").first).to_be_visible()
        screenshot(page, "audit-trail")


class TestSegments:
    def test_an_rm_opens_the_segments_page_from_the_menu(self, page: Page) -> None:
        sign_in(page, "rm001")
        page.click("nav a[data-nav=segments]")
        expect(page).to_have_url(re.compile(r"/segments$"))
        expect(page.locator("h1")).to_contain_text("客群分析")
        expect(page.locator("#heat-map svg rect")).to_have_count(25)
        expect(page.locator("#lift-table tr[data-cell=all]")).to_be_visible()
        expect(page.locator("#tiers tr[data-tier=hnw]")).to_be_visible()
        screenshot(page, "segments")

    def test_the_360_shows_the_clients_tier_and_cell(self, page: Page, live_workbench: LiveWorkbench) -> None:
        sign_in(page, "rm001")
        _open_client_360(page, live_workbench.party_nos("rm001", limit=1)[0])
        expect(page.locator("#intelligence #intel-tier")).to_have_attribute(
            "data-tier", re.compile(r"^(hnw|mass|long_tail)$")
        )
        expect(page.locator("#intelligence #intel-cell")).to_be_visible()
        screenshot(page, "client_360-intelligence")


class TestPortfolioLab:
    def test_an_rm_proposes_sees_the_stress_test_and_overrides_with_a_live_check(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        sign_in(page, "rm001")
        for party_no in live_workbench.party_nos("rm001", limit=30):
            page.goto(f"/clients/{party_no}")
            page.click("text=组合实验室")
            page.click("#create-proposal")
            if page.locator("#proposal").count():  # a client whose questionnaire is still valid
                break
        expect(page.locator("#proposal")).to_be_visible()
        expect(page.locator("#proposal-status")).to_have_text("草稿")
        expect(page.locator("#rationale")).to_contain_text("客户")
        expect(page.locator("#stress svg")).to_be_visible()
        inputs = page.locator("#override-form input[data-code]")
        held = [inputs.nth(i) for i in range(inputs.count()) if float(inputs.nth(i).input_value()) > 1]
        assert len(held) >= 2, "the proposal holds at least two products"
        first, second = held[0], held[1]
        original = float(first.input_value())
        first.fill(f"{original + 5:.2f}")  # the weights no longer sum to 100 %
        expect(page.locator("#check-result")).to_contain_text("not 1")
        first.fill(f"{original - 1:.2f}")
        second.fill(f"{float(second.input_value()) + 1:.2f}")
        expect(page.locator("#check-result")).to_have_text("权重通过检查。")
        page.fill("#override-form textarea[name=reason]", "客户希望调整配置")
        page.click("#override-submit")
        expect(page.locator("#overridden")).to_be_visible()
        expect(page.locator("#compliance-reasons")).to_be_visible()
        screenshot(page, "portfolio-lab")


class TestReports:
    def test_an_rm_makes_a_health_check_from_the_360_reads_it_and_downloads_the_pdf(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        sign_in(page, "rm001")
        made = False
        for party_no in live_workbench.party_nos("rm001", limit=30):
            _open_client_360(page, party_no)
            page.click("#client-reports-link")
            page.select_option("#report-kind", "health_check")
            page.select_option("#report-lang", "zh-CN")
            page.click("#generate-report")
            if page.locator("#report-frame").count():  # a client with holdings
                made = True
                break
            expect(page.locator("#report-error")).to_contain_text("holds no products")
        assert made, "no client of rm001 with holdings"
        frame = page.frame_locator("#report-frame")
        expect(frame.locator("h1")).to_have_text("资产体检报告")
        expect(frame.locator(".chart svg").first).to_be_visible()
        with page.expect_download() as download:
            page.click("#download-pdf")
        assert download.value.suggested_filename.endswith(".pdf")
        assert download.value.path().read_bytes().startswith(b"%PDF")
        screenshot(page, "report-health-check")
        _open_client_360(page, party_no)
        expect(page.locator("#client-reports")).to_contain_text("资产体检报告")


class TestMyDay:
    def test_an_rm_opens_my_day_from_the_menu_and_closes_a_task_with_its_outcome(
        self, page: Page, live_workbench: LiveWorkbench
    ) -> None:
        from datetime import timedelta
        from uuid import uuid4

        from sqlalchemy import select

        from fincrm.access.models import User
        from fincrm.clients.models import Party
        from fincrm.db.uow import unit_of_work
        from fincrm.engagement import tasks
        from tests.browser.conftest import NOW as now  # the workbench's fixed clock

        party_no = live_workbench.party_nos("rm001", limit=1)[0]
        with unit_of_work(live_workbench.sessions) as s:
            rm = s.scalars(select(User).where(User.username == "rm001")).one()
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            task = tasks.insert_task(
                s, party=party, assignee_id=rm.id, rule_key="new_client_welcome_call",
                idempotency_key=f"browser:{uuid4()}", title_zh="开户一小时内致电欢迎",
                title_en="Welcome call within the hour", due_at=now + timedelta(minutes=50), priority=1, now=now,
                reason_zh="客户刚刚开户", reason_en="the client just opened an account",
            )  # fmt: skip
            task_id = task.id
        sign_in(page, "rm001")
        page.click("nav >> text=我的一天")
        card = page.locator(f'article[data-task-id="{task_id}"]')
        expect(card).to_contain_text("开户一小时内致电欢迎")
        expect(card.locator("[data-sla]")).to_contain_text("分钟后到期")
        screenshot(page, "my-day")
        card.locator(".complete-form input[name=outcome]").fill("已致电，客户约周五来网点")
        card.locator(".complete-form button").click()
        expect(page.locator(f'article[data-task-id="{task_id}"]')).to_have_count(0)
        _open_client_360(page, party_no)
        expect(page.locator("#client-360")).to_contain_text("已致电，客户约周五来网点")
