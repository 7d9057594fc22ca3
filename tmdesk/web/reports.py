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
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    send_file,
)
from flask_babel import gettext, lazy_gettext
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Organisation, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.core.reporting import build_context
from tmdesk.core.vocab import CATEGORIES, PROJECT_STATUSES, TLP_LABELS
from tmdesk.plugins.contract import ReportFormat
from tmdesk.plugins.manager import (
    OptionError,
    ReportError,
    TmdeskPluginManager,
    formats_for,
    plugin_infos,
    render_report,
)
from tmdesk.web.common import acting_user, error_text, locale_code, require

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
    form.category.choices = [(k, gettext(v)) for k, v in CATEGORIES.items()]
    form.status.choices = [(k, gettext(v)) for k, v in PROJECT_STATUSES.items()]
    form.tlp_max.choices = [any_] + [(t, f"TLP:{t}") for t in TLP_LABELS]
    form.lang.choices = [("uk", "Українська"), ("en", "English")]
    if not form.is_submitted():
        form.lang.data = locale_code()
        if fmt.needs_donor and user is not None and user.role == "donor":
            form.donor.data = user.organisation.code
    return form


def _filters(form: ReportForm) -> CatalogueFilters:
    return CatalogueFilters(
        category=list(form.category.data or []),
        status=list(form.status.data or []),
        recipient=list(form.recipient.data or []),
        donor=form.donor.data or None,
        since=form.since.data,
        until=form.until.data,
        tlp_max=form.tlp_max.data or None,
    )


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


@bp.get("/plugins")
@login_required
@require(can_administer)
def plugins():
    pm = plugin_manager()
    return render_template(
        "reports/plugins.html",
        infos=plugin_infos(pm),
        formats=pm.formats,
        columns=pm.export_columns,
        plugins_dir=Path(current_app.config["DATA_DIR"]) / "plugins",
    )
