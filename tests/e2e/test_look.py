"""The look, checked in Chromium: main pages at 1280 px and at 390 px (a phone), and print.

No page may scroll sideways as a whole (wide tables scroll inside their own
box), nothing may stick out of the page, and the project page prints as a
clean document: no navigation, forms or buttons, links spelled out.
Screenshots: test-output/e2e/look-<width>-<lang>-<page>.png and print-project.png.
"""

from __future__ import annotations

import re

import pytest
from e2e_helpers import OUTPUT, login_as, set_language, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGES = {
    "start": "/",
    "catalogue": "/catalogue",
    "project": "{project}",
    "project-form": "/projects/new",
    "review": "/review",
    "offers": "/offers",
    "pledges": "/pledges",
    "dashboard": "/dashboard",
    "search": "/search?q=SOC",
    "reports": "/reports",
    "briefing-form": "/reports/briefing-pack",
    "admin-users": "/admin/users",
    "audit": "/admin/audit",
}

OVERFLOW_JS = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width + 1)
        out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) continue;
        // Inside a box that scrolls on its own is fine.
        let p = el.parentElement, scrolled = false;
        while (p && p !== document.body) {
            const o = getComputedStyle(p).overflowX;
            if (o === 'auto' || o === 'scroll' || o === 'hidden') { scrolled = true; break; }
            p = p.parentElement;
        }
        if (!scrolled) out.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(r.right)}px`);
        if (out.length > 6) break;
    }
    return out;
}"""


def _a_project(page) -> str:
    page.goto("/catalogue?status=in_implementation")
    return page.locator("main a[href^='/projects/TM-']").first.get_attribute("href")


@pytest.mark.parametrize(("width", "lang"), [(1280, "uk"), (390, "uk"), (1280, "en")])
def test_main_pages_fit_the_window(width, lang, new_context):
    """Ukrainian first: its longer words are the harder test of the layout."""
    size = {"width": width, "height": 900 if width > 600 else 844}
    page = new_context(**size).new_page()
    login_as(page, "admin")
    set_language(page, lang)
    drafter = new_context(**size).new_page()  # officers do not draft projects
    login_as(drafter, "recipient")
    set_language(drafter, lang)
    project = _a_project(page)
    problems = []
    for name, url in PAGES.items():
        if name == "project-form":
            page, officer = drafter, page
        page.goto(url.format(project=project))
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow:
            problems.append(f"{name} at {width}px: " + "; ".join(overflow))
        # Very long pages (the audit log) are shot one window high: a 30 000 px
        # screenshot takes longer than it tells.
        tall = page.evaluate("document.documentElement.scrollHeight") > 8000
        shot(page, f"look-{width}-{lang}-{name}", full_page=not tall)
        if name == "project-form":
            page = officer
        nav_rows = page.evaluate("""() => new Set([...document.querySelectorAll(
            'nav.main-nav li')].map(li => li.getBoundingClientRect().top)).size""")
        if width >= 1280 and nav_rows > 1:
            problems.append(f"{name} at {width}px ({lang}): the menu takes {nav_rows} rows")
    assert not problems, "\n".join(problems)


def test_project_page_prints_cleanly(new_context):
    page = new_context().new_page()
    login_as(page, "admin")
    page.goto(_a_project(page))
    page.emulate_media(media="print")
    shot(page, "print-project")
    hidden = page.evaluate("""() => {
        const shown = sel => [...document.querySelectorAll(sel)].filter(
            el => getComputedStyle(el).display !== 'none' && el.getClientRects().length).length;
        return {nav: shown('nav.main-nav'), skip: shown('.skip-link'), details: shown('main details'),
                forms: shown('main form'), buttons: shown('main .button, main button'),
                header_tools: shown('.header-tools'), footer: shown('.site-footer'),
                h1: shown('h1'), pledges: shown('.project-pledges table')};
    }""")
    assert hidden["h1"] == 1 and hidden["pledges"] in (0, 1)
    for what in ("nav", "skip", "forms", "buttons", "header_tools", "details"):
        assert hidden[what] == 0, f"{what} shows in print: {hidden}"
    pdf = OUTPUT / "print-project.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 1000
    # Links are spelled out after their text, so the paper keeps where they go.
    after = page.evaluate("""() => {
        const a = document.querySelector('main a[href^="/projects/"], main a[href^="/documents/"], main dl a');
        return a ? getComputedStyle(a, '::after').content : 'none';
    }""")
    assert after == "none" or re.search(r"attr|/", after), after
