"""WCAG 2.1 AA in a real browser: axe-core on every main page, both languages, every role.

axe-core (npm, node_modules/axe-core) runs inside Debian's Chromium on the
demo data served by a real ``tmdesk serve``. A page fails on any violation
tagged wcag2a, wcag2aa, wcag21a or wcag21aa; the failure lists them all,
page by page. Beside axe, the structure axe leaves to best practice is
checked here too: one h1 and headings in order, the landmarks, the skip
link, tables with header cells, TLP labels as text, charts with a table of
their numbers, and visible focus with the keyboard.
"""

from __future__ import annotations

import re

import pytest
from e2e_helpers import (
    axe_violations,
    describe_violations,
    login_as,
    set_language,
    shot,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LANGS = ("en", "uk")

#: Pages by role. ``{draft}`` and friends are filled in from what the role sees
#: (see ``_discover``); a page whose placeholder has nothing to fill is an error.
PAGES: dict[str, list[str]] = {
    "recipient": [
        "/",
        "/catalogue",
        "/catalogue?status=published&category=training&sort=title",
        "/projects/new",
        "POST /projects/new",
        "{draft}",
        "{draft}/edit",
        "{returned}",
        "{returned}/edit",
        "{submitted}/steps/withdraw",
        "/notifications",
        "{submitted}",
        "{published}",
        "{in_implementation}",
        "{delivered}",
        "/search?q=SOC",
        "/reports",
        "/profile",
        "/admin/",
        "/no-such-page",
    ],
    "back_office": [
        "/",
        "/review",
        "{submitted}",
        "{submitted}/steps/reject",
        "{published}",
        "{published}/steps/withdraw",
        "/notifications",
        "/offers",
        "/offers/new",
        "POST /offers/new",
        "{offer}",
        "{offer}/matches",
        "/pledges",
        "/dashboard",
        "/search?q=training",
        "/reports/iati",
        "{published}/pledges/new",
        "POST {published}/pledges/new",
    ],
    "admin": [
        "/",
        "/catalogue?funding=unfunded&priority=high",
        "{in_implementation}",
        "{withdrawn}",
        "/reports",
        "/reports/briefing-pack",
        "/reports/plugins",
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "POST /admin/users/new",
        "/admin/organisations",
        "/admin/organisations/new",
        "/admin/audit",
        "/admin/rates",
        "/admin/keys",
        "/admin/keys/trust",
        "POST /admin/keys/trust",
    ],
    "donor": [
        "/",
        "/catalogue",
        "/catalogue?status=published&funding=unfunded",
        "{published}",
        "{published}/pledges/new",
        "POST {published}/pledges/new",
        "/pledges",
        "/offers",
        "/offers/new",
        "/reports",
        "/reports/iati",
        "/review",
    ],
    "observer": ["/", "/catalogue", "{published}", "/dashboard", "/reports", "/profile"],
    "company": ["/", "/catalogue", "{in_implementation}", "/offers", "/offers/new", "/profile"],
}

STATUSES = (
    "draft",
    "returned",
    "submitted",
    "published",
    "in_implementation",
    "delivered",
    "withdrawn",
    "rejected",
)
#: A project's page: drafts carry DRAFT-<12 hex>, TM-YYYY-NNNN is issued at submission.
REF_LINK = re.compile(r"^/projects/(TM-\d{4}-\d{4}|DRAFT-[0-9A-F]{12})$")


def _first_link(page, url: str, pattern: re.Pattern) -> str | None:
    page.goto(url)
    for href in page.eval_on_selector_all(
        "main a[href]", "els => els.map(e => e.getAttribute('href'))"
    ):
        if pattern.match(href):
            return href
    return None


def _discover(page, wanted: set[str]) -> dict[str, str]:
    """URLs for the placeholders ``wanted``, from the pages this user sees."""
    found: dict[str, str] = {}
    for status in STATUSES:
        if status in wanted:
            href = _first_link(page, f"/catalogue?status={status}&per_page=10", REF_LINK)
            if href:
                found[status] = href
    if "offer" in wanted:
        href = _first_link(page, "/offers", re.compile(r"^/offers/[0-9a-f-]{36}$"))
        if href:
            found["offer"] = href
    return found


def _structure_problems(page) -> list[str]:
    """What axe leaves to best practice but the issue asks for, checked by hand."""
    return page.evaluate(
        """() => {
        const out = [];
        const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
        const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(visible);
        const h1s = hs.filter(h => h.tagName === 'H1');
        if (h1s.length !== 1) out.push(`${h1s.length} h1 elements (want exactly one)`);
        let last = 0;
        for (const h of hs) {
            const level = +h.tagName[1];
            if (last && level > last + 1)
                out.push(`heading skips a level: h${last} then h${level} "${h.textContent.trim().slice(0, 60)}"`);
            last = level;
        }
        if (hs.length && hs[0].tagName !== 'H1') out.push(`first heading is ${hs[0].tagName}, not H1`);
        if (!document.querySelector('main#main')) out.push('no <main id="main">');
        const current = document.querySelectorAll('nav.main-nav [aria-current=page]').length;
        if (current > 1) out.push(`${current} menu entries claim to be the current page`);
        if (!document.querySelector('header')) out.push('no <header> (banner)');
        if (!document.querySelector('footer')) out.push('no <footer> (contentinfo)');
        const skip = document.querySelector('body > a.skip-link');
        if (!skip || skip.getAttribute('href') !== '#main') out.push('no skip link to #main first in <body>');
        for (const t of document.querySelectorAll('main table')) {
            if (!t.querySelector('th')) out.push(`table without header cells: ${t.className || t.outerHTML.slice(0, 60)}`);
            for (const th of t.querySelectorAll('thead th, tbody th'))
                if (!th.getAttribute('scope') && !th.id) { out.push(`th without scope in table ${t.className}`); break; }
        }
        for (const b of document.querySelectorAll('.tlp'))
            if (!/^TLP:(CLEAR|GREEN|AMBER|AMBER\\+STRICT|RED)$/.test(b.textContent.trim()))
                out.push(`TLP badge without its label as text: "${b.textContent.trim()}"`);
        for (const svg of document.querySelectorAll('main svg.bar-chart')) {
            const fig = svg.closest('figure');
            if (!fig || !fig.querySelector('table')) out.push('a chart without a table of its numbers');
        }
        const ids = {};
        for (const el of document.querySelectorAll('[id]:not(input[type=hidden])')) ids[el.id] = (ids[el.id] || 0) + 1;
        for (const [id, n] of Object.entries(ids))
            if (n > 1) out.push(`id "${id}" used ${n} times (labels and links find only the first)`);
        for (const el of document.querySelectorAll('[aria-describedby]'))
            for (const id of el.getAttribute('aria-describedby').split(/\\s+/))
                if (id && !document.getElementById(id)) out.push(`aria-describedby points to missing #${id}`);
        for (const el of document.querySelectorAll('input[aria-invalid=true], select[aria-invalid=true], textarea[aria-invalid=true]')) {
            const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/);
            if (!ids.some(id => id.endsWith('-error'))) out.push(`#${el.id} is invalid but its error is not tied to it`);
        }
        for (const el of document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')) {
            if (!el.labels || !el.labels.length) {
                if (!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
                    out.push(`field without a label: ${el.name || el.id}`);
            }
        }
        return out;
    }"""
    )


def _visit(page, target: str) -> int:
    """Open ``target`` ("URL" or "POST URL": submit the page's main form empty)."""
    if target.startswith("POST "):
        url = target[5:]
        page.goto(url)
        form = page.locator("main form[method=post]").last
        # Clear what the form pre-fills so the submission is an error state.
        for field in form.locator(
            "input[type=text], input[type=email], input:not([type]), textarea"
        ).all():
            if field.is_editable():
                field.fill("")
        with page.expect_navigation():
            form.locator("button:not([name]), button[type=submit]").last.click()
        status = page.evaluate(
            "document.querySelector('.error-summary, .error-message') ? 400 : 200"
        )
        assert status == 400, f"{target}: expected the form back with errors"
        return status
    response = page.goto(target)
    return response.status if response else 0


def _check(page, axe_source, where: str, problems: list[str]) -> None:
    violations = axe_violations(page, axe_source)
    if violations:
        problems.append(describe_violations(where, violations))
    structure = _structure_problems(page)
    if structure:
        problems.append(f"{where}: " + "; ".join(structure))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", list(PAGES))
def test_pages_meet_wcag_21_aa(role, lang, new_context, axe_source, output_dir):
    context = new_context(bypass_csp=True)
    page = context.new_page()
    login_as(page, role)
    set_language(page, lang)
    wanted = {m for t in PAGES[role] for m in re.findall(r"\{(\w+)\}", t)}
    found = _discover(page, wanted)
    missing = wanted - set(found)
    assert not missing, f"{role} sees no project/offer for {sorted(missing)}"
    problems: list[str] = []
    checked = []
    for template in PAGES[role]:
        target = template.format(**found)
        status = _visit(page, target)
        assert page.evaluate("document.documentElement.lang") == lang, target
        checked.append(f"{status} {target}")
        _check(page, axe_source, f"{role}/{lang} {target} ({status})", problems)
    shot(page, f"a11y-{role}-{lang}-last")
    assert not problems, "\n\n".join(problems) + "\n\nPages checked:\n" + "\n".join(checked)


@pytest.mark.parametrize("lang", LANGS)
def test_anonymous_pages_meet_wcag_21_aa(lang, new_context, axe_source, live_server):
    context = new_context(bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    set_language(page, lang)
    problems: list[str] = []
    _check(page, axe_source, f"anonymous/{lang} /login", problems)
    page.fill("#email", "nobody@example.org")
    page.fill("#password", "wrong password")
    with page.expect_navigation():
        page.click("main form button")
    assert page.locator("#password-error").is_visible()
    assert "password-error" in page.get_attribute("#password", "aria-describedby")
    _check(page, axe_source, f"anonymous/{lang} /login with an error", problems)
    response = page.goto("/no-such-page")
    assert response.status == 404
    _check(page, axe_source, f"anonymous/{lang} 404", problems)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_setup_page_meets_wcag_21_aa(lang, new_context, axe_source, fresh_server):
    context = new_context(bypass_csp=True, base_url=fresh_server.url)
    page = context.new_page()
    page.goto(fresh_server.setup_url)
    set_language(page, lang)
    problems: list[str] = []
    _check(page, axe_source, f"setup/{lang}", problems)
    page.fill("#email", "")
    page.fill("#password", "short")
    with page.expect_navigation():
        page.click("main form button")
    assert page.locator(".error-summary").is_visible()
    _check(page, axe_source, f"setup/{lang} with errors", problems)
    shot(page, f"setup-errors-{lang}")
    assert not problems, "\n\n".join(problems)


# --- keyboard ---------------------------------------------------------------


def _focus_report(page) -> dict:
    """The focused element and whether its focus is visible (outline or box-shadow)."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
        const shadow = cs.boxShadow && cs.boxShadow !== 'none';
        // A date field's own calendar button is focused inside the field's
        // (closed) shadow tree: Chromium draws that focus ring itself.
        const inner = el.type === 'date' && !el.matches(':focus');
        return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                type: el.getAttribute('type'), text: (el.textContent || '').trim().slice(0, 40),
                visible: outline || shadow || inner, cls: el.className};
    }""")


def _tab_until(page, predicate, limit: int = 80) -> list[dict]:
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        report = _focus_report(page)
        seen.append(report)
        assert report["visible"], f"no visible focus on {report}"
        if predicate(report):
            return seen
    raise AssertionError(f"never reached the target; focus went through {seen}")


def test_skip_link_and_login_form_by_keyboard(new_context, live_server):
    page = new_context().new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    first = _focus_report(page)
    assert "skip-link" in first["cls"] and first["visible"], first
    box = page.locator(".skip-link").bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 20, "the skip link does not appear on focus"
    shot(page, "keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    seen = _tab_until(page, lambda r: r["id"] == "email")
    page.keyboard.type("recipient@ssscip.demo")
    page.keyboard.press("Tab")
    assert _focus_report(page)["id"] == "password"
    from tmdesk.demo import DEMO_PASSWORD

    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    button = _focus_report(page)
    assert button["tag"] == "button" and button["visible"], button
    shot(page, "keyboard-login-button", full_page=False)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0].rstrip("/") == live_server.url, (page.url, seen)


def test_project_form_by_keyboard(new_context):
    page = new_context().new_page()
    login_as(page, "recipient")
    page.goto("/projects/new")
    order = [
        r["id"]
        for r in _tab_until(
            page,
            lambda r: r["tag"] == "button" and r["text"] in ("Save the draft", "Зберегти чернетку"),
        )
    ]
    fields = page.eval_on_selector_all(
        "main form input:not([type=hidden]), main form select, main form textarea",
        "els => els.map(e => e.id)",
    )
    # Every field is reached, in the order it is shown (radio groups are one stop).
    reached = [i for i in order if i in fields]
    assert reached[0] == "title_uk", reached
    assert reached == sorted(reached, key=fields.index), reached
    for name in (
        "title_uk",
        "title_en",
        "summary_uk",
        "summary_en",
        "category",
        "oblast",
        "priority",
        "budget_amount",
        "budget_currency",
        "planned_start",
        "planned_end",
        "beneficiaries",
    ):
        assert name in reached, f"{name} is not reachable by Tab: {reached}"
    assert any(i.startswith("tlp") for i in reached), reached
    # Enter on the button submits; the empty form comes back with the summary focused.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error-summary").is_visible()
    focused = _focus_report(page)
    assert "error-summary" in focused["cls"] and focused["visible"], focused
    # The summary's links lead to the fields.
    first_link = page.locator(".error-summary a").first
    target = first_link.get_attribute("href")
    first_link.focus()
    page.keyboard.press("Enter")
    assert "#" + page.evaluate("document.activeElement.id") == target
    shot(page, "keyboard-project-form-errors", full_page=False)


# --- contrast of what axe cannot see: focus and hover states ------------------


def test_focus_is_visible_on_every_kind_of_control(new_context):
    page = new_context().new_page()
    login_as(page, "donor")
    page.goto("/catalogue")
    problems = []
    selectors = [
        "header a",
        ".lang-switch button",
        "nav.main-nav a",
        "main a",
        "main button",
        "main select",
        "main input[type=search], main input[type=text]",
    ]
    for selector in selectors:
        locator = page.locator(selector).first
        if locator.count() == 0:
            continue
        locator.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        report = _focus_report(page)
        if not report["visible"]:
            problems.append(f"{selector}: {report}")
    assert not problems, problems
