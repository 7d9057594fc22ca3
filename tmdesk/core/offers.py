"""Offers of assistance, their links to projects, and company engagements."""

from __future__ import annotations

from typing import Any

from tmdesk.core import audience, audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import given_uid
from tmdesk.core.models import (
    Engagement,
    Offer,
    OfferLink,
    Organisation,
    Project,
    User,
    utcnow,
)
from tmdesk.core.permissions import (
    can_link_offers,
    can_manage_engagements,
    can_manage_offer,
    can_record_offer,
)
from tmdesk.core.pledges import acting_organisation, validate_together
from tmdesk.core.vocab import CATEGORIES, CURRENCIES, OFFER_STATUSES

#: Fields of an offer its maker edits, in form order: what the offer form shows
#: and what a desk sends the office when it records one.
EDITABLE_FIELDS = (
    "category",
    "description",
    "quantity",
    "value_amount",
    "value_currency",
    "valid_until",
    "status",
)


def clean_offer_data(data: dict[str, Any]) -> dict[str, Any]:
    errors = validation.Errors()
    out = {
        "category": validation.choice(errors, data, "category", CATEGORIES),
        "description": validation.text(
            errors, data, "description", required=True, max_length=validation.MAX_TEXT
        ),
        "quantity": validation.integer(errors, data, "quantity", minimum=1),
        "value_amount": validation.amount(errors, data, "value_amount"),
        "value_currency": validation.choice(
            errors, data, "value_currency", CURRENCIES, required=False
        ),
        "valid_until": validation.date(errors, data, "valid_until"),
        "status": validation.choice(errors, data, "status", OFFER_STATUSES, default="open"),
    }
    if out["value_amount"] is not None and not out["value_currency"]:
        errors["value_currency"] = N_("Give the currency of the value.")
    if out["value_amount"] is None:
        out["value_currency"] = None
    errors.raise_if_any()
    return out


def resolve_offering_org(user: User, code: str | None) -> Organisation:
    """The offering organisation: the user's own, or (for officers) a donor or company."""
    return acting_organisation(
        user,
        code,
        ("donor", "company"),
        field="organisation",
        own_only=N_("You record offers for your own organisation only."),
        outsider=N_("Only donors, companies and the offices record offers."),
        choose=N_("Choose the donor or company making the offer."),
    )


def create_offer(
    user: User, data: dict[str, Any], org_code: str | None = None, uid: str | None = None
) -> Offer:
    if not can_record_offer(user):
        raise PermissionDenied(N_("You may not record offers."))
    org, fields = validate_together(
        lambda: resolve_offering_org(user, org_code), lambda: clean_offer_data(data)
    )
    with database.atomic():
        now = utcnow()
        offer = Offer.create(
            **given_uid(uid),
            organisation=org,
            created_by=user,
            created_at=now,
            updated_at=now,
            **fields,
        )
        audit.record(user, "offer.create", offer, None, audit.snapshot(offer))
    return offer


def update_offer(user: User, offer: Offer, data: dict[str, Any]) -> Offer:
    if not can_manage_offer(user, offer):
        raise PermissionDenied(N_("You may not change this offer."))
    audit.update(user, offer, clean_offer_data(data), "offer.update")
    return offer


def link_offer(user: User, offer: Offer, project: Project, note: str = "") -> OfferLink:
    """Record that ``offer`` could serve ``project`` (the caller checked visibility)."""
    if not can_link_offers(user):
        raise PermissionDenied(N_("Only the coordinating offices link offers to projects."))
    errors = validation.Errors()
    note = validation.text(errors, {"note": note}, "note", max_length=2000)
    errors.raise_if_any()
    existing = OfferLink.get_or_none((OfferLink.offer == offer) & (OfferLink.project == project))
    if existing:
        return existing
    audience.require_organisation_sees(
        offer.organisation,
        project,
        "offer",
        N_("The organisation making the offer cannot see this project, so it cannot be linked."),
    )
    with database.atomic():
        link = OfferLink.create(offer=offer, project=project, note=note, created_by=user)
        if offer.status == "open":
            offer.status = "matched"
            offer.updated_at = utcnow()
            offer.save()
        audit.record(user, "offer.link", link, None, audit.snapshot(link))
    return link


def unlink_offer(user: User, link: OfferLink) -> None:
    if not can_link_offers(user):
        raise PermissionDenied(N_("Only the coordinating offices link offers to projects."))
    with database.atomic():
        audit.record(user, "offer.unlink", link, audit.snapshot(link), None)
        link.delete_instance()


def clean_engagement_data(data: dict[str, Any]) -> dict[str, Any]:
    errors = validation.Errors()
    out: dict[str, Any] = {
        "role": validation.text(errors, data, "role", required=True, max_length=200),
        "contract_amount": validation.amount(errors, data, "contract_amount"),
        "contract_currency": validation.choice(
            errors, data, "contract_currency", CURRENCIES, required=False
        ),
        "start_date": validation.date(errors, data, "start_date"),
        "end_date": validation.date(errors, data, "end_date"),
    }
    if out["contract_amount"] is not None and not out["contract_currency"]:
        errors["contract_currency"] = N_("Give the currency of the contract value.")
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        errors["end_date"] = N_("The end date is before the start date.")
    errors.raise_if_any()
    return out


def create_engagement(
    user: User, project: Project, company_code: str, data: dict[str, Any]
) -> Engagement:
    """Record that a company implements (part of) a project."""
    if not can_manage_engagements(user):
        raise PermissionDenied(N_("Only the coordinating offices record engagements."))

    def find_company() -> Organisation:
        company = Organisation.get_or_none(
            (Organisation.code == (company_code or "")) & (Organisation.kind == "company")
        )
        if company is None:
            raise ValidationError({"company": N_("Choose the company.")})
        return company

    company, fields = validate_together(find_company, lambda: clean_engagement_data(data))
    with database.atomic():
        engagement = Engagement.create(project=project, company=company, created_by=user, **fields)
        # Checked after the write: being engaged lets a company see an AMBER
        # project; if it still could not, the error rolls the engagement back.
        audience.require_organisation_sees(
            company,
            project,
            "company",
            N_("The company could not see this project, so it cannot be engaged on it."),
        )
        audit.record(user, "engagement.create", engagement, None, audit.snapshot(engagement))
    return engagement


def update_engagement(user: User, engagement: Engagement, data: dict[str, Any]) -> Engagement:
    if not can_manage_engagements(user):
        raise PermissionDenied(N_("Only the coordinating offices record engagements."))
    audit.update(user, engagement, clean_engagement_data(data), "engagement.update")
    return engagement


def delete_engagement(user: User, engagement: Engagement) -> None:
    if not can_manage_engagements(user):
        raise PermissionDenied(N_("Only the coordinating offices record engagements."))
    with database.atomic():
        audit.record(user, "engagement.delete", engagement, audit.snapshot(engagement), None)
        engagement.delete_instance()
