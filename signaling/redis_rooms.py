"""Live rooms in Redis, so that every server process sees the same waiting room and caucus.

The same contract as :class:`signaling.rooms.MemoryRooms`: a room is replaced whole by
``update``, which applies the change in a WATCH/MULTI transaction on the room's key and
retries when another process changed the room meanwhile; a change that raises writes nothing.
Which seat a connection holds is a hash from connection id to seat, written in the same
transaction, so ``locate`` never sees a seat the room does not have.

A room is stored as JSON (its shape is below, ``room_json``/``room_from_json``); it expires a
day after its last change, long after any session has ended, so that nothing accumulates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import WatchError

from signaling.rooms import Member, Room, Rooms, Seat, revised
from signaling.routing import Caucus, Participant, RoomState

#: Seconds a room is kept after its last change.
ROOM_TTL = 24 * 3600
#: Optimistic transactions retried this often before giving up (only under heavy contention).
MAX_RETRIES = 50
#: Connections one process keeps to Redis, and how long a command waits for one when all are busy.
POOL_SIZE = 100
POOL_WAIT_SECONDS = 10.0


def connect(url: str) -> Redis:
    """The process's Redis client.

    redis-py's default pool fails a command at once ("Too many connections") when its 100
    connections are busy; a burst of events from a thousand clients does that, and each failure
    became an ``internal_error`` ack. A blocking pool makes the command wait for a connection.
    """
    return Redis(connection_pool=BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_WAIT_SECONDS))


class RedisRooms(Rooms):
    def __init__(self, redis: Redis, prefix: str = "mediate") -> None:
        self.redis = redis
        self.prefix = prefix
        self._seats = f"{prefix}:seats"

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}:room:{session_id}"

    async def open(self, session_id: str, host_id: str, host_name: str) -> Room:
        room = Room(session_id, host_id, host_name)
        await self.redis.set(self._key(session_id), encode(room), nx=True, ex=ROOM_TTL)
        found = await self.get(session_id)
        assert found is not None
        return found

    async def get(self, session_id: str) -> Room | None:
        raw = await self.redis.get(self._key(session_id))
        return None if raw is None else decode(raw)

    async def update(self, session_id: str, change: Callable[[Room], Room]) -> tuple[Room, Room]:
        key = self._key(session_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_RETRIES):
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise KeyError(session_id)
                    before = decode(raw)
                    after = revised(before, change(before))
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, encode(after), ex=ROOM_TTL)
                    gone = [cid for pid, cid in before.connections.items() if after.connections.get(pid) != cid]
                    if gone:
                        pipe.hdel(self._seats, *gone)
                    if after.connections:
                        pipe.hset(
                            self._seats,
                            mapping={cid: json.dumps([session_id, pid]) for pid, cid in after.connections.items()},
                        )
                    await pipe.execute()
                    return before, after
                except WatchError:
                    continue
        raise RuntimeError(f"room {session_id} changed {MAX_RETRIES} times while being updated")

    async def locate(self, connection_id: str) -> Seat | None:
        raw = await self.redis.hget(self._seats, connection_id)
        if raw is None:
            return None
        session_id, participant_id = json.loads(raw)
        return Seat(session_id, participant_id)


# -- the stored shape ------------------------------------------------------------------------------


def room_json(room: Room) -> dict[str, Any]:
    return {
        "session_id": room.session_id,
        "host_id": room.host_id,
        "host_name": room.host_name,
        "participants": [
            {
                "id": p.id,
                "role": p.role,
                "state": p.state,
                "room": p.room,
                "audio_only": p.audio_only,
                "sending": sorted(p.sending),
            }
            for p in room.state.participants
        ],
        "caucuses": [{"id": c.id, "host_id": c.host_id, "member_ids": sorted(c.member_ids)} for c in room.state.caucuses],
        "members": {
            m.id: {"name": m.name, "role": m.role, "kind": m.kind, "invited_as": m.invited_as, "host": m.host, "phone": m.phone}
            for m in room.members.values()
        },
        "connections": dict(room.connections),
        "admit_automatically": room.admit_automatically,
        "locked": room.locked,
        "ended": room.ended,
        "hands": sorted(room.hands),
        "devices": {pid: dict(found) for pid, found in room.devices.items()},
        "consents": sorted(room.consents),
        "recording": room.recording,
        "recording_since": room.recording_since,
        "revision": room.revision,
    }


def room_from_json(data: Mapping[str, Any]) -> Room:
    state = RoomState(
        participants=tuple(
            Participant(p["id"], p["role"], p["state"], p["room"], p["audio_only"], frozenset(p["sending"]))
            for p in data["participants"]
        ),
        caucuses=tuple(Caucus(c["id"], c["host_id"], frozenset(c["member_ids"])) for c in data["caucuses"]),
    )
    return Room(
        session_id=data["session_id"],
        host_id=data["host_id"],
        host_name=data["host_name"],
        state=state,
        members={
            pid: Member(pid, m["name"], m["role"], m["kind"], m.get("invited_as"), m.get("host", False), m.get("phone", False))
            for pid, m in data["members"].items()
        },
        connections=dict(data["connections"]),
        admit_automatically=data["admit_automatically"],
        locked=data["locked"],
        ended=data["ended"],
        hands=frozenset(data["hands"]),
        devices={pid: dict(found) for pid, found in data["devices"].items()},
        consents=frozenset(data["consents"]),
        recording=data["recording"],
        recording_since=data["recording_since"],
        revision=data.get("revision", 0),  # rooms stored before views were numbered
    )


def encode(room: Room) -> str:
    return json.dumps(room_json(room), ensure_ascii=False, separators=(",", ":"))


def decode(raw: bytes | str) -> Room:
    return room_from_json(cast(dict[str, Any], json.loads(raw)))
