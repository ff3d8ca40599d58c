"""The only module that touches aiortc's private code. Pinned to aiortc 1.16.0.

aiortc has no public API for encoded frames (aiortc issues #55, #449): a receiver decodes
everything it gets, and ``MediaRelay`` re-encodes for every subscriber (0.115 cores each
here, ``shared/MEASUREMENTS.md``). Forwarding the already-encoded frames costs about 0.005
cores per subscriber, so the media room takes frames where a receiver hands them to its
decoder thread, and gives senders the encoded frames (read as aiortc reads an ``av.Packet``:
the ``MediaPlayer(decode=False)`` path, aiortc PR #559), which they packetise without encoding
in a sending loop of ours (``ForwardingSender``) that costs less than half of aiortc's per packet.

Every private name used is listed below and checked by ``tests/signaling/test_aiortc_hooks.py``,
which fails loudly if an aiortc upgrade moves one. See ``signaling/MEDIA_FORWARDING.md``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import time
from collections.abc import Callable
from typing import Any

import aioice.ice
import aiortc.rate
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTP_HISTORY_SIZE, RtcpSrPacket, RtpPacket, wrap_rtx

log = logging.getLogger(__name__)

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


# -- the forwarding sender ---------------------------------------------------------------------
#: The sender's private state a forwarding loop takes over from ``RTCRtpSender._run_rtp``.
TX_TRACK = "_RTCRtpSender__track"
TX_MID = "_RTCRtpSender__mid"
TX_EXTENSIONS = "_RTCRtpSender__rtp_header_extensions_map"
TX_STARTED = "_RTCRtpSender__rtp_started"
TX_EXITED = "_RTCRtpSender__rtp_exited"
TX_RTX_PAYLOAD_TYPE = "_RTCRtpSender__rtx_payload_type"
TX_RTX_SEQUENCE = "_RTCRtpSender__rtx_sequence_number"
#: What its RTCP sender reports and ``getStats`` read: the last packet's NTP and RTP times, and the counts.
TX_NTP = "_RTCRtpSender__ntp_timestamp"
TX_RTP = "_RTCRtpSender__rtp_timestamp"
TX_OCTETS = "_RTCRtpSender__octet_count"
TX_PACKETS = "_RTCRtpSender__packet_count"
TX_STATE = (
    TX_TRACK,
    TX_MID,
    TX_EXTENSIONS,
    TX_STARTED,
    TX_EXITED,
    TX_RTX_PAYLOAD_TYPE,
    TX_RTX_SEQUENCE,
    TX_NTP,
    TX_RTP,
    TX_OCTETS,
    TX_PACKETS,
)


def ntp_now() -> int:
    """Now as a 64-bit NTP timestamp (aiortc's ``clock.current_ntp_time`` goes through datetime)."""
    return int((time.time() + NTP_UNIX_OFFSET) * (1 << 32))


class ForwardingSender:
    """Sends already-encoded frames as ``RTCRtpSender._run_rtp`` does, for under half its cost per packet.

    Sending forwarded media was about 40 % of the server's busy time in py-spy samples of ``mediate
    bench media``'s 3-person sessions (#24), and aiortc's own Python was half of that: for every
    packet an ``RtpPacket`` object, the clock read through ``datetime`` twice, the header
    extensions serialised. Here the header (extensions included, serialised by aiortc itself) is
    made once per frame, and each packet is that header with its sequence number and marker bit
    set, followed by the payload, so the bytes on the wire are the same (tests/signaling/
    test_forwarding_sender.py compares them). Measured without the transport's encryption and
    send, both given ``EncodedFrame`` objects: 2.9 µs a packet instead of 8.0. The payloads are
    those ``Vp8Encoder``/``OpusEncoder.pack`` make (the VP8 payload descriptor with a picture id per
    frame). A NACK (RFC 4585) is answered from a 128-packet history, as RTX (RFC 4588) where
    negotiated, and the counters the sender's RTCP sender reports and ``getStats`` read are kept.
    """

    def __init__(self, sender: RTCRtpSender) -> None:
        self._sender = sender
        self._history: dict[int, bytes] = {}
        self._picture_id = random.randint(0, (1 << 15) - 1)

    def install(self) -> None:
        for name in TX_STATE:
            getattr(self._sender, name)  # AttributeError if aiortc renamed one
        self._sender._run_rtp = self.run  # type: ignore[method-assign]
        self._sender._retransmit = self.retransmit  # type: ignore[method-assign]

    def _payloads(self, vp8: bool, data: bytes) -> list[bytes]:
        if vp8:
            payloads: list[bytes] = Vp8Encoder._packetize(data, self._picture_id)
            self._picture_id = (self._picture_id + 1) % (1 << 15)
            return payloads
        return [data]

    def _header(self, payload_type: int, timestamp: int, ntp: int) -> bytearray:
        template = RtpPacket(payload_type=payload_type, timestamp=timestamp)
        template.ssrc = self._sender._ssrc
        template.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        template.extensions.mid = getattr(self._sender, TX_MID)
        return bytearray(template.serialize(getattr(self._sender, TX_EXTENSIONS)))

    async def run(self, codec: RTCRtpCodecParameters) -> None:
        sender = self._sender
        getattr(sender, TX_STARTED).set()
        transport = sender.transport
        sequence_number = random.randint(0, 65535)
        timestamp_origin = random.randint(0, (1 << 32) - 1)
        clock_rate = codec.clockRate
        payload_type = codec.payloadType or 0  # always set once negotiated
        vp8 = codec.name.lower() == "vp8"  # a property that splits the MIME type: once, not per frame
        try:
            while True:
                track = getattr(sender, TX_TRACK)
                if track is None:
                    await asyncio.sleep(0.02)
                    continue
                frame = await track.recv()
                if not sender._enabled:
                    continue
                base = frame.time_base
                ticks = (
                    frame.pts if base.numerator == 1 and base.denominator == clock_rate else int(frame.pts * base * clock_rate)
                )
                timestamp = (timestamp_origin + ticks) & 0xFFFFFFFF
                payloads = self._payloads(vp8, bytes(frame))
                ntp = ntp_now()
                header = self._header(payload_type, timestamp, ntp)
                last = len(payloads) - 1
                octets = 0
                for i, payload in enumerate(payloads):
                    header[1] = (0x80 if i == last else 0) | payload_type
                    header[2] = sequence_number >> 8
                    header[3] = sequence_number & 0xFF
                    packet = bytes(header) + payload
                    self._history[sequence_number % RTP_HISTORY_SIZE] = packet
                    await transport._send_rtp(packet)
                    octets += len(payload)
                    sequence_number = (sequence_number + 1) & 0xFFFF
                setattr(sender, TX_NTP, ntp)
                setattr(sender, TX_RTP, timestamp)
                setattr(sender, TX_OCTETS, getattr(sender, TX_OCTETS) + octets)
                setattr(sender, TX_PACKETS, getattr(sender, TX_PACKETS) + len(payloads))
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:
            # As _run_rtp: the exit must be flagged whatever happened, or the sender's stop() waits forever.
            log.exception("forwarding sender stopped")
        track = getattr(sender, TX_TRACK)
        if track is not None:
            track.stop()
            setattr(sender, TX_TRACK, None)
        getattr(sender, TX_EXITED).set()

    async def retransmit(self, sequence_number: int) -> None:
        """A packet the subscriber reported lost, again (as RTX with its own sequence if negotiated)."""
        packet = self._history.get(sequence_number % RTP_HISTORY_SIZE)
        if packet is None or int.from_bytes(packet[2:4], "big") != sequence_number:
            return
        rtx_payload_type = getattr(self._sender, TX_RTX_PAYLOAD_TYPE)
        if rtx_payload_type is not None:
            extensions = getattr(self._sender, TX_EXTENSIONS)
            rtx_sequence = getattr(self._sender, TX_RTX_SEQUENCE)
            rtx = wrap_rtx(
                RtpPacket.parse(packet, extensions),
                payload_type=rtx_payload_type,
                sequence_number=rtx_sequence,
                ssrc=self._sender._rtx_ssrc,
            )
            setattr(self._sender, TX_RTX_SEQUENCE, (rtx_sequence + 1) & 0xFFFF)
            packet = rtx.serialize(extensions)
        await self._sender.transport._send_rtp(packet)


def forward_encoded(sender: RTCRtpSender) -> None:
    """Have ``sender`` send the encoded frames its track gives (``bytes()``, ``pts``, ``time_base``) through ``ForwardingSender``.

    Must run before the sender starts (before the answer is applied), like ``addTransceiver``'s caller.
    """
    ForwardingSender(sender).install()


# -- the receive-side bandwidth estimator's rate counter -------------------------------------------
#: aiortc's own, kept before ``compact_rate_counters`` replaces it in ``aiortc.rate`` (tests compare the two).
AIORTC_RATE_COUNTER = aiortc.rate.RateCounter


class CompactRateCounter:
    """aiortc's ``rate.RateCounter`` with its 1 ms buckets in two lists of ints, not 1,000 objects.

    Every video transceiver (a subscriber's send-only ones too) has a receiver with a
    ``RemoteBitrateEstimator``, whose counter kept one ``RateBucket`` object per millisecond of
    its one-second window. In ``mediate bench media`` with 12 sessions those were 120,000 of the
    185,000 objects each full garbage collection walked (the rest of the heap frozen at start-up),
    and making them was 2 % of the loop while sessions were set up. The arithmetic is the same
    (tests/signaling/test_rate_counter.py compares the two on random traffic); a gap longer
    than the window is cleared at once instead of a millisecond at a time.
    """

    def __init__(self, window_size: int, scale: int = 8000) -> None:
        self._origin_index = 0
        self._origin_ms: int | None = None
        self._scale = scale
        self._window_size = window_size
        self.reset()

    def add(self, value: int, now_ms: int) -> None:
        if self._origin_ms is None:
            self._origin_ms = now_ms
        else:
            self._erase_old(now_ms)
        index = (self._origin_index + now_ms - self._origin_ms) % self._window_size
        self._counts[index] += 1
        self._values[index] += value
        self._total_count += 1
        self._total_value += value

    def rate(self, now_ms: int) -> int | None:
        if self._origin_ms is not None:
            self._erase_old(now_ms)
            active_window_size = now_ms - self._origin_ms + 1
            if self._total_count > 0 and active_window_size > 1:
                return round(self._scale * self._total_value / active_window_size)
        return None

    def reset(self) -> None:
        self._counts = [0] * self._window_size
        self._values = [0] * self._window_size
        self._origin_index = 0
        self._origin_ms = None
        self._total_count = 0
        self._total_value = 0

    def _erase_old(self, now_ms: int) -> None:
        assert self._origin_ms is not None
        steps = now_ms - self._window_size + 1 - self._origin_ms
        if steps <= 0:
            return
        size = self._window_size
        if steps >= size:
            self._counts = [0] * size
            self._values = [0] * size
            self._total_count = 0
            self._total_value = 0
        else:
            counts, values, index = self._counts, self._values, self._origin_index
            for _ in range(steps):
                self._total_count -= counts[index]
                self._total_value -= values[index]
                counts[index] = 0
                values[index] = 0
                index = (index + 1) % size
        self._origin_index = (self._origin_index + steps) % size
        self._origin_ms += steps


def compact_rate_counters() -> None:
    """Have every ``RemoteBitrateEstimator`` made from now on count with ``CompactRateCounter``.

    ``RemoteBitrateEstimator.__init__`` looks ``RateCounter`` up in ``aiortc.rate`` when it runs,
    so replacing it there reaches every receiver created afterwards.
    """
    aiortc.rate.RateCounter = CompactRateCounter  # type: ignore[misc,assignment]
