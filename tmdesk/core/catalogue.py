"""Listing projects: the Catalogue's filters, sorting and pages.

One function, :func:`search_catalogue`, serves the Catalogue page, the API's
``GET /api/v1/projects`` and the report filters, always under the visibility
policy. Funding state is derived, so filtering on it happens after the other
filters, on the funding computed for the matching projects.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from tmdesk.core import prepared, validation
from tmdesk.core.funding import Funding, exchange_rates, funding_for
from tmdesk.core.i18n import N_
from tmdesk.core.models import Organisation, Pledge, Project, User
from tmdesk.core.visibility import viewer_shape, visibility_condition, visible_with_statuses
from tmdesk.core.vocab import (
    CATEGORIES,
    FUNDING_STATES,
    OBLASTS,
    PRIORITIES,
    PROJECT_STATUSES,
    TLP_LABELS,
    TLP_RANK,
)

SORTS = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "priority": N_("Priority"),
    "budget_desc": N_("Largest budget"),
    "budget_asc": N_("Smallest budget"),
    "ref": N_("Reference"),
    "title": N_("Title"),
}
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25

#: What the Catalogue shows: only projects open for support, or everything the user may see.
SCOPES = {
    "open": N_("Open for support"),
    "all": N_("Everything"),
}
#: Statuses in which a project is looking for support.
OPEN_FOR_SUPPORT_STATUSES = ("published", "in_implementation")
#: Funding states of a project still short of its budget.
SHORT_OF_BUDGET = ("unfunded", "partly")
#: Statuses no funding filter returns: these projects ask for no support at all.
NOT_SEEKING_SUPPORT = ("withdrawn", "rejected")


def is_open_for_support(project: Project, funding: Funding) -> bool:
    """Whether ``project`` is open for support: published or in implementation, and
    not yet fully funded by confirmed pledges.

    The one place this definition lives for the Catalogue (pages and API), so a
    shared definition of the headline figures can replace it in one move.
    """
    return project.status in OPEN_FOR_SUPPORT_STATUSES and funding.state in SHORT_OF_BUDGET


def default_scope(user: User | None, narrowed: bool = False) -> str:
    """What the Catalogue shows when the address names no scope: donors look for
    projects to support, so they start with those open for support; everyone else
    starts with everything. An address that already asks for statuses or funding
    states (``narrowed``: a link from the dashboard, say) gets exactly those."""
    if narrowed:
        return "all"
    return "open" if user is not None and user.role == "donor" else "all"


@dataclass
class CatalogueFilters:
    """What a user asked for. Empty means "any"."""

    category: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    funding: list[str] = field(default_factory=list)
    recipient: list[str] = field(default_factory=list)  # organisation codes
    oblast: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    tlp_max: str | None = None
    donor: str | None = None  # only projects this donor pledged to (not withdrawn)
    since: dt.date | None = None  # updated on or after
    until: dt.date | None = None  # created on or before
    sort: str = "newest"
    #: ``open`` (only projects open for support) or ``all``.
    scope: str = "all"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links that keep them)."""
        args: dict[str, Any] = {}
        for name in ("category", "status", "funding", "recipient", "oblast", "priority"):
            values = getattr(self, name)
            if values:
                args[name] = values
        for name in ("tlp_max", "donor"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        if self.since:
            args["since"] = self.since.isoformat()
        if self.until:
            args["until"] = self.until.isoformat()
        if self.sort != "newest":
            args["sort"] = self.sort
        args["scope"] = self.scope
        if self.per_page != DEFAULT_PER_PAGE:
            args["per_page"] = self.per_page
        return args


def _multi(errors: validation.Errors, values: list[str], name: str, allowed) -> list[str]:
    out = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if part not in allowed:
                errors[name] = N_("Unknown value “%(value)s”.") % {"value": part[:40]}
                continue
            out.append(part)
    return out


def parse_filters(getlist, get, scope: str = "all") -> CatalogueFilters:
    """Build filters from a request's arguments (``getlist(name)``, ``get(name)``);
    ``scope`` is the scope when the arguments name none (:func:`default_scope`).

    Unknown values raise :class:`~tmdesk.core.errors.ValidationError` naming the field.
    """
    errors = validation.Errors()
    f = CatalogueFilters()
    f.category = _multi(errors, getlist("category"), "category", CATEGORIES)
    f.status = _multi(errors, getlist("status"), "status", PROJECT_STATUSES)
    f.funding = _multi(errors, getlist("funding"), "funding", FUNDING_STATES)
    f.oblast = _multi(errors, getlist("oblast"), "oblast", OBLASTS)
    f.priority = _multi(errors, getlist("priority"), "priority", PRIORITIES)
    f.recipient = [c.upper() for v in getlist("recipient") for c in str(v).split(",") if c.strip()]
    raw = {
        name: get(name)
        for name in ("tlp_max", "donor", "since", "until", "sort", "scope", "page", "per_page")
    }
    f.tlp_max = validation.choice(errors, raw, "tlp_max", TLP_LABELS, required=False)
    f.donor = (raw["donor"] or "").strip().upper() or None
    f.since = validation.date(errors, raw, "since")
    f.until = validation.date(errors, raw, "until")
    f.sort = (
        validation.choice(errors, raw, "sort", SORTS, required=False, default="newest") or "newest"
    )
    f.scope = (
        validation.choice(errors, raw, "scope", SCOPES, required=False, default=scope) or scope
    )
    f.page = validation.integer(errors, raw, "page", minimum=1) or 1
    f.per_page = (
        validation.integer(errors, raw, "per_page", minimum=1, maximum=MAX_PER_PAGE)
        or DEFAULT_PER_PAGE
    )
    errors.raise_if_any()
    return f


@dataclass
class CataloguePage:
    items: list[Project]
    funding: dict[int, Funding]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _conditions(user: User | None, f: CatalogueFilters) -> list[pw.Expression]:
    """The WHERE conditions of every filter except funding state, visibility included
    (written for the statuses asked for, :func:`visible_with_statuses`)."""
    conditions = [visible_with_statuses(user, f.status) if f.status else visibility_condition(user)]
    if f.category:
        conditions.append(Project.category.in_(f.category))
    if f.oblast:
        conditions.append(Project.oblast.in_(f.oblast))
    if f.priority:
        conditions.append(Project.priority.in_(f.priority))
    if f.recipient:
        recipients = Organisation.select(Organisation.id).where(Organisation.code.in_(f.recipient))
        conditions.append(Project.recipient.in_(recipients))
    if f.tlp_max:
        allowed = [t for t in TLP_LABELS if TLP_RANK[t] <= TLP_RANK[f.tlp_max]]
        conditions.append(Project.tlp.in_(allowed))
    if f.donor:
        donor_projects = (
            Pledge.select(Pledge.project)
            .join(Organisation, on=(Pledge.donor == Organisation.id))
            .where((Organisation.code == f.donor) & (Pledge.status != "withdrawn"))
        )
        conditions.append(Project.id.in_(donor_projects))
    if f.since:
        conditions.append(Project.updated_at >= dt.datetime.combine(f.since, dt.time.min))
    if f.until:
        conditions.append(Project.created_at <= dt.datetime.combine(f.until, dt.time.max))
    return conditions


def filtered_query(user: User | None, f: CatalogueFilters) -> pw.ModelSelect:
    """Visible projects matching every filter except funding state, unsorted."""
    return (
        Project.select(Project, Organisation)
        .join(Organisation, on=(Project.recipient == Organisation.id))
        .where(*_conditions(user, f))
    )


def _shape(user: User | None, f: CatalogueFilters) -> tuple:
    """Everything the listing's SQL is written from (:mod:`tmdesk.core.prepared`):
    the viewer's part of the visibility rule and every filter, the page aside."""
    filters = tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in vars(f).items()
        if name != "page"
    )
    return (viewer_shape(user), filters)


def count_matching(user: User | None, f: CatalogueFilters) -> int:
    """How many projects :func:`filtered_query` selects: one COUNT over the project
    index alone (no join, no subquery around the listing's query)."""
    rows = prepared.rows(
        ("catalogue.count", _shape(user, f)),
        lambda: Project.select(pw.fn.COUNT(Project.id)).where(*_conditions(user, f)).tuples(),
    )
    return rows[0][0] or 0


def with_recipients(projects: list[Project]) -> None:
    """Give each of ``projects`` its recipient organisation, fetched in one query."""
    ids = {p.recipient_id for p in projects}
    if not ids:
        return
    orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(ids)))}
    for p in projects:
        p.recipient = orgs[p.recipient_id]


def _order(query: pw.ModelSelect, sort: str) -> pw.ModelSelect:
    priority_rank = pw.Case(
        Project.priority, [(code, rank) for rank, code in enumerate(PRIORITIES)], len(PRIORITIES)
    )
    orders = {
        "newest": (Project.created_at.desc(), Project.id.desc()),
        "oldest": (Project.created_at.asc(), Project.id.asc()),
        "priority": (priority_rank, Project.created_at.desc()),
        "budget_desc": (Project.budget_amount.desc(), Project.id),
        "budget_asc": (Project.budget_amount.asc(), Project.id),
        "ref": (Project.ref,),
        "title": (pw.fn.COALESCE(pw.fn.NULLIF(Project.title_en, ""), Project.title_uk),),
    }
    return query.order_by(*orders.get(sort, orders["newest"]))


def search_catalogue(user: User | None, f: CatalogueFilters) -> CataloguePage:
    """One page of the Catalogue for ``user``, with each project's funding.

    Budgets are compared in their own currency when sorting; the funding
    filter is applied in Python over the matching set because funding state
    is derived from pledges and exchange rates.
    """
    offset = (f.page - 1) * f.per_page
    if not f.funding and f.scope != "open":
        total = count_matching(user, f)
        # The page's projects alone, then their recipients in one query: building
        # a joined row per project costs more than the whole query.
        items = prepared.rows(
            ("catalogue.page", _shape(user, f)),
            lambda first: (
                _order(Project.select().where(*_conditions(user, f)), f.sort)
                .offset(first)
                .limit(f.per_page)
            ),
            offset,
        )
        with_recipients(items)
        return CataloguePage(items, funding_for(items), total, f.page, f.per_page)
    query = _order(filtered_query(user, f), f.sort)
    if f.scope == "open":
        query = query.where(Project.status.in_(OPEN_FOR_SUPPORT_STATUSES))
    if f.funding:
        # "Unfunded" means a project still asking for support, never a withdrawn one.
        query = query.where(Project.status.not_in(NOT_SEEKING_SUPPORT))
    rates = exchange_rates()
    candidates = list(query)
    funding = funding_for(candidates, rates)
    matching = [
        p
        for p in candidates
        if (not f.funding or funding[p.id].state in f.funding)
        and (f.scope != "open" or is_open_for_support(p, funding[p.id]))
    ]
    items = matching[offset : offset + f.per_page]
    return CataloguePage(
        items, {p.id: funding[p.id] for p in items}, len(matching), f.page, f.per_page
    )
