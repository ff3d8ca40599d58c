"""The pages that follow the agreement in the final document: who signed, and the evidence trail.

They repeat what the evidence log holds in a form a judge can read on paper, and give the way
back to the machine-checkable original (the QR code and the log position of every record).
"""

from __future__ import annotations

import io

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from .content import CertificateLine, SignedDoc, SignerLine
from .layout import FRAME_WIDTH, Styles, para

HANDWRITING_WIDTH = 40 * mm
HANDWRITING_MAX_HEIGHT = 18 * mm
QR_SIZE = 36 * mm

_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, "#888888"),
        ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


def _log_position(log_index: int | None) -> str:
    return "待记入" if log_index is None else f"#{log_index}"


def handwriting_image(png: bytes, styles: Styles) -> Flowable:
    """The drawn signature scaled into a 40 mm wide box, keeping its proportions.

    A drawing that cannot be decoded is shown as a note instead of stopping the document: the
    drawing only illustrates the signature, whose legal weight is the signed record beside it.
    """
    try:
        width, height = ImageReader(io.BytesIO(png)).getSize()
    except (OSError, ValueError, SyntaxError):
        return para("（手写签名图像无法读取）", styles.cell)
    if width <= 0 or height <= 0:
        return para("（手写签名图像无法读取）", styles.cell)
    scale = min(HANDWRITING_WIDTH / width, HANDWRITING_MAX_HEIGHT / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def _signer_row(signer: SignerLine, styles: Styles) -> list[Flowable | str]:
    c = styles.cell
    return [
        para(f"{signer.name}\n{signer.role}", c),
        para(signer.signed_at, c),
        para(signer.method, c),
        para(f"日志 {_log_position(signer.log_index)}\n记录 第 {signer.seq} 号", c),
        para(signer.key_id, c),
        handwriting_image(signer.handwriting_png, styles) if signer.handwriting_png else "",
    ]


def _qr_drawing(url: str) -> Drawing:
    # Level M survives a smudged printout; the short URL keeps the code small enough to scan at 36 mm.
    widget = QrCodeWidget(url, barLevel="M", barBorder=4, barWidth=QR_SIZE, barHeight=QR_SIZE)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    return drawing


def signature_page(doc: SignedDoc, styles: Styles) -> list[Flowable]:
    a = doc.agreement
    h = styles.cell_head
    rows: list[list[Flowable | str]] = [
        [para(t, h) for t in ("签署人", "签署时间", "签署方式", "证据位置", "密钥标识", "手写签名")],
    ]
    rows.extend(_signer_row(s, styles) for s in doc.signers)
    widths = [22 * mm, 24 * mm, 42 * mm, 20 * mm, 20 * mm, HANDWRITING_WIDTH + 2 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_GRID)

    flowables: list[Flowable] = [
        PageBreak(),
        para("签署页", styles.heading),
        para(f"{a.title}（{a.case_number}，第 {a.version} 版）由以下各方以电子方式签署：", styles.body),
        table,
        Spacer(1, 5 * mm),
        para(
            f"上述协议文本的 SHA-256 为 {a.text_sha256}；各方签署的 PDF 文件的 SHA-256 为 {doc.agreement_pdf_sha256}。",
            styles.small,
        ),
    ]
    if doc.seal_organisation:
        flowables.append(
            para(
                f"本文件由{doc.seal_organisation}加盖{doc.seal_method}"
                + (f"，印章证书 SHA-256 为 {doc.seal_certificate_sha256}" if doc.seal_certificate_sha256 else "")
                + "，可在 PDF 阅读器的签名面板中查看。",
                styles.small,
            )
        )
    qr_block = Table(
        [
            [_qr_drawing(doc.verify_url), para(f"扫码或访问 {doc.verify_url} 核验本协议", styles.body)],
            [para(doc.verify_code, styles.centred), ""],
        ],
        colWidths=[QR_SIZE + 6 * mm, FRAME_WIDTH - QR_SIZE - 6 * mm],
    )
    qr_block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("SPAN", (1, 0), (1, 1))]))
    flowables += [Spacer(1, 6 * mm), KeepTogether([qr_block])]
    return flowables


def _certificate_row(line: CertificateLine, styles: Styles) -> list[Flowable | str]:
    c = styles.cell
    return [
        para(line.time, c),
        para(line.event, c),
        para(line.actor, c),
        para(str(line.seq), c),
        para(_log_position(line.log_index), c),
        para(line.record_hash[:16], c),
    ]


EXPLANATION_ZH = (
    "本证书每一行对应一条经数字签名的记录，这些记录按顺序写入公开的只追加证据日志，"
    "任何人都可以使用 mediate verify 离线核验其签名、顺序及其在日志中的位置，"
    "无须信任本平台的服务器。"
)
EXPLANATION_EN = (
    "Each line of this certificate is a signed record in a public, append-only evidence log. "
    "Anyone can check its signature, its order and its position in the log offline with "
    "mediate verify, without trusting this platform's servers."
)


def certificate_page(doc: SignedDoc, styles: Styles) -> list[Flowable]:
    a = doc.agreement
    h = styles.cell_head
    rows: list[list[Flowable | str]] = [
        [para(t, h) for t in ("时间 Time", "事件 Event", "操作人 Actor", "序号 Seq", "日志位置 Log", "记录哈希 Record hash")],
    ]
    rows.extend(_certificate_row(line, styles) for line in doc.certificate)
    table = Table(rows, colWidths=[30 * mm, 40 * mm, 30 * mm, 14 * mm, 22 * mm, 34 * mm], repeatRows=1)
    table.setStyle(_GRID)
    checkpoint = doc.checkpoint or "尚未发布 / not yet published"
    trailer: list[Paragraph] = [
        para(f"日志来源 Log origin：{doc.log_origin}", styles.small),
        para(f"日志检查点 Checkpoint：{checkpoint}", styles.small),
        para(f"生成时间 Generated：{a.generated_at}", styles.small),
        para(EXPLANATION_ZH, styles.small),
        para(EXPLANATION_EN, styles.small),
    ]
    return [
        PageBreak(),
        para("电子证据证书 / Certificate of evidence", styles.heading),
        para(f"{a.organisation} · {a.case_number} · {a.title} · 第 {a.version} 版", styles.centred),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 5 * mm),
        KeepTogether(trailer),
    ]
