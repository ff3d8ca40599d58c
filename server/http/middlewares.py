"""The edge: who is asking, CSRF, and the one mapping from domain errors to HTTP answers."""

from __future__ import annotations

import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    InvalidState,
    NotAuthenticated,
    NotFound,
    TooLarge,
    TooManyAttempts,
    UnsupportedMediaType,
)
from server.http.api import MalformedJson
from server.http.context import CSRF, METRICS, PRINCIPAL
from server.http.services import SERVICES

log = logging.getLogger(__name__)

COOKIE = "mediate_session"
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
    (TooManyAttempts, 429),
]
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def status_of(error: DomainError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        status = status_of(exc)
        if (metrics := request.app.get(METRICS)) is not None:
            metrics.error("http", exc.code)
        extra: dict[str, Any] = dict(exc.details)
        if isinstance(exc, InvalidInput):
            extra["fields"] = [{"field": f.field, "reason": f.reason} for f in exc.fields]
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        return web.json_response(error_body(exc.code, exc.message, **extra), status=status, headers=headers)
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
    token = request.cookies.get(COOKIE)
    if token and len(token) <= 200 and not request.path.startswith(ANONYMOUS_PREFIXES):
        session = await request.app[SERVICES].accounts.resolve(token)
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
            raise Forbidden("cross-site request refused")
        expected = request.get(CSRF)
        if expected is not None:
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return web.json_response(error_body("csrf_failed", f"missing or wrong {CSRF_HEADER} header"), status=403)
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
