"""Set-based upserts: idempotent, and safe when two writers load the same rows at once."""

import threading

from sqlalchemy import func, select

from fincrm.access.models import Branch
from fincrm.db import migrate
from fincrm.db.bulk import upsert_rows
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from tests.conftest import drop_database, new_database_url

ROWS = [{"code": f"B{i:03d}", "name": f"第{i}支行", "city": "杭州"} for i in range(300)]


class TestUpsertRows:
    def test_second_identical_load_writes_nothing(self, session) -> None:
        table = Branch.__table__
        assert upsert_rows(session, table, ROWS, key=["code"]) == 300
        assert upsert_rows(session, table, ROWS, key=["code"]) == 0
        changed = [dict(ROWS[0], city="宁波")] + ROWS[1:]
        assert upsert_rows(session, table, changed, key=["code"]) == 1
        assert session.scalar(select(Branch.city).where(Branch.code == "B000")) == "宁波"

    def test_concurrent_loads_of_the_same_rows_leave_one_copy(self, tmp_path) -> None:
        url = new_database_url(tmp_path)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            factory = session_factory(engine)
            barrier = threading.Barrier(2)
            failures: list[BaseException] = []

            def load() -> None:
                try:
                    barrier.wait()
                    with unit_of_work(factory) as s:
                        upsert_rows(s, Branch.__table__, ROWS, key=["code"])
                except BaseException as exc:  # collected and asserted below
                    failures.append(exc)

            threads = [threading.Thread(target=load) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert failures == []
            with unit_of_work(factory) as s:
                assert s.scalar(select(func.count()).select_from(Branch)) == 300
        finally:
            engine.dispose()
            drop_database(url)
