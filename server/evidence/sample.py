"""An in-memory platform that writes cases and evidence bundles the way the server will.

Used by the tests, `mediate demo` and the verification benchmark, so all three exercise the
same record shapes the real exporter must produce: an RFC 6962 log shared with other cases,
platform keys (the log key doubles as the checkpoint's note signer), device keys bound by
`key_bound` records co-signed by the platform, bodies with names and phone numbers, an
`export` record that logs the manifest's hash, a signed (optionally cosigned) checkpoint and
inclusion/consistency proofs. Nothing here is needed to *verify* a bundle.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from server.evidence import note
from server.evidence.bundle import BundleContents, manifest_for, write_bundle
from server.evidence.merkle import MemoryTree
from server.evidence.records import (
    Claim,
    DeviceKey,
    Ed25519Signer,
    KeyInfo,
    Record,
    body_hash,
    entry_hash,
    make_body,
    sha256_hex,
    timestamp,
)

ORIGIN = "mediate.example.cn/log"
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CONSENT_TEXT = "本人同意通过本平台以视频方式参加调解，并同意调解过程被录音录像，用于制作和核验调解协议。"

Signer = Ed25519Signer | DeviceKey


def _holder(kind: str, ident: str, role: str) -> dict[str, str]:
    return {"kind": kind, "id": ident, "role": role}


class Platform:
    """The log, the platform's keys and a clock; cases append records to it."""

    def __init__(self, origin: str = ORIGIN, *, seed: int = 1, keys_from: Platform | None = None) -> None:
        self.origin = origin
        self.rng = random.Random(seed)
        self.now: datetime = START if keys_from is None else keys_from.now
        self.tree = MemoryTree()
        self.entries: list[bytes] = []
        since = timestamp(START - timedelta(days=30))
        if keys_from is None:
            self.log_key = Ed25519Signer.generate("log", valid_from=since)
            self.platform_key = Ed25519Signer.generate("platform", valid_from=since)
            self.recorder_key = Ed25519Signer.generate("recorder", valid_from=since)
        else:
            self.log_key, self.platform_key = keys_from.log_key, keys_from.platform_key
            self.recorder_key = keys_from.recorder_key
        self.note_signer = note.Signer(origin, self.log_key.private.private_bytes_raw())
        self.others: list[Case] = []

    # -- clock and log --

    def tick(self, low: int = 1, high: int = 20) -> str:
        self.now += timedelta(seconds=self.rng.randint(low, high), microseconds=self.rng.randrange(1_000_000))
        return timestamp(self.now)

    def append(self, entry: bytes) -> int:
        self.entries.append(entry)
        return self.tree.append(entry)

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def noise(self, count: int) -> None:
        """Entries of other cases, so a case's log indices are neither contiguous nor from 0."""
        for _ in range(count):
            if len(self.others) < 3 or self.rng.random() < 0.05:
                self.others.append(Case(self, noisy=False))
            case = self.rng.choice(self.others)
            kind = "case_opened" if not case.records else "identity_checked"
            staff = _holder("staff", "u-" + case.id[:8], "mediator")
            public = {"case_number_hash": sha256_hex(case.id.encode())} if kind == "case_opened" else {}
            body = (
                {"case_number": case.id[:8], "opened_by": "其他调解员"} if kind == "case_opened" else {"checked_by": "其他调解员"}
            )
            case.add(kind, staff, body, public, [self.platform_key])

    def platform_keys(self) -> list[KeyInfo]:
        return [self.log_key.info, self.platform_key.info, self.recorder_key.info]

    # -- checkpoints --

    def checkpoint(self, size: int | None = None) -> str:
        """A checkpoint note signed by the log key (whose note key name is the origin)."""
        size = self.tree.size if size is None else size
        body = note.Checkpoint(self.origin, size, self.tree.root(size)).format()
        return note.sign_note(body, self.note_signer)

    def vkey(self) -> str:
        return self.note_signer.verifier().vkey()

    def fork(self, keep: int, seed: int = 99) -> Platform:
        """The same keys and origin with the first `keep` entries: a log that rewrote its history."""
        other = Platform(self.origin, seed=seed, keys_from=self)
        for entry in self.entries[:keep]:
            other.append(entry)
        return other

    def new_case(self) -> Case:
        return Case(self)


@dataclass
class Person:
    holder: dict[str, str]
    name: str
    phone: str
    key: DeviceKey | None = None


class Case:
    """One case's chain of records, with the bodies and bound device keys an exporter needs."""

    def __init__(self, platform: Platform, *, noisy: bool = True) -> None:
        self.platform = platform
        self.id = platform.new_id()
        self.noisy = noisy
        self.records: list[Record] = []
        self.indices: list[int] = []
        self.bodies: dict[int, dict[str, Any]] = {}
        self.person_keys: list[KeyInfo] = []

    def claim(self, kind: str, actor: dict[str, str], body: dict[str, Any], public: dict[str, Any] | None = None) -> Claim:
        platform = self.platform
        return Claim(platform.origin, kind, self.id, dict(actor), body_hash(body), public or {}, time=platform.tick())

    def append(self, claim: Claim, signers: Iterable[Signer], body: dict[str, Any] | None = None) -> Record:
        """Sequence, sign and log a claim; other cases' entries may follow it in the log."""
        statement = claim.statement
        seq = len(self.records) + 1
        prev = entry_hash(self.records[-1].entry) if self.records else None
        record = Record(claim, seq, prev, [s.sign(statement) for s in signers])
        self.indices.append(self.platform.append(record.entry))
        self.records.append(record)
        if body is not None:
            self.bodies[seq] = body
        if self.noisy:
            self.platform.noise(self.platform.rng.randint(0, 2))
        return record

    def add(
        self,
        kind: str,
        actor: dict[str, str],
        data: dict[str, Any],
        public: dict[str, Any] | None = None,
        signers: Sequence[Signer] = (),
    ) -> Record:
        body = make_body(data)
        return self.append(self.claim(kind, actor, body, public), signers or [self.platform.platform_key], body)

    def bind(self, person: Person, method: str = "sms_otp") -> DeviceKey:
        """A `key_bound` record: signed by the new key (possession) and co-signed by the platform."""
        key = DeviceKey.generate(person.holder, valid_from=self.platform.tick())
        public = {"key": key.info.to_json(), "method": method}
        data = {"name": person.name, "phone": person.phone, "method": method, "key": key.info.id}
        self.add("key_bound", person.holder, data, public, [key, self.platform.platform_key])
        person.key = key
        self.person_keys.append(key.info)
        return key

    def keys(self) -> list[KeyInfo]:
        return [*self.platform.platform_keys(), *self.person_keys]


@dataclass
class People:
    mediator: Person
    applicant: Person
    respondent: Person
    extra: list[Person] = field(default_factory=list)


def open_case(platform: Platform, *, first: str = "case_registered") -> tuple[Case, People]:
    """A case as the server opens it: case_registered, key_bound for staff and parties, identity checks.

    ``first="case_opened"`` begins it as cases registered before #21 were (their logs still verify).
    """
    platform.noise(platform.rng.randint(5, 12))
    case = platform.new_case()
    people = People(
        Person(_holder("staff", "u-" + platform.new_id()[:12], "mediator"), "王芳", "13700000000"),
        Person(_holder("party", "p-" + platform.new_id()[:12], "applicant"), "张三", "13800000001"),
        Person(_holder("party", "p-" + platform.new_id()[:12], "respondent"), "李四", "13900000002"),
    )
    number = "(2026)京0101民调123号"
    if first == "case_opened":
        opened = {"case_number": number, "dispute_type": "debt", "mediator": "王芳", "opened_by": "王芳"}
        case.add("case_opened", people.mediator.holder, opened, {"case_number_hash": sha256_hex(number.encode())})
    else:
        registered = {
            "case_number": number,
            "dispute_type": "loans",
            "source": "party_application",
            "source_words": "当事人申请",
            "mediator": "王芳",
            "registered_by": "王芳",
            "parties": [
                {"role": "applicant", "name": "张三", "phone": "13800000001"},
                {"role": "respondent", "name": "李四", "phone": "13900000002"},
            ],
        }
        public = {"dispute_type": "loans", "source": "party_application", "collective": False, "applicants": 1, "respondents": 1}
        case.add("case_registered", people.mediator.holder, registered, public)
    case.bind(people.mediator, "staff_login")
    for party in (people.applicant, people.respondent):
        case.bind(party)
    for party in (people.applicant, people.respondent):
        check = {"subject": {"kind": "party", "id": party.holder["id"]}, "method": "id_card", "result": "match"}
        assert people.mediator.key is not None
        body = {
            "party": party.name,
            "party_role": party.holder["role"],
            "checked_by": "王芳",
            "method": "id_card",
            "result": "match",
        }
        case.add("identity_checked", people.mediator.holder, body, check, [people.mediator.key])
    return case, people


def consent(case: Case, person: Person, signer: Signer | None = None) -> Record:
    """A party's consent, signed by their device key (or by `signer`, to forge one in tests)."""
    key = signer or person.key
    assert key is not None
    data = {"name": person.name, "phone": person.phone, "text": CONSENT_TEXT}
    return case.add("consent", person.holder, data, {"text_hash": sha256_hex(CONSENT_TEXT.encode())}, [key])


def standard_case(platform: Platform | None = None) -> tuple[Case, People]:
    """The case most tests use: opened, three keys bound, two identity checks, two consents."""
    case, people = open_case(platform or Platform())
    consent(case, people.applicant)
    consent(case, people.respondent)
    return case, people


def filler(case: Case, people: People, count: int) -> None:
    """`count` more agreement_version records, alternately by each party (for the benchmark)."""
    for i in range(count):
        party = people.applicant if i % 2 == 0 else people.respondent
        assert party.key is not None
        text = f"调解协议第 {i + 1} 版"
        case.add(
            "agreement_version",
            party.holder,
            {"name": party.name, "text": text},
            {"text_hash": sha256_hex(text.encode()), "version": i + 1},
            [party.key],
        )


@dataclass
class Export:
    contents: BundleContents
    manifest_hash: str
    checkpoint: str
    size: int


def export(
    case: Case,
    target: str | Path | IO[bytes],
    *,
    exporter: Person | None = None,
    with_export_record: bool = True,
    checkpoint_size: int | None = None,
    truncate: int = 0,
    consistency_from: Sequence[int] = (),
    witnesses: Sequence[note.CosignatureSigner] = (),
    extra_files: dict[str, bytes] | None = None,
) -> Export:
    """Export the case as the server will: manifest, then the `export` record, then the checkpoint.

    `checkpoint_size`/`truncate` make a checkpoint older than the newest entries, for tests.
    """
    platform = case.platform
    contents = BundleContents(
        case.id,
        platform.origin,
        platform.tick(),
        [r.entry for r in case.records],
        dict(case.bodies),
        case.keys(),
        "",
        {},
        [{"name": w.name, "vkey": w.verifier().vkey()} for w in witnesses],
        dict(extra_files or {}),
    )
    if with_export_record:
        actor = exporter.holder if exporter else _holder("platform", platform.platform_key.info.id, "exporter")
        body = make_body({"exported_by": exporter.name if exporter else "平台", "case_number": "(2026)京0101民调123号"})
        contents.bodies[len(case.records) + 1] = body
        manifest_hash = sha256_hex(manifest_for(contents))
        claim = case.claim("export", actor, body, {"manifest_hash": manifest_hash})
        contents.entries.append(case.append(claim, [platform.platform_key], body).entry)
    platform.noise(3)
    size = platform.tree.size if checkpoint_size is None else checkpoint_size
    if truncate:  # a stale or truncated checkpoint: it predates the case's last `truncate` records
        size = case.indices[-truncate]
    text = platform.checkpoint(size)
    for witness in witnesses:
        text = note.cosign(text, witness, int(platform.now.timestamp()) + 5)
    contents.checkpoint = text
    contents.proofs = proofs(case, size, consistency_from)
    written = write_bundle(target, contents)
    assert not with_export_record or written == manifest_hash
    return Export(contents, written, text, size)


def proofs(case: Case, size: int, consistency_from: Sequence[int] = ()) -> dict[str, Any]:
    """proofs.json: inclusion proofs at `size` (none for records logged after it) and consistency proofs."""
    tree = case.platform.tree
    return {
        "size": size,
        "records": [
            {"seq": seq, "index": index, "proof": [h.hex() for h in tree.inclusion_proof(index, size)] if index < size else []}
            for seq, index in enumerate(case.indices, 1)
        ],
        "consistency": [
            {"from_size": m, "from_root": tree.root(m).hex(), "proof": [h.hex() for h in tree.consistency_proof(m, size)]}
            for m in consistency_from
        ],
    }
