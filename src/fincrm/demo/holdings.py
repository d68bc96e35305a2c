"""Product positions of a chunk: what each client holds, how it changes month by month, and the
purchases, redemptions, maturities and dividends that change it.

Conventions: money in int64 cents, units in int64 micro-units; a position's units at any date
equal its opening units plus the units of its purchases minus those of its redemptions and
maturities, exactly, so ``holdings_snapshots`` reconcile with ``transactions``. Trades settle on
the client's current account (the cash leg is the transaction); the units sit on the investment
account, or the savings account for deposits. NAVs come from the market model.

Each month is one vectorised step over all positions of the chunk (37 steps, not one per row):
redemptions first (a fraction of the units held), then purchases. Behaviour follows the market:
in stress months conservative clients (C1-C2) redeem equity-like products, aggressive ones
(C4-C5) buy the dip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from fincrm.demo.book import TIER_MASS, TIER_WEALTH
from fincrm.demo.chunk import CHANNEL, KIND, Chunk
from fincrm.demo.columns import amounts, dates, take, units
from fincrm.demo.market import epoch_day
from fincrm.demo.shelf import EDUCATION_PRODUCT, PRODUCT_INDEX, SHELF
from fincrm.demo.writer import Col, day_col, money_col, raw, units_col
from fincrm.products.domain import ProductKind

N_PRODUCTS = len(SHELF)
KIND_OF = np.array([list(ProductKind).index(p.kind) for p in SHELF])
RISK_OF = np.array([int(p.risk.value[1]) for p in SHELF])
MIN_OF = np.array([p.min_investment for p in SHELF], dtype=float)
TERM_OF = np.array([p.term_days for p in SHELF])
LOCKUP_OF = np.array([p.lockup_days for p in SHELF])
ISSUE_OF = np.array([p.issue_offset if p.issue_offset is not None else -99999 for p in SHELF])
MATURE_OF = np.array([p.mature_offset if p.mature_offset is not None else 99999 for p in SHELF])
SUB_FEE_OF = np.array([float(p.fee_pcts[0]) for p in SHELF]) / 100
TECH_OF = np.array(["tech" in p.tags for p in SHELF])
EQUITY_LIKE = np.array(
    [
        p.kind in (ProductKind.EQUITY_FUND, ProductKind.HYBRID_FUND, ProductKind.PRIVATE_FUND)
        or p.risk.value >= "R4"
        for p in SHELF
    ]
)
DIVIDEND_OF = np.array([p.code in ("BF001", "BF003", "BF005") for p in SHELF])
IS_DEPOSIT = np.array([p.kind is ProductKind.DEPOSIT for p in SHELF])
FUND_KINDS = {
    ProductKind.BOND_FUND,
    ProductKind.EQUITY_FUND,
    ProductKind.HYBRID_FUND,
    ProductKind.GOLD,
    ProductKind.MONEY_MARKET_FUND,
}
IS_FUND = np.array([p.kind in FUND_KINDS for p in SHELF])
PRIVATE = np.array([p.kind is ProductKind.PRIVATE_FUND or p.min_investment >= 1_000_000 for p in SHELF])
CHOOSABLE = np.array(
    [p.kind is not ProductKind.LOAN and p.code not in ("DEP000", EDUCATION_PRODUCT) for p in SHELF]
)
SIP_OK = np.array(
    [p.kind in (ProductKind.EQUITY_FUND, ProductKind.HYBRID_FUND, ProductKind.GOLD) for p in SHELF]
)
INSURANCE = np.array([p.kind is ProductKind.INSURANCE for p in SHELF])

# Preference of each risk level (rows C1..C5) for each product kind (order of ProductKind).
_PREF_BY_KIND = {
    ProductKind.DEPOSIT: (5, 4, 2, 1, 0.5),
    ProductKind.MONEY_MARKET_FUND: (3, 3, 2, 2, 1.5),
    ProductKind.BOND_FUND: (1, 3, 3, 2, 1),
    ProductKind.EQUITY_FUND: (0.1, 0.6, 2.2, 4, 5),
    ProductKind.HYBRID_FUND: (0.1, 1, 3, 3, 2),
    ProductKind.BANK_WMP: (4, 5, 3, 2, 1),
    ProductKind.STRUCTURED: (0.6, 1, 1.5, 1.5, 1.5),
    ProductKind.PRIVATE_FUND: (0, 0, 1, 3, 4),
    ProductKind.INSURANCE: (1, 1.5, 1.5, 1, 0.5),
    ProductKind.GOLD: (0.3, 0.5, 1.5, 1.5, 1.5),
    ProductKind.LOAN: (0, 0, 0, 0, 0),
}
PREF = np.array([[_PREF_BY_KIND[p.kind][lvl] for p in SHELF] for lvl in range(5)])


@dataclass
class Positions:
    party: np.ndarray  # local party
    product: np.ndarray
    amount0: np.ndarray  # CNY held at the start, or bought on the entry day
    units0: np.ndarray  # micro-units held at the window start
    cost0: np.ndarray  # cents
    first_day: np.ndarray  # epoch day of the first purchase
    sip_cents: np.ndarray  # monthly plan amount, 0 none
    sip_dom: np.ndarray  # day of month of the plan
    entry_day: np.ndarray  # epoch day amount0 is bought inside the window, -1 when held from the start


def choose_positions(
    c: Chunk, *, aversion_tech: np.ndarray, legacy_level: np.ndarray
) -> tuple[Positions, np.ndarray]:
    """Pick products and amounts per client; returns the positions and each client's cash target (CNY)."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    n = c.n
    start, as_of = cal.first, epoch_day(cal.as_of)
    tier = sk.tier[j]
    corp = sk.corporate[j]
    minor = ~corp & (sk.age[j] < 18)
    aum = sk.aum[j]
    cash_share = np.select(
        [corp, tier == TIER_WEALTH, tier == TIER_MASS],
        [rng.uniform(0.35, 0.7, n), rng.uniform(0.05, 0.25, n), rng.uniform(0.2, 0.5, n)],
        rng.uniform(0.6, 1.0, n),
    )
    k = np.select(
        [corp, tier == TIER_WEALTH, tier == TIER_MASS],
        [1 + rng.poisson(1.0, n), 4 + rng.poisson(3.0, n), 1 + rng.poisson(1.4, n)],
        np.where(rng.random(n) < 0.45, 1 + (rng.random(n) < 0.25), 0),
    )
    k = np.where(minor | sk.dormant[j], 0, np.minimum(k, np.where(tier == TIER_WEALTH, 10, 5)))
    level = np.clip(np.maximum(sk.risk[j], legacy_level), 1, 5)
    pref = PREF[level - 1]  # [n, products]
    ack = IS_FUND[None, :] & (RISK_OF[None, :] == level[:, None] + 1) & (level[:, None] >= 2)
    ok = (RISK_OF[None, :] <= level[:, None]) | ack
    ok &= CHOOSABLE[None, :]
    investable = aum * (1 - cash_share)
    ok &= MIN_OF[None, :] <= investable[:, None] * 0.6
    ok &= ~PRIVATE[None, :] | (aum[:, None] >= 3_000_000)
    ok &= ~(TECH_OF[None, :] & aversion_tech[:, None])
    issue_day = as_of + ISSUE_OF
    ok &= ~((issue_day[None, :] > start) & (issue_day[None, :] < sk.onboard_day[j][:, None] + 1))
    weight = np.where(ack, pref * 0.3, pref)
    score = np.where(
        ok & (weight > 0), np.log(np.maximum(weight, 1e-12)) + rng.gumbel(size=weight.shape), -np.inf
    )
    order = np.argsort(-score, axis=1)
    rank_ok = np.take_along_axis(score, order, axis=1) > -np.inf
    chosen = rank_ok & (np.arange(N_PRODUCTS)[None, :] < k[:, None])
    party, slot = np.nonzero(chosen)
    product = order[party, slot]
    share = rng.gamma(1.0, size=len(party))
    totals = np.bincount(party, weights=share, minlength=n)
    amount = investable[party] * share / np.maximum(totals[party], 1e-12)
    amount = np.round(amount, -2)
    keep = amount >= np.maximum(MIN_OF[product], 100)
    party, product, amount = party[keep], product[keep], amount[keep]
    invested = np.bincount(party, weights=amount, minlength=n)
    cash_target = np.maximum(aum - invested, 0)
    # Dated issues are bought at issue and a new client's products when they join; the rest are held already.
    issue = as_of + ISSUE_OF[product]
    onboard = sk.onboard_day[j][party]
    joined = np.minimum(onboard + rng.integers(0, 21, len(party)), as_of)
    entry = np.where(issue > start, issue, np.where(onboard >= start, joined, -1))
    bought_in_window = entry >= 0
    nav0 = c.market.nav_on(product, np.full(len(product), start))
    units0 = np.where(bought_in_window, 0, np.round(amount / nav0 * 1e6)).astype(np.int64)
    cost_factor = np.where(
        IS_DEPOSIT[product] | (KIND_OF[product] == list(ProductKind).index(ProductKind.BANK_WMP)),
        1.0,
        rng.uniform(0.8, 1.15, len(product)),
    )
    cost0 = np.where(bought_in_window, 0, np.round(amount * cost_factor * 100)).astype(np.int64)
    earliest = np.maximum(sk.onboard_day[j][party], start - 365 * 4)
    first_day = np.where(
        bought_in_window,
        entry,
        earliest + (rng.random(len(party)) * np.maximum(start - earliest, 1)).astype(np.int64),
    )
    sip = (
        SIP_OK[product]
        & (level[party] >= 3)
        & (tier[party] >= TIER_MASS)
        & ~corp[party]
        & (rng.random(len(party)) < 0.3)
    )
    income = sk.income[j][party]
    sip_cents = np.where(
        sip, np.round(np.clip(income * rng.uniform(0.05, 0.15, len(party)), 300, 20000), -2) * 100, 0
    )
    positions = Positions(
        party,
        product,
        amount,
        units0,
        cost0,
        first_day,
        sip_cents.astype(np.int64),
        rng.choice(np.array([1, 8, 10, 15, 18, 25]), len(party)),
        entry,
    )
    return positions, cash_target


def add_positions(p: Positions, extra: Positions) -> Positions:
    return Positions(
        *[np.concatenate([getattr(p, f), getattr(extra, f)]) for f in Positions.__dataclass_fields__]
    )


@dataclass
class Evolution:
    units_me: np.ndarray  # [positions, months] micro-units at each month end
    cost_me: np.ndarray  # [positions, months] cents
    units_now: np.ndarray
    cost_now: np.ndarray


def evolve(
    c: Chunk,
    p: Positions,
    *,
    leave_month: np.ndarray,
    fund_month: np.ndarray,
    edu_from: np.ndarray,
) -> Evolution:
    """Run the positions through the window month by month, booking their trades on current accounts.

    ``leave_month`` (per local party, -1 none): from then on nothing is bought and positions are
    redeemed over the following months. ``fund_month``: one month before a property purchase,
    open-ended low-risk positions are partly redeemed to fund it. ``edu_from`` (per position, -1
    none): month from which a monthly education-plan premium is paid.
    """
    sk, rng, cal, market = c.sk, c.rng, c.calendar, c.market
    j = c.idx
    P, M = len(p.party), cal.n_months
    as_of = epoch_day(cal.as_of)
    ms, me = cal.month_starts, cal.month_ends
    stress = market.stress()
    level = sk.risk[j][p.party]
    tier = sk.tier[j][p.party]
    account = c.current_of[p.party]
    product = p.product
    U = p.units0.copy()
    C = p.cost0.copy()
    units_me = np.zeros((P, M), dtype=np.int64)
    cost_me = np.zeros((P, M), dtype=np.int64)
    term = TERM_OF[product]
    mature = as_of + MATURE_OF[product]
    dated = ISSUE_OF[product] > -99999
    rolling = term > 0
    entry = p.entry_day
    first_maturity = cal.first + (rng.random(P) * np.maximum(term, 1)).astype(np.int64)
    next_maturity = np.where(rolling, np.where(entry >= 0, entry + term, first_maturity), 10**9)
    next_maturity = np.where(dated, np.where(mature <= as_of, mature, 10**9), next_maturity)
    open_ended = ~rolling & ~dated & ~INSURANCE[product]
    lock_until = p.first_day + LOCKUP_OF[product]
    buy_p = np.where(tier == TIER_WEALTH, 0.05, np.where(tier == TIER_MASS, 0.035, 0.01))
    leave = leave_month[p.party]
    fund = fund_month[p.party]
    stay_low = ~EQUITY_LIKE[product] & open_ended
    anniversary = p.first_day.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
    premium_plan = INSURANCE[product] & (rng.random(P) < 0.5) & (edu_from < 0)
    pay_dividend = DIVIDEND_OF[product] & (rng.random(P) < 0.5)
    onboard = sk.onboard_day[j][p.party]
    month_of_year = (ms.astype("datetime64[D]").astype("datetime64[M]").astype(int)) % 12  # 0 = January
    rows = []
    for m in range(M):
        lo, hi = int(ms[m]), int(me[m])
        span = hi - lo + 1
        in_month_stress = stress[lo - cal.first : hi - cal.first + 1]
        stressed = in_month_stress.mean() > 0.3
        alive = onboard <= hi
        # --- redemptions and maturities ------------------------------------------------------
        frac = np.zeros(P)
        kind_red = np.zeros(P, dtype=np.int64)  # 0 redemption, 1 maturity
        red_day = lo + (rng.random(P) * span).astype(np.int64)
        matures = (next_maturity >= lo) & (next_maturity <= hi) & (U > 0)
        frac[matures] = 1.0
        kind_red[matures] = 1
        red_day[matures] = next_maturity[matures]
        can_redeem = open_ended & (U > 0) & (lock_until <= hi) & ~matures & alive
        base = can_redeem & (rng.random(P) < 0.012)
        frac = np.where(base, rng.uniform(0.2, 1.0, P), frac)
        if stressed:
            stress_days = np.flatnonzero(in_month_stress > 0) + lo
            scared = can_redeem & EQUITY_LIKE[product] & (level <= 2) & (rng.random(P) < 0.5)
            frac = np.where(scared, rng.uniform(0.5, 1.0, P), frac)
            red_day = np.where(scared, stress_days[rng.integers(0, len(stress_days), P)], red_day)
        funding = (fund == m) & can_redeem & stay_low
        frac = np.where(funding, rng.uniform(0.6, 1.0, P), frac)
        leaving = (leave >= 0) & (m > leave) & (U > 0) & ~matures & (lock_until <= hi)
        left_months = np.maximum(leave + 5 - m, 1)
        frac = np.where(leaving, np.minimum(1.0, 1.0 / left_months + 0.1), frac)
        red_day = np.minimum(red_day, as_of)
        red_units = np.where(frac >= 1.0, U, np.round(U * frac).astype(np.int64))
        red_units = np.where(frac > 0, red_units, 0)
        nav_red = market.nav_on(product, red_day)
        red_cents = np.round(red_units / 1e6 * nav_red * 100).astype(np.int64)
        cost_out = np.where(frac >= 1.0, C, np.round(C * frac).astype(np.int64))
        cost_out = np.where(red_units > 0, cost_out, 0)
        U -= red_units
        C -= cost_out
        did_red = (red_units > 0) & (account >= 0)
        rows.append(("red", did_red, red_day, red_cents, red_units, kind_red))
        # --- cash dividends on the units held before this month's purchases
        if month_of_year[m] in (2, 5, 8, 11):
            div = pay_dividend & (U > 0) & (account >= 0)
            div_day = np.full(P, min(lo + 14, as_of))
            div_cents = np.where(div, np.round(U / 1e6 * market.nav_on(product, div_day) * 0.35), 0).astype(
                np.int64
            )
            rows.append(
                (
                    "div",
                    div & (div_cents > 0),
                    div_day,
                    div_cents,
                    np.zeros(P, dtype=np.int64),
                    np.zeros(P, dtype=np.int64),
                )
            )
        # --- purchases ----------------------------------------------------------------------
        buy = np.zeros(P, dtype=np.int64)
        buy_day = lo + (rng.random(P) * span).astype(np.int64)
        no_buy = ((leave >= 0) & (m >= leave)) | ~alive
        rolled = matures & (rng.random(P) < 0.75) & ~no_buy & (next_maturity <= as_of) & rolling
        buy = np.where(rolled, red_cents, buy)
        buy_day = np.where(rolled, red_day, buy_day)
        at_entry = (entry >= lo) & (entry <= hi) & alive
        buy = np.where(at_entry, np.round(p.amount0 * 100).astype(np.int64), buy)
        buy_day = np.where(at_entry, entry, buy_day)
        lump = open_ended & (rng.random(P) < buy_p) & ~no_buy
        if stressed:
            lump |= open_ended & EQUITY_LIKE[product] & (level >= 4) & (rng.random(P) < 0.25) & ~no_buy
        lump_amt = np.round(p.amount0 * rng.uniform(0.1, 0.5, P), -2) * 100
        buy = np.where(lump & (buy == 0), lump_amt.astype(np.int64), buy)
        sip = (p.sip_cents > 0) & ~no_buy & (p.first_day <= hi)
        sip_day = lo + np.minimum(p.sip_dom - 1, span - 1)
        buy = np.where(sip & (buy == 0), p.sip_cents, buy)
        buy_day = np.where(sip, sip_day, buy_day)
        premium = premium_plan & (anniversary == month_of_year[m]) & ~no_buy & (p.first_day < lo)
        buy = np.where(premium & (buy == 0), (np.round(p.amount0 * 0.15, -2) * 100).astype(np.int64), buy)
        edu = (edu_from >= 0) & (m >= edu_from) & ~no_buy
        buy = np.where(edu, p.sip_cents, buy)
        buy_day = np.where(edu, lo + 9, buy_day)
        buy_day = np.clip(buy_day, np.maximum(onboard, lo), min(hi, as_of))
        buy_day = np.maximum(buy_day, np.where(matures, red_day, buy_day))
        nav_buy = market.nav_on(product, buy_day)
        net = buy / 100 / (1 + SUB_FEE_OF[product])
        buy_units = np.where(buy > 0, np.round(net / nav_buy * 1e6), 0).astype(np.int64)
        U += buy_units
        C += buy
        did_buy = (buy > 0) & (account >= 0)
        rows.append(("buy", did_buy, buy_day, buy, buy_units, np.zeros(P, dtype=np.int64)))
        next_maturity = np.where(rolled, buy_day + term, np.where(matures, 10**9, next_maturity))
        units_me[:, m] = U
        cost_me[:, m] = C
    _book_trades(c, p, rows)
    return Evolution(units_me, cost_me, U, C)


def _book_trades(c: Chunk, p: Positions, rows: list) -> None:
    rng = c.rng
    bank = c.strings.code("钱塘银行理财/基金交易")
    for what, mask, day, cents, micro, kind_red in rows:
        sel = np.flatnonzero(mask)
        if len(sel) == 0:
            continue
        acct = c.current_of[p.party[sel]]
        product = p.product[sel]
        if what == "buy":
            c.txns.add(
                account=acct,
                day=day[sel],
                second=rng.integers(9 * 3600, 22 * 3600, len(sel)),
                kind="purchase",
                cents=-cents[sel],
                channel=_trade_channel(rng, len(sel)),
                category="investment",
                counterparty=np.full(len(sel), bank),
                product=product,
                micro_units=micro[sel],
            )
        elif what == "red":
            matured = kind_red[sel] == 1
            kind = np.where(matured, KIND["maturity"], KIND["redemption"])
            channel = np.where(matured, CHANNEL["auto"], _trade_channel(rng, len(sel)))
            c.txns.add(
                account=acct,
                day=day[sel],
                second=np.where(matured, 3 * 3600, rng.integers(9 * 3600, 22 * 3600, len(sel))),
                kind=kind,
                cents=cents[sel],
                channel=channel,
                category="investment",
                counterparty=np.full(len(sel), bank),
                product=product,
                micro_units=micro[sel],
            )
        else:
            c.txns.add(
                account=acct,
                day=day[sel],
                second=np.full(len(sel), 4 * 3600),
                kind="dividend",
                cents=cents[sel],
                channel="auto",
                category="investment",
                counterparty=np.full(len(sel), bank),
                product=product,
            )


def _trade_channel(rng: np.random.Generator, n: int) -> np.ndarray:
    channels = np.array([CHANNEL["mobile"], CHANNEL["online"], CHANNEL["branch"], CHANNEL["counter"]])
    return rng.choice(channels, n, p=[0.6, 0.15, 0.2, 0.05])


def position_accounts(c: Chunk, p: Positions) -> np.ndarray:
    """Account index holding each position: savings for deposits, investment for the rest."""
    return np.where(IS_DEPOSIT[p.product], c.savings_of[p.party], c.invest_of[p.party])


def snapshot_table(c: Chunk, p: Positions, ev: Evolution) -> pa.Table:
    """Month-end rows of every position with units (``holdings_snapshots``)."""
    cal, market = c.calendar, c.market
    acct = position_accounts(c, p)
    months = cal.snapshot_months()
    pos, mi = np.nonzero(ev.units_me[:, months] > 0)
    m = months[mi]
    day = cal.month_ends[m]
    u = ev.units_me[pos, m]
    nav = market.nav_on(p.product[pos], day)
    mv = np.round(u / 1e6 * nav * 100).astype(np.int64)
    return pa.table(
        {
            "as_of_on": dates(day),
            "account_no": pa.compute.take(c.acct_no, pa.array(acct[pos])),
            "party_no": c.party_no(p.party[pos]),
            "product_code": take([s.code for s in SHELF], p.product[pos]),
            "units": units(u),
            "cost_amount": amounts(np.maximum(ev.cost_me[pos, m], 0)),
            "market_value_amount": amounts(mv),
            "currency": take(["CNY"], np.zeros(len(pos), dtype=np.int64)),
        }
    )


def holding_rows(c: Chunk, p: Positions, ev: Evolution) -> dict[str, Col]:
    """Current positions valued at the as-of date (store ``holdings``)."""
    as_of = epoch_day(c.calendar.as_of)
    live = np.flatnonzero(ev.units_now > 0)
    acct = position_accounts(c, p)[live]
    nav = c.market.nav_on(p.product[live], np.full(len(live), as_of))
    mv = np.round(ev.units_now[live] / 1e6 * nav * 100).astype(np.int64)
    ids = c.ids.take("holdings", len(live))
    return {
        "id": raw(ids),
        "account_id": raw(c.acct_id[acct]),
        "product_id": raw(p.product[live] + 1),
        "units": units_col(ev.units_now[live]),
        "cost_amount": money_col(np.maximum(ev.cost_now[live], 0)),
        "market_value_amount": money_col(mv),
        "currency": raw(["CNY"] * len(live)),
        "as_of_on": day_col(np.full(len(live), as_of)),
        "first_bought_on": day_col(p.first_day[live]),
    }


def education_positions(
    c: Chunk, parents: np.ndarray, from_month: np.ndarray, monthly_cents: np.ndarray
) -> Positions:
    """The education-plan positions of the child-birth story (empty at the start, paid monthly)."""
    k = len(parents)
    first = c.calendar.month_starts[from_month] + 9
    return Positions(
        parents,
        np.full(k, PRODUCT_INDEX[EDUCATION_PRODUCT]),
        np.zeros(k),
        np.zeros(k, dtype=np.int64),
        np.zeros(k, dtype=np.int64),
        first,
        monthly_cents,
        np.full(k, 10),
        np.full(k, -1),
    )
