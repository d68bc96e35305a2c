"""Engagement through the real app: an event posted by an integration account becomes a task on
the RM's day, a replay makes nothing new; the rules page with its dry run and switches; compliance
reviews a held message."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement.models import HELD, OutboxMessage
from tests.web.conftest import NOW, csrf_of, sign_in


def own_party(institution) -> str:
    from fincrm.access.models import User

    with unit_of_work(institution.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        return s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)
        ).first()


class TestEvents:
    def test_an_opened_account_is_on_the_rms_day_within_the_hour_and_a_replay_adds_nothing(
        self, app_client, institution
    ) -> None:
        party_no = own_party(institution)
        token = sign_in(app_client, "admin01")
        body = {"idempotency_key": f"core-{uuid.uuid4()}", "kind": "account_opened", "client_no": party_no,
                "occurred_at": NOW.isoformat(), "payload": {}}  # fmt: skip
        first = app_client.post("/api/v1/events", json=body, headers={"X-CSRF-Token": token})
        assert first.status_code == 202, first.text
        assert first.json()["tasks"] >= 1 and not first.json()["duplicate"]
        replay = app_client.post("/api/v1/events", json=body, headers={"X-CSRF-Token": token})
        assert replay.json()["duplicate"] and replay.json()["tasks"] == 0
        bad = app_client.post(
            "/api/v1/events", json={**body, "kind": "lottery"}, headers={"X-CSRF-Token": token}
        )
        assert bad.status_code == 422
        app_client.post("/logout", data={"csrf_token": token})
        sign_in(app_client, "rm001")
        day = app_client.get("/api/v1/my-day").json()
        assert any(t["client_no"] == party_no and t["rule_key"] == "new_client_welcome_call" for t in day)


class TestRulesPage:
    def test_a_team_lead_switches_a_rule_and_anyone_sees_a_dry_run(self, app_client) -> None:
        sign_in(app_client, "lead01")
        page = app_client.get("/engagement/rules")
        assert page.status_code == 200 and 'data-rule="birthday_greeting" data-enabled="true"' in page.text
        off = app_client.post("/engagement/rules/birthday_greeting",
                              data={"enabled": "false", "csrf_token": csrf_of(page.text)}, follow_redirects=False)  # fmt: skip
        assert off.status_code == 303
        page = app_client.get("/engagement/rules")
        assert 'data-rule="birthday_greeting" data-enabled="false"' in page.text
        app_client.post(
            "/engagement/rules/birthday_greeting", data={"enabled": "true", "csrf_token": csrf_of(page.text)}
        )
        preview = app_client.get("/engagement/rules?dry_run=questionnaire_expiry_30d")
        assert preview.status_code == 200 and 'id="dry-run"' in preview.text and "试运行" in preview.text

    def test_an_rm_may_not_switch_rules(self, app_client) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/engagement/rules")
        assert "停用" not in page.text.split('id="rules"')[1].split("</table>")[0].replace(
            "<td>停用</td>", ""
        )
        response = app_client.post("/engagement/rules/birthday_greeting",
                                   data={"enabled": "false", "csrf_token": csrf_of(page.text)})  # fmt: skip
        assert response.status_code == 403


class TestHeldMessages:
    def test_compliance_releases_a_held_message_with_a_reason(self, app_client, institution) -> None:
        party_no = own_party(institution)
        with unit_of_work(institution.sessions) as s:
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            message = OutboxMessage(
                idempotency_key=f"web-held-{uuid.uuid4()}", party_id=party.id, rule_key="product_maturing_7d",
                template_key="maturity_notice", channel="sms", lang="zh-CN", recipient="13800000000",
                body="本产品保本保收益", marketing=False, status=HELD, reason_code="forbidden_promise",
                reason="promise of principal: 保本", attempts=0, next_attempt_at=NOW, created_at=NOW,
            )  # fmt: skip
            s.add(message)
            s.flush()
            message_id = message.id
        sign_in(app_client, "compliance01")
        page = app_client.get("/compliance/messages")
        assert (
            page.status_code == 200
            and f'data-message-id="{message_id}"' in page.text
            and "保本保收益" in page.text
        )
        missing_reason = app_client.post(f"/compliance/messages/{message_id}",
                                         data={"decision": "reject", "reason": " ", "csrf_token": csrf_of(page.text)})  # fmt: skip
        assert missing_reason.status_code == 422
        done = app_client.post(f"/compliance/messages/{message_id}",
                               data={"decision": "reject", "reason": "承诺保本，违反资管新规", "csrf_token": csrf_of(page.text)},
                               follow_redirects=False)  # fmt: skip
        assert done.status_code == 303
        assert f'data-message-id="{message_id}"' not in app_client.get("/compliance/messages").text
        with unit_of_work(institution.sessions) as s:
            assert s.get(OutboxMessage, message_id).status == "rejected"

    def test_an_rm_has_no_held_messages_page(self, app_client) -> None:
        sign_in(app_client, "rm001")
        assert app_client.get("/compliance/messages").status_code == 403
