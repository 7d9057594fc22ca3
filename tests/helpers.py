"""Helpers the tests import by name: the suite's password, the small desk world
(organisations of every kind, one user each), logging in and posting forms with
their CSRF token, the paths through the workflow, plugin approval and a clock.

Fixtures stay in conftest.py; test modules import these from here, never from
conftest (a conftest is pytest's plugin, not a library).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask.testing import FlaskClient

from tmdesk.core import accounts, projects
from tmdesk.core.models import Organisation, Project, User

PASSWORD = "correct horse battery staple"


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


class EnglishClient(FlaskClient):
    """A test client whose requests say ``Accept-Language: en`` unless told otherwise."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


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
