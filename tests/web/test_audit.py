"""The compliance view of the audit trail: page, CSV export (audited), JSON."""

import csv
import io

from sqlalchemy import select

from fincrm.access import audit_pages
from fincrm.access.models import AuditRecord, User
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from tests.web.conftest import sign_in


def a_client_with_history(app_client, institution) -> str:
    """Move one client of rm001 twice (as admin) so that it has a trail of two records."""
    with unit_of_work(institution.sessions) as s:
        party_no = s.scalars(
            select(Party.party_no).join(User, User.id == Party.primary_rm_id).where(User.username == "rm001")
            .order_by(Party.party_no).limit(1)
        ).one()  # fmt: skip
    csrf = sign_in(app_client, "admin01")
    for to in ("rm002", "rm001"):
        response = app_client.post(
            "/api/v1/admin/assignments",
            json={"party_nos": [party_no], "to_rm": to},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200
    app_client.cookies.clear()
    return party_no


class TestAuditPage:
    def test_shows_a_clients_trail_with_who_action_fields_and_when(self, app_client, institution) -> None:
        party_no = a_client_with_history(app_client, institution)
        sign_in(app_client, "compliance01")
        empty = app_client.get("/audit")
        assert empty.status_code == 200 and "审计留痕" in empty.text and 'id="trail"' not in empty.text
        page = app_client.get(f"/audit?party_no={party_no}")
        assert page.status_code == 200 and page.text.count("client.reassign") == 2
        assert "admin01" in page.text and "primary_rm" in page.text and "rm002 -&gt; rm001" in page.text
        assert f"/audit/export?party_no={party_no}" in page.text

    def test_viewing_a_trail_on_screen_or_through_the_api_is_audited(self, app_client, institution) -> None:
        party_no = a_client_with_history(app_client, institution)
        sign_in(app_client, "compliance01")
        for url in (f"/audit?party_no={party_no}", f"/api/v1/audit?party_no={party_no}"):
            assert app_client.get(url).status_code == 200
            with unit_of_work(institution.sessions) as s:
                last = s.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).one()
            assert (last.action, last.actor) == ("audit.view", "compliance01") and last.party_id is not None

    def test_pages_through_a_long_trail(self, app_client, institution, monkeypatch) -> None:
        party_no = a_client_with_history(app_client, institution)
        sign_in(app_client, "compliance01")
        total = app_client.get(f"/api/v1/audit?party_no={party_no}").json()["total"]
        assert total >= 2
        monkeypatch.setattr(audit_pages, "PER_PAGE", 1)
        first = app_client.get(f"/audit?party_no={party_no}")
        second = app_client.get(f"/audit?party_no={party_no}&page=2")
        assert 'id="next"' in first.text and 'id="prev"' in second.text
        assert first.text.count("data-record=") == 1 and second.text.count("data-record=") == 1

    def test_an_unknown_client_number_is_not_found(self, app_client) -> None:
        sign_in(app_client, "compliance01")
        assert app_client.get("/audit?party_no=NOPE").status_code == 404

    def test_only_compliance(self, app_client) -> None:
        for who in ("rm001", "lead01", "admin01", "research01"):
            app_client.cookies.clear()
            sign_in(app_client, who)
            assert app_client.get("/audit").status_code == 403, who
            assert app_client.get("/audit/export?party_no=X").status_code == 403, who


class TestAuditExport:
    def test_csv_has_a_bom_chinese_headers_and_the_export_is_audited(self, app_client, institution) -> None:
        party_no = a_client_with_history(app_client, institution)
        sign_in(app_client, "compliance01")
        response = app_client.get(f"/audit/export?party_no={party_no}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["记录号", "时间（UTC）", "操作人", "操作"]
        assert sum(r[3] == "client.reassign" for r in rows[1:]) >= 2
        with unit_of_work(institution.sessions) as s:
            last = s.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).one()
        assert last.action == "audit.export" and last.actor == "compliance01"


class TestAuditApi:
    def test_json_trail(self, app_client, institution) -> None:
        party_no = a_client_with_history(app_client, institution)
        sign_in(app_client, "compliance01")
        body = app_client.get(f"/api/v1/audit?party_no={party_no}&per_page=1").json()
        assert body["party_no"] == party_no and body["total"] >= 2 and len(body["records"]) == 1
        assert set(body["records"][0]) == {"id", "at", "actor", "action", "fields", "detail", "ip"}

    def test_refused_to_other_roles(self, app_client) -> None:
        sign_in(app_client, "admin01")
        assert app_client.get("/api/v1/audit?party_no=X").status_code == 403
        app_client.cookies.clear()
        assert app_client.get("/api/v1/audit?party_no=X").status_code == 401


class TestCsvCells:
    def test_free_text_that_looks_like_a_formula_stays_text(self) -> None:
        assert audit_pages._cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
        assert (
            audit_pages._cell("+86 138") == "'+86 138"
            and audit_pages._cell("rm001 -> rm002") == "rm001 -> rm002"
        )
        assert audit_pages._cell(None) == "" and audit_pages._cell(7) == "7"
