"""Coordination pages: search, dashboard, an offer's matches, duplicate decisions.

Thin: parse the request, call the core (search, similarity, matching,
dashboard), render. The project page includes
``coordination/_project_similar.html``, which calls :func:`project_panel`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, lazy_gettext
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from tmdesk.core import dashboard, figures, matching, proposals, search, similarity
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.models import Offer, ProjectLink, utcnow
from tmdesk.core.visibility import can_see, get_visible_project, is_officer, visible_offers
from tmdesk.core.vocab import CURRENCIES
from tmdesk.web.common import (
    acting_user,
    apply_errors,
    flash_error,
    form_status,
    locale_code,
    no_forbidden_characters,
    project_or_404,
    tr,
    tr_readable,
)

bp = Blueprint("coordination", __name__)


class DecisionForm(FlaskForm):
    other = HiddenField()
    note = StringField(lazy_gettext("Note (optional)"), validators=[Length(max=2000)])
    #: "yes" once the officer has read what a "duplicate" decision will do.
    confirmed = HiddenField()


class UndoForm(FlaskForm):
    note = StringField(
        lazy_gettext("Why the decision is undone (optional)"), validators=[Length(max=2000)]
    )
    confirmed = HiddenField()


class ProposeForm(FlaskForm):
    # Checked by the core (pledges.clean_pledge_data and the offer's draw-down).
    amount = StringField(lazy_gettext("Amount"), render_kw={"inputmode": "decimal"})
    currency = SelectField(lazy_gettext("Currency"), validate_choice=False)
    in_kind = TextAreaField(lazy_gettext("What is given in kind"), render_kw={"rows": 3})
    in_kind_quantity = StringField(lazy_gettext("How many"), render_kw={"inputmode": "numeric"})
    acknowledge = BooleanField(
        lazy_gettext("I have read the warnings above; propose the pledge anyway"),
        validators=[no_forbidden_characters],
    )

    def core_data(self) -> dict[str, str]:
        return {
            name: getattr(self, name).data or ""
            for name in ("amount", "currency", "in_kind", "in_kind_quantity")
        }


def offer_or_404(offer_id: int) -> Offer:
    offer = visible_offers(acting_user(), Offer.select()).where(Offer.id == offer_id).first()
    if offer is None:
        abort(404)
    return offer


@bp.app_template_global("bar_layout")
def bar_layout(rows) -> dashboard.BarLayout:
    """Where the bars, labels and values of a dashboard chart go (see the core)."""
    return dashboard.bar_layout(list(rows))


@bp.app_template_global("reason_texts")
def reasons_text(reasons) -> list[str]:
    """Translated reasons (core :class:`~tmdesk.core.similarity.Reason` objects)."""
    return [tr_readable(r.message, r.params) for r in reasons]


@bp.app_template_global()
def project_panel(project):
    """What the project page shows about overlaps and offers, for the acting user."""
    user = acting_user()
    panel = {
        "duplicates": [],
        "offers": [],
        "decisions": [],
        "show_duplicates": False,
        "show_offers": False,
        "can_decide": False,
        "kinds": similarity.LINK_KINDS,
    }
    if user is None:
        return panel
    if similarity.may_see_duplicates(user, project):
        panel["show_duplicates"] = True
        panel["duplicates"] = similarity.similar_projects(user, project, limit=5)
        panel["decisions"] = similarity.decisions_for(user, project)
        panel["can_decide"] = is_officer(user)
    if is_officer(user):
        panel["show_offers"] = True
        panel["offers"] = matching.offers_for_project(user, project, limit=5)
    panel["form"] = DecisionForm(formdata=None)
    return panel


@bp.get("/search", endpoint="search")
@login_required
def search_page():
    q = (request.args.get("q") or "").strip()[:200]
    kind = request.args.get("type") or ""
    if kind not in search.TYPES:
        kind = ""
    results = (
        search.search(acting_user(), q, type=kind or None, limit=50, locale=locale_code())
        if q
        else []
    )
    items = []
    for r in results:
        if r.type == "project":
            url = url_for("projects.detail", ref=r.key)
        elif r.type == "offer":
            url = url_for("coordination.offer_matches", offer_id=r.key)
        else:
            url = url_for("projects.detail", ref=r.project_ref) + f"#update-{r.key}"
        items.append(
            {
                "result": r,
                "url": url,
                "title": Markup(r.title_html),  # nosec B704: search.highlight escapes every piece of text before adding <mark>
                "snippet": Markup(r.snippet),  # nosec B704: search.snippet escapes every piece of text before adding <mark>
            }
        )
    types = [
        ("", _("Everything")),
        ("project", _("Projects")),
        ("offer", _("Offers")),
        ("update", _("Progress updates")),
    ]
    return render_template("coordination/search.html", q=q, kind=kind, types=types, items=items)


@bp.get("/dashboard", endpoint="dashboard")
@login_required
def dashboard_page():
    board = dashboard.build(acting_user(), locale=locale_code())
    return render_template(
        "coordination/dashboard.html",
        board=board,
        definitions=figures.DEFINITIONS,
        omap=dashboard.oblast_map(board.gap_by_oblast),
        now_text=format_datetime(utcnow()),
        printable=request.args.get("print") == "1",
    )


@bp.get("/offers/<int:offer_id>/matches")
@login_required
def offer_matches(offer_id: int):
    user = acting_user()
    offer = offer_or_404(offer_id)
    found = matching.matches_for_offer(user, offer, limit=20)
    can_propose = (
        is_officer(user)
        and offer.organisation.kind == "donor"
        and offer.status in matching.OPEN_OFFER_STATUSES
    )
    return render_template(
        "coordination/offer_matches.html",
        offer=offer,
        matches=found,
        can_propose=can_propose,
        remaining=proposals.offer_remaining(offer),
    )


@bp.route("/offers/<int:offer_id>/matches/<ref>/propose", methods=["GET", "POST"])
@login_required
def propose(offer_id: int, ref: str):
    """Propose an offer as a pledge on one project: the amount and currency (preset to
    what the project still needs, at most what is left of the offer), the donors'
    warnings, and what happens, before anything is recorded."""
    user = acting_user()
    offer = offer_or_404(offer_id)
    project = project_or_404(ref)
    if not (
        is_officer(user)
        and offer.organisation.kind == "donor"
        and offer.status in matching.OPEN_OFFER_STATUSES
    ):
        abort(403)
    preset = proposals.proposal_preset(offer, project)
    defaults = None
    if request.method == "GET":
        defaults = {
            "amount": str(preset.amount) if preset.amount is not None else "",
            "currency": preset.currency or "",
            "in_kind": offer.description if (offer.value_amount is None or offer.quantity) else "",
            "in_kind_quantity": str(offer.quantity or ""),
        }
    form = ProposeForm(data=defaults)
    form.currency.choices = [("", _("— choose —"))] + [(c, c) for c in CURRENCIES]
    warnings = matching.pledge_warnings(project, form.amount.data, form.currency.data, user=user)
    if form.validate_on_submit():
        if warnings and not form.acknowledge.data:
            form.acknowledge.errors = [
                _("Read the warnings, then tick this box to propose the pledge anyway.")
            ]
        else:
            try:
                pledge = proposals.propose_pledge(user, offer, project, form.core_data())
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                flash_error(exc)
            else:
                flash(
                    _(
                        "Pledge #%(id)d proposed to %(donor)s for %(ref)s; the donor confirms "
                        "it and is asked to on their start page.",
                        id=pledge.id,
                        donor=offer.organisation.code,
                        ref=project.ref,
                    ),
                    "success",
                )
                return redirect(url_for("coordination.offer_matches", offer_id=offer.id), 303)
    return render_template(
        "coordination/propose.html",
        offer=offer,
        project=project,
        preset=preset,
        form=form,
        warnings=[tr_readable(w.message, w.params) for w in warnings],
    ), form_status()


def _decision_target(project) -> str:
    # The project page itself, not an anchor below: the message is at its top.
    return url_for("projects.detail", ref=project.ref)


@bp.post("/projects/<ref>/duplicate-decisions")
@login_required
def decide(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    form = DecisionForm()
    kind = request.form.get("kind", "")
    if not form.validate_on_submit():
        abort(400)
    other = get_visible_project(user, form.other.data or "")
    if other is None:
        abort(404)
    if kind == "duplicate" and form.confirmed.data != "yes":
        try:
            what = similarity.duplicate_consequence(user, project, other)
        except ValidationError as exc:
            flash(" ".join(tr(m) for m in exc.fields.values()), "error")
            return redirect(_decision_target(project), 303)
        except DomainError as exc:
            flash_error(exc)
            return redirect(_decision_target(project), 303)
        form.confirmed.data = "yes"
        form.other.data = other.ref
        return render_template(
            "coordination/confirm_duplicate.html", project=project, what=what, form=form
        )
    try:
        similarity.record_decision(user, project, other, kind, form.note.data or "")
    except ValidationError as exc:
        flash(" ".join(tr(m) for m in exc.fields.values()), "error")
    except DomainError as exc:
        flash_error(exc)
    else:
        label = tr(similarity.LINK_KINDS[kind])
        flash(
            _(
                "Recorded: %(other)s is “%(kind)s” for %(ref)s.",
                other=other.ref,
                kind=label,
                ref=project.ref,
            ),
            "success",
        )
    return redirect(_decision_target(project), 303)


def _link_or_404(link_id: int) -> ProjectLink:
    """A recorded decision whose two projects the acting user may both see."""
    user = acting_user()
    link = ProjectLink.get_or_none(ProjectLink.id == link_id)
    if link is None or not (can_see(user, link.project_a) and can_see(user, link.project_b)):
        abort(404)
    return link


@bp.post("/duplicate-decisions/<int:link_id>/undo")
@login_required
def undo(link_id: int):
    """Undo a duplicate decision, after a confirmation page saying what comes back."""
    user = acting_user()
    link = _link_or_404(link_id)
    if not is_officer(user):
        abort(403)
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    pair = similarity.undoable_duplicate(link)
    if pair is None:
        flash(_("This decision is not a duplicate that can be undone."), "error")
        return redirect(_decision_target(link.project_a), 303)
    keep, closed = pair
    if form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        return render_template(
            "coordination/confirm_undo.html", link=link, keep=keep, closed=closed, form=form
        )
    try:
        restored = similarity.undo_duplicate(user, link, form.note.data or "")
    except ValidationError as exc:
        flash(" ".join(tr(m) for m in exc.fields.values()), "error")
        return redirect(_decision_target(closed), 303)
    except DomainError as exc:
        flash_error(exc)
        return redirect(_decision_target(closed), 303)
    flash(
        _(
            "The duplicate decision is undone: %(ref)s is “%(status)s” again, with its pledges.",
            ref=restored.ref,
            status=tr_readable("%(status)s", {"status": restored.status}),
        ),
        "success",
    )
    return redirect(_decision_target(restored), 303)
