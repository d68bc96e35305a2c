"""Validated import of a transactions-sized CSV: fincrm's importer against a plain pandas reference.

Generates a transactions CSV (1,000,000 rows by default, written with pyarrow), a store holding
the accounts and parties it refers to, and then, in this one process:

1. ours: ``fincrm.ingest.service.import_file`` into a temporary lake (read, detect encoding,
   validate every value, check keys and references, write the versioned Parquet dataset);
2. reference: pandas ``read_csv`` and the same checks done the obvious way (regular expressions,
   ``to_datetime``, ``Decimal`` per amount, ``isin``, ``duplicated``), then one Parquet file.

Prints rows per second, wall time, the process's peak memory after each step
(``ru_maxrss``, cumulative: the reference runs second) and the ratio. Target: 50,000 validated
rows per second or more for ours.

    uv run python benchmarks/import_transactions.py [--rows 1000000] [--accounts 20000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.db import migrate
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.ingest.service import import_file
from fincrm.lake.schemas import COUNTERPARTY_CATEGORIES, TRANSACTION_CHANNELS, TRANSACTION_KINDS
from fincrm.lake.store import Lake

SEED = 20_260_105
START = np.datetime64("2024-01-01T00:00:00")
SPAN_SECONDS = 2 * 365 * 86_400  # transactions spread over two years (24 monthly partitions)


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_masters(folder: Path, accounts: int) -> tuple[Path, Path, Path]:
    """CSV files for branches-free parties, accounts and their owner links."""
    parties = folder / "parties.csv"
    parties.write_text(
        "party_no,kind,name\n" + "".join(f"P{i:07d},individual,Client {i}\n" for i in range(accounts)),
        encoding="utf-8",
    )
    account_file = folder / "accounts.csv"
    account_file.write_text(
        "account_no,kind,currency,opened_on\n"
        + "".join(f"A{i:09d},current,CNY,2020-01-01\n" for i in range(accounts)),
        encoding="utf-8",
    )
    links = folder / "account_parties.csv"
    links.write_text(
        "account_no,party_no,role\n" + "".join(f"A{i:09d},P{i:07d},owner\n" for i in range(accounts)),
        encoding="utf-8",
    )
    return parties, account_file, links


def make_transactions(path: Path, rows: int, accounts: int) -> None:
    """A transactions CSV in fincrm's documented format, naive timestamps in business time."""
    rng = np.random.default_rng(SEED)
    owner = rng.integers(0, accounts, rows)
    seconds = rng.integers(0, SPAN_SECONDS, rows)
    booked = (START + seconds.astype("timedelta64[s]")).astype("datetime64[s]")
    cents = rng.integers(-5_000_000, 5_000_000, rows)
    amount = pa.array([f"{c / 100:.2f}" for c in cents.tolist()]) if rows <= 10_000 else None
    if amount is None:  # format cents as text without a Python loop
        sign = np.where(cents < 0, "-", "")
        whole, frac = np.divmod(np.abs(cents), 100)
        amount = pa.array(
            np.char.add(
                np.char.add(np.char.add(sign, whole.astype(str)), "."), np.char.zfill(frac.astype(str), 2)
            )
        )
    table = pa.table(
        {
            "txn_id": pa.array(np.char.add("T", np.arange(rows).astype(str))),
            "account_no": pa.array(np.char.add("A", np.char.zfill(owner.astype(str), 9))),
            "party_no": pa.array(np.char.add("P", np.char.zfill(owner.astype(str), 7))),
            "booked_at": pa.array(np.datetime_as_string(booked, unit="s")).cast(pa.string()),
            "kind": pa.array(np.array(TRANSACTION_KINDS)[rng.integers(0, len(TRANSACTION_KINDS), rows)]),
            "amount": amount,
            "currency": pa.array(np.full(rows, "CNY")),
            "product_code": pa.nulls(rows, pa.string()),
            "units": pa.nulls(rows, pa.string()),
            "channel": pa.array(
                np.array(TRANSACTION_CHANNELS)[rng.integers(0, len(TRANSACTION_CHANNELS), rows)]
            ),
            "counterparty_category": pa.array(
                np.array(COUNTERPARTY_CATEGORIES)[rng.integers(0, len(COUNTERPARTY_CATEGORIES), rows)]
            ),
            "counterparty": pa.array(
                np.char.add("Merchant, branch ", rng.integers(0, 5_000, rows).astype(str))
            ),
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def pandas_reference(path: Path, out: Path, accounts: set[str], parties: set[str]) -> int:
    """Read and validate the obvious way with pandas; returns the number of bad rows."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    bad = pd.Series(False, index=df.index)
    for column in ("txn_id", "account_no", "party_no", "booked_at", "kind", "amount", "currency", "channel"):
        bad |= df[column].isna()
    bad |= df["txn_id"].str.len() > 64
    bad |= ~df["kind"].isin(TRANSACTION_KINDS)
    bad |= ~df["channel"].isin(TRANSACTION_CHANNELS)
    bad |= df["counterparty_category"].notna() & ~df["counterparty_category"].isin(COUNTERPARTY_CATEGORIES)
    bad |= ~df["currency"].str.fullmatch(r"[A-Z]{3}", na=False)
    booked = pd.to_datetime(df["booked_at"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
    bad |= booked.isna()
    df["booked_at"] = booked.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")

    def to_amount(text: str) -> Decimal | None:
        try:
            value = Decimal(text)
        except (InvalidOperation, TypeError):
            return None
        return value if value == value.quantize(Decimal("0.01")) else None

    df["amount"] = df["amount"].map(to_amount)
    bad |= df["amount"].isna()
    bad |= df["txn_id"].duplicated(keep=False)
    bad |= ~df["account_no"].isin(accounts)
    bad |= ~df["party_no"].isin(parties)
    good = df[~bad]
    good.to_parquet(out, index=False)
    return int(bad.sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions to generate")
    parser.add_argument(
        "--accounts", type=int, default=20_000, help="accounts (and owners) they are booked on"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fincrm-bench-") as tmp:
        folder = Path(tmp)
        settings = Settings(
            _env_file=None, database_url=f"sqlite:///{folder / 'store.db'}", lake_path=folder / "lake"
        )
        engine = make_engine(settings.database_url)
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        lake = Lake(settings.lake_path)
        clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))
        started = time.perf_counter()
        for entity, file in zip(
            ("parties", "accounts", "account_parties"), make_masters(folder, args.accounts), strict=True
        ):
            with unit_of_work(sessions) as session:
                import_file(session, lake=lake, settings=settings, entity=entity, path=file, clock=clock)
        csv_path = folder / "transactions.csv"
        make_transactions(csv_path, args.rows, args.accounts)
        size_mib = csv_path.stat().st_size / 2**20
        print(
            f"setup: {args.accounts:,} accounts in the store, {args.rows:,} transactions "
            f"({size_mib:,.0f} MiB CSV) in {time.perf_counter() - started:.1f} s; peak {peak_mib():,.0f} MiB"
        )

        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            result = import_file(
                session, lake=lake, settings=settings, entity="transactions", path=csv_path, clock=clock
            )
        ours = time.perf_counter() - started
        assert result.inserted == args.rows and result.rejected == 0, result
        assert lake.count("transactions") == args.rows
        print(
            f"ours:   {ours:6.2f} s  {args.rows / ours:>10,.0f} rows/s  peak {peak_mib():,.0f} MiB "
            f"({len(lake.files('transactions'))} Parquet partitions)"
        )

        accounts = {f"A{i:09d}" for i in range(args.accounts)}
        parties = {f"P{i:07d}" for i in range(args.accounts)}
        started = time.perf_counter()
        bad = pandas_reference(csv_path, folder / "reference.parquet", accounts, parties)
        reference = time.perf_counter() - started
        assert bad == 0
        print(
            f"pandas: {reference:6.2f} s  {args.rows / reference:>10,.0f} rows/s  "
            f"peak {peak_mib():,.0f} MiB (cumulative)"
        )
        print(
            f"ratio:  ours is {reference / ours:.1f}x the pandas reference; "
            f"target 50,000 rows/s {'met' if args.rows / ours >= 50_000 else 'NOT met'}"
        )
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
