"""The batch's results in the workbench: segments page and API, the 360 intelligence panel."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fincrm.access.models import User
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.intelligence import batch
from tests.web.conftest import AS_OF, sign_in
from tests.web.test_clients_pages import own_client


@pytest.fixture(scope="module")
def ran(institution):
    return batch.run(
        institution.sessions, institution.settings, institution.clock, as_of=AS_OF, engine="duckdb"
    )


def book_size(institution, username: str) -> int:
    with unit_of_work(institution.sessions) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        return s.scalar(select(func.count()).select_from(Party).where(Party.primary_rm_id == uid))


class TestSegmentsApi:
    def test_the_dashboard_covers_exactly_the_rms_book(self, app_client, institution, ran) -> None:
        sign_in(app_client, "rm001")
        board = app_client.get("/api/v1/segments").json()
        assert board["as_of"] == AS_OF.isoformat()
        assert (
            board["clients"] == sum(t["clients"] for t in board["tiers"]) >= book_size(institution, "rm001")
        )
        assert {t["tier"] for t in board["tiers"]} == {"hnw", "mass", "long_tail"}
        assert sum(c["clients"] for c in board["rfm_cells"]) == board["clients"]

    def test_the_lift_report_has_the_whole_book_row_with_lift_one(self, app_client, ran) -> None:
        sign_in(app_client, "rm001")
        report = app_client.get("/api/v1/batch/lift").json()
        book = next(r for r in report["rows"] if r["cell"] == "all")
        assert book["lift"] == pytest.approx(1.0) and book["rate_low"] <= book["rate"] <= book["rate_high"]
        assert report["window_days"] == batch.LIFT_WINDOW_DAYS

    def test_the_run_is_listed(self, app_client, ran) -> None:
        sign_in(app_client, "compliance01")
        runs = app_client.get("/api/v1/batch/runs").json()
        assert any(r["id"] == ran.run_id and r["status"] == "succeeded" for r in runs)


class TestSegmentsPage:
    def test_tiers_heat_map_and_lift_are_drawn(self, app_client, ran) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/segments")
        assert page.status_code == 200
        for marker in ('id="tiers"', 'id="heat-map"', 'id="lift-table"', 'data-cell="all"', "客群分析"):
            assert marker in page.text

    def test_the_benefit_catalogue_is_listed_per_tier(self, app_client, ran) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/segments").text.split('id="benefits"', 1)[1]
        assert 'data-benefit="private_fund_allocation"' in page and "私募基金额度优先配售" in page
        body = app_client.get("/api/v1/benefits").json()
        assert set(body["tiers"]) == {"hnw", "mass", "long_tail"} and all(body["tiers"].values())

    def test_admin_sees_no_client_lists(self, app_client, ran) -> None:
        sign_in(app_client, "admin01")
        assert app_client.get("/segments").status_code == 403


class TestClient360Panel:
    def test_the_panel_and_the_api_show_the_clients_tier_and_cell(self, app_client, institution, ran) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        intel = app_client.get(f"/api/v1/clients/{party.party_no}/intelligence").json()
        assert intel["as_of"] == AS_OF.isoformat() and intel["tier"] in ("hnw", "mass", "long_tail")
        page = app_client.get(f"/clients/{party.party_no}")
        assert f'data-tier="{intel["tier"]}"' in page.text and f'data-cell="{intel["rfm_cell"]}"' in page.text


class TestBookTierFilter:
    def test_the_tier_filter_keeps_exactly_the_clients_of_that_tier(
        self, app_client, institution, ran
    ) -> None:
        sign_in(app_client, "rm001")
        everyone = app_client.get("/api/v1/book", params={"page_size": 200}).json()
        by_tier: dict[str, set[str]] = {}
        for row in everyone["rows"]:
            by_tier.setdefault(row["tier"], set()).add(row["party_no"])
        assert None not in by_tier and sum(len(v) for v in by_tier.values()) == everyone["total"]
        for tier, expected in by_tier.items():
            page = app_client.get("/api/v1/book", params={"tier": tier, "page_size": 200}).json()
            assert {r["party_no"] for r in page["rows"]} == expected and page["total"] == len(expected)

    def test_the_book_page_offers_the_filter_and_shows_the_tier(self, app_client, ran) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/book", params={"tier": "mass"}).text
        assert 'id="filter-tier"' in page and '<option value="mass" selected' in page
        assert 'data-tier="hnw"' not in page and 'data-tier="long_tail"' not in page
