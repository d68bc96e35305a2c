"""The nightly intelligence batch: ours against a plain pandas reference and a raw DuckDB floor.

Reads a store that is already built (``fincrm.db`` + ``lake/``, e.g. ``fincrm demo`` or
``benchmarks/generate.py``) and runs, each part in its own subprocess so that peak memory
(``ru_maxrss`` of that process; plus the JVM's ``VmHWM`` on Spark) is the part's own:

* ``whole``: ``fincrm.intelligence.batch.compute`` on ``--engine`` (every client: RFM, tiers,
  risk, signals, attrition, lift; nothing written). With ``--write`` it is ``batch.run`` instead
  (writes a new profile version: only on a store you may write to);
* ``rfm``: our financial RFM (``rfm.positions_at/features/scores/tiers``) restricted to the first
  ``--pandas-clients`` clients (by ``party_no``), i.e. the same inputs as the reference;
* ``pandas``: the same metrics written the straightforward pandas way (pyarrow reads the Parquet
  into DataFrames, then ``groupby``/``merge``/``cov``), following docs/intelligence-rfm.md; its
  result is compared with ``rfm``'s (max absolute difference per metric, share of equal scores);
* ``floor``: one raw DuckDB group-by over every transaction (``party_no, kind, count, sum``).

Both ``rfm`` and ``pandas`` start from the same store extract (holdings, products, parties of the
subset, read with fincrm's extract queries) and include it in their time, so the ratio is at equal
size and equal input work. Prints a markdown table: part, clients, transactions, wall seconds,
peak memory, ratio (whole: to the floor; pandas: to ours at equal size) and whether the target is
met. Targets (from the issue, stated for 1M clients / 100M transactions on 2 cores): the whole
batch on DuckDB <= 60 s and <= 6 GB, <= 5x the floor; ours >= 10x faster than pandas.

    uv run python benchmarks/batch.py --store var/bench-100k-batch --as-of 2026-11-29
    uv run python benchmarks/batch.py --store var/bench-100k-batch --as-of 2026-11-29 \\
        --engine spark --parts whole
    uv run python benchmarks/batch.py --store var/bench-1m --as-of 2026-11-29 --parts floor,whole
    uv run python benchmarks/batch.py --store var/bench-1m --as-of 2026-11-29 \\
        --parts pandas --pandas-clients 200000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import text

from fincrm.config import Settings
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.intelligence import batch, inputs, rfm
from fincrm.intelligence.domain import CELLS, HIGH_SCORE, NO_ASSETS
from fincrm.lake import analytics
from fincrm.lake.store import Lake

PARTS = ("whole", "rfm", "pandas", "floor")
TARGET_WHOLE_SECONDS = 60.0
TARGET_WHOLE_GIB = 6.0
TARGET_FLOOR_RATIO = 5.0  # the whole batch <= 5x the floor
TARGET_PANDAS_RATIO = 10.0  # ours >= 10x faster than pandas at equal size
METRICS = ("aum_amount", "liquid_share", "days_to_cash", "holding_days", "return_12m", "vol_12m", "rar_12m")
SCORES = ("r_score", "f_score", "m_score", "rfm_cell", "tier")
EPOCH = date(1970, 1, 1)


# --- shared --------------------------------------------------------------------------------------


def settings_for(store: Path, memory: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{store / 'fincrm.db'}",
        lake_path=store / "lake",
        analytics_memory=memory,
    )


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jvm_peak_mib() -> float:
    """Peak resident memory of the Spark JVM this process started (0 without one)."""
    try:
        from pyspark import SparkContext

        pid = SparkContext._gateway.proc.pid  # type: ignore[union-attr]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except Exception:  # noqa: BLE001 - no Spark, or the JVM is gone
        return 0.0
    return 0.0


def transaction_count(settings: Settings) -> int:
    """Rows in the current transactions dataset (from the Parquet footers)."""
    return sum(pq.ParquetFile(f).metadata.num_rows for f in Lake(settings.lake_path).files("transactions"))


def subset_cutoff(settings: Settings, clients: int) -> str:
    """The ``party_no`` of the ``clients``-th client in order: the subset is ``party_no <= cutoff``."""
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT party_no FROM parties ORDER BY party_no LIMIT 1 OFFSET :n"), {"n": clients - 1}
        ).first()
        if row is None:
            row = conn.execute(text("SELECT max(party_no) FROM parties")).first()
    engine.dispose()
    return str(row[0])


def store_extract(settings: Settings, cutoff: str) -> dict[str, pa.Table]:
    """Parties, holdings and products from the store (fincrm's own extract: ADBC, as in the batch),
    parties <= cutoff."""
    fast = inputs._extract_adbc(settings.database_url) or {}
    sessions = session_factory(make_engine(settings.database_url))
    statements = inputs._extracts()
    tables = {}
    with unit_of_work(sessions) as session:
        for name in ("parties", "holdings", "products"):
            table = fast.get(name)
            if table is None:
                table = inputs._fetch(session, statements[name], inputs.STORE_SCHEMAS[name])
            if "party_no" in table.column_names:
                table = table.filter(pc.less_equal(table["party_no"], cutoff))
            tables[name] = table
    return tables


# --- parts (each runs in a child process) --------------------------------------------------------


def part_whole(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    sessions = session_factory(make_engine(settings.database_url))
    steps = ("extract", "rfm", "risk", "signals", "attrition", "lift")  # batch.compute's progress ticks
    ticks: dict[str, float] = {}

    def progress(step: str, done: int, total: int) -> None:
        if step == "compute" and 0 < done <= len(steps):
            ticks[steps[done - 1]] = time.perf_counter()

    started = time.perf_counter()
    if args.write:
        from fincrm.core.clock import SystemClock

        result = batch.run(
            sessions, settings, SystemClock(), as_of=args.as_of, engine=args.engine, progress=progress
        )
        clients, detail = result.clients, f"run {result.run_id}, {result.signals} signals"
    else:
        computed = batch.compute(sessions, settings, as_of=args.as_of, engine=args.engine, progress=progress)
        clients, detail = len(computed.profiles), f"{len(computed.signals)} signals"
    seconds = time.perf_counter() - started
    previous, split = started, []
    for step in steps:
        if step in ticks:
            split.append(f"{step} {ticks[step] - previous:.1f} s")
            previous = ticks[step]
    detail += "; steps: " + ", ".join(split)
    return {"clients": clients, "seconds": seconds, "detail": detail, "jvm_mib": jvm_peak_mib()}


def part_rfm(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Our RFM on the first N clients: the lake views filtered to them, the store extract registered."""
    cutoff = subset_cutoff(settings, args.pandas_clients)
    started = time.perf_counter()
    con = analytics.backend(settings, args.engine)
    store = store_extract(settings, cutoff)
    extract = time.perf_counter() - started
    tables = {}
    for name, table in analytics.lake_tables(con, Lake(settings.lake_path)).items():
        tables[name] = table.filter(table.party_no <= cutoff) if "party_no" in table.columns else table
    for name, table in store.items():
        tables[name] = analytics.register(con, name, table)
    inputs._stage(con, tables)  # the staged transactions RFM reads, as in the batch
    data = inputs.Inputs(con, tables, args.as_of)
    features = rfm.features(data, args.as_of, rfm.positions_at(data, args.as_of))
    scored = rfm.scores(features)
    tiers = rfm.tiers(features, float(settings.tier_hnw_min_amount), float(settings.tier_mass_min_amount))
    frame = con.to_pyarrow(features.join(scored, "party_no").join(tiers, "party_no")).to_pandas()
    seconds = time.perf_counter() - started
    frame.to_parquet(args.out_dir / "rfm.parquet")
    return {"clients": len(frame), "seconds": seconds, "extract": extract, "cutoff": cutoff}


def part_pandas(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    cutoff = subset_cutoff(settings, args.pandas_clients)
    started = time.perf_counter()
    store = store_extract(settings, cutoff)
    extract = time.perf_counter() - started
    frame = pandas_rfm(settings, store, cutoff, args.as_of)
    seconds = time.perf_counter() - started
    frame.to_parquet(args.out_dir / "pandas.parquet")
    return {"clients": len(frame), "seconds": seconds, "extract": extract, "cutoff": cutoff}


def part_floor(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    files = Lake(settings.lake_path).files("transactions")
    listing = ", ".join(f"'{f}'" for f in files)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{settings.analytics_memory}'")
    started = time.perf_counter()
    result = con.execute(
        f"SELECT party_no, kind, count(*) AS n, sum(amount) AS total FROM read_parquet([{listing}]) GROUP BY ALL"
    ).to_arrow_table()
    seconds = time.perf_counter() - started
    return {"clients": len(pc.unique(result["party_no"])), "seconds": seconds, "groups": result.num_rows}


# --- the pandas reference ------------------------------------------------------------------------


def read_lake(settings: Settings, name: str, columns: list[str], cutoff: str | None) -> pd.DataFrame:
    """A lake dataset's current version as a DataFrame (decimals as float), optionally party_no <= cutoff."""
    dataset = ds.dataset([str(f) for f in Lake(settings.lake_path).files(name)], format="parquet")
    table = dataset.to_table(
        columns=columns, filter=None if cutoff is None else ds.field("party_no") <= cutoff
    )
    floats = [pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema]
    return table.cast(pa.schema(floats)).to_pandas()


def pandas_rfm(settings: Settings, store: dict[str, pa.Table], cutoff: str, on: date) -> pd.DataFrame:
    """docs/intelligence-rfm.md, the obvious pandas way: one DataFrame per input, groupby and merge."""
    on_days = (on - EPOCH).days
    key = ["party_no", "product_code"]
    parties = store["parties"].to_pandas()[["party_no"]]
    holdings = store["holdings"].to_pandas()
    products = store["products"].to_pandas()
    products = pd.DataFrame(
        {
            "product_code": products["product_code"],
            "days_to_cash": products["days_to_cash"].fillna(0),
            "lockup_days": products["lockup_days"].fillna(0),
            "series": products["price_series_code"],
        }
    )

    # positions as of `on`: the store's holdings, or the last month-end snapshot on or before `on`
    store_on = pd.to_datetime(holdings["as_of_on"]).max()
    if pd.notna(store_on) and pd.Timestamp(on) >= store_on:
        source = holdings
    else:
        snaps = read_lake(settings, "holdings_snapshots", ["as_of_on", "party_no", "product_code",
                                                            "market_value_amount"], cutoff)  # fmt: skip
        snaps["as_of_on"] = pd.to_datetime(snaps["as_of_on"])
        snaps = snaps[snaps["as_of_on"] <= pd.Timestamp(on)]
        source = snaps[snaps["as_of_on"] == snaps["as_of_on"].max()]
    positions = source.groupby(key, as_index=False)["market_value_amount"].sum()
    positions = positions[positions["market_value_amount"] > 0]

    # transactions known at the end of `on`
    tx = read_lake(
        settings, "transactions", ["party_no", "product_code", "kind", "amount", "booked_at"], cutoff
    )
    tx = tx[tx["product_code"].notna()]
    tx["booked_days"] = tx["booked_at"].dt.tz_convert("UTC").dt.floor("D").astype("int64") // 86_400_000_000
    tx = tx[tx["booked_days"] <= on_days]

    # first purchase: transactions or the store's first_bought_on
    buys = tx[tx["kind"] == "purchase"]
    from_tx = buys[key + ["booked_days"]].rename(columns={"booked_days": "bought_days"})
    from_store = holdings[holdings["first_bought_on"].notna()].copy()
    from_store["bought_days"] = (pd.to_datetime(from_store["first_bought_on"]) - pd.Timestamp(EPOCH)).dt.days
    from_store = from_store[from_store["bought_days"] <= on_days][key + ["bought_days"]]
    first = pd.concat([from_tx, from_store]).groupby(key, as_index=False)["bought_days"].min()
    first = first.rename(columns={"bought_days": "first_days"})

    pos = positions.merge(products, on="product_code", how="left").merge(first, on=key, how="left")
    pos["lockup_left"] = (pos["first_days"] + pos["lockup_days"] - on_days).clip(lower=0).fillna(0)

    # R: liquidity
    pos["liquid"] = pos["market_value_amount"].where(
        (pos["days_to_cash"] <= 1) & (pos["lockup_left"] == 0), 0
    )
    pos["dtc"] = pos["market_value_amount"] * (pos["days_to_cash"] + pos["lockup_left"])
    liquidity = pos.groupby("party_no", as_index=False).agg(
        aum_amount=("market_value_amount", "sum"), liquid_amount=("liquid", "sum"), dtc_amount=("dtc", "sum")
    )

    # F: holding days, closed positions from first purchase to last redemption, open ones to `on`
    out = tx[tx["kind"].isin(["redemption", "maturity"])]
    traded = (
        buys.assign(bought=buys["amount"].abs())
        .groupby(key, as_index=False)
        .agg(start_days=("booked_days", "min"), bought_amount=("bought", "sum"))
        .merge(out.groupby(key, as_index=False).agg(out_days=("booked_days", "max")), on=key, how="left")
    )
    held = pos[key + ["market_value_amount", "first_days"]]
    both = traded.merge(held[key], on=key, how="left", indicator=True)
    closed = both[both["_merge"] == "left_only"]
    closed = pd.DataFrame(
        {
            "party_no": closed["party_no"],
            "days": (closed["out_days"].fillna(on_days) - closed["start_days"]).clip(lower=0),
            "weight": closed["bought_amount"],
        }
    )
    open_ = held[held["first_days"].notna()].merge(traded, on=key, how="left")
    open_ = pd.DataFrame(
        {
            "party_no": open_["party_no"],
            "days": (on_days - open_["first_days"]).clip(lower=0),
            "weight": open_["bought_amount"].fillna(open_["market_value_amount"]),
        }
    )
    spells = pd.concat([closed, open_])
    spells = spells[spells["weight"] > 0]
    spells["weighted"] = spells["days"] * spells["weight"]
    holding = spells.groupby("party_no", as_index=False)[["weighted", "weight"]].sum()
    holding["holding_days"] = holding["weighted"] / holding["weight"]

    # M: 12-month return and volatility of each client's portfolio at its current weights
    weights = (
        pos[pos["series"].notna()]
        .groupby(["party_no", "series"], as_index=False)["market_value_amount"]
        .sum()
    )
    weights = weights.merge(liquidity[["party_no", "aum_amount"]], on="party_no")
    weights["w"] = weights["market_value_amount"] / weights["aum_amount"]
    prices = read_lake(settings, "market_prices", ["price_on", "series", "price"], None)
    prices["price_on"] = pd.to_datetime(prices["price_on"])
    start = rfm._year_before(on)
    window = prices[
        (prices["price_on"] >= pd.Timestamp(start))
        & (prices["price_on"] <= pd.Timestamp(on))
        & prices["series"].isin(weights["series"].unique())
    ].sort_values(["series", "price_on"])
    ends = window.groupby("series")["price"].agg(["first", "last"])
    series_return = (ends["last"] / ends["first"] - 1).rename("r").reset_index()
    window["ret"] = window["price"] / window.groupby("series")["price"].shift() - 1
    returns = window.dropna(subset=["ret"]).pivot(index="price_on", columns="series", values="ret")
    cov = returns.cov().stack().rename("cov")  # pairwise over common days, sample
    cov.index.names = ["si", "sj"]
    cov = cov.reset_index()

    ret = weights.merge(series_return, on="series", how="left")
    ret["wr"] = ret["w"] * ret["r"].fillna(0.0)
    ret = ret.groupby("party_no", as_index=False)["wr"].sum().rename(columns={"wr": "return_12m"})
    wi = weights[["party_no", "series", "w"]].rename(columns={"series": "si", "w": "wi"})
    wj = weights[["party_no", "series", "w"]].rename(columns={"series": "sj", "w": "wj"})
    grid = wi.merge(wj, on="party_no").merge(cov, on=["si", "sj"], how="left")
    grid["term"] = grid["wi"] * grid["wj"] * grid["cov"].fillna(0.0)
    var = grid.groupby("party_no", as_index=False)["term"].sum()
    var["vol_12m"] = np.sqrt((var["term"] * rfm.PERIODS_PER_YEAR).clip(lower=0.0))
    performance = ret.merge(var[["party_no", "vol_12m"]], on="party_no")

    out_frame = (
        parties.merge(liquidity, on="party_no", how="left")
        .merge(holding[["party_no", "holding_days"]], on="party_no", how="left")
        .merge(performance, on="party_no", how="left")
    )
    aum = out_frame["aum_amount"].fillna(0.0)
    has = aum > 0
    result = pd.DataFrame({"party_no": out_frame["party_no"], "aum_amount": aum})
    result["liquid_share"] = (out_frame["liquid_amount"].fillna(0.0) / out_frame["aum_amount"]).where(has)
    result["days_to_cash"] = (out_frame["dtc_amount"] / out_frame["aum_amount"]).where(has)
    result["holding_days"] = out_frame["holding_days"].where(has)
    result["return_12m"] = out_frame["return_12m"].fillna(0.0).where(has)
    result["vol_12m"] = out_frame["vol_12m"].fillna(0.0).where(has)
    result["rar_12m"] = (out_frame["return_12m"] / out_frame["vol_12m"]).where(
        has & (out_frame["vol_12m"] > 0)
    )

    # quintile scores (NTILE(5) by value, then party_no) and cells; tiers
    ranked = result[has].copy()
    r_keys = pd.DataFrame({"a": ranked["liquid_share"].round(9), "b": -ranked["days_to_cash"].round(9)})
    ranked["r_score"] = ntile(ranked, r_keys)
    ranked["f_score"] = ntile(ranked, pd.DataFrame({"a": ranked["holding_days"].fillna(0.0).round(9)}))
    ranked["m_score"] = ntile(ranked, pd.DataFrame({"a": ranked["rar_12m"].fillna(0.0).round(9)}))
    cells = {(c.r_high, c.f_high, c.m_high): c.key for c in CELLS}
    ranked["rfm_cell"] = [
        cells[(r >= HIGH_SCORE, f >= HIGH_SCORE, m >= HIGH_SCORE)]
        for r, f, m in zip(ranked["r_score"], ranked["f_score"], ranked["m_score"], strict=True)
    ]
    result = result.merge(ranked[["party_no", *SCORES[:4]]], on="party_no", how="left")
    result["rfm_cell"] = result["rfm_cell"].fillna(NO_ASSETS)
    hnw, mass = float(settings.tier_hnw_min_amount), float(settings.tier_mass_min_amount)
    result["tier"] = np.where(aum >= hnw, "hnw", np.where(aum >= mass, "mass", "long_tail"))
    return result


def ntile(frame: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """SQL ``NTILE(5) + 1`` over ``keys`` then ``party_no`` (ascending): 1-5, the first buckets one larger."""
    order = keys.assign(party_no=frame["party_no"].to_numpy()).sort_values([*keys.columns, "party_no"]).index
    n = len(order)
    size, extra = divmod(n, rfm.QUINTILES)
    i = np.arange(n)
    big = extra * (size + 1)
    bucket = np.where(i < big, i // max(size + 1, 1), extra + (i - big) // max(size, 1))
    scores = pd.Series(bucket + 1, index=order)
    return scores.reindex(frame.index).to_numpy()


def compare(out_dir: Path) -> str:
    """Max absolute difference per metric and share of equal scores, ours against the reference."""
    ours = pd.read_parquet(out_dir / "rfm.parquet").set_index("party_no").sort_index()
    ref = pd.read_parquet(out_dir / "pandas.parquet").set_index("party_no").sort_index()
    if not ours.index.equals(ref.index):
        return f"client sets differ: ours {len(ours)}, pandas {len(ref)}"
    parts = []
    for name in METRICS:
        a, b = ours[name].astype(float), ref[name].astype(float)
        nulls = int((a.isna() != b.isna()).sum())
        diff = (a - b).abs().max()
        parts.append(f"{name} {diff:.2e}" + (f" ({nulls} null mismatches)" if nulls else ""))
    for name in SCORES:
        a, b = ours[name], ref[name]
        same = ((a == b) | (a.isna() & b.isna())).mean()
        parts.append(f"{name} {same:.2%} equal")
    return "; ".join(parts)


# --- driver --------------------------------------------------------------------------------------


def run_child(args: argparse.Namespace, part: str) -> dict[str, Any]:
    """Run one part in a fresh interpreter; its own peak memory comes back with its figures."""
    command = [
        sys.executable, __file__, "--child", part, "--store", str(args.store), "--as-of", args.as_of.isoformat(),
        "--engine", args.engine, "--pandas-clients", str(args.pandas_clients), "--memory", args.memory,
        "--out-dir", str(args.out_dir),
    ]  # fmt: skip
    if args.write:
        command.append("--write")
    print(f"running {part} ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> None:
    settings = settings_for(args.store, args.memory)
    figures = {"whole": part_whole, "rfm": part_rfm, "pandas": part_pandas, "floor": part_floor}[args.child](
        args, settings
    )
    figures["peak_mib"] = peak_mib()
    print(json.dumps(figures, default=str), flush=True)


def gib(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, required=True, help="folder holding fincrm.db and lake/")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 29), help="valuation date")
    parser.add_argument("--engine", choices=analytics.ENGINES, default="duckdb", help="engine of ours")
    parser.add_argument("--parts", default="whole,pandas,floor",
                        help="comma-separated: whole, pandas (runs rfm too, for the ratio), rfm, floor")  # fmt: skip
    parser.add_argument("--pandas-clients", type=int, default=100_000,
                        help="run the pandas reference (and ours, for the ratio) on the first N clients")  # fmt: skip
    parser.add_argument("--memory", default="6GB", help="DuckDB memory_limit / Spark driver memory")
    parser.add_argument("--write", action="store_true", help="whole: batch.run (writes!) instead of compute")
    parser.add_argument("--child", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(wanted) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if "pandas" in wanted and "rfm" not in wanted:
        wanted.insert(wanted.index("pandas"), "rfm")
    settings = settings_for(args.store, args.memory)
    transactions = transaction_count(settings)
    load = os.getloadavg()[0]
    print(
        f"store {args.store}: {transactions:,} transactions, as of {args.as_of}, {os.cpu_count()} cores, "
        f"load average {load:.2f}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="fincrm-bench-batch-") as tmp:
        args.out_dir = Path(tmp)
        results = {part: run_child(args, part) for part in wanted}
        agreement = compare(args.out_dir) if {"rfm", "pandas"} <= set(wanted) else None

    subset_tx = None
    if "rfm" in results and "cutoff" in results["rfm"]:
        files = [str(f) for f in Lake(settings.lake_path).files("transactions")]
        subset_tx = ds.dataset(files, format="parquet").count_rows(
            filter=ds.field("party_no") <= results["rfm"]["cutoff"]
        )

    print(
        f"\nBatch benchmark: {args.store}, as of {args.as_of}, engine {args.engine}, {os.cpu_count()} cores, "
        f"load average {load:.2f} at the start\n"
    )
    print("| part | clients | transactions | wall s | peak memory | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    floor = results.get("floor", {}).get("seconds")
    for part in wanted:
        r = results[part]
        if "error" in r:
            print(f"| {part} | | | | | | failed: {r['error']} |")
            continue
        label, tx_count, ratio, target = part, transactions, "", ""
        memory = gib(r["peak_mib"])
        if part == "whole":
            label = f"ours: whole batch ({'run' if args.write else 'compute'}, {args.engine})"
            if r.get("jvm_mib"):
                memory += f" + JVM {gib(r['jvm_mib'])}"
            total_gib = (r["peak_mib"] + r.get("jvm_mib", 0.0)) / 1024
            met = r["seconds"] <= TARGET_WHOLE_SECONDS and total_gib <= TARGET_WHOLE_GIB
            target = (
                f"<= {TARGET_WHOLE_SECONDS:.0f} s, <= {TARGET_WHOLE_GIB:.0f} GB: {'met' if met else 'missed'}"
            )
            if floor:
                ratio = f"{r['seconds'] / floor:.1f}x floor"
                target += f"; <= {TARGET_FLOOR_RATIO:.0f}x floor: {'met' if r['seconds'] / floor <= TARGET_FLOOR_RATIO else 'missed'}"
        elif part == "rfm":
            label, tx_count = f"ours: RFM + tiers, first {r['clients']:,} clients ({args.engine})", subset_tx
        elif part == "pandas":
            label, tx_count = f"pandas reference, same {r['clients']:,} clients", subset_tx
            ours = results.get("rfm", {}).get("seconds")
            if ours:
                speedup = r["seconds"] / ours
                ratio = f"ours {speedup:.1f}x faster"
                target = (
                    f">= {TARGET_PANDAS_RATIO:.0f}x: {'met' if speedup >= TARGET_PANDAS_RATIO else 'missed'}"
                )
        elif part == "floor":
            label = "floor: one DuckDB group-by over transactions"
        tx_text = f"{tx_count:,}" if tx_count is not None else ""
        print(
            f"| {label} | {r['clients']:,} | {tx_text} | {r['seconds']:.1f} | {memory} | {ratio} | {target} |"
        )
    if agreement:
        print(f"\nours vs pandas (max abs difference): {agreement}")
    if "extract" in results.get("rfm", {}) and "extract" in results.get("pandas", {}):
        ours, ref = results["rfm"], results["pandas"]
        print(
            f"shared store extract (in both times): ours {ours['extract']:.1f} s, pandas {ref['extract']:.1f} s; "
            f"without it pandas {ref['seconds'] - ref['extract']:.1f} s / ours {ours['seconds'] - ours['extract']:.1f} s = "
            f"{(ref['seconds'] - ref['extract']) / (ours['seconds'] - ours['extract']):.1f}x faster"
        )
    if "whole" in results and "detail" in results["whole"]:
        print(f"whole: {results['whole']['detail']}")


if __name__ == "__main__":
    main()
