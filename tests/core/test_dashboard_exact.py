"""The dashboard's money stays exact to the cent at office-scale amounts on every engine."""

from __future__ import annotations

from decimal import Decimal

from tmdesk.core import dashboard, pledges


def test_gap_of_large_amounts_is_exact(desk):
    """12,345,677.49 EUR confirmed against a 20,000,000 EUR estimate leaves 7,654,322.51 EUR
    (7,654,323 on the board). A 4-byte float scratch column (PostgreSQL's REAL) keeps the
    confirmed cents only to the nearest 128 and shows 7,654,322."""
    donor = desk.user("donor")
    project = desk.published(budget_amount="20000000", budget_currency="EUR")
    pledge = pledges.create_pledge(donor, project, {"amount": "12345677.49", "currency": "EUR"})
    pledges.transition_pledge(donor, pledge, "confirm")
    board = dashboard.build(desk.user("back_office"))
    assert board.totals["gap"] == Decimal("7654323")
    assert dict(board.gap_by_category) == {"training": Decimal("7654323")}
