"""The nightly batch: read the lake and the store, compute every client's profile, swap it in.

Unlike a use case, the batch commits in steps on purpose, so that a million profiles never sit in
one transaction: (1) a run record and a new profile version in status ``building``; (2) the rows,
in chunks, each chunk committed; (3) one transaction that makes the new version current, retires
the previous one, closes the run record and appends the audit record. Pages read only the current
version, so until step 3 they see the previous results; a killed run leaves a ``building`` version
that the next run deletes. The pipeline is deterministic, so a rerun for the same date writes the
same rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access import audit
from fincrm.clients.models import Party
from fincrm.clients.profile_models import (
    VERSION_BUILDING,
    VERSION_CURRENT,
    VERSION_RETIRED,
    ClientProfile,
    ClientSignal,
    ProfileVersion,
    RfmLift,
)
from fincrm.config import Settings
from fincrm.core.clock import Clock
from fincrm.db.uow import unit_of_work
from fincrm.errors import FincrmError, InputError
from fincrm.intelligence import attrition, inputs, rfm, risk, signals
from fincrm.intelligence.models import RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED, BatchRun
from fincrm.lake import analytics
from fincrm.lake.store import Lake

WRITE_CHUNK = 50_000  # rows per committed insert chunk
KEEP_RETIRED = 1  # retired versions kept after a swap (for comparison), older ones are deleted
LIFT_WINDOW_DAYS = 90

Progress = Callable[[str, int, int], None]  # (step, done, total)


class BatchFailed(FincrmError):
    status = 500


@dataclass
class BatchResult:
    run_id: int
    version_id: int
    as_of: date
    engine: str
    clients: int
    signals: int
    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Computed:
    """What the pipeline produced, in memory, keyed by client number."""

    profiles: pd.DataFrame
    signals: pd.DataFrame
    lift: pd.DataFrame
    metrics: dict[str, Any]


def run(
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    *,
    as_of: date,
    engine: analytics.Engine | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Run the whole batch for ``as_of`` on ``engine`` (default: the configured one)."""
    engine = engine or settings.analytics_engine
    report = progress or (lambda step, done, total: None)
    started = time.perf_counter()
    run_id, version_id = _start(sessions, clock, as_of=as_of, engine=engine)
    timings: dict[str, float] = {}
    step = "extract"
    try:
        with _timed(timings, "compute"):
            step = "compute"
            computed = compute(sessions, settings, as_of=as_of, engine=engine, progress=report)
        step = "write"
        with _timed(timings, "write"):
            party_ids = _party_ids(sessions)
            written = _write(sessions, version_id, computed, party_ids, report)
        step = "swap"
        metrics = {**computed.metrics, "seconds": timings}
        _swap(sessions, clock, run_id=run_id, version_id=version_id, rows=written, metrics=metrics)
    except BaseException as exc:
        _fail(sessions, clock, run_id=run_id, step=step, error=exc)
        if isinstance(exc, FincrmError):
            raise
        if isinstance(exc, Exception):
            raise BatchFailed(f"the batch failed at step {step}: {exc}") from exc
        raise
    return BatchResult(
        run_id=run_id, version_id=version_id, as_of=as_of, engine=engine, clients=len(computed.profiles),
        signals=len(computed.signals), seconds=time.perf_counter() - started, metrics=metrics,
    )  # fmt: skip


def compute(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    as_of: date,
    engine: analytics.Engine,
    progress: Progress | None = None,
) -> Computed:
    """The pipeline on one engine, without writing anything: profiles, signals and the lift table."""
    report = progress or (lambda step, done, total: None)
    steps = ("extract", "rfm", "risk", "signals", "attrition", "lift")  # one progress tick each
    timings: dict[str, float] = {}
    tick = time.perf_counter()

    def done(step: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        timings[step] = round(now - tick, 3)
        tick = now
        report("compute", steps.index(step) + 1, len(steps))

    con = analytics.backend(settings, engine)
    report("compute", 0, len(steps))
    bind = sessions.kw.get("bind")
    store_url = bind.url if isinstance(bind, Engine) else None
    with unit_of_work(sessions) as session:
        data = inputs.load(session, Lake(settings.lake_path), con, as_of=as_of, store_url=store_url)
    if con.execute(data["parties"].count()) == 0:
        raise InputError("the store holds no clients: import or generate a book first")
    done("extract")
    features = rfm.features(data, as_of, rfm.positions_at(data, as_of))
    scored = rfm.scores(features)
    tiers = rfm.tiers(features, float(settings.tier_hnw_min_amount), float(settings.tier_mass_min_amount))
    profiles = con.to_pyarrow(features.join(scored, "party_no").join(tiers, "party_no")).to_pandas()
    done("rfm")
    profiles = profiles.merge(con.to_pyarrow(risk.profile(data)).to_pandas(), on="party_no", how="left")
    done("risk")
    found = con.to_pyarrow(signals.detect(data)).to_pandas()
    done("signals")
    attrition_scores, attrition_metrics = attrition.score(data)
    profiles = profiles.merge(attrition_scores, on="party_no", how="left")
    done("attrition")
    lift = rfm.lift(data, LIFT_WINDOW_DAYS).rename(columns={"rfm_cell": "cell"})
    lift["window_days"] = LIFT_WINDOW_DAYS
    done("lift")
    profiles = profiles.sort_values("party_no", kind="stable").reset_index(drop=True)
    found = found.sort_values(["party_no", "kind", "detected_on"], kind="stable").reset_index(drop=True)
    return Computed(profiles, found, lift, {"attrition": attrition_metrics, "steps": timings})


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - started, 3)


def _start(sessions: sessionmaker[Session], clock: Clock, *, as_of: date, engine: str) -> tuple[int, int]:
    """Delete what killed runs left, then record the new run and its (building) version."""
    now = clock.now()
    with unit_of_work(sessions) as session:
        stale = select(ProfileVersion.id).where(ProfileVersion.status == VERSION_BUILDING)
        stale_ids = list(session.scalars(stale))
        if stale_ids:
            _delete_versions(session, stale_ids)
        session.execute(
            update(BatchRun)
            .where(BatchRun.status == RUN_RUNNING)
            .values(
                status=RUN_FAILED, finished_at=now, error="interrupted: the process stopped before the end"
            )
        )
        version = ProfileVersion(
            as_of=as_of, status=VERSION_BUILDING, engine=engine, created_at=now, metrics="{}"
        )
        session.add(version)
        session.flush()
        record = BatchRun(
            as_of=as_of, engine=engine, status=RUN_RUNNING, started_at=now, step="extract",
            version_id=version.id, rows=0, metrics="{}",
        )  # fmt: skip
        session.add(record)
        session.flush()
        return record.id, version.id


def _delete_versions(session: Session, version_ids: list[int]) -> None:
    for table in (ClientSignal, ClientProfile, RfmLift):
        session.execute(delete(table).where(table.version_id.in_(version_ids)))
    session.execute(update(BatchRun).where(BatchRun.version_id.in_(version_ids)).values(version_id=None))
    session.execute(delete(ProfileVersion).where(ProfileVersion.id.in_(version_ids)))


def _party_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(sessions) as session:
        return dict(session.execute(select(Party.party_no, Party.id)).tuples().all())


PROFILE_FLOATS = (
    "liquid_share",
    "days_to_cash",
    "holding_days",
    "return_12m",
    "vol_12m",
    "rar_12m",
    "attrition_score",
)
PROFILE_INTS = ("r_score", "f_score", "m_score")
PROFILE_TEXT = (
    "stated_risk",
    "behavioural_risk",
    "effective_risk",
    "behaviour_evidence",
    "attrition_reasons",
)


def _profile_rows(frame: pd.DataFrame, version_id: int, party_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Store rows from pipeline rows: NaN becomes NULL, money becomes Decimal to the cent."""
    columns: dict[str, list[Any]] = {
        "party_id": [party_ids[p] for p in frame["party_no"]],
        "aum_amount": [Decimal(f"{v:.2f}") for v in frame["aum_amount"].fillna(0.0)],
        "tier": frame["tier"].tolist(),
        "rfm_cell": frame["rfm_cell"].tolist(),
        "questionnaire_expired": frame["questionnaire_expired"].fillna(True).astype(bool).tolist(),
        "risk_drift": frame["risk_drift"].fillna(False).astype(bool).tolist(),
        "questionnaire_valid_until": [_date_or_none(v) for v in frame["questionnaire_valid_until"]],
    }
    for name in PROFILE_FLOATS:
        columns[name] = [None if v is None or v != v else float(v) for v in frame[name]]
    for name in PROFILE_INTS:
        columns[name] = [None if v is None or v != v else int(v) for v in frame[name]]
    for name in PROFILE_TEXT:
        columns[name] = [
            None if v is None or (isinstance(v, float) and v != v) else str(v) for v in frame[name]
        ]
    names = list(columns)
    return [
        {"version_id": version_id, **dict(zip(names, values, strict=True))}
        for values in zip(*columns.values(), strict=True)
    ]


def _date_or_none(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    return value


def _write(
    sessions: sessionmaker[Session],
    version_id: int,
    computed: Computed,
    party_ids: dict[str, int],
    report: Progress,
) -> int:
    profiles, found = computed.profiles, computed.signals
    total = len(profiles) + len(found)
    done = 0
    for start in range(0, len(profiles), WRITE_CHUNK):
        rows = _profile_rows(profiles.iloc[start : start + WRITE_CHUNK], version_id, party_ids)
        with unit_of_work(sessions) as session:  # Core executemany: the ORM bulk path is slower
            session.connection().execute(insert(ClientProfile.__table__), rows)
        done += len(rows)
        report("write", done, total)
    for start in range(0, len(found), WRITE_CHUNK):
        chunk = found.iloc[start : start + WRITE_CHUNK]
        rows = [
            {
                "version_id": version_id,
                "party_id": party_ids[p],
                "kind": k,
                "detected_on": _date_or_none(d),
                "confidence": float(c),
                "summary": s,
                "evidence": e,
            }  # fmt: skip
            for p, k, d, c, s, e in zip(
                chunk["party_no"],
                chunk["kind"],
                chunk["detected_on"],
                chunk["confidence"],
                chunk["summary"],
                chunk["evidence"],
                strict=True,
            )  # fmt: skip
        ]
        with unit_of_work(sessions) as session:
            session.connection().execute(insert(ClientSignal.__table__), rows)
        done += len(rows)
        report("write", done, total)
    lift_rows = [
        {
            "version_id": version_id,
            **{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()},
        }
        for row in computed.lift.to_dict("records")
    ]
    if lift_rows:
        with unit_of_work(sessions) as session:
            session.execute(insert(RfmLift), lift_rows)
    return done


def _swap(
    sessions: sessionmaker[Session], clock: Clock, *, run_id: int, version_id: int, rows: int, metrics: dict
) -> None:
    now = clock.now()
    with unit_of_work(sessions) as session:
        session.execute(
            update(ProfileVersion)
            .where(ProfileVersion.status == VERSION_CURRENT)
            .values(status=VERSION_RETIRED)
        )
        session.execute(
            update(ProfileVersion)
            .where(ProfileVersion.id == version_id)
            .values(status=VERSION_CURRENT, swapped_at=now, metrics=json.dumps(metrics, sort_keys=True))
        )
        session.execute(
            update(BatchRun)
            .where(BatchRun.id == run_id)
            .values(
                status=RUN_SUCCEEDED,
                finished_at=now,
                step="done",
                rows=rows,
                metrics=json.dumps(metrics, sort_keys=True),
            )  # fmt: skip
        )
        retired = list(
            session.scalars(
                select(ProfileVersion.id)
                .where(ProfileVersion.status == VERSION_RETIRED)
                .order_by(ProfileVersion.id.desc())
                .offset(KEEP_RETIRED)
            )
        )
        if retired:
            _delete_versions(session, retired)
        audit.append(
            session,
            None,
            "batch.swap",
            at=now,
            actor="batch",
            detail=f"run {run_id}: version {version_id}, {rows} rows",
        )


def _fail(
    sessions: sessionmaker[Session], clock: Clock, *, run_id: int, step: str, error: BaseException
) -> None:
    message = f"{type(error).__name__}: {error}"[:4000]
    with unit_of_work(sessions) as session:
        session.execute(
            update(BatchRun)
            .where(BatchRun.id == run_id)
            .values(status=RUN_FAILED, finished_at=clock.now(), step=step, error=message)
        )
