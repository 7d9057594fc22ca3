"""The administration blueprint and its guards: administrators only, and a fresh
password before anything changes. The pages themselves are the package's other
modules, one subject each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request, url_for

from tmdesk.core import accounts
from tmdesk.core.models import AuditEvent, ExchangeRate, Organisation, User
from tmdesk.core.permissions import can_administer
from tmdesk.web.auth import confirm_password_first, fresh_enough
from tmdesk.web.common import acting_user, error_text
from tmdesk.web.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only():
    user = acting_user()
    if user is None:
        return login_manager.unauthorized()
    if not can_administer(user):
        abort(403)
    if _changes_state() and not fresh_enough():
        return _confirm_password_first()
    return None


def _changes_state() -> bool:
    """Routes that change something: every POST, and the form pages that lead to one
    (asking before the form is filled in, so nothing typed is lost)."""
    rule = request.url_rule
    return request.method not in ("GET", "HEAD", "OPTIONS") or (
        rule is not None and "POST" in (rule.methods or ())
    )


def _confirm_password_first():
    """Ask for the password again; a POST comes back to the admin page it was sent from."""
    back = urlsplit(request.referrer or "")
    return confirm_password_first(
        back.path
        if back.netloc == request.host and back.path.startswith("/admin")
        else url_for("admin.index")
    )


# --- changes that wait for a second administrator (users and organisations) ---


def or_held(action: Callable[[], Any]) -> Callable[[], Any]:
    """``action``, answering the :class:`~tmdesk.core.accounts.SecondApprovalNeeded`
    it may raise as its result (the change is stored, not made)."""

    def run() -> Any:
        try:
            return action()
        except accounts.SecondApprovalNeeded as exc:
            return exc

    return run


def unless_held(normal: Any, held: Callable[[Any], str] | None = None) -> Callable[[Any], str]:
    """What :func:`tmdesk.web.common.form_page` says or where it goes after
    ``action``: ``normal`` (a value or a function of the result), or for a held
    change the core's message (``held`` None) or ``held(result)``."""

    def pick(result: Any) -> str:
        if isinstance(result, accounts.SecondApprovalNeeded):
            return held(result) if held else error_text(result)
        return normal(result) if callable(normal) else normal

    return pick


def approvals_url(_result: Any = None) -> str:
    """Where a held change sends the administrator: the approvals page."""
    return url_for("admin.approvals")


# --- overview -------------------------------------------------------------


@bp.get("/")
def index():
    counts = {
        "organisations": Organisation.select().count(),
        "users": User.select().count(),
        "inactive": User.select().where(~User.active).count(),
        "events": AuditEvent.select().count(),
        "rates": ExchangeRate.select().count(),
    }
    recent = list(AuditEvent.select().order_by(AuditEvent.id.desc()).limit(5))
    return render_template("admin/index.html", counts=counts, recent=recent)
