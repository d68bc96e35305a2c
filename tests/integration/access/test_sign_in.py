"""Sign-in rules at the service level: Argon2, back-off, lockout, sessions, tokens."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fincrm.access import service
from fincrm.access.domain import LOCKOUT_SECONDS, MAX_FAILED_LOGINS, SESSION_SECONDS, Role
from fincrm.access.models import ApiToken, AuditRecord, User, UserSession

T0 = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


def _user(session, username="rm900", role=Role.RM, password="correct-horse-9") -> User:
    user = User(username=username, display_name="测试", role=role, created_at=T0)
    session.add(user)
    session.flush()
    service.set_password(session, username=username, password=password, now=T0)
    return user


class TestSignIn:
    def test_password_is_stored_as_argon2id(self, session) -> None:
        user = _user(session)
        assert user.password_hash.startswith("$argon2id$") and "correct-horse" not in user.password_hash

    def test_lockout_after_repeated_failures_then_release(self, session) -> None:
        user = _user(session)
        now = T0
        for _ in range(MAX_FAILED_LOGINS):
            now += timedelta(minutes=1)  # past any back-off
            assert service.sign_in(session, username="rm900", password="nope", ip="10.0.0.1", now=now) is None
        assert user.locked_until == now + timedelta(seconds=LOCKOUT_SECONDS)
        assert (
            service.sign_in(session, username="rm900", password="correct-horse-9", ip=None, now=now) is None
        )
        later = now + timedelta(seconds=LOCKOUT_SECONDS + 1)
        signed = service.sign_in(session, username="rm900", password="correct-horse-9", ip=None, now=later)
        assert signed is not None and user.failed_logins == 0 and user.locked_until is None
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
        assert (
            actions.count("login.failed") == MAX_FAILED_LOGINS
            and "login.locked" in actions
            and actions[-1] == "login"
        )

    def test_unknown_user_is_refused_like_a_wrong_password(self, session) -> None:
        assert service.sign_in(session, username="ghost", password="x" * 12, ip=None, now=T0) is None

    def test_session_token_is_stored_hashed_and_expires(self, session) -> None:
        _user(session)
        signed = service.sign_in(session, username="rm900", password="correct-horse-9", ip=None, now=T0)
        stored = session.scalars(select(UserSession.token_hash)).all()
        assert signed.cookie_token not in stored and len(stored) == 1
        assert service.resolve_session(session, cookie_token=signed.cookie_token, ip=None, now=T0) is not None
        expired = T0 + timedelta(seconds=SESSION_SECONDS)
        assert (
            service.resolve_session(session, cookie_token=signed.cookie_token, ip=None, now=expired) is None
        )


class TestApiTokens:
    def test_issue_use_and_revoke(self, session) -> None:
        admin = service.principal_of(_user(session, "admin900", Role.ADMIN))
        _user(session, "integration900", Role.COMPLIANCE)
        secret = service.create_api_token(
            session, admin, username="integration900", name="core banking", now=T0
        )
        assert session.scalars(select(ApiToken.token_hash)).one() != secret
        acting = service.resolve_api_token(session, token=secret, ip=None, now=T0)
        assert acting is not None and acting.username == "integration900" and acting.via_token
        token_id = session.scalars(select(ApiToken.id)).one()
        service.revoke_api_token(session, admin, token_id=token_id, now=T0)
        assert service.resolve_api_token(session, token=secret, ip=None, now=T0) is None

    def test_last_use_is_recorded_at_most_once_a_minute(self, session) -> None:
        from datetime import timedelta

        admin = service.principal_of(_user(session, "admin901", Role.ADMIN))
        _user(session, "integration901", Role.ADMIN)
        secret = service.create_api_token(session, admin, username="integration901", name="events", now=T0)
        token = session.scalars(select(ApiToken)).one()
        principal, stale = service.check_api_token(session, token=secret, ip=None, now=T0)
        assert principal is not None and stale == token.id  # never used: record it
        service.touch_api_token(session, token_id=token.id, now=T0)
        assert (
            service.check_api_token(session, token=secret, ip=None, now=T0 + timedelta(seconds=59))[1] is None
        )
        assert (
            service.check_api_token(session, token=secret, ip=None, now=T0 + timedelta(seconds=60))[1]
            == token.id
        )
        service.resolve_api_token(session, token=secret, ip=None, now=T0 + timedelta(minutes=5))
        assert token.last_used_at == T0 + timedelta(minutes=5)
