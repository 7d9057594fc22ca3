"""Every report survives any data a user can enter (issue 12, items 6 and 7).

The world is made through the core services only, so everything in it is
something a user could have typed: the longest text every field allows, many
pledges, updates, documents and engagements on one project, long unbroken
words and addresses, Cyrillic, right-to-left text and emoji. Then every
registered format is rendered for several roles, as the app and the CLI do
(:func:`tmdesk.plugins.manager.render_report`), and each file is read back:
PDFs with ``pdftotext``, spreadsheets with openpyxl, XML with lxml.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from tests import pg
from tmdesk.core import accounts, offers, pledges, projects, tokens, updates, validation
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Organisation, Project
from tmdesk.core.reporting import build_context
from tmdesk.plugins.manager import formats_for, make_plugin_manager, render_report

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) needed"
)

#: Pieces of hostile-but-valid text: scripts, directions, emoji, and words no line holds.
PIECES = (
    "Кібербезпека об'єктів критичної інфраструктури ",
    "שלום עולם ",
    "مرحبا بالعالم ",
    "🛰️🇺🇦👩🏽‍💻 ",
    "https://example.org/" + "very-long-path-segment/" * 12 + "?q=" + "x" * 120 + " ",
    "W" * 400 + " ",
    "Ґрунтовний\u00adперенос ",
    "<b>&amp;</b> ]]> ",
)


def filler(length: int, start: int = 0) -> str:
    """Exactly ``length`` characters of :data:`PIECES`, starting at piece ``start``."""
    out, i = "", start
    while len(out) < length:
        out += PIECES[i % len(PIECES)]
        i += 1
    return out[:length].strip() + "Z" * (length - len(out[:length].strip()))


def _title(i: int) -> str:
    return filler(validation.MAX_LINE, i)


@pytest.fixture
def hostile(desk, data_dir) -> dict[str, Project]:
    """Published projects at the limits; one with 35 long in-kind pledges by one donor."""
    long_donor = accounts.create_organisation(
        None,
        {
            "code": "LONGDONOR",
            "kind": "donor",
            "country": "FR",
            "name_en": filler(200, 4),
            "name_uk": filler(200, 0),
        },
    )
    donor_user = accounts.create_user(
        None, "long.donor@example.org", long_donor.code, "a fine passphrase", name=filler(200, 2)
    )
    big = desk.published(
        title_en=_title(0),
        title_uk=_title(1),
        summary_en=filler(validation.MAX_TEXT, 2),
        summary_uk=filler(validation.MAX_TEXT, 0),
        beneficiaries=filler(validation.MAX_TEXT, 5),
        tlp="GREEN",
        planned_start="2026-01-01",
        planned_end="2028-12-31",
    )
    others = [
        desk.published(
            title_en=_title(i), title_uk=_title(i + 3), summary_en=filler(3000, i), tlp="CLEAR"
        )
        for i in range(3)
    ]
    gb, bo, owner = desk.user("donor"), desk.user("back_office"), desk.user("recipient")
    for i in range(35):  # the case: thirty-odd long in-kind pledges by one donor
        pledges.create_pledge(
            gb,
            big,
            {
                "in_kind": filler(2000, i),
                "in_kind_quantity": str(10**9),
                "amount": "999999999999",
                "currency": "EUR",
                "date": "2026-02-01",
                "note": filler(2000, i + 1),
            },
        )
    for i in range(6):
        pledges.create_pledge(
            donor_user,
            big,
            {"in_kind": filler(2000, i + 2), "date": "2026-02-02", "note": filler(2000, i)},
        )
        pledges.create_pledge(
            gb, others[i % 3], {"amount": "1000", "currency": "EUR", "date": "2026-02-03"}
        )
    projects.transition(owner, big, "start")
    for i in range(25):
        update = updates.post_update(
            owner,
            big,
            {
                "title": filler(validation.MAX_LINE, i),
                "body": filler(validation.MAX_TEXT if i < 3 else 2500, i),
                "date": "2026-03-01",
                "progress": str(i * 4),
            },
        )
        if i < 12:
            updates.store_document(
                owner,
                Path(data_dir) / "documents",
                big,
                filler(240, i) + ".txt",
                io.BytesIO(b"minutes\n"),
                update=update,
            )
    for code in ("CYBERCO", "SECURA"):
        offers.create_engagement(bo, big, code, {"role": filler(200, 3)})
    offers.create_offer(
        gb, {"category": "training", "description": filler(validation.MAX_TEXT, 1), "quantity": "7"}
    )
    projects.set_members(owner, big, [desk.user("project_office").email])
    return {"big": Project.get_by_id(big.id), "others": others}


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace")


def read_back(fmt: str, path: Path) -> str:
    """The file opened as its reader would; the text it holds."""
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        return pdf_text(path)
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(
            str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r if c
        )
    if data.lstrip().startswith(b"<?xml"):
        return etree.tostring(etree.fromstring(data), encoding="unicode", method="text")
    text = data.decode("utf-8")
    list(csv.reader(io.StringIO(text)))
    return text


def _options(fmt, role: str) -> tuple[dict[str, str], CatalogueFilters]:
    filters = CatalogueFilters()
    if fmt.needs_donor:
        filters.donor = "GB"
    options = {}
    if fmt.needs_recipient:
        filters.recipient = ["SSSCIP"]
    return options, filters


ROLES = ("project_office", "back_office", "donor", "recipient", "observer", "company")


@pytest.mark.parametrize("role", ROLES)
def test_every_format_survives_hostile_data(desk, hostile, data_dir, tmp_path, role):
    pm = make_plugin_manager(data_dir)
    user = desk.user(role)
    formats = formats_for(pm, user)
    assert formats, role
    made = []
    for fmt in formats:
        options, filters = _options(fmt, role)
        context = build_context(user, filters, locale="uk" if role == "recipient" else "en")
        out = tmp_path / f"{role}-{fmt.name}.{fmt.extension}"
        render_report(pm, fmt.name, context, options, out)
        text = read_back(fmt.name, out)
        assert text.strip(), (fmt.name, role)
        made.append(fmt.name)
    if role in ("project_office", "back_office"):
        assert {"briefing-pack", "ministry-report", "csv", "xlsx", "iati"} <= set(made)


# --- a report that cannot be made as asked: a clear 4xx, a clear CLI error --------------


def test_reports_that_cannot_be_made_say_why_on_the_page(app, client, desk):
    from tests.helpers import login, post

    desk.published(title_en="Only one", owner="recipient")
    desk.published(title_en="Another recipient's", owner="recipient2")
    login(client, desk.user("back_office"))
    # Two recipients and none chosen: the ministry report cannot know which.
    response = post(client, "/reports/ministry-report", {"lang": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # The recipient is one choice from a list, required; no code to type, no CLI hints.
    select = page.split('id="recipient" name="recipient"')[1].split("</select>")[0]
    assert "multiple" not in select.split(">")[0] and 'value="MDT"' in select
    assert "--recipient" not in page and "organisation code" not in page
    # A donor that supports nothing: nothing to export.
    response = post(client, "/reports/iati", {"lang": "en", "donor": "EE", "opt_max_tlp": "GREEN"})
    assert response.status_code == 400
    assert "Nothing to export" in response.get_data(as_text=True)


def test_reports_that_cannot_be_made_say_why_in_the_cli(desk, data_dir):
    from click.testing import CliRunner

    from tmdesk.cli import cli
    from tmdesk.core.db import database

    desk.published(title_en="Only one")
    database.close()
    result = CliRunner().invoke(
        cli,
        ["report", "iati", "--data-dir", str(data_dir), "--out", str(data_dir / "x.xml")]
        + ["--as", "back_office@example.org", "--donor", "EE"],
    )
    assert result.exit_code == 1, result.output
    assert "Nothing to export" in result.output
    assert "Traceback" not in result.output
    database.connect(reuse_if_open=True)


# --- characters XML forbids (item 7) -----------------------------------------------------

FORBIDDEN = ("\uffff", "\ufffe", "\x00", "\x01", "\x1b", "\x7f", "\x9f", "\ufdd0", "\U0001fffe")


def test_forbidden_characters_are_refused_in_every_core_text_field(desk):
    """One rule in the core: every text field says which field and why."""
    from tmdesk.core.errors import ValidationError

    owner, bo = desk.user("recipient"), desk.user("back_office")
    project = desk.published()
    cases = [
        lambda bad: desk.draft(title_en=f"Grid{bad}"),
        lambda bad: desk.draft(summary_uk=f"Опис{bad}"),
        lambda bad: desk.draft(beneficiaries=f"x{bad}"),
        lambda bad: pledges.create_pledge(
            desk.user("donor"),
            project,
            {"in_kind": f"kit{bad}", "amount": "5", "currency": "EUR", "date": "2026-01-01"},
        ),
        lambda bad: offers.create_offer(
            desk.user("donor"), {"category": "training", "description": f"d{bad}"}
        ),
        lambda bad: offers.create_engagement(bo, project, "CYBERCO", {"role": f"r{bad}"}),
        lambda bad: projects.transition(owner, project, "withdraw", f"why{bad}"),
        lambda bad: accounts.create_user(
            None, "n@example.org", "GB", "a fine passphrase", name=bad
        ),
        lambda bad: accounts.create_organisation(
            None, {"code": "XX", "kind": "donor", "country": "FR", "name_en": f"N{bad}"}
        ),
    ]
    for make in cases:
        for bad in FORBIDDEN:
            with pytest.raises(ValidationError) as caught:
                make(bad)
            assert len(caught.value.fields) == 1, (bad, caught.value.fields)
            message = next(iter(caught.value.fields.values()))
            assert "cannot be stored" in message, message
    # Tab, newlines, Cyrillic, RTL and emoji are text like any other.
    desk.draft(title_en="Grid\tмоніторинг שלום 🛰️", summary_en="a\nb\r\nc")


def test_forbidden_characters_are_refused_on_forms_and_the_api(app, client, desk):
    from tests.helpers import login, post

    login(client, desk.user("recipient"))
    response = post(
        client,
        "/projects/new",
        {
            "title_en": "Grid\uffffmonitoring",
            "summary_en": "A SOC.",
            "category": "training",
            "budget_amount": "2000",
            "budget_currency": "EUR",
            "tlp": "GREEN",
            "priority": "high",
            "oblast": "UA",
        },
    )
    assert response.status_code in (200, 400, 422)
    assert "cannot be stored" in response.get_data(as_text=True)
    assert not Project.select().where(Project.title_en.contains("Grid")).exists()

    _record, token = tokens.create_token(None, desk.user("recipient"), "t")
    response = app.test_client().post(
        "/api/v1/projects",
        json={
            "title": {"en": "Grid\ufffe"},
            "category": "training",
            "budget": {"amount": "1", "currency": "EUR"},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert "title.en" in response.get_json()["fields"]


def test_forbidden_characters_are_refused_by_the_cli(desk, data_dir):
    from click.testing import CliRunner

    from tmdesk.cli import cli
    from tmdesk.core.db import database

    database.close()
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "user", "create", "x@example.org", "--org", "GB"]
        + ["--name", "Bad\uffffName", "--password-stdin"],
        input="a fine passphrase\n",
    )
    database.connect(reuse_if_open=True)
    assert result.exit_code == 1
    assert "name:" in result.output and "cannot be stored" in result.output


def test_one_project_with_forbidden_characters_never_blocks_an_export(desk, data_dir, tmp_path):
    """Older data (stored before the rule) holding what XML forbids: every format is
    still made, the XML parses, and the characters are dropped, not the project."""
    project = desk.published(title_en="Grid monitoring")
    pledges.create_pledge(
        desk.user("donor"), project, {"amount": "10", "currency": "EUR", "date": "2026-01-01"}
    )
    # No database stores a lone surrogate at all, and PostgreSQL no NUL either.
    bad = "".join(c for c in FORBIDDEN if not (c == "\x00" and pg.on_postgresql()))
    Project.update(
        title_en=f"Grid{bad} monitoring", title_uk=f"Моніторинг{bad} мережі", summary_en=f"S{bad}"
    ).where(Project.id == project.id).execute()
    Organisation.update(name_en=f"United{bad} Kingdom").where(Organisation.code == "GB").execute()
    pm = make_plugin_manager(data_dir)
    user = desk.user("project_office")
    for fmt in formats_for(pm, user):
        options, filters = _options(fmt, "project_office")
        out = tmp_path / f"bad.{fmt.extension}"
        render_report(pm, fmt.name, build_context(user, filters, locale="en"), options, out)
        text = read_back(fmt.name, out)
        assert "monitoring" in text or "Моніторинг мережі" in text, fmt.name
        if fmt.name == "iati":
            root = etree.fromstring(out.read_bytes())
            titles = [n.text for n in root.iter("narrative")]
            assert "Grid monitoring" in titles


def test_a_partners_pdf_through_the_shared_blocks_survives(desk, tmp_path):
    """A partner's format built from the shared PDF blocks, with its own flowable in a
    cell (not cut by ``table``) and huge label/value text, still renders; the
    header repeats on the pages the table spans, and text cells show the cut note."""
    from tmdesk.plugins import testing
    from tmdesk.plugins.builtin import pdf as kit
    from tmdesk.plugins.contract import ReportFormat

    def render(context, out, options):
        doc = kit.ReportDoc(out, title="Partner", subtitle="S", tlp="GREEN", locale="en")
        huge = filler(30_000, 1)
        story = [
            kit.heading(huge[:300], 0),
            kit.key_values([("Summary", huge), ("Unbroken", "W" * 20_000)]),
            kit.table(
                ["Name", "What"],
                [(f"Row {i}", huge[: 2000 + i]) for i in range(40)]
                + [("Own flowable", kit.KitParagraph(kit.esc(huge), kit.styles()["cell"]))],
                [kit.CONTENT_WIDTH * 0.3, kit.CONTENT_WIDTH * 0.7],
            ),
        ]
        doc.render(story)

    import types

    from tmdesk import hookimpl

    partner = types.ModuleType("partner_pdf")

    @hookimpl
    def tmdesk_report_formats():
        return [
            ReportFormat(
                name="partner-pdf",
                label="Partner",
                extension="pdf",
                media_type="application/pdf",
                render=render,
            )
        ]

    partner.tmdesk_report_formats = tmdesk_report_formats
    desk.published()
    context = build_context(desk.user("project_office"), None, locale="en")
    data = testing.render("partner-pdf", context, plugins=[partner])
    path = tmp_path / "partner.pdf"
    path.write_bytes(data)
    pages = pdf_text(path).split("\f")
    with_header = [p for p in pages if "Name" in p and "What" in p]
    assert len(with_header) >= 3, len(with_header)  # the header repeats
    assert any("[…]" in p for p in pages)  # cut text cells say so
