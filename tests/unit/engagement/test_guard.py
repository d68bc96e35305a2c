from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fincrm.clients.domain import ConsentAction, ConsentChannel, ConsentPurpose
from fincrm.engagement.guard import (
    CHANNEL_KINDS,
    CONSENT_CHANNEL,
    ClientState,
    Consent,
    GuardPolicy,
    MessageFacts,
    check,
    quiet_until,
)
from fincrm.errors import InputError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2025, 6, 30, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Monday, 04:00 UTC
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def consent(action="grant", channel="all", purpose="marketing", at=LONG_AGO) -> Consent:
    return Consent(purpose, channel, action, at)


GRANTED = (consent(),)
MARKETING_SMS = MessageFacts("sms", marketing=True)
SERVICE_SMS = MessageFacts("sms", marketing=False)


def local(hour: int, minute: int = 0, day: int = 30) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class TestAllowed:
    def test_marketing_with_consent_at_noon(self):
        decision = check(MARKETING_SMS, ClientState(tier="mass", consents=GRANTED), NOON)
        assert (decision.allowed, decision.reason_code, decision.send_after) == (True, "allowed", None)

    def test_service_needs_no_marketing_consent(self):
        assert check(SERVICE_SMS, ClientState(), NOON).allowed


class TestOptedOut:
    def test_never_granted(self):
        decision = check(MARKETING_SMS, ClientState(), NOON)
        assert (decision.allowed, decision.reason_code) == (False, "opted_out")
        assert "授权" in decision.reason_zh and "consent" in decision.reason_en

    def test_withdrawn_on_the_channel(self):
        state = ClientState(consents=(consent(), consent("withdraw", "sms", at=NOON - timedelta(days=1))))
        assert check(MARKETING_SMS, state, NOON).reason_code == "opted_out"
        # Other channels keep the grant on "all".
        assert check(MessageFacts("email", marketing=True), state, NOON).allowed

    def test_withdraw_all_after_channel_grant(self):
        state = ClientState(
            consents=(consent("grant", "sms"), consent("withdraw", "all", at=NOON - timedelta(hours=1)))
        )
        assert check(MARKETING_SMS, state, NOON).reason_code == "opted_out"

    def test_regrant_after_withdrawal(self):
        state = ClientState(
            consents=(
                consent(),
                consent("withdraw", "sms", at=NOON - timedelta(days=10)),
                consent("grant", "sms", at=NOON - timedelta(days=2)),
            )
        )
        assert check(MARKETING_SMS, state, NOON).allowed

    def test_grant_in_the_future_does_not_count(self):
        state = ClientState(consents=(consent(at=NOON + timedelta(minutes=1)),))
        assert check(MARKETING_SMS, state, NOON).reason_code == "opted_out"

    def test_do_not_disturb_blocks_marketing_not_service(self):
        state = ClientState(consents=(consent(), consent("grant", "sms", "do_not_disturb")))
        assert check(MARKETING_SMS, state, NOON).reason_code == "opted_out"
        assert check(SERVICE_SMS, state, NOON).allowed

    def test_wecom_reads_the_wechat_consent(self):
        state = ClientState(consents=(consent("grant", "wechat"),))
        assert check(MessageFacts("wecom", marketing=True), state, NOON).allowed
        assert check(MessageFacts("sms", marketing=True), state, NOON).reason_code == "opted_out"

    def test_every_channel_maps_to_a_consent_channel(self):
        assert set(CONSENT_CHANNEL) == set(CHANNEL_KINDS)
        assert all(isinstance(c, ConsentChannel) for c in CONSENT_CHANNEL.values())

    def test_consent_takes_stored_strings(self):
        c = Consent("marketing", "sms", "grant", LONG_AGO)
        assert (c.purpose, c.channel, c.action) == (
            ConsentPurpose.MARKETING,
            ConsentChannel.SMS,
            ConsentAction.GRANT,
        )


class TestOpenComplaint:
    def test_marketing_suppressed(self):
        decision = check(MARKETING_SMS, ClientState(open_complaint=True, consents=GRANTED), NOON)
        assert (decision.allowed, decision.reason_code) == (False, "open_complaint")
        assert "投诉" in decision.reason_zh

    def test_service_still_goes(self):
        assert check(SERVICE_SMS, ClientState(open_complaint=True), NOON).allowed


class TestTierContent:
    def test_other_tier_is_suppressed(self):
        facts = MessageFacts("email", marketing=True, tiers=("hnw",))
        decision = check(facts, ClientState(tier="mass", consents=GRANTED), NOON)
        assert (decision.allowed, decision.reason_code) == (False, "tier_content")
        assert "hnw" in decision.reason_en and "mass" in decision.reason_en

    def test_matching_tier_goes(self):
        facts = MessageFacts("email", marketing=True, tiers=("hnw", "mass"))
        assert check(facts, ClientState(tier="mass", consents=GRANTED), NOON).allowed

    def test_unknown_tier_is_suppressed(self):
        facts = MessageFacts("email", marketing=False, tiers=("hnw",))
        assert check(facts, ClientState(tier=None), NOON).reason_code == "tier_content"

    def test_unknown_tier_name_is_rejected(self):
        with pytest.raises(InputError, match="tiers"):
            MessageFacts("email", marketing=True, tiers=("vip",))


class TestWeeklyCap:
    def state(self, *ages: timedelta) -> ClientState:
        return ClientState(consents=GRANTED, marketing_sent_at=tuple(NOON - a for a in ages))

    def test_cap_reached(self):
        decision = check(MARKETING_SMS, self.state(timedelta(days=1), timedelta(days=6)), NOON)
        assert (decision.allowed, decision.reason_code) == (False, "weekly_cap")
        assert "2" in decision.reason_zh

    def test_older_touches_do_not_count(self):
        assert check(MARKETING_SMS, self.state(timedelta(days=1), timedelta(days=7)), NOON).allowed

    def test_service_is_not_capped(self):
        assert check(SERVICE_SMS, self.state(*(timedelta(hours=h) for h in range(1, 6))), NOON).allowed

    def test_cap_from_policy(self):
        policy = GuardPolicy(marketing_per_week=1)
        assert check(MARKETING_SMS, self.state(timedelta(days=3)), NOON, policy).reason_code == "weekly_cap"
        zero = GuardPolicy(marketing_per_week=0)
        assert check(MARKETING_SMS, self.state(), NOON, zero).reason_code == "weekly_cap"


class TestQuietHours:
    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            (local(21, 0), local(8, 0) + timedelta(days=1)),
            (local(23, 59), local(8, 0) + timedelta(days=1)),
            (local(0, 30), local(8, 0)),
            (local(7, 59), local(8, 0)),
        ],
    )
    def test_deferred_to_the_end(self, at, expected):
        decision = check(SERVICE_SMS, ClientState(), at)
        assert (decision.allowed, decision.reason_code, decision.send_after) == (
            True,
            "quiet_hours",
            expected,
        )
        assert decision.send_after.tzinfo is UTC
        assert "08:00" in decision.reason_zh

    @pytest.mark.parametrize("at", [local(8, 0), local(12, 0), local(20, 59)])
    def test_outside_quiet_hours(self, at):
        assert check(SERVICE_SMS, ClientState(), at).send_after is None

    def test_urgent_service_goes_at_once(self):
        decision = check(MessageFacts("sms", marketing=False, urgent=True), ClientState(), local(23))
        assert (decision.reason_code, decision.send_after) == ("allowed", None)

    def test_urgent_marketing_still_waits(self):
        facts = MessageFacts("sms", marketing=True, urgent=True)
        assert check(facts, ClientState(consents=GRANTED), local(23)).reason_code == "quiet_hours"

    def test_suppression_wins_over_deferral(self):
        assert check(MARKETING_SMS, ClientState(), local(23)).reason_code == "opted_out"

    def test_channels_outside_policy_are_not_deferred(self):
        policy = GuardPolicy(quiet_channels=("sms",))
        assert (
            check(MessageFacts("email", marketing=False), ClientState(), local(23), policy).send_after is None
        )

    def test_daytime_window_and_other_timezone(self):
        policy = GuardPolicy(quiet_start=time(12), quiet_end=time(14), tz=ZoneInfo("Europe/London"))
        at = datetime(2025, 6, 30, 12, 30, tzinfo=ZoneInfo("Europe/London"))
        assert quiet_until(at, policy) == datetime(2025, 6, 30, 13, 0, tzinfo=UTC)
        assert quiet_until(at + timedelta(hours=2), policy) is None


class TestInputs:
    def test_naive_now_is_rejected(self):
        with pytest.raises(InputError, match="timezone-aware"):
            check(SERVICE_SMS, ClientState(), datetime(2025, 6, 30, 12))

    def test_unknown_channel_is_rejected(self):
        with pytest.raises(InputError, match="channel"):
            MessageFacts("fax", marketing=False)

    def test_bad_policy_is_rejected(self):
        with pytest.raises(InputError) as caught:
            GuardPolicy(
                marketing_per_week=-1, quiet_start=time(8), quiet_end=time(8), quiet_channels=("fax",)
            )
        assert len(caught.value.errors) == 3
