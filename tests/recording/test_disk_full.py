"""A full disk stops the recording cleanly: the mediator is told, what was written verifies, the session goes on.

The recordings directory is a real tmpfs of 160 KiB (this machine's tests run as root), so the
failure is the kernel's ENOSPC, not a simulated one.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from server.evidence.verify import render, verify_bundle
from server.settings import Settings
from tests.recording.session import Recorded, export, recordings_of
from tests.signaling.live import eventually


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs for the disk-full test (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def settings(settings: Settings, small_disk: Path) -> Settings:
    return replace(settings, recordings_dir=small_disk, segment_seconds=1.0)


async def test_a_full_disk_stops_the_recording_tells_the_mediator_and_keeps_what_was_written(
    recorded: Recorded, small_disk: Path
) -> None:
    s = await recorded.assemble(parties=())
    await asyncio.sleep(1.0)
    assert (await s.host.call("record_start", {}))["ok"]
    await eventually(lambda: bool(s.host.of("recording_stopped")), within=60)  # 160 KiB fill in seconds
    stopped = s.host.of("recording_stopped")[0]
    assert stopped["reason"] == "disk_full" and "存储空间已满" in stopped["message"]
    await eventually(lambda: s.host.view["recording"]["active"] is False)
    await _settled(s)
    [recording] = await recordings_of(s.meeting)
    assert recording.status == "failed" and recording.end_reason == "disk_full"
    assert not await asyncio.to_thread(lambda: list(small_disk.rglob("*.partial"))), "no half-written file is left behind"
    report = verify_bundle(io.BytesIO(await export(s.meeting)))
    assert report.ok, render(report, "en")
    [coverage] = report.recordings
    assert coverage["status"] == "complete" and coverage["end_reason"] == "disk_full"
    # The session itself goes on: the mediator can still talk and start again once there is room.
    assert (await s.host.call("chat", {"text": "录制已停止，我们继续。"}))["ok"]


async def _settled(s: Recorded) -> None:
    """The failed recording's final manifest is written in the background after the mediator is told."""
    for _ in range(100):
        [recording] = await recordings_of(s.meeting)
        if recording.status != "recording":
            return
        await asyncio.sleep(0.1)
