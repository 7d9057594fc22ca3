"""Charts in the house style: a project's funding bar and horizontal bar charts,
every string in them set in DejaVu Sans."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.platypus import Flowable

from tmdesk.plugins.contract import N_, FundingView

from .flowables import KitDrawing, layout_only
from .fonts import FONT, FONT_BOLD, register_fonts, text_width
from .styles import (
    BAR_BACK,
    CONFIRMED,
    CONTENT_WIDTH,
    DISBURSED,
    INK,
    MUTED,
    OFFERED,
    RULE,
    SERIES,
)
from .text import compact_money, money, number, percent, shorten, translator


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
        if layout_only(self.canv):
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
