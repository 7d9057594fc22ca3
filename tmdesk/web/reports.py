"""The Reports page (every format the user may use, a form, a download) and the
Plugins page for administrators.

Thin, like every blueprint: the form becomes Catalogue filters, the core
builds the read-only report context under the visibility policy, and the
plugin manager (``app.extensions["tmdesk_plugins"]``) renders the file,
all or nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tmdesk.core import plugin_approvals
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.errors import DomainError
from tmdesk.core.models import Organisation, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.core.reporting import DEFAULT_STATUSES, DEFAULT_TLP_MAX, build_context
from tmdesk.core.vocab import CATEGORIES, PROJECT_STATUSES, TLP_LABELS
from tmdesk.paths import plugins_dir
from tmdesk.plugins.contract import ReportFormat
from tmdesk.plugins.manager import (
    OptionError,
    ReportError,
    TmdeskPluginManager,
    current_hashes,
    formats_for,
    plugin_files,
    plugin_infos,
    render_report,
)
from tmdesk.web.auth import confirm_password_first, fresh_enough
from tmdesk.web.common import acting_user, error_text, flash_error, locale_code, require
from tmdesk.web.extensions import load_plugins

bp = Blueprint("reports", __name__, url_prefix="/reports")

OPTION_PREFIX = "opt_"


def plugin_text(text: str) -> str:
    """A plugin's label or help, translated when the catalogue knows it ("" stays "")."""
    return gettext(text) if text else ""


def plugin_manager() -> TmdeskPluginManager:
    return current_app.extensions["tmdesk_plugins"]


class ReportForm(FlaskForm):
    """The filters every format takes; the format's own options are added per format."""

    donor = SelectField(lazy_gettext("Donor"), validators=[Optional()])
    recipient = SelectMultipleField(lazy_gettext("Recipients"), validators=[Optional()])
    category = SelectMultipleField(lazy_gettext("Categories"), validators=[Optional()])
    status = SelectMultipleField(lazy_gettext("Project statuses"), validators=[Optional()])
    since = DateField(lazy_gettext("Updated on or after"), validators=[Optional()])
    until = DateField(lazy_gettext("Created on or before"), validators=[Optional()])
    tlp_max = SelectField(lazy_gettext("Highest TLP label to include"), validators=[Optional()])
    lang = SelectField(lazy_gettext("Language of the report"))


def _form_for(fmt: ReportFormat) -> ReportForm:
    """A form with the shared filters plus a field per option of ``fmt``."""

    class FormatForm(ReportForm):
        pass

    if fmt.needs_recipient:
        FormatForm.recipient = SelectField(  # type: ignore[assignment]
            lazy_gettext("Recipient"), validators=[DataRequired()]
        )

    for opt in fmt.options:
        label = plugin_text(opt.label)
        if opt.choices is not None:
            field = SelectField(
                label,
                choices=[(v, plugin_text(t)) for v, t in opt.choices],
                default=opt.default,
                description=plugin_text(opt.help),
            )
        else:
            field = StringField(
                label,
                default=opt.default,
                description=plugin_text(opt.help),
                validators=[Length(max=200)],
            )
        setattr(FormatForm, OPTION_PREFIX + opt.name, field)
    form = FormatForm()
    user = acting_user()
    any_ = ("", gettext("Any"))
    donors = Organisation.select().where((Organisation.kind == "donor") & Organisation.active)
    form.donor.choices = ([] if fmt.needs_donor else [any_]) + sorted(
        ((o.code, f"{o.name(locale_code())} ({o.code})") for o in donors),
        key=lambda c: c[1].lower(),
    )
    if fmt.needs_donor:
        form.donor.validators = [DataRequired()]
        form.donor.flags.required = True
    recipients = Organisation.select().where(
        (Organisation.kind == "recipient") & Organisation.active
    )
    form.recipient.choices = sorted(
        ((o.code, f"{o.name(locale_code())} ({o.code})") for o in recipients),
        key=lambda c: c[1].lower(),
    )
    if fmt.needs_recipient:
        form.recipient.choices = [("", gettext("Choose…")), *form.recipient.choices]
        form.recipient.flags.required = True
    form.category.choices = [(k, gettext(v)) for k, v in CATEGORIES.items()]
    form.status.choices = [(k, gettext(v)) for k, v in PROJECT_STATUSES.items()]
    form.tlp_max.choices = [any_] + [(t, f"TLP:{t}") for t in TLP_LABELS]
    form.lang.choices = [("uk", "Українська"), ("en", "English")]
    if not form.is_submitted():
        form.lang.data = fmt.default_locale or locale_code()
        # The report defaults (core.reporting): open for support, at most TLP:AMBER.
        form.status.data = list(DEFAULT_STATUSES)
        form.tlp_max.data = DEFAULT_TLP_MAX
        if fmt.needs_donor and user is not None and user.role == "donor":
            form.donor.data = user.organisation.code
        if fmt.needs_recipient and user is not None and user.role == "recipient":
            form.recipient.data = user.organisation.code
    return form


def _filters(form: ReportForm) -> CatalogueFilters:
    return CatalogueFilters(
        category=list(form.category.data or []),
        status=list(form.status.data or []),
        recipient=_as_list(form.recipient.data),
        donor=form.donor.data or None,
        since=form.since.data,
        until=form.until.data,
        tlp_max=form.tlp_max.data or None,
    )


def _as_list(data: str | list[str] | None) -> list[str]:
    """A multiple choice as is; a single choice (one recipient) as a list of one."""
    if not data:
        return []
    return [data] if isinstance(data, str) else list(data)


def _options(form: ReportForm, fmt: ReportFormat) -> dict[str, str]:
    return {opt.name: getattr(form, OPTION_PREFIX + opt.name).data or "" for opt in fmt.options}


def _usable_format(name: str) -> ReportFormat:
    """The format ``name`` if the user's role may use it: 404 unknown, 403 not allowed."""
    fmt = plugin_manager().formats.get(name)
    if fmt is None:
        abort(404)
    if fmt.name not in {f.name for f in formats_for(plugin_manager(), acting_user())}:
        abort(403)
    return fmt


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"plugin_text": plugin_text}


@bp.get("")
@bp.get("/")
@login_required
def index():
    user = acting_user()
    pm = plugin_manager()
    failed = [i for i in plugin_infos(pm) if not i.ok]
    return render_template(
        "reports/index.html",
        formats=formats_for(pm, user),
        failed=failed,
        is_admin=can_administer(user),
    )


@bp.route("/<name>", methods=["GET", "POST"])
@login_required
def make(name: str):
    fmt = _usable_format(name)
    form = _form_for(fmt)
    problem = None
    status = 200
    if form.is_submitted():
        if form.validate():
            response = _download(fmt, form)
            if not isinstance(response, tuple):
                return response
            problem, status = response
        else:
            status = 400
    return render_template(
        "reports/form.html",
        fmt=fmt,
        form=form,
        problem=problem,
        option_fields=[getattr(form, OPTION_PREFIX + o.name) for o in fmt.options],
    ), status


def _download(fmt: ReportFormat, form: ReportForm):
    """The file as an attachment, or the message to show on the form."""
    user = acting_user()
    context = build_context(user, _filters(form), form.lang.data or locale_code())
    folder = Path(tempfile.mkdtemp(prefix="tmdesk-report-"))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    filename = f"tmdesk-{fmt.name}-{stamp}.{fmt.extension}"
    try:
        path = render_report(
            plugin_manager(), fmt.name, context, _options(form, fmt), folder / filename
        )
        stream = path.open("rb")
    except ReportError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OptionError):
            for opt_name, message in exc.fields.items():
                field = getattr(form, OPTION_PREFIX + opt_name, None)
                if field is not None:
                    field.errors = [*field.errors, message]
        return error_text(exc), exc.http_status
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    response = send_file(
        stream, mimetype=fmt.media_type, as_attachment=True, download_name=filename, max_age=0
    )
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response


class PluginDecisionForm(FlaskForm):
    """Approve or revoke one plugins-folder file; ``sha256`` is the hash the
    administrator was shown, so a file swapped since is not approved unseen."""

    file_name = HiddenField(validators=[DataRequired(), Length(max=255)])
    sha256 = HiddenField(validators=[Optional(), Length(max=64)])


def _plugins_folder() -> Path:
    return plugins_dir(Path(current_app.config["DATA_DIR"]))


@bp.get("/plugins")
@login_required
@require(can_administer)
def plugins():
    pm = plugin_manager()
    infos = plugin_infos(pm)
    approved = plugin_approvals.approved_files()
    present = {info.file_name for info in infos if info.file_name}
    return render_template(
        "reports/plugins.html",
        infos=infos,
        formats=pm.formats,
        columns=pm.export_columns,
        plugins_dir=_plugins_folder(),
        approved=approved,
        missing=sorted(name for name in approved if name not in present),
        folder_changed=_out_of_date(infos, approved),
    )


def _out_of_date(infos, approved: dict[str, str]) -> bool:
    """Whether what runs differs from what the folder and the approvals say should run
    (files added, removed or edited, or approvals given at the command line)."""
    current = current_hashes(current_app.config["DATA_DIR"])
    loaded = {info.file_name: info.sha256 for info in infos if info.file_name}
    running = {info.file_name for info in infos if info.file_name and not info.awaiting_approval}
    should_run = {name for name, digest in current.items() if approved.get(name) == digest}
    return loaded != current or running != should_run


def plugin_decision(path: str) -> Callable:
    """A POST route of the Plugins page: deciding what code runs is an administrator's
    change, so it needs a fresh password, like every change in Administration."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def fresh_view(*args, **kwargs):
            if not fresh_enough():
                return confirm_password_first(url_for("reports.plugins"))
            return view(*args, **kwargs)

        return bp.post(path)(login_required(require(can_administer)(fresh_view)))

    return decorator


@plugin_decision("/plugins/approve")
def plugin_approve():
    form = PluginDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.file_name.data
    path = _plugins_folder() / Path(name).name
    if Path(name).name != name or path not in plugin_files(current_app.config["DATA_DIR"]):
        flash(
            gettext("There is no plugin file “%(name)s” in the plugins folder.", name=name), "error"
        )
        return redirect(url_for("reports.plugins"))
    now = plugin_approvals.sha256_of(path)
    if now != (form.sha256.data or "").lower():
        flash(
            gettext(
                "“%(name)s” changed after this page was shown (its SHA-256 is now %(sha)s). "
                "Check the new file and approve it again.",
                name=name,
                sha=now,
            ),
            "error",
        )
        return redirect(url_for("reports.plugins"))
    try:
        plugin_approvals.approve(acting_user(), name, now)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("reports.plugins"))
    pm = load_plugins(current_app)
    loaded = [i for i in plugin_infos(pm) if i.file_name == name]
    if loaded and all(i.ok for i in loaded):
        formats = [f for i in loaded for f in i.formats]
        flash(
            gettext(
                "“%(name)s” is approved and running. Formats: %(formats)s.",
                name=name,
                formats=", ".join(formats) or "–",
            ),
            "success",
        )
    else:
        flash(
            gettext("“%(name)s” is approved but failed to load: see its error below.", name=name),
            "error",
        )
    return redirect(url_for("reports.plugins"))


@plugin_decision("/plugins/reload")
def plugin_reload():
    """Load the plugins again: new files appear (awaiting approval), removed ones go."""
    load_plugins(current_app)
    flash(gettext("The plugins are loaded again from the plugins folder."), "success")
    return redirect(url_for("reports.plugins"))


@plugin_decision("/plugins/revoke")
def plugin_revoke():
    form = PluginDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.file_name.data
    try:
        revoked = plugin_approvals.revoke(acting_user(), name)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("reports.plugins"))
    if revoked:
        load_plugins(current_app)
        flash(
            gettext("The approval of “%(name)s” is withdrawn: it no longer runs.", name=name),
            "success",
        )
    else:
        flash(gettext("“%(name)s” was not approved.", name=name), "info")
    return redirect(url_for("reports.plugins"))
