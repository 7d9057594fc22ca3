"""Core rules for pledges: validation, who may pledge, the lifecycle, and funding effects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tmdesk.core import funding, pledges, projects
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.models import AuditEvent, Pledge

# --- validation -------------------------------------------------------------------


def test_clean_money_pledge():
    out = pledges.clean_pledge_data(
        {"amount": "12 500,50", "currency": "UAH", "date": "2026-02-01"}
    )
    assert out["amount"] == Decimal("12500.50") and out["currency"] == "UAH"
    assert out["date"] == dt.date(2026, 2, 1) and out["in_kind"] == ""


def test_clean_in_kind_only_pledge_defaults_date_to_today():
    out = pledges.clean_pledge_data(
        {"in_kind": "Starlink terminals", "in_kind_quantity": "200", "currency": "EUR"}
    )
    assert out["amount"] is None and out["currency"] is None
    assert out["in_kind_quantity"] == 200
    assert out["date"] == dt.datetime.now(dt.UTC).date()


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "amount"),
        ({"amount": "100"}, "currency"),
        ({"amount": "-5", "currency": "EUR"}, "amount"),
        ({"amount": "0", "currency": "EUR"}, "amount"),
        ({"amount": "1.001", "currency": "EUR"}, "amount"),
        ({"amount": "abc", "currency": "EUR"}, "amount"),
        ({"amount": "1e40", "currency": "EUR"}, "amount"),
        ({"amount": "10", "currency": "XXX"}, "currency"),
        ({"amount": "10", "currency": "EUR", "date": "31/12/2026"}, "date"),
        ({"amount": "10", "currency": "EUR", "date": "1850-01-01"}, "date"),
        ({"amount": "10", "currency": "EUR", "in_kind_quantity": "3"}, "in_kind"),
        ({"in_kind": "Laptops", "in_kind_quantity": "0"}, "in_kind_quantity"),
        ({"in_kind": "x" * 2001}, "in_kind"),
    ],
)
def test_invalid_pledges_name_the_field(data, field):
    with pytest.raises(ValidationError) as exc:
        pledges.clean_pledge_data(data)
    assert field in exc.value.fields


def test_all_problems_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        pledges.clean_pledge_data({"amount": "x", "currency": "ZZZ", "date": "nope"})
    assert {"amount", "currency", "date"} <= set(exc.value.fields)


# --- who may pledge -----------------------------------------------------------------


def test_donor_pledges_for_own_organisation(desk):
    project = desk.published()
    pledge = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "1000", "currency": "EUR"}
    )
    assert pledge.donor.code == "GB" and pledge.status == "offered"
    event = AuditEvent.get(AuditEvent.action == "pledge.create")
    assert event.entity_id == str(pledge.id) and event.user_email == "donor@example.org"
    with pytest.raises(PermissionDenied):
        pledges.create_pledge(
            desk.user("donor"), project, {"amount": "1", "currency": "EUR"}, donor_code="EE"
        )


def test_officer_names_the_donor(desk):
    project = desk.published()
    officer = desk.user("back_office")
    with pytest.raises(ValidationError) as exc:
        pledges.create_pledge(officer, project, {"amount": "1", "currency": "EUR"})
    assert "donor" in exc.value.fields
    with pytest.raises(ValidationError):  # a company is not a donor
        pledges.create_pledge(
            officer, project, {"amount": "1", "currency": "EUR"}, donor_code="CYBERCO"
        )
    pledge = pledges.create_pledge(
        officer, project, {"amount": "1", "currency": "EUR"}, donor_code="EE"
    )
    assert pledge.donor.code == "EE"


def test_missing_donor_and_bad_values_are_reported_together(desk):
    project = desk.published()
    with pytest.raises(ValidationError) as exc:
        pledges.create_pledge(desk.user("back_office"), project, {"amount": "12abc"})
    assert {"donor", "amount"} <= set(exc.value.fields)


def test_missing_company_and_bad_values_are_reported_together(desk):
    from tmdesk.core import offers

    project = desk.published()
    with pytest.raises(ValidationError) as exc:
        offers.create_engagement(desk.user("back_office"), project, "", {"role": ""})
    assert {"company", "role"} <= set(exc.value.fields)
    with pytest.raises(ValidationError) as exc:
        offers.create_offer(desk.user("back_office"), {"description": ""}, org_code="")
    assert {"organisation", "description", "category"} <= set(exc.value.fields)


@pytest.mark.parametrize("role", ["recipient", "observer", "company"])
def test_other_roles_cannot_pledge(desk, role):
    project = desk.published()
    with pytest.raises(PermissionDenied):
        pledges.create_pledge(desk.user(role), project, {"amount": "1", "currency": "EUR"})


def test_only_published_projects_take_pledges(desk):
    project = desk.draft()
    with pytest.raises(TransitionError):
        pledges.create_pledge(desk.user("donor"), project, {"amount": "1", "currency": "EUR"})
    projects.transition(desk.user("recipient"), project, "submit")
    with pytest.raises(TransitionError):
        pledges.create_pledge(desk.user("donor"), project, {"amount": "1", "currency": "EUR"})


# --- lifecycle ----------------------------------------------------------------------


def _money(desk, donor="donor", **data):
    project = desk.published()
    return pledges.create_pledge(
        desk.user(donor), project, {"amount": "1000", "currency": "EUR"} | data
    )


def test_money_lifecycle(desk):
    pledge = _money(desk)
    user = desk.user("donor")
    # Money moves through recorded transactions; the only plain button is Withdraw.
    assert [a for a, _ in pledges.available_pledge_actions(user, pledge)] == ["withdraw"]
    pledges.transition_pledge(user, pledge, "confirm")
    assert pledge.status == "confirmed"
    assert [a for a, _ in pledges.available_pledge_actions(user, pledge)] == ["withdraw"]
    pledges.transition_pledge(user, pledge, "disburse")
    assert Pledge.get_by_id(pledge.id).status == "disbursed"
    assert pledges.available_pledge_actions(user, pledge) == []
    actions = [
        (e.entity_type, e.action)
        for e in AuditEvent.select()
        .where(AuditEvent.entity_type.in_(["pledge", "transaction"]))
        .order_by(AuditEvent.id)
    ]
    assert actions == [
        ("pledge", "pledge.create"),
        ("transaction", "transaction.create"),
        ("pledge", "pledge.status"),
        ("transaction", "transaction.create"),
        ("pledge", "pledge.status"),
    ]


def test_in_kind_lifecycle_is_delivered_not_disbursed(desk):
    project = desk.published()
    user = desk.user("donor")
    pledge = pledges.create_pledge(user, project, {"in_kind": "Laptops", "in_kind_quantity": "5"})
    pledges.transition_pledge(user, pledge, "confirm")
    assert [a for a, _ in pledges.available_pledge_actions(user, pledge)] == ["withdraw"]
    pledges.transition_pledge(user, pledge, "deliver")
    assert pledge.status == "delivered"


@pytest.mark.parametrize(
    "path, illegal",
    [
        ((), "disburse"),
        ((), "deliver"),
        (("confirm",), "confirm"),
        (("confirm", "disburse"), "withdraw"),
        (("confirm", "disburse"), "confirm"),
        (("withdraw",), "confirm"),
        (("withdraw",), "withdraw"),
    ],
)
def test_illegal_steps_are_refused_without_change(desk, path, illegal):
    pledge = _money(desk)
    user = desk.user("donor")
    for action in path:
        pledges.transition_pledge(user, pledge, action)
    status = Pledge.get_by_id(pledge.id).status
    with pytest.raises(TransitionError) as exc:
        pledges.transition_pledge(user, pledge, illegal)
    assert "cannot be sent to" in str(exc.value)
    assert Pledge.get_by_id(pledge.id).status == status


def test_unknown_action(desk):
    pledge = _money(desk)
    with pytest.raises(TransitionError):
        pledges.transition_pledge(desk.user("donor"), pledge, "explode")


def test_another_donor_may_not_touch_the_pledge(desk):
    pledge = _money(desk)
    other = desk.user("donor2")
    assert pledges.available_pledge_actions(other, pledge) == []
    with pytest.raises(PermissionDenied):
        pledges.transition_pledge(other, pledge, "confirm")
    with pytest.raises(PermissionDenied):
        pledges.update_pledge(other, pledge, {"amount": "1", "currency": "EUR"})
    assert Pledge.get_by_id(pledge.id).status == "offered"


def test_offices_act_for_the_donor(desk):
    pledge = _money(desk)
    pledges.transition_pledge(desk.user("project_office"), pledge, "confirm")
    assert pledge.status == "confirmed"


def test_only_offered_pledges_are_edited(desk):
    pledge = _money(desk)
    user = desk.user("donor")
    pledges.update_pledge(user, pledge, {"amount": "1500", "currency": "USD"})
    pledge = Pledge.get_by_id(pledge.id)
    assert pledge.amount == Decimal("1500.00") and pledge.currency == "USD"
    pledges.transition_pledge(user, pledge, "confirm")
    with pytest.raises(TransitionError):
        pledges.update_pledge(user, pledge, {"amount": "1", "currency": "EUR"})


def test_confirming_moves_funding_and_withdrawing_moves_it_back(desk):
    project = desk.published(budget_amount="2000", budget_currency="EUR")
    user = desk.user("donor")
    pledge = pledges.create_pledge(user, project, {"amount": "2000", "currency": "EUR"})
    f = funding.project_funding(project)
    assert f.state == "unfunded" and f.pledged_eur == Decimal("2000")
    pledges.transition_pledge(user, pledge, "confirm")
    assert funding.project_funding(project).state == "fully"
    pledges.transition_pledge(user, pledge, "withdraw")
    f = funding.project_funding(project)
    assert f.state == "unfunded" and f.pledged_eur == 0


def test_in_kind_only_pledge_cannot_be_disbursed_and_money_cannot_be_delivered(desk):
    from tmdesk.core import pledges as pledge_service
    from tmdesk.core.errors import TransitionError

    project = desk.published()
    donor = desk.user("donor")
    goods = pledge_service.create_pledge(
        donor, project, {"in_kind": "Laptops", "in_kind_quantity": "10"}
    )
    money = pledge_service.create_pledge(donor, project, {"amount": "500", "currency": "EUR"})
    for pledge in (goods, money):
        pledge_service.transition_pledge(donor, pledge, "confirm")
    with pytest.raises(TransitionError, match="Only money is disbursed"):
        pledge_service.transition_pledge(donor, goods, "disburse")
    with pytest.raises(TransitionError, match="Only money is disbursed"):
        pledge_service.transition_pledge(donor, money, "deliver")
    assert [a for a, _ in pledge_service.available_pledge_actions(donor, goods)] == ["withdraw"]
