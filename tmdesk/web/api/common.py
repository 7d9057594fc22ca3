"""What every JSON API blueprint shares: token auth, JSON bodies, pages, serialisers.

The API authenticates only with ``Authorization: Bearer TOKEN`` (never the
session cookie), so it needs no CSRF token; it answers JSON errors shaped
``{"error": ..., "fields": {...}}``. The shapes are documented in docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from flask import abort, g, jsonify, request
from flask_babel import gettext

from tmdesk.core import tokens
from tmdesk.core.donor_fields import stored_values
from tmdesk.core.errors import ValidationError
from tmdesk.core.funding import Funding
from tmdesk.core.i18n import N_
from tmdesk.core.models import ApiToken, Offer, Organisation, Pledge, Project, Transaction, User
from tmdesk.core.visibility import can_see_donor_fields, can_see_offer

#: Methods a read-only token may use.
READING_METHODS = ("GET", "HEAD", "OPTIONS")


def token_required(view: Callable) -> Callable:
    """Authenticate the request by its bearer token: 401 without a working one
    (unknown, revoked, expired, or its owner deactivated), 403 for a write with
    a read-only token."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, plain = header.partition(" ")
        token: ApiToken | None = None
        if scheme.lower() == "bearer" and plain.strip():
            token = tokens.token_for(plain.strip())
        if token is None:
            abort(401)
        g.api_user = token.user
        g.api_token = token
        if token.scope == "read" and request.method not in READING_METHODS:
            response = jsonify(
                error=gettext(
                    "This API token is read-only: it may read but not change anything. "
                    "Create a read-and-write token on your profile page to make changes."
                ),
                fields={},
            )
            response.status_code = 403
            return response
        return view(*args, **kwargs)

    return wrapped


class BadBody(ValidationError):
    """The body is not a JSON object at all: 400 (a bad field inside one is 422)."""

    http_status = 400


def json_body() -> dict[str, Any]:
    """The request's JSON object, whatever its Content-Type; a 400 naming ``body``
    otherwise (malformed JSON, a body nested too deeply to parse, or a JSON value
    that is not an object: an array, a string, null). Bearer tokens, not cookies,
    authenticate the API, so a form post from another site cannot reach it."""
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise BadBody(
            {"body": N_('Send a JSON object, such as {"action": "submit"}.')},
            N_("The request body must be a JSON object."),
        )
    return data


def optional_json_body() -> dict[str, Any]:
    """Like :func:`json_body`, but an empty body means ``{}`` (nothing to override)."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def page_of(items: list[dict], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def money_str(value: Decimal | None) -> str | None:
    """Amounts travel as decimal strings with two places."""
    return None if value is None else str(value.quantize(Decimal("0.01")))


def iso(value) -> str | None:
    return None if value is None else value.isoformat()


def organisation_json(org: Organisation) -> dict[str, Any]:
    return {
        "code": org.code,
        "kind": org.kind,
        "country": org.country,
        "name": {"en": org.name_en, "uk": org.name_uk},
        "iati_id": org.iati_id,
        "recipient_type": org.recipient_type or None,
    }


def project_json(project: Project, funding: Funding) -> dict[str, Any]:
    return {
        "ref": project.ref,
        "title": {"en": project.title_en, "uk": project.title_uk},
        "summary": {"en": project.summary_en, "uk": project.summary_uk},
        "category": project.category,
        "recipient": project.recipient.code,
        "oblast": project.oblast,
        "budget": {"amount": money_str(project.budget_amount), "currency": project.budget_currency},
        "priority": project.priority,
        "tlp": project.tlp,
        "status": project.status,
        "funding": {
            "state": funding.state,
            "pledged_eur": money_str(funding.pledged_eur),
            "confirmed_eur": money_str(funding.confirmed_eur),
            "gap_eur": money_str(funding.gap_eur),
        },
        "planned_start": iso(project.planned_start),
        "planned_end": iso(project.planned_end),
        "beneficiaries": project.beneficiaries,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def pledge_json(
    pledge: Pledge, user: User | None, own_fields: dict[int, dict[str, str]] | None = None
) -> dict[str, Any]:
    """A pledge; its ``offer`` only for those who may see that offer (else null), its
    donor's own fields only for that donor and the offices (else null). ``own_fields``
    are the fields of a page of pledges fetched at once (:func:`values_for_pledges`)."""
    offer = pledge.offer if pledge.offer_id is not None else None
    if not can_see_donor_fields(user, pledge):
        fields = None
    elif own_fields is not None:
        fields = own_fields.get(pledge.id, {})
    else:
        fields = stored_values(pledge)
    return {
        "id": pledge.uid,
        "project": pledge.project.ref,
        "donor": pledge.donor.code,
        "amount": money_str(pledge.amount),
        "currency": pledge.currency,
        "in_kind": pledge.in_kind or None,
        "in_kind_quantity": pledge.in_kind_quantity,
        "status": pledge.status,
        "date": iso(pledge.date),
        "offer": offer.uid if offer is not None and can_see_offer(user, offer) else None,
        "donor_fields": fields,
    }


def transaction_json(t: Transaction) -> dict[str, Any]:
    """A transaction of a pledge (docs/api.md); its engagement by uid, as every record."""
    return {
        "id": t.uid,
        "kind": t.kind,
        "amount": money_str(t.amount),
        "currency": t.currency,
        "quantity": t.quantity,
        "value_date": iso(t.value_date),
        "reference": t.reference,
        "note": t.note,
        "engagement": t.engagement.uid if t.engagement_id is not None else None,
    }


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.uid,
        "organisation": offer.organisation.code,
        "category": offer.category,
        "description": offer.description,
        "quantity": offer.quantity,
        "value": {"amount": money_str(offer.value_amount), "currency": offer.value_currency}
        if offer.value_amount is not None
        else None,
        "status": offer.status,
        "valid_until": iso(offer.valid_until),
    }
