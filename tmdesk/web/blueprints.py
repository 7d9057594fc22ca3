"""Every blueprint of the app, in registration order."""

from __future__ import annotations

from flask import Blueprint


def all_blueprints() -> list[Blueprint]:
    from tmdesk.web import (
        admin,
        api,
        auth,
        coordination,
        desktop_routes,
        offers,
        pledges,
        projects,
        reports,
        review,
    )

    return [
        auth.bp,
        projects.bp,
        review.bp,
        pledges.bp,
        offers.bp,
        admin.bp,
        reports.bp,
        coordination.bp,
        desktop_routes.bp,
        api.bp,
    ]


def api_blueprint() -> Blueprint:
    from tmdesk.web import api

    return api.bp
