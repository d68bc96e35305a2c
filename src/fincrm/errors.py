"""The one error hierarchy of fincrm.

Every error a user can meet is a `FincrmError`. Each class knows its HTTP status and its
machine-readable `ErrorCode`, so the CLI, the API and the pages render the same shape:
``{ok: false, error, errors, code, status}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INPUT = "input_error"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    EXTERNAL_SERVICE = "external_service_error"
    CONFIGURATION = "configuration_error"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input value.

    ``loc`` locates the value: for an API body the field path, for a file
    ``(file, line, column)``.
    """

    loc: tuple[str | int, ...]
    msg: str
    input: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "input": self.input}

    def __str__(self) -> str:
        where = ":".join(str(part) for part in self.loc)
        shown = "" if self.input is None else f" (got {self.input!r})"
        return f"{where}: {self.msg}{shown}"


class FincrmError(Exception):
    """Root of every error fincrm raises on purpose."""

    status: int = 500
    code: ErrorCode = ErrorCode.INPUT

    def __init__(self, message: str, *, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": False,
            "error": self.message,
            "errors": [e.as_dict() for e in self.errors],
            "code": str(self.code),
            "status": self.status,
        }


class InputError(FincrmError, ValueError):
    """The caller sent something we cannot accept; ``errors`` lists every problem found."""

    status = 422
    code = ErrorCode.INPUT


class ConfigurationError(FincrmError):
    """A setting is missing or unsafe; the message names the setting and how to fix it."""

    status = 500
    code = ErrorCode.CONFIGURATION


class NotFound(FincrmError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(FincrmError):
    status = 409
    code = ErrorCode.CONFLICT


class PermissionDenied(FincrmError):
    status = 403
    code = ErrorCode.PERMISSION_DENIED


class ExternalServiceError(FincrmError):
    status = 502
    code = ErrorCode.EXTERNAL_SERVICE
