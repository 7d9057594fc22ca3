"""Offers matched to needs, proposed pledges, and donors' warnings before a pledge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tmdesk.core import matching, offers, pledges, proposals
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AuditEvent, Offer, OfferLink, Pledge


def _offer(desk, key="donor", **fields):
    data = {
        "category": "connectivity",
        "description": "150 Starlink terminals with power banks for Kharkiv administrations",
        "quantity": "150",
        "value_amount": "90000",
        "value_currency": "EUR",
    } | fields
    return offers.create_offer(desk.user(key), data)


def test_matches_ranked_with_reasons(desk):
    good = desk.published(
        title_en="Starlink terminals for Kharkiv district administrations",
        summary_en="Provide 150 Starlink terminals with power banks.",
        category="connectivity",
        oblast="UA-63",
        budget_amount="100000",
        priority="critical",
    )
    weak = desk.published(
        title_en="Fibre backbone repair",
        category="connectivity",
        summary_en="Repair fibre links.",
        priority="low",
    )
    desk.published(title_en="SOC analyst training")
    offer = _offer(desk)
    found = matching.matches_for_offer(desk.user("back_office"), offer)
    assert [m.ref for m in found][:2] == [good.ref, weak.ref]
    reasons = " | ".join(found[0].reasons)
    assert "same category" in reasons and "unfunded gap" in reasons
    assert "quantity fits (150 needed, 150 offered)" in reasons
    assert "region" in reasons
    assert 0 < found[1].score < found[0].score <= 1


def test_fully_funded_and_hidden_projects_are_not_matched(desk):
    funded = desk.published(
        title_en="Starlink terminals", category="connectivity", budget_amount="1000"
    )
    donor = desk.user("donor")
    pledge = pledges.create_pledge(donor, funded, {"amount": "1000", "currency": "EUR"})
    pledges.transition_pledge(donor, pledge, "confirm")
    hidden = desk.published(
        title_en="Starlink terminals for a secret site", category="connectivity", tlp="AMBER+STRICT"
    )
    offer = _offer(desk)
    donor_refs = {m.ref for m in matching.matches_for_offer(donor, offer)}
    assert funded.ref not in donor_refs and hidden.ref not in donor_refs
    officer_refs = {m.ref for m in matching.matches_for_offer(desk.user("back_office"), offer)}
    assert hidden.ref in officer_refs and funded.ref not in officer_refs


def test_offers_for_project(desk):
    project = desk.published(
        title_en="Starlink terminals for Kharkiv",
        category="connectivity",
        summary_en="150 terminals needed.",
    )
    offer = _offer(desk)
    other = _offer(
        desk,
        "donor2",
        category="training",
        description="Course on law",
        quantity="",
        value_amount="",
        value_currency="",
    )
    found = matching.offers_for_project(desk.user("back_office"), project)
    assert [m.offer.id for m in found] == [offer.id]
    assert other.id not in [m.offer.id for m in found]
    # Offers are private to their organisation and the offices.
    assert matching.offers_for_project(desk.user("donor2"), project) == []


def test_propose_pledge_then_donor_confirms(desk):
    project = desk.published(title_en="Starlink terminals for Kharkiv", category="connectivity")
    offer = _offer(desk)
    with pytest.raises(PermissionDenied):
        proposals.propose_pledge(desk.user("donor"), offer, project)
    pledge = proposals.propose_pledge(desk.user("back_office"), offer, project)
    assert pledge.status == "offered" and pledge.offer_id == offer.id
    assert pledge.donor.code == "GB" and pledge.amount == 90000
    assert pledge.in_kind_quantity == 150
    assert Offer.get_by_id(offer.id).status == "matched"
    assert OfferLink.select().where(OfferLink.offer == offer.id).count() == 1
    pledges.transition_pledge(desk.user("donor"), pledge, "confirm")
    assert Pledge.get_by_id(pledge.id).status == "confirmed"
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    # Proposed (the pledge and the offer's link), then confirmed: a commitment is
    # recorded and the pledge's status follows from it (issue 16).
    proposed = actions.index("pledge.create")
    assert "offer.link" in actions[proposed:]
    confirmed = actions[actions.index("offer.link", proposed) :]
    assert "transaction.create" in confirmed and "pledge.status" in confirmed


def test_company_offer_cannot_become_pledge(desk):
    project = desk.published(title_en="SOC", category="connectivity")
    offer = _offer(desk, "company")
    with pytest.raises(ValidationError):
        proposals.propose_pledge(desk.user("back_office"), offer, project)


def test_pledge_warnings(desk):
    donor = desk.user("donor")
    project = desk.published(
        title_en="SOC analyst training programme",
        summary_en="Train 40 SOC analysts in threat hunting.",
        budget_amount="100000",
    )
    assert matching.pledge_warnings(project, "50000", "EUR", user=donor) == []
    over = matching.pledge_warnings(project, "150000", "EUR", user=donor)
    assert len(over) == 1 and "over-fund" in over[0] and "100,000 EUR" in over[0]
    assert over[0].params["budget"] == Decimal("100000")  # the page writes it per language
    # Typed the Ukrainian way, the amount is read as the pledge will be: still a warning.
    for typed in ("150 000,00", "150\u00a0000,00", "150,000.00"):
        assert matching.pledge_warnings(project, typed, "EUR", user=donor) == over, typed
    assert matching.pledge_warnings(project, "not a number", "EUR", user=donor) == []
    first = pledges.create_pledge(donor, project, {"amount": "100000", "currency": "EUR"})
    pledges.transition_pledge(donor, first, "confirm")
    full = matching.pledge_warnings(project, "10", "EUR", user=donor)
    assert "already fully funded" in full[0]
    twin = desk.published(
        title_en="Training for SOC analysts",
        summary_en="A course for 40 SOC analysts in threat hunting.",
    )
    double = matching.pledge_warnings(twin, "1000", "EUR", user=donor)
    assert any(project.ref in w and "double funding" in w for w in double)
    # Without a user only projects everyone may see are compared (this one is GREEN).
    assert any("double funding" in w for w in matching.pledge_warnings(twin, None, None))


def test_pledge_warning_on_the_page_reads_the_way_its_reader_writes(client, desk):
    from tests.helpers import login, post

    project = desk.published(title_en="SOC", budget_amount="100000")
    login(client, desk.user("donor"))
    for lang, expected in (("en", "100,000 EUR"), ("uk", "100\u00a0000 EUR")):
        post(client, "/language", {"lang": lang, "next": "/"}, form_page="/")
        response = post(
            client,
            f"/projects/{project.ref}/pledges/new",
            {"amount": "150 000,00", "currency": "EUR", "date": "2026-03-01"},
        )
        html = response.get_data(as_text=True)
        assert expected in html, lang
    assert Pledge.select().count() == 0  # not saved until the donor acknowledges


def test_offer_matches_page_and_propose(client, desk):
    from tests.helpers import login, post

    project = desk.published(title_en="Starlink terminals for Kharkiv", category="connectivity")
    offer = _offer(desk)
    login(client, desk.users["back_office"])
    page = f"/offers/{offer.id}/matches"
    html = client.get(page).get_data(as_text=True)
    assert project.ref in html and "Propose" in html
    url = f"/offers/{offer.id}/matches/{project.ref}/propose"
    assert url in html  # a link to the proposal form, not a one-click pledge (#15)
    # The form asks for the amount, preset to what is needed, at most the offer's value.
    form = client.get(url).get_data(as_text=True)
    assert 'name="amount"' in form and 'value="90000.00"' in form
    assert "State Service of Special Communications" in form  # the project's owner
    # More than the project needs: the donors' over-funding warning, nothing saved …
    response = post(client, url, {"amount": "120000", "currency": "EUR"})
    assert response.status_code == 400
    assert "would over-fund the project" in response.get_data(as_text=True)
    # … and even acknowledged, not beyond what is left of the offer.
    response = post(client, url, {"amount": "120000", "currency": "EUR", "acknowledge": "y"})
    assert response.status_code == 400
    assert "The offer has only 90,000 EUR left to propose" in response.get_data(as_text=True)
    assert Pledge.select().count() == 0
    response = post(client, url, {"amount": "40000", "currency": "EUR"})
    assert response.status_code == 303
    pledge = Pledge.get()
    assert pledge.offer_id == offer.id and pledge.amount == 40000
    assert "Left of the offer to propose: 50,000.00" in client.get(page).get_data(as_text=True)
    other = client.application.test_client()
    login(other, desk.users["donor2"])
    assert other.get(page).status_code == 404
