"""The house-style table: dark header row, zebra rows, columns wide enough that
no word is broken inside a cell, long cells cut so every row fits a page."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Table, TableStyle

from tmdesk.plugins.contract import N_

from .flowables import KitParagraph, KitTable
from .fonts import FONT, FONT_BOLD, string_width
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
    cut_note = t(CUT_NOTE) if t is not None else "[…]"
    right_set = set(right)
    rows = [list(r) for r in rows]
    words = longest_words(header, rows, bold_first)
    scale = text_scale(words, sum(widths))
    widths = fit_widths(header, rows, widths, bold_first=bold_first, scale=scale, words=words)
    room = [w - 2 * CELL_PAD for w in widths]
    cell_size, head_size = CELL_SIZE * scale, HEAD_SIZE * scale
    data: list[list[Any]] = [
        [
            _cell(
                h,
                room[i],
                head_size,
                True,
                _style("head_cell_right" if i in right_set else "head_cell", scale),
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
            cells.append(_cell(value, room[i], cell_size, bold, _style(style, scale), cut_note))
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
    made.setStyle(_table_style(tuple(sorted(right_set)), bold_first, len(data) > 2, scale))
    return made


#: A word longer than this is a sentence-like run (an address, a hash) that must
#: wrap anyway; words up to it are never broken.
LONGEST_UNBROKEN = 30
#: The smallest a table's text shrinks to (as a share of :data:`CELL_SIZE`) when
#: its columns cannot all hold their longest word at full size.
MIN_SCALE = 0.8
#: What a column needs beside its longest word: the padding, and a point to spare.
_COLUMN_EXTRA = 2 * CELL_PAD + 1


def _longest(text: Any, size: float, bold: bool) -> float:
    words = [w for w in clean(text).replace("\n", " ").split(" ") if w]
    words = [w for w in words if len(w) <= LONGEST_UNBROKEN]
    font = FONT_BOLD if bold else FONT
    return max((string_width(w, font, size) for w in words), default=0.0)


def longest_words(
    header: Sequence[str], rows: Sequence[Sequence[Any]], bold_first: bool = True
) -> list[float]:
    """Per column, the width of its longest word at full size (header in bold; no-break
    spaces join a word, so "1 234 USD" is one); ready flowables are not measured."""
    widest = [_longest(h, HEAD_SIZE, True) for h in header]
    for row in rows:
        for i, value in enumerate(row):
            if i < len(widest) and not isinstance(value, Flowable):
                widest[i] = max(widest[i], _longest(value, CELL_SIZE, bold_first and i == 0))
    return widest


def text_scale(words: Sequence[float], total: float) -> float:
    """1, or the size (a share of full size, at least :data:`MIN_SCALE`) at which every
    column holds its longest word within ``total``: a table with many columns of
    codes shrinks a little rather than print "In implementa-tion" or "U-SD"."""
    need = sum(words)
    room = total - _COLUMN_EXTRA * len(words)
    if need <= room or need <= 0:
        return 1.0
    return max(MIN_SCALE, int(room / need * 100) / 100)


def fit_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    bold_first: bool = True,
    scale: float = 1.0,
    words: Sequence[float] | None = None,
) -> list[float]:
    """``widths`` moved so that no word (a status such as "In implementation" has
    two; "1 234 USD" with no-break spaces is one) is broken inside a cell: a column
    too narrow for its longest word (at ``scale``) takes the room from the columns
    with slack, in proportion to their slack. The total width never changes."""
    if words is None:
        words = longest_words(header, rows, bold_first)
    minimum = [w * scale + _COLUMN_EXTRA for w in words]
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
def _style(name: str, scale: float) -> ParagraphStyle:
    """The paragraph style ``name`` with its text at ``scale`` of its size."""
    base = styles()[name]
    if scale == 1:
        return base
    return ParagraphStyle(
        f"{name}@{scale}",
        parent=base,
        fontSize=base.fontSize * scale,
        leading=base.leading * scale,
    )


@functools.cache
def _table_style(
    right: tuple[int, ...], bold_first: bool, zebra: bool, scale: float = 1.0
) -> TableStyle:
    """The house table style (cached: a pack makes thousands of tables)."""
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE * scale),
        ("LEADING", (0, 0), (-1, -1), 10 * scale),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, 0), HEAD_SIZE * scale),
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
    width = string_width(text, font, size)
    if "\n" not in text and width <= room:
        return text
    if width / max(room, 1) + text.count("\n") > MAX_CELL_LINES / 2:
        lines = wrap_text(text, font, size, room)
        if len(lines) > MAX_CELL_LINES:
            text = "\n".join([*lines[: MAX_CELL_LINES - 1], cut_note])
    return KitParagraph(esc(text), style)
