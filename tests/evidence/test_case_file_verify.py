"""The offline verifier and a bundle's case file (人民调解卷宗): every part `case_file_made` lists must be what the log holds,
and the case file's PDF must be the one logged; each mismatch is named in Chinese and English.

The standard case (tests/evidence/builders.py): 1 case_registered, 2-4 key_bound, 5-6 identity_checked, 7-8 consent;
then here 9 a document (an upload), 10 the case file's PDF (document_added), 11 case_file_made, 12 the export.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from server.evidence.verify import Report, render, verify_bundle
from server.evidence.verify.sentences import sentence
from tests.evidence.builders import Built, Case, People, build, rezip

PDF = b"%PDF-1.7\n% the case file\n"
UPLOAD = b"\x89PNG\r\n\x1a\n a transfer screenshot"


def problems(report: Report) -> list[tuple[str, int | None, Any]]:
    return [(f.code, f.seq, f.params.get("why")) for f in report.problems]


def with_case_file(tmp_path: Path, change: Any = None) -> tuple[Built, dict[str, str]]:
    """A case whose file lists the applicant's identity check (a record), an upload (a document) and an absent part."""
    ids = {"upload": str(uuid.uuid4()), "pdf": str(uuid.uuid4())}

    def made(case: Case, people: People) -> None:
        staff = people.mediator.holder
        for key, data, kind in (("upload", UPLOAD, "upload"), ("pdf", PDF, "case_file")):
            public = {"document": ids[key], "kind": kind, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                      "content_type": "application/pdf" if kind == "case_file" else "image/png"}  # fmt: skip
            case.add("document_added", staff, {"name": f"{key}.bin", "uploaded_by": "王芳"}, public)
        identity = case.records[4]
        assert identity.claim.type == "identity_checked"
        parts: list[dict[str, Any]] = [
            {"order": 1, "part": 3, "title": "身份核验记录（申请人）", "detail": "张三", "source": {"seq": 5},
             "sha256": identity.claim.body_hash, "first_page": 3, "pages": 1},
            {"order": 2, "part": 4, "title": "授权委托书", "detail": "", "source": None, "sha256": None, "first_page": None,
             "pages": 0},
            {"order": 3, "part": 6, "title": "证据材料（上传文件）", "detail": "upload.bin", "source": {"document": ids["upload"]},
             "sha256": hashlib.sha256(UPLOAD).hexdigest(), "first_page": 4, "pages": 1},
        ]  # fmt: skip
        public = {"document": ids["pdf"], "sha256": hashlib.sha256(PDF).hexdigest(), "pages": 5, "parts": 2, "absent": [4]}
        if change is not None:
            change(parts, public)
        case.add("case_file_made", staff, {"made_by": "王芳", "case_number": "(2026)京0101民调123号", "parts": parts}, public)

    built = build(tmp_path, before_export=made, extra_files={f"documents/{ids['upload']}.png": UPLOAD,
                                                            f"documents/{ids['pdf']}.pdf": PDF})  # fmt: skip
    return built, ids


def test_a_case_file_whose_parts_and_pdf_match_the_log_verifies_and_the_report_says_so(tmp_path: Path) -> None:
    built, _ = with_case_file(tmp_path)
    report = verify_bundle(built.path)
    assert report.ok, render(report, "en")
    [intact] = [f for f in report.findings if f.code == "case_file_intact"]
    assert intact.seq == 11 and intact.params == {"parts": 2, "pages": 5}
    assert "卷宗（第 11 条制作卷宗记录）所列 2 件文书的哈希均与证据日志一致" in render(report, "zh")
    assert "The case file (record 11): the hashes of its 2 documents all match the evidence log" in render(report, "en")


def test_a_part_whose_hash_is_not_the_logged_records_is_named(tmp_path: Path) -> None:
    """The platform's record says the identity check's page is the hash of another record (the respondent's check)."""

    def moved(parts: list[dict[str, Any]], public: dict[str, Any]) -> None:
        parts[0]["sha256"] = "0" * 64

    report = verify_bundle(with_case_file(tmp_path, moved)[0].path)
    assert problems(report) == [("case_file_part_mismatch", 11, "record")]
    [finding] = report.problems
    assert sentence(finding, "zh") == (
        "第 11 条制作卷宗记录所列第 1 件文书（身份核验记录（申请人））据称来自第 5 条记录，但本案此前没有这条记录，"
        "或其内容哈希与卷宗所载不符：卷宗与日志不一致。"
    )
    assert sentence(finding, "en").startswith("Case file record 11 lists document 1 (身份核验记录（申请人）) as record 5")
    assert not report.has("case_file_intact")


def test_a_part_naming_a_later_record_or_an_unlogged_document_is_named(tmp_path: Path) -> None:
    def later(parts: list[dict[str, Any]], public: dict[str, Any]) -> None:
        parts[0]["source"] = {"seq": 11}  # itself: no record lists what comes after it
        parts[2]["source"] = {"document": str(uuid.uuid4())}

    report = verify_bundle(with_case_file(tmp_path, later)[0].path)
    assert problems(report) == [("case_file_part_mismatch", 11, "record"), ("case_file_part_mismatch", 11, "document")]
    assert "据称是文件" in render(report, "zh") and "was not logged before it or its logged hash differs" in render(report, "en")


def test_a_count_that_is_not_the_lists_and_a_pdf_that_is_not_the_logged_one_are_named(tmp_path: Path) -> None:
    def miscounted(parts: list[dict[str, Any]], public: dict[str, Any]) -> None:
        public["parts"] = 3
        public["sha256"] = "1" * 64  # not the hash document_added logged for the PDF

    report = verify_bundle(with_case_file(tmp_path, miscounted)[0].path)
    assert problems(report) == [("case_file_pdf_mismatch", 11, "unlogged"), ("case_file_part_mismatch", 11, "count")]
    said = render(report, "zh")
    assert "没有在此前以相同哈希登记入卷" in said and "称卷宗收入 3 件文书，其详细内容却列出 2 件" in said


def test_a_case_file_pdf_changed_in_the_bundle_is_named_even_with_the_manifest_rewritten(tmp_path: Path) -> None:
    built, ids = with_case_file(tmp_path)
    name = f"documents/{ids['pdf']}.pdf"
    forged = rezip(built.path, tmp_path / "forged.zip", replace={name: PDF + b"% one more page\n"}, relist=True)
    report = verify_bundle(forged)
    assert ("document_altered", 10, None) in problems(report)
    assert ("case_file_pdf_mismatch", 11, "altered") in problems(report)
    assert f"卷宗 PDF {name} 与第 11 条制作卷宗记录登记的哈希不一致：卷宗已被改动。" in render(report, "zh")
    assert f"The case file PDF {name} differs from the hash logged in case file record 11" in render(report, "en")
    missing = verify_bundle(rezip(built.path, tmp_path / "missing.zip", remove=[name], relist=True))
    assert ("case_file_pdf_mismatch", 11, "missing") in problems(missing)
