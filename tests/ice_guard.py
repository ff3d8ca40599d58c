"""Every aiortc peer of the suite stays on the ICE servers the settings named (issue #19, item 10).

aiortc, given no ``iceServers`` (None), asks a public STUN server of its own choosing
(stun.l.google.com) and gathers on every interface: a test would then depend on the internet,
and a benchmark would send traffic where nobody configured it. This plug-in watches, without
replacing anything, every ``RTCIceGatherer`` aiortc builds (one per peer connection's transport,
the object that actually contacts STUN/TURN servers) and every ``MediaServer`` (which holds the
servers a test's settings named). A test during which a gatherer was built with aiortc's default
or with a server no settings named fails at teardown, naming the servers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc.rtcicetransport import RTCIceGatherer

from signaling.media import MediaServer

#: URLs some settings of this run named (a MediaServer was built with them). Kept for the whole
#: run: a server may be built by a fixture wider than the test whose peers use it.
named: set[str] = set()
#: What went wrong, one line per gatherer built with servers nobody named.
unnamed: list[str] = []


def urls_of(server: Any) -> list[str]:
    urls = server["urls"] if isinstance(server, dict) else server.urls
    return [urls] if isinstance(urls, str) else list(urls)


def _watch() -> None:
    if getattr(RTCIceGatherer.__init__, "__ice_guard__", False):
        return
    gatherer_init = RTCIceGatherer.__init__
    server_init = MediaServer.__init__

    @functools.wraps(gatherer_init)
    def gatherer(self: RTCIceGatherer, iceServers: Any = None, *args: Any, **kwargs: Any) -> None:
        if iceServers is None:
            unnamed.append("a peer was built without iceServers: aiortc would ask stun.l.google.com")
        else:
            strangers = [url for server in iceServers for url in urls_of(server) if url not in named]
            if strangers:
                unnamed.append(f"a peer was built with ICE servers no settings named: {strangers}")
        gatherer_init(self, iceServers, *args, **kwargs)

    @functools.wraps(server_init)
    def server(self: MediaServer, ice_servers: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        named.update(url for entry in ice_servers for url in urls_of(entry))
        server_init(self, ice_servers, *args, **kwargs)

    gatherer.__ice_guard__ = True  # type: ignore[attr-defined]
    RTCIceGatherer.__init__ = gatherer  # type: ignore[method-assign]
    MediaServer.__init__ = server  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def ice_servers_named_by_settings() -> Iterator[None]:
    """Fail the test if any aiortc peer in it reached for ICE servers the settings did not name."""
    _watch()
    unnamed.clear()
    yield
    found = list(unnamed)
    unnamed.clear()
    assert not found, "; ".join(found)
