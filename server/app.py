"""The composition root: the only module that knows every part."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from recordings.crypto import MasterKey
from recordings.storage import LocalStorage
from server import db
from server.domain.accounts import Accounts
from server.domain.agreement_seal import Sealer
from server.domain.agreements import Agreements
from server.domain.booking import Booking
from server.domain.cases import Cases
from server.domain.chat import ChatLog
from server.domain.confirmation import Confirmations
from server.domain.consent import Consents
from server.domain.documents import CaseFiles
from server.domain.evidence import Evidence
from server.domain.exports import Exports
from server.domain.keybinding import KeyBinding
from server.domain.keyring import Keyring
from server.domain.ledger import Ledger
from server.domain.links import Links
from server.domain.notifications import Outbox, Sender, senders_from
from server.domain.outcomes import Outcomes
from server.domain.recordings import Recordings
from server.domain.review import Review
from server.domain.staffkeys import StaffKeys
from server.http import (  # noqa: F401 - routes
    admin_api,
    agreements_api,
    auth_api,
    cases_api,
    confirmation_api,
    documents_api,
    evidence_api,
    log_api,
    middlewares,
    pages,
    party_api,
    recordings_api,
    sessions_api,
    staffkeys_api,
    witness_api,
)
from server.http.routes import api
from server.http.services import SERVICES, Services
from server.settings import Settings
from signaling.media import MediaServer
from signaling.namespace import attach as attach_signaling
from signaling.rooms import MemoryRooms

log = logging.getLogger(__name__)


def witness_entry(vkey: str) -> dict[str, str]:
    """How a bundle names a configured witness (FORMAT.md, witnesses.json)."""
    return {"name": vkey.split("+", 1)[0], "vkey": vkey}


def make_services(settings: Settings, engine: AsyncEngine, senders: dict[str, Sender] | None = None) -> Services:
    maker = db.make_sessionmaker(engine)
    keyring = Keyring.open(settings.data_dir, settings.default_log_origin)
    ledger = Ledger(maker, keyring, engine.dialect.name, settings.ledger_interval_seconds)
    recordings = Recordings(
        maker, ledger, LocalStorage(settings.resolved_recordings_dir), MasterKey.load(settings.recording_key, settings.data_dir)
    )
    review = Review(maker, recordings, settings.resolved_recordings_dir)
    staff_keys = StaffKeys(maker, ledger, settings)
    sealer = Sealer(settings, ledger.origin)
    evidence = Evidence(maker, ledger, [witness_entry(vkey) for vkey in settings.witnesses], recordings)
    return Services(
        settings=settings,
        accounts=Accounts(maker, settings),
        cases=Cases(maker, ledger),
        booking=Booking(maker, settings),
        links=Links(maker, settings),
        outbox=Outbox(maker, settings, senders if senders is not None else senders_from(settings)),
        ledger=ledger,
        keys=KeyBinding(maker, ledger, settings),
        evidence=evidence,
        staff_keys=staff_keys,
        chat=ChatLog(maker),
        consents=Consents(maker, ledger, settings),
        recordings=recordings,
        review=review,
        exports=Exports(maker, review),
        agreements=Agreements(maker, ledger, settings, staff_keys, sealer),
        case_files=CaseFiles(maker, ledger, settings),
        outcomes=Outcomes(maker, ledger),
        confirmations=Confirmations(maker, ledger, settings, staff_keys, sealer, evidence),
    )


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    run_background: bool = True,
    senders: dict[str, Sender] | None = None,
) -> web.Application:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.resolved_database_url)
    services = make_services(settings, engine, senders)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[middlewares.errors, middlewares.security_headers, middlewares.authentication, middlewares.csrf],
    )
    app[SERVICES] = services
    app[pages.ENGINE] = engine

    async def database(app: web.Application) -> AsyncIterator[None]:
        if migrate:
            await db.upgrade(engine)
        await services.ledger.publish_platform_keys()
        # A recording that was running when the server stopped is marked interrupted, and says where.
        await services.recordings.recover()
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

    async def agreements_recovery(app: web.Application) -> AsyncIterator[None]:
        # An agreement whose last signature was logged just before a crash is sealed now
        # (after the ledger loop is up: sealing settles the log first).
        if run_background:
            try:
                await services.agreements.recover()
                await services.confirmations.recover()
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

    app.cleanup_ctx.extend([database, ledger_loop, agreements_recovery, outbox_loop, retention_loop, export_jobs])
    api.install(app)
    pages.install(app)
    log_api.install(app)
    witness_api.install(app, list(settings.witnesses))
    # Live signalling (Socket.IO at /socket.io/, namespace /live); rooms in this process for now.
    media = MediaServer(list(settings.ice_servers), loopback=settings.media_loopback)
    attach_signaling(app, services, MemoryRooms(), media)
    return app
