"""Live rooms: one per mediation session, as the signalling layer keeps them.

A :class:`Room` holds the routing state (:class:`signaling.routing.RoomState`),
who each participant is (name, role), which connection currently speaks for
each participant, and the session's own switches. It is immutable; the
registry replaces it whole, so a change either happens entirely or not at all.

:class:`Rooms` is the registry's contract. :class:`MemoryRooms` keeps rooms in
this process, which is enough while one process serves all live sessions. A
Redis implementation (for several processes behind ``AsyncRedisManager``)
will implement the same interface: ``update`` as a WATCH/MULTI transaction on
the room's key, ``locate`` as a hash from connection id to seat.

Nothing here knows Socket.IO: a "connection id" is an opaque string.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from server.errors import Forbidden, InvalidInput, NotFound
from signaling.routing import MAIN_ROOM, Participant, Role, RoomState


@dataclass(frozen=True)
class Member:
    """Who a participant is, beyond what routing needs: shown to others in participant lists."""

    id: str
    name: str
    role: Role
    kind: Literal["staff", "party"]
    #: An invited person's capacity (a people's deputy, a lawyer…), shown to everyone with the role.
    invited_as: str | None = None
    #: One of the session's hosts: a mediator assigned to the case (signaling/admission.py).
    host: bool = False
    #: Joined by telephone (signaling/telephony): others see a phone tile, the host "电话接入".
    phone: bool = False


@dataclass(frozen=True)
class Seat:
    """Where a connection sits: which session, as which participant."""

    session_id: str
    participant_id: str


@dataclass(frozen=True)
class Room:
    session_id: str
    #: The lead host: the mediator the session was booked for (主持调解员). Other hosts (co-mediators
    #: assigned to the case) are members with ``host`` set; any host may run the room.
    host_id: str
    host_name: str
    state: RoomState = field(default_factory=RoomState)
    members: Mapping[str, Member] = field(default_factory=dict)
    #: participant id → the one connection that currently speaks for them.
    connections: Mapping[str, str] = field(default_factory=dict)
    #: Admit parties as they arrive instead of holding them in the waiting room.
    admit_automatically: bool = False
    #: Locked by the host: nobody new may join, not even the waiting room.
    locked: bool = False
    #: Ended by the host: the room refuses every connection from now on.
    ended: bool = False
    #: Participants with a raised hand.
    hands: frozenset[str] = frozenset()
    #: What each participant's device check reported (camera, microphone: ok/off/denied/missing).
    devices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Participants whose signed consent to be recorded is in the evidence log (this session).
    consents: frozenset[str] = frozenset()
    #: The running recording of the joint room: its id and when it started (None when not recording).
    recording: str | None = None
    recording_since: str | None = None
    #: How many changes the room has been through. Handlers broadcast the room as their own change
    #: left it, and one that awaits in between (starting media takes a while) can broadcast after a
    #: later change has been: a view carries this number so that a client keeps the newest it has
    #: seen instead of the last to arrive (the host's "admit automatically" box once sprang back).
    revision: int = 0

    def with_state(self, state: RoomState) -> Room:
        return replace(self, state=state)

    def with_member(self, member: Member) -> Room:
        return replace(self, members={**self.members, member.id: member})

    def bind(self, participant_id: str, connection_id: str) -> Room:
        return replace(self, connections={**self.connections, participant_id: connection_id})

    def unbind(self, participant_id: str) -> Room:
        return replace(self, connections={k: v for k, v in self.connections.items() if k != participant_id})

    def name_of(self, participant_id: str) -> str:
        member = self.members.get(participant_id)
        return member.name if member is not None else ""

    def is_online(self, participant_id: str) -> bool:
        return participant_id in self.connections

    def is_host(self, participant_id: str) -> bool:
        """The lead or a co-mediator: anyone who may admit, take aside, record, end."""
        member = self.members.get(participant_id)
        return participant_id == self.host_id or (member is not None and member.host)

    @property
    def host_ids(self) -> tuple[str, ...]:
        """Every host who has joined, the lead first, then the others in the order of their ids."""
        others = sorted(pid for pid, m in self.members.items() if m.host and pid != self.host_id)
        return (self.host_id, *others) if self.host_id in self.members else tuple(others)


class Rooms(abc.ABC):
    """The registry of live rooms."""

    @abc.abstractmethod
    async def open(self, session_id: str, host_id: str, host_name: str) -> Room:
        """The session's room, created empty on first use."""

    @abc.abstractmethod
    async def get(self, session_id: str) -> Room | None: ...

    @abc.abstractmethod
    async def update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]:
        """Apply ``change`` atomically; return (before, after). If ``change`` raises, nothing changes."""

    @abc.abstractmethod
    async def locate(self, connection_id: str) -> Seat | None:
        """The seat a connection currently holds, if it is bound to one."""


def revised(before: Room, after: Room) -> Room:
    """``after`` numbered as the change that follows ``before``: every registry stores this."""
    return replace(after, revision=before.revision + 1)


class MemoryRooms(Rooms):
    """Rooms in this process's memory; lost on restart.

    ``update`` calls ``change`` without yielding to the event loop, so concurrent updates of
    one room are serialised for free.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._seats: dict[str, Seat] = {}

    async def open(self, session_id: str, host_id: str, host_name: str) -> Room:
        room = self._rooms.get(session_id)
        if room is None:
            room = self._rooms[session_id] = Room(session_id, host_id, host_name)
        return room

    async def get(self, session_id: str) -> Room | None:
        return self._rooms.get(session_id)

    async def update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]:
        before = self._rooms[session_id]
        after = revised(before, change(before))
        self._rooms[session_id] = after
        for pid, cid in before.connections.items():
            if after.connections.get(pid) != cid:
                self._seats.pop(cid, None)
        for pid, cid in after.connections.items():
            self._seats[cid] = Seat(session_id, pid)
        return before, after

    async def locate(self, connection_id: str) -> Seat | None:
        return self._seats.get(connection_id)


def require_host(room: Room, seat: Seat) -> None:
    if not room.is_host(seat.participant_id):
        raise Forbidden("only the mediators hosting the session may do this")


def require_other(room: Room, seat: Seat, participant_id: str) -> None:
    """The target of a host action: a known participant other than the host, and not a host either.

    Hosts are peers: none admits, holds, mutes or removes another (a co-mediator is assigned to
    the case, not invited by the lead); each leaves, mutes themself or ends the session.
    """
    if room.state.get(participant_id) is None:
        raise NotFound(f"no participant {participant_id!r} in this session")
    if participant_id == seat.participant_id:
        raise InvalidInput("the host cannot do this to themself")
    if room.is_host(participant_id):
        raise Forbidden(f"{room.name_of(participant_id) or participant_id} hosts this session too", reason="host_target")


PRIVATE_TALK_NOTICE = "a private talk is under way"


def participants_view(room: Room, participant_id: str) -> dict[str, object]:
    """What ``participant_id`` may see of the room (the ``participants`` event of PROTOCOL.md).

    - The host sees everyone, with state, whereabouts and presence: they run the session.
    - Someone not admitted (waiting, held, reconnecting) sees only themself and the host's name.
    - An admitted participant sees the admitted (and reconnecting) participants of the room they are in, and,
      while others are in a caucus, only that a private talk is under way — not who or where.
    """
    state = room.state
    me = state.require(participant_id)

    def entry(p: Participant, full: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "id": p.id,
            "name": room.name_of(p.id),
            "role": p.role,
            "invited_as": member.invited_as if (member := room.members.get(p.id)) is not None else None,
            "host": room.is_host(p.id),
            "phone": member.phone if member is not None else False,
            "lead": p.id == room.host_id,
            "sending": sorted(p.sending),
            "hand": p.id in room.hands,
            "consented": p.id in room.consents,
        }
        if full:
            out |= {
                "state": p.state,
                "in_caucus": p.room != MAIN_ROOM,
                "online": room.is_online(p.id),
                "audio_only": p.audio_only,
                "device": dict(room.devices.get(p.id, {})),
            }
        return out

    private_talk = False
    if room.is_host(participant_id):
        visible = [entry(p, full=True) for p in state.participants if p.state != "removed"]
    elif me.state != "admitted":
        visible = [entry(me)]
    else:
        # Someone whose connection dropped stays on screen as "reconnecting" for the grace period.
        visible = [
            entry(p) | {"reconnecting": p.state == "reconnecting"}
            for p in state.participants
            if p.state in ("admitted", "reconnecting") and p.room == me.room
        ]
        private_talk = any(participant_id not in c.occupants for c in state.caucuses)
    return {
        "self": {
            "id": me.id,
            "state": me.state,
            "in_caucus": me.room != MAIN_ROOM,
            "audio_only": me.audio_only,
            "sending": sorted(me.sending),
            "hand": me.id in room.hands,
            "consented": me.id in room.consents,
        },
        "host": {"id": room.host_id, "name": room.host_name},
        # Every host who has joined, lead first: the waiting room names them.
        "hosts": [{"id": pid, "name": room.name_of(pid), "lead": pid == room.host_id} for pid in room.host_ids],
        "participants": visible,
        "private_talk": private_talk,
        "notice": PRIVATE_TALK_NOTICE if private_talk else None,
        "locked": room.locked,
        "admit_automatically": room.admit_automatically,
        "caucus": hosted_caucus(room, participant_id),
        # Everyone, even in the waiting room, sees whether the joint room is being recorded.
        "recording": {"active": room.recording is not None, "since": room.recording_since},
        # Views of one connection may arrive out of order; the newest is the one with the highest number.
        "revision": room.revision,
    }


def hosted_caucus(room: Room, participant_id: str) -> dict[str, object] | None:
    """For every host: the private talk under way, its id, host and members (any host may end it,
    and a reloaded page still can)."""
    if not room.is_host(participant_id):
        return None
    caucus = next(iter(room.state.caucuses), None)
    if caucus is None:
        return None
    return {"id": caucus.id, "host_id": caucus.host_id, "member_ids": sorted(caucus.member_ids)}
