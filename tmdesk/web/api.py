"""The JSON API v1: projects, the workflow, pledges, offers, organisations.

Every route authenticates with a bearer token (:func:`token_required`, never
the session cookie) and sees exactly what the same user sees in the pages:
projects come through the Catalogue query or :func:`project_or_404`, and
anything derived from a project answers 404 when its project is hidden.

The API speaks nested shapes (``"title": {"en", "uk"}``, ``"budget":
{"amount", "currency"}``); the core speaks flat field names (``title_en``,
``budget_amount``). This module maps bodies to the core and the core's field
errors back to the API's names (``title.en``, ``budget.amount``), so a client
only ever sees the names it sent. The shapes are documented in docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_babel import gettext

from tmdesk.core import donor_fields, validation
from tmdesk.core import offers as offer_service
from tmdesk.core import pledges as pledge_service
from tmdesk.core import projects as project_service
from tmdesk.core import transactions as transaction_service
from tmdesk.core.catalogue import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    parse_filters,
    search_catalogue,
)
from tmdesk.core.errors import TransitionError, ValidationError
from tmdesk.core.funding import project_funding
from tmdesk.core.i18n import N_, localized
from tmdesk.core.ids import is_uid
from tmdesk.core.models import (
    Offer,
    OfferLink,
    Organisation,
    Pledge,
    Project,
    StatusChange,
    User,
)
from tmdesk.core.permissions import EDITABLE_STATUSES, is_recipient_of
from tmdesk.core.visibility import (
    can_see_donor_fields,
    visibility_condition,
    visible_offers,
    visible_projects,
)
from tmdesk.core.vocab import CATEGORIES, OFFER_STATUSES, ORG_KINDS, PLEDGE_STATUSES
from tmdesk.web.api_common import (
    iso,
    money_str,
    offer_json,
    organisation_json,
    page_of,
    pledge_json,
    project_json,
    token_required,
    transaction_json,
)
from tmdesk.web.common import acting_user, project_or_404
from tmdesk.web.errors import json_error
from tmdesk.web.extensions import donor_field_definitions

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class BadRequest(ValidationError):
    """The body is not a JSON object at all (answered 400, not 422)."""

    http_status = 400


@bp.errorhandler(401)
def _unauthorised(_exc):
    """Say what is missing: the API never looks at the login cookie."""
    return json_error(
        401,
        gettext("A valid API token is required: send the header “Authorization: Bearer TOKEN”."),
    )


@bp.after_request
def _challenge(response):
    """Tell clients how to authenticate when they did not (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="tmdesk"')
    return response


# --- request helpers --------------------------------------------------------


def _body() -> dict[str, Any]:
    """The request's JSON object, whatever its Content-Type; 400 otherwise.

    Malformed JSON, a body nested too deeply to parse, or a JSON value that
    is not an object (an array, a string, null) is a 400 naming ``body``.
    """
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise BadRequest(
            {"body": N_('Send a JSON object, such as {"action": "submit"}.')},
            N_("The request body must be a JSON object."),
        )
    return data


def _paging() -> tuple[int, int]:
    """``?page`` and ``?per_page`` (at most :data:`MAX_PER_PAGE`)."""
    errors = validation.Errors()
    raw = {"page": request.args.get("page"), "per_page": request.args.get("per_page")}
    page = validation.integer(errors, raw, "page", minimum=1) or 1
    per_page = (
        validation.integer(errors, raw, "per_page", minimum=1, maximum=MAX_PER_PAGE)
        or DEFAULT_PER_PAGE
    )
    errors.raise_if_any()
    return page, per_page


def _arg_choice(name: str, allowed) -> list[str]:
    """A multi-valued filter (repeated or comma-separated); 422 on unknown values."""
    values = [
        part.strip()
        for raw in request.args.getlist(name)
        for part in raw.split(",")
        if part.strip()
    ]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError({name: N_("Not one of the allowed values.")})
    return values


def _code_arg(body: dict[str, Any], name: str) -> str | None:
    """An optional organisation code in a body (``donor``, ``organisation``)."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 32:
        raise ValidationError({name: N_("Must be an organisation code such as GB.")})
    return value.strip().upper()


def _action(body: dict[str, Any], allowed) -> str:
    action = body.get("action")
    if action is None or action == "":
        raise ValidationError({"action": N_("This field is required.")})
    if not isinstance(action, str) or action not in allowed:
        raise ValidationError({"action": N_("Not one of the allowed values.")})
    return action


def _get_by_uid(query, model, uid: str):
    """``query``'s row with this uid, or None (the API names records by uid: ids count)."""
    return query.where(model.uid == uid).first()


def _rename(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The same error with the core's field names replaced by the API's."""
    return ValidationError({names.get(k, k): v for k, v in exc.fields.items()}, exc.message)


def _created(payload: dict[str, Any], location: str):
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# --- body mapping: API shapes to the core's flat fields ---------------------

#: Nested API objects and the core fields their keys map to.
PROJECT_GROUPS: dict[str, dict[str, str]] = {
    "title": {"en": "title_en", "uk": "title_uk"},
    "summary": {"en": "summary_en", "uk": "summary_uk"},
    "budget": {"amount": "budget_amount", "currency": "budget_currency"},
}
PROJECT_PLAIN = (
    "category",
    "oblast",
    "priority",
    "tlp",
    "planned_start",
    "planned_end",
    "beneficiaries",
)
OFFER_GROUPS: dict[str, dict[str, str]] = {
    "value": {"amount": "value_amount", "currency": "value_currency"},
}
OFFER_PLAIN = ("category", "description", "quantity", "status", "valid_until")
PLEDGE_PLAIN = ("amount", "currency", "in_kind", "in_kind_quantity", "date", "note")


def _api_names(groups: dict[str, dict[str, str]]) -> dict[str, str]:
    """Core field name to API name (``title_en`` → ``title.en``)."""
    return {core: f"{group}.{key}" for group, keys in groups.items() for key, core in keys.items()}


def _flatten(
    body: dict[str, Any],
    groups: dict[str, dict[str, str]],
    plain: tuple[str, ...],
    clean: Callable[[dict[str, Any]], Any],
) -> dict[str, Any]:
    """The core's flat data from an API body; only keys present in the body.

    Unknown keys are ignored. A nested group that is not an object is a 422
    naming the group, reported together with whatever ``clean`` (the core's
    validation of the rest) finds, so one answer lists every problem.
    ``null`` for a whole group means "not given".
    """
    data: dict[str, Any] = {}
    shape: dict[str, str] = {}
    for group, keys in groups.items():
        value = body.get(group)
        if value is None:
            continue
        if not isinstance(value, dict):
            shape[group] = N_("Must be an object.")
            continue
        for key, core in keys.items():
            if key in value:
                data[core] = value[key]
    for name in plain:
        if name in body:
            data[name] = body[name]
    if shape:
        fields: dict[str, str] = {}
        try:
            clean(data)
        except ValidationError as exc:
            fields = dict(exc.fields)
        names = _api_names(groups)
        merged = {
            names.get(k, k): v
            for k, v in fields.items()
            if names.get(k, k).split(".")[0] not in shape
        }
        raise ValidationError(merged | shape)
    return data


# --- serialisers only this API needs ----------------------------------------


def _history_json(change: StatusChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "from": change.from_status,
        "to": change.to_status,
        "at": iso(change.at),
        "by": {"name": change.user.name, "organisation": change.user.organisation.code},
        "comment": change.comment,
    }


def _project_detail(project: Project, fresh: bool = True) -> dict[str, Any]:
    """A project with its funding and its status history (oldest step first);
    ``fresh`` reads it again (after a change: transitions change it)."""
    if fresh:
        project = Project.get_by_id(project.id)
    history = (
        StatusChange.select(StatusChange, User, Organisation)
        .join(User, on=(StatusChange.user == User.id))
        .join(Organisation, on=(User.organisation == Organisation.id))
        .where(StatusChange.project == project.id)
        .order_by(StatusChange.at, StatusChange.id)
    )
    return project_json(project, project_funding(project)) | {
        "history": [_history_json(c) for c in history],
    }


def me_json(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_admin": bool(user.is_admin),
        "locale": user.locale,
        "organisation": organisation_json(user.organisation),
    }


# --- who am I ---------------------------------------------------------------


@bp.get("/me")
@token_required
def me():
    return jsonify(me_json(acting_user()))


# --- projects ---------------------------------------------------------------


@bp.get("/projects")
@token_required
def project_list():
    filters = parse_filters(request.args.getlist, request.args.get)
    page = search_catalogue(acting_user(), filters)
    items = [project_json(p, page.funding[p.id]) for p in page.items]
    return jsonify(page_of(items, page.page, page.per_page, page.total))


@bp.get("/projects/<ref>")
@token_required
def project_detail(ref: str):
    return jsonify(_project_detail(project_or_404(ref), fresh=False))


@bp.post("/projects")
@token_required
def project_create():
    body = _body()
    data = _flatten(body, PROJECT_GROUPS, PROJECT_PLAIN, project_service.clean_project_data)
    try:
        project = project_service.create_draft(acting_user(), data)
    except ValidationError as exc:
        raise _rename(exc, _api_names(PROJECT_GROUPS)) from None
    return _created(_project_detail(project), url_for("api.project_detail", ref=project.ref))


@bp.patch("/projects/<ref>")
@token_required
def project_update(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    body = _body()
    if is_recipient_of(user, project) and project.status not in EDITABLE_STATUSES:
        raise TransitionError(
            N_(
                "A project that is “%(status)s” can no longer be edited; only drafts and "
                "returned projects can."
            ),
            status=project.status,
        )
    data = _flatten(
        body,
        PROJECT_GROUPS,
        PROJECT_PLAIN,
        lambda d: project_service.clean_project_data(d, partial=True),
    )
    try:
        project_service.update_draft(user, project, data, partial=True)
    except ValidationError as exc:
        raise _rename(exc, _api_names(PROJECT_GROUPS)) from None
    return jsonify(_project_detail(project))


@bp.post("/projects/<ref>/transitions")
@token_required
def project_transition(ref: str):
    project = project_or_404(ref)
    body = _body()
    action = _action(body, project_service.TRANSITIONS)
    try:
        project_service.transition(acting_user(), project, action, body.get("comment"))
    except ValidationError as exc:
        raise _rename(exc, _api_names(PROJECT_GROUPS)) from None
    return jsonify(_project_detail(project))


# --- pledges ----------------------------------------------------------------


def _pledges_query():
    return Pledge.select(Pledge, Organisation).join(
        Organisation, on=(Pledge.donor == Organisation.id)
    )


@bp.get("/projects/<ref>/pledges")
@token_required
def pledge_list(ref: str):
    project = project_or_404(ref)
    page, per_page = _paging()
    statuses = _arg_choice("status", PLEDGE_STATUSES)
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
    body = _body()
    donor = _code_arg(body, "donor")
    offer = None
    if body.get("offer") is not None:
        offer_id = body["offer"]
        if not isinstance(offer_id, str) or not is_uid(offer_id):
            raise ValidationError({"offer": N_("Must be the id of an offer (its uid).")})
        offer = _get_by_uid(visible_offers(user), Offer, offer_id)
        if offer is None:
            raise ValidationError({"offer": N_("No such offer.")})
    data = {name: body[name] for name in PLEDGE_PLAIN if name in body}
    pledge = pledge_service.create_pledge(user, project, data, donor_code=donor, offer=offer)
    return _created(
        pledge_json(pledge, acting_user()), url_for("api.pledge_detail", pledge_id=pledge.uid)
    )


def _pledge_or_404(pledge_id: str) -> Pledge:
    """The pledge if the acting user may see its project; 404 otherwise."""
    pledge = _get_by_uid(_pledges_query(), Pledge, pledge_id)
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
    body = _body()
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
        raise _rename(exc, {name: f"fields.{name}" for name in exc.fields}) from None
    return jsonify(_donor_fields_json(pledge))


@bp.post("/pledges/<uid:pledge_id>/transitions")
@token_required
def pledge_transition(pledge_id: str):
    pledge = _pledge_or_404(pledge_id)
    body = _body()
    action = _action(body, pledge_service.PLEDGE_TRANSITIONS)
    pledge = pledge_service.transition_pledge(acting_user(), pledge, action)
    return jsonify(pledge_json(pledge, acting_user()))


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
    body = _body()
    data = {name: body[name] for name in TRANSACTION_PLAIN if name in body}
    transaction = transaction_service.record_transaction(acting_user(), pledge, data)
    return _created(
        transaction_json(transaction), url_for("api.transaction_list", pledge_id=pledge.uid)
    )


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
    page, per_page = _paging()
    query = _offers_query(user)
    statuses = _arg_choice("status", OFFER_STATUSES)
    categories = _arg_choice("category", CATEGORIES)
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
    offer = _get_by_uid(_offers_query(user), Offer, offer_id)
    if offer is None:
        abort(404)
    return jsonify(_offers_json(user, [offer])[0])


@bp.post("/offers")
@token_required
def offer_create():
    body = _body()
    org_code = _code_arg(body, "organisation")
    data = _flatten(body, OFFER_GROUPS, OFFER_PLAIN, offer_service.clean_offer_data)
    try:
        offer = offer_service.create_offer(acting_user(), data, org_code)
    except ValidationError as exc:
        raise _rename(exc, _api_names(OFFER_GROUPS)) from None
    return _created(
        offer_json(offer) | {"projects": []}, url_for("api.offer_detail", offer_id=offer.uid)
    )


# --- organisations ----------------------------------------------------------


@bp.get("/organisations")
@token_required
def organisation_list():
    """Active organisations: who can pledge, offer, or be named (not sensitive)."""
    page, per_page = _paging()
    kinds = _arg_choice("kind", ORG_KINDS)
    query = Organisation.select().where(Organisation.active)
    if kinds:
        query = query.where(Organisation.kind.in_(kinds))
    total = query.count()
    orgs = (
        query.order_by(Organisation.kind, Organisation.code)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return jsonify(page_of([organisation_json(o) for o in orgs], page, per_page, total))
