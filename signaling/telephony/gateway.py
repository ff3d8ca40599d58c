"""The organisation's phone number, answered: a SIP user agent server on ``MEDIATE_SIP_LISTEN``.

SIP (RFC 3261) and RTP (RFC 3550) are aiosipua's and aiortp's, two small maintained asyncio
libraries that run inside this process: a call costs one UDP port pair and a 20 ms timer here,
not a second server to run. A carrier's SIP trunk or the organisation's PBX sends its calls to
this address (docs/TELEPHONY.md shows an Asterisk trunk); calls arrive as INVITEs, are answered
with G.711 (PCMU or PCMA, what the phone network carries, ITU-T G.711) and DTMF as RFC 4733
telephone-events, and each becomes a :class:`signaling.telephony.call.PhoneCall`.

The room sees a caller through a *connection id* of their own (``phone:<Call-ID>``): what the
room's rules owe that connection (``admitted``, ``removed``…) comes back here through the
namespace's ``emit`` and is heard as a prompt; letting it go hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from aiortp import RTPSession
from aiortp.port_allocator import PortAllocator
from aiosipua import IncomingCall, SipDigestAuth, SipUAC, SipUAS, build_sdp
from aiosipua.outgoing_call import OutgoingCall
from aiosipua.registration import Registration, RegistrationState
from aiosipua.sdp import SdpMessage
from aiosipua.sdp_negotiate import SdpNegotiationError, negotiate_sdp
from aiosipua.transport import UdpSipTransport

from server.domain.principal import PartyPrincipal
from server.errors import InvalidState
from server.ops.lifecycle import Lifecycle
from signaling.background import Background
from signaling.telephony.call import PhoneCall, Room, mask
from signaling.telephony.pin_guard import LocalPinGuard, PinGuard
from signaling.telephony.prompts import Prompts

log = logging.getLogger(__name__)

#: PCMU and PCMA (RFC 3551's static payload types 0 and 8), the caller's order of preference.
G711 = [0, 8]
#: How long a party's phone may ring before a call out counts as not answered.
RING_SECONDS = 45.0
#: How long after a refused or expired registration it is tried again.
RETRY_SECONDS = 60


class _Datagrams(asyncio.DatagramProtocol):
    """aiosipua's UDP protocol without its ``isinstance(transport, asyncio.DatagramTransport)`` check,
    which CPython 3.11's selector loop fails (its datagram transport does not derive from that class)."""

    def __init__(self, owner: UdpSipTransport) -> None:
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._udp_transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.warning("SIP over UDP: %s", exc)


class SipOverUdp(UdpSipTransport):
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: _Datagrams(self), local_addr=self.local_addr)


@dataclass
class Active:
    call: PhoneCall
    call_id: str
    #: Sends the BYE that ends the call (ours to the caller, or to the trunk for a call we made).
    bye: Callable[[], object]
    rtp: RTPSession
    port: int
    tasks: tuple[asyncio.Task[Any], ...]


def telephone_event(offer: SdpMessage) -> int | None:
    """The payload type the caller offered for RFC 4733 telephone-events (DTMF), if any."""
    audio = offer.audio
    if audio is None:
        return None
    return next((c.payload_type for c in audio.codecs if c.encoding_name.lower() == "telephone-event"), None)


def number_of(uri: str) -> str:
    """The calling number: the user part of the From URI (``sip:13800000000@carrier``)."""
    user = uri.split(":", 1)[-1].split("@", 1)[0]
    return user.split(";", 1)[0] or "anonymous"


class SipGateway:
    def __init__(
        self,
        listen: tuple[str, int],
        prompts: Prompts,
        room: Room,
        lifecycle: Lifecycle,
        *,
        advertised_ip: str | None = None,
        rtp_ports: tuple[int, int] = (40000, 49999),
        trunk: tuple[str, int] | None = None,
        caller_id: str = "mediation",
        account: tuple[str, str] | None = None,
        guard: PinGuard | None = None,
    ) -> None:
        self.listen = listen
        #: Where calls out go (``MEDIATE_SIP_TRUNK``: the PBX or carrier), and the number they show.
        self.trunk = trunk
        self.caller_id = caller_id
        #: The trunk account this server registers as (user, password), when the trunk wants registration.
        self.account = account
        self._registration: Registration | None = None
        self._registration_problem: str | None = "not yet answered"
        self._retry: asyncio.TimerHandle | None = None
        self.prompts = prompts
        self.room = room
        self.lifecycle = lifecycle
        self.advertised_ip = advertised_ip
        #: Wrong PINs, counted across calls (and processes, on Redis).
        self.guard: PinGuard = guard or LocalPinGuard()
        self._ports = PortAllocator(rtp_ports)
        self._calls: dict[str, Active] = {}
        self._background = Background(log, "phone calls")
        self._uas: SipUAS | None = None
        self._uac: SipUAC | None = None

    @property
    def calls(self) -> int:
        return len(self._calls)

    def status(self) -> dict[str, Any]:
        """For ``/readyz``: where calls are answered, how many are under way, and whether the trunk has us registered."""
        out: dict[str, Any] = {"listening": f"{self.listen[0]}:{self.listen[1]}", "calls": len(self._calls)}
        if self.account is not None and self.trunk is not None:
            registered = self._registration is not None and self._registration.state is RegistrationState.REGISTERED
            out["trunk"] = {
                "registrar": f"{self.trunk[0]}:{self.trunk[1]}",
                "registered": registered,
                **({} if registered else {"problem": self._registration_problem}),
            }
        return out

    def _register(self) -> None:
        """Register with the trunk (RFC 3261 §10) so that calls to the organisation's number reach us.

        aiosipua's :class:`Registration` refreshes before the binding expires and answers digest
        challenges; a refusal or an expiry is said in ``/readyz`` and tried again a minute later.
        """
        if self.account is None or self.trunk is None or self._uac is None:
            return
        user, password = self.account
        host = self.advertised_ip or self.listen[0]
        registration = Registration(
            self._uac,
            f"sip:{user}@{self.trunk[0]}",
            self.trunk,
            auth=SipDigestAuth(user, password),
            contact_uri=f"sip:{user}@{host}:{self.listen[1]}",
            user_agent="mediate",
        )

        def registered(_: Registration) -> None:
            self._registration_problem = None
            log.info("registered with the trunk as %s", user)

        def failed(_: Registration, status: int, reason: str) -> None:
            self._registration_problem = f"{status} {reason}".strip()
            log.warning("the trunk refused our registration: %s; trying again in %ds", self._registration_problem, RETRY_SECONDS)
            self._again()

        def expired(_: Registration) -> None:
            self._registration_problem = "the registration expired"
            self._again()

        registration.on_registered = registered
        registration.on_failed = failed
        registration.on_expired = expired
        self._registration = registration
        registration.register()

    def _again(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        registration = self._registration
        if registration is not None:
            self._retry = asyncio.get_running_loop().call_later(RETRY_SECONDS, registration.register)

    async def start(self) -> None:
        transport = SipOverUdp(local_addr=self.listen)
        self._uac = SipUAC(transport)
        uas = SipUAS(transport, user_agent="mediate", uac=self._uac)
        uas.on_invite = lambda incoming: self._background.spawn(self._answer(incoming))
        uas.on_bye = lambda incoming, _request: self._background.spawn(self._gone(incoming.call_id))
        uas.on_cancel = lambda request, _addr: self._background.spawn(self._gone(request.call_id or ""))
        await uas.start()
        self._uas = uas
        self._register()
        log.info("phone calls answered on udp %s:%d", *self.listen)

    async def close(self) -> None:
        for connection in list(self._calls):
            active = self._calls.get(connection)
            if active is not None:
                await self._hang_up(active.call_id)
        if self._retry is not None:
            self._retry.cancel()
        if self._registration is not None and self._registration.state is RegistrationState.REGISTERED:
            with contextlib.suppress(Exception):
                self._registration.unregister()
        if self._uas is not None:
            await self._uas.stop()
            self._uas = None

    # -- the room's side -----------------------------------------------------------------------

    def holds(self, connection: str | None) -> bool:
        return connection is not None and connection in self._calls

    def call_of(self, session_id: str, participant_id: str) -> PhoneCall | None:
        """The call under way that seats this party in this session, if any."""
        for active in self._calls.values():
            principal = active.call.principal
            if principal is not None and principal.session_id == session_id and principal.party_id == participant_id:
                return active.call
        return None

    def deliver(self, connection: str, event: str, data: Any) -> None:
        active = self._calls.get(connection)
        if active is not None:
            self._background.spawn(active.call.heard_from_room(event, data))

    def let_go(self, connection: str) -> None:
        """The room let this caller go (removed, replaced, ended): they hear why, then the line is hung up."""
        active = self._calls.get(connection)
        if active is not None:
            self._background.spawn(active.call.end())

    # -- the phone's side ----------------------------------------------------------------------

    async def _answer(self, incoming: IncomingCall) -> None:
        offer = incoming.sdp_offer
        number = number_of(incoming.caller)
        if offer is None or offer.rtp_address is None:
            incoming.reject(488, "Not Acceptable Here")
            return
        dtmf = telephone_event(offer) or 101
        ip = self.listen[0]
        try:
            rtp = await self._rtp(ip, offer, dtmf)
        except (OSError, RuntimeError):  # aiortp's allocator raises RuntimeError when every pair is taken
            log.warning("phone call from %s refused: no RTP port pair is free (MEDIATE_SIP_RTP_PORTS)", mask(number))
            incoming.reject(503, "Service Unavailable")
            return
        try:
            answer, _ = negotiate_sdp(
                offer, local_ip=self.advertised_ip or ip, rtp_port=rtp.local_port, supported_codecs=G711, dtmf_payload_type=dtmf
            )
        except SdpNegotiationError:
            log.info("phone call from %s refused: it offers no G.711", mask(number))
            incoming.reject(488, "Not Acceptable Here")
            await rtp.session.close()
            await self._ports.release(rtp.local_port)
            return
        call = PhoneCall(
            incoming.call_id, number, rtp.session, self.prompts, self.room, self.guard, lambda: self._hang_up(incoming.call_id)
        )
        rtp.session.on_audio = call.audio
        rtp.session.on_dtmf = call.dtmf
        incoming.accept(answer)
        log.info("phone call %s from %s answered", incoming.call_id[:8], mask(number))
        loop = asyncio.get_running_loop()
        clock = loop.create_task(call.clock())
        # Draining (a restart): new callers are told to call again in a minute, like a browser is told to reconnect.
        work = loop.create_task(call.end("restarting") if self.lifecycle.draining else call.run())
        self._calls[call.connection] = Active(call, incoming.call_id, incoming.hangup, rtp.session, rtp.local_port, (clock, work))
        work.add_done_callback(lambda task: self._finished(call.connection, task))

    def _finished(self, connection: str, task: asyncio.Task[Any]) -> None:
        """A call's work failed unexpectedly: logged, and the caller is told before the line closes."""
        if not task.cancelled() and task.exception() is not None:
            log.error("phone call %s failed", connection, exc_info=task.exception())
            active = self._calls.get(connection)
            if active is None:
                return
            if active.call.phase == "ending":  # it failed saying goodbye: just hang up
                self._background.spawn(self._hang_up(active.call_id))
            else:
                self._background.spawn(active.call.end("cannot_join"))

    async def _rtp(self, ip: str, offer: SdpMessage, dtmf: int) -> Bound:
        remote = offer.rtp_address
        assert remote is not None
        chosen = next((c.payload_type for c in offer.audio.codecs if c.payload_type in G711), 0) if offer.audio else 0
        for _ in range(5):
            port, _rtcp = await self._ports.allocate()
            try:
                session = await RTPSession.create(
                    local_addr=(ip, port), remote_addr=remote, payload_type=chosen, dtmf_payload_type=dtmf, symmetric_rtp=True
                )
            except OSError:  # taken meanwhile by another process: the next pair
                await self._ports.release(port)
                continue
            return Bound(session, port)
        raise OSError("no free RTP port pair for the call")

    async def _hang_up(self, call_id: str) -> None:
        active = self._calls.get(f"phone:{call_id}")
        if active is not None:
            active.bye()
        await self._gone(call_id)

    # -- calling a party ("call me") -----------------------------------------------------------

    async def dial(self, number: str, principal: PartyPrincipal, failed: Callable[[str], Awaitable[None]]) -> None:
        """Call a party through the trunk, as the mediator asked. Answered, they are seated as their
        party and let in at once (the mediator called them); not answered, ``failed`` says why."""
        if self.trunk is None or self._uac is None:
            raise InvalidState("no telephone line to call out through is configured (MEDIATE_SIP_TRUNK)", reason="no_trunk")
        ip = self.advertised_ip or self.listen[0]
        try:
            port, _rtcp = await self._ports.allocate()
        except RuntimeError:  # every RTP port pair is in use
            raise InvalidState("every telephone line is in use; try again shortly", reason="lines_busy") from None
        try:
            rtp = await RTPSession.create(
                local_addr=(self.listen[0], port), remote_addr=(self.trunk[0], 9), payload_type=0, symmetric_rtp=True
            )
        except OSError:
            await self._ports.release(port)
            raise
        offer = build_sdp(local_ip=ip, rtp_port=port, payload_type=0, codec_name="PCMU")
        host, trunk_port = self.trunk
        out = self._uac.send_invite(
            f"sip:{self.caller_id}@{ip}", f"sip:{number}@{host}:{trunk_port}", self.trunk, offer, user_agent="mediate"
        )
        log.info("calling %s for session %s", mask(number), principal.session_id)
        self._background.spawn(self._ringing(out, rtp, port, number, principal, failed))

    async def _ringing(
        self,
        out: OutgoingCall,
        rtp: RTPSession,
        port: int,
        number: str,
        principal: PartyPrincipal,
        failed: Callable[[str], Awaitable[None]],
    ) -> None:
        try:
            await out.wait_answered(RING_SECONDS)
            answer = out.sdp_answer
            if answer is None or answer.rtp_address is None:
                raise RuntimeError("the answer has no audio")
        except (TimeoutError, RuntimeError) as exc:
            if isinstance(exc, TimeoutError) and self._uac is not None:
                with contextlib.suppress(Exception):
                    self._uac.send_cancel(out)
            await rtp.close()
            await self._ports.release(port)
            log.info("calling %s: %s", mask(number), exc)
            await failed("no_answer" if isinstance(exc, TimeoutError) else "rejected")
            return
        rtp.update_remote(answer.rtp_address)
        uac, trunk = self._uac, self.trunk
        assert uac is not None and trunk is not None
        call = PhoneCall(out.call_id, number, rtp, self.prompts, self.room, self.guard, lambda: self._hang_up(out.call_id))
        rtp.on_audio = call.audio
        rtp.on_dtmf = call.dtmf
        loop = asyncio.get_running_loop()
        clock = loop.create_task(call.clock())
        work = loop.create_task(call.run_dialled(principal))
        self._calls[call.connection] = Active(
            call, out.call_id, lambda: uac.send_bye(out.dialog, remote_addr=trunk), rtp, port, (clock, work)
        )
        work.add_done_callback(lambda task: self._finished(call.connection, task))

    async def _gone(self, call_id: str) -> None:
        active = self._calls.pop(f"phone:{call_id}", None)
        if active is None:
            return
        log.info("phone call %s ended", call_id[:8])
        for task in active.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(Exception):
            await active.rtp.close()
        await self._ports.release(active.port)
        await active.call.closed()


@dataclass
class Bound:
    session: RTPSession
    local_port: int
