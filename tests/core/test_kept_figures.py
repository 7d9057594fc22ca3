"""The dashboard's figures kept part by part (core/kept_figures.py) are, after any
write, exactly the figures summed afresh, for every kind of viewer; and a write
sums again only the part of the project it touched."""

from __future__ import annotations

import pytest

from tmdesk.core import (
    figures,
    kept_figures,
    offers,
    pledges,
    projects,
    similarity,
    transactions,
)
from tmdesk.core.funding import exchange_rates
from tmdesk.core.models import Pledge, Project

VIEWERS = ("back_office", "donor", "donor2", "recipient", "company", "observer")


def _plain(figs: figures.Figures) -> dict:
    """The figures as comparable values (dicts for the defaultdicts)."""
    return {
        "headline": figs.headline,
        "pipeline": dict(figs.pipeline),
        "gap_by": {k: dict(v) for k, v in figs.gap_by.items()},
        "by_donor": figs.by_donor,
        "over_time": figs.over_time,
        "money_by_year": figs.money_by_year,
        "tlp": figs.tlp,
    }


def assert_in_step(desk) -> None:
    rates = exchange_rates()
    for who in VIEWERS:
        user = desk.user(who)
        full = who == "back_office"
        kept = kept_figures.figures_for(user, rates, with_recipients=full)
        fresh = figures.sum_figures(user, rates, with_recipients=full)
        assert _plain(kept) == _plain(fresh), who


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of two projects, so a handful of projects spreads over several."""
    monkeypatch.setattr(kept_figures, "PART_SIZE", 2)
    kept_figures.forget()
    yield
    kept_figures.forget()


def test_kept_figures_follow_every_kind_of_write(desk, small_parts):
    officer, donor, company = desk.user("back_office"), desk.user("donor"), desk.user("company")
    a = desk.published(budget_amount="1000", budget_currency="EUR", tlp="GREEN")
    b = desk.published(budget_amount="2000", budget_currency="USD", tlp="AMBER")
    c = desk.published(budget_amount="500", budget_currency="EUR", tlp="AMBER")
    assert_in_step(desk)
    # Pledges: offered, confirmed, a second donor, over-funding one project.
    pa = pledges.create_pledge(donor, a, {"amount": "1500", "currency": "EUR"})
    assert_in_step(desk)
    pledges.transition_pledge(donor, pa, "confirm")
    assert_in_step(desk)
    pb = pledges.create_pledge(
        desk.user("donor2"), b, {"amount": "800", "currency": "EUR", "date": "2026-02-01"}
    )
    pledges.transition_pledge(desk.user("donor2"), pb, "confirm")
    assert_in_step(desk)
    # Transactions: a commitment and a disbursement in two quarters.
    transactions.record_transaction(
        donor, pa, {"kind": "disbursement", "amount": "600", "value_date": "2026-03-01"}
    )
    transactions.record_transaction(
        donor, pa, {"kind": "disbursement", "amount": "400", "value_date": "2026-07-01"}
    )
    assert_in_step(desk)
    # A company engaged on an AMBER project sees it from now on.
    offers.create_engagement(officer, c, company.organisation.code, {"role": "Implementer"})
    assert_in_step(desk)
    # A duplicate decision closes one project and moves its offered pledge.
    d = desk.published(budget_amount="700", budget_currency="EUR", tlp="GREEN")
    pledges.create_pledge(donor, d, {"amount": "70", "currency": "EUR"})
    assert_in_step(desk)
    similarity.record_decision(officer, d, a, "duplicate")
    assert_in_step(desk)
    # A TLP:RED project, seen by the officer named on it alone; a withdrawal.
    desk.published(budget_amount="900", budget_currency="EUR", tlp="RED")
    assert_in_step(desk)
    projects.transition(
        desk.user("recipient"), Project.get_by_id(b.id), "withdraw", "Funded elsewhere."
    )
    assert_in_step(desk)


def test_a_write_sums_again_only_the_part_it_touched(desk, small_parts, monkeypatch):
    made = [desk.published(budget_amount="100", budget_currency="EUR") for _ in range(6)]
    officer, donor = desk.user("back_office"), desk.user("donor")
    rates = exchange_rates()
    kept_figures.figures_for(officer, rates)
    summed: list[int] = []
    real = kept_figures.sum_figures

    def counting(user, rates, with_recipients=True, within=None):
        summed.append(1)
        return real(user, rates, with_recipients, within)

    monkeypatch.setattr(kept_figures, "sum_figures", counting)
    assert kept_figures.figures_for(officer, rates).headline.pledged_eur == 0
    assert summed == []  # nothing written: nothing summed
    pledges.create_pledge(donor, made[3], {"amount": "40", "currency": "EUR"})
    assert kept_figures.figures_for(officer, rates).headline.pledged_eur == 40
    assert len(summed) == 1  # the one part holding made[3]


def test_a_bulk_write_sums_every_part_again(desk, small_parts):
    """A desk applying what its office sent writes without the audit log; it says so
    (note_bulk_write, in sync.receive.apply_page), and the figures follow."""
    project = desk.published(budget_amount="100", budget_currency="EUR")
    pledge = pledges.create_pledge(desk.user("donor"), project, {"amount": "40", "currency": "EUR"})
    assert_in_step(desk)
    Pledge.update(amount=90).where(Pledge.id == pledge.id).execute()  # as a sync page does
    kept_figures.note_bulk_write()
    assert_in_step(desk)
    officer = desk.user("back_office")
    assert kept_figures.figures_for(officer, exchange_rates()).headline.pledged_eur == 90


def test_a_starting_server_sums_ahead_for_the_accounts_last_active(desk, monkeypatch):
    """dashboard.warm_up: the recent viewers' figures are kept before they ask; an
    account idle for long, or a second officer of the same office, costs nothing."""
    import datetime as dt

    from tmdesk.core import accounts, dashboard
    from tmdesk.core.models import User, utcnow

    now = utcnow()
    officer, donor, idle = desk.user("back_office"), desk.user("donor"), desk.user("recipient")
    colleague = accounts.create_user(
        None, "colleague@example.org", officer.organisation.code, "a long test password 2026"
    )
    for user, days in ((officer, 1), (colleague, 2), (donor, 3), (idle, 90)):
        User.update(last_login_at=now - dt.timedelta(days=days)).where(User.id == user.id).execute()
    desk.published(budget_amount="1000", budget_currency="EUR")
    kept_figures.forget()
    assert dashboard.warm_up() == 2  # the office (both officers share) and the donor

    summed = []
    real_part = kept_figures._part
    monkeypatch.setattr(
        kept_figures, "_part", lambda *a: summed.append(a[0].email) or real_part(*a)
    )
    for user in (officer, colleague, donor):
        dashboard.build(User.get_by_id(user.id))
    assert summed == []  # all kept already
    dashboard.build(User.get_by_id(idle.id))
    assert summed  # never summed ahead: summed now
    assert dashboard.warm_up(limit=1) == 1
