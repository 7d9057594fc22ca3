"""The partner contract's promises (docs/plugins.md, issue #16), one test each:
ReportError, typed options and computed defaults, texts in both languages, saved
settings per organisation, own-donor formats, the scope of project checks, one copy
of a plugin installed twice, hooks failing at load, and the test helper's data."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import approve_plugin_files, login, post
from tmdesk import hookimpl
from tmdesk.cli import cli
from tmdesk.core.models import AuditEvent, ReportSetting
from tmdesk.core.reporting import build_context
from tmdesk.plugins import contract
from tmdesk.plugins import manager as manager_mod
from tmdesk.plugins.contract import (
    ReportError,
    ReportFormat,
    ReportOption,
    ReportRefused,
    last_calendar_year,
)
from tmdesk.plugins.manager import (
    OptionError,
    current_hashes,
    make_plugin_manager,
    render_report,
    validate_options,
)

TODAY = dt.date(2026, 12, 3)


def _fmt(*options: ReportOption, render=None, **kw) -> ReportFormat:
    return ReportFormat(
        name=kw.pop("name", "probe"),
        label=kw.pop("label", "Probe"),
        extension="txt",
        media_type="text/plain",
        render=render or (lambda context, out, values: out.write(repr(values).encode())),
        options=options,
        **kw,
    )


class Plugin:
    """A plugin object contributing the given formats (and optionally checks)."""

    def __init__(self, *formats: ReportFormat, checks=None, scope=None) -> None:
        self.formats = formats
        self.checks = checks
        if scope is not None:
            self.VALIDATES_FORMATS = scope

    @hookimpl
    def tmdesk_report_formats(self):
        return list(self.formats)

    @hookimpl
    def tmdesk_validate_project(self, project, context):
        return self.checks(project) if self.checks else []


def test_report_error_is_the_contracts_one_class():
    assert "ReportError" in contract.__all__ and ReportRefused is ReportError
    assert manager_mod.ReportError is ReportError
    error = ReportError({"en": "No agency code.", "uk": "Немає коду агенції."})
    assert (error.text_for("uk"), error.text_for("en"), str(error)) == (
        "Немає коду агенції.",
        "No agency code.",
        "No agency code.",
    )
    marked = ReportError(contract.N_("Nothing for %(donor)s."), donor="GB")
    assert marked.text_for("uk", lambda m: m.replace("Nothing for", "Нічого для")) == (
        "Нічого для GB."
    )


def test_typed_options_are_checked_and_converted():
    fmt = _fmt(
        ReportOption("year", "Year", type="year", default=last_calendar_year),
        ReportOption("count", "Count", type="integer", default="5"),
        ReportOption("since", "Since", type="date"),
        ReportOption("usd", "In USD", type="boolean", default=False),
        ReportOption("size", "Size", choices=(("a4", "A4"), ("letter", "Letter")), default="a4"),
        ReportOption("agency", "Agency", required=True),
    )
    values = validate_options(
        fmt, {"since": "2026-01-31", "usd": "yes", "agency": " SIDA "}, today=TODAY
    )
    assert values == {
        "year": 2025,  # computed: last calendar year
        "count": 5,
        "since": dt.date(2026, 1, 31),
        "usd": True,
        "size": "a4",
        "agency": "SIDA",
    }
    with pytest.raises(OptionError) as refused:
        validate_options(
            fmt,
            {"year": "1900", "count": "many", "since": "2026-02-30", "usd": "maybe", "size": "a3"},
            today=TODAY,
        )
    assert set(refused.value.fields) == {"year", "count", "since", "usd", "size", "agency"}
    assert refused.value.marked["year"][0] == "Must be a year between 1990 and 2100."


def test_a_badly_declared_option_or_text_is_reported_and_ignored():
    bad_type = _fmt(ReportOption("n", "N", type="float"), name="bad-type")
    bad_text = _fmt(name="bad-text", label={"en": "A", "de": "B"})
    bad_default = _fmt(ReportOption("y", "Y", type="year", default="soon"), name="bad-default")
    pm = make_plugin_manager(
        None,
        builtins=(),
        entry_points=False,
        extra_plugins=[Plugin(bad_type, bad_text, bad_default)],
    )
    assert pm.formats == {}
    warnings = " ".join(pm.info("Plugin").warnings)
    assert "unknown type 'float'" in warnings and "'de'" in warnings and "soon" in warnings


def _write(data_dir: Path, name: str, source: str) -> None:
    folder = data_dir / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")


DONOR_RETURN = """
    from tmdesk import hookimpl
    from tmdesk.plugins.contract import ReportError, ReportFormat, ReportOption, last_calendar_year


    def render(context, out, options):
        if options["agency"] == "NONE":
            raise ReportError({"en": "Agency NONE has no return.", "uk": "Агенція NONE не звітує."})
        out.write(f"{options['agency']}|{options['year']}|{context.filters.donor}".encode())


    @hookimpl
    def tmdesk_report_formats():
        return [
            ReportFormat(
                name="donor-return",
                label={"en": "Donor return", "uk": "Звіт донора"},
                description={"en": "The annual return.", "uk": "Річний звіт."},
                extension="txt",
                media_type="text/plain",
                render=render,
                needs_donor=True,
                own_donor_only=True,
                roles=frozenset({"donor", "back_office"}),
                options=(
                    ReportOption(
                        "agency",
                        {"en": "Agency code", "uk": "Код агенції"},
                        setting=True,
                        required=True,
                        help={"en": "Your agency's code.", "uk": "Код вашої агенції."},
                    ),
                    ReportOption(
                        "year", {"en": "Year", "uk": "Рік"}, type="year", default=last_calendar_year
                    ),
                ),
            )
        ]
"""


@pytest.fixture
def donor_return(data_dir, db):
    _write(data_dir, "donor_return.py", DONOR_RETURN)
    approve_plugin_files(data_dir)


def test_reports_page_speaks_the_readers_language_and_saves_settings(
    donor_return, app, client, desk
):
    login(client, desk.user("donor"))
    page = "/reports/donor-return"
    english = client.get(page).get_data(as_text=True)
    assert "Donor return" in english and "Agency code" in english and "Your agency" in english
    assert f'value="{dt.date.today().year - 1}"' in english  # the computed default
    ukrainian = client.get(page, headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "Звіт донора" in ukrainian and "Код агенції" in ukrainian and "Річний звіт." in ukrainian
    index = client.get("/reports/", headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "Звіт донора" in index

    refused = post(client, f"{page}/settings", {"settings-set_agency": "x" * 300}, form_page=page)
    assert refused.status_code == 400
    saved = post(client, f"{page}/settings", {"settings-set_agency": "FCDO"}, form_page=page)
    assert saved.status_code == 302
    row = ReportSetting.get()
    assert (row.organisation.code, row.format_name, row.name, row.value) == (
        "GB",
        "donor-return",
        "agency",
        "FCDO",
    )
    assert AuditEvent.select().where(AuditEvent.action == "report.settings").count() == 1
    # The saved setting fills the form and the report of everyone of that organisation.
    assert 'value="FCDO"' in client.get(page).get_data(as_text=True)
    made = post(client, page, {"donor": "GB", "lang": "en", "opt_year": "2025"})
    assert made.status_code == 200 and made.data == b"FCDO|2025|GB"
    # Another organisation has its own (none yet): the required setting is missing.
    other = app.test_client()
    login(other, desk.user("back_office"))
    assert 'value="FCDO"' not in other.get(page).get_data(as_text=True)


def test_report_error_reaches_page_and_cli_in_the_readers_language(
    donor_return, client, desk, data_dir, tmp_path
):
    login(client, desk.user("donor"))
    page = "/reports/donor-return"
    answer = post(
        client,
        page,
        {"donor": "GB", "lang": "uk", "opt_agency": "NONE"},
        headers={"Accept-Language": "uk"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Агенція NONE не звітує." in html
    assert "Traceback" not in html
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir", str(data_dir), "report", "donor-return", "--out", str(tmp_path / "r.txt"),
            "--as", desk.user("donor").email, "--donor", "GB", "--lang", "uk",
            "--option", "agency=NONE",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Агенція NONE не звітує." in result.output and "Traceback" not in result.output


def test_own_donor_only_formats_are_about_the_donor_itself(donor_return, client, desk, data_dir):
    login(client, desk.user("donor"))
    page = "/reports/donor-return"
    html = client.get(page).get_data(as_text=True)
    assert 'value="GB"' in html and 'value="EE"' not in html
    pm = make_plugin_manager(data_dir, approvals=current_hashes(data_dir))
    from tmdesk.core.catalogue import CatalogueFilters

    context = build_context(desk.user("donor"), CatalogueFilters(donor="EE"))
    with pytest.raises(ReportError, match="only about your own organisation"):
        render_report(pm, "donor-return", context, {"agency": "X"}, data_dir / "x.txt")
    # The offices may make it about any donor.
    officer = build_context(desk.user("back_office"), CatalogueFilters(donor="EE"))
    render_report(pm, "donor-return", officer, {"agency": "X"}, data_dir / "x.txt")
    assert (data_dir / "x.txt").read_bytes().endswith(b"|EE")


def test_checks_apply_to_the_plugins_own_formats_unless_it_says_otherwise(desk, tmp_path):
    project = desk.published()

    def checks(p):
        return ["needs a donor number"] if p.ref == project.ref else []

    def finds(format_name: str, scope=None):
        seen: list[str] = []
        fmt = _fmt(render=lambda c, out, v: seen.extend(c.validate(c.projects[0])))
        plugin = Plugin(fmt, checks=checks, scope=scope)
        pm = make_plugin_manager(None, entry_points=False, extra_plugins=[plugin])
        render_report(pm, format_name, build_context(desk.user("back_office")), {}, tmp_path / "o")
        return seen, (tmp_path / "o").read_bytes().decode("utf-8-sig", "replace")

    _, csv_text = finds("csv")
    assert project.ref in csv_text and "needs a donor number" not in csv_text  # not its format
    seen, _ = finds("probe")
    assert seen == ["needs a donor number"]  # its own format
    for scope in ("all", ("csv",)):
        _, csv_text = finds("csv", scope)
        assert "needs a donor number" in csv_text, scope


def test_a_failing_check_is_reported_at_load_by_cli_and_plugins_page(
    data_dir, db, app, client, desk
):
    _write(
        data_dir,
        "crashy.py",
        """
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_validate_project(project, context):
            return [project.no_such_attribute]
        """,
    )
    approve_plugin_files(data_dir)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "plugins"])
    assert "crashy.py: FAILED" in result.output and "AttributeError" in result.output
    from tmdesk.web.extensions import load_plugins

    load_plugins(app)
    login(client, desk.user("admin"))
    html = client.get("/reports/plugins").get_data(as_text=True)
    assert "crashy.py" in html and "AttributeError" in html


def test_a_plugin_installed_and_in_the_folder_is_loaded_once(data_dir, db, monkeypatch, tmp_path):
    module = f"tmdesk_twice_{uuid.uuid4().hex[:8]}"
    source = """
        __version__ = "{version}"
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        @hookimpl
        def tmdesk_report_formats():
            return [ReportFormat(name="twice", label="Twice", extension="txt",
                                 media_type="text/plain", render=lambda c, o, v: None)]
    """
    src = tmp_path / "site"
    src.mkdir()
    (src / f"{module}.py").write_text(textwrap.dedent(source.format(version="2.0")), "utf-8")
    monkeypatch.syspath_prepend(str(src))
    eps = [importlib.metadata.EntryPoint("twice", module, "tmdesk")]
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group=None: eps if group == "tmdesk" else [],
    )
    _write(data_dir, f"{module}.py", source.format(version="1.0"))
    approve_plugin_files(data_dir)
    pm = make_plugin_manager(data_dir, approvals=current_hashes(data_dir))
    installed, dropped = pm.info("twice"), pm.info(f"{module}.py")
    assert installed.ok and installed.formats == ["twice"]
    assert dropped.status == "duplicate" and dropped.duplicate_of == "twice"
    assert not any("already provided" in w for w in installed.warnings + dropped.warnings)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "plugins"])
    assert f"{module}.py: NOT LOADED (duplicate)" in result.output
    assert "entry point 'twice' (version 2.0): that copy is used" in result.output
    sys.modules.pop(module, None)


def test_the_test_helper_gives_demo_data_with_donor_fields():
    from tmdesk.plugins.testing import demo_database, make_context

    with demo_database():
        gb = make_context("donor", donor="GB")
        officer = make_context("project_office")
    gb_fields = [p.fields for p in gb.pledges() if p.donor.code == "GB" and p.fields]
    assert gb_fields and all(f["flow_type"] == "10" for f in gb_fields)
    assert {p.donor.code for p in officer.pledges() if p.fields} == {"GB", "EE"}
    assert not [p for p in gb.pledges() if p.donor.code != "GB" and p.fields]
    assert {d.name for d in gb.donor_fields} == set()  # attached by the manager when rendering
