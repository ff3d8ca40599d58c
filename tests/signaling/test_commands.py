"""The room's rules as plain functions (signaling/commands.py): no server, no Socket.IO, no media.

Cast as in test_namespace: mediator 刘 hosts; 张三 (applicant) and 李四 (respondent). What the
namespace sends is checked end to end there; here, the rules and whom they tell, on the room alone.
"""

from __future__ import annotations

import pytest

from server.errors import Forbidden, Gone, InvalidState
from signaling import commands
from signaling.commands import Notice
from signaling.rooms import Member, Room, Seat, participants_view

S = "session-1"
LIU = Member("liu", "刘调解员", "mediator", "staff")
ZHANG = Member("zhang", "张三", "applicant", "party")
LI = Member("li", "李四", "respondent", "party")
HOST = Seat(S, LIU.id)


def seated(room: Room, member: Member, connection: str) -> Room:
    return commands.seat(room, member, connection).room


def meeting() -> Room:
    """The host and both parties connected; both parties admitted."""
    room = Room(S, LIU.id, LIU.name)
    room = seated(seated(seated(room, LIU, "c-liu"), ZHANG, "c-zhang"), LI, "c-li")
    room = commands.admit(room, HOST, ZHANG.id).room
    return commands.admit(room, HOST, LI.id).room


def test_the_host_is_seated_admitted_and_a_party_waits() -> None:
    room = seated(seated(Room(S, LIU.id, LIU.name), LIU, "c-liu"), ZHANG, "c-zhang")
    assert room.state.require(LIU.id).state == "admitted"
    assert room.state.require(ZHANG.id).state == "waiting"
    assert room.connections == {LIU.id: "c-liu", ZHANG.id: "c-zhang"}


def test_a_newer_connection_replaces_the_older_which_is_told_and_let_go() -> None:
    room = seated(Room(S, LIU.id, LIU.name), ZHANG, "old")
    done = commands.seat(room, ZHANG, "new")
    assert done.room.connections[ZHANG.id] == "new"
    assert done.notices == (Notice("old", "replaced", {"message": "you joined from another window or device"}),)
    assert done.disconnect == ("old",)


def test_a_locked_or_ended_room_refuses_newcomers() -> None:
    room = seated(Room(S, LIU.id, LIU.name), LIU, "c-liu")
    locked = commands.lock(room, HOST, True).room
    with pytest.raises(Forbidden):
        commands.seat(locked, ZHANG, "c-zhang")
    ended = commands.end(room, HOST, "c-liu").room
    with pytest.raises(Gone):
        commands.seat(ended, ZHANG, "c-zhang")


def test_only_the_host_admits_and_only_a_connected_participant() -> None:
    room = seated(seated(Room(S, LIU.id, LIU.name), LIU, "c-liu"), ZHANG, "c-zhang")
    with pytest.raises(Forbidden):
        commands.admit(room, Seat(S, ZHANG.id), ZHANG.id)
    done = commands.admit(room, HOST, ZHANG.id)
    assert done.notices == (Notice("c-zhang", "admitted", {}),)
    away = commands.leave(room, Seat(S, ZHANG.id), "c-zhang").room
    with pytest.raises(InvalidState):
        commands.admit(away, HOST, ZHANG.id)


def test_a_removed_participant_is_told_let_go_and_unbound() -> None:
    done = commands.remove(meeting(), HOST, LI.id)
    assert done.notices == (Notice("c-li", "removed", {"message": "the mediator removed you from the session"}),)
    assert done.disconnect == ("c-li",)
    assert LI.id not in done.room.connections and done.room.state.require(LI.id).state == "removed"
    with pytest.raises(Forbidden):
        commands.seat(done.room, LI, "c-li-again")


def test_a_caucus_is_noticed_only_by_those_left_in_the_main_room() -> None:
    room = meeting()
    started = commands.start_caucus(room, HOST, "c1", [ZHANG.id])
    assert started.notices == (Notice("c-li", "caucus_notice", {"active": True}),)
    ended = commands.end_caucus(started.room, HOST, "c1")
    assert ended.notices == (Notice("c-li", "caucus_notice", {"active": False}),)


def test_a_dropped_participant_reconnects_and_past_the_grace_period_waits_again() -> None:
    room = commands.leave(meeting(), Seat(S, ZHANG.id), "c-zhang").room
    assert room.state.require(ZHANG.id).state == "reconnecting" and not room.is_online(ZHANG.id)
    assert commands.leave(room, Seat(S, LI.id), "not-li's-connection").room is room
    expired = commands.expire(room, ZHANG.id)
    assert expired is not None and expired.room.state.require(ZHANG.id).state == "waiting"
    assert commands.expire(seated(room, ZHANG, "c-zhang-2"), ZHANG.id) is None


def test_ending_tells_everyone_and_lets_go_all_but_the_host() -> None:
    done = commands.end(meeting(), HOST, "c-liu")
    assert done.room.ended
    assert [n.connection for n in done.notices] == ["c-liu", "c-zhang", "c-li"]
    assert {n.event for n in done.notices} == {"ended"}
    assert done.disconnect == ("c-zhang", "c-li")


def test_recording_needs_everyones_consent_and_the_hosts_start_is_theirs() -> None:
    room = meeting()
    with pytest.raises(InvalidState) as refused:
        commands.require_recordable(room, HOST)
    assert sorted(refused.value.details["missing"]) == sorted(["张三", "李四"])
    for who in (ZHANG, LI):
        room = commands.consent(room, Seat(S, who.id)).room
    commands.require_recordable(room, HOST)
    recording = commands.recording_started(room, "r1", "2026-01-01T00:00:00Z", LIU.id).room
    assert recording.consents == {LIU.id, ZHANG.id, LI.id} and commands.require_recording(recording, HOST) == "r1"
    withdrawn = commands.withdraw_consent(recording, Seat(S, LI.id)).room
    assert withdrawn.recording is None and LI.id not in withdrawn.consents


# -- several hosts (#21) -----------------------------------------------------------------------------

WANG = Member("wang", "王调解员", "mediator", "staff", host=True)
CO = Seat(S, WANG.id)


def with_cohost() -> Room:
    """The meeting, and 王, a co-mediator assigned to the case, seated too."""
    return seated(meeting(), WANG, "c-wang")


def test_a_co_mediator_is_seated_admitted_even_into_a_locked_room_and_runs_it_as_the_lead_does() -> None:
    locked = commands.lock(meeting(), HOST, True).room
    room = seated(locked, WANG, "c-wang")
    assert room.state.require(WANG.id).state == "admitted" and room.is_host(WANG.id) and not room.is_host(ZHANG.id)
    held = commands.hold(room, CO, ZHANG.id).room
    assert held.state.require(ZHANG.id).state == "held"
    muted = commands.mute(room, CO, LI.id, "audio")
    assert muted.notices == (Notice("c-li", "muted", {"kind": "audio", "by": "王调解员"}),)


def test_hosts_do_not_act_on_one_another() -> None:
    room = with_cohost()
    for act in (commands.hold, commands.remove):
        with pytest.raises(Forbidden) as refused:
            act(room, CO, LIU.id)
        assert refused.value.details["reason"] == "host_target"
    with pytest.raises(Forbidden):
        commands.mute(room, HOST, WANG.id, "audio")


def test_one_private_talk_at_a_time_and_any_host_ends_it() -> None:
    room = commands.start_caucus(with_cohost(), HOST, "c1", [ZHANG.id, WANG.id]).room
    assert room.state.require(WANG.id).room == "c1"
    for who in (CO, HOST):
        with pytest.raises(InvalidState) as refused:
            commands.start_caucus(room, who, "c2", [LI.id])
        assert refused.value.details["reason"] == "caucus_active"
    ended = commands.end_caucus(room, CO, "c1")
    assert {p.room for p in ended.room.state.participants} == {"main"}
    assert [(n.connection, n.data) for n in ended.notices] == [("c-li", {"active": False})]


def test_everyone_sees_who_hosts_and_who_leads() -> None:
    room = with_cohost()
    for viewer in (LIU.id, WANG.id, ZHANG.id):
        view = participants_view(room, viewer)
        assert view["hosts"] == [
            {"id": LIU.id, "name": "刘调解员", "lead": True},
            {"id": WANG.id, "name": "王调解员", "lead": False},
        ]
        entries = {p["id"]: (p["host"], p["lead"]) for p in view["participants"]}  # type: ignore[attr-defined]
        assert entries[LIU.id] == (True, True) and entries[WANG.id] == (True, False) and entries[ZHANG.id] == (False, False)
    # A co-mediator sees the room as the lead does: everyone, with their state.
    assert all("state" in p for p in participants_view(room, WANG.id)["participants"])  # type: ignore[attr-defined]
