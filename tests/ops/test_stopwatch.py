"""A stop that hangs says where, and the process ends anyway (server/ops/stopwatch.py)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap

import pytest

from server.ops import stopwatch
from tests.signaling.live import eventually


async def test_while_stopping_the_log_names_each_task_still_waiting_and_where(caplog: pytest.LogCaptureFixture) -> None:
    never = asyncio.Event()

    async def close_the_peers() -> None:
        await never.wait()

    stuck = asyncio.create_task(close_the_peers(), name="close-peers")
    caplog.set_level(logging.WARNING, logger="mediate")
    async with stopwatch.reporting(0.05):
        await eventually(lambda: "close-peers" in caplog.text, within=10)
    stuck.cancel()
    report = next(r.getMessage() for r in caplog.records if "close-peers" in r.getMessage())
    assert report.startswith("stopping: still waiting after"), report
    assert "test_stopwatch.py" in report and "in close_the_peers" in report, report


def test_a_process_stuck_past_its_limit_dumps_its_threads_and_ends() -> None:
    program = textwrap.dedent(
        """
        import threading, time
        from server.ops import stopwatch
        def upload_forever():
            time.sleep(3600)
        threading.Thread(target=upload_forever, name="upload").start()
        stopwatch.arm(0.5)
        """
    )
    done = subprocess.run([sys.executable, "-c", program], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert "upload_forever" in done.stderr, done.stderr
