"""Money as Decimal with a currency; never float.

Amounts are stored as NUMERIC(18, 2) in the store and decimal128(18, 2) in the lake. Units of a
fund or product are NUMERIC(20, 6). Rates carry ``_pct`` (percent, e.g. 1.5 means 1.5 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")  # currency minor unit used for CNY, USD, EUR, CZK amounts
MAX_AMOUNT = Decimal("9999999999999999.99")  # largest value NUMERIC(18, 2) holds


def to_amount(value: str | int | Decimal) -> Decimal:
    """Parse a money amount exactly and round to cents (banker's rounding).

    Floats are refused: a float has already lost the exact decimal value.

    Examples
    --------
    >>> to_amount("1234.565")
    Decimal('1234.56')
    >>> to_amount(" -7 ")
    Decimal('-7.00')
    """
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    if abs(amount) > MAX_AMOUNT + 1:  # checked before quantize, which fails on huge exponents
        raise ValueError(f"amount {value!r} exceeds 16 integer digits")
    amount = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"amount {value!r} exceeds 16 integer digits")
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency.

    Examples
    --------
    >>> Money(to_amount("10.10"), "CNY") + Money(to_amount("0.90"), "CNY")
    Money(amount=Decimal('11.00'), currency='CNY')
    """

    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


def format_wan(amount: Decimal) -> str:
    """Format a CNY amount the way a Chinese reader scans it: 万 (1e4) and 亿 (1e8).

    Examples
    --------
    >>> format_wan(Decimal("61234567.89"))
    '6123.46万'
    >>> format_wan(Decimal("312000000"))
    '3.12亿'
    >>> format_wan(Decimal("850"))
    '850.00'
    """
    value = abs(amount)
    sign = "-" if amount < 0 else ""
    if value >= Decimal("100000000"):
        return f"{sign}{(value / Decimal('100000000')).quantize(CENT)}亿"
    if value >= Decimal("10000"):
        return f"{sign}{(value / Decimal('10000')).quantize(CENT)}万"
    return f"{sign}{value.quantize(CENT)}"
