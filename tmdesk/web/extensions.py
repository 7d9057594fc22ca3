"""The web package's shared objects, apart from the application factory.

Blueprint modules import these from here, not from :mod:`tmdesk.web`, whose
``create_app`` imports every blueprint: FlaskBB's ``extensions`` module, for
the same reason (no import cycle between the factory and its blueprints).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from tmdesk.core import sessions
from tmdesk.core.db import database
from tmdesk.core.models import User
from tmdesk.core.plugin_approvals import approved_files
from tmdesk.core.validation import parse_id
from tmdesk.plugins.manager import TmdeskPluginManager, make_plugin_manager

LANGUAGES = ("uk", "en")

log = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


#: How often (seconds) a serving process looks whether the plugin approvals in the
#: database are still those its plugins were loaded with: another process of the same
#: server (``serve --workers``), another server of the office, or the command line
#: may have approved or withdrawn one.
PLUGINS_CHECK_SECONDS = 5.0
_plugins_lock = threading.Lock()


def load_plugins(app: Flask) -> TmdeskPluginManager:
    """(Re)build ``app``'s plugin manager: built-ins, installed packages, and the
    plugins-folder files whose approval in the database matches their SHA-256."""
    was_closed = database.is_closed()
    if was_closed:
        database.connect()
    try:
        approvals = approved_files()
    finally:
        if was_closed:
            database.close()
    pm = make_plugin_manager(app.config["DATA_DIR"], approvals=approvals)
    app.extensions["tmdesk_plugins"] = pm
    app.extensions["tmdesk_plugins_approvals"] = approvals
    app.extensions["tmdesk_plugins_checked"] = time.monotonic()
    return pm


def plugins_in_step(app: Flask, force: bool = False) -> TmdeskPluginManager:
    """``app``'s plugin manager, loaded again first if the approvals in the database
    changed since it was built; looked at once every :data:`PLUGINS_CHECK_SECONDS`
    (one small query), or now when ``force`` (the Plugins page). The database must
    be open."""
    now = time.monotonic()
    if force or now - app.extensions.get("tmdesk_plugins_checked", 0.0) >= PLUGINS_CHECK_SECONDS:
        with _plugins_lock:  # one thread loads; the others then find it done
            app.extensions["tmdesk_plugins_checked"] = now
            if approved_files() != app.extensions.get("tmdesk_plugins_approvals"):
                log.info("the plugin approvals changed elsewhere: loading the plugins again")
                return load_plugins(app)
    return app.extensions["tmdesk_plugins"]


#: The session entry holding the key of the server's ``user_session`` row.
SESSION_KEY = "_sk"


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The session's user, if the server still knows this session.

    The signed cookie alone is not enough: its key must name a row of
    ``user_session`` (see :func:`tmdesk.web.auth.begin_session`), which logging
    out, a password change and deactivation delete. A copied cookie therefore
    dies with its owner's session, whatever address or browser presents it.
    """
    try:
        user_id, nonce = session_id.split(":", 1)
    except (ValueError, TypeError, AttributeError):
        return None
    row_id = parse_id(user_id)
    user = User.get_or_none(User.id == row_id) if row_id is not None else None
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    idle = current_app.permanent_session_lifetime.total_seconds()
    if not sessions.session_alive(user, session.get(SESSION_KEY), idle):
        return None
    return user


def donor_field_definitions(app: Flask) -> list:
    """The donors' own fields the loaded plugins declare (``tmdesk_donor_fields``)."""
    pm = app.extensions.get("tmdesk_plugins")
    return list(pm.donor_fields.values()) if pm is not None else []
