"""Two ``mediate serve`` processes on one PostgreSQL and one Redis: a mediator on process 1 and
the parties on process 2 meet in one session, and the session's rules hold across them.

Real processes, real Socket.IO clients (each connected to its own process), real HTTP. Cast:
mediator 刘 (liu) on process 1; 张三 (applicant) and 李四 (respondent) open their links on
process 2 and connect there.
"""

from __future__ import annotations

import asyncio
import io

import socketio

from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import Cluster
from tests.cluster.people import Browser, book, state_of
from tests.signaling.live import NS, PATIENCE, Peer, eventually


async def test_a_mediator_on_one_process_and_parties_on_another_meet_and_the_rules_hold(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    liu = Browser(one.url, "刘")
    zhang, li = Browser(two.url, "张三"), Browser(two.url, "李四")
    try:
        await liu.login()
        case, session_id, links = await book(liu)
        a, r = links["applicant"]["party_id"], links["respondent"]["party_id"]

        host = await liu.join({"session_id": session_id})
        await zhang.open_link(links["applicant"]["url"])
        await li.open_link(links["respondent"]["url"])
        applicant, respondent = await zhang.join(), await li.join()

        # The waiting room, across processes: the mediator (process 1) sees both parties (process 2) waiting.
        await eventually(lambda: state_of(host, a) == "waiting" and state_of(host, r) == "waiting")
        assert applicant.view["self"]["state"] == "waiting"
        # A waiting party cannot let themself or the other in, from either process.
        refused = await applicant.call("admit", {"participant_id": a})
        assert refused["error"]["code"] == "forbidden"

        for pid in (a, r):
            assert await host.call("admit", {"participant_id": pid}) == {"ok": True}
        await applicant.wait("admitted")
        await respondent.wait("admitted")
        # Each party sees the other in the room (parties see who is there, not their states).
        await eventually(lambda: any(p["id"] == a for p in respondent.view["participants"]))

        # Chat in the joint session reaches everyone, wherever they are connected.
        assert (await applicant.call("chat", {"text": "我同意先谈工资的事"}))["ok"]
        await host.wait("chat")
        await respondent.wait("chat")

        # A caucus with the applicant: the respondent is told, and hears none of it.
        assert (await host.call("caucus_start", {"caucus_id": "c1", "member_ids": [a]}))["ok"]
        notice = await respondent.wait("caucus_notice")
        assert notice == {"active": True}
        assert (await applicant.call("chat", {"text": "其实我可以接受分期付款"}))["ok"]
        await eventually(lambda: len(host.of("chat")) == 2)  # the mediator, on the other process
        assert host.of("chat")[-1]["text"] == "其实我可以接受分期付款"
        await respondent.barrier()
        await asyncio.sleep(0.5)
        assert [c["text"] for c in respondent.of("chat")] == ["我同意先谈工资的事"]
        assert (await host.call("caucus_end", {"caucus_id": "c1"}))["ok"]
        await eventually(lambda: respondent.of("caucus_notice")[-1] == {"active": False})

        # The mediator removes the respondent: their connection, on the other process, is closed.
        assert await host.call("remove", {"participant_id": r}) == {"ok": True}
        await respondent.wait("removed")
        await eventually(lambda: not respondent.sio.connected)
        # Coming back through the other process does not help: the room, shared, knows them removed.
        again = Peer("李四 again")
        cookie = next(m.value for m in li.http.cookie_jar if m.key == "mediate_session")
        try:
            await again.sio.connect(
                one.url,
                headers={"Cookie": f"mediate_session={cookie}"},
                namespaces=[NS],
                transports=["websocket"],
                wait_timeout=PATIENCE,
            )
        except socketio.exceptions.ConnectionError:
            pass
        assert again.refusal is not None and again.refusal["data"]["code"] == "forbidden", again.refusal

        # Both processes wrote to the case's evidence log; exported from either, it verifies.
        bundle = await liu.call("POST", f"/cases/{case['id']}/evidence/bundle")
        report = verify_bundle(io.BytesIO(bundle))
        assert report.ok, render(report, "en")
    finally:
        for browser in (liu, zhang, li):
            await browser.close()
