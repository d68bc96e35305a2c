from __future__ import annotations

from datetime import date

import pytest

from fincrm.errors import InputError
from fincrm.portfolio.suitability import (
    ABOVE_LEVEL_RULES,
    SOURCES,
    Investor,
    Product,
    check,
    check_many,
)

ON = date(2025, 6, 30)
VALID = date(2026, 6, 30)
LEVELS = ("C1", "C2", "C3", "C4", "C5")
RATINGS = ("R1", "R2", "R3", "R4", "R5")

# Expected outcome per investor level (rows C1..C5) and product rating (columns R1..R5).
# S suitable, A needs_acknowledgement, X refused. Written out so that any rule change fails here.
SECURITIES_ORDINARY = """
    S X X X X
    S S A A A
    S S S A A
    S S S S A
    S S S S S
"""
STRICT = """
    S X X X X
    S S X X X
    S S S X X
    S S S S X
    S S S S S
"""
ALL_SUITABLE = """
    S S S S S
    S S S S S
    S S S S S
    S S S S S
    S S S S S
"""
ALL_REFUSED = """
    X X X X X
    X X X X X
    X X X X X
    X X X X X
    X X X X X
"""
SECURITIES_KINDS = ("money_market_fund", "bond_fund", "equity_fund", "hybrid_fund", "structured", "gold")
STRICT_KINDS = ("bank_wmp", "insurance", "deposit")

# (kind, professional, qualified) -> expected grid
EXPECTED = {
    **{(kind, False, False): SECURITIES_ORDINARY for kind in SECURITIES_KINDS},
    **{(kind, True, False): ALL_SUITABLE for kind in SECURITIES_KINDS},
    **{(kind, professional, False): STRICT for kind in STRICT_KINDS for professional in (False, True)},
    ("private_fund", False, True): SECURITIES_ORDINARY,
    ("private_fund", True, True): ALL_SUITABLE,
    ("private_fund", False, False): ALL_REFUSED,
    ("private_fund", True, False): ALL_REFUSED,
}
LETTER = {"suitable": "S", "needs_acknowledgement": "A", "refused": "X", "blocked": "B"}


def _grid(kind: str, professional: bool, qualified: bool) -> str:
    rows = []
    for level in LEVELS:
        investor = Investor(level, VALID, professional=professional, qualified=qualified)
        rows.append(
            " ".join(LETTER[check(investor, Product("P", kind, rating), ON).outcome] for rating in RATINGS)
        )
    return "\n".join(rows)


def _table(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


class TestCheckGrid:
    @pytest.mark.parametrize(("kind", "professional", "qualified"), sorted(EXPECTED))
    def test_every_level_and_rating_gives_the_expected_outcome(
        self, kind: str, professional: bool, qualified: bool
    ) -> None:
        assert _grid(kind, professional, qualified) == _table(EXPECTED[(kind, professional, qualified)])

    def test_every_investable_kind_has_an_expected_grid(self) -> None:
        kinds = {kind for kind, _, _ in EXPECTED}
        assert kinds == {
            "deposit", "money_market_fund", "bond_fund", "equity_fund", "hybrid_fund",
            "bank_wmp", "structured", "private_fund", "insurance", "gold",
        }  # fmt: skip

    def test_every_rule_cites_a_known_source(self) -> None:
        assert {rule.source for rule in ABOVE_LEVEL_RULES.values()} <= set(SOURCES)


class TestCheckQuestionnaire:
    def test_expired_questionnaire_blocks_even_a_suitable_product(self) -> None:
        verdict = check(Investor("C5", date(2025, 6, 29)), Product("F", "bond_fund", "R2"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("blocked", "questionnaire_expired")
        assert "2025-06-29" in verdict.message_zh and "2025-06-29" in verdict.message_en

    def test_questionnaire_is_valid_through_its_last_day(self) -> None:
        assert check(Investor("C3", ON), Product("F", "bond_fund", "R2"), ON).outcome == "suitable"

    def test_missing_questionnaire_blocks_recommendations(self) -> None:
        for investor in (Investor(None, None), Investor(None, VALID), Investor("C3", None)):
            verdict = check(investor, Product("D", "deposit", "R1"), ON)
            assert (verdict.outcome, verdict.reason_code) == ("blocked", "no_questionnaire")

    def test_professional_investor_is_blocked_without_a_questionnaire_too(self) -> None:
        verdict = check(Investor(None, None, professional=True), Product("F", "equity_fund", "R5"), ON)
        assert verdict.outcome == "blocked"


class TestCheckInvestorClass:
    def test_professional_investor_may_buy_securities_above_the_level_without_warning(self) -> None:
        verdict = check(Investor("C1", VALID, professional=True), Product("F", "equity_fund", "R5"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("suitable", "professional_investor")

    def test_professional_investor_still_cannot_buy_a_bank_wmp_above_the_level(self) -> None:
        verdict = check(Investor("C2", VALID, professional=True), Product("W", "bank_wmp", "R3"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("refused", "wmp_above_tolerance")

    def test_lowest_category_is_refused_rather_than_warned(self) -> None:
        verdict = check(Investor("C1", VALID), Product("F", "bond_fund", "R2"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("refused", "lowest_category")

    def test_private_fund_without_qualification_is_refused_even_within_the_level(self) -> None:
        verdict = check(Investor("C5", VALID, professional=True), Product("P", "private_fund", "R3"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("refused", "not_qualified_investor")
        assert "合格投资者" in verdict.message_zh and "qualified investor" in verdict.message_en

    def test_loan_is_not_an_investment(self) -> None:
        verdict = check(Investor("C5", VALID), Product("L", "loan", "R1"), ON)
        assert (verdict.outcome, verdict.reason_code) == ("refused", "not_an_investment")


class TestCheckMessages:
    def test_acknowledgement_message_names_both_levels(self) -> None:
        verdict = check(Investor("C3", VALID), Product("F", "equity_fund", "R4"), ON)
        assert verdict.message_zh == "产品风险等级R4高于客户风险承受能力C3：须向客户提示风险并取得书面确认"
        assert verdict.message_en == (
            "Product risk R4 is above the client's tolerance C3: warn the client and record their acknowledgement"
        )

    @pytest.mark.parametrize("kind", ["bond_fund", "bank_wmp", "insurance", "deposit", "private_fund"])
    @pytest.mark.parametrize(("level", "rating"), [("C1", "R2"), ("C2", "R2"), ("C4", "R5")])
    def test_every_matched_verdict_names_the_level_and_rating(
        self, kind: str, level: str, rating: str
    ) -> None:
        verdict = check(Investor(level, VALID, qualified=True), Product("P", kind, rating), ON)
        for message in (verdict.message_zh, verdict.message_en):
            assert level in message and rating in message


class TestCheckMany:
    def test_verdicts_follow_the_order_of_the_products(self) -> None:
        shelf = [
            Product("W", "bank_wmp", "R4"),
            Product("F", "equity_fund", "R4"),
            Product("D", "deposit", "R1"),
        ]
        verdicts = check_many(Investor("C3", VALID), shelf, ON)
        assert [v.outcome for v in verdicts] == ["refused", "needs_acknowledgement", "suitable"]


class TestInputs:
    def test_unknown_level_is_rejected_listing_the_choices(self) -> None:
        with pytest.raises(InputError, match="C1, C2, C3, C4, C5"):
            Investor("R3", VALID)

    def test_unknown_kind_and_rating_are_rejected_together(self) -> None:
        with pytest.raises(InputError) as raised:
            Product("X", "crypto", "R9")
        assert [e.loc for e in raised.value.errors] == [("kind",), ("risk_rating",)]
