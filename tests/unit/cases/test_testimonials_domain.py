"""Testimonials, pure rules: consent validation, when a story may be used, the story's block in a text."""

from __future__ import annotations

from datetime import date

import pytest

from fincrm.cases import testimonials_domain as td
from fincrm.errors import InputError

TODAY = date(2026, 11, 29)


def draft(**changes) -> td.TestimonialDraft:
    values = dict(story_zh=" 服务很专业 ", story_en="Very professional", attribution_zh="王女士",
                  attribution_en="Ms Wang", scopes=("content_library", "events"), method="signed_form",
                  given_on=date(2026, 11, 1), expires_on=date(2027, 10, 31))  # fmt: skip
    values.update(changes)
    return td.TestimonialDraft(**values)


class TestCheckTestimonial:
    def test_a_complete_consent_is_normalised(self) -> None:
        d = td.check_testimonial(draft(scopes=("events", " events", "content_library")), TODAY)
        assert d.story_zh == "服务很专业"
        assert d.scopes == ("events", "content_library")

    def test_every_problem_is_named_at_once(self) -> None:
        with pytest.raises(InputError) as caught:
            td.check_testimonial(
                draft(story_en="", scopes=("press",), method="email", expires_on=None), TODAY
            )
        assert {e.loc[0] for e in caught.value.errors} == {"story_en", "scopes", "method", "expires_on"}

    def test_expiry_is_required_and_after_the_consent(self) -> None:
        with pytest.raises(InputError) as caught:
            td.check_testimonial(draft(given_on=date(2026, 11, 29), expires_on=date(2026, 11, 29)), TODAY)
        assert caught.value.errors[0].loc == ("expires_on",)

    def test_an_already_expired_consent_is_refused(self) -> None:
        with pytest.raises(InputError, match="cannot be recorded"):
            td.check_testimonial(draft(given_on=date(2025, 1, 1), expires_on=date(2026, 11, 28)), TODAY)

    def test_a_consent_in_the_future_or_too_long_is_refused(self) -> None:
        with pytest.raises(InputError) as caught:
            td.check_testimonial(draft(given_on=date(2026, 12, 1)), TODAY)
        assert caught.value.errors[0].loc == ("given_on",)
        with pytest.raises(InputError):
            td.check_testimonial(draft(expires_on=date(2032, 1, 1)), TODAY)

    def test_no_scope_is_refused(self) -> None:
        with pytest.raises(InputError) as caught:
            td.check_testimonial(draft(scopes=()), TODAY)
        assert caught.value.errors[0].loc == ("scopes",)


class TestUnusableReason:
    def test_usable_through_the_last_day(self) -> None:
        assert td.unusable_reason("active", date(2026, 12, 31), ["content_library"], "content_piece",
                                  date(2026, 12, 31)) is None  # fmt: skip
        assert td.expired(date(2026, 12, 31), date(2027, 1, 1))

    def test_withdrawal_beats_everything(self) -> None:
        reason = td.unusable_reason("withdrawn", date(2030, 1, 1), td.SCOPES, "message", TODAY)
        assert reason == "withdrawn by the client"

    def test_the_scope_must_cover_the_use(self) -> None:
        assert td.unusable_reason("active", date(2030, 1, 1), ["content_library"], "message", TODAY) == (
            "the consent does not cover client_messages"
        )
        assert td.unusable_reason("active", date(2030, 1, 1), ["client_messages"], "message", TODAY) is None

    def test_an_unknown_use_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="unknown use"):
            td.unusable_reason("active", date(2030, 1, 1), td.SCOPES, "billboard", TODAY)


class TestBlocks:
    def test_a_block_added_then_removed_leaves_the_text_as_it_was(self) -> None:
        body = "研究正文。"
        block = td.story_block("服务很专业", "王女士", "zh-CN")
        cleaned, found = td.remove_block(body + block, block)
        assert (cleaned, found) == (body, True)

    def test_removing_a_block_that_is_not_there_changes_nothing(self) -> None:
        assert td.remove_block("正文", td.story_block("x", "y", "en")) == ("正文", False)
        assert td.remove_block("正文", "") == ("正文", False)

    def test_every_copy_is_removed(self) -> None:
        block = td.story_block("Good", "Ms Wang", "en")
        assert td.remove_block(f"A{block}B{block}", block) == ("AB", True)
