"""Fee and commission disclosure (费用及佣金披露 / 利益冲突披露) for a proposal.

Pure module. For each product in a proposal it states what the client pays and what the
institution earns, marked distributed (代销) or proprietary (自营), with totals and a plain
sentence in zh-CN and English. A proposal may be shown to a client only when every product has
complete fee data (``ready_to_present``).

Conventions
-----------
* Money is ``Decimal`` CNY; every amount is rounded to cents with ``ROUND_HALF_UP`` and totals are
  sums of the rounded line amounts, so the sentences add up. Floats are refused for money.
* Rates are ``Decimal`` percent as in the product record (1.5 means 1.5 %): subscription and
  redemption fees are percent of the amount traded; management, custody and distribution
  commission are percent per year of the amount held.
* Subscription fee = amount x rate (the simple gross method; a fund charging the fee out of the
  amount (外扣法) takes slightly less: 1.5 % on 100,000 is 1,477.83 rather than 1,500).
* Yearly fees are charged on the amount invested for ``holding_years`` years, with no change in
  value; in practice they accrue daily on the net asset value.
* Redemption: the client redeems everything at the end of the holding period at the amount
  invested and pays the record's redemption rate (many products waive it after a minimum holding
  period; the record is taken as it stands).
* What the institution earns: for a distributed product the distribution commission (销售服务费 /
  客户维护费), which the issuer pays out of the fees above, so it is part of what the client pays,
  not charged on top. For a proprietary product there is no distribution commission; the
  institution earns the management fee itself as the product's manager (plus any margin built
  into the product's pricing, which the record does not show), a conflict of interest of a
  different kind. A commission rate on a proprietary record is ignored. Who keeps the
  subscription fee is not modelled: the record does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fincrm.errors import FieldError, InputError
from fincrm.products.domain import Distribution

CENT = Decimal("0.01")  # CNY minor unit
HUNDRED = Decimal(100)  # percent -> fraction

# fee field -> (zh, en) label, in the order a missing-data message lists them
FEE_FIELDS = {
    "subscription_fee_pct": ("申购费率", "subscription fee rate"),
    "redemption_fee_pct": ("赎回费率", "redemption fee rate"),
    "management_fee_pct": ("管理费率", "management fee rate"),
    "custody_fee_pct": ("托管费率", "custody fee rate"),
    "distribution_commission_pct": ("销售服务费率", "distribution commission rate"),
}
_DISTRIBUTION_LABEL = {
    Distribution.DISTRIBUTED: ("代销", "distributed"),
    Distribution.PROPRIETARY: ("自营", "proprietary"),
}
_LINE_AMOUNT_FIELDS = (
    "subscription_fee_cny",
    "running_fee_yearly_cny",
    "running_fee_cny",
    "redemption_fee_cny",
    "client_fees_cny",
    "institution_earns_yearly_cny",
    "institution_earns_cny",
)  # DisclosureLine amounts, None while fee data is missing
_TOTAL_FIELDS = (
    "subscription_fee_cny",
    "running_fee_yearly_cny",
    "running_fee_cny",
    "redemption_fee_cny",
    "client_fees_cny",
    "distribution_commission_cny",
    "proprietary_management_fee_cny",
    "institution_earns_cny",
)  # Disclosure totals, None while any line is incomplete


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """The fee facts of one product, copied from its record; ``None`` means not on record."""

    code: str
    name: str
    name_en: str | None
    kind: str
    distribution: str  # Distribution value: "distributed" (代销) or "proprietary" (自营)
    subscription_fee_pct: Decimal | None
    redemption_fee_pct: Decimal | None
    management_fee_pct: Decimal | None  # per year
    custody_fee_pct: Decimal | None  # per year
    distribution_commission_pct: Decimal | None  # per year; needed for distributed products only

    def missing_fields(self) -> tuple[str, ...]:
        """Fee fields this product needs but lacks."""
        needed = list(FEE_FIELDS)
        if self.distribution == Distribution.PROPRIETARY:
            needed.remove("distribution_commission_pct")
        return tuple(field for field in needed if getattr(self, field) is None)


@dataclass(frozen=True, slots=True)
class Blocker:
    """A product whose fee data is incomplete, so the proposal cannot be presented."""

    code: str
    name: str
    name_en: str
    missing_fields: tuple[str, ...]
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class DisclosureLine:
    """One product: what the client pays and what the institution earns, in CNY.

    Amounts are ``None`` when the product's fee data is incomplete (see ``missing_fields``).
    ``institution_earns_from`` is ``"distribution_commission"`` or ``"management_fee"``.
    """

    code: str
    name: str
    name_en: str
    kind: str
    distribution: str
    amount_cny: Decimal
    subscription_fee_cny: Decimal | None  # one-off, at purchase
    running_fee_yearly_cny: Decimal | None  # management + custody, per year
    running_fee_cny: Decimal | None  # management + custody over the holding period
    redemption_fee_cny: Decimal | None  # one-off, at the end
    client_fees_cny: Decimal | None  # subscription + running over the period + redemption
    institution_earns_yearly_cny: Decimal | None
    institution_earns_cny: Decimal | None  # over the holding period
    institution_earns_from: str
    missing_fields: tuple[str, ...]
    sentence_zh: str
    sentence_en: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The disclosure of a whole proposal; totals are ``None`` while any line is incomplete."""

    lines: tuple[DisclosureLine, ...]
    holding_years: Decimal
    amount_cny: Decimal
    subscription_fee_cny: Decimal | None
    running_fee_yearly_cny: Decimal | None
    running_fee_cny: Decimal | None
    redemption_fee_cny: Decimal | None
    client_fees_cny: Decimal | None
    distribution_commission_cny: Decimal | None  # earned on distributed products, over the period
    proprietary_management_fee_cny: Decimal | None  # earned on proprietary products, over the period
    institution_earns_cny: Decimal | None
    blockers: tuple[Blocker, ...]
    sentence_zh: str
    sentence_en: str


def disclose(lines: list[tuple[FeeTerms, Decimal]], holding_years: float = 1.0) -> Disclosure:
    """Work out the fees the client pays and the institution earns for each product and in total.

    Parameters
    ----------
    lines
        ``(terms, amount)`` per product, the amount in CNY as ``Decimal`` (or ``int``/``str``).
    holding_years
        Years the client holds the products before redeeming them all; yearly fees scale with it.

    Returns
    -------
    Disclosure
        Lines, totals, blockers for products with missing fee data, and sentences in both
        languages whose numbers are the amounts in the structure.

    Raises
    ------
    InputError
        No lines, an amount that is not a positive number (floats are refused), an unknown
        distribution, or ``holding_years`` not positive.

    Examples
    --------
    >>> fund = FeeTerms("F1", "稳健债券基金", "Steady Bond Fund", "bond_fund", "distributed",
    ...                 Decimal("0.8"), Decimal("0"), Decimal("0.3"), Decimal("0.1"), Decimal("0.15"))
    >>> d = disclose([(fund, Decimal("50000"))])
    >>> d.client_fees_cny, d.institution_earns_cny
    (Decimal('600.00'), Decimal('75.00'))
    >>> d.lines[0].sentence_zh.split("；")[0]
    '您投入50,000元购买稳健债券基金（代销）：申购费400元，每年管理费和托管费合计200元，期末赎回费0元'
    """
    years = _years(holding_years)
    if not lines:
        raise InputError(
            "a disclosure needs at least one product; add the proposal's products",
            errors=[FieldError(("lines",), "empty")],
        )
    problems: list[FieldError] = []
    amounts: list[Decimal] = []
    for i, (terms, amount) in enumerate(lines):
        parsed = _amount(amount)
        if parsed is None:
            problems.append(
                FieldError(("lines", i, "amount_cny"), "must be a positive Decimal amount", amount)
            )
        amounts.append(parsed or Decimal(0))
        if terms.distribution not in _DISTRIBUTION_LABEL:
            choices = ", ".join(d.value for d in Distribution)
            problems.append(
                FieldError(("lines", i, "distribution"), f"must be one of {choices}", terms.distribution)
            )
    if problems:
        raise InputError("; ".join(str(p) for p in problems), errors=problems)

    built = [_line(terms, amount, years) for (terms, _), amount in zip(lines, amounts, strict=True)]
    blockers = tuple(_blocker(line) for line in built if line.missing_fields)
    total_amount = sum((line.amount_cny for line in built), Decimal("0.00"))
    if blockers:
        names_zh = "、".join(b.name for b in blockers)
        names_en = ", ".join(b.name_en for b in blockers)
        unknown = dict.fromkeys(_TOTAL_FIELDS)  # no totals while a line is incomplete
        return Disclosure(
            lines=tuple(built),
            holding_years=years,
            amount_cny=total_amount,
            **unknown,
            blockers=blockers,
            sentence_zh=f"费用披露不完整：{names_zh}缺少费率数据，补全前不能向客户出示本方案。",
            sentence_en=f"The fee disclosure is incomplete: fee data is missing for {names_en}; "
            "the proposal cannot be shown to the client until it is complete.",
        )

    def total(field: str, only: str | None = None) -> Decimal:
        chosen = [line for line in built if only is None or line.distribution == only]
        return sum((getattr(line, field) for line in chosen), Decimal("0.00"))

    sub, run_y, run = total("subscription_fee_cny"), total("running_fee_yearly_cny"), total("running_fee_cny")
    red, fees = total("redemption_fee_cny"), total("client_fees_cny")
    commission = total("institution_earns_cny", Distribution.DISTRIBUTED)
    own = total("institution_earns_cny", Distribution.PROPRIETARY)
    earns = commission + own
    y = _fmt_years(years)
    zh = (
        f"合计：您投入{_fmt(total_amount)}元，持有{y}年共支付费用约{_fmt(fees)}元"
        f"（申购费{_fmt(sub)}元、管理费和托管费每年{_fmt(run_y)}元共{_fmt(run)}元、赎回费{_fmt(red)}元）；"
        f"本行共获得约{_fmt(earns)}元（代销销售服务费{_fmt(commission)}元、自营产品管理费{_fmt(own)}元）。"
    )
    en = (
        f"In total: you invest {_fmt(total_amount)} CNY and pay about {_fmt(fees)} CNY in fees over {y} {_year_word(years)} "
        f"(subscription {_fmt(sub)} CNY, management and custody {_fmt(run_y)} CNY a year, {_fmt(run)} CNY in all, "
        f"redemption {_fmt(red)} CNY); we earn about {_fmt(earns)} CNY (distribution commission "
        f"{_fmt(commission)} CNY, management fees on our own products {_fmt(own)} CNY)."
    )
    return Disclosure(
        lines=tuple(built),
        holding_years=years,
        amount_cny=total_amount,
        subscription_fee_cny=sub,
        running_fee_yearly_cny=run_y,
        running_fee_cny=run,
        redemption_fee_cny=red,
        client_fees_cny=fees,
        distribution_commission_cny=commission,
        proprietary_management_fee_cny=own,
        institution_earns_cny=earns,
        blockers=(),
        sentence_zh=zh,
        sentence_en=en,
    )


def ready_to_present(disclosure: Disclosure) -> bool:
    """Whether the proposal may be shown to the client: every product's fee data is complete.

    When not, ``disclosure.blockers`` names each product and the missing rates.
    """
    return not disclosure.blockers


def _line(terms: FeeTerms, amount: Decimal, years: Decimal) -> DisclosureLine:
    name_en = terms.name_en or terms.name
    label_zh, label_en = _DISTRIBUTION_LABEL[Distribution(terms.distribution)]
    distributed = terms.distribution == Distribution.DISTRIBUTED
    earns_from = "distribution_commission" if distributed else "management_fee"
    missing = terms.missing_fields()
    if missing:
        fields_zh = "、".join(FEE_FIELDS[f][0] for f in missing)
        fields_en = ", ".join(FEE_FIELDS[f][1] for f in missing)
        return DisclosureLine(
            code=terms.code,
            name=terms.name,
            name_en=name_en,
            kind=terms.kind,
            distribution=terms.distribution,
            amount_cny=amount,
            **dict.fromkeys(_LINE_AMOUNT_FIELDS),
            institution_earns_from=earns_from,
            missing_fields=missing,
            sentence_zh=f"{terms.name}（{label_zh}）缺少费率数据（{fields_zh}）：补全后才能向客户出示费用披露。",
            sentence_en=f"{name_en} ({label_en}) lacks fee data ({fields_en}): complete it before showing the "
            "disclosure to the client.",
        )

    def pct(rate: Decimal | None, per_years: Decimal = Decimal(1)) -> Decimal:
        return _round(amount * (rate or Decimal(0)) / HUNDRED * per_years)

    running_rate = terms.management_fee_pct + terms.custody_fee_pct  # type: ignore[operator]
    earns_rate = terms.distribution_commission_pct if distributed else terms.management_fee_pct
    sub = pct(terms.subscription_fee_pct)
    run_y, run = pct(running_rate), pct(running_rate, years)
    red = pct(terms.redemption_fee_pct)
    fees = sub + run + red
    earns_y, earns = pct(earns_rate), pct(earns_rate, years)

    y = _fmt_years(years)
    several = years != 1
    run_zh = f"，持有{y}年共{_fmt(run)}元" if several else ""
    run_en = f" ({_fmt(run)} CNY over {y} years)" if several else ""
    earns_zh = f"（{y}年共{_fmt(earns)}元）" if several else ""
    earns_en = f" ({_fmt(earns)} CNY over {y} years)" if several else ""
    head_zh = (
        f"您投入{_fmt(amount)}元购买{terms.name}（{label_zh}）：申购费{_fmt(sub)}元，"
        f"每年管理费和托管费合计{_fmt(run_y)}元{run_zh}，期末赎回费{_fmt(red)}元"
    )
    head_en = (
        f"You invest {_fmt(amount)} CNY in {name_en} ({label_en}): subscription fee {_fmt(sub)} CNY, "
        f"management and custody fees {_fmt(run_y)} CNY a year{run_en}, redemption fee {_fmt(red)} CNY at the end"
    )
    if distributed:
        zh = (
            f"{head_zh}；本行作为代销机构每年从中获得约{_fmt(earns_y)}元销售服务费{earns_zh}，"
            "由产品发行方从上述费用中支付，不另外向您收取。"
        )
        en = (
            f"{head_en}; as distributor we receive about {_fmt(earns_y)} CNY a year in distribution commission"
            f"{earns_en}, paid by the issuer out of those fees, not charged to you on top."
        )
    else:
        zh = (
            f"{head_zh}；本产品为本行自营产品，本行不收取代销佣金，但作为产品管理人每年收取管理费约"
            f"{_fmt(earns_y)}元{earns_zh}，推荐自营产品与本行收入直接相关。"
        )
        en = (
            f"{head_en}; this is our own (proprietary) product: we receive no distribution commission but "
            f"earn about {_fmt(earns_y)} CNY a year in management fees as its manager{earns_en}, "
            "so recommending it adds to our income."
        )
    return DisclosureLine(
        code=terms.code,
        name=terms.name,
        name_en=name_en,
        kind=terms.kind,
        distribution=terms.distribution,
        amount_cny=amount,
        subscription_fee_cny=sub,
        running_fee_yearly_cny=run_y,
        running_fee_cny=run,
        redemption_fee_cny=red,
        client_fees_cny=fees,
        institution_earns_yearly_cny=earns_y,
        institution_earns_cny=earns,
        institution_earns_from=earns_from,
        missing_fields=(),
        sentence_zh=zh,
        sentence_en=en,
    )


def _blocker(line: DisclosureLine) -> Blocker:
    return Blocker(
        line.code, line.name, line.name_en, line.missing_fields, line.sentence_zh, line.sentence_en
    )


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(value: object) -> Decimal | None:
    if isinstance(value, float | bool):
        return None
    try:
        parsed = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        return None
    return _round(parsed) if parsed.is_finite() and parsed > 0 else None


def _years(holding_years: float) -> Decimal:
    try:
        years = Decimal(str(holding_years))
    except InvalidOperation:
        years = Decimal("NaN")
    if not years.is_finite() or years <= 0:
        raise InputError(
            f"holding_years must be a positive number of years, got {holding_years!r}",
            errors=[FieldError(("holding_years",), "must be positive", holding_years)],
        )
    return years


def _fmt(amount: Decimal) -> str:
    """CNY with thousands separators; whole amounts without ``.00`` ("1,500", "1,477.83")."""
    text = f"{amount:,.2f}"
    return text.removesuffix(".00")


def _year_word(years: Decimal) -> str:
    return "year" if years == 1 else "years"


def _fmt_years(years: Decimal) -> str:
    text = f"{years:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
