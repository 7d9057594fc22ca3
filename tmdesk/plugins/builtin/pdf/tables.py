"""The house-style table: dark header row, zebra rows, columns wide enough that
no word is broken inside a cell, long cells cut so every row fits a page."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Table, TableStyle

from tmdesk.plugins.contract import N_

from .flowables import KitParagraph, KitTable
from .fonts import FONT, FONT_BOLD
from .styles import ACCENT, CELL_PAD, CELL_SIZE, HEAD_SIZE, INK, RULE, ZEBRA, styles
from .text import clean, esc, wrap_text


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    *,
    right: Sequence[int] = (),
    bold_first: bool = False,
    repeat_header: bool = True,
    t: Callable[[str], str] | None = None,
) -> Table:
    """A house-style table: dark header row, zebra rows, DejaVu everywhere.

    ``header`` holds plain labels; each row cell is a plain string (escaped
    here and wrapped), or a ready flowable. ``right`` lists right-aligned columns.

    Whatever the data, the table fits the pages: it splits between rows (the
    header repeats), long words and addresses wrap inside their cell, and a text
    cell longer than :data:`MAX_CELL_LINES` lines is cut, ending with
    :data:`CUT_NOTE` (translated with ``t`` when given), so no such row is taller
    than a page; a row with a taller ready flowable splits inside the row.
    """
    st = styles()
    cut_note = t(CUT_NOTE) if t is not None else "[…]"
    right_set = set(right)
    rows = [list(r) for r in rows]
    widths = fit_widths(header, rows, widths)
    room = [w - 2 * CELL_PAD for w in widths]
    data: list[list[Any]] = [
        [
            _cell(
                h,
                room[i],
                HEAD_SIZE,
                True,
                st["head_cell_right" if i in right_set else "head_cell"],
                cut_note,
            )
            for i, h in enumerate(header)
        ]
    ]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, Flowable):
                cells.append(value)
                continue
            bold = bold_first and i == 0
            style = "cell_right" if i in right_set else ("cell_bold" if bold else "cell")
            cells.append(_cell(value, room[i], CELL_SIZE, bold, st[style], cut_note))
        data.append(cells)
    made = KitTable(
        data,
        colWidths=list(widths),
        repeatRows=1 if repeat_header else 0,
        hAlign="LEFT",
        # A ready flowable a plugin passes in is not cut: a row taller than the room
        # left splits inside the row rather than failing the report.
        splitInRow=1,
    )
    made.setStyle(_table_style(tuple(sorted(right_set)), bold_first, len(data) > 2))
    return made


#: A word longer than this is a sentence-like run (an address, a hash) that must
#: wrap anyway; words up to it are never broken.
LONGEST_UNBROKEN = 30


def fit_widths(
    header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]
) -> list[float]:
    """``widths`` moved so that no word (a status such as "In implementation" has
    two; "1 234 USD" with no-break spaces is one) is broken inside a cell: a column
    too narrow for its longest word takes the room from the columns with slack,
    in proportion to their slack. The total width never changes."""

    def need(text: Any, size: float, bold: bool) -> float:
        words = [w for w in clean(text).replace("\n", " ").split(" ") if w]
        words = [w for w in words if len(w) <= LONGEST_UNBROKEN]
        font = FONT_BOLD if bold else FONT
        return max((pdfmetrics.stringWidth(w, font, size) for w in words), default=0.0)

    minimum = [need(h, HEAD_SIZE, True) + 2 * CELL_PAD + 1 for h in header]
    for row in rows:
        for i, value in enumerate(row):
            if i < len(minimum) and not isinstance(value, Flowable):
                minimum[i] = max(minimum[i], need(value, CELL_SIZE, i == 0) + 2 * CELL_PAD + 1)
    out = list(widths)
    short = sum(max(m - w, 0) for m, w in zip(minimum, out, strict=False))
    if short <= 0:
        return out
    slack = [max(w - m, 0) for m, w in zip(minimum, out, strict=False)]
    total_slack = sum(slack)
    if total_slack <= 0:
        return out
    take = min(short, total_slack) / total_slack
    for i, (m, w) in enumerate(zip(minimum, widths, strict=False)):
        if m > w:
            out[i] = w + (m - w) * min(1, total_slack / short)
        else:
            out[i] = w - slack[i] * take
    return out


@functools.cache
def _table_style(right: tuple[int, ...], bold_first: bool, zebra: bool) -> TableStyle:
    """The house table style (cached: a pack makes thousands of tables)."""
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, 0), HEAD_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ]
    if bold_first:
        commands.append(("FONTNAME", (0, 1), (0, -1), FONT_BOLD))
    commands += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in right]
    if zebra:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]))
    return TableStyle(commands)


#: The most lines a table cell shows (about a third of a page): a row is never
#: taller than a page, so every table can break between its rows.
MAX_CELL_LINES = 24
#: The last line of a cell cut at :data:`MAX_CELL_LINES`.
CUT_NOTE = N_("[… shortened: the full text is in tmdesk]")


def _cell(
    value: Any, room: float, size: float, bold: bool, style: ParagraphStyle, cut_note: str = "[…]"
) -> Any:
    """A table cell: a plain string when it fits on one line (much cheaper to lay
    out and draw), else a wrapping Paragraph of the escaped text, cut to
    :data:`MAX_CELL_LINES` lines (only long text is measured line by line)."""
    text = clean(value)
    font = FONT_BOLD if bold else FONT
    width = pdfmetrics.stringWidth(text, font, size)
    if "\n" not in text and width <= room:
        return text
    if width / max(room, 1) + text.count("\n") > MAX_CELL_LINES / 2:
        lines = wrap_text(text, font, size, room)
        if len(lines) > MAX_CELL_LINES:
            text = "\n".join([*lines[: MAX_CELL_LINES - 1], cut_note])
    return KitParagraph(esc(text), style)
