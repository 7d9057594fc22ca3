"""Pledge pages: pledging, editing, lifecycle steps, the pledges list and the project partial."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import render_template
from flask_login import login_user

from tests.helpers import login, post
from tmdesk.core import offers, pledges
from tmdesk.core.models import AuditEvent, Pledge, Project


@pytest.fixture
def client(app):
    """A test client that asks for English, so amounts read 1,000.00."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _hide(project: Project, tlp: str = "AMBER+STRICT") -> None:
    """Make a published project hidden from donors (tests only: the label is fixed later)."""
    Project.update(tlp=tlp).where(Project.id == project.id).execute()


def _pledge(desk, project, donor="donor", **data) -> Pledge:
    data = {"amount": "1000", "currency": "EUR"} | data
    return pledges.create_pledge(desk.user(donor), project, data)


def test_donor_pledges_money_and_in_kind(client, desk):
    project = desk.published()
    login(client, desk.users["donor"])
    path = f"/projects/{project.ref}/pledges/new"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="donor"' not in html  # donors pledge for their own organisation
    assert 'for="amount"' in html and 'for="in_kind"' in html
    response = post(
        client,
        path,
        {
            "amount": "25 000,50",
            "currency": "GBP",
            "date": "2026-03-01",
            "in_kind": "Laptops",
            "in_kind_quantity": "40",
        },
    )
    assert response.status_code == 302
    pledge = Pledge.get(Pledge.project == project.id)
    assert pledge.donor.code == "GB" and pledge.amount == Decimal("25000.50")
    assert pledge.currency == "GBP" and pledge.in_kind == "Laptops"
    assert pledge.in_kind_quantity == 40 and pledge.status == "offered"
    assert AuditEvent.select().where(AuditEvent.action == "pledge.create").exists()


def test_pledge_form_errors_keep_what_was_typed(client, desk):
    project = desk.published()
    login(client, desk.users["donor"])
    response = post(
        client,
        f"/projects/{project.ref}/pledges/new",
        {
            "amount": "12abc",
            "currency": "USD",
            "in_kind": "Starlink terminals",
            "in_kind_quantity": "many",
            "note": "via embassy",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="12abc"' in html and "Starlink terminals" in html
    assert 'value="many"' in html and "via embassy" in html
    assert '<option selected value="USD">' in html or 'value="USD" selected' in html
    assert 'id="amount-error"' in html and 'id="in_kind_quantity-error"' in html
    assert "error-summary" in html
    assert not Pledge.select().exists()
    # Nothing at all pledged: the message is on the amount.
    response = post(client, f"/projects/{project.ref}/pledges/new", {"currency": "EUR"})
    assert response.status_code == 400
    assert "Pledge an amount, in-kind support, or both." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["back_office", "project_office"])
def test_officer_records_a_pledge_for_a_donor(client, desk, role):
    project = desk.published()
    login(client, desk.users[role])
    path = f"/projects/{project.ref}/pledges/new"
    html = client.get(path).get_data(as_text=True)
    assert 'name="donor"' in html and 'value="EE"' in html
    response = post(client, path, {"amount": "500", "currency": "EUR"})
    assert response.status_code == 400
    assert "Choose the donor organisation." in response.get_data(as_text=True)
    response = post(client, path, {"donor": "EE", "amount": "500", "currency": "EUR"})
    assert response.status_code == 302
    pledge = Pledge.get(Pledge.project == project.id)
    assert pledge.donor.code == "EE" and pledge.created_by_id == desk.users[role].id


@pytest.mark.parametrize("role", ["recipient", "observer", "company"])
def test_other_roles_cannot_pledge(client, desk, role):
    project = desk.published()
    login(client, desk.users[role])
    assert client.get(f"/projects/{project.ref}/pledges/new").status_code == 403


def test_unpublished_project_takes_no_pledge(client, desk):
    project = desk.draft()
    login(client, desk.users["back_office"])
    # a draft is hidden from the offices: 404, and a submitted one refuses pledges (403)
    assert client.get(f"/projects/{project.ref}/pledges/new").status_code == 404
    from tmdesk.core import projects

    projects.transition(desk.user("recipient"), project, "submit")
    assert client.get(f"/projects/{project.ref}/pledges/new").status_code == 403


def test_pledge_on_hidden_project_is_404(client, desk):
    project = desk.published()
    pledge = _pledge(desk, project)
    _hide(project)
    login(client, desk.users["donor"])
    assert client.get(f"/projects/{project.ref}/pledges/new").status_code == 404
    assert client.get(f"/pledges/{pledge.uid}/edit").status_code == 404
    response = post(
        client, f"/pledges/{pledge.uid}/transition", {"action": "confirm"}, form_page="/pledges"
    )
    assert response.status_code == 404
    assert Pledge.get_by_id(pledge.id).status == "offered"
    assert client.get("/pledges/999999/edit").status_code == 404


def test_donor_cannot_act_on_another_donors_pledge(client, desk):
    project = desk.published()
    pledge = _pledge(desk, project, donor="donor")
    login(client, desk.users["donor2"])
    assert client.get(f"/pledges/{pledge.uid}/edit").status_code == 403
    for action in ("confirm", "withdraw"):
        response = post(
            client, f"/pledges/{pledge.uid}/transition", {"action": action}, form_page="/pledges"
        )
        assert response.status_code == 403
    response = post(
        client,
        f"/pledges/{pledge.uid}/edit",
        {"amount": "1", "currency": "EUR"},
        form_page="/pledges",
    )
    assert response.status_code == 403
    pledge = Pledge.get_by_id(pledge.id)
    assert pledge.status == "offered" and pledge.amount == Decimal("1000.00")


def test_edit_offered_pledge_only(client, desk):
    project = desk.published()
    pledge = _pledge(desk, project, in_kind="Licences")
    login(client, desk.users["donor"])
    path = f"/pledges/{pledge.uid}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'value="1000.00"' in html and "Licences" in html
    response = post(client, path, {"amount": "abc", "currency": "EUR", "in_kind": "Licences"})
    assert response.status_code == 400
    assert 'value="abc"' in response.get_data(as_text=True)
    response = post(client, path, {"amount": "2000", "currency": "EUR", "in_kind": "Licences"})
    assert response.status_code == 302
    assert Pledge.get_by_id(pledge.id).amount == Decimal("2000.00")
    pledges.transition_pledge(desk.user("donor"), Pledge.get_by_id(pledge.id), "confirm")
    assert client.get(path).status_code == 409


def test_lifecycle_through_the_page(client, desk):
    project = desk.published()
    pledge = _pledge(desk, project)
    login(client, desk.users["donor"])
    path = f"/pledges/{pledge.uid}/transition"
    # an illegal step is refused with a message, nothing changes
    response = post(
        client,
        path,
        {"action": "disburse", "next": "/pledges"},
        form_page="/pledges",
        follow_redirects=True,
    )
    assert "cannot be sent to" in response.get_data(as_text=True)
    assert Pledge.get_by_id(pledge.id).status == "offered"
    response = post(client, path, {"action": "confirm", "next": "/pledges"}, form_page="/pledges")
    assert response.status_code == 302 and response.location.endswith("/pledges")
    assert Pledge.get_by_id(pledge.id).status == "confirmed"
    post(client, path, {"action": "disburse"}, form_page="/pledges")
    assert Pledge.get_by_id(pledge.id).status == "disbursed"
    # an outside "next" is not followed
    pledge2 = _pledge(desk, project)
    response = post(
        client,
        f"/pledges/{pledge2.uid}/transition",
        {"action": "withdraw", "next": "https://evil.example/"},
        form_page="/pledges",
    )
    assert "evil" not in response.location
    assert Pledge.get_by_id(pledge2.id).status == "withdrawn"


def test_transition_is_post_only(client, desk):
    pledge = _pledge(desk, desk.published())
    login(client, desk.users["donor"])
    assert client.get(f"/pledges/{pledge.uid}/transition").status_code == 405


def test_my_pledges_lists_own_with_totals(client, desk):
    p1 = desk.published()
    p2 = desk.published(title_en="Starlink terminals for oblast administrations")
    a = _pledge(desk, p1, amount="1000", currency="EUR")
    b = _pledge(desk, p2, amount="2000", currency="USD")
    pledges.transition_pledge(desk.user("donor"), b, "confirm")
    _pledge(desk, p1, donor="donor2", amount="777", currency="EUR")
    withdrawn = _pledge(desk, p2, amount="5000", currency="EUR")
    pledges.transition_pledge(desk.user("donor"), withdrawn, "withdraw")
    login(client, desk.users["donor"])
    response = client.get("/pledges")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert p1.ref in html and p2.ref in html
    assert "777" not in html  # the other donor's pledge
    assert "1,000.00 EUR" in html and "2,000.00 USD" in html
    # EUR totals: pledged 1000 + 2000 * 0.92 = 2840, confirmed 1840 (withdrawn excluded)
    assert "2,840.00 EUR" in html and "1,840.00 EUR" in html
    html = client.get("/pledges?status=confirmed").get_data(as_text=True)
    assert f"/pledges/{a.uid}/edit" not in html and "2,000.00 USD" in html


def test_pledges_list_leaves_out_hidden_projects(app, desk):
    visible = desk.published()
    hidden = desk.published(title_en="Hidden grid project")
    _pledge(desk, visible, amount="1000")
    _pledge(desk, hidden, amount="99999")
    _hide(hidden, "RED")  # RED: only named users, and no officer or donor is named
    for role in ("donor", "back_office"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(client, desk.users[role])
        html = client.get("/pledges").get_data(as_text=True)
        assert hidden.ref not in html and "99,999" not in html, role
        assert visible.ref in html
        assert "1,000.00 EUR" in html


def test_officer_sees_all_visible_pledges_and_filters_by_donor(client, desk):
    project = desk.published()
    _pledge(desk, project, donor="donor", amount="111")
    _pledge(desk, project, donor="donor2", amount="222")
    login(client, desk.users["project_office"])
    html = client.get("/pledges").get_data(as_text=True)
    assert "111.00" in html and "222.00" in html
    html = client.get("/pledges?donor=EE").get_data(as_text=True)
    assert "222.00" in html and "111.00" not in html


@pytest.mark.parametrize("role", ["recipient", "observer", "company"])
def test_pledges_list_forbidden_for_other_roles(client, desk, role):
    login(client, desk.users[role])
    assert client.get("/pledges").status_code == 403


def test_pledges_list_paginates(client, desk, monkeypatch):
    from tmdesk.web import pledges as web_pledges

    project = desk.published()
    for i in range(3):
        _pledge(desk, project, amount=str(100 + i))
    monkeypatch.setattr(web_pledges, "PER_PAGE", 2)
    login(client, desk.users["donor"])
    html = client.get("/pledges").get_data(as_text=True)
    assert 'rel="next"' in html and "3 pledges" in html
    html = client.get("/pledges?page=2").get_data(as_text=True)
    assert 'rel="prev"' in html and "100.00 EUR" in html


def test_offer_turned_into_pledge(client, desk):
    project = desk.published()
    offer = offers.create_offer(
        desk.user("donor"),
        {"category": "equipment", "description": "200 Starlink terminals", "quantity": "200"},
    )
    login(client, desk.users["donor"])
    path = f"/projects/{project.ref}/pledges/new?offer={offer.uid}"
    html = client.get(path).get_data(as_text=True)
    assert "200 Starlink terminals" in html and 'value="200"' in html
    response = post(client, path, {"in_kind": "200 Starlink terminals", "in_kind_quantity": "200"})
    assert response.status_code == 302
    assert Pledge.get(Pledge.project == project.id).offer_id == offer.id


def _render_partial(app, user, project):
    with app.test_request_context(f"/projects/{project.ref}", headers={"Accept-Language": "en"}):
        login_user(user)
        items = list(
            Pledge.select()
            .where(Pledge.project == project.id)
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        )
        return render_template("pledges/_project_pledges.html", project=project, pledges=items)


def test_project_partial_shows_actions_the_user_may_take(app, desk):
    project = desk.published()
    empty = _render_partial(app, desk.user("donor"), project)
    assert "<h2" in empty and "No pledges yet." in empty
    assert f"/projects/{project.ref}/pledges/new" in empty and "Pledge support" in empty
    pledge = _pledge(desk, project, in_kind="Training places", in_kind_quantity="12")
    own = _render_partial(app, desk.user("donor"), project)
    assert "United Kingdom" in own and "1,000.00 EUR" in own and "Training places" in own
    assert "× 12" in own and "tag-offered" in own
    # Confirming is recording a commitment (a form with amount and date), not a button.
    assert f"/pledges/{pledge.uid}/transactions/new?kind=commitment" in own
    assert 'value="confirm"' not in own
    assert 'value="withdraw"' in own and f"/pledges/{pledge.uid}/edit" in own
    assert "kind=disbursement" not in own  # nothing committed yet
    other = _render_partial(app, desk.user("donor2"), project)
    assert "United Kingdom" in other and f"/pledges/{pledge.uid}/transition" not in other
    observer = _render_partial(app, desk.user("observer"), project)
    assert "Pledge support" not in observer and "/transition" not in observer
    officer = _render_partial(app, desk.user("back_office"), project)
    assert f"/pledges/{pledge.uid}/transition" in officer and "Pledge support" in officer


def test_pledge_warnings_shown_and_must_be_acknowledged(app, desk):
    """Over-funding is warned about before anything is saved (issue #4)."""
    from tests.helpers import login, post
    from tmdesk.core.models import Pledge

    project = desk.published(budget_amount="1000")
    client = app.test_client()
    login(client, desk.users["donor"])
    path = f"/projects/{project.ref}/pledges/new"
    response = post(client, path, {"amount": "5000", "currency": "EUR"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "over-fund" in page and 'value="5000"' in page
    assert Pledge.select().count() == 0
    response = post(client, path, {"amount": "5000", "currency": "EUR", "acknowledge": "y"})
    assert response.status_code == 302
    assert Pledge.select().count() == 1
    # A modest pledge on a project with room left needs no acknowledgement.
    other = desk.published(budget_amount="100000", title_en="Other need")
    assert (
        post(
            client, f"/projects/{other.ref}/pledges/new", {"amount": "100", "currency": "EUR"}
        ).status_code
        == 302
    )
