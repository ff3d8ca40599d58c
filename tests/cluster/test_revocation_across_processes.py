"""Withdrawing a credential on one process ends its live connections on another (#19, item 3).

Two real ``mediate serve`` processes on one PostgreSQL and one Redis. Cast: mediator 刘 logs in
and connects on process 1; 张三 (applicant) and 李四 (respondent) open their links and connect on
process 2. Each withdrawal is made over HTTP on the process that does *not* hold the connection.
"""

from __future__ import annotations

import time

from tests.cluster.conftest import Cluster
from tests.cluster.people import Browser, book
from tests.signaling.live import Peer, eventually

#: The promise is a second; the waits allow for two loaded cores and processes started alongside.
WITHIN = 10.0


async def ended(peer: Peer, reason: str) -> float:
    """``peer`` is told why, then disconnected; returns when (monotonic) that was seen."""
    await eventually(lambda: bool(peer.of("revoked")) and not peer.sio.connected, within=WITHIN)
    assert peer.of("revoked")[-1]["reason"] == reason, peer.of("revoked")
    return time.monotonic()


async def test_revoking_a_link_and_logging_out_on_one_process_end_connections_held_by_the_other(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    liu = Browser(one.url, "刘")
    zhang, li = Browser(two.url, "张三"), Browser(two.url, "李四")
    liu_on_two = None
    try:
        await liu.login()
        _case, session_id, links = await book(liu)
        a = links["applicant"]["party_id"]
        host = await liu.join({"session_id": session_id})
        await zhang.open_link(links["applicant"]["url"])
        await li.open_link(links["respondent"]["url"])
        applicant, respondent = await zhang.join(), await li.join()
        assert await host.call("admit", {"participant_id": a}) == {"ok": True}
        await applicant.wait("admitted")

        # The mediator, on process 1, revokes the applicant's link; the applicant is on process 2.
        began = time.monotonic()
        await liu.call("DELETE", f"/sessions/{session_id}/links/{a}", expect=204)
        seen = await ended(applicant, "link_revoked")
        print(f"link revoked on process 1, connection on process 2 ended after {seen - began:.3f} s")
        assert respondent.sio.connected and host.sio.connected

        # The mediator's login cookie, used on process 2 to log out; the live page is on process 1.
        liu_on_two = liu.moved_to(two.url, "刘 on two")
        began = time.monotonic()
        await liu_on_two.call("POST", "/auth/logout", expect=204)
        seen = await ended(host, "logged_out")
        print(f"logged out on process 2, connection on process 1 ended after {seen - began:.3f} s")
        assert respondent.sio.connected
    finally:
        for browser in (liu, zhang, li, *([liu_on_two] if liu_on_two else [])):
            await browser.close()
