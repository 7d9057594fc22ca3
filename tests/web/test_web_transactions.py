"""Money over time on the pages and the API (issue #16): the pledge page, "Record a
disbursement" with amount and date, committed and disbursed by year, dated rates."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.api.test_api import Api
from tests.helpers import login, post, row_headers
from tmdesk.core import pledges, transactions
from tmdesk.core.models import Pledge, Transaction, utcnow


def _committed_pledge(desk, tlp="GREEN"):
    project = desk.published(budget_amount="100000", budget_currency="EUR", tlp=tlp)
    gb = desk.user("donor")
    pledge = pledges.create_pledge(gb, project, {"amount": "30000", "currency": "EUR"})
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "30000", "value_date": "2025-03-01"}
    )
    return Pledge.get_by_id(pledge.id)


def test_record_a_disbursement_defaults_to_the_remainder_and_today(client, desk):
    pledge = _committed_pledge(desk)
    login(client, desk.users["donor"])
    page = client.get(f"/pledges/{pledge.uid}").get_data(as_text=True)
    assert "Committed" in page and "30,000.00 EUR" in page
    assert f"/pledges/{pledge.uid}/transactions/new?kind=disbursement" in page
    path = f"/pledges/{pledge.uid}/transactions/new?kind=disbursement"
    form = client.get(path).get_data(as_text=True)
    assert 'value="30000.00"' in form and f'value="{utcnow().date().isoformat()}"' in form
    response = post(
        client,
        path,
        {
            "kind": "disbursement",
            "amount": "12000",
            "currency": "EUR",
            "value_date": "2025-09-30",
            "reference": "PAY-2025-17",
            "note": "First tranche",
        },
    )
    assert response.status_code == 302
    assert Pledge.get_by_id(pledge.id).status == "partly_disbursed"
    page = client.get(f"/pledges/{pledge.uid}").get_data(as_text=True)
    assert "PAY-2025-17" in page and "Partly disbursed" in page
    # The second tranche form starts at what remains.
    assert 'value="18000.00"' in client.get(path).get_data(as_text=True)
    # The project page shows committed and disbursed separately, by year.
    project_page = client.get(f"/projects/{pledge.project.ref}").get_data(as_text=True)
    assert re.search(
        r'class="flows-committed">30,000 EUR|class="flows-committed">€30,000', project_page
    )
    assert "money-by-year" in project_page
    assert "2025" in row_headers(project_page)


def test_a_fully_committed_pledge_says_why_its_amount_is_empty(client, desk):
    pledge = _committed_pledge(desk)  # 30,000 pledged, 30,000 committed
    login(client, desk.users["donor"])
    form = client.get(f"/pledges/{pledge.uid}/transactions/new?kind=commitment")
    html = form.get_data(as_text=True)
    assert "Nothing of the pledge remains for this" in html
    assert "Filled in with what remains" not in html
    assert re.search(r'name="amount"[^>]*value=""', html)
    # What remains to disburse is filled in, and said so.
    html = client.get(f"/pledges/{pledge.uid}/transactions/new?kind=disbursement").get_data(
        as_text=True
    )
    assert "Filled in with what remains" in html and "Nothing of the pledge" not in html


def test_bad_amount_is_shown_on_the_form_not_a_500(client, desk):
    pledge = _committed_pledge(desk)
    login(client, desk.users["donor"])
    path = f"/pledges/{pledge.uid}/transactions/new"
    response = post(
        client,
        path,
        {"kind": "disbursement", "amount": "99999", "currency": "EUR", "value_date": "2025-09-30"},
    )
    assert response.status_code == 400
    assert "disburses more than is committed" in response.get_data(as_text=True)
    assert Transaction.select().count() == 1


def test_other_donor_and_hidden_projects(app, client, desk):
    pledge = _committed_pledge(desk, tlp="AMBER")
    login(client, desk.users["donor2"])
    assert client.get(f"/pledges/{pledge.uid}/transactions/new").status_code == 403
    client = app.test_client()
    login(client, desk.users["observer"])  # may not see AMBER
    assert client.get(f"/pledges/{pledge.uid}").status_code == 404
    commitment = Transaction.get()
    response = post(client, f"/transactions/{commitment.uid}/delete", {}, form_page="/")
    assert response.status_code == 404
    assert Transaction.select().count() == 1


def test_remove_a_transaction_recorded_in_error(client, desk):
    pledge = _committed_pledge(desk)
    commitment = Transaction.get()
    login(client, desk.users["donor"])
    response = post(
        client, f"/transactions/{commitment.uid}/delete", {}, form_page=f"/pledges/{pledge.uid}"
    )
    assert response.status_code == 302
    assert Pledge.get_by_id(pledge.id).status == "offered"
    assert not Transaction.select().exists()


def test_ukrainian_pledge_page(client, desk):
    pledge = _committed_pledge(desk)
    login(client, desk.users["donor"])
    page = client.get(f"/pledges/{pledge.uid}", headers={"Accept-Language": "uk"}).get_data(
        as_text=True
    )
    assert "Транзакції" in page and "Зобов’язання" in page


def test_dashboard_shows_money_by_year(client, desk):
    _committed_pledge(desk)
    login(client, desk.users["back_office"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Committed and disbursed by year" in page
    assert "2025" in row_headers(page)


def test_rates_page_shows_dated_rates(client, desk):
    login(client, desk.users["admin"])
    response = post(
        client,
        "/admin/rates/GBP",
        {"rate": "1.15", "effective_from": "2025-07-01"},
    )
    assert response.status_code == 302
    page = client.get("/admin/rates").get_data(as_text=True)
    assert "Rates over time" in page and "1.15" in page and "Jul 1, 2025" in page


def test_api_transactions(client, desk):
    api = Api(client, desk)
    pledge = _committed_pledge(desk)
    path = f"/pledges/{pledge.uid}/transactions"
    created = api.post(
        "donor",
        path,
        {
            "kind": "disbursement",
            "amount": "30000.00",
            "value_date": "2026-01-15",
            "reference": "R1",
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "disbursement" and created.json["currency"] == "EUR"
    listed = api.get("observer", path).json
    assert listed["status"] == "disbursed" and listed["disbursed"] == "30000.00"
    assert [t["kind"] for t in listed["items"]] == ["commitment", "disbursement"]
    bad = api.post("donor", path, {"kind": "disbursement", "amount": "1"})
    assert bad.status_code == 422 and "amount" in bad.json["fields"]
    assert api.post("donor2", path, {"kind": "commitment", "amount": "1"}).status_code == 403
    assert api.get("donor", "/pledges/999999/transactions").status_code == 404
    assert Transaction.select().count() == 2
    assert transactions.disbursed(Pledge.get_by_id(pledge.id)) == Decimal("30000.00")
