"""Compiled (numba) kernels behind the portfolio maths, where numpy is measurably too slow.

Ours rather than a library's: stress-testing a whole book means valuing every client
portfolio on every day of every scenario (1M portfolios x 5 scenarios = 1.38 billion
portfolio-days, ``benchmarks/stress.py``). Measured on this project's 2-core machine,
2026-11-28: the numpy replay (``einsum`` per block, then ``np.maximum.accumulate`` and
``argmin``, kept as ``stress._replay_numpy``) took 9.1-10.7 s, about 7 ns per
portfolio-day, because it writes and rereads the whole (block x T) value matrix several
times; the obvious loop calling ``empyrical.max_drawdown`` per portfolio takes 88-102 s.
`replay_kernel` makes one pass over the days with the running state of a block of
portfolios in L1 cache and SIMD registers, on both cores: 1.0 s warm, 0.75 ns per
portfolio-day, about 10x the numpy replay and 87x the empyrical loop, with identical
figures (``docs/benchmarks.md``).

Conventions are those of `fincrm.portfolio.stress`: float64 throughout, values relative to
the first day, drawdown as the fall from the running peak (a fraction, never positive).
The kernels compile on their first call and cache the machine code in ``__pycache__``.
"""

from __future__ import annotations

import numba
import numpy as np

REPLAY_BLOCK = 256  # portfolios per kernel block: state (5 x 2 KiB) + weights (2 KiB a series) fit L1


@numba.njit(parallel=True, cache=True, fastmath=False)
def replay_kernel(
    rel: np.ndarray,
    weights: np.ndarray,
    block: int,
    total: np.ndarray,
    drawdown: np.ndarray,
    trough: np.ndarray,
) -> None:
    """Buy-and-hold replay of P portfolios along one path, written into the output arrays.

    Blocks of ``block`` portfolios run in parallel. Within a block the loops run over the
    block's portfolios innermost, so they compile to SIMD instructions. The floating-point
    operations are those of the numpy replay in the same order (each day's value summed
    over the series in column order, then divided by the running peak), so the figures
    equal it (bit for bit where measured) and the trough day is the same.

    Parameters
    ----------
    rel
        (T x A) price levels divided by the first day's, so row 0 is all 1.
    weights
        (P x A) initial value per series; every row sums to more than 0.
    block
        Portfolios per block, at least 1.
    total, drawdown, trough
        Length-P outputs: end value / first value - 1, the minimum of value / running peak
        minus 1 (fraction <= 0), and the first day of that minimum (0 if it never falls).
    """
    n_days, n_series = rel.shape
    n_portfolios = weights.shape[0]
    # Series in groups of 4 (zero-padded: adding 0 * 0 leaves a sum unchanged), so each pass
    # over a block adds four series to the sum in registers; the last pass also updates the
    # peak and the minimum, so six series cost two passes over the block's state, not seven.
    width = (n_series + 3) // 4 * 4
    last = width - 4
    relp = np.zeros((n_days, width))
    relp[:, :n_series] = rel
    n_blocks = (n_portfolios + block - 1) // block
    for b in numba.prange(n_blocks):
        lo = b * block
        n = min(block, n_portfolios - lo)
        wb = np.zeros((width, n))  # the block's weights, one contiguous row per series
        for j in range(n):
            for a in range(n_series):
                wb[a, j] = weights[lo + j, a]
        value = np.zeros(n)  # sum over the series of the groups before the last
        first = np.empty(n)
        peak = np.empty(n)
        low = np.ones(n)  # day 0: value / peak is exactly 1
        at = np.zeros(n, dtype=np.int64)
        for t in range(n_days):
            for g in range(0, last, 4):
                r0, r1, r2, r3 = relp[t, g], relp[t, g + 1], relp[t, g + 2], relp[t, g + 3]
                if g == 0:
                    for j in range(n):
                        value[j] = wb[0, j] * r0 + wb[1, j] * r1 + wb[2, j] * r2 + wb[3, j] * r3
                else:
                    for j in range(n):
                        value[j] = (
                            value[j]
                            + wb[g, j] * r0
                            + wb[g + 1, j] * r1
                            + wb[g + 2, j] * r2
                            + wb[g + 3, j] * r3
                        )
            r0, r1, r2, r3 = relp[t, last], relp[t, last + 1], relp[t, last + 2], relp[t, last + 3]
            if t == 0:
                for j in range(n):
                    v = value[j] + wb[last, j] * r0 if last else wb[last, j] * r0
                    v = v + wb[last + 1, j] * r1 + wb[last + 2, j] * r2 + wb[last + 3, j] * r3
                    first[j] = v
                    peak[j] = v
                    value[j] = v
            else:
                for j in range(n):
                    v = value[j] + wb[last, j] * r0 if last else wb[last, j] * r0
                    v = v + wb[last + 1, j] * r1 + wb[last + 2, j] * r2 + wb[last + 3, j] * r3
                    value[j] = v
                    p = peak[j]
                    p = v if v > p else p
                    peak[j] = p
                    ratio = v / p
                    lower = ratio < low[j]  # strict: the first day of the minimum wins
                    low[j] = ratio if lower else low[j]
                    at[j] = t if lower else at[j]
        for j in range(n):
            total[lo + j] = value[j] / first[j] - 1.0
            drawdown[lo + j] = low[j] - 1.0
            trough[lo + j] = at[j]
