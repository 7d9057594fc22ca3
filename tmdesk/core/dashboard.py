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


def _rate_case(column: pw.Field, rates: dict[str, Decimal]) -> pw.Node:
    """SQL: the euros-per-unit rate of ``column``'s currency (0 when unknown)."""
    return pw.Case(column, [(c, float(r)) for c, r in rates.items()], 0.0)


def _cents_in_eur(amount: pw.Field, currency: pw.Field, rates) -> pw.Node:
    # NodeList keeps peewee from passing the CASE through MoneyField conversions.
    return pw.NodeList((amount, pw.SQL("*"), _rate_case(currency, rates)))


def _eur(cents: float | int | None) -> Decimal:
    return (Decimal(str(cents or 0)) / 100).quantize(Decimal("1"))


def _gaps(user: User | None, rates) -> tuple[dict[str, dict], dict[str, Decimal]]:
    """Unfunded gap of open (pledgeable) projects by category, priority, oblast, recipient."""
    confirmed = (
        Pledge.select(Pledge.project_id.alias("pid"),
                      pw.fn.SUM(_cents_in_eur(Pledge.amount, Pledge.currency, rates))
                      .alias("eur"))
        .where(Pledge.status.in_(CONFIRMED_STATUSES) & Pledge.amount.is_null(False))
        .group_by(Pledge.project_id)
        .alias("conf")
    )
    budget = _cents_in_eur(Project.budget_amount, Project.budget_currency, rates)
    rows = (
        visible_projects(user, Project.select(
            Project.category, Project.priority, Project.oblast, Project.recipient_id,
            budget.alias("budget"), pw.fn.COALESCE(confirmed.c.eur, 0).alias("conf")))
        .join(confirmed, pw.JOIN.LEFT_OUTER, on=(confirmed.c.pid == Project.id))
        .where(Project.status.in_(PLEDGEABLE_STATUSES))
        .tuples()
    )
    groups: dict[str, dict] = {k: defaultdict(float) for k in
                               ("category", "priority", "oblast", "recipient")}
    total_budget = total_conf = total_gap = 0.0
    by_cat, by_pri, by_obl, by_rec = (groups["category"], groups["priority"],
                                      groups["oblast"], groups["recipient"])
    for cat, pri, obl, rec, bud, conf in rows:
        bud = bud or 0.0
        gap = bud - conf if bud > conf else 0.0
        total_budget += bud
        total_conf += conf
        total_gap += gap
        by_cat[cat] += gap
        by_pri[pri] += gap
        by_obl[obl] += gap
        by_rec[rec] += gap
    totals = {"budget": _eur(total_budget), "confirmed": _eur(total_conf),
              "gap": _eur(total_gap)}
    return groups, totals


def _by_donor(user: User | None, rates) -> list[DonorRow]:
    eur = _cents_in_eur(Pledge.amount, Pledge.currency, rates)
    rows = (
        Pledge.select(Pledge.donor_id, Pledge.status, pw.fn.SUM(eur))
        .join(Project, on=(Pledge.project == Project.id))
        .where(visibility_condition(user) & Pledge.amount.is_null(False))
        .group_by(Pledge.donor_id, Pledge.status)
        .tuples()
    )
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for donor_id, status, total in rows:
        if status in PLEDGED_STATUSES:
            sums[donor_id]["pledged"] += total or 0
        if status in CONFIRMED_STATUSES:
            sums[donor_id]["confirmed"] += total or 0
        if status in ("disbursed", "delivered"):
            sums[donor_id]["disbursed"] += total or 0
    if not sums:
        return []
    orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(sums)))}
    out = [DonorRow(orgs[d].code, orgs[d].name_en, _eur(s["pledged"]), _eur(s["confirmed"]),
                    _eur(s["disbursed"])) for d, s in sums.items()]
    out.sort(key=lambda r: (-r.pledged, r.code))
    return out


def _sorted(group: dict, order) -> list[tuple[str, Decimal]]:
    return [(code, _eur(group[code])) for code in order if group.get(code)]


def build(user: User | None, locale: str = "en", now: dt.datetime | None = None) -> Dashboard:
    """The dashboard ``user`` may see."""
    full = is_officer(user)
    board = Dashboard(full=full)
    if user is None:
        return board
    rates = exchange_rates()
    groups, board.totals = _gaps(user, rates)
    board.gap_by_category = _sorted(groups["category"], CATEGORIES)
    board.gap_by_priority = _sorted(groups["priority"], PRIORITIES)
    board.gap_by_oblast = sorted(_sorted(groups["oblast"], OBLASTS), key=lambda r: -r[1])
    board.by_donor = _by_donor(user, rates)
    counts = dict(visible_projects(user, Project.select(Project.status, pw.fn.COUNT(Project.id)))
                  .group_by(Project.status).tuples())
    board.pipeline = [(s, counts.get(s, 0)) for s in PROJECT_STATUSES if counts.get(s)]
    if not full:
        return board
    rec = groups["recipient"]
    if rec:
        orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(rec)))}
        board.gap_by_recipient = sorted(
            ((orgs[i].code, orgs[i].name(locale), _eur(v)) for i, v in rec.items() if v),
            key=lambda r: -r[2])
    queue = review_queue(visible_projects(user))
    board.review_count = queue.count()
    now = now or utcnow()
    board.review_waiting = [(p, age_in_days(p.submitted_at, now)) for p in queue.limit(15)]
    unmatched = visible_offers(user, Offer.select()).where(
        (Offer.status == "open")
        & Offer.id.not_in(OfferLink.select(OfferLink.offer))
        & Offer.id.not_in(Pledge.select(Pledge.offer).where(Pledge.offer.is_null(False))))
    board.offers_unmatched_count = unmatched.count()
    board.offers_unmatched = list(unmatched.order_by(Offer.created_at, Offer.id).limit(10))
    for project, _days in board.review_waiting[:DUPLICATE_SCAN]:
        for cand in similarity.similar_projects(user, project, limit=3, use_index=False,
                                                min_score=similarity.ALARM_THRESHOLD):
            board.duplicates.append((project, cand))
    return board
