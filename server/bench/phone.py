"""`mediate bench media`, figure 5: what a caller by phone costs the server (#25).

Each caller is a light SIP phone in the load generator's process (aiosipua's UAC, aiortp's RTP):
it dials the server's SIP address, types its party's PIN as RFC 4733 telephone-events and then
says a 440 Hz tone in PCMU, 20 ms a packet, as a handset does; it never decodes what it hears. The
sessions are 3-person: the mediator and one party in browsers (the light aiortc peers of
``server.bench.peers``, admitting automatically) and the other party by phone. The figure is the
server's cores with the callers in, less the same sessions without them, per caller: the caller's
voice encoded to Opus once, and the mix of the two others decoded for them.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import socket

from aiortp import RTPSession
from aiosipua import SipUAC, SipUAS, build_sdp
from aiosipua.outgoing_call import OutgoingCall

from server.bench.peers import Booked, LoadPeer, Media, ServerCpu
from signaling.telephony.gateway import SipOverUdp

TONE = array.array("h", (int(6000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000))).tobytes()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BenchCaller:
    """One phone: dials, types the PIN, then talks until hung up."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.uas: SipUAS | None = None
        self.uac: SipUAC | None = None
        self.rtp: RTPSession | None = None
        self.call: OutgoingCall | None = None
        self._talking: asyncio.Task[None] | None = None

    async def dial(self, pin: str) -> None:
        transport = SipOverUdp(local_addr=("127.0.0.1", free_udp_port()))
        self.uac = SipUAC(transport)
        self.uas = SipUAS(transport, uac=self.uac)
        await self.uas.start()
        port = free_udp_port()
        self.rtp = await RTPSession.create(local_addr=("127.0.0.1", port), remote_addr=("127.0.0.1", 9), payload_type=0)
        offer = build_sdp(local_ip="127.0.0.1", rtp_port=port, payload_type=0, codec_name="PCMU")
        host, sip_port = self.server
        self.call = self.uac.send_invite("sip:13800000000@bench.invalid", f"sip:mediation@{host}:{sip_port}", self.server, offer)
        await self.call.wait_answered(20)
        answer = self.call.sdp_answer
        if answer is None or answer.rtp_address is None:
            raise RuntimeError("the server's answer has no audio address")
        self.rtp.update_remote(answer.rtp_address)
        self._talking = asyncio.create_task(self._talk())
        for i, digit in enumerate(pin):
            # Each key its own event timestamp (RFC 4733 §2.5.1.2): a receiver takes a repeated one for the same key.
            self.rtp.send_dtmf(digit, 160, timestamp=(i + 1) * 8000)
            await asyncio.sleep(0.25)  # one key at a time, as a thumb types them

    async def _talk(self) -> None:
        assert self.rtp is not None
        loop = asyncio.get_running_loop()
        due, offset = loop.time(), 0
        while True:
            self.rtp.send_audio_pcm_auto(TONE[offset : offset + 320])
            offset = (offset + 320) % len(TONE)
            due += 0.02
            await asyncio.sleep(max(0.0, due - loop.time()))

    async def hang_up(self) -> None:
        if self._talking is not None:
            self._talking.cancel()
        if self.uac is not None and self.call is not None:
            with contextlib.suppress(Exception):
                self.uac.send_bye(self.call.dialog, remote_addr=self.server)
        if self.rtp is not None:
            await self.rtp.close()
        if self.uas is not None:
            await self.uas.stop()


async def phone_cost(
    base: str, sessions: list[Booked], sip: tuple[str, int], cpu: ServerCpu, media: Media, window: float
) -> tuple[float, float, int]:
    """(server cores without the callers, with them, callers in) for these 3-person sessions."""
    peers: list[LoadPeer] = []
    parties: list[LoadPeer] = []
    callers: list[BenchCaller] = []
    try:
        for booked in sessions:
            host = LoadPeer(base, booked.mediator_cookie, {"session_id": booked.session_id}, *media)
            await host.connect()
            await host.call("admit_automatically", {"on": True})
            party = LoadPeer(base, booked.party_cookies[0], None, *media)
            await party.connect()
            for peer in (host, party):
                await peer.start_media()
                peers.append(peer)
            parties.append(party)
        await asyncio.sleep(5.0)  # negotiations (key generation, DTLS) settle before the window
        without = await cpu.cores(window)
        for booked in sessions:
            caller = BenchCaller(sip)
            callers.append(caller)
            await caller.dial(booked.pins[1])
        await asyncio.sleep(8.0)  # the PIN is checked, the caller admitted, the prompt that says so has played
        with_callers = await cpu.cores(window)
        # Only callers the parties in browsers actually heard count: a figure for callers left waiting would flatter.
        heard = sum(
            1 for p in parties if any(n for (pid, kind), n in p.frames.items() if kind == "audio" and pid not in own(p, peers))
        )
        if heard < len(callers):
            raise RuntimeError(f"only {heard} of {len(callers)} callers reached the room: the figure would not be of callers")
        return without, with_callers, heard
    finally:
        for caller in callers:
            await caller.hang_up()
        for peer in peers:
            await peer.close()


def own(party: LoadPeer, peers: list[LoadPeer]) -> set[str]:
    """The browser participants of the load (the mediators and parties), whose audio is not a caller's."""
    return {p.participant_id for p in peers}
