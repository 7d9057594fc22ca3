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
from tmdesk.core.models import Project

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
