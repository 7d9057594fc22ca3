"""The fonts of every tmdesk PDF: DejaVu Sans (it has Cyrillic), regular and bold.

Every style, table and chart label uses them and the canvas starts in them, so
no base-14 font (Helvetica) ever enters a file and ``pdffonts`` lists only
embedded fonts.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
#: ``tmdesk/fonts``: the TTFs with their licences.
FONT_DIR = Path(__file__).resolve().parents[3] / "fonts"


@functools.cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) once per process.

    ``<b>`` in Paragraph markup maps to the bold face; there is no italic face
    shipped, so ``<i>`` falls back to the regular one rather than Helvetica.
    """
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def string_width(text: str, font: str, size: float) -> float:
    """``text``'s width in ``font`` at ``size``: every measure goes through here, so
    the fonts are registered whichever function measures first."""
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


def text_width(text: str, size: float, bold: bool = False) -> float:
    return string_width(text, FONT_BOLD if bold else FONT, size)
