"""``deploy/nginx/mediate.conf`` in front of two ``mediate serve`` processes, as an operator runs it.

Three people with three different browsers (three login cookies) open one session through nginx
over HTTPS. The pages add ``?session=<id>`` to their Socket.IO requests and nginx hashes on it,
so all three land on one process, the one that will carry the session's media; the other
process has none of them. Each process's own ``/metrics`` says where the connections are.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from tests.cluster.conftest import Cluster, ServeProcess
from tests.cluster.people import Browser, book
from tests.nginx import configure, running
from tests.signaling.live import eventually


async def connections(process: ServeProcess) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{process.url}/metrics") as res:
        text = await res.text()
    found = re.search(r"^mediate_signaling_connections (\S+)$", text, flags=re.M)
    assert found, text[:500]
    return int(float(found.group(1)))


async def test_everyone_in_a_session_reaches_the_same_process_through_nginx(cluster: Cluster, tmp_path: Path) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    nginx = configure(tmp_path / "nginx", [one.port, two.port])
    with running(nginx):
        async with aiohttp.ClientSession() as http:
            # Plain HTTP only redirects to HTTPS; the health checks answer through nginx.
            async with http.get(f"{nginx.http}/login", allow_redirects=False) as res:
                assert res.status == 301 and res.headers["Location"].startswith("https://")
            async with http.get(f"{nginx.https}/readyz", ssl=False) as res:
                assert res.status == 200 and (await res.json())["status"] == "ready"
            # Metrics are for this machine and the private networks (the test is on this machine).
            async with http.get(f"{nginx.https}/metrics", ssl=False) as res:
                assert res.status == 200 and "mediate_signaling_connections" in await res.text()

        liu = Browser(nginx.https, "刘")
        zhang, li = Browser(nginx.https, "张三"), Browser(nginx.https, "李四")
        try:
            await liu.login()
            _, session_id, links = await book(liu)
            await zhang.open_link(links["applicant"]["url"])
            await li.open_link(links["respondent"]["url"])
            host = await liu.join({"session_id": session_id}, session_id=session_id)
            applicant = await zhang.join(session_id=session_id)
            respondent = await li.join(session_id=session_id)

            # WebSockets pass through nginx, and all three are on one process.
            counts = [await connections(one), await connections(two)]
            assert sorted(counts) == [0, 3], counts

            # And they meet: the parties wait, the mediator admits them, chat reaches everyone.
            for link in (links["applicant"], links["respondent"]):
                assert await host.call("admit", {"participant_id": link["party_id"]}) == {"ok": True}
            await applicant.wait("admitted")
            await respondent.wait("admitted")
            assert (await applicant.call("chat", {"text": "你好"}))["ok"]
            await eventually(lambda: bool(host.of("chat")) and bool(respondent.of("chat")))
        finally:
            for browser in (liu, zhang, li):
                await browser.close()
