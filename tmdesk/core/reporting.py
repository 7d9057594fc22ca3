"""The read-only report context that report and export plugins receive.

:func:`build_context` gathers, under the visibility policy of the requesting
user, the projects (filtered like the Catalogue), their pledges, engagements,
latest updates and linked offers, the organisations involved, the offers the
user may see, and the totals. Everything is frozen dataclasses
(:mod:`tmdesk.core.report_views`) and tuples: plugins get data, never a
database handle or a model they could save.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
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
from tmdesk.core.report_views import (
    ContactView,
    DonorTotals,
    EngagementView,
    FundingView,
    OfferView,
    OrgView,
    PledgeView,
    ProjectView,
    ReportContext,
    Requester,
    Totals,
    TransactionView,
    UpdateView,
    YearView,
    org_view,
)
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
    offers_by: dict[int, list[str]] = defaultdict(list)
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
                Pledge.uid,
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
        for pid, puid, project_id, donor_id, amount, currency, *rest in pledge_rows:
            in_kind, quantity, status, day, created, updated = rest
            eur = to_eur(amount, currency, rates) if amount is not None else None
            pledges_by[project_id].append(
                PledgeView(
                    puid,
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
        for project_id, offer_uid in visible_offer_links(
            user,
            OfferLink.select(OfferLink.project, Offer.uid)
            .join(Offer, on=(OfferLink.offer == Offer.id))
            .where(OfferLink.project_id.in_(chunk)),
        ).tuples():
            offers_by[project_id].append(offer_uid)
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
            o.uid,
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
