"""The JSON API: who am I, projects and their workflow, organisations."""

from __future__ import annotations

from flask import jsonify, request, url_for

from tmdesk.core import projects as project_service
from tmdesk.core.catalogue import (
    parse_filters,
    search_catalogue,
)
from tmdesk.core.errors import TransitionError, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    Organisation,
)
from tmdesk.core.permissions import EDITABLE_STATUSES, is_recipient_of
from tmdesk.core.vocab import ORG_KINDS
from tmdesk.web.api.base import (
    PROJECT_GROUPS,
    PROJECT_PLAIN,
    api_names,
    arg_choice,
    bp,
    created,
    flatten,
    me_json,
    paging,
    project_detail_json,
    rename_fields,
    workflow_step,
)
from tmdesk.web.api.common import (
    json_body,
    organisation_json,
    page_of,
    project_json,
    token_required,
)
from tmdesk.web.common import acting_user, project_or_404

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
    return jsonify(project_detail_json(project_or_404(ref), fresh=False))


@bp.post("/projects")
@token_required
def project_create():
    body = json_body()
    data = flatten(body, PROJECT_GROUPS, PROJECT_PLAIN, project_service.clean_project_data)
    try:
        project = project_service.create_draft(acting_user(), data)
    except ValidationError as exc:
        raise rename_fields(exc, api_names(PROJECT_GROUPS)) from None
    return created(project_detail_json(project), url_for("api.project_detail", ref=project.ref))


@bp.patch("/projects/<ref>")
@token_required
def project_update(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    body = json_body()
    if is_recipient_of(user, project) and project.status not in EDITABLE_STATUSES:
        raise TransitionError(
            N_(
                "A project that is “%(status)s” can no longer be edited; only drafts and "
                "returned projects can."
            ),
            status=project.status,
        )
    data = flatten(
        body,
        PROJECT_GROUPS,
        PROJECT_PLAIN,
        lambda d: project_service.clean_project_data(d, partial=True),
    )
    try:
        project_service.update_draft(user, project, data, partial=True)
    except ValidationError as exc:
        raise rename_fields(exc, api_names(PROJECT_GROUPS)) from None
    return jsonify(project_detail_json(project))


@bp.post("/projects/<ref>/transitions")
@token_required
def project_transition(ref: str):
    return workflow_step(
        project_or_404(ref),
        project_service.TRANSITIONS,
        lambda user, project, action, body: project_service.transition(
            user, project, action, body.get("comment")
        ),
        project_detail_json,
        api_names(PROJECT_GROUPS),
    )


# --- organisations ----------------------------------------------------------


@bp.get("/organisations")
@token_required
def organisation_list():
    """Active organisations: who can pledge, offer, or be named (not sensitive)."""
    page, per_page = paging()
    kinds = arg_choice("kind", ORG_KINDS)
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
