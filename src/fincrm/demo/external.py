"""External data of the demo: social security, property deals, supply chain, industry policy.

* ``social_security``: one row per employed individual and month; the contribution base follows
  the salary, clipped to the city's floor and ceiling, re-declared every July (about +4 %) and at
  a promotion. It keeps coming while a leaving client's salary goes to another bank.
* ``property_transactions``: registered deals in the cities of the book; most buyers are not
  clients (``buyer_party_no`` empty); planted purchases name the client.
* ``supply_chain``: monthly invoices of each corporate with two to five customers and suppliers.
  Settled receivables arrive on the corporate's current account as ``transfer_in`` from that
  customer on the settlement day, settled payables leave it, so the two datasets agree.
* ``industry_policy``: policy headlines by industry; a restrictive one is planted ahead of each
  receivable-stretch story.

Amounts in cents until written; dates as epoch days.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fincrm.demo.book import Employers
from fincrm.demo.chunk import KIND, Chunk
from fincrm.demo.columns import amounts, concat, dates, int_str, take
from fincrm.demo.geography import CITIES
from fincrm.demo.market import Calendar, epoch_day
from fincrm.demo.names import COMPANY_BRANDS, INDUSTRIES

SS_JULY_RAISE = 0.04  # yearly re-declaration of the contribution base


def social_security(c: Chunk, employers: Employers, promo_factor: np.ndarray) -> pa.Table:
    """``social_security`` rows of the chunk's employed individuals (see the module docstring)."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    people = np.flatnonzero(sk.employed[j] & (sk.employer[j] >= 0))
    M = cal.n_months
    party = np.repeat(people, M)
    month = np.tile(np.arange(M), len(people))
    month_first = (
        cal.month_starts.astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    day = month_first[month]
    ok = (day >= cal.first) & (day >= sk.onboard_day[j[party]] - 365 * 2)
    party, month, day = party[ok], month[ok], day[ok]
    ss_min = np.array([ci.ss_min for ci in CITIES], dtype=float)
    ss_max = np.array([ci.ss_max for ci in CITIES], dtype=float)
    emp = sk.employer[j[party]]
    city = employers.city[emp]
    # Years of July re-declarations since the window start, for both the base and the band.
    calendar_month = day.astype("datetime64[D]").astype("datetime64[M]").astype(int)
    start_month = np.datetime64(cal.start, "M").astype(int)
    julys = ((calendar_month - 6) // 12) - ((start_month - 6) // 12)
    growth = (1 + SS_JULY_RAISE) ** julys
    declared = sk.income[j[party]] * rng.uniform(0.92, 1.0, 1)[0] * growth
    promoted = (promo_factor[party] > 0) & (month >= sk.promo_month[j[party]])
    declared = np.where(promoted, declared * promo_factor[party], declared)
    base = np.clip(declared, ss_min[city] * growth, ss_max[city] * growth)
    cents = np.round(base).astype(np.int64) * 100
    names = pa.array(employers.name)
    return pa.table(
        {
            "party_no": c.party_no(party),
            "month_on": dates(day),
            "contribution_base_amount": amounts(cents),
            "currency": take(["CNY"], np.zeros(len(party), dtype=np.int64)),
            "employer": take(names, emp),
            "city": take([ci.name for ci in CITIES], city),
        }
    )


def property_deals(rng: np.random.Generator, cal: Calendar, n_background: int, first_id: int) -> pa.Table:
    """Registered deals by people who are not (matched) clients of the bank."""
    weights = np.array([ci.weight for ci in CITIES])
    city = rng.choice(len(CITIES), n_background, p=weights / weights.sum())
    day = cal.first + (rng.random(n_background) * cal.n_days).astype(np.int64)
    area = np.round(rng.lognormal(np.log(95), 0.3, n_background), 1)
    price = np.array([ci.sqm_price for ci in CITIES])[city] * area * rng.lognormal(0, 0.15, n_background)
    resale = rng.random(n_background) < 0.55
    return deals_table(
        first_id + np.arange(n_background), day, city, np.round(price, -3) * 100, area, resale, None
    )


def deals_table(ids, day, city, cents, area, resale, buyer: pa.Array | None) -> pa.Table:
    """``property_transactions`` rows from columns (prices in cents, days as epoch days)."""
    n = len(ids)
    return pa.table(
        {
            "deal_id": concat("PR", int_str(ids, 10)),
            "deal_on": dates(day),
            "city": take([ci.name for ci in CITIES], city),
            "price_amount": amounts(np.asarray(cents, dtype=np.int64)),
            "currency": take(["CNY"], np.zeros(n, dtype=np.int64)),
            "area_sqm": pa.array(np.asarray(area, dtype=float)),
            "kind": take(["new", "resale"], np.asarray(resale, dtype=np.int64)),
            "buyer_party_no": buyer if buyer is not None else pa.nulls(n, pa.string()),
        }
    )


def supply_chain(c: Chunk, first_record: int) -> tuple[pa.Table, list[dict]]:
    """Invoices of the chunk's corporates and their settlement flows; returns the table and story facts."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    corps = np.flatnonzero(sk.corporate[j] & (c.current_of >= 0))
    M = cal.n_months
    n_cust = rng.integers(2, 5, len(corps))
    n_supp = rng.integers(1, 4, len(corps))
    per = n_cust + n_supp
    slot_corp = np.repeat(np.arange(len(corps)), per)
    slot_rank = np.arange(len(slot_corp)) - np.repeat(np.cumsum(per) - per, per)
    recv = slot_rank < n_cust[slot_corp]
    raw_share = rng.gamma(1.0, size=len(slot_corp))
    group = slot_corp * 2 + (~recv)
    share = raw_share / np.bincount(group, weights=raw_share, minlength=2 * len(corps))[group]
    share = np.where(recv, share, share * 0.72)  # suppliers are paid about 72 % of sales
    term = rng.choice(np.array([30, 60, 90]), len(slot_corp))
    brands = np.array(COMPANY_BRANDS)
    partner_city = rng.integers(0, len(CITIES), len(slot_corp))
    partner = [
        f"{CITIES[ci].short}{brands[b]}{INDUSTRIES[k].word}有限公司"
        for ci, b, k in zip(
            partner_city.tolist(),
            rng.integers(0, len(brands), len(slot_corp)).tolist(),
            rng.integers(0, len(INDUSTRIES), len(slot_corp)).tolist(),
            strict=True,
        )
    ]
    partner_code = c.strings.codes(partner)
    extra = rng.uniform(30, 90, len(corps))
    # one row per slot and month, kept with probability 0.65 (not every partner invoices monthly)
    slot = np.repeat(np.arange(len(slot_corp)), M)
    month = np.tile(np.arange(M), len(slot_corp))
    corp_book = cal.month_starts[None, :] + rng.integers(0, 20, (len(corps), M))
    p_local = corps[slot_corp[slot]]
    book = corp_book[slot_corp[slot], month]
    keep = (rng.random(len(slot)) < 0.65) & (book <= as_of) & (book >= sk.onboard_day[j[p_local]])
    slot, month, book, p_local = slot[keep], month[keep], book[keep], p_local[keep]
    ci = slot_corp[slot]
    monthly = sk.revenue[j[p_local]] / 12
    cents = np.round(monthly * share[slot] * rng.lognormal(0, 0.2, len(slot)) * 100 / 0.65).astype(np.int64)
    delay = np.clip(np.round(rng.normal(3, 6, len(slot))), -5, 25).astype(np.int64)
    stretch_from = sk.ar_month[j[p_local]]
    stretching = recv[slot] & (stretch_from >= 0) & (month >= stretch_from)
    ramp = np.minimum(1.0, (month - stretch_from + 1) / 9)
    delay = delay + np.where(stretching, np.round(extra[ci] * ramp), 0).astype(np.int64)
    due = book + term[slot]
    settled = due + delay
    ok = cents > 0
    slot, book, due, settled, cents, p_local = (
        slot[ok],
        book[ok],
        due[ok],
        settled[ok],
        cents[ok],
        p_local[ok],
    )
    direction = np.where(recv[slot], 0, 1)
    facts = [
        {
            "party": int(corps[k]),
            "stretch_from": int(cal.month_starts[sk.ar_month[j[corps[k]]]]),
            "extra_days": round(float(extra[k])),
        }
        for k in range(len(corps))
        if sk.ar_month[j[corps[k]]] >= 0
    ]
    n = len(slot)
    is_settled = settled <= as_of
    sel = np.flatnonzero(is_settled)
    c.txns.add(
        account=c.current_of[p_local[sel]],
        day=settled[sel],
        second=rng.integers(9 * 3600, 17 * 3600, len(sel)),
        kind=np.where(direction[sel] == 0, KIND["transfer_in"], KIND["transfer_out"]),
        cents=np.where(direction[sel] == 0, cents[sel], -cents[sel]),
        channel="online",
        category="transfer",
        counterparty=partner_code[slot[sel]],
    )
    _payroll_and_tax(c, corps)
    party = p_local
    partner_arr = pa.array(partner, pa.string())
    table = pa.table(
        {
            "record_id": concat("SC", int_str(first_record + np.arange(n), 10)),
            "party_no": c.party_no(party),
            "counterparty": take(partner_arr, slot),
            "direction": take(["receivable", "payable"], direction),
            "amount": amounts(cents),
            "currency": take(["CNY"], np.zeros(n, dtype=np.int64)),
            "booked_on": dates(book),
            "due_on": dates(due),
            "settled_on": dates(settled, is_settled),
        }
    )
    return table, facts


def _payroll_and_tax(c: Chunk, corps: np.ndarray) -> None:
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    M = cal.n_months
    party = np.repeat(corps, M)
    month = np.tile(np.arange(M), len(corps))
    payroll_day = cal.day_in_month(month, np.full(len(month), 10))
    tax_day = cal.day_in_month(month, np.full(len(month), 15))
    ok = (payroll_day <= as_of) & (payroll_day >= np.maximum(sk.onboard_day[j[party]], cal.first))
    payroll = np.round(sk.headcount[j[party]] * 9_000 * rng.uniform(0.95, 1.05, len(party)) * 100).astype(
        np.int64
    )
    tax = np.round(sk.revenue[j[party]] / 12 * 0.03 * rng.uniform(0.8, 1.2, len(party)) * 100).astype(
        np.int64
    )
    label = c.strings.code("代发工资")
    tax_labels = np.array([c.strings.code(f"国家税务总局{ci.short}市税务局") for ci in CITIES])
    acct = c.current_of[party]
    c.txns.add(
        account=acct[ok],
        day=payroll_day[ok],
        second=np.full(int(ok.sum()), 10 * 3600),
        kind="transfer_out",
        cents=-payroll[ok],
        channel="online",
        category="employer",
        counterparty=np.full(int(ok.sum()), label),
    )
    ok2 = (tax_day <= as_of) & (tax_day >= np.maximum(sk.onboard_day[j[party]], cal.first))
    c.txns.add(
        account=acct[ok2],
        day=tax_day[ok2],
        second=np.full(int(ok2.sum()), 11 * 3600),
        kind="transfer_out",
        cents=-tax[ok2],
        channel="online",
        category="government",
        counterparty=tax_labels[sk.city[j[party]]][ok2],
    )


POLICY_HEADLINES: tuple[tuple[str, str, str, str], ...] = (
    ("I65", "supportive", "关于加快推进软件和信息技术服务业高质量发展的若干措施", "工业和信息化部"),
    ("I65", "supportive", "数据要素×三年行动计划发布，推动公共数据开放", "国家数据局"),
    ("I65", "restrictive", "平台企业数据出境安全评估办法征求意见", "国家互联网信息办公室"),
    ("C39", "supportive", "集成电路产业投资基金三期设立，重点支持设备与材料", "财政部"),
    ("C39", "restrictive", "部分高端芯片及制造设备出口管制措施升级", "商务部"),
    ("C34", "supportive", "推动大规模设备更新和消费品以旧换新行动方案", "国务院"),
    ("C36", "supportive", "新能源汽车车辆购置税减免政策延续至年底", "财政部"),
    ("C36", "restrictive", "汽车行业价格战整治：规范零部件账期不超过60天", "工业和信息化部"),
    ("C38", "restrictive", "光伏制造行业规范条件修订，遏制低水平重复建设", "工业和信息化部"),
    ("C38", "supportive", "加快构建新型电力系统行动方案", "国家能源局"),
    ("C27", "restrictive", "第十批国家组织药品集中带量采购开标，平均降价超过50%", "国家医疗保障局"),
    ("C27", "supportive", "全链条支持创新药发展实施方案", "国务院常务会议"),
    ("C17", "restrictive", "主要出口市场对纺织服装加征关税", "商务部"),
    ("C14", "neutral", "食品安全国家标准（预包装食品标签通则）修订发布", "国家卫生健康委员会"),
    ("F51", "supportive", "关于促进外贸稳规模优结构的意见", "国务院办公厅"),
    ("F52", "supportive", "关于促进服务消费高质量发展的意见", "国务院"),
    ("E48", "restrictive", "地方政府债务风险化解：严控新增隐性债务项目开工", "财政部"),
    ("E48", "supportive", "超长期特别国债支持重大基础设施项目", "国家发展改革委"),
    ("G54", "neutral", "道路货运车辆超限超载治理专项行动", "交通运输部"),
    ("H62", "supportive", "餐饮业促消费专项行动方案", "商务部"),
    ("K70", "restrictive", "房地产开发企业预售资金监管办法收紧", "住房和城乡建设部"),
    ("K70", "supportive", "降低首付比例和房贷利率下限，优化住房公积金政策", "中国人民银行"),
    ("L72", "neutral", "企业信息公示暂行条例修订", "国家市场监督管理总局"),
    ("P83", "restrictive", "校外培训机构资金监管和预收费管理规定", "教育部"),
    ("R86", "restrictive", "网络视听节目内容审核标准细则更新", "国家广播电视总局"),
)


def industry_policy(
    rng: np.random.Generator, cal: Calendar, planted: list[tuple[str, int]]
) -> tuple[pa.Table, list[dict]]:
    """Background policy events over the window plus one restrictive event per planted (industry, day)."""
    k = len(POLICY_HEADLINES)
    repeats = 2
    idx = np.tile(np.arange(k), repeats)
    day = cal.first + (rng.random(len(idx)) * cal.n_days).astype(np.int64)
    code = [POLICY_HEADLINES[i][0] for i in idx]
    direction = [POLICY_HEADLINES[i][1] for i in idx]
    headline = [POLICY_HEADLINES[i][2] for i in idx]
    source = [POLICY_HEADLINES[i][3] for i in idx]
    planted_rows = []
    for industry, when in planted:
        code.append(industry)
        direction.append("restrictive")
        headline.append(f"{_industry_name(industry)}专项整治：规范回款账期，严查拖欠中小企业账款")
        source.append("国家发展改革委")
        day = np.r_[day, when]
    order = np.lexsort((np.arange(len(day)), day))
    ids = [f"POL{k + 1:06d}" for k in range(len(day))]
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    for n_planted, (industry, when) in enumerate(planted):
        original = len(idx) + n_planted
        planted_rows.append(
            {"event_id": ids[position[original]], "industry_code": industry, "event_on": date_iso(when)}
        )
    table = pa.table(
        {
            "event_id": pa.array([ids[position[i]] for i in range(len(day))]),
            "industry_code": pa.array(code),
            "event_on": dates(day),
            "direction": pa.array(direction),
            "headline": pa.array(headline),
            "source": pa.array(source),
        }
    )
    return table, planted_rows


def _industry_name(code: str) -> str:
    for i in INDUSTRIES:
        if i.code == code:
            return i.name
    return code


def date_iso(day: int) -> str:
    from fincrm.demo.market import from_epoch

    return from_epoch(int(day)).isoformat()
