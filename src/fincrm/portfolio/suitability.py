"""Suitability (适当性匹配): may this investor be offered this product today?

Pure module: no database, no clock (the caller passes the date). Investor levels are the
questionnaire categories C1 (保守型, lowest) .. C5 (激进型); product ratings are R1 (低) .. R5 (高).
Level numbers compare directly: a C3 investor may take R1..R3 without further steps.

Regulatory sources (the only place they are cited; each rule row in ``ABOVE_LEVEL_RULES`` names
its source key):

* ``csrc_130`` -- 《证券期货投资者适当性管理办法》 (CSRC Order No. 130, 2016, in force
  2017-07-01). Investors are classified as ordinary (普通投资者) or professional (专业投资者);
  ordinary investors get the special protection. When an ordinary investor, after being told a
  product is unsuitable, asks on their own initiative for a product rated above their tolerance,
  the institution may sell it only after a special written risk warning (特别的书面风险警示) that
  the investor confirms; an investor in the lowest risk-tolerance category (风险承受能力最低类别,
  here C1) may never be sold a product above their level.
* ``cbirc_2018_6`` -- 《商业银行理财业务监督管理办法》 (CBIRC Order 2018 No. 6). A bank may
  sell a wealth-management product only to investors whose risk tolerance is at or above the
  product's rating; there is no warning-and-acknowledge route.
* ``private_fund`` -- 《私募投资基金监督管理暂行办法》 (CSRC Order No. 105, 2014): private funds
  are sold only to qualified investors (合格投资者); whether a client qualifies (assets, income,
  minimum ticket) is verified elsewhere and arrives here as ``Investor.qualified``.
* ``house`` -- a rule of this institution where the sources above are silent (deposits,
  investment-type insurance, the questionnaire gate).

Rules implemented, in the order ``check`` applies them:

1. A loan is not an investment product: ``refused`` / ``not_an_investment``.
2. No questionnaire (no level or no expiry date) or one whose ``valid_until`` is before the date
   blocks new recommendations of any product, deposits included: ``blocked`` /
   ``no_questionnaire`` or ``questionnaire_expired`` (``valid_until`` is the last valid day).
3. A private fund needs ``qualified=True``, professional investors included:
   ``refused`` / ``not_qualified_investor``.
4. Rating at or below the level (Rm with m <= n): ``suitable`` / ``within_tolerance``.
5. Above the level, by product family and investor class (``ABOVE_LEVEL_RULES``):

   ============  =================================  ==================================
   family        ordinary investor                  professional investor
   ============  =================================  ==================================
   securities    needs_acknowledgement (C1: refused  suitable (not under the ordinary-
                 ``lowest_category``)                investor warning regime)
   bank_wmp      refused                            refused (the bank WMP rule has no
                                                    professional-investor exception)
   insurance     refused (house)                    refused (house)
   deposit       refused (house)                    refused (house)
   ============  =================================  ==================================

Product families (``FAMILY_OF``): securities = money-market, bond, equity, hybrid and private
funds, structured products and gold. Gold (bank paper/physical gold accounts, gold ETFs) and
structured products are treated as securities-like because their risk is market risk sold under
an investment suitability test; a bank structured deposit sold under WMP-style rules would belong
in ``bank_wmp`` instead. Deposits are principal-protected and normally rated R1, so they are
suitable for every level; a deposit rated higher is matched strictly. Investment-type insurance
(投连险, 万能险) follows the same level matching with no override, the stricter reading for a bank
selling it as agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from fincrm.errors import FieldError, InputError
from fincrm.products.domain import ProductKind, RiskRating

SOURCES = {
    "csrc_130": "《证券期货投资者适当性管理办法》（中国证监会令第130号，2016年，2017-07-01施行）",
    "cbirc_2018_6": "《商业银行理财业务监督管理办法》（中国银保监会令2018年第6号）",
    "private_fund": "《私募投资基金监督管理暂行办法》（中国证监会令第105号，2014年）",
    "house": "本行适当性管理规定（监管规定未作具体要求之处）",
}  # source key -> citation shown to compliance

LEVELS = ("C1", "C2", "C3", "C4", "C5")  # investor risk categories, lowest first
RATINGS = tuple(r.value for r in RiskRating)  # product risk ratings R1..R5, lowest first
LOWEST_LEVEL = LEVELS[0]  # 风险承受能力最低类别: never above its level

Outcome = Literal["suitable", "needs_acknowledgement", "refused", "blocked"]


class Family(StrEnum):
    """Which suitability regime a product kind falls under."""

    SECURITIES = "securities"
    BANK_WMP = "bank_wmp"
    INSURANCE = "insurance"
    DEPOSIT = "deposit"


FAMILY_OF: dict[ProductKind, Family] = {
    ProductKind.MONEY_MARKET_FUND: Family.SECURITIES,
    ProductKind.BOND_FUND: Family.SECURITIES,
    ProductKind.EQUITY_FUND: Family.SECURITIES,
    ProductKind.HYBRID_FUND: Family.SECURITIES,
    ProductKind.PRIVATE_FUND: Family.SECURITIES,
    ProductKind.STRUCTURED: Family.SECURITIES,
    ProductKind.GOLD: Family.SECURITIES,  # securities-like: market risk, see module docstring
    ProductKind.BANK_WMP: Family.BANK_WMP,
    ProductKind.INSURANCE: Family.INSURANCE,
    ProductKind.DEPOSIT: Family.DEPOSIT,
}  # ProductKind.LOAN is deliberately absent: not an investment


@dataclass(frozen=True, slots=True)
class Rule:
    """What happens when a product is rated above the investor's level."""

    outcome: Outcome
    reason_code: str
    source: str  # key into SOURCES


ABOVE_LEVEL_RULES: dict[tuple[Family, bool], Rule] = {
    # (family, professional) -> rule
    (Family.SECURITIES, False): Rule("needs_acknowledgement", "above_tolerance_acknowledge", "csrc_130"),
    (Family.SECURITIES, True): Rule("suitable", "professional_investor", "csrc_130"),
    (Family.BANK_WMP, False): Rule("refused", "wmp_above_tolerance", "cbirc_2018_6"),
    (Family.BANK_WMP, True): Rule("refused", "wmp_above_tolerance", "cbirc_2018_6"),
    (Family.INSURANCE, False): Rule("refused", "above_tolerance", "house"),
    (Family.INSURANCE, True): Rule("refused", "above_tolerance", "house"),
    (Family.DEPOSIT, False): Rule("refused", "above_tolerance", "house"),
    (Family.DEPOSIT, True): Rule("refused", "above_tolerance", "house"),
}

# The lowest category replaces an acknowledgement route with a refusal (csrc_130).
LOWEST_CATEGORY_RULE = Rule("refused", "lowest_category", "csrc_130")

_FAMILY_ZH = {
    Family.SECURITIES: "产品",
    Family.BANK_WMP: "银行理财产品",
    Family.INSURANCE: "投资型保险产品",
    Family.DEPOSIT: "存款产品",
}
_FAMILY_EN = {
    Family.SECURITIES: "Product",
    Family.BANK_WMP: "Bank wealth-management product",
    Family.INSURANCE: "Investment-type insurance product",
    Family.DEPOSIT: "Deposit product",
}

# reason_code -> (zh, en) templates; {r} product rating, {c} investor level, {d} expiry date
MESSAGES: dict[str, tuple[str, str]] = {
    "not_an_investment": (
        "贷款不是投资产品，不做适当性匹配，不能列入配置方案",
        "A loan is not an investment product: suitability does not apply and it cannot go into a proposal",
    ),
    "no_questionnaire": (
        "客户尚无风险承受能力测评：请先完成测评，再推荐产品",
        "The client has no risk questionnaire: complete one before recommending products",
    ),
    "questionnaire_expired": (
        "客户风险承受能力测评有效期至{d}，已过期：请重新测评后再推荐产品",
        "The client's risk questionnaire was valid until {d} and has expired: re-assess before recommending products",
    ),
    "not_qualified_investor": (
        "私募基金只能销售给合格投资者：客户尚未确认为合格投资者（产品风险等级{r}，客户风险承受能力{c}）",
        "Private funds may only be sold to qualified investors: the client is not confirmed as one "
        "(product risk {r}, client tolerance {c})",
    ),
    "within_tolerance": (
        "{kind_zh}风险等级{r}不高于客户风险承受能力{c}：匹配",
        "{kind_en} risk {r} is within the client's tolerance {c}: suitable",
    ),
    "above_tolerance_acknowledge": (
        "产品风险等级{r}高于客户风险承受能力{c}：须向客户提示风险并取得书面确认",
        "Product risk {r} is above the client's tolerance {c}: warn the client and record their acknowledgement",
    ),
    "lowest_category": (
        "客户风险承受能力{c}为最低类别，不得购买风险等级高于{c}的产品（本产品{r}）",
        "The client's tolerance {c} is the lowest category: they may not buy a product rated above it (this one is {r})",
    ),
    "professional_investor": (
        "专业投资者：产品风险等级{r}高于风险测评等级{c}，不适用普通投资者的风险警示程序",
        "Professional investor: product risk {r} is above the questionnaire level {c}; "
        "the ordinary-investor warning procedure does not apply",
    ),
    "wmp_above_tolerance": (
        "银行理财产品风险等级{r}高于客户风险承受能力{c}：不得销售",
        "Bank wealth-management product rated {r} is above the client's tolerance {c}: it may not be sold to them",
    ),
    "above_tolerance": (
        "{kind_zh}风险等级{r}高于客户风险承受能力{c}：不予推荐",
        "{kind_en} rated {r} is above the client's tolerance {c}: not recommended",
    ),
}


@dataclass(frozen=True, slots=True)
class Investor:
    """The suitability facts of one client.

    ``level`` is the latest questionnaire category C1..C5 (None: never assessed) and
    ``valid_until`` its last valid day. ``professional`` marks a 专业投资者 and ``qualified`` a
    verified 合格投资者 for private funds.
    """

    level: str | None
    valid_until: date | None
    professional: bool = False
    qualified: bool = False

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in LEVELS:
            raise InputError(
                f"unknown investor risk level {self.level!r}; use one of {', '.join(LEVELS)}",
                errors=[FieldError(("level",), f"must be one of {', '.join(LEVELS)}", self.level)],
            )


@dataclass(frozen=True, slots=True)
class Product:
    """The suitability facts of one product: its kind (``ProductKind`` value) and rating R1..R5."""

    code: str
    kind: str
    risk_rating: str
    name: str = ""

    def __post_init__(self) -> None:
        problems = []
        kinds = [k.value for k in ProductKind]
        if self.kind not in kinds:
            problems.append(FieldError(("kind",), f"must be one of {', '.join(kinds)}", self.kind))
        if self.risk_rating not in RATINGS:
            problems.append(
                FieldError(("risk_rating",), f"must be one of {', '.join(RATINGS)}", self.risk_rating)
            )
        if problems:
            raise InputError(f"product {self.code}: " + "; ".join(str(p) for p in problems), errors=problems)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one investor and product, with a message in each language."""

    outcome: Outcome
    reason_code: str
    message_zh: str
    message_en: str


def check(investor: Investor, product: Product, on: date) -> Verdict:
    """Decide whether ``product`` may be recommended to ``investor`` on the date ``on``.

    Parameters
    ----------
    investor
        Level, questionnaire expiry and investor class.
    product
        Kind and risk rating.
    on
        The day of the recommendation; the questionnaire is valid through ``valid_until``.

    Returns
    -------
    Verdict
        ``suitable``, ``needs_acknowledgement`` (warn and record the client's written
        confirmation first), ``refused`` or ``blocked`` (reassess the client first), with the
        reason code and plain-language messages naming the levels.

    Examples
    --------
    >>> c3 = Investor("C3", date(2030, 1, 1))
    >>> check(c3, Product("F1", "equity_fund", "R4"), date(2025, 6, 30)).outcome
    'needs_acknowledgement'
    >>> check(c3, Product("W1", "bank_wmp", "R4"), date(2025, 6, 30)).message_en
    "Bank wealth-management product rated R4 is above the client's tolerance C3: it may not be sold to them"
    """
    kind = ProductKind(product.kind)
    family = FAMILY_OF.get(kind)
    if family is None:
        return _verdict("refused", "not_an_investment")
    if investor.level is None or investor.valid_until is None:
        return _verdict("blocked", "no_questionnaire")
    if investor.valid_until < on:
        return _verdict("blocked", "questionnaire_expired", d=investor.valid_until.isoformat())

    fields = {
        "r": product.risk_rating,
        "c": investor.level,
        "kind_zh": _FAMILY_ZH[family],
        "kind_en": _FAMILY_EN[family],
    }
    if kind is ProductKind.PRIVATE_FUND and not investor.qualified:
        return _verdict("refused", "not_qualified_investor", **fields)
    if _number(product.risk_rating) <= _number(investor.level):
        return _verdict("suitable", "within_tolerance", **fields)

    rule = ABOVE_LEVEL_RULES[(family, investor.professional)]
    if rule.outcome == "needs_acknowledgement" and investor.level == LOWEST_LEVEL:
        rule = LOWEST_CATEGORY_RULE
    return _verdict(rule.outcome, rule.reason_code, **fields)


def check_many(investor: Investor, products: Iterable[Product], on: date) -> list[Verdict]:
    """``check`` for each product, in the order given.

    Examples
    --------
    >>> shelf = [Product("D1", "deposit", "R1"), Product("W5", "bank_wmp", "R5")]
    >>> [v.outcome for v in check_many(Investor("C2", date(2030, 1, 1)), shelf, date(2025, 1, 1))]
    ['suitable', 'refused']
    """
    return [check(investor, product, on) for product in products]


def _number(code: str) -> int:
    return int(code[1])


def _verdict(outcome: Outcome, reason_code: str, **fields: str) -> Verdict:
    zh, en = MESSAGES[reason_code]
    return Verdict(outcome, reason_code, zh.format(**fields), en.format(**fields))
