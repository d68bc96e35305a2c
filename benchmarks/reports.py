"""Asset health checks for many clients: time per report and in all, on several processes.

Builds, renders (HTML and PDF with the embedded Noto Sans SC font) and stores ``--reports``
health checks for clients with holdings in a demo store, each as its client's primary RM,
through the batch runner of ``fincrm report`` (``fincrm.reports.batch``: read-only render, then
a short transaction to store and audit) on ``--workers`` processes. Pool start-up is included.

Reference, in the same process: the floor of the PDF engine, WeasyPrint rendering a one-line
Chinese page with the same embedded font (what any PDF costs here before there is any content),
and our own single report rendered in this process (no pool), so the table shows what the
content, the charts and the data reads add.

    uv run python benchmarks/reports.py --store var/r2k --as-of 2026-11-28 --reports 1000 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from fincrm.access.models import User
from fincrm.clients.models import AccountParty, Holding, Party
from fincrm.config import Settings
from fincrm.db.engine import engine_from_settings, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.reports import batch, engine
from fincrm.reports.fonts import FONT_FAMILY, font_face_css

TARGET_SECONDS = 0.5  # wall seconds per report, both cores


def _floor(n: int) -> float:
    import weasyprint

    html = (
        f"<html><head><style>{font_face_css()} body {{ font-family: '{FONT_FAMILY}'; }}</style></head>"
        "<body><p>资产健康检查 Asset health check ¥1,234,567.89</p></body></html>"
    )
    weasyprint.HTML(string=html).write_pdf()  # warm: pango and the font loaded once
    started = time.perf_counter()
    for _ in range(n):
        weasyprint.HTML(string=html).write_pdf()
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="folder with fincrm.db and lake/")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lang", default="zh-CN")
    args = parser.parse_args()

    settings = Settings(database_url=f"sqlite:///{args.store / 'fincrm.db'}", lake_path=args.store / "lake")
    sessions = session_factory(engine_from_settings(settings))
    with unit_of_work(sessions) as session:
        held = (
            select(AccountParty.party_id)
            .join(Holding, Holding.account_id == AccountParty.account_id)
            .where(AccountParty.role == "owner", Holding.market_value_amount > 0)
        )
        rows = session.execute(
            select(Party.party_no, User.username)
            .join(User, User.id == Party.primary_rm_id)
            .where(Party.id.in_(held), User.is_active.is_(True))
            .order_by(Party.party_no)
            .limit(args.reports)
        ).all()
    tasks = [
        (batch.Job(username=rm, kind="health_check", as_of=args.as_of, lang=args.lang), no) for no, rm in rows
    ]
    print(f"{len(tasks):,} clients with holdings, {args.workers} workers, {args.lang}, as of {args.as_of}")

    floor = _floor(20)
    started = time.perf_counter()
    single = batch.make_one(sessions, settings, tasks[0][0], tasks[0][1])  # includes this process's warm-up
    single_cold = time.perf_counter() - started
    singles = [batch.make_one(sessions, settings, job, no) for job, no in tasks[1:6]]
    single_warm = statistics.median(o.seconds for o in singles)

    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(
        args.workers, initializer=batch._init_worker, initargs=(settings,)
    ) as pool:
        outcomes = list(pool.imap(batch._work, tasks, chunksize=4))
    total = time.perf_counter() - started
    made = [o for o in outcomes if o.report_id is not None]
    failed = [o for o in outcomes if o.report_id is None]
    per_report = total / max(1, len(made))
    peak = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    pages = statistics.mean(o.pages for o in made) if made else 0
    print()
    print("| figure | value | target |")
    print("|---|---:|---|")
    print(f"| reports made / asked | {len(made):,} / {len(outcomes):,} | |")
    print(f"| pages per report (mean) | {pages:.1f} | <= {engine.MAX_PAGES['health_check']} |")
    print(f"| total wall time, {args.workers} workers, pool start-up included (s) | {total:.1f} | |")
    ok = "met" if per_report <= TARGET_SECONDS else "NOT met"
    print(f"| wall time per report (s) | {per_report:.3f} | <= {TARGET_SECONDS} on 2 cores: {ok} |")
    print(
        f"| one worker's time per report, median (s) | {statistics.median(o.seconds for o in made):.3f} | |"
    )
    print(f"| ours in this process, one report warm, median of 5 (s) | {single_warm:.3f} | |")
    print(f"| ours in this process, first report (cold: imports, font, kernel) (s) | {single_cold:.2f} | |")
    print(f"| floor: WeasyPrint one-line page, same font (s) | {floor:.3f} | |")
    print(f"| ours / floor, warm | {single_warm / floor:.1f}x | |")
    print(f"| peak memory per process (MiB, ru_maxrss) | {peak:,.0f} | |")
    if failed:
        print(f"\n{len(failed)} not made, e.g. {failed[0].party_no}: {failed[0].error}")
    assert single.report_id is not None


if __name__ == "__main__":
    main()
