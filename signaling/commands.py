"""The room's rules: what each command of ``/live`` does to a live room, and whom it must tell.

Plain functions on :class:`signaling.rooms.Room`. Each takes the room as it is and returns an
:class:`Outcome`: the room as it becomes, the events owed to particular connections, and the
connections to close once told. A command that is not allowed raises a domain error, and then
nothing changes (the registry applies a command atomically, signaling/rooms.py). Nothing here
knows Socket.IO, media or the database: the event handlers (signaling/room_events.py,
media_events.py, recording_events.py) apply these through the registry and deliver what they
return (signaling/live_rooms.py). Who receives which media or chat is decided by
:mod:`signaling.routing` alone; the events and their payloads are those of ``PROTOCOL.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from server.errors import Forbidden, Gone, InvalidState
from signaling.rooms import Member, Room, Seat, require_host, require_other
from signaling.routing import MAIN_ROOM, ChatScope, TrackKind, chat_receivers, chat_scope


@dataclass(frozen=True)
class Notice:
    """An event owed to one connection."""

    connection: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """A command's result: the room as it becomes, whom to tell what, and whom to let go after."""

    room: Room
    notices: tuple[Notice, ...] = ()
    #: Connections to close once the notices are sent (a removed participant, one replaced by a newer connection).
    disconnect: tuple[str, ...] = ()


#: A command as the registry applies it: the room as it is → the outcome.
Command = Callable[[Room], Outcome]


def tell(room: Room, participant_id: str, event: str, data: dict[str, Any] | None = None) -> tuple[Notice, ...]:
    """An event for a participant's current connection; nothing if they are not connected."""
    connection = room.connections.get(participant_id)
    return () if connection is None else (Notice(connection, event, data or {}),)


# -- arriving and leaving --------------------------------------------------------------------------


def seat(room: Room, member: Member, connection: str) -> Outcome:
    """Give ``member`` their place, bound to ``connection``.

    The newer connection wins (PROTOCOL.md, "One connection per participant"): an older one of
    the same participant is told ``replaced`` and closed.
    """
    state, pid = room.state, member.id
    hosting = member.host or pid == room.host_id
    current = state.get(pid)
    if room.ended:
        raise Gone("the mediator has ended this session")
    if current is None:
        if room.locked and not hosting:
            raise Forbidden("the mediator has locked the room; please call them")
        state = state.join(pid, member.role)
        if hosting or room.admit_automatically:
            state = state.admit(pid)
    elif current.state == "removed":
        raise Forbidden("you were removed from this session")
    elif current.state == "reconnecting":
        state = state.reconnected(pid)
    elif hosting and current.state != "admitted":
        # The host was away past the grace period and was sent to the waiting room like
        # anyone else; but hosts do not admit one another, so they are seated at once (#19, item 11).
        state = state.admit(pid)
    seated = room.with_member(member).with_state(state).bind(pid, connection)
    replaced = room.connections.get(pid)
    if replaced is None:
        return Outcome(seated)
    return Outcome(seated, (Notice(replaced, "replaced", {"message": "you joined from another window or device"}),), (replaced,))


def leave(room: Room, seat: Seat, connection: str) -> Outcome:
    """A connection dropped: an admitted participant is *reconnecting* for the grace period.

    Nothing changes if a newer connection already speaks for them.
    """
    if room.connections.get(seat.participant_id) != connection:
        return Outcome(room)
    state = room.state
    current = state.get(seat.participant_id)
    if current is not None and current.state == "admitted":
        state = state.reconnecting(seat.participant_id)
    return Outcome(room.unbind(seat.participant_id).with_state(state))


def expire(room: Room, participant_id: str) -> Outcome | None:
    """Grace period over: a participant still away goes back to the waiting room (None: they are back, or gone)."""
    current = room.state.get(participant_id)
    if room.is_online(participant_id) or current is None or current.state != "reconnecting":
        return None
    after = room.with_state(room.state.expire(participant_id))
    return Outcome(after, caucus_notices(room, after))


def caucus_notices(before: Room, after: Room) -> tuple[Notice, ...]:
    """Tell those left in the main room when a private talk starts or ends (``caucus_notice``)."""
    was = {c.id for c in before.state.caucuses}
    now = {c.id for c in after.state.caucuses}
    if was == now:
        return ()
    active = bool(now)
    notices: list[Notice] = []
    for p in after.state.participants:
        if p.room == MAIN_ROOM and p.state == "admitted" and not any(p.id in c.occupants for c in before.state.caucuses):
            notices.extend(tell(after, p.id, "caucus_notice", {"active": active}))
    return tuple(notices)


# -- the host's commands ---------------------------------------------------------------------------


def admit(room: Room, seat: Seat, participant_id: str) -> Outcome:
    require_host(room, seat)
    require_other(room, seat, participant_id)
    if not room.is_online(participant_id):
        raise InvalidState(f"{participant_id!r} is not connected")
    after = room.with_state(room.state.admit(participant_id))
    return Outcome(after, tell(after, participant_id, "admitted"))


def let_in(room: Room, participant_id: str) -> Outcome:
    """A party the mediator called by phone is let in as soon as they answer: the host's call was the admission."""
    after = room.with_state(room.state.admit(participant_id))
    return Outcome(after, tell(after, participant_id, "admitted"))


def hold(room: Room, seat: Seat, participant_id: str) -> Outcome:
    require_host(room, seat)
    require_other(room, seat, participant_id)
    after = room.with_state(room.state.hold(participant_id))
    return Outcome(after, tell(after, participant_id, "held"))


def remove(room: Room, seat: Seat, participant_id: str) -> Outcome:
    """The host removes a participant: told ``removed``, their connection closed, never to come back."""
    require_host(room, seat)
    require_other(room, seat, participant_id)
    after = room.with_state(room.state.remove(participant_id)).unbind(participant_id)
    gone = room.connections.get(participant_id)
    if gone is None:
        return Outcome(after)
    return Outcome(after, (Notice(gone, "removed", {"message": "the mediator removed you from the session"}),), (gone,))


def start_caucus(room: Room, seat: Seat, caucus_id: str, member_ids: list[str]) -> Outcome:
    """A host takes some of those in the joint room aside (背对背调解), a co-mediator too if they choose.

    One private talk at a time, whoever of the hosts starts it: the side left in the joint room
    is told only that "a private talk is under way", and two at once would leave nobody able to
    say which one a note or a return belongs to. Any host may end it (``end_caucus``).
    """
    require_host(room, seat)
    under_way = next(iter(room.state.caucuses), None)
    if under_way is not None:
        raise InvalidState(
            f"{room.name_of(under_way.host_id)} is already in a private talk; end it first", reason="caucus_active"
        )
    after = room.with_state(room.state.start_caucus(caucus_id, seat.participant_id, member_ids))
    return Outcome(after, caucus_notices(room, after))


def end_caucus(room: Room, seat: Seat, caucus_id: str) -> Outcome:
    """Any host ends the private talk, from inside it or from the joint room: everyone in it comes back."""
    require_host(room, seat)
    after = room.with_state(room.state.end_caucus(caucus_id))
    return Outcome(after, caucus_notices(room, after))


def lock(room: Room, seat: Seat, on: bool) -> Outcome:
    """Locked, nobody new may join, not even the waiting room."""
    require_host(room, seat)
    return Outcome(replace(room, locked=on))


def admit_automatically(room: Room, seat: Seat, on: bool) -> Outcome:
    """Let parties who arrive from now on straight in (those already waiting still need admitting)."""
    require_host(room, seat)
    return Outcome(replace(room, admit_automatically=on))


def end(room: Room, seat: Seat, connection: str) -> Outcome:
    """A host ends the session for everyone (the other hosts too): all are told, the others' connections
    closed, no one may come back. Any host may: the mediators appointed together mediate together
    (人民调解法 art. 19: one or several mediators), none is the other's subordinate in the room."""
    require_host(room, seat)
    notices = tuple(Notice(c, "ended", {"message": "the mediator has ended the session"}) for c in room.connections.values())
    return Outcome(replace(room, ended=True), notices, tuple(c for c in room.connections.values() if c != connection))


def mute(room: Room, seat: Seat, participant_id: str, kind: TrackKind) -> Outcome:
    """The host switches off a participant's microphone, camera or screen share, server-side."""
    require_host(room, seat)
    require_other(room, seat, participant_id)
    after = room.with_state(room.state.set_sending(participant_id, kind, False))
    return Outcome(after, tell(after, participant_id, "muted", {"kind": kind, "by": after.name_of(seat.participant_id)}))


# -- anyone in the room ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatLine:
    """Where a chat message goes: decided by the routing rule alone, on one snapshot of the room."""

    sender_id: str
    sender_name: str
    #: The sender's room (the main room or a caucus), kept with the message.
    room: str
    recipients: frozenset[str]
    scope: ChatScope


def chat(room: Room | None, seat: Seat) -> ChatLine:
    me = room.state.get(seat.participant_id) if room is not None else None
    if room is None or me is None or me.state != "admitted":
        raise Forbidden("only admitted participants may chat")
    return ChatLine(me.id, room.name_of(me.id), me.room, chat_receivers(room.state, me.id), chat_scope(room.state, me.id))


def hand(room: Room, seat: Seat, up: bool) -> Outcome:
    me = room.state.get(seat.participant_id)
    if me is None or me.state != "admitted":
        raise Forbidden("only admitted participants may raise a hand")
    hands = room.hands | {me.id} if up else room.hands - {me.id}
    return Outcome(replace(room, hands=frozenset(hands)))


def audio_only(room: Room, seat: Seat, on: bool) -> Outcome:
    return Outcome(room.with_state(room.state.set_audio_only(seat.participant_id, on)))


def start_media(room: Room, seat: Seat, audio: bool, video: bool) -> Outcome:
    """What a (re)started peer connection sends: what the device check left on, and no screen."""
    state = room.state.set_sending(seat.participant_id, "audio", audio)
    state = state.set_sending(seat.participant_id, "video", video)
    return Outcome(room.with_state(state.set_sending(seat.participant_id, "screen", False)))


def publish(room: Room, seat: Seat, kind: TrackKind, on: bool) -> Outcome:
    me = room.state.require(seat.participant_id)
    if kind == "screen" and on and me.state != "admitted":
        raise Forbidden("only admitted participants may share their screen")
    return Outcome(room.with_state(room.state.set_sending(seat.participant_id, kind, on)))


def report_devices(room: Room, seat: Seat, camera: str, microphone: str) -> Outcome:
    """What the device check found, shown to the host beside the name in the waiting room."""
    devices = {**room.devices, seat.participant_id: {"camera": camera, "microphone": microphone}}
    return Outcome(replace(room, devices=devices))


# -- recording (signaling/recording_events.py) -----------------------------------------------------


def consent(room: Room, seat: Seat) -> Outcome:
    return Outcome(replace(room, consents=room.consents | {seat.participant_id}))


def require_consented(room: Room | None, seat: Seat) -> None:
    if room is None or seat.participant_id not in room.consents:
        raise InvalidState("you have not consented to recording")


def withdraw_consent(room: Room, seat: Seat) -> Outcome:
    """A withdrawal stops the recording for everyone."""
    return Outcome(replace(room, consents=room.consents - {seat.participant_id}, recording=None, recording_since=None))


def host_joins_recording(room: Room, seat: Seat) -> bool:
    """A host's ``record_start`` while a recording runs that does not yet record them: their own consent.

    Each host consents for themself, as the lead does by starting it; nobody's consent is given by
    another, so a co-mediator is not recorded until they say so.
    """
    require_host(room, seat)
    return room.recording is not None and seat.participant_id not in room.consents


def require_recordable(room: Room, seat: Seat) -> None:
    """The host may start recording only when every admitted participant has consented."""
    require_host(room, seat)
    if room.recording is not None:
        raise InvalidState("the session is being recorded already")
    missing = [
        room.name_of(p.id)
        for p in room.state.participants
        if p.state == "admitted" and not p.is_recorder and not room.is_host(p.id) and p.id not in room.consents
    ]
    if missing:
        raise InvalidState(
            "尚有人未同意录音录像 / not everyone has consented yet: " + "、".join(missing),
            reason="consent_missing",
            missing=missing,
        )


def recording_started(room: Room, recording_id: str, since: str, started_by: str | None) -> Outcome:
    """The host's start is their own consent (the host who started it, of several; None: a recording
    resumed after a failover, on the consents already given)."""
    consents = room.consents | {started_by} if started_by is not None else room.consents
    return Outcome(replace(room, consents=consents, recording=recording_id, recording_since=since))


def recording_stopped(room: Room) -> Outcome:
    return Outcome(replace(room, recording=None, recording_since=None))


def require_recording(room: Room, seat: Seat) -> str:
    """The recording the host may stop."""
    require_host(room, seat)
    if room.recording is None:
        raise InvalidState("the session is not being recorded")
    return room.recording
