"""One transaction per use case: all or nothing, side effects only after commit."""

import pytest
from sqlalchemy import func, select

from fincrm.access.domain import Role
from fincrm.access.models import Branch, User
from fincrm.db.uow import on_commit, unit_of_work


class TestUnitOfWork:
    def test_rolls_back_on_error(self, sessions) -> None:
        with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
            session.add(Branch(code="B1", name="总行营业部"))
            session.flush()
            raise RuntimeError("boom halfway")
        with unit_of_work(sessions) as session:
            assert session.scalar(select(func.count()).select_from(Branch)) == 0

    def test_commits_everything_at_the_end(self, sessions) -> None:
        with unit_of_work(sessions) as session:
            branch = Branch(code="B1", name="总行营业部")
            session.add(branch)
            session.flush()
            session.add(User(username="rm001", display_name="王芳", role=Role.RM, branch_id=branch.id))
        with unit_of_work(sessions) as session:
            assert session.scalar(select(func.count()).select_from(User)) == 1

    def test_after_commit_callbacks_run_only_after_commit(self, sessions) -> None:
        ran: list[str] = []
        with unit_of_work(sessions) as session:
            on_commit(session, lambda: ran.append("sent"))
            assert ran == []
        assert ran == ["sent"]
        with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
            on_commit(session, lambda: ran.append("never"))
            raise RuntimeError("rolled back")
        assert ran == ["sent"]


class TestReadOnly:
    def test_a_read_only_use_case_does_not_wait_for_a_writer(self, tmp_path) -> None:
        import time

        from fincrm.db import migrate
        from fincrm.db.engine import make_engine, read_only, session_factory
        from tests.conftest import drop_database, new_database_url

        url = new_database_url(tmp_path)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            factory = session_factory(engine)
            with unit_of_work(factory) as writer:
                writer.add(Branch(code="B1", name="总行营业部"))
                writer.flush()  # holds the write lock (SQLite: BEGIN IMMEDIATE) until the block ends
                started = time.perf_counter()
                with unit_of_work(factory) as reader:
                    read_only(reader)
                    assert reader.scalar(select(func.count()).select_from(Branch)) == 0  # not yet committed
                assert time.perf_counter() - started < 5
        finally:
            engine.dispose()
            drop_database(url)
