"""A session's media lives in one process even when its people are connected to two.

刘 (mediator) is connected to process 1 and starts his camera first: process 1 now carries the
session's media. 张三 and 李四 are connected to process 2; their ``media_start`` and answers are
carried to process 1, which sends them its offers through Socket.IO's Redis manager, and their
audio and video flow straight to process 1 (aiortc peers on loopback, counting decoded frames).
The caucus rule holds in the media, not only in the room: during a caucus with 张三, 李四
receives nothing from the other two.
"""

from __future__ import annotations

import asyncio
import io
import re
import time

import aiohttp

from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import Cluster, ServeProcess
from tests.cluster.people import Browser, book
from tests.signaling.live import eventually
from tests.signaling.media_client import MediaClient


async def gauge(process: ServeProcess, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{process.url}/metrics") as res:
        text = await res.text()
    found = re.search(rf"^{name} (\S+)$", text, flags=re.M)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def video_from(client: MediaClient, publisher: str) -> int:
    return sum(n for (pid, kind), n in client.frames.items() if pid == publisher and kind == "video")


async def frames_reach(client: MediaClient, publisher_id: str, count: int) -> None:
    await eventually(lambda: video_from(client, publisher_id) >= count, within=30)


async def test_parties_on_another_process_send_and_receive_media_through_the_sessions_process(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    liu = Browser(one.url, "刘")
    zhang, li = Browser(two.url, "张三"), Browser(two.url, "李四")
    clients: list[MediaClient] = []
    try:
        await liu.login()
        case, session_id, links = await book(liu)
        a, r = links["applicant"]["party_id"], links["respondent"]["party_id"]
        host = await liu.join({"session_id": session_id})
        await zhang.open_link(links["applicant"]["url"])
        await li.open_link(links["respondent"]["url"])
        applicant, respondent = await zhang.join(), await li.join()
        for pid in (a, r):
            assert await host.call("admit", {"participant_id": pid}) == {"ok": True}
        await applicant.wait("admitted")
        await respondent.wait("admitted")
        h = host.view["self"]["id"]

        mh, ma, mr = MediaClient(host), MediaClient(applicant), MediaClient(respondent)
        clients += [mh, ma, mr]
        assert await mh.start() == {"ok": True}
        assert await ma.start() == {"ok": True}  # carried from process 2 to process 1
        assert await mr.start() == {"ok": True}

        # Everyone's video reaches everyone else, and every peer connection is to process 1.
        def all_see_all() -> bool:
            pairs = ((mh, a), (mh, r), (ma, h), (ma, r), (mr, h), (mr, a))
            return all(video_from(c, p) >= 10 for c, p in pairs)

        await eventually(all_see_all, within=30)
        assert await gauge(one, "mediate_participants") == 3
        assert await gauge(two, "mediate_participants") == 0
        assert await gauge(one, "mediate_live_sessions") == 1

        # A caucus with 张三: 李四 (on process 2) receives no frames from 刘 or 张三 while it lasts.
        assert (await host.call("caucus_start", {"caucus_id": "c1", "member_ids": [a]}))["ok"]
        await respondent.wait("caucus_notice")
        # Frames already on the wire when it started have arrived (on a loaded machine, more than a fixed
        # pause's worth): 李四's counts stand still while 张三 goes on receiving 刘.
        deadline = time.monotonic() + 30
        while True:
            before = {p: mr.from_(p) for p in (h, a)}
            await frames_reach(ma, h, video_from(ma, h) + 5)
            if {p: mr.from_(p) for p in (h, a)} == before:
                break
            assert time.monotonic() < deadline, "the caucus leaked into the main room"
        seen_by_applicant = video_from(ma, h)
        await asyncio.sleep(2.0)
        assert {p: mr.from_(p) for p in (h, a)} == before, "the caucus leaked into the main room"
        assert video_from(ma, h) > seen_by_applicant + 10, "the caucus members still see each other"
        assert (await host.call("caucus_end", {"caucus_id": "c1"}))["ok"]
        resumed = mr.from_(h)
        await eventually(lambda: mr.from_(h) > resumed + 10, within=10)

        # 李四 leaves (his connection, on process 2, drops): process 1 closes his peer.
        await mr.close()
        await li.close()
        for _ in range(150):  # 30 s and more, for a loaded machine
            if await gauge(one, "mediate_participants") == 2:
                break
            await asyncio.sleep(0.2)
        assert await gauge(one, "mediate_participants") == 2

        bundle = await liu.call("POST", f"/cases/{case['id']}/evidence/bundle")
        report = verify_bundle(io.BytesIO(bundle))
        assert report.ok, render(report, "en")
    finally:
        for client in clients:
            await client.close()
        for browser in (liu, zhang, li):
            await browser.close()
