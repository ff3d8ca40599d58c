"""A recorded session of aiortc test clients: parties with bound keys who consent, and a clock camera.

The clock camera paints the wall-clock time into its picture (one grey level per 50 ms), so
that a decoded recording says when each frame was captured: that is how the tests check that
the participants' tracks sit on one timeline.
"""

from __future__ import annotations

import fractions
import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import AudioStreamTrack, VideoStreamTrack
from sqlalchemy import select

from server.evidence.records import DeviceKey, b64, unb64
from server.models import MediationSession, Recording, RecordingSegment
from signaling.namespace import MEDIA
from signaling.recorder import Recorder
from tests.api.test_evidence import latest_code
from tests.conftest import Actor
from tests.signaling.live import Meeting, Peer
from tests.signaling.media_client import MediaClient

STEP = 0.05  # seconds per grey level
LEVELS = 20  # the picture's clock wraps every second
GREY0, GREY_STEP = 16, 10


def grey_of(at: float) -> int:
    return GREY0 + int(at / STEP) % LEVELS * GREY_STEP


def time_in_second(grey: float) -> float:
    """Where in its second a frame was captured, from its grey level."""
    level = round((grey - GREY0) / GREY_STEP) % LEVELS
    return level * STEP


class ClockCamera(VideoStreamTrack):
    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=160, height=120, format="yuv420p")
        shade = grey_of(time.time())
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([shade if i == 0 else 128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, fractions.Fraction(time_base.numerator, time_base.denominator)
        return frame


async def bind_key(meeting: Meeting, actor: Actor) -> DeviceKey:
    """The party proves their phone and binds a device key (as the party page does)."""
    key = DeviceKey.generate({"kind": "party", "id": "ignored"})
    started = await actor.call("POST", "/api/v1/party/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    code = await latest_code(meeting.world)
    await actor.call(
        "POST",
        f"/api/v1/party/keys/device/{started['challenge']}",
        {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]},
        expect=201,
    )
    return key


@dataclass
class Person:
    peer: Peer
    key: DeviceKey | None = None
    media: MediaClient | None = None

    async def consent(self) -> dict[str, Any]:
        assert self.key is not None
        request = await self.peer.call("consent_prepare", {})
        assert request["ok"], request
        signature = self.key.sign(unb64(request["statement"]))["sig"]
        return await self.peer.call("consent_give", {"challenge": request["challenge"], "signature": signature})


@dataclass
class Recorded:
    """Host and two parties, admitted, with media running; parties have keys but have not consented."""

    meeting: Meeting
    people: dict[str, Person] = field(default_factory=dict)

    async def assemble(self, parties: tuple[str, ...] = ("applicant", "respondent")) -> Recorded:
        host = await self.meeting.host()
        self.people["host"] = Person(host)
        await self.start_media(self.people["host"])
        for role in parties:
            await self.add(role)
        return self

    async def add(self, role: str) -> Person:
        """The party binds a key, joins, is admitted and starts their camera and microphone."""
        m = self.meeting
        actor = await m.browser_for(role)
        key = await bind_key(m, actor)
        peer = await m.join(role, actor)
        person = self.people[role] = Person(peer, key)
        assert (await self.host.call("admit", {"participant_id": m.id(role)})) == {"ok": True}
        await peer.wait("admitted")
        await self.start_media(person)
        return person

    @staticmethod
    async def start_media(person: Person) -> None:
        person.media = MediaClient(person.peer, camera=ClockCamera, microphone=AudioStreamTrack)
        assert (await person.media.start()) == {"ok": True}

    @property
    def host(self) -> Peer:
        return self.people["host"].peer

    def recorder_current(self, within: float = 0.2) -> bool:
        """The recorder holds every participant's sound and picture captured up to ``within`` ago.

        Between a camera and the recording stand the sender's encoder, the network and the server's
        receiving side; on a loaded machine each runs late, and after the process stood still the
        sources (aiortc's, on their own clocks) make their missed frames at once. A mediator stops a recording
        while everyone is seen and heard live; media still on its way at the stop is rightly not
        recorded. This asks the recorder itself where each participant's newest frame is."""
        room = self.meeting.world.app[MEDIA].rooms.get(self.meeting.session_id)
        recorder = room.recorder if room is not None else None
        if not isinstance(recorder, Recorder):
            return False
        now = recorder.clock()
        wanted = {self.id(who) for who in self.people}
        return wanted <= set(recorder.writers) and all(
            now - recorder.writers[pid].last.get(kind, float("-inf")) < within for pid in wanted for kind in ("audio", "video")
        )

    def id(self, who: str) -> str:
        return self.meeting.host_id if who == "host" else self.meeting.id(who)

    async def close(self) -> None:
        for person in self.people.values():
            if person.media is not None:
                await person.media.close()


async def recordings_of(meeting: Meeting) -> list[Recording]:
    async with meeting.world.services.recordings.maker() as db:
        query = select(Recording).where(Recording.session_id == meeting.session_id).order_by(Recording.started_at)
        return list(await db.scalars(query))


async def segments_of(meeting: Meeting, recording_id: str) -> list[RecordingSegment]:
    async with meeting.world.services.recordings.maker() as db:
        query = select(RecordingSegment).where(RecordingSegment.recording_id == recording_id).order_by(RecordingSegment.index)
        return list(await db.scalars(query))


def decode(data: bytes) -> dict[str, Any]:
    """What PyAV makes of one WebM file: per kind, frame times (s), and the video's grey levels;
    the time of its last packet (``last_packet``), decodable or not.

    A frame the decoder refuses is counted in ``broken`` and skipped, as a player conceals it: on a loaded
    machine loopback UDP drops packets, and a frame that lost some is recorded as it arrived."""
    out: dict[str, Any] = {"audio": [], "video": [], "grey": [], "keyframes": [], "broken": 0, "last_packet": 0.0}
    with av.open(io.BytesIO(data), "r") as container:
        for packet in container.demux():
            if packet.size and packet.pts is not None and packet.time_base is not None:
                out["last_packet"] = max(out["last_packet"], float(packet.pts * packet.time_base))
            if packet.size and packet.stream.type == "video" and packet.is_keyframe:
                assert packet.pts is not None and packet.time_base is not None, "a key frame without a time"
                out["keyframes"].append(float(packet.pts * packet.time_base))
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                out["broken"] += 1
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    out["video"].append(float(frame.time))
                    plane = frame.planes[0]
                    row = bytes(plane)[: plane.line_size]
                    out["grey"].append(sum(row[: frame.width]) / frame.width)
                else:
                    assert isinstance(frame, av.AudioFrame) and frame.time is not None, f"not audio with a time: {frame}"
                    out["audio"].append(float(frame.time))
    return out


async def export(meeting: Meeting) -> bytes:
    """The case's evidence bundle, as the mediator downloads it."""
    case_id = await case_of(meeting)
    response = await meeting.liu.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    assert response.status == 200, await response.text()
    bundle: bytes = await response.read()
    return bundle


async def case_of(meeting: Meeting) -> str:
    async with meeting.world.services.recordings.maker() as db:
        session = await db.get(MediationSession, meeting.session_id)
        assert session is not None
        return session.case_id


def rezip(bundle: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """The bundle with its files changed by ``change`` (as someone tampering with it would)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()
