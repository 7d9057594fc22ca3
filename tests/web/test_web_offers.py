"""Offer pages, linking offers to projects, engagements, and the project partials."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import render_template
from flask_login import login_user

from tests.helpers import login, post, row_with
from tmdesk.core import offers
from tmdesk.core.models import AuditEvent, Engagement, Offer, OfferLink, Project
from tmdesk.core.visibility import visible_offer_links


@pytest.fixture
def client(app):
    """A test client that asks for English, so amounts read 1,000.00."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _offer(desk, who="donor", **data) -> Offer:
    data = {
        "category": "equipment",
        "description": "200 Starlink terminals",
        "quantity": "200",
    } | data
    return offers.create_offer(desk.user(who), data)


def _hide(project: Project, tlp: str = "RED") -> None:
    Project.update(tlp=tlp).where(Project.id == project.id).execute()


# --- the offers list and pages -------------------------------------------------


@pytest.mark.parametrize("role", ["donor", "company", "back_office", "project_office"])
def test_offer_pages_answer_allowed_roles(client, desk, role):
    offer = _offer(desk, "donor" if role != "company" else "company")
    login(client, desk.users[role])
    assert client.get("/offers").status_code == 200
    assert client.get("/offers/new").status_code == 200
    assert client.get(f"/offers/{offer.uid}").status_code == 200
    assert client.get(f"/offers/{offer.uid}/edit").status_code == 200


@pytest.mark.parametrize("role", ["recipient", "observer"])
def test_offer_pages_forbidden_to_others(client, desk, role):
    offer = _offer(desk)
    login(client, desk.users[role])
    assert client.get("/offers").status_code == 403
    assert client.get("/offers/new").status_code == 403
    assert client.get(f"/offers/{offer.uid}").status_code == 404


def test_offers_visible_to_their_organisation_and_the_offices(client, app, desk):
    mine = _offer(desk, "donor", description="Licences for 300 endpoints")
    theirs = _offer(desk, "donor2", description="Forensics lab kit")
    login(client, desk.users["donor"])
    html = client.get("/offers").get_data(as_text=True)
    assert "Licences for 300 endpoints" in html and "Forensics lab kit" not in html
    assert client.get(f"/offers/{theirs.uid}").status_code == 404
    assert client.get(f"/offers/{theirs.uid}/edit").status_code == 404
    officer = app.test_client()
    login(officer, desk.users["back_office"])
    html = officer.get("/offers").get_data(as_text=True)
    assert "Licences for 300 endpoints" in html and "Forensics lab kit" in html
    html = officer.get("/offers?organisation=EE").get_data(as_text=True)
    assert "Forensics lab kit" in html and "Licences for 300 endpoints" not in html
    html = officer.get("/offers?q=lab").get_data(as_text=True)
    assert "Forensics lab kit" in html and "Licences" not in html
    assert mine.id != theirs.id


def test_offers_filter_by_status_and_category(client, desk):
    _offer(desk, description="Terminals", category="connectivity")
    training = _offer(desk, description="SOC analyst training", category="training")
    offers.update_offer(
        desk.user("donor"),
        training,
        {"category": "training", "description": "SOC analyst training", "status": "closed"},
    )
    login(client, desk.users["donor"])
    html = client.get("/offers?category=connectivity").get_data(as_text=True)
    assert "Terminals" in html and "SOC analyst training" not in html
    html = client.get("/offers?status=closed").get_data(as_text=True)
    assert "SOC analyst training" in html and "Terminals" not in html
    assert client.get("/offers?status=bogus&page=x").status_code == 200


def test_donor_records_an_offer_and_errors_keep_input(client, desk):
    login(client, desk.users["donor"])
    html = client.get("/offers/new").get_data(as_text=True)
    assert 'name="organisation"' not in html
    response = post(
        client,
        "/offers/new",
        {"category": "", "description": "SOC training", "quantity": "forty", "value_amount": "100"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "SOC training" in html and 'value="forty"' in html and 'value="100"' in html
    assert "Give the currency of the value." in html
    response = post(
        client,
        "/offers/new",
        {
            "category": "training",
            "description": "SOC training for 40 analysts",
            "quantity": "40",
            "value_amount": "80000",
            "value_currency": "GBP",
            "valid_until": "2026-12-31",
        },
        form_page="/offers/new",
    )
    assert response.status_code == 302
    offer = Offer.get(Offer.description == "SOC training for 40 analysts")
    assert offer.organisation.code == "GB" and offer.value_amount == Decimal("80000.00")
    assert offer.status == "open"
    assert response.location.endswith(f"/offers/{offer.uid}")


def test_officer_records_offer_for_a_company(client, desk):
    login(client, desk.users["project_office"])
    response = post(
        client, "/offers/new", {"category": "incident-response", "description": "IR retainer"}
    )
    assert response.status_code == 400
    assert "Choose the donor or company" in response.get_data(as_text=True)
    response = post(
        client,
        "/offers/new",
        {"organisation": "SECURA", "category": "incident-response", "description": "IR retainer"},
        form_page="/offers/new",
    )
    assert response.status_code == 302
    assert Offer.get(Offer.description == "IR retainer").organisation.code == "SECURA"


def test_edit_offer(client, app, desk):
    offer = _offer(desk)
    login(client, desk.users["donor"])
    path = f"/offers/{offer.uid}/edit"
    assert "200 Starlink terminals" in client.get(path).get_data(as_text=True)
    response = post(
        client,
        path,
        {
            "category": "connectivity",
            "description": "150 terminals",
            "quantity": "150",
            "status": "open",
        },
    )
    assert response.status_code == 302
    offer = Offer.get_by_id(offer.id)
    assert offer.quantity == 150 and offer.category == "connectivity"
    assert AuditEvent.select().where(AuditEvent.action == "offer.update").exists()
    other = app.test_client()
    login(other, desk.users["company"])
    assert other.get(path).status_code == 404


# --- links ---------------------------------------------------------------------


def test_officer_links_offer_by_reference_and_unlinks(client, desk):
    project = desk.published()
    offer = _offer(desk)
    login(client, desk.users["back_office"])
    path = f"/offers/{offer.uid}/links"
    response = post(
        client,
        path,
        {"ref": project.ref.lower(), "note": "fits the need"},
        form_page=f"/offers/{offer.uid}",
    )
    assert response.status_code == 302
    link = OfferLink.get(OfferLink.offer == offer.id)
    assert link.project_id == project.id and link.note == "fits the need"
    assert Offer.get_by_id(offer.id).status == "matched"
    html = client.get(f"/offers/{offer.uid}").get_data(as_text=True)
    assert project.ref in html and f"/offer-links/{link.uid}/delete" in html
    response = post(
        client,
        f"/offer-links/{link.uid}/delete",
        {"next": f"/offers/{offer.uid}"},
        form_page=f"/offers/{offer.uid}",
    )
    assert response.status_code == 302
    assert not OfferLink.select().exists()


def test_linking_to_hidden_or_missing_project_is_not_found(client, desk):
    hidden = desk.published()
    _hide(hidden)
    draft = desk.draft()
    offer = _offer(desk)
    login(client, desk.users["back_office"])
    page = f"/offers/{offer.uid}"
    for ref in (hidden.ref, draft.ref, "TM-2099-9999"):
        response = post(
            client, f"/offers/{offer.uid}/links", {"ref": ref, "note": "x"}, form_page=page
        )
        assert response.status_code == 404, ref
        html = response.get_data(as_text=True)
        assert "No project with this reference was found." in html
        assert f'value="{ref}"' in html
    assert not OfferLink.select().exists()


def test_only_officers_link_and_unlink(client, desk):
    project = desk.published()
    offer = _offer(desk)
    login(client, desk.users["donor"])
    html = client.get(f"/offers/{offer.uid}").get_data(as_text=True)
    assert "Link to a project" not in html
    response = post(
        client, f"/offers/{offer.uid}/links", {"ref": project.ref}, form_page=f"/offers/{offer.uid}"
    )
    assert response.status_code == 403
    link = offers.link_offer(desk.user("back_office"), offer, project)
    response = post(client, f"/offer-links/{link.uid}/delete", form_page=f"/offers/{offer.uid}")
    assert response.status_code == 403
    assert OfferLink.select().exists()


def test_offer_detail_hides_links_to_projects_the_user_cannot_see(client, desk):
    seen = desk.published(title_en="Visible project")
    hidden = desk.published(title_en="Secret project")
    offer = _offer(desk)
    offers.link_offer(desk.user("back_office"), offer, seen)
    offers.link_offer(desk.user("back_office"), offer, hidden)
    _hide(hidden)
    login(client, desk.users["donor"])
    html = client.get(f"/offers/{offer.uid}").get_data(as_text=True)
    assert seen.ref in html and hidden.ref not in html
    html = client.get("/offers").get_data(as_text=True)
    # one linked project counted, not two
    assert row_with(html, offer.description).cell("Projects linked").text == "1"
    link = OfferLink.get(OfferLink.project == hidden.id)
    # the link to the hidden project answers 404, not 403
    assert post(client, f"/offer-links/{link.uid}/delete", form_page="/offers").status_code == 404


def test_link_from_the_project_page(client, desk):
    project = desk.published()
    offer = _offer(desk)
    login(client, desk.users["project_office"])
    response = post(
        client,
        f"/projects/{project.ref}/offer-links",
        {"olink-offer": offer.uid, "olink-note": "from the project page"},
        form_page="/offers",
    )
    assert response.status_code == 302
    assert OfferLink.get(OfferLink.project == project.id).note == "from the project page"
    hidden = desk.published()
    _hide(hidden)
    response = post(
        client,
        f"/projects/{hidden.ref}/offer-links",
        {"olink-offer": offer.uid},
        form_page="/offers",
    )
    assert response.status_code == 404


# --- engagements -------------------------------------------------------------------


def test_officer_adds_edits_and_removes_an_engagement(client, desk):
    project = desk.published()
    login(client, desk.users["back_office"])
    assert client.get(f"/projects/{project.ref}/engagements/new").status_code == 200
    path = f"/projects/{project.ref}/engagements"
    typed = {
        "eng-company": "CYBERCO",
        "eng-role": "SOC deployment",
        "eng-contract_amount": "120000",
        "eng-start_date": "2026-05-01",
    }
    response = post(client, path, typed | {"eng-end_date": "2026-04-01"}, form_page=f"{path}/new")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="SOC deployment"' in html and 'value="120000"' in html
    assert "Give the currency of the contract value." in html
    assert "The end date is before the start date." in html
    response = post(client, path, typed | {"eng-contract_currency": "EUR"}, form_page=f"{path}/new")
    assert response.status_code == 302
    engagement = Engagement.get(Engagement.project == project.id)
    assert engagement.company.code == "CYBERCO"
    assert engagement.contract_amount == Decimal("120000.00")
    edit = f"/engagements/{engagement.uid}/edit"
    assert 'value="SOC deployment"' in client.get(edit).get_data(as_text=True)
    response = post(
        client,
        edit,
        {
            "eng-role": "SOC deployment and training",
            "eng-contract_amount": "",
            "eng-start_date": "2026-05-01",
        },
    )
    assert response.status_code == 302
    engagement = Engagement.get_by_id(engagement.id)
    assert engagement.role == "SOC deployment and training"
    assert engagement.contract_amount is None
    response = post(client, f"/engagements/{engagement.uid}/delete", form_page=edit)
    assert response.status_code == 302
    assert not Engagement.select().exists()
    assert AuditEvent.select().where(AuditEvent.action == "engagement.delete").exists()


@pytest.mark.parametrize("role", ["donor", "recipient", "company", "observer"])
def test_others_cannot_manage_engagements(client, desk, role):
    project = desk.published()
    engagement = offers.create_engagement(
        desk.user("back_office"), project, "CYBERCO", {"role": "Training"}
    )
    login(client, desk.users[role])
    assert client.get(f"/projects/{project.ref}/engagements/new").status_code == 403
    assert client.get(f"/engagements/{engagement.uid}/edit").status_code == 403
    response = post(client, f"/engagements/{engagement.uid}/delete", form_page="/")
    assert response.status_code == 403
    response = post(
        client,
        f"/projects/{project.ref}/engagements",
        {"eng-company": "SECURA", "eng-role": "x"},
        form_page="/",
    )
    assert response.status_code == 403
    assert Engagement.select().count() == 1


def test_engagement_on_hidden_project_is_404(client, desk):
    project = desk.published()
    engagement = offers.create_engagement(
        desk.user("back_office"), project, "CYBERCO", {"role": "Training"}
    )
    _hide(project)
    login(client, desk.users["back_office"])
    assert client.get(f"/projects/{project.ref}/engagements/new").status_code == 404
    assert client.get(f"/engagements/{engagement.uid}/edit").status_code == 404
    assert post(client, f"/engagements/{engagement.uid}/delete", form_page="/").status_code == 404


# --- the project page partials --------------------------------------------------------


def _render(app, user, template, **context):
    with app.test_request_context("/projects/x", headers={"Accept-Language": "en"}):
        login_user(user)
        return render_template(template, **context)


def _offers_partial(app, user, project, links) -> str:
    """The project page's offers section as ``user`` sees it."""
    return _render(app, user, "offers/_project_offers.html", project=project, offer_links=links)


def _engagements_partial(app, user, project, items) -> str:
    """The project page's engagements section as ``user`` sees it."""
    return _render(
        app, user, "offers/_project_engagements.html", project=project, engagements=items
    )


def test_offers_partial(app, desk):
    project = desk.published()
    offer = _offer(desk)
    other = _offer(desk, "company", description="Pentest for 3 sites")
    empty = _offers_partial(app, desk.user("donor"), project, [])
    assert "<h2" in empty and "No offers linked" in empty
    assert "olink-offer" not in empty  # donors do not link offers
    officer_empty = _offers_partial(app, desk.user("back_office"), project, [])
    assert "olink-offer" in officer_empty and "Pentest for 3 sites" in officer_empty
    link = offers.link_offer(desk.user("back_office"), offer, project)
    links = list(OfferLink.select().where(OfferLink.project == project.id))
    officer = _offers_partial(app, desk.user("back_office"), project, links)
    assert "200 Starlink terminals" in officer and f"/offer-links/{link.uid}/delete" in officer
    # a linked offer is no longer offered in the form; the other one still is
    assert f'value="{offer.uid}"' not in officer and f'value="{other.uid}"' in officer
    donor = _offers_partial(app, desk.user("donor"), project, links)
    assert f"/offers/{offer.uid}" in donor and "/delete" not in donor
    # Another donor is given only the links to offers it may see (none): the
    # offer's details stay with its organisation and the offices (issue #12).
    theirs = list(visible_offer_links(desk.user("donor2"), OfferLink.select()))
    donor2 = _offers_partial(app, desk.user("donor2"), project, theirs)
    assert not theirs and "200 Starlink terminals" not in donor2


def test_engagements_partial(app, desk):
    project = desk.published()
    empty = _engagements_partial(app, desk.user("back_office"), project, [])
    assert "<h2" in empty and "No company is engaged" in empty and "eng-company" in empty
    engagement = offers.create_engagement(
        desk.user("back_office"),
        project,
        "CYBERCO",
        {
            "role": "SOC deployment",
            "contract_amount": "1000",
            "contract_currency": "EUR",
            "start_date": "2026-01-05",
        },
    )
    items = list(Engagement.select().where(Engagement.project == project.id))
    officer = _engagements_partial(app, desk.user("back_office"), project, items)
    assert "CyberCo LLC" in officer and "SOC deployment" in officer and "1,000.00 EUR" in officer
    assert f"/engagements/{engagement.uid}/edit" in officer
    assert f"/engagements/{engagement.uid}/delete" in officer
    donor = _engagements_partial(app, desk.user("donor"), project, items)
    assert "CyberCo LLC" in donor and "/edit" not in donor and "eng-company" not in donor


def test_offer_page_leads_to_its_matches(client, desk):
    desk.published(title_en="Starlink terminals for frontline hromadas", category="equipment")
    offer = _offer(desk)
    login(client, desk.users["back_office"])
    html = client.get(f"/offers/{offer.uid}").get_data(as_text=True)
    matches_url = f"/offers/{offer.uid}/matches"
    assert matches_url in html
    assert "Starlink terminals for frontline" in client.get(matches_url).get_data(as_text=True)
