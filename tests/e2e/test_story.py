"""The whole desk in a real browser, from a draft to the donors' files.

A recipient drafts a project in Ukrainian and submits it; the Back Office
returns it with a comment; the recipient fixes it and submits again; the
Project Office publishes it; two donors pledge and one confirms; an officer
downloads the briefing pack (the PDF names the project) and a donor the IATI
file (it carries the project's identifier). The story runs with JavaScript on
and once more with JavaScript off: every core action works without it.
Screenshots of each step: test-output/e2e/story-<js|nojs>-NN-<step>.png.

The small JavaScript there is (tmdesk/static/tmdesk.js) is tested at the end:
a dismissed confirm dialog does not submit, an accepted one does.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from e2e_helpers import login_as, set_language, shot
from lxml import etree

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class Story:
    """One run of the story: its own browser contexts and numbered screenshots."""

    def __init__(self, new_context, js: bool) -> None:
        self.new_context = new_context
        self.js = js
        self.step = 0
        self.pages: dict[str, object] = {}

    def as_(self, role: str):
        """The page of ``role`` (logged in once, in its own context), in English.

        A person's language is kept with their account, and other tests on the
        shared demo server may have switched it, so the story sets it rather
        than assuming it."""
        if role not in self.pages:
            page = self.new_context(js=self.js).new_page()
            login_as(page, role)
            set_language(page, "en")
            self.pages[role] = page
        return self.pages[role]

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"story-{'js' if self.js else 'nojs'}-{self.step:02d}-{name}")

    def submit(self, page, locator) -> None:
        """Click a submit button and wait for the page that answers."""
        with page.expect_navigation():
            locator.click()
        assert page.locator(".error-summary").count() == 0, page.inner_text("main")[:2000]


def _action(page, action: str):
    return page.locator(f"main button[name=action][value={action}]")


def _confirm(page):
    """The button of a confirmation page that takes the step."""
    return page.locator("main form:has(input[name=confirmed]) button")


def _flash(page) -> str:
    return page.inner_text(".flashes") if page.locator(".flashes").count() else ""


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_story_from_draft_to_donor_files(js, new_context, live_server, tmp_path):
    story = Story(new_context, js)
    stamp = "JS" if js else "NOJS"

    # 1. The recipient drafts in Ukrainian and submits.
    recipient = story.as_("recipient")
    set_language(recipient, "uk")
    recipient.goto("/projects/new")
    title = f"Захист поштових серверів обласних адміністрацій {stamp}"
    recipient.fill("#title_uk", title)
    recipient.fill("#summary_uk", "Поштові шлюзи з фільтрацією фішингу для 12 адміністрацій.")
    recipient.select_option("#category", "equipment")
    recipient.select_option("#priority", "high")
    recipient.fill("#budget_amount", "180 000")
    recipient.select_option("#budget_currency", "EUR")
    recipient.check("input[name=tlp][value=GREEN]")
    story.shot(recipient, "recipient-drafts")
    story.submit(recipient, recipient.locator("main form.project-form button"))
    # A draft has a reference that counts nothing; its TM number comes at submission.
    match = re.search(r"/projects/(DRAFT-[0-9A-F]{12})$", recipient.url)
    assert match, recipient.url
    draft_ref = match.group(1)
    assert recipient.evaluate("document.documentElement.lang") == "uk"
    assert title in recipient.inner_text("h1")
    story.submit(recipient, _action(recipient, "submit"))
    match = re.search(r"/projects/(TM-\d{4}-\d{4})$", recipient.url)
    assert match, recipient.url
    ref = match.group(1)
    assert "tag-submitted" in recipient.inner_html(".project-meta")
    # The draft's reference still leads to the project, at its new address.
    recipient.goto(f"/projects/{draft_ref}")
    assert recipient.url.endswith(f"/projects/{ref}"), recipient.url
    story.shot(recipient, "recipient-submitted")

    # 2. The Back Office returns it with a comment (a comment is required).
    officer = story.as_("back_office")
    officer.goto("/review")
    assert ref in officer.inner_text("main"), "the submitted project is not in the review queue"
    officer.goto(f"/projects/{ref}")
    # The step first says what it does, to whose project, with its own comment box.
    story.submit(officer, _action(officer, "return"))
    assert "/transition" in officer.url and ref in officer.inner_text(".warning-box")
    owner = officer.inner_text("main")  # the owner named, in the officer's language
    assert "State Service of Special Communications" in owner or "Державна служба" in owner
    assert officer.locator("#comment").input_value() == ""
    with officer.expect_navigation():
        _confirm(officer).click()
    assert officer.locator("#comment-error").is_visible(), "return without a comment went through"
    assert "comment-error" in officer.get_attribute("#comment", "aria-describedby")
    comment = "Please add the number of mail servers and the licence term."
    officer.fill("#comment", comment)
    story.shot(officer, "back-office-returns")
    story.submit(officer, _confirm(officer))
    assert "returned to" in _flash(officer), _flash(officer)
    story.shot(officer, "back-office-returned")

    # 3. The recipient sees the comment, fixes the project and submits again.
    recipient.goto(f"/projects/{ref}")
    assert comment in recipient.inner_text(".warning-box")
    story.shot(recipient, "recipient-sees-comment")
    recipient.goto(f"/projects/{ref}/edit")
    assert comment in recipient.inner_text(".warning-box"), "the return comment is not on the form"
    assert recipient.input_value("#title_uk") == title
    recipient.fill(
        "#summary_uk",
        "Поштові шлюзи з фільтрацією фішингу для 12 адміністрацій: 24 сервери, ліцензії на 3 роки.",
    )
    recipient.fill(
        "#summary_en",
        "Phishing-filtering mail gateways for 12 administrations: 24 servers, 3-year licences.",
    )
    story.submit(recipient, recipient.locator("main form.project-form button"))
    story.submit(recipient, _action(recipient, "submit"))
    assert "tag-submitted" in recipient.inner_html(".project-meta")
    assert "Бек-офіс або Проєктний офіс" in _flash(recipient), "no word on what happens next"
    story.shot(recipient, "recipient-resubmits")

    # 4. The Project Office publishes it, after its confirmation page.
    office = story.as_("project_office")
    office.goto(f"/projects/{ref}")
    story.submit(office, _action(office, "publish"))
    assert "Publishing cannot be taken back" in office.inner_text(".warning-box")
    assert "tag-submitted" in office.inner_html("main")
    story.submit(office, _confirm(office))
    assert "tag-published" in office.inner_html(".project-meta")
    assert "donors can now pledge" in _flash(office)
    story.shot(office, "project-office-publishes")

    # 5. Two donors pledge; the first confirms its pledge.
    for role, amount in (("donor", "100000"), ("donor2", "50000")):
        donor = story.as_(role)
        donor.goto(f"/projects/{ref}")
        story.submit(donor, donor.locator(f"main a.button[href='/projects/{ref}/pledges/new']"))
        donor.fill("#amount", amount)
        donor.select_option("#currency", "EUR")
        donor.fill("#note", f"Pledge from the story ({stamp}).")
        story.shot(donor, f"{role}-pledges")
        story.submit(donor, donor.locator("main form button"))
        assert f"/projects/{ref}" in donor.url
    gb = story.as_("donor")
    gb.goto(f"/projects/{ref}")
    # Confirming is recording the commitment: the form comes filled in with what
    # remains of the pledge, its currency and today.
    story.submit(gb, gb.locator(".project-pledges a.button[href*='/transactions/new']").first)
    assert gb.input_value("#kind") == "commitment"
    story.submit(gb, gb.locator("main form.narrow button"))
    gb.goto(f"/projects/{ref}")
    pledges = gb.inner_text(".project-pledges")
    assert "tag-confirmed" in gb.inner_html(".project-pledges")
    assert "tag-offered" in gb.inner_html(".project-pledges"), pledges
    story.shot(gb, "donor-confirms")

    # 6. An officer downloads the briefing pack; the PDF names the project.
    admin = story.as_("admin")
    response = admin.goto("/reports/briefing-pack")
    assert response.status == 200, (
        "/reports/briefing-pack is not there: the briefing pack plugin (helper P) is missing"
    )
    admin.select_option("#recipient", "SSSCIP")
    admin.select_option("#status", "published")
    admin.select_option("#lang", "uk")
    story.shot(admin, "officer-briefing-pack-form")
    with admin.expect_download(timeout=120_000) as download_info:
        admin.locator("main form.report-form button").click()
    pdf = tmp_path / "briefing.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert ref in text, f"{ref} is not in the briefing pack"
    flat = " ".join(text.split())
    assert "Захист поштових серверів" in flat, "the project's Ukrainian title is not in the PDF"

    # 7. A donor downloads the IATI file; it carries the project's identifier.
    gb.goto("/reports/iati")
    assert gb.input_value("#donor") == "GB"
    story.shot(gb, "donor-iati-form")
    with gb.expect_download(timeout=120_000) as download_info:
        gb.locator("main form.report-form button").click()
    xml = tmp_path / "iati.xml"
    download_info.value.save_as(xml)
    tree = etree.parse(str(xml))
    identifiers = [e.text for e in tree.iter("iati-identifier")]
    ours = [i for i in identifiers if i.endswith(f"-{ref}")]
    assert ours, f"no activity for {ref} among {identifiers[:10]}…"
    activity = next(
        a for a in tree.iter("iati-activity") if a.findtext("iati-identifier") == ours[0]
    )
    assert activity.find("reporting-org").get("ref") in ours[0]
    gb.goto(f"/projects/{ref}")
    story.shot(gb, "donor-project-after")


# --- the little JavaScript there is ----------------------------------------------------


def _pledge_for_donor2(page, ref: str) -> None:
    page.goto(f"/projects/{ref}/pledges/new")
    page.fill("#amount", "1000")
    page.select_option("#currency", "EUR")
    with page.expect_navigation():
        page.locator("main form button").click()


def _published_ref(page) -> str:
    page.goto("/catalogue?status=published&sort=newest")
    href = page.locator("main a[href^='/projects/TM-']").first.get_attribute("href")
    return href.rsplit("/", 1)[1]


def test_confirm_dialog_dismissed_does_not_submit(new_context):
    page = new_context().new_page()
    login_as(page, "donor2")
    ref = _published_ref(page)
    _pledge_for_donor2(page, ref)
    withdraw = page.locator(".project-pledges form[data-confirm]:has(input[value=withdraw])").last
    assert withdraw.count() == 1
    message = withdraw.get_attribute("data-confirm")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    withdraw.locator("button").click()
    page.wait_for_timeout(300)
    assert dialogs == [message]
    assert posts == [], "the form was sent although the confirm was dismissed"
    assert page.locator(".project-pledges form:has(input[value=withdraw])").count() >= 1

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        withdraw.locator("button").click()
    assert len(dialogs) == 2 and len(posts) == 1
    assert "tag-withdrawn" in page.inner_html(".project-pledges")


def test_confirm_forms_work_without_javascript(new_context):
    page = new_context(js=False).new_page()
    login_as(page, "donor2")
    ref = _published_ref(page)
    _pledge_for_donor2(page, ref)
    withdraw = page.locator(".project-pledges form[data-confirm]:has(input[value=withdraw])").last
    with page.expect_navigation():
        withdraw.locator("button").click()
    assert "tag-withdrawn" in page.inner_html(".project-pledges")


def test_error_summary_takes_focus_only_with_javascript(new_context):
    for js in (True, False):
        page = new_context(js=js).new_page()
        login_as(page, "recipient")
        page.goto("/projects/new")
        with page.expect_navigation():
            page.locator("main form.project-form button").click()
        assert page.locator(".error-summary").is_visible()
        focused = page.evaluate("document.activeElement.className")
        if js:
            assert "error-summary" in focused
        else:
            assert "error-summary" not in focused  # nothing moves; the page still works
