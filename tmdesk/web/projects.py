"""Project pages: start page, Catalogue, project story, drafting, workflow, updates, documents."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("projects", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("home.html")
