"""Guard rails (触达管控): may this message go to this client now, later, or not at all?

Pure module: no database; the caller passes ``now``. ``check`` applies, in order:

1. ``opted_out`` -- a marketing message needs the client's marketing consent on the message's
   channel (or on ``all``) in force at ``now``, and no do-not-disturb (免打扰) in force there.
   Consent is read the way ``fincrm.clients`` records it: grant/withdraw events per purpose and
   channel (``ConsentEvent``); the latest event at or before ``now`` among those for the channel and
   for ``all`` decides, and with no event there is no consent (PIPL: consent is opt-in). Service
   messages need no marketing consent.
2. ``open_complaint`` -- while a complaint is open, marketing is suppressed; service messages go.
3. ``tier_content`` -- content tagged for some tiers is not sent to a client of another tier (or
   of no known tier).
4. ``weekly_cap`` -- marketing is suppressed once ``marketing_per_week`` marketing messages went
   to the client in the 7 days before ``now``.
5. quiet hours -- a message that would arrive between ``quiet_start`` and ``quiet_end`` (business
   timezone) is not suppressed but deferred: ``allowed`` with ``send_after`` at the end of the
   quiet hours. Urgent service messages are sent at once.

A suppressed decision carries its reason in both languages; the caller records it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fincrm.clients.domain import TIERS, ConsentAction, ConsentChannel, ConsentPurpose, consent_state_at
from fincrm.errors import FieldError, InputError

CHANNEL_KINDS = ("email", "sms", "wecom", "in_app")  # the channels messages go through
CONSENT_CHANNEL: dict[str, ConsentChannel] = {
    "email": ConsentChannel.EMAIL,
    "sms": ConsentChannel.SMS,
    "wecom": ConsentChannel.WECHAT,  # WeCom reaches the client's WeChat
    "in_app": ConsentChannel.APP,
}
CAP_WINDOW = timedelta(days=7)  # the weekly cap counts marketing messages in this window before now

REASONS: dict[str, tuple[str, str]] = {
    "allowed": ("可以发送", "May be sent"),
    "opted_out": (
        "客户未授权或已撤回该渠道的营销信息授权（或设置了免打扰）：不发送营销信息",
        "The client has not consented, or has withdrawn consent, to marketing on this channel "
        "(or asked not to be disturbed): no marketing is sent",
    ),
    "open_complaint": (
        "客户有未结的投诉：投诉处理完毕前不发送营销信息",
        "The client has an open complaint: no marketing until it is resolved",
    ),
    "tier_content": (
        "内容仅面向{tiers}客户，与客户的分层（{tier}）不符",
        "The content is meant for {tiers} clients only, not for the client's tier ({tier})",
    ),
    "weekly_cap": (
        "近7天已向客户发送{count}条营销信息，达到每周上限{cap}条",
        "{count} marketing messages went to the client in the last 7 days, the weekly cap of {cap}",
    ),
    "quiet_hours": (
        "免打扰时段（{start}–{end}）：延后至{after}发送",
        "Quiet hours ({start}-{end}): deferred until {after}",
    ),
}


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """Caps and quiet hours; ``tz`` is the business timezone the quiet hours are read in."""

    marketing_per_week: int = 2  # marketing messages per client in any 7 days
    quiet_start: time = time(21, 0)  # local time quiet hours begin
    quiet_end: time = time(8, 0)  # local time they end (before quiet_start: they span midnight)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    quiet_channels: tuple[str, ...] = CHANNEL_KINDS  # channels that respect quiet hours

    def __post_init__(self) -> None:
        problems = []
        if self.marketing_per_week < 0:
            problems.append(FieldError(("marketing_per_week",), "must be 0 or more", self.marketing_per_week))
        if self.quiet_start == self.quiet_end:
            problems.append(
                FieldError(
                    ("quiet_end",),
                    "must differ from quiet_start (no quiet hours: use an empty quiet_channels)",
                    self.quiet_end.isoformat(),
                )
            )
        unknown = [c for c in self.quiet_channels if c not in CHANNEL_KINDS]
        if unknown:
            problems.append(FieldError(("quiet_channels",), f"use {', '.join(CHANNEL_KINDS)}", unknown))
        if problems:
            raise InputError("guard policy: " + "; ".join(map(str, problems)), errors=problems)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What the guard needs to know about a message.

    ``tiers`` is None for content meant for everyone, else the tiers it is meant for. ``urgent``
    matters only for service messages (a fraud alert, a margin call): they skip quiet hours.
    """

    channel: str
    marketing: bool
    urgent: bool = False
    tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.channel not in CHANNEL_KINDS:
            problems.append(FieldError(("channel",), f"use {', '.join(CHANNEL_KINDS)}", self.channel))
        if self.tiers is not None and any(t not in TIERS for t in self.tiers):
            problems.append(FieldError(("tiers",), f"use {', '.join(TIERS)}", list(self.tiers)))
        if problems:
            raise InputError("message facts: " + "; ".join(map(str, problems)), errors=problems)


@dataclass(frozen=True, slots=True)
class Consent:
    """One consent event as ``fincrm.clients.models.ConsentEvent`` records it."""

    purpose: ConsentPurpose
    channel: ConsentChannel
    action: ConsentAction
    effective_at: datetime

    def __post_init__(self) -> None:
        # Accept the stored string values as well as the enums.
        object.__setattr__(self, "purpose", ConsentPurpose(self.purpose))
        object.__setattr__(self, "channel", ConsentChannel(self.channel))
        object.__setattr__(self, "action", ConsentAction(self.action))
        _require_aware("effective_at", self.effective_at)


@dataclass(frozen=True, slots=True)
class ClientState:
    """The client facts the guard reads.

    ``tier`` is the profile tier (None when the client has no profile yet); ``consents`` every
    consent event of the client (any order); ``marketing_sent_at`` the times marketing messages
    were sent (or scheduled) to the client, at least those of the last 7 days.
    """

    tier: str | None = None
    open_complaint: bool = False
    consents: tuple[Consent, ...] = ()
    marketing_sent_at: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """``allowed`` False: suppressed for ``reason_code``. Allowed with ``send_after``: deferred (UTC)."""

    allowed: bool
    reason_code: str
    reason_zh: str
    reason_en: str
    send_after: datetime | None = None


def check(
    message_facts: MessageFacts, client_state: ClientState, now: datetime, policy: GuardPolicy | None = None
) -> Decision:
    """Decide whether a message may go to a client now.

    Parameters
    ----------
    message_facts
        Channel, marketing or service, urgency, target tiers.
    client_state
        Tier, open complaint, consent events, recent marketing.
    now
        The moment of sending, timezone-aware.
    policy
        Caps and quiet hours; the defaults (2 a week, 21:00-08:00 Asia/Shanghai) when None.

    Returns
    -------
    Decision
        Suppressed with the first reason that applies (order in the module docstring), or allowed
        now (``allowed``), or allowed after the quiet hours (``quiet_hours``, ``send_after`` in UTC).

    Examples
    --------
    >>> now = datetime(2025, 6, 30, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    >>> check(MessageFacts("sms", marketing=False), ClientState(), now).send_after
    datetime.datetime(2025, 7, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> check(MessageFacts("sms", marketing=True), ClientState(), now).reason_code
    'opted_out'
    """
    policy = policy or GuardPolicy()
    _require_aware("now", now)
    if message_facts.marketing and not _marketing_consented(
        client_state.consents, message_facts.channel, now
    ):
        return _suppressed("opted_out")
    if message_facts.marketing and client_state.open_complaint:
        return _suppressed("open_complaint")
    tiers = message_facts.tiers
    if tiers is not None and client_state.tier not in tiers:
        return _suppressed("tier_content", tiers="/".join(tiers), tier=client_state.tier or "-")
    if message_facts.marketing:
        count = sum(1 for at in client_state.marketing_sent_at if now - CAP_WINDOW < at <= now)
        if count >= policy.marketing_per_week:
            return _suppressed("weekly_cap", count=count, cap=policy.marketing_per_week)
    urgent = message_facts.urgent and not message_facts.marketing
    if not urgent and message_facts.channel in policy.quiet_channels:
        send_after = quiet_until(now, policy)
        if send_after is not None:
            local = send_after.astimezone(policy.tz)
            zh, en = REASONS["quiet_hours"]
            fields = {
                "start": policy.quiet_start.strftime("%H:%M"),
                "end": policy.quiet_end.strftime("%H:%M"),
                "after": local.strftime("%Y-%m-%d %H:%M"),
            }
            return Decision(True, "quiet_hours", zh.format(**fields), en.format(**fields), send_after)
    zh, en = REASONS["allowed"]
    return Decision(True, "allowed", zh, en)


def quiet_until(now: datetime, policy: GuardPolicy) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None outside them.

    Examples
    --------
    >>> p = GuardPolicy()
    >>> quiet_until(datetime(2025, 6, 30, 23, 30, tzinfo=UTC), p)  # 07:30 in Shanghai
    datetime.datetime(2025, 7, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> quiet_until(datetime(2025, 6, 30, 4, 0, tzinfo=UTC), p) is None  # 12:00
    True
    """
    local = now.astimezone(policy.tz)
    clock = local.time().replace(tzinfo=None)
    start, end = policy.quiet_start, policy.quiet_end
    if start > end:  # spans midnight
        if clock >= start:
            day = local.date() + timedelta(days=1)
        elif clock < end:
            day = local.date()
        else:
            return None
    elif start <= clock < end:
        day = local.date()
    else:
        return None
    return datetime.combine(day, end, tzinfo=policy.tz).astimezone(UTC)


def _marketing_consented(consents: Iterable[Consent], channel: str, now: datetime) -> bool:
    scope = (CONSENT_CHANNEL[channel], ConsentChannel.ALL)
    relevant = [c for c in consents if c.channel in scope]

    def events(purpose: ConsentPurpose) -> list[tuple[datetime, ConsentAction]]:
        return [(c.effective_at, c.action) for c in relevant if c.purpose is purpose]

    granted = consent_state_at(events(ConsentPurpose.MARKETING), now)
    do_not_disturb = consent_state_at(events(ConsentPurpose.DO_NOT_DISTURB), now)
    return granted and not do_not_disturb


def _suppressed(reason_code: str, **fields: object) -> Decision:
    zh, en = REASONS[reason_code]
    return Decision(False, reason_code, zh.format(**fields), en.format(**fields))


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"{name} must be timezone-aware (UTC), got {value.isoformat()}",
            errors=[FieldError((name,), "must be timezone-aware", value.isoformat())],
        )
