"""Several processes, one session's media: events carried to its owner, an owner lost or taken over, a drain.

The owner of a session's media (signaling/owners.py) runs the events other processes carry to
it (:meth:`Failover.carried`) and follows room changes made elsewhere; when an owner dies, the
participants connected here start their media again; the process that takes a session over
resumes its recording. A process that stops in good order finishes its recordings, hands its
sessions over and sends everyone to reconnect (PROTOCOL.md, "Restarts"). A process that answers a
phone call of a session whose media is here asks for that one session (:meth:`Failover.give_up`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from server.errors import DomainError, InvalidState
from server.ops import logs
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.media_events import MediaEvents
from signaling.messages import ack_error, ack_ok
from signaling.owners import carried_principal, principal_from_json
from signaling.recording_events import RecordingEvents
from signaling.rooms import Seat
from signaling.routing import RoutingError

log = logging.getLogger(__name__)

#: After ``restarting``, when a client should connect again (a load balancer has noticed by then).
RESTART_RETRY_MS = 1500


class Failover:
    def __init__(
        self,
        live: LiveRooms,
        connections: Connections,
        events: Events,
        media_events: MediaEvents,
        recording: RecordingEvents,
    ) -> None:
        self.live = live
        self.connections = connections
        self.events = events
        self.media_events = media_events
        self.recording = recording
        #: Sessions whose media is being handed to another process right now: no caller's line joins them here.
        self.moving: set[str] = set()

    async def carried(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run an event another process carried here, where the session's media is; return its ack."""
        seat = Seat(str(request["session_id"]), str(request.get("participant_id", "")))
        try:
            with logs.live(seat.session_id, seat.participant_id):
                if request.get("op") == "close_peer":
                    await self.live.close_media(seat.session_id, seat.participant_id)
                    return ack_ok()
                if request.get("op") == "hand_over":
                    return await self.give_up(seat.session_id, str(request["to"]))
                event, sid = str(request["event"]), str(request["sid"])
                model, handler = self.events[event]
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

    async def room_changed(self, session_id: str) -> None:
        """Another process changed a room whose media is here: let the media follow."""
        media = self.live.media.get(session_id)
        room = await self.live.get(session_id)
        if media is not None and room is not None:
            media.update(room.state, room.consents, room.revision)

    async def owner_lost(self, session_id: str) -> None:
        """The process carrying this session's media died or gave it up: its participants connected here start again."""
        room = await self.live.get(session_id)
        if room is None:
            return
        for pid, connection in room.connections.items():
            if connection in self.connections:
                self.media_events.forget(connection)
                await self.live.transport.emit(
                    "media_failed", {"message": "the media connection failed; reconnecting"}, to=connection
                )
                log.info("session %s: %s told to start media again (its media process went or moved)", session_id, pid)

    async def give_up(self, session_id: str, to: str) -> dict[str, Any]:
        """Process ``to`` answered a phone call of this session: its media moves there (signaling/owners.py).

        A caller's line cannot leave the process that answered the call, so the session goes to
        the line rather than the line to the session. It goes as in a drain, for this one session:
        the recording is finished first (end reason ``media_moved``: its last segments written,
        its manifest signed) and a note left so that ``to`` records again on the same chain; the
        claim passes to ``to`` and the move is announced, so that the participants connected
        elsewhere start their media again, and the ones connected here are told the same. A
        caller already in the session through this process keeps it here: their line cannot
        move either (the caller on ``to`` is told they cannot join).
        """
        media = self.live.media.get(session_id)
        if media is None:
            return ack_ok(moved=False)  # not (or no longer) here: the claim tells the asker where it is
        if media.lines or session_id in self.moving:
            raise InvalidState("this session's media stays with a caller's phone line", reason="phone_here")
        self.moving.add(session_id)  # from here on, no caller's line is added (LiveNamespace.seat_by_phone)
        try:
            recorded = self.recording.is_recording(session_id)
            if recorded:
                await self.recording.stop_recording(session_id, "media_moved")
            moved = await self.live.owners.hand_over(session_id, resume_recording=recorded, to=to)
            await self.owner_lost(session_id)
            await self.live.media.close_room(session_id)
        finally:
            self.moving.discard(session_id)
        log.info("session %s: media moved to process %s for a phone call (recording to resume: %s)", session_id, to, recorded)
        return ack_ok(moved=moved)

    async def taken_over(self, session_id: str) -> None:
        """This process now carries the session's media (the first, after its process died, or handed to it)."""
        try:
            await self.recording.resume_after_failover(session_id)
        except Exception:
            log.exception("session %s: the recording could not be resumed after a failover", session_id)

    async def drain(self) -> None:
        """The process is stopping: finish the recordings, then send everyone to reconnect.

        Recordings stop first (``server_stopped``: the last segments are written and the manifest
        signed) so that nothing is left to an interrupted-recording recovery. Each connection then
        gets ``restarting`` and is closed; its participant keeps their place for the grace period,
        as after any dropped connection, and the browser connects again by itself.
        """
        recorded = self.recording.recorded()
        await self.recording.close_recordings()
        for session_id in list(self.live.media.rooms):
            # Several processes: participants elsewhere start media again on a process that stays.
            await self.live.owners.hand_over(session_id, resume_recording=session_id in recorded)
        connections = list(self.connections)
        log.info("draining: telling %d connection(s) to reconnect", len(connections))
        await self.send_to_reconnect(connections)

    async def send_to_reconnect(self, connections: list[str]) -> None:
        transport = self.live.transport
        for sid in connections:
            await transport.emit(
                "restarting", {"message": "the server is restarting; reconnecting", "retry_after_ms": RESTART_RETRY_MS}, to=sid
            )
        for sid in connections:
            await transport.disconnect(sid)
