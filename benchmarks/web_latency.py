"""Workbench API latency under load: the client 360 panels and client search, served for real.

Builds a demo store of N clients with ``fincrm demo --no-serve`` (or reuses one with ``--reuse DIR``),
starts ``fincrm serve`` (uvicorn, one process) in a subprocess, signs in as an RM through the login
form, and from this process drives ``--concurrency`` clients (httpx, asyncio) for ``--duration``
seconds per endpoint against that RM's own clients. Prints p50 / p95 / p99 latency (milliseconds)
and throughput (requests per second) per endpoint, and the ratio of our p50 to a reference: a raw
SQL lookup of the same rows through the same driver in this process (one connection, sequential),
i.e. the floor that HTTP, authentication, scoping, audit and serialisation add to.

Targets: client 360 panels p95 <= 50 ms, search p95 <= 100 ms, both at 50 concurrent clients.
``--think-ms`` paces each client like a person (a mean pause between requests); with 0 the clients
fire back to back and the figures measure saturation throughput rather than latency.

A store folder holds ``fincrm.db`` (SQLite) and ``lake/``; with ``--database-url`` the store is that
database and the folder holds only the lake. Examples::

    uv run python benchmarks/web_latency.py --clients 10000 --duration 5          # smoke run
    uv run python benchmarks/web_latency.py --clients 100000 --keep var/bench-100k
    uv run python benchmarks/web_latency.py --reuse var/bench-100k
    uv run python benchmarks/web_latency.py --clients 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from fincrm.db.engine import make_engine

RM = "rm001"  # a demo RM; `fincrm demo` sets the password demo-<username>
SERVER_START_TIMEOUT = 60.0  # seconds
REFERENCE_LOOKUPS = 2_000  # sequential raw SQL lookups per endpoint for the reference
TARGET_P95_MS = {"search": 100.0}  # every client 360 panel: 50 ms
TARGET_360_P95_MS = 50.0
PANELS = ("profile", "holdings", "interactions", "memory-points", "risk", "consents", "relationships")

# The reference: the rows each endpoint returns, fetched by hand with the RM's book scope.
SCOPE = "(p.primary_rm_id = :uid OR EXISTS (SELECT 1 FROM coverages c WHERE c.party_id = p.id AND c.user_id = :uid))"
REFERENCE_SQL = {
    "profile": f"SELECT p.* FROM parties p WHERE p.party_no = :key AND {SCOPE}",
    "holdings": f"SELECT h.* FROM holdings h JOIN accounts a ON a.id = h.account_id "
    f"JOIN account_parties ap ON ap.account_id = a.id JOIN parties p ON p.id = ap.party_id "
    f"WHERE p.party_no = :key AND {SCOPE}",
    "interactions": f"SELECT i.* FROM interactions i JOIN parties p ON p.id = i.party_id "
    f"WHERE p.party_no = :key AND {SCOPE} ORDER BY i.occurred_at DESC LIMIT 20",
    "memory-points": f"SELECT m.* FROM memory_points m JOIN parties p ON p.id = m.party_id "
    f"WHERE p.party_no = :key AND {SCOPE}",
    "risk": f"SELECT r.* FROM risk_assessments r JOIN parties p ON p.id = r.party_id "
    f"WHERE p.party_no = :key AND {SCOPE}",
    "consents": f"SELECT e.* FROM consent_events e JOIN parties p ON p.id = e.party_id "
    f"WHERE p.party_no = :key AND {SCOPE}",
    "relationships": f"SELECT r.* FROM party_relationships r JOIN parties p ON p.id = r.from_party_id "
    f"WHERE p.party_no = :key AND {SCOPE}",
    # driven from the book, as fincrm does for an RM (clients/repository.book_ids)
    "search": "WITH book AS (SELECT id FROM parties WHERE primary_rm_id = :uid "
    "UNION SELECT party_id FROM coverages WHERE user_id = :uid) "
    "SELECT p.party_no, p.name, p.kind, p.city, p.phone FROM book JOIN parties p ON p.id = book.id "
    "WHERE (p.name_initials >= :key AND p.name_initials < :key || '~') ORDER BY p.name, p.party_no LIMIT 20",
}


@dataclass
class Result:
    endpoint: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[int | str, int] = field(default_factory=dict)  # status code (or 'dropped') -> count
    wall_s: float = 0.0
    reference_ms: list[float] = field(default_factory=list)

    def pct(self, values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fincrm_cmd() -> list[str]:
    script = Path(sys.executable).with_name("fincrm")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from fincrm.cli import app; app()"]


def _env(database_url: str, lake: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    env.update(FINCRM_ENV="local", FINCRM_DATABASE_URL=database_url, FINCRM_LAKE_PATH=str(lake))
    return env


def build_store(folder: Path, database_url: str, clients: int, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    print(f"building a store of {clients:,} clients in {folder} ({database_url})", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [*_fincrm_cmd(), "demo", "--clients", str(clients), "--seed", str(seed), "--no-serve"],
        env=_env(database_url, folder / "lake"), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)


def start_server(database_url: str, lake: Path, port: int, log: Path, workers: int = 1) -> subprocess.Popen:
    """``fincrm serve`` in a subprocess; its output (tracebacks of any 500) goes to ``log``."""
    with log.open("w") as out:
        server = subprocess.Popen(
            [*_fincrm_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=_env(database_url, lake), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"fincrm serve exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("fincrm serve did not answer in time")


def sign_in(base_url: str, username: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
        data = {"username": username, "password": f"demo-{username}", "login_csrf": token, "next": "/"}
        response = client.post("/login", data=data)
        if response.status_code != 303 or "failed" in response.headers.get("location", ""):
            raise SystemExit(f"could not sign in as {username}: {response.status_code} {response.headers}")
        return client.cookies


def book_sample(engine: Engine, username: str, size: int, seed: int) -> tuple[int, list[str], list[str]]:
    """The RM's id, a sample of their client numbers, and pinyin-initial prefixes from their book."""
    with engine.connect() as conn:
        uid = conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar_one()
        rows = conn.execute(
            text("SELECT party_no, name_initials FROM parties WHERE primary_rm_id = :u"), {"u": uid}
        ).all()
    if not rows:
        raise SystemExit(f"{username} has no clients in this store")
    rng = random.Random(seed)
    picked = rng.sample(rows, min(size, len(rows)))
    prefixes = sorted({initials[:2] for _, initials in picked if initials and len(initials) >= 2})
    print(f"{username}: {len(rows):,} clients in the book; sampling {len(picked)}", flush=True)
    return uid, [no for no, _ in picked], prefixes


def reference(engine: Engine, endpoint: str, uid: int, keys: list[str], result: Result) -> None:
    sql = text(REFERENCE_SQL[endpoint])
    with engine.connect() as conn:
        for i in range(REFERENCE_LOOKUPS):
            started = time.perf_counter()
            conn.execute(sql, {"key": keys[i % len(keys)], "uid": uid}).all()
            result.reference_ms.append((time.perf_counter() - started) * 1000)


async def drive(
    base_url: str, cookies: httpx.Cookies, endpoint: str, keys: list[str], concurrency: int, duration: float,
    think_ms: float = 0.0, warmup: float = 0.0,
) -> Result:  # fmt: skip
    result = Result(endpoint)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    def path(key: str) -> str:
        if endpoint == "search":
            return f"/api/v1/clients/search?q={key}"
        return f"/api/v1/clients/{key}/{endpoint}"

    async with httpx.AsyncClient(base_url=base_url, cookies=cookies, limits=limits, timeout=30.0) as client:
        await client.get(path(keys[0]))  # warm the route

        async def worker(n: int, stop_at: float, record: bool = True) -> None:
            rng = random.Random(n if record else n + 10_000)
            if think_ms:  # people do not all click at the same instant
                await asyncio.sleep(rng.uniform(0, think_ms) / 1000)
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    response = await client.get(path(rng.choice(keys)))
                except httpx.TransportError:  # the server dropped the connection (e.g. after a 500)
                    if record:
                        result.errors["dropped"] = result.errors.get("dropped", 0) + 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if not record:
                    pass
                elif response.status_code == 200:
                    result.latencies_ms.append(elapsed)
                else:
                    result.errors[response.status_code] = result.errors.get(response.status_code, 0) + 1
                if think_ms:  # a person reads the answer before the next click (exponential, mean think_ms)
                    await asyncio.sleep(rng.expovariate(1.0 / think_ms) / 1000)

        if warmup:  # the same load, not recorded: caches and worker processes settle first
            warm_until = time.perf_counter() + warmup
            await asyncio.gather(*(worker(n, warm_until, record=False) for n in range(concurrency)))
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(*(worker(n, stop_at) for n in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result


def report(
    results: list[Result],
    *,
    clients: int,
    backend: str,
    concurrency: int,
    workers: int = 1,
    think_ms: float = 0.0,
) -> bool:
    pacing = f"think time {think_ms:.0f} ms (mean)" if think_ms else "no think time (saturation)"
    print(
        f"\n{clients:,} clients, {backend}, {concurrency} concurrent clients, {pacing}, "
        f"{workers} uvicorn process(es)"
    )
    header = "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | req/s | ref p50 ms | p50 / ref | target p95 |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    ok = True
    for r in results:
        target = TARGET_P95_MS.get(r.endpoint, TARGET_360_P95_MS)
        p50, p95, p99 = (r.pct(r.latencies_ms, q) for q in (0.50, 0.95, 0.99))
        ref = statistics.median(r.reference_ms) if r.reference_ms else float("nan")
        met = p95 <= target and not r.errors
        ok &= met
        name = "search" if r.endpoint == "search" else f"360 {r.endpoint}"
        errors = ", ".join(f"{n}×{code}" for code, n in sorted(r.errors.items(), key=str)) or "0"
        print(
            f"| {name} | {len(r.latencies_ms):,} | {errors} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
            f"{len(r.latencies_ms) / r.wall_s:.0f} | {ref:.2f} | {p50 / ref:.0f}× | "
            f"≤ {target:.0f} {'met' if met else 'MISSED'} |"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1_000_000, help="clients in a new store")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", type=Path, help="use the store already built in this folder")
    parser.add_argument("--keep", type=Path, help="build the new store in this folder and keep it")
    parser.add_argument("--database-url", help="store in this database (e.g. PostgreSQL) instead of SQLite")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="server processes (fincrm serve --workers)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of unrecorded load per endpoint first"
    )
    parser.add_argument(
        "--think-ms", type=float, default=0.0,
        help="mean pause of each client between requests (0: back to back, i.e. saturation)",
    )  # fmt: skip
    parser.add_argument("--sample", type=int, default=500, help="client numbers sampled from the RM's book")
    parser.add_argument("--endpoints", default=",".join((*PANELS, "search")))
    args = parser.parse_args()

    temporary = None
    if args.reuse:
        folder = args.reuse
    elif args.keep:
        folder = args.keep
    else:
        folder = Path(temporary := tempfile.mkdtemp(prefix="fincrm-web-latency-"))
    database_url = args.database_url or f"sqlite:///{folder.resolve() / 'fincrm.db'}"
    server = None
    try:
        if not args.reuse:
            build_store(folder, database_url, args.clients, args.seed)
        engine = make_engine(database_url)
        with engine.connect() as conn:
            clients = conn.execute(text("SELECT count(*) FROM parties")).scalar_one()
        uid, party_nos, prefixes = book_sample(engine, RM, args.sample, args.seed)
        port = _free_port()
        log = folder / "server.log"
        server = start_server(database_url, folder / "lake", port, log, args.workers)
        print(f"server log: {log}", flush=True)
        base_url = f"http://127.0.0.1:{port}"
        cookies = sign_in(base_url, RM)
        results = []
        for endpoint in args.endpoints.split(","):
            keys = prefixes if endpoint == "search" else party_nos
            print(f"driving {endpoint} for {args.duration:.0f} s ...", flush=True)
            result = asyncio.run(
                drive(
                    base_url,
                    cookies,
                    endpoint,
                    keys,
                    args.concurrency,
                    args.duration,
                    args.think_ms,
                    args.warmup,
                )
            )
            reference(engine, endpoint, uid, keys, result)
            results.append(result)
        backend = engine.dialect.name
        engine.dispose()
        met = report(
            results, clients=clients, backend=backend, concurrency=args.concurrency, workers=args.workers,
            think_ms=args.think_ms,
        )  # fmt: skip
        return 0 if met else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
