"""The forwarding sender (signaling/aiortc_hooks.py) puts on the wire what aiortc's own sender would.

A subscriber's browser depacketises, reorders, asks for lost packets and lip-syncs from these
bytes, so each test compares with aiortc's ``RTCRtpSender._run_rtp`` given the same frames: the
same packets (header, extensions, marker, payload descriptor and data), the counters its sender
reports are made of, and a lost packet sent again as RTX. The DTLS transport's ``_send_rtp`` is
replaced by a list, as the packets it would encrypt are what is compared.
"""

from __future__ import annotations

import asyncio
import fractions
import inspect
import os
from typing import Any

import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpparameters import (
    RTCRtcpParameters,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import HeaderExtensionsMap, RtcpRtpfbPacket, RtpPacket

from signaling import aiortc_hooks
from signaling.subscription import EncodedFrame

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
RTX = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96})
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
]
#: A 1 Mbit/s frame is about 4 KB: four packets of at most 1,300 bytes.
FRAME_BYTES = 4200


class Frames(MediaStreamTrack):
    """Gives the encoded frames a subscription would (``EncodedFrame``, which aiortc's sender reads as an ``av.Packet``), then nothing."""

    def __init__(self, kind: str, frames: list[bytes], clock_rate: int, step: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames = list(frames)
        self._clock_rate = clock_rate
        self._step = step
        self._pts = 0
        self.given = asyncio.Event()

    async def recv(self) -> Any:
        if not self._frames:
            self.given.set()
            await asyncio.Future()  # as an idle subscription: waits until the sender stops
        frame = EncodedFrame(self._frames.pop(0), self._pts, fractions.Fraction(1, self._clock_rate))
        self._pts += self._step
        return frame


async def send(frames: list[bytes], *, forwarding: bool, kind: str = "video") -> tuple[RTCRtpSender, list[bytes], Any]:
    """The packets a sender sends for ``frames`` (and the sender, still running, and its peer connection)."""
    clock_rate, step, codecs = (90000, 3000, [VP8, RTX]) if kind == "video" else (48000, 960, [OPUS])
    track = Frames(kind, frames, clock_rate, step)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender = pc.addTransceiver(track, direction="sendonly").sender
    sent: list[bytes] = []

    async def capture(data: bytes) -> None:
        sent.append(data)

    sender.transport._send_rtp = capture  # type: ignore[method-assign]
    if forwarding:
        aiortc_hooks.forward_encoded(sender)
    await sender.send(
        RTCRtpSendParameters(codecs=codecs, headerExtensions=EXTENSIONS, muxId="0", rtcp=RTCRtcpParameters(cname="c"))
    )
    await asyncio.wait_for(track.given.wait(), 10)
    return sender, sent, pc


def parse(data: bytes) -> RtpPacket:
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpSendParameters(headerExtensions=EXTENSIONS))
    return RtpPacket.parse(data, extensions)


def relative(packets: list[RtpPacket]) -> list[tuple[Any, ...]]:
    """What a receiver reads of each packet, with the random starts (sequence, timestamp, picture id) taken out."""
    first = packets[0]
    first_picture = VpxPayloadDescriptor.parse(first.payload)[0].picture_id or 0 if first.payload_type == VP8.payloadType else 0
    out = []
    for p in packets:
        row: tuple[Any, ...] = (
            p.payload_type,
            p.marker,
            (p.sequence_number - first.sequence_number) % 65536,
            (p.timestamp - first.timestamp) % (1 << 32),
            p.ssrc == first.ssrc,
            p.extensions.mid,
            p.extensions.abs_send_time is not None,
        )
        if p.payload_type == VP8.payloadType:
            descriptor, data = VpxPayloadDescriptor.parse(p.payload)
            picture = ((descriptor.picture_id or 0) - first_picture) % (1 << 15)
            row += (descriptor.partition_start, picture, data)
        else:
            row += (p.payload,)
        out.append(row)
    return out


async def stop(sender: RTCRtpSender, pc: Any) -> None:
    await asyncio.wait_for(sender.stop(), 10)  # hangs if the forwarding loop did not flag its exit
    await pc.close()


@pytest.mark.parametrize("kind", ["video", "audio"])
async def test_frames_go_out_as_the_packets_aiortcs_sender_makes(kind: str) -> None:
    size = FRAME_BYTES if kind == "video" else 120
    frames = [os.urandom(size) for _ in range(5)]
    theirs, their_bytes, their_pc = await send(frames, forwarding=False, kind=kind)
    ours, our_bytes, our_pc = await send(frames, forwarding=True, kind=kind)
    assert len(our_bytes) == len(their_bytes) == (20 if kind == "video" else 5)
    assert relative([parse(b) for b in our_bytes]) == relative([parse(b) for b in their_bytes])
    # The counters its RTCP sender reports carry: packets, payload octets, the last packet's RTP time.
    for name in (aiortc_hooks.TX_PACKETS, aiortc_hooks.TX_OCTETS):
        assert getattr(ours, name) == getattr(theirs, name) > 0
    assert getattr(ours, aiortc_hooks.TX_RTP) == parse(our_bytes[-1]).timestamp
    assert getattr(ours, aiortc_hooks.TX_NTP) > 0
    await stop(theirs, their_pc)
    await stop(ours, our_pc)


async def test_a_packet_the_subscriber_lost_is_sent_again_as_rtx() -> None:
    sender, sent, pc = await send([os.urandom(FRAME_BYTES) for _ in range(3)], forwarding=True)
    lost = parse(sent[5])
    nack = RtcpRtpfbPacket(fmt=1, ssrc=1, media_ssrc=sender._ssrc, lost=[lost.sequence_number])
    await sender._handle_rtcp_packet(nack)
    assert len(sent) == 13
    rtx = parse(sent[-1])
    # RFC 4588: its own payload type and SSRC, the original sequence number first, then the payload.
    assert (rtx.payload_type, rtx.ssrc) == (RTX.payloadType, sender._rtx_ssrc)
    assert rtx.payload == lost.sequence_number.to_bytes(2, "big") + lost.payload
    assert (rtx.timestamp, rtx.marker) == (lost.timestamp, lost.marker)
    # A packet no longer (or never) in the history is not made up.
    gone = RtcpRtpfbPacket(fmt=1, ssrc=1, media_ssrc=sender._ssrc, lost=[(lost.sequence_number + 1000) % 65536])
    await sender._handle_rtcp_packet(gone)
    assert len(sent) == 13
    await stop(sender, pc)


async def test_the_sender_state_it_takes_over_is_where_aiortc_keeps_it() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender = pc.addTransceiver("video", direction="sendonly").sender
    for name in aiortc_hooks.TX_STATE:
        assert hasattr(sender, name), name
    run = inspect.getsource(RTCRtpSender._run_rtp)
    assert "self.__rtp_exited.set()" in run and "self.__rtp_started.set()" in run
    assert "self._retransmit(" in inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    assert "asyncio.ensure_future(self._run_rtp(" in inspect.getsource(RTCRtpSender.send)
    await pc.close()
