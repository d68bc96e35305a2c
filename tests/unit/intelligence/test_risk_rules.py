from __future__ import annotations

import numpy as np
import pytest

from fincrm.intelligence import attrition_rules, risk_rules


class TestLevelNumber:
    def test_level_code_becomes_its_number(self) -> None:
        assert [risk_rules.level_number(code) for code in risk_rules.LEVELS] == [1, 2, 3, 4, 5]

    def test_unknown_level_is_rejected_listing_the_choices(self) -> None:
        with pytest.raises(ValueError, match="C1, C2, C3, C4, C5"):
            risk_rules.level_number("R3")


class TestPanicPoints:
    def test_selling_everything_in_a_drawdown_earns_three_points(self) -> None:
        assert risk_rules.panic_points(1.0, 0, False) == 3

    def test_calls_and_losses_add_one_point_each(self) -> None:
        assert risk_rules.panic_points(0.3, 2, True) == 4
        assert risk_rules.panic_points(0.0, 0, False) == 0


class TestBehaviouralLevel:
    def test_c4_client_who_panicked_behaves_like_c2(self) -> None:
        assert risk_rules.behavioural_level(4, 3, exposed=True) == 2

    def test_behaviour_never_raises_the_stated_level(self) -> None:
        assert risk_rules.behavioural_level(1, 1, exposed=True) == 1

    def test_unexposed_client_keeps_the_stated_level(self) -> None:
        assert risk_rules.behavioural_level(5, 4, exposed=False) == 5
        assert risk_rules.behavioural_level(None, 0, exposed=False) is None


class TestAttritionReasons:
    def test_largest_contributors_are_named_first_up_to_the_limit(self) -> None:
        row = np.array([[0.5, 2.0, 1.0, 0.3, 0.0, 0.0, 0.0]])
        assert attrition_rules.reasons(row) == ["outflow_trend,inactivity,salary_stopped"]

    def test_weak_signal_still_names_the_strongest_push_and_none_names_nothing(self) -> None:
        rows = np.array([[0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0], [-0.1] * 7])
        assert attrition_rules.reasons(rows) == ["inactivity", ""]
