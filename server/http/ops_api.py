"""``/readyz`` and ``/metrics``: what a load balancer and Prometheus ask a process.

``/healthz`` (in :mod:`server.http.pages`) says the process is alive and its database answers;
``/readyz`` says it should be given new work: it is not starting or draining, and its database
answers, and its data and recordings directories have room (``MEDIATE_MIN_FREE_DISK_MB``, and no
write refused for lack of space since: ``server.ops.storage``); if recordings cannot be stored it
still says ready (live sessions work) and names the problem. ``/metrics`` is Prometheus's text
format; it holds counts, never names or ids, but it is for the operator's network only (see
``deploy/nginx``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from server.http.context import LIFECYCLE, METRICS, STORAGE
from server.http.pages import ENGINE
from server.live import PHONE
from server.ops.metrics import CONTENT_TYPE
from server.services import SERVICES


async def readyz(request: web.Request) -> web.StreamResponse:
    lifecycle = request.app[LIFECYCLE]
    if lifecycle.state != "ready":
        return web.json_response({"status": lifecycle.state}, status=503, headers={"Cache-Control": "no-store"})
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return web.json_response({"status": "unavailable", "database": str(exc)[:200]}, status=503)
    # A full disk: every write would fail (507), so send no one new here until there is room again.
    if (watch := request.app.get(STORAGE)) is not None:
        await asyncio.to_thread(watch.probe)
        if problems := watch.problems():
            return web.json_response(
                {"status": "unavailable", "storage": problems}, status=503, headers={"Cache-Control": "no-store"}
            )
    # Ready for sessions even when recordings cannot be stored; say so (and in mediate_recordings_store_up).
    problem = request.app[SERVICES].recordings.store_problem
    body: dict[str, object] = {"status": "ready"} if problem is None else {"status": "ready", "recordings": problem}
    if (phone := request.app.get(PHONE)) is not None:
        body["telephony"] = phone.status()
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def metrics(request: web.Request) -> web.StreamResponse:
    body = await request.app[METRICS].exposition()
    response = web.Response(body=body, headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requests by method and status class (``2xx``…); the path is left out (ids would explode it)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        request.app[METRICS].http_requests.labels(method=method_of(request), status=f"{exc.status // 100}xx").inc()
        raise
    except BaseException:
        request.app[METRICS].http_requests.labels(method=method_of(request), status="5xx").inc()
        raise
    request.app[METRICS].http_requests.labels(method=method_of(request), status=f"{response.status // 100}xx").inc()
    return response


def method_of(request: web.Request) -> str:
    return request.method if request.method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") else "other"


def install(app: web.Application) -> None:
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
