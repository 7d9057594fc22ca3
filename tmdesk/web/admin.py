"""Administration: organisations, users, the audit log, exchange rates, backups, exchange keys.

Administrators only: every view of this blueprint answers 403 to anyone else
(and sends anonymous visitors to the login page). Changes go through the core
(:mod:`tmdesk.core.accounts`, :mod:`tmdesk.core.rates`), which audits them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)

from tmdesk.core import accounts, auditlog, rates, tokens
from tmdesk.core import backup as backups
from tmdesk.core.auditlog import snapshot_data
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.errors import DomainError, PermissionDenied
from tmdesk.core.models import (
    AccountChange,
    AuditEvent,
    ExchangeRate,
    Organisation,
    User,
    utcnow,
)
from tmdesk.core.permissions import can_administer
from tmdesk.core.vocab import CURRENCIES, ORG_KINDS, RECIPIENT_TYPES
from tmdesk.exchange import trust
from tmdesk.exchange.keys import installation_keys, show_fingerprint
from tmdesk.paths import backups_dir
from tmdesk.web.auth import confirm_password_first, fresh_enough, server_now
from tmdesk.web.common import (
    acting_user,
    error_text,
    flash_error,
    form_page,
    locale_code,
    page_arg,
    tr,
)
from tmdesk.web.extensions import login_manager

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PER_PAGE = 50
#: Logins are most of the log; the page can leave them out.
LOGIN_ACTIONS = ("login", "login.failed")
USERS_PER_PAGE = 100


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


# --- forms ----------------------------------------------------------------


class OrganisationForm(FlaskForm):
    code = StringField(lazy_gettext("Code"), render_kw={"autocapitalize": "characters"})
    kind = SelectField(lazy_gettext("Kind"), validate_choice=False)
    recipient_type = SelectField(lazy_gettext("Kind of recipient"), validate_choice=False)
    country = StringField(lazy_gettext("Country (two letters)"), render_kw={"maxlength": 2})
    iati_id = StringField(lazy_gettext("IATI organisation identifier"))
    name_en = StringField(lazy_gettext("Name in English"))
    name_uk = StringField(lazy_gettext("Name in Ukrainian"))

    FIELDS = ("code", "kind", "recipient_type", "country", "iati_id", "name_en", "name_uk")

    def data_for_core(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in self.FIELDS}


def _organisation_form(**kwargs) -> OrganisationForm:
    form = OrganisationForm(**kwargs)
    form.kind.choices = [("", gettext("— choose —"))] + [
        (code, gettext(text)) for code, text in ORG_KINDS.items()
    ]
    form.recipient_type.choices = [("", gettext("— from the name —"))] + [
        (code, gettext(text)) for code, text in RECIPIENT_TYPES.items()
    ]
    return form


class UserForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail"))
    name = StringField(lazy_gettext("Name"))
    organisation = SelectField(lazy_gettext("Organisation"), validate_choice=False)
    password = PasswordField(lazy_gettext("Password"))
    is_admin = BooleanField(lazy_gettext("Administrator"))


class UserEditForm(FlaskForm):
    name = StringField(lazy_gettext("Name"))
    organisation = SelectField(lazy_gettext("Organisation"), validate_choice=False)
    is_admin = BooleanField(lazy_gettext("Administrator"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(lazy_gettext("New password"))


class RateForm(FlaskForm):
    rate = StringField(lazy_gettext("Euros per unit"), render_kw={"inputmode": "decimal"})
    effective_from = StringField(lazy_gettext("In force from"), render_kw={"type": "date"})


PASSWORD_HINT = lazy_gettext(
    "At least 12 characters; not the e-mail address; not a common "
    "password. Tell the person through a separate channel."
)


def _organisation_choices() -> list[tuple[str, str]]:
    orgs = Organisation.select().order_by(Organisation.kind, Organisation.name_en)
    return [("", gettext("— choose —"))] + [
        (o.code, f"{o.name(locale_code())} ({o.code}, {gettext(ORG_KINDS.get(o.kind, o.kind))})")
        for o in orgs
    ]


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


# --- organisations ----------------------------------------------------------


@bp.get("/organisations")
def organisations():
    orgs = list(Organisation.select().order_by(Organisation.kind, Organisation.name_en))
    user_counts = {o.id: 0 for o in orgs}
    from peewee import fn

    for row in (
        User.select(User.organisation, fn.COUNT(User.id).alias("n"))
        .group_by(User.organisation)
        .dicts()
    ):
        user_counts[row["organisation"]] = row["n"]
    return render_template("admin/organisations.html", organisations=orgs, user_counts=user_counts)


@bp.route("/organisations/new", methods=["GET", "POST"])
def organisation_new():
    form = _organisation_form()
    return form_page(
        form,
        lambda: accounts.create_organisation(acting_user(), form.data_for_core()),
        lambda org: gettext("The organisation %(code)s is created.", code=org.code),
        url_for("admin.organisations"),
        "admin/organisation_form.html",
        org=None,
    )


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
def organisation_edit(org_id: int):
    org = Organisation.get_or_none(Organisation.id == org_id)
    if org is None:
        abort(404)
    if request.method == "GET":
        form = _organisation_form(
            data={name: getattr(org, name) or "" for name in OrganisationForm.FIELDS}
        )
    else:
        form = _organisation_form()
    # The code is an organisation's handle in the CLI, reports and the API: it stays.
    form.code.render_kw = {"readonly": True}
    form.code.data = org.code
    return form_page(
        form,
        _or_held(lambda: accounts.update_organisation(acting_user(), org, form.data_for_core())),
        _unless_held(gettext("The organisation %(code)s is saved.", code=org.code)),
        _unless_held(url_for("admin.organisations"), _approvals_url),
        "admin/organisation_form.html",
        org=org,
    )


# --- users ----------------------------------------------------------------


@bp.get("/users")
def users():
    query = User.select(User, Organisation).join(
        Organisation, on=(User.organisation == Organisation.id)
    )
    org_code = (request.args.get("organisation") or "").strip().upper()
    state = request.args.get("state") or ""
    q = (request.args.get("q") or "").strip()[:100]
    if org_code:
        query = query.where(Organisation.code == org_code)
    if state == "active":
        query = query.where(User.active)
    elif state == "inactive":
        query = query.where(~User.active)
    if q:
        query = query.where(User.email.contains(q.lower()) | User.name.contains(q))
    total = query.count()
    pages = max(1, -(-total // USERS_PER_PAGE))
    page = min(page_arg(), pages)
    items = list(query.order_by(Organisation.code, User.email).paginate(page, USERS_PER_PAGE))
    args = {k: v for k, v in (("organisation", org_code), ("state", state), ("q", q)) if v}
    return render_template(
        "admin/users.html",
        users=items,
        total=total,
        page=page,
        pages=pages,
        args=args,
        org_code=org_code,
        state=state,
        q=q,
        organisations=_organisation_choices()[1:],
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm()
    form.organisation.choices = _organisation_choices()
    if request.method == "GET" and request.args.get("organisation"):
        form.organisation.data = request.args["organisation"]
    return form_page(
        form,
        _or_held(
            lambda: accounts.create_user(
                acting_user(),
                form.email.data or "",
                form.organisation.data or "",
                form.password.data or "",
                name=form.name.data or "",
                is_admin=bool(form.is_admin.data),
            )
        ),
        _unless_held(lambda user: gettext("The account %(email)s is created.", email=user.email)),
        _unless_held(url_for("admin.users"), _approvals_url),
        "admin/user_form.html",
        password_hint=PASSWORD_HINT,
    )


def _user_or_404(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    """Edit an account's name, organisation and administrator right (like every form
    here, only after the administrator has recently confirmed their password)."""
    user = _user_or_404(user_id)
    if request.method == "GET":
        form = UserEditForm(
            data={
                "name": user.name,
                "organisation": user.organisation.code,
                "is_admin": user.is_admin,
            }
        )
    else:
        form = UserEditForm()
    form.organisation.choices = _organisation_choices()
    return form_page(
        form,
        _or_held(
            lambda: accounts.update_user(
                acting_user(),
                user,
                {
                    "name": form.name.data or "",
                    "organisation": form.organisation.data or "",
                    "is_admin": bool(form.is_admin.data),
                },
            )
        ),
        _unless_held(gettext("The account %(email)s is saved.", email=user.email)),
        _unless_held(url_for("admin.users"), _approvals_url),
        "admin/user_edit.html",
        user=user,
    )


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    return _set_active(_user_or_404(user_id), False)


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    return _set_active(_user_or_404(user_id), True)


def _set_active(user: User, active: bool):
    try:
        accounts.set_active(acting_user(), user, active)
    except PermissionDenied as exc:
        flash_error(exc)
    else:
        if active:
            flash(gettext("%(email)s can log in again.", email=user.email), "success")
        else:
            flash(
                gettext("%(email)s is deactivated and logged out everywhere.", email=user.email),
                "success",
            )
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def user_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    return form_page(
        form,
        _or_held(lambda: accounts.set_password(acting_user(), user, form.password.data or "")),
        _unless_held(
            gettext(
                "The password of %(email)s is reset; their sessions have ended.", email=user.email
            )
        ),
        _unless_held(url_for("admin.users"), _approvals_url),
        "admin/password_form.html",
        user=user,
        password_hint=PASSWORD_HINT,
    )


# --- changes that wait for a second administrator ----------------------------


def _or_held(action: Callable[[], Any]) -> Callable[[], Any]:
    """``action``, answering the :class:`~tmdesk.core.accounts.SecondApprovalNeeded`
    it may raise as its result (the change is stored, not made)."""

    def run() -> Any:
        try:
            return action()
        except accounts.SecondApprovalNeeded as exc:
            return exc

    return run


def _unless_held(normal: Any, held: Callable[[Any], str] | None = None) -> Callable[[Any], str]:
    """What :func:`tmdesk.web.common.form_page` says or where it goes after
    ``action``: ``normal`` (a value or a function of the result), or for a held
    change the core's message (``held`` None) or ``held(result)``."""

    def pick(result: Any) -> str:
        if isinstance(result, accounts.SecondApprovalNeeded):
            return held(result) if held else error_text(result)
        return normal(result) if callable(normal) else normal

    return pick


def _approvals_url(_result: Any = None) -> str:
    return url_for("admin.approvals")


@bp.get("/approvals")
def approvals():
    """Account changes waiting for a second administrator (issue #12)."""
    changes = accounts.pending_changes()
    return render_template(
        "admin/approvals.html",
        changes=[(change, accounts.describe_change(change)) for change in changes],
        kinds=accounts.CHANGE_KINDS,
        me=acting_user(),
    )


def _change_or_404(change_id: int) -> AccountChange:
    change = AccountChange.get_or_none(AccountChange.id == change_id)
    if change is None:
        abort(404)
    return change


@bp.post("/approvals/<int:change_id>/approve")
def approval_approve(change_id: int):
    return _decide(_change_or_404(change_id), True)


@bp.post("/approvals/<int:change_id>/refuse")
def approval_refuse(change_id: int):
    return _decide(_change_or_404(change_id), False)


def _decide(change: AccountChange, approve: bool):
    try:
        accounts.decide_change(acting_user(), change, approve)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            gettext("The change is approved and made.")
            if approve
            else gettext("The change is refused; nothing was changed."),
            "success",
        )
    return redirect(url_for("admin.approvals"))


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


@bp.get("/desks")
def desks():
    """Desks linked to this office, each through its person's own token (issue #14)."""
    from tmdesk.core.models import ApiToken, DeskLink

    links = list(
        DeskLink.select(DeskLink, User, ApiToken)
        .join(User, on=(DeskLink.user == User.id))
        .switch(DeskLink)
        .join(ApiToken, on=(DeskLink.token == ApiToken.id))
        .order_by(DeskLink.created_at.desc())
    )
    return render_template("admin/desks.html", links=links, now=server_now())


@bp.post("/desks/<int:desk_id>/revoke")
def desk_revoke(desk_id: int):
    """Unlink a desk: its token is revoked, and its next sync is refused."""
    from tmdesk.core.models import DeskLink

    link = DeskLink.get_or_none(DeskLink.id == desk_id)
    if link is None:
        abort(404)
    tokens.revoke_token(acting_user(), link.token)
    flash(
        gettext(
            "The desk “%(name)s” of %(email)s is unlinked: its next sync is refused.",
            name=link.desk_name,
            email=link.user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.desks"))


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


# --- exchange rates -----------------------------------------------------------


@bp.get("/rates")
def rates_list():
    return render_template(
        "admin/rates.html",
        rates=rates.all_rates(),
        missing=[c for c in CURRENCIES if not ExchangeRate.get_or_none(ExchangeRate.currency == c)],
        base=rates.BASE_CURRENCY,
        history=rates.rate_history(),
    )


@bp.route("/rates/<currency>", methods=["GET", "POST"])
def rate_edit(currency: str):
    currency = currency.upper()
    if currency not in CURRENCIES or currency == rates.BASE_CURRENCY:
        abort(404)
    existing = ExchangeRate.get_or_none(ExchangeRate.currency == currency)
    if request.method == "GET":
        form = RateForm(
            data={
                "rate": str(existing.eur_per_unit) if existing else "",
                "effective_from": utcnow().date().isoformat(),
            }
        )
    else:
        form = RateForm()
    return form_page(
        form,
        lambda: rates.set_exchange_rate(
            acting_user(), currency, form.rate.data or "", form.effective_from.data or None
        ),
        lambda saved: gettext(
            "The rate of %(currency)s from %(date)s is saved; today 1 %(currency)s is "
            "%(rate)s EUR. Each transaction converts at the rate in force on its date.",
            currency=currency,
            date=form.effective_from.data or utcnow().date().isoformat(),
            rate=saved.eur_per_unit,
        ),
        url_for("admin.rates_list"),
        "admin/rate_form.html",
        mapping={"currency": "rate"},
        currency=currency,
        existing=existing,
        history=rates.rate_history(currency),
    )


# --- backups ------------------------------------------------------------------


#: How the kinds of :func:`tmdesk.core.backup.list_backups` read on the page.
BACKUP_KINDS = {
    backups.KIND_AUTOMATIC: lazy_gettext("Automatic"),
    backups.KIND_MANUAL: lazy_gettext("Made with “Back up now”"),
    backups.KIND_UPGRADE: lazy_gettext("Before a schema upgrade"),
    backups.KIND_OTHER: lazy_gettext("Other file"),
}


def size_text(size: int) -> str:
    """A file size for people: ``850 KB``, ``12.4 MB`` (decimal units, by locale)."""
    if size < 1_000_000:
        return gettext("%(size)s KB", size=format_decimal(max(size / 1000, 0.1), "#,##0.#"))
    return gettext("%(size)s MB", size=format_decimal(size / 1_000_000, "#,##0.#"))


@bp.get("/backups")
def backups_list():
    data_dir = current_app.config["DATA_DIR"]
    found = backups.list_backups(data_dir)
    latest = backups.latest_automatic_backup(data_dir)
    keep = backups.keep_setting()
    sqlite = is_sqlite()
    # The scheduler looks every hour: a copy more than a day and two hours old
    # means it is not running or keeps failing (the log says which).
    overdue = (
        sqlite
        and keep > 0
        and latest is not None
        and dt.datetime.now() - latest.time > backups.DAILY + dt.timedelta(hours=2)
    )
    return render_template(
        "admin/backups.html",
        backups=found,
        automatic=sum(1 for b in found if b.kind == backups.KIND_AUTOMATIC),
        latest=latest,
        overdue=overdue,
        keep=keep,
        keep_env=backups.KEEP_ENV,
        kinds=BACKUP_KINDS,
        folder=backups_dir(data_dir),
        sqlite=sqlite,
        size_text=size_text,
        restore_command=_restore_command(
            next(
                (b.path for b in found if b.kind != backups.KIND_OTHER),
                backups_dir(data_dir) / "FILE",
            )
        ),
    )


def _restore_command(path: Path) -> str:
    """``tmdesk restore <path>``, quoted when the path has spaces (Windows profiles)."""
    text = str(path)
    return f'tmdesk restore "{text}"' if " " in text else f"tmdesk restore {text}"


@bp.post("/backups/now")
def backup_now():
    try:
        made = backups.backup_now(acting_user(), database.obj, current_app.config["DATA_DIR"])
    except PermissionDenied as exc:
        flash_error(exc)
    except backups.BackupError as exc:
        log.error("Back up now failed: %s", exc)
        flash(
            gettext("The backup failed, nothing was deleted: %(reason)s", reason=str(exc)), "error"
        )
    else:
        flash(gettext("Backup written and checked: %(file)s", file=made.name), "success")
    return redirect(url_for("admin.backups_list"))


# --- exchange keys ------------------------------------------------------------


class TrustKeyForm(FlaskForm):
    public_key = TextAreaField(lazy_gettext("Public key"), render_kw={"rows": 3})
    fingerprint = StringField(
        lazy_gettext("Fingerprint, as read out to you"), render_kw={"autocomplete": "off"}
    )
    role = SelectField(
        lazy_gettext("Whose key is it?"),
        choices=[
            (trust.ROLE_OFFICE, lazy_gettext("The office's")),
            (trust.ROLE_DESK, lazy_gettext("A person's desk")),
        ],
        default=trust.ROLE_DESK,
        validate_choice=False,
    )
    person_email = EmailField(lazy_gettext("The person's e-mail (for a desk)"))
    label = StringField(lazy_gettext("Note (optional)"))


@bp.get("/keys")
def keys_list():
    mine = installation_keys(current_app.config["DATA_DIR"]).public
    return render_template(
        "admin/keys.html",
        mine=mine,
        peers=trust.trusted_keys(),
        show_fingerprint=show_fingerprint,
        office=trust.ROLE_OFFICE,
    )


@bp.route("/keys/trust", methods=["GET", "POST"])
def key_trust():
    form = TrustKeyForm()
    return form_page(
        form,
        lambda: trust.trust_key(
            acting_user(),
            form.public_key.data or "",
            fingerprint=form.fingerprint.data or "",
            role=form.role.data or "",
            person_email=form.person_email.data or "",
            label=form.label.data or "",
            via="web",
        ),
        lambda peer: gettext(
            "Key %(fingerprint)s is trusted. Files it signs can be imported here.",
            fingerprint=show_fingerprint(peer.fingerprint),
        ),
        url_for("admin.keys_list"),
        "admin/key_form.html",
        mapping={"email": "person_email", "role": "role"},
    )


@bp.post("/keys/<fingerprint>/revoke")
def key_revoke(fingerprint: str):
    try:
        peer = trust.revoke_key(acting_user(), fingerprint, via="web")
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            gettext(
                "Key %(fingerprint)s is revoked: files it signs are refused from now on.",
                fingerprint=show_fingerprint(peer.fingerprint),
            ),
            "success",
        )
    return redirect(url_for("admin.keys_list"))
