"""Identity of the demo parties: national IDs, phones, e-mails, addresses, company names and codes.

Everything is computed on whole arrays. National IDs follow GB 11643-1999: six-digit district
code of the client's city, birth date, a three-digit sequence that is odd for men and even for
women, and the ISO 7064 MOD 11-2 check character. Unified social credit codes follow GB 32100-2015
(registration authority 9, entity type 1, district code, a GB 11714 organisation code with its
own check character, then the MOD 31 check character). IDs, phones and codes are drawn again
where they collide, so each is unique across the book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fincrm.core.crypto import FieldCipher
from fincrm.core.text import pinyin_initials
from fincrm.demo.book import R_CHILD, R_HEAD, R_SPOUSE, Skeleton
from fincrm.demo.columns import concat, int_str, local_stamp, take
from fincrm.demo.geography import CITIES, COMPOUNDS, STREETS
from fincrm.demo.market import epoch_day
from fincrm.demo.names import (
    COMPANY_BRANDS,
    EMAIL_DOMAIN_P,
    EMAIL_DOMAINS,
    INDUSTRIES,
    MOBILE_PREFIXES,
    OCCUPATIONS,
)
from fincrm.demo.writer import bool_col, day_col, raw, stamp_col

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = pa.array(list("10X98765432"))
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


@dataclass
class Identity:
    """Book-wide identity columns (index = party index)."""

    national_id: pa.Array  # null for corporates
    phone: pa.Array  # null for young children
    corp_name: dict[int, str]
    uscc: dict[int, str]


def district_codes(sk: Skeleton) -> np.ndarray:
    """Six-digit GB/T 2260 district code of each party's home."""
    table = np.zeros((len(CITIES), max(len(c.districts) for c in CITIES)), dtype=np.int64)
    for i, c in enumerate(CITIES):
        for j, (_, code) in enumerate(c.districts):
            table[i, j] = int(code)
    return table[sk.city, sk.district]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(values), width), dtype=np.int64)
    v = values.copy()
    for k in range(width - 1, -1, -1):
        out[:, k] = v % 10
        v //= 10
    return out


def _unique_redraw(rng: np.random.Generator, keys: np.ndarray, redraw) -> np.ndarray:
    """Redraw (with ``redraw(rng, positions)``) keys that repeat an earlier key, until all are unique."""
    keys = keys.copy()
    for _ in range(50):
        order = np.argsort(keys, kind="stable")
        dup_sorted = np.r_[False, keys[order][1:] == keys[order][:-1]]
        dup = order[dup_sorted]
        if len(dup) == 0:
            return keys
        keys[dup] = redraw(rng, dup)
    raise RuntimeError("could not draw unique values; the value space is too small")


def national_ids(rng: np.random.Generator, sk: Skeleton) -> pa.Array:
    """18-character resident IDs of individuals (null for corporates), unique across the book."""
    individual = ~sk.corporate
    area = district_codes(sk)
    born = sk.birth_day.astype("datetime64[D]")
    y = born.astype("datetime64[Y]").astype(int) + 1970
    m = born.astype("datetime64[M]").astype(int) % 12 + 1
    d = (born - born.astype("datetime64[M]")).astype(int) + 1
    ymd = y * 10000 + m * 100 + d
    male = ~sk.female

    def seq(r: np.random.Generator, size: int, male_: np.ndarray) -> np.ndarray:
        k = r.integers(1, 500, size)
        return np.where(male_, 2 * k + 1, 2 * k)

    base = area * 10**11 + ymd * 1000
    first17 = base + seq(rng, sk.n, male)
    first17 = np.where(individual, first17, -np.arange(1, sk.n + 1))  # corporates: distinct placeholders
    first17 = _unique_redraw(rng, first17, lambda r, pos: base[pos] + seq(r, len(pos), male[pos]))
    check = (_digits(np.maximum(first17, 0), 17) * _ID_WEIGHTS).sum(axis=1) % 11
    ids = concat(int_str(np.maximum(first17, 0), 17), take(_ID_CHECK, check))
    return pc.if_else(pa.array(individual), ids, pa.scalar(None, pa.string()))


def phones(rng: np.random.Generator, sk: Skeleton) -> pa.Array:
    """Mobile numbers (real prefixes, unique) for everyone from 12 years old, and for companies."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=np.int64)

    def draw(r: np.random.Generator, size: int) -> np.ndarray:
        return prefixes[r.integers(0, len(prefixes), size)] * 10**8 + r.integers(0, 10**8, size)

    numbers = _unique_redraw(rng, draw(rng, sk.n), lambda r, pos: draw(r, len(pos)))
    has = sk.corporate | (sk.age >= 12)
    return take(int_str(numbers), np.arange(sk.n), has)


def corporate_identities(rng: np.random.Generator, sk: Skeleton) -> tuple[dict[int, str], dict[int, str]]:
    """Company names (城市 + 字号 + 行业 + 有限公司) and unified social credit codes."""
    corp = np.flatnonzero(sk.corporate)
    brands = np.array(COMPANY_BRANDS)
    names: dict[int, str] = {}
    seen: set[str] = set()
    for p in corp:
        city = CITIES[int(sk.city[p])].short
        word = INDUSTRIES[int(sk.industry[p])].word
        for attempt in range(20):
            brand = brands[int(rng.integers(len(brands)))]
            suffix = "" if attempt < 4 else "第二" if attempt < 8 else f"{attempt}号"
            name = (
                f"{city}{brand}{suffix}{word}有限公司"
                if not suffix
                else f"{city}{brand}{word}{suffix}有限公司"
            )
            if name not in seen:
                break
        seen.add(name)
        names[int(p)] = name
    area = district_codes(sk)[corp]
    org_body = rng.integers(0, 10, (len(corp), 8))

    def org_check(body: np.ndarray) -> np.ndarray:
        c = 11 - (body * _ORG_WEIGHTS).sum(axis=1) % 11
        return np.where(c == 11, 0, c)  # 10 is written X, which the USCC alphabet lacks: redraw those

    for _ in range(100):
        bad = org_check(org_body) == 10
        key = (org_body * (10 ** np.arange(7, -1, -1))).sum(axis=1)
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(corp), dtype=bool)
        dup[order[1:][key[order][1:] == key[order][:-1]]] = True
        redo = bad | dup
        if not redo.any():
            break
        org_body[redo] = rng.integers(0, 10, (int(redo.sum()), 8))
    check_org = org_check(org_body)
    codes: dict[int, str] = {}
    for k, p in enumerate(corp):
        first17 = "91" + f"{area[k]:06d}" + "".join(map(str, org_body[k])) + str(check_org[k])
        total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
        codes[int(p)] = first17 + _USCC_ALPHABET[(31 - total % 31) % 31]
    return names, codes


def build_identity(rng: np.random.Generator, sk: Skeleton) -> Identity:
    """National IDs, phones, company names and credit codes of the whole book, unique throughout."""
    names, codes = corporate_identities(rng, sk)
    return Identity(national_ids(rng, sk), phones(rng, sk), names, codes)


def emails(rng: np.random.Generator, sk: Skeleton, idx: np.ndarray) -> pa.Array:
    """E-mail addresses for adults (most of the young, fewer of the old); corporates use a finance mailbox."""
    n = len(idx)
    sub = sk.names
    s_py, g_py = sub.subset(idx).pinyin()
    birth_year = (sk.birth_day[idx].astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970) % 100
    style = rng.integers(0, 4, n)
    number = rng.integers(10, 999, n)
    handle = pc.case_when(
        pc.make_struct(pa.array(style == 0), pa.array(style == 1), pa.array(style == 2)),
        concat(s_py, g_py, int_str(birth_year, 2)),
        concat(g_py, ".", s_py),
        concat(s_py, "_", g_py, int_str(number)),
        int_str(rng.integers(10_000_000, 3_000_000_000, n)),
    )
    qq_number = style == 3
    domain_idx = np.where(qq_number, 0, rng.choice(len(EMAIL_DOMAINS), n, p=EMAIL_DOMAIN_P))
    addr = concat(handle, "@", take(EMAIL_DOMAINS, domain_idx))
    age = sk.age[idx]
    has = ~sk.corporate[idx] & (age >= 18) & (rng.random(n) < np.where(age < 55, 0.8, 0.35))
    corp_mail = concat(
        "finance", int_str(rng.integers(1, 99, n)), "@", take(["corp.example.cn"], np.zeros(n, int))
    )
    out = pc.if_else(pa.array(sk.corporate[idx]), corp_mail, addr)
    return pc.if_else(pa.array(has | sk.corporate[idx]), out, pa.scalar(None, pa.string()))


def addresses(rng: np.random.Generator, sk: Skeleton, idx: np.ndarray) -> pa.Array:
    """Home addresses, shared by a household (drawn per unit), or an office address for corporates."""
    unit = sk.unit[idx]
    _, first, inverse = np.unique(unit, return_index=True, return_inverse=True)
    k = len(first)
    city = sk.city[idx][first]
    district = sk.district[idx][first]
    prov_text = [CITIES[c].province if not CITIES[c].is_municipality else "" for c in range(len(CITIES))]
    city_text = [CITIES[c].name for c in range(len(CITIES))]
    width = max(len(c.districts) for c in CITIES)
    dist_text = [
        CITIES[c].districts[d][0] if d < len(CITIES[c].districts) else ""
        for c in range(len(CITIES))
        for d in range(width)
    ]
    street = take(STREETS, rng.integers(0, len(STREETS), k))
    number = int_str(rng.integers(1, 999, k))
    home = concat(
        take(COMPOUNDS, rng.integers(0, len(COMPOUNDS), k)),
        int_str(rng.integers(1, 30, k)),
        "幢",
        int_str(rng.integers(1, 5, k)),
        "单元",
        int_str(rng.integers(1, 33, k)),
        int_str(rng.integers(1, 5, k), 2),
        "室",
    )
    office = concat(
        take(["国际大厦", "金融中心", "科技园", "商务中心", "创业大厦", "产业园"], rng.integers(0, 6, k)),
        int_str(rng.integers(2, 40, k)),
        "层",
    )
    corp_unit = sk.corporate[idx][first]
    tail = pc.if_else(pa.array(corp_unit), office, home)
    full = concat(
        take(prov_text, city),
        take(city_text, city),
        take(dist_text, city * width + district),
        street,
        number,
        "号",
        tail,
    )
    return pc.take(full, pa.array(inverse))


def household_heads(sk: Skeleton, idx: np.ndarray) -> np.ndarray:
    """Positions (into ``idx``) of the first member of each household unit of size two or more."""
    unit = sk.unit[idx]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    sizes = np.diff(np.r_[starts, len(idx)])
    return starts[sizes >= 2]


INCOME_EDGES = np.array([5_000, 10_000, 20_000, 50_000, 100_000])  # CNY per month
INCOME_BANDS = np.array(["lt5k", "5k-10k", "10k-20k", "20k-50k", "50k-100k", "ge100k"])
REVENUE_EDGES = np.array([1e7, 1e8, 1e9])  # CNY per year
REVENUE_BANDS = np.array(["lt10m", "10m-100m", "100m-1b", "ge1b"])
KEY_TITLES = (
    ("chairman", "董事长"),
    ("cfo", "财务总监"),
    ("decision_maker", "总经理"),
    ("shareholder", "股东"),
    ("operator", "出纳"),
)


def party_rows(c, cipher: FieldCipher, lunar: np.ndarray, household_of: np.ndarray):
    """Rows of ``parties`` for the chunk (``household_of``: household id per local party or -1)."""
    sk, rng, ident = c.sk, c.rng, c.ident
    j = c.idx
    n = c.n
    as_of = epoch_day(c.calendar.as_of)
    corp = sk.corporate[j]
    names = sk.names.subset(j).full().to_pylist()
    initials = sk.names.subset(j).initials().to_pylist()
    corp_local = np.flatnonzero(corp)
    for p in corp_local:
        names[p] = ident.corp_name[int(j[p])]
        initials[p] = pinyin_initials(names[p])[:64]
    national = ident.national_id.take(pa.array(j)).to_pylist()
    cipher_values = [None if x is None else cipher.encrypt(x) for x in national]
    phone = ident.phone.take(pa.array(j)).to_pylist()
    email = emails(rng, sk, j).to_pylist()
    address = addresses(rng, sk, j).to_pylist()
    city = [CITIES[k] for k in sk.city[j].tolist()]
    occupation = [OCCUPATIONS[k][0] if k >= 0 else None for k in sk.occupation[j].tolist()]
    occupation = [
        o if o is not None else ("退休" if r else "学生" if s else None)
        for o, r, s in zip(occupation, sk.retired[j].tolist(), sk.student[j].tolist(), strict=True)
    ]
    employer_idx = sk.employer[j].tolist()
    income = sk.income[j]
    income_band = np.where(
        (income > 0) & ~corp, INCOME_BANDS[np.searchsorted(INCOME_EDGES, income, side="right")], None
    )
    revenue_band = np.where(
        corp, REVENUE_BANDS[np.searchsorted(REVENUE_EDGES, sk.revenue[j], side="right")], None
    )
    professional = np.where(
        corp, (sk.revenue[j] >= 1e8) & (rng.random(n) < 0.5), (sk.aum[j] >= 5_000_000) & (rng.random(n) < 0.5)
    )
    role_names = np.array(["head", "head", "spouse", "child", "head"])  # single/head/spouse/child/corp
    household_role = np.where(household_of >= 0, role_names[sk.role[j]], None)
    created = local_stamp(sk.onboard_day[j], np.full(n, 10 * 3600))
    updated_day = np.minimum(np.maximum(sk.onboard_day[j], c.calendar.first) + rng.integers(0, 900, n), as_of)
    updated = np.maximum(local_stamp(updated_day, np.full(n, 15 * 3600)), created)
    employer_names = c.employers.name
    return {
        "id": raw(c.party_id),
        "party_no": raw(c.party_no(np.arange(n)).to_pylist()),
        "kind": raw(np.where(corp, "corporate", "individual").tolist()),
        "name": raw(names),
        "name_initials": raw(initials),
        "status": raw(np.where(sk.dormant[j], "dormant", "active").tolist()),
        "onboarded_on": day_col(sk.onboard_day[j]),
        "branch_id": raw(sk.branch[j] + 1),
        "primary_rm_id": raw(sk.rm[j]),
        "household_id": raw([None if h < 0 else h for h in household_of.tolist()]),
        "household_role": raw(household_role.tolist()),
        "investor_class": raw(np.where(professional, "professional", "ordinary").tolist()),
        "phone": raw(phone),
        "phone_last4": raw([None if x is None else x[-4:] for x in phone]),
        "email": raw(email),
        "province": raw([ci.province for ci in city]),
        "city": raw([ci.name for ci in city]),
        "address": raw(address),
        "industry_code": raw([INDUSTRIES[k].code if k >= 0 else None for k in sk.industry[j].tolist()]),
        "gender": raw(np.where(corp, None, np.where(sk.female[j], "F", "M")).tolist()),
        "birth_on": day_col(sk.birth_day[j], ~corp),
        "birthday_lunar": bool_col(lunar),
        "national_id_cipher": raw(cipher_values),
        "national_id_last4": raw([None if x is None else x[-4:] for x in national]),
        "occupation": raw(occupation),
        "employer": raw([employer_names[e] if e >= 0 else None for e in employer_idx]),
        "income_band": raw(income_band.tolist()),
        "uscc": raw([ident.uscc[int(j[p])] if corp[p] else None for p in range(n)]),
        "revenue_band": raw(revenue_band.tolist()),
        "headcount": raw(
            [int(h) if cp else None for h, cp in zip(sk.headcount[j].tolist(), corp.tolist(), strict=True)]
        ),
        "created_at": stamp_col(created),
        "updated_at": stamp_col(updated),
    }


def households(c, names: list) -> tuple[np.ndarray, dict]:
    """Household ids per local party (-1 for none) and the ``households`` rows."""
    heads = household_heads(c.sk, c.idx)
    ids = c.ids.take("households", len(heads))
    unit = c.sk.unit[c.idx]
    household_of = np.full(c.n, -1)
    unit_to_id = dict(zip(unit[heads].tolist(), ids.tolist(), strict=True))
    household_of = np.array([unit_to_id.get(u, -1) for u in unit.tolist()], dtype=np.int64)
    rows = {
        "id": raw(ids),
        "household_no": raw(concat("H", int_str(ids, 9)).to_pylist()),
        "name": raw([names[h] + "家庭" for h in heads.tolist()]),
    }
    return household_of, rows


def relationships(c) -> dict:
    """Family relationships within households and key persons of corporates (both in the chunk)."""
    sk, rng = c.sk, c.rng
    j = c.idx
    n = c.n
    unit = sk.unit[j]
    role = sk.role[j]
    src, dst, kind, title, since = [], [], [], [], []
    heads = np.flatnonzero(role == R_HEAD)
    for h in heads.tolist():
        members = [q for q in range(h, min(h + 4, n)) if unit[q] == unit[h]]
        spouse = [q for q in members if role[q] == R_SPOUSE]
        kids = [q for q in members if role[q] == R_CHILD]
        married = int(sk.birth_day[j[kids[0]]]) - 400 if kids else int(c.calendar.first) - 2000
        for s_ in spouse:
            src += [h, s_]
            dst += [s_, h]
            kind += ["spouse", "spouse"]
            title += ["配偶", "配偶"]
            since += [married, married]
        for k in kids:
            for parent in [h] + spouse:
                src += [parent, k]
                dst += [k, parent]
                kind += ["child", "parent"]
                title += ["子女", "父母"]
                since += [int(sk.birth_day[j[k]])] * 2
    # Key persons: the chairman is among the chunk's wealthier adults; a person serves one company.
    adults = np.flatnonzero(~sk.corporate[j] & (sk.age[j] >= 28) & (sk.age[j] <= 68) & ~sk.dormant[j])
    wealthy = adults[np.argsort(-sk.aum[j[adults]], kind="stable")]
    wealthy = list(wealthy[: max(len(wealthy) // 4, 1)].tolist())
    others = list(rng.permutation(adults).tolist())
    used: set[int] = set()
    for corp in np.flatnonzero(sk.corporate[j]).tolist():
        k = int(rng.integers(2, 5))
        team = []
        while wealthy and len(team) < 1:
            cand = wealthy.pop(int(rng.integers(len(wealthy))))
            if cand not in used:
                team.append(cand)
        while others and len(team) < k:
            cand = others.pop()
            if cand not in used and cand not in team:
                team.append(cand)
        founded = int(sk.onboard_day[j[corp]]) - int(rng.integers(0, 3000))
        for slot, person in enumerate(team):
            used.add(person)
            rel, label = KEY_TITLES[slot] if slot < 4 else KEY_TITLES[4]
            if slot == 3 and rng.random() < 0.5:
                rel, label = KEY_TITLES[4]
            src.append(corp)
            dst.append(person)
            kind.append(rel)
            title.append(label)
            since.append(founded + int(rng.integers(0, 800)))
    ids = c.ids.take("party_relationships", len(src))
    src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    rows = {
        "id": raw(ids),
        "ref": raw([None] * len(ids)),
        "from_party_id": raw(c.party_id[src_a] if len(src) else np.zeros(0, np.int64)),
        "to_party_id": raw(c.party_id[dst_a] if len(dst) else np.zeros(0, np.int64)),
        "kind": raw(kind),
        "title": raw(title),
        "since_on": day_col(np.array(since, dtype=np.int64)),
    }
    return rows


def coverages(c) -> dict:
    """``coverages`` rows: the secondary RM of the parties that have one."""
    sk, rng = c.sk, c.rng
    j = c.idx
    covered = np.flatnonzero(sk.rm2[j] >= 0)
    ids = c.ids.take("coverages", len(covered))
    since = np.maximum(sk.onboard_day[j[covered]], c.calendar.first) + rng.integers(0, 700, len(covered))
    return {
        "id": raw(ids),
        "party_id": raw(c.party_id[covered]),
        "user_id": raw(sk.rm2[j[covered]]),
        "since_on": day_col(np.minimum(since, int(c.calendar.days[-1]))),
    }
