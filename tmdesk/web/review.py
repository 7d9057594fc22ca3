"""The review queue: submitted projects waiting for the Back Office or Project Office."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from tmdesk.core import permissions, projects, rates
from tmdesk.core.funding import funding_for
from tmdesk.core.models import Organisation, Project
from tmdesk.core.visibility import visible_projects
from tmdesk.web.common import acting_user, require
from tmdesk.web.projects import list_labels

bp = Blueprint("review", __name__)


@bp.get("/review")
@login_required
@require(permissions.can_review)
def queue():
    """Oldest submission first, with its age in days; publish/return/reject are on
    each project's page."""
    user = acting_user()
    base = Project.select(Project, Organisation).join(
        Organisation, on=(Project.recipient == Organisation.id)
    )
    waiting = list(visible_projects(user, projects.review_queue(base)))
    rows = [(p, projects.age_in_days(p.submitted_at)) for p in waiting]
    return render_template(
        "projects/review_queue.html",
        rows=rows,
        funding=funding_for(waiting),
        rates_date=rates.rates_date(),
        L=list_labels(),
    )
