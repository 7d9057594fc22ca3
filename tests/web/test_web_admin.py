"""Administration pages: organisations, users, the audit log and exchange rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers import PASSWORD, csrf_token, login, post
from tmdesk.core import funding, pledges
from tmdesk.core.models import AuditEvent, ExchangeRate, Organisation, User

ADMIN_PAGES = [
    "/admin/",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/users",
    "/admin/users/new",
    "/admin/audit",
    "/admin/rates",
    "/admin/rates/USD",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_answer_admins(client, desk, path):
    login(client, desk.users["admin"])
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    assert "<h1>" in html


@pytest.mark.parametrize(
    "role", ["recipient", "back_office", "project_office", "donor", "observer", "company"]
)
def test_admin_pages_forbidden_to_others(client, desk, role):
    login(client, desk.users[role])
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    user = desk.user("donor2")
    response = client.post(
        f"/admin/users/{user.id}/deactivate", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 403
    assert User.get_by_id(user.id).active


def test_admin_pages_send_anonymous_to_login(client, desk):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.location


def test_admin_nav_entry_only_for_admins(client, desk):
    login(client, desk.users["admin"])
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def test_create_organisation_and_errors_keep_input(client, desk):
    login(client, desk.users["admin"])
    response = post(
        client,
        "/admin/organisations/new",
        {
            "code": "CERT-X",
            "kind": "company",
            "country": "UKR",
            "name_en": "Cert X Ltd",
            "name_uk": "Серт Ікс",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Cert X Ltd" in html and "Серт Ікс" in html
    assert "two-letter country code" in html
    response = post(
        client,
        "/admin/organisations/new",
        {"code": "cert-x", "kind": "company", "country": "ua", "name_en": "Cert X Ltd"},
    )
    assert response.status_code == 302
    org = Organisation.get(Organisation.code == "CERT-X")
    assert org.kind == "company" and org.country == "UA"
    assert "CERT-X" in client.get("/admin/organisations").get_data(as_text=True)
    # The same code again is refused on the code field.
    response = post(
        client,
        "/admin/organisations/new",
        {"code": "CERT-X", "kind": "company", "country": "UA", "name_en": "Other"},
        form_page="/admin/organisations/new",
    )
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)


def test_edit_organisation_keeps_code(client, desk):
    login(client, desk.users["admin"])
    org = desk.orgs["company"]
    path = f"/admin/organisations/{org.id}/edit"
    assert "CyberCo LLC" in client.get(path).get_data(as_text=True)
    response = post(
        client,
        path,
        {
            "code": "HACKED",
            "kind": "company",
            "country": "UA",
            "name_en": "CyberCo Group",
            "iati_id": "UA-EDR-123",
        },
    )
    assert response.status_code == 302
    org = Organisation.get_by_id(org.id)
    assert org.code == "CYBERCO" and org.name_en == "CyberCo Group"
    assert org.iati_id == "UA-EDR-123"
    assert client.get("/admin/organisations/99999/edit").status_code == 404


def test_users_list_shows_organisation_and_status(client, desk):
    login(client, desk.users["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    assert "donor@example.org" in html and "United Kingdom" in html and "Active" in html
    html = client.get("/admin/users?organisation=GB").get_data(as_text=True)
    assert "donor@example.org" in html and "donor2@example.org" not in html


def test_create_user_requires_password_rules(client, desk):
    login(client, desk.users["admin"])
    typed = {
        "email": "new.officer@example.org",
        "name": "New Officer",
        "organisation": "BACKOFFICE",
    }
    response = post(client, "/admin/users/new", typed | {"password": "short"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "new.officer@example.org" in html and "New Officer" in html
    assert "at least 12 characters" in html
    assert not User.select().where(User.email == "new.officer@example.org").exists()
    response = post(
        client,
        "/admin/users/new",
        typed | {"password": "a sound passphrase"},
        form_page="/admin/users/new",
    )
    assert response.status_code == 302
    user = User.get(User.email == "new.officer@example.org")
    assert user.organisation.code == "BACKOFFICE" and not user.is_admin
    # the new user can log in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "new.officer@example.org", "a sound passphrase")


def test_deactivated_user_cannot_log_in_and_is_logged_out(app, desk):
    admin_client, donor_client = app.test_client(), app.test_client()
    login(donor_client, desk.users["donor"])
    assert donor_client.get("/").status_code == 200
    login(admin_client, desk.users["admin"])
    donor = desk.user("donor")
    response = post(admin_client, f"/admin/users/{donor.id}/deactivate", form_page="/admin/users")
    assert response.status_code == 302
    assert not User.get_by_id(donor.id).active
    # the open session ends at once
    assert donor_client.get("/").status_code == 302
    # and the right password no longer logs in
    fresh = app.test_client()
    response = fresh.post(
        "/login", data={"email": donor.email, "password": PASSWORD, "csrf_token": csrf_token(fresh)}
    )
    assert response.status_code == 400
    assert "Deactivated" in admin_client.get("/admin/users").get_data(as_text=True)
    event = AuditEvent.select().where(AuditEvent.action == "user.deactivate").get()
    assert event.user_email == "admin@example.org"
    # reactivated, they log in again
    post(admin_client, f"/admin/users/{donor.id}/reactivate", form_page="/admin/users")
    User.update(locked_until=None, failed_logins=0).where(User.id == donor.id).execute()
    login(app.test_client(), donor.email)


def test_admin_cannot_deactivate_self(client, desk):
    login(client, desk.users["admin"])
    admin = desk.user("admin")
    response = post(
        client,
        f"/admin/users/{admin.id}/deactivate",
        form_page="/admin/users",
        follow_redirects=True,
    )
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert User.get_by_id(admin.id).active


def test_reset_password(client, app, desk):
    login(client, desk.users["admin"])
    user = desk.user("observer")
    path = f"/admin/users/{user.id}/password"
    response = post(client, path, {"password": "observer@example.org"})
    assert response.status_code == 400
    response = post(client, path, {"password": "a brand new passphrase"})
    assert response.status_code == 302
    other = app.test_client()
    login(other, user.email, "a brand new passphrase")
    assert AuditEvent.select().where(AuditEvent.action == "user.password").exists()
    assert client.get("/admin/users/99999/password").status_code == 404


def test_audit_log_newest_first_filters_and_readable_changes(client, desk):
    from tmdesk.core import accounts

    org = desk.orgs["company"]
    accounts.update_organisation(
        desk.user("admin"), org, {"kind": "company", "country": "UA", "name_en": "CyberCo 2"}
    )
    login(client, desk.users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert html.index("organisation.update") < html.index("organisation.create")
    # before/after as key: value changes, only what changed on an update
    assert "CyberCo LLC" in html and "CyberCo 2" in html
    assert "session_nonce" not in html and "password_hash" not in html
    html = client.get("/admin/audit?entity_type=organisation").get_data(as_text=True)
    assert "organisation.update" in html and "user.create" not in html
    html = client.get("/admin/audit?user=admin@example.org").get_data(as_text=True)
    assert "organisation.update" in html and "user.create" not in html


def test_audit_log_paginates(client, desk):
    login(client, desk.users["admin"])
    total = AuditEvent.select().count()
    assert total > 0
    from tmdesk.web.admin import audit

    audit.AUDIT_PER_PAGE, old = 5, audit.AUDIT_PER_PAGE
    try:
        html = client.get("/admin/audit").get_data(as_text=True)
        assert 'rel="next"' in html
        assert html.count("<code>") == 5
        html = client.get("/admin/audit?page=2").get_data(as_text=True)
        assert 'rel="prev"' in html
        assert client.get("/admin/audit?page=zzz").status_code == 200
    finally:
        audit.AUDIT_PER_PAGE = old


def test_rate_change_moves_funding_in_eur(client, desk):
    project = desk.published(budget_amount="100000", budget_currency="EUR")
    pledge = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "50000", "currency": "USD"}
    )
    pledges.transition_pledge(desk.user("donor"), pledge, "confirm")
    before = funding.project_funding(project)
    assert before.confirmed_eur == Decimal("46000.00")
    login(client, desk.users["admin"])
    response = post(client, "/admin/rates/USD", {"rate": "1,00"})
    assert response.status_code == 302
    assert ExchangeRate.get_by_id("USD").eur_per_unit == Decimal("1.00")
    after = funding.project_funding(project)
    assert after.confirmed_eur == Decimal("50000")
    event = AuditEvent.select().where(AuditEvent.action == "rate.update").get()
    assert '"0.92"' in event.before and '"1.00"' in event.after
    assert "0.92" in client.get("/admin/audit?entity_type=exchangerate").get_data(as_text=True)


def test_rate_form_errors(client, desk):
    login(client, desk.users["admin"])
    response = post(client, "/admin/rates/GBP", {"rate": "-3"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="-3"' in html and "more than zero" in html
    assert ExchangeRate.get_by_id("GBP").eur_per_unit == Decimal("1.17")
    assert client.get("/admin/rates/EUR").status_code == 404
    assert client.get("/admin/rates/XYZ").status_code == 404


def test_audit_log_can_leave_out_logins(client, desk):
    login(client, desk.users["admin"])  # writes a "login" event
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<code>login</code>" in html
    html = client.get("/admin/audit?no_logins=1").get_data(as_text=True)
    assert "<code>login</code>" not in html and "user.create" in html


def test_readable_changes():
    from tmdesk.core.models import AuditEvent
    from tmdesk.web.admin import readable_changes

    update = AuditEvent(
        before='{"a": 1, "b": "x", "at": "2026-01-02T03:04:05"}',
        after='{"a": 1, "b": "y", "at": "2026-01-02T03:04:06"}',
    )
    assert readable_changes(update) == [
        ("at", "2026-01-02 03:04:05", "2026-01-02 03:04:06"),
        ("b", "x", "y"),
    ]
    create = AuditEvent(before=None, after='{"note": "", "n": null, "ok": true}')
    assert readable_changes(create) == [("ok", "", "yes")]
    delete = AuditEvent(before='{"role": "SOC"}', after=None)
    assert readable_changes(delete) == [("role", "SOC", "")]
