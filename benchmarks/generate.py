"""Benchmark of the demo generator against a per-record Faker reference, in one process.

Runs ``generate_institution`` for ``--clients`` parties into a fresh SQLite store and lake in a
temporary folder and prints wall time, rows per second and peak memory (``ru_maxrss``).

The reference is the obvious alternative for the part both can do, client identities: one Faker
zh_CN call per field per record (name, national ID, phone, e-mail, address, employer, birth
date), timed on a sample and extrapolated, against the generator's vectorised identity stage
(skeleton, national IDs, phones, e-mails, addresses) for all clients. Their ratio is printed, and
also the whole generation against the reference, though it writes far more than identities.

    uv run python benchmarks/generate.py --clients 100000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fincrm.config import Settings
from fincrm.db import migrate
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.demo import generate_institution
from fincrm.lake.store import Lake

REFERENCE_SAMPLE = 5_000  # client records generated per record with Faker, then extrapolated


def peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def faker_reference(n: int) -> float:
    """Seconds per client record for the per-record Faker approach (identity fields only)."""
    from faker import Faker

    fake = Faker("zh_CN")
    Faker.seed(42)
    started = time.perf_counter()
    records = []
    for _ in range(n):
        records.append(
            {
                "name": fake.name(),
                "national_id": fake.ssn(),
                "phone": fake.phone_number(),
                "email": fake.email(),
                "address": fake.address(),
                "employer": fake.company(),
                "birth_on": fake.date_of_birth(minimum_age=18, maximum_age=85),
            }
        )
    return (time.perf_counter() - started) / n


def vectorised_identities(n: int, seed: int, as_of: date) -> float:
    """Seconds for the generator's identity stage for ``n`` clients (what the reference produces)."""
    import numpy as np

    from fincrm.demo.book import build_skeleton
    from fincrm.demo.market import make_calendar
    from fincrm.demo.parties import addresses, build_identity, emails

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    skeleton, _ = build_skeleton(rng, n, make_calendar(as_of))
    build_identity(rng, skeleton)
    everyone = np.arange(n)
    skeleton.names.full().to_pylist()
    emails(rng, skeleton, everyone).to_pylist()
    addresses(rng, skeleton, everyone).to_pylist()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 27))
    parser.add_argument("--keep", action="store_true", help="keep the generated store and lake")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="fincrm-bench-"))
    engine = make_engine(f"sqlite:///{root / 'fincrm.db'}")
    migrate.upgrade(engine)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages[stage] = time.perf_counter() - started

    with unit_of_work(session_factory(engine)) as session:
        result = generate_institution(
            session,
            Lake(root / "lake"),
            clients=args.clients,
            seed=args.seed,
            as_of=args.as_of,
            pii_key=Settings().pii_key_bytes,
            answers_path=root / "demo-answers.json",
            progress=progress,
        )
    wall = time.perf_counter() - started
    engine.dispose()
    store_rows = sum(result.store_rows.values())
    lake_rows = sum(result.lake_rows.values())
    rows = store_rows + lake_rows

    per_record = faker_reference(min(REFERENCE_SAMPLE, args.clients))
    reference = per_record * args.clients
    identities = vectorised_identities(args.clients, args.seed, args.as_of)

    print(f"clients            {args.clients:>14,}")
    print(f"store rows         {store_rows:>14,}")
    print(f"lake rows          {lake_rows:>14,}  (transactions {result.lake_rows['transactions']:,})")
    print(
        f"wall time          {wall:>14.1f} s   (prepare {stages.get('prepare', 0):.1f} s, "
        f"clients done {stages.get('clients', 0):.1f} s, lake done {stages.get('lake', 0):.1f} s)"
    )
    print(f"throughput         {rows / wall:>14,.0f} rows/s")
    print(f"peak memory        {peak_rss_mib():>14,.0f} MiB (ru_maxrss)")
    print(
        f"reference          {reference:>14.1f} s   per-record Faker zh_CN identities "
        f"({per_record * 1e6:.0f} µs/client, timed on {min(REFERENCE_SAMPLE, args.clients):,})"
    )
    print(f"ours, identities   {identities:>14.1f} s   vectorised identity stage for all clients")
    print(f"ratio              {reference / identities:>14.1f} x  faster on identities (reference / ours)")
    print(
        f"whole generation   {wall / reference:>14.1f} x  the reference's time, for the full book and history"
    )
    if args.keep:
        print(f"kept in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
