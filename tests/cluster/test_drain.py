"""The process carrying a live, recorded session's media is stopped in good order (SIGTERM).

A rolling restart: 刘 is connected to process 1, which carries the media and records; 张三 and
李四 are connected to process 2. Process 1 gets SIGTERM. It finishes the recording (complete,
ended ``server_stopped``, its last manifest signed), hands the session over (signaling/owners.py)
and tells 刘 ``restarting``. Process 2 tells its participants ``media_failed`` at once, without
waiting for a death to be noticed; they start media again, process 2 claims the session and,
finding the note that it was being recorded, records again on the same chain. 刘 reconnects to
process 2 (as through nginx). Everyone sees everyone, and the bundle verifies with both
recordings complete and the gap between them on record.
"""

from __future__ import annotations

import asyncio
import io
import signal
import time

import asyncpg

from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import Cluster
from tests.cluster.people import Browser, book
from tests.cluster.test_failover import bind_key, consent, plain, restarts_on_failure
from tests.cluster.test_media_across_processes import video_from
from tests.signaling.live import eventually
from tests.signaling.media_client import MediaClient

#: From SIGTERM to everyone seeing everyone again through process 2.
BACK_WITHIN = 30.0


async def test_stopping_the_media_process_hands_the_session_over_and_recording_goes_on(cluster: Cluster) -> None:
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
        await consent(applicant, keys[a])
        await consent(respondent, keys[r])
        started = await host.call("record_start", {})
        assert started["ok"], started
        first_recording = started["recording"]
        await asyncio.sleep(4.0)

        # A rolling restart reaches process 1.
        assert one.proc is not None
        one.proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        await eventually(lambda: bool(host.of("restarting")), within=15)
        # Process 2's participants are told at once, not after a death is noticed.
        await eventually(lambda: bool(applicant.of("media_failed")) and bool(respondent.of("media_failed")), within=10)
        told_after = time.monotonic() - stopped_at
        assert one.proc.wait(timeout=60) == 0, one.log.read_text()[-3000:]
        seen = {(id(c), p): video_from(c, p) for c in (ma, mr) for p in (h, a, r)}

        liu_again = liu.moved_to(two.url, "刘 (again)")
        host_again = await liu_again.join({"session_id": session_id})
        mh2 = MediaClient(host_again)
        clients.append(mh2)
        assert (await mh2.start())["ok"]
        await eventually(lambda: all_see_all(mh2, seen), within=BACK_WITHIN)
        back_after = time.monotonic() - stopped_at

        # Recording goes on by itself on process 2; 刘 stops it a few seconds later.
        def resumed() -> bool:
            recording = host_again.view["recording"]
            return bool(recording["active"]) and recording["since"] != started["since"]

        await eventually(resumed, within=10)
        await asyncio.sleep(3.0)
        stopped = await host_again.call("record_stop", {})
        assert stopped["ok"] and stopped["recording"] != first_recording, stopped

        bundle = await liu_again.call("POST", f"/cases/{case['id']}/evidence/bundle")
        report = verify_bundle(io.BytesIO(bundle))
        assert report.ok, render(report, "en")
        assert "recording_interrupted" not in [record.type for record in report.records]
        ends = {rec["recording"]: (rec["status"], rec["end_reason"]) for rec in report.recordings}
        assert ends[first_recording] == ("complete", "server_stopped"), ends
        assert ends[stopped["recording"]] == ("complete", "stopped_by_mediator"), ends
        db = await asyncpg.connect(plain(cluster.database_url))
        try:
            rows = await db.fetch(
                "SELECT id, previous_id, base_index, last_index FROM recordings WHERE session_id = $1 ORDER BY started_at",
                session_id,
            )
        finally:
            await db.close()
        assert [row["id"] for row in rows] == [first_recording, stopped["recording"]]
        assert rows[1]["previous_id"] == first_recording and rows[1]["base_index"] == rows[0]["last_index"] >= 2
        print(f"participants elsewhere told {told_after:.1f} s after SIGTERM; all back {back_after:.1f} s after it")
    finally:
        for client in clients:
            await client.close()
        for browser in (liu, zhang, li, liu_again):
            if browser is not None:
                await browser.close()
