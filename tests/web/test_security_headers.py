"""Security headers on every response, and templates that the CSP can hold to (issue 5).

Every URL rule of the app is fetched (as anonymous and as an administrator,
with every method it answers), plus error pages, API errors and downloads;
each answer must carry the headers. The templates must not need
``'unsafe-inline'``: no inline ``<script>`` bodies, no ``on*=`` event
attributes, no ``style=`` attributes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security_world import world_in
from tests.web.test_access_matrix import ACCESS, Caller, app_rules, build_url
from tmdesk.core.db import database

TEMPLATES = Path(__file__).resolve().parents[2] / "tmdesk" / "templates"


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def check_headers(response, what: str) -> list[str]:
    problems = []
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    if not csp:
        return [f"{what}: no Content-Security-Policy"]
    d = csp_directives(csp)
    script = d.get("script-src", d.get("default-src"))
    if script is None or any(
        s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:") for s in script
    ):
        problems.append(f"{what}: script-src allows inline or foreign script: {csp}")
    if d.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{what}: frame-ancestors is not 'none': {csp}")
    if d.get("object-src") != ["'none'"]:
        problems.append(f"{what}: object-src is not 'none'")
    if "'unsafe-inline'" in d.get("style-src", d.get("default-src", [])):
        problems.append(f"{what}: style-src allows inline style")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{what}: X-Content-Type-Options is not nosniff")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append(f"{what}: Referrer-Policy {headers.get('Referrer-Policy')!r}")
    return problems


@pytest.fixture
def world_app(data_dir):
    from tmdesk.web import create_app

    world = world_in(data_dir)
    database.close()
    app = create_app(data_dir, {"TESTING": True})
    database.connect(reuse_if_open=True)
    return app, world


def test_every_route_sends_the_security_headers(world_app):
    app, world = world_app
    caller = Caller(app, world)
    problems = []
    for rule, methods in sorted(app_rules(app).items()):
        policy = ACCESS[rule]
        url = build_url(rule, policy.args(world), policy.query)
        for role in ("anonymous", "admin"):
            for method in sorted(methods):
                if method != "GET" and role == "admin":
                    continue  # no need to change anything to see the headers
                response = caller.send(role, method, url, {})
                problems += check_headers(
                    response, f"{method} {url} as {role} ({response.status_code})"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "url, method, status",
    [
        ("/no/such/page", "GET", 404),
        ("/api/v1/nothing-here", "GET", 404),
        ("/logout", "GET", 405),
        ("/login", "POST", 400),  # no CSRF token
        ("/api/v1/me", "GET", 401),
    ],
)
def test_error_answers_send_the_headers_too(client, desk, url, method, status):
    response = client.open(url, method=method)
    assert response.status_code == status
    assert not check_headers(response, url)


def test_downloads_are_attachments_with_nosniff(world_app):
    app, world = world_app
    caller = Caller(app, world)
    response = caller.send("donor", "GET", f"/documents/{world.uids['doc']}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert not check_headers(response, "document")
    response = caller.send(
        "donor", "POST", "/reports/csv", {"lang": "en", "opt_delimiter": "comma"}
    )
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert not check_headers(response, "report")


def test_pages_are_not_cached(world_app):
    app, world = world_app
    caller = Caller(app, world)
    for url in ("/", f"/projects/{world.refs['pub']}", "/api/v1/me"):
        assert "no-store" in caller.send("donor", "GET", url).headers.get("Cache-Control", "")


# --- templates the CSP can hold to ----------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def template_files() -> list[Path]:
    files = sorted(TEMPLATES.rglob("*.html"))
    assert files, TEMPLATES
    return files


def scan(text: str) -> list[str]:
    text = re.sub(r"{#.*?#}", "", text, flags=re.S)  # Jinja comments
    found = []
    for name, pattern in (
        ("inline <script> body", INLINE_SCRIPT),
        ("on*= event attribute", EVENT_ATTRIBUTE),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("javascript: URL", JS_URL),
    ):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {name}: {match.group(0)[:80]!r}")
    return found


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_inline_script_or_style(path):
    problems = scan(path.read_text(encoding="utf-8"))
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<a href="#" onclick="go()">x</a>',
        '<div style="color:red">x</div>',
        '<a href="javascript:go()">x</a>',
        "<script type=\"module\">\n import x from './x.js'\n</script>",
    ],
)
def test_the_scan_finds_what_it_looks_for(snippet):
    assert scan(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{{ url_for('static', filename='tmdesk.js') }}\" defer></script>",
        '<p class="onboarding">styled by class</p>',
        '<input name="stylename">',
    ],
)
def test_the_scan_lets_the_right_things_pass(snippet):
    assert not scan(snippet)
