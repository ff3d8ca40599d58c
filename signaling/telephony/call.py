"""One phone call, from the first ring to the hang-up: the PIN, the waiting room, the room.

A caller is a participant like any other once their PIN names their party (their own PIN, tied
to their personal link: server/domain/links.py): the room's rules seat them, hold them in the
waiting room until a host admits them, and routing decides whom they hear and who hears them
(signaling/telephony/line.py). What the room tells a browser by an event (``admitted``, ``held``,
``removed``, ``ended``…) the caller hears as a prompt (signaling/telephony/prompts.py).

The call keeps its own 20 ms clock: at every tick it sends the caller one G.711 packet, a piece
of a prompt while one plays, else what they may hear of the room, else silence (a line that sends
nothing is taken for dead by many gateways).

Wrong PINs are limited twice: three per call (then the call ends), and across calls, per calling
number and from all callers (signaling/telephony/pin_guard.py), so that dialling again does not give
a guesser more tries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

from server.domain.principal import PartyPrincipal
from server.errors import DomainError, Forbidden, Gone, NotFound
from signaling.telephony.line import FRAME_BYTES, PhoneLine
from signaling.telephony.pin_guard import PinGuard
from signaling.telephony.prompts import Prompts

log = logging.getLogger(__name__)

PIN_DIGITS = 6
#: Wrong PINs one call may type before it is ended.
TRIES_PER_CALL = 3
#: How long a caller has to type the PIN after the prompt, before being asked again.
PIN_TIMEOUT_SECONDS = 20.0
TICK = 0.02

Phase = Literal["pin", "waiting", "admitted", "ending"]


class Media(Protocol):
    """The call's RTP session (aiortp's ``RTPSession``), as much of it as the call uses."""

    def send_audio_pcm_auto(self, pcm: bytes) -> int: ...


class Room(Protocol):
    """What a call needs of the live session (signaling/namespace.py)."""

    async def find_by_pin(self, pin: str) -> PartyPrincipal: ...
    async def seat_by_phone(
        self, connection: str, principal: PartyPrincipal, line: PhoneLine, *, admit: bool = False
    ) -> None: ...
    async def phone_left(self, connection: str) -> None: ...
    async def phone_pressed(self, connection: str, key: str) -> None: ...
    async def phone_dial_failed(self, session_id: str, participant_id: str, name: str, reason: str) -> None: ...


class PhoneCall:
    def __init__(
        self,
        call_id: str,
        number: str,
        media: Media,
        prompts: Prompts,
        room: Room,
        guard: PinGuard,
        hang_up: Callable[[], Awaitable[None]],
    ) -> None:
        self.connection = f"phone:{call_id}"
        self.number = number
        self.media = media
        self.prompts = prompts
        self.room = room
        self.guard = guard
        self._hang_up = hang_up
        self.phase: Phase = "pin"
        self.line: PhoneLine | None = None
        self.principal: PartyPrincipal | None = None
        self._prompt = b""
        self._prompt_done = asyncio.Event()
        self._prompt_done.set()
        self._digits: asyncio.Queue[str] = asyncio.Queue()
        self._ending: asyncio.Event = asyncio.Event()
        self._seated = False
        #: The key pressed after the recording notice: "1" agrees, "2" refuses (None: not yet asked or answered).
        self.pressed: str | None = None
        self._asking = False
        self._tasks: set[asyncio.Task[None]] = set()

    # -- from the phone ------------------------------------------------------------------------

    def audio(self, pcm: bytes, _timestamp: int) -> None:
        """What the caller's phone sent, decoded from G.711: into the room once they have a place in it."""
        if self.line is not None:
            self.line.spoken(pcm)

    def dtmf(self, digit: str, _duration: int) -> None:
        if self.phase == "admitted" and self._asking and digit in ("1", "2"):
            self._answered(digit)
        elif self.phase == "pin":
            self._digits.put_nowait(digit)

    def _answered(self, key: str) -> None:
        """The caller's answer to the recording notice: said back to them, and told to the hosts."""
        self.pressed, self._asking = key, False
        self.play("consent_pressed" if key == "1" else "consent_refused")
        task = asyncio.ensure_future(self.room.phone_pressed(self.connection, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- to the phone --------------------------------------------------------------------------

    def play(self, *names: str) -> None:
        """Say these prompts, one after another, instead of whatever was being said."""
        self._prompt = b"".join(self.prompts[name] for name in names)
        self._prompt_done.clear()

    async def played(self) -> None:
        await self._prompt_done.wait()

    def tick(self) -> None:
        """20 ms for the caller: a prompt's next piece, else the room, else silence."""
        if self._prompt:
            frame, self._prompt = self._prompt[:FRAME_BYTES], self._prompt[FRAME_BYTES:]
            frame = frame.ljust(FRAME_BYTES, b"\0")
            if not self._prompt:
                self._prompt_done.set()
        elif self.phase == "admitted" and self.line is not None:
            frame = self.line.heard()
        else:
            frame = bytes(FRAME_BYTES)
        self.media.send_audio_pcm_auto(frame)

    async def clock(self) -> None:
        """The call's own clock: a packet every 20 ms, catching up after a late wake-up rather than drifting."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            self.tick()
            due += TICK
            late = loop.time() - due
            if late > 0.2:  # the loop was stalled: skip ahead instead of sending a burst
                due = loop.time()
            await asyncio.sleep(max(0.0, due - loop.time()))

    # -- the call ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Ask for the PIN, then seat the caller; afterwards the room's events drive the call."""
        if await self.guard.blocked(self.number):
            await self.end("pin_blocked")
            return
        principal = await self._ask_pin()
        if principal is None:
            return
        line = PhoneLine(principal.party_id)
        try:
            await self.room.seat_by_phone(self.connection, principal, line)
        except Gone:
            await self.end("session_over")
            return
        except Forbidden:
            await self.end("room_closed")
            return
        except DomainError:  # the session's media stays with another process's caller, or a state the room refuses
            await self.end("cannot_join")
            return
        self.principal, self.line, self._seated = principal, line, True
        if self.phase == "pin":  # the room's own event (admitted at once) may have come first
            self.phase = "waiting"
            self.play("waiting")
        await self._ending.wait()

    async def run_dialled(self, principal: PartyPrincipal) -> None:
        """A call the mediator made to the party ("call me"): no PIN to ask, and they are let straight in."""
        line = PhoneLine(principal.party_id)
        try:
            await self.room.seat_by_phone(self.connection, principal, line, admit=True)
        except DomainError:
            await self.end("cannot_join")
            return
        self.principal, self.line, self._seated = principal, line, True
        await self._ending.wait()

    async def _ask_pin(self) -> PartyPrincipal | None:
        self.play("pin")
        wrong = 0
        while True:
            pin = await self._read_pin()
            if pin is None:
                self.play("no_input")
                wrong += 1
            else:
                try:
                    return await self.room.find_by_pin(pin)
                except NotFound:
                    await self.guard.failed(self.number)
                    wrong += 1
                    log.info("phone call from %s: a wrong PIN (%d of %d)", mask(self.number), wrong, TRIES_PER_CALL)
                    self.play("pin_wrong")
                except Gone:
                    await self.end("session_over")
                    return None
                except DomainError:  # a malformed PIN cannot come from six digits; count it as wrong
                    wrong += 1
                    self.play("pin_wrong")
            if wrong >= TRIES_PER_CALL or await self.guard.blocked(self.number):
                await self.end("pin_blocked")
                return None

    async def _read_pin(self) -> str | None:
        """Six digits (``*`` starts over, ``#`` is ignored), or None if none came in time after the prompt."""
        typed = ""
        while len(typed) < PIN_DIGITS:
            try:
                digit = await self._next_digit()
            except TimeoutError:
                return None
            if digit == "*":
                typed = ""
            elif digit.isdigit():
                typed += digit
        return typed

    async def _next_digit(self) -> str:
        """The next key: no time limit while a prompt plays (people type over it), a limit once it has ended."""
        getter = asyncio.ensure_future(self._digits.get())
        try:
            if not self._prompt_done.is_set():
                ended = asyncio.ensure_future(self._prompt_done.wait())
                await asyncio.wait({getter, ended}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
            return await asyncio.wait_for(getter, PIN_TIMEOUT_SECONDS)
        finally:
            getter.cancel()

    def ask_consent(self) -> bool:
        """The mediator asks: the caller hears the recording notice (consent.py's text, said), then 1 or 2.

        Asked by the mediator when recording is wanted, not at once: the notice takes half a minute
        during which the caller hears no one. False if the caller is not in the room.
        """
        if self.phase != "admitted":
            return False
        self._asking, self.pressed = True, None
        self.play("consent_notice")
        return True

    async def heard_from_room(self, event: str, data: Any) -> None:
        """An event the room owes this participant, as a browser would get it (PROTOCOL.md)."""
        if self.phase == "ending":
            return
        if event == "admitted":
            self.phase = "admitted"
            self.play("admitted")
        elif event == "consent_witnessed":
            self.play("consent_witnessed")
        elif event == "held":
            self.phase = "waiting"
            self.play("waiting")
        elif event in ("removed", "ended", "replaced", "restarting"):
            await self.end(event)
        elif event == "revoked":
            await self.end("session_over")

    async def end(self, prompt: str | None = None) -> None:
        """Say goodbye (``prompt``), then hang up."""
        if self.phase == "ending":
            return
        self.phase = "ending"
        if prompt is not None:
            log.info("phone call from %s: said %s, then hung up", mask(self.number), prompt)
            self.play(prompt)
            await self.played()
        await self._hang_up()
        self._ending.set()

    async def closed(self) -> None:
        """The call is over (either side hung up): the caller's place is kept for the grace period, like a browser's."""
        self.phase = "ending"
        self._ending.set()
        if self._seated:
            self._seated = False
            await self.room.phone_left(self.connection)


def mask(number: str) -> str:
    """A calling number for the log: the last four digits only."""
    return f"…{number[-4:]}" if len(number) > 4 else "…"
