"""The JSON API: pledges, their workflow, donors' own fields and transactions."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, url_for

from tmdesk.core import donor_fields
from tmdesk.core import pledges as pledge_service
from tmdesk.core import transactions as transaction_service
from tmdesk.core.errors import ValidationError
from tmdesk.core.i18n import N_, localized
from tmdesk.core.ids import is_uid
from tmdesk.core.models import (
    Offer,
    Organisation,
    Pledge,
    Project,
)
from tmdesk.core.visibility import (
    can_see_donor_fields,
    visible_offers,
    visible_projects,
)
from tmdesk.core.vocab import PLEDGE_STATUSES
from tmdesk.web.api.base import (
    arg_choice,
    bp,
    code_arg,
    created,
    get_by_uid,
    paging,
    rename_fields,
    workflow_step,
)
from tmdesk.web.api.common import (
    json_body,
    money_str,
    page_of,
    pledge_json,
    token_required,
    transaction_json,
)
from tmdesk.web.common import acting_user, project_or_404
from tmdesk.web.extensions import donor_field_definitions

# --- pledges ----------------------------------------------------------------


def _pledges_query():
    return Pledge.select(Pledge, Organisation).join(
        Organisation, on=(Pledge.donor == Organisation.id)
    )


@bp.get("/projects/<ref>/pledges")
@token_required
def pledge_list(ref: str):
    project = project_or_404(ref)
    page, per_page = paging()
    statuses = arg_choice("status", PLEDGE_STATUSES)
    query = _pledges_query().where(Pledge.project == project.id)
    if statuses:
        query = query.where(Pledge.status.in_(statuses))
    total = query.count()
    pledges = list(
        query.order_by(Pledge.date, Pledge.id).offset((page - 1) * per_page).limit(per_page)
    )
    for pledge in pledges:
        pledge.project = project
    user = acting_user()
    own = donor_fields.values_for_pledges(user, [p.id for p in pledges])
    return jsonify(page_of([pledge_json(p, user, own) for p in pledges], page, per_page, total))


@bp.post("/projects/<ref>/pledges")
@token_required
def pledge_create(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    body = json_body()
    donor = code_arg(body, "donor")
    offer = None
    if body.get("offer") is not None:
        offer_id = body["offer"]
        if not isinstance(offer_id, str) or not is_uid(offer_id):
            raise ValidationError({"offer": N_("Must be the id of an offer (its uid).")})
        offer = get_by_uid(visible_offers(user), Offer, offer_id)
        if offer is None:
            raise ValidationError({"offer": N_("No such offer.")})
    data = {name: body[name] for name in pledge_service.EDITABLE_FIELDS if name in body}
    pledge = pledge_service.create_pledge(user, project, data, donor_code=donor, offer=offer)
    return created(
        pledge_json(pledge, acting_user()), url_for("api.pledge_detail", pledge_id=pledge.uid)
    )


def _pledge_or_404(pledge_id: str) -> Pledge:
    """The pledge if the acting user may see its project; 404 otherwise."""
    pledge = get_by_uid(_pledges_query(), Pledge, pledge_id)
    if pledge is None:
        abort(404)
    project = visible_projects(acting_user()).where(Project.id == pledge.project_id).first()
    if project is None:
        abort(404)
    pledge.project = project
    return pledge


@bp.get("/pledges/<uid:pledge_id>")
@token_required
def pledge_detail(pledge_id: str):
    return jsonify(pledge_json(_pledge_or_404(pledge_id), acting_user()))


def _both_languages(text) -> dict[str, str]:
    """A plugin's text as ``{"en": …, "uk": …}`` (one string stands for both)."""
    if isinstance(text, str):
        return {"en": text, "uk": text}
    return {lang: localized(text, lang) or "" for lang in ("en", "uk")}


def _donor_fields_json(pledge: Pledge) -> dict[str, Any]:
    """The fields that apply to ``pledge``'s donor, each with its value (or null)."""
    values = donor_fields.stored_values(pledge)
    definitions = donor_fields.fields_for(donor_field_definitions(current_app), pledge.donor.code)
    return {
        "pledge": pledge.uid,
        "donor": pledge.donor.code,
        "fields": [
            {
                "name": d.name,
                "label": _both_languages(d.label),
                "help": _both_languages(d.help) if d.help else None,
                "type": d.type,
                "choices": [{"value": v, "label": _both_languages(t)} for v, t in d.choices or ()]
                if d.choices
                else None,
                "value": values.get(d.name),
            }
            for d in definitions
        ],
    }


def _pledge_with_fields(pledge_id: str) -> Pledge:
    """The pledge if the acting user may see its donor's own fields: 404 when it may not
    see the pledge, 403 when it sees the pledge but the fields are another donor's."""
    pledge = _pledge_or_404(pledge_id)
    if not can_see_donor_fields(acting_user(), pledge):
        abort(403)
    return pledge


@bp.get("/pledges/<uid:pledge_id>/fields")
@token_required
def pledge_fields(pledge_id: str):
    return jsonify(_donor_fields_json(_pledge_with_fields(pledge_id)))


@bp.put("/pledges/<uid:pledge_id>/fields")
@token_required
def pledge_fields_update(pledge_id: str):
    pledge = _pledge_with_fields(pledge_id)
    body = json_body()
    given = body.get("fields")
    if not isinstance(given, dict):
        raise ValidationError(
            {
                "fields": N_(
                    'Send the fields as an object, such as {"fields": {"crs_id": "2026000123"}}.'
                )
            }
        )
    try:
        donor_fields.set_values(acting_user(), pledge, donor_field_definitions(current_app), given)
    except ValidationError as exc:
        # Named as in the body (``fields.crs_id``), like the API's other nested keys.
        raise rename_fields(exc, {name: f"fields.{name}" for name in exc.fields}) from None
    return jsonify(_donor_fields_json(pledge))


@bp.post("/pledges/<uid:pledge_id>/transitions")
@token_required
def pledge_transition(pledge_id: str):
    return workflow_step(
        _pledge_or_404(pledge_id),
        pledge_service.PLEDGE_TRANSITIONS,
        lambda user, pledge, action, _body: pledge_service.transition_pledge(user, pledge, action),
        lambda pledge: pledge_json(pledge, acting_user()),
    )


TRANSACTION_PLAIN = (
    "kind",
    "amount",
    "currency",
    "quantity",
    "value_date",
    "reference",
    "note",
    "engagement",
)


@bp.get("/pledges/<uid:pledge_id>/transactions")
@token_required
def transaction_list(pledge_id: str):
    """The pledge's dated transactions, oldest first, with what is committed and disbursed."""
    pledge = _pledge_or_404(pledge_id)
    rows = transaction_service.pledge_transactions(pledge)
    money = transaction_service.money_pledge(pledge)
    return jsonify(
        {
            "pledge": pledge.uid,
            "status": pledge.status,
            "committed": money_str(transaction_service.committed(pledge, rows)) if money else None,
            "disbursed": money_str(transaction_service.disbursed(pledge, rows)) if money else None,
            "currency": pledge.currency,
            "items": [transaction_json(t) for t in rows],
        }
    )


@bp.post("/pledges/<uid:pledge_id>/transactions")
@token_required
def transaction_create(pledge_id: str):
    """Record a commitment, disbursement, expenditure or incoming commitment."""
    pledge = _pledge_or_404(pledge_id)
    body = json_body()
    data = {name: body[name] for name in TRANSACTION_PLAIN if name in body}
    transaction = transaction_service.record_transaction(acting_user(), pledge, data)
    return created(
        transaction_json(transaction), url_for("api.transaction_list", pledge_id=pledge.uid)
    )
