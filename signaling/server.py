"""The Socket.IO server of ``/live``: created, attached to the app, and started and stopped with it.

The composition root (server/app.py) calls :func:`attach`; the namespace itself is
signaling/namespace.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from server import jsonlimits
from server.live import LIVE, PHONE
from server.ops.lifecycle import Lifecycle
from server.ops.metrics import Metrics
from server.services import Services
from signaling.media import MediaServer
from signaling.namespace import MEDIA, LiveNamespace
from signaling.owners import MediaOwners
from signaling.presence import Presence
from signaling.protocol_garbage import LiveServer
from signaling.revocations import Revocations
from signaling.rooms import Rooms
from signaling.telephony import prompts
from signaling.telephony.gateway import SipGateway
from signaling.telephony.pin_guard import PinGuard


def allowed_origins(services: Services) -> list[str] | None:
    """The origins whose pages may open ``/live``: the public URL's, or (unset) the Host's.

    ``None`` makes python-engineio compare ``Origin`` with the request's own scheme and Host,
    i.e. same origin only. An empty list would not mean that: it refuses every request that
    carries an ``Origin``, which every browser WebSocket handshake does.
    """
    public = services.settings.public_url
    if not public:
        return None
    parts = urlsplit(public)
    return [f"{parts.scheme}://{parts.netloc}"]


def attach(
    app: web.Application,
    services: Services,
    rooms: Rooms,
    media: MediaServer,
    *,
    lifecycle: Lifecycle | None = None,
    metrics: Metrics | None = None,
    client_manager: socketio.AsyncManager | None = None,
    owners: MediaOwners | None = None,
    presence: Presence | None = None,
    revocations: Revocations | None = None,
    pin_guard: PinGuard | None = None,
) -> socketio.AsyncServer:
    """Create the Socket.IO server, serve ``/live`` from ``rooms``, and attach it to ``app``.

    Browsers do not apply CORS to WebSockets, so the handshake's ``Origin`` is checked here
    (same origin only); clients that send no ``Origin`` (not browsers) still need the session
    cookie. 64 KiB caps one message; a chat message is at most 2000 characters.
    """
    # LiveServer: a frame of garbage closes its connection with one short WARNING (signaling/protocol_garbage.py).
    server = LiveServer(
        # Several processes: python-socketio's Redis manager carries emits to connections elsewhere.
        client_manager=client_manager,
        async_mode="aiohttp",
        cors_allowed_origins=allowed_origins(services),
        max_http_buffer_size=64 * 1024,
        # Packets are parsed with their nesting and numbers bounded: 30,000 levels fit in 64 KiB
        # and exhausted the standard parser's recursion (server/jsonlimits.py).
        json=jsonlimits,
        logger=False,
        engineio_logger=False,
    )
    namespace = LiveNamespace(
        services, rooms, media, lifecycle=lifecycle, metrics=metrics, owners=owners, presence=presence, revocations=revocations
    )
    server.register_namespace(namespace)
    namespace.lifecycle.on_drain("live sessions", namespace.failover.drain)
    if metrics is not None:
        metrics.watch(metrics.live_sessions, lambda: len(media.rooms))
        metrics.watch(metrics.participants, lambda: sum(len(r.peers) for r in list(media.rooms.values())))
        metrics.watch(metrics.forwarded_streams, media.forwarded_streams)
        metrics.watch(metrics.signaling_connections, lambda: len(namespace.connections))
    app[MEDIA] = media
    settings = services.settings
    if settings.sip_listen is not None:
        namespace.phone = SipGateway(
            settings.sip_listen,
            prompts.load(settings.data_dir, settings.prompts_dir),
            namespace,
            namespace.lifecycle,
            advertised_ip=settings.sip_advertised_ip,
            rtp_ports=settings.sip_rtp_ports,
            trunk=settings.sip_trunk,
            account=(settings.sip_trunk_user, settings.sip_trunk_password or "") if settings.sip_trunk_user else None,
            # The number a party called out sees: the one they would dial (its digits), where one is set.
            caller_id="".join(c for c in settings.phone_number or "" if c.isdigit()) or "mediation",
            guard=pin_guard,
        )
        app[PHONE] = namespace.phone
    # The HTTP handlers that withdraw a credential end its live connections through this (server/live.py).
    app[LIVE] = namespace.revocations
    server.attach(app)

    async def media_lifetime(app: web.Application) -> AsyncIterator[None]:
        namespace.media_events.start_quality_reports()
        failover = namespace.failover
        await namespace.owners.start(failover.carried, failover.room_changed, failover.owner_lost, failover.taken_over)
        await namespace.presence.start(namespace.orphaned, namespace.forgotten)
        await namespace.revocations.start(namespace.revoked)
        if namespace.phone is not None:
            await namespace.phone.start()
        yield
        if namespace.phone is not None:
            await namespace.phone.close()
        await namespace.revocations.close()
        await namespace.presence.close()
        await namespace.close()

    app.cleanup_ctx.append(media_lifetime)
    return server
