"""The JSON API's blueprint, its answers to a missing token, and what every resource
module shares: reading requests (paging, filters, actions), mapping the API's
nested shapes to the core's flat fields and back, and the serialisers only the
API needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from flask_babel import gettext

from tmdesk.core import validation
from tmdesk.core.catalogue import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
)
from tmdesk.core.errors import ValidationError
from tmdesk.core.funding import project_funding
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    Organisation,
    Project,
    StatusChange,
    User,
)
from tmdesk.web.api.common import (
    iso,
    json_body,
    organisation_json,
    project_json,
)
from tmdesk.web.common import acting_user
from tmdesk.web.errors import json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")

R = TypeVar("R")


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


def paging() -> tuple[int, int]:
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


def arg_choice(name: str, allowed) -> list[str]:
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


def code_arg(body: dict[str, Any], name: str) -> str | None:
    """An optional organisation code in a body (``donor``, ``organisation``)."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 32:
        raise ValidationError({name: N_("Must be an organisation code such as GB.")})
    return value.strip().upper()


def action_arg(body: dict[str, Any], allowed) -> str:
    action = body.get("action")
    if action is None or action == "":
        raise ValidationError({"action": N_("This field is required.")})
    if not isinstance(action, str) or action not in allowed:
        raise ValidationError({"action": N_("Not one of the allowed values.")})
    return action


def get_by_uid(query, model, uid: str):
    """``query``'s row with this uid, or None (the API names records by uid: ids count)."""
    return query.where(model.uid == uid).first()


def rename_fields(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The same error with the core's field names replaced by the API's."""
    return ValidationError({names.get(k, k): v for k, v in exc.fields.items()}, exc.message)


def workflow_step(
    record: R,
    allowed,
    step: Callable[[User, R, str, dict[str, Any]], R],
    answer: Callable[[R], dict[str, Any]],
    names: dict[str, str] | None = None,
):
    """A workflow step over the API (a project's transition, a pledge's): the body's
    ``action``, one of ``allowed`` (422 otherwise), taken by the acting user on
    ``record`` through the core's ``step`` (given the whole body, for a comment),
    answered with ``answer`` of what the step returns. ``names`` renames the core's
    field names in a refusal to the API's; the core's other refusals (a step the
    status or the user may not take) reach the API's error handlers as they are."""
    body = json_body()
    action = action_arg(body, allowed)
    try:
        record = step(acting_user(), record, action, body)
    except ValidationError as exc:
        if names is None:
            raise
        raise rename_fields(exc, names) from None
    return jsonify(answer(record))


def created(payload: dict[str, Any], location: str):
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


def api_names(groups: dict[str, dict[str, str]]) -> dict[str, str]:
    """Core field name to API name (``title_en`` → ``title.en``)."""
    return {core: f"{group}.{key}" for group, keys in groups.items() for key, core in keys.items()}


def flatten(
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
        names = api_names(groups)
        merged = {
            names.get(k, k): v
            for k, v in fields.items()
            if names.get(k, k).split(".")[0] not in shape
        }
        raise ValidationError(merged | shape)
    return data


# --- serialisers only this API needs ----------------------------------------


def history_json(change: StatusChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "from": change.from_status,
        "to": change.to_status,
        "at": iso(change.at),
        "by": {"name": change.user.name, "organisation": change.user.organisation.code},
        "comment": change.comment,
    }


def project_detail_json(project: Project, fresh: bool = True) -> dict[str, Any]:
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
        "history": [history_json(c) for c in history],
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
