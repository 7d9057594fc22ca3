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

from tmdesk.core import plugin_approvals, report_settings
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.errors import DomainError
from tmdesk.core.i18n import Text, localized
from tmdesk.core.models import Organisation, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.core.reporting import DEFAULT_STATUSES, DEFAULT_TLP_MAX, build_context
from tmdesk.core.typed import to_text
from tmdesk.core.vocab import CATEGORIES, PROJECT_STATUSES, TLP_LABELS
from tmdesk.paths import plugins_dir
from tmdesk.plugins.contract import ReportError, ReportFormat, ReportOption
from tmdesk.plugins.manager import (
    OptionError,
    TmdeskPluginManager,
    check_settings,
    current_hashes,
    formats_for,
    plugin_files,
    plugin_infos,
    render_report,
)
from tmdesk.web.auth import confirm_password_first, fresh_enough
from tmdesk.web.common import acting_user, error_text, flash_error, locale_code, require, tr
from tmdesk.web.extensions import load_plugins, plugins_in_step

bp = Blueprint("reports", __name__, url_prefix="/reports")

OPTION_PREFIX = "opt_"
SETTING_PREFIX = "set_"


def report_error_text(exc: ReportError, locale: str) -> str:
    """A refused report's message for the page: the plugin's own text in ``locale``
    when it gave both languages, else tmdesk's translation (no traceback ever)."""
    if exc.texts:
        return exc.text_for(locale)
    return error_text(exc)


def plugin_text(text: Text | None) -> str:
    """A plugin's label or help in the reader's language: its own text for that language
    when it gives ``{"en": …, "uk": …}``, else translated when the catalogue knows it
    ("" stays "")."""
    per_language = localized(text, locale_code())
    if per_language is not None:
        return per_language
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
    rates_as_of = DateField(
        lazy_gettext("Exchange rates as of"),
        validators=[Optional()],
        description=lazy_gettext(
            "Convert all money at the rates in force on this day. "
            "Empty: each transaction at the rate of its own date."
        ),
    )


def _option_field(opt: ReportOption, default: str):
    """The form field for one option of a format, by its type."""
    label = plugin_text(opt.label)
    hint = plugin_text(opt.help)
    if opt.kind == "choice":
        choices = [(v, plugin_text(t)) for v, t in opt.choices or ()]
        if not opt.required:
            choices = [("", "–"), *choices]
        return SelectField(label, choices=choices, default=default, description=hint)
    if opt.kind == "boolean":
        return SelectField(
            label,
            choices=[("", "–"), ("true", gettext("Yes")), ("false", gettext("No"))],
            default=default,
            description=hint,
        )
    kw: dict[str, str] = {}
    if opt.kind in ("integer", "year"):
        kw = {"inputmode": "numeric"}
    elif opt.kind == "date":
        kw = {"type": "date"}
    return StringField(
        label, default=default, description=hint, validators=[Length(max=200)], render_kw=kw
    )


def _saved_settings(fmt: ReportFormat) -> dict[str, str]:
    """What the acting user's organisation saved for ``fmt`` (none without settings)."""
    user = acting_user()
    if user is None or not any(opt.setting for opt in fmt.options):
        return {}
    return report_settings.saved_for(user.organisation_id, fmt.name)


def _form_for(fmt: ReportFormat) -> ReportForm:
    """A form with the shared filters plus a field per option of ``fmt``."""

    class FormatForm(ReportForm):
        pass

    if fmt.needs_recipient:
        FormatForm.recipient = SelectField(  # type: ignore[assignment]
            lazy_gettext("Recipient"), validators=[DataRequired()]
        )

    saved = _saved_settings(fmt)
    today = utcnow().date()
    for opt in fmt.options:
        default = saved.get(opt.name) if opt.setting else None
        if not default:
            default = to_text(opt.default_value(today))
        setattr(FormatForm, OPTION_PREFIX + opt.name, _option_field(opt, default))
    form = FormatForm()
    user = acting_user()
    any_ = ("", gettext("Any"))
    donors = Organisation.select().where((Organisation.kind == "donor") & Organisation.active)
    form.donor.choices = ([] if fmt.needs_donor else [any_]) + sorted(
        ((o.code, f"{o.name(locale_code())} ({o.code})") for o in donors),
        key=lambda c: c[1].lower(),
    )
    if fmt.needs_donor and fmt.own_donor_only and user is not None and user.role == "donor":
        # A donor makes this format only about itself.
        form.donor.choices = [c for c in form.donor.choices if c[0] == user.organisation.code]
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
    return {opt.name: _field_value(getattr(form, OPTION_PREFIX + opt.name)) for opt in fmt.options}


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


class SettingsForm(FlaskForm):
    """An organisation's saved settings for one format; a field per setting is added."""


def _settings_form(fmt: ReportFormat) -> SettingsForm | None:
    """The settings form for ``fmt`` (None when it has no settings)."""
    settings = [opt for opt in fmt.options if opt.setting]
    if not settings:
        return None

    class FormatSettings(SettingsForm):
        pass

    saved = _saved_settings(fmt)
    for opt in settings:
        setattr(
            FormatSettings, SETTING_PREFIX + opt.name, _option_field(opt, saved.get(opt.name, ""))
        )
    return FormatSettings(prefix="settings")


def _field_value(field) -> str:
    return str(field.data if field.data is not None else "")


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
    return _form_page(fmt, form, problem, _settings_form(fmt)), status


def _form_page(fmt: ReportFormat, form: ReportForm, problem, settings: SettingsForm | None):
    return render_template(
        "reports/form.html",
        fmt=fmt,
        form=form,
        problem=problem,
        option_fields=[getattr(form, OPTION_PREFIX + o.name) for o in fmt.options],
        settings_form=settings,
        setting_fields=[
            getattr(settings, SETTING_PREFIX + o.name) for o in fmt.options if o.setting
        ]
        if settings is not None
        else [],
        organisation=acting_user().organisation,
    )


@bp.post("/<name>/settings")
@login_required
def save_settings(name: str):
    """Save the acting user's organisation's settings for the format ``name``."""
    fmt = _usable_format(name)
    settings = _settings_form(fmt)
    if settings is None:
        abort(404)
    if not settings.validate_on_submit():
        return _form_page(fmt, _form_for(fmt), None, settings), 400
    given = {
        opt.name: _field_value(getattr(settings, SETTING_PREFIX + opt.name))
        for opt in fmt.options
        if opt.setting
    }
    try:
        values = check_settings(fmt, given)
    except OptionError as exc:
        _option_errors(settings, SETTING_PREFIX, exc)
        return _form_page(fmt, _form_for(fmt), None, settings), 400
    report_settings.save(acting_user(), fmt.name, values)
    flash(gettext("Your organisation's settings for this report are saved."), "success")
    return redirect(url_for("reports.make", name=fmt.name))


def _option_errors(form, prefix: str, exc: OptionError) -> None:
    """Put ``exc``'s findings on the fields of ``form``, in the reader's language."""
    for opt_name, message in exc.fields.items():
        field = getattr(form, prefix + opt_name, None)
        if field is None:
            continue
        marked = exc.marked.get(opt_name)
        text = tr(marked[0], **marked[1]) if marked else message
        field.errors = [*field.errors, text]


def _download(fmt: ReportFormat, form: ReportForm):
    """The file as an attachment, or the message to show on the form."""
    user = acting_user()
    context = build_context(
        user, _filters(form), form.lang.data or locale_code(), form.rates_as_of.data
    )
    folder = Path(tempfile.mkdtemp(prefix="tmdesk-report-"))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    filename = f"tmdesk-{fmt.name}-{stamp}.{fmt.extension}"
    try:
        path = render_report(
            plugin_manager(),
            fmt.name,
            context,
            _options(form, fmt),
            folder / filename,
            saved=_saved_settings(fmt),
        )
        stream = path.open("rb")
    except ReportError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OptionError):
            _option_errors(form, OPTION_PREFIX, exc)
        return report_error_text(exc, form.lang.data or locale_code()), exc.http_status
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
    pm = plugins_in_step(current_app, force=True)  # what the database says, this instant
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
