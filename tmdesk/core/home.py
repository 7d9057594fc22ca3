"""The start page's read model: what each role sees first, all under visibility.

The web's home page renders this; it reads only (issue 11: read models in the core).
"""

from __future__ import annotations

from typing import Any

from tmdesk.core import inbox, permissions, projects
from tmdesk.core.funding import funding_for, totals
from tmdesk.core.models import Engagement, Organisation, Pledge, Project, StatusChange, User
from tmdesk.core.permissions import PLEDGEABLE_STATUSES
from tmdesk.core.visibility import (
    PUBLISHED_AND_LATER,
    is_officer,
    visibility_condition,
    visible_projects,
)
from tmdesk.core.vocab import CATEGORIES, FUNDING_STATES, PROJECT_STATUSES

HOME_LIST_LIMIT = 8


def _with_recipient(query=None):
    """Projects with their recipient organisation joined (no query per row)."""
    base = query if query is not None else Project.select(Project, Organisation)
    return base.join(Organisation, on=(Project.recipient == Organisation.id))


def home_context(user: User) -> dict[str, Any]:
    """What the start page shows this user: real data, by role, all under visibility."""
    kind = user.role
    ctx: dict[str, Any] = {"kind": kind, "needs": inbox.needs_action(user)}
    if kind == "recipient":
        own = list(
            visible_projects(user, _with_recipient())
            .where(Project.recipient == user.organisation_id)
            .order_by(Project.updated_at.desc())
        )
        ctx["own_by_status"] = [
            (status, [p for p in own if p.status == status])
            for status in PROJECT_STATUSES
            if any(p.status == status for p in own)
        ]
        ctx["own_funding"] = funding_for(own)
        # Returned projects and their comments: under "Needs your action" (core inbox).
        ctx["may_create"] = permissions.can_create_project(user)
    if is_officer(user):
        queue = list(visible_projects(user, projects.review_queue(_with_recipient())))
        ctx["queue_count"] = len(queue)
        ctx["queue_oldest"] = queue[0] if queue else None
        ctx["queue_oldest_age"] = projects.age_in_days(queue[0].submitted_at) if queue else 0
        ctx["activity"] = list(
            StatusChange.select(StatusChange, Project, User)
            .join(Project)
            .switch(StatusChange)
            .join(User)
            .where(visibility_condition(user))
            .order_by(StatusChange.at.desc(), StatusChange.id.desc())
            .limit(10)
        )
    if kind == "donor":
        newest = list(
            visible_projects(user, _with_recipient())
            .where(Project.status.in_(PLEDGEABLE_STATUSES))
            .order_by(Project.published_at.desc(), Project.id.desc())
            .limit(HOME_LIST_LIMIT)
        )
        ctx["newest"] = newest
        ctx["newest_funding"] = funding_for(newest)
        ctx["my_pledges"] = list(
            Pledge.select(Pledge, Project)
            .join(Project)
            .where((Pledge.donor == user.organisation_id) & visibility_condition(user))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
            .limit(20)
        )
    if kind == "company":
        ctx["engagements"] = list(
            Engagement.select(Engagement, Project)
            .join(Project)
            .where((Engagement.company == user.organisation_id) & visibility_condition(user))
            .order_by(Project.updated_at.desc())
        )
    if kind not in ("recipient", "donor", "company") and not is_officer(user):
        ctx["totals"] = catalogue_totals(user)  # observers (and any other read-only kind)
    return ctx


def catalogue_totals(user: User) -> dict[str, Any]:
    """Counts and money of the published Catalogue this user may see."""
    published = list(
        visible_projects(user, Project.select()).where(Project.status.in_(PUBLISHED_AND_LATER))
    )
    per = funding_for(published)
    by_state = {state: 0 for state in FUNDING_STATES}
    by_category = {code: 0 for code in CATEGORIES}
    for p in published:
        by_state[per[p.id].state] += 1
        by_category[p.category] = by_category.get(p.category, 0) + 1
    return {
        "count": len(published),
        "money": totals(per.values()),
        "by_state": by_state,
        "by_category": by_category,
    }
