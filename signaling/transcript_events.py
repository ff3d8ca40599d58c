"""The mediation record written live (调解笔录, server/domain/transcripts.py): the host writes, the room reads.

A host (the lead or a co-mediator, or a colleague of the committee hosting as recorder) sends the
whole draft a moment after they stop typing (``transcript``); it is saved first, through the
domain service, so that what everyone sees is what is kept and a dropped connection loses nothing;
then every other admitted participant gets it. Whoever is admitted later (a party let in from the
waiting room, anyone reconnecting) is sent the saved draft at once, so a late joiner reads what was
written before they came. Nobody waiting or held reads it: they are not in the session yet.

The record is of the joint session: while a private talk lasts, what the mediator writes still
reaches everyone admitted, so what is said in a caucus is not written into it (人民调解法 art. 15:
what a party says in confidence stays so); the panel says so beside the text.
"""

from __future__ import annotations

import logging
from typing import Any

from server.domain.booking import iso
from server.errors import Forbidden
from server.services import Services
from signaling.live_rooms import Connections, Events, LiveRooms
from signaling.messages import Transcript, ack_ok
from signaling.rooms import Room, Seat

log = logging.getLogger(__name__)


def readers(room: Room, seat: Seat) -> list[str]:
    """Everyone admitted to the room but the writer: who is sent the draft as it is written."""
    return sorted(p.id for p in room.state.participants if p.state == "admitted" and p.id != seat.participant_id)


class TranscriptEvents:
    def __init__(self, services: Services, live: LiveRooms, connections: Connections) -> None:
        self.services = services
        self.live = live
        self.connections = connections

    def events(self) -> Events:
        return {"transcript": (Transcript, self.write)}

    async def write(self, sid: str, seat: Seat, payload: Transcript) -> dict[str, Any]:
        room = await self.live.get(seat.session_id)
        if room is None or not room.is_host(seat.participant_id):
            raise Forbidden("the mediator writes the record; you read it as it is written", reason="mediator_writes")
        # Kept before it is shown: the domain checks who may write and what may be written.
        view = await self.services.transcripts.save(self.connections.principal(sid), seat.session_id, payload.content)
        event = {
            "content": view.content,
            "updated_at": iso(view.updated_at) if view.updated_at else None,
            "by": room.name_of(seat.participant_id),
        }
        room = await self.live.get(seat.session_id)
        assert room is not None
        for pid in readers(room, seat):
            await self.live.send(room, pid, "transcript", event)
        log.info("session %s: record saved by %s", seat.session_id, seat.participant_id)
        return ack_ok(updated_at=event["updated_at"])

    async def send_current(self, room: Room, participant_id: str) -> None:
        """The saved draft, to one participant just admitted or back (nothing if nothing was written)."""
        try:
            content = await self.services.transcripts.current(room.session_id)
        except Exception:
            log.exception("session %s: could not read the record for %s", room.session_id, participant_id)
            return
        if content is not None:
            await self.live.send(room, participant_id, "transcript", {"content": content, "updated_at": None, "by": None})
