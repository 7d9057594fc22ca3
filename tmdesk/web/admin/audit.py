"""Administration → Audit log, in words, with its filters."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import render_template, request
from flask_babel import gettext, lazy_gettext

from tmdesk.core import auditlog
from tmdesk.core.auditlog import snapshot_data
from tmdesk.core.models import AuditEvent
from tmdesk.web.admin.base import bp
from tmdesk.web.common import acting_user, locale_code, page_arg, tr

AUDIT_PER_PAGE = 50
#: Logins are most of the log; the page can leave them out.
LOGIN_ACTIONS = ("login", "login.failed")

# --- the audit log ----------------------------------------------------------

#: What an audit event is about (``AuditEvent.entity_type``, the model's name in
#: lower case, or the type given to ``audit.record``), in words for the filter.
ENTITY_TYPES: dict[str, Any] = {
    "project": lazy_gettext("Projects"),
    "pledge": lazy_gettext("Pledges"),
    "offer": lazy_gettext("Offers"),
    "offerlink": lazy_gettext("Offers linked to projects"),
    "engagement": lazy_gettext("Engagements of companies"),
    "update": lazy_gettext("Progress updates"),
    "document": lazy_gettext("Documents"),
    "projectlink": lazy_gettext("Links between projects"),
    "organisation": lazy_gettext("Organisations"),
    "user": lazy_gettext("User accounts"),
    "apitoken": lazy_gettext("API tokens"),
    "exchangerate": lazy_gettext("Exchange rates"),
    "plugin": lazy_gettext("Plugins"),
    "backup": lazy_gettext("Backups"),
    "accountchange": lazy_gettext("Changes waiting for a second administrator"),
    "trusted_key": lazy_gettext("Exchange keys"),
}


#: The same things, one at a time, for the log's "What" column ("Project 12").
ENTITY_NAMES: dict[str, Any] = {
    "project": lazy_gettext("Project"),
    "pledge": lazy_gettext("Pledge"),
    "offer": lazy_gettext("Offer"),
    "offerlink": lazy_gettext("Offer linked to a project"),
    "engagement": lazy_gettext("Engagement of a company"),
    "update": lazy_gettext("Progress update"),
    "document": lazy_gettext("Document"),
    "projectlink": lazy_gettext("Link between projects"),
    "organisation": lazy_gettext("Organisation"),
    "user": lazy_gettext("User account"),
    "apitoken": lazy_gettext("API token"),
    "exchangerate": lazy_gettext("Exchange rate"),
    "plugin": lazy_gettext("Plugin"),
    "backup": lazy_gettext("Backup"),
    "accountchange": lazy_gettext("Change waiting for a second administrator"),
    "trusted_key": lazy_gettext("Exchange key"),
}


@bp.app_template_global()
def audit_entity_name(code: str) -> str:
    """What one audit event is about, in words (a type nobody named shows its code)."""
    return str(ENTITY_NAMES.get(code, code))


def entity_type_choices(codes: list[str]) -> list[tuple[str, str]]:
    """``(code, name)`` for the filter, by name; a type nobody named (a plugin's,
    say) shows its code."""
    return sorted(((c, str(ENTITY_TYPES.get(c, c))) for c in codes), key=lambda c: c[1].lower())


def readable_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """``(key, before, after)`` for what the event changed, as display text.

    A creation lists every value it set, a deletion every value it removed,
    an update only the keys whose value differs.
    """
    before = snapshot_data(event.before)
    after = snapshot_data(event.after)
    keys = sorted(set(before) | set(after))
    rows = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if event.before is not None and event.after is not None and old == new:
            continue
        if (
            (event.before is None or event.after is None)
            and old in (None, "")
            and new in (None, "")
        ):
            continue  # a creation or deletion: empty values say nothing
        rows.append((key, _show(old) if key in before else "", _show(new) if key in after else ""))
    return rows


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if _ISO_DATETIME.match(text):
        text = text.replace("T", " ")
    return text if len(text) <= 300 else text[:299] + "…"


@bp.get("/audit")
def audit_log():
    entity_type = (request.args.get("entity_type") or "").strip()[:32]
    user_email = (request.args.get("user") or "").strip().lower()[:254]
    query = AuditEvent.select()
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if user_email:
        query = query.where(AuditEvent.user_email == user_email)
    no_logins = request.args.get("no_logins") == "1"
    if no_logins:
        query = query.where(AuditEvent.action.not_in(LOGIN_ACTIONS))
    total = query.count()
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    page = min(page_arg(), pages)
    events = list(query.order_by(AuditEvent.id.desc()).paginate(page, AUDIT_PER_PAGE))
    entity_types = entity_type_choices(
        [row.entity_type for row in AuditEvent.select(AuditEvent.entity_type).distinct()]
    )
    args = {
        k: v
        for k, v in (
            ("entity_type", entity_type),
            ("user", user_email),
            ("no_logins", "1" if no_logins else ""),
        )
        if v
    }
    reader = acting_user()
    hidden = auditlog.hidden_project_ids(reader, events)
    withheld = [("—", "", gettext("Not shown: this project's TLP label does not let you see it."))]
    sentences = auditlog.describe(reader, events, locale_code())

    def changes(event: AuditEvent) -> list[tuple[str, str, str]]:
        return withheld if auditlog.project_ids(event) & hidden else readable_changes(event)

    def in_words(event: AuditEvent) -> str:
        """The event as a sentence in the reader's language."""
        sentence = sentences[event.id]
        params = dict(sentence.params)
        for name in sentence.translate:
            params[name] = gettext(params[name])
        params["what"] = audit_entity_name(str(params["what"]))
        return tr(sentence.message, **params)

    return render_template(
        "admin/audit.html",
        no_logins=no_logins,
        events=events,
        total=total,
        page=page,
        pages=pages,
        args=args,
        entity_type=entity_type,
        user_email=user_email,
        entity_types=entity_types,
        changes=changes,
        in_words=in_words,
    )
