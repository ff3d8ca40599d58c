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
from tests.cluster.recorded import plain, recorded_meeting
from tests.signaling.live import eventually
from tests.signaling.media_client import MediaClient

#: From SIGTERM to everyone seeing everyone again through process 2.
BACK_WITHIN = 30.0


async def test_stopping_the_media_process_hands_the_session_over_and_recording_goes_on(cluster: Cluster) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    m = await recorded_meeting(cluster, one, two)
    try:
        first_recording = m.started["recording"]
        await asyncio.sleep(4.0)

        # A rolling restart reaches process 1.
        assert one.proc is not None
        one.proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        await eventually(lambda: bool(m.host.of("restarting")), within=15)
        # Process 2's participants are told at once, not after a death is noticed.
        await eventually(lambda: bool(m.applicant.of("media_failed")) and bool(m.respondent.of("media_failed")), within=10)
        told_after = time.monotonic() - stopped_at
        # Within its stop limit (2 x MEDIATE_SHUTDOWN_GRACE_SECONDS + 30 s), and in good order.
        assert await one.exited(within=120) == 0, one.log.read_text()[-3000:]
        seen = m.frames_seen()

        liu_again = m.liu_moved_to(two)
        host_again = await liu_again.join({"session_id": m.session_id})
        mh2 = MediaClient(host_again)
        m.clients.append(mh2)
        assert (await mh2.start())["ok"]
        await eventually(lambda: m.all_see_all(mh2, seen), within=BACK_WITHIN)
        back_after = time.monotonic() - stopped_at

        # Recording goes on by itself on process 2; 刘 stops it a few seconds later.
        def resumed() -> bool:
            recording = host_again.view["recording"]
            return bool(recording["active"]) and recording["since"] != m.started["since"]

        await eventually(resumed, within=10)
        await asyncio.sleep(3.0)
        stopped = await host_again.call("record_stop", {})
        assert stopped["ok"] and stopped["recording"] != first_recording, stopped

        bundle = await liu_again.call("POST", f"/cases/{m.case['id']}/evidence/bundle")
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
                m.session_id,
            )
        finally:
            await db.close()
        assert [row["id"] for row in rows] == [first_recording, stopped["recording"]]
        assert rows[1]["previous_id"] == first_recording and rows[1]["base_index"] == rows[0]["last_index"] >= 2
        print(f"participants elsewhere told {told_after:.1f} s after SIGTERM; all back {back_after:.1f} s after it")
    finally:
        await m.close()
