"""Old page and API addresses by sequential id, moved to the record's uid (issue 12).

Pages and the API name pledges, offers, documents and engagements by uid
(``<uid:…>``, :mod:`tmdesk.web.converters`). A GET to an old address
(``/pledges/17``) answers 301 (pages) or 308 (the API, during the transition
docs/api.md announces) to the uid address when the user may see the record,
and the very same 404 as an id that never existed when not: an old id tells
nobody anything a new one would not.

The routes are added to their own blueprints here, at import, so the route
modules keep only their uid routes and the API's old addresses keep the API's
token check and JSON errors. Only GET: forms post to the addresses pages give.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import login_required

from tmdesk.core.legacy_ids import visible_uid
from tmdesk.core.visibility import get_visible_project
from tmdesk.web import api, coordination, offers, pledges, projects
from tmdesk.web.api import coordination as api_coordination
from tmdesk.web.api.common import token_required
from tmdesk.web.common import acting_user

#: (blueprint, old rule, endpoint it moved to, what the id names, the id's argument)
PAGES: list[tuple[Blueprint, str, str, str, str]] = [
    (pledges.bp, "/pledges/<int:pledge_id>", "pledges.detail", "pledge", "pledge_id"),
    (pledges.bp, "/pledges/<int:pledge_id>/edit", "pledges.edit", "pledge", "pledge_id"),
    (
        pledges.bp,
        "/pledges/<int:pledge_id>/fields",
        "pledges.donor_fields_page",
        "pledge",
        "pledge_id",
    ),
    (
        pledges.bp,
        "/pledges/<int:pledge_id>/transactions/new",
        "pledges.record",
        "pledge",
        "pledge_id",
    ),
    (offers.bp, "/offers/<int:offer_id>", "offers.detail", "offer", "offer_id"),
    (offers.bp, "/offers/<int:offer_id>/edit", "offers.edit", "offer", "offer_id"),
    (
        offers.bp,
        "/engagements/<int:engagement_id>/edit",
        "offers.engagement_edit",
        "engagement",
        "engagement_id",
    ),
    (
        coordination.bp,
        "/offers/<int:offer_id>/matches",
        "coordination.offer_matches",
        "offer",
        "offer_id",
    ),
    (
        coordination.bp,
        "/offers/<int:offer_id>/matches/<ref>/propose",
        "coordination.propose",
        "offer",
        "offer_id",
    ),
    (projects.bp, "/documents/<int:doc_id>", "projects.document", "document", "doc_id"),
]

API: list[tuple[Blueprint, str, str, str, str]] = [
    (api.bp, "/pledges/<int:pledge_id>", "api.pledge_detail", "pledge", "pledge_id"),
    (api.bp, "/pledges/<int:pledge_id>/fields", "api.pledge_fields", "pledge", "pledge_id"),
    (
        api.bp,
        "/pledges/<int:pledge_id>/transactions",
        "api.transaction_list",
        "pledge",
        "pledge_id",
    ),
    (api.bp, "/offers/<int:offer_id>", "api.offer_detail", "offer", "offer_id"),
    (
        api_coordination.bp,
        "/offers/<int:offer_id>/matches",
        "api_coordination.offer_matches",
        "offer",
        "offer_id",
    ),
]


def moved(endpoint: str, kind: str, arg: str, status: int) -> Callable:
    """A view answering ``status`` to ``endpoint`` with the record's uid, or 404."""

    def view(**kwargs):
        user = acting_user()
        uid = visible_uid(user, kind, kwargs.pop(arg))
        ref = kwargs.get("ref")
        if uid is None or (ref is not None and get_visible_project(user, ref) is None):
            abort(404)  # hidden and missing read the same
        target = url_for(endpoint, **kwargs, **{arg: uid})
        query = request.query_string.decode("ascii", "replace")
        return redirect(f"{target}?{query}" if query else target, status)

    return view


def _add(routes, status: int, guard: Callable[[Callable], Callable]) -> None:
    for bp, rule, endpoint, kind, arg in routes:
        name = "old_" + endpoint.rsplit(".", 1)[1]
        bp.add_url_rule(rule, name, guard(moved(endpoint, kind, arg, status)), methods=["GET"])


_add(PAGES, 301, login_required)
_add(API, 308, token_required)
