"""Forms people can fill in on a phone and in Ukrainian (issue 15, "Phones and forms").

A form refused on the server shows the error summary at the top, keeps what was
typed and names the file that must be chosen again; "75%" is a progress; dates
are shown and read in the format the field's hint names for the locale.
"""

from __future__ import annotations

import datetime as dt
import io

from tests.helpers import login, post
from tests.web.test_web_projects import client_for, html, published_with_pledges
from tmdesk.core import validation
from tmdesk.core.models import Project, Update


def test_progress_accepts_a_percent_sign(app, desk):
    project = published_with_pledges(desk)
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {"title": "Three quarters done", "progress": "75%", "body": "Going well."},
        form_page=f"/projects/{project.ref}",
    )
    assert response.status_code == 303, html(response)[:1500]
    assert Update.get(Update.title == "Three quarters done").progress == 75


def test_refused_update_names_the_file_to_choose_again_and_summarises_errors(app, desk):
    project = published_with_pledges(desk)
    c = client_for(app, desk, "recipient")
    response = post(
        c,
        f"/projects/{project.ref}/updates",
        {
            "title": "",
            "body": "Typed text stays",
            "progress": "75%",
            "file": (io.BytesIO(b"%PDF-1.4 note"), "delivery-note.pdf"),
        },
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = html(response)
    summary = page.index('class="error-summary"')
    assert summary < page.index('id="updates"')  # at the top of the page, not by the form
    assert 'tabindex="-1"' in page[summary - 200 : summary + 200]  # focusable (tmdesk.js)
    assert "Typed text stays" in page and 'value="75%"' in page
    assert "You had chosen “delivery-note.pdf”" in page


def test_dates_are_read_and_shown_in_the_locales_format(app, desk):
    assert validation.parse_date("31.03.2026") == dt.date(2026, 3, 31)
    assert validation.parse_date("2026-03-31") == dt.date(2026, 3, 31)
    assert validation.parse_date("31/03/2026") is None
    assert validation.parse_date("31.13.2026") is None
    draft = desk.draft(title_en="Dated", planned_start="2026-03-31")
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    login(c, desk.user("recipient"))
    page = html(c.get(f"/projects/{draft.ref}/edit"))
    assert 'value="31.03.2026"' in page and "ДД.ММ.РРРР" in page
    assert 'type="date"' not in page  # the browser's picker would show its own format
    response = post(
        c,
        f"/projects/{draft.ref}/edit",
        {
            "title_en": "Dated",
            "summary_en": "x",
            "category": "training",
            "budget_amount": "1000",
            "budget_currency": "EUR",
            "tlp": "GREEN",
            "priority": "high",
            "oblast": "UA",
            "planned_start": "01.04.2026",
        },
    )
    assert response.status_code == 303, html(response)[:1500]
    assert Project.get_by_id(draft.id).planned_start == dt.date(2026, 4, 1)
    english = client_for(app, desk, "recipient")
    page = html(english.get(f"/projects/{draft.ref}/edit"))
    assert 'value="2026-04-01"' in page and "YYYY-MM-DD" in page
