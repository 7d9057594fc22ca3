"""Sessions, tokens, redirects and login timing (issue 12, items 5, 9, 10, 11).

* Every failed login does the same work: one password-hash check, whatever
  the reason (counted, not timed).
* Every redirect to an address from the request goes through ``safe_next``,
  which refuses every known open-redirect spelling; a newline is never a 500.
* Logging out ends the session on the server: a copied cookie dies with it,
  even from the same address and browser (a TLS proxy's view of every client).
* API tokens: fresh password to create, expiry, last use, read-only scope,
  listed and revocable on the profile page, revoked with a password change.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.helpers import PASSWORD, csrf_token, login, post, row_with
from tmdesk.core import accounts, offers, pledges, sessions, tokens
from tmdesk.core.errors import NotFound, ValidationError
from tmdesk.core.models import ApiToken, AuditEvent, OfferLink, User, UserSession, utcnow
from tmdesk.web.common import is_local_path, safe_next

# --- 5. one password-hash check per login attempt, whatever the outcome --------------


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every call of the expensive password-hash check, by the hash it was given."""
    calls: list[str] = []
    real = accounts.check_password_hash

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


def _expensive(calls: list[str]) -> list[str]:
    """The checks that cost what a real one costs (the method real hashes use now)."""
    method = accounts.PASSWORD_METHOD
    return [stored for stored in calls if stored.startswith(method + "$")]


def test_every_login_failure_does_the_same_work(desk, hash_checks):
    admin = desk.user("admin")
    accounts.set_active(admin, desk.user("donor2"), False)
    for _ in range(accounts.FREE_ATTEMPTS):
        accounts.authenticate("observer@example.org", "a wrong guess here")
    assert desk.user("observer").locked_until is not None
    cases = {
        "unknown account": ("nobody@example.org", PASSWORD),
        "wrong password": ("donor@example.org", "a wrong guess here"),
        "locked, right password": ("observer@example.org", PASSWORD),
        "locked, wrong password": ("observer@example.org", "another wrong guess"),
        "deactivated, right password": ("donor2@example.org", PASSWORD),
        "success": ("company@example.org", PASSWORD),
    }
    for case, (address, password) in cases.items():
        hash_checks.clear()
        accounts.authenticate(address, password)
        assert len(hash_checks) == 1, f"{case}: {len(hash_checks)} hash checks"
        assert len(_expensive(hash_checks)) == 1, f"{case}: not a full-cost check"


def test_login_page_does_the_same_work_for_every_failure(app, desk, hash_checks):
    for _ in range(accounts.FREE_ATTEMPTS):
        accounts.authenticate("observer@example.org", "a wrong guess here")
    for address, password in (
        ("nobody@example.org", PASSWORD),
        ("donor@example.org", "a wrong guess here"),
        ("observer@example.org", PASSWORD),
    ):
        client = app.test_client()
        token = csrf_token(client)
        hash_checks.clear()
        response = client.post(
            "/login", data={"email": address, "password": password, "csrf_token": token}
        )
        assert response.status_code == 400
        assert len(_expensive(hash_checks)) == 1, address


# --- 9. redirects only to pages of this site ----------------------------------------

#: Known ways to make a "local" address lead elsewhere (as the form or query value).
BYPASSES = [
    "//evil.example",
    "///evil.example",
    "////evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/ /evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%252F/evil.example",
    "/%25252F%25252Fevil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//user@evil.example",
    "/\\user@evil.example",
    "https://localhost@evil.example/",
    "/\uff0fevil.example",  # fullwidth solidus
    "/\u2215evil.example",  # division slash
    "/\u2044evil.example",  # fraction slash
    "\uff0f\uff0fevil.example",
    "/\u200b/evil.example",  # zero-width space
    "/\u202e/evil.example",  # right-to-left override
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "evil.example",
    "",
    "/" + "a" * 5000,
]

#: Local pages that must keep working as ``next``.
LOCAL = [
    "/",
    "/catalogue",
    "/catalogue?status=draft&status=submitted&page=2",
    "/projects/TM-2026-0001",
    "/search?q=%D0%BA%D1%96%D0%B1%D0%B5%D1%80",
    "/admin/users/new",
    "/offers/12#links",
]


def _leaves_the_site(location: str) -> bool:
    """Whether a browser following ``location`` (from http://localhost/) leaves the site."""
    # What a browser does first: drop tabs and newlines, read backslashes as slashes.
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return True
    return parts.netloc not in ("", "localhost") or cleaned.startswith("//")


@pytest.mark.parametrize("target", BYPASSES, ids=repr)
def test_safe_next_refuses_known_bypasses(app, target):
    with app.test_request_context():
        assert not is_local_path(target)
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", LOCAL)
def test_safe_next_keeps_local_pages(app, target):
    with app.test_request_context():
        assert safe_next(target) == target


def test_safe_next_sends_unicode_percent_encoded(app):
    with app.test_request_context():
        assert safe_next("/search?q=кібер") == "/search?q=%D0%BA%D1%96%D0%B1%D0%B5%D1%80"


def test_every_next_from_a_request_goes_through_safe_next():
    """The one helper: every place in the web package that reads ``next`` (or any
    address) from a request hands it to ``safe_next`` on the same line."""
    web = Path(__file__).resolve().parents[2] / "tmdesk" / "web"
    offenders = []
    for path in web.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""(args|form|values)\.get\(\s*["']next["']""", line) and (
                "safe_next(" not in line and "target = request.form.get" not in line
            ):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, offenders
    pledges_py = (web / "pledges.py").read_text()
    assert "return safe_next(target) if target else default" in pledges_py


@pytest.fixture
def bypass_world(desk):
    """A published project with a pledge and an offer linked to it."""
    project = desk.published()
    pledge = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "1000", "currency": "EUR"}
    )
    offer = offers.create_offer(
        desk.user("donor"),
        {"category": "equipment", "description": "200 Starlink terminals", "quantity": "200"},
    )
    return project, pledge, offer


def test_no_route_redirects_off_site(app, desk, bypass_world):
    """Every route that takes ``next``, with every bypass: never off the site, never a 500."""
    project, pledge, offer = bypass_world
    officer, admin, donor = app.test_client(), app.test_client(), app.test_client()
    login(officer, desk.users["back_office"])
    login(admin, desk.users["admin"])
    login(donor, desk.users["donor"])
    anonymous = app.test_client()
    problems = []
    for target in BYPASSES:
        query = "?" + urlencode({"next": target})
        answers = {
            "GET /login (logged in)": donor.get("/login" + query),
            "POST /login": anonymous.post(
                "/login" + query,
                data={
                    "email": "donor2@example.org",
                    "password": PASSWORD,
                    "csrf_token": csrf_token(anonymous),
                },
            ),
            "POST /confirm": post(admin, "/confirm" + query, {"password": PASSWORD}, "/confirm"),
            "POST /language": post(donor, "/language", {"lang": "en", "next": target}, "/"),
            "POST pledge transition": post(
                donor,
                f"/pledges/{pledge.uid}/transition",
                {"action": "no-such-step", "next": target},
                "/pledges",
            ),
        }
        link = offers.link_offer(desk.user("back_office"), offer, project, "")
        answers["POST offer-link delete"] = post(
            officer, f"/offer-links/{link.uid}/delete", {"next": target}, f"/offers/{offer.uid}"
        )
        answers["POST offer links"] = post(
            officer,
            f"/offers/{offer.uid}/links",
            {"ref": project.ref, "next": target},
            f"/offers/{offer.uid}",
        )
        OfferLink.delete().execute()
        if anonymous.get("/").status_code == 200:  # logged in (a NUL is refused first: 400)
            anonymous.post("/logout", data={"csrf_token": csrf_token(anonymous, "/")})
        for route, response in answers.items():
            location = response.headers.get("Location", "")
            if response.status_code >= 500:
                problems.append(f"{route} next={target!r}: {response.status_code}")
            elif response.status_code in (301, 302, 303, 307, 308) and _leaves_the_site(location):
                problems.append(f"{route} next={target!r}: to {location!r}")
    assert not problems, "\n".join(problems)


def test_local_next_still_works_on_every_route(app, desk, bypass_world):
    project, pledge, _offer = bypass_world
    donor = app.test_client()
    login(donor, desk.users["donor"])
    assert donor.get("/login?next=/catalogue").location.endswith("/catalogue")
    response = post(donor, "/language", {"lang": "en", "next": "/pledges?page=1"}, "/")
    assert response.location.endswith("/pledges?page=1")
    response = post(
        donor, f"/pledges/{pledge.uid}/transition", {"action": "x", "next": "/pledges"}, "/pledges"
    )
    assert response.location.endswith("/pledges")


# --- 10. logging out ends the session on the server ---------------------------------------

#: What every client looks like behind a TLS-terminating proxy: one address, one browser.
BEHIND_PROXY = {"REMOTE_ADDR": "10.0.0.1", "HTTP_USER_AGENT": "Mozilla/5.0 Firefox/128.0"}


def _twin(app, client):
    """A second client holding a copy of ``client``'s session cookie, seen from the
    same proxy address with the same User-Agent (nothing tells them apart)."""
    copy = app.test_client()
    copy.environ_base.update(BEHIND_PROXY)
    cookie = client.get_cookie("tmdesk_session")
    assert cookie is not None
    copy.set_cookie("tmdesk_session", cookie.value)
    return copy


def _logged_in(client) -> bool:
    response = client.get("/profile")
    return response.status_code == 200


def test_a_copied_cookie_dies_when_its_owner_logs_out(app, desk):
    owner = app.test_client()
    owner.environ_base.update(BEHIND_PROXY)
    login(owner, desk.users["donor"])
    thief = _twin(app, owner)
    assert _logged_in(thief)  # a cookie is a bearer credential while its session lives
    response = post(owner, "/logout", {}, "/")
    assert response.status_code == 302
    assert not _logged_in(owner)
    assert not _logged_in(thief)
    assert not UserSession.select().where(UserSession.user == desk.users["donor"].id).exists()


def test_logging_out_ends_only_that_session(app, desk):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, desk.users["donor"])
    login(phone, desk.users["donor"])
    post(laptop, "/logout", {}, "/")
    assert not _logged_in(laptop)
    assert _logged_in(phone)


def test_a_copied_cookie_dies_with_a_password_change(app, desk):
    owner = app.test_client()
    owner.environ_base.update(BEHIND_PROXY)
    login(owner, desk.users["donor"])
    thief = _twin(app, owner)
    response = post(
        owner,
        "/profile",
        {"pw-current": PASSWORD, "pw-new": "a brand new long passphrase", "pw-revoke_tokens": "y"},
        "/profile",
    )
    assert response.status_code == 302
    assert _logged_in(owner)  # the browser that changed it stays logged in
    assert not _logged_in(thief)


def test_a_copied_cookie_dies_when_the_account_is_deactivated(app, desk):
    owner = app.test_client()
    owner.environ_base.update(BEHIND_PROXY)
    login(owner, desk.users["donor"])
    thief = _twin(app, owner)
    accounts.set_active(desk.user("admin"), desk.user("donor"), False)
    accounts.set_active(desk.user("admin"), desk.user("donor"), True)
    assert not _logged_in(owner)
    assert not _logged_in(thief)


def test_the_server_ends_an_idle_session_whatever_the_cookie_says(app, desk, clock):
    """The server keeps its own inactivity limit: a cookie re-signed with a fresh
    time (or a clock-skewed browser) does not keep a dead session alive."""
    client = app.test_client()
    login(client, desk.users["donor"])
    row = UserSession.get(UserSession.user == desk.users["donor"].id)
    idle = app.permanent_session_lifetime.total_seconds() + 2 * sessions.SESSION_TOUCH_SECONDS
    UserSession.update(last_seen_at=row.last_seen_at - dt.timedelta(seconds=idle)).execute()
    assert not _logged_in(client)
    assert not UserSession.select().exists()


def test_the_session_key_is_stored_only_as_a_hash(app, desk):
    client = app.test_client()
    login(client, desk.users["donor"])
    with client.session_transaction() as session:
        key = session["_sk"]
    row = UserSession.get(UserSession.user == desk.users["donor"].id)
    assert key not in row.key_hash and len(row.key_hash) == 64


# --- 11. API tokens --------------------------------------------------------------------


def _create_token(client, **fields):
    data = {"tok-name": "script", "tok-expires_days": "90", "tok-scope": "read_write"}
    data |= {f"tok-{k}": v for k, v in fields.items()}
    return post(client, "/profile", data, "/profile")


def test_creating_a_token_needs_a_recent_password(app, desk, clock):
    client = app.test_client()
    login(client, desk.users["donor"])
    clock.now += 16 * 60
    response = _create_token(client)
    assert response.status_code == 302 and "/confirm" in response.location
    assert "next=/profile" in response.location.replace("%2F", "/")
    assert not ApiToken.select().where(ApiToken.user == desk.users["donor"].id).exists()
    post(client, "/confirm?next=/profile", {"password": PASSWORD}, "/confirm")
    response = _create_token(client)
    assert response.status_code == 200
    assert ApiToken.select().where(ApiToken.user == desk.users["donor"].id).count() == 1


def test_token_expiry_scope_and_last_use_are_on_the_profile(app, desk):
    client = app.test_client()
    login(client, desk.users["donor"])
    response = _create_token(client, name="nightly export", expires_days="30", scope="read")
    html = response.get_data(as_text=True)
    plain = re.search(r'<code class="token">([^<]+)</code>', html).group(1)
    token = ApiToken.get(ApiToken.user == desk.users["donor"].id)
    assert token.scope == "read"
    assert abs((token.expires_at - utcnow()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    html = client.get("/profile").get_data(as_text=True)
    row = row_with(html, "nightly export")
    assert row.cells[0].text == "nightly export"
    assert "Read only" in row.text
    assert "never" not in row.text  # used once: the date shows
    assert token.expires_at.strftime("%Y") in row.text
    assert (
        f"/profile/tokens/{token.id}/revoke" in row.html
        and f"/profile/tokens/{token.id}/renew" in row.html
    )


@pytest.mark.parametrize("days", ["0", "367", "-1", "ten", "9" * 30, "1.5"])
def test_token_days_out_of_range_are_refused_with_a_message(app, desk, days):
    client = app.test_client()
    login(client, desk.users["donor"])
    response = _create_token(client, expires_days=days)
    assert response.status_code == 400
    assert "A whole number of days from 1 to 366." in response.get_data(as_text=True)
    assert not ApiToken.select().exists()


def test_an_expired_token_is_refused_and_can_be_renewed(app, desk, clock):
    user = desk.user("donor")
    token, plain = tokens.create_token(user, user, "old", expires_days=1)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    ApiToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    client = app.test_client()
    login(client, desk.users["donor"])
    assert "expired" in client.get("/profile").get_data(as_text=True)
    response = post(client, f"/profile/tokens/{token.id}/renew", {}, "/profile")
    assert response.status_code == 302
    renewed = ApiToken.get_by_id(token.id).expires_at
    assert renewed - utcnow() > dt.timedelta(days=89)
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert AuditEvent.select().where(AuditEvent.action == "token.renew").exists()
    # renewing also needs a recent password, and only the owner may
    clock.now += 16 * 60
    response = post(client, f"/profile/tokens/{token.id}/renew", {}, "/profile")
    assert "/confirm" in response.location
    other = app.test_client()
    login(other, desk.users["donor2"])
    assert post(other, f"/profile/tokens/{token.id}/renew", {}, "/profile").status_code == 404


def test_a_read_only_token_cannot_write(app, desk):
    project = desk.published()
    user = desk.user("donor")
    _token, plain = tokens.create_token(user, user, "ro", scope="read")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/projects", headers=headers).status_code == 200
    before = pledges.Pledge.select().count()
    response = api.post(
        f"/api/v1/projects/{project.ref}/pledges",
        json={"amount": "100", "currency": "EUR"},
        headers=headers,
    )
    assert response.status_code == 403
    assert "read-only" in response.get_json()["error"]
    assert pledges.Pledge.select().count() == before
    _token, rw = tokens.create_token(user, user, "rw")
    response = api.post(
        f"/api/v1/projects/{project.ref}/pledges",
        json={"amount": "100", "currency": "EUR"},
        headers={"Authorization": f"Bearer {rw}"},
    )
    assert response.status_code == 201


def test_a_password_change_revokes_tokens_unless_the_person_keeps_them(app, desk):
    user = desk.user("donor")
    _t, first = tokens.create_token(user, user, "first")
    client = app.test_client()
    login(client, desk.users["donor"])
    html = client.get("/profile").get_data(as_text=True)
    assert re.search(
        r'name="pw-revoke_tokens"[^>]*checked|checked[^>]*name="pw-revoke_tokens"', html
    )
    post(
        client,
        "/profile",
        {"pw-current": PASSWORD, "pw-new": "a brand new long passphrase", "pw-revoke_tokens": "y"},
        "/profile",
    )
    assert tokens.token_for(first) is None
    _t, second = tokens.create_token(user, user, "second")
    post(  # the box unticked: the tokens stay
        client,
        "/profile",
        {"pw-current": "a brand new long passphrase", "pw-new": "yet another long passphrase"},
        "/profile",
    )
    assert tokens.token_for(second) is not None


def test_an_administrators_reset_revokes_tokens(desk):
    user = desk.user("observer")
    _t, plain = tokens.create_token(user, user)
    accounts.set_password(desk.user("admin"), user, "a reset long passphrase")
    assert tokens.token_for(plain) is None


def test_core_token_checks(desk):
    user = desk.user("donor")
    with pytest.raises(ValidationError):
        tokens.create_token(user, user, scope="admin")
    token, plain = tokens.create_token(user, user)
    assert token.expires_at - token.created_at == dt.timedelta(days=tokens.TOKEN_DEFAULT_DAYS)
    assert tokens.token_for(plain, now=token.expires_at) is None
    assert tokens.token_for(plain, now=token.expires_at - dt.timedelta(seconds=1)) is not None
    with pytest.raises(NotFound):
        tokens.renew_token(desk.user("donor2"), token)
    assert User.get_by_id(user.id).active
