"""A single machine without nginx in front cannot be exhausted by clients that hold connections open.

Raw TCP clients (``asyncio.open_connection``) against the real server, with short limits so the
test is quick: a client trickling its request head, one trickling its body, and one that opens
a keep-alive connection and says nothing more are all cut off; a client sending at a fair rate
for longer than the grace period, and one reusing its connection, are not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from server.app import create_app
from server.settings import Settings

IDLE = 1.0
BODY = 1.0
#: Generous: CI runs on two shared cores.
MARGIN = 10.0


@pytest.fixture
async def address(settings: Settings, aiohttp_server: Any) -> AsyncIterator[tuple[str, int]]:
    quick = replace(settings, http_idle_timeout_seconds=IDLE, http_body_timeout_seconds=BODY, http_body_min_rate=500)
    server = await aiohttp_server(create_app(quick, run_background=False))
    yield server.host, server.port


async def closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


async def trickle(writer: asyncio.StreamWriter, data: bytes, every: float, until: asyncio.Task[bytes]) -> None:
    """Send ``data`` a byte at a time, ``every`` seconds apart, until the server closes (``until`` ends)."""
    for byte in data:
        if until.done():
            return
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.wait([until], timeout=every)


async def head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers, body (by Content-Length)."""
    status_line = await reader.readline()
    assert status_line, "the server closed the connection instead of answering"
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


async def test_a_request_head_sent_a_byte_at_a_time_is_cut_off_after_the_idle_timeout(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    loop = asyncio.get_running_loop()
    started = loop.time()
    until = asyncio.ensure_future(closed(reader))
    request = b"GET /healthz HTTP/1.1\r\nHost: mediate.test\r\n" + b"X-Slow: " + b"a" * 2000 + b"\r\n\r\n"
    await asyncio.wait_for(trickle(writer, request, 0.05, until), timeout=IDLE + MARGIN)
    assert until.done(), "the server waited for the whole slow request head"
    assert await until == b"", "cut off without an answer"
    assert IDLE * 0.9 <= loop.time() - started <= IDLE + MARGIN
    writer.close()


async def test_a_body_trickled_below_the_minimum_rate_is_answered_408_and_cut_off(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    loop = asyncio.get_running_loop()
    body = json.dumps({"username": "admin1", "password": "x" * 200}).encode()
    writer.write(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: mediate.test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    started = loop.time()
    until = asyncio.ensure_future(closed(reader))
    await asyncio.wait_for(trickle(writer, body, 0.05, until), timeout=BODY + MARGIN)
    assert until.done(), "the server waited for the whole slow body"
    answer = await until
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    payload = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert payload["error"]["code"] == "request_timeout" and payload["error"]["reason"] == "slow_request"
    assert BODY * 0.9 <= loop.time() - started <= BODY + MARGIN
    writer.close()


async def test_an_idle_keep_alive_connection_is_closed(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    loop = asyncio.get_running_loop()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: mediate.test\r\n\r\n")
    status, headers, _ = await head(reader)
    assert status == 200 and headers.get("connection", "keep-alive").lower() != "close"
    answered = loop.time()
    assert await asyncio.wait_for(closed(reader), timeout=IDLE + MARGIN) == b""
    assert loop.time() - answered >= IDLE * 0.9
    writer.close()


async def test_clients_that_send_at_a_fair_rate_or_reuse_their_connection_are_not_cut_off(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    loop = asyncio.get_running_loop()
    # Longer than the body grace period, well above the minimum rate: 48 KB in 24 pieces over ~1.7 s.
    body = json.dumps({"username": "nobody", "password": "p", "padding": "x" * 48_000}).encode()
    writer.write(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: mediate.test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    started = loop.time()
    size = len(body) // 24 + 1
    for i in range(0, len(body), size):
        writer.write(body[i : i + size])
        await writer.drain()
        await asyncio.sleep(0.07)
    status, _, answer = await head(reader)
    assert loop.time() - started > BODY
    assert status == 422 and json.loads(answer)["error"]["fields"][0]["field"] == "padding"
    # The same connection serves request after request, each within the idle limit of the last.
    for _ in range(3):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: mediate.test\r\n\r\n")
        status, _, _ = await head(reader)
        assert status == 200
    writer.close()
