"""Garbage on /socket.io/ from someone without credentials (issue #19, item 5).

Before: each undecodable frame, over a WebSocket or a polling POST, logged an ERROR with a traceback (1,000 frames, 1.9 MB of log).
Now a connection that sends garbage is closed and logged once, at WARNING, without traceback,
and the lines are rate-limited overall; the room goes on and a real client still connects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time

import aiohttp
import pytest

from signaling.protocol_garbage import BURST, PER_MINUTE, GarbageLog, LiveServer
from tests.signaling.live import Meeting, eventually

#: Engine.IO and Socket.IO frames no client sends: bad types, bad JSON, a binary event for a
#: namespace never joined, a NUL, a number too long to be an ack id.
GARBAGE = [
    "x",
    "\x00",
    "4garbage",
    "4{",
    '42["chat",',
    "4" + "9" * 120,
    "41/live,{",
    "44/live,{}",
    "4-1",
    '451-["a",{"_placeholder":true,"num":0}]',
]


async def test_a_thousand_frames_of_garbage_make_a_few_short_warnings_and_the_room_goes_on(
    meeting: Meeting, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    url = meeting.url.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
    sent = 0
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            async with http.ws_connect(url) as ws:
                opened = await ws.receive(timeout=30)
                assert opened.data.startswith("0{"), opened  # the Engine.IO handshake: no credentials needed
                for frame in GARBAGE:
                    with contextlib.suppress(ConnectionError):
                        await ws.send_str(frame)
                        sent += 1
                # The server closes a connection that sent garbage (as the reference server does).
                while (await ws.receive(timeout=30)).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    pass
        # The same over long polling: a handshake, then a POST of garbage.
        polling = meeting.url.rstrip("/") + "/socket.io/?EIO=4&transport=polling"
        for _ in range(10):
            for frame in GARBAGE:
                async with http.get(polling) as handshake:
                    sid = json.loads((await handshake.text())[1:])["sid"]
                async with http.post(f"{polling}&sid={sid}", data=frame.encode()) as posted:
                    assert posted.status < 500
                    sent += 1
    assert sent >= 200
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(caplog.text) < 8_000, f"{len(caplog.text)} bytes of log in {len(logged)} lines for {sent} frames of garbage"
    assert not [r for r in logged if r.levelno >= logging.ERROR or r.exc_info], caplog.text[:2000]
    # The bucket holds BURST lines and refills at PER_MINUTE: on a slow, loaded machine the run
    # lasts long enough for a line or two more (22 lines failed the old bound of 21 in CI).
    refilled = int((time.monotonic() - started) * PER_MINUTE / 60)
    assert len(logged) <= BURST + refilled + 1, [r.getMessage() for r in logged]
    assert any("protocol garbage" in r.getMessage() for r in logged)
    # The server is healthy, and people still meet in the room.
    async with aiohttp.ClientSession() as http, http.get(meeting.url.rstrip("/") + "/healthz") as health:
        assert health.status == 200
    host = await meeting.host()
    applicant = await meeting.party("applicant")
    assert (await host.call("admit", {"participant_id": meeting.id("applicant")}))["ok"] is True
    assert (await host.call("chat", {"text": "还在吗"}))["ok"] is True
    await eventually(lambda: any(m["text"] == "还在吗" for m in applicant.of("chat")), within=30)


def test_garbage_is_logged_once_per_connection_and_at_a_bounded_rate() -> None:
    now = [0.0]
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("tests.garbage")
    logger.addHandler(Capture())
    logger.propagate = False
    garbage = GarbageLog(logger, burst=3, per_minute=6, clock=lambda: now[0])
    garbage.report("a", "192.0.2.1", "x", "bad")
    garbage.report("a", "192.0.2.1", "y", "bad")  # the same connection again: nothing more
    for n in range(10):
        garbage.report(f"c{n}", "192.0.2.2", "x\nFAKE LOG LINE", ValueError("bad"))
    assert len(records) == 3 and "\n" not in "".join(records)  # repr(): no forged log lines
    now[0] = 10.0  # one line's worth of refill (6 a minute)
    garbage.report("later", "192.0.2.3", "x", "bad")
    assert len(records) == 4 and "8 more such connections not logged" in records[-1]


def test_the_websocket_wrapper_replaces_the_drivers_own() -> None:
    """The one private name used (python-engineio's ``_async["websocket"]``) is still there."""
    server = LiveServer(async_mode="aiohttp")
    assert server.eio._async["websocket"].__name__ == "CheckedWebSocket"
    assert server.eio.garbage is server.garbage
