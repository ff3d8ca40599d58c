"""`mediate serve` once the command has set up: the web application on its port until it is stopped."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl

from aiohttp import web

from server.app import create_app
from server.http import static
from server.http.context import LIFECYCLE
from server.ops import stopwatch
from server.ops.gcpause import freeze_startup_heap
from server.settings import Settings

log = logging.getLogger("mediate")

#: Closing after the drain and the last requests: background loops, peers, the database.
STOP_MARGIN_SECONDS = 30.0
#: While stopping, what the process still waits on is logged this often.
STOP_REPORT_SECONDS = 10.0


def serve(settings: Settings, ssl_context: ssl.SSLContext | None) -> None:
    """The application (migrations already applied by the command), its static files warmed, until SIGTERM or SIGINT."""
    app = create_app(settings, migrate=False)
    app.on_startup.append(static.warm)
    asyncio.run(run_until_stopped(app, settings, ssl_context))


async def run_until_stopped(app: web.Application, settings: Settings, ssl_context: ssl.SSLContext | None) -> None:
    """Serve until SIGTERM or SIGINT, then drain before closing (``server.ops.lifecycle``).

    aiohttp's own ``run_app`` closes the listener at once on SIGTERM; here the process first
    answers ``/readyz`` with 503, finishes and signs its recordings and tells the people connected
    to reconnect, all within ``MEDIATE_SHUTDOWN_GRACE_SECONDS``, and only then closes. A stop
    that takes longer than it should logs what it waits on and ends anyway (``server.ops.stopwatch``).
    """
    grace = settings.shutdown_grace_seconds
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=grace)
    await runner.setup()
    stop = asyncio.Event()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
        await site.start()
        log.info("start-up heap left out of garbage collection: %d objects", freeze_startup_heap())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        # The drain and the requests still running get a grace period each; the rest is closing.
        stopwatch.arm(2 * grace + STOP_MARGIN_SECONDS)
        async with stopwatch.reporting(STOP_REPORT_SECONDS):
            if stop.is_set():
                log.info("stopping: draining for at most %ss", grace)
                try:
                    await asyncio.wait_for(app[LIFECYCLE].drain(), timeout=grace)
                except TimeoutError:
                    log.warning("stopping: draining took longer than %ss; closing anyway", grace)
            log.info("stopping: closing connections and background work")
            await runner.cleanup()
    log.info("stopped")
