"""Administration → Organisations: the list, new and edit."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from tmdesk.core import accounts
from tmdesk.core.models import Organisation, User
from tmdesk.core.vocab import ORG_KINDS, RECIPIENT_TYPES
from tmdesk.web.admin.base import approvals_url, bp, or_held, unless_held
from tmdesk.web.common import acting_user, form_page

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
        or_held(lambda: accounts.update_organisation(acting_user(), org, form.data_for_core())),
        unless_held(gettext("The organisation %(code)s is saved.", code=org.code)),
        unless_held(url_for("admin.organisations"), approvals_url),
        "admin/organisation_form.html",
        org=org,
    )
