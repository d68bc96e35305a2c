"""Reports through the real app: generate from the API and the page, list on the client 360,
view in the workbench and download the PDF (each audited), who may do what, bad input."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import AuditRecord, User
from fincrm.clients.models import Coverage, Party
from fincrm.db.uow import unit_of_work
from tests.web.conftest import csrf_of, sign_in


@pytest.fixture(scope="module")
def parties(institution) -> tuple[str, str]:
    """A client of rm001's with holdings, and a client outside rm001's team."""
    from fincrm.clients.models import AccountParty, Holding

    with unit_of_work(institution.sessions) as s:
        rm001 = s.scalars(select(User).where(User.username == "rm001")).one()
        own = s.scalars(
            select(Party.party_no)
            .join(AccountParty, AccountParty.party_id == Party.id)
            .join(Holding, Holding.account_id == AccountParty.account_id)
            .where(Party.primary_rm_id == rm001.id, Holding.market_value_amount > 0)
            .order_by(Party.party_no)
        ).first()
        team = select(User.id).where(User.team_id == rm001.team_id)
        other = s.scalars(
            select(Party.party_no).where(
                Party.primary_rm_id.not_in(team),
                ~select(Coverage.id).where(Coverage.party_id == Party.id, Coverage.user_id.in_(team)).exists(),
            ).order_by(Party.party_no)
        ).first()  # fmt: skip
    return own, other


def client_as(app_client: TestClient, username: str) -> tuple[TestClient, dict[str, str]]:
    token = sign_in(app_client, username)
    return app_client, {"X-CSRF-Token": token}


def audit_actions(institution, action: str) -> int:
    with unit_of_work(institution.sessions) as s:
        return len(s.scalars(select(AuditRecord).where(AuditRecord.action == action)).all())


class TestReportsApi:
    def test_rm_generates_lists_and_downloads_a_health_check(self, app_client, parties, institution) -> None:
        client, headers = client_as(app_client, "rm001")
        response = client.post(
            f"/api/v1/clients/{parties[0]}/reports",
            json={"kind": "health_check", "lang": "en"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["kind"] == "health_check" and body["lang"] == "en" and body["page_count"] >= 1
        assert body["figures"]["total"].startswith("CN¥")
        listed = client.get(f"/api/v1/clients/{parties[0]}/reports").json()
        assert body["id"] in [r["id"] for r in listed]
        before = audit_actions(institution, "report.download")
        pdf = client.get(f"/api/v1/reports/{body['id']}/pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and len(pdf.content) == body["size_bytes"]
        assert f"{parties[0]}-health_check-en-" in pdf.headers["content-disposition"]
        assert audit_actions(institution, "report.download") == before + 1
        html = client.get(f"/api/v1/reports/{body['id']}/html")
        assert html.status_code == 200 and "Asset health check" in html.text

    def test_the_same_days_report_is_replaced_not_duplicated(self, app_client, parties, institution) -> None:
        client, headers = client_as(app_client, "rm001")
        url = f"/api/v1/clients/{parties[0]}/reports"
        first = client.post(url, json={"kind": "health_check", "lang": "zh-CN"}, headers=headers).json()
        second = client.post(url, json={"kind": "health_check", "lang": "zh-CN"}, headers=headers).json()
        assert first["id"] == second["id"] and first["figures"] == second["figures"]
        same = [r for r in client.get(url).json() if r["kind"] == "health_check" and r["lang"] == "zh-CN"]
        assert len(same) == 1
        assert audit_actions(institution, "report.regenerate") >= 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"kind": "flowers"}, "kind"), ({"kind": "health_check", "lang": "fr"}, "lang"),
         ({"kind": "health_check", "subject": "EF001"}, "subject")],
    )  # fmt: skip
    def test_bad_input_is_refused_with_the_field_named(self, app_client, parties, body, field) -> None:
        client, headers = client_as(app_client, "rm001")
        response = client.post(f"/api/v1/clients/{parties[0]}/reports", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert field in json_fields(response.json())

    def test_another_rms_client_is_not_found(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        response = client.post(
            f"/api/v1/clients/{parties[1]}/reports", json={"kind": "health_check"}, headers=headers
        )
        assert response.status_code == 404

    def test_compliance_reads_reports_but_does_not_generate(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        made = client.post(
            f"/api/v1/clients/{parties[0]}/reports", json={"kind": "health_check"}, headers=headers
        ).json()
        client.post("/logout", data={"csrf_token": headers["X-CSRF-Token"]})
        client, headers = client_as(app_client, "compliance01")
        assert client.get(f"/api/v1/reports/{made['id']}").status_code == 200
        response = client.post(
            f"/api/v1/clients/{parties[0]}/reports", json={"kind": "health_check"}, headers=headers
        )
        assert response.status_code == 403


def json_fields(body: dict) -> set[str]:
    return {str(part) for e in body.get("errors", []) for part in e.get("loc", [])} | {body.get("error", "")}


class TestReportPages:
    def test_generate_from_the_page_then_view_and_download(self, app_client, parties, institution) -> None:
        client, _headers = client_as(app_client, "rm001")
        page = client.get(f"/clients/{parties[0]}/reports")
        assert page.status_code == 200 and 'id="new-report"' in page.text
        response = client.post(
            f"/clients/{parties[0]}/reports",
            data={"kind": "health_check", "lang": "zh-CN", "as_of": "", "subject": "", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert re.fullmatch(r"/reports/\d+", location)
        before = audit_actions(institution, "report.view")
        view = client.get(location)
        assert view.status_code == 200 and 'id="report-frame"' in view.text and "资产体检报告" in view.text
        assert audit_actions(institution, "report.view") == before + 1
        pdf = client.get(location + ".pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        panel = client.get(f"/clients/{parties[0]}")
        assert 'data-testid="client-reports"' in panel.text and f'href="{location}.pdf"' in panel.text

    def test_a_bad_date_is_shown_on_the_form(self, app_client, parties) -> None:
        client, _headers = client_as(app_client, "rm001")
        page = client.get(f"/clients/{parties[0]}/reports")
        response = client.post(
            f"/clients/{parties[0]}/reports",
            data={"kind": "health_check", "lang": "en", "as_of": "2026-13-40", "subject": "",
                  "csrf_token": csrf_of(page.text)},
        )  # fmt: skip
        assert response.status_code == 422 and 'id="report-error"' in response.text

    def test_another_rms_client_has_no_reports_page(self, app_client, parties) -> None:
        client, _headers = client_as(app_client, "rm001")
        assert client.get(f"/clients/{parties[1]}/reports").status_code == 404
