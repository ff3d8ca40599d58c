"""The ``/live`` Socket.IO namespace: where connections and events meet the live session.

It parses events, hands each to its handler and acknowledges: the handlers (room_events.py,
media_events.py, recording_events.py) apply the room's rules (signaling/commands.py) through
the live rooms (signaling/live_rooms.py), which send what each rule owes to whom through this
namespace. Who may do what is decided by those rules and :mod:`signaling.routing` alone. Every
event answers with an ack (``messages.ack_ok`` or ``messages.ack_error``); no payload, however
malformed, raises out of a handler. Connecting (who may join, signaling/admission.py), dropping
out (the grace period, signaling/grace.py) and several processes (signaling/failover.py) are
in their own modules; signaling/server.py creates the Socket.IO server and attaches it to the
app. The protocol is written down in ``PROTOCOL.md``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import socketio
from aiohttp import web
from pydantic import ValidationError
from socketio.exceptions import ConnectionRefusedError

from server.authentication import authenticate, session_token
from server.domain.booking import SessionView
from server.domain.principal import PartyPrincipal, Staff
from server.errors import DomainError, InvalidInput, InvalidState, NotAuthenticated
from server.ops import logs
from server.ops.lifecycle import Lifecycle
from server.ops.metrics import Metrics
from server.services import Services
from signaling import commands
from signaling.admission import credential_rooms, member_for
from signaling.background import Background
from signaling.failover import Failover
from signaling.grace import GracePeriod
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.media import MediaServer
from signaling.media_events import MediaEvents
from signaling.messages import ConnectAuth, ack_error
from signaling.owners import CLAIMING, LocalOwners, MediaOwners, OwnerUnavailable, carried
from signaling.phone_events import PhoneEvents
from signaling.presence import LocalPresence, Presence
from signaling.recording_events import RecordingEvents
from signaling.revocations import REVOKED_MESSAGES, LocalRevocations, Revocations
from signaling.room_events import RoomEvents
from signaling.rooms import Member, Rooms, Seat, participants_view
from signaling.routing import RoutingError
from signaling.telephony.gateway import SipGateway
from signaling.telephony.line import PhoneLine
from signaling.throttle import Throttle
from signaling.transcript_events import TranscriptEvents

log = logging.getLogger(__name__)

NAMESPACE = "/live"
#: The process's media server, for whoever needs it beside the namespace (tests, the recorder).
MEDIA: web.AppKey[MediaServer] = web.AppKey("media", MediaServer)
#: How long the welcome ``participants`` waits for Socket.IO to finish the handshake.
WELCOME_TIMEOUT = 5.0


def handshake_cookies(environ: dict[str, Any]) -> dict[str, str]:
    """The cookies of the handshake request (parsed by aiohttp, as for every HTTP request)."""
    request = environ.get("aiohttp.request")
    return dict(request.cookies) if isinstance(request, web.BaseRequest) else {}


class LiveNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(
        self,
        services: Services,
        rooms: Rooms,
        media: MediaServer,
        namespace: str = NAMESPACE,
        *,
        lifecycle: Lifecycle | None = None,
        metrics: Metrics | None = None,
        owners: MediaOwners | None = None,
        presence: Presence | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        super().__init__(namespace)
        self.services = services
        self.media = media
        self.lifecycle = lifecycle or Lifecycle()
        self.metrics = metrics
        self.owners: MediaOwners = owners or LocalOwners()
        self.presence: Presence = presence or LocalPresence()
        self.revocations: Revocations = revocations or LocalRevocations()
        self._background = Background(log, "/live background work")
        #: The phone gateway, when the organisation's number is answered here (signaling/server.py).
        self.phone: SipGateway | None = None
        # The parts this namespace is made of: each holds what it needs, none knows another's insides.
        self.connections = Connections()
        self.live = LiveRooms(rooms, media, self.owners, self)
        self.grace = GracePeriod(self.live, self._background, services.settings.reconnect_grace_seconds)
        self.media_events = MediaEvents(self.live)
        self.recording = RecordingEvents(services, self.live, self.connections, self._background)
        self.transcript = TranscriptEvents(services, self.live, self.connections)
        self.room_events = RoomEvents(services, self.live, self.connections, self.recording, self.transcript)
        self.phone_events = PhoneEvents(services, self.live, self.connections, lambda: self.phone)
        self._events: Events = {
            **self.room_events.events(),
            **self.media_events.events(),
            **self.recording.events(),
            **self.transcript.events(),
            **self.phone_events.events(),
        }
        self.failover = Failover(self.live, self.connections, self._events, self.media_events, self.recording)
        # Floods (PROTOCOL.md, "Rate limits"): chat, and the events that change everyone's list, per participant.
        settings = services.settings
        chat = Throttle(settings.chat_burst, settings.chat_per_second)
        shown = Throttle(settings.event_burst, settings.event_per_second)
        self._throttles: dict[str, Throttle] = {
            "chat": chat,
            "hand": shown,
            "audio_only": shown,
            "device": shown,
            "publish": shown,
            # The record's draft, sent a moment after the writer stops typing: a bucket of its own.
            "transcript": Throttle(settings.event_burst, settings.event_per_second),
        }

    # -- dispatch ------------------------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Connect and disconnect go to their handlers; every other event through ``_dispatch``."""
        if event in ("connect", "disconnect") and self._from_server(event, args):
            return await super().trigger_event(event, *args)
        return await self._dispatch(event, args[0], args[1:])

    def _from_server(self, event: str, args: tuple[Any, ...]) -> bool:
        """Whether a connect/disconnect comes from Socket.IO itself rather than from a client.

        python-socketio also dispatches a client's ordinary EVENT packet named "connect" or
        "disconnect" to these handlers. Genuine ones run while the connection is not (yet, or
        any more) fully connected, and a genuine connect carries the real aiohttp request.
        """
        if self.server.manager.is_connected(args[0], self.namespace):
            return False
        if event == "connect":
            return len(args) >= 2 and isinstance(args[1], dict) and isinstance(args[1].get("aiohttp.request"), web.BaseRequest)
        return True

    async def _dispatch(self, event: str, sid: str, data: tuple[Any, ...]) -> dict[str, Any]:
        began = time.perf_counter()
        ack = await self._handle(event, sid, data)
        if self.metrics is not None:
            # Only the protocol's own event names become labels (anything else is "unknown").
            name = event if event in self._events else "unknown"
            self.metrics.signaling_ack.labels(event=name).observe(time.perf_counter() - began)
            if not ack.get("ok"):
                self.metrics.error("socketio", str(ack.get("error", {}).get("code", "unknown")))
        return ack

    async def _handle(self, event: str, sid: str, data: tuple[Any, ...]) -> dict[str, Any]:
        seat: Seat | None = None
        try:
            entry = self._events.get(event)
            if entry is None:
                raise InvalidInput("unknown event")
            if len(data) != 1:
                raise InvalidInput("send exactly one object as the payload")
            seat = await self.live.rooms.locate(sid)
            if seat is None:
                raise NotAuthenticated("this connection is not in a session")
            throttle = self._throttles.get(event)
            if throttle is not None:
                # Its shape first: a malformed event is refused for that and does not spend the allowance.
                entry[0].model_validate(data[0])
                await throttle.take(seat.session_id, seat.participant_id)
            for _ in range(2):
                # Several processes: the session's events run where its media is (signaling/owners.py).
                owner = await self.owners.owner(seat.session_id, claim=event in CLAIMING)
                if self.owners.is_here(owner):
                    break
                assert owner is not None
                try:
                    return await self.owners.call(owner, carried(event, sid, seat, self.connections.here(sid), data[0]))
                except OwnerUnavailable:
                    continue  # its claim is dropped: the session's media may now start here
            model, handler = entry
            with logs.live(seat.session_id, seat.participant_id):
                return await handler(sid, seat, model.model_validate(data[0]))
        except (DomainError, RoutingError, ValidationError) as exc:
            if seat is not None:
                log.info(
                    "session %s: %s refused for %s: %s", seat.session_id, event[:32], seat.participant_id, type(exc).__name__
                )
            return ack_error(exc)
        except Exception as exc:
            log.exception("session %s: %s failed", seat.session_id if seat else "-", event[:32])
            return ack_error(exc)

    # -- connection ----------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if self.lifecycle.draining:
            # PROTOCOL.md, "Restarts": the client tries again in a moment (another process, or this one restarted).
            raise ConnectionRefusedError("the server is restarting; connecting again in a moment", {"code": "restarting"})
        try:
            cookies = handshake_cookies(environ)
            view, member, principal = await self._identify(cookies, auth)
            await self._enter_credential_rooms(sid, cookies, principal, view.session.id)
            seat, seated = await self._seat(sid, view, member)
            self.connections.add(sid, principal)
            await self.presence.holds(sid)
        except DomainError as exc:
            log.info("/live connection refused: %s", exc.code)
            reason = exc.details.get("reason")
            # A machine-readable cause where there is one (not_assigned: a mediator not assigned to the case).
            data = {"code": exc.code, **({"reason": reason} if isinstance(reason, str) else {})}
            raise ConnectionRefusedError(exc.message, data) from None
        except RoutingError as exc:
            log.info("/live connection refused: %s", exc)
            raise ConnectionRefusedError(str(exc), {"code": InvalidState.code}) from None
        except ValidationError:
            raise ConnectionRefusedError("auth must be an object {session_id}", {"code": InvalidInput.code}) from None
        except Exception:
            log.exception("/live connection failed")
            raise ConnectionRefusedError("the server could not open the session", {"code": "internal_error"}) from None
        logs.session_id.set(seat.session_id)  # this handler's own context: the lines below are tagged
        logs.participant_id.set(seat.participant_id)
        log.info("session %s: %s connected as %s", seat.session_id, seat.participant_id, member.role)
        if seated.disconnect:
            # The newer connection wins (PROTOCOL.md, "One connection per participant").
            log.info("session %s: %s replaced an older connection", seat.session_id, seat.participant_id)
            await self.live.tell(seated.notices)
            await self.live.let_go(seated.disconnect)
        room = await self.live.get(seat.session_id)
        if room is not None:
            await self.live.broadcast(room, skip=sid)
        self._background.spawn(self._welcome(sid, seat))

    async def _enter_credential_rooms(
        self, sid: str, cookies: dict[str, str], principal: Staff | PartyPrincipal, session_id: str
    ) -> None:
        """One Socket.IO room per thing whose withdrawal must end this connection (signaling/revocations.py)."""
        token = session_token(cookies)
        for room in credential_rooms(token, principal, session_id):
            await self.enter_room(sid, room)
        # A withdrawal committed between the check in _identify and now found this connection in no
        # room: look again, now that any later one will find it.
        if token is None or await authenticate(self.services.accounts, cookies) is None:
            raise NotAuthenticated("open your link or log in first")

    async def revoked(self, room: str, reason: str) -> None:
        """A credential was withdrawn (on any process): tell this process's connections that held it, and end them."""
        connections = [sid for sid, _ in self.server.manager.get_participants(self.namespace, room)]
        if not connections:
            return
        message = REVOKED_MESSAGES.get(reason, "your access to this session was withdrawn")
        log.info("%d connection(s) ended: their credential was withdrawn (%s)", len(connections), reason)
        for sid in connections:
            await self.emit("revoked", {"reason": reason, "message": message}, to=sid)
        for sid in connections:
            await self.disconnect(sid)

    async def _identify(self, cookies: dict[str, str], auth: Any) -> tuple[SessionView, Member, Staff | PartyPrincipal]:
        browser = await authenticate(self.services.accounts, cookies)
        if browser is None:
            raise NotAuthenticated("open your link or log in first")
        return await member_for(self.services, browser.principal, ConnectAuth.model_validate(auth if auth is not None else {}))

    async def _seat(self, sid: str, view: SessionView, member: Member) -> tuple[Seat, commands.Outcome]:
        """Give ``member`` their place, bound to this connection (signaling/commands.py, ``seat``)."""
        session_id = view.session.id
        await self.live.rooms.open(session_id, view.session.mediator_id, view.mediator.display_name)
        _, seated = await self.live.apply(session_id, lambda room: commands.seat(room, member, sid))
        self.grace.cancel(session_id, member.id)
        return Seat(session_id, member.id), seated

    async def _welcome(self, sid: str, seat: Seat) -> None:
        """Send the newcomer their first ``participants`` once the handshake is complete.

        Socket.IO sends its CONNECT answer only after ``on_connect`` returns; an event emitted
        before that would reach a client that is not yet listening on the namespace.
        """
        manager = self.server.manager
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WELCOME_TIMEOUT
        while not manager.is_connected(sid, self.namespace):
            if loop.time() > deadline:
                return
            await asyncio.sleep(0.01)
        room = await self.live.get(seat.session_id)
        if room is not None and room.connections.get(seat.participant_id) == sid:
            await self.emit("participants", participants_view(room, seat.participant_id), to=sid)
            me = room.state.get(seat.participant_id)
            if me is not None and me.state == "admitted":
                await self.transcript.send_current(room, seat.participant_id)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """A dropped participant keeps their place for the grace period; an admitted one is *reconnecting*."""
        self.connections.drop(sid)
        self.media_events.forget(sid)
        await self.presence.let_go(sid)
        await self._left(sid)

    async def _left(self, sid: str) -> None:
        """The connection is gone (dropped here, or held by a process that died)."""
        seat = await self.live.rooms.locate(sid)
        if seat is None:
            return  # replaced, removed or refused: nothing to undo
        logs.session_id.set(seat.session_id)
        logs.participant_id.set(seat.participant_id)
        _, done = await self.live.apply(seat.session_id, lambda room: commands.leave(room, seat, sid))
        room = done.room
        log.info("session %s: %s disconnected", seat.session_id, seat.participant_id)
        if not room.is_online(seat.participant_id):
            await self.live.close_media(seat.session_id, seat.participant_id)
            self.grace.schedule(seat.session_id, seat.participant_id)
        await self.live.broadcast(room)

    # -- phone calls (signaling/telephony) ---------------------------------------------------

    async def find_by_pin(self, pin: str) -> PartyPrincipal:
        """The party whose phone PIN this is (their own, tied to their link: server/domain/links.py)."""
        return await self.services.links.by_pin(pin)

    async def seat_by_phone(self, connection: str, principal: PartyPrincipal, line: PhoneLine, *, admit: bool = False) -> None:
        """Seat a caller as their party, under the same rules as a browser (waiting room, lock, one connection);
        ``admit``: a party the mediator called goes straight in.

        A caller's line stays in this process (its RTP ends here), so the session's media must be
        here too: if another process carries it, it is asked to hand it over (signaling/failover.py,
        ``give_up``); one that keeps it (a caller of its own is in the session) leaves this caller
        out (``InvalidState``, heard as "cannot join").
        """
        view, member, _ = await member_for(self.services, principal, ConnectAuth(session_id=principal.session_id))
        session_id = view.session.id
        member = replace(member, phone=True)
        room = await self.live.get(session_id)
        if room is not None:
            commands.seat(room, member, connection)  # refused (locked, removed, ended)? before any media moves
        owner = await self.owners.owner(session_id, claim=True)
        if not self.owners.is_here(owner):
            assert owner is not None
            if not await self.owners.take_over(session_id, owner):
                raise InvalidState("this session's media is served by another process, which keeps it", reason="media_elsewhere")
        seat, seated = await self._seat(connection, view, member)
        self.connections.add(connection, principal)
        try:
            await self._phone_seated(seat, seated, line, admit=admit)
        except BaseException:
            await self.phone_left(connection)  # not left in the room as if on the line
            raise
        if admit:  # the party answered the mediator's call: a line of the case's history, as a PIN's use is
            await self.services.links.phone_call(None, principal, "answered")

    async def _phone_seated(self, seat: Seat, seated: commands.Outcome, line: PhoneLine, *, admit: bool) -> None:
        session_id = seat.session_id
        logs.session_id.set(session_id)
        log.info("session %s: %s called in by phone", session_id, seat.participant_id)
        if seated.disconnect:
            await self.live.tell(seated.notices)
            await self.live.let_go(seated.disconnect)
        # A phone has no camera: only the caller's voice is published.
        _, after = await self.live.apply(
            session_id,
            lambda room: commands.Outcome(room.with_state(room.state.set_sending(seat.participant_id, "video", False))),
        )
        # Checked with nothing awaited before the line is added: the media may have moved meanwhile.
        if session_id in self.failover.moving or not self.owners.holds(session_id):
            raise InvalidState("this session's media moved to another process", reason="media_elsewhere")
        self.media.room(session_id).add_line(line, after.room.state, after.room.revision)
        if admit and (me := after.room.state.get(seat.participant_id)) is not None and me.state != "admitted":
            _, after = await self.live.apply(session_id, lambda room: commands.let_in(room, seat.participant_id))
            await self.live.tell(after.notices)
        await self.live.broadcast(after.room)

    async def phone_pressed(self, connection: str, key: str) -> None:
        """A caller answered the recording notice: the hosts see who pressed what (``phone_consent``)."""
        seat = await self.live.rooms.locate(connection)
        room = await self.live.get(seat.session_id) if seat is not None else None
        if seat is None or room is None:
            return
        call = self.phone.call_of(seat.session_id, seat.participant_id) if self.phone is not None else None
        number = call.number if call is not None else ""
        body = {
            "participant_id": seat.participant_id,
            "name": room.name_of(seat.participant_id),
            "number": number,
            "pressed": key,
        }
        await self.live.to_hosts(room, "phone_consent", body)

    async def phone_dial_failed(self, session_id: str, participant_id: str, name: str, reason: str) -> None:
        """A call out to a party was not answered (``no_answer``) or refused (``rejected``): the hosts are told."""
        room = await self.live.get(session_id)
        if room is not None:
            body = {"participant_id": participant_id, "name": name, "status": reason}
            await self.live.to_hosts(room, "phone_dial", body)

    async def phone_left(self, connection: str) -> None:
        """A call ended: the caller keeps their place for the grace period, as a dropped browser does."""
        self.connections.drop(connection)
        await self._left(connection)

    async def orphaned(self, connections: list[str]) -> None:
        """A dead process held these connections (signaling/presence.py): they dropped with it."""
        for sid in connections:
            try:
                await self._left(sid)
            except Exception:
                log.exception("a connection of a dead process could not be let go")

    async def forgotten(self) -> None:
        """This process stalled and was taken for dead: its participants connect again to be seated again."""
        await self.failover.send_to_reconnect(list(self.connections))

    # -- delivery --------------------------------------------------------------------------------

    async def emit(self, event: str, data: Any = None, to: str | None = None, **kwargs: Any) -> None:
        """To a connection of this process, directly; through Redis only to one elsewhere.

        python-socketio's Redis manager publishes every emit to every process, even one to a
        connection of the emitting process; each process then decodes all of them. With nginx
        keeping a session's connections on one process that is nearly every emit, and it made two
        processes acknowledge fewer events than one (``mediate bench cluster``).
        """
        if self.phone is not None and self.phone.holds(to):
            self.phone.deliver(to, event, data)  # type: ignore[arg-type]
            return
        target = to or kwargs.get("room")
        if target is not None and self.server.manager.is_connected(target, kwargs.get("namespace") or self.namespace):
            kwargs["ignore_queue"] = True
        await super().emit(event, data, to=to, **kwargs)

    async def disconnect(self, sid: str, namespace: str | None = None, **kwargs: Any) -> None:
        """End a connection; a caller's is a phone call, which is hung up once they heard why."""
        if self.phone is not None and self.phone.holds(sid):
            self.phone.let_go(sid)
            return
        await super().disconnect(sid, namespace=namespace, **kwargs)

    async def close(self) -> None:
        self.media_events.stop_quality_reports()
        await self.recording.close_recordings()
        await self.media.close()
        await self.owners.close()
