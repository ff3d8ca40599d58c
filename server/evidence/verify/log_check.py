"""The log: steps (e) and (f) of FORMAT.md, and the witnesses.

The log key signs the checkpoint; each record's inclusion proof puts it under that checkpoint,
at an index after the record before it; the bundle's consistency proofs must hold, and one of
them must join a checkpoint the court saved earlier to this one; the witnesses the court trusts
must have cosigned. Trust comes from the court (`Trust`); keys.json's log key is only a fallback,
and a warning says so.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from server.evidence import bundle as bz
from server.evidence import merkle, note
from server.evidence.records import KeyInfo, RecordError, canonical
from server.evidence.verify.findings import SAVED
from server.evidence.verify.reading import Reading

_HEX32 = re.compile(r"[0-9a-f]{64}")


def _hex32(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ValueError(f"not 64 lowercase hex characters: {str(value)[:70]!r}")
    return bytes.fromhex(value)


def ed25519_raw(info: KeyInfo) -> bytes:
    """A log key's raw Ed25519 public key, as a checkpoint note's verifier takes it."""
    public = info.public_key()
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise RecordError(f"log key {info.id} is not Ed25519")
    return public.public_bytes_raw()


@dataclass
class Trust:
    """What the court brings: log keys, witness keys, a checkpoint saved earlier."""

    log: list[note.Verifier]
    witnesses: list[note.CosignatureVerifier]
    saved: str | None


class LogCheck:
    """Checks the checkpoint, the records' place in the log, its consistency and its witnesses."""

    def __init__(self, bundle: Reading, trust: Trust) -> None:
        self.bundle, self.add, self.problem = bundle, bundle.add, bundle.problem
        self.trusted_log, self.trusted_witnesses, self.saved = trust.log, trust.witnesses, trust.saved
        self.checkpoint: note.Checkpoint | None = None
        self.log_verifiers: list[note.Verifier] = []
        self.proofs: dict[str, Any] = {}

    def check(self) -> None:
        self.check_checkpoint()
        self.load_proofs()
        self.check_inclusion()
        self.check_consistency()
        self.check_saved()
        self.check_witnesses()

    # (e) checkpoint and inclusion ----------------------------------------------------------------

    def _verifiers(self) -> list[note.Verifier]:
        """Trusted log keys if given (keys.json's must then be among them), else keys.json's log keys."""
        mine: dict[str, bytes] = {}
        for info in self.bundle.keys.values():
            if info.purpose == "log":
                try:
                    mine[info.id] = ed25519_raw(info)
                except (RecordError, ValueError) as exc:
                    self.problem("checkpoint_invalid", file=bz.KEYS, key=info.id, why="malformed", detail=str(exc))
        if self.trusted_log:
            trusted = {v.public_key for v in self.trusted_log}
            for kid, raw in mine.items():
                if raw not in trusted:
                    self.problem("key_substituted", key=kid, file=bz.KEYS, why="untrusted")
            return list(self.trusted_log)
        if mine and not note.is_valid_name(self.bundle.origin):  # the log key's note name is the origin
            self.problem("checkpoint_invalid", file=bz.CHECKPOINT, why="malformed", detail="the origin is not a key name")
            return []
        out = [note.Verifier(self.bundle.origin, raw) for raw in mine.values()]
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
        if checkpoint.origin != self.bundle.origin:
            self.problem("checkpoint_other_log", file=label, other=checkpoint.origin, log=self.bundle.origin)
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
            text = bz.parse_checkpoint(self.bundle.files)
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
            self.bundle.report.checkpoint = {"size": size, "root": root, "key": keys, "pinned": bool(self.trusted_log)}
            self.add("ok", "checkpoint_valid", file=bz.CHECKPOINT)

    def load_proofs(self) -> None:
        """proofs.json proves itself, so it must be canonical: any changed byte then changes a value."""
        try:
            data = bz.load_object(self.bundle.files, bz.PROOFS, "records", list)
            if canonical(data) != self.bundle.files[bz.PROOFS] or not isinstance(data.get("size"), int):
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
        for seq in sorted(self.bundle.records):
            if seq not in inclusion:
                self.problem("not_in_log", seq=seq, why="no_proof")
                continue
            index, proof = inclusion[seq]
            if index >= checkpoint.size:
                self.problem("log_truncated", seq=seq, index=index, size=checkpoint.size, last=checkpoint.size - 1)
                continue
            try:
                leaf = merkle.leaf_hash(self.bundle.entries[seq])
                merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash)
            except merkle.ProofError as exc:
                self.problem("not_in_log", seq=seq, index=index, detail=str(exc))
                continue
            self.bundle.summaries[seq].log_index = index
        summaries = self.bundle.summaries
        placed = [(s, summaries[s].log_index) for s in sorted(summaries) if summaries[s].log_index is not None]
        for (before, a), (seq, b) in itertools.pairwise(placed):
            if b is not None and a is not None and b <= a:
                self.problem("record_reordered", seq=seq, why="log", before=before, index=b, prev_index=a)
        if len(placed) == len(self.bundle.records):
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
        text = self.bundle.files[bz.CHECKPOINT].decode()
        todo: list[tuple[note.CosignatureVerifier, bool]] = [(w, True) for w in self.trusted_witnesses]
        pinned = {w.vkey() for w in self.trusted_witnesses}
        try:
            listed = bz.parse_witnesses(self.bundle.files)
            if canonical({"witnesses": listed}) != self.bundle.files.get(bz.WITNESSES, canonical({"witnesses": []})):
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
            self.bundle.report.witnesses.append({"name": witness.name, "time": stamp, "pinned": trusted})
            self.add("ok", "witness_cosigned", name=witness.name, time=stamp, pinned=trusted)
