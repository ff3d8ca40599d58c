"""``mediate serve`` told to stop (SIGTERM) mid-recording: it drains, then exits cleanly.

The real server as a subprocess (SQLite), with JSON logs; the mediator records themself with an
aiortc peer (tests/recording/test_crash.py's cast: this is about the process, not consent).
Unlike a SIGKILL (test_crash), a SIGTERM lets the process finish the recording and sign its last
manifest: the recording is complete, not interrupted, and the mediator's browser is told to
reconnect before its connection closes.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import time
from pathlib import Path

import pytest

from server.evidence.verify import render, verify_bundle
from tests.recording.test_crash import Mediator, Process, mediators, process, recording_that_runs

__all__ = ["mediators", "process"]


@pytest.fixture
def json_logs(process: Process) -> Process:
    process.extra_env["MEDIATE_LOG_FORMAT"] = "json"
    return process


def log_lines(data_dir: Path) -> list[str]:
    return [line for line in (data_dir / "server.log").read_text().splitlines() if line.strip()]


async def test_sigterm_finishes_the_recording_tells_clients_to_reconnect_and_exits_cleanly(
    json_logs: Process, mediators: list[Mediator]
) -> None:
    process = json_logs
    process.start()
    await process.ready()
    first = Mediator(process.url)
    mediators.append(first)
    await first.login()
    case_id, session_id = await first.book()
    await first.join(session_id)
    await recording_that_runs(first, 4.0)

    assert process.proc is not None
    process.proc.send_signal(signal.SIGTERM)
    began = time.monotonic()
    # Waited for in a thread: the mediator's client (this event loop) must go on answering meanwhile.
    code = await asyncio.to_thread(process.proc.wait, 30)
    assert code == 0, "\n".join(log_lines(process.data_dir)[-20:])
    assert time.monotonic() - began < 10, "draining and closing should take seconds, not the whole grace period"
    assert first.peer is not None
    [restarting] = first.peer.of("restarting")
    assert restarting["retry_after_ms"] > 0

    # Every line the process wrote is one JSON object; the live ones name the session and participant.
    records = [json.loads(line) for line in log_lines(process.data_dir)]
    assert all({"time", "level", "logger", "message", "pid"} <= set(r) for r in records)
    live = [r for r in records if r.get("session_id") == session_id]
    assert any(r.get("participant_id") and "connected as mediator" in r["message"] for r in live), live
    assert any("stopping: draining" in r["message"] for r in records)
    assert not any("with password" in r["message"] for r in records)

    process.start()
    await process.ready()
    second = Mediator(process.url)
    mediators.append(second)
    await second.login()
    bundle = await second.call("POST", f"/cases/{case_id}/evidence/bundle")
    report = verify_bundle(io.BytesIO(bundle))
    assert report.ok, render(report, "en")
    [recording] = report.recordings
    assert (recording["status"], recording["end_reason"]) == ("complete", "server_stopped")
    assert not report.has("recording_interrupted")
    covered = recording["participants"]
    assert covered and all(p["recorded_seconds"] >= 2 for p in covered.values()), covered
