"""The built-in PDFs read as a document a ministry can hand over (issue 15), checked on
the files themselves with poppler (``pdftotext``, ``pdftoppm``):

* no word or code is broken inside a table cell ("In implementa-tion", "U-SD",
  "TM-2026-004-1", "AMBER+S-TRICT");
* a heading is never the last line of a page, and a heading over a long table
  starts the table on the same page;
* no page but the last is more than 60% empty;
* a TLP column per project and a line naming the projects that set the label;
* "Biggest gaps" lists only projects open for support;
* an English pack marks a title or summary that exists only in Ukrainian.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from reportlab.platypus import PageBreak

from tmdesk.core import accounts, pledges, projects
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Project, User
from tmdesk.core.reporting import build_context, with_report_defaults
from tmdesk.plugins.builtin import briefing_pack, ministry_report
from tmdesk.plugins.builtin import pdf as kit
from tmdesk.plugins.contract import PROJECT_STATUSES

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftotext, pdftoppm) needed",
)

ALL_STATUSES = [
    "draft",
    "submitted",
    "returned",
    "published",
    "in_implementation",
    "delivered",
    "closed",
    "rejected",
    "withdrawn",
]
#: Titles with the long words of real ones (Ukrainian words are the longest).
TITLES = [
    ("Sensor network for critical information infrastructure", ""),
    ("", "Аудит захищеності інфраструктури державних реєстрів"),
    ("Starlink terminals for regional administrations", "Термінали Starlink"),
    ("Next-generation firewalls for frontline administrations", ""),
    ("Cyber resilience strategy for critical infrastructure operators", ""),
]
LONG_CODE = "UKRZALIZNYTSIA"


def _raw(path: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-raw"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run(
        [*args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(path: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def fills(path: Path, tmp_path: Path) -> list[float]:
    """How much of each page's frame (between header and footer) is used: from its
    top to the lowest thing drawn on it, as a share of its height (a raster at 30 dpi,
    so charts and rules count as well as text)."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    prefix = folder / "page"
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(path), str(prefix)], check=True)
    out = []
    for png in sorted(folder.glob("page-*.png")):
        image = Image.open(png).convert("L")
        width, height = image.size
        per_mm = height / 297
        top, bottom = int(24 * per_mm) + 1, int(height - 22 * per_mm) - 1
        pixels = image.load()
        last = top
        for y in range(top, bottom):
            if any(pixels[x, y] < 200 for x in range(width)):
                last = y
        out.append((last - top) / (bottom - top))
    return out


def broken(text: str, tokens: set[str]) -> list[str]:
    """The tokens that ``pdftotext -raw`` shows cut over two lines (a cell wrapped
    inside a word prints the word's head at the end of one line, its tail on the next)."""
    found = []
    for token in sorted(tokens):
        for k in range(1, len(token)):
            if f"{token[:k]}\n{token[k:]}" in text:
                found.append(f"{token[:k]}|{token[k:]}")
                break
    return found


@pytest.fixture
def world(desk):
    """Thirty projects in every status and label, owned by a recipient with a long code,
    with long words in their titles and money in four currencies; one submitted project
    with the biggest budget of all (not approved: never a "biggest gap")."""
    accounts.create_organisation(
        None,
        {"code": LONG_CODE, "kind": "recipient", "country": "UA", "name_en": "Ukrzaliznytsia"},
    )
    accounts.create_user(None, "rail@example.org", LONG_CODE, "correct horse battery staple")
    owners = ["recipient", "recipient2"]
    labels = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]
    currencies = [("EUR", "185000"), ("USD", "1307900"), ("UAH", "59450000"), ("GBP", "42000")]
    made = []
    for i in range(30):
        title_en, title_uk = TITLES[i % len(TITLES)]
        currency, amount = currencies[i % len(currencies)]
        fields = {
            "title_en": title_en,
            "title_uk": title_uk,
            "summary_en": "" if not title_en else "Protect the registers.",
            "summary_uk": "Захистити реєстри." if not title_en else "",
            "tlp": labels[i % len(labels)],
            "budget_amount": amount,
            "budget_currency": currency,
        }
        project = desk.published(owners[i % 2], **fields)
        if i % 3 == 0:
            projects.transition(desk.user("back_office"), project, "start")
        made.append(Project.get_by_id(project.id))
    pledges.create_pledge(
        desk.user("donor"), made[0], {"amount": "50000", "currency": "USD", "date": "2026-02-01"}
    )
    # The railway's own projects: its long code in every table.
    rail = User.get(User.email == "rail@example.org")
    for _ in range(2):
        p = projects.create_draft(rail, {**_draft(), "tlp": "AMBER"})
        projects.transition(rail, p, "submit")
        projects.transition(desk.user("back_office"), p, "publish")
        projects.transition(desk.user("back_office"), p, "start")
    pending = desk.submitted(title_en="Pending review: not approved", budget_amount="9900000")
    return {"projects": made, "pending": Project.get_by_id(pending.id)}


def _draft() -> dict[str, str]:
    return {
        "title_en": "Network monitoring for railway signalling",
        "title_uk": "Моніторинг мережі залізничної сигналізації",
        "summary_en": "Monitor the signalling network.",
        "category": "detection",
        "budget_amount": "426800",
        "budget_currency": "EUR",
        "priority": "high",
    }


def render(fmt, desk, tmp_path: Path, *, user="project_office", locale="en", filters=None):
    ctx = build_context(desk.user(user), with_report_defaults(filters), locale=locale)
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / f"{fmt.__name__.rsplit('.', 1)[-1]}-{locale}.pdf"
    with out.open("wb") as stream:
        fmt.render(ctx, stream, {})
    return out, ctx


EVERYTHING = CatalogueFilters(status=list(ALL_STATUSES), tlp_max="RED")


def cell_tokens(ctx, locale: str) -> set[str]:
    """What the tables print that must never be cut: references, codes, labels,
    statuses, amounts, and every word of a title."""
    t = kit.translator(locale)
    tokens: set[str] = set()
    for p in ctx.projects:
        tokens |= {p.ref, p.recipient.code, p.tlp, kit.money(p.funding.budget_eur, locale)}
        tokens |= set(kit.label_of(t, PROJECT_STATUSES, p.status).split())
        tokens |= {w for w in kit.title_of(p, locale, t).split() if len(w) > 3}
        tokens.add(kit.money(p.budget_amount, locale, p.budget_currency))
    return {x for x in tokens if len(x) > 1}


@pytest.mark.parametrize("locale", ["en", "uk"])
def test_no_word_or_code_is_broken_in_a_table_cell(desk, world, tmp_path, locale):
    for fmt, filters in (
        (briefing_pack, EVERYTHING),
        (ministry_report, CatalogueFilters(recipient=["SSSCIP"])),
        (ministry_report, CatalogueFilters(recipient=[LONG_CODE])),
    ):
        path, ctx = render(fmt, desk, tmp_path, locale=locale, filters=filters)
        assert broken(_raw(path), cell_tokens(ctx, locale)) == [], (fmt.__name__, locale)


def test_a_crowded_table_shrinks_its_text_rather_than_break_a_word(tmp_path):
    """Eight columns of codes that cannot all hold their longest word at full size:
    the text gets a little smaller, no cell cuts a word."""
    header = ["Reference", "Title", "TLP label", "Recipient", "Status", "Budget", "Gap", "Gap"]
    rows = [
        ("TM-2026-0041", "Аудит захищеності інфраструктури", "AMBER+STRICT", LONG_CODE)
        + ("In implementation", "1\u00a0307\u00a0900\u00a0USD", "€1,168,200", "€1,168,200")
    ] * 3
    widths = [kit.CONTENT_WIDTH / 8] * 8
    words = kit.longest_words(header, rows)
    scale = kit.text_scale(words, sum(widths))
    assert kit.MIN_SCALE <= scale < 1
    fitted = kit.fit_widths(header, rows, widths, scale=scale)
    assert abs(sum(fitted) - sum(widths)) < 0.01
    assert all(f >= w * scale + 2 * kit.CELL_PAD for f, w in zip(fitted, words, strict=True))
    out = tmp_path / "table.pdf"
    with out.open("wb") as stream:
        doc = kit.ReportDoc(stream, title="T", subtitle="S", tlp="GREEN", locale="en")
        doc.render([kit.table(header, rows, widths)])
    tokens = {"TM-2026-0041", "AMBER+STRICT", LONG_CODE, "implementation", "інфраструктури"}
    tokens |= {"1\u00a0307\u00a0900\u00a0USD", "€1,168,200"}
    assert broken(_raw(out), tokens) == []


@pytest.mark.parametrize("locale", ["en", "uk"])
def test_no_page_but_the_last_is_more_than_60_percent_empty(desk, world, tmp_path, locale):
    for fmt, filters in (
        (briefing_pack, EVERYTHING),
        (briefing_pack, None),
        (ministry_report, CatalogueFilters(recipient=["SSSCIP"])),
    ):
        path, _ = render(fmt, desk, tmp_path, locale=locale, filters=filters)
        used = fills(path, tmp_path)
        empty = [(n, round(f, 2)) for n, f in enumerate(used[:-1], start=1) if f < 0.4]
        assert empty == [], (fmt.__name__, locale, len(used))


def test_a_section_after_a_short_tail_starts_on_the_same_page(tmp_path):
    """A table that runs a few rows onto a new page, then the next section: the
    section follows on that page (a break only once a page is well filled), and a
    heading over a long table starts the table under it rather than on a new page."""
    out = tmp_path / "sections.pdf"
    rows = [(f"TM-2026-{i:04d}", "row") for i in range(48)]
    with out.open("wb") as stream:
        doc = kit.ReportDoc(stream, title="T", subtitle="S", tlp="GREEN", locale="en")
        doc.render(
            [
                kit.table(["Reference", "Title"], rows, [100, 300]),
                kit.SectionBreak(),
                kit.heading("Second section", 0),
                kit.table(["Reference", "Title"], rows * 3, [100, 300]),
                PageBreak(),
                kit.plain("The end."),
            ]
        )
    used = fills(out, tmp_path)
    assert all(f >= 0.4 for f in used[:-1]), used
    pages = _pages(out)
    assert "Second section" in pages[1] and "TM-2026-0047" in pages[1]


HEADINGS = {
    "en": [
        "Executive summary",
        "Funding by donor",
        "Funding by category",
        "Pipeline by status",
        "Biggest gaps",
        "Summary",
        "Pledges",
        "Latest update",
        "Implementers",
        "Contacts",
        "Annex",
        "A. Projects",
        "B. Pledges",
        "C. Donors",
        "D. Open offers",
        "Status of the projects",
        "Support received per donor",
        "Still unfunded",
        "Recent updates",
    ]
}


def test_a_heading_is_never_the_last_line_of_a_page(desk, world, tmp_path):
    for fmt, filters in (
        (briefing_pack, EVERYTHING),
        (ministry_report, CatalogueFilters(recipient=["SSSCIP"])),
    ):
        path, _ = render(fmt, desk, tmp_path, filters=filters)
        for number, text in enumerate(_pages(path), start=1):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            body = [line for line in lines if not line.startswith("TLP:")]
            assert body[-1] not in HEADINGS["en"], (fmt.__name__, number, body[-3:])


def test_every_project_table_has_a_tlp_column_and_the_cover_names_the_setters(
    desk, world, tmp_path
):
    path, ctx = render(briefing_pack, desk, tmp_path, filters=EVERYTHING)
    whole = "\n".join(_pages(path))
    assert ctx.tlp == "AMBER+STRICT"
    setters = [p.ref for p in ctx.projects if p.tlp == "AMBER+STRICT"]
    assert f"TLP:AMBER+STRICT is set by: {setters[0]}, {setters[1]}" in _pages(path)[0]
    annex = whole[whole.rindex("A. Projects") : whole.rindex("B. Pledges")]
    for p in ctx.projects:  # a TLP column: each row shows its project's label
        row = next(line for line in annex.splitlines() if line.strip().startswith(p.ref))
        assert f" {p.tlp} " in row, row
    ministry, mctx = render(
        ministry_report, desk, tmp_path, filters=CatalogueFilters(recipient=["SSSCIP"])
    )
    text = "\n".join(_pages(ministry))
    assert f"TLP:{mctx.tlp} is set by: " in _pages(ministry)[0]
    status = text[text.index("Status of the projects") : text.index("Support received per donor")]
    for p in mctx.projects:
        row = next(line for line in status.splitlines() if line.strip().startswith(p.ref))
        assert f" {p.tlp} " in row, row


def test_biggest_gaps_lists_only_projects_open_for_support(desk, world, tmp_path):
    pending = world["pending"]
    path, ctx = render(briefing_pack, desk, tmp_path, filters=EVERYTHING)
    assert pending.ref in {p.ref for p in ctx.projects}  # it is in the pack…
    pages = _pages(path)
    gaps = [
        text for text in pages if "Biggest gaps" in text and "Contents" not in text
    ]  # …but not among the gaps
    assert gaps and all(pending.ref not in text for text in gaps)
    assert any(world["projects"][1].ref in text for text in gaps)


def test_an_english_pack_marks_text_only_in_ukrainian(desk, world, tmp_path):
    path, ctx = render(briefing_pack, desk, tmp_path)
    whole = "\n".join(_pages(path))
    only_uk = [p for p in ctx.projects if not p.title_en]
    assert only_uk
    # On its own page: the title marked, and the summary under a marker.
    page = next(text for text in _pages(path) if f"{only_uk[0].ref} · TLP:" in text)
    assert f"{only_uk[0].title_uk} [in Ukrainian only]" in " ".join(page.split())
    assert "[in Ukrainian only]\n" in "\n".join(line.strip() for line in page.splitlines())
    assert whole.count("[in Ukrainian only]") >= 2 * len(only_uk)
    uk_path, _ = render(briefing_pack, desk, tmp_path, locale="uk")
    assert "[in Ukrainian only]" not in "\n".join(_pages(uk_path))
