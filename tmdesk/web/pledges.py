"""Pledge pages: pledge support for a project, edit an offered pledge, move it
along its lifecycle, and a donor's (or the offices') list of pledges with totals.

A pledge is visible exactly when its project is: every view fetches the
pledge, then checks its project with the one visibility policy and answers
404 when it is hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import peewee as pw
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from tmdesk.core import donor_fields
from tmdesk.core import pledges as core_pledges
from tmdesk.core import rates as core_rates
from tmdesk.core import transactions as core_transactions
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.flows import project_flows
from tmdesk.core.funding import (
    CONFIRMED_STATUSES,
    PLEDGED_STATUSES,
    UnknownCurrency,
    exchange_rates,
    project_funding,
    to_eur,
)
from tmdesk.core.i18n import N_, localized
from tmdesk.core.ids import is_uid
from tmdesk.core.matching import pledge_warnings
from tmdesk.core.models import Offer, Organisation, Pledge, Project
from tmdesk.core.permissions import can_manage_pledge, can_pledge
from tmdesk.core.visibility import (
    can_see,
    can_see_donor_fields,
    is_officer,
    visible_offers,
    visible_projects,
)
from tmdesk.core.vocab import CURRENCIES, PLEDGE_STATUSES, TRANSACTION_KINDS
from tmdesk.web.common import (
    acting_user,
    apply_errors,
    date_field_kw,
    date_input,
    flash_error,
    form_page,
    form_status,
    locale_code,
    no_forbidden_characters,
    page_arg,
    project_or_404,
    require,
    safe_next,
    tr_readable,
)
from tmdesk.web.extensions import donor_field_definitions

bp = Blueprint("pledges", __name__)

PER_PAGE = 25


def project_url(project: Project) -> str:
    """The project's page (``projects.detail``); the start page if that is not installed."""
    try:
        return url_for("projects.detail", ref=project.ref)
    except BuildError:
        return url_for("projects.home")


def back_to(default: str) -> str:
    """Where to go after a POST: a local ``next`` from the form, else ``default``."""
    target = request.form.get("next") or request.args.get("next")
    return safe_next(target) if target else default


# --- forms ----------------------------------------------------------------


def currency_choices(blank: bool = True) -> list[tuple[str, str]]:
    choices = [(c, c) for c in CURRENCIES]
    return [("", gettext("— choose —")), *choices] if blank else choices


def donor_choices() -> list[tuple[str, str]]:
    donors = (
        Organisation.select()
        .where((Organisation.kind == "donor") & Organisation.active)
        .order_by(Organisation.name_en)
    )
    return [("", gettext("— choose the donor —"))] + [
        (o.code, f"{o.name(locale_code())} ({o.code})") for o in donors
    ]


class PledgeForm(FlaskForm):
    # Values are checked by the core (tmdesk.core.pledges.clean_pledge_data);
    # the form only carries them, so choices are not validated here.
    donor = SelectField(lazy_gettext("Donor"), validate_choice=False)
    amount = StringField(lazy_gettext("Amount"), render_kw={"inputmode": "decimal"})
    currency = SelectField(lazy_gettext("Currency"), validate_choice=False)
    date = StringField(lazy_gettext("Date of the pledge"), render_kw=date_field_kw())
    in_kind = TextAreaField(lazy_gettext("What is given in kind"), render_kw={"rows": 3})
    in_kind_quantity = StringField(lazy_gettext("How many"), render_kw={"inputmode": "numeric"})
    note = TextAreaField(lazy_gettext("Note"), render_kw={"rows": 3})
    acknowledge = BooleanField(
        lazy_gettext("I have read the warnings above; record the pledge anyway"),
        validators=[no_forbidden_characters],
    )

    def data_for_core(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in core_pledges.EDITABLE_FIELDS}


def _pledge_form(officer: bool, **kwargs) -> PledgeForm:
    form = PledgeForm(**kwargs)
    form.currency.choices = currency_choices()
    if officer:
        form.donor.choices = donor_choices()
    else:
        del form.donor
    return form


def money_context(project: Project, currency: str | None) -> dict[str, Any]:
    """What the pledge form shows beside the amount: the budget in euros and what is
    still needed, in euros and in ``currency`` (the one the pledge is made in)."""
    rates = exchange_rates()
    funding = project_funding(project, rates)
    needed_in = None
    if currency and currency != "EUR" and funding.gap_eur > 0:
        converted = core_rates.from_eur(funding.gap_eur, currency, rates)
        needed_in = (converted, currency) if converted is not None else None
    return {"funding": funding, "needed_in": needed_in, "rates_date": core_rates.rates_date()}


def kind_label(pledge: Pledge, kind: str) -> str:
    """The kind as the reader says it: an in-kind pledge's disbursement is a delivery."""
    if kind == "disbursement" and pledge.in_kind and pledge.amount is None:
        return gettext("Delivery")
    return gettext(TRANSACTION_KINDS[kind])


def pledge_or_404(pledge_id: str) -> Pledge:
    """The pledge with this uid if the acting user may see its project; 404 otherwise."""
    pledge = Pledge.get_or_none(Pledge.uid == pledge_id)
    if pledge is None or not can_see(acting_user(), pledge.project):
        abort(404)
    return pledge


def _offer_for(project: Project, offer_id: str | None) -> Offer | None:
    """A donor offer the user may see (named by its uid), to turn into a pledge on ``project``."""
    if not offer_id or not is_uid(offer_id):
        return None
    return (
        visible_offers(acting_user())
        .where(Offer.uid == offer_id)
        .join(Organisation)
        .where(Organisation.kind == "donor")
        .first()
    )


# --- views ----------------------------------------------------------------


@bp.route("/projects/<ref>/pledges/new", methods=["GET", "POST"])
@login_required
def new(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not can_pledge(user, project):
        abort(403)
    officer = is_officer(user)
    offer = _offer_for(project, request.values.get("offer"))
    defaults: dict[str, Any] = {}
    if request.method == "GET" and not officer:
        # A donor pledges in its own currency unless it chooses another.
        defaults["currency"] = core_rates.home_currency(user.organisation)
    if offer is not None and request.method == "GET":
        defaults = {
            "donor": offer.organisation.code,
            "in_kind": offer.description,
            "in_kind_quantity": offer.quantity or "",
            "amount": offer.value_amount or "",
            "currency": offer.value_currency or "",
        }
    form = _pledge_form(officer, data=defaults or None)
    # Donor-side warnings (already funded, would over-fund, possible double
    # funding): shown before anything is saved, and a pledge that raises any
    # is recorded only once the user says they have read them.
    warnings = pledge_warnings(project, form.amount.data, form.currency.data, user=user)
    if form.validate_on_submit() and warnings and not form.acknowledge.data:
        form.acknowledge.errors = [
            gettext("Read the warnings, then tick this box to record the pledge anyway.")
        ]
    elif form.is_submitted() and not form.errors:
        try:
            core_pledges.create_pledge(
                user,
                project,
                form.data_for_core(),
                donor_code=form.donor.data if officer else None,
                offer=offer,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except TransitionError as exc:
            flash_error(exc)
        else:
            flash(gettext("The pledge is recorded."), "success")
            return redirect(project_url(project))
    return render_template(
        "pledges/form.html",
        form=form,
        project=project,
        pledge=None,
        offer=offer,
        warnings=[tr_readable(w.message, w.params) for w in warnings],
        **money_context(project, form.currency.data),
    ), form_status()


@bp.route("/pledges/<uid:pledge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pledge_id: str):
    user = acting_user()
    pledge = pledge_or_404(pledge_id)
    if not can_manage_pledge(user, pledge):
        abort(403)
    if pledge.status != "offered":
        raise TransitionError(N_("Only an offered pledge can be edited."))
    project = pledge.project
    if request.method == "GET":
        form = _pledge_form(
            False,
            data={
                "amount": pledge.amount if pledge.amount is not None else "",
                "currency": pledge.currency or "",
                "date": date_input(pledge.date),
                "in_kind": pledge.in_kind,
                "in_kind_quantity": pledge.in_kind_quantity or "",
                "note": pledge.note,
            },
        )
    else:
        form = _pledge_form(False)
    return form_page(
        form,
        lambda: core_pledges.update_pledge(user, pledge, form.data_for_core()),
        gettext("The pledge is saved."),
        project_url(project),
        "pledges/form.html",
        project=project,
        pledge=pledge,
        offer=None,
        **money_context(project, form.currency.data),
    )


FIELD_PREFIX = "f_"


def _field_text(text) -> str:
    """A plugin's label, help or choice label in the reader's language."""
    per_language = localized(text, locale_code())
    if per_language is not None:
        return per_language
    return gettext(text) if text else ""


def _donor_fields_form(definitions, values: dict[str, str]) -> FlaskForm:
    """A form with one field per donor field, by its type, holding ``values``."""

    class DonorFieldsForm(FlaskForm):
        pass

    for d in definitions:
        label, hint = _field_text(d.label), _field_text(d.help)
        current = values.get(d.name, "")
        if d.type == "choice":
            choices = [("", "–"), *((v, f"{v}: {_field_text(t)}") for v, t in d.choices or ())]
            field: Any = SelectField(
                label, choices=choices, default=current, description=hint, validate_choice=False
            )
        elif d.type == "boolean":
            field = SelectField(
                label,
                choices=[("", "–"), ("true", gettext("Yes")), ("false", gettext("No"))],
                default=current,
                description=hint,
                validate_choice=False,
            )
        else:
            kw = {"type": "date"} if d.type == "date" else {}
            if d.type in ("integer", "year", "decimal"):
                kw = {"inputmode": "decimal" if d.type == "decimal" else "numeric"}
            field = StringField(label, default=current, description=hint, render_kw=kw)
        setattr(DonorFieldsForm, FIELD_PREFIX + d.name, field)
    return DonorFieldsForm()


@bp.route("/pledges/<uid:pledge_id>/fields", methods=["GET", "POST"])
@login_required
def donor_fields_page(pledge_id: str):
    """The pledge's page for its donor's own fields: the donor and the offices only."""
    user = acting_user()
    pledge = pledge_or_404(pledge_id)
    if not can_see_donor_fields(user, pledge):
        abort(403)
    definitions = donor_fields.fields_for(donor_field_definitions(current_app), pledge.donor.code)
    values = donor_fields.stored_values(pledge)
    form = _donor_fields_form(definitions, values)
    fields = [(d, getattr(form, FIELD_PREFIX + d.name)) for d in definitions]
    return form_page(
        form,
        lambda: donor_fields.set_values(
            user,
            pledge,
            definitions,
            {d.name: str(f.data or "") for d, f in fields},
        ),
        gettext("The donor's fields are saved."),
        url_for("pledges.donor_fields_page", pledge_id=pledge.uid),
        "pledges/fields.html",
        mapping={d.name: FIELD_PREFIX + d.name for d in definitions},
        project=pledge.project,
        pledge=pledge,
        fields=fields,
        undeclared=sorted(set(values) - {d.name for d in definitions}),
        values=values,
    )


@bp.post("/pledges/<uid:pledge_id>/transition")
@login_required
def transition(pledge_id: str):
    user = acting_user()
    pledge = pledge_or_404(pledge_id)
    action = request.form.get("action", "")
    try:
        core_pledges.transition_pledge(user, pledge, action)
    except PermissionDenied:
        abort(403)
    except TransitionError as exc:
        flash_error(exc)
    else:
        messages = {
            "confirm": gettext("The pledge is confirmed."),
            "disburse": gettext("The pledge is marked disbursed."),
            "deliver": gettext("The pledge is marked delivered."),
            "withdraw": gettext("The pledge is withdrawn."),
        }
        flash(messages.get(action, gettext("Done.")), "success")
    return redirect(back_to(project_url(pledge.project)))


@bp.get("/pledges/<uid:pledge_id>")
@login_required
def detail(pledge_id: str):
    """A pledge and its dated transactions, with what the user may record next."""
    user = acting_user()
    pledge = pledge_or_404(pledge_id)
    rows = core_transactions.pledge_transactions(pledge)
    money = core_transactions.money_pledge(pledge)
    return render_template(
        "pledges/detail.html",
        pledge=pledge,
        project=pledge.project,
        transactions=rows,
        money=money,
        committed=core_transactions.committed(pledge, rows) if money else None,
        disbursed=core_transactions.disbursed(pledge, rows) if money else None,
        remaining=core_transactions.remaining(pledge, "disbursement", rows),
        kinds=core_transactions.recordable_kinds(user, pledge),
        may_change={t.uid for t in rows if core_transactions.can_change(user, t)},
        kind_label=lambda kind: kind_label(pledge, kind),
        flows=project_flows(pledge.project).by_year,
    )


def _pledge_query(user, donor_code: str | None, status: str | None) -> pw.ModelSelect:
    """Pledges on projects the user may see; donors only their organisation's."""
    query = (
        Pledge.select(Pledge, Project, Organisation)
        .join(Project, on=(Pledge.project == Project.id))
        .switch(Pledge)
        .join(Organisation, on=(Pledge.donor == Organisation.id))
    )
    query = visible_projects(user, query)
    if not is_officer(user):
        query = query.where(Pledge.donor == user.organisation_id)
    elif donor_code:
        query = query.where(Organisation.code == donor_code)
    if status:
        query = query.where(Pledge.status == status)
    return query


def pledge_totals(rows: Iterable[tuple[str | None, str, Decimal | None]]) -> dict[str, Any]:
    """Money of ``(currency, status, amount)`` rows per currency and in EUR.

    *Pledged* counts every pledge not withdrawn; *confirmed* counts confirmed,
    disbursed and delivered ones (the rule of :mod:`tmdesk.core.funding`).
    """
    rates = exchange_rates()
    pledged: dict[str, Decimal] = defaultdict(Decimal)
    confirmed: dict[str, Decimal] = defaultdict(Decimal)
    for currency, status, amount in rows:
        if amount is None or not currency:
            continue
        if status in PLEDGED_STATUSES:
            pledged[currency] += amount
        if status in CONFIRMED_STATUSES:
            confirmed[currency] += amount
    unknown = []
    pledged_eur = confirmed_eur = Decimal(0)
    currencies = sorted(set(pledged) | set(confirmed), key=lambda c: (c != "EUR", c))
    for currency in currencies:
        try:
            pledged_eur += to_eur(pledged.get(currency, Decimal(0)), currency, rates)
            confirmed_eur += to_eur(confirmed.get(currency, Decimal(0)), currency, rates)
        except UnknownCurrency:
            unknown.append(currency)
    return {
        "rows": [(c, pledged.get(c, Decimal(0)), confirmed.get(c, Decimal(0))) for c in currencies],
        "pledged_eur": pledged_eur,
        "confirmed_eur": confirmed_eur,
        "unknown": unknown,
    }


@bp.get("/pledges")
@login_required
@require(lambda u: u.organisation.kind == "donor" or is_officer(u))
def mine():
    user = acting_user()
    officer = is_officer(user)
    status = request.args.get("status") or None
    if status is not None and status not in PLEDGE_STATUSES:
        status = None
        flash(gettext("Unknown pledge status; showing every status."), "warning")
    donor_code = (request.args.get("donor") or "").strip().upper() or None if officer else None
    page = page_arg()
    # One query under the visibility policy gives the count, the totals and
    # the order; the page's rows are then fetched by id.
    rows = list(
        _pledge_query(user, donor_code, status)
        .select(Pledge.id, Pledge.currency, Pledge.status, Pledge.amount)
        .order_by(Pledge.date.desc(), Pledge.id.desc())
        .tuples()
    )
    total = len(rows)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    page_ids = [row[0] for row in rows[(page - 1) * PER_PAGE : page * PER_PAGE]]
    by_id = (
        {
            p.id: p
            for p in (
                Pledge.select(Pledge, Project, Organisation)
                .join(Project, on=(Pledge.project == Project.id))
                .switch(Pledge)
                .join(Organisation, on=(Pledge.donor == Organisation.id))
                .where(Pledge.id.in_(page_ids))
            )
        }
        if page_ids
        else {}
    )
    items = [by_id[i] for i in page_ids]
    totals = pledge_totals(row[1:] for row in rows)
    args = {k: v for k, v in (("status", status), ("donor", donor_code)) if v}
    return render_template(
        "pledges/mine.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        totals=totals,
        officer=officer,
        status=status,
        donor_code=donor_code,
        args=args,
        donors=donor_choices()[1:] if officer else [],
    )


# --- what the project page's partial needs -------------------------------


@bp.app_context_processor
def _pledge_helpers() -> dict[str, Any]:
    # Looked up lazily, once per rendered template (a list page asks per row).
    cache: dict[str, Any] = {}

    def _user():
        if "user" not in cache:
            cache["user"] = acting_user()
        return cache["user"]

    def pledge_actions(pledge: Pledge) -> list[tuple[str, str]]:
        user = _user()
        return core_pledges.available_pledge_actions(user, pledge) if user else []

    def pledge_editable(pledge: Pledge) -> bool:
        user = _user()
        return bool(user) and pledge.status == "offered" and can_manage_pledge(user, pledge)

    def pledge_fields_allowed(pledge: Pledge) -> bool:
        return can_see_donor_fields(_user(), pledge)

    def pledge_records(pledge: Pledge) -> list[tuple[str, str]]:
        """The commitment / disbursement the user may record on the pledge now, as
        ``(kind, button text)``: what "Confirm" and "Mark disbursed" were."""
        user = _user()
        if not user:
            return []
        kinds = core_transactions.recordable_kinds(user, pledge)
        out = []
        if "commitment" in kinds and pledge.status == "offered":
            out.append(("commitment", gettext("Record a commitment")))
        if "disbursement" in kinds and pledge.status in (
            "confirmed",
            "partly_disbursed",
            "partly_delivered",
        ):
            if pledge.in_kind and pledge.amount is None:
                out.append(("disbursement", gettext("Record a delivery")))
            else:
                out.append(("disbursement", gettext("Record a disbursement")))
        return out

    return {
        "pledge_fields_allowed": pledge_fields_allowed,
        "pledge_actions": pledge_actions,
        "pledge_records": pledge_records,
        "pledge_editable": pledge_editable,
        "project_url": project_url,
    }
