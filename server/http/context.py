"""What the middlewares learn about a request and the handlers read back."""

from __future__ import annotations

from aiohttp import web

from server.domain.principal import Principal
from server.ops.lifecycle import Lifecycle
from server.ops.metrics import Metrics
from server.ops.storage import StorageWatch

#: The process's metrics and lifecycle (server.ops), set by the composition root.
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
LIFECYCLE: web.AppKey[Lifecycle] = web.AppKey("lifecycle", Lifecycle)
#: Free space of the data and recordings directories, and the last write refused for lack of it.
STORAGE: web.AppKey[StorageWatch] = web.AppKey("storage", StorageWatch)

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)  # type: ignore[arg-type]
CSRF: web.RequestKey[str] = web.RequestKey("csrf", str)


def principal_of(request: web.Request) -> Principal | None:
    return request.get(PRINCIPAL)
