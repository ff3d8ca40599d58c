"""A QR code as SVG, for a page that is printed (the poster of an organisation's application page).

reportlab (already here for the PDFs) encodes it; the SVG is written here with presentation
attributes only (``fill``), no ``style`` attribute, which the pages' Content-Security-Policy
(``style-src 'self'``) would refuse.
"""

from __future__ import annotations

from reportlab.graphics.barcode import qrencoder

BORDER = 4  # the quiet zone the standard asks for, in modules


def qr_svg(url: str, size: int = 240) -> str:
    """The code of ``url`` (level M: a smudged or sun-faded poster still scans), as an SVG element."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(url)
    code.make()
    count = code.getModuleCount()
    side = count + 2 * BORDER
    dark = "".join(
        f"M{col + BORDER} {row + BORDER}h1v1h-1z" for row in range(count) for col in range(count) if code.isDark(row, col)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path d="{dark}" fill="#000"/></svg>'
    )
