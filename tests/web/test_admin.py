"""Administration pages and API: users, teams, tokens, moving clients (client numbers only)."""

import re

import pytest
from sqlalchemy import func, select

from fincrm.access.models import AuditRecord, User
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from tests.web.conftest import sign_in


def book_of(institution, username: str, n: int = 3) -> list[str]:
    with unit_of_work(institution.sessions) as s:
        return list(
            s.scalars(
                select(Party.party_no).join(User, User.id == Party.primary_rm_id)
                .where(User.username == username).order_by(Party.party_no).limit(n)
            )
        )  # fmt: skip


class TestUsersPage:
    def test_lists_users_with_role_team_and_status_in_chinese(self, app_client) -> None:
        sign_in(app_client, "admin01")
        page = app_client.get("/admin/users")
        assert page.status_code == 200
        assert "员工用户" in page.text and 'data-user="rm001"' in page.text and "客户经理" in page.text
        assert 'id="create-user"' in page.text and 'name="csrf_token"' in page.text

    def test_in_english(self, app_client) -> None:
        csrf = sign_in(app_client, "admin01")
        app_client.post("/language", data={"locale": "en", "csrf_token": csrf})
        try:
            assert "Staff users" in app_client.get("/admin/users").text
        finally:
            app_client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf})

    def test_create_deactivate_reactivate_and_set_password(self, app_client) -> None:
        csrf = sign_in(app_client, "admin01")
        form = {"username": "rm_new01", "display_name": "王新", "role": "rm", "password": "first-pass-01",
                "team_code": "", "csrf_token": csrf}  # fmt: skip
        created = app_client.post("/admin/users", data=form, follow_redirects=True)
        assert (
            created.status_code == 200
            and 'data-user="rm_new01"' in created.text
            and "已创建用户" in created.text
        )
        off = app_client.post("/admin/users/rm_new01/active", data={"active": 0, "csrf_token": csrf})
        row = re.search(r'data-user="rm_new01".*?</tr>', off.text, re.S).group(0)
        assert "已停用" in row
        on = app_client.post("/admin/users/rm_new01/active", data={"active": 1, "csrf_token": csrf})
        assert "已重新启用用户" in on.text
        app_client.post(
            "/admin/users/rm_new01/password", data={"password": "second-pass-02", "csrf_token": csrf}
        )
        app_client.cookies.clear()
        sign_in(app_client, "rm_new01", "second-pass-02")

    def test_a_bad_form_shows_every_problem(self, app_client) -> None:
        csrf = sign_in(app_client, "admin01")
        form = {
            "username": "bad name!",
            "display_name": " ",
            "role": "boss",
            "password": "short",
            "csrf_token": csrf,
        }
        page = app_client.post("/admin/users", data=form)
        assert page.status_code == 422 and page.text.count("<li>") >= 4 and 'value="bad name!"' in page.text

    def test_forms_need_the_csrf_token(self, app_client) -> None:
        sign_in(app_client, "admin01")
        assert app_client.post("/admin/users/rm002/active", data={"active": 0}).status_code == 403

    @pytest.mark.parametrize("who", ["rm001", "lead01", "compliance01", "research01"])
    def test_other_roles_are_refused(self, app_client, who) -> None:
        sign_in(app_client, who)
        assert app_client.get("/admin/users").status_code == 403
        assert app_client.get("/admin/teams").status_code == 403

    def test_teams_page(self, app_client) -> None:
        sign_in(app_client, "admin01")
        page = app_client.get("/admin/teams")
        assert page.status_code == 200 and 'id="teams"' in page.text and "data-team=" in page.text


class TestAssignmentsPage:
    def test_admin_sees_counts_and_moves_clients_by_number_without_names(
        self, app_client, institution
    ) -> None:
        csrf = sign_in(app_client, "admin01")
        page = app_client.get("/admin/assignments")
        assert page.status_code == 200 and 'data-user="rm001"' in page.text
        moving = book_of(institution, "rm001", 2)
        with unit_of_work(institution.sessions) as s:
            names = list(s.scalars(select(Party.name).where(Party.party_no.in_(moving))))
        done = app_client.post(
            "/admin/assignments",
            data={"mode": "clients", "party_nos": "\n".join(moving), "to_rm": "rm002", "csrf_token": csrf},
        )
        assert done.status_code == 200 and "已调整至 rm002 名下：2 户" in done.text
        assert all(n not in done.text for n in names)  # admin reads no client personal data
        assert set(moving) <= set(book_of(institution, "rm002", 10_000))

    def test_bad_numbers_are_all_listed(self, app_client) -> None:
        csrf = sign_in(app_client, "admin01")
        page = app_client.post(
            "/admin/assignments",
            data={"mode": "clients", "party_nos": "NOPE-1, NOPE-2", "to_rm": "rm002", "csrf_token": csrf},
        )
        assert page.status_code == 422 and "NOPE-1" in page.text and "NOPE-2" in page.text


class TestAdminApi:
    def test_users_and_teams(self, app_client) -> None:
        sign_in(app_client, "admin01")
        users = app_client.get("/api/v1/admin/users").json()
        assert {"username": "rm001"}.items() <= next(u for u in users if u["username"] == "rm001").items()
        assert app_client.get("/api/v1/admin/teams").status_code == 200

    def test_cookie_writes_need_the_csrf_header(self, app_client) -> None:
        csrf = sign_in(app_client, "admin01")
        body = {
            "username": "api_user01",
            "display_name": "接口",
            "role": "research",
            "password": "long-enough-1",
        }
        assert app_client.post("/api/v1/admin/users", json=body).status_code == 403
        made = app_client.post("/api/v1/admin/users", json=body, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201 and made.json()["role"] == "research"
        again = app_client.post("/api/v1/admin/users", json=body, headers={"X-CSRF-Token": csrf})
        assert again.status_code == 409
        off = app_client.post("/api/v1/admin/users/api_user01/deactivate", headers={"X-CSRF-Token": csrf})
        assert off.json()["is_active"] is False

    def test_a_token_is_shown_once_works_and_is_revoked(self, app_client, institution) -> None:
        csrf = sign_in(app_client, "admin01")
        issued = app_client.post(
            "/api/v1/admin/tokens", json={"username": "compliance01", "name": "监管报送"},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert issued.status_code == 201
        token = issued.json()["token"]
        listed = app_client.get("/api/v1/admin/tokens").json()
        assert token not in str(listed) and any(t["id"] == issued.json()["id"] for t in listed)
        app_client.cookies.clear()
        bearer = {"Authorization": f"Bearer {token}"}
        assert app_client.get("/api/v1/me", headers=bearer).json()["username"] == "compliance01"
        csrf = sign_in(app_client, "admin01")
        gone = app_client.delete(
            f"/api/v1/admin/tokens/{issued.json()['id']}", headers={"X-CSRF-Token": csrf}
        )
        assert gone.status_code == 204
        app_client.cookies.clear()
        assert app_client.get("/api/v1/me", headers=bearer).status_code == 401
        with unit_of_work(institution.sessions) as s:
            actions = set(s.scalars(select(AuditRecord.action).where(AuditRecord.action.like("api_token.%"))))
        assert actions == {"api_token.create", "api_token.revoke"}

    def test_reassignment_by_api(self, app_client, institution) -> None:
        csrf = sign_in(app_client, "admin01")
        moving = book_of(institution, "rm001", 1)
        done = app_client.post(
            "/api/v1/admin/assignments", json={"party_nos": moving, "to_rm": "rm002"},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert done.status_code == 200 and done.json()["moved"] == moving
        bad = app_client.post(
            "/api/v1/admin/assignments", json={"party_nos": ["X1", "X2"], "to_rm": "rm002"},
            headers={"X-CSRF-Token": csrf},
        )  # fmt: skip
        assert bad.status_code == 422 and [e["input"] for e in bad.json()["errors"]] == ["X1", "X2"]

    def test_a_whole_book_by_api_writes_one_record_per_client(self, app_client, institution) -> None:
        csrf = sign_in(app_client, "admin01")
        with unit_of_work(institution.sessions) as s:
            before = s.scalar(
                select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "client.reassign")
            )
        book = book_of(institution, "rm003", 10_000)
        done = app_client.post(
            "/api/v1/admin/assignments",
            json={"from_rm": "rm003", "to_rm": "rm004"},
            headers={"X-CSRF-Token": csrf},
        )
        assert done.status_code == 200 and sorted(done.json()["moved"]) == book and book
        with unit_of_work(institution.sessions) as s:
            after = s.scalar(
                select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "client.reassign")
            )
        assert after - before == len(book) and book_of(institution, "rm003") == []

    def test_a_team_lead_sees_team_books_only(self, app_client) -> None:
        sign_in(app_client, "lead01")
        books = app_client.get("/api/v1/admin/assignments").json()
        assert books and "admin01" not in {b["username"] for b in books}
        assert app_client.get("/api/v1/admin/users").status_code == 403
