"""Error pages for people and JSON errors for the API."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.web.auth import session_expired, session_minutes
from tmdesk.web.common import error_text, field_errors, safe_next

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, fields: dict | None = None):
    response = jsonify(error=message, fields=fields or {})
    response.status_code = status
    return response


def form_page() -> str | None:
    """The local page a refused form was sent from (its Referer), if there is one."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path:
        return None
    page = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return page if safe_next(page) == page else None


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        fields = field_errors(exc) if isinstance(exc, ValidationError) else {}
        if wants_json():
            return json_error(exc.http_status, error_text(exc), fields)
        return render_template(
            "error.html", code=exc.http_status, message=error_text(exc), fields=fields
        ), exc.http_status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        """A form refused for its CSRF token: almost always a session that ended
        while the form was open. Say so, and lead back to the typed text."""
        page = form_page()
        return render_template(
            "errors/form_not_sent.html",
            expired=session_expired(),
            minutes=session_minutes(),
            logged_in=current_user.is_authenticated,
            form_page=page,
            login_url=url_for("auth.login", next=page) if page else url_for("auth.login"),
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            400: gettext("The request could not be understood."),
            401: gettext("Please log in."),
            403: gettext("You do not have permission to do this."),
            404: gettext("There is nothing here, or you may not see it."),
            405: gettext("This address does not accept that kind of request."),
            413: gettext("The upload is too large."),
        }
        message = messages.get(exc.code, exc.description or exc.name)
        if wants_json():
            return json_error(exc.code or 500, message)
        return render_template("error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        message = gettext(
            "Something went wrong on our side. Nothing was half-saved; "
            "please try again. The details are in the log."
        )
        if wants_json():
            return json_error(500, message)
        return render_template("error.html", code=500, message=message), 500
