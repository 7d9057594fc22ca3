"""Administration: organisations, users, the audit log, exchange rates, backups, exchange keys.

Administrators only: every view of this blueprint answers 403 to anyone else
(and sends anonymous visitors to the login page). Changes go through the core
(:mod:`tmdesk.core.accounts`, :mod:`tmdesk.core.rates`), which audits them.

The blueprint and its guards are in :mod:`tmdesk.web.admin.base`; each
subject's pages are a module of their own, imported here so that their routes
are registered on the blueprint.
"""

from __future__ import annotations

from tmdesk.web.admin import audit, organisations, system, users
from tmdesk.web.admin.audit import ENTITY_NAMES, ENTITY_TYPES, readable_changes
from tmdesk.web.admin.base import bp

__all__ = [
    "ENTITY_NAMES",
    "ENTITY_TYPES",
    "audit",
    "bp",
    "organisations",
    "readable_changes",
    "system",
    "users",
]
