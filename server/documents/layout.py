"""Page layout shared by the agreement and the signed document.

Both documents are built from the same pieces so that the agreement pages of the final document
look exactly like the PDF the parties signed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from .content import AgreementDoc

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 24 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X


@dataclass(frozen=True)
class Styles:
    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    body: ParagraphStyle
    heading: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle
    centred: ParagraphStyle


def make_styles(font: str) -> Styles:
    """Every style wraps the CJK way, since Chinese has no spaces to break lines at."""

    def style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    return Styles(
        font=font,
        title=style("title", 22, 30, alignment=TA_CENTER, spaceAfter=4 * mm),
        subtitle=style("subtitle", 12, 18, alignment=TA_CENTER),
        body=style("body", 12, 20, spaceAfter=3 * mm),
        heading=style("heading", 16, 24, alignment=TA_CENTER, spaceAfter=4 * mm),
        small=style("small", 9.5, 14, spaceAfter=2 * mm),
        cell=style("cell", 8.5, 11.5),
        cell_head=style("cell_head", 8.5, 11.5, textColor="#333333"),
        centred=style("centred", 10, 14, alignment=TA_CENTER),
    )


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: the caller's text is never read as reportlab markup."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def text_paragraphs(title: str, text: str) -> list[str]:
    """The agreement text cut into paragraphs at blank lines, without the first line if it repeats the title."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].strip() == title.strip():
        lines = lines[1:]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def agreement_flowables(doc: AgreementDoc, styles: Styles) -> list[Flowable]:
    flowables: list[Flowable] = [
        para(doc.title, styles.title),
        para(doc.organisation, styles.subtitle),
        para(doc.case_number, styles.subtitle),
        Spacer(1, 8 * mm),
    ]
    flowables.extend(para(p, styles.body) for p in text_paragraphs(doc.title, doc.text))
    flowables += [Spacer(1, 4 * mm), para(f"（本协议书第 {doc.version} 版文本生成于 {doc.generated_at}）", styles.small)]
    return flowables


def footer_prefix(doc: AgreementDoc) -> str:
    return f"{doc.case_number} · 第 {doc.version} 版 · 文本 SHA-256 {doc.text_sha256[:16]}…"


def _numbered_canvas(prefix: str, font: str) -> Callable[..., Canvas]:
    """A canvas that holds its pages back until the end, so each footer can say how many there are."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                self.setFont(font, 8.5)
                self.setFillColor("#555555")
                page = f"第 {number} 页 共 {total} 页"
                self.drawCentredString(PAGE_WIDTH / 2, 12 * mm, f"{prefix} · {page}" if prefix else page)
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(flowables: Sequence[Flowable], doc: AgreementDoc, font: str) -> bytes:
    """Lay out the flowables on A4 with the agreement's footer on every page."""
    return build_document(
        flowables, title=doc.title, author=doc.organisation, subject=doc.case_number, footer=footer_prefix(doc), font=font
    )


def build_document(flowables: Sequence[Flowable], *, title: str, author: str, subject: str, footer: str, font: str) -> bytes:
    """A4 pages, each with ``footer`` (if any) and its page number.

    invariant=1 fixes the creation date and the document id, so the same input gives the same
    bytes (with the same reportlab and font versions): parties sign the PDF's SHA-256, and the
    server must be able to hand them exactly the bytes it showed them.
    """
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        subject=subject,
        creator="mediate",
        invariant=1,
        initialFontName=font,
    )
    template.build(list(flowables), canvasmaker=_numbered_canvas(footer, font))
    return out.getvalue()
