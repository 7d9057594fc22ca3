"""Administration → Users and the changes that wait for a second administrator
(an account change that reaches beyond what the acting administrator may see,
issue 12)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField

from tmdesk.core import accounts
from tmdesk.core.errors import DomainError, PermissionDenied
from tmdesk.core.models import AccountChange, Organisation, User
from tmdesk.core.vocab import ORG_KINDS
from tmdesk.web.admin.base import approvals_url, bp, or_held, unless_held
from tmdesk.web.common import acting_user, flash_error, form_page, locale_code, page_arg

USERS_PER_PAGE = 100


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
        or_held(
            lambda: accounts.create_user(
                acting_user(),
                form.email.data or "",
                form.organisation.data or "",
                form.password.data or "",
                name=form.name.data or "",
                is_admin=bool(form.is_admin.data),
            )
        ),
        unless_held(lambda user: gettext("The account %(email)s is created.", email=user.email)),
        unless_held(url_for("admin.users"), approvals_url),
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
        or_held(
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
        unless_held(gettext("The account %(email)s is saved.", email=user.email)),
        unless_held(url_for("admin.users"), approvals_url),
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
        or_held(lambda: accounts.set_password(acting_user(), user, form.password.data or "")),
        unless_held(
            gettext(
                "The password of %(email)s is reset; their sessions have ended.", email=user.email
            )
        ),
        unless_held(url_for("admin.users"), approvals_url),
        "admin/password_form.html",
        user=user,
        password_hint=PASSWORD_HINT,
    )


# --- changes that wait for a second administrator ----------------------------


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
