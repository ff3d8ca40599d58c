"""The mediation agreement as PDF: the version the parties sign, and the final signed document.

The final document starts with the very same pages as the signed PDF, so a reader comparing the
two on paper sees no difference in the agreement itself; what follows is the signature page and
the evidence certificate.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable

from .content import AgreementDoc, CertificateLine, SignedDoc, SignerLine
from .fonts import register_cjk_font
from .layout import agreement_flowables, build_pdf, make_styles
from .signed_pages import certificate_page, signature_page

__all__ = [
    "AgreementDoc",
    "CertificateLine",
    "SignedDoc",
    "SignerLine",
    "render_agreement",
    "render_signed",
]


def render_agreement(doc: AgreementDoc, font: Path | None = None) -> bytes:
    """The PDF the parties sign: the same input always gives the same bytes (see layout.build_pdf).

    Store the bytes rather than re-rendering later: a newer reportlab or font package may lay the
    same text out differently, and the parties' signatures cover these exact bytes.
    """
    styles = make_styles(register_cjk_font(font))
    return build_pdf(agreement_flowables(doc, styles), doc, styles.font)


def render_signed(doc: SignedDoc, font: Path | None = None) -> bytes:
    """The final document: agreement pages, then the signature page and the evidence certificate."""
    styles = make_styles(register_cjk_font(font))
    flowables: list[Flowable] = agreement_flowables(doc.agreement, styles)
    flowables += signature_page(doc, styles)
    flowables += certificate_page(doc, styles)
    return build_pdf(flowables, doc.agreement, styles.font)
