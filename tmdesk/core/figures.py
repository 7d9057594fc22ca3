"""The one set of figures: what "open for support", "pledged", "confirmed",
"disbursed" and "gap" mean, and how they are summed.

Every surface that shows a funding figure (the dashboard page and its API,
the Catalogue's totals, every built-in report through
:mod:`tmdesk.plugins.contract`) gets it from here, so the same selection gives
the same number everywhere (issue 15, "One set of figures"):

* **open for support**: a project that is published or in implementation,
  the statuses donors can still pledge to. Drafts, projects in review,
  returned, rejected, withdrawn, delivered and closed projects never enter a
  money figure (they are still counted in the pipeline by status).
* **budget**: the estimated budgets of the open projects, in euros.
* **pledged**: pledges that are not withdrawn (offered, confirmed, disbursed,
  delivered) on open projects, in euros.
* **confirmed**: confirmed, disbursed and delivered pledges on open projects.
* **disbursed**: disbursed and delivered pledges on open projects.
* **gap**: for each open project, its budget less its confirmed money, never
  below zero, summed. Over-funding of one project does not cover another's
  gap, which is why budget − confirmed can be smaller than the gap.
* **TLP**: a figure counts exactly the projects the user may see
  (:mod:`tmdesk.core.visibility`), whatever their label; a report carries the
  highest label of what it counts.

Money is exact: sums are integer cents per currency, converted with the
``Decimal`` rates of the exchange-rates table; only display rounds.

Committed and disbursed money over time (dated pledge transactions) belongs
in :data:`DISBURSED_STATUSES`'s place: when pledges carry transactions,
:func:`pledge_money` is the one function to change (it decides which money of
a pledge counts as pledged, confirmed and disbursed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import peewee as pw

from tmdesk.core import funding
from tmdesk.core.flows import YearFlows, flows_by_donor, flows_split, quarter
from tmdesk.core.i18n import N_, in_language
from tmdesk.core.models import Organisation, Pledge, Project, Transaction, User
from tmdesk.core.visibility import visibility_condition, visible_with_statuses
from tmdesk.core.vocab import highest_tlp

#: Open for support: the statuses donors can still pledge to.
OPEN_STATUSES = ("published", "in_implementation")
#: Pledges that count as pledged (every one that is not withdrawn) and those whose
#: money is confirmed: the same lists as a project's funding (core.funding), so a
#: partly disbursed or delivered pledge counts for its donor as it does for its project.
PLEDGED_STATUSES = funding.PLEDGED_STATUSES
CONFIRMED_STATUSES = funding.CONFIRMED_STATUSES
#: Pledges whose money has been paid out (or delivered in kind).
DISBURSED_STATUSES = ("disbursed", "delivered")

ZERO = Decimal(0)
EURO = Decimal(1)

#: The one-line definition shown beside each figure on pages and in reports.
DEFINITIONS: dict[str, str] = {
    "open": N_("Open for support: published or in implementation."),
    "projects": N_("Projects open for support (published or in implementation) you may see."),
    "budget": N_("Estimated budgets of the projects open for support, in euros."),
    "pledged": N_(
        "Pledges not withdrawn (offered, confirmed, disbursed) on projects open for support."
    ),
    "confirmed": N_("Confirmed, disbursed and delivered pledges on projects open for support."),
    "disbursed": N_("Money paid out (disbursement transactions) on projects open for support."),
    "gap": N_(
        "Per open project, its budget less its confirmed money, never below zero, "
        "summed: over-funding one project does not close another's gap."
    ),
    "tlp": N_("Counts every project you may see; the label is the highest among them."),
    "over_time": N_(
        "Pledged money by the quarter of the pledge's date and disbursed money by the "
        "quarter it was paid, on every project you may see (delivered and closed ones too)."
    ),
}


def is_open(status: str) -> bool:
    """Whether a project in ``status`` is open for support."""
    return status in OPEN_STATUSES


def project_gap(budget_eur: Decimal, confirmed_eur: Decimal) -> Decimal:
    """One project's gap: budget less confirmed money, never negative."""
    return max(budget_eur - confirmed_eur, ZERO)


def whole_euros(value: Decimal) -> Decimal:
    """``value`` rounded to whole euros, the way every page and report rounds
    (half to even, as ``round`` and ``Decimal.quantize`` do by default)."""
    return value.quantize(EURO, rounding=ROUND_HALF_EVEN)


def pledge_money(status: str, eur: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(pledged, confirmed, disbursed) money of one pledge worth ``eur`` in ``status``.

    The place for dated transactions: when a pledge records committed and
    disbursed amounts by date, this is where they replace the status rule.
    """
    return (
        eur if status in PLEDGED_STATUSES else ZERO,
        eur if status in CONFIRMED_STATUSES else ZERO,
        eur if status in DISBURSED_STATUSES else ZERO,
    )


@dataclass(frozen=True)
class Headline:
    """The headline figures of a set of projects (exact euros)."""

    projects: int = 0
    budget_eur: Decimal = ZERO
    pledged_eur: Decimal = ZERO
    confirmed_eur: Decimal = ZERO
    disbursed_eur: Decimal = ZERO
    gap_eur: Decimal = ZERO

    def rounded(self) -> dict[str, Any]:
        """The figures as shown: whole euros (and the count)."""
        return {
            "projects": self.projects,
            "budget": whole_euros(self.budget_eur),
            "pledged": whole_euros(self.pledged_eur),
            "confirmed": whole_euros(self.confirmed_eur),
            "disbursed": whole_euros(self.disbursed_eur),
            "gap": whole_euros(self.gap_eur),
        }


def headline(projects: Iterable[Any]) -> Headline:
    """The headline figures of ``projects`` (report views or anything with a
    ``status`` and a ``funding`` carrying the euro sums): only those open for
    support count."""
    n = 0
    budget = pledged = confirmed = disbursed = gap = ZERO
    for p in projects:
        if not is_open(p.status):
            continue
        f = p.funding
        n += 1
        budget += f.budget_eur
        pledged += f.pledged_eur
        confirmed += f.confirmed_eur
        disbursed += f.disbursed_eur
        gap += project_gap(f.budget_eur, f.confirmed_eur)
    return Headline(n, budget, pledged, confirmed, disbursed, gap)


# --- the same figures, aggregated in SQL for a user --------------------------


@dataclass
class DonorFigures:
    """One donor's money on the open projects a user may see."""

    donor_id: int
    code: str = ""
    name_en: str = ""
    name_uk: str = ""
    pledged_eur: Decimal = ZERO
    confirmed_eur: Decimal = ZERO
    disbursed_eur: Decimal = ZERO
    #: whether the donor has pledges (with an amount) among the projects counted:
    #: only those are listed
    pledges: bool = False

    def name(self, locale: str = "en") -> str:
        return in_language(self.name_en, self.name_uk, locale)


@dataclass
class Figures:
    """Everything the dashboard shows about money and counts, for one user."""

    headline: Headline = field(default_factory=Headline)
    #: project counts by status (every status the user may see)
    pipeline: dict[str, int] = field(default_factory=dict)
    #: gap in euros by category, priority, oblast and recipient (organisation id)
    gap_by: dict[str, dict[Any, Decimal]] = field(default_factory=dict)
    by_donor: list[DonorFigures] = field(default_factory=list)
    #: (quarter "2026-Q2", pledged, disbursed) in euros over every project the user
    #: may see: pledged by the pledge's date, disbursed by the transactions' value dates
    over_time: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    #: the highest TLP label among the open projects counted: what a printed
    #: dashboard must carry
    tlp: str = "CLEAR"
    #: committed, disbursed and spent money by year over every project the user may
    #: see (the dated transactions, :mod:`tmdesk.core.flows`)
    money_by_year: list[YearFlows] = field(default_factory=list)


GROUPS = ("category", "priority", "oblast", "recipient")


def sum_figures(
    user: User | None,
    rates: dict[str, Decimal],
    with_recipients: bool = True,
    within: pw.Expression | None = None,
) -> Figures:
    """The figures ``user`` may see, summed in SQL and converted exactly here;
    ``within`` narrows the projects counted further (a range of project ids:
    :mod:`tmdesk.core.kept_figures` sums the projects in parts and adds them up).

    Three aggregate queries over what ``user`` may see: the pipeline (projects by
    status), the budgets of open projects by category, priority, oblast (and
    recipient) and currency, and the pledges of open projects by project, donor
    and currency. A project's gap is its budget less what is confirmed for it;
    only the (few) projects with confirmed money need to be looked at one by one.
    """
    out = Figures(gap_by={g: defaultdict(lambda: ZERO) for g in GROUPS})
    if user is None:
        return out
    visible = visibility_condition(user)
    if within is not None:
        visible &= within
    pipeline: dict[str, int] = defaultdict(int)
    labels: set[str] = set()
    for status, tlp, count in (
        Project.select(Project.status, Project.tlp, pw.fn.COUNT(Project.id))
        .where(visible)
        .group_by(Project.status, Project.tlp)
        .tuples()
    ):
        pipeline[status] += count
        if is_open(status):
            labels.add(tlp)
    out.pipeline = dict(pipeline)
    out.tlp = highest_tlp(labels)
    open_ = Project.status.in_(OPEN_STATUSES)
    # The same rule written for the open statuses only: a third of the expression.
    visible_open = visible_with_statuses(user, OPEN_STATUSES)
    if within is not None:
        visible_open &= within
    n_open = 0
    budget_total = ZERO
    keys = [Project.category, Project.priority, Project.oblast]
    gap_by = out.gap_by

    def budgets(columns: list) -> pw.ModelSelect:
        return (
            Project.select(
                *columns,
                Project.budget_currency,
                pw.fn.COUNT(Project.id),
                pw.fn.SUM(Project.budget_amount).coerce(False),
            )
            .where(visible_open)
            .group_by(*columns, Project.budget_currency)
            .tuples()
        )

    for *group, currency, count, cents in budgets(keys):
        eur = _eur(cents, currency, rates)
        n_open += count
        budget_total += eur
        for name, value in zip(GROUPS, group, strict=False):
            gap_by[name][value] += eur
    if with_recipients:
        keys.append(Project.recipient_id)
        for recipient, currency, _count, cents in budgets([Project.recipient_id]):
            gap_by["recipient"][recipient] += _eur(cents, currency, rates)

    # Pledged, confirmed and disbursed money by donor, exact per currency.
    def status_sum(statuses: tuple[str, ...], extra: pw.Expression | None = None) -> pw.Node:
        counted = (
            Pledge.status.in_(statuses) if extra is None else Pledge.status.in_(statuses) & extra
        )
        return pw.fn.SUM(pw.Case(None, [(counted, Pledge.amount)], 0)).coerce(False)

    # A donor's disbursed money, pledge by pledge as the reports count it
    # (core.reporting): what the disbursements of a pledge with transactions paid
    # (added below from core.flows), the amount of a disbursed one without.
    untracked = ~pw.fn.EXISTS(
        Transaction.select(Transaction.id).where(Transaction.pledge == Pledge.id)
    )

    pledges_of_open = (
        Pledge.select()
        .join(Project, on=(Pledge.project == Project.id))
        .where(visible_open & Pledge.amount.is_null(False))
    )
    rows = (
        pledges_of_open.select(
            Pledge.donor_id,
            Pledge.currency,
            status_sum(PLEDGED_STATUSES),
            status_sum(CONFIRMED_STATUSES),
            status_sum(DISBURSED_STATUSES, untracked),
        )
        .group_by(Pledge.donor_id, Pledge.currency)
        .tuples()
    )
    donors: dict[int, DonorFigures] = {}
    pledged = confirmed = disbursed = ZERO
    for donor_id, currency, p_c, c_c, d_c in rows:
        d = donors.get(donor_id)
        if d is None:
            d = donors[donor_id] = DonorFigures(donor_id)
        d.pledges = True
        p_eur, c_eur, d_eur = (
            _eur(p_c, currency, rates),
            _eur(c_c, currency, rates),
            _eur(d_c, currency, rates),
        )
        d.pledged_eur += p_eur
        d.confirmed_eur += c_eur
        d.disbursed_eur += d_eur
        pledged += p_eur
        confirmed += c_eur
        disbursed += d_eur

    # Each project with confirmed money closes (part of) its own gap only: one
    # row per such project and pledge currency.
    confirmed_of: dict[int, Decimal] = defaultdict(lambda: ZERO)
    project_of: dict[int, tuple] = {}
    for pid, *group, b_currency, b_cents, currency, c_c in (
        pledges_of_open.select(
            Project.id,
            *keys,
            Project.budget_currency,
            Project.budget_amount.coerce(False),
            Pledge.currency,
            pw.fn.SUM(Pledge.amount).coerce(False),
        )
        .where(Pledge.status.in_(CONFIRMED_STATUSES))
        .group_by(Project.id, Pledge.currency)
        .tuples()
    ):
        confirmed_of[pid] += _eur(c_c, currency, rates)
        project_of[pid] = (group, _eur(b_cents, b_currency, rates))
    covered_total = ZERO
    for pid, (group, budget) in project_of.items():
        covered = min(confirmed_of[pid], budget)
        covered_total += covered
        for name, value in zip(GROUPS, group, strict=False):
            gap_by[name][value] -= covered

    # What was really paid out: the disbursement transactions (core.flows), the
    # same the reports' projects carry; the same pass gives the money by year
    # and the timeline's disbursements.
    every_year, of_open = flows_split(visible, open_)
    out.over_time = _over_time(visible, rates, every_year.disbursed_by_quarter)
    out.money_by_year = every_year.by_year
    disbursed = of_open.disbursed
    # Each donor's disbursements added to its untracked disbursed pledges (above). A
    # donor is listed for its pledges with an amount; one paid only on others is
    # kept unlisted here, for a sum in parts whose other parts hold those pledges.
    for donor_id, donor_flows in flows_by_donor(visible_open).items():
        donors.setdefault(donor_id, DonorFigures(donor_id)).disbursed_eur += donor_flows.disbursed
    out.headline = Headline(
        projects=n_open,
        budget_eur=budget_total,
        pledged_eur=pledged,
        confirmed_eur=confirmed,
        disbursed_eur=disbursed,
        gap_eur=budget_total - covered_total,
    )
    if donors:
        for i, code, name_en, name_uk in (
            Organisation.select(
                Organisation.id, Organisation.code, Organisation.name_en, Organisation.name_uk
            )
            .where(Organisation.id.in_(list(donors)))
            .tuples()
        ):
            donors[i].code, donors[i].name_en, donors[i].name_uk = code, name_en, name_uk
    out.by_donor = sorted(donors.values(), key=lambda d: (-d.pledged_eur, d.code))
    if within is None:
        out.by_donor = [d for d in out.by_donor if d.pledges]
    return out


def merge(parts: Iterable[Figures]) -> Figures:
    """The figures of several disjoint sets of projects (each summed by
    :func:`sum_figures` ``within`` its own range) as one: every figure is a sum
    over projects, a project's gap included, so the parts add up exactly."""
    out = Figures(gap_by={g: defaultdict(lambda: ZERO) for g in GROUPS})
    pipeline: dict[str, int] = defaultdict(int)
    donors: dict[int, DonorFigures] = {}
    over_time: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    years: dict[int, YearFlows] = {}
    labels = set()
    n = 0
    money = [ZERO] * 5  # budget, pledged, confirmed, disbursed, gap
    for part in parts:
        h = part.headline
        n += h.projects
        for i, value in enumerate(
            (h.budget_eur, h.pledged_eur, h.confirmed_eur, h.disbursed_eur, h.gap_eur)
        ):
            money[i] += value
        for status, count in part.pipeline.items():
            pipeline[status] += count
        for name, values in part.gap_by.items():
            for key, eur in values.items():
                out.gap_by[name][key] += eur
        for d in part.by_donor:
            total = donors.get(d.donor_id)
            if total is None:
                total = donors[d.donor_id] = DonorFigures(d.donor_id)
            total.code = total.code or d.code
            total.name_en, total.name_uk = total.name_en or d.name_en, total.name_uk or d.name_uk
            total.pledged_eur += d.pledged_eur
            total.confirmed_eur += d.confirmed_eur
            total.disbursed_eur += d.disbursed_eur
            total.pledges = total.pledges or d.pledges
        for q, pledged, disbursed in part.over_time:
            over_time[q][0] += pledged
            over_time[q][1] += disbursed
        for y in part.money_by_year:
            row = years.setdefault(y.year, YearFlows(y.year))
            row.committed += y.committed
            row.disbursed += y.disbursed
            row.spent += y.spent
        labels.add(part.tlp)
    out.headline = Headline(n, *money)
    out.pipeline = dict(pipeline)
    out.by_donor = sorted(
        (d for d in donors.values() if d.pledges), key=lambda d: (-d.pledged_eur, d.code)
    )
    out.over_time = [(q, v[0], v[1]) for q, v in sorted(over_time.items()) if v[0] or v[1]]
    out.money_by_year = [years[y] for y in sorted(years)]
    out.tlp = highest_tlp(labels)
    return out


def _over_time(
    visible: pw.Expression, rates: dict[str, Decimal], disbursed_by_quarter: dict[str, Decimal]
) -> list[tuple[str, Decimal, Decimal]]:
    """Pledged money by quarter of the pledge's date, and disbursed money by quarter
    of the disbursement's value date (the transactions, :mod:`tmdesk.core.flows`),
    over every project the user may see (a timeline, so delivered and closed
    projects count too)."""
    by: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for day, currency, p_c in (
        Pledge.select(
            Pledge.date,
            Pledge.currency,
            pw.fn.SUM(Pledge.amount).coerce(False),
        )
        .join(Project, on=(Pledge.project == Project.id))
        .where(visible & Pledge.amount.is_null(False) & Pledge.status.in_(PLEDGED_STATUSES))
        .group_by(Pledge.date, Pledge.currency)
        .tuples()
    ):
        by[quarter(day)][0] += _eur(p_c, currency, rates)
    for q, eur in disbursed_by_quarter.items():
        by[q][1] += eur
    return [(q, v[0], v[1]) for q, v in sorted(by.items()) if v[0] or v[1]]


def _eur(cents: int | Decimal | None, currency: str, rates: dict[str, Decimal]) -> Decimal:
    """Integer cents of ``currency`` in exact euros (0 for a currency with no rate)."""
    if not cents:
        return ZERO
    return Decimal(int(cents)) / 100 * rates.get(currency, ZERO)
