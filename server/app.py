"""The composition root: the web application (HTTP, the live session, background work) on the domain services that
server/composition.py wires."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator

import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from server import db
from server.composition import make_services
from server.domain.notifications import Sender
from server.http import (  # noqa: F401 - routes
    admin_api,
    agreements_api,
    applications_api,
    archive_api,
    assignment_api,
    auth_api,
    cases_api,
    closing_api,
    confirmation_api,
    deputies_api,
    documents_api,
    evidence_api,
    extensions_api,
    headers,
    log_api,
    messages_api,
    middlewares,
    ops_api,
    pages,
    party_api,
    performance_api,
    recordings_api,
    referrals_api,
    satisfaction_api,
    sessions_api,
    staffkeys_api,
    static,
    statistics_api,
    statistics_snapshots_api,
    supervision_api,
    timeouts,
    transcripts_api,
    willingness_api,
    witness_api,
    witnessed_api,
    work_orders_api,
)
from server.http.context import LIFECYCLE, METRICS, STORAGE
from server.http.routes import api
from server.ops.gcpause import GcPauses
from server.ops.lifecycle import Lifecycle
from server.ops.looplag import LoopLag
from server.ops.metrics import Metrics
from server.ops.stalltrace import Stall, StallTrace, place
from server.ops.storage import StorageWatch
from server.services import SERVICES
from server.settings import Settings
from signaling.media import MediaServer
from signaling.owners import LocalOwners, MediaOwners, RedisOwners
from signaling.presence import LocalPresence, Presence, RedisPresence
from signaling.redis_rooms import RedisRooms, connect
from signaling.revocations import LocalRevocations, RedisRevocations, Revocations
from signaling.rooms import MemoryRooms, Rooms
from signaling.server import attach as attach_signaling
from signaling.telephony.pin_guard import LocalPinGuard, PinGuard, RedisPinGuard

log = logging.getLogger(__name__)

#: How often the recordings directory or bucket is checked (``Recordings.check_store``), in seconds.
STORE_CHECK_SECONDS = 60.0


def live_rooms(
    app: web.Application, settings: Settings
) -> tuple[Rooms, socketio.AsyncManager | None, MediaOwners, Presence, Revocations, PinGuard]:
    """Rooms in this process, or (``MEDIATE_REDIS_URL``) in Redis with Socket.IO's Redis manager,
    the sessions' media owners (signaling/owners.py), who holds which connection (signaling/presence.py),
    how a withdrawn credential reaches every process (signaling/revocations.py) and the counts of
    wrong phone PINs (signaling/telephony/pin_guard.py)."""
    if settings.redis_url is None:
        return MemoryRooms(), None, LocalOwners(), LocalPresence(), LocalRevocations(), LocalPinGuard()
    client = connect(settings.redis_url)

    async def close_redis(app: web.Application) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app.cleanup_ctx.append(close_redis)
    manager = socketio.AsyncRedisManager(settings.redis_url, channel=f"{settings.redis_prefix}:socketio")
    owners = RedisOwners(client, settings.redis_prefix)
    return (
        RedisRooms(client, settings.redis_prefix),
        manager,
        owners,
        RedisPresence(client, owners.process_id, settings.redis_prefix),
        RedisRevocations(client, settings.redis_prefix),
        RedisPinGuard(client, settings.redis_prefix),
    )


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    run_background: bool = True,
    senders: dict[str, Sender] | None = None,
    engine: AsyncEngine | None = None,
) -> web.Application:
    """The application on ``settings``' database, through ``engine`` if given.

    The app disposes of the engine when it stops (its connections close; the engine stays usable).
    An engine passed in is one the caller keeps for several apps in turn, one at a time, with what
    it has learnt: the tests keep one per database for the whole process, so each statement is
    compiled once per process rather than once per test (SQLAlchemy caches compiled SQL per engine).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if engine is None:
        engine = db.make_engine(
            settings.resolved_database_url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
        )
    services = make_services(settings, engine, senders)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args=timeouts.handler_args(settings),
        middlewares=[
            ops_api.count_requests,
            static.compress_text,
            middlewares.errors,
            timeouts.body_deadline,
            middlewares.authentication,
            middlewares.csrf,
        ],
    )
    app[SERVICES] = services
    app[pages.ENGINE] = engine
    metrics, lifecycle = Metrics(), Lifecycle()
    app[METRICS] = metrics
    app[LIFECYCLE] = lifecycle
    services.ledger.on_append = metrics.appended
    services.recordings.on_segment = metrics.segment_written
    metrics.watch(metrics.recordings_running, lambda: len(services.recordings.active))
    metrics.watch(metrics.draining, lambda: 1.0 if lifecycle.draining else 0.0)
    metrics.watch(metrics.recordings_store_up, lambda: 0.0 if services.recordings.store_problem else 1.0)
    directories = {"data": settings.data_dir} | ({} if settings.s3_bucket else {"recordings": settings.resolved_recordings_dir})
    storage = app[STORAGE] = StorageWatch(directories, settings.min_free_disk_mb * 1024 * 1024)
    for name in directories:
        metrics.disk_free_bytes.labels(dir=name).set_function(functools.partial(storage.free_bytes, name))
    metrics.watch(metrics.storage_full, lambda: 1.0 if storage.full else 0.0)
    rooms, manager, owners, presence, revocations, pin_guard = live_rooms(app, settings)

    async def database(app: web.Application) -> AsyncIterator[None]:
        if migrate:
            await db.upgrade(engine)
        await services.ledger.publish_platform_keys()
        # A recording that was running when the server stopped is marked interrupted, and says where
        # (unless another live process is writing it: several processes, signaling/owners.py).
        await services.recordings.recover(elsewhere=owners.owned_elsewhere)
        yield
        await engine.dispose()

    async def ledger_loop(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(services.ledger.run(stop)) if run_background else None
        yield
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, timeout=10)
        # Whatever was accepted is sequenced before the process ends (and on the next start
        # if this one is killed instead).
        with contextlib.suppress(Exception):
            await services.ledger.settle()

    async def store_checks(app: web.Application) -> AsyncIterator[None]:
        await services.recordings.check_store()

        async def every_minute() -> None:
            while True:
                await asyncio.sleep(STORE_CHECK_SECONDS)
                await services.recordings.check_store()

        task = asyncio.create_task(every_minute()) if run_background else None
        yield
        if task is not None:
            task.cancel()

    async def agreements_recovery(app: web.Application) -> AsyncIterator[None]:
        # An agreement whose last signature was logged just before a crash is sealed now
        # (after the ledger loop is up: sealing settles the log first).
        if run_background:
            try:
                await services.agreements.sealing.recover()
                await services.confirmations.decisions.recover()
            except Exception:  # the server still starts; the next start tries again
                log.exception("could not finish the agreements or rulings a stop left signed but unsealed")
        yield

    async def outbox_loop(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(services.outbox.run(stop)) if run_background else None
        yield
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)

    async def retention_loop(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        # Recordings past their retention, and archived cases' files past theirs (server/domain/archive.py);
        # the month-end statistics snapshots (server/domain/statistics/snapshots.py) on the same hourly beat.
        tasks = (
            [
                asyncio.create_task(services.recordings.run_retention(stop)),
                asyncio.create_task(services.archive.run_retention(stop)),
                asyncio.create_task(services.statistics_snapshots.run(stop)),
            ]
            if run_background
            else []
        )
        yield
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=10)

    async def loop_lag(app: web.Application) -> AsyncIterator[None]:
        monitor = LoopLag(metrics.loop_lag.observe)
        metrics.watch(metrics.loop_longest_stall, lambda: monitor.longest)
        monitor.start()
        pauses = GcPauses(metrics.collected)
        pauses.start()
        metrics.watch(metrics.gc_frozen, gc.get_freeze_count)
        trace = None
        if settings.stall_trace_ms > 0:
            trace = StallTrace(settings.stall_trace_ms / 1000, stalled)
            trace.start()
        yield
        monitor.stop()
        pauses.stop()
        if trace is not None:
            trace.stop()

    def stalled(stall: Stall) -> None:
        log.warning("%s", stall.describe())
        if stall.sites:
            metrics.stalled(place(*stall.sites[0][:2]), stall.seconds)

    async def export_jobs(app: web.Application) -> AsyncIterator[None]:
        yield
        # Exports run in child processes: stop them (no partial file is left) before the server goes.
        await services.exports.close()

    async def recording_store(app: web.Application) -> AsyncIterator[None]:
        yield
        # Last (cleanup runs in reverse): recordings stopping and exports storing their file still write.
        await asyncio.to_thread(services.recordings.storage.close)

    app.cleanup_ctx.extend(
        [
            loop_lag,
            recording_store,
            database,
            store_checks,
            ledger_loop,
            agreements_recovery,
            outbox_loop,
            retention_loop,
            export_jobs,
        ]
    )
    api.install(app)
    pages.install(app, settings.data_dir / "cache" / "static")
    headers.install(app)  # CSP, Permissions-Policy, HSTS… on every answer, errors included
    ops_api.install(app)
    log_api.install(app)
    witness_api.install(app, list(settings.witnesses))
    # Live signalling (Socket.IO at /socket.io/, namespace /live); rooms here or in Redis.
    media = MediaServer(
        list(settings.ice_servers),
        loopback=settings.media_loopback,
        turn_secret=settings.turn_secret,
        turn_ttl_seconds=settings.turn_ttl_seconds,
    )
    attach_signaling(
        app,
        services,
        rooms,
        media,
        lifecycle=lifecycle,
        metrics=metrics,
        client_manager=manager,
        owners=owners,
        presence=presence,
        revocations=revocations,
        pin_guard=pin_guard,
    )

    async def ready(app: web.Application) -> None:
        # After every cleanup context has started (they run first): the database is migrated,
        # interrupted recordings are marked, the background loops run.
        lifecycle.ready()

    app.on_startup.append(ready)
    return app
