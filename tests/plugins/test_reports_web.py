"""The Reports page (form and download) and the Plugins page."""

from __future__ import annotations

import io
import textwrap

import pytest
from openpyxl import load_workbook

from tests.helpers import approve_plugin_files, csrf_token, login, post, row_headers
from tmdesk.core.db import database

OFFICE_ONLY = """
from tmdesk import hookimpl
from tmdesk.plugins.contract import ReportFormat, ReportOption

def render(context, out, options):
    out.write(("office:" + options["title"] + ":" + ",".join(p.ref for p in context.projects)
               ).encode())

def explode(context, out, options):
    out.write(b"half")
    raise RuntimeError("the chart library crashed")

@hookimpl
def tmdesk_report_formats():
    return [
        ReportFormat(name="office-only", label="Office only", extension="txt",
                     media_type="text/plain", render=render,
                     roles=frozenset({"project_office", "back_office"}),
                     options=(ReportOption("title", "Title on the cover", default="Pack"),)),
        ReportFormat(name="explodes", label="Explodes", extension="txt",
                     media_type="text/plain", render=explode),
        ReportFormat(name="per-donor", label="Per donor", extension="txt",
                     media_type="text/plain", needs_donor=True,
                     render=lambda c, o, opts: o.write(c.filters.donor.encode())),
    ]
"""


@pytest.fixture
def app(data_dir, db):
    """The app with a partner plugin file and a broken one in the plugins folder."""
    from tmdesk.web import create_app

    folder = data_dir / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "office.py").write_text(textwrap.dedent(OFFICE_ONLY))
    (folder / "broken.py").write_text("raise RuntimeError('missing licence file')\n")
    approve_plugin_files(data_dir)
    app = create_app(data_dir, {"TESTING": True})
    database.connect(reuse_if_open=True)
    return app


def download(client, name: str, data: dict | None = None):
    token = csrf_token(client, f"/reports/{name}")
    return client.post(f"/reports/{name}", data={"csrf_token": token, "lang": "en", **(data or {})})


def test_reports_in_menu_and_index_lists_allowed_formats(client, desk):
    login(client, desk.users["donor"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/reports"' in home or 'href="/reports/"' in home
    html = client.get("/reports").get_data(as_text=True)
    assert "/reports/csv" in html and "/reports/xlsx" in html
    assert "/reports/office-only" not in html
    assert "/reports/plugins" not in html  # not an administrator


def test_a_format_for_one_donor_says_so_once(client, desk):
    """The IATI row said "one donor" twice: in its label and in the hint under it."""
    login(client, desk.users["donor"])
    headers = row_headers(client.get("/reports").get_data(as_text=True))
    (iati,) = [text for text in headers if "IATI" in text]
    assert iati.count("one donor") == 1, iati


def test_anonymous_is_sent_to_login(client, desk):
    response = client.get("/reports/csv")
    assert response.status_code == 302 and "/login" in response.location


def test_donor_downloads_csv_without_amber_strict(client, desk):
    green = desk.published(tlp="GREEN", title_en="Open project")
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strict project")
    login(client, desk.users["donor"])
    assert client.get("/reports/csv").status_code == 200
    response = download(client, "csv", {"opt_delimiter": "semicolon"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbfTLP:GREEN")
    text = data.decode("utf-8-sig")
    assert green.ref in text and strict.ref not in text
    assert "ref;title_en" in text


def test_xlsx_download_opens_and_filters_apply(client, desk):
    training = desk.published(category="training")
    audit = desk.published(category="assessment", title_en="Audit")
    login(client, desk.users["project_office"])
    response = download(client, "xlsx", {"category": ["assessment"]})
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.get_data()))
    refs = [r[0] for r in wb["Projects"].iter_rows(min_row=3, values_only=True)]
    assert refs == [audit.ref] and training.ref not in refs


def test_format_for_other_roles_is_403_and_unknown_is_404(client, desk):
    login(client, desk.users["donor"])
    assert client.get("/reports/office-only").status_code == 403
    token = csrf_token(client, "/reports/csv")
    response = client.post("/reports/office-only", data={"csrf_token": token})
    assert response.status_code == 403
    assert client.get("/reports/no-such-format").status_code == 404


def test_office_format_with_option(client, desk):
    project = desk.published()
    login(client, desk.users["back_office"])
    page = client.get("/reports/office-only").get_data(as_text=True)
    assert 'name="opt_title"' in page and "Title on the cover" in page
    response = download(client, "office-only", {"opt_title": "Coordination meeting"})
    assert response.status_code == 200
    assert response.get_data() == f"office:Coordination meeting:{project.ref}".encode()


def test_failed_render_shows_message_and_keeps_values(client, desk):
    login(client, desk.users["project_office"])
    response = download(
        client,
        "explodes",
        {"category": ["training", "equipment"], "since": "2026-01-15", "tlp_max": "AMBER"},
    )
    assert response.status_code == 500
    assert response.headers.get("Content-Disposition") is None
    html = response.get_data(as_text=True)
    assert "could not be made" in html and "the chart library crashed" in html
    assert 'value="2026-01-15"' in html
    assert '<option selected value="training">' in html or 'value="training" selected' in html
    assert 'selected value="AMBER"' in html or 'value="AMBER" selected' in html


def test_invalid_form_is_400_with_messages(client, desk):
    login(client, desk.users["project_office"])
    response = download(client, "csv", {"opt_delimiter": "pipe", "since": "not a date"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'value="not a date"' in html
    response = download(client, "per-donor", {})
    assert response.status_code == 400
    response = download(client, "per-donor", {"donor": "EE"})
    assert response.status_code == 200 and response.get_data() == b"EE"


def test_donor_format_defaults_to_own_organisation(client, desk):
    login(client, desk.users["donor"])
    html = client.get("/reports/per-donor").get_data(as_text=True)
    assert 'selected value="GB"' in html or 'value="GB" selected' in html


def test_plugins_page_for_admins_only(client, desk):
    login(client, desk.users["donor"])
    assert client.get("/reports/plugins").status_code == 403
    post(client, "/logout", form_page="/")
    login(client, desk.users["admin"])
    response = client.get("/reports/plugins")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "tabular" in html and "office.py" in html
    assert "broken.py" in html and "missing licence file" in html
    assert "Failed" in html
    index = client.get("/reports").get_data(as_text=True)
    assert "/reports/plugins" in index and "failed to load" in index
