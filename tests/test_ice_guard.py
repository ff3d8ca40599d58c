"""The suite's watch on aiortc peers (tests/ice_guard.py) catches a peer left on aiortc's default."""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

from signaling.media import MediaServer
from tests import ice_guard


async def test_a_peer_without_ice_servers_or_with_unnamed_ones_is_caught() -> None:
    bare = RTCPeerConnection(RTCConfiguration())  # aiortc would ask stun.l.google.com
    bare.addTransceiver("audio")
    stranger = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer("stun:stun.example.net:3478")]))
    stranger.addTransceiver("audio")
    caught = list(ice_guard.unnamed)
    ice_guard.unnamed.clear()  # this test's own peers, on purpose
    await bare.close()
    await stranger.close()
    assert len(caught) == 2 and "stun.l.google.com" in caught[0] and "stun:stun.example.net:3478" in caught[1]


async def test_peers_on_the_servers_some_settings_named_pass() -> None:
    media = MediaServer([{"urls": ["stun:stun.named.invalid:3478"]}])
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer("stun:stun.named.invalid:3478")]))
    pc.addTransceiver("audio")
    empty = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    empty.addTransceiver("video")
    assert ice_guard.unnamed == []
    await pc.close()
    await empty.close()
    await media.close()
