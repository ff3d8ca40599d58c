"""A PDF's text as a reader's tool (poppler's pdftotext) extracts it: what the tests read documents with.

The layout breaks lines and may wrap a cell (a hash, a long name) anywhere, so the text is compared
with its whitespace removed; pages are split at the form feed pdftotext puts after each page.
"""

from __future__ import annotations

import subprocess


def _pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_text(pdf: bytes) -> str:
    """The whole document's text, whitespace removed."""
    return "".join(_pdftotext(pdf).split())


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace removed (the form feed after the last page makes no page)."""
    pages = _pdftotext(pdf).split("\f")
    return ["".join(page.split()) for page in (pages[:-1] if pages and not pages[-1].strip() else pages)]
