"""Clients API: scoping, the JSON error shape, memory-point writes, CSRF, validation, reveal."""

from __future__ import annotations

from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.clients.models import MemoryPoint
from fincrm.db.uow import unit_of_work
from tests.web.conftest import sign_in
from tests.web.test_clients_pages import audit_count, foreign_client, own_client

ERROR_SHAPE = {"ok", "error", "errors", "code", "status"}
PANELS = ("profile", "relationships", "holdings", "interactions", "memory-points", "consents", "risk")


def memory_points_of(institution, party_id: int) -> int:
    with unit_of_work(institution.sessions) as s:
        return s.scalar(select(func.count()).where(MemoryPoint.party_id == party_id)) or 0


class TestPanels:
    def test_every_panel_answers_for_an_own_client_and_is_audited(self, app_client, institution) -> None:
        party = own_client(institution, with_relations=True)
        sign_in(app_client, "rm001")
        before = audit_count(institution, "client.read", party.id)
        bodies = {}
        for panel in PANELS:
            response = app_client.get(f"/api/v1/clients/{party.party_no}/{panel}")
            assert response.status_code == 200, (panel, response.text)
            bodies[panel] = response.json()
        assert audit_count(institution, "client.read", party.id) == before + len(PANELS)
        assert bodies["profile"]["phone"] != party.phone and "*" in bodies["profile"]["phone"]
        assert bodies["relationships"]["relations"], "the chosen client has relationships"
        holdings = bodies["holdings"]
        if holdings["allocation"]:
            assert abs(sum(s["share"] for s in holdings["allocation"]) - 1) < 1e-6
        interactions = bodies["interactions"]["rows"]
        assert [i["occurred_at"] for i in interactions] == sorted(
            (i["occurred_at"] for i in interactions), reverse=True
        )
        risk = bodies["risk"]
        if risk["latest"]:
            assert risk["latest"]["expired"] == (risk["latest"]["valid_until"] < "2026-07-01")

    def test_another_rms_client_is_404_in_the_error_shape(self, app_client, institution) -> None:
        other = foreign_client(institution)
        sign_in(app_client, "rm001")
        for panel in PANELS:
            response = app_client.get(f"/api/v1/clients/{other.party_no}/{panel}")
            body = response.json()
            assert response.status_code == 404 and set(body) == ERROR_SHAPE and body["code"] == "not_found"
        unknown = app_client.get("/api/v1/clients/NOPE/profile")
        assert unknown.status_code == 404 and unknown.json()["error"].replace("NOPE", "X") == response.json()[
            "error"
        ].replace(other.party_no, "X")  # same message: existence does not leak

    def test_team_lead_reads_a_team_members_client(self, app_client, institution) -> None:
        with unit_of_work(institution.sessions) as s:
            team = s.scalar(select(User.team_id).where(User.username == "lead01"))
            mate = s.scalar(select(User.username).where(User.team_id == team, User.role == "rm").limit(1))
        party = own_client(institution, mate)
        sign_in(app_client, "lead01")
        assert app_client.get(f"/api/v1/clients/{party.party_no}/profile").status_code == 200

    def test_compliance_reads_everything(self, app_client, institution) -> None:
        sign_in(app_client, "compliance01")
        for username in ("rm001", "rm002"):
            party = own_client(institution, username)
            assert app_client.get(f"/api/v1/clients/{party.party_no}/profile").status_code == 200

    def test_admin_and_research_get_no_client_data(self, app_client, institution) -> None:
        party = own_client(institution)
        for username, status in (("admin01", 403), ("research01", 404)):
            app_client.cookies.clear()
            sign_in(app_client, username)
            response = app_client.get(f"/api/v1/clients/{party.party_no}/profile")
            assert response.status_code == status and set(response.json()) == ERROR_SHAPE
            book = app_client.get("/api/v1/book")
            assert book.status_code == 403 or book.json()["total"] == 0


class TestSearchAndBook:
    def test_search_by_every_key(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        for q in (
            party.party_no,
            party.name,
            party.name_initials,
            party.phone_last4,
            party.national_id_last4,
        ):
            hits = app_client.get("/api/v1/clients/search", params={"q": q}).json()
            assert party.party_no in {h["party_no"] for h in hits}, q
            assert all("national_id" not in h and (h["phone"] is None or "*" in h["phone"]) for h in hits)

    def test_book_filters_sort_and_pages(self, app_client, institution) -> None:
        sign_in(app_client, "rm001")
        first = app_client.get("/api/v1/book", params={"page_size": 5, "sort": "-aum"}).json()
        assert len(first["rows"]) == 5 and first["total"] > 5
        amounts = [float(r["aum_amount"]) for r in first["rows"]]
        assert amounts == sorted(amounts, reverse=True)
        second = app_client.get("/api/v1/book", params={"page_size": 5, "sort": "-aum", "page": 2}).json()
        assert not {r["party_no"] for r in first["rows"]} & {r["party_no"] for r in second["rows"]}
        c3 = app_client.get("/api/v1/book", params={"risk_level": "C3", "page_size": 200}).json()
        assert all(r["risk_level"] == "C3" for r in c3["rows"])
        stale = app_client.get("/api/v1/book", params={"not_contacted_days": 90, "page_size": 200}).json()
        assert all(r["last_contact_at"] is None or r["last_contact_at"] < "2026-04-02" for r in stale["rows"])

    def test_an_unknown_tier_is_refused_naming_the_field(self, app_client) -> None:
        sign_in(app_client, "rm001")
        response = app_client.get("/api/v1/book", params={"tier": "platinum"})
        assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["tier"]

    def test_unknown_sort_lists_the_choices(self, app_client) -> None:
        sign_in(app_client, "rm001")
        body = app_client.get("/api/v1/book", params={"sort": "age"}).json()
        assert body["status"] == 422 and "last_contact" in body["errors"][0]["msg"]


class TestMemoryPoints:
    def test_round_trip_with_audit(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        headers = {"X-CSRF-Token": csrf}
        url = f"/api/v1/clients/{party.party_no}/memory-points"
        created = app_client.post(url, json={"category": "food_drink", "text": "爱喝普洱"}, headers=headers)
        assert created.status_code == 201, created.text
        point = created.json()
        assert point["text"] == "爱喝普洱" in {m["text"] for m in app_client.get(url).json()}
        edited = app_client.put(
            f"{url}/{point['id']}", json={"category": "hobby", "text": "爱喝龙井"}, headers=headers
        )
        assert edited.status_code == 200 and edited.json()["category"] == "hobby"
        removed = app_client.delete(f"{url}/{point['id']}", headers=headers)
        assert removed.status_code == 204
        assert point["id"] not in {m["id"] for m in app_client.get(url).json()}
        with unit_of_work(institution.sessions) as s:
            actions = s.scalars(
                select(AuditRecord.action).where(
                    AuditRecord.party_id == party.id,
                    AuditRecord.detail.contains(f"memory point {point['id']}"),
                )
            ).all()
        assert {"memory_point.create", "memory_point.update", "memory_point.delete"} <= set(actions)

    def test_missing_csrf_header_is_403_and_writes_nothing(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        before = memory_points_of(institution, party.id)
        response = app_client.post(
            f"/api/v1/clients/{party.party_no}/memory-points", json={"category": "hobby", "text": "钓鱼"}
        )
        assert response.status_code == 403 and set(response.json()) == ERROR_SHAPE
        assert memory_points_of(institution, party.id) == before

    def test_bad_input_is_422_naming_the_field(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        before = memory_points_of(institution, party.id)
        url = f"/api/v1/clients/{party.party_no}/memory-points"
        empty = app_client.post(url, json={"category": "hobby", "text": ""}, headers={"X-CSRF-Token": csrf})
        assert empty.status_code == 422 and empty.json()["errors"][0]["loc"][-1] == "text"
        wrong = app_client.post(url, json={"category": "gossip", "text": "x"}, headers={"X-CSRF-Token": csrf})
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["category"]
        assert memory_points_of(institution, party.id) == before

    def test_compliance_cannot_write(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "compliance01")
        response = app_client.post(
            f"/api/v1/clients/{party.party_no}/memory-points", json={"category": "hobby", "text": "钓鱼"},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"

    def test_other_rms_client_cannot_be_written(self, app_client, institution) -> None:
        other = foreign_client(institution)
        csrf = sign_in(app_client, "rm001")
        response = app_client.post(
            f"/api/v1/clients/{other.party_no}/memory-points", json={"category": "hobby", "text": "钓鱼"},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert response.status_code == 404


class TestReveal:
    def test_rm_reveals_own_clients_id_and_it_is_audited(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        before = audit_count(institution, "client.reveal", party.id)
        body = app_client.post(
            f"/api/v1/clients/{party.party_no}/reveal",
            json={"field": "national_id"},
            headers={"X-CSRF-Token": csrf},
        ).json()
        assert body["value"].endswith(party.national_id_last4) and "*" not in body["value"]
        assert audit_count(institution, "client.reveal", party.id) == before + 1

    def test_refused_for_admin_and_without_csrf(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        assert (
            app_client.post(f"/api/v1/clients/{party.party_no}/reveal", json={"field": "phone"}).status_code
            == 403
        )
        app_client.cookies.clear()
        csrf = sign_in(app_client, "admin01")
        before = audit_count(institution, "client.reveal", party.id)
        response = app_client.post(
            f"/api/v1/clients/{party.party_no}/reveal",
            json={"field": "phone"},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 403 and audit_count(institution, "client.reveal", party.id) == before

    def test_unknown_field_is_422(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        response = app_client.post(
            f"/api/v1/clients/{party.party_no}/reveal",
            json={"field": "email"},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 422 and response.json()["errors"][0]["loc"][-1] == "field"
