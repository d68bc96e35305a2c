"""Planted life stories: chosen over the whole book, written consistently into every table they
touch, and listed in the answer file that later analytics are scored against.

Stories (one per party at most; the kind names are the ``kind`` values of the answer file):

* ``property_purchase``: a registered home purchase (``property_transactions`` with the buyer's
  party number), the down payment and the payment of the mortgage proceeds leaving the current
  account that day, low-risk products redeemed the month before to fund it, a new mortgage in
  ``loans``, then 2-6 months later renovation card spend (``home_improvement``);
* ``child_birth``: a newborn party in the household (child and parent relationships), hospital
  and baby spend, then a monthly education-plan premium into the education insurance product;
* ``promotion``: salary credits and the social-security contribution base both rise by 20-45 %
  in the same month;
* ``receivable_stretch``: a corporate's customers pay later and later (days past due on its
  receivables in ``supply_chain`` grow by 30-90 days), after a restrictive policy event in
  its industry;
* ``attrition``: salary credits stop arriving (the employer still pays social security, so the
  salary has moved to another bank), spending dies down, products are redeemed over five months
  and the remaining cash is transferred to another bank.

Some stories are also recorded as life events by the RM (``recorded`` in the answer file); the
rest are only visible in the data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from fincrm.demo.book import NEWBORN, R_HEAD, R_SPOUSE, TIER_MASS, Skeleton
from fincrm.demo.chunk import CATEGORY, Chunk
from fincrm.demo.geography import CITIES
from fincrm.demo.market import Calendar, Market, from_epoch
from fincrm.demo.names import DEVELOPERS, HOSPITALS, MERCHANTS, RENOVATION_MERCHANTS

STORY_KINDS = ("property_purchase", "child_birth", "promotion", "receivable_stretch", "attrition")


@dataclass
class StoryPlan:
    """Book-wide story parameters (arrays indexed by party)."""

    promo_factor: np.ndarray
    edu_from: np.ndarray  # month from which the newborn's parent pays the education plan, -1 none
    edu_cents: np.ndarray  # monthly education-plan premium
    recorded: np.ndarray  # bool: the RM recorded the life event
    entries: list[dict[str, Any]] = field(default_factory=list)


def select_stories(rng: np.random.Generator, sk: Skeleton, cal: Calendar) -> StoryPlan:
    """Choose the story parties and their dates; writes the story columns of the skeleton."""
    n, M = sk.n, cal.n_months
    taken = np.zeros(n, dtype=bool)
    # Story parties were clients before the window opened, so the whole story is in the data.
    existing = sk.onboard_day < cal.first
    adult = (
        ~sk.corporate & (sk.age >= 26) & (sk.age <= 55) & ~sk.dormant & (sk.unit_kind != NEWBORN) & existing
    )

    def pick(mask: np.ndarray, count: int) -> np.ndarray:
        pool = np.flatnonzero(mask & ~taken)
        chosen = np.sort(rng.permutation(pool)[:count]) if len(pool) else pool
        taken[chosen] = True
        return chosen

    ss_max = np.array([c.ss_max for c in CITIES])[sk.city]
    wealthy_enough = (sk.tier >= TIER_MASS) & (sk.aum >= 300_000)
    buyers = pick(adult & wealthy_enough & (sk.role != R_SPOUSE), max(3, round(n * 0.004)))
    month = rng.integers(6, max(M - 9, 7), len(buyers))
    sk.buy_day[buyers] = cal.month_starts[month] + rng.integers(0, 25, len(buyers))
    ss_min = np.array([c.ss_min for c in CITIES])[sk.city]
    inside_band = (sk.income > 1.3 * ss_min) & (sk.income < 0.55 * ss_max)  # the base follows the salary
    promoted = pick(adult & sk.salary_here & inside_band & (sk.age <= 50), max(3, round(n * 0.004)))
    sk.promo_month[promoted] = rng.integers(7, max(M - 4, 8), len(promoted))
    promo_factor = np.zeros(n)
    promo_factor[promoted] = np.round(rng.uniform(1.2, 1.45, len(promoted)), 2)
    leavers = pick(adult & sk.salary_here & (sk.tier >= TIER_MASS), max(3, round(n * 0.005)))
    sk.leave_month[leavers] = rng.integers(max(M - 20, 1), max(M - 9, 2), len(leavers))
    corps = pick(sk.corporate & existing, max(2, round(int(sk.corporate.sum()) * 0.08)))
    sk.ar_month[corps] = rng.integers(max(M - 15, 1), max(M - 9, 2), len(corps))
    taken[sk.unit_kind == NEWBORN] = True
    edu_from = np.full(n, -1)
    edu_cents = np.zeros(n, dtype=np.int64)
    parent = np.flatnonzero((sk.unit_kind == NEWBORN) & (sk.role == R_HEAD))
    child = parent + 2
    birth_month = cal.month_of(sk.birth_day[child])
    edu_from[parent] = np.minimum(birth_month + rng.integers(1, 6, len(parent)), M - 1)
    edu_cents[parent] = rng.choice(np.array([1000, 1500, 2000, 3000]), len(parent)) * 100
    recorded = rng.random(n) < 0.5
    return StoryPlan(promo_factor, edu_from, edu_cents, recorded)


def market_answers(market: Market) -> dict[str, Any]:
    """The planted crisis and recent shock, for the answer file."""
    return {
        "crisis": {
            "series": "CSI300",
            "peak_on": from_epoch(market.crisis_peak).isoformat(),
            "trough_on": from_epoch(market.crisis_trough).isoformat(),
            "drawdown_pct": round(market.crisis_drawdown * 100, 2),
        },
        "recent_shock": {
            "series": "CSI300",
            "from_close_on": from_epoch(market.shock_start).isoformat(),
            "to_close_on": from_epoch(int(market.calendar.bdays[-1])).isoformat(),
            "drop_pct": round(market.shock_drop * 100, 2),
        },
    }


def write_answers(
    path: Path,
    *,
    seed: int,
    as_of: date,
    clients: int,
    market: Market,
    entries: list[dict[str, Any]],
    policy_events: list[dict[str, Any]],
) -> None:
    """The ground truth of the planted stories as JSON (stable key order, UTF-8, no timestamps)."""
    body = {
        "generator": "fincrm demo institution",
        "seed": seed,
        "as_of": as_of.isoformat(),
        "history_start": market.calendar.start.isoformat(),
        "clients": clients,
        "market": market_answers(market),
        "stories": sorted(entries, key=lambda e: (e["kind"], e["party_no"])),
        "policy_events_planted": policy_events,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def iso(day: int) -> str:
    return from_epoch(int(day)).isoformat()


def yuan(cents: int | float) -> str:
    """Cents as an exact decimal string of CNY."""
    cents = int(round(cents))
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


@dataclass
class Planted:
    """What a chunk planted: property deals, life events to record, answer entries."""

    deals: list[dict[str, Any]] = field(default_factory=list)
    life_events: list[tuple[int, str, int, str]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


def plant_property(
    c: Chunk, story: dict[int, dict], loan_nos: list[str], plan: StoryPlan, out: Planted
) -> None:
    """Deal, down payment, payment of the mortgage proceeds, deed tax, then renovation spend."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    as_of = int(cal.days[-1])
    for p, info in sorted(story.items()):
        g = int(c.idx[p])
        acct = int(c.current_of[p])
        deal_day = int(sk.buy_day[g])
        price = int(round(info["price"] * 100))
        principal = int(round(info["principal"] * 100))
        new_home = bool(rng.random() < 0.5)
        payee = DEVELOPERS[int(rng.integers(len(DEVELOPERS)))] if new_home else "二手房交易资金监管账户"
        payee_code = c.strings.code(payee)
        city = CITIES[int(sk.city[g])]
        tax_code = c.strings.code(f"国家税务总局{city.short}市税务局")
        down = price - principal
        tax = int(round(price * 0.015))
        re_cat = CATEGORY["real_estate"]
        c.txns.add(
            account=np.array([acct, acct, acct]),
            day=np.array([deal_day, deal_day, min(deal_day + 3, as_of)]),
            second=np.array([10 * 3600 + 60, 10 * 3600 + 1800, 11 * 3600]),
            kind="transfer_out",
            cents=np.array([-down, -principal, -tax]),
            channel="counter",
            category=np.array([re_cat, re_cat, CATEGORY["government"]]),
            counterparty=np.array([payee_code, payee_code, tax_code]),
        )
        buy_month = int(cal.month_of(np.array([deal_day]))[0])
        first = min(buy_month + int(rng.integers(2, 4)), cal.n_months - 1)
        last = min(first + int(rng.integers(1, 4)), cal.n_months - 1)
        k = int(rng.integers(4, 9))
        months = np.sort(rng.integers(first, last + 1, k))
        days = cal.month_starts[months] + rng.integers(0, 26, k)
        days = np.minimum(days, as_of)
        total = int(round(price * rng.uniform(0.08, 0.15)))
        parts = np.round(rng.dirichlet(np.ones(k) * 2) * total).astype(np.int64)
        merchants = c.strings.codes(
            [RENOVATION_MERCHANTS[int(x)] for x in rng.integers(0, len(RENOVATION_MERCHANTS), k)]
        )
        c.txns.add(
            account=np.full(k, acct),
            day=days,
            second=rng.integers(10 * 3600, 20 * 3600, k),
            kind="card_spend",
            cents=-parts,
            channel="pos",
            category="home_improvement",
            counterparty=merchants,
        )
        deal_id = f"PRS{g + 1:010d}"
        out.deals.append(
            {
                "deal_id": deal_id,
                "day": deal_day,
                "city": int(sk.city[g]),
                "cents": price,
                "area": info["area"],
                "resale": not new_home,
                "party": p,
            }
        )
        recorded = bool(plan.recorded[g])
        if recorded:
            out.life_events.append(
                (p, "home_purchase", deal_day, f"客户在{city.short}购买住房，面积约{info['area']}平方米")
            )
        out.entries.append(
            {
                "kind": "property_purchase",
                "party_no": f"C{g + 1:010d}",
                "recorded_life_event": recorded,
                "dates": {
                    "deal_on": iso(deal_day),
                    "funding_redemptions_month": iso(cal.month_starts[max(buy_month - 1, 0)]),
                    "renovation_from": iso(days.min()),
                    "renovation_to": iso(days.max()),
                },
                "planted": {
                    "deal_id": deal_id,
                    "city": city.name,
                    "price_amount": yuan(price),
                    "area_sqm": info["area"],
                    "kind": "resale" if not new_home else "new",
                    "down_payment_amount": yuan(down),
                    "mortgage_amount": yuan(principal),
                    "mortgage_loan_no": loan_nos[info["loan_index"]],
                    "deed_tax_amount": yuan(tax),
                    "renovation_amount": yuan(int(parts.sum())),
                    "renovation_payments": k,
                    "payee": payee,
                },
            }
        )


def plant_births(c: Chunk, plan: StoryPlan, out: Planted) -> np.ndarray:
    """Hospital and baby spend around each planted birth; returns the parents (local) paying the plan."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = int(cal.days[-1])
    parents = np.flatnonzero((sk.unit_kind[j] == NEWBORN) & (sk.role[j] == R_HEAD))
    childcare = next(m for m in MERCHANTS if m[0] == "childcare")[1]
    for p in parents.tolist():
        g = int(j[p])
        child = g + 2
        birth = int(sk.birth_day[child])
        acct = int(c.current_of[p])
        if acct < 0:
            continue
        city = CITIES[int(sk.city[g])]
        hospital = c.strings.code(f"{city.short}市{HOSPITALS[int(rng.integers(len(HOSPITALS)))]}")
        days = [max(birth - int(rng.integers(0, 4)), cal.first), min(birth + int(rng.integers(1, 5)), as_of)]
        cents = [-int(rng.integers(300_000, 1_200_000)), -int(rng.integers(200_000, 1_500_000))]
        cps = [hospital, hospital]
        cats = [CATEGORY["healthcare"], CATEGORY["healthcare"]]
        for k in range(int(rng.integers(6, 12))):
            d = birth + 15 + k * int(rng.integers(12, 25))
            if d > as_of:
                break
            days.append(d)
            cents.append(-int(rng.integers(20_000, 150_000)))
            cps.append(c.strings.code(childcare[int(rng.integers(len(childcare)))]))
            cats.append(CATEGORY["childcare"])
        c.txns.add(
            account=np.full(len(days), acct),
            day=np.array(days),
            second=rng.integers(9 * 3600, 21 * 3600, len(days)),
            kind="card_spend",
            cents=np.array(cents),
            channel="pos",
            category=np.array(cats),
            counterparty=np.array(cps),
        )
        recorded = bool(plan.recorded[g])
        gender = "千金" if sk.female[child] else "贵子"
        if recorded:
            out.life_events.append((p, "child_birth", birth, f"客户喜得{gender}，关注教育金规划"))
        edu_month = int(plan.edu_from[g])
        out.entries.append(
            {
                "kind": "child_birth",
                "party_no": f"C{g + 1:010d}",
                "recorded_life_event": recorded,
                "dates": {
                    "birth_on": iso(birth),
                    "education_plan_from": iso(cal.month_starts[edu_month] + 9),
                },
                "planted": {
                    "child_party_no": f"C{child + 1:010d}",
                    "spouse_party_no": f"C{g + 2:010d}",
                    "education_product_code": "INS003",
                    "monthly_amount": yuan(int(plan.edu_cents[g])),
                    "hospital_spend_amount": yuan(-(cents[0] + cents[1])),
                },
            }
        )
    return parents


def promotion_entries(c: Chunk, plan: StoryPlan, out: Planted) -> None:
    """Answer entries (and recorded life events) of the chunk's promotions."""
    sk, cal = c.sk, c.calendar
    for p in np.flatnonzero(sk.promo_month[c.idx] >= 0).tolist():
        g = int(c.idx[p])
        when = int(cal.month_starts[sk.promo_month[g]])
        recorded = bool(plan.recorded[g])
        if recorded:
            out.life_events.append((p, "promotion", when, "客户升职，收入明显提高"))
        out.entries.append(
            {
                "kind": "promotion",
                "party_no": f"C{g + 1:010d}",
                "recorded_life_event": recorded,
                "dates": {"effective_month": iso(when)},
                "planted": {
                    "salary_factor": float(plan.promo_factor[g]),
                    "employer": c.employers.name[int(sk.employer[g])],
                    "social_security_base_factor": float(plan.promo_factor[g]),
                },
            }
        )


def attrition_entries(c: Chunk, drain_day: np.ndarray, out: Planted) -> None:
    """Answer entries of the chunk's leavers; ``drain_day`` per local party (epoch day)."""
    sk, cal = c.sk, c.calendar
    for p in np.flatnonzero(sk.leave_month[c.idx] >= 0).tolist():
        g = int(c.idx[p])
        m = int(sk.leave_month[g])
        out.entries.append(
            {
                "kind": "attrition",
                "party_no": f"C{g + 1:010d}",
                "recorded_life_event": False,
                "dates": {
                    "salary_moved_from": iso(cal.month_starts[m]),
                    "spending_stops_from": iso(cal.month_starts[min(m + 3, cal.n_months - 1)]),
                    "assets_drained_by": iso(drain_day[p]),
                },
                "planted": {
                    "employer": c.employers.name[int(sk.employer[g])],
                    "social_security_continues": True,
                },
            }
        )


def receivable_entries(c: Chunk, facts: list[dict], policy_of: dict[int, dict], out: Planted) -> None:
    """Answer entries of the chunk's receivable stretches, with their planted policy event."""
    from fincrm.demo.names import INDUSTRIES

    for f in facts:
        g = int(c.idx[f["party"]])
        out.entries.append(
            {
                "kind": "receivable_stretch",
                "party_no": f"C{g + 1:010d}",
                "recorded_life_event": False,
                "dates": {"stretch_from": iso(f["stretch_from"])},
                "planted": {
                    "extra_days_past_due": f["extra_days"],
                    "industry_code": INDUSTRIES[int(c.sk.industry[g])].code,
                    "policy_event_id": policy_of.get(g, {}).get("event_id"),
                    "policy_event_on": policy_of.get(g, {}).get("event_on"),
                },
            }
        )
