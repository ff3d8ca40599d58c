"""Checking a bundle's documents and its agreement: every file against its logged hash, every
signature against the final text and PDF it names.

The log is the authority. ``document_added`` records carry each document's SHA-256; the bundle's
``documents/<id>.<ext>`` are the files. A ``case_file_destroyed`` record (an archived case's file
destroyed after its retention) names documents by id and hash: those are expected to be absent. An agreement's final ``agreement_version`` record names
the text's and the PDF's hashes; each ``signature`` must name the same two (a signature over
another text signs something else); ``agreement_sealed`` names the sealed PDF and the
signatures it gathers. A judge then knows which PDF was signed, by whom, and which one carries
the organisation's seal, without trusting the platform's database. A party's ``confirmation_applied``
is theirs; one whose actor is a mediator is an attestation that the party signed the application on
paper (#25): it must say so (``method`` ``paper``, the party as ``subject``, one of ``joint``) and
name a scanned page the log filed under the same hash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from server.evidence.records import Record

DOCUMENT_FILE = re.compile(r"documents/([0-9a-f-]{36})\.(pdf|png|jpg|bin)")
Report = Callable[..., None]  # (level, code, *, file=None, seq=None, **params)


def destroyed_documents(records: Mapping[int, Record]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """The documents a ``case_file_destroyed`` record rightly names (id: that record's seq), and the
    (seq, id) it names wrongly: a document the log did not file before it, or under another hash."""
    logged: dict[str, tuple[int, Any]] = {}
    rightly: dict[str, int] = {}
    wrongly: list[tuple[int, str]] = []
    for seq, record in sorted(records.items()):
        if record.claim.type == "document_added":
            logged[str(record.claim.public.get("document"))] = (seq, record.claim.public.get("sha256"))
        elif record.claim.type == "case_file_destroyed":
            for item in record.claim.public.get("documents") or []:
                doc_id = str(item.get("document")) if isinstance(item, dict) else ""
                added = logged.get(doc_id)
                if added is not None and isinstance(item, dict) and added[1] == item.get("sha256"):
                    rightly[doc_id] = seq
                else:
                    wrongly.append((seq, doc_id))
    return rightly, wrongly


def check(records: Mapping[int, Record], files: Mapping[str, bytes], add: Report) -> list[dict[str, Any]]:
    """Report on documents and signatures; return one summary per agreement."""
    logged: dict[str, tuple[int, dict[str, Any]]] = {}
    for seq, record in sorted(records.items()):
        if record.claim.type == "document_added":
            logged[str(record.claim.public.get("document"))] = (seq, record.claim.public)
    destroyed, wrongly = destroyed_documents(records)
    for seq, doc_id in wrongly:
        add("problem", "destroyed_unlogged", seq=seq, document=doc_id)
    present = {m.group(1): name for name in files if (m := DOCUMENT_FILE.fullmatch(name))}
    for doc_id, (seq, public) in logged.items():
        name = present.get(doc_id)
        if name is None and doc_id in destroyed:
            # Not missing: destroyed after the case file's retention, by a record; its hash stays in the log.
            add("warning", "document_destroyed", seq=destroyed[doc_id], document=doc_id, added=seq)
        elif name is None:
            add("problem", "document_missing", seq=seq, document=doc_id)
        elif hashlib.sha256(files[name]).hexdigest() != public.get("sha256"):
            add("problem", "document_altered", file=name, seq=seq)
        else:
            add("ok", "document_intact", file=name, seq=seq)
    for doc_id, name in present.items():
        if doc_id not in logged:
            add("problem", "document_unlisted", file=name)
    _applications(records, logged, add)
    return _agreements(records, logged, add)


def _agreements(
    records: Mapping[int, Record], logged: dict[str, tuple[int, dict[str, Any]]], add: Report
) -> list[dict[str, Any]]:
    finals: dict[tuple[str, int], dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    for seq, record in sorted(records.items()):
        public = record.claim.public
        kind = record.claim.type
        if kind == "agreement_version" and public.get("final"):
            key = (str(public.get("agreement")), int(public.get("version", 0)))
            finals[key] = public
            document = logged.get(str(public.get("document")))
            if document is None or document[1].get("sha256") != public.get("pdf_hash"):
                add("problem", "agreement_pdf_unlogged", seq=seq)
            summaries[key[0]] = {"agreement": key[0], "version": key[1], "text_hash": public.get("text_hash"),
                                 "pdf_hash": public.get("pdf_hash"), "final_seq": seq, "signatures": [], "sealed": None}  # fmt: skip
        elif kind == "signature" and "agreement" in public:
            key = (str(public.get("agreement")), int(public.get("version", 0)))
            final = finals.get(key)
            if final is None:
                add("problem", "signature_not_final", seq=seq, version=key[1])
            elif (public.get("text_hash"), public.get("pdf_hash")) != (final.get("text_hash"), final.get("pdf_hash")):
                add("problem", "signature_other_text", seq=seq)
            elif public.get("method") == "paper" and not _scan_logged(public.get("scan"), logged):
                add("problem", "paper_scan_unlogged", seq=seq)
            else:
                summaries[key[0]]["signatures"].append(seq)
        elif kind == "agreement_sealed":
            agreement = str(public.get("agreement"))
            summary = summaries.get(agreement)
            document = logged.get(str(public.get("document")))
            if summary is None or document is None or document[1].get("sha256") != public.get("signed_pdf_hash"):
                add("problem", "sealed_pdf_unlogged", seq=seq)
                continue
            if public.get("pdf_hash") != summary["pdf_hash"] or sorted(public.get("signatures") or []) != sorted(
                summary["signatures"]
            ):
                add("problem", "sealed_other_signatures", seq=seq)
                continue
            summary["sealed"] = {"seq": seq, "signed_pdf_hash": public.get("signed_pdf_hash")}
            add("ok", "agreement_sealed", seq=seq, signatures=len(summary["signatures"]))
    return list(summaries.values())


def _applications(records: Mapping[int, Record], logged: dict[str, tuple[int, dict[str, Any]]], add: Report) -> None:
    """A ``confirmation_applied`` a staff member signed attests a party's signature on the paper
    application: it names that party, one of the joint applicants, and the scanned page as filed."""
    for seq, record in sorted(records.items()):
        claim = record.claim
        if claim.type != "confirmation_applied" or claim.actor.get("kind") != "staff":
            continue
        public, subject = claim.public, claim.public.get("subject")
        party = subject.get("id") if isinstance(subject, dict) and subject.get("kind") == "party" else None
        if public.get("method") != "paper" or party is None or party not in (public.get("joint") or []):
            add("problem", "application_not_party", seq=seq)
        elif not _scan_logged(public.get("scan"), logged):
            add("problem", "paper_scan_unlogged", seq=seq)
        else:
            add("ok", "application_signed_on_paper", seq=seq)


def _scan_logged(scan: Any, logged: dict[str, tuple[int, dict[str, Any]]]) -> bool:
    """A signature on paper (#25: the agreement's, the application's) names its scanned page: filed in the log, with the same hash."""
    if not isinstance(scan, dict):
        return False
    filed = logged.get(str(scan.get("document")))
    return filed is not None and filed[1].get("sha256") == scan.get("sha256")
