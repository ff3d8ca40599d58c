"""The checks of FORMAT.md, in order, over one bundle: `verify_bundle`.

Reading the bundle (a–c), its signatures (d) and its log (e–f) each have their module; this one
runs them in order, then checks the export (g), the recordings, the documents and the case file, and turns a
failure no check foresaw into a finding instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import IO, Any, TypeVar

from server.evidence import bundle as bz
from server.evidence import note
from server.evidence.records import sha256_hex
from server.evidence.verify import case_file_check, document_check, recording_check
from server.evidence.verify.findings import Finding, Report, UsageError
from server.evidence.verify.log_check import LogCheck, Trust
from server.evidence.verify.reading import Reading
from server.evidence.verify.signers import SignatureCheck

_V = TypeVar("_V", bound=note.Verifier)


def _run(files: Mapping[str, bytes], report: Report, trust: Trust) -> None:
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
    _check_extensions(bundle)
    _check_mediator_changes(bundle)
    _check_transcripts(bundle)
    report.agreements = document_check.check(bundle.records, bundle.files, bundle.add)
    case_file_check.check(bundle.records, bundle.files, bundle.add)
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


#: An answer's type → (the field naming what it answers, the type answered, the problem's code, its parameter).
ANSWERS = {
    "supervision_replied": ("instruction_seq", "supervision_issued", "reply_without_instruction", "instruction"),
    "complaint_answered": ("complaint_seq", "complaint_filed", "answer_without_complaint", "complaint"),
}


def _check_supervision(bundle: Reading) -> None:
    """A `supervision_replied` answers an earlier `supervision_issued` of the case, and a
    `complaint_answered` an earlier `complaint_filed`; each is answered once (FORMAT.md): an answer
    cannot be moved onto another instruction or complaint."""
    answered: set[int] = set()
    for seq, record in sorted(bundle.records.items()):
        if record.claim.type not in ANSWERS:
            continue
        field, wanted, code, name = ANSWERS[record.claim.type]
        target = record.claim.public.get(field)
        issued = bundle.records.get(target) if type(target) is int and target < seq else None
        if issued is None or issued.claim.type != wanted or target in answered:
            bundle.problem(code, seq=seq, **{name: target})
        else:
            answered.add(issued.seq)


def _check_extensions(bundle: Reading) -> None:
    """A `deadline_extended` names, for every party, an earlier `signature` record of the case in which
    that party, with their own key, agreed to the same extension and days (FORMAT.md; 在线调解规则
    art. 24, 特邀调解规定 art. 27: the period is extended only when every party agrees)."""
    for seq, record in sorted(bundle.records.items()):
        if record.claim.type != "deadline_extended":
            continue
        public = record.claim.public
        wanted = {k: public.get(k) for k in ("extension", "from_date", "to_date")}
        signatures = public.get("signatures")
        if not isinstance(signatures, list) or not signatures:
            bundle.problem("extension_unsigned", seq=seq, why="no_signatures")
            continue
        why = None
        for entry in signatures:
            target = entry.get("seq") if isinstance(entry, dict) else None
            why = _extension_gap(bundle, seq, entry, target, wanted) if type(target) is int else "not_signed"
            if why is not None:
                bundle.problem("extension_unsigned", seq=seq, why=why, signature=target)
                break
        if why is None:
            bundle.add("ok", "deadline_extended", seq=seq, to_date=public.get("to_date"), parties=len(signatures))


def _extension_gap(bundle: Reading, seq: int, entry: dict[str, Any], target: int, wanted: dict[str, Any]) -> str | None:
    """Why one party's entry of a `deadline_extended` does not stand, or None when it does."""
    signed = bundle.records.get(target) if target < seq else None
    statement = bundle.statements.get(target)
    if signed is None or statement is None or signed.claim.type != "signature":
        return "not_signed"
    if sha256_hex(statement) != entry.get("claim_hash") or signed.claim.public.get("intent") != "agree_extension":
        return "not_signed"
    if any(signed.claim.public.get(k) != v for k, v in wanted.items()):
        return "other_days"
    party = entry.get("party")
    if signed.claim.actor.get("kind") != "party" or signed.claim.actor.get("id") != party:
        return "not_signed"
    own = any(s.method in ("device_key", "passkey") and s.holder.get("id") == party for s in bundle.summaries[target].signers)
    return None if own else "not_signed"


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


def _check_transcripts(bundle: Reading) -> None:
    """A `transcript_version`'s body holds the text its `text_hash` names, and a `transcript_signed`
    signs an earlier version of the same record with that version's hash (FORMAT.md; 人民调解法 art.
    28, 30): a party's signature cannot be moved onto a text they never read."""
    bodies = bz.numbered_files(bundle.files, "bodies")
    versions: dict[tuple[Any, Any], tuple[int, Any]] = {}
    for seq, record in sorted(bundle.records.items()):
        public = record.claim.public
        if record.claim.type == "transcript_version":
            text = _body_text(bundle, bodies.get(seq))
            if text is not None and sha256_hex(text.encode()) != public.get("text_hash"):
                bundle.problem("transcript_text_mismatch", seq=seq, version=public.get("version"))
                continue
            versions[(public.get("record"), public.get("version"))] = (seq, public.get("text_hash"))
        elif record.claim.type == "transcript_signed":
            found = versions.get((public.get("record"), public.get("version")))
            if found is None or found[1] != public.get("text_hash"):
                bundle.problem("transcript_unversioned", seq=seq, version=public.get("version"))
            else:
                bundle.add("ok", "transcript_signed", seq=seq, version=public.get("version"), version_seq=found[0])


def _body_text(bundle: Reading, name: str | None) -> str | None:
    """The `text` of a record's body in the bundle, if the body is there and whole (check_bodies names the rest)."""
    if name is None:
        return None
    try:
        data = bz.parse_body(bundle.files, name)["data"]
    except (bz.BundleError, KeyError, TypeError, ValueError):
        return None
    return data.get("text") if isinstance(data, dict) and isinstance(data.get("text"), str) else None


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
    name = getattr(path, "name", None)  # a temporary file's is its descriptor, a number: "bundle" then
    report = Report(str(path) if isinstance(path, str | PathLike) else name if isinstance(name, str) else "bundle")
    try:
        # Recordings are hashed as they stream out of the zip, never held whole (a two-hour session's are gigabytes).
        with bz.open_files(path) as files:
            try:
                _run(files, report, trust)
            except Exception as exc:  # noqa: BLE001 - a failure no check foresaw is reported as a problem, never passed silently
                report.findings.append(Finding("problem", "internal_error", params={"detail": f"{type(exc).__name__}: {exc}"}))
    except bz.BundleError as exc:
        report.readable = False
        report.findings.append(Finding("problem", "bundle_unreadable", params={"detail": str(exc)}))
    return report
