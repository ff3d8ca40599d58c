"""The process carrying a live, recorded session's media is killed (SIGKILL); the session goes on.

刘 is connected to process 1, which carries the media and writes the recording; 张三 and 李四
are connected to process 2. Process 1 is killed without warning. Process 2 notices within a few
seconds and tells its participants ``media_failed``; they start media again (as the web page
does), process 2 claims the session, marks process 1's recording interrupted (a signed
``recording_interrupted`` record naming the last segment written) and resumes recording,
continuing the same chain. 刘's browser reconnects to process 2 (as it would through nginx).
Everyone sees everyone again, and the exported bundle verifies with the gap on record.
"""

from __future__ import annotations

import asyncio
import io
import signal
import time
from typing import Any

import asyncpg

from server.evidence.records import DeviceKey, b64, unb64
from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import Cluster
from tests.cluster.people import Browser, book
from tests.cluster.test_media_across_processes import gauge, video_from
from tests.signaling.live import NS, Peer, eventually
from tests.signaling.media_client import MediaClient

#: From the kill to everyone seeing everyone again through process 2 (detection takes ~4 s).
BACK_WITHIN = 30.0


def plain(url: str) -> str:
    """asyncpg's form of a SQLAlchemy database URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def latest_code(database_url: str) -> str:
    """The SMS the gateway would have delivered (the outbox keeps it)."""
    db = await asyncpg.connect(plain(database_url))
    try:
        body = await db.fetchval("SELECT body FROM outbox WHERE kind = 'otp' ORDER BY id DESC LIMIT 1")
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


async def test_killing_the_media_process_moves_the_session_and_the_recording_keeps_a_logged_gap(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    liu = Browser(one.url, "刘")
    zhang, li = Browser(two.url, "张三"), Browser(two.url, "李四")
    liu_again: Browser | None = None
    clients: list[MediaClient] = []
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
        h = host.view["self"]["id"]

        mh = MediaClient(host)
        ma, mr = restarts_on_failure(MediaClient(applicant)), restarts_on_failure(MediaClient(respondent))
        clients += [mh, ma, mr]
        for client in (mh, ma, mr):
            assert await client.start() == {"ok": True}

        def all_see_all(host_client: MediaClient, at_least: dict[tuple[int, str], int]) -> bool:
            pairs = ((host_client, a), (host_client, r), (ma, h), (ma, r), (mr, h), (mr, a))
            return all(video_from(c, p) >= at_least.get((id(c), p), 0) + 10 for c, p in pairs)

        await eventually(lambda: all_see_all(mh, {}), within=30)
        assert await gauge(one, "mediate_participants") == 3

        # Both parties consent (their events are carried to process 1) and 刘 records.
        await consent(applicant, keys[a])
        await consent(respondent, keys[r])
        started = await host.call("record_start", {})
        assert started["ok"], started
        first_recording = started["recording"]
        await asyncio.sleep(5.0)  # segments of 1.5 s are written and manifested

        # Process 1 is killed: no drain, no goodbye.
        assert one.proc is not None
        one.proc.send_signal(signal.SIGKILL)
        one.proc.wait(timeout=10)
        killed_at = time.monotonic()
        seen = {(id(c), p): video_from(c, p) for c in (ma, mr) for p in (h, a, r)}

        # 刘's browser reconnects; with nginx in front it would reach a living process.
        liu_again = liu.moved_to(two.url, "刘 (again)")
        host_again = await liu_again.join({"session_id": session_id})
        mh2 = MediaClient(host_again)
        clients.append(mh2)
        # The parties were told to start again; 刘's page starts media on its new connection.
        await eventually(lambda: len(respondent.of("media_failed")) >= 1 and len(applicant.of("media_failed")) >= 1, within=15)
        for _ in range(20):
            ack = await mh2.start()
            if ack.get("ok"):
                break
            await asyncio.sleep(0.5)  # a moment ago, or the dead process's claim not yet dropped
        await eventually(lambda: all_see_all(mh2, seen), within=BACK_WITHIN)
        back_after = time.monotonic() - killed_at
        assert back_after < BACK_WITHIN
        assert await gauge(two, "mediate_participants") == 3

        # Recording resumed on process 2 by itself; 刘 stops it a few seconds later.
        def resumed() -> bool:
            recording = host_again.view["recording"]
            return bool(recording["active"]) and recording["since"] != started["since"]

        await eventually(resumed, within=10)
        await asyncio.sleep(4.0)
        stopped = await host_again.call("record_stop", {})
        assert stopped["ok"] and stopped["recording"] != first_recording, stopped

        bundle = await liu_again.call("POST", f"/cases/{case['id']}/evidence/bundle")
        report = verify_bundle(io.BytesIO(bundle))
        assert report.ok, render(report, "en")
        assert "recording_interrupted" in [record.type for record in report.records]
        statuses = {rec["recording"]: rec["status"] for rec in report.recordings}
        assert statuses[first_recording] == "interrupted", statuses
        assert statuses[stopped["recording"]] == "complete", statuses
        db = await asyncpg.connect(plain(cluster.database_url))
        try:
            rows = await db.fetch(
                "SELECT id, status, previous_id, base_index, last_index FROM recordings WHERE session_id = $1 ORDER BY started_at",
                session_id,
            )
        finally:
            await db.close()
        assert [row["id"] for row in rows] == [first_recording, stopped["recording"]]
        assert rows[0]["last_index"] >= 3, "what process 1 wrote before it died is kept"
        assert rows[1]["previous_id"] == first_recording and rows[1]["base_index"] == rows[0]["last_index"]
        print(f"back on process 2 {back_after:.1f} s after the kill")
    finally:
        for client in clients:
            await client.close()
        for browser in (liu, zhang, li, liu_again):
            if browser is not None:
                await browser.close()
