"""What a viewer of a recording is shown: its participants, their gaps, and the markers of its timeline.

Each participant's file starts at their first packet (time zero), and its place on the shared
timeline (seconds from the recording's start) is given with the participant: browsers disagree
on what a WebM whose first packet is not at zero means for ``currentTime``, so a player that
offsets each file itself works the same everywhere. Only segments a logged manifest covers are
used, as for the evidence bundle.

The markers on the timeline come from the case history (caucus, removal, end; and admissions
once the live layer logs them) and from the evidence records (consent, withdrawal, the gaps in
the manifests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.evidence.records import Claim, Record, RecordError, parse_time
from server.models import (
    Case,
    CaseEvent,
    EvidencePending,
    LogEntry,
    MediationSession,
    Party,
    Recording,
    RecordingFile,
    RecordingSegment,
    User,
    utcnow,
)

#: Case history kinds shown on the timeline when they name the recording's session.
HISTORY_MARKERS = (
    "participant_admitted",
    "participant_joined",
    "participant_left",
    "participant_removed",
    "caucus_started",
    "caucus_ended",
    "session_ended",
)
CONSENT_MARKERS = ("consent", "consent_withdrawn")
MANIFESTS = ("segment_manifest", "recording_interrupted")
#: Gaps in the manifests worth a marker (silence inside a segment, ``no_media``, is not).
GAP_REASONS = ("not_consented", "muted", "camera_off", "reconnecting", "waiting", "held", "left", "caucus")


@dataclass(frozen=True)
class Gap:
    """A stretch in which a participant was not recorded, and why (from the manifests)."""

    participant_id: str
    kinds: tuple[str, ...]  # audio, video or both
    start: float
    end: float | None
    reason: str


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    role: str
    kind: str  # party | staff
    #: Where this participant's file starts and ends on the recording's timeline (seconds from its
    #: start). The offset may be a little below zero: a first frame is placed at its capture time
    #: (``recordings.timeline``), which can precede the start by its network transit.
    offset: float
    end: float
    segments: int
    file: RecordingFile | None
    gaps: list[Gap]


@dataclass(frozen=True)
class Marker:
    kind: str
    at: float  # seconds from the recording's start
    time: datetime
    participant_id: str | None = None
    name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordingView:
    recording: Recording
    duration: float
    participants: list[Participant]
    markers: list[Marker]


@dataclass(frozen=True)
class SessionRecordings:
    session: MediationSession
    case: Case
    recordings: list[RecordingView]


def _seconds(since: datetime, when: datetime) -> float:
    return round((when - since).total_seconds(), 3)


def _time(text: str) -> datetime | None:
    try:
        return parse_time(text)
    except RecordError:
        return None


async def claims_of(db: AsyncSession, case_id: str, types: tuple[str, ...]) -> list[tuple[int, Claim]]:
    """The case's evidence records of these types, logged or still pending, as (seq, claim)."""
    logged = await db.scalars(select(LogEntry.entry).where(LogEntry.case_id == case_id, LogEntry.type.in_(types)))
    pending = await db.scalars(
        select(EvidencePending.entry).where(EvidencePending.case_id == case_id, EvidencePending.type.in_(types))
    )
    found: dict[int, Claim] = {}
    for entry in [*logged, *pending]:
        record = Record.from_entry(entry)
        found[record.seq] = record.claim
    return sorted(found.items())


@dataclass(frozen=True)
class Names:
    parties: dict[str, Party]
    users: dict[str, User]

    def of(self, participant_id: str) -> tuple[str, str, str]:
        """(name, role, kind) of a participant: a party of the case or a staff member."""
        party = self.parties.get(participant_id)
        if party is not None:
            return party.name, party.role, "party"
        user = self.users.get(participant_id)
        if user is not None:
            return user.display_name, user.role, "staff"
        return "?", "unknown", "unknown"


def recording_view(
    row: Recording,
    session_id: str,
    segments: list[RecordingSegment],
    files: list[RecordingFile],
    names: Names,
    claims: list[tuple[int, Claim]],
    events: list[CaseEvent],
) -> RecordingView:
    start = row.started_at
    stop = row.ended_at or utcnow()
    gaps = _gaps(row, start, claims)
    participants = []
    for pid in dict.fromkeys(s.participant_id for s in segments):
        own = [s for s in segments if s.participant_id == pid]
        first, last = _time(own[0].start), _time(own[-1].end)
        name, role, kind = names.of(pid)
        participants.append(
            Participant(
                id=pid,
                name=name,
                role=role,
                kind=kind,
                offset=_seconds(start, first) if first else 0.0,
                end=_seconds(start, last) if last else 0.0,
                segments=len(own),
                file=next((f for f in files if f.participant_id == pid and f.kind == "remux"), None),
                gaps=[g for g in gaps if g.participant_id == pid],
            )
        )
    duration = max([_seconds(start, stop), *(p.end for p in participants)])
    markers = [Marker("recording_started", 0.0, start, row.started_by, names.of(row.started_by)[0])]
    markers += _consent_markers(session_id, start, stop, claims, events, names)
    markers += _history_markers(session_id, start, stop, events)
    # A caucus has its own markers; these say someone dropped out of the joint room otherwise.
    markers += [
        Marker(
            "not_recorded",
            g.start,
            start + timedelta(seconds=g.start),
            g.participant_id,
            names.of(g.participant_id)[0],
            {"reason": g.reason, "end": g.end, "kinds": list(g.kinds)},
        )
        for g in gaps
        if g.reason in ("held", "left", "reconnecting", "waiting")
    ]
    if row.ended_at is not None:
        markers.append(
            Marker("recording_stopped", _seconds(start, row.ended_at), row.ended_at, detail={"reason": row.end_reason})
        )
    markers.sort(key=lambda m: (m.at, m.time))
    return RecordingView(row, duration, participants, markers)


def _gaps(row: Recording, start: datetime, claims: list[tuple[int, Claim]]) -> list[Gap]:
    """What the manifests of this recording say was not recorded, and why; audio and video together."""
    merged: dict[tuple[str, float, float | None, str], set[str]] = {}
    for _, claim in claims:
        if claim.type not in MANIFESTS or claim.public.get("recording") != row.id:
            continue
        for g in claim.public.get("gaps") or []:
            if not isinstance(g, dict) or g.get("reason") not in GAP_REASONS:
                continue
            begin = _time(str(g.get("start")))
            end = _time(str(g.get("end"))) if g.get("end") else None
            if begin is None:
                continue
            key = (str(g.get("participant")), _seconds(start, begin), _seconds(start, end) if end else None, str(g["reason"]))
            merged.setdefault(key, set()).add(str(g.get("kind")))
    gaps = [Gap(pid, tuple(sorted(kinds)), begin_at, end_at, reason) for (pid, begin_at, end_at, reason), kinds in merged.items()]
    return sorted(gaps, key=lambda g: (g.start, g.participant_id))


def _consent_markers(
    session_id: str,
    start: datetime,
    stop: datetime,
    claims: list[tuple[int, Claim]],
    events: list[CaseEvent],
    names: Names,
) -> list[Marker]:
    """Consents to this session's recording and their withdrawals, up to the recording's end.

    The time is when the case history took the record (a party's consent claim is made when the
    statement is prepared, a little before it is signed); one given before the recording started
    sits at its start, marked ``before_start``.
    """
    taken = {e.data.get("seq"): e.at for e in events if e.kind in CONSENT_MARKERS}
    out = []
    for seq, claim in claims:
        if claim.type not in CONSENT_MARKERS or claim.public.get("session") != session_id:
            continue
        when = taken.get(seq) or _time(claim.time)
        if when is None or when > stop:
            continue
        who = claim.actor.get("id")
        detail: dict[str, Any] = {"seq": seq}
        if claim.public.get("method"):
            detail["method"] = claim.public["method"]
        if when < start:
            detail["before_start"] = True
        out.append(Marker(claim.type, max(0.0, _seconds(start, when)), when, who, names.of(who)[0] if who else None, detail))
    return out


def _history_markers(session_id: str, start: datetime, stop: datetime, events: list[CaseEvent]) -> list[Marker]:
    out = []
    for e in events:
        if e.kind not in HISTORY_MARKERS or e.data.get("session_id") != session_id or not start <= e.at <= stop:
            continue
        detail: dict[str, Any] = {"by": e.actor_name}
        if e.kind == "caucus_started":
            detail["members"] = [m.get("name") for m in e.data.get("members", []) if isinstance(m, dict)]
        out.append(Marker(e.kind, _seconds(start, e.at), e.at, e.data.get("participant_id"), e.data.get("name"), detail))
    return out
