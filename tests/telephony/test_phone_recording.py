"""A caller's voice is recorded like anyone's once they consented by keypress (#25).

The mediator (a real aiortc peer saying 660 Hz) and a caller (Debian's baresip saying 440 Hz) are in
the room; the caller presses 1 after the notice and the mediator witnesses it; the mediator records.
The caller's own recorded file holds their 440 Hz tone, not the mediator's, over the length of the
recording, and starts with the mediator's file: one timeline for both.
"""

from __future__ import annotations

import io
import time

import av

from recordings import webm
from server.settings import Settings
from tests.recording.session import decode, recordings_of, segments_of
from tests.signaling.live import Meeting, eventually
from tests.signaling.media_client import MediaClient
from tests.telephony.baresip import Baresip
from tests.telephony.test_phone_calls import (
    CALLER_HZ,
    MEDIATOR_HZ,
    WITHIN,
    Tone,
    call_in,
    caller,  # noqa: F401 - the fixture
    hear_for,
    press_1_after_the_notice,
    seen_by_host,
    staff_key_bound,
    witness,
)
from tests.telephony.tones import tone_power

RECORD_SECONDS = 6.0


def voice(data: bytes) -> tuple[int, list[int]]:
    """A WebM file's audio as 8 kHz mono samples."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
    samples: list[int] = []
    with av.open(io.BytesIO(data), "r") as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                raw = bytes(out.planes[0])[: out.samples * 2]
                samples.extend(int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2))
    return 8000, samples


async def test_a_caller_who_consented_by_keypress_is_recorded_on_the_sessions_one_timeline(
    meeting: Meeting,
    settings: Settings,
    caller: Baresip,  # noqa: F811
) -> None:
    key, _ = await staff_key_bound(meeting)
    host = await meeting.host()
    mediator = MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ))
    await mediator.start()
    respondent = await call_in(meeting, settings, caller, host, "respondent")
    await press_1_after_the_notice(host, caller, respondent)
    await witness(host, key, respondent)
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["consented"] is True, WITHIN)

    started = await host.call("record_start", {})
    assert started["ok"], started
    t0 = time.monotonic()
    await hear_for(caller, RECORD_SECONDS)  # the recording runs while the caller's phone hears this long
    assert (await host.call("record_stop", {}))["ok"]
    real = time.monotonic() - t0

    [recording] = await recordings_of(meeting)
    services = meeting.world.services
    parts: dict[str, list[bytes]] = {}
    for seg in await segments_of(meeting, recording.id):
        parts.setdefault(seg.participant_id, []).append(await services.recordings.read_segment(recording, seg.index))
    assert set(parts) == {meeting.host_id, respondent}
    files = {pid: webm.remux(p) for pid, p in parts.items()}
    times = {pid: decode(data)["audio"] for pid, data in files.items()}

    # The caller's file is their own voice (G.711 from the phone, recorded as the Opus it became), the whole time.
    rate, samples = voice(files[respondent])
    assert tone_power(samples, rate, CALLER_HZ) > 50 * tone_power(samples, rate, MEDIATOR_HZ)
    span = times[respondent][-1] - times[respondent][0]
    assert abs(span - real) < 0.25 * real, (span, real)
    # One timeline: the caller's voice starts where the mediator's does (both were talking throughout).
    assert abs(times[respondent][0] - times[meeting.host_id][0]) < 0.5, (times[respondent][0], times[meeting.host_id][0])
    await caller.hangup()
    await caller.wait_closed(WITHIN)
    await mediator.close()
