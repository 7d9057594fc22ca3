"""The office's sync endpoints, ``/api/v1/sync/…`` (issue #14; shapes in docs/api.md).

Thin: authentication and HTTP here, the exchange itself in
:mod:`tmdesk.sync.office`. Every route but ``link`` takes the desk's own bearer
token (the one ``link`` issued); a revoked token answers 401, which tells the
desk it has been unlinked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, request, send_file
from flask_babel import gettext

from tmdesk import __version__, paths
from tmdesk.core.models import Document, Project
from tmdesk.core.visibility import can_see
from tmdesk.exchange.keys import installation_keys
from tmdesk.sync import office
from tmdesk.sync.wire import PROTOCOL_VERSION, UidMap, encode_user
from tmdesk.web.api.common import json_body
from tmdesk.web.errors import json_error
from tmdesk.web.extensions import donor_field_definitions

bp = Blueprint("sync_api", __name__, url_prefix="/api/v1/sync")


@bp.errorhandler(401)
def _unauthorised(_exc):
    return json_error(
        401,
        gettext("This desk's link to the office is not valid (revoked or expired): link it again."),
    )


def desk_token_required(view: Callable) -> Callable:
    """Authenticate by a desk link's bearer token; 401 for anything else."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        link = office.link_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if link is None:
            abort(401)
        g.desk_link = link
        g.api_user = link.user
        return view(*args, **kwargs)

    return wrapped


@bp.post("/link")
def link():
    """Check the person's office credentials; issue their desk a token of its own."""
    body = json_body()
    desk_link, token = office.link_desk(
        str(body.get("email") or ""),
        str(body.get("password") or ""),
        str(body.get("desk") or ""),
        str(body.get("desk_key") or ""),
    )
    return jsonify(
        {
            "protocol": PROTOCOL_VERSION,
            "office_version": __version__,
            "office_key": installation_keys(current_app.config["DATA_DIR"]).public.text,
            "token": token,
            "person": encode_user(desk_link.user, UidMap()),
        }
    ), 201


@bp.get("/pull")
@desk_token_required
def pull():
    limit = request.args.get("limit", type=int) or office.PAGE_SIZE
    refresh = [u for u in request.args.get("refresh", "").split(",") if u]
    return jsonify(office.pull(g.desk_link, request.args.get("cursor", ""), limit, refresh))


@bp.post("/push")
@desk_token_required
def push():
    body = json_body()
    results = office.push(
        g.api_user,
        body.get("actions"),
        current_app.config["DATA_DIR"],
        donor_field_definitions(current_app),
    )
    return jsonify({"results": results})


@bp.put("/blobs/<sha256>")
@desk_token_required
def put_blob(sha256: str):
    """A document's bytes, uploaded before the ``document.attach`` action naming them."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256.lower()):
        abort(404)
    office.store_blob(current_app.config["DATA_DIR"], sha256, request.get_data(cache=False))
    return jsonify({"sha256": sha256.lower()}), 201


@bp.get("/documents/<uid>")
@desk_token_required
def document(uid: str):
    """A document's bytes, for a desk whose person may see its project."""
    doc = Document.get_or_none(Document.uid == uid)
    if doc is None or not can_see(g.api_user, Project.get_by_id(doc.project_id)):
        abort(404)
    path = paths.documents_dir(current_app.config["DATA_DIR"]) / doc.stored_name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/octet-stream", max_age=0)
