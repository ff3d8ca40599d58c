"""Reading an organisation's index of the cases it leads from its statistics stream, offline (#23).

A snapshot export carries the stream's records before the snapshot (``stream.jsonl``, snapshots.export).
The snapshot's record is proved in the log and its ``prev`` is the hash of the stream's record before it,
whose ``prev`` is the one before that, back to the first (FORMAT.md, "Records"): so the records in the file
are exactly the stream's, none left out, none added, once their chain leads to the snapshot. Each must also
bear the platform's signature by a key valid at its time, as the snapshot itself does.

From the ``case_indexed`` records among them (server/domain/statistics_stream.py) comes the index: for each case, whether the
organisation leads it after its last index record (``registered`` or ``referred_in``: yes; ``referred_out``:
no), and its registration day. audit.py compares the month's part of it with the snapshot's cohort.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from server.domain.statistics_stream import INDEXED
from server.evidence.records import GENESIS, KeyInfo, Record, RecordError, SignatureError, body_hash, entry_hash, parse_time
from server.evidence.signatures import verify_signature

#: The export's member holding the statistics stream's records before the snapshot's, one JSON object a line.
STREAM_FILE = "stream.jsonl"
#: The reasons after which the organisation leads the case.
LEADS = ("registered", "referred_in")


def platform_signature_problem(record: Record, keys: Sequence[KeyInfo]) -> str | None:
    """None when a platform key valid at the record's time signed it; else what is wrong."""
    platform = {k.id: k for k in keys if k.purpose == "platform"}
    when = parse_time(record.claim.time)
    for sig in record.sigs:
        key = platform.get(sig.get("key", ""))
        if key is None or not key.valid_at(when):
            continue
        try:
            verify_signature(sig, key, record.claim.statement)
        except SignatureError as exc:
            return str(exc)
        return None
    return "no platform key valid at its time signed it"


@dataclass(frozen=True)
class Indexed:
    case_id: str
    case_number: str
    registered_on: date
    leads: bool
    reason: str
    #: The organisation a referral took it to or from (its name), if any.
    other: str


@dataclass
class StreamIndex:
    #: case id -> what the last index record before the snapshot says of it
    cases: dict[str, Indexed] = field(default_factory=dict)
    #: The time of the first index record: cases registered before it were never indexed.
    starts: datetime | None = None
    #: (seq, what is wrong) for each record of the stream that does not hold
    broken: list[tuple[int, str]] = field(default_factory=list)

    def led_in(self, first: date, last: date) -> dict[str, Indexed]:
        """The cases registered between ``first`` and ``last`` that the index says the organisation leads."""
        return {c: i for c, i in self.cases.items() if i.leads and first <= i.registered_on <= last}


def read_stream(raw: bytes, snapshot: Record, keys: Sequence[KeyInfo], organisation_id: str) -> StreamIndex:
    """The index from the stream's records before ``snapshot`` (``stream.jsonl``), each checked: in order, chained
    to the next and the last to the snapshot, of the same stream and log, signed by the platform, its body
    matching. Defects are listed in ``broken``; nothing raises."""
    out = StreamIndex()
    previous: str | None = GENESIS
    seq = 0
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        seq += 1
        try:
            item = json.loads(line)
            entry = str(item["entry"]).encode()
            record = Record.from_entry(entry)
        except (KeyError, TypeError, ValueError, RecordError) as exc:
            out.broken.append((number, f"unreadable: {type(exc).__name__}"))
            return out
        claim = record.claim
        if record.seq != seq or record.prev != previous:
            out.broken.append((record.seq, "out of order or not chained to the record before it"))
            return out
        previous = entry_hash(entry)
        if claim.case != snapshot.claim.case or claim.log != snapshot.claim.log:
            out.broken.append((seq, "of another stream or log"))
            continue
        problem = platform_signature_problem(record, keys)
        if problem is not None:
            out.broken.append((seq, f"signature: {problem}"))
            continue
        if claim.type != INDEXED:
            continue
        body = item.get("body")
        try:
            if body is None or body_hash(body) != claim.body_hash:
                raise RecordError("its body is missing or does not match")
            data: Mapping[str, Any] = body["data"]
            public = claim.public
            if public.get("organisation") != organisation_id:
                raise RecordError("of another organisation")
            case_id = str(public["indexed_case"])
            other = data.get("other_organisation") or {}
            indexed = Indexed(
                case_id=case_id,
                case_number=str(data.get("case_number") or ""),
                registered_on=date.fromisoformat(str(public["registered_on"])),
                leads=public.get("reason") in LEADS,
                reason=str(public.get("reason")),
                other=str(other.get("name", "")) if isinstance(other, Mapping) else "",
            )
        except (KeyError, TypeError, ValueError, RecordError) as exc:
            out.broken.append((seq, f"index record: {exc}"))
            continue
        out.cases[case_id] = indexed
        if out.starts is None:
            out.starts = parse_time(claim.time)
    if seq != snapshot.seq - 1 or snapshot.prev != previous:
        out.broken.append(
            (snapshot.seq, f"the snapshot is record {snapshot.seq} but follows {seq} records that do not lead to it")
        )
    return out
