"""The media events of ``/live``: offers and answers, microphones, cameras, screens, quality.

:class:`MediaEvents` drives :class:`signaling.media.MediaServer` through :class:`LiveRooms`; the
state changes are rules of signaling/commands.py, and who receives what is still decided by
:mod:`signaling.routing` alone (``MediaRoom.update`` after every state change).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from server.errors import InvalidState, TooManyAttempts
from signaling import commands
from signaling.live_rooms import Events, LiveRooms
from signaling.messages import DeviceStatus, MediaAnswer, MediaStart, Mute, Publish, ack_ok
from signaling.rooms import Seat

log = logging.getLogger(__name__)

#: Seconds between two connection-quality reports to the host.
QUALITY_INTERVAL = 3.0
#: A new peer connection costs the server ICE gathering and DTLS: at most one per connection this often.
RESTART_INTERVAL = 1.0


class MediaEvents:
    """Handlers for ``media_start``, ``media_answer``, ``publish``, ``mute`` and ``device``."""

    def __init__(self, live: LiveRooms) -> None:
        self.live = live
        self.media = live.media
        self._quality_task: asyncio.Task[None] | None = None
        #: When each connection last started media (restarts in a loop are refused).
        self._started_at: dict[str, float] = {}

    def events(self) -> Events:
        return {
            "media_start": (MediaStart, self.media_start),
            "media_answer": (MediaAnswer, self.media_answer),
            "publish": (Publish, self.publish),
            "mute": (Mute, self.mute),
            "device": (DeviceStatus, self.device),
        }

    def forget(self, sid: str) -> None:
        """A connection is gone, or must start its media afresh: its next ``media_start`` is not a restart in a loop."""
        self._started_at.pop(sid, None)

    async def media_start(self, sid: str, seat: Seat, payload: MediaStart) -> dict[str, Any]:
        """Open (or re-open: the "ICE restart" aiortc lacks) this participant's peer connection."""
        # Per connection: a loop on one socket is refused; a reconnection starts afresh.
        now = time.monotonic()
        if now - self._started_at.get(sid, -RESTART_INTERVAL) < RESTART_INTERVAL:
            raise TooManyAttempts("media was started a moment ago; wait a second", retry_after=1)
        self._started_at[sid] = now
        _, done = await self.live.apply(
            seat.session_id, lambda room: commands.start_media(room, seat, payload.audio, payload.video)
        )
        transport = self.live.transport

        async def send_offer(offer: dict[str, Any]) -> None:
            ice_servers = self.media.ice_servers_for(seat.participant_id)  # fresh TURN credentials with each offer
            await transport.emit("media_offer", {**offer, "ice_servers": ice_servers}, to=sid)

        async def failed() -> None:
            await transport.emit("media_failed", {"message": "the media connection failed; reconnecting"}, to=sid)

        await self.media.room(seat.session_id).start(seat.participant_id, done.room.state, done.room.revision, send_offer, failed)
        log.info("session %s: %s started media", seat.session_id, seat.participant_id)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def media_answer(self, sid: str, seat: Seat, payload: MediaAnswer) -> dict[str, Any]:
        media = self.media.get(seat.session_id)
        if media is None:
            raise InvalidState("start media first")
        await media.answer(seat.participant_id, payload.revision, payload.sdp, payload.connection)
        return ack_ok(revision=payload.revision)

    async def publish(self, sid: str, seat: Seat, payload: Publish) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.publish(room, seat, payload.kind, payload.on))
        log.info("session %s: %s %s %s", seat.session_id, seat.participant_id, payload.kind, "on" if payload.on else "off")
        await self.live.broadcast(done.room)
        return ack_ok(kind=payload.kind, on=payload.on)

    async def mute(self, sid: str, seat: Seat, payload: Mute) -> dict[str, Any]:
        """The host switches off a participant's microphone, camera or screen share, server-side."""
        pid = payload.participant_id
        _, done = await self.live.apply(seat.session_id, lambda room: commands.mute(room, seat, pid, payload.kind))
        log.info("session %s: %s switched off %s of %s", seat.session_id, seat.participant_id, payload.kind, pid)
        await self.live.tell(done.notices)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def device(self, sid: str, seat: Seat, payload: DeviceStatus) -> dict[str, Any]:
        """What the device check found, shown to the host beside the name in the waiting room."""
        _, done = await self.live.apply(
            seat.session_id, lambda room: commands.report_devices(room, seat, payload.camera, payload.microphone)
        )
        await self.live.broadcast(done.room)
        return ack_ok()

    # -- quality ---------------------------------------------------------------------------------

    def start_quality_reports(self) -> None:
        self._quality_task = asyncio.create_task(self._report_quality())

    def stop_quality_reports(self) -> None:
        if self._quality_task is not None:
            self._quality_task.cancel()

    async def _report_quality(self) -> None:
        """Every few seconds, tell each host how each participant's connection is (from RTCP)."""
        while True:
            await asyncio.sleep(QUALITY_INTERVAL)
            for session_id, media in list(self.media.rooms.items()):
                try:
                    room = await self.live.get(session_id)
                    if room is None or not media.peers or not any(room.is_online(h) for h in room.host_ids):
                        continue
                    report = await media.quality()
                    await self.live.to_hosts(room, "quality", {"participants": report})
                except Exception:
                    log.exception("session %s: quality report failed", session_id)
