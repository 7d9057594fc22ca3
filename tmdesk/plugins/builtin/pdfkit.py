"""Shared building blocks of the built-in PDF formats (reportlab).

Everything a tmdesk PDF needs and must get right the same way every time:

* fonts: DejaVu Sans (Cyrillic) is registered and used in every style, table
  and chart label; the canvas starts in it too, so no base-14 font (Helvetica)
  ever enters the file and ``pdffonts`` lists only embedded fonts;
* labels: :func:`translate` looks static labels up in the tmdesk message
  catalogue for the report's locale;
* escaping: :func:`esc` turns user text into safe Paragraph markup;
* the page furniture: the pack's TLP label in FIRST TLP 2.0 colours (coloured
  text on black, 12 pt) in the header and the footer of every page, and
  "page X of Y";
* :class:`ReportDoc`: an A4 document with title, language, PDF outline
  (bookmarks) and table of contents;
* tables, a funding bar and bar charts in the house style.

A partner writing a PDF plugin may import this module, but it is not part of
the documented plugin contract and may change.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape as _xml_escape  # nosec B406: escape() quotes text for reportlab markup; nothing is parsed

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from tmdesk.plugins.contract import (
    FIGURE_DEFINITIONS,
    FUNDING_STATES,
    N_,
    PRIORITIES,
    PROJECT_STATUSES,
    TLP_COLOURS,
    TLP_DESCRIPTIONS,
    DonorTotals,
    FundingView,
    PledgeView,
    ProjectView,
    Requester,
    Totals,
    UpdateView,
    highest_tlp,
    tlp_setters,
    xml_safe,
)

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_DIR = Path(__file__).resolve().parents[2] / "fonts"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "translations"

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


# --- fonts ------------------------------------------------------------------


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


def text_width(text: str, size: float, bold: bool = False) -> float:
    register_fonts()
    return pdfmetrics.stringWidth(text, FONT_BOLD if bold else FONT, size)


# --- labels -----------------------------------------------------------------


@functools.cache
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translate(locale: str, text: str) -> str:
    """``text`` (an English label marked with ``N_``) in ``locale``.

    The tmdesk message catalogue (Babel, ``tmdesk/translations``) holds every
    label of the built-in PDFs (issue 11: no table of its own here); a label it
    does not translate stays in English.
    """
    if locale == "en" or not text:
        return text
    return _catalogue(locale).gettext(text)


def translator(locale: str) -> Callable[[str], str]:
    """A one-argument ``translate`` bound to ``locale`` (the ``t`` of the renderers)."""
    return functools.partial(translate, locale)


# --- text -------------------------------------------------------------------


def clean(text: Any) -> str:
    """User text as a plain string: what XML forbids removed (Paragraph markup is XML)."""
    if text is None:
        return ""
    return xml_safe(str(text)).replace("\r\n", "\n").replace("\r", "\n")


def esc(text: Any, max_length: int | None = None) -> str:
    """User text made safe for Paragraph markup (``&``, ``<``, ``>`` and quotes escaped).

    Line breaks become ``<br/>``; ``max_length`` cuts overly long text with an ellipsis.
    """
    value = clean(text)
    if max_length is not None and len(value) > max_length:
        value = value[: max_length - 1].rstrip() + "…"
    value = _xml_escape(value, {'"': "&quot;", "'": "&#39;"})
    return value.replace("\n", "<br/>")


def shorten(text: str, length: int) -> str:
    text = clean(text).replace("\n", " ")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- numbers and dates ------------------------------------------------------


def money(value: Decimal | float | int | None, locale: str, currency: str = "EUR") -> str:
    """A whole amount with its currency: ``€1,234,567`` / ``1 234 567 €``."""
    if value is None:
        return "–"
    whole = int(round(Decimal(value)))
    # Grouping by hand: Babel's formatter is exact but slow, and a pack prints
    # tens of thousands of amounts. en: 1,234,567; uk: 1 234 567 (no-break spaces).
    amount = f"{whole:,}" if locale == "en" else f"{whole:,}".replace(",", "\u00a0")
    symbol = "€" if currency == "EUR" else currency
    if locale == "en" and currency == "EUR":
        return f"{symbol}{amount}" if value >= 0 else f"-{symbol}{amount.lstrip('-')}"
    return f"{amount}\u00a0{symbol}"


def compact_money(value: float, locale: str) -> str:
    """Short axis labels: 250k, 1.2M (uk: 250 тис., 1,2 млн)."""
    value = float(value)
    if abs(value) >= 1_000_000:
        number = format_decimal(round(value / 1_000_000, 1), locale=locale)
        return f"{number}\u00a0млн" if locale == "uk" else f"{number}M"
    if abs(value) >= 1_000:
        number = format_decimal(round(value / 1_000), locale=locale)
        return f"{number}\u00a0тис." if locale == "uk" else f"{number}k"
    return format_decimal(round(value), locale=locale)


def number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def date(value: dt.date | dt.datetime | None, locale: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, "d MMM y", locale=locale)


def timestamp(value: dt.datetime, locale: str) -> str:
    """A UTC timestamp as shown on covers: ``22 Nov 2026, 19:12 UTC``."""
    return format_datetime(value, "d MMM y, HH:mm", locale=locale) + " UTC"


def percent(part: Decimal, whole: Decimal) -> int:
    if not whole:
        return 0
    return int(round(part * 100 / whole))


# --- styles -----------------------------------------------------------------


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


# --- the layout pass ----------------------------------------------------------
#
# A table of contents and "page X of Y" need the page numbers of a finished
# layout, so the document is built twice. The first pass only has to lay the
# pages out: drawing is most of the cost, and nothing drawn in it is kept. The
# flowables below skip drawing on a canvas marked ``layout_only`` (a plain
# reportlab flowable on such a canvas still draws: that is only slower).


def _layout_only(canvas) -> bool:
    return getattr(canvas, "layout_only", False)


class _SkipsLayoutPass:
    """Mixin for a reportlab flowable: ``drawOn`` does nothing in the layout pass."""

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 - reportlab's name
        if not _layout_only(canvas):
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
        if _layout_only(self.canv):
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
        and pdfmetrics.stringWidth(text_markup, st.fontName, st.fontSize)
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


# --- tables -----------------------------------------------------------------


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


CELL_SIZE = 8
HEAD_SIZE = 7.5
CELL_PAD = 4
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


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Plain text broken into lines no wider than ``width`` (words longer than a
    line are cut), for the flowables that draw strings themselves."""
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        for line in simpleSplit(paragraph, font, size, width) or [""]:
            while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                    cut = max(1, int(cut * 0.8))
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return lines


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
        if _layout_only(self.canv):
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
    width = pdfmetrics.stringWidth(text, FONT_BOLD, size) + 2 * pad
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
        if _layout_only(self.canv):
            return
        box = draw_tlp(self.canv, 0, 0, self.label, self.size)
        self.canv.setFont(FONT, 9)
        self.canv.setFillColor(MUTED)
        self.canv.drawString(box + 8, self.size * 0.45, self.description[:110])


# --- charts and bars --------------------------------------------------------


class FundingBar(Flowable):
    """A horizontal bar: disbursed, confirmed and offered money against the budget."""

    HEIGHT = 12

    def __init__(self, funding: FundingView, locale: str) -> None:
        super().__init__()
        self.funding = funding
        self.locale = locale

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.HEIGHT + 26

    def draw(self) -> None:
        if _layout_only(self.canv):
            return
        c, f, t = self.canv, self.funding, translator(self.locale)
        budget = f.budget_eur or Decimal(1)
        top = 26
        scale = max(budget, f.pledged_eur, Decimal(1))
        width = self.width

        def seg(value: Decimal) -> float:
            return float(min(value, scale) / scale) * width

        c.saveState()
        c.setFillColor(BAR_BACK)
        c.rect(0, top - self.HEIGHT + 12, seg(budget), self.HEIGHT, stroke=0, fill=1)
        for value, colour in (
            (f.pledged_eur, OFFERED),
            (f.confirmed_eur, CONFIRMED),
            (f.disbursed_eur, DISBURSED),
        ):
            if value > 0:
                c.setFillColor(colour)
                c.rect(0, top - self.HEIGHT + 12, seg(value), self.HEIGHT, stroke=0, fill=1)
        if f.pledged_eur > budget and f.budget_eur:
            c.setStrokeColor(INK)
            c.setLineWidth(1)
            x = seg(budget)
            c.line(x, top - self.HEIGHT + 10, x, top + 14)
        c.setFillColor(INK)
        c.setFont(FONT_BOLD, 8.5)
        c.drawString(
            0,
            11,
            t(N_("Confirmed %(confirmed)s of %(budget)s (%(percent)s%%)"))
            % {
                "confirmed": money(f.confirmed_eur, self.locale),
                "budget": money(f.budget_eur, self.locale),
                "percent": percent(f.confirmed_eur, f.budget_eur),
            },
        )
        c.setFont(FONT, 8)
        c.setFillColor(MUTED)
        c.drawString(
            0,
            1,
            t(N_("pledged %(pledged)s · disbursed %(disbursed)s · gap %(gap)s"))
            % {
                "pledged": money(f.pledged_eur, self.locale),
                "disbursed": money(f.disbursed_eur, self.locale),
                "gap": money(f.gap_eur, self.locale),
            },
        )
        c.restoreState()


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Sequence[float | Decimal]],
    series_names: Sequence[str],
    locale: str,
    *,
    money_axis: bool = True,
    width: float = CONTENT_WIDTH,
    bar_height: float = 13,
    series_colours: Sequence[Any] | None = None,
    title: str = "",
) -> Drawing:
    """A horizontal bar chart, one row per label, with a legend when several series.

    Every string in it (axis labels, legend, title) is set in DejaVu Sans.
    """
    register_fonts()
    labels = [shorten(label, 42) for label in labels]
    n = max(len(labels), 1)
    label_size = 7.5
    label_width = max((text_width(lbl, label_size) for lbl in labels), default=40) + 8
    label_width = min(label_width, width * 0.45)
    group = bar_height * len(series) + 6
    plot_height = group * n
    legend_height = 16 if len(series) > 1 else 0
    title_height = 18 if title else 0
    axis_height = 16
    height = plot_height + legend_height + title_height + axis_height + 4
    drawing = KitDrawing(width, height)
    # The renderer starts every drawing in its default font (Helvetica) unless
    # told otherwise; that alone would put a non-embedded font in the file.
    drawing.initialFontName = FONT
    drawing.initialFontSize = label_size
    if title:
        drawing.add(
            String(
                0, height - 12, shorten(title, 90), fontName=FONT_BOLD, fontSize=9.5, fillColor=INK
            )
        )
    chart = HorizontalBarChart()
    chart.x = label_width
    chart.y = axis_height + legend_height
    chart.width = width - label_width - 30
    chart.height = plot_height
    # reportlab draws the first category, and in a group the first series, at
    # the bottom: reverse both so the chart reads top to bottom like the legend.
    chart.data = [list(reversed([float(v) for v in s])) for s in reversed(series)]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = label_size
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = RULE
    chart.categoryAxis.visibleTicks = False
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.valueAxis.valueMin = 0
    top = max((float(v) for s in series for v in s), default=0)
    if top <= 0:
        chart.valueAxis.valueMax = 1
    if money_axis:
        chart.valueAxis.labelTextFormat = lambda v: compact_money(v, locale)
    else:
        chart.valueAxis.labelTextFormat = lambda v: number(int(v), locale) if v == int(v) else ""
    chart.valueAxis.forceZero = True
    chart.barSpacing = 1
    chart.groupSpacing = 6
    chart.barWidth = bar_height
    chart.bars.strokeWidth = 0
    chart.bars.strokeColor = None
    palette = list(series_colours or SERIES)
    for i in range(len(series)):
        chart.bars[len(series) - 1 - i].fillColor = palette[i % len(palette)]
        chart.bars[len(series) - 1 - i].strokeColor = None
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6.5
    chart.barLabels.fillColor = INK
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabelFormat = (  # no label on an empty bar
        (lambda v: compact_money(v, locale) if v else "")
        if money_axis
        else (lambda v: number(int(v), locale) if v else "")
    )
    drawing.add(chart)
    if len(series) > 1:
        legend = Legend()
        legend.fontName = FONT
        legend.fontSize = 7.5
        legend.alignment = "right"
        legend.x = label_width
        legend.y = 8
        legend.dx = 8
        legend.dy = 8
        legend.deltax = 80
        legend.columnMaximum = 1
        legend.boxAnchor = "w"
        legend.strokeWidth = 0
        legend.colorNamePairs = [
            (palette[i % len(palette)], shorten(name, 40)) for i, name in enumerate(series_names)
        ]
        drawing.add(legend)
    return drawing


# --- the document -----------------------------------------------------------


class PageCount(Invisible):
    """Counts the pages of a build so the next pass can print "page X of Y".

    It is an *indexing* flowable: ``multiBuild`` keeps building until it is
    satisfied, i.e. the count it printed equals the pages there were. The
    table of contents needs a second pass anyway, so the count comes free.
    """

    def __init__(self) -> None:
        super().__init__()
        self.printed: int | None = None
        self.counted: int | None = None

    def isIndexing(self) -> int:  # noqa: N802 - reportlab's name
        return 1

    def isSatisfied(self) -> int:  # noqa: N802
        return int(self.printed is not None and self.printed == self.counted)

    def beforeBuild(self) -> None:  # noqa: N802
        if self.counted is not None:
            self.printed = self.counted

    def afterBuild(self) -> None:  # noqa: N802
        pass

    def notify(self, kind: str, stuff: Any) -> None:
        pass


class ReportDoc(BaseDocTemplate):
    """An A4 tmdesk PDF: TLP header and footer on every page, outline, ToC, "page X of Y".

    Put :attr:`page_count` somewhere in the story (``build`` does it for you).
    """

    def __init__(
        self,
        out: BinaryIO,
        *,
        title: str,
        subtitle: str,
        tlp: str,
        locale: str,
        author: str = "",
        subject: str = "",
    ) -> None:
        register_fonts()
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=clean(title),
            author=clean(author),
            subject=clean(subject),
            creator="tmdesk",
            lang="uk-UA" if locale == "uk" else "en-GB",
            displayDocTitle=1,
            initialFontName=FONT,
            initialFontSize=10,
            initialLeading=12,
        )
        self.doc_title = clean(title)
        self.doc_subtitle = clean(subtitle)
        self.tlp = tlp
        self.locale = locale
        self.t = translator(locale)
        self.page_count = PageCount()
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas, doc) -> None:
        """Header and footer: the TLP label (both), title, page X of Y."""
        if _layout_only(canvas):
            return
        canvas.saveState()
        top = PAGE_HEIGHT - 14 * mm
        tlp_width = draw_tlp(canvas, PAGE_WIDTH - MARGIN_X, top - 3, self.tlp, anchor="right")
        canvas.setFont(FONT_BOLD, 8.5)
        canvas.setFillColor(ACCENT)
        room = PAGE_WIDTH - 2 * MARGIN_X - tlp_width - 12
        canvas.drawString(MARGIN_X, top + 5, _fit(self.doc_title, FONT_BOLD, 8.5, room))
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, top - 4, _fit(self.doc_subtitle, FONT, 7.5, room))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, top - 8, PAGE_WIDTH - MARGIN_X, top - 8)
        bottom = 9 * mm
        canvas.line(MARGIN_X, bottom + 22, PAGE_WIDTH - MARGIN_X, bottom + 22)
        draw_tlp(canvas, MARGIN_X, bottom, self.tlp)
        pages = self.page_count.printed
        canvas.setFont(FONT, 9)
        canvas.setFillColor(INK)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN_X,
            bottom + 5,
            self.t(N_("page %(page)d of %(pages)d")) % {"page": doc.page, "pages": pages or 0},
        )
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        outline = getattr(flowable, "outline", None)
        if outline is None:
            return
        level, text, toc = outline
        key = f"bm{id(flowable)}"  # the same flowable in every pass: a stable key
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        if toc:
            self.notify("TOCEntry", (level, text, self.page, key))

    def _endBuild(self) -> None:  # noqa: N802 - reportlab's name
        super()._endBuild()
        self.page_count.counted = self.page

    def _make_canvas(self, *args: Any, **kwargs: Any):
        canvas = _OutlineCanvas(*args, **kwargs)
        # The first pass only lays out; a second one always follows (the page
        # count is unknown until the first has ended).
        canvas.layout_only = self.page_count.counted is None
        return canvas

    def render(self, story: list[Flowable]) -> int:
        """Build (as many passes as the ToC and page count need); returns the passes.

        Any table of contents in ``story`` starts with its entries' texts, so
        the layout pass already gives it its final length and two passes do.
        """
        story = [self.page_count, *story]
        seed = [
            (f.outline[0], f.outline[1], 0, f"bm{id(f)}")
            for f in story
            if getattr(f, "outline", None) and f.outline[2]
        ]
        for flowable in story:
            if isinstance(flowable, Contents):
                flowable._entries = list(seed)
        return self.multiBuild(story, maxPasses=5, canvasmaker=self._make_canvas)


def _fit(text: str, font: str, size: float, room: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _outline_canvas_class():
    from reportlab.pdfgen.canvas import Canvas

    class OutlineCanvas(Canvas):
        """Opens the outline (bookmarks) pane when the PDF is opened."""

        def save(self) -> None:
            self.showOutline()
            super().save()

    return OutlineCanvas


_OutlineCanvas = _outline_canvas_class()


class Contents(Flowable):
    """A table of contents: one line per entry (dot leaders, page number, link).

    It is an indexing flowable like reportlab's TableOfContents (entries come
    from ``notify("TOCEntry", (level, text, page, key))``; ``multiBuild``
    rebuilds until they stop changing), but it draws its lines directly and
    cuts a long title with an ellipsis rather than wrapping it: a thousand
    entries must not cost a thousand parsed paragraphs per pass. Entry texts
    are plain (not markup).
    """

    def __init__(self, entries: list | None = None, *, _part: bool = False) -> None:
        super().__init__()
        self._entries: list[tuple[int, str, int, str | None]] = list(entries or [])
        self._last: list[tuple[int, str, int, str | None]] = list(entries or [])
        self._part = _part

    # the indexing protocol -------------------------------------------------
    def isIndexing(self) -> int:  # noqa: N802 - reportlab's names
        return 0 if self._part else 1

    def isSatisfied(self) -> bool:  # noqa: N802
        return self._entries == self._last

    def beforeBuild(self) -> None:  # noqa: N802
        self._last = list(self._entries)
        self._entries = []

    def afterBuild(self) -> None:  # noqa: N802
        pass

    def notify(self, kind: str, stuff: Any) -> None:
        if kind == "TOCEntry":
            level, text, page = stuff[:3]
            key = stuff[3] if len(stuff) > 3 else None
            self._entries.append((level, text, page, key))

    # layout -----------------------------------------------------------------
    def _line_height(self, level: int) -> float:
        st = styles()["toc0" if level == 0 else "toc1"]
        return st.leading + (st.spaceBefore if level == 0 else 0)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = sum(self._line_height(e[0]) for e in self._last) or 1
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        used, n = 0.0, 0
        for entry in self._last:
            h = self._line_height(entry[0])
            if used + h > avail_height:
                break
            used += h
            n += 1
        if n == 0 or n == len(self._last):
            return []
        return [Contents(self._last[:n], _part=True), Contents(self._last[n:], _part=True)]

    def draw(self) -> None:
        if _layout_only(self.canv):
            return
        c = self.canv
        y = self.height
        for level, text, page, key in self._last:
            st = styles()["toc0" if level == 0 else "toc1"]
            y -= self._line_height(level)
            baseline = y + st.leading - st.fontSize
            indent = st.leftIndent
            number = str(page)
            number_width = pdfmetrics.stringWidth(number, st.fontName, st.fontSize)
            room = self.width - indent - number_width - 24
            label = _fit(clean(text), st.fontName, st.fontSize, room)
            c.setFont(st.fontName, st.fontSize)
            c.setFillColor(st.textColor)
            c.drawString(indent, baseline, label)
            c.drawRightString(self.width, baseline, number)
            if level > 0:
                start = indent + pdfmetrics.stringWidth(label, st.fontName, st.fontSize) + 6
                dot = pdfmetrics.stringWidth(" .", st.fontName, st.fontSize)
                count = int((self.width - number_width - 6 - start) / dot)
                if count > 0:
                    c.setFillColor(MUTED)
                    c.drawRightString(self.width - number_width - 4, baseline, " ." * count)
            if key:
                c.linkRect(
                    "", key, (indent, y, self.width, y + st.leading), relative=1, thickness=0
                )


def toc(locale: str) -> Contents:
    """A table of contents in the house style (levels 0 and 1)."""
    return Contents()


# --- blocks the built-in reports share ----------------------------------------

#: What the amounts of a report mean (printed under its figures).
AMOUNTS_NOTE = N_(
    "Amounts are in euros at the desk's exchange rates. Funding counts confirmed, "
    "disbursed and delivered pledges; the gap is what the budget still lacks."
)


def plain(text: str, style: str = "body") -> Flowable:
    """A paragraph of plain (user or label) text: :func:`para` of :func:`esc`."""
    return para(esc(text), style)


def label_of(t: Callable[[str], str], vocabulary: dict[str, str], code: str) -> str:
    """The translated label of ``code`` in a vocabulary (the code itself if unknown)."""
    return t(vocabulary.get(code, code))


def cover_head(
    t: Callable[[str], str], title: str, subtitle: str, tlp: str, tlp_size: float = 16
) -> list[Flowable]:
    """The top of a cover: "Tallinn Mechanism", the title, a subtitle (all plain
    text) and the TLP label with its meaning."""
    return [
        plain(t(N_("Tallinn Mechanism")), "cover_kicker"),
        heading(title, 0, "cover_title", toc=False),
        plain(subtitle, "cover_subtitle"),
        TLPBox(tlp, t(TLP_DESCRIPTIONS.get(tlp, "")), size=tlp_size),
    ]


def report_subtitle(t: Callable[[str], str], generated_at: dt.datetime, locale: str) -> str:
    """The page header's second line: "Tallinn Mechanism · 22 Nov 2026, 19:12 UTC"."""
    return f"{t(N_('Tallinn Mechanism'))} · {timestamp(generated_at, locale)}"


def requester_text(requester: Requester | None, locale: str) -> str:
    """Who asked for the report: "name (organisation) · email", or "tmdesk"."""
    if requester is None:
        return "tmdesk"
    name = requester.name or requester.email
    return f"{name} ({requester.organisation.name(locale)}) · {requester.email}"


def totals_figures(totals: Totals, locale: str, t: Callable[[str], str]) -> Table:
    """The six key figures of a selection, each with its one-line definition (the
    app's one set of figures): open projects, budget, pledged, confirmed, disbursed, gap."""
    d = FIGURE_DEFINITIONS
    return figures(
        [
            (t(N_("Open for support")), number(totals.open_projects, locale), t(d["open"])),
            (t(N_("Budget")), money(totals.budget_eur, locale), t(d["budget"])),
            (t(N_("Pledged")), money(totals.pledged_eur, locale), t(d["pledged"])),
            (t(N_("Confirmed")), money(totals.confirmed_eur, locale), t(d["confirmed"])),
            (t(N_("Disbursed")), money(totals.disbursed_eur, locale), t(d["disbursed"])),
            (t(N_("Gap")), money(totals.gap_eur, locale), t(d["gap"])),
        ]
    )


#: How many references :func:`tlp_line` names before "and N more".
TLP_LINE_REFS = 12


def tlp_line(projects: Sequence[ProjectView], t: Callable[[str], str]) -> str:
    """Which projects set the pack's label: "TLP:AMBER because of TM-2026-0003, …"."""
    refs = tlp_setters(projects)
    if not refs:
        return ""
    label = highest_tlp(p.tlp for p in projects)
    shown = ", ".join(refs[:TLP_LINE_REFS])
    if len(refs) > TLP_LINE_REFS:
        shown += " " + t(N_("and %(count)d more")) % {"count": len(refs) - TLP_LINE_REFS}
    return t(N_("TLP:%(label)s is set by: %(refs)s.")) % {"label": label, "refs": shown}


#: Marks text shown in English packs that exists only in Ukrainian.
UK_ONLY = N_("in Ukrainian only")


def title_of(p: ProjectView, locale: str, t: Callable[[str], str]) -> str:
    """A project's title in ``locale``; in English, a title that exists only in
    Ukrainian is marked so the reader knows why it is not translated."""
    if locale == "en" and not (p.title_en or "").strip() and p.title_uk:
        return f"{p.title_uk} [{t(UK_ONLY)}]"
    return p.title(locale)


def summary_only_in_ukrainian(p: ProjectView, locale: str) -> bool:
    """Whether an English pack shows ``p``'s summary in Ukrainian (no English one)."""
    return locale == "en" and not (p.summary_en or "").strip() and bool(p.summary_uk)


def in_kind_text(pledge: PledgeView) -> str:
    """What a pledge gives in kind, with its quantity: "200 × Starlink terminal"."""
    what = pledge.in_kind or ""
    return f"{pledge.in_kind_quantity} × {what}" if what and pledge.in_kind_quantity else what


def update_byline(update: UpdateView, t: Callable[[str], str]) -> str:
    """Markup that follows an update's heading: " · Progress 40% · author"."""
    line = ""
    if update.progress is not None:
        line += f" · {esc(t(N_('Progress')))} {update.progress}%"
    return line + f" · {esc(update.author)}"


#: The columns :func:`project_table` can show: header label, the cell of a
#: project (given the locale and the translator), right-aligned or not.
PROJECT_COLUMNS: dict[str, tuple[str, Callable[..., str], bool]] = {
    "ref": (N_("Reference"), lambda p, locale, t: p.ref, False),
    "tlp": (N_("TLP label"), lambda p, locale, t: p.tlp, False),
    "recipient": (N_("Recipient"), lambda p, locale, t: p.recipient.code, False),
    "status": (
        N_("Status"),
        lambda p, locale, t: label_of(t, PROJECT_STATUSES, p.status),
        False,
    ),
    "funding_state": (
        N_("Funding state"),
        lambda p, locale, t: label_of(t, FUNDING_STATES, p.funding.state),
        False,
    ),
    "priority": (N_("Priority"), lambda p, locale, t: label_of(t, PRIORITIES, p.priority), False),
    "budget": (N_("Budget"), lambda p, locale, t: money(p.funding.budget_eur, locale), True),
    "confirmed": (
        N_("Confirmed"),
        lambda p, locale, t: money(p.funding.confirmed_eur, locale),
        True,
    ),
    "gap": (N_("Gap"), lambda p, locale, t: money(p.funding.gap_eur, locale), True),
}


#: The money series :func:`donor_chart` can show, by name.
DONOR_SERIES: dict[str, str] = {
    "pledged": N_("Pledged"),
    "confirmed": N_("Confirmed"),
    "disbursed": N_("Disbursed"),
}


def donor_chart(
    donors: Sequence[DonorTotals],
    series: Sequence[str],
    locale: str,
    t: Callable[[str], str],
    **chart_options: Any,
) -> Drawing:
    """A bar chart of money per donor, one bar per :data:`DONOR_SERIES` name in
    ``series`` (``chart_options`` go to :func:`bar_chart`)."""
    return bar_chart(
        [d.donor.name(locale) for d in donors],
        [[getattr(d, f"{name}_eur") for d in donors] for name in series],
        [t(DONOR_SERIES[name]) for name in series],
        locale,
        bar_height=8,
        **chart_options,
    )


def project_table(
    projects: Iterable[ProjectView],
    columns: Sequence[str],
    widths: Sequence[float],
    locale: str,
    t: Callable[[str], str],
    *,
    title_length: int | None = None,
) -> Table:
    """A table of projects, one row each, reference in bold and money right-aligned.

    ``columns`` names :data:`PROJECT_COLUMNS` plus ``"title"`` (in ``locale``,
    shortened to ``title_length`` characters when given).
    """

    def title(p: ProjectView, locale: str, t: Callable[[str], str]) -> str:
        text = title_of(p, locale, t)
        return text if title_length is None else shorten(text, title_length)

    chosen = [(N_("Title"), title, False) if c == "title" else PROJECT_COLUMNS[c] for c in columns]
    return table(
        [t(label) for label, _, _ in chosen],
        [tuple(cell(p, locale, t) for _, cell, _ in chosen) for p in projects],
        widths,
        right=tuple(i for i, (_, _, right) in enumerate(chosen) if right),
        bold_first=True,
        t=t,
    )


def donor_table(
    donors: Iterable[DonorTotals],
    widths: Sequence[float],
    locale: str,
    t: Callable[[str], str],
    *,
    with_code: bool = False,
    extra: tuple[str, Callable[[DonorTotals], str]] | None = None,
) -> Table:
    """Money per donor: projects, pledged, confirmed, disbursed, and an ``extra``
    column when given (its header label, translated here, and the cell of a donor)."""
    header = [N_("Donor"), N_("Projects"), N_("Pledged"), N_("Confirmed"), N_("Disbursed")]
    if extra is not None:
        header.append(extra[0])
    rows = []
    for d in donors:
        name = d.donor.name(locale)
        row = [
            f"{name} ({d.donor.code})" if with_code else name,
            number(d.projects, locale),
            money(d.pledged_eur, locale),
            money(d.confirmed_eur, locale),
            money(d.disbursed_eur, locale),
        ]
        if extra is not None:
            row.append(extra[1](d))
        rows.append(tuple(row))
    return table([t(h) for h in header], rows, widths, right=(1, 2, 3, 4), t=t)


__all__ = [
    "CONTENT_WIDTH",
    "FONT",
    "FONT_BOLD",
    "Bookmark",
    "Contents",
    "FundingBar",
    "KeyValues",
    "Label",
    "ReportDoc",
    "TLPBox",
    "bar_chart",
    "clean",
    "compact_money",
    "date",
    "esc",
    "figures",
    "heading",
    "key_values",
    "money",
    "number",
    "para",
    "percent",
    "register_fonts",
    "shorten",
    "styles",
    "table",
    "timestamp",
    "tlp_text",
    "toc",
    "translate",
    "translator",
    "wrap_text",
]
