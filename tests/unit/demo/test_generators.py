"""Pure generators of the demo: calendar and market, identities, the wealth curve, card numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from fincrm.clients.domain import national_id_problem, uscc_problem
from fincrm.demo.accounts import installment, luhn_complete
from fincrm.demo.book import TOP_AUM_SHARE, _aum_curve, build_skeleton, plan_units
from fincrm.demo.columns import amounts, group_rank, units, ymd_int
from fincrm.demo.market import from_epoch, history_start, make_calendar, simulate_market
from fincrm.demo.parties import build_identity

AS_OF = date(2026, 11, 27)


class TestCalendar:
    def test_three_years_ending_on_as_of(self):
        cal = make_calendar(AS_OF)
        assert cal.start == date(2023, 11, 28)
        assert from_epoch(cal.days[-1]) == AS_OF
        assert history_start(date(2028, 2, 29)) == date(2025, 2, 28) + (date(2025, 3, 1) - date(2025, 2, 28))

    def test_trading_days_skip_weekends_and_holidays(self):
        cal = make_calendar(AS_OF)
        weekdays = (cal.bdays + 3) % 7
        assert (weekdays < 5).all()
        closed = {from_epoch(d) for d in cal.days} - {from_epoch(d) for d in cal.bdays}
        assert date(2025, 10, 1) in closed and date(2025, 1, 29) in closed  # National Day, Spring Festival


class TestMarket:
    @pytest.mark.parametrize("seed", range(6))
    def test_every_seed_has_the_crisis_and_the_recent_shock(self, seed):
        market = simulate_market(np.random.default_rng(seed), make_calendar(AS_OF))
        csi300 = market.index_levels[0]
        drawdown = 1 - csi300 / np.maximum.accumulate(csi300)
        assert drawdown.max() > 0.30
        assert 0.34 <= market.crisis_drawdown <= 0.42
        assert 0.065 <= 1 - csi300[-1] / csi300[-6] <= 0.075
        assert np.isfinite(market.navs[~np.isnan(market.navs[:, 0])]).all()
        assert (market.navs[~np.isnan(market.navs[:, 0])] > 0).all()

    def test_same_seed_same_prices(self):
        a = simulate_market(np.random.default_rng(3), make_calendar(AS_OF))
        b = simulate_market(np.random.default_rng(3), make_calendar(AS_OF))
        assert np.array_equal(a.index_levels, b.index_levels) and np.array_equal(
            a.navs, b.navs, equal_nan=True
        )


class TestBook:
    def test_units_add_up_to_the_requested_parties(self):
        for n in (50, 999, 20_000):
            kinds, sizes = plan_units(np.random.default_rng(n), n)
            assert sizes.sum() == n

    def test_wealth_curve_puts_eighty_percent_with_the_top_two(self):
        curve = _aum_curve(10_000)
        assert np.all(np.diff(curve[:9800]) >= 0)
        assert abs(curve[-200:].sum() / curve.sum() - TOP_AUM_SHARE) < 1e-9

    def test_identities_are_valid_and_unique(self):
        cal = make_calendar(AS_OF)
        sk, _ = build_skeleton(np.random.default_rng(5), 3000, cal)
        ident = build_identity(np.random.default_rng(6), sk)
        ids = ident.national_id.to_pylist()
        for k, value in enumerate(ids):
            if sk.corporate[k]:
                assert value is None
            else:
                assert national_id_problem(value, from_epoch(sk.birth_day[k])) is None
                assert (int(value[16]) % 2 == 1) == (not sk.female[k])  # odd sequence digit for men
        assert len(set(filter(None, ids))) == int((~sk.corporate).sum())
        assert all(uscc_problem(code) is None for code in ident.uscc.values())
        assert len(set(ident.uscc.values())) == len(ident.uscc)


class TestColumns:
    def test_decimals_are_exact_from_integers(self):
        assert amounts(np.array([123456789012345, -1])).to_pylist()[1] == __import__("decimal").Decimal(
            "-0.01"
        )
        assert str(units(np.array([1])).to_pylist()[0]) == "0.000001"

    def test_dates_and_ranks(self):
        assert ymd_int(np.array([0, 19782])).tolist() == [19700101, 20240229]
        assert group_rank(np.array([4, 4, 5, 6, 6, 6])).tolist() == [0, 1, 0, 0, 1, 2]


class TestCards:
    def test_card_numbers_pass_luhn(self):
        numbers = luhn_complete(np.array([62179900000000001, 62179900000000002]), 18)
        for number in numbers.tolist():
            digits = [int(d) for d in str(number)][::-1]
            total = sum(
                d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
            )
            assert total % 10 == 0

    def test_installment_is_the_annuity_payment(self):
        assert round(float(installment(np.array([1_000_000.0]), 3.6, np.array([360]))[0]), 2) == 4546.45
