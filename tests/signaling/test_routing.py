"""Unit tests for the media/chat routing rule (signaling.routing), in isolation.

Cast used throughout: mediator ``med``, applicant ``app`` with agent ``app_agent``,
respondent ``resp`` with interpreter ``interp``, and the joint-room recorder ``rec``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling.routing import (
    MAIN_ROOM,
    Caucus,
    Participant,
    RoomState,
    RoutingError,
    Track,
    TrackKind,
    chat_reaches,
    chat_receivers,
    chat_scope,
    flows,
    receivers,
)

KINDS: tuple[TrackKind, ...] = ("audio", "video", "screen")
HUMANS = ("med", "app", "app_agent", "resp", "interp")


def session() -> RoomState:
    """Everyone admitted to the joint room, sharing camera, microphone and screen; recorder attached."""
    state = RoomState()
    for pid, role in [
        ("med", "mediator"),
        ("app", "applicant"),
        ("app_agent", "agent"),
        ("resp", "respondent"),
        ("interp", "interpreter"),
    ]:
        state = state.join(pid, role).admit(pid).set_sending(pid, "screen", True)  # type: ignore[arg-type]
    return state.attach_recorder("rec")


def applicant_caucus() -> RoomState:
    """The mediator has taken the applicant's side into caucus ``c1``."""
    return session().start_caucus("c1", "med", {"app", "app_agent"})


def hears(state: RoomState, sender: str, receiver: str, kind: TrackKind = "audio") -> bool:
    return flows(state, Track(sender, kind), receiver)


# -- joint room ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_admitted_participants_in_main_room_receive_each_others_tracks(kind: TrackKind) -> None:
    state = session()
    for sender in HUMANS:
        assert receivers(state, Track(sender, kind)) == (set(HUMANS) | {"rec"}) - {sender}


def test_sender_never_receives_its_own_track_or_chat() -> None:
    state = session()
    assert not hears(state, "app", "app")
    assert not chat_reaches(state, "app", "app")


def test_unknown_participant_ids_fail_closed() -> None:
    state = session()
    assert not hears(state, "ghost", "app")
    assert not hears(state, "app", "ghost")
    assert not chat_reaches(state, "ghost", "app")
    assert receivers(state, Track("ghost", "audio")) == frozenset()


# -- waiting / held / removed / reconnecting -------------------------------------


def _waiting(state: RoomState) -> RoomState:
    return state.join("late", "respondent")


def _held(state: RoomState) -> RoomState:
    return state.join("late", "respondent").admit("late").hold("late")


def _removed(state: RoomState) -> RoomState:
    return state.join("late", "respondent").admit("late").remove("late")


def _removed_while_waiting(state: RoomState) -> RoomState:
    return state.join("late", "respondent").remove("late")


NOT_ADMITTED: dict[str, Callable[[RoomState], RoomState]] = {
    "waiting": _waiting,
    "held": _held,
    "removed": _removed,
    "removed_while_waiting": _removed_while_waiting,
}


@pytest.mark.parametrize("make", NOT_ADMITTED.values(), ids=NOT_ADMITTED.keys())
@pytest.mark.parametrize("kind", KINDS)
def test_non_admitted_participant_receives_nothing_and_sends_to_nobody(
    make: Callable[[RoomState], RoomState], kind: TrackKind
) -> None:
    state = make(session())
    assert receivers(state, Track("late", kind)) == frozenset()
    assert chat_receivers(state, "late") == frozenset()
    for other in (*HUMANS, "rec"):
        assert not hears(state, other, "late", kind)
        assert not chat_reaches(state, other, "late")


def test_admitting_a_waiting_participant_lets_media_flow_both_ways() -> None:
    state = session().join("late", "respondent").admit("late")
    assert hears(state, "late", "app") and hears(state, "app", "late")


def test_held_participant_readmitted_returns_to_the_room_they_were_in() -> None:
    state = applicant_caucus().hold("app").admit("app")
    assert state.require("app").room == "c1"
    assert hears(state, "app", "med")
    assert not hears(state, "app", "resp")


def test_reconnecting_participant_keeps_caucus_room_but_gets_and_gives_nothing_until_back() -> None:
    state = applicant_caucus().reconnecting("app")
    assert state.require("app").room == "c1"
    assert not hears(state, "med", "app") and not hears(state, "app", "med")
    assert not chat_reaches(state, "med", "app")
    back = state.reconnected("app")
    assert hears(back, "med", "app") and hears(back, "app", "med")
    assert not hears(back, "app", "resp")


# -- caucus isolation ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_party_in_caucus_is_not_heard_by_other_party(kind: TrackKind) -> None:
    state = applicant_caucus()
    for inside in ("app", "app_agent", "med"):
        for outside in ("resp", "interp", "rec"):
            assert not hears(state, inside, outside, kind), (inside, outside)


@pytest.mark.parametrize("kind", KINDS)
def test_other_party_in_main_room_is_not_heard_inside_caucus(kind: TrackKind) -> None:
    state = applicant_caucus()
    for outside in ("resp", "interp"):
        for inside in ("app", "app_agent", "med"):
            assert not hears(state, outside, inside, kind), (outside, inside)


def test_chat_said_in_a_caucus_reaches_its_occupants_only() -> None:
    state = applicant_caucus()
    assert chat_receivers(state, "app") == {"med", "app_agent"}
    assert chat_receivers(state, "med") == {"app", "app_agent"}
    assert not chat_reaches(state, "med", "resp")
    assert chat_scope(state, "app") == chat_scope(state, "med") == "caucus"


def test_chat_from_the_joint_room_during_a_caucus_reaches_its_host_but_no_member() -> None:
    state = applicant_caucus()
    assert chat_receivers(state, "resp") == {"interp", "rec", "med"}
    assert not chat_reaches(state, "resp", "app") and not chat_reaches(state, "resp", "app_agent")
    assert chat_scope(state, "resp") == "to_host"
    assert chat_receivers(state, "rec") == frozenset(), "a recorder passes no note"
    held = state.hold("resp")
    assert chat_receivers(held, "resp") == frozenset()


def test_chat_without_a_caucus_is_labelled_as_the_joint_rooms() -> None:
    assert chat_scope(session(), "resp") == "room"
    assert chat_scope(applicant_caucus().end_caucus("c1"), "resp") == "room"


@pytest.mark.parametrize("kind", KINDS)
def test_caucus_host_and_members_receive_each_other(kind: TrackKind) -> None:
    state = applicant_caucus()
    assert receivers(state, Track("app", kind)) == {"med", "app_agent"}
    assert receivers(state, Track("med", kind)) == {"app", "app_agent"}


def test_those_left_in_main_room_keep_hearing_each_other_during_caucus() -> None:
    state = applicant_caucus()
    assert receivers(state, Track("resp", "audio")) == {"interp", "rec"}


def test_two_concurrent_caucuses_are_isolated_from_each_other() -> None:
    state = applicant_caucus().join("comed", "mediator").admit("comed").start_caucus("c2", "comed", {"resp"})
    assert not hears(state, "app", "resp") and not hears(state, "resp", "app")
    assert receivers(state, Track("resp", "audio")) == {"comed"}
    assert receivers(state, Track("interp", "audio")) == {"rec"}


def test_after_end_caucus_everyone_in_main_room_hears_each_other_again() -> None:
    state = applicant_caucus().end_caucus("c1")
    assert state.caucuses == ()
    assert all(state.require(pid).room == MAIN_ROOM for pid in HUMANS)
    assert state == session()
    for sender in HUMANS:
        assert receivers(state, Track(sender, "audio")) == (set(HUMANS) | {"rec"}) - {sender}
        assert chat_receivers(state, sender) == (set(HUMANS) | {"rec"}) - {sender}


def test_judge_can_host_a_caucus_at_a_confirmation_hearing() -> None:
    state = session().join("judge", "judge").admit("judge").start_caucus("h1", "judge", {"resp", "interp"})
    assert receivers(state, Track("judge", "audio")) == {"resp", "interp"}
    assert not hears(state, "resp", "app")


# -- invited persons (People's Mediation Law art. 20) ------------------------------


def with_deputy() -> RoomState:
    """The session, with a people's deputy the mediator invited, admitted to the joint room."""
    return session().join("deputy", "invited").admit("deputy")


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_an_invited_person_in_the_joint_room_sees_and_is_seen_by_everyone(kind: TrackKind) -> None:
    state = with_deputy()
    for other in HUMANS:
        assert hears(state, "deputy", other, kind) and hears(state, other, "deputy", kind)


def test_an_invited_person_left_in_the_joint_room_hears_nothing_of_a_caucus() -> None:
    state = with_deputy().start_caucus("c1", "med", {"app"})
    assert not hears(state, "app", "deputy") and not hears(state, "med", "deputy")
    assert not hears(state, "deputy", "app")
    assert not chat_reaches(state, "app", "deputy")
    assert hears(state, "deputy", "resp") and hears(state, "resp", "deputy")


def test_an_invited_person_taken_into_a_caucus_is_heard_by_its_occupants_only() -> None:
    state = with_deputy().start_caucus("c1", "med", {"app", "deputy"})
    assert hears(state, "deputy", "app") and hears(state, "deputy", "med") and hears(state, "app", "deputy")
    for outside in ("resp", "interp", "rec"):
        assert not hears(state, "deputy", outside, "audio")
        assert not hears(state, "deputy", outside, "video")
    assert not chat_reaches(state, "deputy", "resp")
    assert chat_receivers(state, "deputy") == {"med", "app"}


def test_an_invited_person_cannot_host_a_caucus() -> None:
    with pytest.raises(RoutingError, match="only a mediator or judge"):
        with_deputy().start_caucus("c1", "deputy", {"app"})


# -- audio-only ------------------------------------------------------------------


def test_audio_only_receiver_gets_audio_but_not_video_or_screen() -> None:
    state = session().set_audio_only("resp")
    assert hears(state, "app", "resp", "audio")
    assert not hears(state, "app", "resp", "video")
    assert not hears(state, "app", "resp", "screen")


def test_audio_only_participant_still_sends_video_and_screen_to_others() -> None:
    state = session().set_audio_only("resp")
    assert hears(state, "resp", "app", "video")
    assert hears(state, "resp", "app", "screen")


def test_audio_only_receiver_still_gets_chat() -> None:
    assert chat_reaches(session().set_audio_only("resp"), "app", "resp")


def test_switching_audio_only_off_restores_video() -> None:
    state = session().set_audio_only("resp").set_audio_only("resp", False)
    assert hears(state, "app", "resp", "video")


# -- recorder --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_recorder_gets_main_room_media_only_never_the_caucus(kind: TrackKind) -> None:
    state = applicant_caucus()
    assert hears(state, "resp", "rec", kind)
    for inside in ("med", "app", "app_agent"):
        assert not hears(state, inside, "rec", kind)
        assert not chat_reaches(state, inside, "rec")


def test_recorder_stays_in_main_room_when_caucus_starts() -> None:
    assert applicant_caucus().require("rec").room == MAIN_ROOM


def test_recorder_never_sends_media_or_chat() -> None:
    state = session()
    for kind in KINDS:
        assert receivers(state, Track("rec", kind)) == frozenset()
    assert chat_receivers(state, "rec") == frozenset()


def test_caucus_recording_is_refused_when_the_organisation_setting_is_off() -> None:
    with pytest.raises(RoutingError, match="caucus recording is off"):
        applicant_caucus().attach_recorder("rec_c1", "c1", consenting_ids={"med", "app", "app_agent"})


def test_caucus_recording_is_refused_without_consent_of_everyone_in_it() -> None:
    with pytest.raises(RoutingError, match=r"without consent of \['app_agent'\]"):
        applicant_caucus().attach_recorder("rec_c1", "c1", caucus_recording_allowed=True, consenting_ids={"med", "app"})


def test_caucus_recorder_with_consent_records_only_its_caucus() -> None:
    state = applicant_caucus().attach_recorder(
        "rec_c1", "c1", caucus_recording_allowed=True, consenting_ids={"med", "app", "app_agent"}
    )
    assert hears(state, "app", "rec_c1") and hears(state, "med", "rec_c1")
    assert not hears(state, "resp", "rec_c1")
    assert not hears(state, "app", "rec")


def test_caucus_recorder_is_stopped_for_good_when_the_caucus_ends() -> None:
    state = (
        applicant_caucus()
        .attach_recorder("rec_c1", "c1", caucus_recording_allowed=True, consenting_ids={"med", "app", "app_agent"})
        .end_caucus("c1")
    )
    assert state.require("rec_c1").state == "removed"
    assert not hears(state, "resp", "rec_c1")
    assert not hears(state, "app", "rec_c1")


# -- invalid transitions ---------------------------------------------------------

INVALID: dict[str, tuple[Callable[[], RoomState], str]] = {
    "party_starts_caucus": (lambda: session().start_caucus("c1", "app", {"app_agent"}), "only a mediator or judge"),
    "interpreter_starts_caucus": (lambda: session().start_caucus("c1", "interp", {"resp"}), "only a mediator or judge"),
    "caucus_with_waiting_participant": (
        lambda: session().join("late", "respondent").start_caucus("c1", "med", {"resp", "late"}),
        "'late' is waiting",
    ),
    "caucus_with_held_participant": (lambda: session().hold("resp").start_caucus("c1", "med", {"resp"}), "'resp' is held"),
    "caucus_with_removed_participant": (
        lambda: session().remove("resp").start_caucus("c1", "med", {"resp"}),
        "'resp' is removed",
    ),
    "host_not_admitted": (lambda: session().hold("med").start_caucus("c1", "med", {"resp"}), "host 'med' must be admitted"),
    "nested_caucus_member": (
        lambda: applicant_caucus().join("comed", "mediator").admit("comed").start_caucus("c2", "comed", {"app"}),
        "nested caucus: 'app'",
    ),
    "nested_caucus_host": (lambda: applicant_caucus().start_caucus("c2", "med", {"resp"}), "nested caucus: host 'med'"),
    "duplicate_caucus_id": (
        lambda: applicant_caucus().join("comed", "mediator").admit("comed").start_caucus("c1", "comed", {"resp"}),
        "already active",
    ),
    "caucus_named_main": (lambda: session().start_caucus(MAIN_ROOM, "med", {"resp"}), "invalid caucus id"),
    "caucus_without_members": (lambda: session().start_caucus("c1", "med", {"med"}), "at least one member"),
    "recorder_as_caucus_member": (lambda: session().start_caucus("c1", "med", {"rec"}), "recorder 'rec' cannot join"),
    "unknown_caucus_member": (lambda: session().start_caucus("c1", "med", {"ghost"}), "unknown participant 'ghost'"),
    "end_unknown_caucus": (lambda: session().end_caucus("c1"), "no active caucus 'c1'"),
    "end_caucus_twice": (lambda: applicant_caucus().end_caucus("c1").end_caucus("c1"), "no active caucus 'c1'"),
    "readmit_removed": (lambda: session().remove("resp").admit("resp"), "cannot be re-admitted"),
    "admit_twice": (lambda: session().admit("resp"), "already admitted"),
    "admit_reconnecting": (lambda: session().reconnecting("resp").admit("resp"), "use reconnected"),
    "hold_waiting": (lambda: session().join("late", "respondent").hold("late"), "only an admitted participant can be held"),
    "remove_twice": (lambda: session().remove("resp").remove("resp"), "already removed"),
    "reconnecting_while_waiting": (lambda: session().join("late", "respondent").reconnecting("late"), "only an admitted"),
    "reconnected_without_reconnecting": (lambda: session().reconnected("resp"), "not reconnecting"),
    "audio_only_for_removed": (lambda: session().remove("resp").set_audio_only("resp"), "was removed"),
    "join_duplicate_id": (lambda: session().join("resp", "respondent"), "already exists"),
    "join_as_recorder": (lambda: session().join("rec2", "recorder"), "attach_recorder"),
    "recorder_for_unknown_caucus": (
        lambda: session().attach_recorder("rec2", "c9", caucus_recording_allowed=True),
        "no active caucus",
    ),
    "unknown_participant": (lambda: session().hold("ghost"), "unknown participant 'ghost'"),
}


@pytest.mark.parametrize(("attempt", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_transition_raises_routing_error(attempt: Callable[[], RoomState], message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        attempt()


def test_transitions_return_a_new_state_and_leave_the_original_untouched() -> None:
    before = session()
    after = before.start_caucus("c1", "med", {"app"})
    assert before == session()
    assert before.require("app").room == MAIN_ROOM
    assert after.require("app").room == "c1"


INCONSISTENT: dict[str, Callable[[], RoomState]] = {
    "room_without_caucus": lambda: RoomState((Participant("a", "applicant", "admitted", room="c1"),)),
    "caucus_member_in_main": lambda: RoomState(
        (Participant("m", "mediator", "admitted", room="c1"), Participant("a", "applicant", "admitted")),
        (Caucus("c1", "m", frozenset({"a"})),),
    ),
    "in_caucus_room_but_not_listed": lambda: RoomState(
        (
            Participant("m", "mediator", "admitted", room="c1"),
            Participant("a", "applicant", "admitted", room="c1"),
            Participant("r", "respondent", "admitted", room="c1"),
        ),
        (Caucus("c1", "m", frozenset({"a"})),),
    ),
    "party_hosted_caucus": lambda: RoomState(
        (Participant("a", "applicant", "admitted", room="c1"), Participant("r", "respondent", "admitted", room="c1")),
        (Caucus("c1", "a", frozenset({"r"})),),
    ),
    "duplicate_ids": lambda: RoomState((Participant("a", "applicant"), Participant("a", "respondent"))),
    "unknown_role": lambda: RoomState((Participant("a", "plaintiff"),)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("build", INCONSISTENT.values(), ids=INCONSISTENT.keys())
def test_inconsistent_state_cannot_be_constructed(build: Callable[[], RoomState]) -> None:
    with pytest.raises(RoutingError):
        build()


def test_unknown_track_kind_is_rejected() -> None:
    with pytest.raises(RoutingError, match="unknown track kind"):
        Track("app", "data")  # type: ignore[arg-type]


# -- property: random sequences of transitions -----------------------------------

PROPERTY_CAST = {
    "m1": "mediator",
    "m2": "mediator",
    "j": "judge",
    "a": "applicant",
    "r": "respondent",
    "ag": "agent",
    "i": "interpreter",
    "d": "invited",
}
PIDS = sorted(PROPERTY_CAST)
ALL_PIDS = [*PIDS, "rec"]
CAUCUS_IDS = ["c1", "c2", "c3"]

_pid = st.sampled_from(ALL_PIDS)
# Biased towards plausible hosts and members so that many generated caucuses are valid,
# while still drawing invalid ones (parties as hosts, recorders as members, ...).
_host = st.one_of(st.sampled_from(["m1", "m2", "j"]), _pid)
_members = st.frozensets(st.one_of(st.sampled_from(["a", "r", "ag", "i", "d"]), _pid), min_size=1, max_size=3)
_operation = st.one_of(
    st.tuples(st.sampled_from(["admit", "hold", "remove", "reconnecting", "reconnected"]), _pid),
    st.tuples(st.just("audio_only"), _pid, st.booleans()),
    st.tuples(st.just("start"), st.sampled_from(CAUCUS_IDS), _host, _members),
    st.tuples(st.just("start"), st.sampled_from(CAUCUS_IDS), _host, _members),
    st.tuples(st.just("end"), st.sampled_from(CAUCUS_IDS)),
)


class Model:
    """An independent bookkeeping of rooms and admission, updated only on successful transitions."""

    def __init__(self, admitted: set[str]) -> None:
        self.room = dict.fromkeys(ALL_PIDS, MAIN_ROOM)
        self.admitted = admitted | {"rec"}
        self.audio_only: set[str] = set()
        self.hosts: dict[str, str] = {}

    def apply(self, op: tuple) -> None:  # type: ignore[type-arg]
        name = op[0]
        if name in ("admit", "reconnected"):
            self.admitted.add(op[1])
        elif name in ("hold", "remove", "reconnecting"):
            self.admitted.discard(op[1])
        elif name == "audio_only":
            (self.audio_only.add if op[2] else self.audio_only.discard)(op[1])
        elif name == "start":
            for pid in op[3] | {op[2]}:
                self.room[pid] = op[1]
            self.hosts[op[1]] = op[2]
        elif name == "end":
            self.hosts.pop(op[1], None)
            for pid, room in self.room.items():
                if room == op[1]:
                    self.room[pid] = MAIN_ROOM


def _transition(state: RoomState, op: tuple) -> RoomState:  # type: ignore[type-arg]
    name = op[0]
    if name == "audio_only":
        return state.set_audio_only(op[1], op[2])
    if name == "start":
        return state.start_caucus(op[1], op[2], op[3])
    if name == "end":
        return state.end_caucus(op[1])
    return getattr(state, name)(op[1])  # type: ignore[no-any-return]


def _assert_rule_holds(state: RoomState, model: Model) -> None:
    for sender in ALL_PIDS:
        for receiver in ALL_PIDS:
            assert state.require(receiver).room == model.room[receiver]
            for kind in KINDS:
                if flows(state, Track(sender, kind), receiver):
                    # Safety: no flow crosses rooms, nothing to/from a non-admitted participant.
                    assert model.room[sender] == model.room[receiver]
                    assert sender in model.admitted and receiver in model.admitted
                    assert sender != receiver and sender != "rec"
                    assert kind == "audio" or receiver not in model.audio_only
            # Rule 7: a note from the joint room to a caucus's host, and nothing else crosses rooms.
            note = (
                sender != "rec"
                and {sender, receiver} <= model.admitted
                and model.room[sender] == MAIN_ROOM
                and model.hosts.get(model.room[receiver]) == receiver
            )
            if chat_reaches(state, sender, receiver):
                assert model.room[sender] == model.room[receiver] or note
                assert sender in model.admitted and receiver in model.admitted
            # Liveness: everything the rule allows does flow.
            allowed = (
                sender != receiver
                and sender != "rec"
                and {sender, receiver} <= model.admitted
                and model.room[sender] == model.room[receiver]
            )
            assert chat_reaches(state, sender, receiver) == (allowed or note)
            assert flows(state, Track(sender, "audio"), receiver) == allowed
            assert flows(state, Track(sender, "video"), receiver) == (allowed and receiver not in model.audio_only)


def _initial(waiting: frozenset[str]) -> RoomState:
    """The property cast in the joint room: those in ``waiting`` not yet let in, the rest admitted."""
    state = RoomState()
    for pid, role in PROPERTY_CAST.items():
        state = state.join(pid, role)  # type: ignore[arg-type]
        if pid not in waiting:
            state = state.admit(pid)
    return state.attach_recorder("rec")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.frozensets(st.sampled_from(PIDS), max_size=3), st.lists(_operation, max_size=40))
def test_no_flow_ever_crosses_rooms_or_touches_a_non_admitted_participant(
    waiting: frozenset[str],
    operations: list[tuple],  # type: ignore[type-arg]
) -> None:
    state = _initial(waiting)
    model = Model(set(PIDS) - waiting)
    _assert_rule_holds(state, model)
    for op in operations:
        try:
            new_state = _transition(state, op)
        except RoutingError:
            continue  # invalid transitions are rejected; the old state is still the state
        state = new_state
        model.apply(op)
        _assert_rule_holds(state, model)


# -- what a participant sends (rule 6) -------------------------------------------------------


def test_a_newcomer_sends_camera_and_microphone_but_no_screen_until_they_share() -> None:
    state = RoomState().join("med", "mediator").admit("med").join("app", "applicant").admit("app")
    assert hears(state, "app", "med", "audio") and hears(state, "app", "med", "video")
    assert not hears(state, "app", "med", "screen")
    assert hears(state.set_sending("app", "screen", True), "app", "med", "screen")


def test_a_muted_microphone_reaches_nobody_while_the_camera_still_does() -> None:
    state = session().set_sending("resp", "audio", False)
    assert receivers(state, Track("resp", "audio")) == frozenset()
    assert receivers(state, Track("resp", "video")) == (set(HUMANS) | {"rec"}) - {"resp"}
    assert chat_reaches(state, "resp", "app"), "muting is about media, not chat"
    assert hears(state.set_sending("resp", "audio", True), "resp", "app")


def test_an_unknown_track_kind_cannot_be_switched() -> None:
    with pytest.raises(RoutingError):
        session().set_sending("app", "smell", True)  # type: ignore[arg-type]


# -- reconnection grace period -----------------------------------------------------------------


def test_a_participant_who_does_not_come_back_in_time_waits_to_be_admitted_again() -> None:
    state = session().reconnecting("resp").expire("resp")
    resp = state.require("resp")
    assert (resp.state, resp.room) == ("waiting", MAIN_ROOM)
    assert not hears(state, "app", "resp") and not hears(state, "resp", "app")
    assert hears(state.admit("resp"), "app", "resp")


def test_a_caucus_member_who_expires_leaves_the_caucus_and_the_others_stay_in_it() -> None:
    state = applicant_caucus().reconnecting("app_agent").expire("app_agent")
    caucus = state.caucus("c1")
    assert caucus is not None and caucus.member_ids == {"app"}
    assert state.require("app_agent").room == MAIN_ROOM
    assert hears(state, "app", "med") and not hears(state, "app", "resp")


def test_the_caucus_ends_when_its_host_or_its_last_member_expires() -> None:
    host_gone = applicant_caucus().reconnecting("med").expire("med")
    assert host_gone.caucuses == ()
    assert {p.room for p in host_gone.participants} == {MAIN_ROOM}
    lone = session().start_caucus("c2", "med", {"resp"}).reconnecting("resp").expire("resp")
    assert lone.caucuses == () and hears(lone, "med", "app")


def test_only_a_reconnecting_participant_can_expire() -> None:
    with pytest.raises(RoutingError):
        session().expire("app")
