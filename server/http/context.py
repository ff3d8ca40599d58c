"""What the middlewares learn about a request and the handlers read back."""

from __future__ import annotations

from aiohttp import web

from server.domain.principal import Principal

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)  # type: ignore[arg-type]
CSRF: web.RequestKey[str] = web.RequestKey("csrf", str)


def principal_of(request: web.Request) -> Principal | None:
    return request.get(PRINCIPAL)
