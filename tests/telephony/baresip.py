"""A real SIP phone for the telephony tests (issue #25): Debian's baresip 1.0.0, headless, on loopback.

Each instance runs in a directory of its own with a written configuration: one account that never
registers (``regint=0``; calls go straight to a URI), SIP on 127.0.0.1 at a free port, G.711 only
(PCMU, PCMA, and the telephone-event/8000 payload baresip always adds), no video, no STUN/ICE/TURN,
no encryption. It is driven through the ctrl_tcp module: netstring-framed JSON commands, answered
by netstring-framed JSON responses, and every call event (CALL_ESTABLISHED, CALL_DTMF_START,
CALL_CLOSED, ...) pushed on the same connection.

Sound, with no audio device: what the phone says is a sine tone (the ausine module) or silence
(a silent WAV through aufile); what it hears is dumped by the sndfile module, the received audio as
decoded (8 kHz mono, 16-bit), before any player (none is loaded). Digits go as RFC 4733
telephone-events in RTP, as a phone sends them.

Every wait waits for an event with a deadline; a failure says what was awaited, the events seen
and the end of baresip's own log (``baresip.log``, with the SIP trace).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import shutil
import socket
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

MODULES = Path("/usr/lib/baresip/modules")
INSTALL = "Debian's baresip is missing: run the README's test command, `bash scripts/test`, which installs baresip-core."
#: For a command's response; a wait for the network says how long it waits (``within``).
COMMAND_TIMEOUT = 10.0
#: How long a silent phone's silence lasts: aufile ends the call at the end of its file
#: ("end of file", baresip 1.0.0), so this is also how long a silent phone can stay in a call.
SILENCE_S = 300
#: The digits RFC 4733 names events 0-15 for, and baresip's `sndcode` accepts.
DTMF = frozenset("0123456789*#ABCD")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class BaresipError(AssertionError):
    """baresip did not do what a test waited for; the message carries its recent events and log."""


@dataclass(frozen=True)
class Event:
    """One event baresip pushed: its type, its parameter, and every field as sent (id, peeruri, rtcp_stats...)."""

    type: str
    param: str
    fields: dict[str, Any] = field(repr=False)

    def __str__(self) -> str:
        return f"{self.type} {self.param}".rstrip()


def ephemeral_low() -> int:
    """The lowest port the kernel hands out on its own (a bind to port 0)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(*, tcp_also: int = 0) -> int:
    """A UDP port free on 127.0.0.1 whose TCP port, and the ``tcp_also`` TCP ports after it, are free too.

    Drawn below the kernel's ephemeral range, where no port is handed out by a bind to 0: baresip
    listens on TCP at its port and the next one too, and a port the kernel had meanwhile given to
    another test's server (the cluster tests pick theirs so) clashed with it ("address already in use").
    """
    high = ephemeral_low() - tcp_also - 1
    for _ in range(200):
        port = secrets.choice(range(10000, high))
        try:
            with contextlib.ExitStack() as held:
                udp = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                udp.bind(("127.0.0.1", port))
                for p in range(port, port + tcp_also + 1):
                    held.enter_context(socket.create_server(("127.0.0.1", p)))
        except OSError:
            continue
        return port
    raise OSError("no free port on 127.0.0.1")


class Baresip:
    """One headless baresip in ``workdir``, controlled through ctrl_tcp (netstring JSON).

    One call at a time: the call waits look at the events since the last :meth:`dial` (for an
    answering phone, since it started).
    """

    def __init__(self, workdir: Path, process: asyncio.subprocess.Process, sip_port: int, record_to: Path | None) -> None:
        self.workdir = workdir
        self.sip_port = sip_port
        self.log_path = workdir / "baresip.log"
        self.record_to = record_to
        self._process = process
        self._events: list[Event] = []
        self._since = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tokens = itertools.count(1)
        self._changed = asyncio.Condition()
        self._gone = False
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.Task[None] | None = None
        self.user = "phone"

    @classmethod
    async def start(
        cls,
        workdir: Path,
        *,
        tone_hz: int | None,
        record_to: Path | None,
        sip_port: int = 0,
        answer: bool = False,
        user: str = "phone",
    ) -> Baresip:
        """Start baresip saying ``tone_hz`` (silence when None), dumping what it hears to ``record_to``
        (a symbolic link to sndfile's dump, made once a call's audio starts), listening for SIP on
        127.0.0.1:``sip_port`` (a free port when 0), and answering incoming calls when ``answer``.
        ``user`` is its number: calls to another user are refused (404), as a phone network would."""
        binary = shutil.which("baresip")
        if binary is None:
            raise BaresipError(INSTALL)
        # baresip 1.0.0 listens for SIP on UDP, TCP and, on the next port, TLS (main.c: ua_init(..., true, true, true)).
        sip_port = sip_port or free_port(tcp_also=1)
        ctrl_port = free_port()
        _write_files(workdir, tone_hz, record_to, sip_port, ctrl_port, answer, user)
        with (workdir / "baresip.log").open("wb") as log:
            # -s: the SIP trace goes to the log with everything else.
            process = await asyncio.create_subprocess_exec(
                binary, "-f", str(workdir), "-s", stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
            )
        phone = cls(workdir, process, sip_port, record_to)
        phone.user = user
        try:
            await phone._connect(ctrl_port, within=COMMAND_TIMEOUT)
        except BaseException:
            await phone.stop()
            raise
        return phone

    @property
    def uri(self) -> str:
        """The URI another phone dials to reach this one."""
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    @property
    def events(self) -> list[Event]:
        """Every event seen so far, oldest first."""
        return list(self._events)

    @property
    def digits_received(self) -> str:
        """The DTMF digits received in the current call, in order (one CALL_DTMF_START each)."""
        return "".join(e.param for e in self._events[self._since :] if e.type == "CALL_DTMF_START")

    async def dial(self, uri: str) -> None:
        """Call ``uri`` (e.g. "sip:4000@127.0.0.1:5099"); returns once the INVITE is on its way."""
        self._since = len(self._events)
        await self.command("dial", uri)

    async def wait_established(self, within: float) -> None:
        """Wait for the call to be answered; fails at once, with the reason, if it closes first."""
        await self.wait_until(lambda: self._call_event("CALL_ESTABLISHED", "CALL_CLOSED") is not None, within, "the call")
        ended = self._call_event("CALL_ESTABLISHED", "CALL_CLOSED")
        self._link_recording()
        if ended is not None and ended.type == "CALL_CLOSED":
            raise self._failure(f"the call closed before it was established: {ended.param}")

    async def send_dtmf(self, digits: str) -> None:
        """Type ``digits`` in the current call as RFC 4733 telephone-events.

        Returns once they are queued: baresip sends each for about 240 ms (9 packets of 20 ms, then 3
        end packets, libre's telev.c), so the receiving side waits for what it expects to receive.
        """
        if not digits or not set(digits) <= DTMF:
            raise ValueError(f"not DTMF digits: {digits!r}")
        await self.command("sndcode", digits)

    async def mute(self, on: bool) -> None:
        """Send silence in place of the phone's sound (``on``), or its sound again: a caller who stops
        speaking, for what the other side shows then. baresip keeps sending RTP, of silence.

        baresip's ``mute`` toggles and says which way it went ("call muted" / "call un-muted", menu
        module): toggled once more when the call was already as wanted.
        """
        for _ in range(2):
            said = await self.command("mute")
            if ("un-muted" not in said) == on:
                return
        raise self._failure(f"the call's microphone did not become {'muted' if on else 'un-muted'}")

    async def hangup(self) -> None:
        """Hang up the current call (a BYE once established, a CANCEL before)."""
        await self.command("hangup")

    async def wait_closed(self, within: float) -> str:
        """Wait for the call to end; its reason as baresip reports it ("Connection reset by peer", "486 Busy Here"...)."""
        await self.wait_until(lambda: self._call_event("CALL_CLOSED") is not None, within, "the call to close")
        self._link_recording()
        closed = self._call_event("CALL_CLOSED")
        assert closed is not None
        return closed.param

    async def wait_until(self, done: Callable[[], bool], within: float, what: str) -> None:
        """Wait until ``done()`` holds, re-checked at each event; fails after ``within`` s or if baresip goes away."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: done() or self._gone), within)
            except TimeoutError:
                raise self._failure(f"waited {within} s for {what}") from None
        if not done():
            raise self._failure(f"baresip went away while waiting for {what}")

    async def command(self, command: str, params: str | None = None) -> str:
        """Run a baresip command (those of the menu module: dial, hangup, sndcode...); its output."""
        if self._writer is None or self._gone:
            raise self._failure(f"no control connection for {command}")
        token = str(next(self._tokens))
        message: dict[str, str] = {"command": command, "token": token} | ({} if params is None else {"params": params})
        body = json.dumps(message).encode()
        answered = self._pending[token] = asyncio.get_running_loop().create_future()
        self._writer.write(b"%d:%s," % (len(body), body))
        try:
            response = await asyncio.wait_for(answered, COMMAND_TIMEOUT)
        except (TimeoutError, ConnectionError):
            raise self._failure(f"no response to {command} {params or ''}") from None
        finally:
            self._pending.pop(token, None)
        if not response.get("ok"):
            raise self._failure(f"{command} {params or ''} failed: {response.get('data')}")
        return str(response.get("data", ""))

    async def stop(self) -> None:
        """Quit baresip (which hangs up and closes its dumps first) and close the control connection; idempotent.

        Killed when there is no control connection to ask it, or when it has not quit in COMMAND_TIMEOUT.
        """
        if self._process.returncode is None:
            if self._writer is not None and not self._gone:
                with contextlib.suppress(BaresipError):
                    await self.command("quit")
            else:
                self._process.kill()
            try:
                await asyncio.wait_for(self._process.wait(), COMMAND_TIMEOUT)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._writer is not None:
            self._writer.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._link_recording()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    def log_tail(self, lines: int = 40) -> str:
        """The end of baresip's log, colours and blank lines removed."""
        text = ANSI.sub("", self.log_path.read_text(errors="replace")) if self.log_path.exists() else ""
        return "\n".join([line for line in re.split(r"\r\n|\r|\n", text) if line.strip()][-lines:])

    def _call_event(self, *types: str) -> Event | None:
        return next((e for e in self._events[self._since :] if e.type in types), None)

    def _failure(self, what: str) -> BaresipError:
        exited = "" if self._process.returncode is None else f" (baresip exited with {self._process.returncode})"
        recent = "\n".join(f"  {e}" for e in self._events[-15:]) or "  (none)"
        return BaresipError(f"{what}{exited}\n--- events ---\n{recent}\n--- {self.log_path} ---\n{self.log_tail()}")

    def _link_recording(self) -> None:
        """Point ``record_to`` at sndfile's dump of what is heard, once the call's audio has started."""
        if self.record_to is None or self.record_to.is_symlink():
            return
        dumps = sorted((self.workdir / "sndfile").glob("dump-*-dec.wav"))
        if dumps:
            self.record_to.symlink_to(dumps[-1])

    async def _connect(self, port: int, within: float) -> None:
        """Connect to ctrl_tcp once baresip listens (it is ready then), failing early if baresip exits."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            try:
                reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                if self._process.returncode is not None or asyncio.get_running_loop().time() > deadline:
                    self._gone = True
                    raise self._failure("baresip did not start") from None
                # Polls the port: baresip says nowhere else that it is listening.
                await asyncio.sleep(0.02)
        self._reader = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Read netstrings ("<length>:<json>,") until baresip closes the connection."""
        try:
            while True:
                length = int((await reader.readuntil(b":"))[:-1])
                message: dict[str, Any] = json.loads((await reader.readexactly(length + 1))[:-1])
                if message.get("response"):
                    answered = self._pending.get(str(message.get("token")))
                    if answered is not None and not answered.done():
                        answered.set_result(message)
                elif message.get("event"):
                    async with self._changed:
                        self._events.append(Event(str(message.get("type")), str(message.get("param", "")), message))
                        self._changed.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._gone = True
            for answered in self._pending.values():
                if not answered.done():
                    answered.set_exception(ConnectionError("baresip closed its control connection"))
            async with self._changed:
                self._changed.notify_all()


def _write_files(
    workdir: Path, tone_hz: int | None, record_to: Path | None, sip_port: int, ctrl_port: int, answer: bool, user: str
) -> None:
    """The instance's directory: its configuration, its one account, a silent WAV when it says nothing."""
    if not MODULES.is_dir():
        raise BaresipError(INSTALL)
    if any(c.isspace() for c in str(workdir)):
        raise ValueError(f"baresip's configuration cannot name a path with spaces: {workdir}")
    (workdir / "sndfile").mkdir(parents=True, exist_ok=True)
    (workdir / "config").write_text(_config(workdir, tone_hz, record_to is not None, sip_port, ctrl_port))
    mode = "auto" if answer else "manual"
    (workdir / "accounts").write_text(f"<sip:{user}@127.0.0.1:{sip_port}>;regint=0;answermode={mode}\n")
    if record_to is not None:
        record_to.unlink(missing_ok=True)


def _config(workdir: Path, tone_hz: int | None, record: bool, sip_port: int, ctrl_port: int) -> str:
    """baresip 1.0.0's configuration: only the modules named here are loaded (none for audio devices)."""
    if tone_hz is None:
        silence = workdir / "silence.wav"
        with wave.open(str(silence), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(bytes(2 * 8000 * SILENCE_S))
        # aufile reads a file at the source's rate and channels exactly.
        source = f"audio_source aufile,{silence}\nausrc_srate 8000\nausrc_channels 1\nmodule aufile.so"
    else:
        # ausine makes 48 kHz stereo only; baresip resamples to G.711's 8 kHz mono.
        source = f"audio_source ausine,{tone_hz}\nausrc_srate 48000\nausrc_channels 2\nmodule ausine.so"
    return f"""\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
# An address: "lo" fails in 1.0.0 ("net: lo: could not get IPv4 address").
net_interface 127.0.0.1
# No status line every 100 ms in the log.
statmode_default off
module_path {MODULES}
module g711.so
{source}
{"module sndfile.so" if record else ""}
snd_path {workdir / "sndfile"}
module account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
"""
