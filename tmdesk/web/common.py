"""Small helpers every blueprint uses: the acting user, 404-for-hidden, core messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, g, request
from flask_babel import get_locale, gettext
from flask_login import current_user

from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.models import Project, User
from tmdesk.core.visibility import get_visible_project


def acting_user() -> User | None:
    """The logged-in user (API token or session), as the core's ``User`` model."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def locale_code() -> str:
    """``uk`` or ``en``: the active locale as the core's vocabularies expect it."""
    loc = get_locale()
    return loc.language if loc else "uk"


def project_or_404(ref: str) -> Project:
    """The project if the acting user may see it; 404 otherwise (hidden == missing)."""
    project = get_visible_project(acting_user(), ref)
    if project is None:
        abort(404)
    return project


def tr(message: str, **params: Any) -> str:
    """Translate a message marked with ``N_`` in the core, then fill in ``params``."""
    text = gettext(message)
    return text % params if params else text


def error_text(exc: DomainError) -> str:
    """The translated message of a core error.

    On pages, status and step codes read as their translated labels ("Опубліковано");
    the API keeps the codes ("published"), which is what its clients send and match.
    """
    if request and request.path.startswith("/api/"):
        return tr(exc.message, **exc.params)
    return tr(exc.message, **{name: _readable(name, value) for name, value in exc.params.items()})


def _readable(name: str, value: Any) -> Any:
    """A code the core puts in a message (``draft``, ``publish``) as its translated label."""
    from tmdesk.core import vocab
    from tmdesk.core.projects import TRANSITIONS

    if not isinstance(value, str):
        return value
    if name in ("status", "target"):
        text = vocab.PROJECT_STATUSES.get(value) or vocab.PLEDGE_STATUSES.get(value)
        return gettext(text) if text else value
    if name == "action" and value in TRANSITIONS:
        return gettext(TRANSITIONS[value].label)
    return value


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Translated per-field messages of a validation error."""
    return {name: gettext(msg) for name, msg in exc.fields.items()}


def flash_error(exc: DomainError) -> None:
    flash(error_text(exc), "error")


def require(predicate: Callable[[User], bool]) -> Callable:
    """Decorator: 403 unless ``predicate(acting_user())`` holds (login is required first)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = acting_user()
            if user is None:
                abort(401)
            if not predicate(user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
