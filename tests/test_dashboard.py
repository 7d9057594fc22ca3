"""The coordination dashboard: gaps, donors, pipeline, waiting work, visibility of totals."""

from __future__ import annotations

from decimal import Decimal

from tmdesk.core import dashboard, offers, pledges, projects


def test_officer_dashboard(desk):
    donor = desk.user("donor")
    a = desk.published(category="training", budget_amount="100000", priority="high",
                       oblast="UA-63")
    b = desk.published(category="equipment", budget_amount="50000", budget_currency="GBP",
                       priority="low")
    p = pledges.create_pledge(donor, a, {"amount": "40000", "currency": "EUR"})
    pledges.transition_pledge(donor, p, "confirm")
    pledges.transition_pledge(donor, p, "disburse")
    pledges.create_pledge(donor, b, {"amount": "1000", "currency": "EUR"})
    waiting = desk.draft(title_en="SOC analyst training programme")
    projects.transition(desk.user("recipient"), waiting, "submit")
    offers.create_offer(donor, {"category": "training", "description": "Trainers"})
    board = dashboard.build(desk.user("back_office"))
    assert board.full
    assert dict(board.gap_by_category) == {"training": Decimal("60000"),
                                           "equipment": Decimal("58500")}
    assert dict(board.gap_by_priority)["high"] == Decimal("60000")
    assert dict(board.gap_by_oblast)["UA-63"] == Decimal("60000")
    assert board.gap_by_recipient[0][0] == "SSSCIP"
    assert board.totals["gap"] == Decimal("118500")
    row = board.by_donor[0]
    assert (row.code, row.pledged, row.confirmed, row.disbursed) == (
        "GB", Decimal("41000"), Decimal("40000"), Decimal("40000"))
    assert dict(board.pipeline) == {"submitted": 1, "published": 2}
    assert board.review_count == 1 and board.review_waiting[0][0].id == waiting.id
    assert board.offers_unmatched_count == 1
    assert board.duplicates and board.duplicates[0][0].id == waiting.id


def test_reduced_dashboard_for_donors_and_observers(desk):
    desk.published(category="training", budget_amount="100000")
    offers.create_offer(desk.user("donor"), {"category": "training", "description": "x"})
    for key in ("donor", "observer"):
        board = dashboard.build(desk.user(key))
        assert not board.full
        assert board.gap_by_category == [("training", Decimal("100000"))]
        assert board.gap_by_recipient == [] and board.review_waiting == []
        assert board.offers_unmatched_count == 0 and board.duplicates == []


def test_hidden_projects_never_move_totals(desk):
    donor = desk.user("donor")
    desk.published(category="training", budget_amount="100000", tlp="GREEN")
    hidden = desk.published(category="training", budget_amount="900000", tlp="AMBER+STRICT")
    p = pledges.create_pledge(desk.user("back_office"), hidden,
                              {"amount": "5000", "currency": "EUR"}, donor_code="EE")
    pledges.transition_pledge(desk.user("back_office"), p, "confirm")
    for key in ("donor", "observer", "company", "recipient2"):
        board = dashboard.build(desk.user(key))
        assert board.totals["gap"] == Decimal("100000"), key
        assert board.by_donor == [], key
        assert dict(board.pipeline) == {"published": 1}, key
    officer = dashboard.build(desk.user("back_office"))
    assert officer.totals["gap"] == Decimal("995000")
    assert donor is not None


def test_dashboard_page_svg_and_tables(client, desk):
    from tests.conftest import login

    desk.published(category="training", budget_amount="100000")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    assert '<th scope="row">' in html and "100,000" in html.replace("\u202f", ",").replace(
        "\xa0", ",")
    assert "style=" not in html and "<script>" not in html.split("</head>")[1]
    other = client.application.test_client()
    login(other, desk.users["observer"])
    reduced = other.get("/dashboard").get_data(as_text=True)
    assert "<svg" in reduced
