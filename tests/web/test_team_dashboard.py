"""The team dashboard through the real app: the page with its table and charts in both languages,
the JSON API whose total is the sum of its rows, the Excel export, and the roles that may not read it."""

from __future__ import annotations

import io

from tests.web.conftest import sign_in


class TestTeamDashboard:
    def test_a_lead_sees_each_rm_of_the_team_with_charts(self, app_client) -> None:
        sign_in(app_client, "lead01")
        page = app_client.get("/team/dashboard?days=90")
        assert page.status_code == 200
        assert 'data-rm="rm001"' in page.text and 'data-total="true"' in page.text
        assert "团队看板" in page.text  # zh-CN by default
        # no batch has run here, so no assets: that chart is left out, the flows chart is drawn
        assert "资金流入与流出" in page.text and "分层资产" not in page.text and page.text.count("<svg") >= 1
        assert 'href="/api/v1/team/dashboard.xlsx?days=90"' in page.text
        english = app_client.get("/team/dashboard?lang=en")
        assert (
            english.status_code == 200
            and "Team dashboard" in english.text
            and "Export to Excel" in english.text
        )

    def test_the_api_total_is_the_sum_of_the_rows(self, app_client) -> None:
        sign_in(app_client, "lead01")
        body = app_client.get("/api/v1/team/dashboard", params={"days": 90}).json()
        names = [r["username"] for r in body["rows"]]
        assert "rm001" in names and "lead01" in names and body["total"]["username"] == ""
        for field in ("clients", "aum", "inflow", "outflow", "tasks_due", "tasks_on_time", "complaints"):
            assert abs(body["total"][field] - sum(r[field] for r in body["rows"])) < 0.05, field
        assert (
            body["total"]["clients"] > 0
        )  # (no batch has run here: assets are checked in the integration test)
        bad = app_client.get("/api/v1/team/dashboard", params={"start": "2026-07-01T00:00:00+08:00",
                                                                "end": "2026-06-01T00:00:00+08:00"})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["end"]

    def test_the_excel_export_has_a_row_per_rm_and_the_total(self, app_client) -> None:
        from openpyxl import load_workbook

        sign_in(app_client, "lead01")
        answer = app_client.get("/api/v1/team/dashboard.xlsx", params={"days": 90})
        assert answer.status_code == 200 and "spreadsheetml" in answer.headers["content-type"]
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(min_row=2, values_only=True))
        body = app_client.get("/api/v1/team/dashboard", params={"days": 90}).json()
        assert len(rows) == 1 + len(body["rows"]) + 1  # header, RMs, total
        assert rows[0][0] == "客户经理"  # headers in the caller's language

    def test_an_rm_sees_only_their_row_and_compliance_none(self, app_client) -> None:
        sign_in(app_client, "rm001")
        body = app_client.get("/api/v1/team/dashboard").json()
        assert [r["username"] for r in body["rows"]] == ["rm001"]
        app_client.post("/logout", data={"csrf_token": sign_in(app_client, "rm001")})
        sign_in(app_client, "compliance01")
        assert app_client.get("/api/v1/team/dashboard").status_code == 403
        assert app_client.get("/team/dashboard").status_code == 403
