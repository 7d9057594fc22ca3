"""Safe actions and telling people what needs them, in the core (issue #15):
undoing a duplicate decision, drawing an offer down, notifications, "Needs your action"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.core.test_matching import _offer
from tests.core.test_similarity import _pair
from tmdesk.core import (
    inbox,
    notifications,
    pledges,
    projects,
    proposals,
    similarity,
    updates,
)
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AuditEvent, Engagement, Notification, Pledge, Project, ProjectLink


def test_duplicate_consequence_says_what_will_happen(desk):
    a, b = _pair(desk)
    donor = desk.user("donor")
    pledges.create_pledge(donor, b, {"amount": "1000", "currency": "EUR"})
    confirmed = pledges.create_pledge(donor, b, {"amount": "500", "currency": "EUR"})
    pledges.transition_pledge(donor, confirmed, "confirm")
    what = similarity.duplicate_consequence(desk.user("back_office"), b, a)
    assert (what.keep.id, what.close.id, what.step) == (a.id, b.id, "withdraw")
    assert (what.moving, what.flagged) == (1, 1)
    assert Project.get_by_id(b.id).status == "published"  # nothing done yet
    with pytest.raises(PermissionDenied):
        similarity.duplicate_consequence(desk.user("donor"), b, a)


def test_undo_duplicate_restores_project_and_pledges(desk):
    a, b = _pair(desk)
    donor = desk.user("donor")
    offered = pledges.create_pledge(donor, b, {"amount": "1000", "currency": "EUR"})
    confirmed = pledges.create_pledge(
        donor, b, {"amount": "500", "currency": "EUR", "note": "first tranche"}
    )
    pledges.transition_pledge(donor, confirmed, "confirm")
    officer = desk.user("back_office")
    link = similarity.record_decision(officer, b, a, "duplicate")
    assert Project.get_by_id(b.id).status == "withdrawn"

    with pytest.raises(PermissionDenied):
        similarity.undo_duplicate(desk.user("recipient"), link)
    restored = similarity.undo_duplicate(officer, link, "Different oblasts")
    restored = Project.get_by_id(restored.id)
    assert restored.id == b.id and restored.status == "published"
    assert restored.duplicate_of_id is None
    assert Pledge.get_by_id(offered.id).project_id == b.id
    assert Pledge.get_by_id(confirmed.id).note == "first tranche"
    assert not ProjectLink.select().exists()
    history = list(restored.history)
    assert any(h.action == "undo_duplicate" and h.comment == "Different oblasts" for h in history)
    actions = {e.action for e in AuditEvent.select()}
    assert {"project.duplicate_undo", "pledge.moved_back", "pledge.unflagged"} <= actions
    assert "project.unlink" in actions


def test_undo_of_a_submitted_duplicate_brings_it_back_to_review(desk):
    a = desk.published(title_en="SOC analyst training programme")
    b = desk.submitted(title_en="Training for SOC analysts")
    link = similarity.record_decision(desk.user("back_office"), b, a, "duplicate")
    assert Project.get_by_id(b.id).status == "rejected"
    similarity.undo_duplicate(desk.user("project_office"), link)
    assert Project.get_by_id(b.id).status == "submitted"


def test_only_a_duplicate_decision_can_be_undone(desk):
    a, b = _pair(desk)
    link = similarity.record_decision(desk.user("back_office"), b, a, "related")
    with pytest.raises(ValidationError):
        similarity.undo_duplicate(desk.user("back_office"), link)


def test_offer_is_drawn_down_across_projects(desk):
    first = desk.published(title_en="Starlink terminals for Kharkiv", category="connectivity")
    second = desk.published(
        title_en="Starlink terminals for Sumy", category="connectivity", budget_amount="78000"
    )
    offer = _offer(desk, value_amount="150000", value_currency="GBP", quantity="")
    officer = desk.user("back_office")
    assert proposals.offer_remaining(offer) == Decimal("150000.00")
    preset = proposals.proposal_preset(offer, first)
    # The project needs 100 000 EUR; at 1.17 EUR per GBP that is 85 470.09 GBP.
    assert preset.currency == "GBP" and preset.amount == Decimal("85470.09")
    proposals.propose_pledge(officer, offer, first, {"amount": "100000", "currency": "GBP"})
    assert proposals.offer_remaining(offer) == Decimal("50000.00")
    with pytest.raises(proposals.BeyondOffer) as refused:
        proposals.propose_pledge(officer, offer, second, {"amount": "60000", "currency": "GBP"})
    assert refused.value.params == {"remaining": Decimal("50000.00"), "currency": "GBP"}
    assert proposals.proposal_preset(offer, second).amount == Decimal("50000.00")
    # In another currency it is converted: 58 500 EUR is exactly 50 000 GBP.
    proposals.propose_pledge(officer, offer, second, {"amount": "58500", "currency": "EUR"})
    assert proposals.offer_remaining(offer) == Decimal("0.00")


def test_withdrawn_proposal_gives_the_offer_back(desk):
    project = desk.published(title_en="Starlink terminals", category="connectivity")
    offer = _offer(desk, quantity="")
    pledge = proposals.propose_pledge(
        desk.user("back_office"), offer, project, {"amount": "40000", "currency": "EUR"}
    )
    assert proposals.offer_remaining(offer) == Decimal("50000.00")
    pledges.transition_pledge(desk.user("donor"), pledge, "withdraw")
    assert proposals.offer_remaining(offer) == Decimal("90000.00")


def test_notifications_for_the_recipient_and_the_proposer(desk):
    recipient = desk.user("recipient")
    project = desk.submitted()
    officer = desk.user("back_office")
    projects.transition(officer, project, "return", "Add the budget breakdown")
    assert notifications.unread_count(recipient) == 1
    projects.transition(recipient, project, "submit")
    projects.transition(officer, project, "publish")
    offer = _offer(desk, category="training", quantity="")
    pledge = proposals.propose_pledge(
        officer, offer, project, {"amount": "1000", "currency": "EUR"}
    )
    kinds = [n.kind for n in notifications.for_user(recipient)]
    assert kinds == ["pledge_new", "project_published", "project_returned"]
    assert notifications.unread_count(officer) == 0  # nobody hears of their own action
    pledges.transition_pledge(desk.user("donor"), pledge, "confirm")
    confirmed = notifications.for_user(officer)
    assert [n.kind for n in confirmed] == ["pledge_confirmed"]
    assert confirmed[0].params["donor"] == "United Kingdom"
    assert confirmed[0].params["amount"] == Decimal("1000.00")
    assert notifications.mark_read(recipient) == 3
    assert notifications.unread_count(recipient) == 0
    # Another person's notifications are not marked by someone else.
    assert notifications.mark_read(recipient, [confirmed[0].id]) == 0


def test_notification_about_a_project_now_hidden_is_neither_shown_nor_counted(desk):
    project = desk.published(tlp="AMBER")
    pledge = pledges.create_pledge(desk.user("donor"), project, {"amount": "10", "currency": "EUR"})
    officer = desk.user("back_office")
    pledges.transition_pledge(officer, pledge, "confirm")
    donor = desk.user("donor")
    assert notifications.unread_count(donor) == 1
    # The project becomes TLP:RED: the donor is not named on it, so it is hidden.
    Project.update(tlp="RED").where(Project.id == project.id).execute()
    assert notifications.unread_count(donor) == 0
    assert notifications.for_user(donor) == []
    row = Notification.get(Notification.user == donor.id)
    assert notifications.shown(donor, row) is None


def test_needs_action_per_role(desk):
    officer = desk.user("back_office")
    recipient = desk.user("recipient")
    returned = desk.submitted(title_en="Firewall licences", category="equipment")
    projects.transition(officer, returned, "return", "Which firewalls?")
    groups = {g.kind: g for g in inbox.needs_action(recipient)}
    assert list(groups) == ["returned"]
    assert groups["returned"].items[0].params["comment"] == "Which firewalls?"

    projects.transition(recipient, returned, "submit")
    groups = {g.kind: g for g in inbox.needs_action(officer)}
    assert [i.project.id for i in groups["resubmitted"].items] == [returned.id]
    assert inbox.needs_action(recipient) == []

    published = desk.published(title_en="Starlink terminals", category="connectivity")
    offer = _offer(
        desk, quantity="", valid_until=(dt.date.today() + dt.timedelta(days=5)).isoformat()
    )
    proposals.propose_pledge(officer, offer, published, {"amount": "1000", "currency": "EUR"})
    own = pledges.create_pledge(desk.user("donor"), published, {"amount": "5", "currency": "EUR"})
    donor_groups = {g.kind: g for g in inbox.needs_action(desk.user("donor"))}
    to_confirm = [i.pledge_id for i in donor_groups["pledges_to_confirm"].items]
    assert own.id not in to_confirm and len(to_confirm) == 1
    assert donor_groups["offers_expiring"].items[0].offer_id == offer.id
    assert "pledges_to_confirm" not in {g.kind for g in inbox.needs_action(desk.user("donor2"))}

    projects.transition(recipient, published, "start")
    Engagement.create(
        project=published, company=desk.orgs["company"], role="Installer", created_by=officer
    )
    company = desk.user("company")
    due = {g.kind: g for g in inbox.needs_action(company)}["updates_due"]
    assert due.items[0].project.id == published.id
    updates.post_update(recipient, published, {"title": "Half installed", "progress": "50"})
    assert "updates_due" not in {g.kind for g in inbox.needs_action(company)}


def test_needs_action_lists_undecided_duplicates_of_the_queue(desk):
    desk.published(title_en="SOC analyst training programme")
    waiting = desk.submitted(title_en="SOC analyst training programme for Kyiv")
    groups = {g.kind: g for g in inbox.needs_action(desk.user("project_office"))}
    assert [i.project.id for i in groups["duplicates"].items] == [waiting.id]
    assert "duplicates" not in {g.kind for g in inbox.needs_action(desk.user("recipient"))}
