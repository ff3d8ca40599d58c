"""The media half of the ``/live`` namespace: offers and answers, microphones, cameras, screens, quality.

A mixin of :class:`signaling.namespace.LiveNamespace`, kept apart so that each file reads in
one sitting. It drives :class:`signaling.media.MediaServer`; who receives what is still
decided by :mod:`signaling.routing` alone (``MediaRoom.update`` after every state change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from server.errors import Forbidden, InvalidState, TooManyAttempts
from signaling.media import MediaServer
from signaling.messages import DeviceStatus, MediaAnswer, MediaStart, Mute, Publish, ack_ok
from signaling.owners import MediaOwners, OwnerUnavailable
from signaling.rooms import Room, Rooms, Seat, require_host, require_other

if TYPE_CHECKING:
    from server.http.services import Services

log = logging.getLogger(__name__)

#: Seconds between two connection-quality reports to the host.
QUALITY_INTERVAL = 3.0
#: A new peer connection costs the server ICE gathering and DTLS: at most one per connection this often.
RESTART_INTERVAL = 1.0

#: An event handler: (connection id, seat, validated payload) -> ack. Shared with the namespace.
Handler = Callable[[str, Seat, Any], Awaitable[dict[str, Any]]]


class MediaEvents:
    """Handlers for ``media_start``, ``media_answer``, ``publish``, ``mute`` and ``device``."""

    services: Services
    rooms: Rooms
    media: MediaServer
    owners: MediaOwners
    _quality_task: asyncio.Task[None] | None = None
    _started_at: dict[str, float]

    if TYPE_CHECKING:  # provided by LiveNamespace and socketio.AsyncNamespace

        async def emit(self, event: str, data: Any = None, to: str | None = None, **kwargs: Any) -> None: ...
        async def _update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]: ...
        async def _broadcast(self, room: Room, skip: str | None = None) -> None: ...
        async def _send(self, room: Room, participant_id: str, event: str, data: dict[str, Any]) -> None: ...
        async def close_recordings(self) -> None: ...

    def media_events(self) -> dict[str, tuple[type[BaseModel], Handler]]:
        return {
            "media_start": (MediaStart, self._media_start),
            "media_answer": (MediaAnswer, self._media_answer),
            "publish": (Publish, self._publish),
            "mute": (Mute, self._mute),
            "device": (DeviceStatus, self._device),
        }

    async def _media_start(self, sid: str, seat: Seat, payload: MediaStart) -> dict[str, Any]:
        """Open (or re-open: the "ICE restart" aiortc lacks) this participant's peer connection."""
        # Per connection: a loop on one socket is refused; a reconnection starts afresh.
        now = time.monotonic()
        if now - self._started_at.get(sid, -RESTART_INTERVAL) < RESTART_INTERVAL:
            raise TooManyAttempts("media was started a moment ago; wait a second", retry_after=1)
        self._started_at[sid] = now

        def sending(room: Room) -> Room:
            state = room.state.set_sending(seat.participant_id, "audio", payload.audio)
            state = state.set_sending(seat.participant_id, "video", payload.video)
            return room.with_state(state.set_sending(seat.participant_id, "screen", False))

        _, room = await self._update(seat.session_id, sending)

        async def send_offer(offer: dict[str, Any]) -> None:
            await self.emit("media_offer", {**offer, "ice_servers": list(self.media.ice_servers)}, to=sid)

        async def failed() -> None:
            await self.emit("media_failed", {"message": "the media connection failed; reconnecting"}, to=sid)

        await self.media.room(seat.session_id).start(seat.participant_id, room.state, send_offer, failed)
        log.info("session %s: %s started media", seat.session_id, seat.participant_id)
        await self._broadcast(room)
        return ack_ok()

    async def _media_answer(self, sid: str, seat: Seat, payload: MediaAnswer) -> dict[str, Any]:
        media = self.media.get(seat.session_id)
        if media is None:
            raise InvalidState("start media first")
        await media.answer(seat.participant_id, payload.revision, payload.sdp)
        return ack_ok(revision=payload.revision)

    async def _publish(self, sid: str, seat: Seat, payload: Publish) -> dict[str, Any]:
        def switch(room: Room) -> Room:
            me = room.state.require(seat.participant_id)
            if payload.kind == "screen" and payload.on and me.state != "admitted":
                raise Forbidden("only admitted participants may share their screen")
            return room.with_state(room.state.set_sending(seat.participant_id, payload.kind, payload.on))

        _, room = await self._update(seat.session_id, switch)
        log.info("session %s: %s %s %s", seat.session_id, seat.participant_id, payload.kind, "on" if payload.on else "off")
        await self._broadcast(room)
        return ack_ok(kind=payload.kind, on=payload.on)

    async def _mute(self, sid: str, seat: Seat, payload: Mute) -> dict[str, Any]:
        """The host switches off a participant's microphone, camera or screen share, server-side."""
        pid = payload.participant_id

        def mute(room: Room) -> Room:
            require_host(room, seat)
            require_other(room, seat, pid)
            return room.with_state(room.state.set_sending(pid, payload.kind, False))

        _, room = await self._update(seat.session_id, mute)
        log.info("session %s: %s switched off %s of %s", seat.session_id, seat.participant_id, payload.kind, pid)
        await self._send(room, pid, "muted", {"kind": payload.kind, "by": room.host_name})
        await self._broadcast(room)
        return ack_ok()

    async def _device(self, sid: str, seat: Seat, payload: DeviceStatus) -> dict[str, Any]:
        """What the device check found, shown to the host beside the name in the waiting room."""

        def report(room: Room) -> Room:
            devices = {**room.devices, seat.participant_id: {"camera": payload.camera, "microphone": payload.microphone}}
            return replace(room, devices=devices)

        _, room = await self._update(seat.session_id, report)
        await self._broadcast(room)
        return ack_ok()

    async def _close_media(self, session_id: str, participant_id: str) -> None:
        """Close a participant's peer; the session's media room goes when its last peer does."""
        owner = await self.owners.owner(session_id, claim=False)
        if not self.owners.is_here(owner):
            assert owner is not None
            with contextlib.suppress(OwnerUnavailable):
                await self.owners.call(owner, {"op": "close_peer", "session_id": session_id, "participant_id": participant_id})
            return
        media = self.media.get(session_id)
        if media is not None:
            await media.close_peer(participant_id)
            if not media.peers and media.recorder is None:
                await self._close_room(session_id)

    async def _close_room(self, session_id: str) -> None:
        """Close the session's media here; another process may carry it next time."""
        await self.media.close_room(session_id)
        await self.owners.release(session_id)

    # -- quality -------------------------------------------------------------------------------

    def start_quality_reports(self) -> None:
        self._quality_task = asyncio.create_task(self._report_quality())

    async def _report_quality(self) -> None:
        """Every few seconds, tell each host how each participant's connection is (from RTCP)."""
        while True:
            await asyncio.sleep(QUALITY_INTERVAL)
            for session_id, media in list(self.media.rooms.items()):
                try:
                    room = await self.rooms.get(session_id)
                    if room is None or not media.peers or not room.is_online(room.host_id):
                        continue
                    report = await media.quality()
                    await self._send(room, room.host_id, "quality", {"participants": report})
                except Exception:
                    log.exception("session %s: quality report failed", session_id)

    async def close(self) -> None:
        if self._quality_task is not None:
            self._quality_task.cancel()
        await self.close_recordings()
        await self.media.close()
        await self.owners.close()
