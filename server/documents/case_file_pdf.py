"""The case file of a closed case (人民调解卷宗) as one archival PDF.

Its order is the Ministry of Justice's people's mediation file (司法部《关于印发人民调解文书格式和统计
报表的通知》, December 2010, which fixed the documents' formats and how the file is bound; its
卷内目录 lists, in this order: 1 人民调解申请书或人民调解受理登记表, 2 人民调解当事人权利义务告知书,
3 当事人身份证明, 4 授权委托书, 5 人民调解调查记录, 6 人民调解证据材料, 7 人民调解记录, 8 人民调解协议书,
9 收条或汇款单等履行凭证, 10 人民调解回访记录, 11 司法确认有关材料, 12 卷宗情况说明, 13 封底): a cover
(卷宗封面: committee, 卷名, 卷号, parties, dispute, mediator, dates, 立卷人, 立卷日期, 保管期限), the
contents (卷内目录), the parts, and the back cover (卷内备考表, GB/T 9705). Item 12 is here the
case-closing report (人民调解结案报告表, whose instructions say its 卷号 is the cover's and its date the
filing date), the file's own account of the case.

What this module does with the parts (server/domain/case_file/ decides what they are):

- a part that is a PDF of the case's documents is included as it is: its pages are copied in, and
  their annotations are dropped (a sealed PDF's signature field is invisible and its signature covers
  the original file's bytes, which the evidence bundle keeps; a copy cannot carry it);
- an image (a screenshot, a receipt) is placed on a page of its own with a caption;
- a part that exists only as a record is laid out as a form (server/documents/case_file_pages.py);
- a part the case does not have is a line of the contents saying 无, with no page.

Every page then gets its number in the top right corner, the place archives write a page number
(页号): "第 n 页 / 共 N 页", n being the page the PDF reader shows, so that the contents' page numbers
are the reader's. On paper GB/T 9705 leaves the cover, the contents and the back cover unnumbered;
a PDF has no unnumbered page, so they are counted too.

PDF/A, what it is and is not. The file follows PDF/A-2B where these tools allow: every font is
embedded (the one TrueType CJK font, subset by reportlab), it has an sRGB output intent, XMP
metadata agreeing with the document information, a file identifier, no encryption, no JavaScript,
no external references, and the included pages' annotations are removed. It does **not** declare
itself PDF/A (no ``pdfaid`` in its XMP), because nothing here validates it (no veraPDF): reportlab's
and pypdf's output is not certified, an image with an alpha channel is drawn with a soft mask
(transparency, which PDF/A-1 forbids), and the included PDFs are copied as they are, with whatever
fonts and features they have: a party's upload may have anything, and the platform's own documents
(agreement, record, report, ruling) reference reportlab's unembedded Helvetica in their tables. The
pages this file makes itself reference only the embedded font.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import ImageCms
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from reportlab.lib.utils import ImageReader

from .case_file_pages import (
    BodyPage,
    ContentsRow,
    Cover,
    ImagePage,
    NoticePage,
    RecordPage,
    render_back,
    render_body,
    render_front,
    render_stamps,
)
from .fonts import register_cjk_font
from .layout import make_styles

log = logging.getLogger(__name__)

__all__ = ["CaseFileDoc", "Cover", "ImagePage", "NoticePage", "Piece", "Placed", "RecordPage", "Rendered", "render_case_file"]


@dataclass(frozen=True)
class Piece:
    """One document of the file under a part of the official list, or the part's absence (no pages)."""

    number: int  # the part's number in the official list (1–12)
    part: str  # the part's title in the list
    required: bool  # 必须 in the list (else 按需)
    title: str
    detail: str  # beneath the title: the file's name, whose it is, which record
    sha256: str | None
    pdf: bytes | None = None
    page: BodyPage | None = None

    @property
    def present(self) -> bool:
        return self.pdf is not None or self.page is not None


@dataclass(frozen=True)
class CaseFileDoc:
    cover: Cover
    pieces: list[Piece]
    #: The back cover's rows (立卷人, 检查人, 立卷时间) and its account of the file (本卷情况说明).
    back_rows: list[tuple[str, str]]
    back_lines: list[str]
    made_at: datetime
    #: Printed beside each page's number (the case number).
    label: str


@dataclass(frozen=True)
class Placed:
    first_page: int | None
    pages: int


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    placed: list[Placed]  # one per piece, in order
    pages: int


def _pages_of(data: bytes) -> int | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return None
        return len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return None


def _bindable(data: bytes) -> bool:
    """Whether the PDF's pages can be copied into another PDF: a damaged or odd upload must never stop a closing."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or not reader.pages:
            return False
        trial = PdfWriter()
        for page in reader.pages:
            trial.add_page(page)
        trial.write(io.BytesIO())
        return all(float(p.mediabox.width) > 0 and float(p.mediabox.height) > 0 for p in trial.pages)
    except Exception:  # noqa: BLE001 - whatever pypdf raises on a file it cannot copy, the file goes in as a notice
        return False


def _drawable(data: bytes) -> bool:
    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
        return bool(width > 0 and height > 0)
    except Exception:  # noqa: BLE001 - any image the library cannot draw becomes a notice, never a failed closing
        return False


def _readable(piece: Piece) -> Piece:
    """A PDF or image that cannot be bound goes in as a page saying so, pointing at the original in the bundle."""
    if piece.pdf is not None and not _bindable(piece.pdf):
        why = "此文件无法并入本卷（文件无法读取、已加密或结构有误）。"
    elif isinstance(piece.page, ImagePage) and not _drawable(piece.page.data):
        why = "此图片无法并入本卷（无法读取）。"
    else:
        return piece
    lines = [why + "原件保存在案件证据包中，可凭下列 SHA-256 核对：", piece.sha256 or ""]
    return Piece(piece.number, piece.part, piece.required, piece.title, piece.detail, piece.sha256,
                 page=NoticePage(piece.title, lines))  # fmt: skip


def _contents(pieces: list[Piece], placed: list[Placed]) -> list[ContentsRow]:
    rows: list[ContentsRow] = []
    seen: set[int] = set()
    for piece, where in zip(pieces, placed, strict=True):
        if piece.number not in seen:
            seen.add(piece.number)
            mine = [w for p, w in zip(pieces, placed, strict=True) if p.number == piece.number and w.first_page is not None]
            pages = f"{mine[0].first_page}–{mine[-1].first_page + mine[-1].pages - 1}" if mine else "无"  # type: ignore[operator]
            count = str(sum(w.pages for w in mine)) if mine else "—"
            note = ("必须" if piece.required else "按需") + ("" if mine else "；本案无此项")
            rows.append(ContentsRow(str(piece.number), piece.part, pages, count, note, heading=True))
        if where.first_page is not None:
            span = f"{where.first_page}–{where.first_page + where.pages - 1}"
            rows.append(ContentsRow("", f"{piece.title}（{piece.detail}）" if piece.detail else piece.title, span,
                                    str(where.pages), "", sha256=piece.sha256))  # fmt: skip
    return rows


def _output_intent() -> DictionaryObject:
    profile = DecodedStreamObject()
    profile.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[NameObject("/N")] = NumberObject(3)
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): profile,
        }
    )


def _xmp(title: str, author: str, subject: str, made: str) -> bytes:
    t, a, s = escape(title), escape(author), escape(subject)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{a}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{s}</rdf:li></rdf:Alt></dc:description>
<xmp:CreatorTool>mediate</xmp:CreatorTool><xmp:CreateDate>{made}</xmp:CreateDate><xmp:ModifyDate>{made}</xmp:ModifyDate>
<pdf:Producer>mediate</pdf:Producer>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _assemble(segments: list[list[PageObject]], doc: CaseFileDoc, font: str, outline: list[tuple[str, int]]) -> bytes:
    writer = PdfWriter()
    for pages in segments:
        for page in pages:
            added = writer.add_page(page)
            if "/Annots" in added:
                del added[NameObject("/Annots")]
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in writer.pages]
    stamps = PdfReader(io.BytesIO(render_stamps(sizes, font, doc.label))).pages
    for number, (page, stamp) in enumerate(zip(writer.pages, stamps, strict=True), start=1):
        try:
            page.merge_page(stamp)
        except Exception:  # a page pypdf cannot draw onto keeps its own content, unnumbered, rather than fail the closing
            log.warning("page %d of the case file %s could not be numbered", number, doc.label, exc_info=True)
    for title, index in outline:
        writer.add_outline_item(title=title, page_number=index)
    cover = doc.cover
    title, subject = f"调解卷宗 {cover.case_number}", cover.title
    local = doc.made_at.astimezone()
    offset = local.strftime("%z")
    writer.add_metadata({
        "/Title": title, "/Author": cover.organisation, "/Subject": subject, "/Creator": "mediate", "/Producer": "mediate",
        "/CreationDate": local.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'",
    })  # fmt: skip
    writer.xmp_metadata = _xmp(title, cover.organisation, subject, local.isoformat(timespec="seconds"))
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(_output_intent())])
    writer.root_object[NameObject("/Lang")] = TextStringObject("zh-CN")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_case_file(doc: CaseFileDoc, font_path: Path | None = None) -> Rendered:
    """Lay out the file's own pages, copy in the parts' PDFs, number every page and bind it all in one PDF."""
    font = register_cjk_font(font_path)
    styles = make_styles(font)
    pieces = [_readable(p) for p in doc.pieces]
    drawn = [p.page for p in pieces if p.page is not None]
    body, starts, body_pages = b"", list[int](), 0
    if drawn:
        header = f"{doc.cover.organisation}　{doc.cover.case_number}"
        body, starts = render_body(drawn, styles, header=header, author=doc.cover.organisation)
        body_pages = _pages_of(body) or 0
    # Each present piece's pages, in order: a slice of the body, or the whole of its own PDF.
    lengths: list[int] = []
    drawn_at = iter(range(len(drawn)))
    for piece in pieces:
        if piece.page is not None:
            i = next(drawn_at)
            end = starts[i + 1] if i + 1 < len(starts) else body_pages + 1
            lengths.append(end - starts[i])
        elif piece.pdf is not None:
            lengths.append(_pages_of(piece.pdf) or 0)
        else:
            lengths.append(0)
    front_pages, placed = 2, list[Placed]()
    for _ in range(4):  # the contents' length and its page numbers depend on each other; they settle at once
        at, placed = front_pages + 1, []
        for piece, n in zip(pieces, lengths, strict=True):
            placed.append(Placed(at if piece.present else None, n))
            at += n
        front = render_front(doc.cover, _contents(pieces, placed), styles)
        counted = _pages_of(front) or 0
        if counted == front_pages:
            break
        front_pages = counted
    back_pages, lines, back = 1, list(doc.back_lines), b""
    for _ in range(3):  # the back cover says how many pages there are, itself included
        total = front_pages + sum(lengths) + back_pages
        lines = [line.replace("{pages}", str(total)) for line in doc.back_lines]
        back = render_back(doc.back_rows, lines, styles, title=f"卷号：{doc.cover.case_number}", author=doc.cover.organisation)
        counted = _pages_of(back) or 0
        if counted == back_pages:
            break
        back_pages = counted
    # The pages in order: the body's are split back into their pieces, between the included PDFs.
    segments: list[list[PageObject]] = [list(PdfReader(io.BytesIO(front)).pages)]
    outline = [("卷宗封面", 0), ("卷内目录", 1)]
    body_pages_list = list(PdfReader(io.BytesIO(body)).pages) if drawn else []
    drawn_at = iter(range(len(drawn)))
    for piece, where in zip(pieces, placed, strict=True):
        if where.first_page is None:
            continue
        outline.append((f"{piece.number} {piece.title}", where.first_page - 1))
        if piece.pdf is not None:
            segments.append(list(PdfReader(io.BytesIO(piece.pdf)).pages))
        else:
            first = starts[next(drawn_at)] - 1
            segments.append(body_pages_list[first : first + where.pages])
    segments.append(list(PdfReader(io.BytesIO(back)).pages))
    outline.append(("卷内备考表", total - back_pages))
    return Rendered(_assemble(segments, doc, font, outline), placed, total)
