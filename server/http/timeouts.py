"""Slow and idle clients: how long a connection may take to send its request.

Without limits a probe held 300 connections trickling their headers, 100 trickling their
bodies and 300 idle keep-alive connections open for minutes: a single machine without nginx
in front runs out of file descriptors and memory that way (the "Slowloris" family of attacks;
OWASP's denial-of-service guidance asks for read timeouts on every connection). Three limits:

- **Idle and request head**: ``MEDIATE_HTTP_IDLE_TIMEOUT_SECONDS`` is aiohttp's own
  ``keepalive_timeout``. Its timer starts when the connection opens and again after each
  response, and closes the connection when it fires unless a complete request head has
  arrived; bytes trickling in do not restart it. So it bounds both an idle keep-alive connection
  and a request head sent a byte at a time, with no code of ours. (A separate, shorter head
  timeout would need a subclass of aiohttp's ``RequestHandler``, which ``web.Server`` builds
  itself with no factory to hand one in: private internals for little gain.)
- **Request body**: aiohttp has no read timeout for bodies; a handler's ``await request.read()``
  waits for ever. ``body_deadline`` watches the body while the handler runs: it gets
  ``MEDIATE_HTTP_BODY_TIMEOUT_SECONDS`` plus one second per ``MEDIATE_HTTP_BODY_MIN_RATE`` bytes
  received (Apache's ``mod_reqtimeout`` rule, ``body=20,MinRate=500``), so a 10 MB upload on
  a slow line is fine and a body trickled byte by byte is not. Past the deadline the reader gets
  a ``TimeoutError``, the client a 408 (RFC 9110 §15.5.9) and the connection is closed.
- **Header sizes**: aiohttp's own limits (8190 bytes a line and a field, 128 fields) stand.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Handler

from server.errors import RequestTimeout
from server.services import SERVICES
from server.settings import Settings

log = logging.getLogger(__name__)


def handler_args(settings: Settings) -> dict[str, Any]:
    """aiohttp's per-connection options (``web.Application(handler_args=...)``): every runner gets them."""
    return {"keepalive_timeout": settings.http_idle_timeout_seconds}


class BodyTimeout(TimeoutError):
    """Set on a request's body stream when it arrives too slowly.

    A ``TimeoutError`` on purpose: after the answer, aiohttp drains what is left of an unread
    body for a few seconds and treats a ``TimeoutError`` there as the end of it (closing the
    connection quietly); any other exception would be logged as unhandled.
    """


async def _watch(content: StreamReader, grace: float, min_rate: int) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not content.is_eof():
        deadline = started + grace + content.total_bytes / min_rate
        now = loop.time()
        if now >= deadline:
            content.set_exception(BodyTimeout(f"request body slower than {min_rate} bytes/s after {grace} s"))
            return
        await asyncio.sleep(deadline - now)


@web.middleware
async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 408 and close when the request body arrives slower than the settings allow."""
    content = request.content
    if not request.body_exists or content.is_eof():
        return await handler(request)
    settings = request.app[SERVICES].settings
    watchdog = asyncio.create_task(_watch(content, settings.http_body_timeout_seconds, settings.http_body_min_rate))
    try:
        return await handler(request)
    except BodyTimeout:
        log.info(
            "request body too slow: %s %s, %d bytes received (%s)",
            request.method,
            request.path,
            content.total_bytes,
            request.remote,
        )
        raise RequestTimeout("the request arrived too slowly; send it again", reason="slow_request") from None
    finally:
        watchdog.cancel()
