"""Helpers the tests import by name: the suite's password, the small desk world
(organisations of every kind, one user each), logging in and posting forms with
their CSRF token, the paths through the workflow, plugin approval, a clock, and
reading a page's tables by row and cell (not by their markup, which the phone
layout's cards change).

Fixtures stay in conftest.py; test modules import these from here, never from
conftest (a conftest is pytest's plugin, not a library).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

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


# --- a page's tables, read by row and cell ------------------------------------


@dataclass
class Cell:
    """One ``<td>`` or ``<th>``: its attributes, its visible text (white space
    folded, entities decoded) and the markup inside it as the page sent it."""

    tag: str
    attrs: dict[str, str]
    text: str
    html: str

    @property
    def is_row_header(self) -> bool:
        return self.tag == "th" and self.attrs.get("scope") == "row"


@dataclass
class Row:
    """One ``<tr>``, in the table's ``thead``, ``tbody`` or ``tfoot`` ("" if none)."""

    section: str
    cells: list[Cell] = field(default_factory=list)
    html: str = ""
    columns: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(cell.text for cell in self.cells)

    def cell(self, column: str) -> Cell:
        """The cell under the header ``column`` (the header row's text)."""
        return self.cells[self.columns.index(column)]


@dataclass
class Table:
    """One ``<table>``: its attributes, whether it sits in a visually hidden block
    (a chart's numbers for screen readers), its header row's texts and its rows."""

    attrs: dict[str, str]
    hidden: bool
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def body(self) -> list[Row]:
        return [row for row in self.rows if row.section in ("tbody", "")]


class _TableReader(HTMLParser):
    BLOCKS = ("div", "section", "figure")

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.tables: list[Table] = []
        self._open: list[tuple[Table, str]] = []  # (table, section) for nested tables
        self._row: list[tuple[Row, int]] = []
        self._cell: list[tuple[str, dict[str, str], list[str], int]] = []
        self._depth = 0
        self._hidden_at: list[int] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _close_cell(self, end: int) -> None:
        tag, attrs, texts, start = self._cell.pop()
        text = " ".join("".join(texts).split())
        self._row[-1][0].cells.append(Cell(tag, attrs, text, self.source[start:end]))

    def _close_row(self, end: int) -> None:
        if self._cell:
            self._close_cell(end)
        row, start = self._row.pop()
        row.html = self.source[start:end]
        table = self._open[-1][0]
        if row.section == "thead" and not table.columns:
            table.columns = [cell.text for cell in row.cells]
        table.rows.append(row)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag in self.BLOCKS:
            self._depth += 1
            if "visually-hidden" in a.get("class", "").split():
                self._hidden_at.append(self._depth)
        if tag == "table":
            table = Table(a, hidden=bool(self._hidden_at))
            self.tables.append(table)
            self._open.append((table, ""))
        elif not self._open:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._open[-1] = (self._open[-1][0], tag)
        elif tag == "tr":
            if self._row:
                self._close_row(self._offset())
            self._row.append((Row(self._open[-1][1]), self._offset()))
        elif tag in ("td", "th") and self._row:
            if self._cell:
                self._close_cell(self._offset())
            start = self._offset() + len(self.get_starttag_text() or "")
            self._cell.append((tag, a, [], start))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            if self._hidden_at and self._hidden_at[-1] == self._depth:
                self._hidden_at.pop()
            self._depth -= 1
        if not self._open:
            return
        if tag in ("td", "th") and self._cell:
            self._close_cell(self._offset())
        elif tag == "tr" and self._row:
            end = self._offset() + len("</tr>")
            if self._cell:
                self._close_cell(self._offset())
            self._close_row(end)
        elif tag == "table":
            if self._row:
                self._close_row(self._offset())
            table = self._open.pop()[0]
            for row in table.rows:
                row.columns = table.columns

    def handle_data(self, data):
        if self._cell:
            self._cell[-1][2].append(data)


def tables(html: str) -> list[Table]:
    """The tables of a page, in page order, read with the standard library's parser."""
    reader = _TableReader(html)
    reader.feed(html)
    reader.close()
    return reader.tables


def table_rows(html: str) -> list[Row]:
    """Every row of every table in ``html`` (header rows included), in page order."""
    return [row for table in tables(html) for row in table.rows]


def row_with(html: str, text: str) -> Row:
    """The one body row of a table in ``html`` whose cells' text contains ``text``."""
    found = [row for table in tables(html) for row in table.body if text in row.text]
    assert len(found) == 1, f"{len(found)} table rows show {text!r}"
    return found[0]


def row_headers(html: str) -> list[str]:
    """The texts of the row headers (``<th scope="row">``) of every table in ``html``."""
    return [cell.text for row in table_rows(html) for cell in row.cells if cell.is_row_header]
