"""The partner plugins in plugins_contrib/, loaded from source (nothing is installed)."""

from __future__ import annotations

import ast
import csv
import importlib
import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tmdesk.core import pledges
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.reporting import build_context
from tmdesk.plugins.manager import ReportError, make_plugin_manager, render_report

CONTRIB = Path(__file__).resolve().parents[2] / "plugins_contrib"
PACKAGES = {"tmdesk-cybil": "tmdesk_cybil", "tmdesk-ee-return": "tmdesk_ee_return"}
#: What a partner's plugin code may import from tmdesk (the documented contract).
CONTRACT = {"tmdesk", "tmdesk.plugins.contract"}


def load(package: str, monkeypatch):
    monkeypatch.syspath_prepend(str(CONTRIB / package / "src"))
    return importlib.import_module(PACKAGES[package])


@pytest.fixture
def cybil(monkeypatch):
    return load("tmdesk-cybil", monkeypatch)


@pytest.fixture
def ee(monkeypatch):
    return load("tmdesk-ee-return", monkeypatch)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_layout_and_entry_point(package):
    root = CONTRIB / package
    assert (root / "README.md").is_file()
    assert list((root / "tests").glob("test_*.py"))
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    entry_points = meta["project"]["entry-points"]["tmdesk"]
    assert list(entry_points.values()) == [PACKAGES[package]]
    assert (root / "src" / PACKAGES[package] / "__init__.py").is_file()


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_plugin_code_uses_only_the_documented_contract(package):
    for path in (CONTRIB / package / "src").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tmdesk"):
                assert node.module in CONTRACT, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("tmdesk.") or alias.name in CONTRACT


def test_both_register_with_a_manager(cybil, ee):
    pm = make_plugin_manager(None, extra_plugins=[cybil, ee])
    assert pm.info("tmdesk_cybil").ok and pm.info("tmdesk_cybil").formats == ["cybil"]
    assert pm.info("tmdesk_ee_return").formats == ["ee-return"]
    assert pm.info("tmdesk_ee_return").version == "1.0.0"
    assert [c.header for c in pm.export_columns] == ["dac_crs_code"]


def test_cybil_shares_only_clear_unless_asked(cybil, desk, tmp_path):
    clear = desk.published(tlp="CLEAR", title_en="Public audit", category="assessment")
    green = desk.published(tlp="GREEN", title_en="Community training")
    amber = desk.published(tlp="AMBER", title_en="Amber kits")
    pm = make_plugin_manager(None, extra_plugins=[cybil])
    out = tmp_path / "cybil.json"
    context = build_context(desk.user("project_office"))
    render_report(pm, "cybil", context, {}, out)
    refs = [p["reference"] for p in json.loads(out.read_text())["projects"]]
    assert refs == [clear.ref]
    render_report(pm, "cybil", context, {"include_green": "yes"}, out)
    document = json.loads(out.read_text())
    refs = [p["reference"] for p in document["projects"]]
    assert refs == [clear.ref, green.ref] and amber.ref not in out.read_text()
    assert document["tlp"] == "GREEN"
    assert document["projects"][0]["themes"] == cybil.THEMES["assessment"]
    with pytest.raises(ReportError, match="role"):
        render_report(pm, "cybil", build_context(desk.user("recipient")), {}, out)


def test_ee_return_layout_checks_and_column(ee, desk, tmp_path):
    project = desk.published(
        title_en="SOC training", summary_en="", summary_uk="Навчання 40 аналітиків."
    )
    other = desk.published(title_en="Not Estonian")
    pledge = pledges.create_pledge(
        desk.user("back_office"),
        project,
        {
            "amount": "12500",
            "currency": "EUR",
            "date": "2026-02-01",
            "in_kind": "=cmd|' /C calc'!A0",
        },
        donor_code="EE",
    )
    pledges.transition_pledge(desk.user("back_office"), pledge, "confirm")
    pm = make_plugin_manager(None, extra_plugins=[ee])
    out = tmp_path / "ee.csv"
    context = build_context(desk.user("donor2"), CatalogueFilters(donor="EE"))
    render_report(pm, "ee-return", context, {}, out)
    table = list(csv.reader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))
    assert table[1] == ee.HEADER
    assert [r[0] for r in table[2:]] == [project.ref]
    row = dict(zip(ee.HEADER, table[2], strict=True))
    assert row["Kinnitatud (EUR)"] == "12500,00"
    assert row["Sektor (DAC CRS)"] == "11430"
    assert row["Mitterahaline abi"].startswith("'=")
    assert "planned start and end dates" in row["Märkused"]
    assert "English summary" in row["Märkused"]
    # The column and the checks also reach tmdesk's own csv export.
    render_report(pm, "csv", build_context(desk.user("back_office")), {}, tmp_path / "all.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "all.csv").read_text("utf-8-sig"))))
    header = rows[1]
    by_ref = {r[0]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    assert by_ref[project.ref]["dac_crs_code"] == "11430"
    assert "EE:" in by_ref[project.ref]["problems"]
    assert by_ref[other.ref]["problems"] == ""
    with pytest.raises(ReportError, match="one donor"):
        render_report(pm, "ee-return", build_context(desk.user("back_office")), {}, out)


def test_cybil_against_the_demo_data(cybil):
    from tmdesk.plugins.testing import render_with_demo

    data = json.loads(render_with_demo("cybil", plugins=[cybil], role="donor"))
    assert {p["tlp"] for p in data["projects"]} <= {"CLEAR"}


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_packages_own_tests_pass(package):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=CONTRIB / package,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
