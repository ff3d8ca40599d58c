"""The media room: one aiortc peer connection per participant, forwarding encoded frames.

Each participant has exactly one ``RTCPeerConnection`` with the server. The server is always
the offerer (so there is never glare): its first offer carries three receive-only m-lines
the participant publishes on (``audio``, ``video``, ``screen``), and every later offer adds
a send-only m-line per track the participant has come to receive. A participant answers
each offer; one negotiation is in flight per peer at a time, and changes that arrive
meanwhile are folded into the next offer.

Frames are never decoded: a :class:`Publication` takes the complete encoded frames a
receiver hands to its decoder (``aiortc_hooks.tap_receiver``) and pushes them to one
:class:`Subscription` per receiver, a track whose ``recv`` yields ``av.Packet`` objects that
aiortc packetises as they are. Whether a subscription is *open* is decided by
:func:`signaling.routing.flows` alone, re-evaluated on every change of the room's state;
a closed subscription is sent nothing (no RTP packet at all), whatever the publisher sends.
m-lines are never removed: a subscription that stops flowing is closed, not renegotiated,
so a caucus starts and ends without an offer/answer round trip.

Video is VP8 and audio Opus only (the codecs browsers offer by default, and what WebM
holds for the recorder). A subscriber's video starts at a keyframe: on opening, the
subscription drops frames until one arrives and asks the publisher for it (RTCP PLI);
a subscriber's own PLI/FIR is passed upstream the same way, coalesced to at most one PLI
per publisher every 0.3 s (deferred, never dropped — ``MEDIA_FORWARDING.md``).

aiortc has no ICE restart (aiortc issue #211). When a transport fails while the socket
lives, the participant starts a fresh peer connection (``start`` again), which replaces the
old one; subscriptions at others are keyed by (participant, kind), so they keep flowing
from the new publication without renegotiating anyone else.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver

from recordings.timeline import SenderBase, TransitClock
from recordings.webm import vp8_is_keyframe, vp8_size
from server.errors import InvalidInput, InvalidState
from signaling import aiortc_hooks
from signaling.background import Background
from signaling.quality import assess
from signaling.routing import RoomState, Track, TrackKind, flows
from signaling.subscription import Subscription, media_kind
from signaling.turn import DEFAULT_TTL_SECONDS, ice_servers_for

log = logging.getLogger(__name__)

PUBLISHED_KINDS: tuple[TrackKind, ...] = ("audio", "video", "screen")
#: A peer connection that has not closed by then is left behind (``close_within``).
PEER_CLOSE_SECONDS = 5.0
#: At most one upstream PLI per publication per this many seconds (later ones are deferred).
PLI_INTERVAL = 0.3

OfferSender = Callable[[dict[str, Any]], Awaitable[None]]
FailureHandler = Callable[[], Awaitable[None]]


async def close_within(pc: RTCPeerConnection, participant_id: str) -> None:
    """Close a peer connection, waiting at most ``PEER_CLOSE_SECONDS``.

    aiortc's ``close`` can wait forever (aiortc issue #283): once the far end has closed its
    DTLS side, aiortc starts its own close, and every later ``close`` awaits that one. A peer
    stuck so must not keep a session or a stopping process waiting: it is left behind, shielded
    (cancelling aiortc's close half-way would leave its transports open for good).
    """
    try:
        await asyncio.wait_for(asyncio.shield(pc.close()), timeout=PEER_CLOSE_SECONDS)
    except TimeoutError:
        log.warning("%s: the peer connection did not close within %ss; left behind", participant_id, PEER_CLOSE_SECONDS)


class FrameRecorder(Protocol):
    """What the media room needs of a recorder (``signaling.recorder.Recorder``)."""

    def follow(self, state: RoomState, consented: frozenset[str], publishing: set[tuple[str, str]]) -> None: ...
    def on_frame(
        self,
        participant_id: str,
        kind: str,
        source: object,
        clock_rate: int,
        timestamp: int,
        data: bytes,
        sender_time: float | None = None,
        transit: TransitClock | None = None,
    ) -> None: ...


def prefer(transceiver: RTCRtpTransceiver, kind: str) -> None:
    """VP8 for video and Opus for audio only: what we can forward, key-detect and record."""
    wanted = "video/VP8" if kind == "video" else "audio/opus"
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType in (wanted, "video/rtx")]
    transceiver.setCodecPreferences(codecs)


class Publication:
    """One track a participant sends to the server, fanned out to its open subscriptions."""

    def __init__(
        self, publisher_id: str, kind: TrackKind, receiver: RTCRtpReceiver | None, room: MediaRoom | None = None
    ) -> None:
        """``receiver`` is the aiortc receiver a browser's track arrives on; None for a phone line, which
        hands its frames to :meth:`deliver` itself (signaling/telephony/line.py)."""
        self.room = room
        self.publisher_id = publisher_id
        self.kind = kind
        self.receiver = receiver
        self.subscriptions: list[Subscription] = []
        self.frames_in = 0
        self.plis = 0
        #: The picture's width and height as sent, from the latest VP8 key frame: what is forwarded
        #: and recorded, unscaled (the server never decodes). Shown to the mediator (quality report).
        self.size: tuple[int, int] | None = None
        self._last_pli = 0.0
        self._pli_pending = False
        self._background = Background(log, f"keyframe request to {publisher_id}")
        #: The sender's wall clock at RTP time zero, from its RTCP sender reports (recordings/timeline.py).
        self.sender_base = SenderBase()
        #: Its RTP clock on the server's, learnt from every frame it delivers, recorded or not: a recorder
        #: that starts to follow it places even its first frames by when they were captured.
        self.transit = TransitClock()
        if receiver is not None:
            aiortc_hooks.tap_receiver(receiver, self._on_frame)
            aiortc_hooks.on_sender_report(receiver, self._on_sender_report)

    def _on_sender_report(self, wall: float, rtp_timestamp: int) -> None:
        self.sender_base.report(wall, rtp_timestamp)

    def _on_frame(self, codec: Any, frame: Any) -> None:
        sent = self.sender_base.sender_time(frame.timestamp, codec.clockRate)
        self.deliver(codec.clockRate, frame.timestamp, frame.data, sent)

    def deliver(self, clock_rate: int, timestamp: int, data: bytes, sent: float | None) -> None:
        """One complete encoded frame: to every open subscription, and to the recorder if one runs."""
        self.frames_in += 1
        if self.kind == "video" and vp8_is_keyframe(data) and len(data) >= 10:
            self.size = vp8_size(data)
        for subscription in self.subscriptions:
            subscription.push(self, clock_rate, timestamp, data)
        self.transit.place(timestamp / clock_rate, time.time())
        recorder = self.room.recorder if self.room is not None else None
        if recorder is not None:
            recorder.on_frame(self.publisher_id, self.kind, self, clock_rate, timestamp, data, sent, self.transit)

    def request_keyframe(self) -> None:
        if self.kind == "audio" or self._pli_pending:
            return
        self._pli_pending = True
        wait = max(0.0, self._last_pli + PLI_INTERVAL - time.monotonic())
        asyncio.get_running_loop().call_later(wait, self._send_pli)

    def _send_pli(self) -> None:
        self._pli_pending = False
        self._last_pli = time.monotonic()
        self.plis += 1
        self._background.spawn(self._pli())

    async def _pli(self) -> None:
        if self.receiver is None:
            return
        try:
            await aiortc_hooks.request_keyframe(self.receiver)
        except Exception:  # a closing transport: the next request will do
            log.debug("PLI to %s failed", self.publisher_id, exc_info=True)


@dataclass
class Peer:
    """A participant's one peer connection with the server."""

    participant_id: str
    pc: RTCPeerConnection
    send_offer: OfferSender
    on_failed: FailureHandler | None = None
    #: Which of the room's connections this is: offers carry it and answers echo it, since each
    #: new connection's offers count from revision 1 again (an answer to an older connection's
    #: offer 1 must not be taken for the newer's).
    connection: int = 0
    publish: dict[TrackKind, RTCRtpTransceiver] = field(default_factory=dict)
    subscriptions: dict[tuple[str, TrackKind], Subscription] = field(default_factory=dict)
    revision: int = 0
    awaiting: int | None = None
    dirty: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False
    stats: dict[str, float] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The offer's map from m-line to meaning, for the client (mids are assigned by then)."""
        return {
            "publish": {kind: t.mid for kind, t in self.publish.items()},
            "tracks": [
                {"mid": s.transceiver.mid, "participant_id": s.publisher_id, "kind": s.track_kind}
                for s in self.subscriptions.values()
                if s.transceiver is not None
            ],
        }


class Line(Protocol):
    """A participant with no peer connection: a phone caller (signaling/telephony/line.py).

    What they say arrives through :meth:`attach`'s publication; what they hear is what their
    audio subscriptions let through, which routing opens and closes as for anyone else.
    """

    participant_id: str
    subscriptions: dict[tuple[str, TrackKind], Subscription]

    def attach(self, publication: Publication) -> None: ...


class MediaRoom:
    """The media of one mediation session: peers, phone lines, publications and who receives what."""

    def __init__(self, session_id: str, configure: Callable[[str], RTCConfiguration]) -> None:
        self.session_id = session_id
        #: The configuration of the server's peer facing one participant (its TURN credentials are its own).
        self.configure = configure
        self.state = RoomState()
        #: The ``Room.revision`` that ``state`` comes from: an older state arriving later is ignored.
        self.revision = -1
        self.peers: dict[str, Peer] = {}
        #: Numbers the room's peer connections (``Peer.connection``).
        self._connections = itertools.count(1)
        #: One ``start`` of a participant at a time (see ``start``).
        self._starting: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.publications: dict[tuple[str, TrackKind], Publication] = {}
        self.lines: dict[str, Line] = {}
        self._background = Background(log, f"session {session_id}: media negotiation")
        #: The joint room's recorder while a recording runs, and who has consented to it.
        self.recorder: FrameRecorder | None = None
        self.consents: frozenset[str] = frozenset()

    # -- peers -------------------------------------------------------------------------------

    async def start(
        self,
        participant_id: str,
        state: RoomState,
        revision: int,
        send_offer: OfferSender,
        on_failed: FailureHandler | None = None,
    ) -> Peer:
        """A fresh peer for ``participant_id`` (replacing any older one) and its first offer.

        The state is taken before closing the old peer, which awaits: a private talk started
        meanwhile has already been applied, and this state must not undo it afterwards (it once
        did, and the joint room heard the caucus until the next change).

        Two starts of one participant run one after the other (a page that reconnected may start
        from its new socket while its old socket's start is still closing): the second would find
        nothing to close while the first was closing, and the first would then put its connection
        in the second's place, leaving that one open and never closed.
        """
        self._adopt(state, None, revision)
        async with self._starting[participant_id]:
            await self.close_peer(participant_id)
            pc = RTCPeerConnection(self.configure(participant_id))
            peer = Peer(participant_id, pc, send_offer, on_failed, connection=next(self._connections))
            self.peers[participant_id] = peer
            for kind in PUBLISHED_KINDS:
                transceiver = pc.addTransceiver(media_kind(kind), direction="recvonly")
                prefer(transceiver, media_kind(kind))
                peer.publish[kind] = transceiver

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                for kind, transceiver in peer.publish.items():
                    if transceiver.receiver.track is track:
                        self._publish(peer, kind, transceiver.receiver)

            @pc.on("connectionstatechange")
            async def on_state() -> None:
                if pc.connectionState == "failed" and not peer.closed and self.peers.get(participant_id) is peer:
                    log.info("session %s: media transport of %s failed", self.session_id, participant_id)
                    if peer.on_failed is not None:
                        await peer.on_failed()

            self._reconcile(renegotiate=False)
            await self.negotiate(peer)
            return peer

    def _publish(self, peer: Peer, kind: TrackKind, receiver: RTCRtpReceiver) -> None:
        self.publications[(peer.participant_id, kind)] = Publication(peer.participant_id, kind, receiver, self)
        log.info("session %s: %s publishes %s", self.session_id, peer.participant_id, kind)
        self._reconcile()

    async def negotiate(self, peer: Peer) -> None:
        """Send ``peer`` a new offer, or note that one is due once the pending answer is in."""
        async with peer.lock:
            if peer.closed:
                return
            if peer.awaiting is not None:
                peer.dirty = True
                return
            peer.dirty = False
            await peer.pc.setLocalDescription(await peer.pc.createOffer())
            peer.revision += 1
            peer.awaiting = peer.revision
            offer = {
                "revision": peer.revision,
                "connection": peer.connection,
                "sdp": peer.pc.localDescription.sdp,
                **peer.describe(),
            }
        await peer.send_offer(offer)

    async def answer(self, participant_id: str, revision: int, sdp: str, connection: int | None = None) -> None:
        """Apply the participant's answer to the offer ``revision`` of their connection ``connection``.

        Without ``connection`` (a client from before it was echoed) the revision alone decides.
        """
        peer = self.peers.get(participant_id)
        if peer is None:
            raise InvalidState("start media first")
        async with peer.lock:
            # Replaced while this answer waited for the lock: aiortc would apply it to the closed connection.
            if peer.closed or (connection is not None and connection != peer.connection):
                raise InvalidState(
                    f"this answer is to an earlier media connection (now {peer.connection}); answer the latest offer"
                )
            if peer.awaiting != revision:
                raise InvalidState(f"no offer {revision} is waiting for an answer (now {peer.awaiting})")
            try:
                await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            except Exception as exc:  # noqa: BLE001 - aiortc raises ValueError and several of its own errors for bad SDP
                log.info("session %s: answer of %s refused: %s", self.session_id, participant_id, type(exc).__name__)
                raise InvalidInput("the answer is not a valid SDP answer to the offer") from None
            peer.awaiting = None
            again = peer.dirty
        if again:
            await self.negotiate(peer)

    def add_line(self, line: Line, state: RoomState, revision: int) -> None:
        """A phone caller's line: their voice is published like a microphone, and they hear what routing lets through."""
        self.remove_line(line.participant_id)
        self._adopt(state, None, revision)
        self.lines[line.participant_id] = line
        publication = Publication(line.participant_id, "audio", None, self)
        self.publications[(line.participant_id, "audio")] = publication
        line.attach(publication)
        self._reconcile()

    def remove_line(self, participant_id: str) -> None:
        line = self.lines.pop(participant_id, None)
        if line is None:
            return
        self.publications.pop((participant_id, "audio"), None)
        for publication in self.publications.values():
            publication.subscriptions = [s for s in publication.subscriptions if s.receiver_id != participant_id]
        for subscription in line.subscriptions.values():
            subscription.open(False)
        self._reconcile()

    async def close_peer(self, participant_id: str) -> None:
        """Close a participant's peer. What others subscribed to of theirs stays, closed, for their return."""
        self.remove_line(participant_id)
        peer = self.peers.pop(participant_id, None)
        if peer is None:
            return
        peer.closed = True
        for kind in PUBLISHED_KINDS:
            self.publications.pop((participant_id, kind), None)
        for publication in self.publications.values():
            publication.subscriptions = [s for s in publication.subscriptions if s.receiver_id != participant_id]
        for subscription in peer.subscriptions.values():
            subscription.open(False)
            subscription.stop()
        self._reconcile()
        await close_within(peer.pc, participant_id)

    async def close(self) -> None:
        for participant_id in list(self.peers):
            await self.close_peer(participant_id)

    # -- routing -----------------------------------------------------------------------------

    def update(self, state: RoomState, consents: frozenset[str] | None, revision: int) -> None:
        """The room's state changed: open and close subscriptions (and add m-lines) to match."""
        if self._adopt(state, consents, revision):
            self._reconcile()

    def _adopt(self, state: RoomState, consents: frozenset[str] | None, revision: int) -> bool:
        """Take the room's state as of ``revision``, unless a later one is already here.

        Changes reach the media in the order their handlers resume, not the order they were
        made (a Redis transaction, a peer being closed, a room read back after another process's
        change all await): routing by an older state would reopen what a later change closed.
        """
        if revision < self.revision:
            return False
        self.state, self.revision = state, revision
        if consents is not None:
            self.consents = consents
        return True

    # -- recording ---------------------------------------------------------------------------

    def attach_recorder(self, recorder: FrameRecorder) -> None:
        self.recorder = recorder
        self._follow()

    def detach_recorder(self) -> None:
        self.recorder = None

    def request_keyframe(self, participant_id: str) -> None:
        publication = self.publications.get((participant_id, "video"))
        if publication is not None:
            publication.request_keyframe()

    def _follow(self) -> None:
        if self.recorder is not None:
            self.recorder.follow(self.state, self.consents, {(pid, kind) for pid, kind in self.publications})

    def _reconcile(self, renegotiate: bool = True) -> None:
        due: list[Peer] = []
        for (publisher_id, kind), publication in self.publications.items():
            track = Track(publisher_id, kind)
            for peer in self.peers.values():
                if peer.pc.signalingState == "closed":
                    # aiortc closes a connection itself once all its DTLS transports are closed
                    # (the page closed its side: RTCPeerConnection.__updateConnectionState), and the
                    # peer stays here until the participant's next media_start: nothing can be added
                    # to it, and trying would fail every change of the room for everyone (CI saw it).
                    continue
                should = flows(self.state, track, peer.participant_id)
                subscription = peer.subscriptions.get((publisher_id, kind))
                if subscription is None:
                    if not should:
                        continue
                    subscription = Subscription(publisher_id, peer.participant_id, kind)
                    transceiver = peer.pc.addTransceiver(subscription, direction="sendonly")
                    prefer(transceiver, subscription.kind)
                    subscription.transceiver = transceiver
                    # The subscriber's PLI/FIR goes to whichever publication feeds it at the time.
                    aiortc_hooks.on_keyframe_request(transceiver.sender, subscription.ask_keyframe)
                    aiortc_hooks.forward_encoded(transceiver.sender)
                    peer.subscriptions[(publisher_id, kind)] = subscription
                    if peer not in due:
                        due.append(peer)
                if subscription not in publication.subscriptions:
                    # New, or the publisher is back with a new publication: start from a keyframe.
                    publication.subscriptions.append(subscription)
                    subscription.on_need_keyframe = publication.request_keyframe
                    subscription.open(False)
                subscription.open(should)
            if kind == "audio":
                for line in self.lines.values():
                    self._route_to_line(line, publication, flows(self.state, track, line.participant_id))
        # Subscriptions whose publisher is not publishing at the moment stay closed.
        held = [*(p.subscriptions for p in self.peers.values()), *(line.subscriptions for line in self.lines.values())]
        for subscriptions in held:
            for key, subscription in subscriptions.items():
                if key not in self.publications:
                    subscription.open(False)
        if renegotiate:
            for peer in due:
                self._background.spawn(self.negotiate(peer))
        self._follow()

    @staticmethod
    def _route_to_line(line: Line, publication: Publication, should: bool) -> None:
        """A phone line's subscription to one voice: no m-line, its mixer takes the frames."""
        key = (publication.publisher_id, publication.kind)
        subscription = line.subscriptions.get(key)
        if subscription is None:
            if not should:
                return
            subscription = line.subscriptions[key] = Subscription(publication.publisher_id, line.participant_id, "audio")
        if subscription not in publication.subscriptions:
            publication.subscriptions.append(subscription)
            subscription.open(False)
        subscription.open(should)

    # -- quality -----------------------------------------------------------------------------

    async def quality(self) -> dict[str, dict[str, Any]]:
        """Per participant: what RTCP says of their link (loss both ways, round-trip time)."""
        out: dict[str, dict[str, Any]] = {}
        for participant_id, peer in list(self.peers.items()):
            try:
                report = await peer.pc.getStats()
            except Exception:  # noqa: BLE001 - a peer closing meanwhile has no report; skip it
                continue
            out[participant_id] = assess(peer.stats, report)
            camera = self.publications.get((participant_id, "video"))
            size = camera.size if camera is not None and camera.frames_in else None
            out[participant_id]["video"] = {"width": size[0], "height": size[1]} if size else None
        return out


def rtc_ice_servers(servers: list[dict[str, Any]]) -> list[RTCIceServer]:
    """aiortc's form of a list of RTCIceServer dicts (as settings and ``media_offer`` carry them).

    Always a list, possibly empty, never None: given None, aiortc falls back to a public STUN
    server of its own choosing (stun.l.google.com), which a deployment in China cannot reach
    and a test on loopback must not.
    """
    return [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in servers]


class MediaServer:
    """All media rooms of this process."""

    def __init__(
        self,
        ice_servers: list[dict[str, Any]],
        *,
        loopback: bool = False,
        turn_secret: str | None = None,
        turn_ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> None:
        if loopback:
            aiortc_hooks.allow_loopback_ice()
        aiortc_hooks.compact_rate_counters()
        self.ice_servers = ice_servers
        self.turn_secret = turn_secret
        self.turn_ttl_seconds = turn_ttl_seconds
        self.rooms: dict[str, MediaRoom] = {}

    def ice_servers_for(self, participant_id: str) -> list[dict[str, Any]]:
        """The ICE servers one participant's browser gets, with TURN credentials of their own (signaling/turn.py)."""
        return ice_servers_for(self.ice_servers, participant_id, secret=self.turn_secret, ttl_seconds=self.turn_ttl_seconds)

    def configuration(self, participant_id: str) -> RTCConfiguration:
        """The server's peer facing ``participant_id``: fresh TURN credentials, named after the server's side."""
        # max-bundle: with aiortc's default ("balanced"), video m-lines added after the first are
        # bound to that first video transport, which BUNDLE then discards: they never connect.
        return RTCConfiguration(
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
            iceServers=rtc_ice_servers(self.ice_servers_for(f"server-{participant_id}")),
        )

    def room(self, session_id: str) -> MediaRoom:
        room = self.rooms.get(session_id)
        if room is None:
            room = self.rooms[session_id] = MediaRoom(session_id, self.configuration)
        return room

    def get(self, session_id: str) -> MediaRoom | None:
        return self.rooms.get(session_id)

    def forwarded_streams(self) -> int:
        """Subscriptions open right now: each one a stream this process sends a receiver."""
        return sum(
            1
            for room in list(self.rooms.values())
            for peer in list(room.peers.values())
            for s in peer.subscriptions.values()
            if s.is_open
        )

    async def close_room(self, session_id: str) -> None:
        room = self.rooms.pop(session_id, None)
        if room is not None:
            await room.close()

    async def close(self) -> None:
        for session_id in list(self.rooms):
            await self.close_room(session_id)
