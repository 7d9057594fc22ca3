"""Safe actions and telling people what needs them, through the pages (issue #15):
the duplicate decision's confirmation and undo, "Needs your action", notifications."""

from __future__ import annotations

from tests.core.test_matching import _offer
from tests.core.test_similarity import _pair
from tests.helpers import post
from tests.web.test_web_projects import client_for, html
from tmdesk.core import pledges, projects, proposals
from tmdesk.core.models import AuditEvent, Notification, Pledge, Project, ProjectLink


def test_duplicate_decision_is_confirmed_then_undone(app, desk):
    a, b = _pair(desk)
    offered = pledges.create_pledge(desk.user("donor"), b, {"amount": "1000", "currency": "EUR"})
    office = client_for(app, desk, "back_office")
    page = f"/projects/{a.ref}"
    response = post(
        office,
        f"/projects/{a.ref}/duplicate-decisions",
        {"other": b.ref, "kind": "duplicate", "note": "same cohort"},
        form_page=page,
    )
    # First the consequence in words: which project closes, whose it is, its pledges.
    assert response.status_code == 200
    text = html(response)
    assert f"Confirm: {b.ref} is a duplicate of {a.ref}" in text
    assert "State Service of Special Communications" in text
    assert "1 offered pledge moves to" in text
    assert 'name="confirmed" type="hidden" value="yes"' in text
    assert Project.get_by_id(b.id).status == "published" and not ProjectLink.select().exists()
    # Confirmed: done, and the message is on the page the officer lands on.
    response = post(
        office,
        f"/projects/{a.ref}/duplicate-decisions",
        {"other": b.ref, "kind": "duplicate", "note": "same cohort", "confirmed": "yes"},
        form_page=page,
    )
    assert response.status_code == 303 and "#" not in response.location
    assert "Recorded:" in html(office.get(response.location))
    assert Project.get_by_id(b.id).status == "withdrawn"
    assert Pledge.get_by_id(offered.id).project_id == a.id
    link = ProjectLink.get()
    # The closed project's page offers the undo, which asks first too.
    closed_page = html(office.get(f"/projects/{b.ref}"))
    assert f"/duplicate-decisions/{link.id}/undo" in closed_page
    undo = f"/duplicate-decisions/{link.id}/undo"
    response = post(office, undo, {}, form_page=f"/projects/{b.ref}")
    assert response.status_code == 200 and "Yes: undo the decision" in html(response)
    assert Project.get_by_id(b.id).status == "withdrawn"
    response = post(
        office,
        undo,
        {"confirmed": "yes", "note": "Different oblasts"},
        form_page=f"/projects/{b.ref}",
    )
    assert response.status_code == 303
    assert "The duplicate decision is undone" in html(office.get(response.location))
    assert Project.get_by_id(b.id).status == "published"
    assert Pledge.get_by_id(offered.id).project_id == b.id
    assert AuditEvent.select().where(AuditEvent.action == "project.duplicate_undo").exists()


def test_undo_is_for_officers_only_and_hidden_pairs_are_404(app, desk):
    a, b = _pair(desk)
    from tmdesk.core import similarity

    link = similarity.record_decision(desk.user("back_office"), b, a, "duplicate")
    recipient = client_for(app, desk, "recipient")
    undo = f"/duplicate-decisions/{link.id}/undo"
    response = post(recipient, undo, {"confirmed": "yes"}, form_page=f"/projects/{a.ref}")
    assert response.status_code == 403
    response = post(
        client_for(app, desk, "recipient"), "/duplicate-decisions/9999/undo", {}, form_page="/"
    )
    assert response.status_code == 404
    assert Project.get_by_id(b.id).status == "withdrawn"


def test_confirm_step_page_names_the_consequence(app, desk):
    project = desk.published()
    pledges.create_pledge(desk.user("donor"), project, {"amount": "5", "currency": "EUR"})
    office = client_for(app, desk, "back_office")
    page = html(office.get(f"/projects/{project.ref}/steps/withdraw"))
    assert "is withdrawn. This is final" in page
    assert "Its 1 pledges (1 offered, 0 confirmed or paid) stay on record" in page
    assert 'name="comment"' in page
    assert office.get(f"/projects/{project.ref}/steps/submit").status_code == 404
    donor = client_for(app, desk, "donor")
    assert donor.get(f"/projects/{project.ref}/steps/withdraw").status_code == 403


def test_start_page_needs_your_action(app, desk):
    project = desk.submitted(title_en="Firewall licences")
    projects.transition(desk.user("back_office"), project, "return", "Which firewalls?")
    page = html(client_for(app, desk, "recipient").get("/"))
    assert "Needs your action" in page and "Your projects returned with comments" in page
    assert "Which firewalls?" in page
    published = desk.published(title_en="Starlink terminals", category="connectivity")
    offer = _offer(desk, quantity="")
    proposals.propose_pledge(
        desk.user("back_office"), offer, published, {"amount": "1000", "currency": "EUR"}
    )
    donor = html(client_for(app, desk, "donor").get("/"))
    assert "Pledges proposed to you to confirm" in donor and published.ref in donor
    assert "1,000 EUR proposed" in donor
    observer = html(client_for(app, desk, "observer").get("/"))
    assert "Needs your action" in observer and "Nothing is waiting for you." in observer


def test_notifications_in_the_header_and_marked_read(app, desk):
    project = desk.published(title_en="Mobile data centre")
    pledges.create_pledge(desk.user("donor"), project, {"amount": "2500", "currency": "EUR"})
    recipient = client_for(app, desk, "recipient")
    start = html(recipient.get("/"))
    assert 'class="badge">2<' in start  # published, and the new pledge
    page = html(recipient.get("/notifications"))
    assert "United Kingdom pledged 2,500 EUR to your project" in page
    assert "is published in the Catalogue" in page
    one = Notification.select().where(Notification.kind == "pledge_new").get()
    response = post(
        recipient, "/notifications/read", {"id": str(one.id)}, form_page="/notifications"
    )
    assert response.status_code == 303
    assert 'class="badge">1<' in html(recipient.get("/"))
    post(recipient, "/notifications/read", {"id": "x"}, form_page="/notifications")
    post(recipient, "/notifications/read", {}, form_page="/notifications")
    assert 'class="badge"' not in html(recipient.get("/"))
    # Another person's notification cannot be marked through the page.
    donor = client_for(app, desk, "donor")
    assert 'class="badge"' not in html(donor.get("/"))
    assert "No notifications yet" in html(donor.get("/notifications"))


def test_a_notification_about_a_hidden_project_never_names_it(app, desk):
    project = desk.published(title_en="Secret sensor grid", tlp="AMBER")
    pledge = pledges.create_pledge(desk.user("donor"), project, {"amount": "10", "currency": "EUR"})
    pledges.transition_pledge(desk.user("back_office"), pledge, "confirm")
    Project.update(tlp="RED").where(Project.id == project.id).execute()
    donor = client_for(app, desk, "donor")
    page = html(donor.get("/notifications"))
    assert project.ref not in page and "Secret sensor grid" not in page
    assert 'class="badge"' not in html(donor.get("/"))
