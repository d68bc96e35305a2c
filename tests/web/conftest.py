"""A small demo institution behind a real app, shared by the web and API tests of a module.

The app runs against its own database (SQLite file or a PostgreSQL schema), committed for real,
because the HTTP test client calls the app from another thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access.models import User
from fincrm.access.service import set_password
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.db import migrate
from fincrm.db.engine import make_engine, session_factory
from fincrm.db.uow import unit_of_work
from fincrm.demo import generate_institution
from fincrm.lake.store import Lake
from fincrm.web.app import create_app
from tests.conftest import drop_database, new_database_url

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the morning after the as-of date
PASSWORDS = {u: f"demo-{u}" for u in ("rm001", "rm002", "lead01", "research01", "compliance01", "admin01")}


@dataclass
class Institution:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: FixedClock

    def user_id(self, username: str) -> int:
        with unit_of_work(self.sessions) as s:
            return s.scalar(select(User.id).where(User.username == username))


def build_institution(folder: Path, *, seed: int) -> tuple[Engine, str, Institution]:
    """A migrated store with a 600-client demo institution and the demo passwords set."""
    url = new_database_url(folder)
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    settings = Settings(database_url=url, lake_path=folder / "lake")
    with unit_of_work(sessions) as s:
        generate_institution(
            s, Lake(settings.lake_path), clients=600, seed=seed, as_of=AS_OF,
            pii_key=settings.pii_key_bytes, answers_path=folder / "answers.json",
        )  # fmt: skip
    with unit_of_work(sessions) as s:
        for username, password in PASSWORDS.items():
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                set_password(s, username=username, password=password, now=NOW)
    return engine, url, Institution(settings, sessions, FixedClock(NOW))


@pytest.fixture(scope="module")
def institution(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Institution]:
    engine, url, built = build_institution(tmp_path_factory.mktemp("web"), seed=7)
    yield built
    engine.dispose()
    drop_database(url)


@pytest.fixture()
def app_client(institution: Institution) -> Iterator[TestClient]:
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str | None = None) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password or PASSWORDS[username],
            "login_csrf": login_csrf,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and "failed" not in response.headers["location"], response.headers
    home = client.get("/", follow_redirects=True)
    return csrf_of(home.text)
