"""Project pages: start page, Catalogue, project story, drafting, workflow, updates, documents.

Thin views: parse the request, call the core, render. Visibility always
comes from the core (``visible_projects``, ``search_catalogue``,
``project_or_404``); a project the user may not see answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from tmdesk import paths
from tmdesk.core import catalogue as cat
from tmdesk.core import permissions, projects, rates, updates
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.home import home_context
from tmdesk.core.models import Document, Organisation, Project, Update, User
from tmdesk.core.project_page import latest_return, story
from tmdesk.core.visibility import can_see, statuses_seen_by
from tmdesk.core.vocab import (
    CATEGORIES,
    CURRENCIES,
    FUNDING_STATES,
    OBLASTS,
    PRIORITIES,
    PROJECT_STATUSES,
    TLP_LABELS,
    oblast_choices,
)
from tmdesk.web.common import (
    acting_user,
    apply_errors,
    date_field_kw,
    date_input,
    field_errors,
    flash_error,
    form_page,
    locale_code,
    project_or_404,
    tr,
)
from tmdesk.web.templating import status_tag, tlp_badge

bp = Blueprint("projects", __name__)


# --- forms ----------------------------------------------------------------
# Choices are left to the core to check (validate_choice=False), so a bad
# value gets the core's message, the same one the API gives.


class ProjectForm(FlaskForm):
    title_en = StringField(lazy_gettext("Title in English"))
    title_uk = StringField(lazy_gettext("Title in Ukrainian"))
    summary_en = TextAreaField(lazy_gettext("Summary in English"))
    summary_uk = TextAreaField(lazy_gettext("Summary in Ukrainian"))
    category = SelectField(lazy_gettext("Category"), validate_choice=False)
    oblast = SelectField(lazy_gettext("Oblast"), validate_choice=False, default="UA")
    budget_amount = StringField(
        lazy_gettext("Estimated budget"), render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    budget_currency = SelectField(lazy_gettext("Currency"), validate_choice=False, default="EUR")
    priority = SelectField(lazy_gettext("Priority"), validate_choice=False, default="medium")
    tlp = RadioField(
        lazy_gettext("TLP label: who may see the project once published"),
        validate_choice=False,
        default="AMBER",
    )
    planned_start = StringField(lazy_gettext("Planned start"), render_kw=date_field_kw())
    planned_end = StringField(lazy_gettext("Planned end"), render_kw=date_field_kw())
    beneficiaries = TextAreaField(lazy_gettext("Beneficiaries"))

    def fill_choices(self, locale: str) -> None:
        self.category.choices = [("", gettext("Choose a category"))] + [
            (code, gettext(text)) for code, text in CATEGORIES.items()
        ]
        self.oblast.choices = oblast_choices(locale)
        self.budget_currency.choices = [(c, c) for c in CURRENCIES]
        self.priority.choices = [(code, gettext(text)) for code, text in PRIORITIES.items()]
        self.tlp.choices = [(label, f"TLP:{label}") for label in TLP_LABELS]

    def core_data(self) -> dict[str, Any]:
        return {name: (getattr(self, name).data or "") for name in projects.EDITABLE_FIELDS}


class TransitionForm(FlaskForm):
    action = HiddenField()  # the value of the button pressed
    comment = TextAreaField(lazy_gettext("Comment"))
    #: "yes" once the person has read the confirmation page of a step that
    #: cannot be taken back (``projects.CONFIRMED_STEPS``).
    confirmed = HiddenField()


class MembersForm(FlaskForm):
    members = TextAreaField(lazy_gettext("E-mail addresses of the people named on the project"))


class UpdateForm(FlaskForm):
    title = StringField(lazy_gettext("Title"))
    date = StringField(lazy_gettext("Date"), render_kw=date_field_kw())
    progress = StringField(
        lazy_gettext("Progress in percent (optional)"), render_kw={"inputmode": "numeric"}
    )
    body = TextAreaField(lazy_gettext("What happened"))
    # Own ids: the update and document forms share the project page, both name it "file".
    file = FileField(
        lazy_gettext("Attach a file (optional)"), validators=[Optional()], id="update-file"
    )


class DocumentForm(FlaskForm):
    file = FileField(lazy_gettext("File"), id="document-file")


def list_labels() -> dict[str, Any]:
    """Translated vocabularies and badges, computed once per page rather than once
    per row: long lists stay fast (gettext per call is the slow part of a row)."""
    loc = locale_code()
    return {
        "category": {code: gettext(text) for code, text in CATEGORIES.items()},
        "status": {code: status_tag(code) for code in PROJECT_STATUSES},
        "tlp": {label: tlp_badge(label) for label in TLP_LABELS},
        "funding": {code: gettext(text) for code, text in FUNDING_STATES.items()},
        "oblast": {code: names[1] if loc == "uk" else names[0] for code, names in OBLASTS.items()},
        "fallback": gettext("in English") if loc == "uk" else gettext("in Ukrainian"),
        "confirmed_pct": gettext("%(pct)d%% confirmed"),
    }


# --- start page -------------------------------------------------------------


@bp.get("/")
@login_required
def home():
    user = acting_user()
    return render_template("home.html", L=list_labels(), **home_context(user))


# --- the Catalogue ----------------------------------------------------------


@bp.get("/catalogue", endpoint="catalogue")
@login_required
def catalogue():
    user = acting_user()
    errors: dict[str, str] = {}
    scope = cat.default_scope(
        user, narrowed=bool(request.args.get("status") or request.args.get("funding"))
    )
    try:
        filters = cat.parse_filters(request.args.getlist, request.args.get, scope=scope)
    except ValidationError as exc:
        errors = field_errors(exc)
        filters = cat.CatalogueFilters(scope=scope)
        result = cat.CataloguePage([], {}, 0, 1, filters.per_page)
    else:
        result = cat.search_catalogue(user, filters)
    recipients = (
        Organisation.select(Organisation.code, Organisation.name_en, Organisation.name_uk)
        .where(Organisation.kind == "recipient")
        .order_by(Organisation.code)
    )
    chosen = {
        name: request.args.getlist(name)
        for name in ("category", "status", "funding", "recipient", "oblast", "priority")
    }
    return render_template(
        "projects/catalogue.html",
        L=list_labels(),
        result=result,
        filters=filters,
        errors=errors,
        recipients=list(recipients),
        chosen=chosen,
        sorts=cat.SORTS,
        scopes=cat.SCOPES,
        statuses=statuses_seen_by(user),
        rates_date=rates.rates_date(),
    ), (400 if errors else 200)


# --- drafting -----------------------------------------------------------------


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new():
    user = acting_user()
    if not permissions.can_create_project(user):
        abort(403)
    form = ProjectForm()
    form.fill_choices(locale_code())
    return form_page(
        form,
        lambda: projects.create_draft(user, form.core_data()),
        lambda project: gettext(
            "Draft %(ref)s is saved. Submit it for review when it is ready.", ref=project.ref
        ),
        lambda project: url_for("projects.detail", ref=project.ref),
        "projects/form.html",
        code=303,
        project=None,
    )


@bp.route("/projects/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not permissions.can_edit_project(user, project):
        abort(403)
    form = ProjectForm(obj=None if request.method == "POST" else project)
    form.fill_choices(locale_code())
    if request.method == "GET":
        form.budget_amount.data = str(project.budget_amount or "")
        for name in ("planned_start", "planned_end"):
            value = getattr(project, name)
            getattr(form, name).data = date_input(value)
    next_step = (
        gettext("Your changes are saved. Submit the project again when it is ready.")
        if project.status == "returned"
        else gettext("Your changes are saved. Submit the project for review when it is ready.")
    )
    return form_page(
        form,
        lambda: projects.update_draft(user, project, form.core_data()),
        next_step,
        url_for("projects.detail", ref=project.ref),
        "projects/form.html",
        code=303,
        project=project,
        return_comment=latest_return(project),
    )


# --- the project page ---------------------------------------------------------


def render_detail(project: Project, status: int = 200, **forms: FlaskForm):
    user = acting_user()
    context = story(user, project)
    transition_form = forms.get("transition_form") or TransitionForm(formdata=None)
    members_form = forms.get("members_form") or MembersForm(formdata=None)
    if "members_form" not in forms:
        members_form.members.data = "\n".join(u.email for u in context["members"])
    update_form = forms.get("update_form") or UpdateForm(formdata=None)
    document_form = forms.get("document_form") or DocumentForm(formdata=None)
    return render_template(
        "projects/detail.html",
        transition_form=transition_form,
        members_form=members_form,
        update_form=update_form,
        document_form=document_form,
        **context,
    ), status


@bp.get("/projects/<ref>")
@login_required
def detail(ref: str):
    project = project_or_404(ref)
    if project.ref != ref:
        # An older ref (a draft's, a desk's provisional one): the canonical address,
        # only for those who may see the project (others got 404 above).
        return redirect(url_for("projects.detail", ref=project.ref), 301)
    return render_detail(project)


def render_confirm_step(project: Project, action: str, form: TransitionForm, status: int = 200):
    """The confirmation page of a step that cannot be taken back: what it does to the
    project, its owner and its pledges, in words, with the step's own comment box."""
    loc = locale_code()
    step = projects.TRANSITIONS[action]
    form.action.data = action
    form.confirmed.data = "yes"
    consequences = [tr(m, **p) for m, p in projects.step_consequences(project, action, loc)]
    return render_template(
        "projects/confirm_step.html",
        project=project,
        step=step,
        form=form,
        consequences=consequences,
    ), status


@bp.get("/projects/<ref>/steps/<action>")
@login_required
def confirm_step(ref: str, action: str):
    """The confirmation page of one workflow step (also reached by pressing the step's
    button on the project page, which posts without ``confirmed``)."""
    user = acting_user()
    project = project_or_404(ref)
    if action not in projects.CONFIRMED_STEPS or action not in projects.TRANSITIONS:
        abort(404)
    if projects.TRANSITIONS[action] not in projects.available_actions(user, project):
        abort(403)
    return render_confirm_step(project, action, TransitionForm(formdata=None))


@bp.post("/projects/<ref>/transition")
@login_required
def transition(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    action = form.action.data or ""
    confirming = action in projects.CONFIRMED_STEPS and any(
        t.action == action for t in projects.available_actions(user, project)
    )
    if confirming and form.confirmed.data != "yes":
        return render_confirm_step(project, action, form)
    try:
        projects.transition(user, project, action, form.comment.data or "")
    except ValidationError as exc:
        messages = field_errors(exc)
        if "comment" in messages:
            form.comment.errors = [messages.pop("comment")]
        for message in messages.values():
            flash(message, "error")
        if form.comment.errors and confirming:
            return render_confirm_step(project, action, form, 400)
        if form.comment.errors:
            return render_detail(project, 400, transition_form=form)
        return redirect(url_for("projects.detail", ref=ref), 303)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("projects.detail", ref=ref), 303)
    words = projects.step_words(project, action, locale_code())
    flash(tr(projects.NEXT_AFTER_STEP[action], **words), "success")
    if not can_see(user, project):
        return redirect(url_for("projects.home"), 303)
    # project.ref: submission issues the office reference in place of the draft's.
    return redirect(url_for("projects.detail", ref=project.ref), 303)


@bp.post("/projects/<ref>/members")
@login_required
def members(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not permissions.can_manage_members(user, project):
        abort(403)
    form = MembersForm()
    if not form.validate_on_submit():
        abort(400)
    emails = [
        e
        for line in (form.members.data or "").replace(";", ",").splitlines()
        for e in line.split(",")
    ]
    try:
        projects.set_members(user, project, emails)
    except ValidationError as exc:
        apply_errors(form, exc)
        return render_detail(project, 400, members_form=form)
    flash(gettext("The list of named people is saved."), "success")
    return redirect(url_for("projects.detail", ref=ref, _anchor="members-section"), 303)


def _uploaded(form_field) -> Any:
    """The uploaded file of a FileField, or None when nothing was chosen."""
    file = form_field.data
    if file is None or not getattr(file, "filename", ""):
        return None
    return file


def _store(user: User, project: Project, file: Any, update: Update | None = None) -> None:
    """Store an uploaded file in the data dir's documents folder (the core checks it)."""
    updates.store_document(
        user,
        paths.documents_dir(current_app.config["DATA_DIR"]),
        project,
        file.filename,
        file.stream,
        update=update,
    )


def _page_form_write(
    ref: str,
    project: Project,
    form_name: str,
    form: FlaskForm,
    write: Callable[[], Any],
    success: str,
    anchor: str,
):
    """Answer a POST of one of the project page's forms (``form_name``: its name
    in :func:`render_detail`) by running the core write ``write()``: on a
    ValidationError the page again with 400 and the messages by the fields; on
    another refusal a flashed message; else ``success`` and back to ``anchor``."""
    try:
        write()
    except ValidationError as exc:
        apply_errors(form, exc)
        return render_detail(project, 400, **{form_name: form})
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("projects.detail", ref=ref), 303)
    flash(success, "success")
    return redirect(url_for("projects.detail", ref=ref, _anchor=anchor), 303)


@bp.post("/projects/<ref>/updates")
@login_required
def post_update(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    form = UpdateForm()
    if not form.validate_on_submit():
        return render_detail(project, 400, update_form=form)
    data = {
        "title": form.title.data or "",
        "date": form.date.data or "",
        "progress": form.progress.data or "",
        "body": form.body.data or "",
    }
    file = _uploaded(form.file)

    def write() -> None:
        # The update and its file are one change: a refused file undoes the update.
        with database.atomic():
            update = updates.post_update(user, project, data)
            if file is not None:
                _store(user, project, file, update=update)

    return _page_form_write(
        ref, project, "update_form", form, write, gettext("The update is posted."), "updates"
    )


@bp.post("/projects/<ref>/documents")
@login_required
def upload_document(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    form = DocumentForm()
    if not form.validate_on_submit():
        return render_detail(project, 400, document_form=form)
    file = _uploaded(form.file)
    if file is None:
        form.file.errors = [gettext("Choose a file to upload.")]
        return render_detail(project, 400, document_form=form)
    return _page_form_write(
        ref,
        project,
        "document_form",
        form,
        lambda: _store(user, project, file),
        gettext("The document is attached."),
        "documents",
    )


@bp.get("/documents/<uid:doc_id>")
@login_required
def document(doc_id: str):
    from flask import send_file

    doc = Document.get_or_none(Document.uid == doc_id)
    if doc is None or not can_see(acting_user(), doc.project):
        abort(404)
    path = paths.documents_dir(current_app.config["DATA_DIR"]) / doc.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path, as_attachment=True, download_name=doc.filename, mimetype=doc.content_type, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
