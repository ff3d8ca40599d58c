"""A caller's consent to recording, given by keypress and witnessed by the mediator (#25).

When a host asks (``phone_consent_ask``), a caller hears the recording notice and presses 1 (agree)
or 2 (refuse): signaling/telephony/call.py.
The hosts are told (``phone_consent``: who, from which number, which key). Pressing a key proves
nothing of who pressed it, so it becomes consent only when a host who heard the caller signs a
``consent`` record with their own key (method ``dtmf``, the party as its subject, the calling number
and the notice's hash: server/domain/consent.py): ``phone_consent_prepare`` gives the statement,
``phone_consent_witness`` takes the signature, logs it, and from then on the recorder follows the
caller's consent like anyone's (signaling/commands.py ``consent``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from server.domain.principal import PartyPrincipal
from server.errors import InvalidState, NotFound
from server.evidence.records import b64
from server.services import Services
from signaling import commands
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.messages import PhoneConsentPrepare, PhoneConsentWitness, Target, ack_ok
from signaling.rooms import Room, Seat, require_host
from signaling.telephony.call import PhoneCall
from signaling.telephony.gateway import SipGateway

log = logging.getLogger(__name__)


class PhoneEvents:
    def __init__(
        self, services: Services, live: LiveRooms, connections: Connections, phone: Callable[[], SipGateway | None]
    ) -> None:
        self.services = services
        self.live = live
        self.connections = connections
        self._phone = phone

    def events(self) -> Events:
        return {
            "phone_dial": (Target, self.dial),
            "phone_consent_ask": (Target, self.ask),
            "phone_consent_prepare": (PhoneConsentPrepare, self.prepare),
            "phone_consent_witness": (PhoneConsentWitness, self.witness),
        }

    async def _hosting(self, seat: Seat) -> Room:
        """The live room, if the sender hosts it (every phone event is a host's)."""
        room = await self.live.get(seat.session_id)
        if room is None:
            raise InvalidState("the session is not live")
        require_host(room, seat)
        return room

    async def _caller(self, seat: Seat, participant_id: str) -> PhoneCall | None:
        """The call that seats ``participant_id`` in the host's session, if they are in it by phone."""
        await self._hosting(seat)
        gateway = self._phone()
        return gateway.call_of(seat.session_id, participant_id) if gateway is not None else None

    async def dial(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        """Call a party of the session on the phone number on file ("call me", for those who cannot dial in)."""
        room = await self._hosting(seat)
        if room.is_online(payload.participant_id):
            raise InvalidState("this party is in the session already", reason="already_here")
        view, _ = await self.services.booking.for_host(self.connections.principal(sid), seat.session_id)
        party = next((p for p in view.parties if p.id == payload.participant_id), None)
        if party is None:
            raise NotFound("no such party in this session", reason="no_such_party")
        if not party.phone:
            raise InvalidState("no phone number is on file for this party", reason="no_phone")
        gateway = self._phone()
        if gateway is None:
            raise InvalidState("this server does not make phone calls", reason="no_trunk")
        principal = PartyPrincipal(party.id, party.case_id, seat.session_id, party.name)
        session_id, party_id, name, room_side = seat.session_id, party.id, party.name, gateway.room

        links, staff = self.services.links, self.connections.principal(sid)

        async def failed(reason: str) -> None:
            await links.phone_call(staff, principal, "failed", reason)
            await room_side.phone_dial_failed(session_id, party_id, name, reason)

        await gateway.dial(party.phone, principal, failed)
        await links.phone_call(staff, principal, "called")
        return ack_ok(calling=party.name)

    async def ask(self, sid: str, seat: Seat, payload: Target) -> dict[str, Any]:
        """Play the recording notice to a caller in the room, who then answers 1 or 2 on their keypad."""
        call = await self._caller(seat, payload.participant_id)
        if call is None or not call.ask_consent():
            raise InvalidState("this participant is not in the room by phone", reason="not_by_phone")
        return ack_ok()

    async def prepare(self, sid: str, seat: Seat, payload: PhoneConsentPrepare) -> dict[str, Any]:
        call = await self._caller(seat, payload.participant_id)
        if call is None or call.pressed != "1":
            raise InvalidState("this participant has not pressed 1 to agree on their phone", reason="not_agreed_by_phone")
        prepared = await self.services.consents.prepare_by_phone(
            self.connections.principal(sid), seat.session_id, payload.participant_id, key=payload.key, number=call.number
        )
        return ack_ok(
            challenge=prepared.challenge, statement=b64(prepared.statement), claim=prepared.claim, options=prepared.options
        )

    async def witness(self, sid: str, seat: Seat, payload: PhoneConsentWitness) -> dict[str, Any]:
        await self._hosting(seat)
        seq, party_id = await self.services.consents.witness_by_phone(
            self.connections.principal(sid), payload.challenge, signature=payload.signature, credential=payload.credential
        )
        _, done = await self.live.apply(seat.session_id, lambda now: commands.consent(now, Seat(seat.session_id, party_id)))
        log.info(
            "session %s: %s consented by phone, witnessed by %s (seq %d)", seat.session_id, party_id, seat.participant_id, seq
        )
        await self.live.broadcast(done.room)
        await self.live.send(done.room, party_id, "consent_witnessed", {"seq": seq})
        return ack_ok(seq=seq)
