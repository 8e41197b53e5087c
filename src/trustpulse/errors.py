"""Errors shown to users; each carries its own code and HTTP status."""

from __future__ import annotations

from typing import ClassVar


class TrustPulseError(Exception):
    """Base for errors we show to users; each one carries its own code and HTTP status."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class NotFoundError(TrustPulseError):
    status_code, code = 404, "not_found"


class InvalidInputError(TrustPulseError):
    """details: row, field, reason -> names the bad cell."""

    status_code, code = 422, "invalid_input"


class ConflictError(TrustPulseError):
    status_code, code = 409, "conflict"


class ForbiddenError(TrustPulseError):
    status_code, code = 403, "forbidden"


class ConfigError(TrustPulseError):
    """A configuration file is invalid; details: file, line, reason."""

    status_code, code = 500, "config_error"
