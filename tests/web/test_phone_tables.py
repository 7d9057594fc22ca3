"""On a phone every data table becomes cards (issue 15, "Phones and forms"): each
table the pages show is a ``card-rows`` table from the ``data_table`` macro, and
every cell of its body carries the label of its column (``data-label``), which the
CSS writes before the value below 600 px. A table written by hand (no labels)
fails here. The tables inside charts are for screen readers only and stay tables."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import url_for

from tests.helpers import login
from tests.pg import on_postgresql
from tmdesk.core import backup, offers, pledges, tokens
from tmdesk.core.db import database


class Tables(HTMLParser):
    """The tables of a page: their class, header labels and each body row's cells'
    labels; a table inside a visually hidden block (a chart's data) is left out."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._hidden_depth: list[int] = []
        self._depth = 0
        self._in: dict | None = None
        self._section = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("div", "section", "figure"):
            self._depth += 1
            if "visually-hidden" in (a.get("class") or "").split():
                self._hidden_depth.append(self._depth)
        if tag == "table" and not self._hidden_depth:
            self._in = {"class": a.get("class") or "", "headers": 0, "rows": []}
            self.tables.append(self._in)
        elif self._in is not None:
            if tag in ("thead", "tbody", "tfoot"):
                self._section = tag
            elif tag == "tr" and self._section == "tbody":
                self._in["rows"].append([])
            elif tag == "th" and self._section == "thead":
                self._in["headers"] += 1
            elif tag in ("td", "th") and self._section == "tbody":
                self._in["rows"][-1].append(a.get("data-label"))

    def handle_endtag(self, tag):
        if tag in ("div", "section", "figure"):
            if self._hidden_depth and self._hidden_depth[-1] == self._depth:
                self._hidden_depth.pop()
            self._depth -= 1
        if tag == "table":
            self._in = None


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
        parser = Tables()
        parser.feed(response.get_data(as_text=True))
        assert parser.tables, f"{endpoint}: no table shown (the world should fill one)"
        for table in parser.tables:
            if "card-rows" not in table["class"].split():
                problems.append(f"{endpoint}: a table without cards ({table['class']!r})")
                continue
            for cells in table["rows"]:
                unlabelled = [i for i, label in enumerate(cells) if not label]
                # only a last cell of row actions (a hidden header) may go without
                if unlabelled and unlabelled != [len(cells) - 1]:
                    problems.append(f"{endpoint}: cells {unlabelled} of a row have no label")
    assert problems == []
