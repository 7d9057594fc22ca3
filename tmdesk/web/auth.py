"""Logging in and out, first-run setup, language choice, and the profile page."""

from __future__ import annotations

import datetime as dt
import hmac
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, gettext, lazy_gettext, ngettext
from flask_login import (
    confirm_login,
    current_user,
    login_fresh,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tmdesk.core import accounts, sessions, tokens
from tmdesk.core.db import database
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import ApiToken, Organisation
from tmdesk.core.validation import parse_int
from tmdesk.core.vocab import ORG_KINDS
from tmdesk.web.common import acting_user, apply_errors, safe_next
from tmdesk.web.extensions import LANGUAGES, SESSION_KEY, login_manager

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


class SetupForm(FlaskForm):
    org_code = StringField(
        lazy_gettext("Organisation code"),
        default="TMPO",
        validators=[DataRequired(), Length(max=32)],
    )
    org_name_en = StringField(
        lazy_gettext("Organisation name (English)"),
        default="Tallinn Mechanism Project Office",
        validators=[DataRequired(), Length(max=200)],
    )
    org_name_uk = StringField(
        lazy_gettext("Organisation name (Ukrainian)"),
        default="Проєктний офіс Таллінського механізму",
        validators=[Length(max=200)],
    )
    org_kind = SelectField(lazy_gettext("Organisation kind"), default="project_office")
    org_country = StringField(
        lazy_gettext("Country (two letters)"),
        default="UA",
        validators=[DataRequired(), Length(min=2, max=2)],
    )
    name = StringField(lazy_gettext("Your name"), validators=[Length(max=200)])
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(
        lazy_gettext("Password (at least 12 characters)"), validators=[DataRequired()]
    )


class PasswordForm(FlaskForm):
    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])
    new = PasswordField(
        lazy_gettext("New password (at least 12 characters)"), validators=[DataRequired()]
    )
    revoke_tokens = BooleanField(lazy_gettext("Also revoke my API tokens"), default=True)


class TokenForm(FlaskForm):
    name = StringField(lazy_gettext("What the token is for"), validators=[Length(max=100)])
    expires_days = StringField(
        lazy_gettext("Works for this many days"),
        default=str(tokens.TOKEN_DEFAULT_DAYS),
        render_kw={"inputmode": "numeric", "maxlength": 4},
    )
    scope = SelectField(
        lazy_gettext("What it may do"),
        choices=[(code, lazy_gettext(text)) for code, text in tokens.TOKEN_SCOPES.items()],
        default="read",
    )


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[(code, code) for code in LANGUAGES])
    remember = BooleanField(default=True)


def _now() -> float:
    """The clock freshness is measured with (tests move it)."""
    return time.time()


def server_now() -> dt.datetime:
    """:func:`_now` as the core's naive UTC datetime (server-side session times)."""
    return dt.datetime.fromtimestamp(int(_now()), dt.UTC).replace(tzinfo=None)


def begin_session(user) -> None:
    """Log ``user`` in on this browser: a fresh cookie (nothing carried over from
    before but the language), a new server-side session, the password just typed."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True  # the cookie carries its expiry
    login_user(user)
    idle = current_app.permanent_session_lifetime.total_seconds()
    sessions.prune_sessions(idle)
    session[SESSION_KEY] = sessions.start_session(user)
    mark_fresh()


def end_session() -> None:
    """Log out on this browser, and on the server: the cookie's session stops
    working everywhere it may have been copied to."""
    sessions.end_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def mark_fresh() -> None:
    """Record that the user has just typed their password (login or confirmation)."""
    session["fresh_at"] = int(_now())


def fresh_enough() -> bool:
    """Whether the password was typed within ``TMDESK_FRESH_MINUTES``.

    flask-login's own "fresh" flag only drops when a session is restored
    from a remember-me cookie, which tmdesk never sets; so freshness is also
    bounded in time, and administrators confirm their password again after
    a while before they change anything.
    """
    if not login_fresh():
        return False
    at = session.get("fresh_at")
    limit = float(current_app.config.get("TMDESK_FRESH_MINUTES", 15)) * 60
    return isinstance(at, int) and 0 <= _now() - at < limit


#: A small non-secret cookie: when this browser last made a request inside a
#: logged-in session (Unix seconds). See :func:`session_expired`.
ACTIVITY_COOKIE = "tmdesk_last_active"
#: How long the marker outlives the session: after that nobody is told any more.
ACTIVITY_COOKIE_DAYS = 30


def session_minutes() -> int:
    """``TMDESK_SESSION_MINUTES`` as a whole number, for messages."""
    return max(1, round(current_app.permanent_session_lifetime.total_seconds() / 60))


def session_expired() -> bool:
    """Whether this browser's session ended because of inactivity.

    The session cookie cannot say so itself: once it is too old the browser
    drops it (and Flask refuses it), which looks just like a first visit. So
    every response inside a logged-in session also sets ``tmdesk_last_active``,
    the time of that request; it holds nothing secret (a forged one can only
    change a message). The session has expired when that time is at least
    ``TMDESK_SESSION_MINUTES`` ago and nobody is logged in. Logging out deletes
    the marker, and so does a session that ended sooner for another reason
    (password changed, account deactivated): see :func:`_note_activity`.
    """
    if current_user.is_authenticated:
        return False
    last_active = parse_int(request.cookies.get(ACTIVITY_COOKIE), minimum=0, maximum=2**40)
    if last_active is None:
        return False
    return _now() - last_active >= current_app.permanent_session_lifetime.total_seconds()


def _forget_activity(response: Response) -> None:
    response.delete_cookie(
        ACTIVITY_COOKIE,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=current_app.session_interface.get_cookie_secure(current_app),
    )


@bp.after_app_request
def _note_activity(response: Response) -> Response:
    """Keep the ``tmdesk_last_active`` marker in step with the session (see
    :func:`session_expired`). Static files and the API (no session) are left alone."""
    if request.endpoint == "static" or request.path.startswith("/api/"):
        return response
    if current_user.is_authenticated:
        response.set_cookie(
            ACTIVITY_COOKIE,
            str(int(_now())),
            max_age=int(current_app.permanent_session_lifetime.total_seconds())
            + ACTIVITY_COOKIE_DAYS * 86400,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=current_app.session_interface.get_cookie_secure(current_app),
        )
    elif ACTIVITY_COOKIE in request.cookies and not session_expired():
        _forget_activity(response)  # the session ended sooner, and not by inactivity
    return response


def confirm_password_first(back: str):
    """flask-login's refresh flow: ask for the password again before an administrator's
    change. A GET page is asked for again afterwards; a POST cannot be replayed, so
    the message is flashed and the person returns to ``back`` (the page the form was on).
    """
    if request.method in ("GET", "HEAD"):
        return login_manager.needs_refresh()
    flash(str(login_manager.needs_refresh_message), login_manager.needs_refresh_message_category)
    return redirect(url_for(login_manager.refresh_view, next=back))


@bp.route("/login", methods=["GET", "POST"])
def login():
    from tmdesk.sync.desk import is_linked

    # A desk linked to an office is set up: its person logs in with the office password.
    if not accounts.has_any_admin() and not is_linked():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            begin_session(user)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors = [
            gettext(
                "That e-mail and password do not match an active account, or the account "
                "must wait a moment after several failed attempts."
            )
        ]
    expired = request.method == "GET" and session_expired()
    notice = None
    if expired:
        minutes = session_minutes()
        notice = ngettext(
            "Your session ended after %(num)d minute without activity. Log in again; "
            "you will come back to the page you were on.",
            "Your session ended after %(num)d minutes without activity. Log in again; "
            "you will come back to the page you were on.",
            minutes,
        )
    response = make_response(
        render_template("auth/login.html", form=form, notice=notice),
        400 if form.errors else 200,
    )
    if expired:
        _forget_activity(response)  # said once
    return response


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm_password():
    """Re-authentication ("confirm your password") before administration."""
    user = acting_user()
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        # Through authenticate: wrong passwords count towards the account's wait.
        if accounts.authenticate(user.email, form.password.data) is not None:
            confirm_login()
            mark_fresh()
            return redirect(safe_next(request.args.get("next")))
        form.password.errors = [
            gettext(
                "That password is not right, or the account must wait a moment after several "
                "failed attempts."
            )
        ]
    return render_template("auth/confirm.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
def logout():
    end_session()
    flash(gettext("You are logged out."), "info")
    response = redirect(url_for("auth.login"))
    _forget_activity(response)
    return response


def setup_allowed() -> bool:
    """First-run setup is open only while no administrator exists.

    In desktop mode the launcher sets ``TMDESK_SETUP_TOKEN``: only the browser
    it opened (which carried the token once) may create the administrator.
    """
    if accounts.has_any_admin():
        return False
    expected = current_app.config.get("TMDESK_SETUP_TOKEN")
    if not expected:
        return True
    given = request.args.get("token")
    if given and hmac.compare_digest(given, expected):
        session["setup_ok"] = True
    return bool(session.get("setup_ok"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if accounts.has_any_admin():
        return redirect(url_for("auth.login"))
    if not setup_allowed():
        # Someone opened the address without the token the server printed.
        return render_template("errors/not_set_up.html"), 403
    form = SetupForm()
    form.org_kind.choices = [(k, gettext(v)) for k, v in ORG_KINDS.items()]
    if form.validate_on_submit():
        try:
            with database.atomic():
                org = Organisation.get_or_none(Organisation.code == form.org_code.data.upper())
                if org is None:
                    org = accounts.create_organisation(
                        None,
                        {
                            "code": form.org_code.data,
                            "kind": form.org_kind.data,
                            "country": form.org_country.data,
                            "name_en": form.org_name_en.data,
                            "name_uk": form.org_name_uk.data,
                        },
                    )
                user = accounts.create_user(
                    None,
                    form.email.data,
                    org.code,
                    form.password.data,
                    name=form.name.data,
                    is_admin=True,
                )
        except ValidationError as exc:
            apply_errors(
                form,
                exc,
                {
                    "code": "org_code",
                    "country": "org_country",
                    "name_en": "org_name_en",
                    "organisation": "org_code",
                },
            )
        else:
            session.pop("setup_ok", None)
            begin_session(user)
            flash(gettext("The administrator account is ready."), "success")
            return redirect(url_for("projects.home"))
    return render_template("auth/setup.html", form=form), (400 if form.errors else 200)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        user = acting_user()
        if user is not None:
            user.locale = form.lang.data
            user.save(only=["locale"])
    return redirect(safe_next(request.form.get("next")))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = acting_user()
    password_form = PasswordForm(prefix="pw")
    token_form = TokenForm(prefix="tok")
    new_token = None
    if request.method == "POST":
        if "pw-new" in request.form and password_form.validate_on_submit():
            if accounts.authenticate(user.email, password_form.current.data) is None:
                password_form.current.errors = [gettext("The current password is not right.")]
            else:
                try:
                    accounts.set_password(
                        user,
                        user,
                        password_form.new.data,
                        revoke_tokens=bool(password_form.revoke_tokens.data),
                    )
                except ValidationError as exc:
                    apply_errors(password_form, exc, {"password": "new"})  # nosec B105: maps the core's field name to the form's, not a password
                else:
                    begin_session(user)  # every old session ended with the password
                    flash(gettext("Your password is changed."), "success")
                    return redirect(url_for("auth.profile"))
        elif "tok-name" in request.form:
            if not fresh_enough():
                return confirm_password_first(url_for("auth.profile"))
            if token_form.validate_on_submit():
                try:
                    _token, new_token = tokens.create_token(
                        user,
                        user,
                        token_form.name.data or "",
                        expires_days=token_form.expires_days.data,
                        scope=token_form.scope.data,
                    )
                except ValidationError as exc:
                    apply_errors(token_form, exc)
                else:
                    token_form = TokenForm(prefix="tok", formdata=None)
    status = 400 if (password_form.errors or token_form.errors) else 200
    return render_template(
        "auth/profile.html",
        password_form=password_form,
        token_form=token_form,
        tokens=tokens.live_tokens(user),
        now=server_now(),
        scopes=tokens.TOKEN_SCOPES,
        new_token=new_token,
    ), status


def _own_token_or_404(token_id: int) -> ApiToken:
    token = ApiToken.get_or_none(
        (ApiToken.id == token_id)
        & (ApiToken.user == acting_user().id)
        & ApiToken.revoked_at.is_null()
    )
    if token is None:
        abort(404)
    return token


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    user = acting_user()
    tokens.revoke_token(user, _own_token_or_404(token_id))
    flash(gettext("The token is revoked."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens/<int:token_id>/renew")
@login_required
def renew_token(token_id: int):
    """Another 90 days (from today) for one of the person's tokens; a fresh password first."""
    token = _own_token_or_404(token_id)
    if not fresh_enough():
        return confirm_password_first(url_for("auth.profile"))
    tokens.renew_token(acting_user(), token, now=server_now())
    flash(
        gettext("The token works until %(date)s.", date=format_date(token.expires_at, "medium")),
        "success",
    )
    return redirect(url_for("auth.profile"))
