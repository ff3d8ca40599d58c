"""The edge: who is asking, CSRF, and the one mapping from domain errors to HTTP answers."""

from __future__ import annotations

import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from server.authentication import authenticate
from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    InvalidState,
    NotAuthenticated,
    NotFound,
    RequestTimeout,
    StorageFull,
    TooLarge,
    TooManyAttempts,
    UnsupportedMediaType,
)
from server.http.api import MalformedJson
from server.http.context import CSRF, METRICS, PRINCIPAL, STORAGE
from server.ops.storage import is_storage_full
from server.services import SERVICES

log = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

STATUS: list[tuple[type[DomainError], int]] = [
    (MalformedJson, 400),
    (UnsupportedMediaType, 415),
    (TooLarge, 413),
    (InvalidInput, 422),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidState, 409),
    (Gone, 410),
    (RequestTimeout, 408),
    (TooManyAttempts, 429),
    (StorageFull, 507),
]
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def status_of(error: DomainError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


STORAGE_FULL_MESSAGE = "the server's storage is full: nothing was saved; try again later (the operator must free disk space)"


def storage_full(request: web.Request, exc: BaseException) -> StorageFull:
    """A write refused for lack of space, as the error the pages show ("服务器存储空间已满").

    Logged once per request at ERROR without a traceback (the cause is the disk, not the code),
    and remembered for /readyz until a test write there succeeds (``server.ops.storage``).
    """
    # The first line only: SQLAlchemy's next lines hold the statement and its parameters (personal data).
    log.error("%s %s: no space left to write (%s)", request.method, request.path, str(exc).split("\n", 1)[0][:200])
    if (watch := request.app.get(STORAGE)) is not None:
        watch.failed()
    return StorageFull(STORAGE_FULL_MESSAGE, reason="storage_full")


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        try:
            return await handler(request)
        except Exception as exc:
            if isinstance(exc, DomainError | web.HTTPException) or not is_storage_full(exc):
                raise
            raise storage_full(request, exc) from None
    except DomainError as exc:
        status = status_of(exc)
        if (metrics := request.app.get(METRICS)) is not None:
            metrics.error("http", exc.code)
        extra: dict[str, Any] = dict(exc.details)
        if isinstance(exc, InvalidInput):
            extra["fields"] = [f.as_json() for f in exc.fields]
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        response = web.json_response(error_body(exc.code, exc.message, **extra), status=status, headers=headers)
        if isinstance(exc, RequestTimeout):
            response.force_close()  # the rest of a too-slow request is not waited for (RFC 9110 §15.5.9)
        return response
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code = HTTP_CODES.get(exc.status, "http_error")
        if (metrics := request.app.get(METRICS)) is not None:
            metrics.error("http", code)
        message = (
            exc.reason
            if exc.status != 413
            else f"the request is larger than {request.app[SERVICES].settings.max_body_bytes} bytes"
        )
        return web.json_response(error_body(code, message), status=exc.status)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if (metrics := request.app.get(METRICS)) is not None:
            metrics.error("http", "internal_error")
        if request.path.startswith("/api/"):
            return web.json_response(error_body("internal_error", "something went wrong on the server"), status=500)
        raise


# Paths that never look at who is asking: opening a link makes a new session whatever the
# browser held before, and static files and health checks are public.
ANONYMOUS_PREFIXES = ("/j/", "/static/", "/healthz", "/readyz", "/metrics", "/log/", "/.well-known/")


@web.middleware
async def authentication(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(ANONYMOUS_PREFIXES):
        session = await authenticate(request.app[SERVICES].accounts, request.cookies)
        if session is not None:
            request[PRINCIPAL] = session.principal
            request[CSRF] = session.csrf_token
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """State-changing API calls need the session's CSRF token and, if sent, a same-site Origin.

    The cookie is SameSite=Lax already; the token closes what Lax leaves open (same-site
    subdomains, old browsers).
    """
    if request.method in UNSAFE and request.path.startswith("/api/"):
        origin = request.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.host:
            raise Forbidden("cross-site request refused", reason="cross_site")
        expected = request.get(CSRF)
        if expected is not None:
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return web.json_response(error_body("csrf_failed", f"missing or wrong {CSRF_HEADER} header"), status=403)
    return await handler(request)
