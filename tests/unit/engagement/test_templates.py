from __future__ import annotations

from datetime import date

import pytest

from fincrm.engagement.message_templates import (
    DEFAULT_TEMPLATES,
    HOLIDAYS,
    LANGS,
    SMS_MAX_CHARS,
    MessageTemplate,
    render,
)
from fincrm.engagement.scan import ScannedProduct, scan
from fincrm.errors import InputError
from fincrm.portfolio.suitability import Investor

ON = date(2025, 6, 30)
INVESTOR = Investor("C4", date(2026, 6, 30))

COMMON = {
    "zh-CN": {
        "client_name": "王女士",
        "rm_name": "李明",
        "rm_phone": "13800138000",
        "institution": "示范银行财富管理部",
    },
    "en": {
        "client_name": "Ms Wang",
        "rm_name": "Li Ming",
        "rm_phone": "13800138000",
        "institution": "Demo Bank Wealth Management",
    },
}
# Sample facts per template, per language (words in the language rendered).
SAMPLE = {
    "welcome": ({}, {}),
    "salary_plan": ({}, {}),
    "questionnaire_renewal": ({"valid_until": date(2025, 7, 30)}, {"valid_until": "2025-07-30"}),
    "maturity_notice": (
        {"product_name": "稳健增利1号", "maturity_on": date(2025, 7, 15)},
        {"product_name": "Steady Income No.1", "maturity_on": "2025-07-15"},
    ),
    "comfort_drawdown": (
        {
            "index_name": "沪深300指数",
            "index_fall_pct": 8.46,
            "window_days": 10,
            "equity_share_pct": 35,
            "call_by": date(2025, 7, 2),
        },
        {
            "index_name": "CSI 300 index",
            "index_fall_pct": 8.46,
            "window_days": 10,
            "equity_share_pct": 35,
            "call_by": date(2025, 7, 2),
        },
    ),
    "holiday_greeting": ({"holiday_key": "mid_autumn"}, {"holiday_key": "mid_autumn"}),
    "birthday": ({}, {}),
    "quarterly_review_invite": ({"year": 2025, "quarter": 2}, {"year": 2025, "quarter": 2}),
    "event_invitation": (
        {
            "event_name": "企业财税沙龙",
            "event_on": date(2025, 7, 10),
            "event_time": "14:00",
            "venue": "本行贵宾厅",
            "event_summary": "本期邀请税务专家解读企业所得税汇算清缴要点，并现场答疑。",
        },
        {
            "event_name": "Corporate Tax Salon",
            "event_on": date(2025, 7, 10),
            "event_time": "14:00",
            "venue": "our VIP lounge",
            "event_summary": "A tax expert will walk through the annual corporate income tax filing and take "
            "questions.",
        },
    ),
    "partner_offer": (
        {
            "partner_name": "示范理财有限公司",
            "offer_name": "稳健增利1号",
            "risk_rating": "R2",
            "offer_summary": "这是一只投资于高等级债券的净值型理财产品，封闭期180天。",
        },
        {
            "partner_name": "Demo Wealth Management Co.",
            "offer_name": "Steady Income No.1",
            "risk_rating": "R2",
            "offer_summary": "A net-value wealth-management product investing in high-grade bonds, closed "
            "for 180 days.",
        },
    ),
}
# The products each template concerns, for the scan.
PRODUCTS = {
    "maturity_notice": [
        ScannedProduct("WMP001", "bank_wmp", "R2", name_zh="稳健增利1号", name_en="Steady Income No.1")
    ],
    "partner_offer": [
        ScannedProduct("WMP001", "bank_wmp", "R2", name_zh="稳健增利1号", name_en="Steady Income No.1")
    ],
}


def facts(key: str, lang: str) -> dict:
    zh, en = SAMPLE[key]
    return {**COMMON[lang], **(zh if lang == "zh-CN" else en)}


def cases():
    for key, template in DEFAULT_TEMPLATES.items():
        for lang in LANGS:
            yield key, lang, None
            if "sms" in template.channels:
                yield key, lang, "sms"


class TestDefaultTemplates:
    def test_samples_cover_every_template(self):
        assert set(SAMPLE) == set(DEFAULT_TEMPLATES)

    @pytest.mark.parametrize(("key", "lang", "channel"), list(cases()))
    def test_renders_and_passes_the_scan(self, key, lang, channel):
        message = render(key, lang, facts(key, lang), channel=channel)
        assert message.template_key == key and message.lang == lang and message.channel == channel
        assert message.subject and message.body
        assert "{{" not in message.body and "{%" not in message.body
        result = scan(
            f"{message.subject}\n{message.body}", products=PRODUCTS.get(key, []), investor=INVESTOR, on=ON
        )
        assert result.ok, [f.message_en for f in result.findings]
        if channel == "sms":
            assert len(message.body) <= SMS_MAX_CHARS
            if message.marketing:
                assert ("回T退订" if lang == "zh-CN" else "Reply T to opt out") in message.body

    @pytest.mark.parametrize("holiday", list(HOLIDAYS))
    @pytest.mark.parametrize("lang", LANGS)
    def test_every_holiday_renders_and_passes(self, holiday, lang):
        for channel in (None, "sms"):
            message = render(
                "holiday_greeting", lang, {**COMMON[lang], "holiday_key": holiday}, channel=channel
            )
            assert scan(f"{message.subject}\n{message.body}", investor=None, on=ON).ok
        tip = HOLIDAYS[holiday].tip_zh if lang == "zh-CN" else HOLIDAYS[holiday].tip_en
        assert tip in render("holiday_greeting", lang, {**COMMON[lang], "holiday_key": holiday}).body

    def test_marketing_flags(self):
        marketing = {k for k, t in DEFAULT_TEMPLATES.items() if t.marketing}
        assert marketing == {"salary_plan", "holiday_greeting", "event_invitation", "partner_offer"}

    def test_comfort_message_states_the_clients_facts(self):
        zh = render("comfort_drawdown", "zh-CN", facts("comfort_drawdown", "zh-CN")).body
        assert "沪深300指数累计下跌8.5%" in zh and "权益类资产约占35.0%" in zh and "2025年7月2日" in zh
        en = render("comfort_drawdown", "en", facts("comfort_drawdown", "en")).body
        assert "fallen 8.5%" in en and "about 35.0% of your holdings" in en and "2 July 2025" in en

    def test_birthday_mentions_the_health_check(self):
        assert "资产体检报告" in render("birthday", "zh-CN", facts("birthday", "zh-CN")).body
        assert "asset health check" in render("birthday", "en", facts("birthday", "en")).body

    def test_chinese_dates_and_quarters(self):
        message = render("quarterly_review_invite", "zh-CN", facts("quarterly_review_invite", "zh-CN"))
        assert message.subject == "2025年第2季度资产诊断邀约"
        message = render("maturity_notice", "zh-CN", facts("maturity_notice", "zh-CN"))
        assert "2025年7月15日到期" in message.body


class TestErrors:
    def test_missing_fact_names_template_and_variable(self):
        given = {k: v for k, v in facts("maturity_notice", "en").items() if k != "maturity_on"}
        with pytest.raises(InputError) as caught:
            render("maturity_notice", "en", given)
        assert "maturity_notice" in caught.value.message and "maturity_on" in caught.value.message
        assert [e.loc for e in caught.value.errors] == [("facts", "maturity_on")]

    def test_unknown_template_language_and_channel(self):
        with pytest.raises(InputError, match="unknown template; use welcome"):
            render("nope", "zh-CN", {})
        with pytest.raises(InputError, match="unknown language"):
            render("welcome", "fr", {})
        with pytest.raises(InputError, match="suits email, wecom, in_app"):
            render("partner_offer", "zh-CN", facts("partner_offer", "zh-CN"), channel="sms")

    def test_unknown_holiday(self):
        with pytest.raises(InputError, match="unknown holiday; use new_year"):
            render("holiday_greeting", "zh-CN", {**COMMON["zh-CN"], "holiday_key": "halloween"})

    def test_sms_over_limit_is_refused(self):
        long = {**facts("event_invitation", "zh-CN"), "venue": "本行" + "贵宾厅" * 40}
        with pytest.raises(InputError, match=f"limit is {SMS_MAX_CHARS}") as caught:
            render("event_invitation", "zh-CN", long, channel="sms")
        assert caught.value.errors[0].input > SMS_MAX_CHARS
        # The same facts are fine for email.
        assert render("event_invitation", "zh-CN", long, channel="email").body

    def test_sandbox_refuses_unsafe_template(self):
        evil = MessageTemplate(
            "evil", "x", "x", "{{ client_name.__class__.__mro__ }}", "x", marketing=False, channels=("email",)
        )
        with pytest.raises(InputError, match="sandbox forbids|could not be filled"):
            render("evil", "zh-CN", {"client_name": "王"}, templates={"evil": evil})

    def test_missing_attribute_of_a_given_fact(self):
        tpl = MessageTemplate("t", "x", "x", "{{ client.name }}", "x", marketing=False, channels=("email",))
        with pytest.raises(InputError, match="template t .zh-CN.*name"):
            render("t", "zh-CN", {"client": {}}, templates={"t": tpl})

    def test_bad_number_in_a_filter(self):
        with pytest.raises(InputError, match="not a number"):
            render("comfort_drawdown", "en", {**facts("comfort_drawdown", "en"), "index_fall_pct": "lots"})

    def test_template_with_unknown_channel_is_rejected(self):
        with pytest.raises(InputError, match="channels"):
            MessageTemplate("t", "s", "s", "b", "b", marketing=False, channels=("fax",))
