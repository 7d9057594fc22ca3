"""The flowables of tmdesk PDFs: paragraphs, labels, headings that become
bookmarks, the label/value block, the key figures and the TLP label.

A table of contents and "page X of Y" need the page numbers of a finished
layout, so a document is built twice; the flowables here draw nothing in the
first (layout) pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from tmdesk.plugins.contract import TLP_COLOURS

from .fonts import FONT, FONT_BOLD, string_width
from .styles import CELL_SIZE, CONTENT_WIDTH, INK, MUTED, RULE, TLP_TEXT_SIZE, ZEBRA, styles
from .text import clean, esc, wrap_text

# --- the layout pass ----------------------------------------------------------
#
# A table of contents and "page X of Y" need the page numbers of a finished
# layout, so the document is built twice. The first pass only has to lay the
# pages out: drawing is most of the cost, and nothing drawn in it is kept. The
# flowables below skip drawing on a canvas marked ``layout_only`` (a plain
# reportlab flowable on such a canvas still draws: that is only slower).


def layout_only(canvas) -> bool:
    return getattr(canvas, "layout_only", False)


class _SkipsLayoutPass:
    """Mixin for a reportlab flowable: ``drawOn`` does nothing in the layout pass."""

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 - reportlab's name
        if not layout_only(canvas):
            super().drawOn(canvas, x, y, _sW)


class KitParagraph(_SkipsLayoutPass, Paragraph):
    """A Paragraph that is not drawn in the layout pass (splits keep the class).

    It also remembers its last wrap: the same paragraph is wrapped again and
    again at the same width (by its table, by the frame, in each pass), and
    breaking lines is the costliest part of laying a page out.
    """

    _kit_wrap: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        cached = self._kit_wrap
        # split() may drop the lines it measured: only reuse them while they exist
        if cached is not None and cached[0] == availWidth and "blPara" in self.__dict__:
            self.width, self.height = cached[1]
            return cached[1]
        result = super().wrap(availWidth, availHeight)
        self._kit_wrap = (availWidth, result)
        return result


class KitTable(_SkipsLayoutPass, Table):
    """A Table that is not drawn in the layout pass (splits keep the class).

    Like :class:`KitParagraph` it remembers its last wrap. A long table only
    measures the rows that fit the available height, so both sizes are the key.
    """

    _kit_wrap: tuple[tuple[float, float], tuple[float, float]] | None = None

    def wrap(self, availWidth, availHeight):  # noqa: N803
        cached = self._kit_wrap
        # only while the measurements inside are still the ones for this size
        # (split() measures again, for its own height)
        if (
            cached is not None
            and cached[0] == (availWidth, availHeight)
            and self._kit_measured == cached[0]
        ):
            return cached[1]
        result = super().wrap(availWidth, availHeight)
        self._kit_wrap = ((availWidth, availHeight), result)
        return result

    _kit_measured: tuple[float, float] | None = None

    def _calc(self, availWidth, availHeight):  # noqa: N803
        super()._calc(availWidth, availHeight)
        self._kit_measured = (availWidth, availHeight)


class KitDrawing(_SkipsLayoutPass, Drawing):
    """A chart that is not drawn in the layout pass."""


class Label(Flowable):
    """One line of plain text in a paragraph style: what a one-line Paragraph
    draws, without parsing markup or breaking lines (a pack has thousands)."""

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = style

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.style.leading

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return self.style.spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.style.spaceAfter

    def draw(self) -> None:
        if layout_only(self.canv):
            return
        st = self.style
        self.canv.setFont(st.fontName, st.fontSize)
        self.canv.setFillColor(st.textColor)
        self.canv.drawString(0, st.leading - st.fontSize, self.text)


def para(text_markup: str, style: str = "body") -> Flowable:
    """A paragraph from markup that is already escaped (see :func:`esc`).

    Text without markup that fits on one line becomes a :class:`Label`.
    """
    st = styles()[style]
    if (
        "<" not in text_markup
        and "&" not in text_markup
        and st.alignment == TA_LEFT
        and string_width(text_markup, st.fontName, st.fontSize)
        <= CONTENT_WIDTH - st.leftIndent - st.firstLineIndent
    ):
        return Label(text_markup, st)
    return KitParagraph(text_markup, st)


class Invisible(Flowable):
    """A flowable that takes no room and draws nothing (it marks a place in the story)."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class Bookmark(Invisible):
    """An invisible outline (and ToC) entry: a section that has no printed heading."""

    def __init__(self, text: str, level: int = 0, toc: bool = True) -> None:
        super().__init__()
        self.outline = (level, clean(text), toc)


def heading(
    plain_text: str,
    level: int,
    style: str | None = None,
    *,
    toc: bool = True,
    outline_text: str | None = None,
    markup: str | None = None,
) -> Paragraph:
    """A heading that becomes a PDF bookmark (and a ToC entry when ``toc``).

    ``plain_text`` is user or label text, escaped here; ``outline_text`` (plain)
    overrides what the bookmark and the ToC show.
    """
    p = KitParagraph(
        markup if markup is not None else esc(plain_text),
        styles()[style or ("h1" if level == 0 else "h2")],
    )
    p.outline = (level, clean(outline_text or plain_text), toc)
    return p


# --- blocks of text ----------------------------------------------------------


class KeyValues(Flowable):
    """A label/value block (labels muted on the left, values wrapped on the right),
    drawn directly: one per project page, so it must be cheap.

    It splits across pages between its rows, and inside a row taller than the
    room left (a long summary), so no text is too long for it.
    """

    LEADING = 10
    PAD = 1.5

    def __init__(
        self, pairs: Sequence[tuple[str, str]], label_width: float, value_width: float | None = None
    ) -> None:
        super().__init__()
        self.pairs = [(clean(k), clean(v)) for k, v in pairs]
        self.label_width = label_width
        self.value_width = value_width
        self.rows: list[tuple[list[str], list[str], float]] = []
        self._rows_for: float | None = None  # the value width ``rows`` were wrapped to

    def _row(self, keys: list[str], values: list[str]) -> tuple[list[str], list[str], float]:
        return keys, values, max(len(keys), len(values), 1) * self.LEADING + 2 * self.PAD + 1

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        value_width = self.value_width or avail_width - self.label_width
        self.width = self.label_width + value_width
        if self._rows_for != value_width:
            self.rows = [
                self._row(
                    wrap_text(key, FONT, 8, self.label_width - 6),
                    wrap_text(value, FONT, CELL_SIZE, value_width - 4),
                )
                for key, value in self.pairs
            ]
            self._rows_for = value_width
        self.height = sum(h for _, _, h in self.rows)
        return self.width, self.height

    def _part(self, rows: list[tuple[list[str], list[str], float]]) -> KeyValues:
        part = KeyValues([], self.label_width, self.width - self.label_width)
        part.rows, part._rows_for = rows, self.width - self.label_width
        return part

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        first: list[tuple[list[str], list[str], float]] = []
        rest = list(self.rows)
        used = 0.0
        while rest and used + rest[0][2] <= avail_height:
            used += rest[0][2]
            first.append(rest.pop(0))
        if rest:  # the next row does not fit whole: its first lines go here
            keys, values, _height = rest[0]
            fit = int((avail_height - used - 2 * self.PAD - 1) // self.LEADING)
            if fit >= 3 or (not first and fit >= 1):
                first.append(self._row(keys[:fit], values[:fit]))
                rest[0] = self._row(keys[fit:], values[fit:])
        if not first:
            return []
        return [self._part(first), self._part(rest)] if rest else [self._part(first)]

    def draw(self) -> None:
        if layout_only(self.canv):
            return
        c = self.canv
        y = self.height
        c.setStrokeColor(RULE)
        c.setLineWidth(0.25)
        for keys, values, height in self.rows:
            for column, lines, size, colour in (
                (0, keys, 8, MUTED),
                (self.label_width, values, CELL_SIZE, INK),
            ):
                c.setFont(FONT, size)
                c.setFillColor(colour)
                for i, line in enumerate(lines):
                    c.drawString(column, y - self.PAD - 8 - i * self.LEADING, line)
            y -= height
            c.line(0, y, self.width, y)


def key_values(
    pairs: Sequence[tuple[str, str]], widths: tuple[float, float | None] = (38 * mm, None)
) -> Flowable:
    """A two-column label/value block (plain text; no markup is interpreted)."""
    return KeyValues(pairs, widths[0], widths[1])


def figures(items: Sequence[tuple[str, ...]], columns: int = 3) -> Table:
    """Key figures as a grid of big numbers with small captions (both plain text);
    an item's optional third element is its one-line definition, printed below."""
    st = styles()
    cells = []
    for label, value, *note in items:
        cell = [
            KitParagraph(esc(value), st["figure"]),
            KitParagraph(esc(label), st["figure_label"]),
        ]
        if note and note[0]:
            cell.append(KitParagraph(esc(note[0]), st["figure_note"]))
        cells.append(cell)
    rows: list[list[Any]] = []
    for start in range(0, len(cells), columns):
        chunk: list[Any] = cells[start : start + columns]
        chunk += [""] * (columns - len(chunk))
        rows.append(chunk)
    width = CONTENT_WIDTH / columns
    t = KitTable(rows, colWidths=[width] * columns, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return t


# --- TLP --------------------------------------------------------------------


def tlp_text(label: str) -> str:
    return f"TLP:{label}"


def draw_tlp(
    canvas, x: float, y: float, label: str, size: float = TLP_TEXT_SIZE, anchor: str = "left"
) -> float:
    """Draw ``TLP:LABEL`` as FIRST TLP 2.0 asks: coloured text on a black box.

    ``y`` is the box's bottom; returns the box width.
    """
    text = tlp_text(label)
    pad = size * 0.45
    width = string_width(text, FONT_BOLD, size) + 2 * pad
    height = size * 1.45
    if anchor == "right":
        x -= width
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.rect(x, y, width, height, stroke=0, fill=1)
    canvas.setFillColor(colors.HexColor(TLP_COLOURS.get(label, "#FFFFFF")))
    canvas.setFont(FONT_BOLD, size)
    canvas.drawString(x + pad, y + height * 0.3, text)
    canvas.restoreState()
    return width


class TLPBox(Flowable):
    """The TLP label as a block on a page (the cover), with its meaning beside it."""

    def __init__(self, label: str, description: str, size: float = 16) -> None:
        super().__init__()
        self.label = label
        self.description = clean(description)
        self.size = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.size * 1.45

    def draw(self) -> None:
        if layout_only(self.canv):
            return
        box = draw_tlp(self.canv, 0, 0, self.label, self.size)
        self.canv.setFont(FONT, 9)
        self.canv.setFillColor(MUTED)
        self.canv.drawString(box + 8, self.size * 0.45, self.description[:110])
