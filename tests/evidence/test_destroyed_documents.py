"""A case file destroyed after its retention (#22), as the offline verifier reads it.

On top of the standard case (tests/evidence/builders.py, 8 records before the export): 9 and 10 file two
documents, 11 is a ``case_file_destroyed`` record. A document it names with the hash it was filed with
is absent from the bundle, and said to be destroyed, not missing; a destruction that names a document
the log never filed, or a filed one under another hash, is a problem, and so is a document filed after
the record that claims to have destroyed it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from server.evidence.records import sha256_hex
from server.evidence.verify import Report, render, verify_bundle
from tests.evidence.builders import Case, People, build

PLATFORM = {"kind": "platform", "id": "platform"}
RECEIPT, PAYSLIP = b"%PDF-1.4 receipt", b"%PDF-1.4 payslip"


def filed(case: Case, doc_id: str, data: bytes) -> None:
    public = {
        "document": doc_id,
        "kind": "upload",
        "sha256": sha256_hex(data),
        "bytes": len(data),
        "content_type": "application/pdf",
    }
    case.add("document_added", PLATFORM, {"name": f"{doc_id}.pdf", "uploaded_by": "刘调解员", "visible_to": None}, public)


def destroyed(case: Case, *documents: dict[str, Any]) -> None:
    public = {"reason": "retention", "by": "retention_loop", "retention_years": 30, "retained_until": "2056-03-01",
              "documents": list(documents)}  # fmt: skip
    case.add("case_file_destroyed", PLATFORM, {"case_number": "（2026）朝调字第12号", "documents": []}, public)


def problems(report: Report) -> list[tuple[str, int | None, Any]]:
    return [(f.code, f.seq, f.params.get("document")) for f in report.problems]


def test_a_destroyed_document_is_explained_not_missing(tmp_path: Path) -> None:
    receipt, payslip = str(uuid.uuid4()), str(uuid.uuid4())

    def archived(case: Case, _: People) -> None:
        filed(case, receipt, RECEIPT)
        filed(case, payslip, PAYSLIP)
        destroyed(case, {"document": receipt, "kind": "upload", "sha256": sha256_hex(RECEIPT), "bytes": len(RECEIPT)})

    # The payslip was not destroyed: it is in the bundle; the receipt is not, and the log says why.
    built = build(tmp_path, before_export=archived, extra_files={f"documents/{payslip}.pdf": PAYSLIP})
    report = verify_bundle(built.path)
    assert report.ok, render(report, "en")
    [note] = [f for f in report.warnings if f.code == "document_destroyed"]
    assert (note.seq, note.params) == (11, {"document": receipt, "added": 9})
    assert report.has("document_intact", file=f"documents/{payslip}.pdf")
    zh = render(report, "zh")
    assert f"文件 {receipt}（第 9 条记录入卷）已在卷宗保管期满后销毁（第 11 条记录）" in zh and "卷宗保管期满销毁" in zh


def test_a_destruction_that_does_not_match_the_log_is_a_problem_and_the_document_is_missing(tmp_path: Path) -> None:
    receipt, payslip, unknown, late = (str(uuid.uuid4()) for _ in range(4))

    def forged(case: Case, _: People) -> None:
        filed(case, receipt, RECEIPT)
        filed(case, payslip, PAYSLIP)
        destroyed(
            case,
            {"document": receipt, "kind": "upload", "sha256": sha256_hex(b"something else"), "bytes": 14},
            {"document": unknown, "kind": "upload", "sha256": sha256_hex(RECEIPT), "bytes": len(RECEIPT)},
            {"document": late, "kind": "upload", "sha256": sha256_hex(PAYSLIP), "bytes": len(PAYSLIP)},
        )
        filed(case, late, PAYSLIP)  # filed after the record that says it was destroyed

    report = verify_bundle(build(tmp_path, before_export=forged, extra_files={f"documents/{payslip}.pdf": PAYSLIP}).path)
    assert sorted(problems(report), key=str) == sorted(
        [
            ("destroyed_unlogged", 11, receipt),
            ("destroyed_unlogged", 11, unknown),
            ("destroyed_unlogged", 11, late),
            ("document_missing", 9, receipt),
            ("document_missing", 12, late),
        ],
        key=str,
    )
    assert not report.has("document_destroyed")
    assert "第 11 条卷宗销毁记录列出的文件" in render(report, "zh")
