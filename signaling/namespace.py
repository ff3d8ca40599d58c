"""The ``/live`` Socket.IO namespace: the only module of the signalling layer that knows Socket.IO.

It turns connections and events into calls on the room registry (:mod:`signaling.rooms`) and
the routing rule (:mod:`signaling.routing`), and their results into events and acks. Who may
do what is checked here against the sender's role and state; what reaches whom is decided by
:mod:`signaling.routing` alone. Every event answers with an ack (``messages.ack_ok`` or
``messages.ack_error``); no payload, however malformed, raises out of a handler. The
protocol is written down in ``PROTOCOL.md``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any, cast
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from pydantic import BaseModel, ValidationError
from socketio.exceptions import ConnectionRefusedError

from server.domain.booking import SessionView
from server.domain.principal import PartyPrincipal, Staff
from server.errors import DomainError, Forbidden, Gone, InvalidInput, InvalidState, NotAuthenticated, NotFound
from server.http.services import Services
from server.ops import logs
from server.ops.lifecycle import Lifecycle
from server.ops.metrics import Metrics
from signaling.background import Background
from signaling.media import MediaServer
from signaling.media_events import Handler, MediaEvents
from signaling.messages import (
    AudioOnly,
    CaucusEnd,
    CaucusStart,
    Chat,
    ConnectAuth,
    Empty,
    Hand,
    Lock,
    Target,
    ack_error,
    ack_ok,
)
from signaling.owners import (
    CLAIMING,
    LocalOwners,
    MediaOwners,
    OwnerUnavailable,
    carried,
    carried_principal,
    principal_from_json,
)
from signaling.presence import LocalPresence, Presence
from signaling.recording_events import RecordingEvents
from signaling.rooms import Member, Room, Rooms, Seat, participants_view, require_host, require_other
from signaling.routing import MAIN_ROOM, ROLES, Role, RoutingError, chat_receivers

log = logging.getLogger(__name__)

NAMESPACE = "/live"
#: The process's media server, for whoever needs it beside the namespace (tests, the recorder).
MEDIA: web.AppKey[MediaServer] = web.AppKey("media", MediaServer)
COOKIE = "mediate_session"
MAX_TOKEN = 200
#: How long the welcome ``participants`` waits for Socket.IO to finish the handshake.
WELCOME_TIMEOUT = 5.0
#: After ``restarting``, when a client should connect again (a load balancer has noticed by then).
RESTART_RETRY_MS = 1500


def session_cookie(environ: dict[str, Any]) -> str | None:
    """The ``mediate_session`` cookie of the handshake request, if present and plausible."""
    cookie = SimpleCookie()
    try:
        cookie.load(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = cookie.get(COOKIE)
    if morsel is None or not morsel.value or len(morsel.value) > MAX_TOKEN:
        return None
    return morsel.value


class LiveNamespace(RecordingEvents, MediaEvents, socketio.AsyncNamespace):  # type: ignore[misc]
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
    ) -> None:
        super().__init__(namespace)
        self.services = services
        self.rooms = rooms
        self.media = media
        self.lifecycle = lifecycle or Lifecycle()
        self.metrics = metrics
        self.owners: MediaOwners = owners or LocalOwners()
        self.presence: Presence = presence or LocalPresence()
        self.grace_seconds = services.settings.reconnect_grace_seconds
        self._background = Background(log, "/live background work")
        self._expiries: dict[tuple[str, str], asyncio.TimerHandle] = {}
        #: When each connection last started media (MediaEvents refuses restarts in a loop).
        self._started_at: dict[str, float] = {}
        #: Who each connection is, for the case history (principal of the handshake).
        self._principals: dict[str, Staff | PartyPrincipal] = {}
        self._recorders = {}
        self._events: dict[str, tuple[type[BaseModel], Handler]] = {
            "admit": (Target, self._admit),
            "hold": (Target, self._hold),
            "remove": (Target, self._remove),
            "chat": (Chat, self._chat),
            "caucus_start": (CaucusStart, self._caucus_start),
            "caucus_end": (CaucusEnd, self._caucus_end),
            "audio_only": (AudioOnly, self._audio_only),
            "hand": (Hand, self._hand),
            "lock": (Lock, self._lock),
            "admit_automatically": (Lock, self._admit_automatically),
            "end": (Empty, self._end),
            **self.media_events(),
            **self.recording_events(),
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
            seat = await self.rooms.locate(sid)
            if seat is None:
                raise NotAuthenticated("this connection is not in a session")
            for _ in range(2):
                # Several processes: the session's events run where its media is (signaling/owners.py).
                owner = await self.owners.owner(seat.session_id, claim=event in CLAIMING)
                if self.owners.is_here(owner):
                    break
                assert owner is not None
                try:
                    return await self.owners.call(owner, carried(event, sid, seat, self._principals.get(sid), data[0]))
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

    async def _carried(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run an event another process carried here, where the session's media is; return its ack."""
        seat = Seat(str(request["session_id"]), str(request["participant_id"]))
        try:
            with logs.live(seat.session_id, seat.participant_id):
                if request.get("op") == "close_peer":
                    await self._close_media(seat.session_id, seat.participant_id)
                    return ack_ok()
                event, sid = str(request["event"]), str(request["sid"])
                model, handler = self._events[event]
                token = carried_principal.set(principal_from_json(request.get("principal")))
                try:
                    return await handler(sid, seat, model.model_validate(request["payload"]))
                finally:
                    carried_principal.reset(token)
        except (DomainError, RoutingError, ValidationError) as exc:
            return ack_error(exc)
        except Exception as exc:
            log.exception("session %s: an event carried from another process failed", seat.session_id)
            return ack_error(exc)

    async def _room_changed(self, session_id: str) -> None:
        """Another process changed a room whose media is here: let the media follow."""
        media = self.media.get(session_id)
        room = await self.rooms.get(session_id)
        if media is not None and room is not None:
            media.update(room.state, room.consents)

    async def _owner_lost(self, session_id: str) -> None:
        """The process carrying this session's media died: its participants connected here start again."""
        room = await self.rooms.get(session_id)
        if room is None:
            return
        for pid, connection in room.connections.items():
            if connection in self._principals:
                self._started_at.pop(connection, None)
                await self.emit("media_failed", {"message": "the media connection failed; reconnecting"}, to=connection)
                log.info("session %s: %s told to start media again (its media process died)", session_id, pid)

    async def _taken_over(self, session_id: str) -> None:
        """This process now carries the session's media (the first, or after its process died)."""
        try:
            await self.resume_after_failover(session_id)
        except Exception:
            log.exception("session %s: the recording could not be resumed after a failover", session_id)

    def _principal(self, sid: str) -> Staff | PartyPrincipal | None:
        """Who sent an event: the connection's principal, or the one carried with it from another process."""
        return self._principals.get(sid) or carried_principal.get()

    # -- connection ----------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if self.lifecycle.draining:
            # PROTOCOL.md, "Restarts": the client tries again in a moment (another process, or this one restarted).
            raise ConnectionRefusedError("the server is restarting; connecting again in a moment", {"code": "restarting"})
        try:
            view, member, principal = await self._identify(environ, auth)
            seat, replaced = await self._seat(sid, view, member)
            self._principals[sid] = principal
            await self.presence.holds(sid)
        except DomainError as exc:
            log.info("/live connection refused: %s", exc.code)
            raise ConnectionRefusedError(exc.message, {"code": exc.code}) from None
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
        if replaced is not None:
            # The newer connection wins (PROTOCOL.md, "One connection per participant").
            log.info("session %s: %s replaced an older connection", seat.session_id, seat.participant_id)
            await self.emit("replaced", {"message": "you joined from another window or device"}, to=replaced)
            await self.disconnect(replaced)
        room = await self.rooms.get(seat.session_id)
        if room is not None:
            await self._broadcast(room, skip=sid)
        self._background.spawn(self._welcome(sid, seat))

    async def _identify(self, environ: dict[str, Any], auth: Any) -> tuple[SessionView, Member, Staff | PartyPrincipal]:
        token = session_cookie(environ)
        browser = await self.services.accounts.resolve(token) if token else None
        if browser is None:
            raise NotAuthenticated("open your link or log in first")
        wanted = ConnectAuth.model_validate(auth if auth is not None else {})
        principal = browser.principal
        if isinstance(principal, PartyPrincipal):
            if wanted.session_id is not None and wanted.session_id != principal.session_id:
                raise Forbidden("your link is for another session")
            _, view, _ = await self.services.booking.for_party(principal)
            party = next((p for p in view.parties if p.id == principal.party_id), None)
            if party is None or party.role not in ROLES:
                raise Forbidden("your link does not name a party of this case")
            member = Member(party.id, party.name, cast(Role, party.role), "party")
        elif isinstance(principal, Staff):
            if wanted.session_id is None:
                raise InvalidInput("staff must name the session: auth={session_id}")
            view = await self.services.booking.get(principal, wanted.session_id)
            if principal.user_id != view.session.mediator_id:
                raise Forbidden("only the session's mediator may join it")
            member = Member(principal.user_id, principal.display_name, "mediator", "staff")
        else:
            raise Forbidden("this is for the session's mediator and parties")
        if view.session.status == "cancelled":
            raise Gone("this session was cancelled")
        if view.session.status == "ended":
            raise Gone("the mediator has ended this session")
        return view, member, principal

    async def _seat(self, sid: str, view: SessionView, member: Member) -> tuple[Seat, str | None]:
        """Give ``member`` their place, bound to this connection; return the connection it replaces."""
        session_id = view.session.id
        await self.rooms.open(session_id, view.session.mediator_id, view.mediator.display_name)
        replaced: str | None = None

        def seat(room: Room) -> Room:
            nonlocal replaced
            state, pid = room.state, member.id
            current = state.get(pid)
            if room.ended:
                raise Gone("the mediator has ended this session")
            if current is None:
                if room.locked and pid != room.host_id:
                    raise Forbidden("the mediator has locked the room; please call them")
                state = state.join(pid, member.role)
                if pid == room.host_id or room.admit_automatically:
                    state = state.admit(pid)
            elif current.state == "removed":
                raise Forbidden("you were removed from this session")
            elif current.state == "reconnecting":
                state = state.reconnected(pid)
            replaced = room.connections.get(pid)
            return room.with_member(member).with_state(state).bind(pid, sid)

        await self._update(session_id, seat)
        self._cancel_expiry(session_id, member.id)
        return Seat(session_id, member.id), replaced

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
        room = await self.rooms.get(seat.session_id)
        if room is not None and room.connections.get(seat.participant_id) == sid:
            await self.emit("participants", participants_view(room, seat.participant_id), to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """A dropped participant keeps their place for the grace period; an admitted one is *reconnecting*."""
        self._principals.pop(sid, None)
        self._started_at.pop(sid, None)
        await self.presence.let_go(sid)
        await self._left(sid)

    async def _left(self, sid: str) -> None:
        """The connection is gone (dropped here, or held by a process that died)."""
        seat = await self.rooms.locate(sid)
        if seat is None:
            return  # replaced, removed or refused: nothing to undo
        logs.session_id.set(seat.session_id)
        logs.participant_id.set(seat.participant_id)

        def leave(room: Room) -> Room:
            if room.connections.get(seat.participant_id) != sid:
                return room
            state = room.state
            current = state.get(seat.participant_id)
            if current is not None and current.state == "admitted":
                state = state.reconnecting(seat.participant_id)
            return room.unbind(seat.participant_id).with_state(state)

        _, room = await self._update(seat.session_id, leave)
        log.info("session %s: %s disconnected", seat.session_id, seat.participant_id)
        if not room.is_online(seat.participant_id):
            await self._close_media(seat.session_id, seat.participant_id)
            self._schedule_expiry(seat.session_id, seat.participant_id)
        await self._broadcast(room)

    async def _orphaned(self, connections: list[str]) -> None:
        """A dead process held these connections (signaling/presence.py): they dropped with it."""
        for sid in connections:
            try:
                await self._left(sid)
            except Exception:
                log.exception("a connection of a dead process could not be let go")

    async def _forgotten(self) -> None:
        """This process stalled and was taken for dead: its participants connect again to be seated again."""
        await self._send_to_reconnect(list(self._principals))

    # -- grace period --------------------------------------------------------------------------

    def _schedule_expiry(self, session_id: str, participant_id: str) -> None:
        self._cancel_expiry(session_id, participant_id)
        loop = asyncio.get_running_loop()
        self._expiries[(session_id, participant_id)] = loop.call_later(
            self.grace_seconds, lambda: self._background.spawn(self._expire(session_id, participant_id))
        )

    def _cancel_expiry(self, session_id: str, participant_id: str) -> None:
        handle = self._expiries.pop((session_id, participant_id), None)
        if handle is not None:
            handle.cancel()

    async def _expire(self, session_id: str, participant_id: str) -> None:
        """Grace period over: a participant still away goes back to the waiting room."""
        self._expiries.pop((session_id, participant_id), None)
        expired = False

        def expire(room: Room) -> Room:
            nonlocal expired
            current = room.state.get(participant_id)
            if room.is_online(participant_id) or current is None or current.state != "reconnecting":
                return room
            expired = True
            return room.with_state(room.state.expire(participant_id))

        if await self.rooms.get(session_id) is None:
            return
        before, room = await self._update(session_id, expire)
        if expired:
            log.info("session %s: %s did not come back within %ss", session_id, participant_id, self.grace_seconds)
            await self._notify_caucus_changes(before, room)
            await self._broadcast(room)

    # -- state changes -------------------------------------------------------------------------

    async def _update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]:
        """Change the room and let the media follow: routing is re-evaluated on every change."""
        before, after = await self.rooms.update(session_id, change)
        if after.state is not before.state or after.consents != before.consents:
            media = self.media.get(session_id)
            if media is not None:
                media.update(after.state, after.consents)
            else:
                await self.owners.changed(session_id)  # the media may be in another process
        return before, after

    async def _notify_caucus_changes(self, before: Room, after: Room) -> None:
        """Tell those left in the main room when a private talk starts or ends."""
        was = {c.id for c in before.state.caucuses}
        now = {c.id for c in after.state.caucuses}
        if was == now:
            return
        active = bool(now)
        for p in after.state.participants:
            if p.room == MAIN_ROOM and p.state == "admitted" and not any(p.id in c.occupants for c in before.state.caucuses):
                await self._send(after, p.id, "caucus_notice", {"active": active})

    # -- host actions --------------------------------------------------------------------------

    async def _admit(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id

        def admit(room: Room) -> Room:
            require_host(room, seat)
            require_other(room, seat, pid)
            if not room.is_online(pid):
                raise InvalidState(f"{pid!r} is not connected")
            return room.with_state(room.state.admit(pid))

        _, room = await self._update(seat.session_id, admit)
        log.info("session %s: %s admitted %s", seat.session_id, seat.participant_id, pid)
        await self._history(sid, seat, "participant_admitted", participant_id=pid)
        await self._send(room, pid, "admitted", {})
        await self._broadcast(room)
        return ack_ok()

    async def _hold(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id

        def hold(room: Room) -> Room:
            require_host(room, seat)
            require_other(room, seat, pid)
            return room.with_state(room.state.hold(pid))

        _, room = await self._update(seat.session_id, hold)
        log.info("session %s: %s put %s on hold", seat.session_id, seat.participant_id, pid)
        await self._send(room, pid, "held", {})
        await self._broadcast(room)
        return ack_ok()

    async def _remove(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id

        def remove(room: Room) -> Room:
            require_host(room, seat)
            require_other(room, seat, pid)
            return room.with_state(room.state.remove(pid)).unbind(pid)

        before, room = await self._update(seat.session_id, remove)
        log.info("session %s: %s removed %s", seat.session_id, seat.participant_id, pid)
        await self._close_media(seat.session_id, pid)
        await self._history(sid, seat, "participant_removed", participant_id=pid, name=room.name_of(pid))
        gone = before.connections.get(pid)
        if gone is not None:
            await self.emit("removed", {"message": "the mediator removed you from the session"}, to=gone)
            await self.disconnect(gone)
        await self._broadcast(room)
        return ack_ok()

    async def _caucus_start(self, sid: str, seat: Seat, payload: CaucusStart) -> dict[str, Any]:
        def start(room: Room) -> Room:
            require_host(room, seat)
            return room.with_state(room.state.start_caucus(payload.caucus_id, seat.participant_id, payload.member_ids))

        before, room = await self._update(seat.session_id, start)
        log.info("session %s: caucus %s started by %s", seat.session_id, payload.caucus_id, seat.participant_id)
        caucus = room.state.caucus(payload.caucus_id)
        members = sorted(caucus.member_ids) if caucus is not None else []
        await self._history(
            sid,
            seat,
            "caucus_started",
            caucus_id=payload.caucus_id,
            members=[{"id": m, "name": room.name_of(m)} for m in members],
        )
        await self._notify_caucus_changes(before, room)
        await self._broadcast(room)
        return ack_ok()

    async def _caucus_end(self, sid: str, seat: Seat, payload: CaucusEnd) -> dict[str, Any]:
        def end(room: Room) -> Room:
            require_host(room, seat)
            return room.with_state(room.state.end_caucus(payload.caucus_id))

        before, room = await self._update(seat.session_id, end)
        log.info("session %s: caucus %s ended by %s", seat.session_id, payload.caucus_id, seat.participant_id)
        await self._history(sid, seat, "caucus_ended", caucus_id=payload.caucus_id)
        await self._notify_caucus_changes(before, room)
        await self._broadcast(room)
        return ack_ok()

    async def _history(self, sid: str, seat: Seat, kind: str, **data: Any) -> None:
        """Log a host action in the case history; the live session goes on if the database is away."""
        try:
            await self.services.booking.record_live(self._principal(sid), seat.session_id, kind, **data)
        except Exception:
            log.exception("session %s: could not write %s to the case history", seat.session_id, kind)

    async def _lock(self, sid: str, seat: Seat, payload: Lock) -> dict[str, Any]:
        def lock(room: Room) -> Room:
            require_host(room, seat)
            return replace(room, locked=payload.on)

        _, room = await self._update(seat.session_id, lock)
        log.info("session %s: room locked=%s by %s", seat.session_id, payload.on, seat.participant_id)
        await self._broadcast(room)
        return ack_ok(locked=payload.on)

    async def _admit_automatically(self, sid: str, seat: Seat, payload: Lock) -> dict[str, Any]:
        """Let parties who arrive from now on straight in (those already waiting still need admitting)."""

        def switch(room: Room) -> Room:
            require_host(room, seat)
            return replace(room, admit_automatically=payload.on)

        _, room = await self._update(seat.session_id, switch)
        await self._broadcast(room)
        return ack_ok(admit_automatically=payload.on)

    async def _end(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        """The host ends the session for everyone: all are told, disconnected, and no one may come back."""
        room = await self.rooms.get(seat.session_id)
        if room is None:
            raise NotFound("no such room")
        require_host(room, seat)
        await self.services.booking.end(self._principal(sid), seat.session_id)
        await self.stop_recording(seat.session_id, "session_ended")
        before, room = await self._update(seat.session_id, lambda r: replace(r, ended=True))
        log.info("session %s: ended by %s", seat.session_id, seat.participant_id)
        for connection in before.connections.values():
            await self.emit("ended", {"message": "the mediator has ended the session"}, to=connection)
        await self._close_room(seat.session_id)
        for connection in before.connections.values():
            if connection != sid:
                await self.disconnect(connection)
        return ack_ok()

    # -- anyone in the room --------------------------------------------------------------------

    async def _chat(self, sid: str, seat: Seat, payload: Chat) -> dict[str, Any]:
        room = await self.rooms.get(seat.session_id)
        me = room.state.get(seat.participant_id) if room is not None else None
        if room is None or me is None or me.state != "admitted":
            raise Forbidden("only admitted participants may chat")
        # Who gets it is the routing rule's decision alone, taken on one snapshot of the room.
        recipients = chat_receivers(room.state, me.id)
        message_id, sent_at = uuid.uuid4().hex, datetime.now(UTC)
        # Kept before it is delivered, so that what the session's record shows is what was sent.
        await self.services.chat.keep(
            id=message_id,
            session_id=seat.session_id,
            sender_id=me.id,
            sender_name=room.name_of(me.id),
            room=me.room,
            text=payload.text,
            sent_at=sent_at,
            recipients=recipients,
        )
        event = {
            "id": message_id,
            "sender_id": me.id,
            "sender_name": room.name_of(me.id),
            "text": payload.text,
            "sent_at": sent_at.isoformat(),
        }
        for pid in sorted(recipients):
            await self._send(room, pid, "chat", event)
        log.info("session %s: chat %s from %s to %d participant(s)", seat.session_id, message_id, me.id, len(recipients))
        return ack_ok(id=message_id, sent_at=event["sent_at"])

    async def _hand(self, sid: str, seat: Seat, payload: Hand) -> dict[str, Any]:
        def hand(room: Room) -> Room:
            me = room.state.get(seat.participant_id)
            if me is None or me.state != "admitted":
                raise Forbidden("only admitted participants may raise a hand")
            hands = room.hands | {me.id} if payload.up else room.hands - {me.id}
            return replace(room, hands=frozenset(hands))

        _, room = await self._update(seat.session_id, hand)
        await self._broadcast(room)
        return ack_ok(up=payload.up)

    async def _audio_only(self, sid: str, seat: Seat, payload: AudioOnly) -> dict[str, Any]:
        def switch(room: Room) -> Room:
            return room.with_state(room.state.set_audio_only(seat.participant_id, payload.on))

        _, room = await self._update(seat.session_id, switch)
        log.info("session %s: %s audio-only %s", seat.session_id, seat.participant_id, payload.on)
        await self._broadcast(room)
        return ack_ok(audio_only=payload.on)

    # -- stopping ------------------------------------------------------------------------------

    async def drain(self) -> None:
        """The process is stopping: finish the recordings, then send everyone to reconnect.

        Recordings stop first (``server_stopped``: the last segments are written and the manifest
        signed) so that nothing is left to an interrupted-recording recovery. Each connection then
        gets ``restarting`` and is closed; its participant keeps their place for the grace period,
        as after any dropped connection, and the browser connects again by itself.
        """
        recorded = set(self._recorders)
        await self.close_recordings()
        for session_id in list(self.media.rooms):
            # Several processes: participants elsewhere start media again on a process that stays.
            await self.owners.hand_over(session_id, resume_recording=session_id in recorded)
        connections = list(self._principals)
        log.info("draining: telling %d connection(s) to reconnect", len(connections))
        await self._send_to_reconnect(connections)

    async def _send_to_reconnect(self, connections: list[str]) -> None:
        for sid in connections:
            await self.emit(
                "restarting", {"message": "the server is restarting; reconnecting", "retry_after_ms": RESTART_RETRY_MS}, to=sid
            )
        for sid in connections:
            await self.disconnect(sid)

    # -- delivery ------------------------------------------------------------------------------

    async def emit(self, event: str, data: Any = None, to: str | None = None, **kwargs: Any) -> None:
        """To a connection of this process, directly; through Redis only to one elsewhere.

        python-socketio's Redis manager publishes every emit to every process, even one to a
        connection of the emitting process; each process then decodes all of them. With nginx
        keeping a session's connections on one process that is nearly every emit, and it made two
        processes acknowledge fewer events than one (``mediate bench cluster``).
        """
        target = to or kwargs.get("room")
        if target is not None and self.server.manager.is_connected(target, kwargs.get("namespace") or self.namespace):
            kwargs["ignore_queue"] = True
        await super().emit(event, data, to=to, **kwargs)

    async def _send(self, room: Room, participant_id: str, event: str, data: dict[str, Any]) -> None:
        connection = room.connections.get(participant_id)
        if connection is not None:
            await self.emit(event, data, to=connection)

    async def _broadcast(self, room: Room, skip: str | None = None) -> None:
        """Send each connected participant the ``participants`` view they may see."""
        for pid, connection in room.connections.items():
            if connection != skip:
                await self.emit("participants", participants_view(room, pid), to=connection)


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
) -> socketio.AsyncServer:
    """Create the Socket.IO server, serve ``/live`` from ``rooms``, and attach it to ``app``.

    Browsers do not apply CORS to WebSockets, so the handshake's ``Origin`` is checked here
    (same origin only); clients that send no ``Origin`` (not browsers) still need the session
    cookie. 64 KiB caps one message; a chat message is at most 2000 characters.
    """
    server = socketio.AsyncServer(
        # Several processes: python-socketio's Redis manager carries emits to connections elsewhere.
        client_manager=client_manager,
        async_mode="aiohttp",
        cors_allowed_origins=allowed_origins(services),
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )
    namespace = LiveNamespace(services, rooms, media, lifecycle=lifecycle, metrics=metrics, owners=owners, presence=presence)
    server.register_namespace(namespace)
    namespace.lifecycle.on_drain("live sessions", namespace.drain)
    if metrics is not None:
        metrics.watch(metrics.live_sessions, lambda: len(media.rooms))
        metrics.watch(metrics.participants, lambda: sum(len(r.peers) for r in list(media.rooms.values())))
        metrics.watch(metrics.forwarded_streams, media.forwarded_streams)
        metrics.watch(metrics.signaling_connections, lambda: len(namespace._principals))
    app[MEDIA] = media
    server.attach(app)

    async def media_lifetime(app: web.Application) -> AsyncIterator[None]:
        namespace.start_quality_reports()
        await namespace.owners.start(namespace._carried, namespace._room_changed, namespace._owner_lost, namespace._taken_over)
        await namespace.presence.start(namespace._orphaned, namespace._forgotten)
        yield
        await namespace.presence.close()
        await namespace.close()

    app.cleanup_ctx.append(media_lifetime)
    return server
