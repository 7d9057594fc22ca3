"""Sessions and logging in (issue 5): expiry after inactivity, cookie flags, session
protection, fresh login for administration, generic messages, password rules."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD, csrf_token, login, post
from tmdesk.core import accounts
from tmdesk.core.models import AuditEvent, User
from tmdesk.web import create_app, login_manager


def test_session_minutes_is_configurable(data_dir, db):
    assert (
        create_app(data_dir, {"TESTING": True}).config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        == 60 * 60
    )
    app = create_app(data_dir, {"TESTING": True, "TMDESK_SESSION_MINUTES": 5})
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 5 * 60


def test_session_minutes_from_the_environment(data_dir, db, monkeypatch):
    monkeypatch.setenv("TMDESK_SESSION_MINUTES", "15")
    assert create_app(data_dir).config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 900
    monkeypatch.setenv("TMDESK_SESSION_MINUTES", "soon")  # nonsense falls back to the default
    assert create_app(data_dir).config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 3600


def test_session_ends_after_inactivity_not_while_active(data_dir, db, desk, clock):
    app = create_app(data_dir, {"TESTING": True, "TMDESK_SESSION_MINUTES": 10})
    client = app.test_client()
    login(client, desk.users["donor"])
    for _ in range(6):  # an hour of use, a request every 9 minutes
        clock.now += 9 * 60
        assert client.get("/").status_code == 200
    clock.now += 11 * 60
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_session_cookie_flags(client, desk):
    response = login(client, desk.users["donor"])
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("tmdesk_session=")]
    assert cookies, response.headers
    flags = cookies[-1].lower()
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "expires=" in flags  # a permanent session: it carries its own end
    assert not [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token")
    ], "no remember-me cookie"


def test_session_protection_strong(app, client, desk):
    assert login_manager.session_protection == "strong"
    client.environ_base["HTTP_USER_AGENT"] = "Firefox"
    login(client, desk.users["donor"])
    assert client.get("/").status_code == 200
    # The same cookie from another browser (a stolen cookie) is not a session.
    client.environ_base["HTTP_USER_AGENT"] = "curl"
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_password_change_ends_other_sessions(app, desk):
    first, second = app.test_client(), app.test_client()
    login(first, desk.users["donor"])
    login(second, desk.users["donor"])
    accounts.set_password(None, desk.user("donor"), "a completely new passphrase")
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


# --- administration needs a fresh login --------------------------------------------


def test_admin_changes_need_a_recent_password(app, client, desk, clock):
    login(client, desk.users["admin"])
    assert client.get("/admin/users/new").status_code == 200  # fresh after logging in
    clock.now += 16 * 60
    assert client.get("/admin/users").status_code == 200  # reading needs no new password
    response = client.get("/admin/users/new")
    assert response.status_code == 302 and "/confirm" in response.location
    users = User.select().count()
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(client, "/"),
            "email": "x@example.org",
            "organisation": "GB",
            "password": "a long enough passphrase",
        },
        headers={"Referer": "http://localhost/admin/users/new"},
    )
    assert response.status_code == 302 and "/confirm" in response.location
    assert "next=/admin/users/new" in response.location.replace("%2F", "/")
    assert User.select().count() == users
    deactivate = f"/admin/users/{desk.users['donor'].id}/deactivate"
    response = client.post(deactivate, data={"csrf_token": csrf_token(client, "/")})
    assert "/confirm" in response.location and desk.user("donor").active

    page = client.get("/confirm?next=/admin/users/new")
    assert page.status_code == 200 and "password" in page.get_data(as_text=True).lower()
    wrong = post(
        client,
        "/confirm?next=/admin/users/new",
        {"password": "not it at all"},
        form_page="/confirm",
    )
    assert wrong.status_code == 400
    right = post(
        client, "/confirm?next=/admin/users/new", {"password": PASSWORD}, form_page="/confirm"
    )
    assert right.status_code == 302 and right.location.endswith("/admin/users/new")
    assert client.get("/admin/users/new").status_code == 200
    response = post(client, deactivate, form_page="/")
    assert response.status_code == 302 and not desk.user("donor").active


def test_confirm_page_does_not_redirect_away(client, desk):
    login(client, desk.users["admin"])
    response = post(
        client, "/confirm?next=https://evil.example/", {"password": PASSWORD}, form_page="/confirm"
    )
    assert response.status_code == 302 and "evil.example" not in response.location


def test_confirm_counts_failed_attempts(client, desk):
    """Confirming goes through the same throttled check as logging in."""
    login(client, desk.users["admin"])
    for _ in range(accounts.FREE_ATTEMPTS):
        post(client, "/confirm", {"password": "wrong guess number"}, form_page="/confirm")
    assert desk.user("admin").locked_until is not None
    response = post(client, "/confirm", {"password": PASSWORD}, form_page="/confirm")
    assert response.status_code == 400  # even the right password waits


# --- logging in: one message for every failure -------------------------------------


def _login_message(client, email: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )
    html = response.get_data(as_text=True)
    start = html.index("<main") if "<main" in html else 0
    html = re.sub(r'name="csrf_token"[^>]*>', "", html[start:], flags=re.S)
    return response.status_code, html.replace(email, "EMAIL")


def test_login_messages_are_generic(app, desk):
    accounts.set_active(desk.user("admin"), desk.user("donor2"), False)
    unknown = _login_message(app.test_client(), "nobody@example.org", "whatever it is 1")
    wrong = _login_message(app.test_client(), "donor@example.org", "whatever it is 1")
    inactive = _login_message(app.test_client(), "donor2@example.org", PASSWORD)
    assert unknown[0] == wrong[0] == inactive[0] == 400
    assert unknown[1] == wrong[1] == inactive[1]
    for _ in range(accounts.FREE_ATTEMPTS):
        _login_message(app.test_client(), "observer@example.org", "bad guess here")
    locked = _login_message(app.test_client(), "observer@example.org", PASSWORD)
    assert locked == unknown


def test_failed_logins_are_audited_without_the_password(app, desk):
    _login_message(app.test_client(), "donor@example.org", "secret-guess-123456")
    event = AuditEvent.select().where(AuditEvent.action == "login.failed").get()
    assert "secret-guess" not in (event.after or "") + (event.before or "")


# --- password rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, ok",
    [
        ("short", False),
        ("elevenchars", False),  # 11
        ("twelve chars", True),  # 12
        ("donor@example.org", False),  # the e-mail
        ("DONOR@EXAMPLE.ORG", False),
        ("password1234", False),  # on the common list
        ("Password1234", False),
        ("aaaaaaaaaaaaaaaa", False),  # too few different characters
        ("correct horse battery staple", True),
    ],
)
def test_password_rules(password, ok):
    assert (accounts.check_password_rules(password, "donor@example.org") is None) == ok


def test_password_rules_apply_to_the_profile_form(client, desk):
    login(client, desk.users["donor"])
    response = post(
        client,
        "/profile",
        {
            "pw-current": PASSWORD,
            "pw-new": "password1234",
            "pw-csrf_token": csrf_token(client, "/"),
        },
        form_page="/",
    )
    assert response.status_code == 400
    assert accounts.authenticate("donor@example.org", PASSWORD) is not None
