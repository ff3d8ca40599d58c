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

import asyncpg

from server.evidence.verify import render, verify_bundle
from tests.cluster.conftest import Cluster
from tests.cluster.recorded import plain, recorded_meeting
from tests.cluster.test_media_across_processes import gauge
from tests.signaling.live import eventually
from tests.signaling.media_client import MediaClient

#: From the kill to everyone seeing everyone again through process 2 (detection takes ~4 s).
BACK_WITHIN = 30.0


async def written(cluster: Cluster, recording_id: str, segments: int) -> None:
    """Wait until the recording's row counts ``segments`` stored segments (a fixed pause is not enough under load)."""
    db = await asyncpg.connect(plain(cluster.database_url))
    try:
        deadline = time.monotonic() + 60
        while (await db.fetchval("SELECT last_index FROM recordings WHERE id = $1", recording_id) or 0) < segments:
            assert time.monotonic() < deadline, f"fewer than {segments} segments of {recording_id} were written"
            await asyncio.sleep(0.2)
    finally:
        await db.close()


async def test_killing_the_media_process_moves_the_session_and_the_recording_keeps_a_logged_gap(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    m = await recorded_meeting(cluster, one, two)
    try:
        assert await gauge(one, "mediate_participants") == 3
        first_recording = m.started["recording"]
        await written(cluster, first_recording, 3)  # segments of 1.5 s, however long a loaded machine takes

        # Process 1 is killed: no drain, no goodbye.
        assert one.proc is not None
        one.proc.send_signal(signal.SIGKILL)
        one.proc.wait(timeout=10)
        killed_at = time.monotonic()
        seen = m.frames_seen()

        # 刘's browser reconnects; with nginx in front it would reach a living process.
        liu_again = m.liu_moved_to(two)
        host_again = await liu_again.join({"session_id": m.session_id})
        mh2 = MediaClient(host_again)
        m.clients.append(mh2)
        # The parties were told to start again; 刘's page starts media on its new connection.
        await eventually(
            lambda: len(m.respondent.of("media_failed")) >= 1 and len(m.applicant.of("media_failed")) >= 1, within=15
        )
        for _ in range(20):
            ack = await mh2.start()
            if ack.get("ok"):
                break
            await asyncio.sleep(0.5)  # a moment ago, or the dead process's claim not yet dropped
        await eventually(lambda: m.all_see_all(mh2, seen), within=BACK_WITHIN)
        back_after = time.monotonic() - killed_at
        assert back_after < BACK_WITHIN
        assert await gauge(two, "mediate_participants") == 3

        # Recording resumed on process 2 by itself; 刘 stops it a few seconds later.
        def resumed() -> bool:
            recording = host_again.view["recording"]
            return bool(recording["active"]) and recording["since"] != m.started["since"]

        await eventually(resumed, within=10)
        await asyncio.sleep(4.0)
        stopped = await host_again.call("record_stop", {})
        assert stopped["ok"] and stopped["recording"] != first_recording, stopped

        bundle = await liu_again.call("POST", f"/cases/{m.case['id']}/evidence/bundle")
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
                m.session_id,
            )
        finally:
            await db.close()
        assert [row["id"] for row in rows] == [first_recording, stopped["recording"]]
        assert rows[0]["last_index"] >= 3, "what process 1 wrote before it died is kept"
        assert rows[1]["previous_id"] == first_recording and rows[1]["base_index"] == rows[0]["last_index"]
        print(f"back on process 2 {back_after:.1f} s after the kill")
    finally:
        await m.close()
