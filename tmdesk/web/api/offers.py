"""The JSON API: offers."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for

from tmdesk.core import offers as offer_service
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import (
    Offer,
    OfferLink,
    Organisation,
    Project,
    User,
)
from tmdesk.core.visibility import (
    visibility_condition,
    visible_offers,
)
from tmdesk.core.vocab import CATEGORIES, OFFER_STATUSES
from tmdesk.web.api.base import (
    OFFER_GROUPS,
    OFFER_PLAIN,
    api_names,
    arg_choice,
    bp,
    code_arg,
    created,
    flatten,
    get_by_uid,
    paging,
    rename_fields,
)
from tmdesk.web.api.common import (
    json_body,
    offer_json,
    page_of,
    token_required,
)
from tmdesk.web.common import acting_user

# --- offers -----------------------------------------------------------------


def _offers_query(user: User):
    return visible_offers(
        user,
        Offer.select(Offer, Organisation).join(
            Organisation, on=(Offer.organisation == Organisation.id)
        ),
    )


def _offers_json(user: User, offers: list[Offer]) -> list[dict[str, Any]]:
    """Offers with ``projects``: the refs of linked projects ``user`` may see.

    A link is derived from its project, so a hidden project's link is left out.
    """
    linked: dict[int, list[str]] = {o.id: [] for o in offers}
    if linked:
        links = (
            OfferLink.select(OfferLink.offer, Project.ref)
            .join(Project, on=(OfferLink.project == Project.id))
            .where(OfferLink.offer.in_(list(linked)) & visibility_condition(user))
            .order_by(Project.ref)
            .tuples()
        )
        for offer_id, ref in links:
            linked[offer_id].append(ref)
    return [offer_json(o) | {"projects": linked[o.id]} for o in offers]


@bp.get("/offers")
@token_required
def offer_list():
    user = acting_user()
    page, per_page = paging()
    query = _offers_query(user)
    statuses = arg_choice("status", OFFER_STATUSES)
    categories = arg_choice("category", CATEGORIES)
    orgs = [
        c.strip().upper()
        for raw in request.args.getlist("organisation")
        for c in raw.split(",")
        if c.strip()
    ]
    if statuses:
        query = query.where(Offer.status.in_(statuses))
    if categories:
        query = query.where(Offer.category.in_(categories))
    if orgs:
        query = query.where(Organisation.code.in_(orgs))
    total = query.count()
    offers = list(
        query.order_by(Offer.created_at.desc(), Offer.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return jsonify(page_of(_offers_json(user, offers), page, per_page, total))


@bp.get("/offers/<uid:offer_id>")
@token_required
def offer_detail(offer_id: str):
    user = acting_user()
    offer = get_by_uid(_offers_query(user), Offer, offer_id)
    if offer is None:
        abort(404)
    return jsonify(_offers_json(user, [offer])[0])


@bp.post("/offers")
@token_required
def offer_create():
    body = json_body()
    org_code = code_arg(body, "organisation")
    data = flatten(body, OFFER_GROUPS, OFFER_PLAIN, offer_service.clean_offer_data)
    try:
        offer = offer_service.create_offer(acting_user(), data, org_code)
    except ValidationError as exc:
        raise rename_fields(exc, api_names(OFFER_GROUPS)) from None
    return created(
        offer_json(offer) | {"projects": []}, url_for("api.offer_detail", offer_id=offer.uid)
    )
