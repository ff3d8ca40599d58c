"""Who may hear, see and read whom in a live mediation session.

This module is the single place that decides, for every (sender track,
receiver) pair, whether the media server forwards the track, and, by the same
rule, whether a chat message is delivered. Everything else in the signalling
layer asks this module; nothing else decides.

The rule, in plain words
------------------------
Media or chat flows from a sender to a receiver only if **all** of these hold:

1. They are two different, known participants (nobody is sent their own track;
   an unknown id gets nothing — the rule fails closed).
2. Both are *admitted*. A participant who is still in the waiting room, who has
   been put on hold, or who has been removed receives nothing and sends to
   nobody. A participant who is *reconnecting* keeps their place (their room)
   but, until they are back, receives nothing and sends nothing: we do not
   forward to a transport we cannot vouch for, and a re-established connection
   must be re-authorised by becoming admitted again.
3. Both are in the **same room** — the joint room ``"main"`` or the same caucus.
   While a caucus lasts, nothing (audio, video, screen share or chat) crosses
   its boundary in either direction, save the one note of rule 7.
4. The sender is not a recorder. A recorder only ever subscribes.
5. For video and screen-share tracks only: the receiver has not switched to
   audio-only. Audio-only changes what a participant *receives*, never what
   they send, and never affects chat.
6. The sender is *sending* that kind of track: their microphone is not muted
   (by themself or by the host), their camera is on, and for a screen share,
   they are sharing. A muted participant's client may still send packets; the
   server does not forward them, so the host's "mute" holds against any client.

One exception to rule 3, for chat only:

7. While a caucus lasts, a chat message from an admitted participant in the
   joint room also reaches the caucus's host (and nobody else in the caucus):
   a note passed in to the mediator, never a way out. The side left waiting can
   still say "my connection is bad" or "I have to leave at four" to the one
   person responsible for the session; what is said *inside* the caucus still
   reaches nobody outside it, and the other party in the caucus never sees the
   note. Media never takes this path.

A recorder is a participant bound to exactly one room for its whole life. The
ordinary recorder is bound to ``"main"`` and so records the joint session only;
it is never moved into a caucus. Recording a caucus needs a separate recorder
bound to that caucus, and is refused unless the organisation allows it and
everyone in the caucus has consented. When the caucus ends, its recorder is
removed, so it can never pick up anything said afterwards.

Why the server, not the browser, enforces this
----------------------------------------------
背对背调解 (caucus, "back-to-back" mediation) is an established method in
人民调解 practice: the mediator speaks with one side privately so that a party
can say what they would not say in front of the other — their real bottom line,
a family or business matter, a fear. The People's Mediation Law (人民调解法,
2010) lets the mediator choose the method suited to the dispute (art. 22,
"可以采取多种方式调解") and sanctions a mediator who leaks a party's private
or commercial secrets (art. 15). A caucus that the other side can overhear is
worse than no caucus: it invites disclosure and then betrays it.

A browser is under its user's control. A "mute" in the client, a hidden video
element or an unsubscribed track can be undone by a modified client, a
developer console, or simply a bug. The only place where "the other side
receives no packet of this caucus" can be guaranteed is where packets are
forwarded: the server. So the server forwards a track, or relays a chat
message, only when :func:`flows` / :func:`chat_reaches` say so.

Design
------
The state is an immutable :class:`RoomState`; each transition (``admit``,
``hold``, ``start_caucus`` …) returns a new state or raises
:class:`RoutingError` with a precise reason, leaving the old state untouched.
``RoomState`` checks its own invariants on construction, so an inconsistent
state (a participant in a caucus that does not exist, a caucus member whose
room disagrees, …) cannot be built by any path, not just by the helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, get_args

MAIN_ROOM = "main"

Role = Literal["mediator", "judge", "applicant", "respondent", "agent", "interpreter", "invited", "recorder"]
ParticipantState = Literal["waiting", "admitted", "held", "removed", "reconnecting"]
TrackKind = Literal["audio", "video", "screen"]

ROLES: frozenset[str] = frozenset(get_args(Role))
STATES: frozenset[str] = frozenset(get_args(ParticipantState))
KINDS: frozenset[str] = frozenset(get_args(TrackKind))

#: Roles that may host a caucus: the mediator, or a judge at a confirmation hearing.
HOST_ROLES: frozenset[str] = frozenset({"mediator", "judge"})
#: Track kinds an audio-only receiver does not get. A screen share is video.
VISUAL_KINDS: frozenset[str] = frozenset({"video", "screen"})


class RoutingError(ValueError):
    """A transition that would break the session's rules; the state is unchanged."""


@dataclass(frozen=True)
class Participant:
    """One subscriber/publisher in the session, as routing sees them.

    ``room`` is where the participant *is*, whether or not they currently
    receive anything: a held or reconnecting caucus member stays in the caucus.
    """

    id: str
    role: Role
    state: ParticipantState = "waiting"
    room: str = MAIN_ROOM
    audio_only: bool = False
    #: The kinds of track the participant currently sends (rule 6). No screen share until asked.
    sending: frozenset[str] = frozenset({"audio", "video"})

    def __post_init__(self) -> None:
        if not self.sending <= KINDS:
            raise RoutingError(f"unknown track kinds {sorted(self.sending - KINDS)} for {self.id!r}")
        if not self.id:
            raise RoutingError("participant id must be non-empty")
        if self.role not in ROLES:
            raise RoutingError(f"unknown role {self.role!r} for {self.id!r}")
        if self.state not in STATES:
            raise RoutingError(f"unknown state {self.state!r} for {self.id!r}")
        if not self.room:
            raise RoutingError(f"room of {self.id!r} must be non-empty")

    @property
    def is_recorder(self) -> bool:
        return self.role == "recorder"


@dataclass(frozen=True)
class Track:
    """An encoded media track published by ``sender_id``."""

    sender_id: str
    kind: TrackKind

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RoutingError(f"unknown track kind {self.kind!r}")


@dataclass(frozen=True)
class Caucus:
    """A private room: its host (mediator/judge) and the side taken into it."""

    id: str
    host_id: str
    member_ids: frozenset[str]

    @property
    def occupants(self) -> frozenset[str]:
        """Everyone in the caucus (host included), recorders excluded."""
        return self.member_ids | {self.host_id}


@dataclass(frozen=True)
class RoomState:
    """The whole session at one instant. Immutable; transitions return a new one."""

    participants: tuple[Participant, ...] = ()
    caucuses: tuple[Caucus, ...] = ()

    def __post_init__(self) -> None:
        # Normalise so equal sessions compare equal regardless of input order.
        object.__setattr__(self, "participants", tuple(sorted(self.participants, key=lambda p: p.id)))
        object.__setattr__(self, "caucuses", tuple(sorted(self.caucuses, key=lambda c: c.id)))
        self._check_invariants()

    # -- invariants -----------------------------------------------------------

    def _check_invariants(self) -> None:
        """Refuse any state in which routing could be ambiguous or leak."""
        ids = [p.id for p in self.participants]
        if len(ids) != len(set(ids)):
            raise RoutingError("participant ids must be unique")
        caucus_ids = [c.id for c in self.caucuses]
        if len(caucus_ids) != len(set(caucus_ids)):
            raise RoutingError("caucus ids must be unique")
        if MAIN_ROOM in caucus_ids:
            raise RoutingError(f"a caucus cannot be called {MAIN_ROOM!r}")
        for caucus in self.caucuses:
            self._check_caucus(caucus)
        occupants = {MAIN_ROOM: frozenset[str](), **{c.id: c.occupants for c in self.caucuses}}
        for p in self.participants:
            if p.room not in occupants:
                raise RoutingError(f"{p.id!r} is in room {p.room!r}, which is neither {MAIN_ROOM!r} nor an active caucus")
            if p.room != MAIN_ROOM and not p.is_recorder and p.id not in occupants[p.room]:
                raise RoutingError(f"{p.id!r} is in caucus {p.room!r} without being one of its occupants")

    def _check_caucus(self, caucus: Caucus) -> None:
        host = self.get(caucus.host_id)
        if host is None or host.role not in HOST_ROLES:
            raise RoutingError(f"caucus {caucus.id!r} must be hosted by a known mediator or judge")
        for pid in caucus.occupants:
            p = self.get(pid)
            if p is None:
                raise RoutingError(f"caucus {caucus.id!r} lists unknown participant {pid!r}")
            if p.is_recorder:
                raise RoutingError(f"recorder {pid!r} cannot be a caucus member")
            if p.room != caucus.id:
                raise RoutingError(f"{pid!r} is listed in caucus {caucus.id!r} but is in room {p.room!r}")

    # -- look-ups -------------------------------------------------------------

    def get(self, participant_id: str) -> Participant | None:
        """The participant with this id, or ``None`` (routing fails closed on unknown ids)."""
        return next((p for p in self.participants if p.id == participant_id), None)

    def require(self, participant_id: str) -> Participant:
        """The participant with this id; a transition on an unknown id is an error."""
        p = self.get(participant_id)
        if p is None:
            raise RoutingError(f"unknown participant {participant_id!r}")
        return p

    def caucus(self, caucus_id: str) -> Caucus | None:
        return next((c for c in self.caucuses if c.id == caucus_id), None)

    def _with(self, *updated: Participant, caucuses: Iterable[Caucus] | None = None) -> RoomState:
        """A new state with ``updated`` replacing (or adding) participants by id."""
        by_id = {p.id: p for p in self.participants}
        by_id.update({p.id: p for p in updated})
        return RoomState(tuple(by_id.values()), self.caucuses if caucuses is None else tuple(caucuses))

    def _new_id(self, participant_id: str) -> None:
        if self.get(participant_id) is not None:
            raise RoutingError(f"participant {participant_id!r} already exists")

    # -- transitions: presence ------------------------------------------------

    def join(self, participant_id: str, role: Role) -> RoomState:
        """A person arrives: they wait in the waiting room until the host admits them."""
        self._new_id(participant_id)
        if role == "recorder":
            raise RoutingError("recorders are attached with attach_recorder, bound to one room")
        return self._with(Participant(participant_id, role))

    def admit(self, participant_id: str) -> RoomState:
        """Let a waiting or held participant in (back) to the room they are in."""
        p = self.require(participant_id)
        if p.state == "removed":
            raise RoutingError(f"{participant_id!r} was removed and cannot be re-admitted")
        if p.state == "reconnecting":
            raise RoutingError(f"{participant_id!r} is reconnecting; use reconnected once they are back")
        if p.state == "admitted":
            raise RoutingError(f"{participant_id!r} is already admitted")
        return self._with(replace(p, state="admitted"))

    def hold(self, participant_id: str) -> RoomState:
        """Put an admitted participant on hold: they keep their room but get and give nothing."""
        p = self.require(participant_id)
        if p.state != "admitted":
            raise RoutingError(f"only an admitted participant can be held; {participant_id!r} is {p.state}")
        return self._with(replace(p, state="held"))

    def remove(self, participant_id: str) -> RoomState:
        """Remove a participant for good. Their room is kept only for bookkeeping."""
        p = self.require(participant_id)
        if p.state == "removed":
            raise RoutingError(f"{participant_id!r} is already removed")
        return self._with(replace(p, state="removed"))

    def reconnecting(self, participant_id: str) -> RoomState:
        """An admitted participant's connection dropped: keep their room, route nothing."""
        p = self.require(participant_id)
        if p.state != "admitted":
            raise RoutingError(f"only an admitted participant can be reconnecting; {participant_id!r} is {p.state}")
        return self._with(replace(p, state="reconnecting"))

    def reconnected(self, participant_id: str) -> RoomState:
        """The participant is back on a fresh, authenticated connection, in the same room."""
        p = self.require(participant_id)
        if p.state != "reconnecting":
            raise RoutingError(f"{participant_id!r} is {p.state}, not reconnecting")
        return self._with(replace(p, state="admitted"))

    def set_audio_only(self, participant_id: str, audio_only: bool = True) -> RoomState:
        """Switch what the participant receives: audio-only receives no video or screen."""
        p = self.require(participant_id)
        if p.state == "removed":
            raise RoutingError(f"{participant_id!r} was removed")
        return self._with(replace(p, audio_only=audio_only))

    def set_sending(self, participant_id: str, kind: TrackKind, on: bool) -> RoomState:
        """Switch one kind of the participant's tracks on or off (mute, camera, screen share)."""
        p = self.require(participant_id)
        if kind not in KINDS:
            raise RoutingError(f"unknown track kind {kind!r}")
        sending = p.sending | {kind} if on else p.sending - {kind}
        return self._with(replace(p, sending=frozenset(sending)))

    def expire(self, participant_id: str) -> RoomState:
        """A reconnecting participant did not come back in time: they leave the room for the waiting room.

        They lose their place in a caucus (a caucus they hosted ends; one left with no member
        ends too) and must be admitted again when they return.
        """
        p = self.require(participant_id)
        if p.state != "reconnecting":
            raise RoutingError(f"{participant_id!r} is {p.state}, not reconnecting")
        state = self
        caucus = self.caucus(p.room)
        if caucus is not None:
            members = caucus.member_ids - {participant_id}
            if caucus.host_id == participant_id or not members:
                state = state.end_caucus(caucus.id)
            else:
                kept = tuple(c for c in state.caucuses if c.id != caucus.id)
                shrunk = Caucus(caucus.id, caucus.host_id, frozenset(members))
                state = RoomState(
                    tuple(replace(q, room=MAIN_ROOM) if q.id == participant_id else q for q in state.participants),
                    (*kept, shrunk),
                )
        p = state.require(participant_id)
        return state._with(replace(p, state="waiting", room=MAIN_ROOM))

    # -- transitions: recording -----------------------------------------------

    def attach_recorder(
        self,
        recorder_id: str,
        room: str = MAIN_ROOM,
        *,
        caucus_recording_allowed: bool = False,
        consenting_ids: Iterable[str] = (),
    ) -> RoomState:
        """Attach a server-side recorder bound to ``room`` for its whole life.

        The joint room may always be recorded. A caucus only if the
        organisation's setting allows it *and* everyone in the caucus consented.
        """
        self._new_id(recorder_id)
        if room != MAIN_ROOM:
            self._check_caucus_recording(room, caucus_recording_allowed, frozenset(consenting_ids))
        return self._with(Participant(recorder_id, "recorder", state="admitted", room=room))

    def _check_caucus_recording(self, caucus_id: str, allowed: bool, consenting: frozenset[str]) -> None:
        caucus = self.caucus(caucus_id)
        if caucus is None:
            raise RoutingError(f"no active caucus {caucus_id!r} to record")
        if not allowed:
            raise RoutingError("caucus recording is off for this organisation")
        missing = caucus.occupants - consenting
        if missing:
            raise RoutingError(f"caucus {caucus_id!r} cannot be recorded without consent of {sorted(missing)}")

    # -- transitions: caucus --------------------------------------------------

    def start_caucus(self, caucus_id: str, host_id: str, member_ids: Iterable[str]) -> RoomState:
        """The host takes one side from the joint room into a private room."""
        members = frozenset(member_ids) - {host_id}
        self._check_new_caucus_id(caucus_id)
        self._check_host(caucus_id, host_id)
        if not members:
            raise RoutingError(f"caucus {caucus_id!r} needs at least one member besides its host")
        for pid in sorted(members):
            self._check_member(caucus_id, pid)
        moved = [replace(self.require(pid), room=caucus_id) for pid in sorted(members | {host_id})]
        return self._with(*moved, caucuses=(*self.caucuses, Caucus(caucus_id, host_id, members)))

    def _check_new_caucus_id(self, caucus_id: str) -> None:
        if not caucus_id or caucus_id == MAIN_ROOM:
            raise RoutingError(f"invalid caucus id {caucus_id!r}")
        if self.caucus(caucus_id) is not None:
            raise RoutingError(f"caucus {caucus_id!r} is already active")

    def _check_host(self, caucus_id: str, host_id: str) -> None:
        host = self.require(host_id)
        if host.role not in HOST_ROLES:
            raise RoutingError(f"only a mediator or judge can start a caucus; {host_id!r} is {host.role}")
        if host.state != "admitted":
            raise RoutingError(f"host {host_id!r} must be admitted to start a caucus; is {host.state}")
        if host.room != MAIN_ROOM:
            raise RoutingError(f"nested caucus: host {host_id!r} is already in caucus {host.room!r}")

    def _check_member(self, caucus_id: str, participant_id: str) -> None:
        p = self.require(participant_id)
        if p.is_recorder:
            raise RoutingError(f"recorder {participant_id!r} cannot join caucus {caucus_id!r}; attach a separate recorder")
        if p.state != "admitted":
            raise RoutingError(f"caucus members must be admitted; {participant_id!r} is {p.state}")
        if p.room != MAIN_ROOM:
            raise RoutingError(f"nested caucus: {participant_id!r} is already in caucus {p.room!r}")

    def end_caucus(self, caucus_id: str) -> RoomState:
        """Everyone in the caucus returns to the joint room; its recorder (if any) stops for good."""
        caucus = self.caucus(caucus_id)
        if caucus is None:
            raise RoutingError(f"no active caucus {caucus_id!r}")
        back = [replace(self.require(pid), room=MAIN_ROOM) for pid in sorted(caucus.occupants)]
        recorders = [
            replace(p, room=MAIN_ROOM, state="removed") for p in self.participants if p.is_recorder and p.room == caucus_id
        ]
        return self._with(*back, *recorders, caucuses=(c for c in self.caucuses if c.id != caucus_id))


# -- the rule -------------------------------------------------------------------


def _may_communicate(state: RoomState, sender_id: str, receiver_id: str) -> bool:
    """Rules 1-4 of the module docstring, shared by media and chat."""
    if sender_id == receiver_id:
        return False
    sender, receiver = state.get(sender_id), state.get(receiver_id)
    if sender is None or receiver is None:
        return False
    if sender.state != "admitted" or receiver.state != "admitted":
        return False
    if sender.is_recorder:
        return False
    return sender.room == receiver.room


def flows(state: RoomState, track: Track, receiver_id: str) -> bool:
    """Whether the server forwards ``track`` to ``receiver_id``."""
    if not _may_communicate(state, track.sender_id, receiver_id):
        return False
    if track.kind not in state.require(track.sender_id).sending:
        return False
    receiver = state.require(receiver_id)
    return not (track.kind in VISUAL_KINDS and receiver.audio_only)


def chat_reaches(state: RoomState, sender_id: str, receiver_id: str) -> bool:
    """Whether a chat message from ``sender_id`` is delivered to ``receiver_id``.

    Same rule as media (audio-only does not matter for text), plus rule 7: a message from the
    joint room reaches the host of a caucus under way.
    """
    return _may_communicate(state, sender_id, receiver_id) or _note_to_host(state, sender_id, receiver_id)


def _note_to_host(state: RoomState, sender_id: str, receiver_id: str) -> bool:
    """Rule 7: from the joint room to the host of a caucus (never from a caucus, never to a member)."""
    if sender_id == receiver_id:
        return False
    sender, receiver = state.get(sender_id), state.get(receiver_id)
    if sender is None or receiver is None or sender.is_recorder:
        return False
    if sender.state != "admitted" or receiver.state != "admitted" or sender.room != MAIN_ROOM:
        return False
    caucus = state.caucus(receiver.room)
    return caucus is not None and caucus.host_id == receiver_id


#: How a chat message is labelled for those who get it: ``room`` (the joint room, no caucus
#: under way), ``caucus`` (said inside a caucus: its occupants only), ``to_host`` (said in the
#: joint room while a caucus lasts: those there and, by rule 7, the caucus's host).
ChatScope = Literal["room", "caucus", "to_host"]


def chat_scope(state: RoomState, sender_id: str) -> ChatScope:
    """The label of a message ``sender_id`` sends now (PROTOCOL.md, ``chat``)."""
    sender = state.require(sender_id)
    if sender.room != MAIN_ROOM:
        return "caucus"
    if any(_note_to_host(state, sender_id, c.host_id) for c in state.caucuses):
        return "to_host"
    return "room"


def receivers(state: RoomState, track: Track) -> frozenset[str]:
    """Everyone the server forwards ``track`` to."""
    return frozenset(p.id for p in state.participants if flows(state, track, p.id))


def chat_receivers(state: RoomState, sender_id: str) -> frozenset[str]:
    """Everyone a chat message from ``sender_id`` is delivered to."""
    return frozenset(p.id for p in state.participants if chat_reaches(state, sender_id, p.id))
