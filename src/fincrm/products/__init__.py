"""Products: the shelf (type, risk rating, liquidity, fees, look-through exposures) and market series."""
