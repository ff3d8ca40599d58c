"""A court's ruling (民事裁定书) as PDF, laid out the way courts print them; also the application it answers.

The Supreme People's Court's forms (人民法院民事诉讼文书样式, 2016) put the court's name and the
document's kind at the head, the case number below them on the right, then the parties, the
facts and the court's reasoning as indented paragraphs, the operative part after 裁定如下, and at
the foot, on the right, the judge, the date in Chinese numerals and the clerk. The court's seal
is the PAdES signature applied afterwards (``Sealer.seal_document``). Unlike the agreement, a
ruling has no version and no text hash in its footer: only page numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from .fonts import register_cjk_font
from .layout import build_document, make_styles, para

BODY_SIZE = 14  # 四号, the size courts print their judgments in


@dataclass(frozen=True)
class RulingDoc:
    court: str  # "北京市朝阳区人民法院" (empty for an application, which names the court after 此致)
    title: str  # "民事裁定书"
    case_number: str  # "（2026）京0105民特123号" (empty for an application: the court numbers it on acceptance)
    parties: list[str]  # one paragraph per applicant or agent: "申请人：张三，男，……。"
    body: list[str]  # the history, the agreement, the reasoning and the legal basis, ending "裁定如下："
    operative: list[str]  # what the court orders, and what the parties may do next
    signatures: list[str] = field(default_factory=list)  # right-aligned: "审判员　陈明", the date, "书记员　王芳"
    # A report's addressee ("朝阳区人民法院："), flush left above the parties and the text, as a letter
    # to a court is written (server.domain.court_reports); empty for a ruling.
    addressee: str = ""


def render_ruling(doc: RulingDoc, font: Path | None = None) -> bytes:
    """The same input gives the same bytes (see layout.build_document)."""
    name = register_cjk_font(font)
    styles = make_styles(name)
    body = ParagraphStyle("ruling_body", parent=styles.body, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.75,
                          firstLineIndent=2 * BODY_SIZE, spaceAfter=0)  # fmt: skip
    foot = ParagraphStyle("ruling_foot", parent=body, firstLineIndent=0, alignment=TA_RIGHT, rightIndent=2 * BODY_SIZE)
    number = ParagraphStyle("ruling_number", parent=foot, rightIndent=0, spaceAfter=4 * mm)
    flowables: list[Flowable] = [para(doc.court, styles.heading)] if doc.court else []
    flowables.append(para(doc.title, styles.title))
    if doc.case_number:
        flowables.append(para(doc.case_number, number))
    if doc.addressee:
        flowables.append(para(doc.addressee, ParagraphStyle("ruling_to", parent=body, firstLineIndent=0)))
    flowables += [para(text, body) for text in doc.parties]
    flowables.append(Spacer(1, 2 * mm))
    flowables += [para(text, body) for text in doc.body]
    flowables += [para(text, body) for text in doc.operative[:-1]]
    # The signatures never stand alone on a page: the last paragraph goes over with them.
    last = [para(text, body) for text in doc.operative[-1:]]
    foot_lines = [para(line, foot) for line in doc.signatures if line]
    flowables.append(KeepTogether([*last, Spacer(1, 10 * mm), *foot_lines]))
    return build_document(flowables, title=doc.title, author=doc.court, subject=doc.case_number, footer="", font=name)
