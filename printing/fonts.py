"""The embedded TrueType fonts every printed document uses (DejaVu Sans, regular and bold).

Only these are ever drawn: PDF/A wants every font embedded, so the standard-14 fonts are never used.
"""

from __future__ import annotations

import functools
from pathlib import Path

from printing.errors import DocumentError

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@functools.cache
def register_fonts() -> None:
    """Register both fonts with reportlab (once per process); DocumentError if a file is missing."""
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - loaded when first drawn
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415

    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        path = FONT_DIR / file
        if not path.is_file():
            raise DocumentError(f"font missing: {path}", translation_key="documents.error.font")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


@functools.cache
def printable_code_points() -> frozenset[int]:
    """Code points both embedded fonts (regular and bold) can draw."""
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - loaded when first drawn

    register_fonts()
    regular = pdfmetrics.getFont(FONT).face.charToGlyph
    bold = pdfmetrics.getFont(FONT_BOLD).face.charToGlyph
    return frozenset(set(regular) & set(bold))
