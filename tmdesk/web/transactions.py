"""Money recorded against a pledge: the form for a commitment, disbursement or
expenditure, removing one, and importing a donor's own IATI activity file
(issue 16). The routes belong to the pledges blueprint, so their endpoint names
(``pledges.record``…) are those of the pledge pages they serve."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from tmdesk.core import iati_import
from tmdesk.core import transactions as core_transactions
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import Engagement, Organisation, Transaction
from tmdesk.core.permissions import can_manage_pledge
from tmdesk.core.visibility import (
    can_see,
    is_officer,
)
from tmdesk.web.common import (
    acting_user,
    apply_errors,
    form_page,
    form_status,
    locale_code,
    require,
    tr,
)
from tmdesk.web.pledges import (
    bp,
    currency_choices,
    donor_choices,
    kind_label,
    pledge_or_404,
)


class TransactionForm(FlaskForm):
    # Checked by the core (tmdesk.core.transactions.clean_transaction).
    kind = SelectField(lazy_gettext("What happened"), validate_choice=False)
    amount = StringField(lazy_gettext("Amount"), render_kw={"inputmode": "decimal"})
    currency = SelectField(lazy_gettext("Currency"), validate_choice=False)
    quantity = StringField(lazy_gettext("How many"), render_kw={"inputmode": "numeric"})
    value_date = StringField(lazy_gettext("Value date"), render_kw={"type": "date"})
    reference = StringField(lazy_gettext("Reference"))
    engagement = SelectField(lazy_gettext("Engagement"), validate_choice=False)
    note = TextAreaField(lazy_gettext("Note"), render_kw={"rows": 3})

    def data_for_core(self) -> dict[str, Any]:
        return {
            name: getattr(self, name).data or ""
            for name in (
                "kind",
                "amount",
                "currency",
                "quantity",
                "value_date",
                "reference",
                "engagement",
                "note",
            )
        }


class IatiImportForm(FlaskForm):
    file = FileField(lazy_gettext("IATI activity file (XML)"), validators=[FileRequired()])
    donor = SelectField(lazy_gettext("Donor"), validate_choice=False)
    apply = BooleanField(lazy_gettext("Make these changes (otherwise: only show them)"))


@bp.route("/pledges/<uid:pledge_id>/transactions/new", methods=["GET", "POST"])
@login_required
def record(pledge_id: str):
    """Record a commitment, disbursement (delivery), expenditure or incoming commitment:
    amount, currency, value date, reference and note; by default the remaining amount,
    the pledge's currency and today."""
    user = acting_user()
    pledge = pledge_or_404(pledge_id)
    kinds = core_transactions.recordable_kinds(user, pledge)
    if not kinds:
        if pledge.status in core_transactions.CLOSED_STATUSES and can_manage_pledge(user, pledge):
            raise TransitionError(N_("A withdrawn pledge takes no transactions."))
        abort(403)
    wanted = request.values.get("kind")
    kind = wanted if wanted in kinds else kinds[0]
    if request.method == "GET":
        form = TransactionForm(
            data={"kind": kind, **core_transactions.transaction_defaults(pledge, kind)}
        )
    else:
        form = TransactionForm()
    form.kind.choices = [(k, kind_label(pledge, k)) for k in kinds]
    form.currency.choices = currency_choices()
    engagements = list(
        Engagement.select(Engagement, Organisation)
        .join(Organisation, on=(Engagement.company == Organisation.id))
        .where(Engagement.project == pledge.project_id)
        .order_by(Engagement.id)
    )
    form.engagement.choices = [("", gettext("— none —"))] + [
        (e.uid, f"{e.company.name(locale_code())}: {e.role}") for e in engagements
    ]

    def save() -> Transaction:
        if form.kind.data not in kinds:
            raise PermissionDenied(N_("You may not record this on the pledge."))
        return core_transactions.record_transaction(user, pledge, form.data_for_core())

    try:
        return form_page(
            form,
            save,
            lambda t: (
                gettext("Recorded: %(kind)s of %(date)s.")
                % {"kind": kind_label(pledge, t.kind), "date": t.value_date.isoformat()}
            ),
            url_for("pledges.detail", pledge_id=pledge.uid),
            "pledges/transaction_form.html",
            pledge=pledge,
            project=pledge.project,
            kind=kind,
            kind_label=lambda k: kind_label(pledge, k),
            engagements=engagements,
            # A fully committed (or disbursed) pledge: the amount starts empty, and
            # the form says why instead of "filled in with what remains".
            nothing_left=core_transactions.money_pledge(pledge)
            and not core_transactions.remaining(pledge, kind),
        )
    except PermissionDenied:
        abort(403)


@bp.post("/transactions/<uid:transaction_id>/delete")
@login_required
def delete_transaction(transaction_id: str):
    """Remove a transaction recorded in error (the pledge's status follows)."""
    user = acting_user()
    transaction = Transaction.get_or_none(Transaction.uid == transaction_id)
    if transaction is None or not can_see(user, transaction.pledge.project):
        abort(404)
    pledge = transaction.pledge
    try:
        core_transactions.delete_transaction(user, transaction)
    except PermissionDenied:
        abort(403)
    except ValidationError as exc:
        for message in exc.fields.values():
            flash(gettext(message), "error")
    else:
        flash(gettext("The transaction is removed."), "success")
    return redirect(url_for("pledges.detail", pledge_id=pledge.uid))


@bp.route("/pledges/import-iati", methods=["GET", "POST"])
@login_required
@require(lambda u: u.organisation.kind == "donor" or is_officer(u))
def import_iati():
    """A donor's IATI file in: a dry run per activity first; "Make these changes"
    applies it (the same file sent again). Officers choose the donor."""
    user = acting_user()
    officer = is_officer(user)
    form = IatiImportForm()
    if officer:
        form.donor.choices = donor_choices()
    else:
        del form.donor
    report = None
    if form.validate_on_submit():
        donor_code = form.donor.data if officer else user.organisation.code
        data = form.file.data.read(iati_import.MAX_BYTES + 1)
        try:
            report = iati_import.import_iati(
                user, data, donor_code or "", apply=bool(form.apply.data)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except iati_import.ImportRefused as exc:
            form.file.errors = [*form.file.errors, tr(exc.message, **exc.params)]
        else:
            if report.applied:
                flash(
                    ngettext("%(num)d change made.", "%(num)d changes made.", report.changes),
                    "success",
                )
    return render_template(
        "pledges/import_iati.html",
        form=form,
        report=report,
        officer=officer,
        message=lambda m: tr(m[0], **m[1]),
    ), (form_status() if report is None else 200)
