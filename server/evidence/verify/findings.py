"""What a check of a bundle finds: each `Finding`, and the `Report` that gathers them with what
the bundle says (who signed which record, the checkpoint, the recordings, the agreement)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["ok", "problem", "warning"]
SAVED = "(saved checkpoint)"  # the file a finding about the checkpoint the court saved names


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
    method: str | None = None  # how it was done, as the record says (vocabulary.METHOD_WORDS)
    intent: str | None = None  # what a signature agrees to (public "intent"), e.g. agree_extension


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
    case_number: str | None = None  # the committee's number, from the case_registered (or older case_opened) record's body
    people: dict[str, str] = field(default_factory=dict)  # person id -> name, from the records' bodies

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
