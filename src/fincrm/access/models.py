"""Organisation tables: branches, teams and staff users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from fincrm.access.domain import Role
from fincrm.db.base import Base, BigId, UTCDateTime, enum_column, id_pk


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[id_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[id_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    branch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("branches.id"), index=True)


class User(Base):
    """A member of staff. Clients are parties, not users."""

    __tablename__ = "users"

    id: Mapped[id_pk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    employee_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    team_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("teams.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("branches.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))  # zh-CN or en; None: the institution default
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class UserSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[id_pk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token for a system integration, acting as one staff user; stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[id_pk]
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditRecord(Base):
    """One audited action. ``hash`` chains each record to the one before (see access.audit)."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_party_id_id", "party_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)  # 1, 2, 3, ... no gaps
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(BigId)  # no FK: the trail outlives users
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    party_id: Mapped[int | None] = mapped_column(BigId)
    fields: Mapped[str] = mapped_column(Text, default="")  # comma-separated field names touched
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain's tip. Appending updates it first, which serialises
    appenders on every backend (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
