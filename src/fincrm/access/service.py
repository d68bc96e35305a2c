"""Use cases of access: sign-in with lockout, sessions, API tokens, staff users.

Every function receives the caller's session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import (
    LOCKOUT_SECONDS,
    MAX_FAILED_LOGINS,
    SESSION_SECONDS,
    Principal,
    Role,
    backoff_seconds,
)
from fincrm.access.models import ApiToken, AuditRecord, Team, User, UserSession
from fincrm.access.security import MIN_PASSWORD_LENGTH, digest, hash_password, new_secret, verify_password
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied


def principal_of(user: User, *, ip: str | None = None, via_token: bool = False) -> Principal:
    return Principal(
        user_id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
        team_id=user.team_id, locale=user.locale, ip=ip, via_token=via_token,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class SignIn:
    principal: Principal
    cookie_token: str  # goes to the browser; the store keeps its digest only
    csrf_token: str
    expires_at: datetime


def sign_in(
    session: Session, *, username: str, password: str, ip: str | None, now: datetime
) -> SignIn | None:
    """Check a password and open a session.

    After ``MAX_FAILED_LOGINS`` failures in a row the account is locked for ``LOCKOUT_SECONDS``;
    before that each failure makes the next attempt wait longer (``backoff_seconds``). Every
    attempt is audited.

    Returns None when the sign-in is refused (unknown user, wrong password, inactive, locked or
    backing off: the caller shows one message for all). The failure count and the audit record
    are written either way, so the caller must commit in both cases.
    """
    user = session.scalars(select(User).where(User.username == username.strip())).one_or_none()
    if user is None:
        verify_password(None, password)
        audit.append(
            session,
            None,
            "login.refused",
            at=now,
            detail=f"unknown user {username[:64]!r}",
            actor="anonymous",
        )
        return None
    if user.locked_until is not None and user.locked_until > now:
        audit.append(session, principal_of(user, ip=ip), "login.locked", at=now)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        wait = (
            LOCKOUT_SECONDS
            if user.failed_logins >= MAX_FAILED_LOGINS
            else backoff_seconds(user.failed_logins)
        )
        user.locked_until = now + timedelta(seconds=wait) if wait else None
        audit.append(
            session, principal_of(user, ip=ip), "login.failed", at=now, detail=f"failure {user.failed_logins}"
        )
        return None
    user.failed_logins = 0
    user.locked_until = None
    token, csrf = new_secret(), new_secret()
    expires = now + timedelta(seconds=SESSION_SECONDS)
    session.add(UserSession(
        token_hash=digest(token), csrf_token=csrf, user_id=user.id, created_at=now, expires_at=expires, ip=ip,
    ))  # fmt: skip
    principal = principal_of(user, ip=ip)
    audit.append(session, principal, "login", at=now)
    return SignIn(principal, token, csrf, expires)


def resolve_session(
    session: Session, *, cookie_token: str, ip: str | None, now: datetime
) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None (expired, revoked, unknown)."""
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == digest(cookie_token))
    ).one_or_none()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked_at is not None or user_session.expires_at <= now or not user.is_active:
        return None
    return principal_of(user, ip=ip), user_session.csrf_token


def sign_out(session: Session, principal: Principal, *, cookie_token: str, now: datetime) -> None:
    """End the session for good: the cookie no longer opens anything, even if kept."""
    user_session = session.scalars(
        select(UserSession).where(UserSession.token_hash == digest(cookie_token))
    ).one_or_none()
    if user_session is not None and user_session.revoked_at is None:
        user_session.revoked_at = now
        audit.append(session, principal, "logout", at=now)


TOKEN_USE_GRANULARITY = timedelta(minutes=1)  # a token's last use is recorded at most this often


def resolve_api_token(session: Session, *, token: str, ip: str | None, now: datetime) -> Principal | None:
    """The principal a bearer token acts as (None: unknown, revoked or its user inactive); records
    the token's last use, at most once a minute, so a busy integration does not write per request."""
    principal, stale = check_api_token(session, token=token, ip=ip, now=now)
    if stale is not None:
        touch_api_token(session, token_id=stale, now=now)
    return principal


def check_api_token(
    session: Session, *, token: str, ip: str | None, now: datetime
) -> tuple[Principal | None, int | None]:
    """Read-only half of ``resolve_api_token``: the principal, and the token's id when its recorded
    last use is older than ``TOKEN_USE_GRANULARITY`` (else None: nothing to write)."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        return None, None
    api_token, user = row
    if api_token.revoked_at is not None or not user.is_active:
        return None, None
    last = api_token.last_used_at
    stale = api_token.id if last is None or now - last >= TOKEN_USE_GRANULARITY else None
    return principal_of(user, ip=ip, via_token=True), stale


def touch_api_token(session: Session, *, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now


def create_api_token(session: Session, actor: Principal, *, username: str, name: str, now: datetime) -> str:
    """Issue a token acting as ``username``; returns the secret, shown once and stored hashed."""
    _require_admin(actor)
    user = _user_by_name(session, username)
    secret = "fcrm_" + new_secret()
    session.add(ApiToken(name=name, token_hash=digest(secret), user_id=user.id, created_at=now))
    audit.append(session, actor, "api_token.create", at=now, detail=f"{name} for {username}")
    return secret


def revoke_api_token(session: Session, actor: Principal, *, token_id: int, now: datetime) -> None:
    _require_admin(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.append(session, actor, "api_token.revoke", at=now, detail=token.name)


def set_locale(session: Session, principal: Principal, *, locale: str) -> None:
    if locale not in ("zh-CN", "en"):
        raise InputError("unknown language", errors=[FieldError(("locale",), "must be zh-CN or en", locale)])
    user = session.get(User, principal.user_id)
    if user is not None:
        user.locale = locale


def list_users(session: Session, actor: Principal) -> list[User]:
    _require_admin(actor)
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def list_teams(session: Session, actor: Principal) -> list[Team]:
    _require_admin(actor)
    return list(session.scalars(select(Team).order_by(Team.code)))


def create_user(
    session: Session, actor: Principal, *, username: str, display_name: str, role: str, password: str,
    team_code: str | None, now: datetime,
) -> User:  # fmt: skip
    """Add a staff user; every problem with the input is reported at once."""
    _require_admin(actor)
    problems: list[FieldError] = []
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        problems.append(FieldError(("username",), "letters, digits, . and _ only, at most 64", username))
    if not display_name.strip():
        problems.append(FieldError(("display_name",), "required", display_name))
    if role not in {r.value for r in Role}:
        problems.append(FieldError(("role",), f"must be one of {', '.join(r.value for r in Role)}", role))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldError(("password",), f"at least {MIN_PASSWORD_LENGTH} characters", None))
    team = None
    if team_code:
        team = session.scalars(select(Team).where(Team.code == team_code)).one_or_none()
        if team is None:
            problems.append(FieldError(("team_code",), "no such team", team_code))
    if problems:
        raise InputError("the user cannot be created", errors=problems)
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(
            f"user name {username!r} is taken", errors=[FieldError(("username",), "taken", username)]
        )
    user = User(
        username=username, display_name=display_name.strip(), role=Role(role), password_hash=hash_password(password),
        team_id=team.id if team else None, branch_id=team.branch_id if team else None, created_at=now,
    )  # fmt: skip
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", at=now, detail=f"{username} as {role}")
    return user


def set_password(
    session: Session, *, username: str, password: str, now: datetime, actor: Principal | None = None
) -> None:
    """Set a user's password (the CLI and the demo use it with ``actor`` None: the system)."""
    if actor is not None:
        _require_admin(actor)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "password too short",
            errors=[FieldError(("password",), f"at least {MIN_PASSWORD_LENGTH} characters", None)],
        )
    user = _user_by_name(session, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.append(session, actor, "user.password", at=now, detail=username, actor="cli")


def _user_by_name(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _require_admin(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only an administrator may do this")


# ----- administration and the compliance view of the trail -------------------------------------
def set_user_active(
    session: Session, actor: Principal, *, username: str, active: bool, now: datetime
) -> User:
    """Deactivate (sign-in refused, sessions and tokens stop working) or reactivate a staff user.

    An administrator cannot deactivate their own account, so the institution is never left
    without one by accident.
    """
    _require_admin(actor)
    user = _user_by_name(session, username)
    if not active and user.id == actor.user_id:
        raise InputError(
            "you cannot deactivate your own account; ask another administrator",
            errors=[FieldError(("username",), "is you", username)],
        )
    if user.is_active != active:
        user.is_active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
        audit.append(
            session, actor, "user.reactivate" if active else "user.deactivate", at=now, detail=username
        )
    return user


def list_api_tokens(session: Session, actor: Principal) -> list[tuple[ApiToken, str]]:
    """Every API token (never its secret) with the user name it acts as, newest first."""
    _require_admin(actor)
    rows = session.execute(
        select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    )
    return [(token, username) for token, username in rows]


def issue_api_token(
    session: Session, actor: Principal, *, username: str, name: str, now: datetime
) -> tuple[ApiToken, str]:
    """Like ``create_api_token``, also returning the stored row (its id revokes it later)."""
    secret = create_api_token(session, actor, username=username, name=name, now=now)
    session.flush()
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(secret))).one()
    return token, secret


# The trail sits below clients in the capability order, so it names the parties table by name
# instead of importing the clients model: only the client number and the id are read.
_PARTIES = table("parties", column("id"), column("party_no"))
AUDIT_READERS = frozenset({Role.COMPLIANCE})


@dataclass(frozen=True, slots=True)
class ClientTrail:
    party_no: str
    party_id: int
    total: int
    records: list[AuditRecord]  # newest first


def client_trail(
    session: Session, actor: Principal, *, party_no: str, offset: int = 0, limit: int | None = 50
) -> ClientTrail:
    """The audit records about one client, newest first (compliance only).

    Raises
    ------
    PermissionDenied
        ``actor`` is not a compliance officer.
    NotFound
        No client has this client number.
    """
    if actor.role not in AUDIT_READERS:
        raise PermissionDenied("only compliance may read the audit trail")
    party_id = session.scalar(select(_PARTIES.c.id).where(_PARTIES.c.party_no == party_no.strip()))
    if party_id is None:
        raise NotFound(f"no client with client number {party_no!r}")
    where = AuditRecord.party_id == party_id
    total = session.scalar(select(func.count()).select_from(AuditRecord).where(where)) or 0
    query = select(AuditRecord).where(where).order_by(AuditRecord.id.desc()).offset(max(offset, 0))
    records = list(session.scalars(query.limit(limit) if limit is not None else query))
    return ClientTrail(party_no.strip(), int(party_id), total, records)


def record_trail_view(session: Session, actor: Principal, *, trail: ClientTrail, now: datetime) -> None:
    """Reading a client's trail on screen or through the API is a read about that client: audited."""
    audit.append(
        session, actor, "audit.view", at=now, party_id=trail.party_id,
        detail=f"{len(trail.records)} of {trail.total} records",
    )  # fmt: skip


def record_trail_export(session: Session, actor: Principal, *, trail: ClientTrail, now: datetime) -> None:
    """An export leaves the system, so it is itself audited."""
    audit.append(
        session, actor, "audit.export", at=now, party_id=trail.party_id, detail=f"{trail.total} records"
    )
