"""A recorded three-person session across two processes, for the tests that stop its media's process.

刘 (mediator) is connected to process 1 and starts media first, so process 1 carries the session's
media and writes its recording; 张三 and 李四 are connected to process 2, bind keys by SMS code,
consent, and start media again when told ``media_failed`` (as web/js/rtc.js does).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from server.evidence.records import DeviceKey, b64, unb64
from tests.cluster.conftest import Cluster, ServeProcess
from tests.cluster.people import Browser, book
from tests.cluster.test_media_across_processes import video_from
from tests.signaling.live import NS, Peer, eventually
from tests.signaling.media_client import MediaClient


def plain(url: str) -> str:
    """asyncpg's form of a SQLAlchemy database URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def latest_code(database_url: str) -> str:
    """The SMS the gateway would have delivered (the outbox keeps it)."""
    db = await asyncpg.connect(plain(database_url))
    try:
        body: str | None = await db.fetchval("SELECT body FROM outbox WHERE kind = 'otp' ORDER BY id DESC LIMIT 1")
    finally:
        await db.close()
    assert body is not None
    return next(word for word in body.replace("，", " ").replace("是", " ").split() if word.isdigit() and len(word) == 6)


async def bind_key(cluster: Cluster, party: Browser) -> DeviceKey:
    key = DeviceKey.generate({"kind": "party", "id": "ignored"})
    started = await party.call("POST", "/party/keys/device", {"spki": b64(key.info.spki)}, 201)
    code = await latest_code(cluster.database_url)
    body = {"code": code, "signature": key.sign(unb64(started["statement"]))["sig"]}
    await party.call("POST", f"/party/keys/device/{started['challenge']}", body, 201)
    return key


async def consent(peer: Peer, key: DeviceKey) -> None:
    request = await peer.call("consent_prepare", {})
    assert request["ok"], request
    given = await peer.call(
        "consent_give", {"challenge": request["challenge"], "signature": key.sign(unb64(request["statement"]))["sig"]}
    )
    assert given["ok"], given


def restarts_on_failure(client: MediaClient) -> MediaClient:
    """What web/js/rtc.js does on ``media_failed``: start media again."""

    async def again() -> None:
        await asyncio.sleep(0.2)
        await client.start()

    def failed(data: Any) -> None:
        client.peer.got.setdefault("media_failed", []).append(data)
        client._tasks.add(asyncio.ensure_future(again()))

    client.peer.sio.on("media_failed", failed, namespace=NS)
    return client


@dataclass
class RecordedMeeting:
    liu: Browser
    zhang: Browser
    li: Browser
    case: dict[str, Any]
    session_id: str
    h: str
    a: str
    r: str
    host: Peer
    applicant: Peer
    respondent: Peer
    mh: MediaClient
    ma: MediaClient
    mr: MediaClient
    #: ``record_start``'s ack.
    started: dict[str, Any] = field(default_factory=dict)
    clients: list[MediaClient] = field(default_factory=list)
    browsers: list[Browser] = field(default_factory=list)

    def all_see_all(self, host_client: MediaClient, at_least: dict[tuple[int, str], int]) -> bool:
        """Every one of the three decodes ten more video frames of each other one than ``at_least``."""
        h, a, r = self.h, self.a, self.r
        pairs = ((host_client, a), (host_client, r), (self.ma, h), (self.ma, r), (self.mr, h), (self.mr, a))
        return all(video_from(c, p) >= at_least.get((id(c), p), 0) + 10 for c, p in pairs)

    def frames_seen(self) -> dict[tuple[int, str], int]:
        """Video frames the parties have decoded so far, by (client, publisher)."""
        return {(id(c), p): video_from(c, p) for c in (self.ma, self.mr) for p in (self.h, self.a, self.r)}

    def liu_moved_to(self, process: ServeProcess) -> Browser:
        """刘's browser reconnecting to another process (as through nginx after his process went)."""
        browser = self.liu.moved_to(process.url, "刘 (again)")
        self.browsers.append(browser)
        return browser

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        for browser in self.browsers:
            await browser.close()


async def recorded_meeting(cluster: Cluster, one: ServeProcess, two: ServeProcess) -> RecordedMeeting:
    """刘 on ``one``, the parties on ``two``; everyone sees everyone, both consent, 刘 records."""
    liu = Browser(one.url, "刘")
    zhang, li = Browser(two.url, "张三"), Browser(two.url, "李四")
    browsers = [liu, zhang, li]
    try:
        await liu.login()
        case, session_id, links = await book(liu)
        a, r = links["applicant"]["party_id"], links["respondent"]["party_id"]
        await zhang.open_link(links["applicant"]["url"])
        await li.open_link(links["respondent"]["url"])
        keys = {a: await bind_key(cluster, zhang), r: await bind_key(cluster, li)}
        host = await liu.join({"session_id": session_id})
        applicant, respondent = await zhang.join(), await li.join()
        for pid in (a, r):
            assert await host.call("admit", {"participant_id": pid}) == {"ok": True}
        await applicant.wait("admitted")
        await respondent.wait("admitted")
        mh = MediaClient(host)
        ma, mr = restarts_on_failure(MediaClient(applicant)), restarts_on_failure(MediaClient(respondent))
        meeting = RecordedMeeting(
            liu, zhang, li, case, session_id, host.view["self"]["id"], a, r, host, applicant, respondent, mh, ma, mr,
            clients=[mh, ma, mr], browsers=browsers,
        )  # fmt: skip
    except BaseException:
        for browser in browsers:
            await browser.close()
        raise
    try:
        for client in (mh, ma, mr):
            assert await client.start() == {"ok": True}
        await eventually(lambda: meeting.all_see_all(mh, {}), within=30)
        await consent(applicant, keys[a])  # carried to process 1
        await consent(respondent, keys[r])
        meeting.started = await host.call("record_start", {})
        assert meeting.started["ok"], meeting.started
        return meeting
    except BaseException:
        await meeting.close()
        raise
