"""What an administrator can reach (issue 12, item 12; docs/security.md 2.1).

An administrator may not read more than their own organisation may. Account
changes that would let an account read projects the administrator may not
read (a password the administrator would know, an account in an
organisation whose projects they may not see, an organisation turned into an
office) are held until a second administrator approves them, and both steps
are in the audit log. Everything else is made at once, as before.
"""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, RED_REVIEWER, login, post
from tmdesk.core import accounts
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AccountChange, AuditEvent, Organisation, User
from tmdesk.core.visibility import can_see


@pytest.fixture
def second_admin(desk) -> User:
    return accounts.create_user(
        None, "second.admin@example.org", "TMPO", PASSWORD, name="Second", is_admin=True
    )


@pytest.fixture
def red(desk):
    """A TLP:RED project the administrator may not read; the RED reviewer is named on it."""
    project = desk.submitted(tlp="RED", title_en="Grid weakness map")
    assert not can_see(desk.user("admin"), project)
    assert can_see(User.get(User.email == RED_REVIEWER), project)
    return project


def _events(action: str) -> int:
    return AuditEvent.select().where(AuditEvent.action == action).count()


def test_resetting_the_password_of_a_named_person_waits_for_a_second_admin(desk, red, second_admin):
    reviewer = User.get(User.email == RED_REVIEWER)
    old_hash = reviewer.password_hash
    with pytest.raises(accounts.SecondApprovalNeeded):
        accounts.set_password(desk.user("admin"), reviewer, "the admin knows this one")
    assert User.get_by_id(reviewer.id).password_hash == old_hash
    assert accounts.authenticate(RED_REVIEWER, "the admin knows this one") is None
    change = AccountChange.get()
    assert change.status == "pending" and change.user_id == reviewer.id
    assert _events("account_change.request") == 1
    event = AuditEvent.get(AuditEvent.action == "account_change.request")
    assert "password_hash" not in (event.after or "") and old_hash not in (event.after or "")
    # the one who asked cannot approve it
    with pytest.raises(PermissionDenied):
        accounts.decide_change(desk.user("admin"), change, True)
    accounts.decide_change(second_admin, change, True)
    assert accounts.authenticate(RED_REVIEWER, "the admin knows this one") is not None
    assert AccountChange.get_by_id(change.id).status == "approved"
    assert _events("account_change.approve") == 1
    with pytest.raises(ValidationError):  # decided once
        accounts.decide_change(second_admin, AccountChange.get_by_id(change.id), True)


def test_a_refused_change_changes_nothing(desk, red, second_admin):
    reviewer = User.get(User.email == RED_REVIEWER)
    with pytest.raises(accounts.SecondApprovalNeeded):
        accounts.set_password(desk.user("admin"), reviewer, "the admin knows this one")
    change = AccountChange.get()
    accounts.decide_change(desk.user("admin"), change, False)  # withdrawn by the asker
    assert AccountChange.get_by_id(change.id).status == "refused"
    assert accounts.authenticate(RED_REVIEWER, PASSWORD) is not None


def test_an_account_in_an_organisation_with_hidden_projects_waits(desk, second_admin):
    desk.draft(title_en="A draft only its recipient reads")  # SSSCIP's draft
    with pytest.raises(accounts.SecondApprovalNeeded):
        accounts.create_user(desk.user("admin"), "spy@example.org", "SSSCIP", PASSWORD)
    assert User.get_or_none(User.email == "spy@example.org") is None
    accounts.decide_change(second_admin, AccountChange.get(), True)
    created = User.get(User.email == "spy@example.org")
    assert created.organisation.code == "SSSCIP"
    assert accounts.authenticate("spy@example.org", PASSWORD) is not None


def test_moving_an_account_into_an_organisation_with_hidden_projects_waits(desk, second_admin):
    """The account edit (name, organisation, right) is held like a new account when the
    new organisation reads projects the administrator may not read."""
    desk.draft(title_en="A draft only its recipient reads")  # SSSCIP's draft
    donor = desk.user("donor")
    admin = desk.user("admin")
    data = {"name": "Moved", "organisation": "SSSCIP", "is_admin": False}
    with pytest.raises(accounts.SecondApprovalNeeded):
        accounts.update_user(admin, donor, data)
    assert User.get_by_id(donor.id).organisation.code == "GB"
    change = AccountChange.get()
    assert change.kind == "user_edit" and change.user_id == donor.id
    accounts.decide_change(second_admin, change, True)
    moved = User.get_by_id(donor.id)
    assert moved.organisation.code == "SSSCIP" and moved.name == "Moved"
    # a rename in the same organisation reaches nothing new: made at once
    accounts.update_user(admin, moved, data | {"name": "Renamed"})
    assert User.get_by_id(donor.id).name == "Renamed"
    assert AccountChange.select().count() == 1


def test_changes_that_reach_nothing_new_are_made_at_once(desk, red):
    admin = desk.user("admin")
    accounts.create_user(admin, "new.donor@example.org", "GB", PASSWORD)
    accounts.set_password(admin, desk.user("donor"), "a reset but ordinary one")
    assert not AccountChange.select().exists()
    # the people named on RED projects change their own password freely
    reviewer = User.get(User.email == RED_REVIEWER)
    accounts.set_password(reviewer, reviewer, "my own new passphrase")
    assert not AccountChange.select().exists()


def test_making_an_organisation_an_office_waits(desk, second_admin):
    """An administrator of a donor organisation may not turn it into an office."""
    desk.published(tlp="AMBER+STRICT", title_en="Strict project")
    donor_admin = accounts.create_user(None, "gb.admin@example.org", "GB", PASSWORD, is_admin=True)
    gb = Organisation.get(Organisation.code == "GB")
    data = {"kind": "back_office", "country": "GB", "name_en": gb.name_en}
    with pytest.raises(accounts.SecondApprovalNeeded):
        accounts.update_organisation(donor_admin, gb, data)
    assert Organisation.get_by_id(gb.id).kind == "donor"
    # renaming it is fine
    accounts.update_organisation(donor_admin, gb, data | {"kind": "donor", "name_en": "UK"})
    assert Organisation.get_by_id(gb.id).name_en == "UK"
    accounts.decide_change(second_admin, AccountChange.get(), True)
    assert Organisation.get_by_id(gb.id).kind == "back_office"


def test_the_command_line_is_not_held(desk, red):
    """``actor`` None is the machine's own user (tmdesk user create), who can read
    the database file anyway (docs/security.md section 3)."""
    accounts.create_user(None, "cli.person@example.org", "SSSCIP", PASSWORD)
    assert not AccountChange.select().exists()


def test_the_pages_hold_and_approve(app, desk, red, second_admin):
    reviewer = User.get(User.email == RED_REVIEWER)
    first = app.test_client()
    login(first, desk.users["admin"])
    path = f"/admin/users/{reviewer.id}/password"
    response = post(first, path, {"password": "the admin knows this one"})
    assert response.status_code == 302 and response.location.endswith("/admin/approvals")
    page = first.get("/admin/approvals").get_data(as_text=True)
    assert "second administrator must approve" in page and RED_REVIEWER in page
    change = AccountChange.get()
    assert f"/admin/approvals/{change.id}/approve" not in page  # not for the one who asked
    assert accounts.authenticate(RED_REVIEWER, "the admin knows this one") is None
    second = app.test_client()
    login(second, second_admin)
    response = post(second, f"/admin/approvals/{change.id}/approve", {}, "/admin/approvals")
    assert response.status_code == 302
    assert accounts.authenticate(RED_REVIEWER, "the admin knows this one") is not None
    # approving again, or as the asker, is a message, not a 500
    response = post(first, f"/admin/approvals/{change.id}/approve", {}, "/admin/approvals")
    assert response.status_code == 302
    assert (
        post(first, "/admin/approvals/999999999/approve", {}, "/admin/approvals").status_code == 404
    )


def test_new_account_form_holds(app, desk, second_admin):
    desk.draft()
    client = app.test_client()
    login(client, desk.users["admin"])
    response = post(
        client,
        "/admin/users/new",
        {"email": "spy@example.org", "organisation": "SSSCIP", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location.endswith("/admin/approvals")
    assert User.get_or_none(User.email == "spy@example.org") is None
