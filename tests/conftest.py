"""Shared fixtures: a fresh data dir per test, the app, and one user per role.

``desk`` builds a small world (one organisation of every kind, one user in
each) that tests extend; ``login(client, user)`` logs a test client in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests import pg
from tmdesk.core import accounts, projects
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.models import Organisation, Project, User

PASSWORD = "correct horse battery staple"

# Real installations hash with scrypt; the suite creates hundreds of accounts,
# so it uses a cheap method. Login checks read the method from each hash.
accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"


# --- the engine the suite runs on (tests/pg.py) -------------------------------
on_postgresql = pg.on_postgresql


def pytest_configure(config):
    pg.start_worker(os.environ.get("PYTEST_XDIST_WORKER", "main"))


def pytest_unconfigure(config):
    pg.stop_worker()


def pytest_collection_modifyitems(config, items):
    skip = (
        pytest.mark.skip(reason="about SQLite itself (its file, WAL or online backup)")
        if on_postgresql()
        else pytest.mark.skip(reason="a PostgreSQL promise: set TMDESK_TEST_DATABASE_URL")
    )
    unwanted = "sqlite_only" if on_postgresql() else "postgresql_only"
    for item in items:
        if unwanted in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_postgresql():
    """On PostgreSQL, every test starts from an empty tmdesk schema."""
    if on_postgresql():
        pg.resetter().reset()
    yield


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def db(data_dir):
    """An open, migrated database in a temporary data dir."""
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


#: A valid draft project (tests override what they need).
DRAFT_FIELDS = {
    "title_en": "SOC analyst training",
    "title_uk": "Навчання аналітиків SOC",
    "summary_en": "Train 40 analysts.",
    "category": "training",
    "budget_amount": "100000",
    "budget_currency": "EUR",
    "tlp": "GREEN",
    "priority": "high",
}


#: The officer :meth:`Desk.submitted` names on TLP:RED projects (not one of the desk's users).
RED_REVIEWER = "red.reviewer@example.org"


@dataclass
class Desk:
    """Organisations and users of every kind, created by the ``desk`` fixture."""

    orgs: dict[str, Organisation]
    users: dict[str, User]

    def user(self, key: str) -> User:
        return User.get_by_id(self.users[key].id)

    def draft(self, owner: str = "recipient", **fields) -> Project:
        return projects.create_draft(self.user(owner), DRAFT_FIELDS | fields)

    def submitted(self, owner: str = "recipient", **fields) -> Project:
        """A submitted project; a TLP:RED one names :meth:`red_reviewer` first (a RED
        project needs an officer named to be submitted), so the desk's own users keep
        exactly the visibility the rule gives them."""
        project = self.draft(owner, **fields)
        if project.tlp == "RED":
            projects.set_members(self.user(owner), project, [self.red_reviewer().email])
        projects.transition(self.user(owner), project, "submit")
        return Project.get_by_id(project.id)

    def published(self, owner: str = "recipient", **fields) -> Project:
        project = self.submitted(owner, **fields)
        projects.transition(self.user("back_office"), project, "publish")
        return Project.get_by_id(project.id)

    def red_reviewer(self) -> User:
        """A Back Office officer who is not one of :attr:`users`, named on RED projects."""
        found = User.get_or_none(User.email == RED_REVIEWER)
        return found or accounts.create_user(None, RED_REVIEWER, "BACKOFFICE", PASSWORD)


ORGS = {
    # key: (code, kind, country, english name)
    "recipient": ("SSSCIP", "recipient", "UA", "State Service of Special Communications"),
    "recipient2": ("MDT", "recipient", "UA", "Ministry of Digital Transformation"),
    "back_office": ("BACKOFFICE", "back_office", "PL", "Tallinn Mechanism Back Office"),
    "project_office": ("TMPO", "project_office", "UA", "Tallinn Mechanism Project Office"),
    "donor": ("GB", "donor", "GB", "United Kingdom"),
    "donor2": ("EE", "donor", "EE", "Estonia"),
    "observer": ("EU", "observer", "BE", "European Union"),
    "company": ("CYBERCO", "company", "UA", "CyberCo LLC"),
    "company2": ("SECURA", "company", "EE", "Secura OÜ"),
}


def create_people(
    orgs: dict[str, tuple[str, str, str, str]], name: Callable[[str], str]
) -> tuple[dict[str, Organisation], dict[str, User]]:
    """Each organisation of ``orgs`` with one user, KEY@example.org, named
    ``name(KEY)``, plus admin@example.org (a TMPO administrator, ``name("admin")``)."""
    created, users = {}, {}
    for key, (code, kind, country, org_name) in orgs.items():
        created[key] = accounts.create_organisation(
            None, {"code": code, "kind": kind, "country": country, "name_en": org_name}
        )
        users[key] = accounts.create_user(
            None, f"{key}@example.org", code, PASSWORD, name=name(key)
        )
    users["admin"] = accounts.create_user(
        None, "admin@example.org", "TMPO", PASSWORD, name=name("admin"), is_admin=True
    )
    return created, users


@pytest.fixture
def desk(db) -> Desk:
    return Desk(*create_people(ORGS, lambda key: key.replace("_", " ").title()))


@pytest.fixture
def app(data_dir, db):
    from tmdesk.web import create_app

    app = create_app(data_dir, {"TESTING": True})
    database.connect(reuse_if_open=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` carries."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user: User | str, password: str = PASSWORD):
    email = user if isinstance(user, str) else user.email
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def post(client, path: str, data: dict | None = None, form_page: str | None = None, **kw):
    """POST a form with the CSRF token taken from ``form_page`` (default: ``path``)."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kw)


# --- language of the test clients (i18n) ------------------------------------
# The app answers in Ukrainian by default (no Accept-Language header) once the
# Ukrainian catalogue is compiled. The suite's assertions are written against the
# English msgids, so every test client asks for English unless a test sends its
# own Accept-Language header (tests/test_i18n.py does, for Ukrainian).
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402


class EnglishClient(FlaskClient):
    """A test client whose requests say ``Accept-Language: en`` unless told otherwise."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


Flask.test_client_class = EnglishClient


#: How to bring a fresh draft to each status: (action, who) steps.
WORKFLOW_PATHS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "submitted": [("submit", "recipient")],
    "returned": [("submit", "recipient"), ("return", "back_office")],
    "rejected": [("submit", "recipient"), ("reject", "back_office")],
    "published": [("submit", "recipient"), ("publish", "back_office")],
    "in_implementation": [
        ("submit", "recipient"),
        ("publish", "back_office"),
        ("start", "recipient"),
    ],
    "delivered": [
        ("submit", "recipient"),
        ("publish", "back_office"),
        ("start", "recipient"),
        ("deliver", "recipient"),
    ],
    "closed": [
        ("submit", "recipient"),
        ("publish", "back_office"),
        ("start", "recipient"),
        ("deliver", "recipient"),
        ("close", "project_office"),
    ],
    "withdrawn": [("withdraw", "recipient")],
}


def approve_plugin_files(data_dir) -> dict[str, str]:
    """Approve every file now in ``data_dir/plugins`` (as an administrator at the
    command line would), so the app and the CLI run them; the database must be open."""
    from tmdesk.core.plugin_approvals import approve
    from tmdesk.plugins.manager import current_hashes

    hashes = current_hashes(data_dir)
    for name, digest in hashes.items():
        approve(None, name, digest)
    return hashes


class Clock:
    """A clock the session signer and tmdesk's freshness and expiry checks all read."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Session time under the test's control: move it with ``clock.now += seconds``."""
    from itsdangerous import TimestampSigner

    from tmdesk.web import auth

    clock = Clock()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(clock()))
    monkeypatch.setattr(auth, "_now", clock)
    return clock
