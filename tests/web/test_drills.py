"""Extreme-market drills through the real app: the lead assigns on /drills, the RM answers on the drill's
page and sees the automatic checks' score, the lead reviews, the training records; the JSON API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fincrm.web.app import create_app
from tests.web.conftest import sign_in

ANSWER = ("陈先生，我非常理解您的担心。账户一个月下跌了30%，同期沪深300下跌25%。"
          "我建议先不要全部赎回，明天下午3点我们面谈，把权益比例调回目标。投资有风险。")  # fmt: skip


@pytest.fixture()
def client(institution):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def test_lead_assigns_rm_answers_score_shown_lead_reviews(client) -> None:
    csrf = sign_in(client, "lead01")
    page = client.get("/drills")
    assert page.status_code == 200 and 'id="assign-form"' in page.text
    made = client.post("/drills", data={"csrf_token": csrf, "scenario_key": "account_down_30", "rm": "rm001",
                                        "client_kind": "demo"}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    url = made.headers["location"]
    assigned = client.get(url)
    assert 'data-status="assigned"' in assigned.text and 'data-figure="fall_pct">30%<' in assigned.text
    assert 'id="answer-form"' not in assigned.text  # the lead does not answer
    client.post("/logout", data={"csrf_token": csrf})

    csrf = sign_in(client, "rm001")
    answered = client.post(
        f"{url}/answer", data={"csrf_token": csrf, "call_notes": "先倾听", "message": ANSWER}
    )
    assert 'data-status="submitted"' in answered.text and '<span id="auto-score">100</span>' in answered.text
    assert len(re.findall(r'data-check="\w+"', answered.text)) == 4
    empty = client.post(f"{url}/answer", data={"csrf_token": csrf, "message": ""})
    assert empty.status_code == 422 and 'id="drill-error"' in empty.text
    client.post("/logout", data={"csrf_token": csrf})

    csrf = sign_in(client, "lead01")
    reviewed = client.post(
        f"{url}/review", data={"csrf_token": csrf, "adjustment": "-5", "comment": "节奏再慢一点"}
    )
    assert 'data-status="reviewed"' in reviewed.text and '<span id="final-score">95</span>' in reviewed.text
    records = client.get("/drills")
    assert re.search(r'<tr data-rm="rm001">.*?class="average">\d', records.text, re.S)


def test_a_wrong_assignment_is_shown_on_the_page(client) -> None:
    csrf = sign_in(client, "lead01")
    page = client.post("/drills", data={"csrf_token": csrf, "scenario_key": "nope", "rm": "rm001"})
    assert page.status_code == 422 and "scenario_key" in page.text


def test_api_assign_submit_review_and_scores(client) -> None:
    csrf = sign_in(client, "lead01")
    h = {"X-CSRF-Token": csrf}
    keys = [s["key"] for s in client.get("/api/v1/drills/scenarios").json()]
    assert "crash_2015" in keys
    made = client.post("/api/v1/drills", json={"scenario_key": "crash_2015", "rm": "rm001"}, headers=h)
    assert made.status_code == 201, made.text
    drill = made.json()
    assert drill["figures"]["kind"] == "shocks" and drill["client"]["kind"] == "demo"
    early = client.post(f"/api/v1/drills/{drill['id']}/review", json={"comment": "x"}, headers=h)
    assert early.status_code == 422
    client.post("/logout", data={"csrf_token": csrf})
    csrf = sign_in(client, "rm001")
    fall = drill["figures"]["fall_pct"]
    answer = client.post(f"/api/v1/drills/{drill['id']}/answer", headers={"X-CSRF-Token": csrf},
                         json={"message": ANSWER.replace("30%", f"{fall}%")}).json()  # fmt: skip
    assert answer["status"] == "submitted" and {c["key"] for c in answer["checks"]} == {
        "sandwich",
        "facts",
        "no_promise",
        "plan",
    }
    mine = client.get("/api/v1/drills/scores").json()
    assert [r["rm"] for r in mine] == ["rm001"] and mine[0]["taken"] >= 1
    assert client.post("/api/v1/drills", json={"scenario_key": "crash_2015", "rm": "rm001"},
                       headers={"X-CSRF-Token": csrf}).status_code == 403  # fmt: skip


def matrix_drill(case, *, answered: bool) -> int:
    """For the authorization matrix: the id of a fresh drill lead01 gives rm001 (answered by rm001
    when ``answered``, so that it can be reviewed)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from fincrm.access.models import User
    from fincrm.access.service import principal_of
    from fincrm.db.uow import unit_of_work
    from fincrm.team import drills

    inst = case.world.institution
    now = datetime(2026, 7, 1, 2, tzinfo=UTC)
    with unit_of_work(inst.sessions) as s:
        lead, rm = (
            principal_of(s.scalars(select(User).where(User.username == u)).one()) for u in ("lead01", "rm001")
        )
        made = drills.assign_drill(
            s, lead, inst.settings, scenario_key="account_down_30", rm="rm001", now=now
        )
        if answered:
            drills.submit_drill(s, rm, made.id, call_notes="", message=ANSWER, now=now)
        return made.id
