"""What the bank's people know about a chunk's clients: risk questionnaires, interactions, memory
points, life events and consents.

* Risk assessments are retaken yearly; the latest is valid for a year from the day it was taken
  (about 15 % have expired by the as-of date). Some conservative clients used to be rated two
  levels higher: their earlier questionnaire is kept, and they may still hold products bought then.
* Interactions follow the tier's cadence (private banking monthly, mass quarterly, the long
  tail rarely and digitally) and the market: in the crisis and the recent shock, conservative
  clients holding equity-like products call in, and RMs call their clients about the fall.
* Memory points are short Chinese notes in the categories of ``MemoryCategory``; the tech
  aversion one matches the client's holdings (no technology funds).

Times are local business hours converted to UTC microseconds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fincrm.demo.book import R_HEAD, R_SPOUSE, TIER_MASS, TIER_WEALTH
from fincrm.demo.chunk import Chunk
from fincrm.demo.columns import concat, int_str, local_stamp, take
from fincrm.demo.geography import CITIES
from fincrm.demo.market import epoch_day, from_epoch
from fincrm.demo.shelf import SHELF
from fincrm.demo.writer import Col, day_col, raw, stamp_col

CHANNELS = ("phone", "visit", "wechat", "sms", "email", "event", "branch", "app")
CHANNEL_P = {  # by tier: long tail, mass, wealth; corporates use the wealth mix
    0: (0.15, 0.0, 0.15, 0.35, 0.05, 0.0, 0.1, 0.2),
    1: (0.35, 0.05, 0.3, 0.1, 0.02, 0.05, 0.1, 0.03),
    2: (0.35, 0.2, 0.3, 0.0, 0.02, 0.1, 0.03, 0.0),
}
# Routine contacts: (purpose, summary parts, outcome). A part in braces is filled from SLOTS.
ROUTINE = (
    ("periodic_review", ("定期回访，了解近期资金安排，客户表示", "{plan}", "。"), "已记录需求"),
    (
        "product_recommendation",
        ("介绍", "{product}", "，说明风险等级与费用，客户表示", "{reply}", "。"),
        "客户考虑中",
    ),
    ("maturity_reminder", ("提醒客户持有产品近期到期，客户表示到期后", "{choice}", "。"), "已确认到期安排"),
    ("birthday_greeting", ("客户生日，发送生日祝福并预约资产体检报告解读。",), "客户致谢"),
    ("kyc_update", ("协助客户更新身份证件有效期及职业信息。",), "资料已更新"),
    (
        "event_invitation",
        ("邀请客户参加本月财富沙龙（主题：", "{topic}", "），客户", "{rsvp}", "。"),
        "已发送邀请",
    ),
    ("service_request", ("客户咨询手机银行转账限额设置，已指导完成调整。",), "问题已解决"),
    ("risk_assessment", ("提醒客户风险测评即将到期，客户同意下次到网点时重新测评。",), "待重新测评"),
)
SLOTS = {
    "plan": (
        "暂无大额支出计划",
        "年底有一笔装修款需要准备",
        "希望增加稳健型理财配置",
        "孩子明年出国留学需要备用金",
        "近期打算换车",
        "想了解养老规划",
        "资金主要用于经营周转",
    ),
    "reply": ("需要和家人商量", "对收益比较满意，想追加", "担心波动，暂不考虑", "希望先小额试投"),
    "choice": ("继续续作同类产品", "转入活期备用", "考虑配置一部分债券基金"),
    "topic": ("家庭资产配置", "养老规划与个人养老金", "子女教育金规划", "财富传承与家族信托", "市场展望"),
    "rsvp": ("已报名", "时间冲突未能参加", "表示有兴趣"),
    "product": tuple(p.name for p in SHELF if p.kind.value not in ("loan", "deposit")),
}
MARKET_CALLS = {
    True: (
        "market_update",
        "市场大幅调整，主动致电说明持仓产品的回撤情况和后续观点，建议不要在恐慌中卖出。",
        ("客户情绪平稳", "客户仍担心，约定下周再沟通", "客户决定减仓部分权益类产品"),
    ),
    False: (
        "market_concern",
        "客户来电询问所持权益类产品净值为何大幅下跌，担心继续亏损，询问赎回流程和到账时间。",
        ("已解释，客户考虑赎回", "客户决定赎回部分份额", "客户同意继续持有观察"),
    ),
}

MEMORY = {
    "hobby": (
        "喜欢打高尔夫，周末常去球场",
        "爱好钓鱼，常去水库夜钓",
        "喜欢跑马拉松，参加过多次全马",
        "喜欢书法，写得一手好字",
        "收藏紫砂壶",
        "爱好摄影，常去西藏拍风光",
        "喜欢打羽毛球",
        "热衷自驾游",
        "喜欢听京剧",
        "爱好登山，去过四姑娘山",
    ),
    "food_drink": (
        "不喝酒，喜欢喝龙井茶",
        "喜欢喝普洱茶",
        "爱吃川菜，能吃辣",
        "不吃辣，口味清淡",
        "吃素",
        "喜欢喝咖啡",
        "对海鲜过敏",
        "喜欢喝红酒",
        "爱喝白酒，偏好酱香型",
    ),
    "health": (
        "有高血压，安排活动避免饮酒",
        "腰椎不好，不宜久坐",
        "去年做过心脏支架手术",
        "有糖尿病，注意饮食",
        "膝盖受过伤，不爬山",
    ),
    "aversion": (
        "2018年P2P爆雷损失过，对非标产品非常谨慎",
        "不喜欢电话推销，更愿意微信沟通",
        "对保险类产品反感",
        "曾买的私募亏损30%，不再考虑私募",
        "不碰港股",
    ),
    "other": ("是当地商会成员", "在国企工作二十多年", "偏好到网点面谈", "经常出差，白天不方便接电话"),
    "family": (
        "父母住在老家，每年春节回去",
        "爱人是中学老师",
        "家里养了一只金毛犬",
        "岳父母同住，帮忙带孩子",
    ),
}
TECH_AVERSION = "2015年炒科技股亏损，此后回避科技股"


def risk_assessments(c: Chunk, legacy_level: np.ndarray) -> dict[str, Col]:
    """Yearly questionnaires up to the latest one; ``legacy_level`` (per local party, 0 none) is an
    earlier, higher level of a client who has since become more conservative."""
    sk, rng = c.sk, c.rng
    j = c.idx
    as_of = epoch_day(c.calendar.as_of)
    rated = np.flatnonzero((sk.risk[j] > 0) & (sk.corporate[j] | (sk.age[j] >= 18)))
    expired = rng.random(len(rated)) < 0.15
    age_days = np.where(expired, rng.integers(366, 900, len(rated)), rng.integers(0, 365, len(rated)))
    latest = np.maximum(as_of - age_days, sk.onboard_day[j[rated]])
    n_prev = np.minimum(
        rng.integers(0, 3, len(rated)), np.maximum((latest - sk.onboard_day[j[rated]]) // 365, 0)
    )
    n_prev = np.where(legacy_level[rated] > 0, np.maximum(n_prev, 1), n_prev)
    per = 1 + n_prev
    party = np.repeat(rated, per)
    k = np.arange(len(party)) - np.repeat(np.cumsum(per) - per, per)  # 0 = latest
    taken = np.repeat(latest, per) - k * 365 - rng.integers(0, 20, len(party)) * (k > 0)
    level = np.where(
        k == 0, sk.risk[j[party]], np.where(legacy_level[party] > 0, legacy_level[party], sk.risk[j[party]])
    )
    score = level * 20 - rng.integers(0, 20, len(party))
    ids = c.ids.take("risk_assessments", len(party))
    return {
        "id": raw(ids),
        "ref": raw(concat("RA", int_str(ids, 10)).to_pylist()),
        "party_id": raw(c.party_id[party]),
        "level": raw([f"C{v}" for v in level.tolist()]),
        "score": raw(score),
        "taken_on": day_col(taken),
        "valid_until": day_col(taken + 365),
    }


def _summaries(rng: np.random.Generator, purpose: np.ndarray) -> pa.Array:
    """Summary text per routine purpose index, assembled column-wise from the template parts."""
    n = len(purpose)
    pieces, where = [], []
    for k, (_, parts, _) in enumerate(ROUTINE):
        rows = np.flatnonzero(purpose == k)
        if len(rows) == 0:
            continue
        cols = []
        for part in parts:
            if part.startswith("{"):
                options = SLOTS[part[1:-1]]
                cols.append(take(options, rng.integers(0, len(options), len(rows))))
            else:
                cols.append(pa.array([part] * len(rows), pa.string()) if len(cols) == 0 else part)
        pieces.append(concat(*cols) if len(cols) > 1 else cols[0])
        where.append(rows)
    if not pieces:
        return pa.array([], pa.string())
    stacked = pa.concat_arrays(pieces)
    position = np.empty(n, dtype=np.int64)
    position[np.concatenate(where)] = np.arange(n)
    return pc.take(stacked, pa.array(position))


def interactions(c: Chunk, holds_equity: np.ndarray) -> dict[str, Col]:
    """Routine contacts by tier cadence plus the calls the crisis and the recent shock provoke.

    ``holds_equity`` (per local party) marks clients who held an equity-like product in the window.
    """
    sk, rng, cal, market = c.sk, c.rng, c.calendar, c.market
    j = c.idx
    as_of = epoch_day(cal.as_of)
    tier = np.where(sk.corporate[j], TIER_WEALTH, sk.tier[j])
    per_year = np.where(
        sk.corporate[j], 5.0, np.where(tier == TIER_WEALTH, 12.0, np.where(tier == TIER_MASS, 2.5, 0.3))
    )
    per_year = np.where(sk.dormant[j] | (~sk.corporate[j] & (sk.age[j] < 18)), 0.0, per_year)
    start = np.maximum(sk.onboard_day[j], cal.first)
    span = np.maximum(as_of - start, 0)
    count = rng.poisson(per_year * span / 365)
    party = np.repeat(np.arange(c.n), count)
    day = start[party] + (rng.random(len(party)) * (span[party] + 1)).astype(np.int64)
    purpose = rng.integers(0, len(ROUTINE), len(party))
    summary = _summaries(rng, purpose)
    purposes = take([r[0] for r in ROUTINE], purpose)
    outcomes = take([r[2] for r in ROUTINE], purpose)
    cum = np.cumsum(np.array([CHANNEL_P[t] for t in range(3)]), axis=1)
    channel = (rng.random(len(party))[:, None] > cum[tier[party]]).sum(axis=1)
    channel = np.minimum(channel, len(CHANNELS) - 1)
    outbound = rng.random(len(party)) < 0.8
    # The market speaks: fearful calls in the crisis and the recent shock, and RMs calling round.
    stress_days = cal.days[market.stress() > 0]
    crisis_days = stress_days[stress_days <= market.crisis_trough + 10]
    shock_days = stress_days[stress_days > market.shock_start]
    fearful = np.flatnonzero(holds_equity & (sk.risk[j] <= 2) & (sk.risk[j] > 0))
    extra_party, extra_day, extra_out = [], [], []
    for days, p_call in ((crisis_days, 0.7), (shock_days, 0.45)):
        if len(days) == 0:
            continue
        callers = fearful[rng.random(len(fearful)) < p_call]
        callers = callers[start[callers] <= days[-1]]
        reached = np.flatnonzero(
            holds_equity & (tier >= TIER_MASS) & (rng.random(c.n) < 0.5) & (start <= days[-1])
        )
        extra_party += [callers, reached]
        extra_day += [
            days[rng.integers(0, len(days), len(callers))],
            days[rng.integers(0, len(days), len(reached))],
        ]
        extra_out += [np.zeros(len(callers), dtype=bool), np.ones(len(reached), dtype=bool)]
    if extra_party:
        ep, ed, eo = np.concatenate(extra_party), np.concatenate(extra_day), np.concatenate(extra_out)
        ed = np.maximum(ed, start[ep])
        pick = rng.integers(0, 3, len(ep))
        purposes = pa.concat_arrays(
            [purposes, pa.array([MARKET_CALLS[bool(o)][0] for o in eo.tolist()], pa.string())]
        )
        summary = pa.concat_arrays(
            [summary, pa.array([MARKET_CALLS[bool(o)][1] for o in eo.tolist()], pa.string())]
        )
        outcomes = pa.concat_arrays(
            [
                outcomes,
                pa.array(
                    [MARKET_CALLS[bool(o)][2][k] for o, k in zip(eo.tolist(), pick.tolist(), strict=True)],
                    pa.string(),
                ),
            ]
        )
        party, day = np.r_[party, ep], np.r_[day, ed]
        channel = np.r_[channel, np.zeros(len(ep), dtype=np.int64)]  # by phone
        outbound = np.r_[outbound, eo]
    day = np.minimum(day, as_of)
    second = rng.integers(9 * 3600, 19 * 3600, len(party))
    use_second = (sk.rm2[j[party]] >= 0) & (rng.random(len(party)) < 0.3)
    user = np.where(use_second, sk.rm2[j[party]], sk.rm[j[party]])
    ids = c.ids.take("interactions", len(party))
    return {
        "id": raw(ids),
        "ref": raw([None] * len(ids)),
        "party_id": raw(c.party_id[party]),
        "user_id": raw(user),
        "occurred_at": stamp_col(local_stamp(day, second)),
        "channel": raw(take(CHANNELS, channel).to_pylist()),
        "direction": raw(np.where(outbound, "outbound", "inbound").tolist()),
        "purpose": raw(purposes.to_pylist()),
        "summary": raw(summary.to_pylist()),
        "outcome": raw(outcomes.to_pylist()),
    }


def memory_points(c: Chunk, aversion_tech: np.ndarray, lunar: np.ndarray) -> dict[str, Col]:
    """Memory points: drawn from the category pools, plus the tech aversion, lunar birthdays and
    notes about the client's own children and wedding anniversary."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    tier = sk.tier[j]
    adult = sk.corporate[j] | (sk.age[j] >= 18)
    count = np.where(
        tier == TIER_WEALTH,
        rng.integers(3, 7, c.n),
        np.where(tier == TIER_MASS, rng.integers(0, 4, c.n), (rng.random(c.n) < 0.2).astype(int)),
    )
    count = np.where(adult & ~sk.dormant[j] & ~sk.corporate[j], count, 0)
    party, text, category = [], [], []
    cats = list(MEMORY)
    for p in np.flatnonzero(count > 0):
        picked = (
            rng.choice(len(cats), int(count[p]), replace=False)
            if count[p] <= len(cats)
            else rng.integers(0, len(cats), int(count[p]))
        )
        for k in picked:
            cat = cats[int(k)]
            party.append(p)
            category.append(cat)
            text.append(MEMORY[cat][int(rng.integers(len(MEMORY[cat])))])
    for p in np.flatnonzero(aversion_tech):
        party.append(p)
        category.append("aversion")
        text.append(TECH_AVERSION)
    for p in np.flatnonzero(lunar):
        born = from_epoch(int(sk.birth_day[j[p]]))
        party.append(p)
        category.append("important_date")
        text.append(f"习惯过农历生日（身份证生日{born.month}月{born.day}日），生日祝福按农历日期发送")
    # Family notes drawn from the household itself.
    given_names = c.sk.names.subset(j).given().to_pylist()
    for p in np.flatnonzero((sk.role[j] == R_HEAD) & (tier >= TIER_MASS)):
        kids = [
            q for q in range(p + 1, min(p + 4, c.n)) if sk.unit[j[q]] == sk.unit[j[p]] and sk.role[j[q]] == 3
        ]
        for q in kids:
            age = int(sk.age[j[q]])
            given = given_names[q]
            if age < 1:
                continue
            stage = (
                "上幼儿园"
                if age < 6
                else "读小学"
                if age < 12
                else "读初中"
                if age < 15
                else "读高中"
                if age < 18
                else "已工作或读大学"
            )
            party.append(p)
            category.append("family")
            text.append(f"孩子{given}今年{age}岁，{stage}")
    for p in np.flatnonzero((sk.role[j] == R_SPOUSE) & (tier >= TIER_MASS) & (rng.random(c.n) < 0.3)):
        party.append(p)
        category.append("important_date")
        text.append(f"结婚纪念日是{int(rng.integers(1, 13))}月{int(rng.integers(1, 29))}日")
    party_a = np.array(party, dtype=np.int64)
    k = len(party_a)
    onboard = np.maximum(sk.onboard_day[j[party_a]], cal.first) if k else np.zeros(0, np.int64)
    day = onboard + (rng.random(k) * np.maximum(as_of - onboard, 0)).astype(np.int64)
    source = rng.choice(np.array(["rm", "client", "detected"]), k, p=[0.8, 0.15, 0.05])
    ids = c.ids.take("memory_points", k)
    return {
        "id": raw(ids),
        "ref": raw([None] * k),
        "party_id": raw(c.party_id[party_a]),
        "category": raw(category),
        "text": raw(text),
        "source": raw(source.tolist()),
        "recorded_by_id": raw(sk.rm[j[party_a]]),
        "recorded_at": stamp_col(local_stamp(day, rng.integers(9 * 3600, 20 * 3600, k))),
    }


def consents(c: Chunk) -> dict[str, Col]:
    """Consent events: profiling at onboarding, marketing for most, some withdrawals and re-grants,
    and a few do-not-disturb requests."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    adult = sk.corporate[j] | (sk.age[j] >= 18)
    who = np.flatnonzero(adult)
    onboard = sk.onboard_day[j[who]]
    rows = {"party": [], "purpose": [], "channel": [], "action": [], "day": [], "source": []}

    def add(parties, purpose, channel, action, days, source):
        rows["party"].append(parties)
        rows["purpose"] += [purpose] * len(parties)
        rows["channel"] += list(channel) if not isinstance(channel, str) else [channel] * len(parties)
        rows["action"] += [action] * len(parties)
        rows["day"].append(days)
        rows["source"] += [source] * len(parties)

    add(who, "profiling", "all", "grant", onboard, "开户签约")
    mk = rng.random(len(who)) < 0.72
    mk_channel = rng.choice(
        np.array(["all", "sms", "wechat", "phone", "app"]), int(mk.sum()), p=[0.5, 0.15, 0.2, 0.1, 0.05]
    )
    add(who[mk], "marketing", mk_channel, "grant", onboard[mk], "开户签约")
    later = mk.copy()
    later[mk] = rng.random(int(mk.sum())) < 0.07
    window_start = np.maximum(onboard[later], cal.first)
    wd_day = window_start + (rng.random(int(later.sum())) * np.maximum(as_of - window_start, 1)).astype(
        np.int64
    )
    add(who[later], "marketing", mk_channel[later[mk]], "withdraw", np.minimum(wd_day, as_of), "客户来电")
    regrant = later.copy()
    regrant[later] = rng.random(int(later.sum())) < 0.25
    rg_day = np.minimum(wd_day[regrant[later]] + rng.integers(30, 300, int(regrant.sum())), as_of)
    add(who[regrant], "marketing", mk_channel[regrant[mk]], "grant", rg_day, "手机银行")
    dnd = rng.random(len(who)) < 0.03
    dnd_start = np.maximum(onboard[dnd], cal.first)
    add(
        who[dnd],
        "do_not_disturb",
        "phone",
        "grant",
        dnd_start + (rng.random(int(dnd.sum())) * np.maximum(as_of - dnd_start, 1)).astype(np.int64),
        "客户来电",
    )
    party = np.concatenate(rows["party"]) if rows["party"] else np.zeros(0, np.int64)
    day = np.concatenate(rows["day"]) if rows["day"] else np.zeros(0, np.int64)
    ids = c.ids.take("consent_events", len(party))
    return {
        "id": raw(ids),
        "ref": raw([None] * len(ids)),
        "party_id": raw(c.party_id[party]),
        "purpose": raw(rows["purpose"]),
        "channel": raw(rows["channel"]),
        "action": raw(rows["action"]),
        "effective_at": stamp_col(local_stamp(day, np.full(len(party), 10 * 3600))),
        "source": raw(rows["source"]),
    }


def life_events(c: Chunk, stories: list[tuple[int, str, int, str]]) -> dict[str, Col]:
    """Recorded life events: the recorded stories plus background marriages and retirements."""
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    as_of = epoch_day(cal.as_of)
    party, kind, day, note = [], [], [], []
    for p, k, d, text in stories:
        party.append(p)
        kind.append(k)
        day.append(d)
        note.append(text)
    heads = np.flatnonzero((sk.role[j] == R_HEAD) & (rng.random(c.n) < 0.25))
    for p in heads:
        years = int(rng.integers(1, max(2, int(sk.age[j[p]]) - 22)))
        party.append(int(p))
        kind.append("marriage")
        day.append(int(as_of - years * 365 - rng.integers(0, 365)))
        note.append("客户提及结婚多年，夫妻共同管理家庭财务")
    retire_age = np.where(sk.female[j], 55, 60)
    retiring = np.flatnonzero(sk.retired[j] & (sk.age[j] - retire_age < 3) & (rng.random(c.n) < 0.5))
    for p in retiring:
        born = from_epoch(int(sk.birth_day[j[p]]))
        when = epoch_day(born.replace(year=born.year + int(retire_age[p]), day=min(born.day, 28)))
        if when > as_of:
            continue
        party.append(int(p))
        kind.append("retirement")
        day.append(when)
        note.append(f"客户已于{CITIES[int(sk.city[j[p]])].short}办理退休，开始领取养老金")
    k = len(party)
    party_a = np.array(party, dtype=np.int64)
    day_a = np.array(day, dtype=np.int64)
    recorded_day = np.minimum(np.maximum(day_a, cal.first) + rng.integers(3, 60, k), as_of)
    ids = c.ids.take("life_events", k)
    return {
        "id": raw(ids),
        "ref": raw([None] * k),
        "party_id": raw(c.party_id[party_a]),
        "kind": raw(kind),
        "occurred_on": day_col(day_a),
        "origin": raw(["recorded"] * k),
        "note": raw(note),
        "evidence": raw([None] * k),
        "recorded_at": stamp_col(local_stamp(recorded_day, rng.integers(9 * 3600, 18 * 3600, k))),
    }
