"""The team dashboard over a large book: ours against a straightforward pandas reading, same process.

``team.dashboard.team_dashboard`` for a team lead (assets by tier from the current profiles, money
in and out over the period from the lake joined in DuckDB, key-person coverage, SLA adherence,
attrition saves, complaints, drill scores), in a transaction that is **rolled back** (the dashboard
writes its audit record). Reference in the same process: the two heaviest figures, assets by tier
and money in / out per RM, read the plain way: the store's parties and current profiles with
``pandas.read_sql``, every transaction of the lake with ``pandas.read_parquet`` (the columns
needed), filtered, merged with the book and grouped in pandas. The two must agree to the cent.
Prints the wall times, their ratio and the peak memory of the process (``ru_maxrss``).

    uv run python benchmarks/team.py --store var/r100k --lead lead02 --days 90
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select, text

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.config import Settings
from fincrm.db.engine import engine_from_settings, session_factory
from fincrm.engagement.facts import INFLOW_KINDS, OUTFLOW_KINDS
from fincrm.lake.store import Lake
from fincrm.team import dashboard


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference(
    settings: Settings, engine, user_ids: list[int], start: datetime, end: datetime
) -> pd.DataFrame:  # noqa: ANN001
    """Assets by tier and money in / out per RM id, the plain pandas way."""
    ids = ", ".join(str(i) for i in user_ids)
    with engine.connect() as conn:
        book = pd.read_sql(
            text(
                f"SELECT id, party_no, primary_rm_id FROM parties WHERE primary_rm_id IN ({ids}) AND status != 'closed'"
            ),
            conn,
        )
        profiles = pd.read_sql(
            text("SELECT p.party_id, p.tier, p.aum_amount FROM client_profiles p JOIN profile_versions v "
                 "ON v.id = p.version_id WHERE v.status = 'current'"),
            conn,
        )  # fmt: skip
    assets = (
        book.merge(profiles, left_on="id", right_on="party_id")
        .assign(aum=lambda f: f["aum_amount"].astype(float))
        .pivot_table(index="primary_rm_id", columns="tier", values="aum", aggfunc="sum", fill_value=0.0)
    )
    files = [str(f) for f in Lake(settings.lake_path).files("transactions")]
    txns = pd.concat(
        [pd.read_parquet(f, columns=["party_no", "kind", "amount", "booked_at"]) for f in files],
        ignore_index=True,
    )
    at = pd.to_datetime(txns["booked_at"], utc=True)
    txns = txns[txns["kind"].isin([*INFLOW_KINDS, *OUTFLOW_KINDS]) & (at >= start) & (at < end)]
    joined = txns.merge(book, on="party_no")
    joined["amount"] = joined["amount"].astype(float)
    money = pd.DataFrame({
        "inflow": joined[joined["amount"] > 0].groupby("primary_rm_id")["amount"].sum(),
        "outflow": joined[joined["amount"] < 0].groupby("primary_rm_id")["amount"].sum(),
    })  # fmt: skip
    return assets.join(money, how="outer").fillna(0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="folder with fincrm.db and lake/")
    parser.add_argument("--lead", default="lead02", help="the team lead whose dashboard is read")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None, help="UTC; default: now")
    args = parser.parse_args()
    settings = Settings(_env_file=None, database_url=f"sqlite:///{args.store / 'fincrm.db'}",
                        lake_path=args.store / "lake")  # fmt: skip
    engine = engine_from_settings(settings)
    sessions = session_factory(engine)
    now = (args.now or datetime.now(UTC)).astimezone(UTC)
    start, end = now - timedelta(days=args.days), now
    with sessions() as session:
        lead = principal_of(session.scalars(select(User).where(User.username == args.lead)).one())
        started = time.perf_counter()
        dash = dashboard.team_dashboard(session, lead, settings, start=start, end=end, now=now)
        ours_s = time.perf_counter() - started
        session.rollback()  # the audit record of the read
        ids = dict(session.execute(select(User.username, User.id)).all())
    started = time.perf_counter()
    ref = reference(settings, engine, [ids[r.username] for r in dash.rows], start, end)
    ref_s = time.perf_counter() - started
    for row in dash.rows:
        rm_id = ids[row.username]
        expected = ref.loc[rm_id] if rm_id in ref.index else None
        for tier, amount in row.aum_by_tier.items():
            assert expected is not None and abs(amount - expected[tier]) < 0.01, (row.username, tier)
        if expected is not None:
            assert (
                abs(row.inflow - expected["inflow"]) < 0.01 and abs(row.outflow - expected["outflow"]) < 0.01
            )
    clients = dash.total.clients
    print(
        f"team dashboard of {args.lead} ({dash.team}): {len(dash.rows)} rows, {clients:,} clients, last {args.days} days"
    )
    print()
    print("| figure | value |")
    print("|---|---:|")
    print(f"| ours: `team_dashboard` (every figure) | {ours_s:.2f} s |")
    print(f"| reference: pandas, assets by tier and money in / out only | {ref_s:.2f} s |")
    print(f"| reference / ours | {ref_s / ours_s:.1f}x |")
    print(f"| assets, money in, money out (agree to the cent) | {dash.total.aum:,.2f} / {dash.total.inflow:,.2f} / "
          f"{dash.total.outflow:,.2f} |")  # fmt: skip
    print(f"| peak memory of the process | {peak_mib():,.0f} MiB |")


if __name__ == "__main__":
    main()
