"""Sign-in, lockout, CSRF, sign-out, language."""

from fincrm.web.context import SESSION_COOKIE
from tests.web.conftest import PASSWORDS, sign_in


class TestLogin:
    def test_login_page_in_both_languages(self, app_client) -> None:
        zh = app_client.get("/login")
        assert zh.status_code == 200 and "登录" in zh.text
        en = app_client.get("/login?lang=en")
        assert "Sign in to fincrm" in en.text

    def test_pages_redirect_to_login_when_signed_out(self, app_client) -> None:
        response = app_client.get("/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/")

    def test_api_answers_401_in_the_error_shape(self, app_client) -> None:
        body = app_client.get("/api/v1/me").json()
        assert (
            body["ok"] is False
            and body["status"] == 401
            and set(body) == {"ok", "error", "errors", "code", "status"}
        )

    def test_sign_in_sets_a_hardened_cookie_and_sign_out_kills_the_session(self, app_client) -> None:
        csrf = sign_in(app_client, "rm001")
        me = app_client.get("/api/v1/me").json()
        assert me["username"] == "rm001" and me["role"] == "rm"
        token = app_client.cookies.get(SESSION_COOKIE)
        out = app_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        app_client.cookies.set(SESSION_COOKIE, token)  # a kept cookie opens nothing any more
        assert app_client.get("/api/v1/me").status_code == 401

    def test_set_cookie_flags(self, app_client) -> None:
        page = app_client.get("/login")
        import re

        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
        response = app_client.post(
            "/login", data={"username": "rm001", "password": PASSWORDS["rm001"], "login_csrf": login_csrf},
            follow_redirects=False,
        )  # fmt: skip
        set_cookie = response.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie

    def test_login_without_the_form_token_is_refused(self, app_client) -> None:
        response = app_client.post("/login", data={"username": "rm001", "password": PASSWORDS["rm001"]})
        assert response.status_code == 403

    def test_failures_back_off_even_a_right_password(self, app_client, institution) -> None:
        import re

        from sqlalchemy import select

        from fincrm.access.models import User
        from fincrm.db.uow import unit_of_work

        def attempt(password: str) -> str:
            app_client.cookies.clear()
            token = re.search(r'name="login_csrf" value="([^"]+)"', app_client.get("/login").text).group(1)
            data = {"username": "rm002", "password": password, "login_csrf": token}
            return app_client.post("/login", data=data, follow_redirects=False).headers["location"]

        assert "failed=1" in attempt("wrong-password")
        assert "failed=1" in attempt("wrong-password")
        assert "failed=1" in attempt(PASSWORDS["rm002"])  # the clock has not moved past the back-off
        with unit_of_work(institution.sessions) as s:
            user = s.scalars(select(User).where(User.username == "rm002")).one()
            assert user.failed_logins == 2 and user.locked_until is not None
            user.failed_logins, user.locked_until = 0, None  # leave the account usable for other tests

    def test_state_changes_need_the_csrf_token(self, app_client) -> None:
        sign_in(app_client, "rm001")
        assert app_client.post("/language", data={"locale": "en"}).status_code == 403

    def test_language_switch_is_kept_per_user(self, app_client) -> None:
        csrf = sign_in(app_client, "lead01")
        app_client.post("/language", data={"locale": "en", "csrf_token": csrf, "next": "/api/v1/me"})
        assert app_client.get("/api/v1/me").json()["locale"] == "en"
        app_client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf})
        assert app_client.get("/api/v1/me").json()["locale"] == "zh-CN"
