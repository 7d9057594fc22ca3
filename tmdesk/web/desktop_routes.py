"""Desktop-mode routes: the one-time launch login, Quit, and the Host allow-list.

The launcher (:mod:`tmdesk.runtime.desktop`) puts a :class:`~tmdesk.runtime.instance.DesktopState`
into ``app.config["TMDESK_DESKTOP"]``; without it (tests, other deployments)
these routes answer 404.

- ``GET /desktop/launch?token=…``: redeems a one-time launch token. The
  browser gets a desktop cookie for this run (it survives the session reset
  at login) and goes to the first-run setup page while there is no
  administrator, otherwise to the login page (or home, if already logged in).
- ``POST /desktop/quit`` (CSRF): only from a browser that came in through a
  launch token of this run; logs out and stops the server cleanly.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from tmdesk.core import accounts
from tmdesk.web.auth import end_session

bp = Blueprint("desktop_routes", __name__, url_prefix="/desktop")

DESKTOP_COOKIE = "tmdesk_desktop"


def _state():
    return current_app.config.get("TMDESK_DESKTOP")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="tmdesk-desktop")


def launched_here() -> bool:
    """Whether this browser came in through a launch token of the running instance."""
    state = _state()
    raw = request.cookies.get(DESKTOP_COOKIE)
    if state is None or not raw or g.get("tmdesk_quitting"):
        return False
    try:
        return _serializer().loads(raw) == state.run_id
    except BadSignature:
        return False


@bp.before_app_request
def _check_host():
    """Refuse requests whose Host is not this server's own (against DNS rebinding)."""
    allowed = current_app.config.get("TMDESK_ALLOWED_HOSTS")
    if not allowed:
        return None
    host = (request.headers.get("Host") or "").strip().lower()
    if host not in allowed:
        current_app.logger.warning("refused a request for Host %r", host[:100])
        response = make_response("Bad Request: unknown Host header.\n", 400)
        response.mimetype = "text/plain"
        return response
    return None


@bp.app_context_processor
def _desktop_context() -> dict:
    return {"desktop_quit_enabled": launched_here}


@bp.get("/launch")
def launch():
    state = _state()
    if state is None:
        abort(404)
    if not state.tokens.redeem(request.args.get("token")):
        message = gettext(
            "This start link has already been used or is too old. "
            "Start tmdesk again to open it in your browser."
        )
        return render_template("error.html", code=403, message=message), 403
    if not accounts.has_any_admin():
        session["setup_ok"] = True  # what auth.setup_allowed looks for
        target = url_for("auth.setup")
    elif current_user.is_authenticated:
        target = url_for("projects.home")
    else:
        target = url_for("auth.login")
    response = redirect(target)
    response.set_cookie(
        DESKTOP_COOKIE,
        _serializer().dumps(state.run_id),
        httponly=True,
        samesite="Strict",
        secure=False,
        path="/",
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/quit")
def quit():
    state = _state()
    if state is None or state.request_quit is None:
        abort(404)
    if not launched_here():
        abort(403)
    end_session()
    g.tmdesk_quitting = True  # the page that says goodbye has no Quit button
    state.request_quit()
    response = make_response(render_template("desktop/stopped.html"))
    response.delete_cookie(DESKTOP_COOKIE, path="/")
    return response
