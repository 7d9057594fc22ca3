"""What the user-guide check found: a word when a session ends, a plain page for a
refused form, a hint on the setup page, the audit filter in words, the offer
statuses in Ukrainian, and the IATI form's two TLP fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from tests.helpers import csrf_token, login, post
from tmdesk.core import accounts
from tmdesk.core.vocab import OFFER_STATUSES
from tmdesk.web import auth, create_app

ENDED = "Your session ended after 10 minutes without activity."
UK = {"Accept-Language": "uk"}


@pytest.fixture
def short_app(data_dir, db, desk):
    """The app with sessions of 10 minutes."""
    return create_app(data_dir, {"TESTING": True, "TMDESK_SESSION_MINUTES": 10})


def text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", html[html.index("<main") :] if "<main" in html else html)


# --- 1. the login page says when a session ended by inactivity ---------------------


def test_login_page_says_the_session_expired_once(short_app, desk, clock):
    client = short_app.test_client()
    login(client, desk.users["donor"])
    assert client.get("/").status_code == 200
    clock.now += 11 * 60
    response = client.get("/offers")
    assert response.status_code == 302 and "/login" in response.location
    page = client.get(response.location)
    assert page.status_code == 200
    assert ENDED in text(page)
    assert "you will come back to the page you were on" in text(page)
    assert ENDED not in text(client.get("/login"))  # said once
    # ... and logging in goes back to the page the user was on.
    again = client.post(
        response.location,
        data={
            "email": desk.users["donor"].email,
            "password": "correct horse battery staple",
            "csrf_token": csrf_token(client, response.location),
        },
    )
    assert again.status_code == 302 and again.location.endswith("/offers")


def test_the_message_in_ukrainian(short_app, desk, clock):
    client = short_app.test_client()
    login(client, desk.users["donor"])
    clock.now += 11 * 60
    page = client.get("/login", headers=UK)
    assert "Ваш сеанс завершився через 10 хвилин бездіяльності" in text(page)


def test_no_message_on_a_first_visit_or_while_active(short_app, desk, clock):
    client = short_app.test_client()
    assert "Your session ended" not in text(client.get("/login"))
    login(client, desk.users["donor"])
    for _ in range(3):
        clock.now += 9 * 60
        assert client.get("/").status_code == 200
    assert "Your session ended" not in text(client.get("/login", follow_redirects=True))


def test_no_message_after_logging_out(short_app, desk, clock):
    client = short_app.test_client()
    login(client, desk.users["donor"])
    post(client, "/logout", form_page="/")
    clock.now += 11 * 60
    assert "Your session ended" not in text(client.get("/login"))


def test_no_message_when_the_session_ended_for_another_reason(short_app, desk, clock):
    client = short_app.test_client()
    login(client, desk.users["donor"])
    accounts.set_password(None, desk.user("donor"), "a completely new passphrase")
    assert client.get("/").status_code == 302
    clock.now += 11 * 60
    assert "Your session ended" not in text(client.get("/login"))


def test_the_marker_is_not_secret_and_not_for_scripts(short_app, desk, clock):
    client = short_app.test_client()
    response = login(client, desk.users["donor"])
    marker = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(auth.ACTIVITY_COOKIE)
    ]
    assert marker and marker[-1].split(";")[0] == f"{auth.ACTIVITY_COOKIE}={int(clock.now)}"
    assert "httponly" in marker[-1].lower() and "samesite=strict" in marker[-1].lower()


# --- 2. a form refused for its CSRF token ------------------------------------------


def test_a_form_sent_after_the_session_expired(short_app, desk, clock):
    client = short_app.test_client()
    login(client, desk.users["donor"])
    token = csrf_token(client, "/profile")
    clock.now += 11 * 60
    response = client.post(
        "/profile",
        data={"csrf_token": token, "tok-name": "typed text"},
        headers={"Referer": "http://localhost/profile"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "The form was not sent" in page
    assert "Your session ended after 10 minutes without activity" in page
    assert "Nothing was saved" in page
    assert "with what you typed filled in again" in page
    assert "data-form-not-sent" in page
    assert re.search(r'<button type="button" class="button" data-history-back hidden>', page)
    assert re.search(r'href="/login\?next=(/|%2F)profile">Log in again<', page)
    assert "That did not work" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script (CSP)"


def test_a_refused_form_while_logged_in(client, desk):
    login(client, desk.users["donor"])
    response = client.post(
        "/profile",
        data={"csrf_token": "stale", "tok-name": "typed"},
        headers={"Referer": "http://localhost/profile"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "opened before you last logged in" in page
    assert 'href="/profile"' in page and "Open the form again" in page
    assert "Log in again" not in page


def test_a_refused_form_does_not_link_elsewhere(client, desk):
    response = client.post(
        "/login",
        data={"csrf_token": "x"},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "evil.example" not in page and "no longer logged in" in page


def test_a_refused_form_in_ukrainian(client, desk):
    response = client.post("/login", data={"csrf_token": "x"}, headers=UK)
    assert response.status_code == 400
    assert "Форму не надіслано" in text(response) and "Увійти знову" in text(response)


def test_the_back_button_script():
    script = (Path(auth.__file__).parent.parent / "static" / "tmdesk.js").read_text()
    assert "[data-history-back]" in script and "history.back()" in script
    # What was typed is kept in the tab while a form is sent, never a password.
    assert "sessionStorage" in script and "[data-form-not-sent]" in script
    assert "input[type=password]" in script


# --- 3. first run without the setup link -------------------------------------------


@pytest.fixture
def unset_app(data_dir, db):
    return create_app(data_dir, {"TESTING": True, "TMDESK_SETUP_TOKEN": "the-printed-token"})


def test_setup_without_the_link_says_where_it_is(unset_app):
    client = unset_app.test_client()
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 403
    page = text(response)
    assert "tmdesk is not set up yet" in page
    assert "Open the setup link printed where tmdesk was started" in page
    assert "Not allowed" not in page
    wrong = client.get("/setup?token=guess")
    assert wrong.status_code == 403 and "the-printed-token" not in text(wrong)
    assert client.get("/setup?token=the-printed-token").status_code == 200


def test_setup_hint_in_ukrainian(unset_app):
    response = unset_app.test_client().get("/setup", headers=UK)
    assert response.status_code == 403 and "tmdesk ще не налаштовано" in text(response)


# --- 4. the audit filter in words --------------------------------------------------


def test_audit_filter_names_what_changed(client, desk):
    desk.published()
    login(client, desk.users["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    options = dict(re.findall(r'<option value="([a-z]+)"[^>]*>([^<]+)</option>', page))
    assert options["project"] == "Projects"
    assert options["organisation"] == "Organisations"
    assert options["user"] == "User accounts"
    assert all(code != name for code, name in options.items()), options
    chosen = client.get("/admin/audit?entity_type=project").get_data(as_text=True)
    assert '<option value="project" selected>Projects</option>' in chosen


def test_audit_log_says_what_each_event_is_about(client, desk):
    from tmdesk.web.admin import ENTITY_NAMES, ENTITY_TYPES

    assert set(ENTITY_NAMES) == set(ENTITY_TYPES)  # one name for each kind, both ways
    project = desk.published()
    login(client, desk.users["admin"])
    page = client.get("/admin/audit?entity_type=project").get_data(as_text=True)
    assert f"published {project.ref}" in page  # in words (issue 15), not "Project 12"
    uk = client.get("/admin/audit?entity_type=project", headers=UK).get_data(as_text=True)
    assert f"проєкт {project.ref}" in uk and "опубліковано" in uk


def test_audit_filter_in_ukrainian(client, desk):
    login(client, desk.users["admin"])
    page = client.get("/admin/audit", headers=UK).get_data(as_text=True)
    assert '<option value="organisation">Організації</option>' in page


# --- 5. offer statuses agree in Ukrainian ------------------------------------------


def test_offer_statuses_share_one_form_in_ukrainian(app):
    with app.test_request_context(), force_locale("uk"):
        words = [gettext(text) for text in OFFER_STATUSES.values()]
    assert all(w != t for w, t in zip(words, OFFER_STATUSES.values(), strict=True)), words
    # The impersonal form (відкрито, закрито), as every other status list uses:
    # "Closed" and "Withdrawn" are shared with the projects' and the pledges' statuses.
    assert {w[-1] for w in words} == {"о"}, words


# --- 6. the IATI form's two TLP fields ----------------------------------------------


def test_iati_form_labels_its_tlp_fields_apart(client, desk):
    login(client, desk.users["donor"])
    page = client.get("/reports/iati").get_data(as_text=True)
    labels = re.findall(r"<label[^>]*>([^<]*TLP[^<]*)</label>", page)
    # The report form's two TLP fields say which is which; the saved-settings form
    # (issue 16) repeats only the IATI one, under the same words.
    assert set(labels) == {"Highest TLP label to include", labels[-1]} and len(set(labels)) == 2, (
        labels
    )
    assert "Highest TLP label to publish in the IATI file" in labels
    assert "whatever the filter above allows" in page
