"""Helpers the browser tests share: logging in, the language switch, screenshots, axe."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "e2e"

#: The demo accounts, by the role the tests speak of (the password is DEMO_PASSWORD).
ACCOUNTS = {
    "admin": "admin@tmpo.demo",  # Project Office officer + administrator
    "project_office": "oleh.shevchuk@tmpo.demo",
    "back_office": "officer@backoffice.demo",
    "recipient": "recipient@ssscip.demo",
    "donor": "donor@gb.demo",
    "donor2": "donor@ee.demo",
    "observer": "observer@eu.demo",
    "company": "company@bereh.demo",
}


def login_as(page, role_or_email: str, password: str | None = None) -> None:
    """Log ``page`` in through the login form (a demo role name or an e-mail)."""
    from tmdesk.demo import DEMO_PASSWORD

    email = ACCOUNTS.get(role_or_email, role_or_email)
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password or DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button, main form input[type=submit]").first.click()
    assert "/login" not in page.url, f"login as {email} failed: {page.url}"


def set_language(page, lang: str) -> None:
    """Switch the language with the header's language form (no-op if already set)."""
    current = page.evaluate("document.documentElement.lang")
    if current == lang:
        return
    with page.expect_navigation():
        page.click(f".lang-switch button[value={lang}]")
    assert page.evaluate("document.documentElement.lang") == lang


def shot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot as test-output/e2e/<name>.png and return its path."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


#: The WCAG 2.1 A and AA rules (the issue's bar); best-practice rules are not counted.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, axe_js: Path) -> list[dict]:
    """Run axe-core on the page as it is now; its WCAG 2.1 A/AA violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                    resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          html: n.html.slice(0, 200),
                                          summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )


def describe_violations(where: str, violations: list[dict]) -> str:
    """The violations as readable text: rule, impact, help, and each element."""
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"      at {node['target']}: {node['html']}")
            for line in (node["summary"] or "").splitlines():
                lines.append(f"         {line}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)
