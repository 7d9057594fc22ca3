"""The read-only report context that report and export plugins receive.

:func:`build_context` gathers, under the visibility policy of the requesting
user, the projects (filtered like the Catalogue), their pledges, engagements,
latest updates and linked offers, the organisations involved, the offers the
user may see, and the totals. Everything is frozen dataclasses and tuples:
plugins get data, never a database handle or a model they could save.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tmdesk.core import figures
from tmdesk.core.catalogue import CatalogueFilters, filtered_query
from tmdesk.core.donor_fields import values_for_pledges
from tmdesk.core.flows import flows_for
from tmdesk.core.funding import ZERO, UnknownCurrency, exchange_rates, funding_for, to_eur
from tmdesk.core.models import (
    Engagement,
    Offer,
    OfferLink,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    Transaction,
    Update,
    User,
    utcnow,
)
from tmdesk.core.rates import RateBook
from tmdesk.core.visibility import can_see_people, visible_offer_links, visible_offers
from tmdesk.core.vocab import highest_tlp

CHUNK = 500  # projects fetched per batch of related rows

#: What a report holds when nobody chose otherwise: the projects open for support,
#: at most TLP:AMBER (a pack handed to a ministry or a donor must not carry
#: AMBER+STRICT or RED material unless someone asked for it).
DEFAULT_STATUSES = figures.OPEN_STATUSES
DEFAULT_TLP_MAX = "AMBER"


def with_report_defaults(filters: CatalogueFilters | None) -> CatalogueFilters:
    """``filters`` with the report defaults where nothing was chosen: the statuses
    open for support and at most TLP:AMBER."""
    filters = filters or CatalogueFilters()
    if not filters.status:
        filters.status = list(DEFAULT_STATUSES)
    if not filters.tlp_max:
        filters.tlp_max = DEFAULT_TLP_MAX
    return filters


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
        if locale == "uk":
            return self.name_uk or self.name_en
        return self.name_en or self.name_uk


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
    id: int
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
    id: int
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
    offer_ids: tuple[int, ...] = ()
    contacts: tuple[ContactView, ...] = ()
    #: Committed, disbursed and spent money by year (transactions' value dates).
    by_year: tuple[YearView, ...] = ()

    def title(self, locale: str = "en") -> str:
        """Title in ``locale``, falling back to the other language."""
        if locale == "uk":
            return self.title_uk or self.title_en
        return self.title_en or self.title_uk

    def summary(self, locale: str = "en") -> str:
        if locale == "uk":
            return self.summary_uk or self.summary_en
        return self.summary_en or self.summary_uk


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


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_context(
    user: User | None,
    filters: CatalogueFilters | None = None,
    locale: str = "en",
    rates_as_of: dt.date | None = None,
) -> ReportContext:
    """The report context for ``user`` with ``filters`` (the Catalogue's), in ``locale``;
    transactions convert at their value dates' rates, or all at ``rates_as_of``'s."""
    filters = filters or CatalogueFilters()
    book = RateBook.load(rates_as_of)
    # "Rates as of" a day holds for every figure: the pledges' totals too, not only
    # the transactions (which otherwise convert at their own value dates).
    rates = book.on(rates_as_of) if rates_as_of else exchange_rates()
    models = list(filtered_query(user, filters).order_by(Project.ref))
    funding = funding_for(models, rates)
    if filters.funding:
        models = [p for p in models if funding[p.id].state in filters.funding]
    flows = flows_for(models, book)
    orgs: dict[int, OrgView] = {}

    def org_of(org: Organisation) -> OrgView:
        view = orgs.get(org.id)
        if view is None:
            view = orgs[org.id] = org_view(org)
        return view

    organisations: dict[int, Organisation] = {}

    def org_by_id(org_id: int) -> OrgView:
        view = orgs.get(org_id)
        if view is None:
            if not organisations:
                organisations.update({o.id: o for o in Organisation.select()})
            view = orgs[org_id] = org_view(organisations[org_id])
        return view

    pledges_by: dict[int, list[PledgeView]] = defaultdict(list)
    engagements_by: dict[int, list[EngagementView]] = defaultdict(list)
    latest_by: dict[int, UpdateView] = {}
    offers_by: dict[int, list[int]] = defaultdict(list)
    contacts_by: dict[int, list[ContactView]] = defaultdict(list)
    refs = {p.id: p.ref for p in models}
    by_id = {p.id: p for p in models}
    companies: dict[int, OrgView] = {}

    def in_eur(amount: Decimal | None, currency: str | None, day: dt.date) -> Decimal | None:
        if amount is None or not currency:
            return None
        try:
            return book.to_eur(amount, currency, day)
        except UnknownCurrency:
            return None

    for chunk in _chunks(list(refs)):
        for en in (
            Engagement.select(Engagement, Organisation)
            .join(Organisation, on=(Engagement.company == Organisation.id))
            .where(Engagement.project_id.in_(chunk))
            .order_by(Engagement.id)
        ):
            companies[en.id] = org_of(en.company)
            engagements_by[en.project_id].append(
                EngagementView(
                    org_of(en.company),
                    en.role,
                    en.contract_amount,
                    en.contract_currency,
                    en.start_date,
                    en.end_date,
                )
            )
        transactions_by: dict[int, list[TransactionView]] = defaultdict(list)
        # Plain tuples, not model instances: a report may hold tens of thousands.
        for pledge_id, uid, kind, amount, currency, quantity, day, ref, note, eng in (
            Transaction.select(
                Transaction.pledge,
                Transaction.uid,
                Transaction.kind,
                Transaction.amount,
                Transaction.currency,
                Transaction.quantity,
                Transaction.value_date,
                Transaction.reference,
                Transaction.note,
                Transaction.engagement,
            )
            .join(Pledge, on=(Transaction.pledge == Pledge.id))
            .where(Pledge.project_id.in_(chunk))
            .order_by(Transaction.value_date, Transaction.id)
            .tuples()
        ):
            transactions_by[pledge_id].append(
                TransactionView(
                    uid,
                    kind,
                    amount,
                    currency,
                    in_eur(amount, currency, day),
                    quantity,
                    day,
                    ref,
                    note,
                    companies.get(eng) if eng else None,
                )
            )
        # Plain tuples and the donors from the organisations loaded once: model
        # instances joined row by row cost most of a large report's time.
        pledge_rows = list(
            Pledge.select(
                Pledge.id,
                Pledge.project,
                Pledge.donor,
                Pledge.amount,
                Pledge.currency,
                Pledge.in_kind,
                Pledge.in_kind_quantity,
                Pledge.status,
                Pledge.date,
                Pledge.created_at,
                Pledge.updated_at,
            )
            .where(Pledge.project_id.in_(chunk))
            .order_by(Pledge.date, Pledge.id)
            .tuples()
        )
        # A donor's own fields only for that donor and the offices (visibility's rule).
        own_fields = values_for_pledges(user, [row[0] for row in pledge_rows])
        for pid, project_id, donor_id, amount, currency, *rest in pledge_rows:
            in_kind, quantity, status, day, created, updated = rest
            eur = to_eur(amount, currency, rates) if amount is not None else None
            pledges_by[project_id].append(
                PledgeView(
                    pid,
                    refs[project_id],
                    org_by_id(donor_id),
                    amount,
                    currency,
                    eur,
                    in_kind,
                    quantity,
                    status,
                    day,
                    created,
                    updated,
                    fields=own_fields.get(pid, {}),
                    transactions=tuple(transactions_by.get(pid, ())),
                )
            )
        for up in (
            Update.select(Update, User)
            .join(User, on=(Update.author == User.id))
            .where(Update.project_id.in_(chunk))
            .order_by(Update.date.asc(), Update.id.asc())
        ):
            latest_by[up.project_id] = UpdateView(
                up.date, up.title, up.body, up.progress, up.author.name or up.author.email
            )
        # Linked offers and named people reach a report only for those who may
        # see them on their own page (visibility's field-level rules).
        for link in visible_offer_links(
            user, OfferLink.select().where(OfferLink.project_id.in_(chunk))
        ):
            offers_by[link.project_id].append(link.offer_id)
        people_of = [pid for pid in chunk if can_see_people(user, by_id[pid])]
        for member in (
            ProjectMember.select(ProjectMember, User, Organisation)
            .join(User)
            .join(Organisation)
            .where(ProjectMember.project_id.in_(people_of))
        ):
            contacts_by[member.project_id].append(
                ContactView(member.user.name, member.user.email, member.user.organisation.code)
            )

    views = []
    for p in models:
        f = funding[p.id]
        views.append(
            ProjectView(
                ref=p.ref,
                title_en=p.title_en,
                title_uk=p.title_uk,
                summary_en=p.summary_en,
                summary_uk=p.summary_uk,
                category=p.category,
                recipient=org_of(p.recipient),
                oblast=p.oblast,
                budget_amount=p.budget_amount,
                budget_currency=p.budget_currency,
                priority=p.priority,
                tlp=p.tlp,
                status=p.status,
                planned_start=p.planned_start,
                planned_end=p.planned_end,
                beneficiaries=p.beneficiaries,
                created_at=p.created_at,
                updated_at=p.updated_at,
                submitted_at=p.submitted_at,
                published_at=p.published_at,
                funding=FundingView(
                    f.state,
                    f.budget_eur,
                    f.pledged_eur,
                    f.confirmed_eur,
                    # What was really paid: the disbursement transactions.
                    flows[p.id].disbursed,
                    f.gap_eur,
                ),
                pledges=tuple(pledges_by[p.id]),
                engagements=tuple(engagements_by[p.id]),
                latest_update=latest_by.get(p.id),
                offer_ids=tuple(offers_by[p.id]),
                contacts=tuple(contacts_by[p.id]),
                by_year=tuple(
                    YearView(y.year, y.committed, y.disbursed, y.spent) for y in flows[p.id].by_year
                ),
            )
        )

    offers = tuple(
        OfferView(
            o.id,
            org_of(o.organisation),
            o.category,
            o.description,
            o.quantity,
            o.value_amount,
            o.value_currency,
            o.status,
            o.valid_until,
        )
        for o in visible_offers(
            user,
            Offer.select(Offer, Organisation).join(
                Organisation, on=(Offer.organisation == Organisation.id)
            ),
        ).order_by(Offer.id)
    )
    requester = None
    if user is not None:
        requester = Requester(user.email, user.name, org_of(user.organisation), user.role)
    return ReportContext(
        projects=tuple(views),
        offers=offers,
        organisations=tuple(sorted(orgs.values(), key=lambda o: o.code)),
        totals=compute_totals(views),
        tlp=highest_tlp(v.tlp for v in views),
        locale=locale,
        requested_by=requester,
        generated_at=utcnow(),
        filters=filters,
        exchange_rates=dict(rates),
        rates_as_of=rates_as_of,
    )


def compute_totals(projects: list[ProjectView]) -> Totals:
    """Counts over ``projects``; money over those open for support (core.figures)."""
    head = figures.headline(projects)
    by_category: dict[str, list] = defaultdict(lambda: [0, ZERO, ZERO])
    by_status: dict[str, int] = defaultdict(int)
    by_state: dict[str, int] = defaultdict(int)
    donors: dict[str, list] = {}
    for p in projects:
        f = p.funding
        by_status[p.status] += 1
        by_state[f.state] += 1
        if not figures.is_open(p.status):
            continue
        cat = by_category[p.category]
        cat[0] += 1
        cat[1] += f.budget_eur
        cat[2] += f.confirmed_eur
        seen: set[str] = set()
        for pl in p.pledges:
            if pl.status not in figures.PLEDGED_STATUSES:
                continue
            entry = donors.setdefault(pl.donor.code, [pl.donor, ZERO, ZERO, ZERO, 0])
            pledged, confirmed, disbursed = figures.pledge_money(pl.status, pl.amount_eur or ZERO)
            if pl.transactions:
                # What was paid out, as the project's disbursed figure counts it (core.flows).
                disbursed = sum(
                    (x.amount_eur or ZERO for x in pl.transactions if x.kind == "disbursement"),
                    ZERO,
                )
            entry[1] += pledged
            entry[2] += confirmed
            entry[3] += disbursed
            if pl.donor.code not in seen:
                entry[4] += 1
                seen.add(pl.donor.code)
    by_donor = tuple(
        DonorTotals(d[0], d[1], d[2], d[3], d[4])
        for d in sorted(donors.values(), key=lambda d: (-d[1], d[0].code))
    )
    return Totals(
        projects=len(projects),
        budget_eur=head.budget_eur,
        pledged_eur=head.pledged_eur,
        confirmed_eur=head.confirmed_eur,
        disbursed_eur=head.disbursed_eur,
        gap_eur=head.gap_eur,
        by_donor=by_donor,
        by_category={k: (v[0], v[1], v[2]) for k, v in by_category.items()},
        by_status=dict(by_status),
        by_funding_state=dict(by_state),
        open_projects=head.projects,
    )


def tlp_setters(projects: Sequence[ProjectView]) -> tuple[str, ...]:
    """The references of the projects that carry the highest label among ``projects``:
    the ones that set a report's TLP label."""
    top = highest_tlp(p.tlp for p in projects)
    return tuple(p.ref for p in projects if p.tlp == top)
