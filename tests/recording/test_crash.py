"""A server killed mid-recording (SIGKILL): what was written verifies, the recording is marked
interrupted, and a recording resumed after the restart continues the same chain.

The real ``mediate serve`` runs as a subprocess on SQLite; the mediator records themself
(an aiortc peer), so no party key is involved: this is about the recorder, not consent.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.evidence.verify import render, verify_bundle
from tests.browser.conftest import (
    MEDIATOR_PASSWORD,
    MEDIATOR_USERNAME,
    REPO,
    cli,
    free_port,
    last_line,
    mediate_command,
    server_env,
    session_day,
)
from tests.recording.session import ClockCamera, decode
from tests.signaling.live import NS, PATIENCE, Peer
from tests.signaling.media_client import MediaClient
from tests.static_cache import share_static_cache


@dataclass
class Process:
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **server_env(self.data_dir, self.url),
            "MEDIATE_MEDIA_LOOPBACK": "1",
            "MEDIATE_SEGMENT_SECONDS": "1.5",
            **self.extra_env,
        }
        share_static_cache(self.data_dir)
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [*mediate_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )

    async def ready(self) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc is not None and self.proc.poll() is None, (self.data_dir / "server.log").read_text()
                try:
                    async with http.get(f"{self.url}/healthz") as res:
                        if res.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "no /healthz within 60 s"
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def process(tmp_path: Path) -> Iterator[Process]:
    data_dir = tmp_path / "data"
    org = last_line(cli("org", "add", "--name", "朝阳区人民调解委员会", "--kind", "committee", data_dir=data_dir))
    cli(
        "user", "add", "--username", MEDIATOR_USERNAME, "--password", MEDIATOR_PASSWORD, "--role", "mediator",
        "--display-name", "刘调解员", "--org", org, data_dir=data_dir,
    )  # fmt: skip
    p = Process(data_dir, free_port())
    yield p
    p.stop()


class Mediator:
    """The mediator's browser: logged in over HTTP, on /live with an aiortc peer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True))  # an IP address
        self.csrf = ""
        self.peer: Peer | None = None
        self.media: MediaClient | None = None

    async def login(self) -> None:
        async with self.http.post("/api/v1/auth/login", json={"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD}) as r:
            assert r.status == 200, await r.text()
            self.csrf = (await r.json())["csrf_token"]

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        async with self.http.request(method, f"/api/v1{path}", json=body, headers={"X-CSRF-Token": self.csrf}) as r:
            assert r.status == expect, f"{method} {path}: {r.status} {await r.text()}"
            return await r.json() if r.content_type == "application/json" else await r.read()

    async def book(self) -> tuple[str, str]:
        case = await self.call(
            "POST",
            "/cases",
            {"case_number": "（2026）京朝调字第9号", "dispute_type": "wages", "source": "party_application", "summary": "工资"},
            201,
        )
        for role, name, phone in (("applicant", "张三", "13800000031"), ("respondent", "李四", "13800000032")):
            await self.call("POST", f"/cases/{case['id']}/parties", {"role": role, "name": name, "phone": phone}, 201)
        day = session_day().isoformat()
        booked = await self.call(
            "POST", f"/cases/{case['id']}/sessions",
            {"starts_at": f"{day}T10:00:00+08:00", "duration_minutes": 60, "timezone": "Asia/Shanghai"}, 201,
        )  # fmt: skip
        return case["id"], booked["session"]["id"]

    async def join(self, session_id: str) -> None:
        cookie = next(m.value for m in self.http.cookie_jar if m.key == "mediate_session")
        self.peer = Peer("刘")
        await self.peer.sio.connect(
            self.base,
            headers={"Cookie": f"mediate_session={cookie}"},
            auth={"session_id": session_id},
            namespaces=[NS],
            transports=["websocket"],
            wait_timeout=PATIENCE,
        )
        await self.peer.wait("participants")
        self.media = MediaClient(self.peer, camera=ClockCamera)
        assert (await self.media.start()) == {"ok": True}

    async def close(self) -> None:
        if self.media is not None:
            await self.media.close()
        if self.peer is not None and self.peer.sio.connected:
            await self.peer.sio.disconnect()
        await self.http.close()


@pytest.fixture
async def mediators() -> AsyncIterator[list[Mediator]]:
    made: list[Mediator] = []
    yield made
    for m in made:
        await m.close()


async def recording_that_runs(mediator: Mediator, seconds: float) -> None:
    assert mediator.peer is not None
    await asyncio.sleep(1.0)
    started = await mediator.peer.call("record_start", {})
    assert started["ok"], started
    await asyncio.sleep(seconds)


async def test_a_killed_server_keeps_what_it_wrote_marks_it_interrupted_and_a_new_recording_chains_on(
    process: Process, mediators: list[Mediator]
) -> None:
    process.start()
    await process.ready()
    first = Mediator(process.url)
    mediators.append(first)
    await first.login()
    case_id, session_id = await first.book()
    await first.join(session_id)
    await recording_that_runs(first, 6.0)
    # Three segments of 1.5 s written, however long a loaded machine took to write them.
    deadline = time.monotonic() + 60
    while len(list(process.data_dir.rglob("*.seg"))) < 3:
        assert time.monotonic() < deadline, "the recording wrote fewer than three segments"
        await asyncio.sleep(0.2)
    process.kill()  # mid-recording, no chance to finish anything
    await first.close()

    process.start()
    await process.ready()
    second = Mediator(process.url)
    mediators.append(second)
    await second.login()
    bundle = await second.call("POST", f"/cases/{case_id}/evidence/bundle")
    report = verify_bundle(io.BytesIO(bundle))
    assert report.ok, render(report, "en")
    [interrupted] = report.recordings
    assert interrupted["status"] == "interrupted"
    assert report.has("recording_interrupted")
    [covered] = interrupted["participants"].values()
    assert covered["recorded_seconds"] >= 3.0  # all but the segment being gathered at the kill
    types = [r.type for r in report.records]
    assert "recording_interrupted" in types and "segment_manifest" in types

    # The mediator comes back and records again: the new recording continues the chain.
    await second.join(session_id)
    await recording_that_runs(second, 4.0)
    assert second.peer is not None
    assert (await second.peer.call("record_stop", {}))["ok"]
    report = verify_bundle(io.BytesIO(await second.call("POST", f"/cases/{case_id}/evidence/bundle")))
    assert report.ok, render(report, "en")
    assert [r["status"] for r in report.recordings] == ["interrupted", "complete"]
    assert report.has("recording_resumed")
    # Every segment of both decodes.
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        for name in zf.namelist():
            if name.endswith(".webm"):
                assert decode(zf.read(name))["video"], name
