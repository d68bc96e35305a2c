"""Product disclosure (产品说明与风险揭示): one product explained to one client in plain words.

Sections: what the product is made of (a stack of its tranches, most senior on top, or, for a
product without tranches, its look-through asset classes), the plain-language analogy recorded on
the product (never invented here: a product without one says so), its risk rating and what that
means, the suitability verdict for this client today, the fees the client pays and what the
institution earns (distributed vs proprietary, :mod:`fincrm.portfolio.disclosure`), liquidity,
and the worst historical outcome of comparable assets.

Conventions: amounts in CNY. Fees are worked out on the client's current holding of the product,
or, when they hold none, on ``ILLUSTRATION_AMOUNT`` (or the minimum investment if higher), held
for one year. "Worst historical outcome" is the largest peak-to-trough fall and the worst return
over any 252 trading days (one year) of the daily closes in the lake up to the as-of date, of the
product's own NAV series and of the index of its dominant asset class
(:data:`fincrm.portfolio.service.CLASS_SERIES`); the window of each is printed with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import select

from fincrm.core.i18n import Formatter, translations
from fincrm.errors import FieldError, InputError
from fincrm.portfolio import disclosure, metrics, suitability
from fincrm.portfolio.scenarios import ASSET_CLASSES
from fincrm.portfolio.service import CLASS_SERIES
from fincrm.products.models import MarketSeries, Product, ProductExposure
from fincrm.reports import charts
from fincrm.reports.engine import Document
from fincrm.reports.health import CLASS_LABELS, round_amount
from fincrm.reports.reader import ClientReader

ILLUSTRATION_AMOUNT = Decimal("100000")  # CNY the fees are shown on when the client holds none
HISTORY_DAYS = 10 * 366  # calendar days of history read (all the lake has, up to ten years)
YEAR_DAYS = 252  # trading days in the worst-one-year window
RISK_MEANINGS = {  # product rating -> message id explaining it
    "R1": "R1 (low): the value barely moves; losing principal is very unlikely.",
    "R2": "R2 (medium-low): small ups and downs; a loss is possible but usually small.",
    "R3": "R3 (medium): noticeable swings; a loss over a year is quite possible.",
    "R4": "R4 (medium-high): large swings; a bad year can bring a large loss.",
    "R5": "R5 (high): very large swings or complex terms; you could lose much or all of the money.",
}
OUTCOME_LABELS = {  # suitability outcome -> message id
    "suitable": "Suitable for you",
    "needs_acknowledgement": "Above your risk level: only with your signed acknowledgement of the risk",
    "refused": "Not suitable: we cannot recommend it to you",
    "blocked": "Please renew your risk questionnaire first",
}


@dataclass(frozen=True)
class History:
    """The worst outcome of one price series over its imported history."""

    series: str
    name: str
    name_en: str
    start_on: date
    end_on: date
    max_drawdown: float  # negative fraction
    worst_year: float | None  # worst return over 252 trading days; None when history is shorter
    worst_year_end_on: date | None


@dataclass(frozen=True)
class ProductFacts:
    product: Product
    exposures: dict[str, float]  # asset class -> fraction
    verdict: suitability.Verdict
    level: str | None
    held_value: float  # CNY of the product the client holds now
    histories: list[History]  # the product's own NAV first, then its class index
    as_of: date
    data_as_of: date
    client_name: str
    client_no: str


def worst_outcome(prices: pd.Series) -> tuple[float, float | None, date | None]:
    """(maximum drawdown, worst return over ``YEAR_DAYS`` trading days, the day that year ended).

    Examples
    --------
    >>> idx = pd.bdate_range("2024-01-01", periods=4)
    >>> worst_outcome(pd.Series([100.0, 120.0, 60.0, 90.0], index=idx))
    (-0.5, None, None)
    """
    found = metrics.drawdown_periods(prices)
    if len(prices) <= YEAR_DAYS:
        return float(found["depth"]), None, None
    yearly = prices / prices.shift(YEAR_DAYS) - 1
    end = yearly.idxmin()
    return float(found["depth"]), float(yearly.loc[end]), end.date()


def load(reader: ClientReader, code: str) -> ProductFacts:
    """Read the product, its look-through, the client's verdict and holding, and price history."""
    product = reader.product(code)
    if product is None:
        raise InputError(f"unknown product {code!r}: no product with that code on the shelf",
                         errors=[FieldError(("subject",), "unknown product code", code)])  # fmt: skip
    if str(product.kind) == "loan":
        raise InputError(f"product {code} is a loan: the product disclosure covers investment products",
                         errors=[FieldError(("subject",), "a loan is not an investment product", code)])  # fmt: skip
    exposures: dict[str, float] = {}
    for e in reader.session.scalars(select(ProductExposure).where(ProductExposure.product_id == product.id)):
        exposures[str(e.asset_class)] = exposures.get(str(e.asset_class), 0.0) + float(e.weight_pct) / 100
    investor, level = reader.investor()
    verdict = suitability.check(
        investor, suitability.Product(product.code, str(product.kind), str(product.risk_rating), product.name),
        reader.as_of,
    )  # fmt: skip
    held = sum(p.value for p in reader.positions() if p.code == code)
    wanted: list[str] = []
    if product.price_series_code:
        wanted.append(product.price_series_code)
    dominant = max(exposures, key=lambda k: (exposures[k], k)) if exposures else None
    index = CLASS_SERIES.get(dominant) if dominant else None
    if index and index not in wanted:
        wanted.append(index)
    prices = reader.prices(wanted, reader.as_of - timedelta(days=HISTORY_DAYS), reader.as_of)
    names = {
        m.code: (m.name, m.name_en or m.name)
        for m in reader.session.scalars(select(MarketSeries).where(MarketSeries.code.in_(wanted or [""])))
    }
    histories = []
    for s in wanted:
        closes = prices[s].dropna() if s in prices.columns else pd.Series(dtype=float)
        if len(closes) < 2:
            continue
        depth, worst, worst_on = worst_outcome(closes)
        name, name_en = names.get(s, (s, s))
        histories.append(History(s, name, name_en, closes.index[0].date(), closes.index[-1].date(),
                                 depth, worst, worst_on))  # fmt: skip
    if not histories:
        raise InputError(
            f"no price history up to {reader.as_of} for product {code} or the index of its asset class "
            f"({', '.join(wanted) or 'none recorded'}): import prices first"
        )
    return ProductFacts(
        product=product, exposures=exposures, verdict=verdict, level=level, held_value=held,
        histories=histories, as_of=reader.as_of, data_as_of=max(h.end_on for h in histories),
        client_name=reader.party.name, client_no=reader.party.party_no,
    )  # fmt: skip


def tranche_layers(text: str | None) -> list[dict[str, Any]]:
    """The tranches column as a list of layers (empty when none is recorded).

    Examples
    --------
    >>> tranche_layers('[{"name": "优先级", "name_en": "Senior", "share_pct": 100}]')[0]["name_en"]
    'Senior'
    >>> tranche_layers(None)
    []
    """
    if not text:
        return []
    layers = json.loads(text)
    return [layer for layer in layers if float(layer.get("share_pct", 0)) > 0]


def build(facts: ProductFacts, *, lang: str, fmt: Formatter) -> Document:
    """The product disclosure in ``lang`` (pure: no reads)."""
    _ = translations(lang).gettext
    zh = lang == "zh-CN"
    p = facts.product
    name = p.name if zh else (p.name_en or p.name)
    layers_raw = tranche_layers(p.tranches)
    if layers_raw:
        layers = tuple(
            charts.Layer(str(t["name"] if zh else t["name_en"]), float(t["share_pct"]) / 100,
                         str((t.get("note") if zh else t.get("note_en")) or ""))
            for t in layers_raw
        )  # fmt: skip
        total = sum(layer.share for layer in layers)
        layers = tuple(charts.Layer(x.label, x.share / total, x.note) for x in layers)
        structure = charts.StackChart(
            title=_("How the product is built, most senior layer on top"), layers=layers,
            arrow_label=_("losses hit the bottom layer first"), height=200,
        )  # fmt: skip
        structure_source = "tranches"
    else:
        classes = [c for c in ASSET_CLASSES if facts.exposures.get(c, 0) > 0]
        total = sum(facts.exposures[c] for c in classes)
        structure = charts.StackChart(
            title=_("What the product holds, by asset class"),
            layers=tuple(charts.Layer(_(CLASS_LABELS[c]), facts.exposures[c] / total) for c in classes),
            height=170,
        )  # fmt: skip
        structure_source = "exposures"
    amount = round_amount(facts.held_value) if facts.held_value > 0 else max(
        ILLUSTRATION_AMOUNT, Decimal(p.min_investment_amount)
    )  # fmt: skip
    terms = disclosure.FeeTerms(
        code=p.code, name=p.name, name_en=p.name_en or p.name, kind=str(p.kind), distribution=str(p.distribution),
        subscription_fee_pct=p.subscription_fee_pct, redemption_fee_pct=p.redemption_fee_pct,
        management_fee_pct=p.management_fee_pct, custody_fee_pct=p.custody_fee_pct,
        distribution_commission_pct=p.distribution_commission_pct,
    )  # fmt: skip
    line = disclosure.disclose([(terms, amount)]).lines[0]
    distributed = str(p.distribution) == "distributed"
    rating = str(p.risk_rating)
    figures = {
        "risk_rating": rating,
        "outcome": _(OUTCOME_LABELS[facts.verdict.outcome]),
        "fee_amount": fmt.money(amount),
        "client_fees": fmt.money(line.client_fees_cny),
        "institution_earns": fmt.money(line.institution_earns_cny),
        "days_to_cash": str(p.days_to_cash),
    }
    history_rows = []
    for i, h in enumerate(facts.histories):
        key = "own" if i == 0 and h.series == p.price_series_code else "index"
        figures[f"{key}_max_drawdown"] = fmt.pct(h.max_drawdown)
        if h.worst_year is not None:
            figures[f"{key}_worst_year"] = fmt.pct(h.worst_year)
        history_rows.append({
            "label": _("This product's net asset value") if key == "own" else _("Index of its main asset class"),
            "name": h.name if zh else h.name_en,
            "window": f"{fmt.date(h.start_on)} – {fmt.date(h.end_on)}",
            "max_drawdown": figures[f"{key}_max_drawdown"],
            "worst_year": figures.get(f"{key}_worst_year"),
            "worst_year_end_on": fmt.date(h.worst_year_end_on) if h.worst_year_end_on else "",
        })  # fmt: skip
    rates = [
        (_("Subscription fee (once, on the amount bought)"), p.subscription_fee_pct),
        (_("Redemption fee (once, on the amount sold)"), p.redemption_fee_pct),
        (_("Management fee (a year)"), p.management_fee_pct),
        (_("Custody fee (a year)"), p.custody_fee_pct),
    ]
    if distributed:
        rates.append((_("Distribution commission we receive (a year, paid by the issuer out of the fees)"),
                      p.distribution_commission_pct))  # fmt: skip
    level = facts.level
    context = {
        "code": p.code,
        "name": name,
        "kind": str(p.kind),
        "issuer": p.issuer or "",
        "structure_source": structure_source,
        "structure_text": (p.structure_description if zh else p.structure_description_en) or "",
        "structure_text_zh_only": (not zh) and not p.structure_description_en and bool(p.structure_description),
        "structure_text_zh": p.structure_description or "",
        "analogy": (p.analogy if zh else p.analogy_en) or "",
        "risk_meaning": _(RISK_MEANINGS[rating]),
        "level": level or "—",
        "verdict_message": facts.verdict.message_zh if zh else facts.verdict.message_en,
        "outcome": facts.verdict.outcome,
        "distributed": distributed,
        "rates": [(label, f"{Decimal(rate).normalize():f}%") for label, rate in rates],
        "line": line,
        "fee_sentence": line.sentence_zh if zh else line.sentence_en,
        "held": facts.held_value > 0,
        "fee_amount": figures["fee_amount"],
        "money": {k: fmt.money(getattr(line, k)) for k in (
            "subscription_fee_cny", "running_fee_yearly_cny", "redemption_fee_cny", "client_fees_cny",
            "institution_earns_cny")},
        "lockup_days": p.lockup_days,
        "matures_on": fmt.date(p.matures_on) if p.matures_on else "",
        "issued_on": fmt.date(p.issued_on) if p.issued_on else "",
        "history_rows": history_rows,
    }  # fmt: skip
    return Document(
        kind="product", lang=lang, title=_("Product disclosure: %(name)s") % {"name": name},
        subject=f"{facts.client_name} ({facts.client_no}) · {p.code}", as_of=facts.as_of,
        data_as_of=facts.data_as_of, context=context, charts={"structure": structure}, figures=figures,
    )  # fmt: skip


def document(reader: ClientReader, lang: str, fmt: Formatter, subject: str) -> tuple[Document, str]:
    """The disclosure of product ``subject`` (its code) for ``reader``'s client; the key is the code."""
    code = subject.strip()
    if not code:
        raise InputError("the product disclosure needs a product code as its subject",
                         errors=[FieldError(("subject",), "a product code is required", subject)])  # fmt: skip
    return build(load(reader, code), lang=lang, fmt=fmt), code
