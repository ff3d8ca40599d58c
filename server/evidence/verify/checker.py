"""The checks of FORMAT.md, in order, over one bundle: `verify_bundle`.

Reading the bundle (a–c), its signatures (d) and its log (e–f) each have their module; this one
runs them in order, then checks the export (g), the recordings and the documents, and turns a
failure no check foresaw into a finding instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import IO, TypeVar

from server.evidence import bundle as bz
from server.evidence import note
from server.evidence.records import sha256_hex
from server.evidence.verify import document_check, recording_check
from server.evidence.verify.findings import Finding, Report, UsageError
from server.evidence.verify.log_check import LogCheck, Trust
from server.evidence.verify.reading import Reading
from server.evidence.verify.signers import SignatureCheck

_V = TypeVar("_V", bound=note.Verifier)


def _run(files: dict[str, bytes], report: Report, trust: Trust) -> None:
    """Runs the checks of FORMAT.md in order; each adds findings and fills the report."""
    bundle = Reading(files, report)
    bundle.load_manifest()
    bundle.load_records()
    bundle.check_listing()
    bundle.load_keys()
    bundle.check_bodies()
    SignatureCheck(bundle).check()
    LogCheck(bundle, trust).check()
    _check_export(bundle)
    _check_recordings(bundle)
    _check_supervision(bundle)
    _check_mediator_changes(bundle)
    report.agreements = document_check.check(bundle.records, bundle.files, bundle.add)
    report.records = [bundle.summaries[s] for s in sorted(bundle.summaries)]


# (g) export --------------------------------------------------------------------------------


def _check_export(bundle: Reading) -> None:
    """The last export record must carry this manifest's hash; without one the file list is not in the log."""
    seq = bundle.export_seq
    if seq is None:
        bundle.add("warning", "manifest_not_logged", file=bz.MANIFEST, why="no_export")
    elif sha256_hex(bundle.files.get(bz.MANIFEST, b"")) == bundle.records[seq].claim.public.get("manifest_hash"):
        bundle.add("ok", "manifest_logged", file=bz.MANIFEST, seq=seq)
    else:
        bundle.problem("manifest_not_logged", file=bz.MANIFEST, seq=seq)


def _check_recordings(bundle: Reading) -> None:
    """Segments against their manifests and chain; manifests must be the recorder key's."""
    for seq, record in sorted(bundle.records.items()):
        if record.claim.type in ("segment_manifest", "recording_interrupted"):
            summary = bundle.summaries.get(seq)
            methods = {s.method for s in summary.signers} if summary else set()
            if "recorder_key" not in methods:
                bundle.problem("manifest_not_recorder", seq=seq)
    coverage = recording_check.check(bundle.records, bundle.files, bundle.add)
    bundle.report.recordings = [c.to_json() for c in coverage]


def _check_supervision(bundle: Reading) -> None:
    """A `supervision_replied` answers an earlier `supervision_issued` of the case, and each
    instruction is answered once (FORMAT.md): a reply cannot be moved onto another instruction."""
    answered: set[int] = set()
    for seq, record in sorted(bundle.records.items()):
        if record.claim.type != "supervision_replied":
            continue
        target = record.claim.public.get("instruction_seq")
        issued = bundle.records.get(target) if type(target) is int and target < seq else None
        if issued is None or issued.claim.type != "supervision_issued" or target in answered:
            bundle.problem("reply_without_instruction", seq=seq, instruction=target)
        else:
            answered.add(issued.seq)


def _check_mediator_changes(bundle: Reading) -> None:
    """A `mediator_change_decided` decides an earlier `mediator_change_requested` of the case, and
    each request is decided once (FORMAT.md; 在线调解规则 art. 14): a decision cannot be moved onto
    another party's request."""
    decided: set[int] = set()
    for seq, record in sorted(bundle.records.items()):
        if record.claim.type != "mediator_change_decided":
            continue
        target = record.claim.public.get("request_seq")
        asked = bundle.records.get(target) if type(target) is int and target < seq else None
        if asked is None or asked.claim.type != "mediator_change_requested" or target in decided:
            bundle.problem("decision_without_request", seq=seq, request=target)
        else:
            decided.add(asked.seq)


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
    trust = Trust(
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
        _run(files, report, trust)
    except Exception as exc:  # noqa: BLE001 - a failure no check foresaw is reported as a problem, never passed silently
        report.findings.append(Finding("problem", "internal_error", params={"detail": f"{type(exc).__name__}: {exc}"}))
    return report
