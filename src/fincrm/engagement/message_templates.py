"""Bilingual message templates (消息模板) filled with a client's facts.

Pure module: no database, no clock. Templates are Jinja2 text rendered in a
``SandboxedEnvironment`` with ``StrictUndefined``: a template can read the facts it is given and
nothing else, and a fact it needs but was not given is an ``InputError`` naming the template and
the variable, never a blank in a message to a client.

Each template has an email subject and a body in zh-CN and en, optionally a short SMS text per
language (SMS bodies are at most ``SMS_MAX_CHARS`` characters, checked when rendered), a
``marketing`` flag (marketing messages need the client's marketing consent and count against the
weekly cap, see ``guard``) and the channels it suits (``guard.CHANNEL_KINDS``).

Facts
-----
Every default template uses ``client_name`` (the form of address, e.g. 王女士 / Ms Wang: pass the
form for the language rendered), ``rm_name`` and most use ``rm_phone`` and ``institution``. Words in
facts are given in the language rendered; numbers and dates are formatted by filters:

* ``money``: an amount in CNY; zh-CN in 万元 / 亿元 from 10 thousand (12.50万元), en
  ``CNY 125,000.00``.
* ``pct``: a value already in percent (8.5 -> ``8.5%``).
* ``date``: a ``date`` or ISO ``YYYY-MM-DD`` text; zh-CN ``2025年6月30日``, en ``30 June 2025``.

A fact ``holiday_key`` (one of ``HOLIDAYS``) adds ``holiday_name``, ``holiday_wish``,
``holiday_tip`` and ``holiday_sms_tip`` in the language rendered.

Marketing SMS texts end with the opt-out instruction (回T退订 / Reply T to opt out) that commercial
short messages must carry under 《通信短信息服务管理规定》 (MIIT Order No. 31).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from fincrm.engagement.guard import CHANNEL_KINDS
from fincrm.errors import FieldError, InputError

LANGS = ("zh-CN", "en")  # languages every template is written in
SMS_MAX_CHARS = 140  # characters of one SMS body, the limit our SMS gateway accepts

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """One message in both languages; ``sms_*`` are the short texts sent when the channel is SMS."""

    key: str
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    marketing: bool
    channels: tuple[str, ...]
    sms_zh: str = ""
    sms_en: str = ""

    def __post_init__(self) -> None:
        unknown = [c for c in self.channels if c not in CHANNEL_KINDS]
        if unknown or not self.channels:
            raise InputError(
                f"template {self.key}: channels must be some of {', '.join(CHANNEL_KINDS)}",
                errors=[FieldError((self.key, "channels"), f"use {', '.join(CHANNEL_KINDS)}", unknown)],
            )

    def sources(self, lang: str, channel: str | None) -> dict[str, str]:
        """The template texts for ``lang``: subject and body (the SMS text when it is an SMS)."""
        zh = lang == "zh-CN"
        body = self.body_zh if zh else self.body_en
        if channel == "sms":
            body = (self.sms_zh if zh else self.sms_en) or body
        return {"subject": self.subject_zh if zh else self.subject_en, "body": body}


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    body: str
    marketing: bool
    template_key: str
    lang: str
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class HolidayText:
    """Greeting and finance tip for one holiday, per language (a tip, not an advert)."""

    name_zh: str
    name_en: str
    wish_zh: str
    wish_en: str
    tip_zh: str
    tip_en: str
    sms_tip_zh: str
    sms_tip_en: str


# Keys follow the public holidays of mainland China (the `holidays` library's CN calendar).
HOLIDAYS: dict[str, HolidayText] = {
    "new_year": HolidayText(
        "元旦",
        "New Year's Day",
        "元旦快乐，新年顺遂",
        "Happy New Year",
        "新年小贴士：个人所得税专项附加扣除需要每年确认一次，子女教育、住房贷款利息、赡养老人等项目，"
        "记得在个税App里核对更新，别让该享受的扣除漏掉。",
        "A tip for the new year: the special additional deductions for individual income tax (children's "
        "education, mortgage interest, supporting elderly parents and more) must be confirmed every year. "
        "Check and update them in the individual income tax app so that none is missed.",
        "个税专项附加扣除需每年确认，记得在个税App核对。",
        "confirm your income-tax deductions in the tax app.",
    ),
    "spring_festival": HolidayText(
        "春节",
        "Spring Festival",
        "新春快乐，阖家幸福",
        "Happy Spring Festival to you and your family",
        "新春小贴士：节日期间抢红包、领福利的链接很多，请不要点开来路不明的链接，也不要向任何人透露验证码。"
        "本行工作人员不会向您索要密码或验证码。",
        "A tip for the holiday: many red-envelope and free-gift links circulate during the festival. Do not "
        "open links from unknown senders and never share a verification code; our staff will never ask for "
        "your password or codes.",
        "勿点陌生红包链接，勿向任何人透露验证码。",
        "never share a verification code.",
    ),
    "qingming": HolidayText(
        "清明节",
        "Qingming Festival",
        "清明时节，愿您和家人安康",
        "Wishing you and your family peace this Qingming",
        "小贴士：不妨借这个时节整理一份家庭资产清单，核对保单受益人和各类账户信息是否准确完整，"
        "这是财富传承中最简单、也最重要的一步。",
        "A tip for the season: it is a good time to draw up a list of your family's assets and check that "
        "the beneficiaries of insurance policies and the details of your accounts are accurate and complete, "
        "the simplest and most important step in succession planning.",
        "可借此整理家庭资产清单，核对保单受益人。",
        "list your family's assets, check beneficiaries.",
    ),
    "labour_day": HolidayText(
        "劳动节",
        "Labour Day",
        "劳动节快乐",
        "Happy Labour Day",
        "出行小贴士：出门旅行前，可以在手机银行设置好银行卡的交易限额；境外用卡请提前开通并留意交易提醒，"
        "遇到不认识的扣款请及时致电我们。",
        "A travel tip: before you set off, set transaction limits on your cards in mobile banking. If you "
        "will use a card abroad, enable it in advance and watch the transaction alerts, and call us at once "
        "about any charge you do not recognise.",
        "出行前可在手机银行设置银行卡交易限额。",
        "set card limits in mobile banking first.",
    ),
    "dragon_boat": HolidayText(
        "端午节",
        "Dragon Boat Festival",
        "端午安康",
        "Wishing you a healthy Dragon Boat Festival",
        "年中小贴士：端午前后一年正好过半，可以回顾一下年初定下的理财目标完成得怎么样，"
        "看看资产配置有没有偏离原来的计划。",
        "A mid-year tip: the festival falls around the middle of the year, a good moment to look back at the "
        "goals you set in January and see whether your asset allocation has drifted from the plan.",
        "年中可回顾年初目标，看看资产配置是否偏离计划。",
        "mid-year is a good time to review your allocation.",
    ),
    "mid_autumn": HolidayText(
        "中秋节",
        "Mid-Autumn Festival",
        "中秋快乐，花好月圆",
        "Happy Mid-Autumn Festival",
        "团圆小贴士：家人团聚时，不妨聊聊家庭保障，看看医疗、重疾和意外保障是否覆盖到每位家庭成员，"
        "保额是否跟上了收入和家庭责任的变化。",
        "A tip for the reunion: with the family together, it is a good time to talk about protection. Do "
        "health, critical-illness and accident cover reach every member of the family, and has the cover "
        "kept pace with your income and responsibilities?",
        "家人团聚时，可聊聊每位成员的保障是否充足。",
        "check everyone in the family is covered.",
    ),
    "national_day": HolidayText(
        "国庆节",
        "National Day",
        "国庆快乐",
        "Happy National Day",
        "长假小贴士：假期里部分转账、理财赎回和基金交易会顺延到节后处理，如有大额支付或用款安排，请提前预留资金。",
        "A tip for the long holiday: some transfers, redemptions and fund transactions are processed only "
        "after the holiday, so if you have large payments coming up, set the money aside in advance.",
        "长假期间部分赎回和转账顺延，大额用款请提前安排。",
        "some redemptions wait until after the break.",
    ),
}

_ZH_SIGN = "\n\n客户经理 {{ rm_name }}  {{ rm_phone }}"
_EN_SIGN = "\n\n{{ rm_name }}, your relationship manager, {{ rm_phone }}"
_ZH_RISK = "\n\n理财非存款，产品有风险，投资须谨慎。"
_EN_RISK = "\n\nInvestment involves risk; wealth-management products are not deposits."
_ZH_OPT_OUT = "\n\n如不希望再收到此类信息，回复“退订”即可。"
_EN_OPT_OUT = "\n\nTo stop receiving messages like this, reply “unsubscribe”."

_ALL = ("email", "sms", "wecom", "in_app")
_LONG = ("email", "wecom", "in_app")

DEFAULT_TEMPLATES: dict[str, MessageTemplate] = {
    t.key: t
    for t in (
        MessageTemplate(
            key="welcome",
            subject_zh="欢迎您成为{{ institution }}的客户",
            subject_en="Welcome to {{ institution }}",
            body_zh="{{ client_name }}，您好！\n\n感谢您选择{{ institution }}。我是您的专属客户经理{{ rm_name }}，"
            "今后您的账户、理财和日常金融事务都可以直接找我。\n\n接下来几天我会和您约个时间，当面了解您的需求和规划。"
            "如有任何问题，欢迎随时致电 {{ rm_phone }}。" + _ZH_SIGN,
            body_en="Dear {{ client_name }},\n\nThank you for choosing {{ institution }}. I am {{ rm_name }}, "
            "your relationship manager: from now on you can come to me for anything about your accounts, "
            "investments and day-to-day banking.\n\nI will be in touch in the next few days to arrange a "
            "meeting and learn about your needs and plans. If anything comes up before then, please call me "
            "on {{ rm_phone }}." + _EN_SIGN,
            sms_zh="{{ client_name }}您好，欢迎成为{{ institution }}客户！我是您的客户经理{{ rm_name }}，"
            "有任何需要请随时致电{{ rm_phone }}。",
            sms_en="Welcome, {{ client_name }}! I'm {{ rm_name }}, your relationship manager. "
            "Call me any time on {{ rm_phone }}.",
            marketing=False,
            channels=_ALL,
        ),
        MessageTemplate(
            key="salary_plan",
            subject_zh="您的第一笔工资到账了：聊聊薪资理财",
            subject_en="Your first salary has arrived: a plan for it",
            body_zh="{{ client_name }}，您好！\n\n看到您在我行的第一笔工资已经到账，祝贺您！很多客户会在发薪后，"
            "先留出日常开销和3至6个月的应急备用金，再把结余的一部分做成每月固定金额的工资定投，让储蓄慢慢成为习惯。"
            "\n\n如果您感兴趣，我可以结合您的目标和风险测评结果，和您一起做个简单的薪资理财规划。"
            "定投可以分散买入时点，但不能消除市场波动。" + _ZH_RISK + _ZH_SIGN + _ZH_OPT_OUT,
            body_en="Dear {{ client_name }},\n\nCongratulations: your first salary with us has arrived. Many "
            "clients first set aside their monthly spending and an emergency fund of three to six months, then "
            "invest a fixed amount of what is left each month in a salary investment plan, so that saving "
            "becomes a habit.\n\nIf you are interested, I would be glad to sketch such a plan with you, based "
            "on your goals and your risk questionnaire. Investing a fixed amount every month spreads your entry "
            "points but does not remove market ups and downs." + _EN_RISK + _EN_SIGN + _EN_OPT_OUT,
            sms_zh="{{ client_name }}您好，您的首笔工资已到账。如需规划应急备用金和工资定投，欢迎联系客户经理"
            "{{ rm_name }} {{ rm_phone }}。理财非存款，产品有风险，投资须谨慎。回T退订",
            sms_en="First salary in! To plan an emergency fund and monthly investing, call {{ rm_name }} "
            "{{ rm_phone }}. Investment involves risk. Reply T to opt out",
            marketing=True,
            channels=_ALL,
        ),
        MessageTemplate(
            key="questionnaire_renewal",
            subject_zh="风险承受能力测评即将到期",
            subject_en="Your risk questionnaire is due for renewal",
            body_zh="{{ client_name }}，您好！\n\n您的风险承受能力测评将于{{ valid_until|date }}到期。按照适当性管理的"
            "要求，测评到期后我们暂时无法为您推荐新的投资产品，已持有的产品不受影响。\n\n重新测评只需几分钟，可在"
            "手机银行完成，也可以约我当面办理。" + _ZH_SIGN,
            body_en="Dear {{ client_name }},\n\nYour risk questionnaire expires on {{ valid_until|date }}. Under "
            "the suitability rules we cannot recommend new investments to you once it has expired; what you "
            "already hold is not affected.\n\nRenewing takes a few minutes in the mobile app, or with me in "
            "person." + _EN_SIGN,
            sms_zh="{{ client_name }}您好，您的风险测评将于{{ valid_until|date }}到期，到期后暂无法为您推荐新产品。"
            "可在手机银行重新测评，或联系{{ rm_name }} {{ rm_phone }}。",
            sms_en="Your risk questionnaire expires {{ valid_until|date }}; renew it in the app or call "
            "{{ rm_name }} {{ rm_phone }}.",
            marketing=False,
            channels=_ALL,
        ),
        MessageTemplate(
            key="maturity_notice",
            subject_zh="产品到期提醒：{{ product_name }}",
            subject_en="Maturity reminder: {{ product_name }}",
            body_zh="{{ client_name }}，您好！\n\n您持有的「{{ product_name }}」将于{{ maturity_on|date }}到期，"
            "到期资金将按产品说明书的约定划入您的账户，实际金额以到账为准。\n\n如果您对这笔资金已有安排，无需操作；"
            "如需结合近期的用款计划和风险测评结果重新规划，欢迎联系我。" + _ZH_RISK + _ZH_SIGN,
            body_en="Dear {{ client_name }},\n\n{{ product_name }}, which you hold, matures on "
            "{{ maturity_on|date }}. The proceeds will be paid into your account as set out in the product "
            "terms; the amount credited is final.\n\nIf you already have plans for the money, there is nothing "
            "to do. If you would like to review it against your upcoming spending and your risk questionnaire, "
            "I am happy to help." + _EN_RISK + _EN_SIGN,
            sms_zh="{{ client_name }}您好，您持有的「{{ product_name }}」将于{{ maturity_on|date }}到期，资金按约定"
            "划入您的账户。如需规划请联系{{ rm_name }} {{ rm_phone }}。理财非存款，产品有风险。",
            sms_en="{{ product_name }} matures on {{ maturity_on|date }}; proceeds go to your account. "
            "Questions: {{ rm_phone }}. Investment involves risk.",
            marketing=False,
            channels=_ALL,
        ),
        MessageTemplate(
            # Crisis communication: empathy, then the client's own facts, then the plan. No promises.
            key="comfort_drawdown",
            subject_zh="关于近期市场下跌，和您同步一下",
            subject_en="About the recent market fall: where you stand",
            body_zh="{{ client_name }}，您好！\n\n近{{ window_days }}天，{{ index_name }}累计下跌"
            "{{ index_fall_pct|pct }}。这样的波动难免让人担心，您的心情我完全理解。\n\n先和您同步一下您的情况："
            "目前您在我行的资产中，权益类资产约占{{ equity_share_pct|pct }}，这部分会随市场波动；其余为固收和现金类资产。"
            "\n\n接下来我会为您整理一份市场复盘报告，并在{{ call_by|date }}前给您打电话，一起看看您的配置是否仍然"
            "符合您的目标和风险承受能力。在此之前，建议您不要在市场剧烈波动时仓促做决定。"
            "\n\n投资有风险，短期波动难以完全避免。" + _ZH_SIGN,
            body_en="Dear {{ client_name }},\n\nOver the past {{ window_days }} days the {{ index_name }} has "
            "fallen {{ index_fall_pct|pct }}. Falls like this are unsettling, and I understand if you are "
            "worried.\n\nHere is where you stand: equity assets make up about {{ equity_share_pct|pct }} of "
            "your holdings with us, and that part moves with the market; the rest is in fixed-income and cash "
            "assets.\n\nI am preparing a post-crisis review for you and will call you by {{ call_by|date }} to "
            "check together whether your allocation still fits your goals and your risk tolerance. Until then, "
            "I suggest not making hasty decisions while the market is swinging.\n\nInvestment involves risk, "
            "and short-term swings cannot be avoided entirely." + _EN_SIGN,
            marketing=False,
            channels=_LONG,
        ),
        MessageTemplate(
            # Greetings carry a finance tip, never an advert. Marketing for consent and the weekly
            # cap: carriers and the MIIT rules treat bulk greetings from a business as commercial.
            key="holiday_greeting",
            subject_zh="{{ holiday_wish }}",
            subject_en="{{ holiday_wish }}",
            body_zh="{{ client_name }}，您好！\n\n{{ holiday_wish }}！\n\n{{ holiday_tip }}"
            "\n\n客户经理 {{ rm_name }} 敬上\n{{ institution }}" + _ZH_OPT_OUT,
            body_en="Dear {{ client_name }},\n\n{{ holiday_wish }}!\n\n{{ holiday_tip }}\n\nWarm wishes,\n"
            "{{ rm_name }}\n{{ institution }}" + _EN_OPT_OUT,
            sms_zh="{{ client_name }}您好，{{ holiday_wish }}！小贴士：{{ holiday_sms_tip }}客户经理{{ rm_name }}敬上。回T退订",
            sms_en="{{ holiday_wish }}! Tip: {{ holiday_sms_tip }} {{ rm_name }}. Reply T to opt out",
            marketing=True,
            channels=_ALL,
        ),
        MessageTemplate(
            key="birthday",
            subject_zh="{{ client_name }}，生日快乐！",
            subject_en="Happy birthday, {{ client_name }}",
            body_zh="{{ client_name }}，您好！\n\n今天是您的生日，祝您生日快乐，身体健康，万事顺意！\n\n作为一份小小的"
            "生日礼物，我为您准备了一份资产体检报告，梳理了您目前的资产配置、流动性和风险情况。方便的时候我们约个时间，"
            "我当面为您解读。\n\n客户经理 {{ rm_name }} 敬上\n{{ institution }}",
            body_en="Dear {{ client_name }},\n\nHappy birthday! Wishing you good health and a wonderful year "
            "ahead.\n\nAs a small birthday gift, I have prepared an asset health check for you: a look at your "
            "current allocation, liquidity and risk. Whenever it suits you, let us meet and I will walk you "
            "through it.\n\nWarm wishes,\n{{ rm_name }}\n{{ institution }}",
            sms_zh="{{ client_name }}，祝您生日快乐，身体健康！我为您准备了一份资产体检报告，方便时约您当面解读。"
            "客户经理{{ rm_name }}",
            sms_en="Happy birthday, {{ client_name }}! I've prepared an asset health check for you; let's meet "
            "when it suits you. {{ rm_name }}",
            marketing=False,
            channels=_ALL,
        ),
        MessageTemplate(
            key="quarterly_review_invite",
            subject_zh="{{ year }}年第{{ quarter }}季度资产诊断邀约",
            subject_en="Your quarterly diagnosis for Q{{ quarter }} {{ year }}",
            body_zh="{{ client_name }}，您好！\n\n{{ year }}年第{{ quarter }}季度已经结束，我为您准备了季度资产诊断，"
            "内容包括这一季度的资产变化、配置与您目标的对比，以及需要关注的事项。\n\n想约您花二十分钟左右一起过一遍，"
            "电话或面谈都可以。您看哪个时间方便？可以直接回复我，或致电 {{ rm_phone }}。"
            "\n\n客户经理 {{ rm_name }}",
            body_en="Dear {{ client_name }},\n\nWith Q{{ quarter }} {{ year }} now closed, I have prepared your "
            "quarterly diagnosis: how your assets changed over the quarter, how your allocation compares with "
            "your goals, and anything that needs your attention.\n\nCould we take about twenty minutes to go "
            "through it together, by phone or in person? Just reply with a time that suits you, or call me on "
            "{{ rm_phone }}.\n\n{{ rm_name }}, your relationship manager",
            sms_zh="{{ client_name }}您好，您的{{ year }}年第{{ quarter }}季度资产诊断已准备好，想约20分钟和您一起过一遍，"
            "请回复方便的时间或致电{{ rm_phone }}。{{ rm_name }}",
            sms_en="{{ client_name }}, your Q{{ quarter }} {{ year }} review is ready. 20 minutes to go through "
            "it? Reply with a time or call {{ rm_phone }}",
            marketing=False,
            channels=_ALL,
        ),
        MessageTemplate(
            key="event_invitation",
            subject_zh="诚邀您参加：{{ event_name }}",
            subject_en="Invitation: {{ event_name }}",
            body_zh="{{ client_name }}，您好！\n\n诚挚邀请您参加{{ institution }}举办的「{{ event_name }}」。\n\n"
            "时间：{{ event_on|date }} {{ event_time }}\n地点：{{ venue }}\n\n{{ event_summary }}\n\n"
            "名额有限，如您方便出席，请回复本消息或致电 {{ rm_phone }} 告诉我，我来为您安排。"
            "\n\n客户经理 {{ rm_name }}" + _ZH_OPT_OUT,
            body_en="Dear {{ client_name }},\n\nIt is my pleasure to invite you to {{ event_name }}, hosted by "
            "{{ institution }}.\n\nDate: {{ event_on|date }}, {{ event_time }}\nVenue: {{ venue }}\n\n"
            "{{ event_summary }}\n\nPlaces are limited. If you would like to attend, reply to this message or "
            "call me on {{ rm_phone }} and I will reserve a seat for you.\n\nKind regards,\n{{ rm_name }}"
            + _EN_OPT_OUT,
            sms_zh="{{ client_name }}您好，诚邀您参加「{{ event_name }}」，{{ event_on|date }} {{ event_time }}，"
            "{{ venue }}。请回复或致电{{ rm_phone }}报名。回T退订",
            sms_en="Invitation: {{ event_name }}, {{ event_on|date }} {{ event_time }}, {{ venue }}. "
            "RSVP {{ rm_phone }}. Reply T to opt out",
            marketing=True,
            channels=_ALL,
        ),
        MessageTemplate(
            # A distributed (代销) product: who issues it, our role, the rating, and the risk statement.
            key="partner_offer",
            subject_zh="为您推荐：{{ offer_name }}",
            subject_en="For you: {{ offer_name }}",
            body_zh="{{ client_name }}，您好！\n\n根据您的风险测评结果，向您介绍{{ partner_name }}的「{{ offer_name }}」"
            "（产品风险等级{{ risk_rating }}）。\n\n{{ offer_summary }}\n\n本产品由{{ partner_name }}发行并管理，"
            "本行为代销机构，不承担产品的投资、兑付和风险管理责任。过往业绩不代表未来表现。购买前请仔细阅读产品说明书"
            "和风险揭示书，如有疑问欢迎联系我。" + _ZH_RISK + _ZH_SIGN + _ZH_OPT_OUT,
            body_en="Dear {{ client_name }},\n\nIn line with your risk questionnaire, I would like to introduce "
            "{{ offer_name }} from {{ partner_name }} (product risk rating {{ risk_rating }}).\n\n"
            "{{ offer_summary }}\n\nThe product is issued and managed by {{ partner_name }}; we distribute it "
            "and are not responsible for its investment, payouts or risk management. Past performance is not a "
            "guide to future results. Please read the prospectus and the risk disclosure before investing, and "
            "ask me if anything is unclear." + _EN_RISK + _EN_SIGN + _EN_OPT_OUT,
            marketing=True,
            channels=_LONG,
        ),
    )
}


def render(
    template_key: str,
    lang: str,
    facts: Mapping[str, Any],
    *,
    channel: str | None = None,
    templates: Mapping[str, MessageTemplate] = DEFAULT_TEMPLATES,
) -> RenderedMessage:
    """Fill one template with a client's facts.

    Parameters
    ----------
    template_key
        A key of ``templates``.
    lang
        ``zh-CN`` or ``en``.
    facts
        Values for the template's variables (see the module docstring for the common ones).
    channel
        The channel it will go through; must be one the template suits. ``sms`` renders the short
        text and enforces ``SMS_MAX_CHARS``; None renders the full body.
    templates
        The template set, the defaults unless the institution ships its own.

    Returns
    -------
    RenderedMessage
        Subject (for email; other channels may ignore it), body, the marketing flag, key and language.

    Raises
    ------
    InputError
        Unknown template, language or channel; a missing fact (naming the template and every
        missing variable); a template the sandbox refuses; an SMS longer than ``SMS_MAX_CHARS``.

    Examples
    --------
    >>> m = render("birthday", "zh-CN", {"client_name": "王女士", "rm_name": "李明", "institution": "示范银行"})
    >>> m.subject, m.marketing
    ('王女士，生日快乐！', False)
    >>> render("birthday", "en", {"client_name": "Ms Wang"})
    Traceback (most recent call last):
    ...
    fincrm.errors.InputError: template birthday (en) needs facts it was not given: institution, rm_name
    """
    template = _lookup(template_key, lang, channel, templates)
    context = dict(facts)
    problems: list[FieldError] = []
    holiday_key = context.get("holiday_key")
    if holiday_key is not None:
        holiday = HOLIDAYS.get(holiday_key)
        if holiday is None:
            problems.append(
                FieldError(
                    ("facts", "holiday_key"), "unknown holiday; use " + ", ".join(HOLIDAYS), holiday_key
                )
            )
        else:
            context.update(_holiday_facts(holiday, lang))
    if problems:
        raise InputError(
            f"template {template_key} ({lang}): " + "; ".join(map(str, problems)), errors=problems
        )

    sources = template.sources(lang, channel)
    try:
        subject_template, subject_names = _compiled(lang, sources["subject"])
        body_template, body_names = _compiled(lang, sources["body"])
        missing = sorted((subject_names | body_names) - set(context))
        if missing:
            raise InputError(
                f"template {template_key} ({lang}) needs facts it was not given: {', '.join(missing)}",
                errors=[FieldError(("facts", name), "missing fact") for name in missing],
            )
        subject = subject_template.render(context).strip()
        body = body_template.render(context).strip()
    except UndefinedError as exc:
        # Reached only for a fact given but lacking an attribute or key the template reads.
        raise InputError(
            f"template {template_key} ({lang}): {exc.message}; give the fact it names",
            errors=[FieldError(("facts",), str(exc.message))],
        ) from exc
    except SecurityError as exc:
        raise InputError(
            f"template {template_key} ({lang}) does something the sandbox forbids: {exc}",
            errors=[FieldError(("template", template_key), str(exc))],
        ) from exc
    except (TemplateError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"template {template_key} ({lang}) could not be filled: {exc}",
            errors=[FieldError(("template", template_key), str(exc))],
        ) from exc
    if channel == "sms" and len(body) > SMS_MAX_CHARS:
        raise InputError(
            f"template {template_key} ({lang}) renders an SMS of {len(body)} characters; the limit is "
            f"{SMS_MAX_CHARS}: shorten the facts (names, venue) or the template's SMS text",
            errors=[FieldError(("body",), f"at most {SMS_MAX_CHARS} characters for an SMS", len(body))],
        )
    return RenderedMessage(subject, body, template.marketing, template_key, lang, channel)


@lru_cache(maxsize=512)
def _compiled(lang: str, source: str) -> tuple[Template, frozenset[str]]:
    """The compiled template and the variables it reads, compiled once per process."""
    env = _ENVIRONMENTS[lang]
    return env.from_string(source), frozenset(meta.find_undeclared_variables(env.parse(source)))


def _lookup(
    template_key: str, lang: str, channel: str | None, templates: Mapping[str, MessageTemplate]
) -> MessageTemplate:
    problems = []
    template = templates.get(template_key)
    if template is None:
        problems.append(
            FieldError(("template_key",), "unknown template; use " + ", ".join(templates), template_key)
        )
    if lang not in LANGS:
        problems.append(FieldError(("lang",), "unknown language; use " + ", ".join(LANGS), lang))
    if template is not None and channel is not None and channel not in template.channels:
        problems.append(
            FieldError(("channel",), f"template {template_key} suits {', '.join(template.channels)}", channel)
        )
    if problems or template is None:
        raise InputError("cannot render: " + "; ".join(map(str, problems)), errors=problems)
    return template


def _holiday_facts(holiday: HolidayText, lang: str) -> dict[str, str]:
    zh = lang == "zh-CN"
    return {
        "holiday_name": holiday.name_zh if zh else holiday.name_en,
        "holiday_wish": holiday.wish_zh if zh else holiday.wish_en,
        "holiday_tip": holiday.tip_zh if zh else holiday.tip_en,
        "holiday_sms_tip": holiday.sms_tip_zh if zh else holiday.sms_tip_en,
    }


# --- filters ------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def money_zh(value: Any) -> str:
    """An amount in CNY the way Chinese readers read it.

    >>> money_zh(125000), money_zh(350000000), money_zh(8800)
    ('12.50万元', '3.50亿元', '8,800.00元')
    """
    amount = _decimal(value)
    if abs(amount) >= Decimal(10) ** 8:
        return f"{amount / Decimal(10) ** 8:,.2f}亿元"
    if abs(amount) >= Decimal(10) ** 4:
        return f"{amount / Decimal(10) ** 4:,.2f}万元"
    return f"{amount:,.2f}元"


def money_en(value: Any) -> str:
    """An amount in CNY for English readers.

    >>> money_en(125000)
    'CNY 125,000.00'
    """
    return f"CNY {_decimal(value):,.2f}"


def pct(value: Any) -> str:
    """A value already in percent, with one decimal.

    >>> pct(8.46), pct(Decimal("35"))
    ('8.5%', '35.0%')
    """
    return f"{_decimal(value):.1f}%"


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def date_zh(value: Any) -> str:
    """A date for Chinese readers, from a date or ISO text.

    >>> date_zh("2025-06-30")
    '2025年6月30日'
    """
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def date_en(value: Any) -> str:
    """A date for English readers, from a date or ISO text.

    >>> date_en(date(2025, 6, 30))
    '30 June 2025'
    """
    d = _as_date(value)
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _environment(filters: dict[str, Any]) -> SandboxedEnvironment:
    # Plain text, never HTML: no autoescaping (pages escape when they show a message).
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters.update(filters)
    return env


_ENVIRONMENTS: dict[str, SandboxedEnvironment] = {
    "zh-CN": _environment({"money": money_zh, "pct": pct, "date": date_zh}),
    "en": _environment({"money": money_en, "pct": pct, "date": date_en}),
}
