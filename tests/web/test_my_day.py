"""My day through the real app: tasks with their SLA countdown and the client's context, done with
an outcome, snoozed, reassigned from the page; the JSON API; both languages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement import tasks
from tests.web.conftest import NOW, csrf_of, sign_in


@pytest.fixture()
def task_for(institution):
    def make(username: str = "rm001", *, due_in: timedelta = timedelta(minutes=40)) -> tuple[int, str]:
        with unit_of_work(institution.sessions) as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            party = s.scalars(
                select(Party).where(Party.primary_rm_id == user.id).order_by(Party.party_no)
            ).first()
            task = tasks.insert_task(
                s, party=party, assignee_id=user.id, rule_key="new_client_call",
                idempotency_key=f"web:{username}:{uuid.uuid4()}", title_zh="开户一小时内致电",
                title_en="Call within an hour of account opening", due_at=NOW + due_in, priority=1, now=NOW,
                reason_zh="客户今天开户", reason_en="the client opened an account today",
            )  # fmt: skip
            return task.id, party.party_no

    return make


class TestMyDayPage:
    def test_the_rm_sees_the_task_with_countdown_and_closes_it(self, app_client, task_for) -> None:
        task_id, party_no = task_for()
        sign_in(app_client, "rm001")
        page = app_client.get("/my-day")
        assert page.status_code == 200 and f'data-task-id="{task_id}"' in page.text
        assert "开户一小时内致电" in page.text and "40" in page.text and party_no in page.text
        response = app_client.post(
            f"/tasks/{task_id}/complete",
            data={"outcome": "已致电，约周五面谈", "channel": "phone", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303
        assert f'data-task-id="{task_id}"' not in app_client.get("/my-day").text

    def test_overdue_tasks_say_so_and_snooze_needs_a_reason(self, app_client, task_for) -> None:
        task_id, _ = task_for(due_in=timedelta(minutes=-15))
        sign_in(app_client, "rm001")
        page = app_client.get("/my-day")
        assert "逾期 15 分钟" in page.text
        bad = app_client.post(
            f"/tasks/{task_id}/snooze", data={"hours": "2", "reason": "", "csrf_token": csrf_of(page.text)}
        )
        assert bad.status_code == 422 and 'id="task-error"' in bad.text
        ok = app_client.post(
            f"/tasks/{task_id}/snooze", data={"hours": "2", "reason": "客户出差", "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert ok.status_code == 303 and f'data-task-id="{task_id}"' not in app_client.get("/my-day").text

    def test_english_page_and_the_api(self, app_client, task_for) -> None:
        task_id, party_no = task_for()
        token = sign_in(app_client, "rm001")
        app_client.put("/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": token})
        page = app_client.get("/my-day")
        assert "My day" in page.text and "Call within an hour of account opening" in page.text
        app_client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": token})
        listed = app_client.get("/api/v1/my-day").json()
        mine = next(t for t in listed if t["id"] == task_id)
        assert mine["client_no"] == party_no and mine["minutes_left"] == 40 and not mine["overdue"]
        done = app_client.post(f"/api/v1/tasks/{task_id}/complete", json={"outcome": "ok", "channel": "phone"},
                               headers={"X-CSRF-Token": token})  # fmt: skip
        assert done.status_code == 200 and done.json()["status"] == "done"
        again = app_client.post(f"/api/v1/tasks/{task_id}/complete", json={"outcome": "ok", "channel": "phone"},
                                headers={"X-CSRF-Token": token})  # fmt: skip
        assert again.status_code == 422

    def test_compliance_has_no_day_of_tasks(self, app_client) -> None:
        sign_in(app_client, "compliance01")
        assert app_client.get("/my-day").status_code == 403
