"""Notifications: the unread count in the header, the notifications page, mark read.

What each notification says is written by the core at display time, and only
while its reader may see the project (:mod:`tmdesk.core.notifications`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required
from flask_wtf import FlaskForm

from tmdesk.core import notifications
from tmdesk.core.ids import is_uid
from tmdesk.web.common import acting_user, locale_code, tr_readable

bp = Blueprint("notifications", __name__)


class ReadForm(FlaskForm):
    pass


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The header's count: unread notifications the acting user may see."""
    return notifications.unread_count(acting_user())


@bp.app_template_global("tr_readable")
def tr_readable_global(message: str, params: dict[str, Any]) -> str:
    """A core message with its parameters, translated (for templates)."""
    return tr_readable(message, params)


@bp.get("/notifications")
@login_required
def index():
    user = acting_user()
    items = notifications.for_user(user, locale_code(), limit=100)
    return render_template(
        "notifications/index.html",
        items=[(n, tr_readable(n.message, n.params)) for n in items],
        form=ReadForm(),
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark one notification (``id``) or all of them read."""
    form = ReadForm()
    if not form.validate_on_submit():
        return redirect(url_for("notifications.index"), 303)
    raw = request.form.get("id")
    ids = None
    if raw:
        one = raw if is_uid(raw) else None  # named by uid: ids would count
        if one is None:
            flash(gettext("No such notification."), "error")
            return redirect(url_for("notifications.index"), 303)
        ids = [one]
    count = notifications.mark_read(acting_user(), ids)
    flash(
        gettext("Marked as read.") if count else gettext("Nothing new to mark as read."),
        "success",
    )
    return redirect(url_for("notifications.index"), 303)
