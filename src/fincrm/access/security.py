"""Passwords (Argon2id, from argon2-cffi) and random bearer secrets stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2-cffi's RFC 9106 low-memory profile (Argon2id)
MIN_PASSWORD_LENGTH = 10  # characters


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing or corrupt hash never matches."""
    if not password_hash:
        _HASHER.hash(password)  # same cost as a real check, so timing does not reveal unknown users
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A URL-safe random secret with 256 bits of entropy (session cookies, API tokens, CSRF)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the store keeps of a bearer secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()
