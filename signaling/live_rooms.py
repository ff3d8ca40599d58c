"""The live rooms as the ``/live`` event handlers use them: apply a command, let the media follow, tell people.

:class:`LiveRooms` stands between the room registry (signaling/rooms.py) and the connections:
a command of signaling/commands.py is applied atomically, the session's media re-evaluates its
routing after every change (here or, several processes, where the media is: signaling/owners.py),
and what the command owes to whom is sent through the :class:`Transport` (the namespace, the only
module that knows Socket.IO). :class:`Connections` knows who each connection of this process is.
The event handlers (room_events.py, media_events.py, recording_events.py) hold these two and
call them; none of them knows another's insides.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any, Protocol

from pydantic import BaseModel

from server.domain.principal import PartyPrincipal, Staff
from signaling.commands import Command, Notice, Outcome
from signaling.media import MediaServer
from signaling.owners import MediaOwners, OwnerUnavailable, carried_principal
from signaling.rooms import Room, Rooms, Seat, participants_view

#: An event handler: (connection id, seat, validated payload) -> ack.
Handler = Callable[[str, Seat, Any], Awaitable[dict[str, Any]]]
#: The events a component handles: name -> (payload model, handler).
Events = dict[str, tuple[type[BaseModel], Handler]]


class Transport(Protocol):
    """What reaches a connection: an event, or the end of it."""

    async def emit(self, event: str, data: Any = None, to: str | None = None, **kwargs: Any) -> None: ...

    async def disconnect(self, sid: str, namespace: str | None = None) -> None: ...


class Connections:
    """Who each connection of this process is: the principal its handshake proved (for the case history)."""

    def __init__(self) -> None:
        self._principals: dict[str, Staff | PartyPrincipal] = {}

    def add(self, sid: str, principal: Staff | PartyPrincipal) -> None:
        self._principals[sid] = principal

    def drop(self, sid: str) -> None:
        self._principals.pop(sid, None)

    def here(self, sid: str) -> Staff | PartyPrincipal | None:
        """The principal of a connection of this process."""
        return self._principals.get(sid)

    def principal(self, sid: str) -> Staff | PartyPrincipal | None:
        """Who sent an event: the connection's principal, or the one carried with it from another process."""
        return self._principals.get(sid) or carried_principal.get()

    def __contains__(self, sid: object) -> bool:
        return sid in self._principals

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._principals))

    def __len__(self) -> int:
        return len(self._principals)


class LiveRooms:
    def __init__(self, rooms: Rooms, media: MediaServer, owners: MediaOwners, transport: Transport) -> None:
        self.rooms = rooms
        self.media = media
        self.owners = owners
        self.transport = transport

    async def get(self, session_id: str) -> Room | None:
        return await self.rooms.get(session_id)

    async def update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]:
        """Change the room and let the media follow: routing is re-evaluated on every change."""
        before, after = await self.rooms.update(session_id, change)
        if after.state is not before.state or after.consents != before.consents:
            media = self.media.get(session_id)
            if media is not None:
                media.update(after.state, after.consents, after.revision)
            else:
                await self.owners.changed(session_id)  # the media may be in another process
        return before, after

    async def apply(self, session_id: str, command: Command) -> tuple[Room, Outcome]:
        """Apply a command atomically; return the room before and the command's outcome."""
        outcome: Outcome | None = None

        def change(room: Room) -> Room:
            nonlocal outcome
            outcome = command(room)  # the registry may retry: the last one is what was applied
            return outcome.room

        before, after = await self.update(session_id, change)
        assert outcome is not None
        # The room as stored, numbered (``Room.revision``), not as the command returned it.
        return before, replace(outcome, room=after)

    # -- delivery --------------------------------------------------------------------------------

    async def tell(self, notices: tuple[Notice, ...]) -> None:
        for notice in notices:
            await self.transport.emit(notice.event, notice.data, to=notice.connection)

    async def let_go(self, connections: tuple[str, ...]) -> None:
        for connection in connections:
            await self.transport.disconnect(connection)

    async def send(self, room: Room, participant_id: str, event: str, data: dict[str, Any]) -> None:
        connection = room.connections.get(participant_id)
        if connection is not None:
            await self.transport.emit(event, data, to=connection)

    async def to_hosts(self, room: Room, event: str, data: dict[str, Any]) -> None:
        """An event for every host connected (the lead and the co-mediators)."""
        for pid in room.host_ids:
            await self.send(room, pid, event, data)

    async def broadcast(self, room: Room, skip: str | None = None) -> None:
        """Send each connected participant the ``participants`` view they may see."""
        for pid, connection in room.connections.items():
            if connection != skip:
                await self.transport.emit("participants", participants_view(room, pid), to=connection)

    # -- media -----------------------------------------------------------------------------------

    async def close_media(self, session_id: str, participant_id: str) -> None:
        """Close a participant's peer; the session's media room goes when its last peer does."""
        owner = await self.owners.owner(session_id, claim=False)
        if not self.owners.is_here(owner):
            assert owner is not None
            with contextlib.suppress(OwnerUnavailable):
                await self.owners.call(owner, {"op": "close_peer", "session_id": session_id, "participant_id": participant_id})
            return
        media = self.media.get(session_id)
        if media is not None:
            await media.close_peer(participant_id)
            if not media.peers and not media.lines and media.recorder is None:
                await self.close_room(session_id)

    async def close_room(self, session_id: str) -> None:
        """Close the session's media here; another process may carry it next time."""
        await self.media.close_room(session_id)
        await self.owners.release(session_id)
