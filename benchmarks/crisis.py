"""Crisis communication's affected clients over a large book: ours against a per-client pandas loop.

``cases.crisis.affected_clients`` for a team lead with the equity threshold at 0 (every client of
the team's books with holdings): look-through equity shares from the store, then each client's
buy-and-hold maximum drawdown over the market fall, from the last holdings snapshot on or before
the window's first trading day valued by NAV (current accounts left out), replayed in one
vectorised pass (``portfolio.stress.replay``). Reference in the same process, the plain way: the
snapshots, prices and transactions read with ``pandas.read_parquet``, products with
``pandas.read_sql``, current accounts found in pandas, and for each client a loop that builds the
value path (units x NAV per product, flat for a product without NAV) and its running-peak drawdown.
The drawdowns must agree to 1e-9. Prints both wall times, their ratio and the peak memory.

    uv run python benchmarks/crisis.py --store var/r100k --lead lead02 --as-of 2026-11-27
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select, text

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.cases import crisis
from fincrm.config import Settings
from fincrm.db.engine import engine_from_settings, session_factory
from fincrm.lake.store import Lake
from fincrm.reports.quarterly import ORDER_KINDS


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read(settings: Settings, dataset: str, columns: list[str]) -> pd.DataFrame:
    files = [str(f) for f in Lake(settings.lake_path).files(dataset)]
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


def reference(settings: Settings, engine, party_nos: list[str], fall: crisis.MarketFall) -> dict[str, float]:  # noqa: ANN001
    """Each client's buy-and-hold maximum drawdown, one client at a time."""
    with engine.connect() as conn:
        products = pd.read_sql(text("SELECT code, kind, price_series_code FROM products"), conn)
    prices = _read(settings, "market_prices", ["series", "price_on", "price"])
    prices["price_on"] = pd.to_datetime(prices["price_on"])
    bench = prices[(prices["series"] == fall.series) & prices["price_on"].between(
        pd.Timestamp(fall.start), pd.Timestamp(fall.end))].sort_values("price_on")  # fmt: skip
    days = pd.DatetimeIndex(bench["price_on"])
    snaps = _read(
        settings,
        "holdings_snapshots",
        ["party_no", "as_of_on", "product_code", "units", "market_value_amount"],
    )
    snaps = snaps[snaps["party_no"].isin(party_nos) & (pd.to_datetime(snaps["as_of_on"]) <= days[0])]
    snaps = snaps.groupby(["party_no", "as_of_on", "product_code"], as_index=False)[
        ["units", "market_value_amount"]
    ].sum()
    latest = snaps.groupby("party_no")["as_of_on"].transform("max")
    snaps = snaps[(snaps["as_of_on"] == latest) & (snaps["market_value_amount"].astype(float) > 0)]
    deposits = set(products.loc[products["kind"] == "deposit", "code"])
    txns = _read(settings, "transactions", ["product_code", "kind"])
    traded = set(
        txns.loc[txns["product_code"].isin(deposits) & txns["kind"].isin(ORDER_KINDS), "product_code"]
    )
    snaps = snaps[~snaps["product_code"].isin(deposits - traded)]
    series_of = dict(zip(products["code"], products["price_series_code"], strict=True))
    nav = prices.pivot_table(index="price_on", columns="series", values="price").sort_index()
    nav = nav.reindex(nav.index.union(days)).ffill().reindex(days)
    out: dict[str, float] = {}
    for party_no, rows in snaps.groupby("party_no"):
        value = np.zeros(len(days))
        for code, units, mv in zip(
            rows["product_code"], rows["units"], rows["market_value_amount"], strict=True
        ):
            s = series_of.get(code)
            if s is not None and s in nav.columns and not np.isnan(nav[s].iloc[0]):
                value += float(units) * nav[s].fillna(nav[s].iloc[0]).to_numpy()
            else:
                value += float(mv)
        if value[0] <= 0:
            continue
        peak = np.maximum.accumulate(value)
        out[party_no] = float(min((value / peak - 1).min(), 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=str, required=True, help="folder with fincrm.db and lake/")
    parser.add_argument("--lead", default="lead02")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--fall-pct", type=float, default=5.0)
    args = parser.parse_args()
    settings = Settings(
        _env_file=None, database_url=f"sqlite:///{args.store}/fincrm.db", lake_path=f"{args.store}/lake"
    )
    engine = engine_from_settings(settings)
    sessions = session_factory(engine)
    fall = crisis.find_fall(settings, on=args.as_of, fall_pct=args.fall_pct)
    with sessions() as session:
        lead = principal_of(session.scalars(select(User).where(User.username == args.lead)).one())
        started = time.perf_counter()
        affected = crisis.affected_clients(
            session, lead, settings, fall=fall, min_equity_pct=0.0, as_of=args.as_of
        )
        ours_s = time.perf_counter() - started
        session.rollback()
    ours = {a.party_no: a.drawdown for a in affected if a.drawdown is not None}
    started = time.perf_counter()
    ref = reference(settings, engine, [a.party_no for a in affected], fall)
    ref_s = time.perf_counter() - started
    assert set(ref) == set(ours), (len(ref), len(ours))
    worst = max(abs(ours[k] - ref[k]) for k in ours) if ours else 0.0
    assert worst < 1e-9, worst
    print(f"affected clients of {args.lead}: {fall.series} {fall.start} .. {fall.end} ({fall.drawdown:.2%}), "
          f"{len(affected):,} clients with holdings, {len(ours):,} with a drawdown")  # fmt: skip
    print()
    print("| figure | value |")
    print("|---|---:|")
    print(f"| ours: `affected_clients` (equity shares and drawdowns) | {ours_s:.2f} s |")
    print(f"| reference: pandas reads and a per-client loop (drawdowns only) | {ref_s:.2f} s |")
    print(f"| reference / ours | {ref_s / ours_s:.1f}x |")
    print(f"| largest difference of a drawdown | {worst:.1e} |")
    print(f"| peak memory of the process | {peak_mib():,.0f} MiB |")


if __name__ == "__main__":
    main()
