"""Shared building blocks of the built-in PDF formats (reportlab), one job a module.

Everything a tmdesk PDF needs and must get right the same way every time:

* :mod:`.fonts`: DejaVu Sans (Cyrillic) is registered and used in every style,
  table and chart label; the canvas starts in it too, so no base-14 font
  (Helvetica) ever enters the file and ``pdffonts`` lists only embedded fonts;
* :mod:`.styles`: the A4 page, the house colours, the paragraph styles;
* :mod:`.text`: labels (:func:`translate` looks static labels up in the tmdesk
  message catalogue for the report's locale), escaping (:func:`esc` turns user
  text into safe Paragraph markup), money, numbers and dates;
* :mod:`.flowables`: paragraphs, headings that become bookmarks, label/value
  blocks, key figures, the TLP label in FIRST TLP 2.0 colours (coloured text on
  black);
* :mod:`.tables`: the house-style table (no word broken inside a cell);
* :mod:`.charts`: a funding bar and bar charts;
* :mod:`.document`: :class:`ReportDoc`, an A4 document with title, language,
  the TLP label in the header and the footer of every page, "page X of Y", PDF
  outline (bookmarks) and table of contents;
* :mod:`.blocks`: what the built-in reports share (cover, key figures, project
  and donor tables, the line naming the projects that set the TLP label).

The package imports only :mod:`tmdesk.plugins.contract` from tmdesk, as a
partner's plugin would. A partner writing a PDF plugin may import it
(``from tmdesk.plugins.builtin import pdf as kit``), but it is not part of the
documented plugin contract and may change.
"""

from __future__ import annotations

from .blocks import (
    AMOUNTS_NOTE,
    DONOR_SERIES,
    PROJECT_COLUMNS,
    TLP_LINE_REFS,
    UK_ONLY,
    cover_head,
    donor_chart,
    donor_table,
    in_kind_text,
    label_of,
    plain,
    project_table,
    report_subtitle,
    requester_text,
    summary_only_in_ukrainian,
    title_of,
    tlp_line,
    totals_figures,
    update_byline,
)
from .charts import FundingBar, bar_chart
from .document import (
    FRAME_HEIGHT,
    MIN_FILL,
    Contents,
    HeadingGroup,
    PageCount,
    ReportDoc,
    SectionBreak,
    toc,
)
from .flowables import (
    Bookmark,
    Invisible,
    KeyValues,
    KitDrawing,
    KitParagraph,
    KitTable,
    Label,
    TLPBox,
    draw_tlp,
    figures,
    heading,
    key_values,
    layout_only,
    para,
    tlp_text,
)
from .fonts import FONT, FONT_BOLD, FONT_DIR, register_fonts, text_width
from .styles import (
    ACCENT,
    BAR_BACK,
    CELL_PAD,
    CELL_SIZE,
    CONFIRMED,
    CONTENT_WIDTH,
    DISBURSED,
    GAP,
    HEAD_SIZE,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    OFFERED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    SERIES,
    TLP_TEXT_SIZE,
    ZEBRA,
    styles,
)
from .tables import (
    CUT_NOTE,
    LONGEST_UNBROKEN,
    MAX_CELL_LINES,
    MIN_SCALE,
    fit_widths,
    longest_words,
    table,
    text_scale,
)
from .text import (
    TRANSLATIONS_DIR,
    clean,
    compact_money,
    date,
    esc,
    money,
    number,
    percent,
    shorten,
    timestamp,
    translate,
    translator,
    wrap_text,
)

__all__ = [
    "ACCENT",
    "AMOUNTS_NOTE",
    "BAR_BACK",
    "CELL_PAD",
    "CELL_SIZE",
    "CONFIRMED",
    "CONTENT_WIDTH",
    "CUT_NOTE",
    "DISBURSED",
    "DONOR_SERIES",
    "FONT",
    "FONT_BOLD",
    "FONT_DIR",
    "FRAME_HEIGHT",
    "GAP",
    "HEAD_SIZE",
    "INK",
    "LONGEST_UNBROKEN",
    "MARGIN_BOTTOM",
    "MARGIN_TOP",
    "MARGIN_X",
    "MAX_CELL_LINES",
    "MIN_FILL",
    "MIN_SCALE",
    "MUTED",
    "OFFERED",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "PROJECT_COLUMNS",
    "RULE",
    "SERIES",
    "TLP_LINE_REFS",
    "TLP_TEXT_SIZE",
    "TRANSLATIONS_DIR",
    "UK_ONLY",
    "ZEBRA",
    "Bookmark",
    "Contents",
    "FundingBar",
    "HeadingGroup",
    "Invisible",
    "KeyValues",
    "KitDrawing",
    "KitParagraph",
    "KitTable",
    "Label",
    "PageCount",
    "ReportDoc",
    "SectionBreak",
    "TLPBox",
    "bar_chart",
    "clean",
    "compact_money",
    "cover_head",
    "date",
    "donor_chart",
    "donor_table",
    "draw_tlp",
    "esc",
    "figures",
    "fit_widths",
    "heading",
    "in_kind_text",
    "key_values",
    "label_of",
    "longest_words",
    "layout_only",
    "money",
    "number",
    "para",
    "percent",
    "plain",
    "project_table",
    "register_fonts",
    "report_subtitle",
    "requester_text",
    "shorten",
    "styles",
    "summary_only_in_ukrainian",
    "table",
    "text_scale",
    "text_width",
    "timestamp",
    "title_of",
    "tlp_line",
    "tlp_text",
    "toc",
    "totals_figures",
    "translate",
    "translator",
    "update_byline",
    "wrap_text",
]
