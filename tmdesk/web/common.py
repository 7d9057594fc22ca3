"""Small helpers every blueprint uses: the acting user, 404-for-hidden, core
messages, and the house way of handling a form's POST."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.validators import StopValidation

from tmdesk.core import vocab
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.models import Project, User
from tmdesk.core.projects import TRANSITIONS
from tmdesk.core.validation import FORBIDDEN_CHARACTERS, MAX_ID, parse_int
from tmdesk.core.visibility import get_visible_project


def page_arg() -> int:
    """The ``?page`` of a list page: a bounded whole number, 1 when absent or unreadable
    (a list page shows its first page rather than an error)."""
    return parse_int(request.args.get("page"), minimum=1, maximum=MAX_ID) or 1


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
    """Translate a message marked with ``N_`` in the core, then fill in ``params``.

    Amounts (``Decimal`` parameters) are written the reader's way: "150 000" in
    Ukrainian, "150,000" in English.
    """
    text = gettext(message)
    if not params:
        return text
    return text % {
        name: format_decimal(value) if isinstance(value, Decimal) else value
        for name, value in params.items()
    }


def tr_readable(message: str, params: dict[str, Any]) -> str:
    """:func:`tr` with the codes among ``params`` (statuses, steps, priorities) as
    their translated labels: for pages, where people read words, not codes."""
    return tr(message, **{name: _readable(name, value) for name, value in params.items()})


def error_text(exc: DomainError) -> str:
    """The translated message of a core error.

    On pages, status and step codes read as their translated labels ("Опубліковано");
    the API keeps the codes ("published"), which is what its clients send and match.
    """
    if request and request.path.startswith("/api/"):
        return tr(exc.message, **exc.params)
    return tr_readable(exc.message, exc.params)


def _readable(name: str, value: Any) -> Any:
    """A code the core puts in a message (``draft``, ``publish``) as its translated label."""
    if not isinstance(value, str):
        return value
    if name in ("status", "target"):
        text = vocab.PROJECT_STATUSES.get(value) or vocab.PLEDGE_STATUSES.get(value)
        return gettext(text) if text else value
    if name == "action" and value in TRANSITIONS:
        return gettext(TRANSITIONS[value].label)
    if name == "priority" and value in vocab.PRIORITIES:
        return gettext(vocab.PRIORITIES[value])
    return value


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Translated per-field messages of a validation error."""
    return {name: gettext(msg) for name, msg in exc.fields.items()}


def flash_error(exc: DomainError) -> None:
    flash(error_text(exc), "error")


def apply_errors(
    form: FlaskForm, exc: ValidationError, mapping: dict[str, str] | None = None
) -> None:
    """Tie the core's messages to the form's fields (``mapping``: core field name
    to form field name where they differ); a message for no field is flashed."""
    for name, message in field_errors(exc).items():
        field = getattr(form, (mapping or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def no_forbidden_characters(form: FlaskForm, field: Any) -> None:
    """WTForms validator for fields whose value the core never reads as text (a
    checkbox): a sent value holding a character no stored text may hold is refused
    here, naming the field, as the core's text fields are (nothing is stored)."""
    if any(
        FORBIDDEN_CHARACTERS.search(raw) for raw in field.raw_data or [] if isinstance(raw, str)
    ):
        raise StopValidation(
            gettext(
                "Contains a control character or non-character (such as U+0000 or U+FFFF) "
                "that cannot be stored; remove it."
            )
        )


#: The longest ``next`` kept (a page address; anything longer goes to the start page).
MAX_NEXT_LENGTH = 2000


def _suspicious_char(ch: str) -> bool:
    """Characters browsers drop or reinterpret in a URL (tabs, newlines, other
    controls, invisible format characters, any space) and the backslash that
    browsers read as a slash."""
    return ch == "\\" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")


def _spellings(path: str) -> list[str]:
    """``path`` as a browser may come to read it: percent-decoded (repeatedly, for
    double encoding) and NFKC-normalised (fullwidth and other unicode slashes)."""
    seen = [path]
    current = path
    for _ in range(3):
        current = unquote(current)
        if current in seen:
            break
        seen.append(current)
    return seen + [unicodedata.normalize("NFKC", s) for s in seen]


def is_local_path(target: str) -> bool:
    """Whether ``target`` can only lead to a page of this site.

    Accepted: one leading ``/`` then an ASCII path (and any query), with no
    character a browser would drop or turn into a slash, under every spelling
    a browser might see (decoded ``%2F``/``%5C``, NFKC-normalised). Refused: ``//host``,
    ``/\\host``, ``/%09/host``, ``/%2F%2Fhost``, ``javascript:``, absolute URLs.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return False
    if any(_suspicious_char(ch) for ch in target):
        return False
    path = target.split("?", 1)[0].split("#", 1)[0]
    for spelling in _spellings(path):
        # Every page of tmdesk has an ASCII path; other characters in a path only
        # serve to look like a slash (U+2215, U+FF0F…) to some browser or proxy.
        if not spelling.isascii() or any(_suspicious_char(ch) for ch in spelling):
            return False
        if not spelling.startswith("/") or spelling[1:2] in ("/", "\\"):
            return False
        parts = urlsplit(spelling)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None) -> str:
    """``target`` if it is a page of this site (:func:`is_local_path`), else the start
    page: the one check every redirect to an address from a request goes through."""
    if target and is_local_path(target):
        # Non-ASCII (a Cyrillic search term) travels percent-encoded in the header.
        return quote(target, safe="/?&=%#+:;,@!$'()*~.-_[]")
    return url_for("projects.home")


def form_status() -> int:
    """The status of a page that shows a form: 400 when a POST comes back to it
    (the form did not go through), 200 on a GET."""
    return 400 if request.method == "POST" else 200


T = TypeVar("T")


def form_page(
    form: FlaskForm,
    action: Callable[[], T],
    success: str | Callable[[T], str],
    target: str | Callable[[T], str],
    template: str,
    *,
    mapping: dict[str, str] | None = None,
    code: int = 302,
    **context: Any,
) -> Response | tuple[str, int]:
    """A page with one form, the house way.

    When the form is posted and valid, run the core write ``action()``; on
    success flash ``success`` and redirect to ``target`` (each may be computed
    from the action's result). Otherwise show ``template`` with ``form`` and
    ``context``: on a GET with 200, after a refused POST with 400 and the
    core's ValidationError tied to the form's fields (see :func:`apply_errors`).
    """
    if form.validate_on_submit():
        try:
            result = action()
        except ValidationError as exc:
            apply_errors(form, exc, mapping)
        else:
            flash(success(result) if callable(success) else success, "success")
            return redirect(target(result) if callable(target) else target, code)
    return render_template(template, form=form, **context), form_status()


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


#: How a date is written in a form field, by locale: the format the field's hint
#: names ("YYYY-MM-DD", in Ukrainian "ДД.ММ.РРРР"); the core reads both.
DATE_INPUT_FORMATS = {"uk": "%d.%m.%Y"}
ISO_DATE = "%Y-%m-%d"


def date_input(value: dt.date | None) -> str:
    """``value`` as a date field shows it in the current locale (empty for None)."""
    if value is None:
        return ""
    return value.strftime(DATE_INPUT_FORMATS.get(locale_code(), ISO_DATE))


def date_field_kw() -> dict[str, str]:
    """Attributes of a date field: a text field in the locale's format (a browser's
    own date picker shows its own format, whatever the hint says)."""
    return {"autocomplete": "off", "class": "date-input", "size": "12"}
