"""Fails loudly if the aiortc internals that ``signaling/aiortc_hooks.py`` relies on move.

Each assertion names the line of aiortc 1.16.0 the hooks depend on. If one fails after an
upgrade, re-read that part of aiortc and adapt the hooks before changing the pin.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioice.ice
import aiortc
import aiortc.rtcrtpreceiver as rx_mod
import aiortc.rtcrtpsender as tx_mod
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame

from signaling import aiortc_hooks


def src(obj: Any) -> str:
    return inspect.getsource(obj)


def test_the_installed_aiortc_is_the_audited_one() -> None:
    assert aiortc.__version__ == aiortc_hooks.PINNED_AIORTC, f"aiortc {aiortc.__version__}: re-audit aiortc_hooks.py"


def test_receivers_hand_complete_frames_to_a_queue_on_the_event_loop() -> None:
    handle = src(rx_mod.RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle
    assert "encoded_frame is not None and self.__decoder_thread" in handle
    assert "self.__timestamp_mapper.map(" in handle  # frame.timestamp is 0-based, codec clock
    receive = src(rx_mod.RTCRtpReceiver.receive)
    assert "self.__decoder_queue," in receive and "target=decoder_worker" in receive  # the queue is read at receive()
    assert "self.__decoder_queue.put(None)" in src(rx_mod.RTCRtpReceiver._RTCRtpReceiver__stop_decoder)  # type: ignore[attr-defined]
    assert "input_q.get()" in src(rx_mod.decoder_worker)
    assert list(inspect.signature(getattr(rx_mod.RTCRtpReceiver, aiortc_hooks.RX_PLI)).parameters) == ["self", "media_ssrc"]
    assert {"data", "timestamp"} <= set(inspect.signature(JitterFrame).parameters)


async def test_a_fresh_receiver_has_the_attributes_the_tap_replaces() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    assert getattr(receiver, aiortc_hooks.RX_THREAD_ATTR) is None
    assert hasattr(getattr(receiver, aiortc_hooks.RX_QUEUE_ATTR), "put")
    aiortc_hooks.tap_receiver(receiver, lambda codec, frame: None)
    assert isinstance(getattr(receiver, aiortc_hooks.RX_QUEUE_ATTR), aiortc_hooks._TapQueue)
    await pc.close()


def test_senders_pass_anything_but_a_frame_to_the_packetiser() -> None:
    next_frame = src(tx_mod.RTCRtpSender._next_encoded_frame)
    assert "isinstance(data, Frame)" in next_frame and "self.__encoder.pack(data)" in next_frame
    assert "self._send_keyframe()" in src(tx_mod.RTCRtpSender._handle_rtcp_packet)
    assert hasattr(tx_mod.RTCRtpSender, aiortc_hooks.TX_KEYFRAME)
    assert "bytes(packet)" in src(Vp8Encoder.pack) and "bytes(packet)" in src(OpusEncoder.pack)


def test_bundle_needs_max_bundle_for_m_lines_added_later() -> None:
    """signaling/media.py uses max-bundle because "balanced" binds later video m-lines to a discarded transport."""
    create = src(RTCPeerConnection._RTCPeerConnection__createTransceiver)  # type: ignore[attr-defined]
    assert "RTCBundlePolicy.MAX_BUNDLE" in create and "self.__transceivers[0].receiver.transport" in create


def test_aioice_still_leaves_out_loopback_and_looks_host_addresses_up_when_gathering() -> None:
    assert "get_host_addresses(" in src(aioice.ice.Connection.gather_candidates)
    # The original, even when a test in this process (media, the demo) has already allowed loopback.
    original = getattr(aioice.ice.get_host_addresses, "__wrapped__", aioice.ice.get_host_addresses)
    assert 'ip.ip != "127.0.0.1"' in src(original)


async def test_sender_reports_reach_the_hook_with_timestamps_rebased_like_frames() -> None:
    handle = src(rx_mod.RTCRtpReceiver._handle_rtcp_packet)
    assert "isinstance(packet, RtcpSrPacket)" in handle
    assert "await recipient._handle_rtcp_packet(packet)" in src(aiortc.rtcdtlstransport.RTCDtlsTransport)  # looked up per call
    assert {"_origin", "_last"} <= set(vars(rx_mod.TimestampMapper()))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver = pc.addTransceiver("audio", direction="recvonly").receiver
    mapper = getattr(receiver, aiortc_hooks.RX_TIMESTAMP_MAPPER)
    assert mapper.map(4_294_967_000) == 0 and mapper.map(200) == 496  # rebased, across a wrap
    got: list[tuple[float, int]] = []
    aiortc_hooks.on_sender_report(receiver, lambda wall, rtp: got.append((wall, rtp)))
    ntp = (aiortc_hooks.NTP_UNIX_OFFSET + 1_800_000_000) << 32 | (1 << 31)  # 1.8e9 s + 0.5 s after 1970
    info = aiortc.rtp.RtcpSenderInfo(ntp_timestamp=ntp, rtp_timestamp=100, packet_count=1, octet_count=1)
    await getattr(receiver, aiortc_hooks.RX_RTCP)(aiortc.rtp.RtcpSrPacket(ssrc=1, sender_info=info))
    assert got == [(1_800_000_000.5, 396)]
    await pc.close()
