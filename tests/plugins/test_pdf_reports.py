"""The PDF formats (briefing-pack, ministry-report), checked with poppler.

The data is made through the core services on the ``desk`` fixture, the
context with :func:`tmdesk.core.reporting.build_context` (so visibility
applies), and the files are read back with ``pdfinfo``, ``pdftotext`` and
``pdffonts`` as an officer's PDF reader would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tmdesk.core import offers, pledges, projects, updates
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Pledge
from tmdesk.core.reporting import build_context
from tmdesk.plugins.builtin import briefing_pack, ministry_report
from tmdesk.plugins.builtin import pdf as pdfkit
from tmdesk.plugins.builtin.pdf import text as pdf_text

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdfinfo, pdftotext, pdffonts) needed"
)

# (a control character such as BEL is refused at input since issue 12: see
# tests/plugins/test_report_robustness.py; pdf.esc still drops one, test_escaping_and_labels)
HOSTILE = "<b>bold</b> & ]]> <script>x</script> 🚀 שלום مرحبا end"


def make_world(desk) -> dict:
    """Published projects with pledges, updates, contacts; one hostile; one draft."""
    soc = desk.published(
        title_en="SOC analyst training",
        title_uk="Навчання аналітиків SOC для Держспецзв'язку",
        summary_en="Train 40 analysts.",
        summary_uk="Навчити 40 аналітиків.",
        tlp="GREEN",
        planned_start="2026-03-01",
        planned_end="2026-12-31",
    )
    mdc = desk.published(
        owner="recipient2",
        title_en="Mobile data centre",
        title_uk="Мобільний центр обробки даних",
        category="equipment",
        budget_amount="500000",
        budget_currency="USD",
        tlp="AMBER",
        priority="critical",
        oblast="UA-63",
    )
    hostile = desk.published(
        title_en=HOSTILE, title_uk="", summary_en=HOSTILE, category="incident-response", tlp="GREEN"
    )
    draft = desk.draft(title_en="Unsubmitted idea", title_uk="Чернетка ідеї")

    gb, ee = desk.user("donor"), desk.user("donor2")
    p1 = pledges.create_pledge(
        gb, soc, {"amount": "60000", "currency": "EUR", "date": "2026-02-01"}
    )
    pledges.transition_pledge(gb, p1, "confirm")
    pledges.create_pledge(ee, soc, {"amount": "20000", "currency": "EUR", "date": "2026-02-03"})
    p3 = pledges.create_pledge(
        gb,
        mdc,
        {
            "amount": "150000",
            "currency": "GBP",
            "in_kind": "Generator",
            "in_kind_quantity": "2",
            "date": "2026-02-10",
        },
    )
    pledges.transition_pledge(gb, p3, "confirm")
    pledges.create_pledge(
        ee, hostile, {"amount": "1000", "currency": "EUR", "in_kind": HOSTILE, "date": "2026-02-11"}
    )
    updates.post_update(
        desk.user("recipient"),
        soc,
        {
            "title": "Перший курс завершено",
            "date": "2026-04-02",
            "progress": "40",
            "body": "Двадцять аналітиків склали іспит.\nНаступна група — у травні.",
        },
    )
    hostile_pledge = Pledge.get(Pledge.project == hostile.id)
    pledges.transition_pledge(ee, hostile_pledge, "confirm")
    updates.post_update(
        desk.user("recipient"), hostile, {"title": HOSTILE, "body": HOSTILE, "date": "2026-04-05"}
    )
    projects.set_members(
        desk.user("recipient"), soc, ["recipient@example.org", "project_office@example.org"]
    )
    offers.create_engagement(
        desk.user("back_office"), soc, "CYBERCO", {"role": "Тренінги та оцінювання"}
    )
    offers.create_offer(
        desk.user("donor2"),
        {"category": "connectivity", "description": "200 Starlink terminals", "quantity": "200"},
    )
    return {"soc": soc, "mdc": mdc, "hostile": hostile, "draft": draft}


def render(
    fmt,
    desk,
    tmp_path: Path,
    user: str = "project_office",
    locale: str = "en",
    filters: CatalogueFilters | None = None,
    options: dict | None = None,
    name: str = "out.pdf",
) -> Path:
    ctx = build_context(desk.user(user), filters, locale=locale)
    out = tmp_path / name
    with out.open("wb") as stream:
        fmt.render(ctx, stream, options or {})
    return out


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pairs = (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def page_texts(path: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def fonts(path: Path) -> list[list[str]]:
    out = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [line.split() for line in out[2:] if line.strip()]


def catalog_lang(path: Path) -> str | None:
    """The /Lang entry of the document catalog (reportlab writes it uncompressed)."""
    match = re.search(rb"/Lang \(([^)]*)\)", path.read_bytes())
    return match.group(1).decode() if match else None


def check_pdf(path: Path, tlp: str) -> tuple[dict[str, str], list[str]]:
    """What every tmdesk PDF must be: A4, fonts embedded, the TLP label on every page."""
    info = pdfinfo(path)
    assert info["Page size"].startswith("595.276 x 841.89"), info["Page size"]
    pages = int(info["Pages"])
    texts = page_texts(path)
    assert len(texts) == pages
    for number, text in enumerate(texts, start=1):
        assert f"TLP:{tlp}" in text, f"page {number} lacks TLP:{tlp}"
    found = fonts(path)
    assert found, "no fonts listed"
    for row in found:
        assert "DejaVuSans" in row[0], row
        # columns: name type encoding emb sub uni object ID
        assert row[-5] == "yes", f"font not embedded: {row}"
    return info, texts


@pytest.fixture
def world(desk):
    return make_world(desk)


def test_briefing_pack_in_english(desk, world, tmp_path):
    path = render(briefing_pack, desk, tmp_path)
    info, texts = check_pdf(path, "AMBER")  # the highest label inside
    assert info["Title"] == "Briefing pack"
    assert catalog_lang(path) == "en-GB"
    whole = "\n".join(texts)
    assert "Contents" in texts[1] and "Executive summary" in texts[1]
    # page X of Y on every page, with the right total
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert f"page {number} of {total}" in text
    assert "Навчання аналітиків SOC" in whole  # Cyrillic comes back (other-language title)
    assert "Перший курс завершено" in whole
    assert "Двадцять аналітиків склали іспит." in whole
    assert "Mobile data centre" in whole and "United Kingdom" in whole
    assert "Unsubmitted idea" not in whole  # a draft is not in an officer's pack
    assert "Tallinn Mechanism Project Office" in whole or "Project Office" in whole


def test_briefing_pack_has_an_outline(desk, world, tmp_path):
    path = render(briefing_pack, desk, tmp_path)
    raw = path.read_bytes()
    assert b"/Outlines" in raw and b"/PageMode /UseOutlines" in raw
    assert raw.count(b"/Dest") + raw.count(b"/A <<") >= 4


def test_briefing_pack_in_ukrainian(desk, world, tmp_path):
    path = render(briefing_pack, desk, tmp_path, locale="uk")
    info, texts = check_pdf(path, "AMBER")
    assert catalog_lang(path) == "uk-UA"
    whole = "\n".join(texts)
    assert (
        "Навчання аналітиків SOC для Держспецзв'язку" in whole.replace("\n", " ")
        or "Навчання аналітиків SOC" in whole
    )
    assert f"сторінка 1 з {len(texts)}" in texts[0]
    assert "Виконавче резюме" in whole or "Executive summary" not in whole
    assert "Підтверджено" in whole


def test_hostile_text_is_escaped_not_interpreted(desk, world, tmp_path):
    path = render(briefing_pack, desk, tmp_path)
    texts = page_texts(path)
    assert "<b>bold</b> & ]]> <script>x</script>" in texts[1]  # the table of contents
    whole = "\n".join(texts)
    assert "<b>bold</b>" in whole
    assert "<script>x</script>" in whole
    assert "]]>" in whole and "&" in whole
    assert "שלום" in whole or "םולש" in whole
    assert "مرحبا" in whole or "ابحرم" in whole or "ﻣﺮﺣﺒﺎ" in whole or "م" in whole


def test_a_donor_sees_only_what_it_may(desk, world, tmp_path):
    path = render(briefing_pack, desk, tmp_path, user="donor", filters=CatalogueFilters(donor="GB"))
    whole = "\n".join(page_texts(path))
    assert "SOC analyst training" in whole and "Mobile data centre" in whole
    assert HOSTILE[:10] not in whole  # GB pledged nothing to it
    assert "Unsubmitted idea" not in whole


def test_briefing_pack_without_projects(desk, tmp_path):
    path = render(briefing_pack, desk, tmp_path, user="observer")
    info, texts = check_pdf(path, "CLEAR")
    assert "No projects in this selection." in "\n".join(texts)


def test_briefing_pack_options(desk, world, tmp_path):
    with_annex = render(briefing_pack, desk, tmp_path, name="a.pdf")
    without = render(
        briefing_pack,
        desk,
        tmp_path,
        options={"annex": "no", "title": "Meeting <12 March>"},
        name="b.pdf",
    )
    assert "Annex" in "\n".join(page_texts(with_annex))
    texts = page_texts(without)
    assert "Annex" not in "\n".join(texts)
    assert "Meeting <12 March>" in texts[0]
    assert pdfinfo(without)["Title"] == "Meeting <12 March>"


def test_ministry_report_defaults_to_ukrainian(desk, world, tmp_path):
    # The form and the CLI start from the format's default language.
    (fmt,) = ministry_report.tmdesk_report_formats()
    path = render(ministry_report, desk, tmp_path, user="recipient", locale=fmt.default_locale)
    info, texts = check_pdf(path, "GREEN")
    assert catalog_lang(path) == "uk-UA"
    whole = "\n".join(texts)
    assert "Навчання аналітиків SOC" in whole
    assert "Перший курс завершено" in whole
    assert "Mobile data centre" not in whole and "Мобільний центр" not in whole  # MDT's
    assert "Внески" in whole or "Донор" in whole
    assert f"сторінка 1 з {len(texts)}" in texts[0]


def test_ministry_report_for_an_officer_names_the_recipient(desk, world, tmp_path):
    with pytest.raises(ValueError, match="recipient"):
        render(ministry_report, desk, tmp_path)
    path = render(
        ministry_report, desk, tmp_path, locale="uk", filters=CatalogueFilters(recipient=["MDT"])
    )
    info, texts = check_pdf(path, "AMBER")
    whole = "\n".join(texts)
    assert "Мобільний центр" in whole and "обробки даних" in whole  # the title wraps
    assert "SOC" not in whole
    english = render(
        ministry_report,
        desk,
        tmp_path,
        name="en.pdf",
        filters=CatalogueFilters(recipient=["MDT"]),
    )
    info, texts = check_pdf(english, "AMBER")
    assert "Mobile data centre" in "\n".join(texts)
    assert catalog_lang(english) == "en-GB"


def test_the_formats_are_plugins_with_roles():
    (pack,) = briefing_pack.tmdesk_report_formats()
    (ministry,) = ministry_report.tmdesk_report_formats()
    assert pack.name == "briefing-pack" and pack.extension == "pdf"
    assert pack.roles == {"back_office", "project_office", "donor", "observer"}
    assert ministry.name == "ministry-report"
    assert ministry.roles == {"recipient", "back_office", "project_office"}
    # One language field (the form's), the recipient chosen from a list.
    assert ministry.options == () and ministry.needs_recipient
    assert ministry.default_locale == "uk"
    assert ministry.media_type == pack.media_type == "application/pdf"


def test_escaping_and_labels():
    assert pdfkit.esc("<b>&]]>") == "&lt;b&gt;&amp;]]&gt;"
    assert pdfkit.esc("a\nb\x00c") == "a<br/>bc"
    assert pdfkit.esc("x" * 50, 10).endswith("…")
    assert pdfkit.translate("en", "Budget") == "Budget"
    assert pdfkit.translate("uk", "Budget") not in ("", "Budget")
    assert pdfkit.translate("uk", "not a known label") == "not a known label"
    assert pdfkit.money(1234567, "en") == "€1,234,567"
    assert pdfkit.money(1234567, "uk") == "1\u00a0234\u00a0567\u00a0€"


def _pdf_labels() -> list[str]:
    """Every ``N_`` label the PDFs print (not the format's own metadata, which
    the web layer translates), plus the vocabularies they show."""
    import ast

    import tmdesk.core.vocab as vocab

    labels: list[str] = []
    sources = [*Path(pdfkit.__file__).parent.glob("*.py")]
    sources += [Path(m.__file__) for m in (briefing_pack, ministry_report)]
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        skip = {
            id(n)
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and f.name == "tmdesk_report_formats"
            for n in ast.walk(f)
        }
        labels += [
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "N_"
            and id(node) not in skip
        ]
    for table in (
        vocab.CATEGORIES,
        vocab.PROJECT_STATUSES,
        vocab.FUNDING_STATES,
        vocab.PLEDGE_STATUSES,
        vocab.PRIORITIES,
        vocab.TLP_DESCRIPTIONS,
    ):
        labels += list(table.values())
    return labels


def test_every_pdf_label_has_a_ukrainian_text():
    missing = [label for label in _pdf_labels() if pdfkit.translate("uk", label) == label]
    assert missing == []


def test_the_message_catalogue_is_the_only_dictionary(monkeypatch):
    """The PDFs' Ukrainian lives in messages.po only (issue 11): no table of their own."""
    package = Path(pdfkit.__file__).parent
    assert not any("_UK_FALLBACK" in f.read_text(encoding="utf-8") for f in package.glob("*.py"))

    class Catalogue:
        def gettext(self, text):
            return {"Budget": "Кошторис"}.get(text, text)

    monkeypatch.setattr(pdf_text, "_catalogue", lambda locale: Catalogue())
    assert pdfkit.translate("uk", "Budget") == "Кошторис"
    assert pdfkit.translate("uk", "Gap") == "Gap"  # not in that catalogue: stays English


def test_two_passes_suffice_and_the_page_count_is_right(tmp_path):
    """The first pass only lays out; the seeded contents keeps its length, so a
    second pass finishes the job, and "page X of Y" carries the final Y."""
    from reportlab.platypus import PageBreak

    out = tmp_path / "doc.pdf"
    with out.open("wb") as stream:
        doc = pdfkit.ReportDoc(stream, title="T", subtitle="S", tlp="RED", locale="en")
        story = [pdfkit.heading("Contents", 0, toc=False), pdfkit.toc("en")]
        for i in range(60):
            story += [
                PageBreak(),
                pdfkit.heading(f"Section {i} <x>", 0),
                pdfkit.para(pdfkit.esc("Body & text")),
            ]
        passes = doc.render(story)
    assert passes == 2
    texts = page_texts(out)
    assert len(texts) == 62  # two pages of contents, sixty sections
    assert all(f"page {n} of 62" in text for n, text in enumerate(texts, start=1))
    assert "Section 59 <x>" in texts[1] and "62" in texts[1]


def test_a_remembered_wrap_survives_a_refused_split():
    """Paragraph.split drops its measured lines when only one would fit; the
    remembered wrap must measure again rather than split nothing."""
    p = pdfkit.KitParagraph(pdfkit.esc("word " * 400), pdfkit.styles()["body"])
    width = pdfkit.CONTENT_WIDTH
    p.wrap(width, 800)
    assert p.split(width, 14) == []  # room for one line: refused, lines dropped
    p.wrap(width, 800)
    parts = p.split(width, 200)
    assert len(parts) == 2


def test_a_remembered_table_wrap_is_measured_for_its_height():
    rows = [(f"TM-2026-{i:04d}", "title " * 5) for i in range(200)]
    t = pdfkit.table(["Reference", "Title"], rows, [100, 300])
    full = t.wrap(400, 100_000)
    t.split(400, 300)  # measures again for a short height
    assert t.wrap(400, 100_000) == full
    assert t._kit_measured == (400, 100_000)
