"""RFM cells, tiers, interval maths and the benefit catalogue: pure rules, no engine."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy.stats import norm

from fincrm.errors import InputError
from fincrm.intelligence.benefits import load_benefits
from fincrm.intelligence.domain import CELLS, NO_ASSETS, cell_of, ratio_interval, tier_of, wilson_interval

Z = norm.ppf(0.975)


class TestCells:
    def test_the_cube_of_high_and_low_scores_has_one_cell_each(self) -> None:
        combos = {(c.r_high, c.f_high, c.m_high) for c in CELLS}
        assert len(CELLS) == len(combos) == 8
        assert len({c.key for c in CELLS}) == 8

    def test_named_cells_sit_where_the_definitions_say(self) -> None:
        assert cell_of(1, 5, 5) == "long_term_loyal"  # illiquid, long holding
        assert cell_of(5, 1, 1) == "liquidity_parker"  # liquid, short holding
        assert cell_of(2, 2, 5) == "performance_chaser"  # short holding, high M

    def test_three_is_high_and_two_is_low(self) -> None:
        assert cell_of(3, 3, 3) == "stable_core"
        assert cell_of(2, 2, 2) == "struggling_newcomer"

    def test_unscored_clients_have_no_assets(self) -> None:
        assert cell_of(None, 3, 3) == NO_ASSETS

    def test_every_cell_is_named_in_both_languages(self) -> None:
        for c in CELLS:
            assert c.name_zh and c.name_en and c.description


class TestTierOf:
    def test_thresholds_are_inclusive(self) -> None:
        assert tier_of(6_000_000, hnw_min=6_000_000, mass_min=50_000) == "hnw"
        assert tier_of(5_999_999.99, hnw_min=6_000_000, mass_min=50_000) == "mass"
        assert tier_of(50_000, hnw_min=6_000_000, mass_min=50_000) == "mass"
        assert tier_of(0, hnw_min=6_000_000, mass_min=50_000) == "long_tail"

    def test_thresholds_out_of_order_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="mass_min < hnw_min"):
            tier_of(1, hnw_min=10, mass_min=10)


class TestWilsonInterval:
    def test_matches_the_closed_form(self) -> None:
        # 3/10: centre (0.3 + z^2/20) / (1 + z^2/10), half z/(1 + z^2/10) sqrt(0.021 + z^2/400)
        d = 1 + Z**2 / 10
        centre, half = (0.3 + Z**2 / 20) / d, Z / d * math.sqrt(0.3 * 0.7 / 10 + Z**2 / 400)
        assert wilson_interval(3, 10) == pytest.approx((centre - half, centre + half))
        # published value for 3/10: 0.1078 to 0.6032
        assert wilson_interval(3, 10) == pytest.approx((0.1078, 0.6032), abs=5e-5)

    def test_zero_and_all_successes_stay_inside_0_1(self) -> None:
        low, high = wilson_interval(0, 20)
        assert low == 0.0 and 0 < high < 0.2
        low, high = wilson_interval(20, 20)
        assert 0.8 < low < 1 and high == 1.0

    def test_no_trials_give_nan(self) -> None:
        assert all(math.isnan(x) for x in wilson_interval(0, 0))

    def test_wider_at_higher_confidence(self) -> None:
        assert wilson_interval(5, 10, 0.99)[0] < wilson_interval(5, 10)[0]

    def test_impossible_counts_are_rejected(self) -> None:
        with pytest.raises(ValueError):
            wilson_interval(11, 10)


class TestRatioInterval:
    def test_katz_log_interval(self) -> None:
        se = math.sqrt(1 / 20 - 1 / 50 + 1 / 30 - 1 / 150)
        ratio, low, high = ratio_interval(20, 50, 30, 150)
        assert ratio == pytest.approx(2.0)
        assert (low, high) == pytest.approx((2 * math.exp(-Z * se), 2 * math.exp(Z * se)))
        assert math.sqrt(low * high) == pytest.approx(ratio)  # symmetric on the log scale

    def test_equal_rates_give_an_interval_around_one(self) -> None:
        ratio, low, high = ratio_interval(10, 100, 100, 1000)
        assert ratio == pytest.approx(1.0) and low < 1 < high

    def test_zero_counts_leave_the_bounds_undefined(self) -> None:
        ratio, low, high = ratio_interval(0, 10, 5, 50)
        assert ratio == 0.0 and math.isnan(low) and math.isnan(high)
        assert all(math.isnan(x) for x in ratio_interval(1, 10, 0, 50))


class TestLoadBenefits:
    def test_built_in_catalogue_covers_every_tier_in_both_languages(self) -> None:
        catalogue = load_benefits()
        assert list(catalogue) == ["hnw", "mass", "long_tail"]
        assert "private_fund_allocation" in [b.key for b in catalogue["hnw"]]
        assert "digital_self_service" in [b.key for b in catalogue["long_tail"]]
        for benefits in catalogue.values():
            assert benefits and all(b.name_zh and b.name_en for b in benefits)

    def test_problems_name_file_line_and_field(self, tmp_path: Path) -> None:
        path = tmp_path / "benefits.yaml"
        path.write_text(
            "hnw:\n"
            "  - key: a\n"
            "    name_zh: 甲\n"
            "    name_en: ''\n"
            "    description_zh: x\n"
            "    description_en: x\n"
            "mass: []\n"
            "platinum: []\n",
            encoding="utf-8",
        )
        with pytest.raises(InputError) as raised:
            load_benefits(path)
        locs = {e.loc for e in raised.value.errors}
        assert (str(path), 4, "name_en") in locs
        assert (str(path), 8, "tier") in locs
        assert (str(path), 1, "long_tail") in locs
        assert str(path) in str(raised.value)

    def test_missing_fields_and_duplicate_keys_are_reported(self, tmp_path: Path) -> None:
        path = tmp_path / "benefits.yaml"
        entry = "  - {key: a, name_zh: 甲, name_en: A, description_zh: x, description_en: x}\n"
        path.write_text(f"hnw:\n{entry}mass:\n{entry}long_tail:\n  - {{key: b}}\n", encoding="utf-8")
        with pytest.raises(InputError) as raised:
            load_benefits(path)
        messages = {(e.loc[1], e.loc[2], e.msg) for e in raised.value.errors}
        assert (4, "key", "duplicate benefit key") in messages
        assert (6, "name_zh", "field missing") in messages

    def test_not_yaml_or_missing_file_is_an_input_error(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.yaml"
        bad.write_text("hnw: [\n", encoding="utf-8")
        with pytest.raises(InputError, match="not valid YAML"):
            load_benefits(bad)
        with pytest.raises(InputError, match="cannot read"):
            load_benefits(tmp_path / "nope.yaml")
