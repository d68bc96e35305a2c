"""Named scenarios, custom scenario checks and product look-through."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from fincrm.errors import InputError
from fincrm.portfolio.scenarios import (
    ASSET_CLASSES,
    SCENARIOS,
    Scenario,
    custom_scenario,
    look_through,
    look_through_matrix,
)


class TestScenarios:
    def test_the_five_historical_windows_have_their_dates(self) -> None:
        windows = {k: (s.start, s.end) for k, s in SCENARIOS.items()}
        assert windows == {
            "dotcom": (date(2000, 3, 24), date(2002, 10, 9)),
            "gfc": (date(2007, 10, 9), date(2009, 3, 9)),
            "china_2015": (date(2015, 6, 8), date(2016, 1, 28)),
            "covid": (date(2020, 2, 19), date(2020, 3, 23)),
            "rates_2022": (date(2022, 1, 3), date(2022, 10, 12)),
        }

    def test_every_scenario_is_named_in_both_languages_and_sourced(self) -> None:
        for s in SCENARIOS.values():
            assert s.name_zh and s.name_en and "pprox" in s.source

    def test_every_scenario_shocks_every_asset_class_by_more_than_minus_one(self) -> None:
        for s in SCENARIOS.values():
            assert set(s.shocks) == set(ASSET_CLASSES)
            assert all(-1 < v < 1 for v in s.shocks.values())

    def test_equity_falls_in_every_scenario(self) -> None:
        assert all(s.shocks["equity"] < -0.2 for s in SCENARIOS.values())

    def test_bonds_fall_with_equity_only_in_2022(self) -> None:
        assert SCENARIOS["rates_2022"].shocks["bond"] < -0.1
        assert SCENARIOS["gfc"].shocks["bond"] > 0

    def test_as_dict_is_json_ready(self) -> None:
        d = SCENARIOS["gfc"].as_dict()
        assert d["start"] == "2007-10-09" and d["shocks"]["equity"] == -0.57


class TestCustomScenario:
    def test_valid_scenario_is_built_with_float_shocks(self) -> None:
        s = custom_scenario(
            "taiwan", "台海", "Strait", date(2025, 1, 2), date(2025, 6, 30), {"equity": -1 / 3}
        )
        assert isinstance(s, Scenario)
        assert s.shocks == {"equity": pytest.approx(-0.3333333)}
        assert "nstitution" in s.source

    def test_start_after_end_names_start(self) -> None:
        with pytest.raises(InputError, match="start") as e:
            custom_scenario("k", "中", "en", date(2025, 6, 1), date(2025, 1, 1), {"equity": -0.1})
        assert [f.loc for f in e.value.errors] == [("start",)]

    def test_shock_of_minus_one_or_less_names_the_shock(self) -> None:
        with pytest.raises(InputError, match="shocks:equity") as e:
            custom_scenario("k", "中", "en", date(2025, 1, 1), date(2025, 6, 1), {"equity": -1.0})
        assert e.value.errors[0].loc == ("shocks", "equity")

    def test_unknown_asset_class_lists_the_valid_ones(self) -> None:
        with pytest.raises(InputError, match="crypto") as e:
            custom_scenario("k", "中", "en", date(2025, 1, 1), date(2025, 6, 1), {"crypto": -0.5})
        assert e.value.errors[0].loc == ("shocks", "crypto")
        assert "real_estate" in e.value.errors[0].msg

    def test_every_problem_is_reported_at_once(self) -> None:
        with pytest.raises(InputError) as e:
            custom_scenario("", "", "en", date(2025, 1, 1), date(2025, 1, 1), {"bond": float("nan")})
        locs = {f.loc for f in e.value.errors}
        assert locs == {("key",), ("name_zh",), ("start",), ("shocks", "bond")}

    def test_empty_shocks_are_rejected(self) -> None:
        with pytest.raises(InputError, match="shocks"):
            custom_scenario("k", "中", "en", date(2025, 1, 1), date(2025, 6, 1), {})


class TestLookThrough:
    EXPOSURES = {
        "balanced_fund": {"equity": 0.6, "bond": 0.4},
        "bond_fund": {"bond": 0.9, "cash": 0.1},
        "gold_etf": {"commodity": 1.0},
    }

    def test_asset_class_weights_sum_products_times_exposures(self) -> None:
        out = look_through({"balanced_fund": 0.5, "bond_fund": 0.3, "gold_etf": 0.2}, self.EXPOSURES)
        assert out == pytest.approx({"equity": 0.3, "bond": 0.47, "cash": 0.03, "commodity": 0.2})
        assert sum(out.values()) == pytest.approx(1.0)

    def test_product_without_exposure_record_is_named(self) -> None:
        with pytest.raises(InputError, match="mystery_wmp") as e:
            look_through({"balanced_fund": 0.5, "mystery_wmp": 0.5}, self.EXPOSURES)
        assert e.value.errors[0].loc == ("exposures", "mystery_wmp")

    def test_exposures_not_summing_to_one_are_rejected(self) -> None:
        with pytest.raises(InputError, match="sum to 1"):
            look_through({"x": 1.0}, {"x": {"equity": 0.7, "bond": 0.2}})


class TestLookThroughMatrix:
    def test_matrix_form_equals_the_dict_form_row_by_row(self) -> None:
        products = list(TestLookThrough.EXPOSURES)
        classes = list(ASSET_CLASSES)
        e = np.array([[TestLookThrough.EXPOSURES[p].get(c, 0.0) for c in classes] for p in products])
        w = np.random.default_rng(1).dirichlet(np.ones(len(products)), size=50)
        out = look_through_matrix(w, e)
        assert out.shape == (50, len(classes))
        np.testing.assert_allclose(out.sum(axis=1), 1.0)
        for row, got in zip(w, out, strict=True):
            want = look_through(dict(zip(products, row, strict=True)), TestLookThrough.EXPOSURES)
            assert got == pytest.approx([want.get(c, 0.0) for c in classes], abs=1e-15)

    def test_shapes_that_do_not_fit_are_rejected(self) -> None:
        with pytest.raises(InputError, match="do not fit"):
            look_through_matrix(np.ones((2, 3)), np.eye(2))

    def test_exposure_rows_not_summing_to_one_are_named(self) -> None:
        with pytest.raises(InputError, match=r"\[1\]"):
            look_through_matrix(np.ones((1, 2)) / 2, np.array([[1.0, 0.0], [0.5, 0.4]]))
