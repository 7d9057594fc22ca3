"""The house style of tmdesk PDFs: the A4 page, the colours, the paragraph styles."""

from __future__ import annotations

import functools
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from .fonts import FONT, FONT_BOLD, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

#: The house colours.
INK = colors.HexColor("#1B2430")
MUTED = colors.HexColor("#5B6675")
ACCENT = colors.HexColor("#1F3A5F")
RULE = colors.HexColor("#C9D1DB")
ZEBRA = colors.HexColor("#F2F4F7")
BAR_BACK = colors.HexColor("#E3E7EC")
DISBURSED = colors.HexColor("#1E6B3A")
CONFIRMED = colors.HexColor("#3FA065")
OFFERED = colors.HexColor("#A9D8B8")
GAP = colors.HexColor("#C0392B")
SERIES = [ACCENT, CONFIRMED, colors.HexColor("#D98C1F"), GAP]

TLP_TEXT_SIZE = 12

#: Table cells: text size of the body and the header row, padding left and right.
CELL_SIZE = 8
HEAD_SIZE = 7.5
CELL_PAD = 4


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles; every one uses DejaVu Sans."""
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, spaceAfter=4
    )

    def bold(size: float, leading: float, colour: Any = INK, **kw: Any) -> dict[str, Any]:
        return {
            "fontName": FONT_BOLD,
            "fontSize": size,
            "leading": leading,
            "textColor": colour,
            **kw,
        }

    head = bold(7.5, 9.5, colors.white, spaceAfter=0, splitLongWords=0)
    derived: dict[str, dict[str, Any]] = {
        "small": {"fontSize": 8, "leading": 10.5, "textColor": MUTED},
        "cell": {"fontSize": 8, "leading": 10, "spaceAfter": 0},
        "cell_bold": bold(8, 10, spaceAfter=0),
        "cell_right": {"fontSize": 8, "leading": 10, "spaceAfter": 0, "alignment": TA_RIGHT},
        "head_cell": head,
        "head_cell_right": {**head, "alignment": TA_RIGHT},
        "cover_kicker": bold(11, 14, MUTED, spaceAfter=6),
        "cover_title": bold(28, 34, ACCENT, spaceAfter=10),
        "cover_subtitle": {"fontSize": 14, "leading": 19, "textColor": INK, "spaceAfter": 18},
        # keepWithNext: a heading never ends a page, it goes over with what it heads.
        "h1": bold(18, 23, ACCENT, spaceBefore=0, spaceAfter=10, keepWithNext=1),
        "h2": bold(13, 17, ACCENT, spaceBefore=10, spaceAfter=6, keepWithNext=1),
        "h3": bold(10.5, 14, INK, spaceBefore=8, spaceAfter=4, keepWithNext=1),
        "project_ref": bold(10, 13, MUTED, spaceAfter=2),
        "figure": bold(15, 19, ACCENT, alignment=TA_LEFT, spaceAfter=0),
        "figure_label": {"fontSize": 7.5, "leading": 9.5, "textColor": MUTED, "spaceAfter": 0},
        "figure_note": {"fontSize": 6.5, "leading": 8, "textColor": MUTED, "spaceAfter": 0},
        "toc0": bold(10.5, 15, spaceBefore=4),
        "toc1": {"fontSize": 8.5, "leading": 11, "leftIndent": 14, "firstLineIndent": 0},
        "centre": {"alignment": TA_CENTER},
    }
    return {
        "body": base,
        **{name: ParagraphStyle(name, parent=base, **kw) for name, kw in derived.items()},
    }
