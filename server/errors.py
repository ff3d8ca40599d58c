"""The domain's error types.

Services raise these; the HTTP edge maps each to one status in `server.http.middlewares`,
and the Socket.IO edge will map them to error acks. Clients never see a traceback.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field.

    ``reason`` is a sentence for a developer or the API's reader (English). ``code`` names the
    problem for the pages, which say it in the reader's language and how to put it right
    (``web/js/errors-i18n.js``, key ``field.<code>``), filled in from ``params``. Every error a
    page can show carries a code: a page in Chinese never shows the English ``reason``.
    """

    field: str
    reason: str
    code: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.code is not None:
            out["code"] = self.code
            out["params"] = self.params
        return out


class DomainError(Exception):
    """A refusal the edge maps to one status. ``message`` is English for developers; the pages
    show the error in the reader's language from its ``reason`` detail (``err.<reason>`` in
    ``web/js/errors-i18n.js``) and the other details as the text's parameters."""

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

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class RequestTimeout(DomainError):
    """The client took too long to send its request (a body trickled in below the minimum rate)."""

    code = "request_timeout"


class StorageFull(DomainError):
    """The server's disk (or quota, or database) is full: nothing was saved. Not the client's
    fault and not a bug: the operator must free space, after which the same request succeeds."""

    code = "insufficient_storage"
