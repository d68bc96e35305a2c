"""Browser flows: the workbench served for real by uvicorn, driven by Debian's Chromium.

One demo institution (600 clients) and one server serve the whole run. The server listens on
127.0.0.1 on a free port in a background thread; Playwright (sync API) drives
``/usr/bin/chromium``, which ``scripts/test`` installs from Debian's packages (browsers are
never downloaded by Playwright). Every flow saves a screenshot under ``var/test-artifacts/``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access.models import User
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.db.uow import unit_of_work
from fincrm.intelligence import batch
from fincrm.web.app import create_app
from tests.conftest import REPO_ROOT, drop_database
from tests.web.conftest import NOW, PASSWORDS, build_institution

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
SERVER_START_TIMEOUT = 20.0  # seconds
EXPECT_TIMEOUT = 10_000  # milliseconds; a cold page on PostgreSQL in CI can take a few seconds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: Playwright flows against a served workbench (Chromium)")


@dataclass
class LiveWorkbench:
    base_url: str
    settings: Settings
    sessions: sessionmaker[Session]

    def party_nos(self, username: str, *, limit: int = 5) -> list[str]:
        """Party numbers in ``username``'s book, through the same scoped read the pages use."""
        from fincrm.access import service as access_service
        from fincrm.clients.models import Party
        from fincrm.clients.repository import readable_parties

        with unit_of_work(self.sessions) as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            principal = access_service.principal_of(user)
            stmt = select(Party.party_no).where(readable_parties(principal)).order_by(Party.party_no)
            return list(s.scalars(stmt.limit(limit)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWorkbench]:
    engine, url, built = build_institution(tmp_path_factory.mktemp("browser"), seed=11)
    settings, sessions = built.settings, built.sessions
    # the nightly batch, so the segments page and the 360's intelligence panel have results
    batch.run(sessions, settings, FixedClock(NOW), as_of=NOW.date(), engine="duckdb")
    app = create_app(settings, clock=FixedClock(NOW), sessions=sessions)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-tests", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the workbench did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    yield LiveWorkbench(f"http://127.0.0.1:{port}", settings, sessions)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    drop_database(url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser, live_workbench: LiveWorkbench) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, 1280×800, Chinese by default."""
    context = browser.new_context(
        base_url=live_workbench.base_url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    context.set_default_timeout(EXPECT_TIMEOUT)
    expect.set_options(timeout=EXPECT_TIMEOUT)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Page, username: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#sign-in")
    expect(page.locator("#logout")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    """Save the full page as ``var/test-artifacts/<name>.png`` and return the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
