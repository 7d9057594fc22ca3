"""Every blueprint of the app, in registration order."""

from __future__ import annotations

from flask import Blueprint

from tmdesk.web import (
    admin,
    api,
    auth,
    coordination,
    desktop_routes,
    legacy_ids,
    notifications,
    offers,
    office,
    pledges,
    projects,
    reports,
    review,
    sync,
    transactions,  # noqa: F401  # adds the money routes to the pledges blueprint
)
from tmdesk.web.api import coordination as api_coordination

#: The old addresses by sequential id, added to the blueprints above at import.
OLD_ADDRESSES = legacy_ids.PAGES + legacy_ids.API


def all_blueprints() -> list[Blueprint]:
    return [
        auth.bp,
        projects.bp,
        review.bp,
        pledges.bp,
        offers.bp,
        admin.bp,
        reports.bp,
        coordination.bp,
        notifications.bp,
        desktop_routes.bp,
        api.bp,
        api_coordination.bp,
        sync.bp,
        office.bp,
    ]


def api_blueprints() -> list[Blueprint]:
    """The token-authenticated JSON blueprints (exempt from CSRF: no cookie auth)."""
    return [api.bp, api_coordination.bp, sync.bp]
