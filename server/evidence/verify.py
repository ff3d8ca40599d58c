"""`mediate verify BUNDLE.zip`: check a case's evidence bundle offline, for a court.

Nothing here trusts the platform: no database, no network, only the bundle, the keys the
court chooses to trust and, optionally, a checkpoint the court saved earlier. The chain of
trust is: the log key signs the checkpoint; inclusion proofs put every record under that
checkpoint; the records' own signatures and `key_bound` records say who signed what; the
last `export` record logs the manifest's hash; the manifest's hashes cover every other file.
Each failure becomes a `Finding` with a stable code and subject, rendered as one plain
sentence; hostile input is reported, never a traceback.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from cryptography.hazmat.primitives.asymmetric import ed25519

from server.evidence import bundle as bz
from server.evidence import document_check, merkle, note, recording_check
from server.evidence.records import (
    USER_VERIFIED_TYPES,
    KeyInfo,
    Record,
    RecordError,
    SignatureError,
    body_hash,
    canonical,
    entry_hash,
    key_id,
    parse_time,
    sha256_hex,
    unb64,
    verify_signature,
)

Level = Literal["ok", "problem", "warning"]
PLATFORM_PURPOSES = frozenset({"platform", "recorder", "log"})
PLATFORM_SIGNED_TYPES = frozenset({"case_opened", "checkpoint_witnessed"})
NAME_FIELDS = ("actor_name", "opened_by", "checked_by", "exported_by")  # body fields naming a record's staff actor
SAVED = "(saved checkpoint)"
_HEX32 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE_ERRORS = (SignatureError, ValueError, TypeError, KeyError, AttributeError, ImportError)  # what hostile sigs provoke
_V = TypeVar("_V", bound=note.Verifier)


class UsageError(ValueError):
    """A trusted key or saved checkpoint given on the command line is unusable (exit 2)."""


@dataclass(frozen=True)
class Finding:
    """One result: `code` is stable for programs, the subject says which file, record or key."""

    level: Level
    code: str
    file: str | None = None
    seq: int | None = None
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        parts = [f"file {self.file}" if self.file else "", f"record {self.seq}" if self.seq is not None else ""]
        return ", ".join(p for p in [*parts, f"key {self.key}" if self.key else ""] if p)


@dataclass
class Signer:
    key: str
    method: str  # passkey | device_key | platform_key | recorder_key | log_key
    holder: dict[str, str]
    name: str | None = None


@dataclass
class RecordSummary:
    seq: int
    type: str
    time: str
    actor: dict[str, str]
    actor_name: str | None = None
    signers: list[Signer] = field(default_factory=list)
    log_index: int | None = None


@dataclass
class Report:
    bundle: str
    readable: bool = True
    case: str | None = None
    log: str | None = None
    findings: list[Finding] = field(default_factory=list)
    records: list[RecordSummary] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None  # size, root, key, pinned
    witnesses: list[dict[str, Any]] = field(default_factory=list)  # name, time, pinned
    files_checked: int = 0
    recordings: list[dict[str, Any]] = field(default_factory=list)  # coverage of each recording
    agreements: list[dict[str, Any]] = field(default_factory=list)  # final text, signatures, seal

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "problem"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        return self.readable and not self.problems

    @property
    def exit_code(self) -> int:
        return 2 if not self.readable else 0 if self.ok else 1

    def has(self, code: str, **subject: Any) -> bool:  # for tests and tools: has("file_modified", file="keys.json")
        return any(f.code == code and all(getattr(f, k) == v for k, v in subject.items()) for f in self.findings)


def _hex32(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ValueError(f"not 64 lowercase hex characters: {str(value)[:70]!r}")
    return bytes.fromhex(value)


def _key(data: Any) -> KeyInfo:
    """KeyInfo.from_json, plus what it leaves unchecked: the validity times must parse."""
    info = KeyInfo.from_json(data)
    for when in (info.valid_from, info.valid_until or info.valid_from):
        parse_time(when)
    return info


def _same_person(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    return a.get("kind") == b.get("kind") and a.get("id") == b.get("id")


def _ed25519_raw(info: KeyInfo) -> bytes:
    public = info.public_key()
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise RecordError(f"log key {info.id} is not Ed25519")
    return public.public_bytes_raw()


def _method(info: KeyInfo) -> str:
    if info.purpose == "person":
        return "passkey" if info.alg == "webauthn" else "device_key"
    return f"{info.purpose}_key"


@dataclass
class _Trust:
    """What the court brings: log keys, witness keys, a checkpoint saved earlier."""

    log: list[note.Verifier]
    witnesses: list[note.CosignatureVerifier]
    saved: str | None


class _Checker:
    """Runs the checks of FORMAT.md in order; each adds findings and fills the report."""

    def __init__(self, files: dict[str, bytes], report: Report, trust: _Trust) -> None:
        self.files, self.report = files, report
        self.trusted_log, self.trusted_witnesses, self.saved = trust.log, trust.witnesses, trust.saved
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
        self.offered: set[str] = set()  # keys that key_bound records carry, bound or not
        self.bound: dict[str, tuple[KeyInfo, int]] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.summaries: dict[int, RecordSummary] = {}
        self.checkpoint: note.Checkpoint | None = None
        self.log_verifiers: list[note.Verifier] = []
        self.proofs: dict[str, Any] = {}

    def add(
        self, level: Level, code: str, *, file: str | None = None, seq: int | None = None, key: str | None = None, **params: Any
    ) -> None:
        self.report.findings.append(Finding(level, code, file, seq, key, params))

    def problem(self, code: str, **kw: Any) -> None:
        self.add("problem", code, **kw)

    def run(self) -> None:
        self.load_manifest()
        self.load_records()
        self.check_listing()
        self.load_keys()
        self.check_bodies()
        self.check_signatures()
        self.check_checkpoint()
        self.load_proofs()
        self.check_inclusion()
        self.check_consistency()
        self.check_saved()
        self.check_witnesses()
        self.check_export()
        self.check_recordings()
        self.report.agreements = document_check.check(self.records, self.files, self.add)
        self.report.records = [self.summaries[s] for s in sorted(self.summaries)]

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
            elif sha256_hex(self.files[name]) != want:
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
            self.summaries[seq] = RecordSummary(seq, claim.type, claim.time, dict(claim.actor))

    # keys ----------------------------------------------------------------------------------

    def load_keys(self) -> None:
        try:
            items = bz.load_object(self.files, bz.KEYS, "keys", list)
        except bz.BundleError as exc:
            self.problem("file_malformed", file=bz.KEYS, detail=str(exc))
            return
        for item in items["keys"]:
            try:
                info = _key(item)
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
            data, actor = body["data"], record.claim.actor  # key_bound bodies name the key's holder; others may name staff
            who = data.get("name") if record.claim.type == "key_bound" else next(filter(None, map(data.get, NAME_FIELDS)), None)
            if isinstance(who, str):
                self.names[(actor["kind"], actor["id"])] = who
        for summary in self.summaries.values():
            summary.actor_name = self.names.get((summary.actor["kind"], summary.actor["id"]))

    # (d) signatures ----------------------------------------------------------------------------

    def check_signatures(self) -> None:
        for seq in sorted(self.records):
            record, claim = self.records[seq], self.records[seq].claim
            new = self._key_to_bind(record) if claim.type == "key_bound" and claim.case == self.case else None
            signers = [s for s in (self._signature(record, sig, new) for sig in record.sigs) if s is not None]
            self.summaries[seq].signers = signers
            if not signers:
                self.problem("record_unsigned", seq=seq)
            platform = any(s.method == "platform_key" for s in signers)
            if claim.type in PLATFORM_SIGNED_TYPES and not platform:
                self.problem("platform_signature_missing", seq=seq, type=claim.type)
            if new is not None:
                self._bind(record, new, signers, platform)

    def _key_to_bind(self, record: Record) -> KeyInfo | None:
        """The KeyInfo a `key_bound` record carries, if it is a person's key for the record's actor."""
        seq = record.seq
        try:
            info = _key(record.claim.public.get("key"))
        except RecordError as exc:
            self.problem("key_unbound", seq=seq, why="bad_key", detail=str(exc))
            return None
        self.offered.add(info.id)
        if info.purpose != "person":
            self.problem("key_unbound", seq=seq, key=info.id, why="bad_key", detail=f"purpose is {info.purpose}, not person")
            return None
        if not _same_person(info.holder, record.claim.actor):
            self.problem(
                "signature_misbound", seq=seq, key=info.id, holder=self._who(info.holder), actor=self._who(record.claim.actor)
            )
            return None
        return info

    def _bind(self, record: Record, info: KeyInfo, signers: list[Signer], platform: bool) -> None:
        if not any(s.key == info.id for s in signers):
            self.problem("key_unbound", seq=record.seq, key=info.id, why="no_pop")
        elif not platform:
            self.problem("key_unbound", seq=record.seq, key=info.id, why="no_platform")
        elif info.id in self.bound and not _same_person(self.bound[info.id][0].holder, info.holder):
            self.problem("key_unbound", seq=record.seq, key=info.id, why="rebound")
        else:
            self.bound.setdefault(info.id, (info, record.seq))
            listed = self.keys.get(info.id)
            if listed is not None and not _same_person(listed.holder, info.holder):
                self.problem("key_substituted", key=info.id, file=bz.KEYS, why="differs", seq=record.seq)

    def _signature(self, record: Record, sig: dict[str, str], new: KeyInfo | None) -> Signer | None:
        """Check one signature; returns who signed, or None after reporting why it does not count."""
        seq, claim, kid = record.seq, record.claim, str(sig.get("key"))[:64]
        info = self._signing_key(record, kid, new, str(sig.get("alg")))
        if info is None:
            return None
        try:
            verify_signature(sig, info, self.statements[seq], user_verified=claim.type in USER_VERIFIED_TYPES)
        except _SIGNATURE_ERRORS as exc:
            self.problem("signature_invalid", seq=seq, key=kid, detail=str(exc))
            return None
        if not info.valid_at(parse_time(claim.time)):
            self.problem("key_not_valid", seq=seq, key=kid, time=claim.time)
            return None
        if info.purpose == "person" and not _same_person(info.holder, claim.actor):
            self.problem("signature_misbound", seq=seq, key=kid, holder=self._who(info.holder), actor=self._who(claim.actor))
            return None
        name = self.names.get((info.holder.get("kind", ""), info.holder.get("id", "")))
        return Signer(kid, _method(info), dict(info.holder), name)

    def _signing_key(self, record: Record, kid: str, new: KeyInfo | None, alg: str) -> KeyInfo | None:
        """The key a signature may use: the key being bound, a key bound earlier, or a platform key."""
        if new is not None and kid == new.id:
            return new
        if kid in self.bound:
            info, since = self.bound[kid]
            if since < record.seq:
                return info
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        listed = self.keys.get(kid)
        if listed is not None and listed.purpose in PLATFORM_PURPOSES:
            return listed
        if listed is not None:
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        if kid in self.replaced:  # already reported against keys.json
            return None
        if record.claim.type == "key_bound" or kid in self.offered:
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        other = self._stand_in(alg)
        if other is not None:
            self.problem("key_substituted", seq=record.seq, key=kid, file=bz.KEYS, why="missing", other=other)
        else:
            self.problem("key_unknown", seq=record.seq, key=kid)
        return None

    def _stand_in(self, alg: str) -> str | None:
        """A platform key no record names, of the missing key's algorithm, in a keys.json not shown intact.

        That is what swapping a platform key looks like; an intact, logged keys.json means the
        signature was made with a key the platform never had (key_unknown) instead.
        """
        export, hashes = self.records.get(self.export_seq or 0), (self.manifest or {}).get("files", {})
        logged = export is not None and export.claim.public.get("manifest_hash") == sha256_hex(self.files.get(bz.MANIFEST, b""))
        if logged and hashes.get(bz.KEYS) == sha256_hex(self.files.get(bz.KEYS, b"")):
            return None
        named = {str(sig.get("key")) for r in self.records.values() for sig in r.sigs}
        for other in self.keys.values():
            if other.purpose in ("platform", "recorder") and other.alg == alg and other.id not in named:
                return other.id
        return None

    def _who(self, holder: Mapping[str, str]) -> str:
        name = self.names.get((holder.get("kind", ""), holder.get("id", "")))
        return f"{name} ({holder.get('id')})" if name else f"{holder.get('kind')} {holder.get('id')}"

    # (e) checkpoint and inclusion ----------------------------------------------------------------

    def _verifiers(self) -> list[note.Verifier]:
        """Trusted log keys if given (keys.json's must then be among them), else keys.json's log keys."""
        mine: dict[str, bytes] = {}
        for info in self.keys.values():
            if info.purpose == "log":
                try:
                    mine[info.id] = _ed25519_raw(info)
                except (RecordError, ValueError) as exc:
                    self.problem("checkpoint_invalid", file=bz.KEYS, key=info.id, why="malformed", detail=str(exc))
        if self.trusted_log:
            trusted = {v.public_key for v in self.trusted_log}
            for kid, raw in mine.items():
                if raw not in trusted:
                    self.problem("key_substituted", key=kid, file=bz.KEYS, why="untrusted")
            return list(self.trusted_log)
        if mine and not note.is_valid_name(self.origin):  # the log key's note name is the origin
            self.problem("checkpoint_invalid", file=bz.CHECKPOINT, why="malformed", detail="the origin is not a key name")
            return []
        out = [note.Verifier(self.origin, raw) for raw in mine.values()]
        if out:
            self.add("warning", "log_key_not_pinned", vkey=", ".join(v.vkey() for v in out))
        return out

    def _open_checkpoint(self, text: str, label: str) -> note.Checkpoint | None:
        """Parse and verify a checkpoint note against the log verifiers; report why if it fails."""
        try:
            body, sigs = note.parse_note(text)
            if body + "\n" + "".join(s.line() for s in sigs) != text:
                raise note.MalformedNoteError("not in canonical form")
            checkpoint = note.Checkpoint.parse(body)
        except note.NoteError as exc:
            self.problem("checkpoint_invalid", file=label, why="malformed", detail=str(exc))
            return None
        if checkpoint.origin != self.origin:
            self.problem("checkpoint_other_log", file=label, other=checkpoint.origin, log=self.origin)
            return None
        if not self.log_verifiers:
            self.problem("checkpoint_invalid", file=label, why="no_key")
            return None
        try:
            note.open_note(text, self.log_verifiers)
        except note.UnknownKeyError:
            self.problem("checkpoint_invalid", file=label, why="unsigned")
            return None
        except note.NoteError as exc:
            self.problem("checkpoint_invalid", file=label, why="bad_signature", detail=str(exc))
            return None
        return checkpoint

    def check_checkpoint(self) -> None:
        self.log_verifiers = self._verifiers()
        try:
            text = bz.parse_checkpoint(self.files)
        except bz.BundleError as exc:
            self.problem("checkpoint_invalid", file=bz.CHECKPOINT, why="malformed", detail=str(exc))
            return
        self.checkpoint = self._open_checkpoint(text, bz.CHECKPOINT)
        if self.checkpoint is not None:
            size, root, keys = (
                self.checkpoint.size,
                self.checkpoint.root_hash.hex(),
                ", ".join(v.vkey() for v in self.log_verifiers),
            )
            self.report.checkpoint = {"size": size, "root": root, "key": keys, "pinned": bool(self.trusted_log)}
            self.add("ok", "checkpoint_valid", file=bz.CHECKPOINT)

    def load_proofs(self) -> None:
        """proofs.json proves itself, so it must be canonical: any changed byte then changes a value."""
        try:
            data = bz.load_object(self.files, bz.PROOFS, "records", list)
            if canonical(data) != self.files[bz.PROOFS] or not isinstance(data.get("size"), int):
                raise bz.BundleError("proofs.json needs a size and must be in canonical (RFC 8785) form")
            shapes = [(data, {"size", "records", "consistency"})] + [(r, {"seq", "index", "proof"}) for r in data["records"]]
            shapes += [(c, {"from_size", "from_root", "proof"}) for c in data.get("consistency", [])]
            if not all(isinstance(item, dict) and set(item) == keys for item, keys in shapes):
                raise bz.BundleError("proofs.json has missing or unknown fields")
            inclusion = {}
            for item in data["records"]:
                seq, index = item["seq"], item["index"]
                if not isinstance(seq, int) or not isinstance(index, int) or seq in inclusion or index < 0:
                    raise bz.BundleError(f"bad or repeated entry for record {seq!r}")
                inclusion[seq] = (index, [_hex32(h) for h in item["proof"]])
            consistency = [
                (c["from_size"], _hex32(c["from_root"]), [_hex32(h) for h in c["proof"]]) for c in data.get("consistency", [])
            ]
            if not all(isinstance(c[0], int) and not isinstance(c[0], bool) for c in consistency):
                raise bz.BundleError("consistency from_size must be an integer")
        except (bz.BundleError, KeyError, TypeError, ValueError, AttributeError) as exc:  # any shape error of hostile JSON
            self.problem("file_malformed", file=bz.PROOFS, detail=str(exc) or type(exc).__name__)
            return
        self.proofs = {"size": data["size"], "records": inclusion, "consistency": consistency}
        if self.checkpoint is not None and data["size"] != self.checkpoint.size:
            self.problem("proof_invalid", file=bz.PROOFS, why="size", claimed=data["size"], size=self.checkpoint.size)

    def check_inclusion(self) -> None:
        checkpoint, inclusion = self.checkpoint, self.proofs.get("records")
        if checkpoint is None or inclusion is None:
            return
        for seq in sorted(self.records):
            if seq not in inclusion:
                self.problem("not_in_log", seq=seq, why="no_proof")
                continue
            index, proof = inclusion[seq]
            if index >= checkpoint.size:
                self.problem("log_truncated", seq=seq, index=index, size=checkpoint.size, last=checkpoint.size - 1)
                continue
            try:
                leaf = merkle.leaf_hash(self.entries[seq])
                merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash)
            except merkle.ProofError as exc:
                self.problem("not_in_log", seq=seq, index=index, detail=str(exc))
                continue
            self.summaries[seq].log_index = index
        placed = [(s, self.summaries[s].log_index) for s in sorted(self.summaries) if self.summaries[s].log_index is not None]
        for (before, a), (seq, b) in itertools.pairwise(placed):
            if b is not None and a is not None and b <= a:
                self.problem("record_reordered", seq=seq, why="log", before=before, index=b, prev_index=a)
        if len(placed) == len(self.records):
            self.add("ok", "all_in_log", size=checkpoint.size)

    # (f) consistency ----------------------------------------------------------------------------

    def check_consistency(self) -> None:
        """Every consistency proof the bundle carries must hold, whether or not a saved checkpoint uses it."""
        if self.checkpoint is None:
            return
        for size, root, proof in self.proofs.get("consistency", []):
            try:
                merkle.verify_consistency(size, self.checkpoint.size, proof, root, self.checkpoint.root_hash)
            except merkle.ProofError as exc:
                self.problem("proof_invalid", file=bz.PROOFS, why="consistency", from_size=size, detail=str(exc))

    def check_saved(self) -> None:
        if self.saved is None:
            return
        if self.checkpoint is None:
            self.problem("inconsistent_with_saved", file=SAVED, why="no_checkpoint")
            return
        saved = self._open_checkpoint(self.saved, SAVED)
        if saved is None:
            return
        m, n = saved.size, self.checkpoint.size
        if m > n:
            self.problem("inconsistent_with_saved", file=SAVED, why="larger", from_size=m, size=n)
        elif m == n and saved.root_hash != self.checkpoint.root_hash:
            self.problem("inconsistent_with_saved", file=SAVED, why="root", size=n)
        elif m < n:
            found = [proof for size, _root, proof in self.proofs.get("consistency", []) if size == m]
            if not found:
                self.problem("consistency_missing", file=SAVED, from_size=m)
                return
            try:
                merkle.verify_consistency(m, n, found[0], saved.root_hash, self.checkpoint.root_hash)
            except merkle.ProofError as exc:
                self.problem("inconsistent_with_saved", file=SAVED, why="fork", from_size=m, detail=str(exc))
                return
        self.add("ok", "consistent_with_saved", file=SAVED, from_size=m, size=n)

    def check_witnesses(self) -> None:
        """Trusted witnesses must have cosigned; witnesses.json's are checked too, but only informative."""
        if self.checkpoint is None:
            return
        text = self.files[bz.CHECKPOINT].decode()
        todo: list[tuple[note.CosignatureVerifier, bool]] = [(w, True) for w in self.trusted_witnesses]
        pinned = {w.vkey() for w in self.trusted_witnesses}
        try:
            listed = bz.parse_witnesses(self.files)
            if canonical({"witnesses": listed}) != self.files.get(bz.WITNESSES, canonical({"witnesses": []})):
                raise bz.BundleError("witnesses.json is not in canonical (RFC 8785) form")
            todo += [(note.CosignatureVerifier.from_vkey(w["vkey"]), False) for w in listed if w["vkey"] not in pinned]
            if any(w["name"] != w["vkey"].split("+", 1)[0] for w in listed):
                raise bz.BundleError("a witness's name differs from the name in its vkey")
        except (bz.BundleError, note.NoteError) as exc:
            self.problem("file_malformed", file=bz.WITNESSES, detail=str(exc))
        for witness, trusted in todo:
            try:
                when = note.verify_cosignature(text, witness)
            except note.UnknownKeyError:
                self.add("problem" if trusted else "warning", "witness_missing", name=witness.name)
                continue
            except note.NoteError as exc:
                self.problem("witness_invalid", name=witness.name, detail=str(exc))
                continue
            stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.report.witnesses.append({"name": witness.name, "time": stamp, "pinned": trusted})
            self.add("ok", "witness_cosigned", name=witness.name, time=stamp, pinned=trusted)

    # (g) export --------------------------------------------------------------------------------

    def check_recordings(self) -> None:
        """Segments against their manifests and chain; manifests must be the recorder key's."""
        for seq, record in sorted(self.records.items()):
            if record.claim.type in ("segment_manifest", "recording_interrupted"):
                summary = self.summaries.get(seq)
                methods = {s.method for s in summary.signers} if summary else set()
                if "recorder_key" not in methods:
                    self.problem("manifest_not_recorder", seq=seq)
        coverage = recording_check.check(self.records, self.files, self.add)
        self.report.recordings = [c.to_json() for c in coverage]

    def check_export(self) -> None:
        """The last export record must carry this manifest's hash; without one the file list is not in the log."""
        seq = self.export_seq
        if seq is None:
            self.add("warning", "manifest_not_logged", file=bz.MANIFEST, why="no_export")
        elif sha256_hex(self.files.get(bz.MANIFEST, b"")) == self.records[seq].claim.public.get("manifest_hash"):
            self.add("ok", "manifest_logged", file=bz.MANIFEST, seq=seq)
        else:
            self.problem("manifest_not_logged", file=bz.MANIFEST, seq=seq)


def _vkey(kind: type[_V], text: str) -> _V:
    try:
        return kind.from_vkey(text.strip())
    except note.NoteError as exc:
        raise UsageError(f"{text.strip()[:60]!r} is not a {kind.__name__} key (vkey): {exc}") from exc


def verify_bundle(
    path: str | PathLike[str] | IO[bytes],
    *,
    trusted_log_keys: Sequence[str] = (),
    trusted_witness_keys: Sequence[str] = (),
    saved_checkpoint: str | None = None,
) -> Report:
    """Check a bundle; raises UsageError only for unusable trusted keys. Everything else is in the Report."""
    trust = _Trust(
        [_vkey(note.Verifier, k) for k in dict.fromkeys(k.strip() for k in trusted_log_keys)],  # once each: repeats are ambiguous
        [_vkey(note.CosignatureVerifier, k) for k in dict.fromkeys(k.strip() for k in trusted_witness_keys)],
        saved_checkpoint,
    )
    report = Report(str(path) if isinstance(path, str | PathLike) else getattr(path, "name", "bundle"))
    try:
        files = bz.read_files(path)
    except bz.BundleError as exc:
        report.readable = False
        report.findings.append(Finding("problem", "bundle_unreadable", params={"detail": str(exc)}))
        return report
    try:
        _Checker(files, report, trust).run()
    except Exception as exc:  # noqa: BLE001 - a failure no check foresaw is reported as a problem, never passed silently
        report.findings.append(Finding("problem", "internal_error", params={"detail": f"{type(exc).__name__}: {exc}"}))
    return report


# -- the report a judge reads -------------------------------------------------------------------

# fmt: off
TEXT: dict[str, tuple[str, str]] = {
    "checkpoint_valid": ("检查点 {file} 由日志密钥有效签名。", "Checkpoint {file} is validly signed by the log key."),
    "all_in_log": ("全部记录都在日志中（检查点大小 {size}）。", "All records are in the log (checkpoint size {size})."),
    "manifest_logged": ("manifest.json 的哈希登记在第 {seq} 条（导出）记录中。", "The hash of manifest.json is logged in export record {seq}."),
    "consistent_with_saved": ("您保存的检查点（大小 {from_size}）与本日志（大小 {size}）一致。", "The saved checkpoint (size {from_size}) is consistent with this log (size {size})."),
    "witness_cosigned": ("见证方 {name} 于 {time} 共同签名了检查点。", "Witness {name} cosigned the checkpoint at {time}."),
    "bundle_unreadable": ("无法读取证据包：{detail}", "The bundle cannot be read: {detail}"),
    "internal_error": ("核验过程中出现意外错误（{detail}），核验未能完成，结果不可采信。", "The check stopped on an unexpected error ({detail}); the bundle is not verified."),
    "file_modified": ("文件 {file} 已被改动：其哈希与 manifest.json 中登记的不一致。", "File {file} has been modified: its hash differs from the one in manifest.json."),
    "file_missing": ("manifest.json 列出的文件 {file} 不在证据包中。", "File {file} is listed in manifest.json but missing."),
    "file_unlisted": ("文件 {file} 没有列在 manifest.json 中，是导出后被加入的。", "File {file} is not listed in manifest.json: it was added after the export."),
    "file_malformed": ("文件 {file} 格式不正确，无法核验（{detail}）。", "File {file} is malformed and cannot be checked ({detail})."),
    "no_records": ("证据包中没有任何记录。", "The bundle holds no records."),
    "record_malformed": ("文件 {file} 不是有效的记录（{detail}）。", "File {file} is not a valid record ({detail})."),
    "record_missing": ("第 {seq} 条记录缺失：记录编号不连续，有记录被删除。", "Record {seq} is missing: the numbering has a gap."),
    "record_duplicated/copy": ("第 {seq} 条记录重复出现（又见于 {file}）。", "Record {seq} appears twice (again in {file})."),
    "record_duplicated/conflict": ("{file} 与另一文件都自称第 {seq} 条记录，但内容不同。", "{file} and another file both claim to be record {seq}, with different contents."),
    "record_reordered/file": ("文件 {file} 中存放的是第 {seq} 条记录，而不是第 {number} 条：记录被调换了位置或重新编号。", "File {file} holds record {seq}, not record {number}: records were swapped or renumbered."),
    "record_reordered/log": ("第 {seq} 条记录在日志中的序号（{index}）不在第 {before} 条（{prev_index}）之后：记录顺序与日志不符。",
                             "Record {seq} sits at log index {index}, not after record {before} ({prev_index}): the order differs from the log."),
    "record_replayed": ("第 {seq} 条记录重复使用了第 {first} 条记录的声明（同一随机数）：这是重放的记录。", "Record {seq} reuses the claim of record {first} (same nonce): it is a replayed record."),
    "chain_broken": ("第 {seq} 条记录没有链接到第 {prev} 条（prev 哈希不符）：其间的记录被删除、插入或改动过。",
                     "Record {seq} does not link to record {prev} (wrong prev hash): records between them were removed, inserted or altered."),
    "wrong_case": ("第 {seq} 条记录属于另一案件（{other}），不属于本案（{case}）。", "Record {seq} belongs to another case ({other}), not to this case ({case})."),
    "wrong_log": ("第 {seq} 条记录是为另一日志（{other}）签署的，不是本日志 {log}。", "Record {seq} was signed for another log ({other}), not {log}."),
    "body_mismatch": ("第 {seq} 条记录的详细内容（{file}）与记录中登记的哈希不符：内容被改动过。", "The details of record {seq} ({file}) do not match the hash in the record: they were altered."),
    "body_without_record": ("文件 {file} 是第 {seq} 条记录的详细内容，但证据包中没有这条记录。", "File {file} holds details of record {seq}, which the bundle does not contain."),
    "signature_invalid": ("第 {seq} 条记录上密钥 {key} 的签名无效（{detail}）。", "The signature by key {key} on record {seq} is invalid ({detail})."),
    "signature_misbound": ("第 {seq} 条记录由 {holder} 的密钥 {key} 签名，但记录的行为人是 {actor}：签名与行为人不符。",
                           "Record {seq} is signed with key {key} of {holder}, but its actor is {actor}: the signature is not the actor's."),
    "key_substituted/id_mismatch": ("keys.json 中的密钥 {key} 与其公钥不符：公钥被替换过。", "Key {key} in keys.json does not match its public key: the key was substituted."),
    "key_substituted/missing": ("第 {seq} 条记录由密钥 {key} 签名，但 keys.json 中没有这把密钥，而有另一把平台密钥 {other}：密钥被替换过。",
                                "Record {seq} is signed by key {key}, which keys.json lacks while holding another platform key {other}: the key was substituted."),
    "key_substituted/untrusted": ("keys.json 中的日志密钥 {key} 不是您指定的可信日志密钥：日志密钥被替换过。", "The log key {key} in keys.json is not the trusted log key you gave: the log key was substituted."),
    "key_substituted/differs": ("keys.json 对密钥 {key} 持有人的描述与第 {seq} 条绑定记录不同：密钥信息被替换过。",
                                "keys.json names a different holder for key {key} than binding record {seq}: the key was substituted."),
    "key_substituted/twice": ("keys.json 中密钥 {key} 出现两次且内容不同。", "Key {key} appears twice in keys.json with different contents."),
    "key_unknown": ("第 {seq} 条记录由密钥 {key} 签名，但证据包中找不到这把密钥。", "Record {seq} is signed by key {key}, which the bundle does not contain."),
    "key_unbound/not_bound": ("第 {seq} 条记录由个人密钥 {key} 签名，但本案此前没有有效的记录把这把密钥绑定给任何人：签名不能归属于任何人。",
                              "Record {seq} is signed by personal key {key}, which no earlier valid record of this case binds to anyone."),
    "key_unbound/no_pop": ("第 {seq} 条密钥绑定记录没有新密钥 {key} 本身的有效签名（缺少持有证明）。", "Key binding record {seq} lacks a valid signature by the new key {key} itself (no proof of possession)."),
    "key_unbound/no_platform": ("第 {seq} 条密钥绑定记录没有当时有效的平台密钥共同签名，密钥 {key} 未被绑定。",
                                "Key binding record {seq} is not co-signed by a platform key valid at the time; key {key} is not bound."),
    "key_unbound/bad_key": ("第 {seq} 条密钥绑定记录中的密钥无效（{detail}）。", "Key binding record {seq} carries an unusable key ({detail})."),
    "key_unbound/rebound": ("第 {seq} 条记录试图把已绑定给他人的密钥 {key} 再次绑定。", "Record {seq} tries to bind key {key}, already bound to someone else."),
    "key_not_valid": ("第 {seq} 条记录的时间（{time}）不在密钥 {key} 的有效期内。", "Record {seq} ({time}) is outside the validity period of key {key}."),
    "record_unsigned": ("第 {seq} 条记录没有任何有效签名。", "Record {seq} has no valid signature."),
    "platform_signature_missing": ("第 {seq} 条记录（{type}）必须有平台密钥签名，但没有有效的平台签名。", "Record {seq} ({type}) must be signed by a platform key but has no valid platform signature."),
    "not_in_log/no_proof": ("第 {seq} 条记录没有日志包含证明，无法证明它在日志中。", "Record {seq} has no inclusion proof: it is not shown to be in the log."),
    "not_in_log": ("第 {seq} 条记录不在日志中：它在日志序号 {index} 处的包含证明与检查点不符，记录可能被改动或伪造。",
                   "Record {seq} is not in the log: its inclusion proof at index {index} does not match the checkpoint; it was altered or forged."),
    "log_truncated": ("第 {seq} 条记录在日志中的序号是 {index}，但检查点只覆盖序号 0 至 {last}（共 {size} 条）：检查点过旧或日志被截断，这条记录未被证明在日志中。",
                      "Record {seq} is at log index {index}, but the checkpoint covers only indices 0 to {last} ({size} entries): the log was truncated or the checkpoint is stale."),
    "checkpoint_invalid/malformed": ("检查点 {file} 格式不正确（{detail}）。", "Checkpoint {file} is malformed ({detail})."),
    "checkpoint_invalid/no_key": ("找不到日志公钥，无法核验检查点 {file}；请用 --trusted-key 指定。", "There is no log key to check checkpoint {file} with; give one with --trusted-key."),
    "checkpoint_invalid/unsigned": ("检查点 {file} 不是由日志密钥签名的。", "Checkpoint {file} is not signed by the log key."),
    "checkpoint_invalid/bad_signature": ("检查点 {file} 上的日志签名无效（{detail}）。", "The log signature on checkpoint {file} is invalid ({detail})."),
    "checkpoint_other_log": ("检查点 {file} 属于另一日志（{other}），不是本证据包的日志 {log}。", "Checkpoint {file} is from another log ({other}), not this bundle's log {log}."),
    "proof_invalid/size": ("proofs.json 所述日志大小 {claimed} 与检查点的大小 {size} 不符。", "proofs.json gives log size {claimed}, but the checkpoint's size is {size}."),
    "proof_invalid/consistency": ("proofs.json 中从大小 {from_size} 起的一致性证明无效（{detail}）。", "The consistency proof from size {from_size} in proofs.json is invalid ({detail})."),
    "inconsistent_with_saved/fork": ("您保存的检查点（大小 {from_size}）与本证据包的日志不一致：日志在那之后被改写（分叉）。",
                                     "The saved checkpoint (size {from_size}) is inconsistent with this bundle's log: the log was rewritten (forked)."),
    "inconsistent_with_saved/root": ("您保存的检查点与本证据包的检查点大小相同（{size}）但根哈希不同：日志被改写。",
                                     "The saved checkpoint has the same size ({size}) as the bundle's but a different root: the log was rewritten."),
    "inconsistent_with_saved/larger": ("您保存的检查点（大小 {from_size}）比本证据包的检查点（大小 {size}）更新：证据包可能缺少之后的记录，请要求重新导出。",
                                       "The saved checkpoint (size {from_size}) is newer than the bundle's (size {size}): later records may be missing; ask for a new export."),
    "inconsistent_with_saved/no_checkpoint": ("本证据包的检查点无效，无法与您保存的检查点比较。", "The bundle's checkpoint is invalid, so the saved checkpoint cannot be compared."),
    "consistency_missing": ("证据包中没有从大小 {from_size} 起的一致性证明；请要求平台用 --consistency-from {from_size} 重新导出。",
                            "The bundle has no consistency proof from size {from_size}; ask for an export with --consistency-from {from_size}."),
    "manifest_not_logged": ("manifest.json 的哈希与第 {seq} 条（导出）记录中登记的不一致：文件清单在导出后被改动过。",
                            "The hash of manifest.json differs from the one logged in export record {seq}: the manifest was changed after the export."),
    "manifest_not_logged/no_export": ("证据包的记录中没有导出记录，manifest.json 未登记在日志中：无法确认文件清单齐全、未被改动。",
                                      "The bundle has no export record, so manifest.json is not in the log: the file list cannot be confirmed."),
    "witness_missing": ("见证方 {name} 没有为检查点共同签名。", "Witness {name} has not cosigned the checkpoint."),
    "witness_invalid": ("见证方 {name} 的共同签名无效（{detail}）。", "The cosignature of witness {name} is invalid ({detail})."),
    "segment_missing": ("录像 {recording} 的第 {index} 段（{file}）缺失：片段清单（第 {seq} 条记录）登记了它，但证据包中没有。",
                        "Segment {index} of recording {recording} ({file}) is missing: segment manifest record {seq} lists it."),
    "segment_altered": ("录像片段 {file}（第 {index} 段）已被改动：其哈希与片段清单（第 {seq} 条记录）登记的不一致。",
                        "Recording segment {file} (segment {index}) was altered: its hash differs from segment manifest record {seq}."),
    "segment_reordered": ("录像片段 {file} 中存放的是第 {other} 段，而不是第 {index} 段：片段被调换了位置。",
                          "Recording segment {file} holds segment {other}, not segment {index}: segments were swapped."),
    "segment_unlisted": ("录像片段 {file} 不在任何片段清单中：它是后来加入的。", "Recording segment {file} is in no segment manifest: it was added afterwards."),
    "segment_chain_broken": ("录像 {recording} 的片段链在第 {index} 段处断开（第 {seq} 条记录）：片段被删除、插入或改动过。",
                             "The segment chain of recording {recording} breaks at segment {index} (record {seq}): segments were removed, inserted or altered."),
    "segment_manifest_missing": ("录像 {recording} 的片段清单不连续：第 {seq} 条记录从第 {got} 段开始，应从第 {expected} 段开始。",
                                 "The segment manifests of recording {recording} have a gap: record {seq} starts at segment {got}, not {expected}."),
    "recording_deleted": ("录像 {recording} 已在保存期满后删除（第 {seq} 条记录）；其片段的哈希仍在片段清单中。",
                          "Recording {recording} was deleted after its retention period (record {seq}); its segments' hashes remain in the manifests."),
    "recording_resumed": ("录像 {recording} 接续同一场调解此前录像的片段链（第 {seq} 条记录）。",
                          "Recording {recording} continues the segment chain of the session's earlier recording (record {seq})."),
    "recording_chain_broken": ("录像 {recording} 的片段链不是从头开始，也不接续同一场调解此前的录像（第 {seq} 条记录）：有录像被删除或调换。",
                               "The segment chain of recording {recording} neither starts afresh nor continues the session's earlier recording (record {seq}): a recording was removed or swapped."),
    "manifest_not_recorder": ("第 {seq} 条录像记录不是由平台的录像密钥签名的。", "Recording record {seq} is not signed by the platform's recorder key."),
    "recording_interrupted": ("录像 {recording} 因服务器停止而中断；已写入的第 1–{index} 段完整可核验。",
                              "Recording {recording} was interrupted when the server stopped; the segments written (up to {index}) are complete and verify."),
    "recording_unfinished": ("录像 {recording} 在导出时尚未结束（已登记至第 {index} 段）。", "Recording {recording} had not ended at export (segments up to {index} are logged)."),
    "document_missing": ("文件 {document} 缺失：第 {seq} 条记录登记了它，但证据包中没有。", "Document {document} is missing: record {seq} lists it."),
    "document_altered": ("文件 {file} 已被改动：其哈希与第 {seq} 条记录登记的不一致。", "Document {file} was altered: its hash differs from record {seq}."),
    "document_unlisted": ("文件 {file} 没有任何记录登记：它是后来加入的。", "Document {file} is in no record: it was added afterwards."),
    "agreement_pdf_unlogged": ("第 {seq} 条记录定稿的协议 PDF 没有登记在日志中。", "The agreement PDF made final in record {seq} is not in the log."),
    "signature_not_final": ("第 {seq} 条签名针对的第 {version} 版协议不是定稿版本。", "Signature record {seq} signs version {version}, which was never made final."),
    "signature_other_text": ("第 {seq} 条签名所签的文本或 PDF 与定稿版本不一致。", "Signature record {seq} signs a text or PDF other than the final version."),
    "sealed_pdf_unlogged": ("第 {seq} 条盖章记录所指的 PDF 没有登记在日志中。", "The sealed PDF of record {seq} is not in the log."),
    "sealed_other_signatures": ("第 {seq} 条盖章记录所列的签名与日志中的签名不一致。", "Seal record {seq} lists other signatures than those logged."),
    "agreement_sealed": ("调解协议已由全部 {signatures} 位签署人签署，并加盖调解组织印章（第 {seq} 条记录）。", "The agreement was signed by all {signatures} signers and sealed by the organisation (record {seq})."),
    "log_key_not_pinned": ("日志公钥 {vkey} 取自证据包本身；请与平台公布的日志公钥核对，或用 --trusted-key 指定可信的日志公钥。",
                           "The log key {vkey} was taken from the bundle itself; compare it with the platform's published key, or give it with --trusted-key."),
}

TYPES = {
    "case_opened": ("立案", "case opened"), "key_bound": ("绑定签名密钥", "key bound"),
    "identity_checked": ("核验身份", "identity checked"), "checkpoint_witnessed": ("检查点见证", "checkpoint witnessed"),
    "consent": ("同意调解", "consent"), "consent_withdrawn": ("撤回同意", "consent withdrawn"),
    "segment_manifest": ("录像片段清单", "recording segments"), "agreement_version": ("调解协议文本", "agreement version"),
    "signature": ("签署", "signature"), "confirmation_applied": ("申请司法确认", "confirmation applied for"),
    "confirmation_decided": ("司法确认决定", "confirmation decided"), "export": ("导出证据包", "bundle exported"),
    "recording_interrupted": ("录像中断", "recording interrupted"), "recording_deleted": ("录像删除", "recording deleted"),
    "document_added": ("文件入卷", "document added"), "agreement_sealed": ("协议盖章生效", "agreement sealed"),
    "delivery": ("送达", "delivery"), "mediation_ended": ("调解终止", "mediation ended"),
}
KINDS = {"party": ("当事人", "party"), "staff": ("工作人员", "staff"), "platform": ("平台", "platform"), "recorder": ("录像服务", "recorder")}
ROLES = {"applicant": ("申请人", "applicant"), "respondent": ("被申请人", "respondent"), "mediator": ("调解员", "mediator")}
METHODS = {"passkey": ("通行密钥", "passkey"), "device_key": ("设备密钥", "device key"), "platform_key": ("平台密钥", "platform key"),
           "recorder_key": ("录像密钥", "recorder key"), "log_key": ("日志密钥", "log key")}
WORDS = {
    "pass": ("验证通过：案件 {case} 的全部 {n} 条记录完整、未被改动、签名有效，并且都在日志 {log} 中。",
             "Verification passed: all {n} records of case {case} are complete, unaltered, validly signed and in the log {log}."),
    "fail": ("验证失败：发现 {k} 个问题，本证据包不能被视为完整、真实。问题见下文。", "Verification failed: {k} problems found; this bundle cannot be taken as complete and genuine. See below."),
    "unreadable": ("验证失败：无法读取证据包。", "Verification failed: the bundle cannot be read."),
    "bundle": ("证据包：{bundle}", "Bundle: {bundle}"),
    "who": ("谁在何时签署了什么", "Who signed what, and when"),
    "record": ("第 {seq} 条　{time}　{type}", "Record {seq}  {time}  {type}"),
    "actor": ("　　行为人：{actor}", "    Actor: {actor}"),
    "signed": ("　　签名：{signers}", "    Signed by: {signers}"),
    "unsigned": ("　　签名：无有效签名", "    Signed by: no valid signature"),
    "index": ("　　在日志中，序号 {index}", "    In the log at index {index}"),
    "no_index": ("　　未能证明在日志中", "    Not shown to be in the log"),
    "log": ("日志登记", "The log"),
    "checkpoint": ("检查点：日志 {log}，大小 {size}，根哈希 {root}，由日志密钥 {key} 签名（{trust}）。", "Checkpoint: log {log}, size {size}, root {root}, signed by log key {key} ({trust})."),
    "pinned": ("您指定的可信密钥", "the trusted key you gave"), "unpinned": ("密钥取自证据包", "key taken from the bundle"),
    "no_checkpoint": ("没有有效的检查点，无法确认记录在日志中。", "There is no valid checkpoint; no record is shown to be in the log."),
    "all_in_log": ("全部 {n} 条记录都在日志中（包含证明已逐条核验）。", "All {n} records are in the log (each inclusion proof checked)."),
    "some_in_log": ("{m} / {n} 条记录被证明在日志中。", "{m} of {n} records are shown to be in the log."),
    "witness": ("见证方 {name} 于 {time} 共同签名了该检查点（{trust}）。", "Witness {name} cosigned the checkpoint at {time} ({trust})."),
    "saved_ok": ("您保存的检查点（大小 {from_size}）与本日志一致：日志此后只有追加，没有改写。", "The saved checkpoint (size {from_size}) is consistent with this log: it was only appended to since."),
    "chain": ("记录链是否完整", "Is the chain complete"),
    "chain_ok": ("记录编号 1–{n} 连续，没有缺失、重复或调换，每条记录都链接到前一条。", "Records 1–{n} are numbered without gaps, duplicates or swaps, and each links to the one before."),
    "chain_bad": ("记录链不完整，见下文问题。", "The chain is not intact; see the problems below."),
    "manifest_ok": ("导出记录（第 {seq} 条）登记了 manifest.json 的哈希；清单所列 {files} 个文件均未被改动。",
                    "Export record {seq} logs the hash of manifest.json; none of the {files} files it lists was changed."),
    "problems": ("问题（{k}）", "Problems ({k})"),
    "warnings": ("提示（{k}）", "Notes ({k})"),
    "numbers": ("一二三四五六", "123456"),
    "sep": ("、", ", "),
    "recordings": ("录像覆盖范围", "What the recordings cover"),
    "recording": ("录像 {recording}（{status}）", "Recording {recording} ({status})"),
    "covered": ("　　{who}：{start} 至 {end}，共录制 {seconds} 秒", "    {who}: {start} to {end}, {seconds} s recorded"),
    "gap": ("　　　　缺口 {start} 至 {end}：{reason}", "        gap {start} to {end}: {reason}"),
    "complete": ("完整", "complete"), "interrupted": ("中断", "interrupted"), "unfinished": ("未结束", "unfinished"),
    "deleted": ("保存期满已删除", "deleted after retention"),
}
GAP_REASONS = {
    "not_consented": ("尚未同意录制", "had not consented"), "muted": ("麦克风关闭", "microphone off"),
    "camera_off": ("摄像头关闭", "camera off"), "reconnecting": ("网络重连中", "reconnecting"),
    "waiting": ("在等候室", "in the waiting room"), "held": ("被暂时请出", "on hold"), "left": ("已离开", "left"),
    "caucus": ("背对背调解（不录制）", "private talk (not recorded)"), "no_media": ("未收到音视频（丢包或断线）", "no media received (loss or dropout)"),
    "stopped": ("录制停止", "recording stopped"),
}
# fmt: on


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _fmt(template: str, **values: Any) -> str:
    return template.format_map(_Defaults(values))


def _pick(table: Mapping[str, tuple[str, str]], key: str, lang: str, fallback: str | None = None) -> str:
    pair = table.get(key)
    return (pair[0] if lang == "zh" else pair[1]) if pair else (fallback if fallback is not None else key)


def sentence(finding: Finding, lang: str = "zh") -> str:
    """One plain sentence for a finding, naming its file, record or key."""
    why = finding.params.get("why")
    key = f"{finding.code}/{why}" if why and f"{finding.code}/{why}" in TEXT else finding.code
    file = finding.file
    if file == SAVED:
        file = "（您保存的检查点）" if lang == "zh" else "(your saved checkpoint)"
    text = _pick(TEXT, key, lang, f"{finding.code}: {finding.subject}")
    return _fmt(text, file=file, seq=finding.seq, key=finding.key, **finding.params)


def _time(text: str, lang: str) -> str:
    try:
        when = parse_time(text)
    except RecordError:
        return text
    if lang == "zh":
        return (when + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S（北京时间）")
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _person(holder: Mapping[str, str], name: str | None, lang: str) -> str:
    kind = _pick(KINDS, holder.get("kind", ""), lang)
    role = _pick(ROLES, holder.get("role", ""), lang) if holder.get("role") else ""
    label = f"{kind} {name}" if name else f"{kind} {holder.get('id', '')}"
    return f"{label}（{role}）" if role and lang == "zh" else f"{label} ({role})" if role else label


def _signer(s: Signer, lang: str) -> str:
    method = _pick(METHODS, s.method, lang)
    if s.method in ("passkey", "device_key"):
        owner = s.name or s.holder.get("id", "")
        return f"{owner} 的{method} {s.key}" if lang == "zh" else f"{owner}'s {method} {s.key}"
    return f"{method} {s.key}"


def _records_section(report: Report, lang: str) -> list[str]:
    out = []
    for r in report.records:
        kind = _pick(TYPES, r.type, lang)
        kind = f"{kind}（{r.type}）" if lang == "zh" else f"{kind} ({r.type})"
        out.append(_fmt(_pick(WORDS, "record", lang), seq=r.seq, time=_time(r.time, lang), type=kind))
        out.append(_fmt(_pick(WORDS, "actor", lang), actor=_person(r.actor, r.actor_name, lang)))
        signers = _pick(WORDS, "sep", lang).join(_signer(s, lang) for s in r.signers)
        out.append(_fmt(_pick(WORDS, "signed", lang), signers=signers) if signers else _pick(WORDS, "unsigned", lang))
        where = _pick(WORDS, "index" if r.log_index is not None else "no_index", lang)
        out.append(_fmt(where, index=r.log_index))
    return out


def _log_section(report: Report, lang: str) -> list[str]:
    cp = report.checkpoint
    if cp is None:
        return [_pick(WORDS, "no_checkpoint", lang)]
    trust = _pick(WORDS, "pinned" if cp["pinned"] else "unpinned", lang)
    out = [_fmt(_pick(WORDS, "checkpoint", lang), log=report.log, size=cp["size"], root=cp["root"], key=cp["key"], trust=trust)]
    placed = sum(1 for r in report.records if r.log_index is not None)
    key = "all_in_log" if placed == len(report.records) and placed else "some_in_log"
    out.append(_fmt(_pick(WORDS, key, lang), n=len(report.records), m=placed))
    for w in report.witnesses:
        trust = _pick(WORDS, "pinned" if w["pinned"] else "unpinned", lang)
        out.append(_fmt(_pick(WORDS, "witness", lang), name=w["name"], time=w["time"], trust=trust))
    out += [_fmt(_pick(WORDS, "saved_ok", lang), **f.params) for f in report.findings if f.code == "consistent_with_saved"]
    return out


def _chain_section(report: Report, lang: str) -> list[str]:
    chain_codes = {"record_missing", "record_duplicated", "record_reordered", "chain_broken", "record_malformed", "no_records"}
    intact = not any(f.code in chain_codes for f in report.problems)
    out = [_fmt(_pick(WORDS, "chain_ok" if intact else "chain_bad", lang), n=len(report.records))]
    files_ok = not any(p.code.startswith("file_") for p in report.problems)
    logged = [f for f in report.findings if f.code == "manifest_logged" and files_ok]
    return out + [_fmt(_pick(WORDS, "manifest_ok", lang), seq=f.seq, files=report.files_checked) for f in logged]


def _recordings_section(report: Report, lang: str) -> list[str]:
    out = []
    for rec in report.recordings:
        out.append(_fmt(_pick(WORDS, "recording", lang), recording=rec["recording"], status=_pick(WORDS, rec["status"], lang)))
        for who, part in rec["participants"].items():
            start = _time(part["from"], lang) if part["from"] else "-"
            end = _time(part["to"], lang) if part["to"] else "-"
            out.append(_fmt(_pick(WORDS, "covered", lang), who=who, start=start, end=end, seconds=part["recorded_seconds"]))
            for gap in part["gaps"]:
                out.append(
                    _fmt(
                        _pick(WORDS, "gap", lang),
                        start=_time(str(gap.get("start")), lang),
                        end=_time(str(gap.get("end")), lang) if gap.get("end") else "-",
                        reason=_pick(GAP_REASONS, str(gap.get("reason")), lang),
                    )
                )
    return out


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Files first, then records by number, then the log: the order a reader checks them in."""
    return sorted(findings, key=lambda f: (0, 0) if f.code.startswith("file_") else (1, f.seq) if f.seq is not None else (2, 0))


def render(report: Report, lang: str = "zh") -> str:
    """The report a judge reads: verdict first, then signers, log, chain, problems and notes."""
    lang = "zh" if lang != "en" else "en"
    problems, warnings = _ordered(report.problems), _ordered(report.warnings)
    if not report.readable:
        verdict = _pick(WORDS, "unreadable", lang)
    elif problems:
        verdict = _fmt(_pick(WORDS, "fail", lang), k=len(problems))
    else:
        verdict = _fmt(_pick(WORDS, "pass", lang), case=report.case, n=len(report.records), log=report.log)
    lines = [verdict, _fmt(_pick(WORDS, "bundle", lang), bundle=report.bundle), ""]
    parts = (("who", _records_section), ("log", _log_section), ("chain", _chain_section)) if report.readable else ()
    if report.readable and report.recordings:
        parts = (*parts, ("recordings", _recordings_section))
    sections = [(_pick(WORDS, title, lang), body(report, lang)) for title, body in parts]
    for title, items in (("problems", problems), ("warnings", warnings)):
        numbered = [f"{i}. {sentence(f, lang)}" for i, f in enumerate(items, 1)]
        sections += [(_fmt(_pick(WORDS, title, lang), k=len(items)), numbered)] if items else []
    for number, (title, body) in zip(_pick(WORDS, "numbers", lang), sections, strict=False):
        lines += [f"{number}、{title}" if lang == "zh" else f"{number}. {title}", *body, ""]
    return "\n".join(lines).rstrip() + "\n"


# -- command line ---------------------------------------------------------------------------------


def _key_args(values: Sequence[str] | None) -> list[str]:
    """Each value is a vkey or a file of vkeys (one per line, '#' comments allowed)."""
    out: list[str] = []
    for value in values or ():
        path = Path(value)
        if "+" not in value or path.is_file():
            text = path.read_text(encoding="utf-8")
            out += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        else:
            out.append(value)
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mediate verify", description="Check a case's evidence bundle offline.")
    p.add_argument("bundle", help="the bundle .zip")
    p.add_argument("--trusted-key", action="append", metavar="VKEY_OR_FILE", help="the log's vkey, or a file of vkeys")
    p.add_argument("--witness-key", action="append", metavar="VKEY_OR_FILE", help="a witness vkey that must have cosigned")
    p.add_argument("--checkpoint", metavar="SAVED.txt", help="a checkpoint of this log saved earlier")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON instead")
    return p


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when everything verified, 1 when a problem was found, 2 for usage errors or an unreadable bundle."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        saved = Path(args.checkpoint).read_text(encoding="utf-8") if args.checkpoint else None
        logs, witnesses = _key_args(args.trusted_key), _key_args(args.witness_key)
        report = verify_bundle(args.bundle, trusted_log_keys=logs, trusted_witness_keys=witnesses, saved_checkpoint=saved)
    except (OSError, UnicodeDecodeError, UsageError) as exc:
        print(f"mediate verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        findings = [asdict(f) | {"message": sentence(f, args.lang)} for f in report.findings]
        out = {"ok": report.ok, "case": report.case, "findings": findings, "recordings": report.recordings}
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        sys.stdout.write(render(report, args.lang))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
