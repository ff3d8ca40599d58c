"""What a caller hears of several voices at once (signaling/telephony/line.py ``mix``): their sum, each at
its own level, clipped at full scale rather than wrapping round (a wrapped sample is a loud crack)."""

from __future__ import annotations

import array

from signaling.telephony.line import FRAME_BYTES, FRAME_SAMPLES, mix


def frame(*samples: int) -> bytes:
    return array.array("h", (samples * FRAME_SAMPLES)[:FRAME_SAMPLES]).tobytes()


def test_voices_are_summed_and_clipped_at_full_scale() -> None:
    assert mix([]) == bytes(FRAME_BYTES)
    assert mix([frame(1000, -7)]) == frame(1000, -7)
    assert mix([frame(1000, -7), frame(-300, 20), frame(5, 5)]) == frame(705, 18)
    assert mix([frame(30000, -30000), frame(10000, -10000)]) == frame(32767, -32768)
