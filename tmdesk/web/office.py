"""The desk's pages about its office (issue #14): connect, where it stands, sync
now, and the actions the office refused (redo or discard).

The work is in :mod:`tmdesk.sync.desk` (link, sync), :mod:`tmdesk.sync.outbox`
(the refused list) and :mod:`tmdesk.sync.client` (what can go wrong); this
module only asks and shows.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, PasswordField, URLField
from wtforms.validators import DataRequired

from tmdesk.core.models import OutboxAction, User
from tmdesk.sync import desk, outbox
from tmdesk.sync.client import OfficeUnreachable, SyncProblem
from tmdesk.web.auth import begin_session, setup_allowed
from tmdesk.web.common import acting_user, error_text
from tmdesk.web.extensions import donor_field_definitions

bp = Blueprint("office", __name__)


class ImportForm(FlaskForm):
    file = FileField(lazy_gettext("Exchange file"), validators=[FileRequired()])


class LinkForm(FlaskForm):
    url = URLField(lazy_gettext("Office address"), validators=[DataRequired()])
    email = EmailField(lazy_gettext("Your e-mail on the office"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Your office password"), validators=[DataRequired()])


def _may_link() -> bool:
    """A fresh desk (no administrator yet: what first-run setup allows) or its administrator."""
    if current_user.is_authenticated:
        return bool(current_user.is_admin)
    return setup_allowed()


def _refusal_text(action: OutboxAction) -> str:
    """The office's reason, in the reader's language where the desk knows the message."""
    reason = json.loads(action.reason or "{}")
    message, params = reason.get("message"), reason.get("params") or {}
    if reason.get("fields"):
        return "; ".join(gettext(v) for v in reason["fields"].values())
    if message:
        try:
            return gettext(message) % params if params else gettext(message)
        except (KeyError, ValueError, TypeError):
            pass
    return reason.get("reason", "")


def sync_status():
    """The header's summary on a linked desk (None on a desk alone)."""
    state = desk.status()
    return state if state.linked else None


@bp.app_context_processor
def _header_status():
    return {"office_sync_status": sync_status}


@bp.route("/office", methods=["GET", "POST"])
def connect():
    """Connect this desk to an office, or (once linked) see how it stands."""
    if desk.is_linked():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("office/status.html", state=desk.status())
    if not _may_link():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(403)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            link = desk.link(
                form.url.data.strip(),
                form.email.data.strip(),
                form.password.data,
                data_dir=current_app.config["DATA_DIR"],
            )
        except SyncProblem as exc:
            form.url.errors = [*form.url.errors, error_text(exc)]
        else:
            begin_session(User.get_by_id(link.user_id))  # a server-side session too
            _sync_and_say()
            return redirect(url_for("office.connect"))
    return render_template("office/connect.html", form=form), (400 if form.errors else 200)


def _sync_and_say() -> None:
    try:
        report = desk.sync(current_app.config["DATA_DIR"])
    except OfficeUnreachable:
        flash(
            gettext("The office could not be reached. Nothing is lost: your actions wait."), "error"
        )
    except SyncProblem as exc:
        flash(gettext("The exchange with the office failed: %(why)s", why=error_text(exc)), "error")
    else:
        flash(
            gettext(
                "Synced: %(sent)d sent, %(refused)d refused, %(received)d received.",
                sent=report.pushed,
                refused=len(report.refused),
                received=report.received,
            ),
            "info",
        )


@bp.post("/office/sync")
@login_required
def sync_now():
    if not desk.is_linked():
        abort(404)
    _sync_and_say()
    return redirect(url_for("office.connect"))


def _own_refused(action_id: int) -> OutboxAction:
    action = OutboxAction.get_or_none(
        (OutboxAction.id == action_id)
        & (OutboxAction.state == "refused")
        & (OutboxAction.user == acting_user().id)
    )
    if action is None:
        abort(404)
    return action


@bp.get("/office/refused")
@login_required
def refused():
    """What the office said no to, with its reason and the person's own version."""
    rows = [
        (a, _refusal_text(a), json.loads(a.local_copy or "{}"))
        for a in outbox.refused_actions()
        if a.user_id == acting_user().id
    ]
    return render_template("office/refused.html", rows=rows)


@bp.post("/office/refused/<int:action_id>/redo")
@login_required
def redo(action_id: int):
    outbox.redo(_own_refused(action_id))
    flash(gettext("Queued again: it goes to the office at the next sync."), "info")
    return redirect(url_for("office.refused"))


@bp.post("/office/refused/<int:action_id>/discard")
@login_required
def discard(action_id: int):
    outbox.discard(_own_refused(action_id))
    flash(gettext("Discarded: the office's version stands."), "info")
    return redirect(url_for("office.refused"))


@bp.route("/office/import", methods=["GET", "POST"])
@login_required
def import_file():
    """Import an exchange file: on a linked desk, the office's file for its person;
    on the office, a desk's file (administrators)."""
    from tmdesk.core.errors import DomainError
    from tmdesk.sync import files

    on_desk = desk.is_linked()
    if not on_desk and not acting_user().is_admin:
        abort(403)
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(files.envelope.MAX_FILE_BYTES + 1)
        data_dir = current_app.config["DATA_DIR"]
        try:
            if on_desk:
                report = files.desk_import(data_dir, data)
                flash(
                    gettext(
                        "Imported: %(sent)d answers, %(refused)d refused, %(received)d "
                        "projects received, %(removed)d removed.",
                        sent=report.pushed,
                        refused=len(report.refused),
                        received=report.received,
                        removed=report.removed,
                    ),
                    "success",
                )
            else:
                definitions = donor_field_definitions(current_app)
                results = files.office_import(data_dir, data, definitions)
                applied = sum(r.get("status") == "applied" for r in results)
                flash(
                    gettext(
                        "Imported: %(applied)d actions applied, %(refused)d refused.",
                        applied=applied,
                        refused=len(results) - applied,
                    ),
                    "success",
                )
        except DomainError as exc:  # a refused file, or a problem of the exchange
            form.file.errors = [error_text(exc)]
        else:
            return redirect(url_for("office.import_file"))
    return render_template("office/import.html", form=form, on_desk=on_desk), (
        400 if form.errors else 200
    )
