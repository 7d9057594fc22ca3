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

The blueprint and what the resources share are in :mod:`tmdesk.web.api.base`;
each resource is a module of its own, imported here so its routes are
registered. :mod:`tmdesk.web.api.common` holds the serialisers and the token
check the sync API uses too; :mod:`tmdesk.web.api.coordination` is the
coordination API (search, dashboard, matches, duplicates), its own blueprint.
"""

from __future__ import annotations

from tmdesk.web.api import offers, pledges, projects
from tmdesk.web.api.base import bp

__all__ = ["bp", "offers", "pledges", "projects"]
