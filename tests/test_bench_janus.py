"""`mediate bench media --compare janus`'s Janus side, briefly: the benchmark's own Janus forwards its peers' media on loopback (#24).

scripts/test installs Debian's janus (and gcc, which compiles the loopback shim). The figures
are the benchmark's business; here only what it relies on: Janus starts with the benchmark's
configuration, offers 127.0.0.1 (the preloaded shim at work), a pre-encoded publisher reaches a
subscriber through VideoRoom, a 3-person session delivers everyone's video to the other two,
and the comparison's last line has the form the README's table is regenerated from.
"""

from __future__ import annotations

import re

from server.bench import compare, janus
from server.bench.peers import FPS, ServerCpu, encode_audio, encode_video
from signaling import aiortc_hooks
from tests.signaling.live import eventually

SUMMARY = re.compile(r"cores per 3-person session: mediate \d+\.\d{3}, janus \d+\.\d{3}")


async def test_the_benchmarks_janus_forwards_a_pre_encoded_publisher_to_a_subscriber_on_loopback() -> None:
    aiortc_hooks.allow_loopback_ice()
    media = (encode_video(300, seconds=1), encode_audio())
    async with compare.janus_serving() as (http, base, pid):
        room = await janus.create_room(http, base, publishers=3)
        host = janus.JanusPeer(http, base, room, *media)
        await host.connect()
        feed = await host.publish()
        assert host.publisher is not None
        offered = [
            line.split()[4] for line in host.publisher.remoteDescription.sdp.splitlines() if line.startswith("a=candidate:")
        ]
        assert offered and set(offered) == {"127.0.0.1"}, offered

        guest = janus.JanusPeer(http, base, room, *media)
        await guest.connect()
        await guest.subscribe([feed])
        await eventually(lambda: guest.frames[(feed, "video")] >= FPS and guest.frames[(feed, "audio")] >= 10)
        for peer in (guest, host):
            await peer.close()

        # A 3-person session as the comparison builds it: each of the three receives the other two's video.
        session = await compare.janus_session(http, base, media)
        await eventually(
            lambda: all(peer.frames[(other.feed, "video")] >= FPS for peer in session for other in session if other is not peer)
        )
        cores = await ServerCpu(pid).cores(1.0)
        for peer in session:
            await peer.close()

    # The comparison's last line, with the one reading taken here in both places.
    assert SUMMARY.fullmatch(compare.summary_line(cores, cores)), compare.summary_line(cores, cores)
