"""Offers of assistance, their links to projects, and company engagements.

Offers follow :func:`~tmdesk.core.visibility.visible_offers` (the offices see
all, donors and companies their own). Links and engagements are derived from
a project, so they are visible exactly when the project is: each view checks
the project with the one policy and answers 404 when it is hidden.
"""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from tmdesk.core import offers as core_offers
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.ids import is_uid
from tmdesk.core.models import Engagement, Offer, OfferLink, Organisation, Project
from tmdesk.core.permissions import (
    can_link_offers,
    can_manage_engagements,
    can_manage_offer,
    can_record_offer,
)
from tmdesk.core.visibility import (
    can_see,
    get_visible_project,
    is_officer,
    visible_offers,
    visible_projects,
)
from tmdesk.core.vocab import CATEGORIES, OFFER_STATUSES
from tmdesk.web.common import (
    acting_user,
    apply_errors,
    date_field_kw,
    date_input,
    flash_error,
    form_page,
    locale_code,
    page_arg,
    project_or_404,
    require,
)
from tmdesk.web.pledges import back_to, currency_choices, project_url

bp = Blueprint("offers", __name__)

PER_PAGE = 25


# --- forms ----------------------------------------------------------------


def _org_choices(kinds: tuple[str, ...], prompt: str) -> list[tuple[str, str]]:
    orgs = (
        Organisation.select()
        .where(Organisation.kind.in_(kinds) & Organisation.active)
        .order_by(Organisation.name_en)
    )
    return [("", prompt)] + [(o.code, f"{o.name(locale_code())} ({o.code})") for o in orgs]


def _vocab_choices(vocabulary: dict[str, str], prompt: str | None) -> list[tuple[str, str]]:
    choices = [(code, gettext(text)) for code, text in vocabulary.items()]
    return [("", prompt), *choices] if prompt else choices


class OfferForm(FlaskForm):
    # The core validates every value (tmdesk.core.offers.clean_offer_data).
    organisation = SelectField(lazy_gettext("Offered by"), validate_choice=False)
    category = SelectField(lazy_gettext("Category"), validate_choice=False)
    description = TextAreaField(lazy_gettext("What is offered"), render_kw={"rows": 4})
    quantity = StringField(lazy_gettext("How many"), render_kw={"inputmode": "numeric"})
    value_amount = StringField(lazy_gettext("Estimated value"), render_kw={"inputmode": "decimal"})
    value_currency = SelectField(lazy_gettext("Currency of the value"), validate_choice=False)
    valid_until = StringField(lazy_gettext("Valid until"), render_kw=date_field_kw())
    status = SelectField(lazy_gettext("Status"), validate_choice=False)

    def data_for_core(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in core_offers.EDITABLE_FIELDS}


def _offer_form(officer: bool, **kwargs) -> OfferForm:
    form = OfferForm(**kwargs)
    form.category.choices = _vocab_choices(CATEGORIES, gettext("— choose —"))
    form.value_currency.choices = currency_choices()
    form.status.choices = _vocab_choices(OFFER_STATUSES, None)
    if officer:
        form.organisation.choices = _org_choices(
            ("donor", "company"), gettext("— choose the donor or company —")
        )
    else:
        del form.organisation
    return form


class LinkForm(FlaskForm):
    ref = StringField(lazy_gettext("Project reference"), render_kw={"placeholder": "TM-2026-0001"})
    note = TextAreaField(lazy_gettext("Note"), render_kw={"rows": 2})


class ProjectLinkForm(FlaskForm):
    offer = SelectField(lazy_gettext("Offer"), validate_choice=False)
    note = StringField(lazy_gettext("Note"))


class EngagementForm(FlaskForm):
    company = SelectField(lazy_gettext("Company"), validate_choice=False)
    role = StringField(
        lazy_gettext("Role"),
        render_kw={"placeholder": lazy_gettext("e.g. SOC deployment, training provider")},
    )
    contract_amount = StringField(
        lazy_gettext("Contract value"), render_kw={"inputmode": "decimal"}
    )
    contract_currency = SelectField(lazy_gettext("Currency"), validate_choice=False)
    start_date = StringField(lazy_gettext("Start"), render_kw=date_field_kw())
    end_date = StringField(lazy_gettext("End"), render_kw=date_field_kw())

    FIELDS = ("role", "contract_amount", "contract_currency", "start_date", "end_date")

    def data_for_core(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in self.FIELDS}


def _engagement_form(with_company: bool, **kwargs) -> EngagementForm:
    form = EngagementForm(prefix="eng", **kwargs)
    form.contract_currency.choices = currency_choices()
    if with_company:
        form.company.choices = _org_choices(("company",), gettext("— choose the company —"))
    else:
        del form.company
    return form


# --- lookups that answer 404 for what the user may not see -----------------


def offer_or_404(offer_id: str) -> Offer:
    """The offer with this uid if the acting user may see it; 404 otherwise."""
    offer = visible_offers(acting_user()).where(Offer.uid == offer_id).first()
    if offer is None:
        abort(404)
    return offer


def engagement_or_404(engagement_id: str) -> Engagement:
    engagement = Engagement.get_or_none(Engagement.uid == engagement_id)
    if engagement is None or not can_see(acting_user(), engagement.project):
        abort(404)
    return engagement


def visible_links(offer: Offer) -> list[OfferLink]:
    """The offer's links to projects the user may see."""
    query = (
        OfferLink.select(OfferLink, Project)
        .join(Project, on=(OfferLink.project == Project.id))
        .where(OfferLink.offer == offer.id)
    )
    return list(visible_projects(acting_user(), query).order_by(OfferLink.created_at.desc()))


# --- offers ---------------------------------------------------------------


@bp.get("/offers")
@login_required
@require(can_record_offer)
def index():
    user = acting_user()
    officer = is_officer(user)
    args = request.args
    status = args.get("status") if args.get("status") in OFFER_STATUSES else None
    category = args.get("category") if args.get("category") in CATEGORIES else None
    org_code = (args.get("organisation") or "").strip().upper() or None if officer else None
    q = (args.get("q") or "").strip()[:100]
    query = visible_offers(
        user,
        Offer.select(Offer, Organisation).join(
            Organisation, on=(Offer.organisation == Organisation.id)
        ),
    )
    if status:
        query = query.where(Offer.status == status)
    if category:
        query = query.where(Offer.category == category)
    if org_code:
        query = query.where(Organisation.code == org_code)
    if q:
        query = query.where(Offer.description.contains(q))
    page = page_arg()
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    items = list(query.order_by(Offer.created_at.desc(), Offer.id.desc()).paginate(page, PER_PAGE))
    # Linked projects the user may see, counted in one query for the page.
    counts: dict[int, int] = {}
    if items:
        link_query = (
            OfferLink.select(OfferLink.offer, pw.fn.COUNT(OfferLink.id).alias("n"))
            .join(Project, on=(OfferLink.project == Project.id))
            .where(OfferLink.offer.in_([o.id for o in items]))
        )
        for row in visible_projects(user, link_query).group_by(OfferLink.offer).dicts():
            counts[row["offer"]] = row["n"]
    filter_args = {
        k: v
        for k, v in (
            ("status", status),
            ("category", category),
            ("organisation", org_code),
            ("q", q),
        )
        if v
    }
    return render_template(
        "offers/index.html",
        items=items,
        counts=counts,
        total=total,
        page=page,
        pages=pages,
        args=filter_args,
        status=status,
        category=category,
        org_code=org_code,
        q=q,
        officer=officer,
        organisations=_org_choices(("donor", "company"), "")[1:] if officer else [],
    )


@bp.route("/offers/new", methods=["GET", "POST"])
@login_required
@require(can_record_offer)
def new():
    user = acting_user()
    officer = is_officer(user)
    form = _offer_form(officer)
    return form_page(
        form,
        lambda: core_offers.create_offer(
            user, form.data_for_core(), org_code=form.organisation.data if officer else None
        ),
        gettext("The offer is recorded."),
        lambda offer: url_for("offers.detail", offer_id=offer.uid),
        "offers/form.html",
        offer=None,
    )


@bp.get("/offers/<uid:offer_id>")
@login_required
def detail(offer_id: str):
    offer = offer_or_404(offer_id)
    return _render_detail(offer, LinkForm(formdata=None))


def _render_detail(offer: Offer, link_form: LinkForm, status: int = 200):
    user = acting_user()
    return render_template(
        "offers/detail.html",
        offer=offer,
        links=visible_links(offer),
        link_form=link_form,
        can_edit=can_manage_offer(user, offer),
        can_link=can_link_offers(user),
    ), status


@bp.route("/offers/<uid:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(offer_id: str):
    user = acting_user()
    offer = offer_or_404(offer_id)
    if not can_manage_offer(user, offer):
        abort(403)
    if request.method == "GET":
        form = _offer_form(
            False,
            data={
                "category": offer.category,
                "description": offer.description,
                "quantity": offer.quantity or "",
                "value_amount": offer.value_amount if offer.value_amount is not None else "",
                "value_currency": offer.value_currency or "",
                "valid_until": date_input(offer.valid_until),
                "status": offer.status,
            },
        )
    else:
        form = _offer_form(False)
    return form_page(
        form,
        lambda: core_offers.update_offer(user, offer, form.data_for_core()),
        gettext("The offer is saved."),
        url_for("offers.detail", offer_id=offer.uid),
        "offers/form.html",
        offer=offer,
    )


@bp.post("/offers/<uid:offer_id>/links")
@login_required
def link(offer_id: str):
    """Link the offer to a project by its reference (officers; the project must be visible)."""
    user = acting_user()
    offer = offer_or_404(offer_id)
    if not can_link_offers(user):
        abort(403)
    form = LinkForm()
    if not form.validate_on_submit():
        return _render_detail(offer, form, 400)
    ref = (form.ref.data or "").strip().upper()
    project = get_visible_project(user, ref) if ref else None
    if project is None:
        # A hidden project reads exactly like a missing one.
        form.ref.errors = [
            gettext("No project with this reference was found.")
            if ref
            else gettext("Give the project's reference.")
        ]
        return _render_detail(offer, form, 404 if ref else 400)
    try:
        core_offers.link_offer(user, offer, project, form.note.data or "")
    except ValidationError as exc:
        apply_errors(form, exc)
        return _render_detail(offer, form, 400)
    flash(gettext("The offer is linked to %(ref)s.", ref=project.ref), "success")
    return redirect(back_to(url_for("offers.detail", offer_id=offer.uid)))


@bp.post("/projects/<ref>/offer-links")
@login_required
def link_to_project(ref: str):
    """From the project page: link one of the open offers to this project."""
    user = acting_user()
    project = project_or_404(ref)
    if not can_link_offers(user):
        abort(403)
    form = ProjectLinkForm(prefix="olink")
    if form.validate_on_submit():
        offer_id = form.offer.data or ""
        offer = (
            visible_offers(user).where(Offer.uid == offer_id).first() if is_uid(offer_id) else None
        )
        if offer is None:
            flash(gettext("Choose an offer to link."), "error")
        else:
            try:
                core_offers.link_offer(user, offer, project, form.note.data or "")
            except ValidationError as exc:
                for message in exc.fields.values():
                    flash(gettext(message), "error")
            else:
                flash(gettext("The offer is linked to this project."), "success")
    return redirect(project_url(project))


@bp.post("/offer-links/<uid:link_id>/delete")
@login_required
def unlink(link_id: str):
    user = acting_user()
    link = OfferLink.get_or_none(OfferLink.uid == link_id)
    if link is None or not can_see(user, link.project):
        abort(404)
    if not can_link_offers(user):
        abort(403)
    project = link.project
    core_offers.unlink_offer(user, link)
    flash(gettext("The link is removed."), "success")
    return redirect(back_to(project_url(project)))


# --- engagements ----------------------------------------------------------


@bp.route("/projects/<ref>/engagements", methods=["POST"])
@bp.route("/projects/<ref>/engagements/new", methods=["GET"])
@login_required
def engagement_new(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not can_manage_engagements(user):
        abort(403)
    form = _engagement_form(True)
    return form_page(
        form,
        lambda: core_offers.create_engagement(
            user, project, form.company.data or "", form.data_for_core()
        ),
        gettext("The engagement is recorded."),
        project_url(project),
        "offers/engagement_form.html",
        project=project,
        engagement=None,
    )


@bp.route("/engagements/<uid:engagement_id>/edit", methods=["GET", "POST"])
@login_required
def engagement_edit(engagement_id: str):
    user = acting_user()
    engagement = engagement_or_404(engagement_id)
    if not can_manage_engagements(user):
        abort(403)
    if request.method == "GET":
        e = engagement
        form = _engagement_form(
            False,
            data={
                "role": e.role,
                "contract_amount": e.contract_amount if e.contract_amount is not None else "",
                "contract_currency": e.contract_currency or "",
                "start_date": date_input(e.start_date),
                "end_date": date_input(e.end_date),
            },
        )
    else:
        form = _engagement_form(False)
    return form_page(
        form,
        lambda: core_offers.update_engagement(user, engagement, form.data_for_core()),
        gettext("The engagement is saved."),
        project_url(engagement.project),
        "offers/engagement_form.html",
        project=engagement.project,
        engagement=engagement,
    )


@bp.post("/engagements/<uid:engagement_id>/delete")
@login_required
def engagement_delete(engagement_id: str):
    user = acting_user()
    engagement = engagement_or_404(engagement_id)
    project = engagement.project
    try:
        core_offers.delete_engagement(user, engagement)
    except PermissionDenied as exc:
        flash_error(exc)
        abort(403)
    flash(gettext("The engagement is removed."), "success")
    return redirect(project_url(project))


# --- what the project page's partials need --------------------------------


@bp.app_context_processor
def _offer_helpers() -> dict[str, Any]:
    def linkable_offers_form(project: Project) -> ProjectLinkForm | None:
        """For officers: a form listing open or matched offers not yet linked to the project."""
        user = acting_user()
        if user is None or not can_link_offers(user):
            return None
        linked = OfferLink.select(OfferLink.offer).where(OfferLink.project == project.id)
        offers = (
            visible_offers(
                user,
                Offer.select(Offer, Organisation).join(
                    Organisation, on=(Offer.organisation == Organisation.id)
                ),
            )
            .where(Offer.status.in_(("open", "matched")) & Offer.id.not_in(linked))
            .order_by(Organisation.code, Offer.id)
        )
        form = ProjectLinkForm(prefix="olink", formdata=None)
        form.offer.choices = [("", gettext("— choose an offer —"))] + [
            (o.uid, f"{o.organisation.code}: {_short(o.description)}") for o in offers
        ]
        return form

    def engagement_add_form() -> EngagementForm | None:
        user = acting_user()
        if user is None or not can_manage_engagements(user):
            return None
        return _engagement_form(True, formdata=None)

    return {
        "linkable_offers_form": linkable_offers_form,
        "engagement_add_form": engagement_add_form,
    }


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
