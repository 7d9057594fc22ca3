"""Committed and disbursed money by year, from the pledges' dated transactions.

Kept apart from :mod:`tmdesk.core.funding` (pledged, confirmed, the gap and the
funding state, which compare pledges with the estimate): these figures are
what was actually committed and paid, in the year of each transaction's value
date, each converted to euros at the rate in force on that date
(:class:`~tmdesk.core.rates.RateBook`), or at the rates of one day when a
report asks for "rates as of". Transactions of withdrawn pledges do not count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from tmdesk.core.funding import UnknownCurrency
from tmdesk.core.models import Pledge, Project, Transaction, User
from tmdesk.core.rates import RateBook
from tmdesk.core.visibility import visibility_condition

ZERO = Decimal("0")
#: The kinds these figures add up, and the name of each figure.
FIGURES = {"commitment": "committed", "disbursement": "disbursed", "expenditure": "spent"}


@dataclass
class YearFlows:
    """One year's money, in euros (unrounded)."""

    year: int
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    spent: Decimal = ZERO


@dataclass
class Flows:
    """Committed, disbursed and spent money of a project (or of many), by year."""

    years: dict[int, YearFlows] = field(default_factory=dict)
    #: Disbursed money by the quarter of its value date ("2026-Q2"): the
    #: dashboard's timeline.
    disbursed_by_quarter: dict[str, Decimal] = field(default_factory=dict)
    #: Currencies left out because no rate is known for them.
    unknown: set[str] = field(default_factory=set)

    def add(self, kind: str, day: dt.date, eur: Decimal) -> None:
        row = self.years.get(day.year)
        if row is None:
            row = self.years[day.year] = YearFlows(day.year)
        name = FIGURES[kind]
        setattr(row, name, getattr(row, name) + eur)
        if name == "disbursed":
            q = quarter(day)
            self.disbursed_by_quarter[q] = self.disbursed_by_quarter.get(q, ZERO) + eur

    @property
    def by_year(self) -> list[YearFlows]:
        """The years with any money, oldest first."""
        return [self.years[y] for y in sorted(self.years)]

    @property
    def committed(self) -> Decimal:
        return sum((y.committed for y in self.years.values()), ZERO)

    @property
    def disbursed(self) -> Decimal:
        return sum((y.disbursed for y in self.years.values()), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((y.spent for y in self.years.values()), ZERO)

    @property
    def undisbursed(self) -> Decimal:
        """Committed and not yet disbursed (never negative)."""
        return max(self.committed - self.disbursed, ZERO)


def quarter(day: dt.date | str) -> str:
    """ "2026-Q2" for a date (or its ISO text, as SQLite returns it from a GROUP BY)."""
    text = str(day)
    return f"{text[:4]}-Q{(int(text[5:7]) - 1) // 3 + 1}"


def _add_rows(target: Flows, rows, book: RateBook) -> None:
    for kind, currency, value_date, cents in rows:
        if kind not in FIGURES or cents is None or not currency:
            continue
        amount = Decimal(int(cents)) / 100
        try:
            eur = book.to_eur(amount, currency, value_date)
        except UnknownCurrency:
            target.unknown.add(currency)
            continue
        target.add(kind, value_date, eur)


def _base_query(*columns: pw.Node) -> pw.ModelSelect:
    return (
        Transaction.select(*columns)
        .join(Pledge, on=(Transaction.pledge == Pledge.id))
        .where((Pledge.status != "withdrawn") & Transaction.amount.is_null(False))
    )


def flows_for(
    projects: Iterable[Project], book: RateBook | None = None, as_of: dt.date | None = None
) -> dict[int, Flows]:
    """Each project's flows, keyed by project id; summed in SQL per project, kind,
    currency and value date (exact cents), converted here."""
    book = book or RateBook.load(as_of)
    ids = [p.id for p in projects]
    result = {pid: Flows() for pid in ids}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = (
            _base_query(
                Pledge.project_id,
                Transaction.kind,
                Transaction.currency,
                Transaction.value_date,
                pw.fn.SUM(Transaction.amount).coerce(False),
            )
            .where(Pledge.project_id.in_(chunk))
            .group_by(
                Pledge.project_id, Transaction.kind, Transaction.currency, Transaction.value_date
            )
            .tuples()
        )
        by_project: dict[int, list] = defaultdict(list)
        for pid, *rest in rows:
            by_project[pid].append(rest)
        for pid, project_rows in by_project.items():
            _add_rows(result[pid], project_rows, book)
    return result


def project_flows(project: Project, as_of: dt.date | None = None) -> Flows:
    """One project's committed and disbursed money by year."""
    return flows_for([project], as_of=as_of)[project.id]


def visible_flows(user: User | None, as_of: dt.date | None = None) -> Flows:
    """The flows over every project ``user`` may see (the dashboard's figures)."""
    if user is None:
        return Flows()
    return flows_where(visibility_condition(user), as_of)


def flows_where(condition: pw.Expression, as_of: dt.date | None = None) -> Flows:
    """The flows over the projects matching ``condition`` (a WHERE on Project)."""
    return flows_split(condition, None, as_of)[0]


def flows_split(
    condition: pw.Expression, part: pw.Expression | None, as_of: dt.date | None = None
) -> tuple[Flows, Flows]:
    """The flows over the projects matching ``condition``, and over those of them
    that also match ``part``: one pass over the transactions for both (the
    dashboard's money by year, and the disbursed money of open projects)."""
    book = RateBook.load(as_of)
    whole, within = Flows(), Flows()
    flag = pw.Case(None, [(part, 1)], 0) if part is not None else pw.Value(0)
    rows = (
        _base_query(
            flag,
            Transaction.kind,
            Transaction.currency,
            Transaction.value_date,
            pw.fn.SUM(Transaction.amount).coerce(False),
        )
        .join(Project, on=(Pledge.project == Project.id))
        .where(condition)
        # The flag by its position: PostgreSQL would take a repeated CASE with
        # its own parameters for a different expression.
        .group_by(pw.SQL("1"), Transaction.kind, Transaction.currency, Transaction.value_date)
        .tuples()
    )
    for inside, *row in rows:
        _add_rows(whole, [row], book)
        if inside:
            _add_rows(within, [row], book)
    return whole, within


def flows_by_donor(condition: pw.Expression, as_of: dt.date | None = None) -> dict[int, Flows]:
    """The flows over the projects matching ``condition``, per donor (organisation id):
    what each donor committed and paid out, as :func:`flows_where` sums for all."""
    book = RateBook.load(as_of)
    rows = (
        _base_query(
            Pledge.donor_id,
            Transaction.kind,
            Transaction.currency,
            Transaction.value_date,
            pw.fn.SUM(Transaction.amount).coerce(False),
        )
        .join(Project, on=(Pledge.project == Project.id))
        .where(condition)
        .group_by(Pledge.donor_id, Transaction.kind, Transaction.currency, Transaction.value_date)
        .tuples()
    )
    by_donor: dict[int, list] = defaultdict(list)
    for donor_id, *rest in rows:
        by_donor[donor_id].append(rest)
    result: dict[int, Flows] = {}
    for donor_id, donor_rows in by_donor.items():
        _add_rows(result.setdefault(donor_id, Flows()), donor_rows, book)
    return result
