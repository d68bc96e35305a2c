"""Pure rules of client testimonials (客户见证): what a consent covers, when a story may be used, and
how a story is put into and taken out of a content text. No SQLAlchemy, FastAPI, I/O or clock.

A testimonial is a client's story recorded with the client's consent. The consent names its scope
(the uses it covers, ``SCOPES``), how it was given (``METHODS``), the day it was given and the day it
expires (the last day it may be used). A story is *usable* for a use on a day when it has not been
withdrawn, the day is on or before ``expires_on`` and its scope covers the use
(``USE_SCOPE``: a content piece needs ``content_library``, a message to a client ``client_messages``).

A story goes into a text as one block (``story_block``) whose exact characters the use records, so
that a withdrawal or an expiry can take exactly that block out again (``remove_block``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from fincrm.errors import FieldError, InputError

SCOPES = ("internal_training", "content_library", "client_messages", "events", "public_materials")
SCOPE_LABELS = {  # (zh, en)
    "internal_training": ("内部培训", "Internal training"),
    "content_library": ("内容库", "Content library"),
    "client_messages": ("客户消息", "Messages to clients"),
    "events": ("客户活动", "Client events"),
    "public_materials": ("公开宣传材料", "Public materials"),
}
METHODS = ("signed_form", "recorded_call", "app")  # how the consent was given
METHOD_LABELS = {
    "signed_form": ("书面签署", "Signed form"),
    "recorded_call": ("电话录音", "Recorded call"),
    "app": ("手机银行授权", "In the app"),
}
CONTENT_PIECE, MESSAGE = "content_piece", "message"  # what a use puts the story into
USE_SCOPE = {CONTENT_PIECE: "content_library", MESSAGE: "client_messages"}  # the scope each use needs
ACTIVE, WITHDRAWN = "active", "withdrawn"
STORY_MAX = 2000  # characters per language
ATTRIBUTION_MAX = 100  # characters: how the client is named, e.g. 王女士，制造业企业主
REASON_MAX = 500  # characters of a withdrawal reason
MAX_CONSENT_YEARS = 5  # a consent longer than this is refused: ask again instead


@dataclass(frozen=True)
class TestimonialDraft:
    """A story as submitted, before it is stored."""

    __test__ = False  # not a pytest test class, despite the name

    story_zh: str
    story_en: str
    attribution_zh: str
    attribution_en: str
    scopes: tuple[str, ...]
    method: str
    given_on: date | None
    expires_on: date | None


def check_testimonial(draft: TestimonialDraft, today: date) -> TestimonialDraft:
    """Validate a story and its consent; returns it normalised (texts stripped, scopes in order).

    Raises
    ------
    InputError
        Naming every field that is wrong and why.

    Examples
    --------
    >>> d = TestimonialDraft("很好", "Good", "王女士", "Ms Wang", ("events", "events"), "app",
    ...                      date(2026, 1, 1), date(2027, 1, 1))
    >>> check_testimonial(d, date(2026, 6, 1)).scopes
    ('events',)
    """
    problems: list[FieldError] = []
    texts = {}
    for name, limit in (("story_zh", STORY_MAX), ("story_en", STORY_MAX), ("attribution_zh", ATTRIBUTION_MAX),
                        ("attribution_en", ATTRIBUTION_MAX)):  # fmt: skip
        value = (getattr(draft, name) or "").strip()
        if not value:
            problems.append(FieldError((name,), "required", value))
        elif len(value) > limit:
            problems.append(FieldError((name,), f"at most {limit} characters", value[:80]))
        texts[name] = value
    scopes = tuple(dict.fromkeys(s.strip() for s in draft.scopes if s.strip()))
    if not scopes:
        problems.append(FieldError(("scopes",), f"at least one of {', '.join(SCOPES)}", list(draft.scopes)))
    elif unknown := [s for s in scopes if s not in SCOPES]:
        problems.append(FieldError(("scopes",), f"each one of {', '.join(SCOPES)}", unknown))
    if draft.method not in METHODS:
        problems.append(FieldError(("method",), f"one of {', '.join(METHODS)}", draft.method))
    if draft.given_on is None:
        problems.append(FieldError(("given_on",), "required: the day the client consented", None))
    elif draft.given_on > today:
        problems.append(FieldError(("given_on",), "not in the future", draft.given_on.isoformat()))
    if draft.expires_on is None:
        problems.append(FieldError(("expires_on",), "required: the last day the story may be used", None))
    elif draft.expires_on < today:
        problems.append(FieldError(("expires_on",), "already past: record a consent still in force",
                                   draft.expires_on.isoformat()))  # fmt: skip
    elif draft.given_on is not None:
        if draft.expires_on <= draft.given_on:
            problems.append(
                FieldError(("expires_on",), "after the day of consent", draft.expires_on.isoformat())
            )
        elif (draft.expires_on - draft.given_on).days > MAX_CONSENT_YEARS * 366:
            problems.append(FieldError(("expires_on",), f"at most {MAX_CONSENT_YEARS} years after the consent",
                                       draft.expires_on.isoformat()))  # fmt: skip
    if problems:
        raise InputError("the testimonial cannot be recorded as given", errors=problems)
    return TestimonialDraft(**texts, scopes=scopes, method=draft.method, given_on=draft.given_on,
                            expires_on=draft.expires_on)  # fmt: skip


def unusable_reason(status: str, expires_on: date, scopes: Iterable[str], use: str, on: date) -> str | None:
    """Why a story may not be put to ``use`` on the day ``on``, or None when it may.

    Examples
    --------
    >>> unusable_reason("active", date(2026, 12, 31), ["content_library"], "content_piece", date(2026, 12, 31))
    >>> unusable_reason("active", date(2026, 12, 31), ["content_library"], "content_piece", date(2027, 1, 1))
    'expired on 2026-12-31'
    >>> unusable_reason("active", date(2027, 1, 1), ["events"], "message", date(2026, 1, 1))
    'the consent does not cover client_messages'
    >>> unusable_reason("withdrawn", date(2027, 1, 1), ["content_library"], "content_piece", date(2026, 1, 1))
    'withdrawn by the client'
    """
    if use not in USE_SCOPE:
        raise ValueError(f"unknown use {use!r}: one of {', '.join(USE_SCOPE)}")
    if status == WITHDRAWN:
        return "withdrawn by the client"
    if on > expires_on:
        return f"expired on {expires_on.isoformat()}"
    if USE_SCOPE[use] not in set(scopes):
        return f"the consent does not cover {USE_SCOPE[use]}"
    return None


def expired(expires_on: date, on: date) -> bool:
    """``expires_on`` is the last day of use: the story is expired from the next day."""
    return on > expires_on


def story_block(story: str, attribution: str, lang: str) -> str:
    """The exact text a use adds to a content body or a message: a blank line, then the quoted story.

    Examples
    --------
    >>> story_block("服务很专业", "王女士", "zh-CN")
    '\\n\\n【客户见证】“服务很专业”——王女士'
    >>> story_block("Very professional", "Ms Wang", "en")
    '\\n\\n[Client story] "Very professional" - Ms Wang'
    """
    if lang == "zh-CN":
        return f"\n\n【客户见证】“{story}”——{attribution}"
    return f'\n\n[Client story] "{story}" - {attribution}'


def remove_block(text: str, block: str) -> tuple[str, bool]:
    """``text`` without ``block`` (every occurrence) and whether it was there.

    >>> remove_block("正文\\n\\n【客户见证】“好”——王女士", "\\n\\n【客户见证】“好”——王女士")
    ('正文', True)
    >>> remove_block("正文", "x")
    ('正文', False)
    """
    if not block or block not in text:
        return text, False
    return text.replace(block, ""), True
