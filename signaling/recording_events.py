"""The recording events of ``/live``: consent, start, stop, withdrawal, failure.

The namespace holds one :class:`RecordingEvents`. The rules it enforces (the room's part in
signaling/commands.py):

- recording starts only when a host starts it and every admitted party has consented (the
  host's start is their own consent, logged as such); another host, a co-mediator, consents
  to their own recording the same way, by ``record_start`` while it runs, and is not recorded
  before (the recorder follows consent);
- someone admitted later is recorded only once they consent (the recorder follows consent);
- a withdrawal stops the recording for everyone before anything else happens (the recorder
  takes no frame after the event is handled), then is logged; the host decides how to go on;
- a write error or a full disk stops the recording cleanly and tells the host.

The recorder itself (``signaling.recorder.Recorder``) hangs on the session's media room and
writes into the session's :class:`server.domain.recordings.ActiveRecording`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from recordings.segments import Gap
from server.domain.principal import Staff
from server.domain.recordings import ActiveRecording
from server.errors import InvalidState, NotFound
from server.evidence.records import b64, timestamp
from server.services import Services
from signaling import commands
from signaling.background import Background
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.messages import ConsentGive, Empty, ack_ok
from signaling.recorder import Recorder
from signaling.rooms import Seat

log = logging.getLogger(__name__)

MESSAGES = {
    "consent_withdrawn": "录制已停止：有参加人撤回了同意。Recording stopped: a participant withdrew consent.",
    "disk_full": "录制已停止：服务器存储空间已满。Recording stopped: the server's storage is full.",
    "write_error": "录制已停止：写入出错。Recording stopped: the recording could not be written.",
}


@dataclass(frozen=True)
class Stopped:
    """A recorder just stopped: which recording, and the gaps still open at that moment."""

    recording_id: str
    gaps: list[Gap]


class RecordingEvents:
    def __init__(self, services: Services, live: LiveRooms, connections: Connections, background: Background) -> None:
        self.services = services
        self.live = live
        self.media = live.media
        self.owners = live.owners
        self.connections = connections
        self._background = background
        #: The running recorder of each session being recorded.
        self._recorders: dict[str, Recorder] = {}

    def events(self) -> Events:
        return {
            "consent_prepare": (Empty, self.consent_prepare),
            "consent_give": (ConsentGive, self.consent_give),
            "consent_withdraw": (Empty, self.consent_withdraw),
            "record_start": (Empty, self.record_start),
            "record_stop": (Empty, self.record_stop),
        }

    # -- consent -------------------------------------------------------------------------------

    async def consent_prepare(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        principal = self.connections.principal(sid)
        if isinstance(principal, Staff):
            raise InvalidState("the mediator consents by starting the recording")
        request = await self.services.consents.prepare(principal, seat.session_id)
        return ack_ok(**request.to_json(b64))

    async def consent_give(self, sid: str, seat: Seat, payload: ConsentGive) -> dict[str, Any]:
        seq = await self.services.consents.give(
            self.connections.principal(sid), payload.challenge, signature=payload.signature, credential=payload.credential
        )
        _, done = await self.live.apply(seat.session_id, lambda room: commands.consent(room, seat))
        log.info("session %s: %s consented to recording (seq %d)", seat.session_id, seat.participant_id, seq)
        await self.live.broadcast(done.room)
        return ack_ok(seq=seq)

    async def consent_withdraw(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        commands.require_consented(await self.live.get(seat.session_id), seat)
        # First stop: not one more frame is taken once this event is handled.
        stopped = self._halt(seat.session_id)
        _, done = await self.live.apply(seat.session_id, lambda room: commands.withdraw_consent(room, seat))
        room = done.room
        await self.live.broadcast(room)
        if stopped is not None:
            await self.live.to_hosts(
                room,
                "recording_stopped",
                {
                    "reason": "consent_withdrawn",
                    "by": room.name_of(seat.participant_id),
                    "message": MESSAGES["consent_withdrawn"],
                },
            )
        seq = await self.services.consents.withdraw(self.connections.principal(sid), seat.session_id)
        log.info("session %s: %s withdrew consent (seq %d)", seat.session_id, seat.participant_id, seq)
        if stopped is not None:
            await self._finish(seat.session_id, "consent_withdrawn", stopped)
        return ack_ok(seq=seq, recording_stopped=stopped is not None)

    # -- the host's switch -----------------------------------------------------------------------

    async def record_start(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        room = await self.live.get(seat.session_id)
        if room is None:
            raise NotFound("no such room")
        if commands.host_joins_recording(room, seat):
            # A co-mediator consents to their own recording as the lead does: by this switch, on their login.
            await self.services.consents.staff_start(self.connections.principal(sid), seat.session_id)
            _, done = await self.live.apply(seat.session_id, lambda now: commands.consent(now, seat))
            await self.live.broadcast(done.room)
            log.info("session %s: %s joined recording %s", seat.session_id, seat.participant_id, room.recording)
            return ack_ok(recording=room.recording, since=room.recording_since, joined=True)
        commands.require_recordable(room, seat)
        if seat.participant_id not in room.consents:
            await self.services.consents.staff_start(self.connections.principal(sid), seat.session_id)
        active, since = await self._begin_recording(seat.session_id, seat.participant_id, consenting=seat.participant_id)
        log.info("session %s: recording %s started by %s", seat.session_id, active.id, seat.participant_id)
        return ack_ok(recording=active.id, since=since)

    async def _begin_recording(
        self, session_id: str, started_by: str, consenting: str | None = None
    ) -> tuple[ActiveRecording, str]:
        """Record the session's media in this process (it carries them) from now on; ``consenting``: the
        host whose start is their consent (none when a recording resumes: the consents given stand)."""

        async def failed(reason: str) -> None:
            gaps = self._halt(session_id)
            _, done = await self.live.apply(session_id, commands.recording_stopped)
            now = done.room
            await self.live.to_hosts(now, "recording_stopped", {"reason": reason, "message": MESSAGES[reason]})
            await self.live.broadcast(now)
            if gaps is not None:
                self._background.spawn(self._finish(session_id, reason, gaps))

        active = await self.services.recordings.start(session_id, started_by, failed)
        media = self.media.room(session_id)
        recorder = Recorder(active.id, active, media.request_keyframe, segment_seconds=self.services.settings.segment_seconds)
        active.take_gaps = recorder.take_gaps
        self._recorders[session_id] = recorder
        since = timestamp()
        _, done = await self.live.apply(session_id, lambda room: commands.recording_started(room, active.id, since, consenting))
        media.update(done.room.state, done.room.consents, done.room.revision)
        media.attach_recorder(recorder)
        await self.live.broadcast(done.room)
        return active, since

    async def resume_after_failover(self, session_id: str) -> None:
        """This process has just taken over a session whose media process died or stopped.

        A dead process's recording of it is marked interrupted (a ``recording_interrupted``
        record names the last segment it wrote; nothing it wrote changes). If the session was
        being recorded (by the dead process, or by one that stopped in good order or handed the
        session to this one and left a note, signaling/owners.py), a new recording starts here at
        once, continuing the same chain: the time between the two is the logged gap. Everyone's
        consent still stands, as after a dropped connection.
        """
        interrupted = await self.services.recordings.recover(session_id=session_id)
        handed_over = await self.owners.take_resume(session_id)
        room = await self.live.get(session_id)
        if room is None or room.ended:
            return
        if room.recording is not None:
            if room.recording not in interrupted:
                return  # stopped meanwhile, or already taken over
            reason = f"resumes recording {room.recording} after its process died"
        elif handed_over:
            reason = "resumes the recording its last media process finished (stopping, or handing the session over)"
        else:
            return
        active, _ = await self._begin_recording(session_id, room.host_id)
        log.warning("session %s: recording %s %s", session_id, active.id, reason)

    async def record_stop(self, sid: str, seat: Seat, payload: Empty) -> dict[str, Any]:
        room = await self.live.get(seat.session_id)
        if room is None:
            raise NotFound("no such room")
        recording = commands.require_recording(room, seat)
        await self.stop_recording(seat.session_id, "stopped_by_mediator")
        return ack_ok(recording=recording)

    async def stop_recording(self, session_id: str, reason: str) -> None:
        """Stop at once, tell everyone, then write out what the recorder held and the final manifest."""
        gaps = self._halt(session_id)
        if await self.live.get(session_id) is not None:
            _, done = await self.live.apply(session_id, commands.recording_stopped)
            await self.live.broadcast(done.room)
        if gaps is not None:
            await self._finish(session_id, reason, gaps)

    def _halt(self, session_id: str) -> Stopped | None:
        """Detach the session's recorder and stop it (synchronously); None if none ran."""
        recorder = self._recorders.pop(session_id, None)
        if recorder is None:
            return None
        media = self.media.get(session_id)
        if media is not None:
            media.detach_recorder()
        return Stopped(recorder.recording_id, recorder.stop())

    async def _finish(self, session_id: str, reason: str, stopped: Stopped) -> None:
        """Write out what the recorder held and the final manifest; then make the files to watch it."""
        await self.services.recordings.stop(session_id, reason, stopped.gaps)
        self._background.spawn(self._prepare_review(stopped.recording_id))

    async def _prepare_review(self, recording_id: str) -> None:
        made = await self.services.review.prepare(recording_id)
        log.info("recording %s: %d participant file(s) ready to watch", recording_id, made)

    def is_recording(self, session_id: str) -> bool:
        return session_id in self._recorders

    def recorded(self) -> set[str]:
        """The sessions this process is recording."""
        return set(self._recorders)

    async def close_recordings(self) -> None:
        for session_id in list(self._recorders):
            await self.stop_recording(session_id, "server_stopped")
