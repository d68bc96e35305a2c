"""Accounts of a chunk: current, savings, investment, credit-card and loan accounts, their owners
and authorised users, cards (Luhn-valid numbers), loans and standing orders.

Every adult and every corporate has a current account (借记卡 / 基本户), where all cash legs are
booked: salary, card spend, transfers, the cash side of product trades, loan repayments.
Product positions sit on the investment account, time deposits and certificates of deposit on
the savings account; the balance of the current account is the client's demand deposit.
Amounts are CNY; loan installments use the annuity formula at the loan's rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fincrm.demo.book import R_HEAD, R_SPOUSE, TIER_MASS, TIER_WEALTH
from fincrm.demo.chunk import Chunk
from fincrm.demo.columns import concat, int_str
from fincrm.demo.geography import CITIES
from fincrm.demo.market import epoch_day
from fincrm.demo.names import OCCUPATIONS
from fincrm.demo.shelf import PRODUCT_INDEX
from fincrm.demo.writer import Col, day_col, money_col, raw

ACCOUNT_KINDS = ("current", "savings", "investment", "card", "loan")
CURRENT, SAVINGS, INVESTMENT, CARD, LOAN = range(5)
KIND_DIGIT = np.array([1, 2, 3, 5, 7])  # second digit of the account number by kind
MORTGAGE, CONSUMER, BUSINESS = "LN001", "LN002", "LN003"
BUSINESS_OWNER = next(i for i, o in enumerate(OCCUPATIONS) if o[0] == "企业主")
LOAN_RATE_PCT = {MORTGAGE: 3.6, CONSUMER: 4.2, BUSINESS: 4.0}  # per year


@dataclass
class Loans:
    """Loans of a chunk (one loan account each)."""

    account: np.ndarray  # chunk account index
    party: np.ndarray  # local party
    product: str | np.ndarray
    granted_day: np.ndarray
    principal_cents: np.ndarray
    installment_cents: np.ndarray
    term_months: np.ndarray
    status: np.ndarray  # LoanStatus values
    stop_day: np.ndarray  # last day a repayment is booked (arrears and defaults stop early)


def installment(principal: np.ndarray, rate_pct: float, months: np.ndarray) -> np.ndarray:
    """Monthly annuity payment (CNY) for ``principal`` CNY over ``months`` at ``rate_pct`` per year."""
    r = rate_pct / 100 / 12
    return principal * r / (1 - (1 + r) ** (-months.astype(float)))


def luhn_complete(body: np.ndarray, width: int) -> np.ndarray:
    """Append the Luhn check digit to ``width - 1``-digit numbers."""
    digits = np.empty((len(body), width - 1), dtype=np.int64)
    v = body.copy()
    for k in range(width - 2, -1, -1):
        digits[:, k] = v % 10
        v //= 10
    doubled = digits[:, ::-1].copy()
    doubled[:, ::2] *= 2
    doubled[doubled > 9] -= 9
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return body * 10 + check


def open_accounts(
    c: Chunk, *, needs_savings: np.ndarray, needs_investment: np.ndarray, loans_per_party: list
) -> None:
    """Create the chunk's accounts and remember, per party, which account is which."""
    sk, rng, j_all = c.sk, c.rng, c.idx
    n = c.n
    adult = sk.corporate[j_all] | (sk.age[j_all] >= 18)
    minor_with_money = ~adult & (sk.aum[j_all] > 0)
    has_current = adult | minor_with_money
    employed = sk.employed[j_all]
    tier = sk.tier[j_all]
    has_card = (
        ~sk.corporate[j_all]
        & adult
        & (rng.random(n) < np.where(tier == TIER_WEALTH, 0.45, np.where(employed, 0.18, 0.05)))
        & ~sk.dormant[j_all]
    )
    kinds, parties = [], []
    for kind, mask in (
        (CURRENT, has_current),
        (SAVINGS, needs_savings & has_current),
        (INVESTMENT, needs_investment & has_current),
        (CARD, has_card),
    ):
        local = np.flatnonzero(mask)
        kinds.append(np.full(len(local), kind))
        parties.append(local)
    loan_parties = np.array([p for p, _ in loans_per_party], dtype=np.int64)
    kinds.append(np.full(len(loan_parties), LOAN))
    parties.append(loan_parties)
    kind = np.concatenate(kinds)
    party = np.concatenate(parties)
    order = np.lexsort((kind, party))
    kind, party = kind[order], party[order]
    ids = c.ids.take("accounts", len(kind))
    branch = sk.branch[j_all][party]
    c.acct_id, c.acct_party, c.acct_kind = ids, party, kind
    # 16 digits: 6, kind digit, branch (2 digits), then the account id.
    c.acct_no = concat("6", int_str(KIND_DIGIT[kind]), int_str(branch + 1, 2), int_str(ids, 12))
    for attr, k in (
        ("current_of", CURRENT),
        ("savings_of", SAVINGS),
        ("invest_of", INVESTMENT),
        ("card_of", CARD),
    ):
        arr = np.full(n, -1)
        pos = np.flatnonzero(kind == k)
        arr[party[pos]] = pos
        setattr(c, attr, arr)


def account_rows(c: Chunk, loans: Loans) -> dict[str, dict[str, Col]]:
    """Store rows for accounts, account_parties, cards and loans."""
    sk, rng = c.sk, c.rng
    j = c.idx[c.acct_party]
    cal = c.calendar
    n = len(c.acct_id)
    opened = sk.onboard_day[j].copy()  # positions held from the start sit on accounts opened at onboarding
    opened[loans.account] = loans.granted_day
    accounts = {
        "id": raw(c.acct_id),
        "account_no": raw(c.acct_no.to_pylist()),
        "kind": raw([ACCOUNT_KINDS[k] for k in c.acct_kind]),
        "currency": raw(["CNY"] * n),
        "status": raw(["open"] * n),
        "opened_on": day_col(opened),
        "closed_on": day_col(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)),
        "branch_id": raw(sk.branch[j] + 1),
        "statement_frequency": raw(
            np.where(
                c.acct_kind == CARD, "monthly", np.where(c.acct_kind == LOAN, "monthly", "quarterly")
            ).tolist()
        ),
    }
    # Owners, plus authorised users: a spouse on the other's current account, the CFO on a company's.
    ap_account = [np.arange(n)]
    ap_party = [c.acct_party]
    ap_role = [np.zeros(n, dtype=np.int64)]
    current = np.flatnonzero(c.acct_kind == CURRENT)
    role = sk.role[j[current]]
    head = current[(role == R_HEAD) & (rng.random(len(current)) < 0.12)]
    spouse_local = c.acct_party[head] + 1
    ok = (spouse_local < c.n) & (sk.role[c.idx[np.minimum(spouse_local, c.n - 1)]] == R_SPOUSE)
    ap_account.append(head[ok])
    ap_party.append(spouse_local[ok])
    ap_role.append(np.ones(int(ok.sum()), dtype=np.int64))
    ap_account_a = np.concatenate(ap_account)
    ap_party_a = np.concatenate(ap_party)
    ap_role_a = np.concatenate(ap_role)
    ap_ids = c.ids.take("account_parties", len(ap_account_a))
    account_parties = {
        "id": raw(ap_ids),
        "ref": raw([None] * len(ap_ids)),
        "account_id": raw(c.acct_id[ap_account_a]),
        "party_id": raw(c.party_id[ap_party_a]),
        "role": raw(np.where(ap_role_a == 0, "owner", "authorised").tolist()),
    }
    # Cards: a debit card for each owner of a current account, a credit card for card accounts.
    carded = np.flatnonzero(np.isin(c.acct_kind[ap_account_a], [CURRENT, CARD]) & (ap_role_a == 0))
    carded = carded[~sk.corporate[c.idx[ap_party_a[carded]]]]
    k = len(carded)
    acct_kind = c.acct_kind[ap_account_a[carded]]
    tier = sk.tier[c.idx[ap_party_a[carded]]]
    minor = sk.age[c.idx[ap_party_a[carded]]] < 18
    card_kind = np.where(
        acct_kind == CARD,
        "credit",
        np.where(
            minor,
            "junior",
            np.where(
                tier == TIER_WEALTH,
                "platinum",
                np.where((tier == TIER_MASS) & (rng.random(k) < 0.4), "gold", "classic"),
            ),
        ),
    )
    card_ids = c.ids.take("cards", k)
    debit_body = 621_799_000_000_000_000 // 10 + card_ids  # 18 digits, check digit makes 19
    credit_body = 625_906_000_000_000 + card_ids  # 15 digits, check digit makes 16
    numbers = np.where(acct_kind == CARD, luhn_complete(credit_body, 16), luhn_complete(debit_body, 19))
    issued = opened[ap_account_a[carded]] + rng.integers(0, 20, k)
    issued = np.minimum(issued, epoch_day(cal.as_of))
    cards = {
        "id": raw(card_ids),
        "card_no": raw([str(x) for x in numbers.tolist()]),
        "account_party_id": raw(ap_ids[carded]),
        "kind": raw(card_kind.tolist()),
        "issued_on": day_col(issued),
    }
    loan_ids = c.ids.take("loans", len(loans.account))
    loan_rows = {
        "id": raw(loan_ids),
        "loan_no": raw(concat("L", int_str(loan_ids, 11)).to_pylist()),
        "account_id": raw(c.acct_id[loans.account]),
        "product_id": raw(
            np.array(
                [PRODUCT_INDEX[p] + 1 for p in np.broadcast_to(loans.product, len(loans.account))],
                dtype=np.int64,
            )
        ),
        "granted_on": day_col(loans.granted_day),
        "principal_amount": money_col(loans.principal_cents),
        "installment_amount": money_col(loans.installment_cents),
        "currency": raw(["CNY"] * len(loan_ids)),
        "term_months": raw(loans.term_months),
        "status": raw(loans.status.tolist()),
    }
    return {"accounts": accounts, "account_parties": account_parties, "cards": cards, "loans": loan_rows}


def plan_loans(c: Chunk) -> tuple[list[tuple[int, dict]], dict]:
    """Decide who borrows: background mortgages, consumer and business loans, and story mortgages."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    n = c.n
    start, as_of = cal.first, epoch_day(cal.as_of)
    adult = ~sk.corporate[j] & (sk.age[j] >= 18)
    price_sqm = np.array([ci.sqm_price for ci in CITIES])[sk.city[j]]
    plans: list[tuple[int, dict]] = []
    mortgage = (
        adult & (sk.age[j] >= 28) & (sk.age[j] <= 62) & (sk.tier[j] >= TIER_MASS) & (rng.random(n) < 0.3)
    )
    mortgage &= sk.role[j] != R_SPOUSE  # one mortgage per household
    mortgage &= sk.buy_day[j] < 0
    mortgage &= sk.onboard_day[j] < start - 400  # a mortgage from the bank predates the window
    for p in np.flatnonzero(mortgage):
        area = float(rng.uniform(70, 140))
        principal = round(price_sqm[p] * area * 0.6 * rng.uniform(0.6, 1.0), -3)
        term = int(rng.choice([240, 300, 360]))
        earliest = max(int(sk.onboard_day[j[p]]), start - 365 * 12)
        granted = int(rng.integers(earliest, start - 199))
        plans.append(
            (int(p), {"product": MORTGAGE, "granted": granted, "principal": principal, "term": term})
        )
    settled_in = sk.onboard_day[j] < as_of - 120  # clients of some months' standing borrow
    consumer = adult & ~mortgage & sk.employed[j] & (rng.random(n) < 0.05) & ~sk.dormant[j] & settled_in
    for p in np.flatnonzero(consumer):
        principal = round(float(rng.uniform(30_000, 300_000)), -3)
        term = int(rng.choice([12, 24, 36]))
        granted = int(rng.integers(max(start - 300, int(sk.onboard_day[j[p]]) + 10), as_of - 59))
        plans.append(
            (int(p), {"product": CONSUMER, "granted": granted, "principal": principal, "term": term})
        )
    business = (sk.corporate[j] & (rng.random(n) < 0.3)) | (
        adult & (sk.occupation[j] == BUSINESS_OWNER) & (rng.random(n) < 0.2)
    )
    business &= settled_in
    for p in np.flatnonzero(business):
        scale = sk.revenue[j[p]] * 0.1 if sk.corporate[j[p]] else sk.income[j[p]] * 20
        principal = round(float(np.clip(scale * rng.uniform(0.5, 1.5), 100_000, 30_000_000)), -4)
        term = int(rng.choice([12, 24, 36, 60]))
        granted = int(rng.integers(max(start - 700, int(sk.onboard_day[j[p]]) + 10), as_of - 59))
        plans.append(
            (int(p), {"product": BUSINESS, "granted": granted, "principal": principal, "term": term})
        )
    story = {}
    for p in np.flatnonzero(sk.buy_day[j] >= 0):
        city_price = price_sqm[p]
        area = float(np.round(rng.uniform(85, 140), 1))
        price = city_price * area * rng.uniform(0.85, 1.2)
        budget = max(sk.aum[j[p]], 200_000) * rng.uniform(2.2, 3.2)
        price = round(min(price, budget), -4)
        # A smaller budget buys an older or outlying flat: cheaper per square metre, not a tiny one.
        area = max(round(price / city_price, 1), round(float(rng.uniform(55, 75)), 1))
        principal = round(price * 0.65, -4)
        story[int(p)] = {"price": price, "area": area, "principal": principal, "loan_index": len(plans)}
        plans.append(
            (
                int(p),
                {"product": MORTGAGE, "granted": int(sk.buy_day[j[p]]), "principal": principal, "term": 360},
            )
        )
    order = sorted(range(len(plans)), key=lambda k: (plans[k][0], k))
    remap = {old: new for new, old in enumerate(order)}
    for s in story.values():
        s["loan_index"] = remap[s["loan_index"]]
    return [plans[k] for k in order], story


def build_loans(c: Chunk, plans: list[tuple[int, dict]]) -> Loans:
    """Loan terms from the plans: annuity installments, status (arrears, default, repaid) and the
    last day a repayment is booked."""
    rng, as_of = c.rng, epoch_day(c.calendar.as_of)
    loan_accounts = np.flatnonzero(c.acct_kind == LOAN)  # sorted by party like ``plans``
    k = len(plans)
    product = np.array([p["product"] for _, p in plans], dtype=object)
    granted = np.array([p["granted"] for _, p in plans], dtype=np.int64)
    principal = np.array([p["principal"] for _, p in plans], dtype=float)
    term = np.array([p["term"] for _, p in plans], dtype=np.int64)
    rate = np.array([LOAN_RATE_PCT[p] for p in product])
    r = rate / 100 / 12
    inst = principal * r / (1 - (1 + r) ** (-term.astype(float))) if k else np.zeros(0)
    end_day = granted + term * 30
    u = rng.random(k)
    status = np.where(
        end_day <= as_of,
        "repaid",
        np.where(u < 0.02, "in_arrears", np.where(u < 0.026, "defaulted", "current")),
    )
    stop = np.where(
        status == "in_arrears",
        as_of - 62,
        np.where(status == "defaulted", as_of - rng.integers(120, 500, k), end_day),
    )
    status = np.where((status == "defaulted") & (stop < granted + 60), "current", status)
    stop = np.where(status == "current", np.minimum(end_day, as_of), stop)
    return Loans(
        account=loan_accounts,
        party=np.array([p for p, _ in plans], dtype=np.int64),
        product=product,
        granted_day=granted,
        principal_cents=np.round(principal * 100).astype(np.int64),
        installment_cents=np.round(inst * 100).astype(np.int64),
        term_months=term,
        status=status,
        stop_day=stop,
    )


@dataclass
class Orders:
    account: np.ndarray
    party: np.ndarray
    cents: np.ndarray
    day_of_month: np.ndarray
    payee: list[str]
    category: list[str]


def standing_orders(c: Chunk) -> tuple[Orders, dict[str, Col]]:
    """Recurring monthly payments (utilities, property fees, insurance premiums, leasing)."""
    sk, rng = c.sk, c.rng
    j = c.idx
    cur = c.current_of
    eligible = np.flatnonzero((cur >= 0) & ~sk.corporate[j] & (sk.age[j] >= 22) & ~sk.dormant[j])
    has = eligible[rng.random(len(eligible)) < 0.35]
    kinds = [
        ("household", "utilities", "国网{city}供电公司", "国家电网", 120, 450),
        ("household", "utilities", "{city}燃气集团有限公司", "燃气公司", 40, 160),
        ("household", "other", "{city}物业服务有限公司", "物业公司", 200, 900),
        ("insurance", "insurance", "中国平安财产保险股份有限公司", "平安产险", 300, 1500),
        ("leasing", "automotive", "{city}汽车租赁有限公司", "汽车租赁", 1800, 4500),
    ]
    pick = rng.choice(len(kinds), len(has), p=[0.35, 0.2, 0.3, 0.1, 0.05])
    payee, category, purpose, bank, amounts_ = [], [], [], [], []
    for p, k in zip(has, pick, strict=True):
        purpose_, cat, name, bank_, lo, hi = kinds[int(k)]
        payee.append(name.format(city=CITIES[int(sk.city[j[p]])].short))
        category.append(cat)
        purpose.append(purpose_)
        bank.append(bank_)
        amounts_.append(round(float(rng.uniform(lo, hi)), 2))
    cents = np.round(np.array(amounts_) * 100).astype(np.int64)
    ids = c.ids.take("standing_orders", len(has))
    rows = {
        "id": raw(ids),
        "order_no": raw(concat("SO", int_str(ids, 10)).to_pylist()),
        "account_id": raw(c.acct_id[cur[has]]),
        "payee_bank": raw(bank),
        "payee_account": raw(int_str(rng.integers(10**15, 10**16 - 1, len(has))).to_pylist()),
        "amount": money_col(cents),
        "currency": raw(["CNY"] * len(has)),
        "purpose": raw(purpose),
    }
    orders = Orders(cur[has], has, cents, rng.integers(3, 12, len(has)), payee, category)
    return orders, rows
