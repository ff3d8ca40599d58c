"""Checking a bundle's case file (人民调解卷宗): every part it lists against the log, and its PDF against its hash.

A ``case_file_made`` record (FORMAT.md) names the case file's PDF (a ``document_added`` of kind
``case_file`` logged before it, with its SHA-256) and, in its body, every line of the file's
contents with its source: an earlier record of the case, whose ``body_hash`` the line's SHA-256 must
be, or a document logged before it, whose logged SHA-256 it must be. So a judge holding the bundle
knows that each part the file prints is what the log holds, and that the PDF is the one that was
made, without trusting the platform: a part moved onto another record, a hash that is not the log's,
or a PDF changed since it was logged is named.

The document files themselves are checked against their ``document_added`` records by
document_check.py; here the PDF is also checked against the case file's own record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from server.evidence import bundle as bz
from server.evidence.records import Record
from server.evidence.verify.document_check import DOCUMENT_FILE, destroyed_documents

Report = Callable[..., None]  # (level, code, *, file=None, seq=None, **params)


def _parts(files: Mapping[str, bytes], name: str | None) -> list[dict[str, Any]] | None:
    """The contents' lines of a case_file_made body, if the body is there and readable."""
    if name is None:
        return None
    try:
        parts = bz.parse_body(files, name)["data"].get("parts")
    except (bz.BundleError, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        return None
    return parts


def _part_stands(part: dict[str, Any], seq: int, records: Mapping[int, Record], logged: Mapping[str, tuple[int, Any]]) -> bool:
    source, digest = part.get("source"), part.get("sha256")
    if not isinstance(source, dict):
        return False
    target = source.get("seq")
    if "seq" in source:
        record = records.get(target) if type(target) is int and target < seq else None
        return record is not None and record.claim.body_hash == digest
    found = logged.get(str(source.get("document")))
    return found is not None and found[0] < seq and found[1].get("sha256") == digest


def check(records: Mapping[int, Record], files: Mapping[str, bytes], add: Report) -> None:
    logged: dict[str, tuple[int, dict[str, Any]]] = {}
    for seq, record in sorted(records.items()):
        if record.claim.type == "document_added":
            logged[str(record.claim.public.get("document"))] = (seq, record.claim.public)
    present = {m.group(1): name for name in files if (m := DOCUMENT_FILE.fullmatch(name))}
    destroyed, _ = destroyed_documents(records)
    bodies = bz.numbered_files(files, "bodies")
    for seq, record in sorted(records.items()):
        if record.claim.type != "case_file_made":
            continue
        public = record.claim.public
        wrong = 0
        # The PDF: logged before this record, as a case file, with the hash this record names; and the file is that.
        doc_id, digest = str(public.get("document")), public.get("sha256")
        filed = logged.get(doc_id)
        if filed is None or filed[0] >= seq or filed[1].get("kind") != "case_file" or filed[1].get("sha256") != digest:
            add("problem", "case_file_pdf_mismatch", seq=seq, why="unlogged", document=doc_id)
            wrong += 1
        elif doc_id not in present and doc_id in destroyed:
            pass  # destroyed after the case file's retention: document_check.py says by which record
        elif doc_id not in present:
            add("problem", "case_file_pdf_mismatch", seq=seq, why="missing", document=doc_id)
            wrong += 1
        elif hashlib.sha256(files[present[doc_id]]).hexdigest() != digest:
            add("problem", "case_file_pdf_mismatch", file=present[doc_id], seq=seq, why="altered", document=doc_id)
            wrong += 1
        # Every line of the contents with a source: that source, as the log holds it.
        parts = _parts(files, bodies.get(seq))
        if parts is None:
            add("problem", "case_file_part_mismatch", seq=seq, why="no_list")
            continue
        listed = [p for p in parts if p.get("source") is not None]
        for part in listed:
            if not _part_stands(part, seq, records, logged):
                found = part.get("source")
                source: dict[str, Any] = found if isinstance(found, dict) else {}
                why = "record" if "seq" in source else "document"
                add("problem", "case_file_part_mismatch", seq=seq, why=why, order=part.get("order"),
                    title=part.get("title"), source=source.get("seq", source.get("document")))  # fmt: skip
                wrong += 1
        if public.get("parts") != len(listed):
            add("problem", "case_file_part_mismatch", seq=seq, why="count", parts=public.get("parts"), listed=len(listed))
            wrong += 1
        if not wrong:
            add("ok", "case_file_intact", seq=seq, parts=len(listed), pages=public.get("pages"))
