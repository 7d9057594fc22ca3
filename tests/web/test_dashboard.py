"""The coordination dashboard: gaps, donors, pipeline, waiting work, visibility of totals."""

from __future__ import annotations

from decimal import Decimal

from tmdesk.core import dashboard, offers, pledges, projects
from tmdesk.core.figures import whole_euros
from tmdesk.core.models import Pledge


def test_officer_dashboard(desk):
    donor = desk.user("donor")
    a = desk.published(category="training", budget_amount="100000", priority="high", oblast="UA-63")
    b = desk.published(
        category="equipment", budget_amount="50000", budget_currency="GBP", priority="low"
    )
    p = pledges.create_pledge(donor, a, {"amount": "40000", "currency": "EUR"})
    pledges.transition_pledge(donor, p, "confirm")
    pledges.transition_pledge(donor, p, "disburse")
    pledges.create_pledge(donor, b, {"amount": "1000", "currency": "EUR"})
    waiting = desk.draft(title_en="SOC analyst training programme")
    projects.transition(desk.user("recipient"), waiting, "submit")
    offers.create_offer(donor, {"category": "training", "description": "Trainers"})
    board = dashboard.build(desk.user("back_office"))
    assert board.full
    assert dict(board.gap_by_category) == {
        "training": Decimal("60000"),
        "equipment": Decimal("58500"),
    }
    assert dict(board.gap_by_priority)["high"] == Decimal("60000")
    assert dict(board.gap_by_oblast)["UA-63"] == Decimal("60000")
    assert board.gap_by_recipient[0][0] == "SSSCIP"
    assert board.totals["gap"] == Decimal("118500")
    row = board.by_donor[0]
    assert (row.code, row.pledged, row.confirmed, row.disbursed) == (
        "GB",
        Decimal("41000"),
        Decimal("40000"),
        Decimal("40000"),
    )
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
    # A pledge its donor cannot see is refused now (issue #12); one left from
    # before still moves no figure for those who cannot see its project.
    Pledge.create(
        project=hidden,
        donor=desk.orgs["donor2"],
        amount="5000",
        currency="EUR",
        status="confirmed",
        date=hidden.created_at.date(),
        created_by=desk.user("back_office"),
    )
    for key in ("donor", "observer", "company", "recipient2"):
        board = dashboard.build(desk.user(key))
        assert board.totals["gap"] == Decimal("100000"), key
        assert board.by_donor == [], key
        assert dict(board.pipeline) == {"published": 1}, key
    officer = dashboard.build(desk.user("back_office"))
    assert officer.totals["gap"] == Decimal("995000")
    assert donor is not None


def test_dashboard_page_svg_and_tables(client, desk):
    from tests.helpers import login, row_headers

    desk.published(category="training", budget_amount="100000")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    # Each chart is named by its caption; one whose bars are links is a group (an image
    # may hold no controls).
    assert '<svg class="bar-chart"' in html
    assert 'role="group" aria-labelledby="gap-category-caption"' in html
    assert row_headers(html) and "100,000" in html.replace("\u202f", ",").replace("\xa0", ",")
    assert "style=" not in html and "<script>" not in html.split("</head>")[1]
    other = client.application.test_client()
    login(other, desk.users["observer"])
    reduced = other.get("/dashboard").get_data(as_text=True)
    assert "<svg" in reduced


def test_figures_equal_funding_derived_in_python(desk):
    """Every SQL-aggregated figure equals what tmdesk.core.funding derives from the pledges
    of the projects each user may see (random projects, currencies and pledge steps);
    a hidden project never moves one of them."""
    import random
    from collections import Counter, defaultdict

    from tmdesk.core.funding import (
        CONFIRMED_STATUSES,
        PLEDGED_STATUSES,
        exchange_rates,
        funding_for,
        to_eur,
    )
    from tmdesk.core.models import Pledge, Project
    from tmdesk.core.permissions import PLEDGEABLE_STATUSES
    from tmdesk.core.visibility import visible_projects

    rng = random.Random(11)
    made = []
    for i in range(24):
        fields = {
            "category": rng.choice(["training", "equipment", "assessment"]),
            "priority": rng.choice(["critical", "high", "low"]),
            "oblast": rng.choice(["UA", "UA-63", "UA-46"]),
            "budget_amount": str(rng.randrange(1, 500) * 1000 + rng.randrange(100) / 100),
            "budget_currency": rng.choice(["EUR", "USD", "GBP", "UAH"]),
            "tlp": rng.choice(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]),
        }
        owner = rng.choice(["recipient", "recipient2"])
        made.append(desk.published(owner, **fields) if i % 4 else desk.draft(owner, **fields))
    made.append(desk.published(tlp="RED", budget_amount="777000"))  # named: its submitter only
    officer = desk.user("back_office")
    for p in made:
        for _ in range(rng.randrange(0, 3)):
            Pledge.create(
                project=p,
                donor=rng.choice([desk.orgs["donor"], desk.orgs["donor2"]]),
                amount=str(rng.randrange(1, 300) * 1000 + rng.randrange(100) / 100),
                currency=rng.choice(["EUR", "USD", "PLN"]),
                status=rng.choice(["offered", "confirmed", "disbursed", "withdrawn"]),
                date="2026-05-01",
                created_by=officer,
            )
    rates = exchange_rates()
    for key in ("back_office", "donor", "observer", "recipient", "company"):
        user = desk.user(key)
        visible = list(visible_projects(user))
        board = dashboard.build(user)
        open_ = [p for p in visible if p.status in PLEDGEABLE_STATUSES]
        funding = funding_for(open_, rates)
        gaps: dict[str, dict] = {k: defaultdict(Decimal) for k in ("c", "p", "o", "r")}
        for p in open_:
            gap = funding[p.id].gap_eur
            for k, v in (
                ("c", p.category),
                ("p", p.priority),
                ("o", p.oblast),
                ("r", p.recipient.code),
            ):
                gaps[k][v] += gap

        def close(got, want):
            return Decimal(got) == whole_euros(Decimal(want))  # exact sums, rounded once

        for k, figures in (
            ("c", board.gap_by_category),
            ("p", board.gap_by_priority),
            ("o", board.gap_by_oblast),
        ):
            got = dict(figures)
            assert set(got) == {c for c, v in gaps[k].items() if whole_euros(v)}, (key, k)
            assert all(close(got[c], gaps[k][c]) for c in got), (key, k)
        if board.full:
            got = {code: v for code, _name, v in board.gap_by_recipient}
            assert all(close(got.get(c, 0), v) for c, v in gaps["r"].items()), key
        assert close(board.totals["gap"], sum(f.gap_eur for f in funding.values())), key
        assert close(board.totals["budget"], sum(f.budget_eur for f in funding.values())), key
        assert close(board.totals["confirmed"], sum(f.confirmed_eur for f in funding.values())), key
        assert dict(board.pipeline) == dict(Counter(p.status for p in visible)), key
        donors: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        # Donors' money counts on projects open for support only (core.figures).
        for pl in Pledge.select().where(Pledge.project.in_([p.id for p in open_])):
            eur = to_eur(pl.amount, pl.currency, rates)
            code = pl.donor.code
            donors[code]["pledged"] += eur if pl.status in PLEDGED_STATUSES else 0
            donors[code]["confirmed"] += eur if pl.status in CONFIRMED_STATUSES else 0
            donors[code]["disbursed"] += eur if pl.status == "disbursed" else 0
        assert {r.code for r in board.by_donor} == set(donors), key
        for row in board.by_donor:
            want = donors[row.code]
            assert close(row.pledged, want["pledged"]) and close(row.confirmed, want["confirmed"])
            assert close(row.disbursed, want["disbursed"]), key
    assert Project.select().count() == len(made)
