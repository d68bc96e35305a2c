"""Parameters of the life-stage and need signals, and China's statutory retirement ages.

Pure: no ibis, SQLAlchemy or I/O. ``fincrm.intelligence.signals`` turns these numbers into
expressions; the retirement schedule is kept both as parameters (``RetirementTrack``) that the
engine evaluates and as a plain function (``retirement_age``) that documents and tests it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

SIGNAL_KINDS = (
    "renovation_need",
    "education_fund",
    "salary_plan",
    "marriage",
    "pension_planning",
    "succession_planning",
    "working_capital",
    "research_outreach",
)

# Counterparty categories of the transactions the rules read row by row (the batch keeps only
# these, and product trades, out of every transaction; see ``inputs.EVENT_CATEGORIES``).
REAL_ESTATE, HOME_IMPROVEMENT, HEALTHCARE, CHILDCARE = (
    "real_estate",
    "home_improvement",
    "healthcare",
    "childcare",
)
TRANSACTION_CATEGORIES = (REAL_ESTATE, HOME_IMPROVEMENT, HEALTHCARE, CHILDCARE)

# --- Statutory retirement age ---------------------------------------------------------------------
#
# Source: 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (NPC Standing Committee
# decision of 13 September 2024, in force 1 January 2025) and its annex 《国务院关于渐进式延迟法定
# 退休年龄的办法》, tables 1-3 (https://www.gov.cn/yaowen/liebiao/202409/content_6974294.htm).
# Over fifteen years from 2025: men 60 -> 63 and women on the 55 track (cadres, managerial and
# technical posts) 55 -> 58 rise by one month for every four months of birth cohort; women on the 50
# track (workers) 50 -> 55 rise by one month for every two months of birth cohort. The first cohort
# delayed is the one that would have retired in January 2025 under the old ages.


@dataclass(frozen=True, slots=True)
class RetirementTrack:
    """Old age, first delayed birth cohort, cohort months per month of delay, and the cap."""

    base_years: int
    first_cohort: date  # first day of the first birth month whose retirement is delayed
    cohort_months_per_step: int
    max_delay_months: int


MEN = RetirementTrack(60, date(1965, 1, 1), 4, 36)  # table 1: 60 -> 63, born 1976-09 on retire at 63
WOMEN_55 = RetirementTrack(55, date(1970, 1, 1), 4, 36)  # table 2: 55 -> 58, born 1981-09 on at 58
WOMEN_50 = RetirementTrack(50, date(1975, 1, 1), 2, 60)  # table 3: 50 -> 55, born 1984-11 on at 55
RETIREMENT_TRACKS = {"M": MEN, "F55": WOMEN_55, "F50": WOMEN_50}


def delay_months(track: RetirementTrack, birth_on: date) -> int:
    """Months added to the old retirement age for someone born on ``birth_on``."""
    cohort = (birth_on.year - track.first_cohort.year) * 12 + birth_on.month - track.first_cohort.month
    if cohort < 0:
        return 0
    return min(track.max_delay_months, cohort // track.cohort_months_per_step + 1)


def retirement_age(birth_on: date, gender: str, *, female_track: str = "F55") -> tuple[int, int]:
    """Statutory retirement age as (years, months) for a birth date and gender ``F``/``M``."""
    track = MEN if gender == "M" else RETIREMENT_TRACKS[female_track]
    months = track.base_years * 12 + delay_months(track, birth_on)
    return months // 12, months % 12


def retirement_month(birth_on: date, gender: str, *, female_track: str = "F55") -> date:
    """First day of the month in which the statutory retirement age is reached."""
    years, months = retirement_age(birth_on, gender, female_track=female_track)
    total = birth_on.year * 12 + birth_on.month - 1 + years * 12 + months
    return date(total // 12, total % 12 + 1, 1)


# --- Rule parameters --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalRules:
    """Look-back windows and thresholds of every rule; amounts in CNY, windows in days from as_of."""

    # renovation_need: a purchase in the window, home-furnishing need for the months after it
    renovation_lookback_days: int = 365
    large_real_estate_amount: float = 200_000.0  # one real_estate payment out at least this
    renovation_started_amount: float = 5_000.0  # home_improvement spend since the purchase
    # education_fund: a child born in the window, confirmed by hospital spend around the birth
    education_lookback_days: int = 3 * 365
    birth_spend_days: int = 14  # hospital (healthcare) spend within this many days of the birth
    birth_spend_amount: float = 2_000.0
    childcare_pattern_amount: float = 3_000.0  # spend pattern: hospital spend of at least this
    childcare_pattern_payments: int = 3  # followed by this many childcare payments within
    childcare_pattern_days: int = 120  # ... this many days
    # salary_plan: contribution base step-up sustained for some months
    salary_lookback_days: int = 365
    salary_step_ratio: float = 1.15
    salary_sustain_months: int = 2  # the step month and the months after it, all above the step
    salary_baseline_months: int = 3  # the step is measured against the mean of these months before
    # marriage: a spouse who joined the book in the window
    marriage_lookback_days: int = 365
    marriage_max_age: int = 45
    # pension_planning: within this many years before statutory retirement
    pension_years_before: int = 5
    female_track: str = "F55"  # F55 (cadres, managerial and technical posts) or F50 (workers)
    # succession_planning: HNW business owner of at least this age
    succession_min_age: int = 50
    hnw_aum_amount: float = 6_000_000.0
    owner_relationship_kinds: tuple[str, ...] = ("chairman", "shareholder", "operator")
    owner_occupations: tuple[str, ...] = ("企业主",)
    # working_capital: mean days past due of receivables, recent window against the one before
    working_capital_recent_days: int = 180
    working_capital_baseline_days: int = 360
    working_capital_min_increase_days: float = 15.0
    working_capital_min_receivables: int = 3  # in each window
    # research_outreach: policy event on the client's industry (GB/T 4754 code prefix)
    research_lookback_days: int = 90
    research_directions: tuple[str, ...] = ("supportive", "restrictive", "neutral")
    max_evidence: int = 10
    kinds: tuple[str, ...] = field(default=SIGNAL_KINDS)


DEFAULT_RULES = SignalRules()
