"""Administration in words (issue 15): administrators edit accounts, and the audit
log says what happened ("Olena Kovalenko returned TM-2026-0048 …"), never naming a
project its reader may not see."""

from __future__ import annotations

import pytest

from tests.helpers import login, post
from tmdesk.core import accounts, auditlog, projects
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import AuditEvent, User


def test_administrator_edits_name_organisation_and_right(client, desk):
    person = desk.user("donor2")
    nonce = person.session_nonce
    login(client, desk.users["admin"])
    page = f"/admin/users/{person.id}/edit"
    assert "Edit the account of donor2@example.org" in client.get(page).get_data(as_text=True)
    response = post(client, page, {"name": "Kadri Tamm", "organisation": "GB", "is_admin": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    person = User.get_by_id(person.id)
    assert (person.name, person.organisation.code, person.is_admin) == ("Kadri Tamm", "GB", True)
    assert person.session_nonce != nonce  # a new role: the old sessions end
    event = AuditEvent.select().where(AuditEvent.action == "user.update").get()
    assert '"is_admin": false' in event.before and '"is_admin": true' in event.after
    assert "session_nonce" not in (event.after or "")
    users = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{person.id}/edit"' in users


def test_edit_refuses_bad_input_and_own_right(client, desk):
    admin = desk.user("admin")
    with pytest.raises(ValidationError) as caught:
        accounts.update_user(admin, admin, {"name": "Me", "organisation": "TMPO"})
    assert "is_admin" in caught.value.fields
    login(client, desk.users["admin"])
    person = desk.user("donor2")
    response = post(
        client, f"/admin/users/{person.id}/edit", {"name": "Typed", "organisation": "NOPE"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose an organisation." in html and 'value="Typed"' in html
    assert User.get_by_id(person.id).organisation.code == "EE"


def test_editing_needs_a_recently_confirmed_password(client, desk, monkeypatch):
    from tmdesk.web.admin import base

    login(client, desk.users["admin"])
    monkeypatch.setattr(base, "fresh_enough", lambda: False)
    person = desk.user("donor2")
    response = client.get(f"/admin/users/{person.id}/edit")
    assert response.status_code in (302, 303) and "confirm" in response.location


def test_audit_log_says_what_happened_in_words(client, desk):
    project = desk.submitted(title_en="Mobile data centre")
    projects.transition(desk.user("back_office"), project, "return", "Add the budget lines.")
    login(client, desk.users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"Back Office returned {project.ref} “Mobile data centre” to the recipient" in html
    assert f"Recipient submitted {project.ref} “Mobile data centre” for review" in html


def test_audit_sentences_never_name_a_hidden_project(desk):
    secret = desk.draft(title_en="Secret draft")  # only its own organisation sees a draft
    admin = desk.user("admin")  # a Project Office administrator
    events = list(
        AuditEvent.select().where(
            (AuditEvent.entity_type == "project") & (AuditEvent.entity_id == str(secret.id))
        )
    )
    assert events
    words = auditlog.describe(admin, events)
    for sentence in words.values():
        text = sentence.message % sentence.params
        assert secret.ref not in text and "Secret draft" not in text
        assert "a project you may not see" in text
    own = auditlog.describe(desk.user("recipient"), events)
    assert any(secret.ref in s.message % s.params for s in own.values())
