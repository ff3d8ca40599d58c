"""A process dies or stalls: the participants it held are let go, not left on everyone's screen.

Two ``mediate serve`` processes on one PostgreSQL and one Redis, the reconnection grace period
cut short. Cast: mediator 刘 on process 1; 张三 (applicant) and 李四 (respondent) on process 2.
"""

from __future__ import annotations

import asyncio
import signal

from tests.cluster.conftest import Cluster
from tests.cluster.people import Browser, book, state_of
from tests.signaling.live import Peer, eventually

#: signaling/presence.py takes a process for dead after 10 s of silence and looks every 2 s.
LET_GO_WITHIN = 20


def online(host: Peer, participant_id: str) -> bool | None:
    return next((p["online"] for p in host.view["participants"] if p["id"] == participant_id), None)


async def admitted_on_two(cluster: Cluster, grace: int) -> tuple[Browser, Browser, Browser, Peer, str, str]:
    cluster.extra_env["MEDIATE_RECONNECT_GRACE_SECONDS"] = str(grace)
    one, two = await cluster.start("one"), await cluster.start("two")
    liu, zhang, li = Browser(one.url, "刘"), Browser(two.url, "张三"), Browser(two.url, "李四")
    await liu.login()
    _, session_id, links = await book(liu)
    a, r = links["applicant"]["party_id"], links["respondent"]["party_id"]
    host = await liu.join({"session_id": session_id})
    for browser, role in ((zhang, "applicant"), (li, "respondent")):
        await browser.open_link(links[role]["url"])
        await browser.join()
    await eventually(lambda: state_of(host, a) == "waiting" and state_of(host, r) == "waiting")
    for pid in (a, r):
        assert await host.call("admit", {"participant_id": pid}) == {"ok": True}
    await eventually(lambda: state_of(host, a) == "admitted" and state_of(host, r) == "admitted")
    return liu, zhang, li, host, a, r


async def test_a_party_whose_process_was_killed_and_who_does_not_come_back_is_let_go(cluster: Cluster) -> None:
    liu, zhang, li, host, a, r = await admitted_on_two(cluster, grace=5)
    one, two = cluster.processes
    back = zhang.moved_to(one.url, "张三 again")
    try:
        assert two.proc is not None
        two.proc.kill()  # SIGKILL: process 2 runs nothing more, not even its disconnect handlers
        two.proc.wait()
        # 张三's browser reconnects through process 1 and keeps his place; 李四 closed her phone.
        again = await back.join()
        assert again.view["self"]["state"] == "admitted"
        seen_before = len(host.of("participants"))

        # The mediator sees 李四 reconnecting (no longer online), then, the grace period over, back in the waiting room.
        await eventually(lambda: state_of(host, r) == "reconnecting" and online(host, r) is False, within=LET_GO_WITHIN)
        await eventually(lambda: state_of(host, r) == "waiting", within=15)
        # 张三, who came back, was never let go.
        assert state_of(host, a) == "admitted" and online(host, a) is True
        since = host.of("participants")[seen_before:]
        assert since and all(
            p["state"] == "admitted" and p["online"] for view in since for p in view["participants"] if p["id"] == a
        )
    finally:
        for browser in (liu, zhang, li, back):
            await browser.close()


async def test_a_process_that_stalled_and_was_taken_for_dead_sends_its_parties_to_reconnect(cluster: Cluster) -> None:
    liu, zhang, li, host, a, r = await admitted_on_two(cluster, grace=20)
    _, two = cluster.processes
    try:
        assert two.proc is not None
        two.proc.send_signal(signal.SIGSTOP)  # frozen, as under a long stall: its sockets stay open
        try:
            await eventually(lambda: state_of(host, a) == "reconnecting", within=LET_GO_WITHIN)
        finally:
            two.proc.send_signal(signal.SIGCONT)
        # Awake again, process 2 finds itself let go and tells its connections to reconnect.
        for party in (zhang, li):
            told = await party.peer.wait("restarting")
            assert told["retry_after_ms"] > 0
        await eventually(lambda: not zhang.peer.sio.connected and not li.peer.sio.connected, within=10)
        # They connect again (here, to the same process) within the grace period and are seated where they were.
        for party in (zhang, li):
            party.peer = Peer(party.peer.name)
            again = await party.join()
            assert again.view["self"]["state"] == "admitted"
        await eventually(lambda: state_of(host, a) == "admitted" and state_of(host, r) == "admitted")
        assert online(host, a) is True and online(host, r) is True
        # And process 2 is counted alive again: it still holds them (nothing is let go a second time).
        await asyncio.sleep(4)
        assert state_of(host, a) == "admitted" and state_of(host, r) == "admitted"
    finally:
        for browser in (liu, zhang, li):
            await browser.close()
