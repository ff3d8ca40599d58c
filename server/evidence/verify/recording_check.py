"""Checking a bundle's recordings: every segment re-hashed, the chain recomputed, coverage told.

The authority is the log: ``segment_manifest`` (and ``recording_interrupted``) records, signed
by the platform's recorder key, list each segment's number, participant, SHA-256 and times,
and the chain head H after the last one. The bundle's ``recordings/<id>/<n>.webm`` files are
the decrypted segments. A verifier recomputes H_i = SHA-256(H_{i-1} || i || SHA-256(file_i) ||
start || end) from the files and compares it with every manifest's head, so that an altered,
missing, swapped or added segment is named, and the manifests' own numbering shows a manifest
that was left out. What it can say about a recording that verifies is its coverage: from when
to when each participant was recorded, and every gap with its reason.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from recordings import chain
from server.evidence.bundle import file_sha256
from server.evidence.records import Record, RecordError, parse_time, timestamp

SEGMENT_FILE = re.compile(r"recordings/([0-9a-f]{32})/([0-9]{6})\.webm")
#: Two segments of one participant this close together count as one stretch of recording.
JOIN_SECONDS = 1.0

Report = Callable[..., None]  # (level, code, *, file=None, seq=None, **params)


def segment_file(recording_id: str, index: int) -> str:
    return f"recordings/{recording_id}/{index:06d}.webm"


@dataclass
class Manifest:
    seq: int
    type: str
    public: dict[str, Any]


@dataclass
class RecordingCoverage:
    recording: str
    session: str
    status: str  # complete | interrupted | unfinished | deleted (after retention: hashes only)
    end_reason: str | None = None
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "recording": self.recording,
            "session": self.session,
            "status": self.status,
            "end_reason": self.end_reason,
            "participants": self.participants,
        }


def _manifests(records: dict[int, Record]) -> dict[str, list[Manifest]]:
    out: dict[str, list[Manifest]] = {}
    for seq in sorted(records):
        claim = records[seq].claim
        if claim.type in ("segment_manifest", "recording_interrupted") and isinstance(claim.public.get("recording"), str):
            out.setdefault(claim.public["recording"], []).append(Manifest(seq, claim.type, claim.public))
    return out


def _seconds(text: str) -> float:
    return parse_time(text).timestamp()


def check(records: dict[int, Record], files: Mapping[str, bytes], add: Report) -> list[RecordingCoverage]:
    """Findings through ``add``; returns each recording's coverage."""
    by_recording = _manifests(records)
    deleted = {str(r.claim.public.get("recording")): seq for seq, r in records.items() if r.claim.type == "recording_deleted"}
    listed: set[str] = set()
    coverage: list[RecordingCoverage] = []
    # Hashed as they streamed when the bundle was opened (bundle.BundleFiles), not read again here.
    hashes_in_bundle = {name: file_sha256(files, name) for name in files if SEGMENT_FILE.fullmatch(name)}
    last_head: dict[str, str] = {}  # per session: the head where its latest recording ended
    for recording_id, manifests in by_recording.items():  # in log order of their first records
        result = _check_recording(recording_id, manifests, files, hashes_in_bundle, listed, add, deleted.get(recording_id))
        coverage.append(result)
        first = manifests[0]
        start = str(first.public.get("prev_head"))
        before = last_head.get(result.session)
        if before is not None and start == before:
            add("ok", "recording_resumed", seq=first.seq, recording=recording_id)
        elif start != chain.GENESIS.hex():
            add("problem", "recording_chain_broken", seq=first.seq, recording=recording_id)
        last_head[result.session] = str(manifests[-1].public.get("head"))
    for name in sorted(hashes_in_bundle):
        if name not in listed:
            add("problem", "segment_unlisted", file=name)
    return coverage


def _check_recording(
    recording_id: str,
    manifests: list[Manifest],
    files: Mapping[str, bytes],
    hashes: dict[str, str],
    listed: set[str],
    add: Report,
    deleted_by: int | None = None,
) -> RecordingCoverage:
    first = manifests[0].public
    result = RecordingCoverage(recording_id, str(first.get("session", "")), "unfinished")
    by_hash: dict[str, int] = {}
    entries: list[tuple[Manifest, dict[str, Any]]] = []
    for m in manifests:
        for entry in m.public.get("segments", []):
            entries.append((m, entry))
            by_hash[str(entry.get("sha256"))] = int(entry.get("i", 0))
    expected_from = int(first.get("from", 1))
    head_hex = str(first.get("prev_head", ""))
    stretches: dict[str, list[list[float]]] = {}
    gaps: dict[str, list[dict[str, Any]]] = {}
    for m in manifests:
        p = m.public
        if int(p.get("from", -1)) != expected_from:
            add(
                "problem",
                "segment_manifest_missing",
                seq=m.seq,
                recording=recording_id,
                expected=expected_from,
                got=p.get("from"),
            )
        if str(p.get("prev_head")) != head_hex:
            add("problem", "segment_chain_broken", seq=m.seq, recording=recording_id, index=p.get("from"))
        try:
            head: bytes | None = bytes.fromhex(str(p.get("prev_head")))
        except ValueError:
            head = None
        for entry in p.get("segments", []):
            index = int(entry.get("i", 0))
            name = segment_file(recording_id, index)
            listed.add(name)
            got = hashes.get(name)
            if got is None:
                if deleted_by is None:
                    add("problem", "segment_missing", file=name, seq=m.seq, recording=recording_id, index=index)
                head = None
            elif got != entry.get("sha256"):
                other = by_hash.get(got)
                if other is not None and other != index:
                    add("problem", "segment_reordered", file=name, seq=m.seq, index=index, other=other)
                else:
                    add("problem", "segment_altered", file=name, seq=m.seq, index=index)
                head = None
            elif head is not None:
                try:
                    head = chain.link(head, index, bytes.fromhex(got), str(entry["start"]), str(entry["end"]))
                except (ValueError, KeyError):
                    head = None
            try:
                start, end = _seconds(str(entry["start"])), _seconds(str(entry["end"]))
            except (KeyError, RecordError):
                continue
            runs = stretches.setdefault(str(entry.get("participant")), [])
            if runs and start - runs[-1][1] <= JOIN_SECONDS:
                runs[-1][1] = max(runs[-1][1], end)
            else:
                runs.append([start, end])
        if head is not None and head.hex() != p.get("head"):
            add("problem", "segment_chain_broken", seq=m.seq, recording=recording_id, index=p.get("to"))
        for gap in p.get("gaps", []):
            if isinstance(gap, dict):
                gaps.setdefault(str(gap.get("participant")), []).append(gap)
        expected_from = int(p.get("to", expected_from - 1)) + 1
        head_hex = str(p.get("head"))
        if m.type == "recording_interrupted":
            result.status, result.end_reason = "interrupted", "server_stopped"
        elif "final" in p:
            result.status, result.end_reason = "complete", str(p["final"])
    if deleted_by is not None:
        add("ok", "recording_deleted", seq=deleted_by, recording=recording_id)
        result.status = "deleted"
    elif result.status == "interrupted":
        add("warning", "recording_interrupted", recording=recording_id, index=expected_from - 1)
    elif result.status == "unfinished":
        add("warning", "recording_unfinished", recording=recording_id, index=expected_from - 1)
    for participant, runs in stretches.items():
        known = gaps.get(participant, [])
        between = [
            {"start": _stamp(a[1]), "end": _stamp(b[0]), "reason": "no_media"}
            for a, b in itertools.pairwise(runs)
            if not any(_overlaps(g, a[1], b[0]) for g in known)
        ]
        result.participants[participant] = {
            "from": _stamp(runs[0][0]),
            "to": _stamp(runs[-1][1]),
            "recorded_seconds": round(sum(e - s for s, e in runs), 1),
            "gaps": sorted(gaps.get(participant, []) + between, key=lambda g: str(g.get("start"))),
        }
    for participant, extra in gaps.items():
        if participant not in result.participants:
            result.participants[participant] = {"from": None, "to": None, "recorded_seconds": 0.0, "gaps": extra}
    return result


def _stamp(seconds: float) -> str:
    return timestamp(datetime.fromtimestamp(seconds, UTC))


def _overlaps(gap: dict[str, Any], start: float, end: float) -> bool:
    try:
        g_start = _seconds(str(gap["start"]))
        g_end = _seconds(str(gap["end"])) if gap.get("end") else end
    except (KeyError, RecordError):
        return False
    return g_start < end and g_end > start
