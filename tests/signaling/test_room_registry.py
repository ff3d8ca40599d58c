"""The room registry's contract, held by the in-process registry and the Redis one alike.

The Redis cases run against the machine's Redis (MEDIATE_TEST_REDIS_URL, set by scripts/test;
CI requires it), each test under keys of its own. Two ``RedisRooms`` on one Redis stand for two
server processes.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from server.errors import Forbidden
from signaling.redis_rooms import POOL_SIZE, RedisRooms, connect, decode, encode
from signaling.rooms import Member, MemoryRooms, Room, Rooms, Seat
from signaling.routing import RoomState

REDIS_URL = os.environ.get("MEDIATE_TEST_REDIS_URL", "").strip()
KINDS = ["memory"] + (["redis"] if REDIS_URL else [])

Maker = Callable[[], Rooms]


@pytest.fixture(params=KINDS)
async def registries(request: pytest.FixtureRequest) -> AsyncIterator[Maker]:
    """Makes registries that share their rooms (for Redis: two processes on one Redis)."""
    if request.param == "memory":
        shared = MemoryRooms()
        yield lambda: shared
        return
    prefix = f"mediate-test-{uuid.uuid4().hex}"
    clients: list[Redis] = []

    def make() -> Rooms:
        client = connect(REDIS_URL)  # the client `mediate serve` makes
        clients.append(client)
        return RedisRooms(client, prefix)

    yield make
    cleaner = Redis.from_url(REDIS_URL)
    keys = [key async for key in cleaner.scan_iter(f"{prefix}:*")]
    if keys:
        await cleaner.delete(*keys)
    await cleaner.aclose()
    for client in clients:
        await client.aclose()


def with_party(room: Room, pid: str, connection: str) -> Room:
    member = Member(pid, "张三", "applicant", "party")
    return room.with_member(member).with_state(room.state.join(pid, "applicant")).bind(pid, connection)


async def test_a_room_opened_in_one_process_is_seen_and_changed_in_another(registries: Maker) -> None:
    one, two = registries(), registries()
    opened = await one.open("s1", "host", "刘调解员")
    assert (opened.host_id, opened.host_name, opened.state) == ("host", "刘调解员", RoomState())
    assert await two.get("s1") == opened
    assert await two.open("s1", "someone-else", "x") == opened  # opening again changes nothing

    before, after = await two.update("s1", lambda r: with_party(r, "p1", "sid-1"))
    assert before == opened
    assert await one.get("s1") == after
    assert await one.locate("sid-1") == Seat("s1", "p1")
    assert after.state.get("p1") is not None and after.state.require("p1").state == "waiting"

    # The connection is replaced: the old one no longer locates, the new one does, everywhere.
    await one.update("s1", lambda r: r.bind("p1", "sid-2"))
    assert await two.locate("sid-1") is None
    assert await two.locate("sid-2") == Seat("s1", "p1")
    await two.update("s1", lambda r: r.unbind("p1"))
    assert await one.locate("sid-2") is None
    assert await one.get("missing") is None


async def test_a_change_that_is_refused_changes_nothing(registries: Maker) -> None:
    rooms = registries()
    await rooms.open("s1", "host", "刘调解员")
    await rooms.update("s1", lambda r: with_party(r, "p1", "sid-1"))
    kept = await rooms.get("s1")

    def refuse(room: Room) -> Room:
        raise Forbidden("only the host may do that")

    with pytest.raises(Forbidden):
        await rooms.update("s1", lambda r: refuse(r.unbind("p1")))
    assert await rooms.get("s1") == kept
    assert await rooms.locate("sid-1") == Seat("s1", "p1")
    with pytest.raises(KeyError):
        await rooms.update("never-opened", lambda r: r)


async def test_changes_racing_from_two_processes_are_all_kept(registries: Maker) -> None:
    one, two = registries(), registries()
    await one.open("s1", "host", "刘调解员")
    hands = [f"p{i}" for i in range(40)]

    async def raise_hand(rooms: Rooms, pid: str) -> None:
        await rooms.update("s1", lambda r: replace(r, hands=r.hands | {pid}))

    await asyncio.gather(*(raise_hand(one if i % 2 else two, pid) for i, pid in enumerate(hands)))
    room = await one.get("s1")
    assert room is not None and room.hands == frozenset(hands)
    # Each change numbered once, one after the other, a retried one too: a view's revision orders it.
    assert room.revision == len(hands)


async def test_a_burst_larger_than_the_connection_pool_waits_for_connections_instead_of_failing(registries: Maker) -> None:
    """A thousand clients sending at once once made every command past the pool's size fail
    ("Too many connections"), and each failure an ``internal_error`` ack."""
    rooms = registries()
    room = await rooms.open("s1", "host", "刘调解员")
    pids = [f"p{i}" for i in range(3 * POOL_SIZE)]
    for pid in pids:
        room = with_party(room, pid, f"sid-{pid}")
    await rooms.update("s1", lambda _: room)

    seats = await asyncio.gather(*(rooms.locate(f"sid-{pid}") for pid in pids))
    assert [seat.participant_id if seat else None for seat in seats] == pids


def test_a_room_with_everything_in_it_is_stored_and_read_back_unchanged() -> None:
    room = Room("s1", "host", "刘调解员")
    room = room.with_member(Member("host", "刘调解员", "mediator", "staff", host=True)).with_state(
        room.state.join("host", "mediator").admit("host")
    )
    # A co-mediator (#21): a host too, which the stored room must remember.
    room = room.with_member(Member("co", "王调解员", "mediator", "staff", host=True)).bind("co", "sid-co")
    room = room.with_state(room.state.join("co", "mediator").admit("co"))
    room = with_party(room, "p1", "sid-1")
    room = room.with_member(Member("p2", "李四", "respondent", "party")).bind("p2", "sid-2")
    state = room.state.join("p2", "respondent").admit("p1").admit("p2").set_audio_only("p2", True)
    state = state.start_caucus("c1", "host", ["p1"]).set_sending("p1", "screen", True)
    room = replace(
        room.with_state(state),
        admit_automatically=True,
        locked=True,
        hands=frozenset({"p2"}),
        devices={"p1": {"camera": "ok", "microphone": "denied"}},
        consents=frozenset({"p1", "host"}),
        recording="r" * 32,
        recording_since="2026-12-03T10:00:00Z",
        revision=7,
    )
    assert decode(encode(room)) == room
    assert decode(encode(room)).is_host("co") and not decode(encode(room)).is_host("p1")
