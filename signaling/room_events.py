"""The room's events of ``/live``: the host's commands (admit, hold, remove, caucus, lock, end) and
what anyone admitted may do (chat, raise a hand, go audio-only).

Each handler applies one rule of signaling/commands.py through :class:`LiveRooms`, writes the
host's actions to the case history, delivers what the rule owes to whom and acknowledges.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from server.errors import NotFound
from server.services import Services
from signaling import commands
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.messages import AudioOnly, CaucusEnd, CaucusStart, Chat, Empty, Hand, Lock, Target, ack_ok
from signaling.recording_events import RecordingEvents
from signaling.rooms import Seat
from signaling.transcript_events import TranscriptEvents

log = logging.getLogger(__name__)


class RoomEvents:
    def __init__(
        self,
        services: Services,
        live: LiveRooms,
        connections: Connections,
        recording: RecordingEvents,
        transcript: TranscriptEvents,
    ) -> None:
        self.services = services
        self.live = live
        self.connections = connections
        self.recording = recording
        self.transcript = transcript

    def events(self) -> Events:
        return {
            "admit": (Target, self.admit),
            "hold": (Target, self.hold),
            "remove": (Target, self.remove),
            "chat": (Chat, self.chat),
            "caucus_start": (CaucusStart, self.caucus_start),
            "caucus_end": (CaucusEnd, self.caucus_end),
            "audio_only": (AudioOnly, self.audio_only),
            "hand": (Hand, self.hand),
            "lock": (Lock, self.lock),
            "admit_automatically": (Lock, self.admit_automatically),
            "end": (Empty, self.end),
        }

    async def _history(self, sid: str, seat: Seat, kind: str, **data: Any) -> None:
        """Log a host action in the case history; the live session goes on if the database is away."""
        try:
            await self.services.booking.record_live(self.connections.principal(sid), seat.session_id, kind, **data)
        except Exception:
            log.exception("session %s: could not write %s to the case history", seat.session_id, kind)

    # -- the host's commands ---------------------------------------------------------------------

    async def admit(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id
        _, done = await self.live.apply(seat.session_id, lambda room: commands.admit(room, seat, pid))
        log.info("session %s: %s admitted %s", seat.session_id, seat.participant_id, pid)
        await self._history(sid, seat, "participant_admitted", participant_id=pid)
        await self.live.tell(done.notices)
        await self.live.broadcast(done.room)
        await self.transcript.send_current(done.room, pid)  # what was written before they came
        return ack_ok()

    async def hold(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id
        _, done = await self.live.apply(seat.session_id, lambda room: commands.hold(room, seat, pid))
        log.info("session %s: %s put %s on hold", seat.session_id, seat.participant_id, pid)
        await self.live.tell(done.notices)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def remove(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        pid = payload.participant_id
        _, done = await self.live.apply(seat.session_id, lambda room: commands.remove(room, seat, pid))
        log.info("session %s: %s removed %s", seat.session_id, seat.participant_id, pid)
        await self.live.close_media(seat.session_id, pid)
        await self._history(sid, seat, "participant_removed", participant_id=pid, name=done.room.name_of(pid))
        await self.live.tell(done.notices)
        await self.live.let_go(done.disconnect)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def caucus_start(self, sid: str, seat: Seat, payload: CaucusStart) -> dict[str, Any]:
        _, done = await self.live.apply(
            seat.session_id, lambda room: commands.start_caucus(room, seat, payload.caucus_id, payload.member_ids)
        )
        log.info("session %s: caucus %s started by %s", seat.session_id, payload.caucus_id, seat.participant_id)
        caucus = done.room.state.caucus(payload.caucus_id)
        members = sorted(caucus.member_ids) if caucus is not None else []
        await self._history(
            sid,
            seat,
            "caucus_started",
            caucus_id=payload.caucus_id,
            members=[{"id": m, "name": done.room.name_of(m)} for m in members],
        )
        await self.live.tell(done.notices)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def caucus_end(self, sid: str, seat: Seat, payload: CaucusEnd) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.end_caucus(room, seat, payload.caucus_id))
        log.info("session %s: caucus %s ended by %s", seat.session_id, payload.caucus_id, seat.participant_id)
        await self._history(sid, seat, "caucus_ended", caucus_id=payload.caucus_id)
        await self.live.tell(done.notices)
        await self.live.broadcast(done.room)
        return ack_ok()

    async def lock(self, sid: str, seat: Seat, payload: Lock) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.lock(room, seat, payload.on))
        log.info("session %s: room locked=%s by %s", seat.session_id, payload.on, seat.participant_id)
        await self.live.broadcast(done.room)
        return ack_ok(locked=payload.on)

    async def admit_automatically(self, sid: str, seat: Seat, payload: Lock) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.admit_automatically(room, seat, payload.on))
        await self.live.broadcast(done.room)
        return ack_ok(admit_automatically=payload.on)

    async def end(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        """The host ends the session for everyone: all are told, disconnected, and no one may come back."""
        room = await self.live.get(seat.session_id)
        if room is None:
            raise NotFound("no such room")
        commands.end(room, seat, sid)  # only the host may: checked before the case is told
        await self.services.booking.end(self.connections.principal(sid), seat.session_id)
        await self.recording.stop_recording(seat.session_id, "session_ended")
        _, done = await self.live.apply(seat.session_id, lambda room: commands.end(room, seat, sid))
        log.info("session %s: ended by %s", seat.session_id, seat.participant_id)
        await self.live.tell(done.notices)
        await self.live.close_room(seat.session_id)
        await self.live.let_go(done.disconnect)
        return ack_ok()

    # -- anyone admitted -------------------------------------------------------------------------

    async def chat(self, sid: str, seat: Seat, payload: Chat) -> dict[str, Any]:
        room = await self.live.get(seat.session_id)
        line = commands.chat(room, seat)
        assert room is not None
        message_id, sent_at = uuid.uuid4().hex, datetime.now(UTC)
        # Kept before it is delivered, so that what the session's record shows is what was sent.
        await self.services.chat.keep(
            id=message_id,
            session_id=seat.session_id,
            sender_id=line.sender_id,
            sender_name=line.sender_name,
            room=line.room,
            text=payload.text,
            sent_at=sent_at,
            recipients=line.recipients,
        )
        event = {
            "id": message_id,
            "sender_id": line.sender_id,
            "sender_name": line.sender_name,
            "text": payload.text,
            "sent_at": sent_at.isoformat(),
            "scope": line.scope,
        }
        for pid in sorted(line.recipients):
            await self.live.send(room, pid, "chat", event)
        log.info(
            "session %s: chat %s from %s to %d participant(s)", seat.session_id, message_id, line.sender_id, len(line.recipients)
        )
        return ack_ok(id=message_id, sent_at=event["sent_at"], scope=line.scope)

    async def hand(self, sid: str, seat: Seat, payload: Hand) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.hand(room, seat, payload.up))
        await self.live.broadcast(done.room)
        return ack_ok(up=payload.up)

    async def audio_only(self, sid: str, seat: Seat, payload: AudioOnly) -> dict[str, Any]:
        _, done = await self.live.apply(seat.session_id, lambda room: commands.audio_only(room, seat, payload.on))
        log.info("session %s: %s audio-only %s", seat.session_id, seat.participant_id, payload.on)
        await self.live.broadcast(done.room)
        return ack_ok(audio_only=payload.on)
