"""The only module that touches aiortc's private code. Pinned to aiortc 1.16.0.

aiortc has no public API for encoded frames (aiortc issues #55, #449): a receiver decodes
everything it gets, and ``MediaRelay`` re-encodes for every subscriber (0.115 cores each
here, ``shared/MEASUREMENTS.md``). Forwarding the already-encoded frames costs about 0.005
cores per subscriber, so the media room takes frames where a receiver hands them to its
decoder thread, and gives senders ``av.Packet`` objects, which aiortc packetises without
encoding (the ``MediaPlayer(decode=False)`` path, aiortc PR #559).

Every private name used is listed below and checked by ``tests/signaling/test_aiortc_hooks.py``,
which fails loudly if an aiortc upgrade moves one. See ``signaling/MEDIA_FORWARDING.md``.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import aioice.ice
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtcpSrPacket

PINNED_AIORTC = "1.16.0"

#: ``queue.Queue`` the receiver's decoder thread reads ``(codec, JitterFrame)`` items from.
RX_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
#: ``None`` until ``receive()`` starts the decoder thread.
RX_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
#: ``async (media_ssrc: int)``: sends an RTCP PLI upstream.
RX_PLI = "_send_rtcp_pli"
#: ``()``: called by the sender on a PLI/FIR from its subscriber; by default flags the encoder.
TX_KEYFRAME = "_send_keyframe"
#: ``async (packet)``: the RTCP the DTLS transport routes to this receiver (sender reports among it).
RX_RTCP = "_handle_rtcp_packet"
#: ``TimestampMapper`` (``_origin``, ``_last``): how the receiver rebases RTP timestamps to start at 0.
RX_TIMESTAMP_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)

FrameCallback = Callable[[Any, Any], None]


class _TapQueue:
    """Stands in for the receiver's decoder queue.

    ``put`` runs on the event loop (from ``RTCRtpReceiver._handle_rtp_packet``): frames go to
    the callback and never reach the decoder thread. That thread only wakes for the ``None``
    sentinel at stop, so the remote track still ends cleanly.
    """

    def __init__(self, callback: FrameCallback) -> None:
        self._inner: queue.Queue[Any] = queue.Queue()
        self._callback = callback

    def put(self, item: Any) -> None:
        if item is None:
            self._inner.put(None)
        else:
            codec, frame = item
            self._callback(codec, frame)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get(*args, **kwargs)


def tap_receiver(receiver: RTCRtpReceiver, callback: FrameCallback) -> None:
    """Route the receiver's complete encoded frames to ``callback(codec, JitterFrame)``.

    Must run before ``receive()`` starts the decoder thread, i.e. in ``pc.on("track")``, which
    aiortc emits inside ``setRemoteDescription`` before it connects the transceivers.
    ``JitterFrame.data`` is the whole frame (VP8 descriptor stripped); ``.timestamp`` is in the
    codec's clock, starting at 0.
    """
    if getattr(receiver, RX_THREAD_ATTR) is not None:
        raise RuntimeError("the receiver has started already; tap it in pc.on('track')")
    getattr(receiver, RX_QUEUE_ATTR)  # AttributeError if aiortc renamed it
    setattr(receiver, RX_QUEUE_ATTR, _TapQueue(callback))


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Ask the publisher for a keyframe (RTCP PLI). False if no SSRC has been seen yet."""
    sources = receiver.getSynchronizationSources()
    for source in sources:
        await getattr(receiver, RX_PLI)(source.source)
    return bool(sources)


def ntp_seconds(ntp: int) -> float:
    """A 64-bit NTP timestamp as Unix seconds."""
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / (1 << 32)


def on_sender_report(receiver: RTCRtpReceiver, handler: Callable[[float, int], None]) -> None:
    """Call ``handler(sender_wall_seconds, rtp_timestamp)`` on each RTCP sender report.

    The RTP timestamp is rebased the way the receiver rebases frame timestamps (the
    ``JitterFrame.timestamp`` the tap sees), so the pair maps any frame to the sender's clock:
    ``wall = sender_wall + (frame.timestamp - rtp_timestamp) / clock_rate``. Reports before the
    first frame cannot be rebased and are skipped.
    """
    original = getattr(receiver, RX_RTCP)
    mapper = getattr(receiver, RX_TIMESTAMP_MAPPER)

    async def handle(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket) and mapper._origin is not None and mapper._last is not None:
            last = mapper._last - mapper._origin
            rtp = packet.sender_info.rtp_timestamp - mapper._origin
            rtp += round((last - rtp) / (1 << 32)) * (1 << 32)  # the wrap nearest the latest frame
            handler(ntp_seconds(packet.sender_info.ntp_timestamp), rtp)
        await original(packet)

    setattr(receiver, RX_RTCP, handle)


def on_keyframe_request(sender: RTCRtpSender, handler: Callable[[], None]) -> None:
    """Send a subscriber's PLI/FIR to ``handler`` (we have no encoder to flag)."""
    getattr(sender, TX_KEYFRAME)
    setattr(sender, TX_KEYFRAME, handler)


def allow_loopback_ice() -> None:
    """Offer 127.0.0.1 as a host candidate too (aioice leaves it out). For tests and one-machine demos.

    ``aioice.ice.get_host_addresses`` is looked up when candidates are gathered, so replacing
    it here affects every peer connection created afterwards.
    """
    original = aioice.ice.get_host_addresses
    if getattr(original, "_mediate_loopback", False):
        return

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses: list[str] = list(original(use_ipv4, use_ipv6))
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.insert(0, "127.0.0.1")
        return addresses

    with_loopback._mediate_loopback = True  # type: ignore[attr-defined]
    with_loopback.__wrapped__ = original  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = with_loopback
