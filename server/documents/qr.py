"""A QR code as SVG, for a page that is printed (the poster of an organisation's application page)."""

from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

SIZE = 240


def qr_svg(url: str, size: int = SIZE) -> str:
    """The code of ``url`` (level M: a smudged or sun-faded poster still scans), as an SVG document."""
    widget = QrCodeWidget(url, barLevel="M", barBorder=4, barWidth=size, barHeight=size)
    drawing = Drawing(size, size)
    drawing.add(widget)
    svg: str = renderSVG.drawToString(drawing)
    return svg[svg.index("<svg") :]
