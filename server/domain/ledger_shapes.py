"""The shapes the evidence ledger takes and gives (server/domain/ledger.py): a submission, what was
appended, a group-commit batch's pending writes, and a key's row."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from server.evidence.records import Claim, KeyInfo, Record
from server.models import EvidenceKey


@dataclass(frozen=True)
class Submission:
    claim: Claim
    sigs: list[dict[str, str]]
    body: dict[str, object] | None
    new_key: KeyInfo | None = None
    user_verified: bool = False


@dataclass(frozen=True)
class Appended:
    record: Record
    claim_hash: str


class BatchRefused(Exception):
    """A check the batch put off to its end refused a record (a replay, an archived case).

    The group committer (server/domain/group_commit.py) then rolls the whole batch back and runs
    each of its units in a transaction of its own, where the ledger checks every record at once
    and only the bad one's request fails.
    """


@dataclass
class Batch:
    """What the records of one group-commit transaction leave to its end (``Ledger.finish_batch``).

    Each case's chain is locked the first time one of the batch's units appends to it and then
    advanced in memory, so that the batch writes every record, body and chain with a fixed number
    of statements, whatever the number of requests in it.
    """

    chains: dict[str, tuple[int, str]] = field(default_factory=dict)  # case -> (last_seq, last entry hash)
    hashes: set[str] = field(default_factory=set)
    changes: set[str] = field(default_factory=set)  # cases whose records an archived case refuses
    pending: list[dict[str, object]] = field(default_factory=list)
    bodies: list[dict[str, object]] = field(default_factory=list)
    new_keys: list[Submission] = field(default_factory=list)
    began: float = field(default_factory=time.perf_counter)


#: Where a group-commit transaction's session carries its ``Batch`` (``AsyncSession.info``).
BATCH = "ledger.batch"


def key_row(info: KeyInfo, case_id: str | None = None) -> EvidenceKey:
    return EvidenceKey(
        id=info.id,
        alg=info.alg,
        purpose=info.purpose,
        spki=info.spki,
        holder_kind=info.holder["kind"],
        holder_id=info.holder["id"],
        holder_role=info.holder.get("role"),
        case_id=case_id,
        valid_from=info.valid_from,
        valid_until=info.valid_until,
        webauthn=info.webauthn,
        sign_count=int((info.webauthn or {}).get("sign_count", 0)),
    )


def key_info(row: EvidenceKey) -> KeyInfo:
    holder = {"kind": row.holder_kind, "id": row.holder_id}
    if row.holder_role:
        holder["role"] = row.holder_role
    return KeyInfo(row.id, row.alg, row.spki, row.purpose, holder, row.valid_from, row.valid_until, row.webauthn)
