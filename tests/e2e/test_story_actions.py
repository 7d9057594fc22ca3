"""Safe actions and telling people what needs them, in a real browser (issue #15).

A recipient submits two projects that say the same thing. The Project Office
sees them under "Needs your action", marks one a duplicate through the
confirmation page (which names the project, its owner and its pledges), then
undoes the decision through its own confirmation page. The Back Office returns
the other project: the recipient's header counts the notification, the Start
page lists it under "Needs your action", the notifications page says it, and
the edit form shows the comment. Once published, the Back Office proposes an
Estonian offer as a pledge with an amount it chooses; the Estonian donor finds
it to confirm on its Start page, confirms, and the officer is notified.
axe-core checks every new page on the way.
Screenshots: test-output/e2e/actions-NN-<step>.png.
"""

from __future__ import annotations

import re

import pytest
from e2e_helpers import axe_violations, describe_violations, login_as, set_language, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TITLE = "Security operations centre for the regional water utilities"
SUMMARY = (
    "A security operations centre monitoring the control systems of twelve regional water "
    "utilities around the clock, with incident response."
)


class Run:
    def __init__(self, new_context, axe_source) -> None:
        self.new_context = new_context
        self.axe_source = axe_source
        self.pages: dict[str, object] = {}
        self.step = 0
        self.problems: list[str] = []

    def as_(self, role: str):
        if role not in self.pages:
            page = self.new_context(bypass_csp=True).new_page()
            login_as(page, role)
            set_language(page, "en")
            self.pages[role] = page
        return self.pages[role]

    def look(self, page, name: str) -> None:
        """A screenshot, and axe-core on the page as it is."""
        self.step += 1
        shot(page, f"actions-{self.step:02d}-{name}")
        violations = axe_violations(page, self.axe_source)
        if violations:
            self.problems.append(describe_violations(f"{name} ({page.url})", violations))


def _go(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _flash(page) -> str:
    return page.inner_text(".flashes") if page.locator(".flashes").count() else ""


def _submit_new(page, title: str) -> str:
    page.goto("/projects/new")
    page.fill("#title_en", title)
    page.fill("#summary_en", SUMMARY)
    page.select_option("#category", "detection")
    page.fill("#budget_amount", "78000")
    page.select_option("#budget_currency", "EUR")
    page.check("input[name=tlp][value=GREEN]")
    _go(page, page.locator("main form.project-form button"))
    # A draft's reference counts nothing; the TM number is issued at submission.
    assert re.search(r"/projects/DRAFT-[0-9A-F]{12}$", page.url), page.url
    _go(page, page.locator("main button[name=action][value=submit]"))
    assert "reviews it next" in _flash(page), _flash(page)
    return re.search(r"/projects/(TM-\d{4}-\d{4})$", page.url).group(1)


def test_confirm_undo_propose_and_what_needs_you(new_context, axe_source):
    run = Run(new_context, axe_source)
    recipient = run.as_("recipient")
    first = _submit_new(recipient, TITLE)
    second = _submit_new(recipient, TITLE + " (second request)")

    # 1. The Project Office finds the pair under "Needs your action".
    office = run.as_("project_office")
    office.goto("/")
    needs = office.inner_text("section.needs-action")
    assert "Likely duplicates to decide" in needs, needs
    run.look(office, "office-start-needs-action")

    # 2. "Duplicate" first says what it will do …
    office.goto(f"/projects/{second}")
    row = office.locator("#overlaps tr", has_text=first)
    _go(office, row.locator("button[name=kind][value=duplicate]"))
    what = office.inner_text(".warning-box")
    assert f"{second}" in what and f"duplicate of {first}" in what, what
    assert "State Service of Special Communications" in what
    assert "pledge" in what
    run.look(office, "office-confirms-duplicate")
    # … and happens once confirmed; the message is where the officer lands.
    _go(office, office.locator("main form button[name=kind][value=duplicate]"))
    assert "Recorded:" in _flash(office), _flash(office)
    assert "#" not in office.url
    assert office.evaluate("window.scrollY") == 0
    office.goto(f"/projects/{second}")
    assert "tag-rejected" in office.inner_html(".project-meta")

    # 3. The officer undoes it, through its own confirmation page.
    _go(office, office.locator("#overlaps button", has_text="Undo this decision"))
    assert "gets back the status it had" in office.inner_text(".warning-box")
    run.look(office, "office-confirms-undo")
    _go(office, office.locator("main form button", has_text="Yes: undo the decision"))
    assert "The duplicate decision is undone" in _flash(office), _flash(office)
    assert "tag-submitted" in office.inner_html(".project-meta")

    # 4. The Back Office returns the first project; the recipient is told.
    officer = run.as_("back_office")
    officer.goto(f"/projects/{first}")
    _go(officer, officer.locator("main button[name=action][value=return]"))
    run.look(officer, "officer-confirms-return")
    officer.fill("#comment", "Name the twelve utilities.")
    _go(officer, officer.locator("main form:has(input[name=confirmed]) button"))
    recipient.goto("/")
    assert recipient.locator(".notifications-link .badge").count() == 1
    assert "Name the twelve utilities." in recipient.inner_text("section.needs-action")
    run.look(recipient, "recipient-start-needs-action")
    _go(recipient, recipient.locator(".notifications-link"))
    assert f"Your project {first}" in recipient.inner_text("main")
    assert "returned to you with comments" in recipient.inner_text("main")
    run.look(recipient, "recipient-notifications")
    _go(recipient, recipient.locator("main form button", has_text="Mark all as read"))
    assert recipient.locator(".notifications-link .badge").count() == 0
    recipient.goto(f"/projects/{first}/edit")
    assert "Name the twelve utilities." in recipient.inner_text(".warning-box")
    run.look(recipient, "recipient-edit-with-comment")
    _go(recipient, recipient.locator("main form.project-form button"))
    assert "Submit the project again" in _flash(recipient)
    _go(recipient, recipient.locator("main button[name=action][value=submit]"))
    officer.goto(f"/projects/{first}")
    _go(officer, officer.locator("main button[name=action][value=publish]"))
    _go(officer, officer.locator("main form:has(input[name=confirmed]) button"))
    assert "tag-published" in officer.inner_html(".project-meta")

    # 5. The Back Office proposes Estonia's training offer as a pledge, with an amount.
    officer.goto("/offers")
    offer_href = officer.locator(
        "main a", has_text="SOC analyst training for 40"
    ).first.get_attribute("href")
    officer.goto(f"{offer_href}/matches/{first}/propose")
    assert officer.input_value("#amount") == "78000.00"  # what the project still needs
    assert officer.input_value("#currency") == "EUR"
    run.look(officer, "officer-proposes-pledge")
    officer.fill("#amount", "30000")
    _go(officer, officer.locator("main form button", has_text="Propose the pledge"))
    assert "proposed to EE" in _flash(officer), _flash(officer)
    officer.goto(f"{offer_href}/matches")
    assert "Left of the offer to propose:" in officer.inner_text("main")

    # 6. Estonia finds it to confirm on its Start page, and confirms it.
    estonia = run.as_("donor2")
    estonia.goto("/")
    needs = estonia.inner_text("section.needs-action")
    assert "Pledges proposed to you to confirm" in needs and first in needs, needs
    assert "30,000 EUR proposed" in needs
    run.look(estonia, "donor-start-needs-action")
    estonia.goto(f"/projects/{first}")
    # Confirming is recording the commitment, filled in with the proposed amount.
    _go(estonia, estonia.locator(".project-pledges a.button[href*='/transactions/new']").first)
    assert estonia.input_value("#kind") == "commitment"
    assert estonia.input_value("#amount") == "30000.00"
    run.look(estonia, "donor-records-commitment")
    _go(estonia, estonia.locator("main form.narrow button"))
    assert "Recorded:" in _flash(estonia), _flash(estonia)

    # 7. The officer who proposed it is notified.
    officer.goto("/")
    assert officer.locator(".notifications-link .badge").count() == 1
    officer.goto("/notifications")
    assert "Estonia confirmed the pledge of 30,000 EUR" in officer.inner_text("main")
    run.look(officer, "officer-notified")
    assert not run.problems, "\n\n".join(run.problems)
