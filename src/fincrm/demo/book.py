"""The shape of the client book: organisation, families, corporates, wealth and coverage.

Generation happens in two passes. This module's pass draws a *skeleton* for every party at once
as flat numpy arrays (kind, household unit, age, city, occupation, income, AUM target, risk
level, branch, RM, story flags); it is cheap (a few arrays of length n) and everything that must
be decided across the whole book (the wealth ranking, RM books, story selection) is decided here.
The second pass (``chunk.py``) expands a contiguous slice of the skeleton into rows.

Conventions: ages in whole years at the as-of date; incomes are monthly CNY before tax; AUM
targets are CNY at the start of the history window. Household units are contiguous runs of
parties, so a chunk boundary never cuts a family.

Wealth: parties are ranked by a score (income, age, occupation, corporate) and given an AUM
from a fixed heavy-tailed curve by rank, then the top 2 % is scaled so that it holds 80 % of
the total, the concentration reported for large Chinese retail banks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fincrm.demo.geography import BRANCH_CITIES, CITIES, CITY_INDEX, city_weights
from fincrm.demo.market import Calendar, epoch_day
from fincrm.demo.names import (
    COMPANY_BRANDS,
    INDUSTRIES,
    OCCUPATION_P,
    OCCUPATIONS,
    OWNER_OCCUPATIONS,
    PUBLIC_EMPLOYERS,
    SampledNames,
    sample_names,
)

# unit kinds
SINGLE, COUPLE, FAMILY1, FAMILY2, NEWBORN, CORPORATE = range(6)
UNIT_SIZES = np.array([1, 2, 3, 4, 3, 1])
# roles within a unit
R_SINGLE, R_HEAD, R_SPOUSE, R_CHILD, R_CORP = range(5)
UNIT_ROLES = {
    SINGLE: [R_SINGLE],
    COUPLE: [R_HEAD, R_SPOUSE],
    FAMILY1: [R_HEAD, R_SPOUSE, R_CHILD],
    FAMILY2: [R_HEAD, R_SPOUSE, R_CHILD, R_CHILD],
    NEWBORN: [R_HEAD, R_SPOUSE, R_CHILD],
    CORPORATE: [R_CORP],
}

CORPORATE_SHARE = 0.05
TOP_SHARE = 0.02  # the wealth tier: this share of parties ...
TOP_AUM_SHARE = 0.80  # ... holds this share of assets
RETIREMENT_AGE = {False: 60, True: 55}  # statutory age by female flag (before the 2025 reform's phase-in)
TIER_TAIL, TIER_MASS, TIER_WEALTH = 0, 1, 2
RM_BOOK = {"private": 150, "retail": 900, "corporate": 300}  # clients per RM by team segment
MIN_CLIENTS = 50


@dataclass
class Organisation:
    branches: list[dict]
    teams: list[dict]
    users: list[dict]
    team_rms: dict[int, np.ndarray]  # team id -> user ids of its RMs
    branch_teams: dict[tuple[int, str], list[int]]  # (branch index, segment) -> team ids


@dataclass
class Skeleton:
    """One entry per party; see the module docstring for units."""

    n: int
    unit: np.ndarray
    unit_kind: np.ndarray
    role: np.ndarray
    corporate: np.ndarray  # bool
    female: np.ndarray  # bool
    age: np.ndarray  # years, individuals
    birth_day: np.ndarray  # epoch day, individuals
    city: np.ndarray  # index into CITIES
    district: np.ndarray  # index into the city's districts
    branch: np.ndarray  # index into Organisation.branches
    occupation: np.ndarray  # index into OCCUPATIONS, -1 none
    employed: np.ndarray  # bool: has an employer (salary, social security)
    retired: np.ndarray  # bool
    student: np.ndarray  # bool
    income: np.ndarray  # CNY per month, individuals (0 when none)
    aum: np.ndarray  # CNY at the start of the window
    tier: np.ndarray
    risk: np.ndarray  # 1..5 for C1..C5, 0 for minors
    rm: np.ndarray  # user id of the primary RM
    rm2: np.ndarray  # user id of a secondary coverage RM, -1 none
    onboard_day: np.ndarray  # epoch day
    dormant: np.ndarray  # bool: long-tail client who stopped using the account years ago
    industry: np.ndarray  # index into INDUSTRIES (corporates; employers of individuals via employer)
    revenue: np.ndarray  # CNY per year (corporates)
    headcount: np.ndarray
    employer: np.ndarray  # index into the employer pool, -1 none
    salary_here: np.ndarray  # bool: salary is paid into an account at this bank
    surname: np.ndarray  # index into the surname list
    names: SampledNames  # everyone's name; corporates' entries are placeholders
    # stories (-1 where none); months are indexes into the calendar's months, days epoch days
    promo_month: np.ndarray = field(default=None)  # type: ignore[assignment]
    leave_month: np.ndarray = field(default=None)  # type: ignore[assignment]
    buy_day: np.ndarray = field(default=None)  # type: ignore[assignment]
    ar_month: np.ndarray = field(default=None)  # type: ignore[assignment]

    def unit_bounds(self, target_chunk: int) -> list[tuple[int, int]]:
        """Contiguous [start, stop) slices of about ``target_chunk`` parties, cut at unit starts."""
        starts = np.flatnonzero(np.r_[True, self.unit[1:] != self.unit[:-1]])
        bounds, lo = [], 0
        while lo < self.n:
            cut = np.searchsorted(starts, lo + target_chunk)
            hi = self.n if cut >= len(starts) else int(starts[cut])
            bounds.append((lo, hi))
            lo = hi
        return bounds


@dataclass
class Employers:
    """Every employer of an individual client: corporate clients and other organisations."""

    name: list[str]
    city: np.ndarray
    industry_code: list[str]
    payday: np.ndarray  # day of month salaries are paid
    party: np.ndarray  # index of the corporate party, -1 when not a client


def plan_units(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit kind per unit and unit sizes, adding up to exactly ``n`` parties."""
    n_corp = max(1, round(n * CORPORATE_SHARE))
    n_newborn = max(2, round(n * 0.002))
    remaining = n - n_corp - 3 * n_newborn
    p = np.array([0.44, 0.26, 0.19, 0.11])
    drawn = rng.choice(4, size=int(remaining / 1.9) + 16, p=p)
    sizes = UNIT_SIZES[drawn]
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, remaining))
    drawn = drawn[: last + 1].copy()
    before = int(cum[last - 1]) if last > 0 else 0
    drawn[-1] = remaining - before - 1  # sizes 1..4 map to kinds 0..3
    kinds = np.r_[drawn, np.full(n_newborn, NEWBORN), np.full(n_corp, CORPORATE)]
    kinds = kinds[rng.permutation(len(kinds))]
    return kinds, UNIT_SIZES[kinds]


def _aum_curve(n: int) -> np.ndarray:
    """AUM (CNY) by ascending rank: long tail, mass, wealth tier; top 2 % scaled to 80 % of the total."""
    r = (np.arange(n) + 0.5) / n
    tail = 500 * 100 ** np.clip(r / 0.6, 0, 1)  # 500 to 50,000, where the mass tier starts
    mass = 50_000 * 20 ** np.clip((r - 0.6) / (1 - TOP_SHARE - 0.6), 0, 1)
    top = 1_000_000 * (1 - np.clip((r - (1 - TOP_SHARE)) / TOP_SHARE, 0, 0.998)) ** (-1 / 1.3)
    curve = np.where(r < 0.6, tail, np.where(r < 1 - TOP_SHARE, mass, top))
    is_top = r >= 1 - TOP_SHARE
    if is_top.any() and (~is_top).any():
        rest, tops = curve[~is_top].sum(), curve[is_top].sum()
        curve[is_top] *= TOP_AUM_SHARE / (1 - TOP_AUM_SHARE) * rest / tops
    return curve


def build_skeleton(rng: np.random.Generator, n: int, calendar: Calendar) -> tuple[Skeleton, Employers]:
    """Draw the whole book as flat arrays: units, people, places, work, wealth, risk and activity.

    Parameters
    ----------
    rng
        The skeleton's random stream.
    n
        Number of parties (at least ``MIN_CLIENTS``).
    calendar
        The history window; ages are at its as-of date, onboarding days are epoch days.

    Returns
    -------
    tuple[Skeleton, Employers]
        The skeleton (AUM targets in CNY, incomes in CNY per month) and the employer pool.
    """
    kinds, sizes = plan_units(rng, n)
    unit = np.repeat(np.arange(len(kinds)), sizes)
    unit_kind = kinds[unit]
    role = np.concatenate([UNIT_ROLES[int(k)] for k in kinds]) if len(kinds) else np.zeros(0, int)
    corporate = unit_kind == CORPORATE
    first_of_unit = np.r_[0, np.cumsum(sizes)[:-1]]
    pos_in_unit = np.arange(n) - first_of_unit[unit]

    # --- where units live -------------------------------------------------------------------
    n_units = len(kinds)
    n_branches = 3 if n <= 5_000 else 4 if n <= 50_000 else 6 if n <= 300_000 else 8
    branch_city = np.array([CITY_INDEX[c] for c in BRANCH_CITIES[:n_branches]])
    bw = np.array([CITIES[c].weight for c in branch_city])
    local = rng.random(n_units) < 0.74
    unit_city = np.where(
        local,
        branch_city[rng.choice(n_branches, n_units, p=bw / bw.sum())],
        rng.choice(len(CITIES), n_units, p=city_weights()),
    )
    unit_branch = np.full(n_units, -1)
    for b, c in enumerate(branch_city):
        unit_branch[unit_city == c] = b
    remote = unit_branch < 0
    unit_branch[remote] = rng.choice(n_branches, int(remote.sum()), p=bw / bw.sum())
    n_districts = np.array([len(c.districts) for c in CITIES])
    unit_district = (rng.random(n_units) * n_districts[unit_city]).astype(int)
    city, district, branch = unit_city[unit], unit_district[unit], unit_branch[unit]

    # --- people -----------------------------------------------------------------------------
    u = rng.random(n)
    head_female = rng.random(n_units) < np.where(kinds == SINGLE, 0.5, 0.3)
    female = np.where(role == R_SPOUSE, ~head_female[unit], head_female[unit])
    female = np.where(role == R_CHILD, rng.random(n) < 0.48, female) & ~corporate
    head_age = np.select(
        [kinds == SINGLE, kinds == COUPLE, kinds == NEWBORN],
        [
            np.where(rng.random(n_units) < 0.7, rng.integers(21, 46, n_units), rng.integers(46, 86, n_units)),
            rng.integers(26, 80, n_units),
            rng.integers(26, 38, n_units),
        ],
        rng.integers(30, 62, n_units),
    )
    spouse_gap = np.clip(np.round(rng.normal(2, 2.5, n_units)), -4, 9).astype(int)  # head minus spouse
    age = np.where(role == R_SPOUSE, np.maximum(head_age[unit] - spouse_gap[unit], 20), head_age[unit])
    mother_age = np.where(head_female, head_age, head_age - spouse_gap)
    # Children outside the birth stories were born before the window (aged 4 or more), so every
    # birth inside the window is a planted one and the answer file lists them all.
    first_child = np.maximum(mother_age - rng.integers(24, 35, n_units), 6)
    child_age = np.where(
        pos_in_unit == 3, np.maximum(first_child[unit] - rng.integers(2, 7, n), 4), first_child[unit]
    )
    age = np.where(role == R_CHILD, child_age, age)
    age = np.where(corporate, 0, age)
    as_of_day = epoch_day(calendar.as_of)
    birth_day = as_of_day - (age * 365.25 + u * 365).astype(np.int64)
    newborn_child = (unit_kind == NEWBORN) & (role == R_CHILD)
    lo_day, hi_day = int(calendar.month_starts[min(3, calendar.n_months - 1)]), int(calendar.month_starts[-4])
    birth_day = np.where(newborn_child, rng.integers(lo_day, max(hi_day, lo_day + 1), n), birth_day)
    age = np.where(newborn_child, 0, age)

    adult = ~corporate & (age >= 18)
    retire_age = np.where(female, RETIREMENT_AGE[True], RETIREMENT_AGE[False])
    retired = adult & (age >= retire_age)
    student = adult & (age <= 22) & (rng.random(n) < 0.6)
    occ_p = np.array(OCCUPATION_P) / np.sum(OCCUPATION_P)
    occupation = rng.choice(len(OCCUPATIONS), n, p=occ_p)
    min_age = np.array([o[1] for o in OCCUPATIONS])
    working = adult & ~retired & ~student & (rng.random(n) < 0.93)
    occupation = np.where(working & (age >= min_age[occupation]), occupation, -1)
    working &= occupation >= 0
    owner = np.isin(occupation, [i for i, o in enumerate(OCCUPATIONS) if o[0] in OWNER_OCCUPATIONS])
    self_employed = np.isin(
        occupation, [i for i, o in enumerate(OCCUPATIONS) if o[0] in ("个体工商户", "自由职业")]
    )
    employed = working & ~self_employed
    median = np.array([o[2] for o in OCCUPATIONS], dtype=float)
    sigma = np.array([o[3] for o in OCCUPATIONS])
    occ = np.maximum(occupation, 0)
    age_factor = np.exp(-(((age - 45) / 22.0) ** 2)) * 0.6 + 0.55
    income = np.where(working, median[occ] * np.exp(rng.standard_normal(n) * sigma[occ]) * age_factor, 0.0)
    pension = np.where(retired, rng.lognormal(np.log(4200), 0.45, n), 0.0)
    income = np.round(np.where(retired, pension, income), -1)

    # --- corporates -------------------------------------------------------------------------
    industry = np.where(corporate, rng.integers(0, len(INDUSTRIES), n), -1)
    scale = np.array([i.revenue_scale for i in INDUSTRIES])[np.maximum(industry, 0)]
    headcount = np.where(corporate, np.round(np.exp(rng.normal(3.6, 1.1, n))).astype(int) + 3, 0)
    revenue = np.where(corporate, headcount * 450_000 * scale * rng.lognormal(0, 0.5, n), 0.0)

    # --- wealth -----------------------------------------------------------------------------
    minor = ~corporate & (age < 18)
    score = (
        np.log1p(income * 12)
        + 0.035 * np.clip(age - 25, 0, 40)
        + np.where(owner, 1.4, 0.0)
        + rng.normal(0, 1.1, n)
    )
    score = np.where(retired, np.log1p(income * 12) + 1.6 + rng.normal(0, 1.2, n), score)
    score = np.where(corporate, np.log1p(revenue) * 0.85 + rng.normal(0, 1.0, n), score)
    score = np.where(minor, -np.inf, score)
    ranked = np.argsort(score, kind="stable")
    eligible = ranked[~minor[ranked]]
    aum = np.zeros(n)
    aum[eligible] = _aum_curve(len(eligible))
    aum = np.where(minor, np.where(rng.random(n) < 0.35, rng.lognormal(np.log(3000), 1.0, n), 0.0), aum)
    rank_share = np.zeros(n)
    rank_share[eligible] = (np.arange(len(eligible)) + 0.5) / max(len(eligible), 1)
    tier = np.where(
        rank_share >= 1 - TOP_SHARE, TIER_WEALTH, np.where(rank_share >= 0.6, TIER_MASS, TIER_TAIL)
    )
    tier = np.where(minor, TIER_TAIL, tier)

    # --- risk level: older and poorer is more conservative ------------------------------------
    rscore = rng.normal(0, 1, n) - 0.035 * (age - 45) + 0.35 * tier
    rscore = np.where(corporate, rng.normal(-0.3, 0.7, n), rscore)
    cuts = np.quantile(rscore[~minor], [0.10, 0.35, 0.70, 0.90]) if (~minor).any() else np.zeros(4)
    risk = np.where(minor, 0, 1 + np.searchsorted(cuts, rscore))

    # --- onboarding and activity ------------------------------------------------------------
    window_start = calendar.first
    years_before = rng.exponential(6.0, n)
    new_client = (rng.random(n) < 0.12) & (unit_kind != NEWBORN)  # birth-story parents are existing clients
    onboard = np.where(
        new_client,
        window_start + (rng.random(n) * (calendar.n_days - 60)).astype(np.int64),
        window_start - (years_before * 365).astype(np.int64) - 1,
    )
    onboard = np.maximum(onboard, np.where(corporate, onboard, birth_day + 30))
    onboard = np.where(newborn_child, birth_day + 20, onboard)
    onboard = np.minimum(onboard, as_of_day - 30)
    dormant = (tier == TIER_TAIL) & ~minor & ~corporate & ~new_client & (rng.random(n) < 0.22)

    names = sample_names(rng, female & ~corporate)
    # Children take the father's surname.
    father = np.minimum(np.where(head_female[unit], first_of_unit[unit] + 1, first_of_unit[unit]), n - 1)
    names.surname[:] = np.where(role == R_CHILD, names.surname[father], names.surname)

    sk = Skeleton(
        n=n,
        unit=unit,
        unit_kind=unit_kind,
        role=role,
        corporate=corporate,
        female=female,
        age=age,
        birth_day=birth_day,
        city=city,
        district=district,
        branch=branch,
        occupation=occupation,
        employed=employed,
        retired=retired,
        student=student,
        income=income,
        aum=aum,
        tier=tier,
        risk=risk,
        rm=np.zeros(n, dtype=np.int64),
        rm2=np.full(n, -1),
        onboard_day=onboard,
        dormant=dormant,
        industry=industry,
        revenue=revenue,
        headcount=headcount,
        employer=np.full(n, -1),
        salary_here=np.zeros(n, dtype=bool),
        surname=names.surname,
        names=names,
    )
    employers = _employers(rng, sk)
    sk.salary_here = sk.employed & (rng.random(n) < np.where(tier == TIER_TAIL, 0.5, 0.75)) & ~dormant
    sk.promo_month = np.full(n, -1)
    sk.leave_month = np.full(n, -1)
    sk.buy_day = np.full(n, -1)
    sk.ar_month = np.full(n, -1)
    return sk, employers


def _employers(rng: np.random.Generator, sk: Skeleton) -> Employers:
    """The employer pool, and an employer for every employed individual in their city."""
    names: list[str] = []
    cities: list[int] = []
    codes: list[str] = []
    parties: list[int] = []
    corp_idx = np.flatnonzero(sk.corporate)
    for p in corp_idx:  # corporate clients pay salaries too (payroll clients); names are set later
        names.append("")
        cities.append(int(sk.city[p]))
        codes.append(INDUSTRIES[int(sk.industry[p])].code)
        parties.append(int(p))
    by_city: dict[int, list[int]] = {}
    for k, c in enumerate(cities):
        by_city.setdefault(c, []).append(k)
    employed = np.flatnonzero(sk.employed)
    used_cities = np.unique(sk.city[employed]) if len(employed) else np.zeros(0, int)
    brands = np.array(COMPANY_BRANDS)
    for c in used_cities:
        city = CITIES[int(c)]
        for pattern, code, _ in PUBLIC_EMPLOYERS:
            district = city.districts[int(rng.integers(len(city.districts)))][0]
            by_city.setdefault(int(c), []).append(len(names))
            names.append(pattern.format(city=city.short, district=district))
            cities.append(int(c))
            codes.append(code)
            parties.append(-1)
        n_private = max(3, int((sk.city[employed] == c).sum() // 40))
        ind = rng.integers(0, len(INDUSTRIES), n_private)
        picks = rng.choice(brands, n_private)
        for k in range(n_private):
            by_city[int(c)].append(len(names))
            names.append(f"{city.short}{picks[k]}{INDUSTRIES[int(ind[k])].word}有限公司")
            cities.append(int(c))
            codes.append(INDUSTRIES[int(ind[k])].code)
            parties.append(-1)
    payday = rng.choice(np.array([5, 8, 10, 15, 20, 25, 28]), len(names))
    # Each city's employers get Zipf-like sizes, so some employ many clients (a payroll story to tell).
    employer = np.full(sk.n, -1)
    for c in used_cities:
        pool = np.array(by_city[int(c)])
        weights = 1.0 / (1 + np.arange(len(pool))) ** 0.8
        weights = weights[rng.permutation(len(pool))]
        members = employed[sk.city[employed] == c]
        employer[members] = pool[rng.choice(len(pool), len(members), p=weights / weights.sum())]
    sk.employer = employer
    return Employers(names, np.array(cities), codes, payday, np.array(parties))


def build_organisation(rng: np.random.Generator, sk: Skeleton, created_at: str) -> Organisation:
    """Branches, teams and staff users; assigns every party its primary RM and some a secondary one.

    Demo usernames are predictable: ``rm001``..., ``lead01``..., ``research01``, ``research02``,
    ``compliance01``, ``admin01``.
    """
    n_branches = int(sk.branch.max()) + 1 if sk.n else 1
    segment = np.where(sk.corporate, 2, np.where(sk.tier == TIER_WEALTH, 0, 1))
    seg_names = ("private", "retail", "corporate")
    team_titles = {"private": "私人银行部", "retail": "零售客户{}部", "corporate": "公司客户部"}
    branches, teams, users = [], [], []
    team_rms: dict[int, np.ndarray] = {}
    branch_teams: dict[tuple[int, str], list[int]] = {}
    staff_names = sample_names(rng, rng.random(4_000 + sk.n // 100) < 0.45)
    staff_full = staff_names.full().to_pylist()
    next_name = iter(range(len(staff_full)))
    rm_no = lead_no = 0
    region_numbers = "一二三四五六七八九十"
    for b in range(n_branches):
        city = CITIES[CITY_INDEX[BRANCH_CITIES[b]]]
        code = f"BR{b + 1:02d}"
        branch_team_no = 0
        branches.append(
            {
                "id": b + 1,
                "code": code,
                "name": f"钱塘银行{city.short}分行",
                "city": city.name,
                "region": city.region,
            }
        )
        for s, seg in enumerate(seg_names):
            members = np.flatnonzero((sk.branch == b) & (segment == s))
            if seg == "corporate" and len(members) == 0:
                continue
            n_rm = max(
                1,
                int(np.ceil(len(members) / RM_BOOK[seg]))
                if seg != "retail"
                else round(len(members) / RM_BOOK[seg]),
            )
            n_teams = 1 if seg != "retail" else max(1, int(np.ceil(n_rm / 12)))
            per_team = np.array_split(np.arange(n_rm), n_teams)
            team_ids = []
            for t, rms in enumerate(per_team):
                team_id = len(teams) + 1
                branch_team_no += 1
                title = (
                    team_titles[seg].format(region_numbers[t % 10]) if seg == "retail" else team_titles[seg]
                )
                teams.append(
                    {
                        "id": team_id,
                        "code": f"{code}-T{branch_team_no:02d}",
                        "name": f"{city.short}分行{title}",
                        "branch_id": b + 1,
                    }
                )
                team_ids.append(team_id)
                lead_no += 1
                users.append(
                    _user(
                        len(users) + 1,
                        f"lead{lead_no:02d}",
                        "team_lead",
                        staff_full[next(next_name)],
                        team_id,
                        b + 1,
                        created_at,
                    )
                )
                ids = []
                for _ in rms:
                    rm_no += 1
                    users.append(
                        _user(
                            len(users) + 1,
                            f"rm{rm_no:03d}",
                            "rm",
                            staff_full[next(next_name)],
                            team_id,
                            b + 1,
                            created_at,
                        )
                    )
                    ids.append(len(users))
                team_rms[team_id] = np.array(ids)
            branch_teams[(b, seg)] = team_ids
            rm_pool = np.concatenate([team_rms[t] for t in team_ids])
            sk.rm[members] = rm_pool[rng.integers(0, len(rm_pool), len(members))]
    for username, role in (
        ("research01", "research"),
        ("research02", "research"),
        ("compliance01", "compliance"),
        ("compliance02", "compliance"),
        ("admin01", "admin"),
    ):
        users.append(
            _user(len(users) + 1, username, role, staff_full[next(next_name)], None, None, created_at)
        )
    # Secondary coverage: another RM of the same branch (e.g. a product specialist or the private banker).
    all_rms = np.array([u["id"] for u in users if u["role"] == "rm"])
    rm_branch = np.array([u["branch_id"] for u in users if u["role"] == "rm"])
    second = rng.random(sk.n) < 0.10
    for b in range(n_branches):
        pool = all_rms[rm_branch == b + 1]
        members = np.flatnonzero(second & (sk.branch == b))
        if len(pool) < 2 or len(members) == 0:
            continue
        pick = pool[rng.integers(0, len(pool), len(members))]
        clash = pick == sk.rm[members]
        pick[clash] = pool[(np.searchsorted(pool, pick[clash]) + 1) % len(pool)]
        sk.rm2[members] = pick
    return Organisation(branches, teams, users, team_rms, branch_teams)


def _user(
    uid: int, username: str, role: str, name: str, team: int | None, branch: int | None, created_at: str
) -> dict:
    return {
        "id": uid,
        "username": username,
        "employee_no": f"E{100000 + uid:06d}",
        "display_name": name,
        "role": role,
        "team_id": team,
        "branch_id": branch,
        "email": f"{username}@qiantangbank.example.cn",
        "is_active": True,
        "password_hash": None,
        "created_at": created_at,
    }
