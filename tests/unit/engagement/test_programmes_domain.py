"""Benefits and partners, the pure rules: the allowance in the benefit catalogue, redemption checks,
offer and referral transitions, offer keys, bundle matching and the partner catalogue's errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fincrm.engagement import programmes_domain as domain
from fincrm.errors import InputError
from fincrm.intelligence.benefits import load_benefits

ENTRY = "{key: %s, name_zh: 甲, name_en: A, description_zh: x, description_en: x%s}"


class TestBenefitAllowance:
    def test_the_built_in_catalogue_limits_some_benefits_per_year(self) -> None:
        catalogue = load_benefits()
        mass = {b.key: b.allowance_per_year for b in catalogue["mass"]}
        assert mass["portfolio_checkup"] == 1 and mass["investment_education"] == 12
        assert all(b.allowance_per_year is None for b in catalogue["long_tail"])

    def test_a_file_without_allowances_still_loads(self, tmp_path: Path) -> None:
        path = tmp_path / "benefits.yaml"
        path.write_text(f"hnw:\n  - {ENTRY % ('a', '')}\nmass: []\nlong_tail: []\n", encoding="utf-8")
        assert load_benefits(path)["hnw"][0].allowance_per_year is None

    @pytest.mark.parametrize("bad", ["0", "-1", "1.5", "many", "[1]", "10001"])
    def test_a_bad_allowance_names_file_line_and_field(self, tmp_path: Path, bad: str) -> None:
        path = tmp_path / "benefits.yaml"
        path.write_text(
            f"hnw:\n  - {ENTRY % ('a', ', allowance_per_year: 2')}\n"
            f"mass:\n  - {ENTRY % ('b', ', allowance_per_year: ' + bad)}\nlong_tail: []\n",
            encoding="utf-8",
        )
        with pytest.raises(InputError) as raised:
            load_benefits(path)
        assert [(e.loc[1], e.loc[2]) for e in raised.value.errors] == [(4, "allowance_per_year")]
        assert raised.value.errors[0].loc[0] == str(path)


def problems(**overrides) -> list:
    given = dict(
        benefit_key="portfolio_checkup", tier="mass", tier_benefits=("portfolio_checkup", "light_perks"),
        allowance=2, used=0, quantity=1, used_on=date(2026, 6, 1), today=date(2026, 6, 30), note="",
    )  # fmt: skip
    return domain.redemption_problems(**{**given, **overrides})


class TestRedemptionProblems:
    def test_within_the_tier_and_the_allowance_is_fine(self) -> None:
        assert problems() == [] and problems(used=1) == [] and problems(allowance=None, used=999) == []

    def test_the_allowance_may_not_be_exceeded(self) -> None:
        (found,) = problems(used=1, quantity=2)
        assert found.loc == ("quantity",) and "allowance of 2 for 2026" in found.msg and "1 left" in found.msg

    def test_a_benefit_outside_the_tier_or_without_a_tier(self) -> None:
        assert [e.loc for e in problems(benefit_key="private_fund_allocation")] == [("benefit_key",)]
        assert "no tier yet" in problems(tier=None)[0].msg

    def test_dates_quantities_and_notes_are_checked_together(self) -> None:
        found = problems(quantity=0, used_on=date(2026, 7, 1), note="x" * (domain.NOTE_MAX + 1))
        assert [e.loc[0] for e in found] == ["quantity", "used_on", "note"]
        assert problems(used_on=date(2024, 12, 31))[0].loc == ("used_on",)
        assert problems(used_on=date(2025, 1, 1)) == []


class TestTransitions:
    @pytest.mark.parametrize(
        ("kind", "current", "new", "ok"),
        [
            ("offer", "proposed", "presented", True),
            ("offer", "presented", "accepted", True),
            ("offer", "proposed", "declined", True),
            ("offer", "presented", "proposed", False),
            ("offer", "accepted", "declined", False),
            ("referral", "referred", "contacted", True),
            ("referral", "contacted", "converted", True),
            ("referral", "referred", "lost", True),
            ("referral", "lost", "converted", False),
            ("referral", "contacted", "referred", False),
        ],
    )
    def test_statuses_move_forward_only(self, kind: str, current: str, new: str, ok: bool) -> None:
        assert (domain.transition_problem(kind, current, new) is None) is ok

    def test_an_unknown_status_lists_the_choices(self) -> None:
        found = domain.transition_problem("referral", "referred", "won")
        assert found is not None and "referred, contacted, converted, lost" in found.msg


CATALOGUE = """\
partners:
  - {key: anju, kind: renovation, name_zh: 安居, name_en: Anju, description_zh: 装修, description_en: Renovation}
  - {key: hengzheng, kind: law_firm, name_zh: 衡正, name_en: Hengzheng, description_zh: 律所, description_en: Law}
bundles:
  - key: new_home
    name_zh: 安家
    name_en: New home
    signals: [renovation_need, home_purchase]
    items:
      - {name_zh: 按揭, name_en: Mortgage}
      - {partner: anju, name_zh: 装修贷, name_en: Renovation loan}
  - key: succession
    name_zh: 传承
    name_en: Succession
    signals: [succession_planning]
    tiers: [hnw]
    items: [{partner: hengzheng, name_zh: 遗嘱, name_en: Will}, {partner: anju, name_zh: 翻新, name_en: Refit}]
"""


class TestCatalogue:
    def test_bundles_match_signal_kinds_and_tiers(self) -> None:
        c = domain.parse_catalogue(CATALOGUE, "p.yaml")
        assert [b.key for b in c.bundles_for("home_purchase", "long_tail")] == ["new_home"]
        assert [b.key for b in c.bundles_for("home_purchase", None)] == ["new_home"]
        assert [b.key for b in c.bundles_for("succession_planning", "hnw")] == ["succession"]
        assert c.bundles_for("succession_planning", "mass") == []
        assert c.bundles_for("succession_planning", None) == []  # tier unknown: only open bundles
        assert c.bundles["succession"].partners == ("hengzheng", "anju")

    def test_every_problem_is_located(self) -> None:
        bad = (
            CATALOGUE.replace("kind: law_firm", "kind: bakery")
            .replace("[renovation_need, home_purchase]", "[renovation_need, lottery_win]")
            .replace("tiers: [hnw]", "tiers: [gold]")
            .replace("{partner: anju, name_zh: 装修贷, name_en: Renovation loan}", "{partner: nobody, name_zh: 装修贷}")
        )  # fmt: skip
        with pytest.raises(InputError) as raised:
            domain.parse_catalogue(bad + "extras: []\n", "p.yaml")
        found = {(e.loc[1], e.loc[2]) for e in raised.value.errors}
        assert {
            (3, "kind"),
            (8, "signals"),
            (11, "partner"),
            (11, "name_en"),
            (16, "tiers"),
            (18, "extras"),
        } <= found
        assert all(e.loc[0] == "p.yaml" for e in raised.value.errors)

    def test_duplicate_keys_missing_sections_and_not_yaml(self) -> None:
        twice = CATALOGUE.replace("key: succession", "key: new_home")
        with pytest.raises(InputError) as raised:
            domain.parse_catalogue(twice, "p.yaml")
        assert [(e.loc[1], e.msg) for e in raised.value.errors] == [(12, "duplicate bundle key")]
        with pytest.raises(InputError) as raised:
            domain.parse_catalogue("partners: []\n", "p.yaml")
        assert raised.value.errors[0].loc == ("p.yaml", 1, "bundles")
        with pytest.raises(InputError, match="not valid YAML"):
            domain.parse_catalogue("partners: [\n", "p.yaml")

    def test_offer_keys_are_one_per_client_bundle_and_signal(self) -> None:
        a = domain.offer_key("new_home", "C1", "home_purchase", date(2026, 6, 1))
        assert a != domain.offer_key("new_home", "C1", "home_purchase", date(2026, 6, 2))
        assert a != domain.offer_key("new_home", "C1", "renovation_need", date(2026, 6, 1))
        assert a == domain.offer_key("new_home", "C1", "home_purchase", date(2026, 6, 1))


def test_rates() -> None:
    assert domain.rate(3, 4) == 0.75 and domain.rate(0, 0) is None
    assert domain.remaining(2, 5) == 0 and domain.remaining(None, 5) is None
