"""The pages the case file (人民调解卷宗) makes itself, laid out with reportlab.

The cover (卷宗封面), the table of contents (卷内目录), a page for each part that exists only as a
record of the evidence log, a page for each image (a transfer screenshot is placed on a page, with
what it is beneath it), and the back cover (备考表). The parts that exist as PDFs are not laid out
here: their own pages go into the case file unchanged (server/documents/case_file_pdf.py), which
then stamps every page with its number.

Every page is A4 with the layout of the other documents (server/documents/layout.py), in the one
embedded CJK font; ``invariant=1``, so that the same input gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

from .layout import FRAME_WIDTH, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_HEIGHT, Styles, para

#: The tallest an image may be drawn, leaving room for its title above and its caption below.
IMAGE_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 70 * mm
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)


@dataclass(frozen=True)
class RecordPage:
    """A part that exists only as a record: its form's title, its rows, a long text, and where it came from."""

    title: str
    rows: list[tuple[str, str]]
    #: A long text printed whole after the rows (a mediation record's text), line for line.
    text: str = ""
    #: Lines under the form saying which record of the log it is, when and by whom it was signed, and its hash.
    source: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImagePage:
    """An image of the case's documents (a screenshot, a receipt) placed on its own page."""

    title: str
    data: bytes
    caption: list[str]


@dataclass(frozen=True)
class NoticePage:
    """A page standing for a file that cannot be put into the case file as it is (say, a damaged PDF)."""

    title: str
    lines: list[str]


BodyPage = RecordPage | ImagePage | NoticePage


@dataclass(frozen=True)
class Cover:
    """The cover (卷宗封面) of the Ministry of Justice's people's mediation file."""

    organisation: str
    title: str  # 卷名
    case_number: str  # 卷号
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class ContentsRow:
    """One line of the contents: a part of the official list, or one piece of it with its hash and pages."""

    number: str  # the part's number in the official list, on the part's line only
    title: str
    pages: str  # "3–5", "无" for a part the case does not have
    count: str  # how many pages
    note: str
    sha256: str | None = None
    heading: bool = False


def _table(rows: list[list[Any]], widths: Sequence[float], font: str, extra: list[Any] | None = None) -> Table:
    """A grid; its cells' font is the embedded one (reportlab sets a cell's font before drawing it, Helvetica by default,
    which a PDF would then reference without embedding it)."""
    table = Table(rows, colWidths=list(widths), repeatRows=0)
    table.setStyle(GRID)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), *(extra or [])]))
    return table


def _form(rows: list[tuple[str, str]], styles: Styles) -> Table:
    cell = styles.body.clone("cf_cell", fontSize=10.5, leading=15, spaceAfter=0)
    head = styles.cell_head.clone("cf_head", fontSize=10.5, leading=15)
    body = [[para(label, head), para(value or "—", cell)] for label, value in rows]
    return _table(
        body, [34 * mm, FRAME_WIDTH - 34 * mm], styles.font, [("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2"))]
    )


class _Mark(Flowable):  # type: ignore[misc]  # reportlab ships no type hints
    """Notes the page it lands on: where a part starts in a document of several parts."""

    def __init__(self, key: int, seen: dict[int, int]) -> None:
        super().__init__()
        self.key, self.seen = key, seen

    def wrap(self, *_: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.seen[self.key] = self.canv.getPageNumber()


def _build(flowables: list[Flowable], font: str, title: str, author: str) -> bytes:
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        title=title, author=author, creator="mediate", invariant=1, initialFontName=font,
    )  # fmt: skip
    template.build(flowables)
    return out.getvalue()


def _record(page: RecordPage, styles: Styles, head: list[Flowable]) -> list[Flowable]:
    out: list[Flowable] = [*head, para(page.title, styles.heading), _form(page.rows, styles)]
    if page.text:
        out.append(Spacer(1, 4 * mm))
        out += [para(line, styles.body) if line.strip() else Spacer(1, 2 * mm) for line in page.text.rstrip("\n").split("\n")]
    if page.source:
        out += [Spacer(1, 5 * mm), *(para(line, styles.small) for line in page.source)]
    return out


def _image(page: ImagePage, styles: Styles, head: list[Flowable]) -> list[Flowable]:
    reader = ImageReader(io.BytesIO(page.data))
    width, height = reader.getSize()
    scale = min(FRAME_WIDTH / width, IMAGE_HEIGHT / height, 2.0)  # a small screenshot grows a little, never past the frame
    picture = Image(io.BytesIO(page.data), width=width * scale, height=height * scale)
    return [
        *head,
        para(page.title, styles.heading),
        picture,
        Spacer(1, 4 * mm),
        *(para(line, styles.small) for line in page.caption),
    ]


def render_body(pages: Sequence[BodyPage], styles: Styles, *, header: str, author: str) -> tuple[bytes, list[int]]:
    """The body pages the case file makes, one part after another, each from a new page.

    Returns the PDF and the (1-based) page each part starts on in it.
    """
    seen: dict[int, int] = {}
    flowables: list[Flowable] = []
    head = para(header, styles.subtitle)
    for i, page in enumerate(pages):
        if i:
            flowables.append(PageBreak())
        flowables.append(_Mark(i, seen))
        if isinstance(page, RecordPage):
            flowables += _record(page, styles, [head, Spacer(1, 2 * mm)])
        elif isinstance(page, ImagePage):
            flowables += _image(page, styles, [head, Spacer(1, 2 * mm)])
        else:
            flowables += [head, Spacer(1, 2 * mm), para(page.title, styles.heading), *(para(x, styles.body) for x in page.lines)]
    data = _build(flowables, styles.font, header, author)
    return data, [seen[i] for i in range(len(pages))]


def render_front(cover: Cover, contents: Sequence[ContentsRow], styles: Styles) -> bytes:
    """The cover, then the contents (卷内目录): each part with its pages, each piece with its SHA-256."""
    big = styles.title.clone("cf_big", fontSize=30, leading=40, spaceBefore=30 * mm, spaceAfter=18 * mm)
    flowables: list[Flowable] = [
        para(cover.organisation, styles.heading.clone("cf_org", fontSize=18, leading=26, spaceBefore=20 * mm)),
        para("调 解 卷 宗", big),
        _form([("卷名", cover.title), ("卷号", cover.case_number), *cover.rows], styles),
        PageBreak(),
        para("卷 内 目 录", styles.title),
        para(f"卷号：{cover.case_number}", styles.subtitle),
        Spacer(1, 4 * mm),
    ]
    cell = styles.cell.clone("cf_toc", fontSize=9.5, leading=13)
    bold = styles.cell.clone("cf_toc_head", fontSize=10.5, leading=14)
    small = styles.cell.clone("cf_hash", fontSize=7.5, leading=10, textColor="#333333")
    rows: list[list[Any]] = [[para(x, bold) for x in ("序号", "文书名称", "页号", "页数", "备注")]]
    extra: list[Any] = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6"))]
    for row in contents:
        style = bold if row.heading else cell
        rows.append([para(row.number, style), para(row.title, style), para(row.pages, style), para(row.count, style),
                     para(row.note, cell)])  # fmt: skip
        if row.heading:
            extra.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#f5f5f5")))
        if row.sha256:
            rows.append(["", para(f"SHA-256：{row.sha256}", small), "", "", ""])
            extra.append(("SPAN", (1, len(rows) - 1), (-1, len(rows) - 1)))
    widths = [12 * mm, FRAME_WIDTH - 12 * mm - 22 * mm - 12 * mm - 34 * mm, 22 * mm, 12 * mm, 34 * mm]
    flowables.append(_table(rows, widths, styles.font, extra))
    return _build(flowables, styles.font, "卷内目录", cover.organisation)


def render_back(rows: list[tuple[str, str]], lines: Sequence[str], styles: Styles, *, title: str, author: str) -> bytes:
    """The back cover (卷内备考表): what the file holds and lacks, who made it and when."""
    flowables: list[Flowable] = [para("卷 内 备 考 表", styles.title), para(title, styles.subtitle), Spacer(1, 6 * mm)]
    flowables.append(para("本卷情况说明", styles.heading))
    flowables += [para(line, styles.body) for line in lines]
    flowables += [Spacer(1, 8 * mm), _form(rows, styles)]
    return _build(flowables, styles.font, "卷内备考表", author)


def render_stamps(sizes: Sequence[tuple[float, float]], font: str, label: str) -> bytes:
    """One transparent page per page of the case file, carrying its number in the top right corner.

    Archives number a file's pages in the top right corner (页号, 《文书档案案卷格式》GB/T 9705):
    the included documents keep their own footers at the bottom, and this number does not cover them.
    """
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1, initialFontName=font)
    total = len(sizes)
    for number, (width, height) in enumerate(sizes, start=1):
        canvas.setPageSize((width, height))
        canvas.setFont(font, 9)
        canvas.setFillColor("#222222")
        canvas.drawRightString(width - 12 * mm, height - 10 * mm, f"{label} · 第 {number} 页 / 共 {total} 页")
        canvas.showPage()
    canvas.save()
    return out.getvalue()
