"""The domain's error types.

Services raise these; the HTTP edge maps each to one status in `server.http.middlewares`,
and the Socket.IO edge will map them to error acks. Clients never see a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, message: str, fields: list[FieldError] | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.fields = fields or []


class UnsupportedMediaType(InvalidInput):
    """A file of a type that is not accepted, or whose content is not what its type says."""

    code = "unsupported_media_type"


class TooLarge(InvalidInput):
    code = "too_large"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidState(DomainError):
    code = "invalid_state"


class Gone(DomainError):
    """A link or resource that existed but can no longer be used (expired, revoked)."""

    code = "gone"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
