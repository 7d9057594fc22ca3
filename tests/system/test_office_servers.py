"""Several app servers, one database: two ``tmdesk serve`` processes, each with its own
data folder (as on two machines), on one PostgreSQL database, worked through both.

Nothing that must be shared lives in one process: failed logins count across both
servers, a plugin approved on one runs on the other, what one writes the other
reads with the audit chain unbroken, a launch token belongs to the process that minted
it (its secret and single use are that process's by design), and neither
server starts its own backup thread (on PostgreSQL backups are ``pg_dump``'s, run once
by a timer: docs/office.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request

import pytest

from tests.helpers import PASSWORD
from tests.live_server import start_server
from tests.plugins.test_plugin_approval import drop, plugin_source
from tests.system.test_desktop import Browser, form_token
from tmdesk.core import tokens
from tmdesk.core.audit import verify_chain
from tmdesk.core.db import database
from tmdesk.core.models import Document, Project, User
from tmdesk.runtime.instance import mint_token, read_info

pytestmark = [pytest.mark.slow, pytest.mark.postgresql_only]


def browser() -> Browser:
    """A cookie-keeping client that reads the pages in English."""
    client = Browser()
    client.opener.addheaders = [("Accept-Language", "en")]
    return client


def submit(client: Browser, base: str, path: str, data: dict, form_page: str) -> tuple[int, str]:
    """POST a form with the CSRF token of ``form_page``: the final status and address."""
    token = form_token(client.get(base + form_page)[2])
    status, url, _ = client.post(base + path, {"csrf_token": token, **data})
    return status, url


def login(client: Browser, base: str, email: str, password: str) -> bool:
    """Whether logging in at ``base`` worked (a refusal shows the form again, 400)."""
    status, url = submit(client, base, "/login", {"email": email, "password": password}, "/login")
    return status == 200 and not url.endswith("/login")


def api(base: str, token: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310: http://127.0.0.1
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def upload(client: Browser, url: str, csrf: str, name: str, content: bytes) -> int:
    """POST one file as a browser's form does (multipart), with the CSRF token."""
    boundary = "tmdesk-two-servers"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    try:
        with client.opener.open(request, timeout=10) as response:  # nosec B310: http://127.0.0.1
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def two_servers(desk, tmp_path):
    """Servers A and B, own data folders, one database; the same plugin file in both,
    one shared documents folder and one secret key file (docs/office.md)."""
    folders = [tmp_path / "a", tmp_path / "b"]
    marker = tmp_path / "ran"
    for folder in folders:
        drop(folder, "partner.py", plugin_source("partner-fmt", marker))
    shared = {
        "TMDESK_DOCUMENTS_DIR": str(tmp_path / "shared" / "documents"),
        "TMDESK_SECRET_KEY_FILE": str(tmp_path / "shared" / "secret_key"),
    }
    database.close()
    servers = []
    try:
        for folder in folders:
            servers.append(start_server(folder, threads=2, env=dict(os.environ, **shared)))
        yield servers, folders
    finally:
        for server in servers:
            server.stop()
        database.connect(reuse_if_open=True)


def test_two_servers_share_one_database(desk, two_servers):
    (a, b), folders = two_servers
    with database.connection_context():
        recipient = desk.user("recipient")
        _, token = tokens.create_token(None, recipient, "two servers")

    # What one writes, the other reads.
    status, made = api(
        a.url,
        token,
        "/api/v1/projects",
        {
            "title": {"en": "Written through A", "uk": "Записано через A"},
            "summary": {"en": "Two servers."},
            "category": "training",
            "budget": {"amount": "1000.00", "currency": "EUR"},
            "tlp": "GREEN",
        },
    )
    assert status == 201
    status, read = api(b.url, token, f"/api/v1/projects/{made['ref']}")
    assert status == 200 and read["title"]["en"] == "Written through A"

    # One login, good at both servers (one secret key file; the browser sends the
    # cookie of 127.0.0.1 to either port), and a document uploaded through A
    # downloads through B (one documents folder).
    person = browser()
    assert login(person, a.url, desk.users["recipient"].email, PASSWORD)
    status, address, _ = person.get(b.url + "/dashboard")
    assert status == 200 and address == b.url + "/dashboard"
    page = f"/projects/{made['ref']}"
    csrf = form_token(person.get(a.url + page)[2])
    assert upload(person, f"{a.url}{page}/documents", csrf, "Plan.pdf", b"%PDF-1.7 shared") == 200
    with database.connection_context():
        doc = Document.get(Document.project == Project.get(Project.ref == made["ref"]).id)
    assert person.get(f"{b.url}/documents/{doc.uid}")[2] == "%PDF-1.7 shared"
    assert not any((folder / "documents").exists() for folder in folders)
    assert not any((folder / "secret_key").exists() for folder in folders)

    # Failed logins count on both servers: two on A and one on B make the account wait,
    # and the right password is then refused on B too.
    email = desk.users["donor"].email
    for server in (a, b, a):
        assert not login(browser(), server.url, email, "wrong password, wrong server")
    with database.connection_context():
        donor = User.get(User.email == email)
        assert donor.failed_logins == 3 and donor.locked_until is not None
    # Refused: the account waits, whichever server is asked.
    assert not login(browser(), b.url, email, PASSWORD)

    # A plugin approved on A is approved on B.
    digest = hashlib.sha256((folders[0] / "plugins" / "partner.py").read_bytes()).hexdigest()
    admin_a, admin_b = browser(), browser()
    assert login(admin_a, a.url, "admin@example.org", PASSWORD)
    assert login(admin_b, b.url, "admin@example.org", PASSWORD)
    approve = {"file_name": "partner.py", "sha256": digest}
    assert submit(admin_a, a.url, "/reports/plugins/approve", approve, "/reports/plugins")[0] == 200
    assert "partner-fmt" in admin_a.get(a.url + "/reports")[2]
    # B's Plugins page reads the approvals afresh (and B loads its plugins again); its
    # other pages look every few seconds (extensions.PLUGINS_CHECK_SECONDS).
    html = admin_b.get(b.url + "/reports/plugins")[2]
    assert "partner.py" in html and "Awaiting approval" not in html
    assert "partner-fmt" in admin_b.get(b.url + "/reports")[2]

    # A launch token is the minting process's own (signed with its secret, single use
    # in its data folder): it works once at that server and never at the other.
    launch = f"/desktop/launch?token={mint_token(read_info(folders[0]).secret)}"
    assert browser().get(b.url + launch)[0] == 403
    assert browser().get(a.url + launch)[0] == 200  # on to the login page
    assert browser().get(a.url + launch)[0] == 403

    # Neither process starts a backup thread: on PostgreSQL that is one pg_dump timer.
    for server in (a, b):
        assert "automatic backups skipped" in server.log(), server.log()
    assert not any((folder / "backups").exists() for folder in folders)

    with database.connection_context():
        assert verify_chain().ok
