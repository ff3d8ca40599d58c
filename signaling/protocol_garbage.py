"""Protocol garbage on ``/socket.io/``: one short WARNING per connection, a bounded number overall.

python-engineio and python-socketio log a frame they cannot decode at ERROR with a traceback
(``message async handler error``; an undecodable Engine.IO frame on a WebSocket even escapes the
request handler). Anyone may open an Engine.IO connection before signing in, so 1,000 such frames
made 1.9 MB of log in 2.6 s (issue #19, item 5): a log flood that buries real errors and fills the
disk. Garbage is not a server fault; OWASP's Logging Cheat Sheet asks that such events be logged
without letting an attacker control the volume.

So, as the reference Socket.IO server does on a parse error, the connection is closed; the first
frame of garbage on a connection is logged once at WARNING, without traceback, with the client's
address; and across all connections at most :data:`BURST` such lines are written, refilled at
:data:`PER_MINUTE` a minute, a later line saying how many were left out.

The hooks are the libraries' own: python-socketio's ``serializer`` (the packet class) and its
``_engineio_server_class``; only the WebSocket wrapper of python-engineio's aiohttp driver
(``_async["websocket"]``) is a private name, watched by tests/signaling/test_protocol_garbage.py.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import engineio
import engineio.packet
import socketio
import socketio.packet

log = logging.getLogger(__name__)

#: Lines of garbage logged in a row before the limit applies, and the rate it refills at.
BURST = 20
PER_MINUTE = 30
#: Connections remembered as "already logged" (the oldest are forgotten first).
REMEMBERED = 10_000
#: Socket.IO packet types a client may send (CONNECT_ERROR is the server's alone).
CLIENT_PACKETS = frozenset(
    {
        socketio.packet.CONNECT,
        socketio.packet.DISCONNECT,
        socketio.packet.EVENT,
        socketio.packet.ACK,
        socketio.packet.BINARY_EVENT,
        socketio.packet.BINARY_ACK,
    }
)


class ProtocolGarbage(ValueError):
    """A frame that is not Engine.IO or Socket.IO as a client sends it."""


class GarbageLog:
    """Logs protocol garbage once per connection, and at a bounded rate overall (a token bucket)."""

    def __init__(
        self, logger: logging.Logger = log, *, burst: int = BURST, per_minute: float = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.logger, self.burst, self.rate, self.clock = logger, burst, per_minute / 60.0, clock
        self.tokens = float(burst)
        self.stamp = clock()
        self.left_out = 0
        self.seen: OrderedDict[str, None] = OrderedDict()

    def report(self, connection: str, address: str | None, frame: Any, why: BaseException | str) -> None:
        if connection in self.seen:
            return
        self.seen[connection] = None
        if len(self.seen) > REMEMBERED:
            self.seen.popitem(last=False)
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            self.left_out += 1
            return
        self.tokens -= 1
        left_out, self.left_out = self.left_out, 0
        sample = frame[:40] if isinstance(frame, str | bytes) else type(frame).__name__
        reason = why if isinstance(why, str) else f"{type(why).__name__}: {str(why)[:80]}"
        self.logger.warning(
            "protocol garbage on /socket.io/ from %s (connection %s): %r (%s); connection closed%s",
            address or "?", connection, sample, reason,
            f"; {left_out} more such connections not logged" if left_out else "",
        )  # fmt: skip


class LivePacket(socketio.packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, whose decoding errors all become :class:`ProtocolGarbage`."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = int(super().decode(encoded_packet))
        except Exception as exc:  # json, int() and index errors alike: the frame is garbage
            raise ProtocolGarbage(f"undecodable Socket.IO packet: {type(exc).__name__}") from exc
        if self.packet_type not in CLIENT_PACKETS:
            raise ProtocolGarbage(f"Socket.IO packet type {self.packet_type!r} is not one a client sends")
        return attachments


def client_address(environ: dict[str, Any] | None) -> str | None:
    request = (environ or {}).get("aiohttp.request")
    return getattr(request, "remote", None)


class LiveEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server, whose WebSockets close on a frame that is not Engine.IO."""

    garbage: GarbageLog
    _async: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        driver = self._async.get("websocket")
        if driver is not None:
            self._async = {**self._async, "websocket": checked_websocket(driver, self)}


def checked_websocket(driver: type[Any], server: LiveEngineServer) -> type[Any]:
    """The driver's WebSocket, answering "closed" (None) to a frame that is not an Engine.IO packet.

    python-engineio decodes each WebSocket frame outside any ``try`` (``AsyncSocket._websocket_handler``):
    a bad one ends the request with an exception, logged twice with a traceback, and leaves the
    Engine.IO session to its ping timeout. Ending the read loop as if the client had left closes
    it at once, the library's own way.
    """

    class CheckedWebSocket(driver):  # type: ignore[misc]
        async def wait(self) -> Any:
            frame = await super().wait()
            if isinstance(frame, str):
                try:
                    engineio.packet.Packet(encoded_packet=frame)
                except (ValueError, TypeError, IndexError) as exc:  # int(), json, base64
                    environ = getattr(self, "environ", None)
                    server.garbage.report(f"ws-{id(self):x}", client_address(environ), frame, exc)
                    return None
            return frame

        async def __call__(self, environ: dict[str, Any]) -> Any:
            self.environ = environ
            return await super().__call__(environ)

    return CheckedWebSocket


class LiveServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, closing (and logging once, briefly) a connection that sends garbage."""

    def __init__(self, *args: Any, garbage: GarbageLog | None = None, **kwargs: Any) -> None:
        self.garbage = garbage or GarbageLog()
        if not kwargs.get("engineio_logger"):
            kwargs["engineio_logger"] = EngineLog(self.garbage)
        super().__init__(*args, serializer=LivePacket, **kwargs)
        self.eio.garbage = self.garbage

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return LiveEngineServer

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except ProtocolGarbage as exc:
            await self._garbage(eio_sid, data, exc)
        except ValueError as exc:
            if str(exc) != "Unexpected binary packet":  # a binary event for a namespace never joined
                raise
            await self._garbage(eio_sid, data, exc)

    async def _garbage(self, eio_sid: str, data: Any, exc: BaseException) -> None:
        self._binary_packet.pop(eio_sid, None)
        self.garbage.report(eio_sid, client_address(self.environ.get(eio_sid)), data, exc)
        # In the background: closing a polling session waits for its queue, which the request
        # being handled here would otherwise hold up until the ping timeout.
        self.eio.start_background_task(self.eio.disconnect, eio_sid)


class EngineLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """python-engineio's logger (its ``logger`` option) as with ``engineio_logger=False``: errors only,
    except that an undecodable Engine.IO payload on a polling POST (which the library logs with
    ``logger.exception``) goes to the rate-limited :class:`GarbageLog`, without traceback.
    """

    def __init__(self, garbage: GarbageLog) -> None:
        super().__init__(logging.getLogger("engineio.server"), {})
        self.garbage = garbage
        self.count = 0

    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.ERROR and self.logger.isEnabledFor(level)

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and decoding_failed(exc):
            self.count += 1
            self.garbage.report(f"polling-{self.count}", None, None, exc)
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


def decoding_failed(exc: BaseException) -> bool:
    """The exception was raised while python-engineio decoded a packet or a payload."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(DECODERS):
            return True
        tb = tb.tb_next
    return False


DECODERS = (os.path.join("engineio", "packet.py"), os.path.join("engineio", "payload.py"))
