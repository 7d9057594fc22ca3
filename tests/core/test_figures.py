"""One set of figures (issue 15): the dashboard, its API and every built-in report
give the same headline figures for the same selection, on random data.

"Open for support", "pledged", "confirmed", "disbursed" and "gap" are defined once,
in :mod:`tmdesk.core.figures`; the dashboard sums them in SQL, the reports from the
report context's projects. Random projects (every status, TLP label, currency)
with random pledges (every status and currency) are made; then the figures are
read from the dashboard, ``GET /api/v1/dashboard``, the briefing pack and the
ministry report (the PDF text), the xlsx "About" sheet and the csv rows, and
must agree to the euro, for an officer and for a donor (who sees fewer projects).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.helpers import PASSWORD
from tmdesk.core import dashboard, figures, kept_figures, tokens
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Pledge, Project, Transaction, utcnow
from tmdesk.core.reporting import build_context, with_report_defaults
from tmdesk.core.visibility import visible_projects
from tmdesk.plugins.builtin import briefing_pack, ministry_report, tabular

STATUSES = [
    "draft",
    "submitted",
    "returned",
    "rejected",
    "withdrawn",
    "published",
    "in_implementation",
    "delivered",
    "closed",
]
PLEDGE_STATUSES = ["offered", "confirmed", "disbursed", "delivered", "withdrawn"]
CURRENCIES = ["EUR", "USD", "PLN", "GBP"]
TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]
FIGURES = ("budget", "pledged", "confirmed", "disbursed", "gap")

pledge_st = st.tuples(
    st.sampled_from(PLEDGE_STATUSES),
    st.integers(min_value=1, max_value=50_000_000),  # cents
    st.sampled_from(CURRENCIES),
)
project_st = st.tuples(
    st.sampled_from(STATUSES),
    st.sampled_from(TLPS),
    st.integers(min_value=0, max_value=90_000_000),  # cents
    st.sampled_from(CURRENCIES),
    st.lists(pledge_st, max_size=3),
)


def _make(desk, data) -> None:
    """The projects and pledges of one example, written directly (no workflow)."""
    Pledge.delete().execute()
    Project.delete().execute()
    kept_figures.forget()  # rows deleted behind the audit log's back (see figures_for)
    officer = desk.user("back_office")
    donors = [desk.orgs["donor"], desk.orgs["donor2"]]
    now = utcnow()
    for i, (status, tlp, budget, currency, pledges) in enumerate(data):
        published = status in ("published", "in_implementation", "delivered", "closed")
        project = Project.create(
            ref=f"TM-2026-{i + 1:04d}",
            title_en=f"Project {i}",
            category="training",
            recipient=desk.orgs["recipient"],
            budget_amount=Decimal(budget) / 100,
            budget_currency=currency,
            tlp=tlp,
            status=status,
            created_by=officer,
            submitted_at=None if status == "draft" else now,
            published_at=now if published else None,
        )
        for j, (p_status, cents, p_currency) in enumerate(pledges):
            Pledge.create(
                project=project,
                donor=donors[j % 2],
                amount=Decimal(cents) / 100,
                currency=p_currency,
                status=p_status,
                date="2026-05-01",
                created_by=officer,
            )


def _pdf_figures(path: Path) -> dict[str, Decimal]:
    """The key figures of a PDF (English): each row of big numbers over its labels."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = text.splitlines()
    labels = {"Budget": "budget", "Pledged": "pledged", "Confirmed": "confirmed"}
    labels |= {"Disbursed": "disbursed", "Gap": "gap", "Open for support": "projects"}
    out: dict[str, Decimal] = {}
    for above, line in zip(lines, lines[1:], strict=False):
        names = [c.strip() for c in re.split(r"\s{2,}", line.strip())]
        values = [c.strip() for c in re.split(r"\s{2,}", above.strip())]
        if names and all(n in labels for n in names) and len(values) == len(names):
            for name, value in zip(names, values, strict=True):
                out.setdefault(labels[name], Decimal(re.sub(r"[^\d-]", "", value)))
    return out


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.lists(project_st, min_size=0, max_size=8))
def test_dashboard_api_and_every_report_agree(desk, app, tmp_path, data):
    _make(desk, data)
    client = app.test_client()
    for key in ("back_office", "donor"):
        user = desk.user(key)
        # The selection every surface shows: what is open for support and visible.
        selection = CatalogueFilters(status=list(figures.OPEN_STATUSES), tlp_max="AMBER+STRICT")
        ctx = build_context(user, selection, locale="en")
        want = figures.headline(ctx.projects).rounded()
        visible_open = [p for p in visible_projects(user) if p.status in figures.OPEN_STATUSES]
        assert want["projects"] == len(visible_open) == ctx.totals.open_projects

        board = dashboard.build(user)
        assert board.open_projects == want["projects"], key
        assert {k: board.totals[k] for k in FIGURES} == {k: want[k] for k in FIGURES}, key

        _, token = tokens.create_token(None, user, "figures")
        api = client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        got = api.get_json()["totals_eur"]
        assert {k: Decimal(got[k]) for k in FIGURES} == {k: want[k] for k in FIGURES}, key
        assert api.get_json()["open_projects"] == want["projects"], key

        # The donors' pledges add up to the headline's.
        assert sum((d.pledged_eur for d in ctx.totals.by_donor), Decimal(0)) == (
            figures.headline(ctx.projects).pledged_eur
        )

        pack = tmp_path / f"{key}-pack.pdf"
        with pack.open("wb") as out:
            briefing_pack.render(ctx, out, {"annex": "no"})
        assert _pdf_figures(pack) == {k: want[k] for k in ("projects", *FIGURES)}, key

        ministry = tmp_path / f"{key}-ministry.pdf"
        mine = build_context(
            user,
            CatalogueFilters(**{**selection.__dict__, "recipient": [desk.orgs["recipient"].code]}),
        )
        with ministry.open("wb") as out:
            ministry_report.render(mine, out, {})
        assert _pdf_figures(ministry) == {k: want[k] for k in ("projects", *FIGURES)}, key

        book = tmp_path / f"{key}.xlsx"
        with book.open("wb") as out:
            tabular.render_xlsx(ctx, out, {})
        from openpyxl import load_workbook

        about = {r[0]: r[1] for r in load_workbook(book)["About"].iter_rows(values_only=True)}
        exact = figures.headline(ctx.projects)
        for name in FIGURES:
            # A spreadsheet holds the unrounded figure (as a float: to the cent).
            got_eur = Decimal(str(about[f"{name}_eur"]))
            assert abs(got_eur - getattr(exact, f"{name}_eur")) < Decimal("0.01"), key

        buffer = io.BytesIO()
        tabular.render_csv(ctx, buffer, {})
        lines = buffer.getvalue().decode("utf-8-sig").splitlines()[1:]  # after the TLP row
        rows = list(csv.DictReader(lines))
        gap = sum(
            (Decimal(r["gap_eur"]) for r in rows if r["status"] in figures.OPEN_STATUSES),
            Decimal(0),
        )
        assert figures.whole_euros(gap) == want["gap"], key


def test_report_defaults_are_open_projects_at_most_amber():
    filters = with_report_defaults(None)
    assert filters.status == ["published", "in_implementation"] and filters.tlp_max == "AMBER"
    chosen = with_report_defaults(CatalogueFilters(status=["delivered"], tlp_max="RED"))
    assert chosen.status == ["delivered"] and chosen.tlp_max == "RED"


def test_gap_is_per_project_and_never_negative():
    class F:
        def __init__(self, budget, confirmed):
            self.budget_eur, self.confirmed_eur = Decimal(budget), Decimal(confirmed)
            self.pledged_eur = self.disbursed_eur = Decimal(0)

    class P:
        def __init__(self, status, budget, confirmed):
            self.status, self.funding = status, F(budget, confirmed)

    # Over-funding one project does not close another's gap; closed projects never count.
    head = figures.headline([P("published", 100, 150), P("in_implementation", 100, 20)])
    assert head.gap_eur == 80 and head.budget_eur - head.confirmed_eur == 30
    assert figures.headline([P("submitted", 100, 0), P("withdrawn", 50, 0)]).gap_eur == 0


def test_the_dashboard_follows_every_audited_write(desk):
    """The figures are kept per database generation: a pledge confirmed through the
    core moves the dashboard at once."""
    from tmdesk.core import pledges

    project = desk.published(budget_amount="1000", budget_currency="EUR")
    officer = desk.user("back_office")
    assert dashboard.build(officer).totals["gap"] == 1000
    pledge = pledges.create_pledge(
        desk.user("donor"),
        project,
        {"amount": "300", "currency": "EUR", "date": "2026-05-01"},
    )
    assert dashboard.build(officer).totals["pledged"] == 300
    pledges.transition_pledge(desk.user("donor"), pledge, "confirm")
    assert dashboard.build(officer).totals["gap"] == 700


def test_pledged_and_disbursed_over_time_by_quarter(desk):
    """Every visible project's pledges by the quarter of their date, and the money
    paid by the quarter of each disbursement's value date (a pledge of May paid in
    two tranches, June and September, shows in Q2 and Q3); withdrawn pledges never
    count, a hidden project in neither series."""
    officer = desk.user("back_office")
    shown = desk.published(budget_amount="1000")
    hidden = desk.published(budget_amount="1000", tlp="AMBER+STRICT")
    paid = []
    for project, status, amount, day in (
        (shown, "offered", "100", "2026-05-01"),
        (shown, "partly_disbursed", "40", "2026-05-30"),
        (shown, "withdrawn", "999", "2026-05-02"),
        (shown, "confirmed", "7", "2026-08-10"),
        (hidden, "disbursed", "500", "2026-05-01"),
    ):
        pledge = Pledge.create(
            project=project,
            donor=desk.orgs["donor"],
            amount=amount,
            currency="EUR",
            status=status,
            date=day,
            created_by=officer,
        )
        paid.append(pledge)
    for pledge, amount, day in (
        (paid[1], 15, "2026-06-30"),
        (paid[1], 25, "2026-09-01"),
        (paid[4], 500, "2026-05-03"),
    ):
        Transaction.create(
            pledge=pledge, kind="disbursement", amount=amount, currency="EUR", value_date=day
        )
    donor = desk.user("donor")  # does not see AMBER+STRICT
    assert dashboard.build(donor).over_time == [
        ("2026-Q2", Decimal(140), Decimal(15)),
        ("2026-Q3", Decimal(7), Decimal(25)),
    ]
    assert dashboard.build(officer).over_time[0] == ("2026-Q2", Decimal(640), Decimal(515))


def test_a_partly_disbursed_pledge_counts_for_its_donor(desk):
    """A pledge paid in part (its status follows its transactions) is pledged and
    confirmed money of its donor, in the reports' per-donor table and on the
    dashboard, as it is of its project; its donor's disbursed money is what the
    disbursements paid, so the donors add up to the headline figure."""
    from tmdesk.core import pledges, transactions
    from tmdesk.core.funding import exchange_rates

    gb = desk.user("donor")
    project = desk.published(budget_amount="100000", budget_currency="EUR")
    pledge = pledges.create_pledge(gb, project, {"amount": "60000", "currency": "EUR"})
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "60000", "value_date": "2026-03-01"}
    )
    transactions.record_transaction(
        gb, pledge, {"kind": "disbursement", "amount": "24000", "value_date": "2026-04-01"}
    )
    assert Pledge.get_by_id(pledge.id).status == "partly_disbursed"
    officer = desk.user("project_office")
    totals = build_context(officer, with_report_defaults(None)).totals
    (donor,) = totals.by_donor
    assert donor.donor.code == "GB"
    assert (donor.pledged_eur, donor.confirmed_eur) == (Decimal(60000), Decimal(60000))
    assert donor.disbursed_eur == totals.disbursed_eur == Decimal(24000)
    (on_dashboard,) = kept_figures.figures_for(officer, exchange_rates()).by_donor
    assert (on_dashboard.pledged_eur, on_dashboard.confirmed_eur) == (60000, 60000)
    assert on_dashboard.disbursed_eur == Decimal(24000)


def test_figures_are_kept_per_what_the_viewer_may_see(desk):
    """The figures are summed once per visibility, not per account: two officers of
    one office share one sum, but an officer named on a TLP:RED project (the
    submitter names the red reviewer) gets a sum of their own that counts it, and
    the colleague's never does; after a write both move."""
    from tmdesk.core import accounts
    from tmdesk.core.funding import exchange_rates

    desk.published(budget_amount="1000", budget_currency="EUR")
    desk.published(budget_amount="500", budget_currency="EUR", tlp="RED")
    officer = desk.user("back_office")
    colleague = accounts.create_user(None, "colleague@example.org", "BACKOFFICE", PASSWORD)
    named = desk.red_reviewer()  # Back Office too, named on the RED project
    rates = exchange_rates()
    first = kept_figures.figures_for(officer, rates)
    assert kept_figures.figures_for(colleague, rates) is first  # one sum for the office
    assert first.headline.budget_eur == 1000
    theirs = kept_figures.figures_for(named, rates)
    assert theirs is not first and theirs.headline.budget_eur == 1500
    desk.published(budget_amount="250", budget_currency="EUR")
    assert kept_figures.figures_for(colleague, rates).headline.budget_eur == 1250
    assert kept_figures.figures_for(named, rates).headline.budget_eur == 1750
