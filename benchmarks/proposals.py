"""Robo-allocation proposals per minute: ours (``allocation.propose``: suitability-filtered shelf,
risk budget, cash floor, sector cap, concentration limit, minimum-investment re-solve, rounding,
bilingual rationale) against a plain PyPortfolioOpt ``efficient_risk`` per request on the same
inputs (no limits beyond the volatility cap and the weight bound, no re-solve, no rationale).

Inputs are real demo data: the shelf, exposures and three years of NAVs of a store built by
``fincrm generate`` (e.g. ``var/bench-100k``). Requests cycle through C1..C5, with and without a
30 % cash floor and a 5 % technology cap. Prints proposals per minute, wall time and peak memory
(``ru_maxrss``); target from the issue: >= 10,000 proposals a minute on 2 cores.

    uv run python benchmarks/proposals.py --store var/bench-100k --as-of 2026-11-29 --requests 2000 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np
from pypfopt import EfficientFrontier
from pypfopt.exceptions import OptimizationError

from fincrm.config import Settings
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.portfolio import allocation, service, suitability
from fincrm.portfolio.optimize import expected_returns_and_cov

TARGET_PER_MINUTE = 10_000


def requests(store: Path, on: date, count: int) -> list[allocation.AllocationRequest]:
    settings = Settings(
        _env_file=None, database_url=f"sqlite:///{store / 'fincrm.db'}", lake_path=store / "lake"
    )
    with unit_of_work(session_factory(make_engine(settings.database_url))) as session:
        products = service._products(session)
    nav = service._prices(settings, sorted({p.series for p in products.values() if p.series}), on)
    shelf = [
        p for p in products.values() if p.series in nav.columns and nav[p.series].dropna().shape[0] >= 60
    ]
    mu, cov = expected_returns_and_cov(nav[[p.series for p in shelf]])
    out = []
    for i in range(count):
        level = f"C{i % 5 + 1}"
        investor = suitability.Investor(level=level, valid_until=on)
        candidates = []
        for p in shelf:
            verdict = suitability.check(investor, suitability.Product(p.code, p.kind, p.risk_rating), on)
            candidates.append(allocation.Candidate(
                code=p.code, name=p.name, asset_class=p.asset_class, risk_rating=p.risk_rating,
                min_investment_amount=p.min_investment_amount, eligible=verdict.outcome == "suitable",
                sector="tech" if p.tech_share >= service.SECTOR_SHARE_FOR_TAG else "",
            ))  # fmt: skip
        out.append(allocation.AllocationRequest(
            client_no=f"B{i:06d}", effective_risk=level, invest_amount=float(100_000 * (1 + i % 7)),
            candidates=candidates, mu=mu.to_numpy(), cov=cov.to_numpy(), method="target_risk",
            cash_floor_share=0.3 if i % 3 == 0 else 0.0, cash_floor_reason="renovation" if i % 3 == 0 else "",
            sector_caps={"tech": 0.05} if i % 4 == 0 else {}, sector_cap_reasons={"tech": "aversion"} if i % 4 == 0 else {},
        ))  # fmt: skip
    return out


def reference(request: allocation.AllocationRequest) -> np.ndarray | None:
    """The plain solve; None when PyPortfolioOpt refuses the request (counted and printed)."""
    keep = [i for i, c in enumerate(request.candidates) if c.eligible]
    ef = EfficientFrontier(
        request.mu[keep], request.cov[np.ix_(keep, keep)], weight_bounds=(0, request.max_weight)
    )
    budget = allocation.RISK_BUDGETS[request.effective_risk]
    try:
        return ef.efficient_risk(budget.max_volatility)
    except (ValueError, OptimizationError):  # e.g. a cap below the least volatile portfolio
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="processes proposing in parallel (2 cores: 2)")
    args = parser.parse_args()
    batch = requests(args.store, args.as_of, args.requests)
    started = time.perf_counter()
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            done = pool.map(allocation.propose, batch, chunksize=max(1, len(batch) // (4 * args.workers)))
    else:
        done = [allocation.propose(r) for r in batch]
    ours = time.perf_counter() - started
    started = time.perf_counter()
    refused = sum(reference(r) is None for r in batch)
    ref = time.perf_counter() - started
    per_minute = len(done) / ours * 60
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Proposals: {len(done):,} requests over {len(batch[0].candidates)} shelf products, "
          f"{args.workers} process(es) (pool start-up included), 2 cores")  # fmt: skip
    print()
    print("| part | wall s | per proposal ms | proposals a minute | peak memory | target |")
    print("|---|---|---|---|---|---|")
    verdict = "met" if per_minute >= TARGET_PER_MINUTE else "missed"
    print(f"| ours: allocation.propose, {args.workers} process(es) | {ours:.1f} | {ours / len(batch) * 1000:.1f} | {per_minute:,.0f} | "
          f"{peak:,.0f} MiB | >= {TARGET_PER_MINUTE:,} a minute: {verdict} |")  # fmt: skip
    print(f"| reference: PyPortfolioOpt efficient_risk only | {ref:.1f} | {ref / len(batch) * 1000:.1f} | "
          f"{len(batch) / ref * 60:,.0f} | | ours {ref / ours:.2f}x the reference's speed |")  # fmt: skip
    print(f"\nreference refused {refused} of {len(batch)} requests (no fallback, unlike ours)")


if __name__ == "__main__":
    main()
