"""The Flask application factory.

Blueprints are thin: they parse requests, call the core, and render. See
Flask's tutorial for the pattern (factory, blueprints, instance folder).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request, session
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from tmdesk import __version__, paths, settings
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError
from tmdesk.core.i18n import N_
from tmdesk.exchange.keys import installation_keys
from tmdesk.web import blueprints, converters, errors, templating
from tmdesk.web.common import acting_user
from tmdesk.web.extensions import (
    LANGUAGES,
    babel,
    csrf,
    load_plugins,
    login_manager,
    plugins_in_step,
)

log = logging.getLogger(__name__)

__all__ = ["LANGUAGES", "babel", "create_app", "csrf", "load_plugins", "login_manager"]


def _secret_key(data_dir: Path) -> str:
    """A per-installation secret kept in the data dir (created once, user-only)."""
    path = paths.secret_key_file(data_dir)
    if not path.exists():
        paths.make_private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # servers sharing the file (TMDESK_SECRET_KEY_FILE) started at once
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(100):  # the server that created it may still be writing it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"the secret key file {path} is empty: delete it to make a new one")


def select_locale() -> str:
    """The user's saved choice, then the session's, then Accept-Language."""
    user = acting_user()  # the session's user, or the API token's
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="uk") if request else "uk"


def create_app(
    data_dir: str | os.PathLike | None = None, config: dict[str, Any] | None = None
) -> Flask:
    """Build the app for the data folder ``data_dir`` (see :mod:`tmdesk.paths`)."""
    base = paths.data_dir(data_dir)
    paths.make_private_dir(base)
    app = Flask(
        __name__,
        template_folder=str(Path(__file__).parent.parent / "templates"),
        static_folder=str(Path(__file__).parent.parent / "static"),
    )
    app.config.update(
        DATA_DIR=base,
        SECRET_KEY=_secret_key(base),
        SESSION_COOKIE_NAME="tmdesk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # TMDESK_SESSION_MINUTES (default 60) sets PERMANENT_SESSION_LIFETIME: see
        # _session_settings.
        SESSION_REFRESH_EACH_REQUEST=True,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session, which expires on its own
        BABEL_DEFAULT_LOCALE="uk",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent.parent / "translations"),
        TMDESK_DATABASE_URL=settings.DATABASE_URL.get(),
        # Desktop mode restricts the Host header (see tmdesk.runtime.desktop).
        TMDESK_ALLOWED_HOSTS=None,
    )
    app.json = StrictJSONProvider(app)
    converters.register(app)  # before any route: every id and segment is bounded
    if config:
        app.config.update(config)
    _session_settings(app)

    open_database(base, app.config["TMDESK_DATABASE_URL"])
    # The exchange key pair is made on first run, so `tmdesk keys show` and
    # Administration → Keys show the same fingerprint from the start (#14).
    installation_keys(base)
    from tmdesk.sync import desk as sync_desk

    sync_desk.install()  # a linked desk queues its person's changes for the office

    load_plugins(app)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = None
    # Administrators confirm their password again before changing anything
    # (tmdesk.web.auth.fresh_enough, tmdesk.web.admin).
    login_manager.refresh_view = "auth.confirm_password"
    login_manager.needs_refresh_message = lazy_gettext(
        "Confirm your password to continue with administration."
    )
    login_manager.needs_refresh_message_category = "info"

    proxy_settings(app)
    _register_request_hooks(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    return app


def _minutes(app: Flask, setting: settings.Setting) -> float:
    """A positive number of minutes from the app config, then the environment."""
    key, default = setting.name, float(setting.default or 0)
    raw = app.config.get(key, setting.get())
    try:
        value = float(raw)
    except (TypeError, ValueError):
        log.warning("%s=%r is not a number of minutes; using %s", key, raw, default)
        return default
    return value if value > 0 else default


def _session_settings(app: Flask) -> None:
    """Sessions end after ``TMDESK_SESSION_MINUTES`` of inactivity (the signed cookie
    is re-issued on every request, and Flask refuses one older than the lifetime)."""
    app.config["TMDESK_SESSION_MINUTES"] = _minutes(app, settings.SESSION_MINUTES)
    app.config["TMDESK_FRESH_MINUTES"] = _minutes(app, settings.FRESH_MINUTES)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=app.config["TMDESK_SESSION_MINUTES"]
    )


def _any_text(value: Any, bad: Callable[[str], bool]) -> bool:
    """Whether a parsed JSON value holds a string (keys included) that is ``bad``."""
    if isinstance(value, str):
        return bad(value)
    if isinstance(value, dict):
        return any(_any_text(k, bad) or _any_text(v, bad) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_text(v, bad) for v in value)
    return False


def _lone_surrogate(text: str) -> bool:
    """Half a UTF-16 pair: no database can store it."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _nul(text: str) -> bool:
    """A NUL character: PostgreSQL refuses it in text, so no engine may take it."""
    return "\x00" in text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Request bodies must be strict JSON: no NaN or Infinity, no lone surrogates and
    no NUL characters (which no database can store and which would fail deep inside
    a lookup). A body refused here reads as "not a JSON object": a 400 from the API."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        data = super().loads(s, parse_constant=_no_constant, **kwargs)
        if _any_text(data, lambda text: _lone_surrogate(text) or _nul(text)):
            raise ValueError("a lone surrogate or NUL in JSON text")
        return data


class NulInRequest(DomainError):
    """A NUL character in a request: a 400, refused before anything is looked up."""

    http_status = 400


def _refuse_nul_in_request() -> None:
    """Refuse (400, nothing stored) a request whose address, query or form carries
    a NUL character anywhere, before any route looks anything up with it: the same
    answer on SQLite and on PostgreSQL, which cannot hold NUL in text at all."""
    places = [request.path, *request.args.keys(), *request.args.values()]
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
        places += [*request.form.keys(), *request.form.values()]
        places += [f.filename or "" for f in request.files.values()]
    if any(_nul(text) for text in places):
        raise NulInRequest(N_("Text may not contain NUL characters."))


def _strong_session_protection() -> None:
    """End a session presented by another browser (address or User-Agent changed).

    flask-login's "strong" mode only marks a *permanent* session non-fresh
    instead of ending it, and every tmdesk session is permanent (so that it
    expires after inactivity); this restores the "strong" meaning.
    """
    if session.get("_user_id") is None:
        return
    if session.get("_id") != login_manager._session_identifier_generator():
        session.clear()


def trusted_proxies() -> int:
    """``TMDESK_TRUSTED_PROXIES``: how many reverse proxies' forwarding headers to believe."""
    raw = settings.TRUSTED_PROXIES.get() or "0"
    if not raw.isdigit():
        log.warning("TMDESK_TRUSTED_PROXIES=%r is not a number of proxies; trusting none", raw)
        return 0
    return int(raw)


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (directly,
    or as a trusted proxy says), not only when the configuration says so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or bool(request and request.is_secure)


def proxy_settings(app: Flask) -> None:
    """Serving an office behind a TLS reverse proxy: believe ``TMDESK_TRUSTED_PROXIES``
    proxies' X-Forwarded-For/-Proto/-Host/-Port (werkzeug's ProxyFix), so addresses,
    redirects and the Secure flag are right; cookies are Secure over HTTPS."""
    app.session_interface = _SessionInterface()
    count = trusted_proxies()
    if count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )


def _register_request_hooks(app: Flask) -> None:
    app.before_request(_refuse_nul_in_request)

    @app.before_request
    def _connect() -> None:
        database.connect(reuse_if_open=True)
        plugins_in_step(app)
        if not request.path.startswith("/api/"):  # the API never uses the session
            _strong_session_protection()
            session.permanent = True

    @app.teardown_request
    def _close(_exc) -> None:
        if not database.is_closed():
            database.close()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.path.startswith("/api/") or request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", version=__version__)


def _register_blueprints(app: Flask) -> None:
    for bp in blueprints.all_blueprints():
        app.register_blueprint(bp)
    for bp in blueprints.api_blueprints():
        csrf.exempt(bp)


def _register_template_helpers(app: Flask) -> None:
    templating.register(app)


def _register_error_handlers(app: Flask) -> None:
    errors.register(app)
