"""The project pages through the Flask test client: start page, Catalogue,
drafting, the project story, workflow buttons, named people, updates, documents."""

from __future__ import annotations

import io
import re

import pytest

from tests.helpers import login, post, row_with
from tmdesk.core import offers, pledges, projects
from tmdesk.core.models import Document, Project, StatusChange, Update


def client_for(app, desk, who: str):
    """A fresh test client logged in as ``desk.users[who]`` (English pages)."""
    c = app.test_client()
    login(c, desk.users[who])
    with c.session_transaction() as s:
        s["lang"] = "en"
    return c


def html(response) -> str:
    return response.get_data(as_text=True)


def published_with_pledges(desk, **fields) -> Project:
    project = desk.published(**fields)
    p = pledges.create_pledge(desk.user("donor"), project, {"amount": "40000", "currency": "EUR"})
    pledges.transition_pledge(desk.user("donor"), p, "confirm")
    return Project.get_by_id(project.id)


# --- the whole story of issue 2 ---------------------------------------------


def test_whole_story(app, desk):
    recipient = client_for(app, desk, "recipient")
    # The recipient drafts …
    response = post(
        recipient,
        "/projects/new",
        {
            "title_en": "Incident response kit",
            "title_uk": "Набір реагування на інциденти",
            "summary_en": "Forensic laptops and licences for the regional CERT.",
            "category": "incident-response",
            "oblast": "UA-46",
            "budget_amount": "50 000",
            "budget_currency": "EUR",
            "priority": "high",
            "tlp": "GREEN",
            "planned_start": "2026-03-01",
            "planned_end": "2026-09-30",
            "beneficiaries": "Lviv regional CERT",
        },
    )
    assert response.status_code == 303, html(response)[:3000]
    ref = response.location.rsplit("/", 1)[1]
    page = html(recipient.get(f"/projects/{ref}"))
    assert "Incident response kit" in page and "Submit for review" in page
    # … and submits.
    response = post(
        recipient, f"/projects/{ref}/transition", {"action": "submit"}, form_page=f"/projects/{ref}"
    )
    assert response.status_code == 303
    # Submission issues the office reference; the draft's link still finds it.
    drafted, ref = ref, response.location.rsplit("/", 1)[1]
    assert drafted.startswith("DRAFT-") and ref.startswith("TM-")
    assert Project.get(Project.ref == ref).status == "submitted"
    old_link = recipient.get(f"/projects/{drafted}")
    assert old_link.status_code == 301 and old_link.location.endswith(f"/projects/{ref}")
    # A donor does not see it yet.
    donor = client_for(app, desk, "donor")
    assert donor.get(f"/projects/{ref}").status_code == 404
    # The Back Office finds it in the queue and publishes it.
    office = client_for(app, desk, "back_office")
    assert ref in html(office.get("/review"))
    # Publishing first shows what it does, naming the project and its owner (#15) …
    response = post(
        office, f"/projects/{ref}/transition", {"action": "publish"}, form_page=f"/projects/{ref}"
    )
    assert response.status_code == 200
    assert "Confirm: Publish in the Catalogue" in html(response)
    assert "State Service of Special Communications" in html(response)
    assert Project.get(Project.ref == ref).status == "submitted"
    # … and happens once confirmed, saying what comes next.
    response = post(
        office,
        f"/projects/{ref}/transition",
        {"action": "publish", "confirmed": "yes"},
        form_page=f"/projects/{ref}",
    )
    assert response.status_code == 303
    assert Project.get(Project.ref == ref).status == "published"
    assert "donors can now pledge to it" in html(office.get(response.location))
    # Now donors see it in the Catalogue.
    assert ref in html(donor.get("/catalogue"))
    # Two donors pledge; one confirms (core pledge functions: B's pages own the forms).
    project = Project.get(Project.ref == ref)
    first = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "30000", "currency": "EUR"}
    )
    pledges.create_pledge(desk.user("donor2"), project, {"amount": "10000", "currency": "GBP"})
    page = html(donor.get(f"/projects/{ref}"))
    assert "Unfunded" in page  # nothing confirmed yet
    pledges.transition_pledge(desk.user("donor"), first, "confirm")
    # The funding state changes.
    page = html(donor.get(f"/projects/{ref}"))
    assert "Partly funded" in page
    assert html(donor.get("/catalogue?funding=partly")).count(ref) >= 1
    assert ref not in html(donor.get("/catalogue?funding=unfunded"))
    # The history tells who did what.
    assert "Submitted" in page and "Published" in page
    # A donor cannot see an AMBER+STRICT project.
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strict project")
    assert donor.get(f"/projects/{strict.ref}").status_code == 404
    assert strict.ref not in html(donor.get("/catalogue"))
    assert office.get(f"/projects/{strict.ref}").status_code == 200
    # A company sees only its engagements.
    amber = desk.published(tlp="AMBER", title_en="Amber engaged")
    other = desk.published(tlp="AMBER", title_en="Amber not engaged")
    offers.create_engagement(desk.user("back_office"), amber, "CYBERCO", {"role": "SOC setup"})
    company = client_for(app, desk, "company")
    home = html(company.get("/"))
    assert amber.ref in home and other.ref not in home and ref not in home
    assert company.get(f"/projects/{amber.ref}").status_code == 200
    assert company.get(f"/projects/{other.ref}").status_code == 404
    assert company.get(f"/projects/{strict.ref}").status_code == 404
    catalogue = html(company.get("/catalogue"))
    assert amber.ref in catalogue and other.ref not in catalogue


# --- start page -------------------------------------------------------------


def test_home_recipient_lists_own_projects_and_returns(app, desk):
    mine = desk.draft(title_en="My own draft")
    returned = desk.draft(title_en="Needs work")
    projects.transition(desk.user("recipient"), returned, "submit")
    projects.transition(
        desk.user("back_office"), returned, "return", comment="Add the licence count, please."
    )
    desk.draft(owner="recipient2", title_en="Someone else's draft")
    page = html(client_for(app, desk, "recipient").get("/"))
    assert "My own draft" in page and mine.ref in page
    assert "Someone else" not in page
    assert "Add the licence count, please." in page
    assert 'href="/projects/new"' in page


def test_home_officer_shows_queue_and_activity(app, desk):
    first = desk.draft(title_en="First in queue")
    projects.transition(desk.user("recipient"), first, "submit")
    second = desk.draft(title_en="Second in queue")
    projects.transition(desk.user("recipient"), second, "submit")
    Project.update(submitted_at=first.submitted_at.replace(year=first.submitted_at.year - 1)).where(
        Project.id == first.id
    ).execute()
    desk.draft(title_en="Hidden draft")
    page = html(client_for(app, desk, "project_office").get("/"))
    assert re.search(r'<span class="big">2</span>\s*<a href="/review">', page)
    assert first.ref in page  # the oldest waiting
    assert re.search(r"36[56] days", page)
    assert "Recent activity" in page and "Second in queue" in page
    assert "Hidden draft" not in page


def test_home_donor_shows_newest_and_own_pledges(app, desk):
    project = desk.published(title_en="Newest open project")
    pledges.create_pledge(desk.user("donor"), project, {"amount": "1234", "currency": "EUR"})
    hidden = desk.published(tlp="AMBER+STRICT", title_en="Strict newest")
    page = html(client_for(app, desk, "donor").get("/"))
    assert "Newest open project" in page and "Strict newest" not in page
    assert hidden.ref not in page
    assert "1,234.00 EUR" in page
    other = html(client_for(app, desk, "donor2").get("/"))
    assert "1,234.00 EUR" not in other


def test_home_observer_shows_catalogue_totals(app, desk):
    published_with_pledges(desk, budget_amount="100000", tlp="GREEN")
    desk.published(budget_amount="999999", tlp="AMBER")  # hidden from observers
    page = html(client_for(app, desk, "observer").get("/"))
    assert "The Catalogue in numbers" in page
    assert re.search(r'<span class="big">1</span>\s*published project', page)
    assert "100,000 EUR" in page and "40,000 EUR" in page
    assert "999,999" not in page


def test_home_needs_login(client):
    assert client.get("/").status_code == 302


# --- the Catalogue ----------------------------------------------------------


def test_catalogue_row_content_and_fallback_title(app, desk):
    project = desk.published(
        title_en="",
        title_uk="Лише українська назва",
        oblast="UA-63",
        budget_amount="75000",
        budget_currency="USD",
        tlp="CLEAR",
    )
    page = html(client_for(app, desk, "donor").get("/catalogue"))
    row = row_with(page, project.ref).html
    assert "Лише українська назва" in row and 'class="fallback"' in row
    assert "SSSCIP" in row and "Training and skills" in row and "Kharkiv Oblast" in row
    assert "TLP:CLEAR" in row and "Published" in row and "75,000 USD" in row
    assert "funding-bar-mini" in row and "Unfunded" in row
    assert "1 project" in page


def test_catalogue_filters_keep_their_values_and_filter(app, desk):
    training = desk.published(category="training", priority="high", title_en="Train")
    equipment = desk.published(category="equipment", priority="low", title_en="Kit")
    c = client_for(app, desk, "donor")
    page = html(c.get("/catalogue?category=equipment&priority=low&sort=budget_desc"))
    assert equipment.ref in page and training.ref not in page
    assert '<option value="equipment" selected>' in page
    assert '<option value="low" selected>' in page
    assert '<option value="budget_desc" selected>' in page
    page = html(c.get("/catalogue?recipient=SSSCIP&oblast=UA&status=published"))
    assert equipment.ref in page and training.ref in page
    assert '<option value="SSSCIP" selected>' in page


def test_catalogue_bad_filter_is_400_with_message(app, desk):
    c = client_for(app, desk, "donor")
    for query in (
        "category=nonsense",
        "page=-1",
        "sort=sideways",
        "funding=rich",
        "oblast=UA-99",
        "per_page=100000",
    ):
        response = c.get(f"/catalogue?{query}")
        assert response.status_code == 400, query
        assert "error-summary" in html(response)
    assert "Unknown value" in html(c.get("/catalogue?category=nonsense"))


def test_catalogue_paginates_and_keeps_filters(app, desk):
    for n in range(5):
        desk.published(title_en=f"Project {n}", category="training")
    c = client_for(app, desk, "donor")
    page = html(c.get("/catalogue?category=training&per_page=2"))
    assert "5 projects" in page and "page 1 of 3" in page
    assert "category=training" in page and "page=2" in page
    page2 = html(c.get("/catalogue?category=training&per_page=2&page=3"))
    assert page2.count('class="ref"') == 1


def test_catalogue_never_shows_hidden_projects(app, desk):
    desk.draft(title_en="A private draft")
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strict one")
    red = desk.published(tlp="RED", title_en="Red one")
    for who in ("donor", "observer", "company", "recipient2"):
        page = html(client_for(app, desk, who).get("/catalogue"))
        assert "A private draft" not in page and red.ref not in page, who
        assert strict.ref not in page, who
        assert "0 projects" in page, who


# --- drafting ---------------------------------------------------------------


def test_new_project_form_shows_every_field_and_tlp_hints(app, desk):
    page = html(client_for(app, desk, "recipient").get("/projects/new"))
    for name in (
        "title_en",
        "title_uk",
        "summary_en",
        "summary_uk",
        "category",
        "oblast",
        "budget_amount",
        "budget_currency",
        "priority",
        "tlp",
        "planned_start",
        "planned_end",
        "beneficiaries",
    ):
        assert f'name="{name}"' in page, name
    assert "only the people named on the project" in page  # a TLP description as a hint
    assert re.search(r'<label for="title_en">', page)


def test_new_project_errors_keep_everything_typed(app, desk):
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        "/projects/new",
        {
            "title_en": "",
            "title_uk": "",
            "summary_en": "Keep this summary",
            "category": "training",
            "oblast": "UA-30",
            "budget_amount": "twelve",
            "budget_currency": "GBP",
            "priority": "critical",
            "tlp": "RED",
            "planned_start": "2026-05-01",
            "planned_end": "2026-01-01",
            "beneficiaries": "Kyiv city administration",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "Keep this summary" in page and "Kyiv city administration" in page
    assert 'value="twelve"' in page and 'value="2026-05-01"' in page
    assert '<option selected value="GBP">' in page or 'value="GBP" selected' in page
    assert re.search(r'value="RED"[^>]*checked|checked[^>]*value="RED"', page)
    assert "Give a title in English or Ukrainian." in page
    assert "Must be an amount" in page and "The end date is before the start date." in page
    assert 'id="budget_amount-error"' in page and "error-summary" in page
    assert Project.select().count() == 0


@pytest.mark.parametrize("who", ["donor", "back_office", "observer", "company"])
def test_only_recipients_may_draft(app, desk, who):
    c = client_for(app, desk, who)
    assert c.get("/projects/new").status_code == 403


def test_edit_draft_and_refuse_after_submission(app, desk):
    project = desk.draft()
    c = client_for(app, desk, "recipient")
    page = html(c.get(f"/projects/{project.ref}/edit"))
    assert 'value="SOC analyst training"' in page and 'value="100000.00"' in page
    response = post(
        c,
        f"/projects/{project.ref}/edit",
        {
            "title_en": "SOC analyst training, second wave",
            "title_uk": "",
            "summary_en": "Train 60 analysts.",
            "category": "training",
            "oblast": "UA",
            "budget_amount": "150000",
            "budget_currency": "EUR",
            "priority": "high",
            "tlp": "GREEN",
        },
    )
    assert response.status_code == 303
    project = Project.get_by_id(project.id)
    assert project.title_en == "SOC analyst training, second wave"
    projects.transition(desk.user("recipient"), project, "submit")
    assert c.get(f"/projects/{project.ref}/edit").status_code == 403
    response = post(
        c,
        f"/projects/{project.ref}/edit",
        {"title_en": "Sneaky"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 403
    assert Project.get_by_id(project.id).title_en == "SOC analyst training, second wave"
    assert "Edit the project" not in html(c.get(f"/projects/{project.ref}"))


def test_edit_errors_keep_input(app, desk):
    project = desk.draft()
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        f"/projects/{project.ref}/edit",
        {
            "title_en": "Changed title",
            "category": "bogus",
            "budget_amount": "100",
            "budget_currency": "EUR",
            "tlp": "GREEN",
        },
    )
    assert response.status_code == 400
    assert 'value="Changed title"' in html(response)
    assert Project.get_by_id(project.id).title_en == "SOC analyst training"


# --- the project page -------------------------------------------------------


def test_project_page_tells_the_whole_story(app, desk):
    project = desk.draft(title_en="Story project", tlp="GREEN")
    projects.transition(desk.user("recipient"), project, "submit")
    projects.transition(desk.user("back_office"), project, "return", comment="Add dates.")
    projects.transition(desk.user("recipient"), project, "submit")
    projects.transition(desk.user("project_office"), project, "publish", comment="Looks good")
    p = pledges.create_pledge(desk.user("donor"), project, {"amount": "60000", "currency": "EUR"})
    pledges.transition_pledge(desk.user("donor"), p, "confirm")
    pledges.create_pledge(desk.user("donor2"), project, {"amount": "10000", "currency": "GBP"})
    offers.create_engagement(desk.user("back_office"), project, "CYBERCO", {"role": "Trainer"})
    page = html(client_for(app, desk, "project_office").get(f"/projects/{project.ref}"))
    assert "Story project" in page and "TLP:GREEN" in page
    assert "Add dates." in page and "Looks good" in page  # history comments
    assert page.count('class="timeline"') >= 1
    assert "Partly funded" in page and "funding-bar" in page
    assert "Totals by currency" in page and "10,000.00" in page and "60,000.00" in page
    assert "Recipient" in page and "State Service of Special Communications" in page


def test_project_page_actions_by_role(app, desk):
    project = desk.draft()
    projects.transition(desk.user("recipient"), project, "submit")
    office = html(client_for(app, desk, "back_office").get(f"/projects/{project.ref}"))
    for action in ("publish", "return", "reject", "withdraw"):
        assert f'name="action" value="{action}"' in office
    # One comment box shared by every step is gone: each step asks on its own page.
    assert 'name="comment"' not in office
    own = html(client_for(app, desk, "recipient").get(f"/projects/{project.ref}"))
    assert 'value="publish"' not in own and 'value="withdraw"' in own


def test_illegal_step_is_flashed_and_changes_nothing(app, desk):
    project = desk.published()
    c = client_for(app, desk, "back_office")
    response = post(
        c,
        f"/projects/{project.ref}/transition",
        {"action": "publish"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    page = html(c.get(f"/projects/{project.ref}"))
    assert "cannot be sent to" in page and "flash-error" in page
    assert Project.get_by_id(project.id).status == "published"
    # A recipient may not publish.
    draft = desk.draft()
    projects.transition(desk.user("recipient"), draft, "submit")
    r = client_for(app, desk, "recipient")
    post(
        r,
        f"/projects/{draft.ref}/transition",
        {"action": "publish"},
        form_page=f"/projects/{draft.ref}",
    )
    assert "You may not take the step “Publish in the Catalogue”" in html(
        r.get(f"/projects/{draft.ref}")
    )
    assert Project.get_by_id(draft.id).status == "submitted"


def test_return_without_comment_keeps_the_page(app, desk):
    project = desk.draft()
    projects.transition(desk.user("recipient"), project, "submit")
    c = client_for(app, desk, "back_office")
    response = post(
        c,
        f"/projects/{project.ref}/transition",
        {"action": "return", "comment": "  ", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 400
    assert "a comment is required" in html(response)
    assert "Confirm: Return to the recipient" in html(response)
    assert Project.get_by_id(project.id).status == "submitted"
    response = post(
        c,
        f"/projects/{project.ref}/transition",
        {"action": "return", "comment": "Split the budget by oblast.", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    assert (
        StatusChange.select().where(StatusChange.comment == "Split the budget by oblast.").exists()
    )


def test_hidden_project_is_404_everywhere(app, desk):
    draft = desk.draft()
    doc = _attach(app, desk, draft)
    c = client_for(app, desk, "recipient2")
    ref = draft.ref
    assert c.get(f"/projects/{ref}").status_code == 404
    assert c.get(f"/projects/{ref}/edit").status_code == 404
    assert c.get(f"/documents/{doc.uid}").status_code == 404
    for path in ("transition", "members", "updates", "documents"):
        response = post(c, f"/projects/{ref}/{path}", {"action": "submit"}, form_page="/")
        assert response.status_code == 404, path
    assert c.get("/projects/TM-1999-0001").status_code == 404  # missing looks the same
    assert Project.get_by_id(draft.id).status == "draft"


# --- named people ------------------------------------------------------------


def test_members_open_a_red_project(app, desk):
    project = desk.published(tlp="RED")
    donor = client_for(app, desk, "donor")
    assert donor.get(f"/projects/{project.ref}").status_code == 404
    c = client_for(app, desk, "recipient")
    page = html(c.get(f"/projects/{project.ref}"))
    assert "People named on the project" in page and "recipient@example.org" in page
    response = post(
        c,
        f"/projects/{project.ref}/members",
        {"members": "donor@example.org, nobody@example.org"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 400
    assert "nobody@example.org" in html(response) and "Unknown accounts" in html(response)
    response = post(
        c,
        f"/projects/{project.ref}/members",
        {"members": "donor@example.org\n"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    assert donor.get(f"/projects/{project.ref}").status_code == 200
    # The donor sees the project but may not manage who is named.
    assert "People named on the project" not in html(donor.get(f"/projects/{project.ref}"))
    response = post(
        donor,
        f"/projects/{project.ref}/members",
        {"members": ""},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 403


# --- updates and documents ----------------------------------------------------


def _attach(app, desk, project, name="plan.pdf", content=b"%PDF-1.4 test"):
    from tmdesk import paths
    from tmdesk.core.updates import store_document

    return store_document(
        desk.user("recipient"),
        paths.documents_dir(app.config["DATA_DIR"]),
        project,
        name,
        io.BytesIO(content),
    )


def test_update_with_file_on_funded_project(app, desk):
    project = published_with_pledges(desk)
    c = client_for(app, desk, "recipient")
    page = html(c.get(f"/projects/{project.ref}"))
    assert "Post an update" in page
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {
            "title": "Laptops delivered",
            "date": "2026-04-02",
            "progress": "40",
            "body": "12 of 30 laptops arrived.",
            "file": (io.BytesIO(b"%PDF-1.4 delivery note"), "delivery.pdf"),
        },
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, html(response)[:2000]
    update = Update.get(Update.title == "Laptops delivered")
    doc = Document.get(Document.update == update.id)
    page = html(c.get(f"/projects/{project.ref}"))
    assert "Laptops delivered" in page and "40% done" in page
    assert f"/documents/{doc.uid}" in page


def test_update_errors_keep_input_and_bad_file_undoes_update(app, desk):
    project = published_with_pledges(desk)
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {"title": "", "body": "Body kept", "progress": "140"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 400
    assert "Body kept" in html(response) and 'value="140"' in html(response)
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {"title": "With a bad file", "file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not accepted" in html(response)
    assert not Update.select().where(Update.title == "With a bad file").exists()


def test_no_updates_on_unfunded_project(app, desk):
    project = desk.published()
    c = client_for(app, desk, "recipient")
    assert "Post an update" not in html(c.get(f"/projects/{project.ref}"))
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {"title": "Too early"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    assert "Updates are posted on funded projects" in html(c.get(f"/projects/{project.ref}"))
    assert Update.select().count() == 0


def test_company_engaged_posts_update(app, desk):
    project = published_with_pledges(desk, tlp="AMBER")
    offers.create_engagement(desk.user("back_office"), project, "CYBERCO", {"role": "Vendor"})
    c = client_for(app, desk, "company")
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {"title": "Kick-off held"},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303
    assert Update.select().where(Update.title == "Kick-off held").exists()


def test_document_upload_and_download(app, desk):
    project = desk.published(tlp="GREEN")
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        f"/projects/{project.ref}/documents",
        {"file": (io.BytesIO(b"%PDF-1.7 budget"), "Budget plan.pdf")},
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    doc = Document.get(Document.project == project.id)
    page = html(c.get(f"/projects/{project.ref}"))
    assert "Budget plan.pdf" in page
    response = client_for(app, desk, "observer").get(f"/documents/{doc.uid}")
    assert response.status_code == 200  # GREEN: every account
    assert response.data == b"%PDF-1.7 budget"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Budget plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Bad type and empty upload: 400 with the message on the field.
    response = post(
        c,
        f"/projects/{project.ref}/documents",
        {"file": (io.BytesIO(b"<script>"), "evil.html")},
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "not accepted" in html(response)
    response = post(
        c, f"/projects/{project.ref}/documents", {}, form_page=f"/projects/{project.ref}"
    )
    assert response.status_code == 400 and "Choose a file" in html(response)
    # A donor may see but not attach.
    donor = client_for(app, desk, "donor")
    response = post(
        donor,
        f"/projects/{project.ref}/documents",
        {"file": (io.BytesIO(b"%PDF-1.7"), "x.pdf")},
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert Document.select().count() == 1


def test_document_of_hidden_project_is_404(app, desk):
    project = desk.published(tlp="AMBER+STRICT")
    doc = _attach(app, desk, project)
    assert client_for(app, desk, "back_office").get(f"/documents/{doc.uid}").status_code == 200
    assert client_for(app, desk, "donor").get(f"/documents/{doc.uid}").status_code == 404
    assert client_for(app, desk, "donor").get("/documents/999999").status_code == 404


def test_red_draft_page_lists_officers_to_name_and_submit_says_why(app, desk):
    red = desk.draft(tlp="RED", title_en="Sensor network")
    c = client_for(app, desk, "recipient")
    page = html(c.get(f"/projects/{red.ref}"))
    assert "Officers who can review a TLP:RED project" in page
    assert desk.user("back_office").email in page and desk.user("project_office").email in page
    response = post(
        c,
        f"/projects/{red.ref}/transition",
        {"action": "submit"},
        form_page=f"/projects/{red.ref}",
        follow_redirects=True,
    )
    assert "Name at least one Back Office or Project Office officer" in html(response)
    assert Project.get_by_id(red.id).status == "draft"
    green = desk.draft(title_en="Open training")
    assert "Officers who can review" not in html(c.get(f"/projects/{green.ref}"))
