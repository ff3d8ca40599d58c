"""The composition root: the only module that knows every part."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator

import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from recordings.crypto import MasterKey
from recordings.s3 import Bucket, S3Config, S3DerivedFiles, S3Storage
from recordings.storage import DerivedFiles, LocalDerivedFiles, LocalStorage, Storage
from server import db
from server.domain.accounts import Accounts
from server.domain.agreements import Agreements
from server.domain.agreements.drafting import Drafting
from server.domain.agreements.public import Public
from server.domain.agreements.sealer import AFTER_SEAL, Sealer
from server.domain.agreements.sealing import MediatorSigned, Sealing
from server.domain.agreements.signing import Signing
from server.domain.assignment import DISCLOSURE_PURPOSE, Assignment, DisclosureSigned
from server.domain.booking import Booking
from server.domain.cases import Cases
from server.domain.chat import ChatLog
from server.domain.clocks import CONFIRMATION_WINDOW
from server.domain.codes import PartyMessages
from server.domain.confirmation import Confirmations
from server.domain.confirmation.application import Applications
from server.domain.confirmation.court import Court
from server.domain.confirmation.decision import Decided, Decisions
from server.domain.consent import Consents
from server.domain.court_reports import CourtReports
from server.domain.directory import Directory
from server.domain.documents import CaseFiles
from server.domain.evidence import Evidence
from server.domain.exports import Exports
from server.domain.extensions import Extensions
from server.domain.filing import FilingPackages
from server.domain.keybinding import KeyBinding
from server.domain.keyring import Keyring
from server.domain.ledger import Ledger
from server.domain.links import Links
from server.domain.notifications import Outbox, Sender
from server.domain.online_applications import OnlineApplications
from server.domain.outcomes import Outcomes
from server.domain.overdue import OverdueNotices
from server.domain.recording_choice import RecordingChoices
from server.domain.recordings import Recordings
from server.domain.referrals import Referrals
from server.domain.review import Review
from server.domain.staffkeys import IDENTITY_PURPOSE, StaffKeys
from server.domain.supervision import Supervision
from server.domain.transcripts import Transcripts
from server.domain.turns import Turns
from server.domain.willingness import Willingness
from server.domain.witnessed import IdentityChecked, Witnessed
from server.domain.work_orders import WorkOrders
from server.domain.workdays import Workdays
from server.http import (  # noqa: F401 - routes
    admin_api,
    agreements_api,
    applications_api,
    assignment_api,
    auth_api,
    cases_api,
    confirmation_api,
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
    recordings_api,
    referrals_api,
    sessions_api,
    staffkeys_api,
    static,
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
from server.notify import senders_from
from server.ops.lifecycle import Lifecycle
from server.ops.metrics import Metrics
from server.ops.storage import StorageWatch
from server.services import SERVICES, Services
from server.settings import Settings
from server.settings.holidays import load_schedule
from signaling.media import MediaServer
from signaling.owners import LocalOwners, MediaOwners, RedisOwners
from signaling.presence import LocalPresence, Presence, RedisPresence
from signaling.redis_rooms import RedisRooms, connect
from signaling.revocations import LocalRevocations, RedisRevocations, Revocations
from signaling.rooms import MemoryRooms, Rooms
from signaling.server import attach as attach_signaling

log = logging.getLogger(__name__)

#: How often the recordings directory or bucket is checked (``Recordings.check_store``), in seconds.
STORE_CHECK_SECONDS = 60.0


def witness_entry(vkey: str) -> dict[str, str]:
    """How a bundle names a configured witness (FORMAT.md, witnesses.json)."""
    return {"name": vkey.split("+", 1)[0], "vkey": vkey}


def recording_stores(settings: Settings) -> tuple[Storage, DerivedFiles]:
    """Where segments and derived files live: the recordings directory, or (``MEDIATE_S3_BUCKET``) an S3 bucket."""
    if settings.s3_bucket is None:
        root = settings.resolved_recordings_dir
        return LocalStorage(root), LocalDerivedFiles(root)
    bucket = Bucket(
        S3Config(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            addressing_style=settings.s3_addressing_style,
            kind=settings.s3_kind,
        )
    )
    return S3Storage(bucket), S3DerivedFiles(bucket)


def make_services(settings: Settings, engine: AsyncEngine, senders: dict[str, Sender] | None = None) -> Services:
    maker = db.make_sessionmaker(engine)
    keyring = Keyring.open(settings.data_dir, settings.default_log_origin)
    ledger = Ledger(maker, keyring, engine.dialect.name, settings.ledger_interval_seconds)
    # China's working days (holidays and make-up workdays), for every clock counted in them.
    workdays = Workdays(load_schedule(settings.holidays_file))
    storage, derived = recording_stores(settings)
    recordings = Recordings(maker, ledger, storage, MasterKey.load(settings.recording_key, settings.data_dir))
    review = Review(maker, recordings, derived)
    staff_keys = StaffKeys(maker, ledger, settings)
    sealer = Sealer(settings, ledger.origin)
    evidence = Evidence(maker, ledger, [witness_entry(vkey) for vkey in settings.witnesses], recordings)
    agreements = Agreements(
        drafting=Drafting(maker, ledger, settings, sealer),
        signing=Signing(maker, ledger, settings, staff_keys),
        sealing=Sealing(maker, ledger, sealer),
        public=Public(maker),
    )
    confirmations = Confirmations(
        applications=Applications(maker, ledger, settings, sealer),
        court=Court(maker, settings, evidence),
        decisions=Decisions(maker, ledger, staff_keys, sealer),
    )
    # What a staff member's signature sets off, by its purpose: the mediator's signature of the
    # agreement is the last one, so it seals; a judge's signed decision becomes the court's ruling.
    staff_keys.hooks["agreement_sign"] = MediatorSigned(agreements.signing, agreements.sealing)
    staff_keys.hooks["confirmation_decide"] = Decided(confirmations.decisions)
    # A mediator's signed identity check opens (or closes) the party's window to bind a key.
    witnessed = Witnessed(maker, ledger, settings)
    staff_keys.hooks[IDENTITY_PURPOSE] = IdentityChecked(witnessed)
    cases = Cases(maker, ledger, workdays)
    # Whether the other side agrees to mediation; its round sends the questions and ends the silent cases.
    willingness = Willingness(maker, ledger, settings, workdays)
    # An assigned mediator's signed conflict-of-interest disclosure is kept for the case page.
    assignment = Assignment(maker, ledger, staff_keys)
    staff_keys.hooks[DISCLOSURE_PURPOSE] = DisclosureSigned(assignment)
    return Services(
        settings=settings,
        accounts=Accounts(maker, settings),
        cases=cases,
        booking=Booking(maker, settings),
        links=Links(maker, settings),
        outbox=Outbox(
            maker,
            settings,
            senders if senders is not None else senders_from(settings),
            [
                Turns(maker, settings, confirmation_window=CONFIRMATION_WINDOW, after_seal=AFTER_SEAL).queue_due,
                OverdueNotices(maker, workdays).queue_due,
                willingness.sweep,
            ],
        ),
        ledger=ledger,
        keys=KeyBinding(maker, ledger, settings),
        evidence=evidence,
        staff_keys=staff_keys,
        chat=ChatLog(maker),
        consents=Consents(maker, ledger, settings),
        recordings=recordings,
        review=review,
        exports=Exports(maker, review),
        agreements=agreements,
        sealer=sealer,
        case_files=CaseFiles(maker, ledger, settings),
        outcomes=Outcomes(maker, ledger, workdays),
        confirmations=confirmations,
        witnessed=witnessed,
        messages=PartyMessages(maker),
        referrals=Referrals(maker, ledger, workdays),
        supervision=Supervision(maker, ledger, workdays),
        work_orders=WorkOrders(maker, ledger, cases),
        extensions=Extensions(maker, ledger, settings, workdays),
        online_applications=OnlineApplications(maker, ledger, settings, cases, workdays),
        court_reports=CourtReports(maker, ledger, settings.pdf_font),
        filing=FilingPackages(maker, ledger, evidence, settings.pdf_font),
        willingness=willingness,
        assignment=assignment,
        directory=Directory(maker),
        transcripts=Transcripts(maker, ledger, settings),
        recording_choices=RecordingChoices(maker, ledger, settings),
    )


def live_rooms(
    app: web.Application, settings: Settings
) -> tuple[Rooms, socketio.AsyncManager | None, MediaOwners, Presence, Revocations]:
    """Rooms in this process, or (``MEDIATE_REDIS_URL``) in Redis with Socket.IO's Redis manager,
    the sessions' media owners (signaling/owners.py), who holds which connection (signaling/presence.py)
    and how a withdrawn credential reaches every process (signaling/revocations.py)."""
    if settings.redis_url is None:
        return MemoryRooms(), None, LocalOwners(), LocalPresence(), LocalRevocations()
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
    )


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    run_background: bool = True,
    senders: dict[str, Sender] | None = None,
) -> web.Application:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
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
    rooms, manager, owners, presence, revocations = live_rooms(app, settings)

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
        task = asyncio.create_task(services.recordings.run_retention(stop)) if run_background else None
        yield
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=10)

    async def export_jobs(app: web.Application) -> AsyncIterator[None]:
        yield
        # Exports run in child processes: stop them (no partial file is left) before the server goes.
        await services.exports.close()

    async def recording_store(app: web.Application) -> AsyncIterator[None]:
        yield
        # Last (cleanup runs in reverse): recordings stopping and exports storing their file still write.
        await asyncio.to_thread(services.recordings.storage.close)

    app.cleanup_ctx.extend(
        [recording_store, database, store_checks, ledger_loop, agreements_recovery, outbox_loop, retention_loop, export_jobs]
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
    )

    async def ready(app: web.Application) -> None:
        # After every cleanup context has started (they run first): the database is migrated,
        # interrupted recordings are marked, the background loops run.
        lifecycle.ready()

    app.on_startup.append(ready)
    return app
