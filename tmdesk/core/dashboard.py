"""The coordination dashboard: funding gaps at a glance, pipeline, waiting work.

Officers get the full dashboard; everyone else a reduced one (no recipient
breakdown, no review queue, no unmatched offers, no duplicate alarms), and
every figure is computed over ``visible_projects(user)`` / ``visible_offers(user)``
only, so a hidden project never moves a total.

Money is summed in SQL in euros (a CASE over the exchange-rates table) so that
tens of thousands of projects cost a few aggregate queries; the figures are
for display and rounded to whole euros.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from tmdesk.core import similarity
from tmdesk.core.flows import YearFlows, visible_flows
from tmdesk.core.funding import CONFIRMED_STATUSES, PLEDGED_STATUSES, exchange_rates
from tmdesk.core.models import Offer, OfferLink, Organisation, Pledge, Project, User, utcnow
from tmdesk.core.permissions import PLEDGEABLE_STATUSES
from tmdesk.core.projects import age_in_days, review_queue
from tmdesk.core.visibility import (
    is_officer,
    visibility_condition,
    visible_offers,
    visible_projects,
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
    totals: dict[str, Decimal] = field(default_factory=dict)
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


def _rate_case(column: pw.Field, rates: dict[str, Decimal]) -> pw.Node:
    """SQL: the euros-per-unit rate of ``column``'s currency (0 when unknown)."""
    return pw.Case(column, [(c, float(r)) for c, r in rates.items()], 0.0)


def _cents_in_eur(amount: pw.Field, currency: pw.Field, rates) -> pw.Node:
    # NodeList keeps peewee from passing the CASE through MoneyField conversions.
    return pw.NodeList((amount, pw.SQL("*"), _rate_case(currency, rates)))


def _eur(cents: float | int | Decimal | None) -> Decimal:
    return (Decimal(str(cents or 0)) / 100).quantize(Decimal("1"))


def _raw(expr: pw.Function) -> pw.Function:
    """``expr`` as it comes from the database (no MoneyField conversion of a SUM)."""
    return expr.coerce(False)


#: A per-connection scratch table (TEMPORARY: every connection has its own, and it
#: disappears with the connection): each project's confirmed money in euro cents,
#: refilled from the pledges at the start of every :func:`build` and read only by it.
#: Both passes over the projects then look a project's confirmed money up by primary
#: key instead of summing its pledges again (a correlated sum per project per pass).
SCRATCH = "tmdesk_dashboard_confirmed"
_CONFIRMED = pw.Table(SCRATCH, ("project_id", "eur"))


def _fill_confirmed(rates) -> pw.Table:
    """Refill the scratch table from the pledges; return it for joining."""
    db = Pledge._meta.database
    db.execute_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCRATCH} "
        "(project_id INTEGER PRIMARY KEY, eur REAL NOT NULL)"
    )
    db.execute_sql(f"DELETE FROM {SCRATCH}")  # nosec B608: SCRATCH is this module's constant table name
    sums = (
        Pledge.select(
            Pledge.project_id, pw.fn.SUM(_cents_in_eur(Pledge.amount, Pledge.currency, rates))
        )
        .where(Pledge.status.in_(CONFIRMED_STATUSES) & Pledge.amount.is_null(False))
        .group_by(Pledge.project_id)
    )
    sql, params = sums.sql()
    db.execute_sql(f"INSERT INTO {SCRATCH} (project_id, eur) {sql}", params)
    return _CONFIRMED


def _gap(budget: pw.Node, confirmed: pw.Node) -> pw.Node:
    """SQL: the estimate less the confirmed money, never negative."""
    confirmed = pw.fn.COALESCE(confirmed, 0.0)
    return pw.Case(None, [(budget > confirmed, budget - confirmed)], 0.0)


def _project_figures(
    user: User, rates, with_recipients: bool
) -> tuple[dict[str, int], dict[str, dict], dict[str, float]]:
    """Pipeline counts, and the unfunded gap of open (pledgeable) projects by category,
    priority, oblast and (``with_recipients``) recipient, with the budget and gap totals.

    Aggregated in SQL over what ``user`` may see: one pass grouped by status,
    category, priority and oblast (in the order of the ``project_dashboard`` index,
    so nothing is sorted), and one grouped by recipient, each project's confirmed
    money looked up in the scratch table; Python only adds up a few hundred group rows.
    """
    open_ = Project.status.in_(PLEDGEABLE_STATUSES)
    budget = _cents_in_eur(Project.budget_amount, Project.budget_currency, rates)
    confirmed = _fill_confirmed(rates)
    gap = _gap(budget, confirmed.eur)
    rows = (
        visible_projects(
            user,
            Project.select(
                Project.status,
                Project.category,
                Project.priority,
                Project.oblast,
                pw.fn.COUNT(Project.id),
                _raw(pw.fn.SUM(pw.Case(None, [(open_, budget)], 0.0))),
                _raw(pw.fn.SUM(pw.Case(None, [(open_, gap)], 0.0))),
            ).join(confirmed, pw.JOIN.LEFT_OUTER, on=(confirmed.project_id == Project.id)),
        )
        .group_by(Project.status, Project.category, Project.priority, Project.oblast)
        .tuples()
    )
    pipeline: dict[str, int] = defaultdict(int)
    groups: dict[str, dict] = {
        k: defaultdict(float) for k in ("category", "priority", "oblast", "recipient")
    }
    by_cat, by_pri, by_obl = groups["category"], groups["priority"], groups["oblast"]
    total_budget = total_gap = 0.0
    for status, cat, pri, obl, count, bud, gap_sum in rows:
        pipeline[status] += count
        if status in PLEDGEABLE_STATUSES:
            total_budget += bud or 0.0
            total_gap += gap_sum or 0.0
            by_cat[cat] += gap_sum or 0.0
            by_pri[pri] += gap_sum or 0.0
            by_obl[obl] += gap_sum or 0.0
    if with_recipients:
        rows = (
            visible_projects(
                user,
                Project.select(Project.recipient_id, _raw(pw.fn.SUM(gap))).join(
                    confirmed, pw.JOIN.LEFT_OUTER, on=(confirmed.project_id == Project.id)
                ),
            )
            .where(open_)
            .group_by(Project.recipient_id)
            .tuples()
        )
        groups["recipient"].update((rec, gap_sum or 0.0) for rec, gap_sum in rows)
    return pipeline, groups, {"budget": total_budget, "gap": total_gap}


def _pledge_figures(user: User, rates, locale: str = "en") -> tuple[list[DonorRow], Decimal]:
    """Pledged, confirmed and disbursed money by donor, and the confirmed money of
    open projects, over the pledges of projects ``user`` may see.

    Summed exactly in SQL per donor, status and currency (integer cents, in the
    order of the ``pledge_by_donor`` index), converted with the exact rates here.
    """
    open_ = Project.status.in_(PLEDGEABLE_STATUSES)
    rows = (
        Pledge.select(
            Pledge.donor_id,
            Pledge.status,
            Pledge.currency,
            _raw(pw.fn.SUM(Pledge.amount)),
            _raw(pw.fn.SUM(pw.Case(None, [(open_, Pledge.amount)], 0))),
        )
        .join(Project, on=(Pledge.project == Project.id))
        .where(visibility_condition(user) & Pledge.amount.is_null(False))
        .group_by(Pledge.donor_id, Pledge.status, Pledge.currency)
        .tuples()
    )
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    confirmed_open = Decimal(0)
    for donor_id, status, currency, total, total_open in rows:
        rate = rates.get(currency, Decimal(0))
        eur, eur_open = Decimal(int(total or 0)) * rate, Decimal(int(total_open or 0)) * rate
        if status in PLEDGED_STATUSES:
            sums[donor_id]["pledged"] += eur
        if status in CONFIRMED_STATUSES:
            sums[donor_id]["confirmed"] += eur
            confirmed_open += eur_open
        if status in ("disbursed", "delivered"):
            sums[donor_id]["disbursed"] += eur
    if not sums:
        return [], confirmed_open
    orgs = {
        i: (code, (name_uk or name_en) if locale == "uk" else (name_en or name_uk))
        for i, code, name_en, name_uk in Organisation.select(
            Organisation.id, Organisation.code, Organisation.name_en, Organisation.name_uk
        )
        .where(Organisation.id.in_(list(sums)))
        .tuples()
    }
    out = [
        DonorRow(
            orgs[d][0], orgs[d][1], _eur(s["pledged"]), _eur(s["confirmed"]), _eur(s["disbursed"])
        )
        for d, s in sums.items()
    ]
    out.sort(key=lambda r: (-r.pledged, r.code))
    return out, confirmed_open


def _sorted(group: dict, order) -> list[tuple[str, Decimal]]:
    return [(code, _eur(group[code])) for code in order if group.get(code)]


def build(user: User | None, locale: str = "en", now: dt.datetime | None = None) -> Dashboard:
    """The dashboard ``user`` may see."""
    full = is_officer(user)
    board = Dashboard(full=full)
    if user is None:
        return board
    rates = exchange_rates()
    counts, groups, totals = _project_figures(user, rates, with_recipients=full)
    board.by_donor, confirmed = _pledge_figures(user, rates, locale)
    board.money_by_year = visible_flows(user).by_year
    board.totals = {
        "budget": _eur(totals["budget"]),
        "confirmed": _eur(confirmed),
        "gap": _eur(totals["gap"]),
    }
    board.gap_by_category = _sorted(groups["category"], CATEGORIES)
    board.gap_by_priority = _sorted(groups["priority"], PRIORITIES)
    board.gap_by_oblast = sorted(_sorted(groups["oblast"], OBLASTS), key=lambda r: -r[1])
    board.pipeline = [(s, counts.get(s, 0)) for s in PROJECT_STATUSES if counts.get(s)]
    if not full:
        return board
    rec = groups["recipient"]
    if rec:
        orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(rec)))}
        board.gap_by_recipient = sorted(
            ((orgs[i].code, orgs[i].name(locale), _eur(v)) for i, v in rec.items() if v),
            key=lambda r: -r[2],
        )
    queue = review_queue(visible_projects(user))
    board.review_count = queue.count()
    now = now or utcnow()
    board.review_waiting = [(p, age_in_days(p.submitted_at, now)) for p in queue.limit(15)]
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
