"""Reading the audit log: its snapshots as data, and which projects an event names.

The Administration's log shows every event, but a project an administrator may not
see (TLP:RED they are not named on, say) stays unread there: administering accounts
does not widen what a person may read (:mod:`tmdesk.core.visibility`).
"""

from __future__ import annotations

import json
from typing import Any

from tmdesk.core.models import AuditEvent, Project, User
from tmdesk.core.visibility import visible_projects


def snapshot_data(text: str | None) -> dict[str, Any]:
    """An event's ``before`` or ``after`` as a dict (a bare value under ``"value"``)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


#: Snapshot keys that name a project (derived rows carry their project's label).
_PROJECT_KEYS = ("project", "project_a", "project_b")


def project_ids(event: AuditEvent) -> set[int]:
    """The projects an event is about: its entity, or the project its rows belong to."""
    ids = set()
    if event.entity_type == "project" and str(event.entity_id).isdigit():
        ids.add(int(event.entity_id))
    for text in (event.before, event.after):
        data = snapshot_data(text)
        ids.update(v for k in _PROJECT_KEYS if isinstance(v := data.get(k), int))
    return ids


def hidden_project_ids(user: User, events: list[AuditEvent]) -> set[int]:
    """Projects named by ``events`` that ``user`` may not see (TLP:RED they are not
    named on, say): administering accounts does not widen what a person may read."""
    ids = set().union(*(project_ids(e) for e in events)) if events else set()
    if not ids:
        return set()
    seen = {
        p.id
        for p in visible_projects(user, Project.select(Project.id)).where(Project.id.in_(list(ids)))
    }
    return ids - seen
