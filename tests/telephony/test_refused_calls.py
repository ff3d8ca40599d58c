"""Calls the server cannot take are refused at once, with the SIP status that says why, and leave
nothing held (#25): an offer with no G.711 gets 488 Not Acceptable Here (RFC 3261 §21.4.26), a call
when every RTP port pair is taken gets 503 Service Unavailable (§21.5.4), and the port pair an
unacceptable offer was given is free again for the next caller. The server has one RTP port pair
here (``MEDIATE_SIP_RTP_PORTS``), so a pair held by mistake is the next call's refusal."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiortp import RTPSession
from aiosipua import SipUAC, SipUAS, build_sdp
from aiosipua.outgoing_call import OutgoingCall

from server.settings import Settings
from signaling.telephony.gateway import SipOverUdp
from tests.signaling.live import Meeting
from tests.telephony.baresip import free_port

WITHIN = 20.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    low = free_port(tcp_also=1)
    low += low % 2  # RTP takes an even port, RTCP the next
    return replace(settings, sip_rtp_ports=(low, low + 1))


class Phone:
    """A bare SIP phone (aiosipua, aiortp) that offers what the test says."""

    def __init__(self, uac: SipUAC, uas: SipUAS, rtp: RTPSession, port: int) -> None:
        self.uac, self.uas, self.rtp, self.port = uac, uas, rtp, port

    async def dial(self, server: tuple[str, int], payload_type: int, codec: str) -> OutgoingCall:
        offer = build_sdp(local_ip="127.0.0.1", rtp_port=self.port, payload_type=payload_type, codec_name=codec)
        call = self.uac.send_invite("sip:13800000000@phone.invalid", f"sip:mediation@{server[0]}:{server[1]}", server, offer)
        return call


@contextlib.asynccontextmanager
async def phone() -> AsyncIterator[Phone]:
    transport = SipOverUdp(local_addr=("127.0.0.1", free_port()))
    uac = SipUAC(transport)
    uas = SipUAS(transport, uac=uac)
    await uas.start()
    port = free_port(tcp_also=1)
    rtp = await RTPSession.create(local_addr=("127.0.0.1", port), remote_addr=("127.0.0.1", 9), payload_type=0)
    try:
        yield Phone(uac, uas, rtp, port)
    finally:
        await rtp.close()
        await uas.stop()


async def refused_with(call: OutgoingCall) -> str:
    with pytest.raises(RuntimeError) as refused:
        await call.wait_answered(WITHIN)
    return str(refused.value)


async def test_an_offer_without_g711_is_refused_and_frees_its_port_pair_and_a_full_server_says_so(
    meeting: Meeting, settings: Settings
) -> None:
    assert settings.sip_listen is not None
    server = settings.sip_listen
    async with phone() as handset:
        # G.722 only: the server cannot take it, and says so.
        assert "488" in await refused_with(await handset.dial(server, 9, "G722"))
        # The one port pair is free again: the next caller is answered.
        answered = await handset.dial(server, 0, "PCMU")
        await answered.wait_answered(WITHIN)
        # With that pair taken, a third caller is told the server is full, not left ringing.
        assert "503" in await refused_with(await handset.dial(server, 0, "PCMU"))
        handset.uac.send_bye(answered.dialog, remote_addr=server)
