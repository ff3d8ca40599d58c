"""The case file as PDF (人民调解卷宗): cover and contents, the included PDFs page for page, images and records on pages of
their own, a damaged file as a page saying so, every page numbered, and what it has of PDF/A (embedded fonts, an output
intent, XMP metadata), without claiming it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from server.documents.case_file_pdf import CaseFileDoc, Cover, ImagePage, Piece, RecordPage, render_case_file
from server.documents.closing_pdf import ClosingReport, render_closing
from tests.pdf_text import pdf_pages

NUMBER = "（2026）朝调字第12号"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 500), (30, 140, 200, 255)).save(out, "PNG")
    return out.getvalue()


def doc(*pieces: Piece) -> CaseFileDoc:
    cover = Cover("朝阳区人民调解委员会", "张三与李四拖欠工资纠纷", NUMBER, [("当事人", "申请人张三；被申请人李四")])
    lines = ["本卷共 {pages} 页。"]
    return CaseFileDoc(
        cover, list(pieces), [("立卷人", "刘调解员")], lines, datetime(2026, 12, 5, 6, 0, tzinfo=UTC), f"{NUMBER} 卷宗"
    )


def test_the_file_binds_its_pieces_in_order_numbers_every_page_and_lists_absent_parts_as_none() -> None:
    report = render_closing(ClosingReport("朝阳区人民调解委员会", NUMBER, [("承办单位", "朝阳区人民调解委员会")], [], [], []))
    record = RecordPage(
        "人民调解受理登记表", [("卷号（案件编号）", NUMBER), ("登记人", "刘调解员")], source=["证据日志第1条记录"]
    )
    pieces = (
        Piece(1, "人民调解申请书或人民调解受理登记表", True, "人民调解受理登记表", "证据日志第1条记录", "a" * 64, page=record),
        Piece(4, "授权委托书", False, "授权委托书", "", None),
        Piece(6, "人民调解证据材料", False, "证据材料（上传文件）", "损坏.pdf", "b" * 64, pdf=b"%PDF-1.7 not really"),
        Piece(
            9,
            "收条或汇款单等履行凭证",
            False,
            "履行凭证",
            "转账截图.png",
            "c" * 64,
            page=ImagePage("履行凭证", png(), ["转账截图.png"]),
        ),
        Piece(12, "卷宗情况说明（人民调解结案报告表）", False, "人民调解结案报告表", "", "d" * 64, pdf=report),
    )
    rendered = render_case_file(doc(*pieces))
    text = pdf_pages(rendered.pdf)
    assert rendered.pages == len(text) == 7  # cover, contents, record, notice, image, report, back cover
    for number, page in enumerate(text, start=1):
        assert f"第{number}页/共7页" in page
    assert [(p.first_page, p.pages) for p in rendered.placed] == [(3, 1), (None, 0), (4, 1), (5, 1), (6, 1)]
    contents = text[1]
    assert "4授权委托书无—按需；本案无此项" in contents and f"SHA-256：{'a' * 64}" in contents and "3–3" in contents
    assert "此文件无法并入本卷" in text[3] and "b" * 64 in text[3]
    assert "转账截图.png" in text[4] and "人民调解结案报告表" in text[5] and "本卷共7页" in text[6]


def test_the_file_embeds_its_fonts_has_an_output_intent_and_metadata_and_does_not_claim_pdfa() -> None:
    record = RecordPage("人民调解回访记录", [("回访方式", "电话回访")])
    rendered = render_case_file(doc(Piece(10, "人民调解回访记录", False, "回访记录", "", "e" * 64, page=record)))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    root: Any = reader.trailer["/Root"]
    [intent] = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1" and intent.get_object()["/DestOutputProfile"].get_object()["/N"] == 3
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "调解卷宗 （2026）朝调字第12号" in xmp and "pdfaid" not in xmp
    assert reader.metadata is not None and reader.metadata.title == f"调解卷宗 {NUMBER}"
    outline: Any = reader.outline
    assert [o["/Title"] for o in outline] == ["卷宗封面", "卷内目录", "10 回访记录", "卷内备考表"]
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font: Any = ref.get_object()
            [descendant] = font["/DescendantFonts"] if "/DescendantFonts" in font else [font]
            descriptor: DictionaryObject = descendant.get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]  # embedded TrueType
            fonts.add(font["/BaseFont"])
    assert fonts
