"""Hypothesis strategies shared by the suite."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

# Money as the store holds it: NUMERIC(18, 2), i.e. up to 16 integer digits and cents.
amounts = st.decimals(
    min_value=Decimal("-9999999999999999.99"), max_value=Decimal("9999999999999999.99"),
    places=2, allow_nan=False, allow_infinity=False,
)  # fmt: skip
