"""Vocabulary and pure rules of the client book. No persistence, no I/O, no clock.

Relationship direction: a row (from_party, to_party, kind) reads "to_party is the <kind> of
from_party": (company, person, chairman) -> the person is the company's chairman;
(parent, child, child) -> the second party is the first one's child.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum


class PartyKind(StrEnum):
    INDIVIDUAL = "individual"
    CORPORATE = "corporate"


TIERS = ("hnw", "mass", "long_tail")  # wealth tiers the nightly batch assigns by assets (FINCRM_TIER_*)


class PartyStatus(StrEnum):
    ACTIVE = "active"
    DORMANT = "dormant"
    CLOSED = "closed"


class Gender(StrEnum):
    FEMALE = "F"
    MALE = "M"


class IncomeBand(StrEnum):
    """Monthly income bands in CNY."""

    UNDER_5K = "lt5k"
    FROM_5K = "5k-10k"
    FROM_10K = "10k-20k"
    FROM_20K = "20k-50k"
    FROM_50K = "50k-100k"
    OVER_100K = "ge100k"


class RevenueBand(StrEnum):
    """Annual revenue bands of a corporate client in CNY."""

    UNDER_10M = "lt10m"
    FROM_10M = "10m-100m"
    FROM_100M = "100m-1b"
    OVER_1B = "ge1b"


class InvestorClass(StrEnum):
    ORDINARY = "ordinary"
    PROFESSIONAL = "professional"


class HouseholdRole(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    OTHER = "other"


class RelationshipKind(StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    CHAIRMAN = "chairman"  # decision maker 决策层
    DECISION_MAKER = "decision_maker"
    CFO = "cfo"  # operator 操作层
    OPERATOR = "operator"
    SHAREHOLDER = "shareholder"
    OTHER = "other"


KEY_PERSON_KINDS = frozenset(
    {
        RelationshipKind.CHAIRMAN,
        RelationshipKind.DECISION_MAKER,
        RelationshipKind.CFO,
        RelationshipKind.OPERATOR,
        RelationshipKind.SHAREHOLDER,
        RelationshipKind.OTHER,
    }
)
FAMILY_KINDS = frozenset(
    {RelationshipKind.SPOUSE, RelationshipKind.CHILD, RelationshipKind.PARENT, RelationshipKind.SIBLING}
)


class AccountKind(StrEnum):
    CURRENT = "current"
    SAVINGS = "savings"
    INVESTMENT = "investment"
    CARD = "card"
    LOAN = "loan"


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    FROZEN = "frozen"


class AccountRole(StrEnum):
    OWNER = "owner"
    AUTHORISED = "authorised"  # may operate the account without owning it (Berka: disponent)


class CardKind(StrEnum):
    CLASSIC = "classic"
    JUNIOR = "junior"
    GOLD = "gold"
    PLATINUM = "platinum"
    CREDIT = "credit"


class LoanStatus(StrEnum):
    CURRENT = "current"  # running, paid as agreed
    IN_ARREARS = "in_arrears"  # running, payments overdue
    REPAID = "repaid"  # finished, fully repaid
    DEFAULTED = "defaulted"  # finished, not repaid


class PaymentPurpose(StrEnum):
    HOUSEHOLD = "household"
    INSURANCE = "insurance"
    LEASING = "leasing"
    LOAN = "loan"
    OTHER = "other"


class RiskLevel(StrEnum):
    """Investor risk category from the questionnaire, C1 (conservative) to C5 (aggressive)."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class Channel(StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    WECHAT = "wechat"  # WeChat / WeCom
    SMS = "sms"
    EMAIL = "email"
    EVENT = "event"
    BRANCH = "branch"
    APP = "app"


class Direction(StrEnum):
    INBOUND = "inbound"  # client-initiated
    OUTBOUND = "outbound"


class MemoryCategory(StrEnum):
    FAMILY = "family"
    HOBBY = "hobby"
    FOOD_DRINK = "food_drink"
    HEALTH = "health"
    IMPORTANT_DATE = "important_date"
    AVERSION = "aversion"  # e.g. lost money in tech stocks in 2015, avoids them
    OTHER = "other"


class MemorySource(StrEnum):
    RM = "rm"
    CLIENT = "client"
    DETECTED = "detected"


class LifeEventKind(StrEnum):
    MARRIAGE = "marriage"
    CHILD_BIRTH = "child_birth"
    HOME_PURCHASE = "home_purchase"
    JOB_CHANGE = "job_change"
    PROMOTION = "promotion"
    RETIREMENT = "retirement"
    BUSINESS_EXPANSION = "business_expansion"
    CHILD_EDUCATION = "child_education"
    RELOCATION = "relocation"
    BEREAVEMENT = "bereavement"
    OTHER = "other"


class LifeEventOrigin(StrEnum):
    RECORDED = "recorded"  # told by the client, entered by staff
    DETECTED = "detected"  # found by a rule over transactions or external data


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"  # use of personal data for profiling (PIPL)
    DO_NOT_DISTURB = "do_not_disturb"


class ConsentChannel(StrEnum):
    ALL = "all"
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    WECHAT = "wechat"
    APP = "app"


class ConsentAction(StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"


_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def cn_id_check_digit(first17: str) -> str:
    """Check character of an 18-digit PRC resident ID (GB 11643-1999, ISO 7064 MOD 11-2).

    Examples
    --------
    >>> cn_id_check_digit("11010519491231002")
    'X'
    """
    total = sum(int(d) * w for d, w in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11]


def national_id_problem(value: str, birth_on: date | None = None) -> str | None:
    """Why ``value`` is not a valid 18-character PRC resident ID, or None when it is.

    Examples
    --------
    >>> national_id_problem("11010519491231002X")
    >>> national_id_problem("110105194912310021")
    'check digit should be X'
    """
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "must be 17 digits and a digit or X"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "digits 7-14 are not a valid birth date"
    if birth_on is not None and born != birth_on:
        return f"birth date in the ID ({born}) differs from birth_on ({birth_on})"
    expected = cn_id_check_digit(value[:17])
    return None if value[17] == expected else f"check digit should be {expected}"


def uscc_check_char(first17: str) -> str:
    """Check character of an 18-character unified social credit code (GB 32100-2015).

    Examples
    --------
    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None when it is."""
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        return "must be 18 characters of 0-9 and A-Y without I, O, S, V, Z"
    expected = uscc_check_char(value[:17])
    return None if value[17] == expected else f"check character should be {expected}"


def consent_state_at(
    events: list[tuple[datetime, ConsentAction]], at: datetime, *, default: bool = False
) -> bool:
    """Whether a consent is in force at ``at``, from its grant/withdraw events.

    The latest event at or before ``at`` decides; with none, ``default`` (no consent) applies.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = lambda d: datetime(2025, 1, d, tzinfo=UTC)
    >>> ev = [(t(1), ConsentAction.GRANT), (t(10), ConsentAction.WITHDRAW)]
    >>> consent_state_at(ev, t(5)), consent_state_at(ev, t(10)), consent_state_at(ev, datetime(2024, 1, 1, tzinfo=UTC))
    (True, False, False)
    """
    decided = default
    for when, action in sorted(events, key=lambda e: e[0]):
        if when > at:
            break
        decided = action is ConsentAction.GRANT
    return decided


def top_share(values: list, fraction: float) -> float | None:
    """Share of the total held by the largest ``fraction`` of values (at least one value).

    Examples
    --------
    >>> top_share([1, 1, 1, 97], 0.25)
    0.97
    >>> top_share([], 0.02) is None
    True
    """
    positive = sorted((v for v in values if v > 0), reverse=True)
    total = sum(positive)
    if not positive or total == 0:
        return None
    k = max(1, round(len(positive) * fraction))
    return float(sum(positive[:k]) / total)
