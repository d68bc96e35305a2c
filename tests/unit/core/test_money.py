from decimal import Decimal

import pytest
from hypothesis import given

from fincrm.core.money import Money, format_wan, to_amount
from tests.strategies import amounts


class TestToAmount:
    @given(amounts)
    def test_string_round_trip_is_exact(self, value: Decimal) -> None:
        assert to_amount(str(value)) == value

    def test_refuses_floats(self) -> None:
        with pytest.raises(TypeError, match="float"):
            to_amount(0.1)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", "1e30"])
    def test_rejects_non_amounts(self, bad: str) -> None:
        with pytest.raises(ValueError):
            to_amount(bad)

    def test_rounds_half_to_even(self) -> None:
        assert to_amount("0.125") == Decimal("0.12")
        assert to_amount("0.135") == Decimal("0.14")


class TestMoney:
    def test_refuses_mixed_currencies(self) -> None:
        with pytest.raises(ValueError, match="cannot add"):
            Money(Decimal(1), "CNY") + Money(Decimal(1), "USD")


class TestFormatWan:
    @pytest.mark.parametrize(
        ("amount", "text"),
        [("9999.99", "9999.99"), ("10000", "1.00万"), ("-25000", "-2.50万"), ("100000000", "1.00亿")],
    )
    def test_thresholds(self, amount: str, text: str) -> None:
        assert format_wan(Decimal(amount)) == text
