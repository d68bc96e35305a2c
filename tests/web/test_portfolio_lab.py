"""The portfolio lab through the real app: propose, read the evidence, override, review, compliance,
present and accept; the lab page in both languages; who may do what."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.clients.models import Coverage, Party
from fincrm.db.uow import unit_of_work
from tests.web.conftest import csrf_of, sign_in

SCENARIOS = {"dotcom", "gfc", "china_2015", "covid", "rates_2022"}


@pytest.fixture(scope="module")
def parties(institution) -> tuple[str, str]:
    """A client of rm001's, and a client outside rm001's team."""
    with unit_of_work(institution.sessions) as s:
        rm001 = s.scalars(select(User).where(User.username == "rm001")).one()
        own = s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm001.id).order_by(Party.party_no)
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


def propose(client: TestClient, headers: dict, party_no: str, **body) -> dict:
    response = client.post(
        f"/api/v1/clients/{party_no}/proposals",
        json={"invest_amount": "1000000", "method": "max_sharpe", **body}, headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


class TestProposalApi:
    def test_rm_proposes_for_own_client_with_stress_evidence(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        body = propose(client, headers, parties[0])
        assert body["status"] == "draft" and body["party_no"] == parties[0]
        assert abs(sum(body["weights"].values()) - 1) < 1e-6
        keys = {row["key"] for row in body["evidence"]["stress"]}
        assert SCENARIOS <= keys
        for row in body["evidence"]["stress"]:
            assert row["proposal"]["max_drawdown"] <= 0
        assert body["machine"]["rationale_zh"] and body["machine"]["rationale_en"]
        assert [e["action"] for e in body["events"]] == ["created"]
        listed = client.get(f"/api/v1/clients/{parties[0]}/proposals").json()
        assert body["id"] in [p["id"] for p in listed]

    def test_another_rms_client_is_not_found(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        response = client.post(
            f"/api/v1/clients/{parties[1]}/proposals", json={"invest_amount": "1000000"}, headers=headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_non_positive_amount_is_rejected_at_the_edge(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        response = client.post(
            f"/api/v1/clients/{parties[0]}/proposals", json={"invest_amount": "0"}, headers=headers
        )
        assert response.status_code == 422

    def test_admin_may_not_propose(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "admin01")
        response = client.post(
            f"/api/v1/clients/{parties[0]}/proposals", json={"invest_amount": "1000000"}, headers=headers
        )
        assert response.status_code == 403
        assert client.get("/api/v1/compliance/proposals").status_code == 403


class TestReviewFlow:
    def test_override_compliance_present_accept(self, institution, parties) -> None:
        from fincrm.web.app import create_app

        app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
        with TestClient(app) as rm, TestClient(app) as officer:
            rm_h = {"X-CSRF-Token": sign_in(rm, "rm001")}
            co_h = {"X-CSRF-Token": sign_in(officer, "compliance01")}
            body = propose(rm, rm_h, parties[0])
            pid, weights = body["id"], body["weights"]
            # the RM drops the dust positions and moves 5 points from the largest weight to the next one
            ranked = sorted((c for c in weights if weights[c] >= 0.01), key=weights.get, reverse=True)
            big, second = ranked[0], ranked[1]
            edited = {c: weights[c] for c in ranked}
            edited[big] = round(edited[big] - 0.05, 6)
            edited[second] = round(1 - sum(w for c, w in edited.items() if c != second), 6)
            check = rm.post(f"/api/v1/proposals/{pid}/check", json={"weights": edited}, headers=rm_h).json()
            assert check["ok"], check
            bad = rm.post(f"/api/v1/proposals/{pid}/check", json={"weights": {big: 0.5}}, headers=rm_h).json()
            assert not bad["ok"]
            no_reason = rm.post(
                f"/api/v1/proposals/{pid}/override", json={"weights": edited, "reason": " "}, headers=rm_h
            )
            assert no_reason.status_code == 422
            over = rm.post(
                f"/api/v1/proposals/{pid}/override",
                json={"weights": edited, "reason": "客户希望多留现金"}, headers=rm_h,
            )  # fmt: skip
            assert over.status_code == 200, over.text
            stored = over.json()
            assert (
                stored["overridden"]
                and stored["needs_compliance"]
                and "override" in stored["compliance_reasons"]
            )
            event = stored["events"][-1]
            assert event["action"] == "override" and event["reason"] == "客户希望多留现金"
            assert event["actor"] == "rm001"
            assert event["diff"][big] == [pytest.approx(weights[big]), pytest.approx(edited[big])]

            reviewed = rm.post(f"/api/v1/proposals/{pid}/actions", json={"action": "review"}, headers=rm_h)
            assert reviewed.json()["status"] == "rm_reviewed"
            queue = officer.get("/api/v1/compliance/proposals")
            assert pid in [p["id"] for p in queue.json()]
            page = officer.get("/compliance/proposals")
            assert page.status_code == 200 and f"/clients/{parties[0]}/lab?proposal={pid}" in page.text

            no_reason = officer.post(
                f"/api/v1/proposals/{pid}/actions", json={"action": "reject"}, headers=co_h
            )
            assert no_reason.status_code == 422
            assert no_reason.json()["code"] == "input_error"
            presented_early = rm.post(
                f"/api/v1/proposals/{pid}/actions", json={"action": "present"}, headers=rm_h
            )
            assert presented_early.status_code == 422
            approved = officer.post(
                f"/api/v1/proposals/{pid}/actions", json={"action": "approve", "reason": "ok"}, headers=co_h
            )
            assert approved.status_code == 200 and approved.json()["status"] == "compliance_checked"
            assert pid not in [p["id"] for p in officer.get("/api/v1/compliance/proposals").json()]
            presented = rm.post(f"/api/v1/proposals/{pid}/actions", json={"action": "present"}, headers=rm_h)
            assert presented.status_code == 200, presented.text
            accepted = rm.post(f"/api/v1/proposals/{pid}/actions", json={"action": "accept"}, headers=rm_h)
            assert accepted.json()["status"] == "accepted"
            trail = [e["action"] for e in rm.get(f"/api/v1/proposals/{pid}").json()["events"]]
            assert trail == ["created", "override", "review", "approve", "present", "accept"]

    def test_admin_gets_403_on_every_proposal_route(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "admin01")
        assert client.get(f"/api/v1/clients/{parties[0]}/proposals").status_code == 403
        assert client.get("/api/v1/proposals/1").status_code == 403
        assert (
            client.post(
                "/api/v1/proposals/1/actions", json={"action": "approve"}, headers=headers
            ).status_code
            == 403
        )


class TestLabPage:
    def test_lab_renders_in_both_languages_with_rationale_and_charts(self, app_client, parties) -> None:
        client, headers = client_as(app_client, "rm001")
        body = propose(client, headers, parties[0])
        zh = client.get(f"/clients/{parties[0]}/lab")
        assert zh.status_code == 200
        assert "组合实验室" in zh.text and "<svg" in zh.text
        assert body["machine"]["rationale_zh"] in zh.text.replace("&#39;", "'")
        assert 'id="backtest-line"' in zh.text and 'data-scenario="gfc"' in zh.text
        # weights by asset class (look-through), summing to one for the proposal
        full = client.get(f"/api/v1/proposals/{body['id']}").json()
        assert abs(sum(full["class_weights"]["proposal"].values()) - 1) < 1e-4
        for cls in full["class_weights"]["proposal"]:
            assert f'data-class="{cls}"' in zh.text
        assert "方法：" in zh.text  # the system's own trail entry, in the reader's language
        comparison = body["evidence"]["comparison"]
        if comparison is not None:  # every holding of the client has NAV history
            assert 'id="risk-return-chart"' in zh.text and comparison["sentence_zh"] in zh.text
        client.put("/api/v1/me/locale", json={"locale": "en"}, headers=headers)
        en = client.get(f"/clients/{parties[0]}/lab?proposal={body['id']}")
        assert en.status_code == 200
        assert "Portfolio lab" in en.text and "<svg" in en.text and "Stress tests" in en.text
        assert 'id="class-weights"' in en.text and "Method: " in en.text
        if comparison is not None:
            assert comparison["sentence_en"] in en.text.replace("&#39;", "'")
        rationale = body["machine"]["rationale_en"]
        assert rationale.replace("'", "&#39;") in en.text or rationale in en.text
        client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers=headers)

    def test_client_360_links_to_the_lab(self, app_client, parties) -> None:
        client, _ = client_as(app_client, "rm001")
        page = client.get(f"/clients/{parties[0]}")
        assert f'href="/clients/{parties[0]}/lab"' in page.text

    def test_forms_post_redirect_get_and_show_errors(self, app_client, parties) -> None:
        client, _ = client_as(app_client, "rm001")
        token = csrf_of(client.get(f"/clients/{parties[0]}/lab").text)
        created = client.post(
            f"/clients/{parties[0]}/lab/proposals",
            data={"invest_amount": "500000", "method": "min_volatility", "csrf_token": token},
            follow_redirects=False,
        )  # fmt: skip
        assert created.status_code == 303
        location = created.headers["location"]
        pid = int(re.search(r"proposal=(\d+)", location).group(1))
        page = client.get(location)
        assert f'data-proposal="{pid}"' in page.text and 'id="override-form"' in page.text
        bad = client.post(
            f"/clients/{parties[0]}/lab/proposals/{pid}/override",
            data={"reason": "", "csrf_token": token}, follow_redirects=False,
        )  # fmt: skip
        assert bad.status_code == 422 and 'id="lab-error"' in bad.text
        reviewed = client.post(
            f"/clients/{parties[0]}/lab/proposals/{pid}/actions",
            data={"action": "review", "csrf_token": token}, follow_redirects=False,
        )  # fmt: skip
        assert reviewed.status_code == 303
        after = client.get(reviewed.headers["location"]).text
        assert 'data-action="review"' in after
        no_csrf = client.post(f"/clients/{parties[0]}/lab/proposals", data={"invest_amount": "1"})
        assert no_csrf.status_code == 403

    def test_compliance_queue_page_is_for_compliance(self, app_client) -> None:
        client, _ = client_as(app_client, "rm001")
        assert client.get("/compliance/proposals").status_code == 403


class TestCompareProducts:
    def test_products_ranked_per_unit_of_risk_with_a_sentence(self, app_client) -> None:
        client, _ = client_as(app_client, "rm001")
        result = client.get("/api/v1/products/compare", params={"codes": "BF001,EF001,GLD001"})
        assert result.status_code == 200, result.text
        body = result.json()
        ranked = body["products"]
        assert [p["rank"] for p in ranked] == [1, 2, 3] and body["days"] >= 60
        ratios = [p["per_unit_risk"] for p in ranked]
        assert ratios == sorted(ratios, reverse=True)
        top = ranked[0]
        assert body["sentence_en"].startswith(
            f"{top['annual_return'] * 100:.2f}".rstrip("0").rstrip(".") + "% a year"
        )
        assert {p["label"] for p in body["chart"]["points"]} == {"BF001", "EF001", "GLD001"}

    def test_an_unknown_product_or_a_single_code_is_a_named_error(self, app_client) -> None:
        client, _ = client_as(app_client, "rm001")
        unknown = client.get("/api/v1/products/compare", params={"codes": "BF001,NOPE"})
        assert unknown.status_code == 422 and "NOPE" in unknown.json()["error"]
        single = client.get("/api/v1/products/compare", params={"codes": "BF001"})
        assert single.status_code == 422

    def test_the_compare_page_renders_in_both_languages(self, app_client) -> None:
        client, headers = client_as(app_client, "rm001")
        zh = client.get("/products/compare", params={"codes": "BF001,EF001"})
        assert zh.status_code == 200 and 'id="compare-chart"' in zh.text and "产品比较" in zh.text
        assert 'data-code="BF001"' in zh.text and 'id="compare-sentence"' in zh.text
        client.put("/api/v1/me/locale", json={"locale": "en"}, headers=headers)
        en = client.get("/products/compare", params={"codes": "BF001,NOPE"})
        assert en.status_code == 422 and "NOPE" in en.text and "Compare products" in en.text
        client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers=headers)
