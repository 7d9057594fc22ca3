"""Money donors can compare, lists that answer the question (issue 15).

The Catalogue, the review queue and the pledge form show the euro equivalent
beside budgets in other currencies and what is still needed; donors start on
the projects open for support; filters offer only what can match.
"""

from __future__ import annotations

import re

from tests.helpers import login, post
from tmdesk.core import catalogue, pledges, projects
from tmdesk.core.funding import project_funding
from tmdesk.core.visibility import statuses_seen_by


def _refs(html: str) -> set[str]:
    return set(re.findall(r"TM-\d{4}-\d{4}", html))


def _world(desk):
    uah = desk.published(
        title_en="Mobile data centre", budget_amount="59450000", budget_currency="UAH"
    )
    funded = desk.published(title_en="Fully funded kit", budget_amount="10000")
    gift = pledges.create_pledge(desk.user("donor"), funded, {"amount": "10000", "currency": "EUR"})
    pledges.transition_pledge(desk.user("donor"), gift, "confirm")
    gone = desk.published(title_en="Withdrawn idea", budget_amount="5000")
    projects.transition(desk.user("recipient"), gone, "withdraw", "No longer needed.")
    return uah, funded, gone


def test_donor_catalogue_starts_open_for_support_and_can_show_everything(desk, client):
    uah, funded, gone = _world(desk)
    login(client, desk.users["donor"])
    html = client.get("/catalogue").get_data(as_text=True)
    assert uah.ref in html
    assert funded.ref not in html and gone.ref not in html
    assert "Open for support: published or in implementation" in html
    everything = client.get("/catalogue?scope=all").get_data(as_text=True)
    assert {uah.ref, funded.ref, gone.ref} <= _refs(everything)
    assert 'href="/catalogue?scope=all"' in html  # the visible way to see everything
    # A link that asks for statuses (the dashboard's, say) gets exactly them.
    withdrawn = client.get("/catalogue?status=withdrawn").get_data(as_text=True)
    assert gone.ref in withdrawn


def test_officers_start_with_everything(desk, client):
    uah, funded, gone = _world(desk)
    login(client, desk.users["back_office"])
    html = client.get("/catalogue").get_data(as_text=True)
    assert {uah.ref, funded.ref, gone.ref} <= _refs(html)


def test_unfunded_never_returns_withdrawn_projects(desk, client):
    uah, funded, gone = _world(desk)
    login(client, desk.users["back_office"])
    html = client.get("/catalogue?funding=unfunded").get_data(as_text=True)
    assert uah.ref in html and gone.ref not in html
    api = catalogue.search_catalogue(
        desk.user("back_office"), catalogue.CatalogueFilters(funding=["unfunded"])
    )
    assert gone.id not in {p.id for p in api.items}


def test_euro_equivalent_and_still_needed_in_the_catalogue(desk, client):
    uah, _, _ = _world(desk)
    login(client, desk.users["donor"])
    html = client.get("/catalogue").get_data(as_text=True)
    eur = project_funding(uah).budget_eur  # 59,450,000 UAH at 0.022
    assert "59,450,000 UAH" in html
    assert f"≈&nbsp;{int(eur):,} EUR" in html
    assert f"Still needed: {int(eur):,} EUR" in html
    assert "Amounts in euros use the exchange-rates table of" in html


def test_status_filter_offers_only_statuses_the_role_can_see(desk, client):
    assert "draft" not in statuses_seen_by(desk.user("donor"))
    assert "submitted" not in statuses_seen_by(desk.user("donor"))
    assert "draft" not in statuses_seen_by(desk.user("back_office"))
    assert "draft" in statuses_seen_by(desk.user("recipient"))
    login(client, desk.users["donor"])
    html = client.get("/catalogue").get_data(as_text=True)
    status_select = html.split('id="f-status"')[1].split("</select>")[0]
    assert 'value="published"' in status_select
    assert 'value="draft"' not in status_select and 'value="submitted"' not in status_select


def test_review_queue_shows_the_euro_equivalent(desk, client):
    waiting = desk.submitted(
        title_en="Radio network", budget_amount="1000000", budget_currency="UAH"
    )
    login(client, desk.users["back_office"])
    html = client.get("/review").get_data(as_text=True)
    assert waiting.ref in html and "1,000,000 UAH" in html and "≈&nbsp;22,000 EUR" in html


def test_pledge_form_presets_the_donors_currency_and_says_what_is_needed(desk, client):
    uah, _, _ = _world(desk)
    login(client, desk.users["donor"])  # the United Kingdom pledges in pounds
    html = client.get(f"/projects/{uah.ref}/pledges/new").get_data(as_text=True)
    assert re.search(r'<option selected value="GBP">|<option value="GBP" selected>', html)
    assert "Still needed: 1,307,900 EUR" in html
    assert "GBP)" in html  # the gap in the pledge's currency too
    estonia = client.application.test_client()
    login(estonia, desk.users["donor2"])
    html = estonia.get(f"/projects/{uah.ref}/pledges/new").get_data(as_text=True)
    assert re.search(r'<option selected value="EUR">|<option value="EUR" selected>', html)


def test_a_refused_pledge_keeps_the_chosen_currency(desk, client):
    uah, _, _ = _world(desk)
    login(client, desk.users["donor"])
    page = f"/projects/{uah.ref}/pledges/new"
    response = post(client, page, {"amount": "-5", "currency": "USD"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'<option selected value="USD">|<option value="USD" selected>', html)
