"""Hostile and broken input on every form and API endpoint (issue 5).

For every state-changing route of tests/web/test_access_matrix.py's ``ACCESS``
table, sent by a role allowed to use it: each string of tests/payloads.py in
every field, the wrong JSON types, bodies that are not JSON objects, missing
and extra fields. The answer is never a 500; a refusal (4xx) stores nothing;
and what is stored is shown escaped in pages and neutralised in exports.
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

import pytest

from tests import payloads
from tests.security_world import LOGGED_IN, fast_sync, fingerprint, restore, snapshot, world_in
from tests.web.test_access_matrix import ACCESS, STATE_METHODS, Caller, build_url, is_api
from tmdesk.core import projects
from tmdesk.core.db import database
from tmdesk.core.models import Project, User


@pytest.fixture
def world(data_dir):
    return world_in(data_dir)


@pytest.fixture
def wapp(data_dir, world):
    from tmdesk.web import create_app

    database.close()
    app = create_app(data_dir, {"TESTING": True})
    fast_sync()
    database.connect(reuse_if_open=True)
    return app


def writes(api: bool) -> list[tuple[str, str]]:
    """(rule, method) of every state-changing route with a payload, pages or API."""
    out = []
    for rule, policy in sorted(ACCESS.items()):
        if policy.absent or is_api(rule) != api:
            continue
        for method, roles in policy.who.items():
            if method in STATE_METHODS and set(roles) & set(LOGGED_IN):
                out.append((rule, method))
    return out


def allowed_role(rule: str, method: str) -> str:
    roles = ACCESS[rule].who[method]
    return next(r for r in LOGGED_IN if r in roles)


def _replace_strings(value, text: str):
    """``value`` with every string leaf replaced by ``text`` (nested API bodies too)."""
    if isinstance(value, dict):
        return {k: _replace_strings(v, text) for k, v in value.items()}
    if isinstance(value, str):
        return text
    return value


class Run:
    """Send requests as one role; check each answer; put the database back after changes."""

    def __init__(self, app, world, data_dir, role: str, refusal_recorded: bool = False):
        self.refusal_recorded = refusal_recorded
        self.caller = Caller(app, world)
        self.caller.client(role)
        self.role, self.data_dir = role, data_dir
        self.blob = snapshot(data_dir)
        self.clean = fingerprint()
        self.problems: list[str] = []

    def check(self, label: str, method: str, url: str, data=None, files=False, raw=None):
        if raw is not None:
            client = self.caller.client(self.role)
            response = client.open(
                url,
                method=method,
                data=raw,
                content_type="application/json",
                headers={"Authorization": f"Bearer {self.caller.world.tokens[self.role]}"},
            )
        else:
            response = self.caller.send(self.role, method, url, data, files)
        changed = fingerprint() != self.clean
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{label}: {method} {url}: server error {status}")
        elif status >= 400 and changed and not self.refusal_recorded:
            self.problems.append(f"{label}: {method} {url}: refused ({status}) yet changed rows")
        elif is_api(url) and status >= 400:
            body = response.get_json(silent=True)
            if not isinstance(body, dict) or not body.get("error"):
                self.problems.append(f"{label}: {method} {url}: {status} without a JSON error")
        if changed:
            restore(self.data_dir, self.blob)
        return response


@pytest.mark.parametrize("rule, method", writes(api=False))
def test_forms_survive_hostile_input(rule, method, wapp, world, data_dir):
    policy = ACCESS[rule]
    role = allowed_role(rule, method)
    run = Run(wapp, world, data_dir, role, policy.refusal_recorded)
    url = build_url(rule, policy.args(world))
    valid = policy.data(world, role)
    for name, text in payloads.HOSTILE_TEXT.items():
        run.check(
            name, method, url, {k: text for k in valid} if valid else {"x": text}, policy.files
        )
        for key in valid:  # one field at a time: the others valid
            if name in ("one_megabyte", "nul_bytes", "script", "right_to_left"):
                run.check(f"{name} in {key}", method, url, valid | {key: text}, policy.files)
    run.check("missing fields", method, url, {}, policy.files)
    run.check("extra fields", method, url, valid | payloads.EXTRA_FIELDS, policy.files)
    run.check(
        "repeated fields",
        method,
        url,
        {k: [v, v + "2"] if isinstance(v, str) else v for k, v in valid.items()},
        policy.files,
    )
    assert not run.problems, "\n".join(run.problems)


@pytest.mark.parametrize("rule, method", writes(api=True))
def test_api_survives_hostile_input(rule, method, wapp, world, data_dir):
    policy = ACCESS[rule]
    role = allowed_role(rule, method)
    run = Run(wapp, world, data_dir, role, policy.refusal_recorded)
    url = build_url(rule, policy.args(world))
    valid = policy.data(world, role)
    for name, text in (payloads.HOSTILE_TEXT | payloads.JSON_ONLY_TEXT).items():
        run.check(name, method, url, _replace_strings(valid, text))
    for key in valid:
        for name, wrong in payloads.WRONG_TYPES.items():
            response = run.check(f"{name} in {key}", method, url, valid | {key: wrong})
            if response.status_code in (400, 422):
                fields = (response.get_json() or {}).get("fields", {})
                if not any(f == key or f.startswith(key + ".") or f == "body" for f in fields):
                    run.problems.append(
                        f"{name} in {key}: {response.status_code} does not name the field: {fields}"
                    )
    for name, raw in payloads.BROKEN_BODIES.items():
        response = run.check(f"body {name}", method, url, raw=raw)
        if response.status_code != 400:
            run.problems.append(f"body {name}: {response.status_code}, expected 400")
    for name, raw in payloads.ODD_BODIES.items():
        run.check(f"body {name}", method, url, raw=raw)
    run.check("extra fields", method, url, valid | payloads.EXTRA_FIELDS)
    assert not run.problems, "\n".join(run.problems)


#: Every route that takes an address to go back to, and where it reads it:
#: (rule, role, where: "query" or "form", the rest of a valid form).
NEXT_PARAMETERS = [
    ("/login", "anonymous", "query", {"email": "donor@example.org"}),
    ("/login", "donor", "query", None),  # logged in: a GET redirects at once
    ("/confirm", "admin", "query", {"password": "x"}),
    ("/language", "donor", "form", {"lang": "en"}),
    ("/pledges/<uid:pledge_id>/transition", "donor", "form", {"action": "no-such-step"}),
    ("/offers/<uid:offer_id>/links", "back_office", "form", {"ref": "TM-1999-9999"}),
    ("/offer-links/<uid:link_id>/delete", "back_office", "form", {}),
]


def _off_site(location: str) -> bool:
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/")
    return (
        cleaned.startswith("//")
        or ":" in cleaned.split("/", 1)[0]
        or ("://" in cleaned and "://localhost/" not in cleaned)
    )


@pytest.mark.parametrize("rule, role, where, form", NEXT_PARAMETERS)
def test_next_parameters_survive_hostile_input(rule, role, where, form, wapp, world, data_dir):
    """Every ``next``, every hostile text and every open-redirect spelling: never a
    500, never a redirect off the site (issue 12, item 9)."""
    from tests.security_world import PASSWORD

    assert rule in ACCESS, rule
    args = {"pledge_id": world.ids["pledge"], "offer_id": world.ids["donor_offer"]}
    args["link_id"] = world.ids["link"]
    url = build_url(rule, args)
    run = Run(wapp, world, data_dir, role, refusal_recorded=True)
    values = payloads.HOSTILE_TEXT | payloads.OPEN_REDIRECTS
    for name, target in values.items():
        if form is None:
            response = run.caller.client(role).get(url + "?" + urlencode({"next": target}))
        elif where == "query":
            data = form | ({"password": PASSWORD} if "password" in form else {})
            response = run.check(name, "POST", url + "?" + urlencode({"next": target}), data)
        else:
            response = run.check(name, "POST", url, form | {"next": target})
        location = response.headers.get("Location", "")
        if response.status_code >= 500:
            run.problems.append(f"{name}: {rule}: {response.status_code}")
        elif location and _off_site(location):
            run.problems.append(f"{name}: {rule}: redirected to {location!r}")
    assert not run.problems, "\n".join(run.problems)


def test_extra_fields_are_never_stored(wapp, world):
    caller = Caller(wapp, world)
    data = ACCESS["/projects/new"].data(world, "recipient") | payloads.EXTRA_FIELDS
    response = caller.send("recipient", "POST", "/projects/new", data)
    assert response.status_code == 303
    project = Project.select().order_by(Project.id.desc()).get()
    assert project.status == "draft" and project.recipient.code == "SSSCIP"
    assert project.published_at is None
    body = ACCESS["/api/v1/projects"].data(world, "recipient") | {
        "status": "published",
        "recipient": "MDT",
        "ref": "TM-1999-0001",
    }
    response = caller.send("recipient", "POST", "/api/v1/projects", body)
    assert response.status_code == 201
    assert response.json["status"] == "draft" and response.json["recipient"] == "SSSCIP"
    assert response.json["ref"] != "TM-1999-0001"
    assert not User.get(User.email == "recipient@example.org").is_admin


def test_hostile_file_names_are_made_safe(wapp, world):
    from tmdesk.core.models import Document

    caller = Caller(wapp, world)
    url = f"/projects/{world.refs['pub']}/documents"
    for name in (
        "../../etc/passwd.txt",
        "a\x00b.txt",
        "\u202etxt.exe.txt",
        "<script>x</script>.txt",
        "C:\\Windows\\evil.txt",
    ):
        client = caller.client("recipient")
        response = client.post(
            url,
            data={
                "csrf_token": caller.tokens["recipient"],
                "file": (io.BytesIO(b"plain text\n"), name),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code in (303, 400), (name, response.status_code)
        if response.status_code == 303:
            doc = Document.select().order_by(Document.id.desc()).get()
            assert "/" not in doc.filename and "\\" not in doc.filename
            assert "\x00" not in doc.filename and "\u202e" not in doc.filename
            download = client.get(f"/documents/{doc.uid}")
            assert download.headers["Content-Disposition"].startswith("attachment")


# --- stored text is shown as text ---------------------------------------------------


HOSTILE_TITLE = payloads.SCRIPT + payloads.ATTRIBUTE_BREAK


@pytest.fixture
def hostile_project(wapp, world):
    """A published project whose every text field is hostile."""
    owner = User.get(User.email == "recipient@example.org")
    project = projects.create_draft(
        owner,
        {
            "title_en": HOSTILE_TITLE,
            "title_uk": payloads.FORMULAS[0],
            "summary_en": payloads.SCRIPT + " grid " + payloads.SQL,
            "category": "training",
            "budget_amount": "1000",
            "budget_currency": "EUR",
            "tlp": "GREEN",
            "beneficiaries": payloads.ATTRIBUTE_BREAK,
        },
    )
    projects.transition(owner, project, "submit")
    projects.transition(User.get(User.email == "back_office@example.org"), project, "publish")
    return Project.get_by_id(project.id)


def test_stored_text_is_escaped_in_pages(wapp, world, hostile_project):
    caller = Caller(wapp, world)
    ref = hostile_project.ref
    for role in ("donor", "recipient", "back_office"):
        for url in (
            f"/projects/{ref}",
            "/catalogue",
            "/",
            "/search?q=grid",
            "/dashboard",
            f"/projects/{ref}/pledges/new",
        ):
            response = caller.send(role, "GET", url)
            html = response.get_data(as_text=True)
            if response.status_code != 200:
                continue
            assert payloads.SCRIPT not in html, (role, url)
            assert "<img src=x" not in html, (role, url)
        detail = caller.send(role, "GET", f"/projects/{ref}").get_data(as_text=True)
        assert "&lt;script&gt;alert(" in detail


def test_stored_text_is_plain_data_in_the_api(wapp, world, hostile_project):
    caller = Caller(wapp, world)
    response = caller.send("donor", "GET", f"/api/v1/projects/{hostile_project.ref}")
    assert response.json["title"]["en"] == HOSTILE_TITLE
    assert response.headers["Content-Type"].startswith("application/json")


def test_exports_neutralise_formulas_and_escape_markup(wapp, world, hostile_project, tmp_path):
    from lxml import etree

    caller = Caller(wapp, world)
    base = {"lang": "uk", "status": ["published"]}
    out = caller.send("back_office", "POST", "/reports/csv", base | {"opt_delimiter": "comma"})
    assert out.status_code == 200
    rows = list(csv.reader(io.StringIO(out.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [c for row in rows for c in row]
    assert not [
        c
        for c in cells
        if c[:1] in ("=", "+", "-", "@", "\t", "\r")
        and not c.lstrip("-").replace(".", "", 1).isdigit()
    ], "formula cell in csv"
    assert any(payloads.FORMULAS[0] in c for c in cells)  # kept, only made inert

    out = caller.send("back_office", "POST", "/reports/xlsx", base)
    assert out.status_code == 200
    import openpyxl

    path = tmp_path / "x.xlsx"
    path.write_bytes(out.data)
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)

    out = caller.send(
        "back_office",
        "POST",
        "/reports/iati",
        base | {"donor": "GB", "lang": "en", "opt_max_tlp": "GREEN"},
    )
    if out.status_code == 200:  # IATI lists only projects with this donor's pledges
        root = etree.fromstring(out.data)
        assert root is not None  # well-formed: the text did not break the XML
        assert b"<script>" not in out.data


def test_json_error_bodies_are_json(wapp, world):
    caller = Caller(wapp, world)
    response = caller.send("recipient", "POST", "/api/v1/projects", {"title": payloads.SCRIPT})
    assert response.status_code in (400, 422)
    assert response.headers["Content-Type"].startswith("application/json")
    json.dumps(response.json)


# --- numbers and ids in query strings, form fields and cookies (issue 12, item 8) ----


def _query_names() -> list[str]:
    """Every query parameter the app reads: the catalogue's filters, and each name the
    web package passes to ``args``/``values``/``form`` ``.get``/``.getlist`` (so a
    parameter added later is swept too)."""
    import dataclasses
    from pathlib import Path

    import tmdesk.web
    from tmdesk.core.catalogue import CatalogueFilters

    names = {f.name for f in dataclasses.fields(CatalogueFilters)}
    pattern = re.compile(r"\.(?:get|getlist)\(\s*\"([a-z_]+)\"")
    for source in Path(tmdesk.web.__file__).parent.glob("*.py"):
        names.update(pattern.findall(source.read_text(encoding="utf-8")))
    return sorted(names)


QUERY_NAMES = _query_names()


def _get_routes() -> list[str]:
    return sorted(
        rule for rule, policy in ACCESS.items() if "GET" in policy.who and not policy.absent
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return url + ("&" if "?" in url else "?") + urlencode(params)


@pytest.mark.slow  # every GET route x ~200 hostile queries: ~21,000 requests, ~8 min of CPU
@pytest.mark.parametrize("rule", _get_routes())
def test_query_parameters_are_bounded(rule, wapp, world):
    """Every GET route, each hostile number or id in every query parameter the app reads
    (all at once, then the worst values one parameter at a time): never a 500.
    One test per route, so that xdist spreads the sweep over its workers."""
    assert {"page", "per_page", "limit", "offer"} <= set(QUERY_NAMES), QUERY_NAMES
    caller = Caller(wapp, world)
    problems = []
    policy = ACCESS[rule]
    url = build_url(rule, policy.args(world))
    role = (
        next(r for r in ("back_office", "admin", "donor", "recipient") if r in policy.who["GET"])
        if set(policy.who["GET"]) & set(LOGGED_IN)
        else "anonymous"
    )
    for label, value in payloads.HOSTILE_NUMBERS.items():
        for who in (role, "anonymous"):
            response = caller.send(who, "GET", _with_query(url, dict.fromkeys(QUERY_NAMES, value)))
            if response.status_code >= 500:
                problems.append(f"{rule} all parameters={label} as {who}: {response.status_code}")
    for name in QUERY_NAMES:
        for label in ("20 digits", "5000 digits", "superscript two", "nul"):
            target = _with_query(url, {name: payloads.HOSTILE_NUMBERS[label]})
            response = caller.send(role, "GET", target)
            if response.status_code >= 500:
                problems.append(f"{rule} {name}={label} as {role}: {response.status_code}")
    assert not problems, "\n".join(problems[:60]) + f"\n({len(problems)} problems)"


@pytest.mark.parametrize("rule, method", writes(api=False))
def test_form_fields_take_no_hostile_number(rule, method, wapp, world, data_dir):
    """Each hostile number or id in every field of every form (ids in select boxes,
    quantities, amounts, ``offer``): refused or stored, never a 500."""
    policy = ACCESS[rule]
    role = allowed_role(rule, method)
    run = Run(wapp, world, data_dir, role, policy.refusal_recorded)
    url = build_url(rule, policy.args(world))
    valid = policy.data(world, role)
    for label, value in payloads.HOSTILE_NUMBERS.items():
        run.check(label, method, url, {k: value for k in valid} | {"offer": value}, policy.files)
        for key in valid:
            if label == "20 digits":
                run.check(f"{label} in {key}", method, url, valid | {key: value}, policy.files)
    assert not run.problems, "\n".join(run.problems)


@pytest.mark.parametrize("role", ["back_office", "anonymous"])
def test_cookies_are_bounded(wapp, world, role):
    """Oversized and non-numeric values in every cookie the app reads: never a 500."""
    caller = Caller(wapp, world)
    client = caller.client(role)
    problems = []
    for name in ("tmdesk_last_active", "tmdesk_desktop", "tmdesk_session"):
        for label, value in payloads.HOSTILE_NUMBERS.items():
            if "\n" in value or "\x00" in value:
                continue  # no browser can send these in a Cookie header
            client.set_cookie(name, value)
            for url in ("/", "/login", "/catalogue"):
                response = client.get(url)
                if response.status_code >= 500:
                    problems.append(
                        f"cookie {name}={label} as {role} on {url}: {response.status_code}"
                    )
            client.delete_cookie(name)
    assert not problems, "\n".join(problems)


# --- characters XML forbids, in every field of every write (issue 12, item 7) --------


def _leaves(value, path=()):
    """(path, text) of every string in a body, nested API objects included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, str):
        yield path, value


def _replace_leaf(value, path, text):
    if not path:
        return text
    return value | {path[0]: _replace_leaf(value[path[0]], path[1:], text)}


@pytest.mark.parametrize("rule, method", writes(api=False) + writes(api=True))
def test_forbidden_characters_are_never_stored(rule, method, wapp, world, data_dir):
    """U+FFFF (or NUL, or another character XML forbids) added to any one field of a
    valid write: the write is refused and nothing is stored (one project holding one
    would break every donor's IATI export of it)."""
    policy = ACCESS[rule]
    if policy.effect != "state" or policy.refusal_recorded:
        pytest.skip("this route stores nothing a user typed")
    role = allowed_role(rule, method)
    caller = Caller(wapp, world)
    caller.client(role)
    url = build_url(rule, policy.args(world))
    valid = policy.data(world, role)
    blob, clean = snapshot(data_dir), fingerprint()
    problems = []
    for path, value in _leaves(valid):
        if path[-1] == "password":  # hashed, never shown: any character is the user's own
            continue
        for bad in ("\uffff", "\x00", "\x1b"):
            data = _replace_leaf(valid, path, value[:1] + bad + value[1:])
            response = caller.send(role, method, url, data, policy.files)
            if response.status_code >= 500:
                problems.append(f"{'.'.join(path)}={bad!r}: {response.status_code}")
            if fingerprint() != clean:
                problems.append(f"{'.'.join(path)}={bad!r}: stored ({response.status_code})")
                restore(data_dir, blob)
    assert not problems, f"{method} {rule}:\n" + "\n".join(problems)
