"""A case's evidence: identity checks, the list of its records, and the exported bundle."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history
from server.domain.access import case_for_staff
from server.domain.documents import document_file
from server.domain.ledger import Ledger
from server.domain.principal import Principal, Staff, System, require_staff
from server.domain.recordings import Recordings
from server.errors import FieldError, Forbidden, InvalidInput, NotFound
from server.evidence import bundle
from server.evidence.records import Claim, Record, body_hash, make_body, sha256_hex, timestamp
from server.models import Case, CaseDocument, EvidencePending, LogCheckpoint, LogEntry, Party

IDENTITY_METHODS = ("id_card_on_video", "face_to_face", "document_upload", "phone_callback")
IDENTITY_RESULTS = ("confirmed", "not_confirmed")


@dataclass(frozen=True)
class RecordSummary:
    seq: int
    type: str
    time: str
    actor: dict[str, str]
    index: int | None  # None while pending (not yet sequenced)


@dataclass(frozen=True)
class Exported:
    data: bytes  # the zip, unless it was written to the file ``export`` was given (then empty)
    filename: str
    manifest_hash: str
    records: int
    size: int


class Evidence:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        ledger: Ledger,
        witnesses: list[dict[str, str]] | None = None,
        recordings: Recordings | None = None,
    ) -> None:
        self._maker = maker
        self._ledger = ledger
        self._witnesses = witnesses or []
        self._recordings = recordings

    async def _case(self, db: AsyncSession, principal: Principal | None, case_id: str) -> tuple[Principal, Case]:
        """The case's own mediators, or the command line (an operator exporting for a court); its
        court and supervisors read it (``export`` lets only mediators and judges write a bundle)."""
        if isinstance(principal, System):
            case = await db.get(Case, case_id)
            if case is None:
                raise NotFound("no such case", reason="no_such_case")
            return principal, case
        return await case_for_staff(db, principal, case_id, court=True, supervise=True)

    async def check_identity(
        self, principal: Principal | None, case_id: str, *, party_id: str, method: str, result: str, note_text: str = ""
    ) -> int:
        """The mediator records how they checked a party's identity; logged as `identity_checked`."""
        if method not in IDENTITY_METHODS:
            raise InvalidInput("unknown method", [FieldError("method", "one of " + ", ".join(IDENTITY_METHODS), "choice")])
        if result not in IDENTITY_RESULTS:
            raise InvalidInput("unknown result", [FieldError("result", "one of " + ", ".join(IDENTITY_RESULTS), "choice")])
        async with self._maker() as db, db.begin():
            staff, case = await case_for_staff(db, principal, case_id, changes=True)
            party = await db.get(Party, party_id)
            if party is None or party.case_id != case.id:
                raise InvalidInput(
                    "no such party in this case", [FieldError("party_id", "not a party of this case", "not_party")]
                )
            appended = await self._ledger.append_platform(
                db,
                type="identity_checked",
                case=case.id,
                actor={"kind": "staff", "id": staff.user_id, "role": staff.role},
                data={
                    "party": party.name,
                    "party_role": party.role,
                    "checked_by": staff.display_name,
                    "method": method,
                    "result": result,
                    "note": note_text,
                },
                public={"subject": {"kind": "party", "id": party.id}, "method": method, "result": result},
            )
            history.record(db, case.id, staff, "identity_checked", party_id=party.id, method=method, result=result)
            return appended.record.seq

    async def records(self, principal: Principal | None, case_id: str) -> list[RecordSummary]:
        async with self._maker() as db:
            reader, _ = await self._case(db, principal, case_id)
            logged = await db.execute(select(LogEntry.idx, LogEntry.entry).where(LogEntry.case_id == case_id))
            pending = await db.scalars(select(EvidencePending.entry).where(EvidencePending.case_id == case_id))
            out: list[tuple[Record, int | None]] = [(Record.from_entry(e), i) for i, e in logged]
            out += [(Record.from_entry(e), None) for e in pending]
            if not (isinstance(reader, Staff) and reader.role == "supervisor"):
                # A complaint is for the supervisors, not the mediator it is about (server/domain/satisfaction.py).
                out = [(r, i) for r, i in out if r.claim.type not in history.COMPLAINT_KINDS]
        return sorted(
            (RecordSummary(r.seq, r.claim.type, r.claim.time, r.claim.actor, index) for r, index in out), key=lambda s: s.seq
        )

    async def export(
        self,
        principal: Principal | None,
        case_id: str,
        *,
        consistency_from: list[int] | None = None,
        witness_wait: float = 0.0,
        into: IO[bytes] | None = None,
    ) -> Exported:
        """Write the case's bundle (FORMAT.md), after logging an `export` record carrying its manifest.

        ``into``: a seekable file to write the zip to, entry by entry, recordings streamed from
        the store (a two-hour session's are gigabytes); without it the zip is returned in memory.

        The newest checkpoint has no witness cosignature yet. With witnesses configured,
        `witness_wait` seconds are allowed for one to cosign a checkpoint that covers the case,
        so that the bundle carries it; otherwise the bundle has the platform's signature alone.
        """
        if principal is not None and not isinstance(principal, System):
            staff = require_staff(principal)
            if staff.role not in ("mediator", "judge"):
                raise Forbidden("exports are for the case's mediators and, later, its court", reason="export_staff_only")
        await self._ledger.settle()
        async with self._maker() as db:
            await self._case(db, principal, case_id)  # authorised before any recording is decrypted
        recorded = await self._recordings.bundle_files(case_id) if self._recordings is not None else {}
        async with self._maker() as db:
            recorded |= {
                document_file(d): d.data
                for d in await db.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id))
                if d.destroyed_at is None  # destroyed after the case file's retention: the log says so
            }
        async with self._maker() as db, db.begin():
            _, case = await self._case(db, principal, case_id)
            entries = await self._ledger.case_entries(db, case.id)
            bodies_by_hash = await self._ledger.bodies(db, case.id)
            keys = await self._ledger.keys_for_case(db, case.id)
            export_body = make_body({"exported_by": _who(principal), "case_number": case.case_number})
            contents = bundle.BundleContents(
                case=case.id,
                log=self._ledger.origin,
                created=timestamp(),
                entries=[e.entry for e in entries],
                bodies=_bodies_by_seq(entries, bodies_by_hash) | {len(entries) + 1: export_body},
                keys=keys,
                checkpoint="",
                proofs={},
                witnesses=list(self._witnesses),
                extra_files=recorded,
            )
            manifest_hash = sha256_hex(bundle.manifest_for(contents, export_appended=False))
            actor = {"kind": "platform", "id": "platform"}
            if isinstance(principal, Staff):
                actor = {"kind": "staff", "id": principal.user_id, "role": principal.role}
            claim = Claim(self._ledger.origin, "export", case.id, actor, body_hash(export_body), {"manifest_hash": manifest_hash})
            await self._ledger.append(db, claim, [self._ledger.keyring.signer("platform").sign(claim.statement)], export_body)
            if isinstance(principal, Staff):
                history.record(db, case.id, principal, "evidence_exported", manifest_hash=manifest_hash)
        row = await self._ledger.settle()
        assert row is not None
        if self._witnesses and witness_wait > 0:
            row = await self._wait_for_witness(row, witness_wait)
        async with self._maker() as db:
            entries = await self._ledger.case_entries(db, case_id)
        contents.entries = [e.entry for e in entries]
        contents.checkpoint = await self._ledger.checkpoint_text(row) or row.note
        contents.proofs = {
            "size": row.size,
            "records": [
                {"seq": e.seq, "index": e.idx, "proof": [h.hex() for h in await self._ledger.inclusion_proof(e.idx, row.size)]}
                for e in entries
            ],
            "consistency": [await self._consistency(m, row.size) for m in (consistency_from or []) if 0 < m <= row.size],
        }
        out = io.BytesIO() if into is None else into
        # In a worker thread: the recordings are read from the store and written as they come.
        written_hash = await asyncio.to_thread(bundle.write_bundle, out, contents)
        assert written_hash == manifest_hash, "the manifest changed between logging and writing"
        await self._note_witnesses(case_id, row, contents.checkpoint)
        data = out.getvalue() if isinstance(out, io.BytesIO) else b""
        return Exported(data, f"evidence-{case_id}.zip", manifest_hash, len(entries), row.size)

    async def _note_witnesses(self, case_id: str, row: LogCheckpoint, checkpoint: str) -> None:
        """Record in the case's own chain that a witness vouched for a log state holding it.

        Written when a bundle carries cosignatures, not when a cosignature arrives: a record
        per cosignature would grow the log, which the witness would then cosign again.
        """
        lines = [line for line in checkpoint.split("\n\n", 1)[-1].splitlines() if line.startswith("\u2014 ")]
        witnesses = sorted({line[2:].rsplit(" ", 1)[0] for line in lines} - {self._ledger.origin})
        if not witnesses:
            return
        async with self._maker() as db, db.begin():
            await self._ledger.append_platform(
                db,
                type="checkpoint_witnessed",
                case=case_id,
                actor={"kind": "platform", "id": "platform"},
                data={"checkpoint": checkpoint},
                public={"size": row.size, "root": row.root, "witness": witnesses},
            )

    async def _wait_for_witness(self, row: LogCheckpoint, seconds: float) -> LogCheckpoint:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            cosigned = await self._ledger.cosigned_checkpoint(row.size)
            if cosigned is not None:
                return cosigned
            if asyncio.get_running_loop().time() >= deadline:
                return row
            await asyncio.sleep(0.2)

    async def _consistency(self, size1: int, size2: int) -> dict[str, Any]:
        async with self._maker() as db:
            root1 = await self._ledger.root(db, size1)
        proof = await self._ledger.consistency_proof(size1, size2)
        return {"from_size": size1, "from_root": root1.hex(), "proof": [h.hex() for h in proof]}


def _bodies_by_seq(entries: list[LogEntry], bodies: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {e.seq: bodies[e.claim_hash] for e in entries if e.claim_hash in bodies}


def _who(principal: Principal | None) -> str:
    if isinstance(principal, Staff):
        return principal.display_name
    if isinstance(principal, System):
        return principal.name
    return "unknown"
