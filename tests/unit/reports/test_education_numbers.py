"""The pure numbers of the risk-education pages."""

from __future__ import annotations

import pandas as pd
import pytest

from fincrm.errors import InputError
from fincrm.reports import education


class TestGainToRecover:
    @pytest.mark.parametrize(("fall", "gain"), [(-0.10, 0.1111), (-0.20, 0.25), (-0.50, 1.0), (0.0, 0.0)])
    def test_the_textbook_values(self, fall, gain) -> None:
        assert round(education.gain_to_recover(fall), 4) == gain

    def test_a_total_loss_cannot_be_recovered(self) -> None:
        with pytest.raises(InputError):
            education.gain_to_recover(-1.0)


class TestLeverage:
    def test_a_33_percent_fall_at_3x_takes_99_percent(self) -> None:
        prices = pd.Series([100.0] * 300 + [67.0], index=pd.bdate_range("2024-01-01", periods=301))
        n = education.leverage_numbers(prices)
        assert round(n.ends[3], 2) == -0.99 and round(n.ends[1], 2) == -0.33
        assert n.big_fall_loss == pytest.approx(-0.99)

    def test_a_wiped_out_stake_stays_at_zero(self) -> None:
        path = education.leveraged_path(pd.Series([100.0, 60.0, 150.0]), 3)
        assert path.tolist() == [1.0, 0.0, 0.0]


class TestDrawdown:
    def test_recovery_counts_trading_days_from_trough_to_the_old_peak(self) -> None:
        idx = pd.bdate_range("2024-01-01", periods=6)
        n = education.drawdown_numbers(pd.Series([100.0, 110.0, 55.0, 80.0, 111.0, 90.0], index=idx))
        assert n.depth == -0.5 and n.recovery_trading_days == 2
        assert n.gains[-1] == (-0.5, 1.0)

    def test_not_yet_recovered_is_none(self) -> None:
        idx = pd.bdate_range("2024-01-01", periods=3)
        n = education.drawdown_numbers(pd.Series([100.0, 80.0, 90.0], index=idx))
        assert n.recovery_trading_days is None and round(n.current, 2) == -0.1
