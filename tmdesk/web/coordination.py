"""Coordination pages: search, dashboard, an offer's matches, duplicate decisions.

Thin: parse the request, call the core (search, similarity, matching,
dashboard), render. The project page includes
``coordination/_project_similar.html``, which calls :func:`project_panel`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from tmdesk.core import dashboard, figures, matching, search, similarity
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.models import Offer, utcnow
from tmdesk.core.visibility import get_visible_project, is_officer, visible_offers
from tmdesk.web.common import (
    acting_user,
    flash_error,
    locale_code,
    project_or_404,
    tr,
    tr_readable,
)

bp = Blueprint("coordination", __name__)


class DecisionForm(FlaskForm):
    other = HiddenField()
    note = StringField(validators=[Length(max=2000)])


class ProposeForm(FlaskForm):
    pass


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
        form=ProposeForm(),
    )


@bp.post("/offers/<int:offer_id>/matches/<ref>/propose")
@login_required
def propose(offer_id: int, ref: str):
    offer = offer_or_404(offer_id)
    project = project_or_404(ref)
    form = ProposeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        pledge = matching.propose_pledge(acting_user(), offer, project)
    except ValidationError as exc:
        flash(" ".join(tr(m) for m in exc.fields.values()), "error")
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _(
                "Pledge #%(id)d proposed to %(donor)s for %(ref)s; the donor confirms it.",
                id=pledge.id,
                donor=offer.organisation.code,
                ref=project.ref,
            ),
            "success",
        )
    return redirect(url_for("coordination.offer_matches", offer_id=offer.id))


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
    return redirect(url_for("projects.detail", ref=project.ref) + "#overlaps")
