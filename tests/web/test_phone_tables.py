"""On a phone every data table becomes cards (issue 15, "Phones and forms"): each
table the pages show is a ``card-rows`` table from the ``data_table`` macro, and
every cell of its body carries the label of its column (``data-label``), which the
CSS writes before the value below 600 px. A table written by hand (no labels)
fails here. The tables inside charts are for screen readers only and stay tables."""

from __future__ import annotations

import pytest
from flask import url_for

from tests.helpers import login, tables
from tests.pg import on_postgresql
from tmdesk.core import backup, offers, pledges, tokens
from tmdesk.core.db import database


@pytest.fixture
def world(app, desk, data_dir):
    """Something in every table: a pledge (dashboard by donor), a project waiting in
    review, an offer with a match, an API token, a backup."""
    project = desk.published(category="connectivity", budget_amount="500000")
    desk.submitted(title_en="Waiting for review")
    pledges.create_pledge(desk.user("donor"), project, {"amount": "1000", "currency": "EUR"})
    offer = offers.create_offer(
        desk.user("donor2"),
        {"category": "connectivity", "description": "200 Starlink terminals", "quantity": "200"},
    )
    tokens.create_token(desk.user("admin"), desk.user("admin"), "phone")
    if not on_postgresql():  # the backups page lists SQLite copies
        backup.backup_now(desk.user("admin"), database.obj, data_dir)
    return {"offer": offer, "project": project}


def _pages(world) -> list[tuple[str, dict]]:
    return [
        ("admin.organisations", {}),
        ("admin.users", {}),
        ("admin.audit_log", {}),
        ("admin.rates_list", {}),
        ("auth.profile", {}),
        ("offers.index", {}),
        ("coordination.offer_matches", {"offer_id": world["offer"].uid}),
        ("coordination.dashboard", {}),
        ("reports.index", {}),
        ("reports.plugins", {}),
        ("projects.catalogue", {}),
        ("review.queue", {}),
    ] + ([] if on_postgresql() else [("admin.backups_list", {})])


def test_every_data_table_is_cards_with_a_label_on_every_cell(app, client, desk, world):
    login(client, desk.users["admin"])
    with app.test_request_context():
        pages = [(endpoint, url_for(endpoint, **args)) for endpoint, args in _pages(world)]
    problems = []
    for endpoint, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        # The tables inside charts (in a visually hidden block) are for screen readers.
        shown = [t for t in tables(response.get_data(as_text=True)) if not t.hidden]
        assert shown, f"{endpoint}: no table shown (the world should fill one)"
        for table in shown:
            classes = table.attrs.get("class", "")
            if "card-rows" not in classes.split():
                problems.append(f"{endpoint}: a table without cards ({classes!r})")
                continue
            for row in table.rows:
                if row.section != "tbody":
                    continue
                labels = [cell.attrs.get("data-label") for cell in row.cells]
                unlabelled = [i for i, label in enumerate(labels) if not label]
                # only a last cell of row actions (a hidden header) may go without
                if unlabelled and unlabelled != [len(labels) - 1]:
                    problems.append(f"{endpoint}: cells {unlabelled} of a row have no label")
    assert problems == []
