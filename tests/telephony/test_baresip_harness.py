"""The telephony harness proves itself: two real baresip phones call each other on loopback (#25).

B answers by itself and says 660 Hz; A dials B, says 440 Hz and types 123456# as RFC 4733
telephone-events, then hangs up. Each must have heard the other's tone (and not its own), B must
report the digits, and both must see the call end. scripts/test installs baresip-core; without it
the test fails and says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.telephony.baresip import Baresip
from tests.telephony.tones import dominant_frequency, tone_power, window

#: Generous, as in tests/signaling/live.py: a wait returns as soon as its event arrives.
PATIENCE = 20.0


def heard(wav: Path, hz: float, not_hz: float) -> None:
    """``wav`` holds ``hz`` (to 2 Hz) and next to nothing of ``not_hz``, over 0.2-1.0 s of the call."""
    assert abs(dominant_frequency(wav, 0.2, 1.0) - hz) <= 2
    rate, samples = window(wav, 0.2, 1.0)
    assert tone_power(samples, rate, hz) > 1000 * tone_power(samples, rate, not_hz)


async def test_a_call_carries_each_sides_tone_and_the_callers_digits_until_the_caller_hangs_up(tmp_path: Path) -> None:
    heard_by_a, heard_by_b = tmp_path / "heard-by-a.wav", tmp_path / "heard-by-b.wav"
    async with await Baresip.start(tmp_path / "b", tone_hz=660, record_to=heard_by_b, answer=True) as b:
        async with await Baresip.start(tmp_path / "a", tone_hz=440, record_to=heard_by_a) as a:
            await a.dial(b.uri)
            await a.wait_established(PATIENCE)
            await b.wait_established(PATIENCE)

            await a.send_dtmf("123456#")
            # Each digit lasts about 240 ms: the call has carried more than a second of audio by the last one's end.
            keys = ["CALL_DTMF_START", "CALL_DTMF_END"] * 7
            await b.wait_until(lambda: [e.type for e in b.events if e.type.startswith("CALL_DTMF")] == keys, PATIENCE, "7 keys")
            assert b.digits_received == "123456#"

            await a.hangup()
            assert await a.wait_closed(PATIENCE) == "Connection reset by user"
            assert await b.wait_closed(PATIENCE) == "Connection reset by peer"

    # Stopped: sndfile has closed both dumps.
    heard(heard_by_b, 440, not_hz=660)
    heard(heard_by_a, 660, not_hz=440)

    # G.711 and telephone-event only, offered and answered; the digits went in RTP, not as SIP INFO.
    for log in (a.log_path.read_text(), b.log_path.read_text()):
        assert re.findall(r"m=audio \d+ RTP/AVP ([\d ]+)", log) == ["0 8 101", "0 8 101"]
        assert "a=rtpmap:101 telephone-event/8000" in log
        assert "INFO sip:" not in log
