"""Shared by the report tests: the demo institution (one per test module) and rm001's first client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party
from fincrm.config import Settings
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def ctx(demo):  # noqa: F811 - the re-imported fixture
    """rm001, their first individual client, the demo and its settings."""
    session = demo.session
    rm = principal_of(session.scalars(select(User).where(User.username == "rm001")).one())
    client = session.scalars(
        select(Party.party_no).join(Coverage, Coverage.party_id == Party.id)
        .where(Coverage.user_id == rm.user_id, Party.kind == "individual").order_by(Party.party_no).limit(1)
    ).one()  # fmt: skip
    return {"session": session, "rm": rm, "client": client, "demo": demo,
            "settings": Settings(_env_file=None, lake_path=demo.lake_path)}  # fmt: skip
