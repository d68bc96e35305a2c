"""The whole batch on the demo institution: run record, version swap, rerun, kill, both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from fincrm.access.models import AuditRecord
from fincrm.clients.profile_models import ClientProfile, ClientSignal, ProfileVersion, RfmLift
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.intelligence import batch
from fincrm.intelligence.models import BatchRun
from tests.integration.intelligence.conftest import DEMO_AS_OF


class Stop(Exception):
    """Raised from the progress callback to stop a run half-way, as a killed process would."""


@pytest.fixture(scope="module")
def world(demo):
    sessions = sessionmaker(bind=demo.session.connection(), join_transaction_mode="create_savepoint")
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    return sessions, settings


def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))


def profile_frame(sessions, version_id: int) -> pd.DataFrame:
    with sessions() as s:
        rows = s.execute(
            select(ClientProfile)
            .where(ClientProfile.version_id == version_id)
            .order_by(ClientProfile.party_id)
        ).scalars()
        frame = pd.DataFrame(
            [{c: getattr(r, c) for c in ClientProfile.__table__.columns.keys()} for r in rows]
        )
    return frame.drop(columns=["version_id"])


def signal_frame(sessions, version_id: int) -> pd.DataFrame:
    with sessions() as s:
        rows = s.execute(
            select(ClientSignal.party_id, ClientSignal.kind, ClientSignal.detected_on, ClientSignal.confidence,
                   ClientSignal.summary, ClientSignal.evidence)
            .where(ClientSignal.version_id == version_id)
            .order_by(ClientSignal.party_id, ClientSignal.kind, ClientSignal.detected_on)
        ).all()  # fmt: skip
    return pd.DataFrame(rows)


class TestRun:
    def test_a_run_writes_a_current_version_with_a_profile_per_client(self, world, demo) -> None:
        sessions, settings = world
        result = batch.run(sessions, settings, clock(), as_of=DEMO_AS_OF, engine="duckdb")
        with sessions() as s:
            version = s.get(ProfileVersion, result.version_id)
            run = s.get(BatchRun, result.run_id)
            profiles = s.scalar(select(func.count()).where(ClientProfile.version_id == version.id))
            lift_rows = s.scalar(select(func.count()).where(RfmLift.version_id == version.id))
            swap_audits = s.scalar(select(func.count()).where(AuditRecord.action == "batch.swap"))
        assert version.status == "current" and version.as_of == DEMO_AS_OF
        assert run.status == "succeeded" and run.finished_at is not None and run.rows >= profiles
        assert profiles == demo.result.store_rows["parties"] == result.clients
        assert lift_rows >= 2 and swap_audits >= 1
        assert "attrition" in json.loads(run.metrics)

    def test_a_rerun_for_the_same_date_gives_the_same_rows_and_retires_the_previous(self, world) -> None:
        sessions, settings = world
        first = batch.run(sessions, settings, clock(), as_of=DEMO_AS_OF, engine="duckdb")
        second = batch.run(sessions, settings, clock(), as_of=DEMO_AS_OF, engine="duckdb")
        pd.testing.assert_frame_equal(
            profile_frame(sessions, first.version_id), profile_frame(sessions, second.version_id)
        )
        pd.testing.assert_frame_equal(
            signal_frame(sessions, first.version_id), signal_frame(sessions, second.version_id)
        )
        with sessions() as s:
            assert s.get(ProfileVersion, first.version_id).status == "retired"
            assert s.get(ProfileVersion, second.version_id).status == "current"

    def test_a_run_stopped_half_way_leaves_the_previous_version_current(self, world) -> None:
        sessions, settings = world
        done = batch.run(sessions, settings, clock(), as_of=DEMO_AS_OF, engine="duckdb")

        def stop_while_writing(step: str, n: int, total: int) -> None:
            if step == "write" and n > 0:
                raise Stop("killed")

        original_chunk = batch.WRITE_CHUNK
        batch.WRITE_CHUNK = 500  # several chunks, so the stop lands between two commits
        try:
            with pytest.raises(batch.BatchFailed, match="at step write: killed"):
                batch.run(
                    sessions,
                    settings,
                    clock(),
                    as_of=DEMO_AS_OF,
                    engine="duckdb",
                    progress=stop_while_writing,
                )
        finally:
            batch.WRITE_CHUNK = original_chunk
        with sessions() as s:
            current = s.scalars(select(ProfileVersion).where(ProfileVersion.status == "current")).one()
            building = s.scalars(select(ProfileVersion).where(ProfileVersion.status == "building")).all()
            failed = s.scalars(select(BatchRun).order_by(BatchRun.id.desc())).first()
        assert current.id == done.version_id
        assert len(building) == 1 and failed.status == "failed" and failed.step == "write"
        again = batch.run(sessions, settings, clock(), as_of=DEMO_AS_OF, engine="duckdb")
        with sessions() as s:
            assert not s.scalars(select(ProfileVersion).where(ProfileVersion.status == "building")).all()
            assert s.get(ProfileVersion, again.version_id).status == "current"
        pd.testing.assert_frame_equal(
            profile_frame(sessions, done.version_id), profile_frame(sessions, again.version_id)
        )


class TestEngines:
    def test_duckdb_and_spark_compute_identical_results(self, world) -> None:
        sessions, settings = world
        on_duckdb = batch.compute(sessions, settings, as_of=DEMO_AS_OF, engine="duckdb")
        on_spark = batch.compute(sessions, settings, as_of=DEMO_AS_OF, engine="spark")
        pd.testing.assert_frame_equal(
            normalised(on_duckdb.profiles),
            normalised(on_spark.profiles),
            check_exact=False,
            rtol=1e-9,
            atol=1e-9,
        )
        pd.testing.assert_frame_equal(normalised(on_duckdb.signals), normalised(on_spark.signals))
        pd.testing.assert_frame_equal(
            on_duckdb.lift.reset_index(drop=True),
            on_spark.lift.reset_index(drop=True),
            check_exact=False,
            rtol=1e-9,
        )


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Same column order and plain dtypes (engines differ in nullable integer and date types)."""
    out = frame[sorted(frame.columns)].copy()
    for column in out.columns:
        if out[column].dtype.kind in "iuf":
            out[column] = out[column].astype("float64")
        elif out[column].dtype.kind == "M" or isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = pd.to_datetime(out[column]).dt.tz_localize(None).dt.date.astype("object")
        else:
            out[column] = out[column].astype("object").where(out[column].notna(), None)
    return out.reset_index(drop=True)
