"""Cash flows of a chunk's accounts and the balances that follow from them.

Conventions: amounts in int64 cents, signed from the account's point of view; times are local
(UTC+8) seconds of the day. Events are drawn as Poisson counts per client and month and spread
over the month, so the volume scales with activity: long-tail clients are sparse, dormant ones
silent. Each individual's month is then balanced by one "living" transfer (rent, family,
the client's account at another bank or a payment wallet) so that cash grows by the client's
savings rate instead of drifting; product trades are left out of that balance on purpose.

The demand-deposit balance of each current account is its opening balance plus every flow,
and never goes below zero: the opening balance is the larger of the client's cash target and
what the flows need. New clients bring their opening balance in as their first transaction.
Interest is credited quarterly (the 21st of the last month of each quarter, 0.2 % a year).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fincrm.demo.accounts import CARD, Loans, Orders
from fincrm.demo.book import TIER_MASS, TIER_WEALTH, Employers
from fincrm.demo.chunk import CATEGORY, CHANNEL, KIND, Chunk
from fincrm.demo.columns import amounts, dates, take, units
from fincrm.demo.geography import CITIES
from fincrm.demo.market import epoch_day
from fincrm.demo.names import MERCHANT_P, MERCHANTS, OCCUPATIONS, OTHER_BANKS
from fincrm.demo.shelf import DEMAND_DEPOSIT, PRODUCT_INDEX
from fincrm.demo.writer import Col, day_col, money_col, raw, units_col

DEMAND_RATE_PCT = 0.2  # per year, demand deposits
SHOPKEEPER = next(i for i, o in enumerate(OCCUPATIONS) if o[0] == "个体工商户")
NET_OF_SALARY = 0.78  # share of gross monthly income credited after tax and social security
SALARY_RAISE = 0.04  # per year
LIVING_KINDS = np.array(
    [
        KIND[k]
        for k in (
            "deposit",
            "withdrawal",
            "salary_credit",
            "fee",
            "transfer_in",
            "transfer_out",
            "loan_drawdown",
            "loan_repayment",
            "card_spend",
        )
    ]
)


def _monthly_events(
    c: Chunk, rate: np.ndarray, *, start: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(``rate``) events per local party and month, on days within [start, stop] of each party."""
    cal, rng = c.calendar, c.rng
    counts = rng.poisson(np.maximum(rate, 0)[:, None], (len(rate), cal.n_months))
    party, month = np.nonzero(counts)
    reps = counts[party, month]
    party, month = np.repeat(party, reps), np.repeat(month, reps)
    lo, hi = cal.month_starts[month], cal.month_ends[month]
    day = lo + (rng.random(len(party)) * (hi - lo + 1)).astype(np.int64)
    keep = (day >= start[party]) & (day <= stop[party])
    return party[keep], day[keep]


def _shift_weekend(day: np.ndarray) -> np.ndarray:
    weekday = (day + 3) % 7
    return np.where(weekday == 5, day - 1, np.where(weekday == 6, day - 2, day))


def salary_and_pension(c: Chunk, employers: Employers, promo_factor: np.ndarray) -> None:
    """Monthly salary credits on the employer's payday (moved to Friday at weekends) and pensions.

    Salaries rise 4 % a year and by ``promo_factor`` (per local party) from a promotion month on; a
    January bonus of one to three months' income is paid to most; a leaver's salary stops.
    """
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    cur = c.current_of
    leave = sk.leave_month[j]
    payees = np.flatnonzero(sk.salary_here[j] & (sk.employer[j] >= 0) & (cur >= 0))
    M = cal.n_months
    if len(payees):
        emp = sk.employer[j[payees]]
        payday = employers.payday[emp]
        party = np.repeat(payees, M)
        month = np.tile(np.arange(M), len(payees))
        day = _shift_weekend(cal.day_in_month(month, np.repeat(payday, M)))
        ok = (day >= cal.first) & (day <= as_of) & (day >= sk.onboard_day[j[party]])
        ok &= (leave[party] < 0) | (month < leave[party])
        party, month, day = party[ok], month[ok], day[ok]
        income = sk.income[j[party]]
        years = (day - cal.first) // 365  # a raise a year
        base = income * NET_OF_SALARY * (1 + SALARY_RAISE) ** years
        promoted = (promo_factor[party] > 0) & (month >= sk.promo_month[j[party]])
        base = base * np.where(promoted, promo_factor[party], 1.0) * rng.uniform(0.97, 1.03, len(party))
        bonus = (_calendar_month(day) == 0) & (rng.random(len(party)) < 0.6)  # year-end bonus in January
        base = base + np.where(bonus, income * rng.uniform(1, 3, len(party)), 0)
        cents = np.round(base * 100).astype(np.int64)
        employer_codes = {
            e: c.strings.code(employers.name[e]) for e in np.unique(sk.employer[j[payees]]).tolist()
        }
        cp_codes = np.array([employer_codes[e] for e in sk.employer[j[party]].tolist()], dtype=np.int64)
        c.txns.add(
            account=cur[party],
            day=day,
            second=rng.integers(1 * 3600, 6 * 3600, len(party)),
            kind="salary_credit",
            cents=cents,
            channel="auto",
            category="employer",
            counterparty=cp_codes,
        )
    retired = np.flatnonzero(sk.retired[j] & (cur >= 0) & (rng.random(c.n) < 0.7))
    if len(retired):
        party = np.repeat(retired, M)
        month = np.tile(np.arange(M), len(retired))
        day = _shift_weekend(cal.day_in_month(month, np.full(len(month), 10)))
        ok = (day >= cal.first) & (day <= as_of) & (day >= sk.onboard_day[j[party]])
        party, day = party[ok], day[ok]
        city_codes = np.array([c.strings.code(f"{ci.short}市社会保险事业管理中心") for ci in CITIES])
        c.txns.add(
            account=cur[party],
            day=day,
            second=np.full(len(party), 5 * 3600),
            kind="transfer_in",
            cents=np.round(sk.income[j[party]] * 100).astype(np.int64),
            channel="auto",
            category="government",
            counterparty=city_codes[sk.city[j[party]]],
        )


def everyday(c: Chunk) -> None:
    """Card spend, cash withdrawals and deposits, person-to-person transfers, fees."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    cur, card = c.current_of, c.card_of
    tier = sk.tier[j]
    active = (cur >= 0) & ~sk.dormant[j] & ~sk.corporate[j] & (sk.age[j] >= 16)
    start = np.maximum(sk.onboard_day[j], cal.first)
    leave = sk.leave_month[j]
    stop = np.where(leave >= 0, cal.month_starts[np.minimum(leave + 3, cal.n_months - 1)], as_of)
    spend_rate = np.where(tier == TIER_WEALTH, 1.5, np.where(tier == TIER_MASS, 1.0, 0.45)) * active
    has_card = card >= 0
    debit_rate = np.where(has_card, spend_rate * 0.4, spend_rate)
    mult = np.where(tier == TIER_WEALTH, 2.5, np.where(tier == TIER_MASS, 1.2, 0.8))
    merchant_codes, offsets = [], []
    for _, merchants, _, _ in MERCHANTS:
        offsets.append(len(merchant_codes))
        merchant_codes += [c.strings.code(m) for m in merchants]
    medians = np.array([m[2] for m in MERCHANTS])
    sigmas = np.array([m[3] for m in MERCHANTS])
    cat_codes = np.array([CATEGORY[m[0]] for m in MERCHANTS])
    for rate, acct_of in ((debit_rate, cur), (np.where(has_card, 1.5, 0.0), card)):
        party, day = _monthly_events(c, rate, start=start, stop=stop)
        if len(party) == 0:
            continue
        cat = rng.choice(len(MERCHANTS), len(party), p=np.array(MERCHANT_P) / np.sum(MERCHANT_P))
        sizes = np.array([len(m[1]) for m in MERCHANTS])
        which = np.array(offsets)[cat] + (rng.random(len(party)) * sizes[cat]).astype(np.int64)
        amount = medians[cat] * mult[party] * np.exp(rng.standard_normal(len(party)) * sigmas[cat])
        cents = np.maximum(np.round(amount * 100), 100).astype(np.int64)
        channel = rng.choice(
            np.array([CHANNEL["pos"], CHANNEL["wechat"], CHANNEL["online"]]), len(party), p=[0.5, 0.3, 0.2]
        )
        c.txns.add(
            account=acct_of[party],
            day=day,
            second=rng.integers(8 * 3600, 22 * 3600 + 1800, len(party)),
            kind="card_spend",
            cents=-cents,
            channel=channel,
            category=cat_codes[cat],
            counterparty=np.array(merchant_codes)[which],
        )
    # Cash: older clients use ATMs and counters more.
    atm_rate = np.where(sk.age[j] >= 55, 0.35, 0.1) * active
    party, day = _monthly_events(c, atm_rate, start=start, stop=stop)
    c.txns.add(
        account=cur[party],
        day=day,
        second=rng.integers(8 * 3600, 21 * 3600, len(party)),
        kind="withdrawal",
        cents=-(rng.integers(5, 31, len(party)) * 10_000),
        channel=rng.choice(np.array([CHANNEL["atm"], CHANNEL["counter"]]), len(party), p=[0.8, 0.2]),
    )
    shop = sk.occupation[j] == SHOPKEEPER  # they bank their takings
    dep_rate = np.where(shop, 1.5, 0.03) * active
    party, day = _monthly_events(c, dep_rate, start=start, stop=stop)
    c.txns.add(
        account=cur[party],
        day=day,
        second=rng.integers(9 * 3600, 17 * 3600, len(party)),
        kind="deposit",
        cents=np.round(rng.lognormal(np.log(6000), 0.8, len(party)) * 100).astype(np.int64),
        channel=rng.choice(np.array([CHANNEL["counter"], CHANNEL["atm"]]), len(party), p=[0.6, 0.4]),
    )
    p2p = c.strings.code("个人转账")
    party, day = _monthly_events(c, 0.12 * active, start=start, stop=stop)
    c.txns.add(
        account=cur[party],
        day=day,
        second=rng.integers(8 * 3600, 23 * 3600, len(party)),
        kind="transfer_out",
        cents=-np.round(rng.lognormal(np.log(1500), 1.0, len(party)) * 100).astype(np.int64),
        channel=rng.choice(np.array([CHANNEL["mobile"], CHANNEL["wechat"]]), len(party), p=[0.7, 0.3]),
        category="transfer",
        counterparty=np.full(len(party), p2p),
    )
    # Fees: SMS alerts, 6 CNY a quarter, for some; the bank's own counterparty.
    bank = c.strings.code("钱塘银行")
    sms = np.flatnonzero((cur >= 0) & (rng.random(c.n) < 0.15) & ~sk.corporate[j])
    quarter_months = np.flatnonzero(
        np.isin(
            cal.month_starts.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12, [2, 5, 8, 11]
        )
    )
    party = np.repeat(sms, len(quarter_months))
    day = np.tile(cal.day_in_month(quarter_months, np.full(len(quarter_months), 21)), len(sms))
    ok = (day <= as_of) & (day >= np.maximum(sk.onboard_day[j[party]], cal.first))
    c.txns.add(
        account=cur[party[ok]],
        day=day[ok],
        second=np.full(int(ok.sum()), 2 * 3600),
        kind="fee",
        cents=np.full(int(ok.sum()), -600),
        channel="auto",
        counterparty=np.full(int(ok.sum()), bank),
    )


def standing_payments(c: Chunk, orders: Orders) -> None:
    """One transfer per standing order and month while the client banks here."""
    cal, sk = c.calendar, c.sk
    as_of = epoch_day(cal.as_of)
    M = cal.n_months
    k = len(orders.account)
    if k == 0:
        return
    order = np.repeat(np.arange(k), M)
    month = np.tile(np.arange(M), k)
    day = cal.day_in_month(month, orders.day_of_month[order])
    party = orders.party[order]
    leave = sk.leave_month[c.idx[party]]
    ok = (
        (day >= cal.first)
        & (day <= as_of)
        & (day >= sk.onboard_day[c.idx[party]])
        & ((leave < 0) | (month <= leave + 2))
    )
    order, day = order[ok], day[ok]
    payee = c.strings.codes(orders.payee)
    category = np.array([CATEGORY[x] for x in orders.category], dtype=np.int64)
    c.txns.add(
        account=orders.account[order],
        day=day,
        second=np.full(len(order), 3 * 3600),
        kind="transfer_out",
        cents=-orders.cents[order],
        channel="auto",
        category=category[order],
        counterparty=payee[order],
    )


def loan_flows(c: Chunk, loans: Loans) -> None:
    """Drawdowns of loans granted in the window and monthly repayments from the current account."""
    cal, rng = c.calendar, c.rng
    as_of = epoch_day(cal.as_of)
    cur = c.current_of[loans.party]
    names = {"LN001": "个人住房贷款", "LN002": "个人消费贷款", "LN003": "经营贷款"}
    label = np.array(
        [c.strings.code(names[p] + "还款") for p in np.broadcast_to(loans.product, len(cur))], dtype=np.int64
    )
    drawn = np.flatnonzero((loans.granted_day >= cal.first) & (loans.granted_day <= as_of) & (cur >= 0))
    draw_label = np.array(
        [c.strings.code(names[p] + "放款") for p in np.broadcast_to(loans.product, len(cur))], dtype=np.int64
    )
    c.txns.add(
        account=cur[drawn],
        day=loans.granted_day[drawn],
        second=np.full(len(drawn), 10 * 3600),
        kind="loan_drawdown",
        cents=loans.principal_cents[drawn],
        channel="auto",
        category="other",
        counterparty=draw_label[drawn],
    )
    consumer = drawn[np.broadcast_to(loans.product, len(cur))[drawn] == "LN002"]
    # A consumer loan is spent within days: a car, a trip, a course or a big purchase.
    uses = (
        ("automotive", "汽车4S店"),
        ("travel", "携程旅行"),
        ("education", "新东方"),
        ("retail", "京东商城"),
    )
    use = rng.integers(0, len(uses), len(consumer))
    purpose = np.array([CATEGORY[u[0]] for u in uses])[use]
    dealer = np.array([c.strings.code(u[1]) for u in uses])[use]
    c.txns.add(
        account=cur[consumer],
        day=np.minimum(loans.granted_day[consumer] + rng.integers(0, 8, len(consumer)), as_of),
        second=np.full(len(consumer), 14 * 3600),
        kind="transfer_out",
        cents=-np.round(loans.principal_cents[consumer] * 0.9).astype(np.int64),
        channel="mobile",
        category=purpose,
        counterparty=dealer,
    )
    k = len(cur)
    if k == 0:
        return
    M = cal.n_months
    loan = np.repeat(np.arange(k), M)
    month = np.tile(np.arange(M), k)
    granted = loans.granted_day.astype("datetime64[D]")
    dom = (granted - granted.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    day = _shift_weekend(cal.day_in_month(month, np.minimum(dom[loan], 28)))
    ok = (
        (day > loans.granted_day[loan] + 20)
        & (day <= loans.stop_day[loan])
        & (day >= cal.first)
        & (day <= as_of)
    )
    ok &= (cur[loan] >= 0) & (day >= c.sk.onboard_day[c.idx[loans.party[loan]]])
    loan, day = loan[ok], day[ok]
    c.txns.add(
        account=cur[loan],
        day=day,
        second=np.full(len(loan), 6 * 3600),
        kind="loan_repayment",
        cents=-loans.installment_cents[loan],
        channel="auto",
        category="other",
        counterparty=label[loan],
    )


def card_repayments(c: Chunk) -> None:
    """Each month's credit-card spend is repaid from the current account on the 8th of the next month."""
    cal = c.calendar
    as_of = epoch_day(cal.as_of)
    t = c.txns.merged()
    on_card = c.acct_kind[t["account"]] == CARD
    if not on_card.any():
        return
    acct = t["account"][on_card]
    month = cal.month_of(t["day"][on_card])
    spent = t["cents"][on_card]
    key = acct * cal.n_months + month
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=spent)
    acct_u, month_u = uniq // cal.n_months, uniq % cal.n_months
    nxt = month_u + 1
    ok = (nxt < cal.n_months) & (total < 0)
    acct_u, nxt, total = acct_u[ok], nxt[ok], total[ok]
    day = cal.month_starts[nxt] + 7
    ok = day <= as_of
    acct_u, day, total = acct_u[ok], day[ok], np.round(-total[ok]).astype(np.int64)
    cur = c.current_of[c.acct_party[acct_u]]
    label = c.strings.code("钱塘银行信用卡还款")
    has_cur = cur >= 0
    c.txns.add(
        account=acct_u,
        day=day,
        second=np.full(len(day), 7 * 3600),
        kind="transfer_in",
        cents=total,
        channel="auto",
        category="transfer",
        counterparty=np.full(len(day), label),
    )
    c.txns.add(
        account=cur[has_cur],
        day=day[has_cur],
        second=np.full(int(has_cur.sum()), 7 * 3600),
        kind="transfer_out",
        cents=-total[has_cur],
        channel="auto",
        category="transfer",
        counterparty=np.full(int(has_cur.sum()), label),
    )


def living_balance(c: Chunk) -> None:
    """One balancing transfer per individual and quarter so cash grows by the savings rate."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    t = c.txns.merged()
    cur_rows = c.acct_kind[t["account"]] == 0
    planted = np.isin(t["category"], [CATEGORY["real_estate"], CATEGORY["home_improvement"]])
    living = cur_rows & np.isin(t["kind"], LIVING_KINDS) & ~planted
    Q = (cal.n_months + 2) // 3
    party = c.acct_party[t["account"][living]]
    quarter = cal.month_of(t["day"][living]) // 3
    net = np.bincount(party * Q + quarter, weights=t["cents"][living], minlength=c.n * Q).reshape(c.n, Q)
    salary_rows = living & (t["kind"] == KIND["salary_credit"])
    sal = np.bincount(
        c.acct_party[t["account"][salary_rows]] * Q + cal.month_of(t["day"][salary_rows]) // 3,
        weights=t["cents"][salary_rows],
        minlength=c.n * Q,
    ).reshape(c.n, Q)
    save_rate = np.where(sk.tier[j] == TIER_WEALTH, 0.35, np.where(sk.tier[j] == TIER_MASS, 0.22, 0.08))
    save_rate = save_rate * rng.uniform(0.5, 1.5, c.n)
    residual = net - sal * save_rate[:, None]
    eligible = (c.current_of >= 0) & ~sk.corporate[j] & ~sk.dormant[j] & (sk.age[j] >= 18)
    residual[~eligible] = 0
    p_idx, q_idx = np.nonzero(np.abs(residual) >= 100_000)
    value = residual[p_idx, q_idx]
    leave = sk.leave_month[j][p_idx]
    first_m = q_idx * 3
    last_m = np.minimum(first_m + 2, cal.n_months - 1)
    lo, hi = cal.month_starts[first_m], cal.month_ends[last_m]
    out = value > 0
    day = np.where(
        out, np.maximum(hi - rng.integers(0, 4, len(p_idx)), lo), lo + rng.integers(0, 3, len(p_idx))
    )
    day = np.maximum(day, np.maximum(lo, sk.onboard_day[j][p_idx]))
    ok = (day <= hi) & (day <= as_of) & ((leave < 0) | (first_m <= leave + 2))
    p_idx, value, day, out = p_idx[ok], value[ok], day[ok], out[ok]
    wallets = np.array(
        [
            c.strings.code(x)
            for x in ("支付宝（中国）网络技术有限公司", "财付通支付科技有限公司", "家庭生活费转账", "房租")
        ]
        + [c.strings.code(f"本人他行账户（{b}）") for b in OTHER_BANKS]
    )
    bank_pref = rng.integers(4, len(wallets), c.n)
    pick = np.where(rng.random(len(p_idx)) < 0.5, bank_pref[p_idx], rng.integers(0, 4, len(p_idx)))
    pick = np.where(
        out | (pick < 2), pick, bank_pref[p_idx]
    )  # money comes in from accounts or wallets, not rent
    c.txns.add(
        account=c.current_of[p_idx],
        day=day,
        second=rng.integers(9 * 3600, 23 * 3600, len(p_idx)),
        kind=np.where(out, KIND["transfer_out"], KIND["transfer_in"]),
        cents=-np.round(value).astype(np.int64),
        channel=np.full(len(p_idx), CHANNEL["mobile"]),
        category="transfer",
        counterparty=wallets[pick],
    )


def settle(c: Chunk, cash_target: np.ndarray, drain_day: np.ndarray) -> np.ndarray:
    """Opening balances, quarterly interest and leavers' final transfers; returns month-end balances.

    ``drain_day`` (per local party, -1 none): on that day a leaving client moves what is left on
    the current account to their account at another bank. Returns cents as a dense
    [accounts, months] array (rows of accounts other than current accounts stay zero).
    """
    cal, rng, sk = c.calendar, c.rng, c.sk
    j = c.idx
    as_of = epoch_day(cal.as_of)
    M = cal.n_months
    n_acct = len(c.acct_id)
    buffer = 50_000  # cents: what stays on an account at its lowest point

    t = c.txns.merged()
    on_cur = c.acct_kind[t["account"]] == 0
    acct, day, cents = t["account"][on_cur], t["day"][on_cur], t["cents"][on_cur]
    order = np.lexsort((t["second"][on_cur], day, acct))
    a_sorted, running = acct[order], np.cumsum(cents[order])
    need = np.zeros(n_acct, dtype=np.int64)
    if len(a_sorted):
        starts = np.flatnonzero(np.r_[True, a_sorted[1:] != a_sorted[:-1]])
        offsets = np.r_[0, running[starts[1:] - 1]]
        running = running - np.repeat(offsets, np.diff(np.r_[starts, len(a_sorted)]))
        need[a_sorted[starts]] = np.maximum(-np.minimum.reduceat(running, starts), 0)
    current = np.flatnonzero(c.acct_kind == 0)
    party = c.acct_party[current]
    opening = np.zeros(n_acct, dtype=np.int64)
    opening[current] = np.maximum(np.round(cash_target[party] * 100).astype(np.int64), need[current] + buffer)
    newcomers = current[sk.onboard_day[j[party]] >= cal.first]
    label = c.strings.code("开户资金转入（本人他行账户）")
    new_day = sk.onboard_day[j[c.acct_party[newcomers]]]
    c.txns.add(
        account=newcomers,
        day=new_day,
        second=np.full(len(newcomers), 1),
        kind="transfer_in",
        cents=opening[newcomers],
        channel="counter",
        category="transfer",
        counterparty=np.full(len(newcomers), label),
    )
    acct, day, cents = np.r_[acct, newcomers], np.r_[day, new_day], np.r_[cents, opening[newcomers]]
    opening[newcomers] = 0

    def month_end() -> np.ndarray:
        flows = np.bincount(acct * M + cal.month_of(day), weights=cents, minlength=n_acct * M).reshape(
            n_acct, M
        )
        return opening[:, None] + np.cumsum(np.round(flows).astype(np.int64), axis=1)

    bal = month_end()
    # Quarterly interest on the previous month-end balance (the quarter's average, near enough).
    quarter_end = np.flatnonzero(np.isin(_calendar_month(cal.month_starts), [2, 5, 8, 11]))
    interest_label = c.strings.code("活期结息")
    drain_acct = np.full(n_acct, -1)
    drain_acct[current] = drain_day[party]
    opened = sk.onboard_day[j[party]]
    for m in quarter_end.tolist():
        d = int(cal.month_starts[m]) + 20
        if d > as_of or m == 0:
            continue
        amount = np.round(bal[current, m - 1] * DEMAND_RATE_PCT / 100 / 4).astype(np.int64)
        gone = (drain_acct[current] >= 0) & (drain_acct[current] <= d)
        ok = (amount >= 100) & (opened <= d) & ~gone
        k = int(ok.sum())
        c.txns.add(
            account=current[ok],
            day=np.full(k, d),
            second=np.full(k, 1800),
            kind="interest",
            cents=amount[ok],
            channel="auto",
            counterparty=np.full(k, interest_label),
        )
        acct, day, cents = np.r_[acct, current[ok]], np.r_[day, np.full(k, d)], np.r_[cents, amount[ok]]
    leavers = current[(drain_acct[current] >= 0) & (sk.onboard_day[j[party]] < drain_acct[current])]
    if len(leavers):
        before = (drain_acct[acct] >= 0) & (day <= drain_acct[acct])
        at_drain = np.bincount(acct[before], weights=cents[before], minlength=n_acct)
        leftover = rng.integers(5_000, 60_000, len(leavers))
        amount = np.maximum(np.round(opening[leavers] + at_drain[leavers]).astype(np.int64) - leftover, 0)
        bank = np.array([c.strings.code(f"本人他行账户（{b}）") for b in OTHER_BANKS])
        c.txns.add(
            account=leavers,
            day=drain_acct[leavers],
            second=np.full(len(leavers), 20 * 3600),
            kind="transfer_out",
            cents=-amount,
            channel="mobile",
            category="transfer",
            counterparty=bank[rng.integers(0, len(bank), len(leavers))],
        )
        acct, day, cents = np.r_[acct, leavers], np.r_[day, drain_acct[leavers]], np.r_[cents, -amount]
        # Whatever still arrives (a product out of its lock-up, a maturity) follows the same day.
        swept = (drain_acct[acct] >= 0) & (day > drain_acct[acct]) & (cents > 0)
        k = int(swept.sum())
        c.txns.add(
            account=acct[swept],
            day=day[swept],
            second=np.full(k, 86_399),
            kind="transfer_out",
            cents=-cents[swept],
            channel="mobile",
            category="transfer",
            counterparty=bank[rng.integers(0, len(bank), k)],
        )
        acct, day, cents = np.r_[acct, acct[swept]], np.r_[day, day[swept]], np.r_[cents, -cents[swept]]
    return month_end()


def _calendar_month(days: np.ndarray) -> np.ndarray:
    """0-based calendar month (0 = January) of epoch days."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12


def cash_snapshots(c: Chunk, bal: np.ndarray) -> pa.Table:
    """Demand-deposit (current-account) rows of ``holdings_snapshots``."""
    cal = c.calendar
    current = np.flatnonzero(c.acct_kind == 0)
    months = cal.snapshot_months()
    opened = c.sk.onboard_day[c.idx[c.acct_party[current]]]
    sub = bal[current][:, months]
    live = (sub > 0) & (opened[:, None] <= cal.month_ends[months][None, :])
    a, mi = np.nonzero(live)
    acct = current[a]
    cents = sub[a, mi]
    return pa.table(
        {
            "as_of_on": dates(cal.month_ends[months][mi]),
            "account_no": pa.compute.take(c.acct_no, pa.array(acct)),
            "party_no": c.party_no(c.acct_party[acct]),
            "product_code": take([DEMAND_DEPOSIT], np.zeros(len(acct), dtype=np.int64)),
            "units": units(cents * 10_000),
            "cost_amount": amounts(cents),
            "market_value_amount": amounts(cents),
            "currency": take(["CNY"], np.zeros(len(acct), dtype=np.int64)),
        }
    )


def cash_holding_rows(c: Chunk, bal: np.ndarray) -> dict[str, Col]:
    """Current-account balances at the as-of date as ``holdings`` of the demand deposit ``DEP000``."""
    current = np.flatnonzero(c.acct_kind == 0)
    cents = bal[current, -1]
    live = current[cents > 0]
    cents = cents[cents > 0]
    as_of = epoch_day(c.calendar.as_of)
    ids = c.ids.take("holdings", len(live))
    return {
        "id": raw(ids),
        "account_id": raw(c.acct_id[live]),
        "product_id": raw(np.full(len(live), PRODUCT_INDEX[DEMAND_DEPOSIT] + 1)),
        "units": units_col(cents * 10_000),
        "cost_amount": money_col(cents),
        "market_value_amount": money_col(cents),
        "currency": raw(["CNY"] * len(live)),
        "as_of_on": day_col(np.full(len(live), as_of)),
        "first_bought_on": day_col(c.sk.onboard_day[c.idx[c.acct_party[live]]]),
    }
