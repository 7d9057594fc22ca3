"""The review queue and the review steps (publish, return, reject) through the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import DRAFT_FIELDS, post
from tests.web.test_web_projects import client_for, html
from tmdesk.core import projects
from tmdesk.core.models import Project, StatusChange, utcnow


def submitted(desk, days_ago: int = 0, **fields) -> Project:
    project = desk.submitted(**fields)
    if days_ago:
        when = utcnow() - dt.timedelta(days=days_ago)
        Project.update(submitted_at=when).where(Project.id == project.id).execute()
    return Project.get_by_id(project.id)


@pytest.mark.parametrize("who", ["back_office", "project_office"])
def test_queue_oldest_first_with_age(app, desk, who):
    newer = submitted(desk, days_ago=2, title_en="Newer request")
    older = submitted(desk, days_ago=20, title_en="Older request")
    desk.draft(title_en="Still a draft")
    desk.published(title_en="Already published")
    response = client_for(app, desk, who).get("/review")
    assert response.status_code == 200
    page = html(response)
    assert page.index(older.ref) < page.index(newer.ref)
    assert "20 days" in page and "2 days" in page
    assert "2 projects waiting" in page
    assert "Still a draft" not in page and "Already published" not in page
    assert f'href="/projects/{older.ref}"' in page


@pytest.mark.parametrize("who", ["recipient", "donor", "observer", "company"])
def test_queue_is_for_the_offices_only(app, desk, who):
    submitted(desk)
    assert client_for(app, desk, who).get("/review").status_code == 403


def test_queue_needs_login(client):
    response = client.get("/review")
    assert response.status_code == 302 and "/login" in response.location


def test_queue_respects_red_naming(app, desk):
    red = submitted(desk, tlp="RED", title_en="Red request")
    office = client_for(app, desk, "back_office")
    assert red.ref not in html(office.get("/review"))
    assert office.get(f"/projects/{red.ref}").status_code == 404
    projects.set_members(desk.user("recipient"), red, ["back_office@example.org"])
    assert red.ref in html(office.get("/review"))


def test_queue_empty(app, desk):
    page = html(client_for(app, desk, "back_office").get("/review"))
    assert "Nothing is waiting for review." in page


def test_queue_in_navigation_for_officers_only(app, desk):
    assert 'href="/review"' in html(client_for(app, desk, "project_office").get("/catalogue"))
    assert 'href="/review"' not in html(client_for(app, desk, "donor").get("/catalogue"))


def test_publish_from_the_project_page(app, desk):
    project = submitted(desk)
    office = client_for(app, desk, "back_office")
    page = html(office.get(f"/projects/{project.ref}"))
    assert "Publish in the Catalogue" in page and "Return to the recipient" in page
    assert "Reject" in page and 'name="comment"' not in page  # asked on each step's own page
    response = post(
        office,
        f"/projects/{project.ref}/transition",
        {"action": "publish", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    assert Project.get_by_id(project.id).status == "published"
    done = html(office.get(response.location))
    assert "is published in the Catalogue; donors can now pledge" in done
    assert "Done:" not in done  # words, not the button's name echoed back
    assert project.ref not in html(office.get("/review"))


def test_return_shows_the_comment_to_the_recipient(app, desk):
    project = submitted(desk, title_en="Please review me")
    office = client_for(app, desk, "project_office")
    response = post(
        office,
        f"/projects/{project.ref}/transition",
        {"action": "return", "comment": "Add a line per oblast.", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    recipient = client_for(app, desk, "recipient")
    assert "Add a line per oblast." in html(recipient.get("/"))
    page = html(recipient.get(f"/projects/{project.ref}"))
    assert "Returned for changes" in page and "Add a line per oblast." in page
    assert "Edit the project" in page
    edit = html(recipient.get(f"/projects/{project.ref}/edit"))
    # The comment is on the edit form too (#15), and saving says what comes next.
    assert "Returned for changes" in edit and "Add a line per oblast." in edit
    response = post(
        recipient,
        f"/projects/{project.ref}/edit",
        DRAFT_FIELDS | {"title_en": "Please review me again", "oblast": "UA"},
    )
    assert response.status_code == 303
    assert "Submit the project again when it is ready" in html(recipient.get(response.location))
    response = post(
        recipient,
        f"/projects/{project.ref}/transition",
        {"action": "submit"},
        form_page=f"/projects/{project.ref}",
    )
    after = html(recipient.get(response.location))
    assert "The Back Office or the Project Office reviews it next" in after


def test_reject_records_why_and_stays_visible_to_offices(app, desk):
    project = submitted(desk)
    office = client_for(app, desk, "back_office")
    response = post(
        office,
        f"/projects/{project.ref}/transition",
        {"action": "reject", "comment": "Duplicate of an earlier request.", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    change = StatusChange.get(
        (StatusChange.project == project.id) & (StatusChange.action == "reject")
    )
    assert change.comment == "Duplicate of an earlier request."
    assert change.user_id == desk.users["back_office"].id
    page = html(office.get(f"/projects/{project.ref}"))
    assert "Duplicate of an earlier request." in page
    assert 'value="publish"' not in page  # nothing more to do on a rejected project


def test_reject_without_comment_is_refused(app, desk):
    project = submitted(desk)
    office = client_for(app, desk, "back_office")
    response = post(
        office,
        f"/projects/{project.ref}/transition",
        {"action": "reject", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 400
    assert 'id="comment-error"' in html(response)
    assert Project.get_by_id(project.id).status == "submitted"


def test_transition_needs_csrf(app, desk):
    project = submitted(desk)
    office = client_for(app, desk, "back_office")
    response = office.post(f"/projects/{project.ref}/transition", data={"action": "publish"})
    assert response.status_code == 400
    assert Project.get_by_id(project.id).status == "submitted"
