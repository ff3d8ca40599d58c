"""Reading a bundle: its manifest, its records and their chain, its keys and its records' bodies.

Steps (a) to (c) of FORMAT.md. What is read is kept for the later checks (signatures, the log,
the export, recordings and documents); every defect met while reading is a finding, and hostile
input is reported, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.evidence import bundle as bz
from server.evidence.records import (
    KeyInfo,
    Record,
    RecordError,
    body_hash,
    entry_hash,
    key_id,
    parse_time,
    sha256_hex,
    unb64,
)
from server.evidence.verify.findings import Finding, Level, RecordSummary, Report

# Body fields naming a record's actor: staff in most records, the signer in what a person signs.
#: A case's first record: ``case_registered``, or ``case_opened`` in a log begun before registration (#21).
FIRST_RECORDS = ("case_registered", "case_opened")
NAME_FIELDS = (
    "actor_name",
    "registered_by",
    "opened_by",
    "checked_by",
    "exported_by",
    "author",
    "mediator",
    "judge",
    "uploaded_by",
)
# whose body "name" is the actor's (and whose body "method" says how the signer was confirmed)
SIGNER_NAMED = frozenset(
    {
        "key_bound",
        "signature",
        "consent",
        "confirmation_applied",
        "performance_reported",
        "performance_confirmed",
        "performance_disputed",
        "transcript_signed",
    }
)


def parse_key(data: Any) -> KeyInfo:
    """KeyInfo.from_json, plus what it leaves unchecked: the validity times must parse."""
    info = KeyInfo.from_json(data)
    for when in (info.valid_from, info.valid_until or info.valid_from):
        parse_time(when)
    return info


class Reading:
    """The bundle as read so far; each step adds findings to the report and fills it."""

    def __init__(self, files: Mapping[str, bytes], report: Report) -> None:
        self.files, self.report = files, report
        self.manifest: dict[str, Any] | None = None
        self.case = self.origin = ""
        self.records: dict[int, Record] = {}
        self.entries: dict[int, bytes] = {}  # the file bytes, which from_entry checked are the canonical entry
        self.statements: dict[int, bytes] = {}  # computed once: canonical JSON is the verifier's main cost
        self.file_of: dict[int, str] = {}
        self.unparsed: set[int] = set()
        self.export_seq: int | None = None
        self.keys: dict[str, KeyInfo] = {}
        self.replaced: set[str] = set()  # ids in keys.json whose public key does not hash to them
        self.names: dict[tuple[str, str], str] = {}
        self.summaries: dict[int, RecordSummary] = {}

    def add(
        self, level: Level, code: str, *, file: str | None = None, seq: int | None = None, key: str | None = None, **params: Any
    ) -> None:
        self.report.findings.append(Finding(level, code, file, seq, key, params))

    def problem(self, code: str, **kw: Any) -> None:
        self.add("problem", code, **kw)

    # (a) manifest -------------------------------------------------------------------------

    def load_manifest(self) -> None:
        try:
            self.manifest = bz.parse_manifest(self.files)
        except bz.BundleError as exc:
            self.problem("file_malformed", file=bz.MANIFEST, detail=str(exc))
            return
        self.case, self.origin = self.manifest["case"], self.manifest["log"]
        self.report.case, self.report.log = self.case, self.origin

    def check_listing(self) -> None:
        """Every listed file is present and unchanged; nothing was added that the manifest does not list."""
        if self.manifest is None:
            return
        listed: dict[str, str] = self.manifest["files"]
        for name, want in sorted(listed.items()):
            if name not in self.files:
                self.problem("file_missing", file=name)
            elif bz.file_sha256(self.files, name) != want:
                self.problem("file_modified", file=name)
        exempt = set(bz.SELF_PROVING)
        if self.export_seq is not None:
            exempt.add(self.file_of[self.export_seq])
        for name in sorted(set(self.files) - set(listed) - exempt):
            self.problem("file_unlisted", file=name)
        self.report.files_checked = len(listed)

    # (b) records, order, chain --------------------------------------------------------------

    def load_records(self) -> None:
        files = bz.numbered_files(self.files, "records")
        if not files:
            self.problem("no_records")
        for number, name in sorted(files.items()):
            try:
                record = Record.from_entry(self.files[name])
            except RecordError as exc:
                self.problem("record_malformed", file=name, detail=str(exc))
                self.unparsed.add(number)
                continue
            seq = record.seq
            if seq in self.records:
                same = self.entries[seq] == self.files[name]
                self.problem("record_duplicated", seq=seq, file=name, why="copy" if same else "conflict")
                continue
            if number != seq:
                self.problem("record_reordered", seq=seq, file=name, why="file", number=number)
            self.records[seq], self.file_of[seq], self.entries[seq] = record, name, self.files[name]
            self.statements[seq] = record.claim.statement
        if not self.case and self.records:  # no usable manifest: take the case and log from the first record
            first = self.records[min(self.records)].claim
            self.case, self.origin = first.case, first.log
            self.report.case, self.report.log = self.case, self.origin
        exports = [s for s, r in self.records.items() if r.claim.type == "export"]
        self.export_seq = max(exports) if exports else None
        self.check_chain()

    def check_chain(self) -> None:
        last = max(self.records, default=0)
        for seq in range(1, last + 1):
            if seq not in self.records and seq not in self.unparsed:
                self.problem("record_missing", seq=seq)
        seen: dict[str, int] = {}
        for seq in sorted(self.records):
            record, claim = self.records[seq], self.records[seq].claim
            if seq - 1 in self.records and record.prev != entry_hash(self.entries[seq - 1]):
                self.problem("chain_broken", seq=seq, prev=seq - 1)
            if claim.case != self.case:
                self.problem("wrong_case", seq=seq, other=claim.case, case=self.case)
            if claim.log != self.origin:
                self.problem("wrong_log", seq=seq, other=claim.log, log=self.origin)
            tokens = (sha256_hex(self.statements[seq]), "nonce:" + claim.nonce)
            replayed = [seen[t] for t in tokens if t in seen]
            if replayed:
                self.problem("record_replayed", seq=seq, first=replayed[0])
            else:
                seen.update(dict.fromkeys(tokens, seq))
            method = claim.public.get("method")  # how a key was bound, an identity checked, a consent given
            intent = claim.public.get("intent")
            self.summaries[seq] = RecordSummary(seq, claim.type, claim.time, dict(claim.actor),
                                                method=method if isinstance(method, str) else None,
                                                intent=intent if isinstance(intent, str) else None)  # fmt: skip

    # keys ----------------------------------------------------------------------------------

    def load_keys(self) -> None:
        try:
            items = bz.load_object(self.files, bz.KEYS, "keys", list)
        except bz.BundleError as exc:
            self.problem("file_malformed", file=bz.KEYS, detail=str(exc))
            return
        for item in items["keys"]:
            try:
                info = parse_key(item)
            except RecordError as exc:
                self._bad_key(item, exc)
                continue
            known = self.keys.setdefault(info.id, info)
            if known != info:
                self.problem("key_substituted", key=info.id, file=bz.KEYS, why="twice")

    def _bad_key(self, item: Any, exc: RecordError) -> None:
        try:
            if key_id(unb64(str(item["spki"]))) != str(item["id"]):
                self.replaced.add(str(item["id"]))
                self.problem("key_substituted", key=str(item["id"])[:64], file=bz.KEYS, why="id_mismatch")
                return
        except (RecordError, KeyError, TypeError):
            pass
        self.problem("file_malformed", file=bz.KEYS, detail=str(exc))

    # (c) bodies ------------------------------------------------------------------------------

    def check_bodies(self) -> None:
        for seq, name in sorted(bz.numbered_files(self.files, "bodies").items()):
            record = self.records.get(seq)
            if record is None:
                self.add("warning", "body_without_record", file=name, seq=seq)
                continue
            try:
                body = bz.parse_body(self.files, name)
                matches = body_hash(body) == record.claim.body_hash
            except (bz.BundleError, RecordError, ValueError) as exc:
                self.problem("file_malformed", file=name, detail=str(exc))
                continue
            if not matches:
                self.problem("body_mismatch", seq=seq, file=name)
                continue
            data, claim = body["data"], record.claim
            if not isinstance(data, dict):
                continue
            who = data.get("name") if claim.type in SIGNER_NAMED else next(filter(None, map(data.get, NAME_FIELDS)), None)
            subject = claim.public.get("subject")
            if claim.type in SIGNER_NAMED and claim.actor.get("kind") == "staff" and isinstance(subject, dict):
                # A mediator's witness for a party who signs nothing with a key (a keypress, a page
                # signed on paper: #25): the body's name is the party's, the witness's is beside it.
                if isinstance(who, str):
                    self.names.setdefault((str(subject.get("kind")), str(subject.get("id"))), who)
                who = data.get("witness") or data.get("received_by")
            if isinstance(who, str) and claim.actor.get("kind") in ("party", "staff"):
                self.names[(claim.actor["kind"], claim.actor["id"])] = who
            if claim.type == "identity_checked" and isinstance(subject, dict) and isinstance(data.get("party"), str):
                self.names.setdefault((str(subject.get("kind")), str(subject.get("id"))), data["party"])
            if claim.type in FIRST_RECORDS and isinstance(data.get("case_number"), str):
                self.report.case_number = data["case_number"]
            if isinstance(data.get("method"), str) and claim.type in SIGNER_NAMED and claim.type != "key_bound":
                self.summaries[seq].method = data["method"]  # how the signer was confirmed when signing
        for summary in self.summaries.values():
            summary.actor_name = self.names.get((summary.actor["kind"], summary.actor["id"]))
        self.report.people = {person: name for (_, person), name in sorted(self.names.items())}
