"""A party calls the organisation's number from a phone and takes part in the video mediation (#25).

The caller is Debian's baresip (a real SIP phone) saying a 440 Hz tone; the mediator is a real
Socket.IO client with a real aiortc peer saying 660 Hz, as a browser tab would. The caller types
the PIN from their invitation on the keypad (RFC 4733 telephone-events), waits in the waiting room
as "李四 · 电话接入", is admitted, and then each hears the other: the tone each side receives is
measured (Goertzel), not assumed.
"""

from __future__ import annotations

import contextlib
import logging
import math
from array import array
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import pytest
from aiortc import AudioStreamTrack
from av import AudioFrame

from server.evidence.records import DeviceKey, b64, unb64
from server.evidence.verify import render, verify_bundle
from server.http.context import LIFECYCLE
from server.settings import Settings
from signaling.namespace import MEDIA
from tests.signaling.live import Meeting, Peer, eventually
from tests.signaling.media_client import MediaClient
from tests.telephony.baresip import Baresip
from tests.telephony.tones import dominant_frequency, tone_power, window

CALLER_HZ = 440
MEDIATOR_HZ = 660
APPLICANT_HZ = 1000
#: Calls, prompts and a first packet across a loaded machine: generous, and only a failing test waits it out.
WITHIN = 60.0


class Tone(AudioStreamTrack):
    """A microphone saying one steady tone."""

    def __init__(self, hz: int) -> None:
        super().__init__()
        self.hz = hz
        self._n = 0

    async def recv(self) -> AudioFrame:
        frame = cast(AudioFrame, await super().recv())
        rate, n = frame.sample_rate, frame.samples
        pcm = array("h", (int(6000 * math.sin(2 * math.pi * self.hz * (self._n + i) / rate)) for i in range(n)))
        self._n += n
        frame.planes[0].update(pcm.tobytes())
        frame.time_base = Fraction(1, rate)
        return frame


def pin_of(meeting: Meeting, role: str) -> str:
    """The PIN the booking gave ``role`` with their link (what their invitation text carries)."""
    return str(meeting.links[role]["phone"]["pin"])


def sip_uri(settings: Settings) -> str:
    assert settings.sip_listen is not None
    host, port = settings.sip_listen
    return f"sip:mediation@{host}:{port}"


def seen_by_host(host: Peer, participant_id: str) -> dict[str, Any] | None:
    if not host.of("participants"):
        return None
    return next((p for p in host.view["participants"] if p["id"] == participant_id), None)


def recorded(path: Path) -> float:
    """Seconds the caller's phone has heard so far (baresip's dump: 8 kHz, 16-bit mono, a 44-byte header)."""
    return max(0.0, (path.stat().st_size - 44) / (2 * 8000)) if path.exists() else 0.0


async def hear_for(phone: Baresip, seconds: float) -> tuple[float, float]:
    """Let the caller listen ``seconds`` more; the stretch of their recording that covers it."""
    assert phone.record_to is not None
    record = phone.record_to
    start = recorded(record)
    await eventually(lambda: recorded(record) >= start + seconds, WITHIN)
    return start, start + seconds


async def call_in(meeting: Meeting, settings: Settings, phone: Baresip, host: Peer, role: str) -> str:
    """Dial, type ``role``'s PIN, and be admitted by the host; the caller's participant id."""
    participant = meeting.id(role)
    await phone.dial(sip_uri(settings))
    await phone.wait_established(WITHIN)
    await phone.send_dtmf(pin_of(meeting, role))
    await eventually(lambda: (p := seen_by_host(host, participant)) is not None and p["state"] == "waiting", WITHIN)
    assert await host.call("admit", {"participant_id": participant}) == {"ok": True}
    return participant


async def staff_key_bound(meeting: Meeting) -> tuple[DeviceKey, str]:
    """刘's own device key, registered on the account and bound to the case: (the key, the case id)."""
    liu = meeting.liu
    key = DeviceKey.generate({"kind": "staff", "id": "ignored"})
    await liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    case_id = str((await liu.call("GET", f"/api/v1/sessions/{meeting.session_id}"))["case_id"])
    binding = await liu.call("POST", f"/api/v1/cases/{case_id}/keys/{key.info.id}/bind", expect=201)
    body = {"signature": key.sign(unb64(binding["statement"]))["sig"]}
    await liu.call("POST", f"/api/v1/signatures/{binding['challenge']}", body, expect=201)
    return key, case_id


async def press_1_after_the_notice(host: Peer, phone: Baresip, participant: str) -> dict[str, Any]:
    """The mediator has the notice played; the caller presses 1 (while it plays, as people do) until the hosts hear of it."""
    assert await host.call("phone_consent_ask", {"participant_id": participant}) == {"ok": True}
    for _ in range(10):
        await phone.send_dtmf("1")
        with contextlib.suppress(AssertionError):
            await eventually(lambda: bool(host.of("phone_consent")), 3.0)
            break
    pressed: dict[str, Any] = host.of("phone_consent")[-1]
    return pressed


async def witness(host: Peer, key: DeviceKey, participant: str) -> dict[str, Any]:
    """The mediator signs the witness of the caller's 1 with their own key."""
    prepared = await host.call("phone_consent_prepare", {"participant_id": participant, "key": key.info.id})
    assert prepared["ok"] and prepared["claim"]["type"] == "consent", prepared
    assert prepared["claim"]["public"]["method"] == "dtmf"
    assert prepared["claim"]["public"]["subject"] == {"kind": "party", "id": participant}
    signature = key.sign(unb64(prepared["statement"]))["sig"]
    witnessed = await host.call("phone_consent_witness", {"challenge": prepared["challenge"], "signature": signature})
    assert witnessed["ok"], witnessed
    return witnessed


@pytest.fixture
async def caller(tmp_path: Path) -> AsyncIterator[Baresip]:
    phone = await Baresip.start(tmp_path / "phone", tone_hz=CALLER_HZ, record_to=tmp_path / "heard.wav")
    yield phone
    await phone.stop()


async def test_a_caller_types_their_pin_waits_is_admitted_and_each_side_hears_the_other(
    meeting: Meeting, settings: Settings, caller: Baresip
) -> None:
    host = await meeting.host()
    mediator = MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ))
    await mediator.start()
    respondent = meeting.id("respondent")

    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    await caller.send_dtmf(pin_of(meeting, "respondent"))

    # The mediator sees the caller waiting, by name, marked as a phone participant.
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "waiting", WITHIN)
    shown = seen_by_host(host, respondent)
    assert shown is not None and shown["name"] == "李四" and shown["phone"] is True and shown["online"] is True
    assert mediator.heard.get((respondent, "audio")) is None  # nothing of a waiting caller reaches anyone

    assert await host.call("admit", {"participant_id": respondent}) == {"ok": True}
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "admitted", WITHIN)

    # The mediator hears the caller's 440 Hz (through G.711, then Opus): three seconds of it.
    key = (respondent, "audio")
    rate = mediator.heard_rate
    await eventually(lambda: len(mediator.heard.get(key, ())) >= 3 * rate, WITHIN)
    last = mediator.heard[key][-rate:]
    assert tone_power(last, rate, CALLER_HZ) > 50 * tone_power(last, rate, MEDIATOR_HZ)

    # The caller hears the mediator's 660 Hz once the "you are in the room" prompt has played.
    assert caller.record_to is not None
    record = caller.record_to
    await eventually(lambda: record.exists() and record.stat().st_size > 44 + 2 * 8000 * 12, WITHIN)
    size = (record.stat().st_size - 44) / (2 * 8000)
    assert abs(dominant_frequency(record, size - 2.0, size - 0.5) - MEDIATOR_HZ) < 5

    await caller.hangup()
    await caller.wait_closed(WITHIN)
    # Hung up: the caller's place is kept for the grace period, as a dropped browser's is.
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "reconnecting", WITHIN)
    # Calling back within it, with the same PIN, they are in the room again without waiting to be admitted.
    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    await caller.send_dtmf(pin_of(meeting, "respondent"))
    await eventually(
        lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "admitted" and p["online"], WITHIN
    )
    await caller.hangup()
    await caller.wait_closed(WITHIN)
    await mediator.close()


async def test_three_wrong_pins_end_the_call_and_nobody_is_seated(
    meeting: Meeting, settings: Settings, caller: Baresip, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signaling.telephony.call")
    host = await meeting.host()
    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    right = pin_of(meeting, "respondent")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(3):
        await caller.send_dtmf(wrong)
    assert await caller.wait_closed(WITHIN) == "Connection reset by peer"
    assert "said pin_blocked, then hung up" in caplog.text  # 密码输错次数太多。请核对邀请短信……
    await host.barrier()
    assert seen_by_host(host, meeting.id("respondent")) is None


async def test_in_a_caucus_the_caller_hears_only_who_is_in_it_with_them(
    meeting: Meeting, settings: Settings, caller: Baresip
) -> None:
    """Caucus isolation (背对背) holds for a caller: taken aside with the mediator, they hear the
    mediator and not the applicant left in the joint room, and the applicant hears nothing of them."""
    host = await meeting.host()
    mediator = MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ))
    await mediator.start()
    applicant_peer = await meeting.party("applicant")
    applicant = MediaClient(applicant_peer, video=False, microphone=lambda: Tone(APPLICANT_HZ))
    await applicant.start()
    assert await host.call("admit", {"participant_id": meeting.id("applicant")}) == {"ok": True}
    respondent = await call_in(meeting, settings, caller, host, "respondent")
    record = caller.record_to
    assert record is not None

    # In the joint room the caller hears both, mixed (after the prompt that says they are in).
    await hear_for(caller, 5.0)
    start, end = await hear_for(caller, 2.0)
    rate, both = window(record, start, end)
    assert tone_power(both, rate, MEDIATOR_HZ) > 20 * tone_power(both, rate, 500)
    assert tone_power(both, rate, APPLICANT_HZ) > 20 * tone_power(both, rate, 500)
    assert len(applicant.heard.get((respondent, "audio"), ())) > 0  # and the applicant hears the caller

    assert await host.call("caucus_start", {"caucus_id": "c1", "member_ids": [respondent]}) == {"ok": True}
    await applicant_peer.wait("caucus_notice")
    await hear_for(caller, 0.5)  # what was already on its way
    start, end = await hear_for(caller, 2.0)
    rate, aside = window(record, start, end)
    assert tone_power(aside, rate, MEDIATOR_HZ) > 20 * tone_power(aside, rate, 500)
    assert tone_power(aside, rate, APPLICANT_HZ) < tone_power(aside, rate, MEDIATOR_HZ) / 1000
    # The applicant, outside, hears nothing of the caller meanwhile.
    heard_before = len(applicant.heard.get((respondent, "audio"), ()))
    await hear_for(caller, 1.0)
    assert len(applicant.heard.get((respondent, "audio"), ())) == heard_before

    await caller.hangup()
    await caller.wait_closed(WITHIN)
    await mediator.close()
    await applicant.close()


async def test_a_call_during_a_drain_is_told_to_call_again_and_readyz_names_the_phone_line(
    meeting: Meeting, settings: Settings, caller: Baresip, caplog: pytest.LogCaptureFixture
) -> None:
    """A restarting process takes no new caller: they hear that the system is being restarted and
    to call again in a minute, and the call ends without a place in any room."""
    caplog.set_level(logging.INFO, logger="signaling.telephony.call")
    assert settings.sip_listen is not None
    anyone = await meeting.world.actor()
    ready = await anyone.call("GET", "/readyz")
    assert ready["telephony"] == {"listening": f"127.0.0.1:{settings.sip_listen[1]}", "calls": 0}

    await meeting.world.app[LIFECYCLE].drain()
    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    await caller.send_dtmf(pin_of(meeting, "respondent"))
    assert await caller.wait_closed(WITHIN) == "Connection reset by peer"
    assert recorded(caller.record_to or Path()) > 3.0  # the prompt was heard before the line closed
    assert "said restarting, then hung up" in caplog.text  # 系统正在维护，请一分钟后再拨。
    rooms = meeting.world.app[MEDIA].rooms
    assert all(meeting.id("respondent") not in room.lines for room in rooms.values())


async def test_a_wrong_pin_can_be_typed_again_and_the_right_one_brings_the_caller_to_the_waiting_room(
    meeting: Meeting, settings: Settings, caller: Baresip
) -> None:
    host = await meeting.host()
    right = pin_of(meeting, "respondent")
    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    await caller.send_dtmf(f"{(int(right) + 7) % 1_000_000:06d}")
    await caller.send_dtmf(right)
    respondent = meeting.id("respondent")
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "waiting", WITHIN)
    await caller.hangup()
    await caller.wait_closed(WITHIN)


async def test_a_call_to_an_ended_session_is_told_so_and_the_line_closes(
    meeting: Meeting, settings: Settings, caller: Baresip, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signaling.telephony.call")
    host = await meeting.host()
    assert await host.call("end", {}) == {"ok": True}
    await caller.dial(sip_uri(settings))
    await caller.wait_established(WITHIN)
    await caller.send_dtmf(pin_of(meeting, "respondent"))
    assert await caller.wait_closed(WITHIN) == "Connection reset by peer"  # the server hung up, after saying why
    assert recorded(caller.record_to or Path()) > 3.0
    assert "said session_over, then hung up" in caplog.text  # 这次调解已经结束或已取消。请联系调解员。
    assert all(meeting.id("respondent") not in room.lines for room in meeting.world.app[MEDIA].rooms.values())


async def test_a_caller_agrees_to_recording_by_pressing_1_and_the_mediator_witnesses_it_with_their_own_key(
    meeting: Meeting, settings: Settings, caller: Baresip
) -> None:
    """Consent by keypress (#25): the caller hears the notice and presses 1; the mediator, who heard
    them, signs a `consent` record (method `dtmf`, the party as its subject, the calling number) with
    their own key bound to the case; the bundle verifies offline."""
    liu = meeting.liu
    key, case_id = await staff_key_bound(meeting)
    host = await meeting.host()
    respondent = await call_in(meeting, settings, caller, host, "respondent")
    early = await host.call("phone_consent_prepare", {"participant_id": respondent, "key": key.info.id})
    assert early["error"]["code"] == "invalid_state"  # nothing pressed yet: nothing to witness

    pressed = await press_1_after_the_notice(host, caller, respondent)
    assert pressed == {"participant_id": respondent, "name": "李四", "number": "phone", "pressed": "1"}
    witnessed = await witness(host, key, respondent)
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["consented"] is True)

    response = await liu.request("POST", f"/api/v1/cases/{case_id}/evidence/bundle")
    path = settings.data_dir / "phone-consent.zip"
    path.write_bytes(await response.read())
    report = verify_bundle(path)
    assert report.ok, render(report, "en")
    consent = next(s for s in report.records if s.seq == witnessed["seq"])
    assert consent.type == "consent" and consent.method == "dtmf" and consent.actor["id"] == meeting.host_id
    await caller.hangup()
    await caller.wait_closed(WITHIN)


async def test_the_mediator_mutes_holds_and_removes_a_caller_as_anyone(
    meeting: Meeting, settings: Settings, caller: Baresip, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller is run by the room's own rules: muted, nothing of them is forwarded; held, they are
    back in the waiting room; removed, they hear why and the line closes."""
    caplog.set_level(logging.INFO, logger="signaling.telephony.call")
    host = await meeting.host()
    mediator = MediaClient(host, video=False, microphone=lambda: Tone(MEDIATOR_HZ))
    await mediator.start()
    respondent = await call_in(meeting, settings, caller, host, "respondent")
    key = (respondent, "audio")
    await eventually(lambda: len(mediator.heard.get(key, ())) > 0, WITHIN)

    assert await host.call("mute", {"participant_id": respondent, "kind": "audio"}) == {"ok": True}
    await hear_for(caller, 0.5)  # what was on its way when the mute came
    muted = len(mediator.heard.get(key, ()))
    await hear_for(caller, 1.5)
    assert len(mediator.heard.get(key, ())) == muted  # no frame of the caller is forwarded

    assert await host.call("hold", {"participant_id": respondent}) == {"ok": True}
    await eventually(lambda: (p := seen_by_host(host, respondent)) is not None and p["state"] == "held", WITHIN)

    assert await host.call("remove", {"participant_id": respondent}) == {"ok": True}
    assert await caller.wait_closed(WITHIN) == "Connection reset by peer"
    assert "said removed, then hung up" in caplog.text  # 调解员已请您离开本次调解。再见。
    await mediator.close()
