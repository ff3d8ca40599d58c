"""Test-side helpers around `server.evidence.sample`: build a case's bundle, then tamper with it.

The platform-side building (log, keys, records, export, checkpoint, proofs) lives in
`server/evidence/sample.py` so the benchmark and `mediate demo` can use it too; this module
adds what only tests need: rewriting a bundle's files the way an attacker would.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.evidence import bundle as bz
from server.evidence import note
from server.evidence.records import Record, canonical, entry_hash, sha256_hex
from server.evidence.sample import (
    Case,
    Export,
    People,
    Platform,
    consent,
    export,
    filler,
    open_case,
    standard_case,
)

__all__ = [
    "Built",
    "Case",
    "People",
    "Platform",
    "build",
    "consent",
    "cosigner",
    "export",
    "filler",
    "flip",
    "last_export_file",
    "open_case",
    "read",
    "relisted",
    "renumber",
    "rezip",
    "standard_case",
    "write_files",
]


@dataclass
class Built:
    path: Path
    platform: Platform
    case: Case
    people: People
    exported: Export
    saved: dict[str, str] = field(default_factory=dict)

    @property
    def vkey(self) -> str:
        return self.platform.vkey()

    def files(self) -> dict[str, bytes]:
        return read(self.path)


def build(
    tmp_path: Path,
    name: str = "bundle.zip",
    *,
    before_export: Callable[[Case, People], None] | None = None,
    **export_options: Any,
) -> Built:
    """The standard case (9 records with the export), optionally changed before it is exported."""
    case, people = standard_case()
    if before_export is not None:
        before_export(case, people)
    path = tmp_path / name
    exported = export(case, path, exporter=people.mediator, **export_options)
    return Built(path, case.platform, case, people, exported)


def read(path: Path | bytes) -> dict[str, bytes]:
    return bz.read_files(io.BytesIO(path) if isinstance(path, bytes) else path)


def write_files(files: Mapping[str, bytes], target: Path | io.BytesIO) -> Path | io.BytesIO:
    """A zip holding exactly these files (what a tamperer re-zips)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return target


def rezip(
    src: Path,
    dst: Path,
    *,
    replace: Mapping[str, bytes] | None = None,
    remove: Iterable[str] = (),
    relist: bool = False,
) -> Path:
    """Copy a bundle with some files replaced, added or removed; `relist` also fixes the manifest."""
    files = read(src)
    for name in remove:
        del files[name]
    files.update(replace or {})
    if relist:
        files = relisted(files)
    write_files(files, dst)
    return dst


def relisted(files: dict[str, bytes]) -> dict[str, bytes]:
    """Rewrite manifest.json to list the files as they now are, as a careful forger would."""
    manifest = json.loads(files[bz.MANIFEST])
    exempt = set(bz.SELF_PROVING) | {last_export_file(files)}
    manifest["files"] = {name: sha256_hex(data) for name, data in sorted(files.items()) if name not in exempt}
    return {**files, bz.MANIFEST: canonical(manifest)}


def last_export_file(files: Mapping[str, bytes]) -> str:
    """The file of the last `export` record: the manifest never lists it (it carries the manifest's hash)."""
    records = bz.numbered_files(files, "records")
    exports = [name for _, name in sorted(records.items()) if json.loads(files[name])["claim"]["type"] == "export"]
    return exports[-1] if exports else ""


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    """The byte at `at` with the bits of `mask` inverted."""
    out = bytearray(data)
    out[at] ^= mask
    return bytes(out)


def renumber(entry: bytes, seq: int, prev: bytes | None) -> bytes:
    """The same claim and signatures under a new seq and prev (signatures cover only the claim)."""
    record = Record.from_entry(entry)
    record.seq, record.prev = seq, entry_hash(prev) if prev is not None else None
    return record.entry


def cosigner(name: str = "witness.example.org/w1") -> note.CosignatureSigner:
    return note.CosignatureSigner.generate(name)
