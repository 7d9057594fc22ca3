"""The report views: the frozen dataclasses a report plugin receives.

:func:`tmdesk.core.reporting.build_context` fills them under the visibility
policy; plugins read them (through :mod:`tmdesk.plugins.contract`) and never get a
database handle or a model they could save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.i18n import in_language
from tmdesk.core.models import Organisation


@dataclass(frozen=True)
class OrgView:
    code: str
    kind: str
    country: str
    iati_id: str | None
    name_en: str
    name_uk: str
    #: A recipient's finer kind (ministry, regional, local, state_enterprise, other); "" else.
    recipient_type: str = ""

    def name(self, locale: str = "en") -> str:
        return in_language(self.name_en, self.name_uk, locale)


@dataclass(frozen=True)
class TransactionView:
    """One dated transaction of a pledge (see :data:`~tmdesk.core.vocab.TRANSACTION_KINDS`).

    ``amount_eur`` is at the rate in force on ``value_date`` (or on the report's
    "rates as of" day); ``quantity`` counts in-kind goods delivered;
    ``engagement`` is the implementer an expenditure was made by.
    """

    uid: str
    kind: str
    amount: Decimal | None
    currency: str | None
    amount_eur: Decimal | None
    quantity: int | None
    value_date: dt.date
    reference: str
    note: str
    engagement: OrgView | None = None


@dataclass(frozen=True)
class YearView:
    """A year's committed, disbursed and spent money (euros) of a project."""

    year: int
    committed_eur: Decimal
    disbursed_eur: Decimal
    spent_eur: Decimal


@dataclass(frozen=True)
class PledgeView:
    #: The pledge's uid (schema version 12; a sequential id before): a report
    #: may show it, since it counts nothing.
    id: str
    project_ref: str
    donor: OrgView
    amount: Decimal | None
    currency: str | None
    amount_eur: Decimal | None
    in_kind: str
    in_kind_quantity: int | None
    status: str
    date: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime
    #: The donor's own fields (name → value as text: ISO dates, ``true``/``false``,
    #: plain numbers), present only when the requester is that donor or an office.
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Its transactions, oldest value date first.
    transactions: tuple[TransactionView, ...] = ()


@dataclass(frozen=True)
class EngagementView:
    company: OrgView
    role: str
    contract_amount: Decimal | None
    contract_currency: str | None
    start_date: dt.date | None
    end_date: dt.date | None


@dataclass(frozen=True)
class UpdateView:
    date: dt.date
    title: str
    body: str
    progress: int | None
    author: str


@dataclass(frozen=True)
class OfferView:
    #: The offer's uid (schema version 12; a sequential id before).
    id: str
    organisation: OrgView
    category: str
    description: str
    quantity: int | None
    value_amount: Decimal | None
    value_currency: str | None
    status: str
    valid_until: dt.date | None


@dataclass(frozen=True)
class FundingView:
    state: str
    budget_eur: Decimal
    pledged_eur: Decimal
    confirmed_eur: Decimal
    disbursed_eur: Decimal
    gap_eur: Decimal


@dataclass(frozen=True)
class ContactView:
    name: str
    email: str
    organisation: str


@dataclass(frozen=True)
class ProjectView:
    ref: str
    title_en: str
    title_uk: str
    summary_en: str
    summary_uk: str
    category: str
    recipient: OrgView
    oblast: str
    budget_amount: Decimal
    budget_currency: str
    priority: str
    tlp: str
    status: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    beneficiaries: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None
    funding: FundingView
    pledges: tuple[PledgeView, ...] = ()
    engagements: tuple[EngagementView, ...] = ()
    latest_update: UpdateView | None = None
    #: The uids of the linked offers the requester may see (``OfferView.id``).
    offer_ids: tuple[str, ...] = ()
    contacts: tuple[ContactView, ...] = ()
    #: Committed, disbursed and spent money by year (transactions' value dates).
    by_year: tuple[YearView, ...] = ()

    def title(self, locale: str = "en") -> str:
        """Title in ``locale``, falling back to the other language."""
        return in_language(self.title_en, self.title_uk, locale)

    def summary(self, locale: str = "en") -> str:
        return in_language(self.summary_en, self.summary_uk, locale)


@dataclass(frozen=True)
class DonorTotals:
    donor: OrgView
    pledged_eur: Decimal
    confirmed_eur: Decimal
    disbursed_eur: Decimal
    projects: int


@dataclass(frozen=True)
class Totals:
    """Counts over every project of the selection; money (budget, pledged,
    confirmed, disbursed, gap, by donor, by category) over those open for
    support only, as :mod:`tmdesk.core.figures` defines each figure."""

    projects: int
    budget_eur: Decimal
    pledged_eur: Decimal
    confirmed_eur: Decimal
    disbursed_eur: Decimal
    gap_eur: Decimal
    by_donor: tuple[DonorTotals, ...]
    by_category: dict[str, tuple[int, Decimal, Decimal]]  # count, budget_eur, confirmed_eur
    by_status: dict[str, int]
    by_funding_state: dict[str, int]
    open_projects: int = 0


@dataclass(frozen=True)
class Requester:
    email: str
    name: str
    organisation: OrgView
    role: str


@dataclass(frozen=True)
class ReportContext:
    """Everything a report plugin may use; read-only.

    ``projects`` is ordered by reference. ``tlp`` is the highest TLP label of
    the projects inside: the label the whole report must carry.
    """

    projects: tuple[ProjectView, ...]
    offers: tuple[OfferView, ...]
    organisations: tuple[OrgView, ...]
    totals: Totals
    tlp: str
    locale: str
    requested_by: Requester | None
    generated_at: dt.datetime
    filters: CatalogueFilters
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    #: The day whose rates convert every transaction, when the report chose one
    #: ("rates as of"); None: each at the rate of its own value date.
    rates_as_of: dt.date | None = None
    #: Extra columns for tabular exports (``tmdesk_export_columns``), in plugin
    #: load order; attached by the plugin manager before a format renders.
    export_columns: tuple = ()
    #: The donors' own fields every plugin declared (``tmdesk_donor_fields``), for
    #: their labels and types; the values are on each :class:`PledgeView`.
    donor_fields: tuple = ()
    #: Asks every plugin's ``tmdesk_validate_project``; attached by the plugin
    #: manager. Use :meth:`validate` rather than calling it directly.
    project_checker: Callable | None = field(default=None, compare=False, repr=False)

    def validate(self, project: ProjectView) -> list[str]:
        """Every plugin's findings about ``project`` (empty when all is well)."""
        if self.project_checker is None:
            return []
        return list(self.project_checker(project, self))

    def donor_field(self, name: str):
        """The declared :class:`~tmdesk.core.donor_fields.DonorField` called ``name``, or None."""
        return next((d for d in self.donor_fields if d.name == name), None)

    def organisation(self, code: str) -> OrgView | None:
        for org in self.organisations:
            if org.code == code:
                return org
        return None

    def pledges(self) -> Iterator[PledgeView]:
        for project in self.projects:
            yield from project.pledges


def org_view(org: Organisation) -> OrgView:
    return OrgView(
        org.code,
        org.kind,
        org.country,
        org.iati_id,
        org.name_en,
        org.name_uk,
        org.recipient_type or "",
    )
