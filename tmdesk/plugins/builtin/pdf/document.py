"""The document: an A4 page with the TLP label in its header and footer, the
title, "page X of Y", the PDF outline (bookmarks) and the table of contents."""

from __future__ import annotations

from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
)
from reportlab.platypus.doctemplate import FrameBreak, NullActionFlowable

from tmdesk.plugins.contract import N_

from .flowables import Invisible, draw_tlp, layout_only
from .fonts import FONT, FONT_BOLD, register_fonts, string_width
from .styles import (
    ACCENT,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    styles,
)
from .text import clean, translator

#: The height of the page's one frame (between the header and the footer).
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
#: The least a page is filled before a new section may start on the next one:
#: no page but the last is more than 60% empty (issue 15).
MIN_FILL = 0.45


class SectionBreak(CondPageBreak):
    """Where a new section (a project, the annex) starts: on a new page when this
    one is already filled to :data:`MIN_FILL`, else on this page after a gap, so
    the tail of a long table never sits alone on an otherwise empty page."""

    def __init__(self, gap: float = 8 * mm) -> None:
        super().__init__(FRAME_HEIGHT * (1 - MIN_FILL))
        self.gap = gap

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        frame = self._doctemplateAttr("frame")
        if frame is None:
            return 0, 0
        if availHeight < self.height:
            frame.add_generated_content(FrameBreak)
            return 0, 0
        if getattr(frame, "_atTop", False):
            return 0, 0
        return 0, min(self.gap, availHeight)


class HeadingGroup(KeepTogether):
    """What ``keepWithNext`` makes of a heading and what follows it (the document's
    ``keepTogetherClass``): moved to the next page only when not even the start of
    what follows fits under the heading on this one.

    reportlab's own KeepTogether moves the pair whenever the whole of what follows
    does not fit, so a heading over a long table left most of a page empty.
    """

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803 - reportlab's names
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        content = self._content[:]
        if aH >= self._H:
            return content
        heads, last = content[:-1], content[-1]
        used = 0.0
        for i, f in enumerate(heads):
            used += f.wrapOn(self.canv, aW, aH)[1] + (f.getSpaceBefore() if i else 0)
            used += f.getSpaceAfter()
        room = aH - used - last.getSpaceBefore()
        first = last.splitOn(self.canv, aW, room) if room > 0 else []
        if first and first[0].wrapOn(self.canv, aW, room)[1] <= room:
            return [NullActionFlowable(), *content]
        return [FrameBreak(), *content]


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
            keepTogetherClass=HeadingGroup,
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
        if layout_only(canvas):
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
    if string_width(text, font, size) <= room:
        return text
    while text and string_width(text + "…", font, size) > room:
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
        if layout_only(self.canv):
            return
        c = self.canv
        y = self.height
        for level, text, page, key in self._last:
            st = styles()["toc0" if level == 0 else "toc1"]
            y -= self._line_height(level)
            baseline = y + st.leading - st.fontSize
            indent = st.leftIndent
            number = str(page)
            number_width = string_width(number, st.fontName, st.fontSize)
            room = self.width - indent - number_width - 24
            label = _fit(clean(text), st.fontName, st.fontSize, room)
            c.setFont(st.fontName, st.fontSize)
            c.setFillColor(st.textColor)
            c.drawString(indent, baseline, label)
            c.drawRightString(self.width, baseline, number)
            if level > 0:
                start = indent + string_width(label, st.fontName, st.fontSize) + 6
                dot = string_width(" .", st.fontName, st.fontSize)
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
