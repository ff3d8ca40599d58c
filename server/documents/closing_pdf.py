"""The case-closing report (人民调解结案报告表) as PDF: a form of labelled rows, as the paper one is.

Its rows follow the Ministry of Justice's people's mediation file (人民调解卷宗) and the instructions
for filling in its 结案报告表 that local justice bureaus publish: the file number (卷号, here the case
number), the committee handling it (承办单位), the mediator(s) (承办人), when the case was accepted
(受案时间, as on the 受理登记表) and closed (结案时间: when performance ended or the case was otherwise
dealt with), the parties, how the case came (案件来源), the dispute in brief, the result; then what
this platform adds from the same file's later pages: the performance of each obligation (履行凭证)
and the follow-up visits (回访记录: performance found, satisfaction, remaining risk, what was done),
and the reason the case was closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from .fonts import register_cjk_font
from .layout import build_document, make_styles, para


@dataclass(frozen=True)
class ClosingReport:
    organisation: str
    case_number: str
    #: (label, value) rows of the form, in order.
    rows: list[tuple[str, str]]
    #: The obligations, one line each: who owes whom what by when, and what became of it.
    obligations: list[str] = field(default_factory=list)
    #: The follow-up visits, one paragraph each.
    follow_ups: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


def render_closing(doc: ClosingReport, font: Path | None = None) -> bytes:
    """The same input gives the same bytes (layout.build_document)."""
    name = register_cjk_font(font)
    styles = make_styles(name)
    cell, head = (
        styles.body.clone("closing_cell", fontSize=10.5, leading=15, spaceAfter=0),
        styles.cell_head.clone("closing_head", fontSize=10.5, leading=15),
    )
    rows = [[para(label, head), para(value or "—", cell)] for label, value in doc.rows]
    rows.append([para("履行情况", head), [para(line, cell) for line in doc.obligations] or para("协议无须履行的义务", cell)])
    rows.append([para("回访情况", head), [para(line, cell) for line in doc.follow_ups] or para("未作回访记录", cell)])
    table = Table(rows, colWidths=[32 * mm, 138 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    flowables: list[Flowable] = [
        para(doc.organisation, styles.heading),
        para("人民调解结案报告表", styles.title),
        para(f"卷号：{doc.case_number}", styles.subtitle),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 8 * mm),
    ]
    right = styles.body.clone("closing_sign", alignment=2)
    flowables += [para(line, right) for line in doc.signatures]
    return build_document(
        flowables, title="人民调解结案报告表", author=doc.organisation, subject=doc.case_number, footer=doc.case_number, font=name
    )
