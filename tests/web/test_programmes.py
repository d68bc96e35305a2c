"""Benefits and partners through the real app: the /programmes page, the client's page and 360
panel with the redemption form, the JSON API for entitlements, redemptions, usage, offers and
referrals; allowance and consent refusals in the one error shape; both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.clients.domain import LifeEventKind, LifeEventOrigin
from fincrm.clients.models import LifeEvent, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
from fincrm.db.uow import unit_of_work
from fincrm.engagement import programmes, programmes_pages
from fincrm.intelligence import batch
from tests.web.conftest import AS_OF, NOW, csrf_of, sign_in


@pytest.fixture(scope="module")
def world(institution):
    """The nightly batch, the demo content of this part, and one of rm001's mass or hnw clients who
    bought a home three days ago (so the new-home bundle is offered)."""
    batch.run(institution.sessions, institution.settings, institution.clock, as_of=AS_OF, engine="duckdb")
    with unit_of_work(institution.sessions) as s:
        programmes.seed_demo(s, institution.settings, now=NOW)
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        version = s.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
        party, tier = s.execute(
            select(Party, ClientProfile.tier).join(ClientProfile, ClientProfile.party_id == Party.id)
            .where(Party.primary_rm_id == rm.id, ClientProfile.version_id == version,
                   ClientProfile.tier.in_(("mass", "hnw"))).order_by(Party.party_no).limit(1)
        ).one()  # fmt: skip
        s.add(LifeEvent(party_id=party.id, kind=LifeEventKind.HOME_PURCHASE, occurred_on=AS_OF - timedelta(days=3),
                        origin=LifeEventOrigin.RECORDED, note="客户告知已购房", recorded_at=NOW))  # fmt: skip
        s.flush()
        programmes.run_offers(s, institution.settings, on=AS_OF, now=NOW)
        return {"party_no": party.party_no, "tier": tier}


def headers(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


class TestProgrammesPage:
    def test_usage_catalogue_offers_and_conversion_are_shown(self, app_client, world) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/programmes")
        assert page.status_code == 200
        for marker in ('id="usage-tiers"', 'data-tier="hnw"', 'id="partners"', 'data-partner="jiangxin_renovation"',
                       'data-bundle="new_home"', 'id="conversion"', "分层权益", "匠心家装", world["party_no"]):  # fmt: skip
            assert marker in page.text, marker

    def test_english_page(self, app_client, world) -> None:
        token = sign_in(app_client, "rm001")
        app_client.put("/api/v1/me/locale", json={"locale": "en"}, headers=headers(token))
        try:
            page = app_client.get("/programmes").text
            assert (
                "Benefits and partners" in page
                and "Jiangxin Home Renovation" in page
                and "Usage rate" in page
            )
        finally:
            app_client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers=headers(token))

    def test_an_administrator_is_refused(self, app_client) -> None:
        sign_in(app_client, "admin01")
        assert app_client.get("/programmes").status_code == 403


class TestClientPage:
    def test_the_form_records_a_use_and_the_allowance_refusal_names_the_field(
        self, app_client, world
    ) -> None:
        no = world["party_no"]
        sign_in(app_client, "rm001")
        page = app_client.get(f"/clients/{no}/programmes")
        assert (
            page.status_code == 200
            and 'id="entitlements"' in page.text
            and 'class="inline redeem-form"' in page.text
        )
        key = "portfolio_checkup" if world["tier"] == "mass" else "family_office_services"
        form = {
            "quantity": "1",
            "used_on": "",
            "note": "网点体检",
            "back": "client_page",
            "csrf_token": csrf_of(page.text),
        }
        done = app_client.post(f"/clients/{no}/benefits/{key}/redeem", data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/clients/{no}/programmes"
        assert "网点体检" in app_client.get(f"/clients/{no}/programmes").text
        too_many = app_client.post(f"/clients/{no}/benefits/{key}/redeem", data={**form, "quantity": "9"})
        assert (
            too_many.status_code == 422
            and 'id="programmes-error"' in too_many.text
            and "quantity" in too_many.text
        )

    def test_the_360_shows_the_panel(self, app_client, world) -> None:
        assert (
            programmes_pages.client_panel in app_client.app.state.fincrm.client_panels
        )  # web.routes registers it
        sign_in(app_client, "rm001")
        page = app_client.get(f"/clients/{world['party_no']}")
        assert page.status_code == 200 and 'id="client-programmes"' in page.text
        assert 'data-benefit="' in page.text and "安家礼包" in page.text

    def test_another_rms_client_is_not_found(self, app_client, world) -> None:
        sign_in(app_client, "rm002")
        assert app_client.get(f"/clients/{world['party_no']}/programmes").status_code == 404


class TestApi:
    def test_entitlements_redemption_and_usage(self, app_client, world) -> None:
        no = world["party_no"]
        token = sign_in(app_client, "rm001")
        got = app_client.get(f"/api/v1/clients/{no}/benefits").json()
        assert got["tier"] == world["tier"] and got["entitlements"]
        free = next(e for e in got["entitlements"] if e["allowance_per_year"] is None)
        made = app_client.post(f"/api/v1/clients/{no}/benefits/{free['key']}/redemptions",
                               json={"quantity": 2, "note": "API"}, headers=headers(token))  # fmt: skip
        assert made.status_code == 201 and made.json()["quantity"] == 2
        after = app_client.get(f"/api/v1/clients/{no}/benefits").json()
        assert next(e for e in after["entitlements"] if e["key"] == free["key"])["used"] == free["used"] + 2
        wrong = app_client.post(
            f"/api/v1/clients/{no}/benefits/community/redemptions", json={}, headers=headers(token)
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["benefit_key"]
        usage = app_client.get("/api/v1/benefits/usage").json()
        row = next(t for t in usage["tiers"] if t["tier"] == world["tier"])
        assert row["used"] >= 1 and row["entitled"] >= row["used"] and 0 < row["rate"] <= 1

    def test_offer_to_referral_to_conversion(self, app_client, world) -> None:
        no = world["party_no"]
        token = sign_in(app_client, "rm001")
        offers = app_client.get(f"/api/v1/clients/{no}/offers").json()
        home = next(o for o in offers if o["bundle_key"] == "new_home")
        assert home["signal_kind"] == "home_purchase" and len(home["items"]) == 3
        for status in ("presented", "accepted"):
            moved = app_client.post(
                f"/api/v1/offers/{home['id']}/status", json={"status": status}, headers=headers(token)
            )
            assert moved.status_code == 200 and moved.json()["status"] == status
        refused = app_client.post(f"/api/v1/offers/{home['id']}/referral", json={"client_consented": False},
                                  headers=headers(token))  # fmt: skip
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["client_consented"]
        made = app_client.post(f"/api/v1/offers/{home['id']}/referral", json={"client_consented": True},
                               headers=headers(token))  # fmt: skip
        assert made.status_code == 201
        referrals = made.json()
        assert sorted(r["partner_key"] for r in referrals) == ["jiangxin_renovation", "qimu_furniture"]
        first = referrals[0]["id"]
        for status in ("contacted", "converted"):
            moved = app_client.post(
                f"/api/v1/referrals/{first}/status", json={"status": status}, headers=headers(token)
            )
            assert moved.status_code == 200 and moved.json()["status"] == status
        assert moved.json()["closed_at"] is not None
        conversion = app_client.get("/api/v1/referrals/conversion").json()
        partner = next(c for c in conversion if c["partner_key"] == referrals[0]["partner_key"])
        assert partner["converted"] >= 1 and partner["rate"] > 0
        listed = app_client.get("/api/v1/referrals", params={"status": "converted"}).json()
        assert first in {r["id"] for r in listed}
        assert app_client.get("/api/v1/referrals", params={"status": "won"}).status_code == 422

    def test_partners_catalogue_is_public_to_staff_and_csrf_is_required(self, app_client, world) -> None:
        sign_in(app_client, "admin01")
        catalogue = app_client.get("/api/v1/partners").json()
        assert {p["kind"] for p in catalogue["partners"]} >= {
            "renovation",
            "law_firm",
            "family_office",
            "university",
        }
        sign_in(app_client, "rm001")
        no_csrf = app_client.post(f"/api/v1/clients/{world['party_no']}/referrals",
                                  json={"partner_key": "hengzheng_law", "client_consented": True})  # fmt: skip
        assert no_csrf.status_code == 403
