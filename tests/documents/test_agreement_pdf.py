from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from server.documents.agreement_pdf import (
    AgreementDoc,
    CertificateLine,
    SignedDoc,
    SignerLine,
    render_agreement,
    render_signed,
)
from server.documents.fonts import FontMissing, cjk_font_path
from server.evidence.vocabulary import signature_words

from .samples import AGREEMENT_TEXT, CASE_NUMBER, TITLE, handwriting_png, make_doc

VERIFY_URL = "https://tiaojie.example.cn/v/7KQ2-M9XD"


@pytest.fixture
def doc() -> AgreementDoc:
    return make_doc()


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Text without line breaks and spaces, for values (hashes, URLs) that may wrap anywhere."""
    return re.sub(r"\s+", "", text)


def test_agreement_shows_the_text_case_number_and_page_number(doc: AgreementDoc) -> None:
    pages = pages_text(render_agreement(doc))
    first = pages[0]
    for phrase in (
        "退还押金人民币伍仟元整（¥5,000）",
        "交还房屋钥匙两把",
        "申请人：张三",
        "本协议自各方签署之日起生效",
        "朝阳区人民调解委员会",
    ):
        assert phrase in squeezed(first), phrase
    assert CASE_NUMBER in first
    assert "第 1 页" in first
    assert f"第 2 版 · 文本 SHA-256 {doc.text_sha256[:16]}…" in first
    # The text's first line repeats the title; the document shows it once, as the heading.
    assert first.count(TITLE) == 1


def test_rendering_is_byte_for_byte_repeatable(doc: AgreementDoc) -> None:
    assert render_agreement(doc) == render_agreement(doc)


def test_another_process_renders_the_same_bytes(doc: AgreementDoc) -> None:
    # The server may restart between showing the PDF and the parties signing its hash.
    script = (
        "import hashlib, sys; from tests.documents.samples import make_doc; "
        "from server.documents.agreement_pdf import render_agreement; "
        "sys.stdout.write(hashlib.sha256(render_agreement(make_doc())).hexdigest())"
    )
    root = Path(__file__).resolve().parents[2]
    other = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True).stdout
    assert other == hashlib.sha256(render_agreement(doc)).hexdigest()


def test_a_long_agreement_runs_over_several_pages_and_counts_them() -> None:
    lines = [TITLE, ""] + [f"第{i}条 双方确认本条内容已经充分协商，各自理解并同意履行，不再提出异议。" for i in range(1, 201)]
    pages = pages_text(render_agreement(make_doc("\n".join(lines))))
    total = len(pages)
    assert total >= 4
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {total} 页" in text
    everything = squeezed("".join(pages))
    assert "第1条双方确认" in everything and "第200条双方确认" in everything


def test_chinese_without_spaces_wraps_within_the_page() -> None:
    paragraph = "甲方同意分期支付赔偿款项" * 30  # 360 characters, no space to break at
    text = pages_text(render_agreement(make_doc(f"{TITLE}\n\n{paragraph}")))[0]
    lines = [line.strip() for line in text.splitlines() if line.strip() and set(line.strip()) <= set(paragraph)]
    assert len(lines) >= 7
    assert max(len(line) for line in lines) <= 45  # about 40 characters fit across A4 at 12 pt
    assert "".join(lines) == paragraph


def test_a_missing_font_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match=r"fonts-wqy-microhei.*MEDIATE_PDF_FONT"):
        cjk_font_path(tmp_path / "nope.ttc")
    assert cjk_font_path().suffix in {".ttc", ".ttf"}


def signed_doc(agreement: AgreementDoc, agreement_pdf: bytes, *, png: bytes | None = None) -> SignedDoc:
    return SignedDoc(
        agreement=agreement,
        agreement_pdf_sha256=hashlib.sha256(agreement_pdf).hexdigest(),
        signers=[
            SignerLine(
                "张三",
                "申请人",
                "2026-12-03 16:20",
                signature_words("sms_otp+device_key", "sms_otp"),
                1201,
                14,
                "k-3f9a2c7e1b",
                png or handwriting_png(),
            ),
            SignerLine(
                "李四", "被申请人", "2026-12-03 16:25", signature_words("device_key", "video_witnessed"), None, 15, "k-88d01e"
            ),
            SignerLine("王调解", "调解员", "2026-12-03 16:30", signature_words("staff_key", "staff_login"), 1203, 16, "k-77aa"),
        ],
        certificate=[
            CertificateLine(
                f"2026-12-0{1 + i // 10} 1{i % 10}:00",
                ("立案", "预约调解", "视频调解开始", "协议草稿第2版", "签署")[i % 5],
                ("调解员 王调解", "申请人 张三", "被申请人 李四")[i % 3],
                i + 1,
                1180 + i if i != 7 else None,
                hashlib.sha256(f"record {i}".encode()).hexdigest(),
            )
            for i in range(24)
        ],
        verify_url=VERIFY_URL,
        verify_code="7KQ2-M9XD",
        log_origin="tiaojie.example.cn/evidence-log",
        checkpoint="size 1234, root ab12cd34…",
        seal_organisation="朝阳区人民调解委员会",
    )


@pytest.fixture
def signed(doc: AgreementDoc) -> tuple[SignedDoc, bytes, int]:
    agreement_pdf = render_agreement(doc)
    sd = signed_doc(doc, agreement_pdf)
    return sd, render_signed(sd), len(PdfReader(io.BytesIO(agreement_pdf)).pages)


def test_signed_document_has_agreement_signature_page_and_certificate(signed: tuple[SignedDoc, bytes, int]) -> None:
    sd, pdf, agreement_pages = signed
    pages = pages_text(pdf)
    assert len(pages) >= agreement_pages + 2
    assert "退还押金人民币伍仟元整" in squeezed(pages[0])

    signature = next(t for t in pages if "签署页" in t)
    flat = squeezed(signature)
    for name in ("张三", "李四", "王调解"):
        assert name in flat
    assert "设备密钥（签署时未发送验证码）密钥经调解员视频核验绑定" in flat
    assert "#1201" in flat and "待记入" in flat  # 李四's record is not in the log yet
    assert sd.agreement.text_sha256 in flat
    assert sd.agreement_pdf_sha256 in flat
    assert "7KQ2-M9XD" in flat
    assert squeezed(f"扫码或访问 {VERIFY_URL} 核验本协议") in flat
    assert "朝阳区人民调解委员会加盖电子印章" in flat

    certificate = squeezed("".join(pages[pages.index(signature) + 1 :]))
    assert "电子证据证书/Certificateofevidence" in certificate
    for line in sd.certificate:
        assert line.record_hash[:16] in certificate
        assert line.record_hash[16:32] not in certificate  # only the first 16 hex are shown
    assert "tiaojie.example.cn/evidence-log" in certificate
    assert "size1234,rootab12cd34" in certificate
    assert "mediateverify" in certificate and "append-onlyevidencelog" in certificate
    total = len(pages)
    assert f"第 {total} 页 共 {total} 页" in pages[-1]


def test_signed_document_is_repeatable(signed: tuple[SignedDoc, bytes, int]) -> None:
    sd, pdf, _ = signed
    assert render_signed(sd) == pdf


def _signature_page_index(pdf: bytes) -> int:
    return next(i for i, t in enumerate(pages_text(pdf)) if "签署页" in t)


def test_signature_page_draws_a_qr_code(signed: tuple[SignedDoc, bytes, int]) -> None:
    _, pdf, _ = signed
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[_signature_page_index(pdf)]
    content = ContentStream(page.get_contents(), reader)
    heights = [round(float(ops[3]), 2) for ops, op in content.operations if op == b"re"]
    module = max(set(heights), key=heights.count)  # the QR code's modules all share one height
    assert 0.5 < module < 3 and heights.count(module) >= 60


def test_qr_code_scans_to_the_verify_url(signed: tuple[SignedDoc, bytes, int], tmp_path: Path) -> None:
    _, pdf, _ = signed
    page = _signature_page_index(pdf) + 1
    (tmp_path / "signed.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", "signed.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    scanned = subprocess.run(["zbarimg", "-q", "--raw", "page.png"], check=False, cwd=tmp_path, capture_output=True, text=True)
    assert scanned.stdout.strip() == VERIFY_URL


def test_handwriting_appears_as_an_image_on_the_signature_page(signed: tuple[SignedDoc, bytes, int]) -> None:
    _, pdf, agreement_pages = signed
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[_signature_page_index(pdf)]
    images = list(page.images)
    assert len(images) == 1  # only 张三 drew a signature
    assert images[0].image is not None and images[0].image.size == (400, 150)
    assert all(not list(p.images) for p in reader.pages[:agreement_pages])


def test_an_unreadable_drawing_is_noted_not_fatal(doc: AgreementDoc) -> None:
    pdf = render_signed(signed_doc(doc, render_agreement(doc), png=b"\x89PNG\r\n\x1a\n not really"))
    assert "手写签名图像无法读取" in squeezed(pages_text(pdf)[_signature_page_index(pdf)])


def test_agreement_pages_in_the_signed_document_match_the_signed_pdf(signed: tuple[SignedDoc, bytes, int]) -> None:
    sd, pdf, agreement_pages = signed
    original = pages_text(render_agreement(sd.agreement))
    final = pages_text(pdf)
    for before, after in zip(original, final[:agreement_pages], strict=True):
        # Same layout; only the total in the footer grows.
        assert re.sub(r"共 \d+ 页", "", before) == re.sub(r"共 \d+ 页", "", after)
    assert AGREEMENT_TEXT.splitlines()[2] in final[0]
