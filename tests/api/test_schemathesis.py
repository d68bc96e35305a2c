"""Property-based contract test of the JSON API, generated from its own OpenAPI document.

Schemathesis reads ``/api/v1/openapi.json`` from the app in-process (ASGI transport) and sends
generated requests (valid and invalid ones) to every operation, signed in as an RM through an API
token, so no CSRF header is needed. Whatever it sends, the API must never answer 5xx, and every
error must come in the one error shape ``{ok, error, errors, code, status}``. Bounded (a few
derandomised examples per operation) so the whole module stays well under a minute.

Each operation runs as its own Hypothesis test inside one pytest test, and every failing
operation is reported, not only the first (schemathesis' lazy pytest parametrisation needs
pytest subtests, which this pytest does not offer).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import create_api_token, principal_of
from fincrm.db.uow import unit_of_work
from fincrm.web.app import create_app
from tests.web.conftest import NOW, Institution, institution  # noqa: F401  (module-scoped fixture)

ERROR_KEYS = {"ok", "error", "errors", "code", "status"}
MAX_EXAMPLES = {"positive": 25, "negative": 10}  # per operation (27 of them today): about 30 s
BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def rm_token(institution: Institution) -> str:  # noqa: F811
    """An API token acting as rm001, issued by admin01 through the access service."""
    with unit_of_work(institution.sessions) as s:
        admin = s.scalars(select(User).where(User.username == "admin01")).one()
        return create_api_token(s, principal_of(admin), username="rm001", name="schemathesis", now=NOW)


@pytest.fixture(scope="module")
def served(institution: Institution) -> Iterator[TestClient]:  # noqa: F811
    """The app in-process; a server error comes back as a 500 rather than raised in the test."""
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(institution: Institution) -> schemathesis.BaseSchema:  # noqa: F811
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def _check(case: schemathesis.Case, token: str, statuses: list[int]) -> None:
    body = "" if isinstance(case.body, NotSet) else f" body={case.body!r}"
    where = f"{case.method} {case.formatted_path} query={case.query!r}{body}"
    try:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
    except Exception as exc:  # the in-process client re-raises what the app did not handle: a 500
        raise AssertionError(f"{where} -> unhandled {type(exc).__name__}: {exc}"[:800]) from exc
    statuses.append(response.status_code)
    assert response.status_code < 500, f"{where} -> {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and set(body) == ERROR_KEYS, f"{where} -> error body {body!r}"
        assert body["ok"] is False and body["status"] == response.status_code, f"{where} -> {body!r}"
        assert isinstance(body["error"], str) and isinstance(body["errors"], list), f"{where} -> {body!r}"


class TestGeneratedRequests:
    def test_no_operation_answers_5xx_or_breaks_the_error_shape(
        self, api_schema: schemathesis.BaseSchema, rm_token: str
    ) -> None:
        failures: list[str] = []
        statuses: list[int] = []
        operations = [result.ok() for result in api_schema.get_all_operations()]
        assert operations, "the OpenAPI document lists no operations"
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(BOUNDED, max_examples=MAX_EXAMPLES[mode.value])
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: schemathesis.Case) -> None:
                    _check(case, rm_token, statuses)

                try:
                    run()
                except AssertionError as failure:
                    failures.append(f"{operation.label} [{mode.value}]: {failure}")
                except Unsatisfiable:
                    # an operation without parameters or body (GET /me) has no invalid request to make
                    assert mode is GenerationMode.NEGATIVE, operation.label
        assert not failures, "\n".join(failures)
        assert 200 in statuses and len(statuses) >= 2 * len(operations), sorted(set(statuses))


class TestFoundByGeneration:
    """Inputs the generated run once turned into a 500, kept as fixed examples."""

    @pytest.mark.parametrize("path", ["/api/v1/book", "/api/v1/clients/{party_no}/interactions"])
    def test_a_page_number_past_any_offset_is_not_a_server_error(
        self, served: TestClient, rm_token: str, path: str
    ) -> None:
        party_no = served.get(
            "/api/v1/book", params={"page_size": 1}, headers={"Authorization": f"Bearer {rm_token}"}
        ).json()["rows"][0]["party_no"]
        response = served.get(
            path.format(party_no=party_no),
            params={"page": 184467440737095518},  # (page - 1) * page_size overflows a 64-bit OFFSET
            headers={"Authorization": f"Bearer {rm_token}"},
        )
        assert response.status_code < 500, response.text[:300]
        if response.status_code >= 400:
            assert set(response.json()) == ERROR_KEYS
