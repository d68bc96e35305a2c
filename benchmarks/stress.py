"""Stress a whole book: every client portfolio through every named scenario, ours against a loop.

Builds ``--portfolios`` random long-only weight vectors over the six asset classes (seeded
Dirichlet(1, ..., 1)), the daily path of each asset class in each of the five scenarios of
``fincrm.portfolio.scenarios.SCENARIOS`` (equity replays the real S&P 500 from ``arch`` where
its data, 1999-2018, cover the window; every other class and window is stylised; the table
says which), then:

* ours: ``fincrm.portfolio.stress.replay`` on all portfolios and scenarios, i.e. the numba
  kernel ``fincrm.portfolio.kernels.replay_kernel`` (blocks of portfolios in parallel on
  every core, SIMD over the portfolios of a block, one pass over the days). The kernel is
  loaded (or compiled, on the very first run) by a call on a tiny input before the clock
  starts, so the time is the warm figure; the table gives the warm-up time separately;
* reference: the obvious loop, one portfolio at a time: value the portfolio on each day, take
  its daily returns and call ``empyrical.max_drawdown``; timed on ``--sample`` portfolios and
  extrapolated linearly to ``--portfolios`` (the table says so).

Checks that ours equals the reference on the sample (max absolute difference of the drawdown)
and prints a markdown table with the targets from the issue next to the figures: <= 10 s on
2 cores for 1M portfolios x 5 scenarios, >= 50x the loop. Peak memory is ``ru_maxrss`` of
this process (KiB on Linux), which includes the reference run and the 1M x 6 weights.
``--numpy`` also times the previous numpy replay (``stress._replay_numpy``) for comparison.

    uv run python benchmarks/stress.py --portfolios 1000000
    uv run python benchmarks/stress.py --portfolios 100000 --sample 500
"""

from __future__ import annotations

import argparse
import resource
import time

import empyrical
import numpy as np
import pandas as pd
from arch.data import sp500

from fincrm.portfolio.scenarios import ASSET_CLASSES, SCENARIOS
from fincrm.portfolio.stress import _replay_numpy, replay, scenario_paths

TARGET_SECONDS = 10.0  # wall seconds for 1M portfolios x 5 scenarios on 2 cores
TARGET_RATIO = 50.0  # reference time / our time


def _reference(paths: np.ndarray, weights: np.ndarray) -> np.ndarray:
    rel = paths / paths[0]
    out = np.empty(len(weights))
    for i, w in enumerate(weights):
        value = rel @ w
        out[i] = empyrical.max_drawdown(value[1:] / value[:-1] - 1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portfolios", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="portfolios timed in the reference loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-size", type=int, default=None, help="portfolios per kernel block")
    parser.add_argument("--numpy", action="store_true", help="also time the previous numpy replay")
    args = parser.parse_args()

    prices = sp500.load()[["Adj Close"]].rename(columns={"Adj Close": "spx"})
    series_for_class = {c: ("spx" if c == "equity" else None) for c in ASSET_CLASSES}
    scenarios = []
    for s in SCENARIOS.values():
        paths, classes, methods = scenario_paths(prices, s, series_for_class)
        assert classes == list(ASSET_CLASSES)
        scenarios.append((s, paths, methods))

    rng = np.random.default_rng(args.seed)
    weights = rng.dirichlet(np.ones(len(ASSET_CLASSES)), size=args.portfolios)
    sample = weights[: min(args.sample, args.portfolios)]

    print("| scenario | window | trading days | equity | other classes |")
    print("|---|---|---:|---|---|")
    for s, paths, methods in scenarios:
        others = sorted({m for c, m in methods.items() if c != "equity"})
        print(
            f"| {s.key} | {s.start} .. {s.end} | {len(paths)} | {methods['equity']}"
            f"{' (S&P 500, arch)' if methods['equity'] == 'replay' else ''} | {', '.join(others)} |"
        )
    print()

    t0 = time.perf_counter()
    replay(scenarios[0][1][:3], weights[:2])  # load (first run: compile) the kernel untimed
    warmup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours = [replay(paths, weights, chunk_size=args.chunk_size) for _, paths, _ in scenarios]
    ours_s = time.perf_counter() - t0
    portfolio_days = args.portfolios * sum(len(p) for _, p, _ in scenarios)

    numpy_s = numpy_diff = None
    if args.numpy:
        t0 = time.perf_counter()
        previous = [_replay_numpy(paths, weights) for _, paths, _ in scenarios]
        numpy_s = time.perf_counter() - t0
        numpy_diff = max(
            float(np.abs(r[k] - q[k]).max())
            for r, q in zip(ours, previous, strict=True)
            for k in ("total_return", "max_drawdown")
        )
        assert all(
            np.array_equal(r["trough_index"], q["trough_index"]) for r, q in zip(ours, previous, strict=True)
        ), "trough days differ from the numpy replay"
        del previous

    t0 = time.perf_counter()
    reference = [_reference(paths, sample) for _, paths, _ in scenarios]
    sample_s = time.perf_counter() - t0
    reference_s = sample_s * args.portfolios / len(sample)

    diff = max(
        float(np.abs(r["max_drawdown"][: len(sample)] - ref).max())
        for r, ref in zip(ours, reference, strict=True)
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = reference_s / ours_s
    worst = pd.Series(
        {s.key: float(r["max_drawdown"].min()) for (s, _, _), r in zip(scenarios, ours, strict=True)}
    )
    median = pd.Series(
        {s.key: float(np.median(r["max_drawdown"])) for (s, _, _), r in zip(scenarios, ours, strict=True)}
    )

    print("| figure | value | target |")
    print("|---|---:|---|")
    print(f"| portfolios | {args.portfolios:,} | 1,000,000 |")
    print(f"| scenarios | {len(scenarios)} | 5 |")
    print(f"| portfolio-days replayed | {portfolio_days:,} | |")
    print(f"| kernel warm-up before timing (s, load or compile) | {warmup_s:.2f} | |")
    print(
        f"| wall time ours (s, warm) | {ours_s:.2f} | <= {TARGET_SECONDS:.0f} on 2 cores: {_ok(ours_s <= TARGET_SECONDS)} |"
    )
    print(f"| ours per portfolio-day (ns) | {ours_s / portfolio_days * 1e9:.2f} | |")
    if numpy_s is not None:
        print(
            f"| previous numpy replay (s; ns per portfolio-day) "
            f"| {numpy_s:.2f}; {numpy_s / portfolio_days * 1e9:.2f} | |"
        )
        print(
            f"| max abs diff vs numpy replay (return, drawdown; trough days equal) | {numpy_diff:.1e} | <= 1e-12 |"
        )
    print(
        f"| wall time reference (s, extrapolated from {len(sample):,} portfolios: {sample_s:.2f} s) "
        f"| {reference_s:,.0f} | |"
    )
    print(
        f"| ratio reference / ours | {ratio:,.0f}x | >= {TARGET_RATIO:.0f}x: {_ok(ratio >= TARGET_RATIO)} |"
    )
    print(f"| peak memory (MiB, ru_maxrss) | {peak_mib:,.0f} | |")
    print(
        f"| max abs diff of max drawdown vs empyrical (sample) | {diff:.1e} | <= 1e-12: {_ok(diff <= 1e-12)} |"
    )
    print()
    print("median / worst max drawdown per scenario:")
    print(pd.DataFrame({"median": median, "worst": worst}).round(4).to_string())


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
