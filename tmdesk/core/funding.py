"""Funding: derived from pledges, never stored by hand.

* *pledged* counts every pledge that is not withdrawn (offered, confirmed,
  disbursed, delivered);
* *confirmed* counts confirmed, disbursed and delivered pledges;
* the funding state compares confirmed money with the estimated budget, both
  in euros through the editable exchange-rates table: ``unfunded`` (nothing
  confirmed), ``partly``, ``fully`` (exactly covered) or ``over``.

In-kind pledges without a money value appear in the story but do not move
the money totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from tmdesk.core.models import ExchangeRate, Pledge, Project

CONFIRMED_STATUSES = (
    "confirmed",
    "partly_disbursed",
    "disbursed",
    "partly_delivered",
    "delivered",
)
PLEDGED_STATUSES = ("offered", *CONFIRMED_STATUSES)
CENT = Decimal("0.01")
ZERO = Decimal("0")


class UnknownCurrency(ValueError):
    """No exchange rate is recorded for a currency."""


def exchange_rates() -> dict[str, Decimal]:
    """The exchange-rates table as ``{currency: euros per unit}``."""
    return {r.currency: r.eur_per_unit for r in ExchangeRate.select()}


def to_eur(amount: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    """``amount`` of ``currency`` in euros (unrounded)."""
    try:
        return amount * rates[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


@dataclass
class Funding:
    """Money totals of one project (or a group of projects)."""

    budget_eur: Decimal = ZERO
    pledged_eur: Decimal = ZERO
    confirmed_eur: Decimal = ZERO
    disbursed_eur: Decimal = ZERO
    pledged_by_currency: dict[str, Decimal] = field(default_factory=dict)
    confirmed_by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return funding_state(self.confirmed_eur, self.budget_eur)

    @property
    def gap_eur(self) -> Decimal:
        """What is still needed (never negative)."""
        return max(self.budget_eur - self.confirmed_eur, ZERO)

    @property
    def confirmed_share(self) -> float:
        """Confirmed money as a fraction of the budget (may exceed 1)."""
        return float(self.confirmed_eur / self.budget_eur) if self.budget_eur else 0.0

    @property
    def pledged_share(self) -> float:
        return float(self.pledged_eur / self.budget_eur) if self.budget_eur else 0.0

    def rounded(self, value: Decimal) -> Decimal:
        return value.quantize(CENT)


def funding_state(confirmed_eur: Decimal, budget_eur: Decimal) -> str:
    """``unfunded``, ``partly``, ``fully`` or ``over`` (see the module docstring)."""
    if confirmed_eur <= 0:
        return "unfunded"
    if confirmed_eur < budget_eur:
        return "partly"
    if confirmed_eur == budget_eur:
        return "fully"
    return "over"


def funding_for(
    projects: Iterable[Project], rates: dict[str, Decimal] | None = None
) -> dict[int, Funding]:
    """Funding of each project, keyed by project id, in two queries at most."""
    rates = rates if rates is not None else exchange_rates()
    projects = list(projects)
    result: dict[int, Funding] = {}
    for p in projects:
        result[p.id] = Funding(budget_eur=to_eur(p.budget_amount or ZERO, p.budget_currency, rates))
    if not projects:
        return result
    ids = list(result)
    # Sum exactly in SQL (integer cents), convert in Python with Decimal rates.
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start : chunk_start + 900]
        rows = (
            Pledge.select(
                Pledge.project_id.alias("pid"),
                Pledge.currency,
                Pledge.status,
                pw.fn.SUM(Pledge.amount).alias("total"),
            )
            .where(Pledge.project_id.in_(chunk) & Pledge.amount.is_null(False))
            .group_by(Pledge.project_id, Pledge.currency, Pledge.status)
            .dicts()
        )
        for row in rows:
            _add(
                result[row["pid"]],
                row["currency"],
                row["status"],
                Decimal(int(row["total"])) / 100,
                rates,
            )
    return result


def _add(f: Funding, currency: str, status: str, amount: Decimal, rates) -> None:
    eur = to_eur(amount, currency, rates)
    if status in PLEDGED_STATUSES:
        f.pledged_eur += eur
        f.pledged_by_currency[currency] = f.pledged_by_currency.get(currency, ZERO) + amount
    if status in CONFIRMED_STATUSES:
        f.confirmed_eur += eur
        f.confirmed_by_currency[currency] = f.confirmed_by_currency.get(currency, ZERO) + amount
    if status in ("disbursed", "delivered"):
        f.disbursed_eur += eur


def project_funding(project: Project, rates: dict[str, Decimal] | None = None) -> Funding:
    """Funding of one project."""
    return funding_for([project], rates)[project.id]


def totals(fundings: Iterable[Funding]) -> Funding:
    """The sum of several projects' funding."""
    total = Funding()
    by_p: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_c: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in fundings:
        total.budget_eur += f.budget_eur
        total.pledged_eur += f.pledged_eur
        total.confirmed_eur += f.confirmed_eur
        total.disbursed_eur += f.disbursed_eur
        for c, v in f.pledged_by_currency.items():
            by_p[c] += v
        for c, v in f.confirmed_by_currency.items():
            by_c[c] += v
    total.pledged_by_currency = dict(by_p)
    total.confirmed_by_currency = dict(by_c)
    return total
