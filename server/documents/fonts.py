"""The CJK font that agreement PDFs embed.

The font comes from a Debian package (fonts-wqy-microhei) rather than from the source tree: it is
licensed separately, weighs 5 MB, and Debian keeps it patched. Its outlines are TrueType, which
reportlab can subset; the CFF-based Noto CJK fonts it cannot, which is why they are not a fallback.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

ENV_VAR = "MEDIATE_PDF_FONT"

KNOWN_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


class FontMissing(RuntimeError):
    """No CJK font could be found; the message tells the operator how to get one."""


def _fc_match() -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        answer = subprocess.run(
            [fc_match, "-f", "%{family}\n%{file}", "WenQuanYi Micro Hei"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    family, _, file = answer.partition("\n")
    # fontconfig always answers with *some* font (DejaVu Sans, say) when the family asked for is
    # missing, and that font has no Chinese glyphs: the family must really be WenQuanYi.
    path = Path(file.strip())
    if "wenquanyi" not in family.lower() or path.suffix.lower() not in {".ttc", ".ttf"} or not path.is_file():
        return None
    return path


def cjk_font_path(configured: Path | None = None) -> Path:
    """The font file to embed: the configured one (Settings.pdf_font), else the usual Debian locations.

    A configured path that does not exist is an error rather than a silent fallback, so a typo in
    the settings shows up on the first document instead of as a different-looking PDF.
    """
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(
                f"the configured CJK font {configured} does not exist; "
                f"install Debian's fonts-wqy-microhei or set {ENV_VAR} to a TrueType .ttc/.ttf file"
            )
        return configured
    for candidate in KNOWN_PATHS:
        if candidate.is_file():
            return candidate
    found = _fc_match()
    if found is not None:
        return found
    raise FontMissing(
        "no CJK font found for PDF documents: install Debian's fonts-wqy-microhei "
        f"(apt-get install fonts-wqy-microhei) or set {ENV_VAR} to a TrueType .ttc/.ttf file"
    )


_registered: dict[Path, str] = {}
_lock = threading.Lock()


def register_cjk_font(configured: Path | None = None) -> str:
    """Register the CJK font with reportlab (once per file) and return its reportlab name.

    reportlab's font registry is process-global, so the name is derived from the file's path:
    two different configured fonts never overwrite each other, and the same file is parsed once.
    """
    path = cjk_font_path(configured).resolve()
    with _lock:
        name = _registered.get(path)
        if name is None:
            name = "MediateCJK-" + hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:8]
            try:
                pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
            except TTFError as exc:
                raise FontMissing(
                    f"{path} cannot be embedded ({exc}); install Debian's fonts-wqy-microhei "
                    f"or set {ENV_VAR} to a font with TrueType outlines"
                ) from exc
            _registered[path] = name
        return name
