"""Downloads as big as a case's recordings (an evidence bundle, a filing package, a snapshot with its
bundles): made into a temporary file, then sent from it a chunk at a time (#24).

With its recordings, a bundle is about a gigabyte per participant of a two-hour session: neither
the file nor the response may hold it whole. The file is opened and read in a worker thread, so
the event loop (which forwards live sessions' media) never waits on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Mapping
from typing import IO

from aiohttp import web

#: Bytes read from a spooled file per write to the client.
SEND_CHUNK = 1024 * 1024


@contextlib.asynccontextmanager
async def spool() -> AsyncIterator[IO[bytes]]:
    """A temporary file (gone when closed, whatever happens), to write a download into."""
    spooled = await asyncio.to_thread(tempfile.TemporaryFile)
    try:
        yield spooled
    finally:
        await asyncio.to_thread(spooled.close)


async def send(request: web.Request, spooled: IO[bytes], content_type: str, headers: Mapping[str, str]) -> web.StreamResponse:
    """What was written into ``spooled`` (up to where the writer left it) as the response's body."""
    response = web.StreamResponse(headers=headers)
    response.content_type = content_type
    response.content_length = await asyncio.to_thread(spooled.tell)
    await response.prepare(request)
    await asyncio.to_thread(spooled.seek, 0)
    while chunk := await asyncio.to_thread(spooled.read, SEND_CHUNK):
        await response.write(chunk)
    await response.write_eof()
    return response
