"""The csv and xlsx exports: BOM, TLP label first, formula neutralisation, visibility."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tmdesk.core import pledges
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Pledge
from tmdesk.core.reporting import build_context
from tmdesk.plugins.contract import neutralise
from tmdesk.plugins.manager import ReportError, current_hashes, make_plugin_manager, render_report


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+31 20 123", "'+31 20 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Навчання", "Навчання"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (Decimal("-1.50"), Decimal("-1.50")),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def world(desk):
    """Projects with hostile titles, pledges and a project donors may not see."""
    evil = desk.published(
        tlp="GREEN",
        title_en='=HYPERLINK("http://evil.example","x")',
        title_uk="@Навчання аналітиків",
        category="training",
    )
    plain = desk.published(
        tlp="AMBER",
        title_en="Incident response kits",
        title_uk="Набори реагування",
        category="incident-response",
        budget_amount="250000",
        budget_currency="USD",
    )
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strictly internal", category="governance")
    pledge = pledges.create_pledge(
        desk.user("donor"),
        plain,
        {"amount": "50000", "currency": "EUR", "date": "2026-02-01", "in_kind": "-10 laptops"},
    )
    pledges.transition_pledge(desk.user("back_office"), pledge, "confirm")
    # A pledge its donor cannot see is refused now (issue #12): this one is a
    # row from before, written directly, that exports must still keep hidden.
    Pledge.create(
        project=strict,
        donor=desk.orgs["donor2"],
        amount="70000",
        currency="EUR",
        date=dt.date(2026, 2, 2),
        created_by=desk.user("back_office"),
    )
    return {"evil": evil, "plain": plain, "strict": strict}


def render(pm, fmt, user, tmp_path, options=None, filters=None, locale="en") -> bytes:
    out = tmp_path / f"export.{fmt}"
    render_report(pm, fmt, build_context(user, filters, locale), options or {}, out)
    return out.read_bytes()


def test_csv_has_bom_tlp_first_and_neutralised_cells(world, desk, tmp_path):
    pm = make_plugin_manager(None)
    data = render(pm, "csv", desk.user("donor"), tmp_path)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["TLP:AMBER"]
    header = rows[1]
    assert header[:3] == ["ref", "title_en", "title_uk"]
    for name in (
        "budget_eur",
        "pledged_eur",
        "confirmed_eur",
        "gap_eur",
        "funding_state",
        "donors",
        "tlp",
        "oblast",
        "priority",
    ):
        assert name in header
    by_ref = {r[0]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    evil = by_ref[world["evil"].ref]
    assert evil["title_en"].startswith("'=HYPERLINK")
    assert evil["title_uk"] == "'@Навчання аналітиків"
    plain = by_ref[world["plain"].ref]
    assert plain["donors"] == "GB" and plain["confirmed_eur"] == "50000.00"
    assert plain["currency"] == "USD"
    for row in rows[2:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_exports_as_donor_never_contain_amber_strict(world, desk, tmp_path):
    pm = make_plugin_manager(None)
    strict = world["strict"]
    csv_text = render(pm, "csv", desk.user("donor"), tmp_path).decode("utf-8-sig")
    assert strict.ref not in csv_text and "Strictly internal" not in csv_text
    wb = load_workbook(io.BytesIO(render(pm, "xlsx", desk.user("donor"), tmp_path)))
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert strict.ref not in [str(v) for v in row]
    # The EE pledge on the strict project must not leak through the pledges sheet either.
    assert "70000" not in [str(v) for r in wb["Pledges"].iter_rows(values_only=True) for v in r]
    # The offices see it, and the export carries its label.
    officer_csv = render(pm, "csv", desk.user("back_office"), tmp_path).decode("utf-8-sig")
    assert strict.ref in officer_csv and officer_csv.startswith("TLP:AMBER+STRICT")


def test_xlsx_opens_with_projects_pledges_and_tlp(world, desk, tmp_path):
    pm = make_plugin_manager(None)
    data = render(pm, "xlsx", desk.user("project_office"), tmp_path)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Projects", "Pledges", "About"]
    projects = wb["Projects"]
    assert projects["A1"].value == "TLP:AMBER+STRICT"
    assert projects.oddHeader.right.text == "TLP:AMBER+STRICT"
    assert projects["A2"].value == "ref"
    refs = [row[0] for row in projects.iter_rows(min_row=3, values_only=True)]
    assert refs == sorted(w.ref for w in world.values())
    header = [c.value for c in projects[2]]
    evil_row = projects[3 + refs.index(world["evil"].ref)]
    title = evil_row[header.index("title_en")]
    assert title.data_type == "s" and title.value.startswith("'=")
    budget = projects[3 + refs.index(world["plain"].ref)][header.index("budget")]
    assert budget.value == 250000  # numbers stay numbers
    pledges_sheet = wb["Pledges"]
    assert pledges_sheet["A1"].value == "TLP:AMBER+STRICT"
    pledge_rows = list(pledges_sheet.iter_rows(min_row=3, values_only=True))
    assert len(pledge_rows) == 2
    in_kind = [r for r in pledge_rows if r[1] == "GB"][0][7]
    assert in_kind == "'-10 laptops"


def test_filters_and_semicolon_option(world, desk, tmp_path):
    pm = make_plugin_manager(None)
    data = render(
        pm,
        "csv",
        desk.user("project_office"),
        tmp_path,
        options={"delimiter": "semicolon"},
        filters=CatalogueFilters(category=["training"]),
    )
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "TLP:GREEN"
    assert lines[1].startswith("ref;title_en;title_uk;")
    assert len(lines) == 3 and world["evil"].ref in lines[2]


def _write(data_dir, name, source):
    folder = data_dir / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))


def test_extra_columns_from_plugins(world, desk, data_dir, tmp_path):
    _write(
        data_dir,
        "crs.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ExportColumn

        @hookimpl
        def tmdesk_export_columns():
            return [ExportColumn("crs", "dac_crs_code",
                                 lambda p, c: "=1+1" if p.category == "training" else 22040)]
    """,
    )
    pm = make_plugin_manager(data_dir, approvals=current_hashes(data_dir))
    rows = list(
        csv.reader(
            io.StringIO(
                render(pm, "csv", desk.user("project_office"), tmp_path).decode("utf-8-sig")
            )
        )
    )
    header = rows[1]
    assert header[-2:] == ["dac_crs_code", "problems"]
    values = {r[0]: r[header.index("dac_crs_code")] for r in rows[2:]}
    assert values[world["evil"].ref] == "'=1+1"
    assert values[world["plain"].ref] == "22040"
    wb = load_workbook(io.BytesIO(render(pm, "xlsx", desk.user("project_office"), tmp_path)))
    assert "dac_crs_code" in [c.value for c in wb["Projects"][2]]


def test_failing_extra_column_fails_the_export_cleanly(world, desk, data_dir, tmp_path):
    _write(
        data_dir,
        "bad_column.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ExportColumn

        def value(project, context):
            # Fine on the sample data tmdesk tries it on at load; fails on real data.
            return "" if project.ref.startswith("TM-2026-90") else 1 / 0

        @hookimpl
        def tmdesk_export_columns():
            return [ExportColumn("bad", "bad", value)]
    """,
    )
    pm = make_plugin_manager(data_dir, approvals=current_hashes(data_dir))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ReportError, match="export column 'bad'"):
        render_report(pm, "csv", build_context(desk.user("donor")), {}, out_dir / "x.csv")
    assert list(out_dir.iterdir()) == []


def test_a_column_failing_on_sample_data_is_reported_at_load(world, desk, data_dir, tmp_path):
    _write(
        data_dir,
        "bad_column.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ExportColumn

        @hookimpl
        def tmdesk_export_columns():
            return [ExportColumn("bad", "bad", lambda p, c: 1 / 0)]
    """,
    )
    pm = make_plugin_manager(data_dir, approvals=current_hashes(data_dir))
    info = pm.info("bad_column.py")
    assert info.status == "failed" and "ZeroDivisionError" in info.error
    assert "sample data" in info.error
    # Withdrawn before anyone runs a report: the export goes on without it.
    path = render_report(pm, "csv", build_context(desk.user("donor")), {}, tmp_path / "x.csv")
    assert "bad" not in path.read_text("utf-8-sig").splitlines()[1].split(",")
