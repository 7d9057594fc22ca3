"""The plugin manager: load order, isolation of failures, duplicates, rendering, the CLI."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import uuid
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import approve_plugin_files
from tmdesk.cli import cli
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.reporting import build_context
from tmdesk.plugins.manager import (
    BUILTIN_MODULES,
    OptionError,
    ReportError,
    TmdeskPluginManager,
    current_hashes,
    formats_for,
    make_plugin_manager,
    render_report,
)

GOOD_PLUGIN = """
from tmdesk import hookimpl
from tmdesk.plugins.contract import ReportFormat, ReportOption

__version__ = "1.2.3"

def render(context, out, options):
    out.write(("{label}:" + context.tlp + ":" + str(len(context.projects)) + ":"
               + str(options.get("size"))).encode())

@hookimpl
def tmdesk_report_formats():
    return [ReportFormat(name="{name}", label="{label}", extension="txt",
                         media_type="text/plain", render=render, roles={roles},
                         options=(ReportOption("size", "Size", choices=(("a4", "A4"),
                                  ("letter", "Letter")), default="a4"),))]
"""


def plugin_source(
    name: str,
    label: str = "Good",
    roles: str = "frozenset({'donor', "
    "'project_office', 'back_office', 'recipient', 'observer', 'company'})",
) -> str:
    return GOOD_PLUGIN.replace("{name}", name).replace("{label}", label).replace("{roles}", roles)


def write_plugin(data_dir: Path, filename: str, source: str) -> Path:
    folder = data_dir / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def make_wheel(
    folder: Path, module: str, source: str, entry_points: str | None, version: str = "0.4.0"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{module}-{version}.dist-info"
    path = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{module}/__init__.py", source)
        wheel.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n"
        )
        if entry_points is not None:
            wheel.writestr(f"{dist}/entry_points.txt", entry_points)
        wheel.writestr(f"{dist}/RECORD", "")
    return path


def load(data_dir: Path, **kwargs) -> TmdeskPluginManager:
    """A manager with every file now in the plugins folder approved."""
    return make_plugin_manager(data_dir, approvals=current_hashes(data_dir), **kwargs)


# --- loading --------------------------------------------------------------------------------


def test_builtins_load_first_in_their_order(tmp_path):
    pm = make_plugin_manager(tmp_path)
    builtin = [i for i in pm.infos if i.source == "builtin"]
    assert [i.path for i in builtin] == list(BUILTIN_MODULES)
    assert pm.infos[: len(builtin)] == builtin
    tabular = pm.info("tabular")
    assert tabular.ok and tabular.formats == ["csv", "xlsx"]
    assert {"csv", "xlsx"} <= set(pm.formats)
    assert pm.formats["csv"].plugin == "tabular"


def test_missing_builtin_is_reported_not_fatal(tmp_path):
    pm = make_plugin_manager(
        tmp_path,
        builtins=("tmdesk.plugins.builtin.tabular", "tmdesk.plugins.builtin.no_such_module"),
    )
    missing = pm.info("no-such-module")
    assert missing.status == "failed" and "ModuleNotFoundError" in missing.error
    assert pm.info("tabular").ok and "csv" in pm.formats


def test_broken_file_is_isolated_and_files_load_in_name_order(data_dir):
    write_plugin(data_dir, "b_good.py", plugin_source("b-format", "B"))
    write_plugin(data_dir, "a_broken.py", "def oops(:\n")  # a syntax error
    write_plugin(data_dir, "c_raises_on_import.py", "raise RuntimeError('no licence key')\n")
    write_plugin(data_dir, "d_good.py", plugin_source("d-format", "D"))
    write_plugin(data_dir, "notes.txt", "not a plugin")
    pm = load(data_dir, builtins=())
    files = [(i.name, i.status) for i in pm.infos if i.source == "file"]
    assert files == [
        ("a_broken.py", "failed"),
        ("b_good.py", "ok"),
        ("c_raises_on_import.py", "failed"),
        ("d_good.py", "ok"),
    ]
    assert "SyntaxError" in pm.info("a_broken.py").error
    assert "no licence key" in pm.info("c_raises_on_import.py").error
    assert pm.info("c_raises_on_import.py").traceback
    assert set(pm.formats) == {"b-format", "d-format"}
    assert pm.info("b_good.py").version == "1.2.3"


def test_raising_hook_marks_only_that_plugin_failed(data_dir):
    write_plugin(
        data_dir,
        "a_raises.py",
        """
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_report_formats():
            raise ValueError("the partner's bug")

        @hookimpl
        def tmdesk_export_columns():
            return []
    """,
    )
    write_plugin(data_dir, "b_good.py", plugin_source("b-format"))
    pm = load(data_dir)
    failed = pm.info("a_raises.py")
    assert failed.status == "failed"
    assert "tmdesk_report_formats: ValueError: the partner's bug" in failed.error
    assert pm.get_plugin("a_raises.py") is None  # unregistered: skipped from now on
    assert "b-format" in pm.formats and "csv" in pm.formats


def test_hook_with_unknown_argument_fails_at_registration(data_dir):
    write_plugin(
        data_dir,
        "a_bad_signature.py",
        """
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_validate_project(project, context, colour):
            return []
    """,
    )
    pm = load(data_dir, builtins=())
    info = pm.info("a_bad_signature.py")
    assert info.status == "failed" and "register" in info.error


def test_duplicate_format_names_first_wins(data_dir):
    write_plugin(data_dir, "a_first.py", plugin_source("shared-name", "First"))
    write_plugin(data_dir, "b_second.py", plugin_source("shared-name", "Second"))
    write_plugin(data_dir, "c_takes_csv.py", plugin_source("csv", "Not the real csv"))
    pm = load(data_dir)
    assert pm.formats["shared-name"].label == "First"
    assert pm.formats["csv"].plugin == "tabular"
    second = pm.info("b_second.py")
    assert second.ok and second.formats == []
    assert any("already provided by plugin 'a_first.py'" in w for w in second.warnings)
    assert any("'tabular'" in w for w in pm.info("c_takes_csv.py").warnings)


def test_invalid_formats_are_ignored_with_a_warning(data_dir):
    write_plugin(
        data_dir,
        "odd.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        @hookimpl
        def tmdesk_report_formats():
            return [
                ReportFormat(name="Bad Name!", label="x", extension="x", media_type="x",
                             render=print),
                ReportFormat(name="wrong-role", label="x", extension="x", media_type="x",
                             render=print, roles=frozenset({"minister"})),
                {"name": "a-dict"},
            ]
    """,
    )
    pm = load(data_dir, builtins=())
    info = pm.info("odd.py")
    assert info.ok and info.formats == [] and len(info.warnings) == 3
    assert pm.formats == {}


def test_wheels_in_the_plugins_folder_load(data_dir):
    module = f"tmdesk_wheel_{uuid.uuid4().hex[:8]}"
    make_wheel(
        data_dir / "plugins",
        module,
        plugin_source("wheel-format", "From a wheel"),
        f"[tmdesk]\nwheel_plugin = {module}\n",
    )
    make_wheel(data_dir / "plugins", module + "_noep", "", None)
    try:
        pm = load(data_dir, builtins=())
        info = pm.info("wheel_plugin")
        assert info.ok and info.source == "file" and info.version == "0.4.0"
        assert info.formats == ["wheel-format"]
        assert "no [tmdesk] entry point" in pm.info(f"{module}_noep-0.4.0-py3-none-any.whl").error
        # A second manager (another app) loads it again, and does not see it twice.
        pm2 = load(data_dir, builtins=())
        assert [i.name for i in pm2.infos].count("wheel_plugin") == 1
    finally:
        sys.path[:] = [p for p in sys.path if module not in p]
        sys.modules.pop(module, None)


def test_entry_points_are_isolated_and_sorted(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    module = f"tmdesk_ep_{uuid.uuid4().hex[:8]}"
    (src / f"{module}.py").write_text(plugin_source("ep-format", "Entry point"))
    monkeypatch.syspath_prepend(str(src))
    eps = [
        importlib.metadata.EntryPoint("zz_good", module, "tmdesk"),
        importlib.metadata.EntryPoint("aa_broken", "tmdesk_no_such_module_xyz", "tmdesk"),
    ]
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group=None: eps if group == "tmdesk" else [],
    )
    pm = make_plugin_manager(None, builtins=("tmdesk.plugins.builtin.tabular",))
    names = [(i.name, i.source, i.status) for i in pm.infos]
    assert names == [
        ("tabular", "builtin", "ok"),
        ("aa_broken", "entry point", "failed"),
        ("zz_good", "entry point", "ok"),
    ]
    assert "ep-format" in pm.formats


# --- rendering ------------------------------------------------------------------------------


@pytest.fixture
def plugin_pm(data_dir, desk):
    write_plugin(data_dir, "good.py", plugin_source("good", roles="frozenset({'project_office'})"))
    write_plugin(
        data_dir,
        "explodes.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        def render(context, out, options):
            out.write(b"half a report")
            raise RuntimeError("ran out of ink")

        @hookimpl
        def tmdesk_report_formats():
            return [ReportFormat(name="explodes", label="Explodes", extension="txt",
                                 media_type="text/plain", render=render)]
    """,
    )
    write_plugin(
        data_dir,
        "donorish.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        @hookimpl
        def tmdesk_report_formats():
            return [ReportFormat(name="donorish", label="D", extension="txt",
                                 media_type="text/plain", needs_donor=True,
                                 render=lambda c, o, opts: o.write(b"ok"))]
    """,
    )
    return load(data_dir)


def test_render_report_writes_whole_file(plugin_pm, desk, tmp_path):
    desk.published(tlp="AMBER")
    context = build_context(desk.user("project_office"))
    out = tmp_path / "out" / "r.txt"
    out.parent.mkdir()
    render_report(plugin_pm, "good", context, {"size": "letter"}, out)
    assert out.read_bytes() == b"Good:AMBER:1:letter"
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


def test_failed_render_leaves_no_file_and_keeps_the_old_one(plugin_pm, desk, tmp_path):
    context = build_context(desk.user("donor"))
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "r.txt"
    with pytest.raises(ReportError) as caught:
        render_report(plugin_pm, "explodes", context, {}, out)
    assert "ran out of ink" in str(caught.value) and "No file was written" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    out.write_bytes(b"yesterday's report")
    with pytest.raises(ReportError):
        render_report(plugin_pm, "explodes", context, {}, out)
    assert out.read_bytes() == b"yesterday's report"
    assert list(tmp_path.iterdir()) == [out]


def test_render_checks_options_role_and_donor(plugin_pm, desk, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    officer = build_context(desk.user("project_office"))
    with pytest.raises(OptionError) as caught:
        render_report(plugin_pm, "good", officer, {"size": "a3"}, tmp_path / "x")
    assert "size" in caught.value.fields
    with pytest.raises(OptionError) as caught:
        render_report(plugin_pm, "good", officer, {"colour": "red"}, tmp_path / "x")
    assert "colour" in caught.value.fields
    with pytest.raises(ReportError, match="role"):
        render_report(plugin_pm, "good", build_context(desk.user("donor")), {}, tmp_path / "x")
    with pytest.raises(ReportError, match="one donor"):
        render_report(plugin_pm, "donorish", officer, {}, tmp_path / "x")
    render_report(
        plugin_pm,
        "donorish",
        build_context(desk.user("project_office"), CatalogueFilters(donor="GB")),
        {},
        tmp_path / "x",
    )
    with pytest.raises(ReportError, match="no report format"):
        render_report(plugin_pm, "nope", officer, {}, tmp_path / "x")
    assert not list(tmp_path.glob("*.part"))


def test_formats_for_filters_by_role(plugin_pm, desk):
    officer = {f.name for f in formats_for(plugin_pm, desk.user("project_office"))}
    donor = {f.name for f in formats_for(plugin_pm, desk.user("donor"))}
    assert "good" in officer and "good" not in donor
    assert {"csv", "xlsx"} <= donor
    assert formats_for(plugin_pm, None) == []


def test_validate_hook_failure_is_isolated(data_dir, desk, tmp_path):
    write_plugin(
        data_dir,
        "a_checks.py",
        """
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_validate_project(project, context):
            return [] if project.planned_start else ["no start date"]
    """,
    )
    write_plugin(
        data_dir,
        "b_crashes.py",
        """
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_validate_project(project):
            raise KeyError("oops")
    """,
    )
    pm = load(data_dir)
    project = desk.published()
    render_report(pm, "csv", build_context(desk.user("donor")), {}, tmp_path / "a.csv")
    text = (tmp_path / "a.csv").read_text("utf-8-sig")
    assert project.ref in text and "no start date" in text
    assert pm.info("b_crashes.py").status == "failed"
    assert "KeyError" in pm.info("b_crashes.py").error
    assert pm.info("a_checks.py").ok


def test_app_keeps_running_with_a_broken_plugin(data_dir, db):
    from tmdesk.web import create_app

    write_plugin(data_dir, "broken.py", "import does_not_exist_anywhere\n")
    approve_plugin_files(data_dir)
    app = create_app(data_dir, {"TESTING": True})
    pm = app.extensions["tmdesk_plugins"]
    assert pm.info("broken.py").status == "failed"
    assert app.test_client().get("/healthz").status_code == 200


# --- the command line -----------------------------------------------------------------------


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def test_cli_plugins_lists_every_plugin(data_dir, db):
    write_plugin(data_dir, "broken.py", "raise ImportError('needs requests')\n")
    approve_plugin_files(data_dir)
    result = run(data_dir, "plugins")
    assert result.exit_code == 0, result.output
    assert "tabular" in result.output and "csv, xlsx" in result.output
    assert "broken.py" in result.output and "failed" in result.output
    assert "needs requests" in result.output


def test_cli_report_writes_the_file(data_dir, desk, tmp_path):
    green = desk.published(tlp="GREEN", title_en="Open training")
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strict project")
    out = tmp_path / "catalogue.csv"
    result = run(
        data_dir,
        "report",
        "csv",
        "--out",
        str(out),
        "--as",
        "donor@example.org",
        "--lang",
        "en",
        "--option",
        "delimiter=semicolon",
    )
    assert result.exit_code == 0, result.output
    # The count printed is what matched for that user, not a claim about the file's content.
    assert "csv: 1 project matched the filters for donor@example.org" in result.output
    text = out.read_text("utf-8-sig")
    assert green.ref in text and strict.ref not in text
    assert text.splitlines()[1].startswith("ref;title_en;")
    out2 = tmp_path / "strict.csv"
    result = run(
        data_dir,
        "report",
        "csv",
        "--out",
        str(out2),
        "--as",
        "back_office@example.org",
        "--category",
        "training",
        "--status",
        "published",
        "--tlp-max",
        "amber+strict",
    )
    assert result.exit_code == 0, result.output
    assert "csv: 2 projects matched the filters for back_office@example.org" in result.output
    assert strict.ref in out2.read_text("utf-8-sig")


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "csv", "--out", "{out}"], "--as"),
        (["report", "nope", "--out", "{out}", "--as", "donor@example.org"], "no report format"),
        (["report", "csv", "--out", "{out}", "--as", "nobody@example.org"], "no active user"),
        (
            ["report", "csv", "--out", "{out}", "--as", "donor@example.org", "--category", "cakes"],
            "--category",
        ),
        (
            [
                "report",
                "csv",
                "--out",
                "{out}",
                "--as",
                "donor@example.org",
                "--since",
                "yesterday",
            ],
            "--since",
        ),
        (
            [
                "report",
                "csv",
                "--out",
                "{out}",
                "--as",
                "donor@example.org",
                "--option",
                "delimiter=|",
            ],
            "delimiter",
        ),
        (
            ["report", "csv", "--out", "{out}", "--as", "donor@example.org", "--option", "oops"],
            "name=value",
        ),
        (["report", "explodes", "--out", "{out}", "--as", "donor@example.org"], "ran out of ink"),
    ],
)
def test_cli_report_errors_exit_nonzero_without_a_file(data_dir, desk, tmp_path, args, message):
    write_plugin(
        data_dir,
        "explodes.py",
        """
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        def render(context, out, options):
            out.write(b"half")
            raise RuntimeError("ran out of ink")

        @hookimpl
        def tmdesk_report_formats():
            return [ReportFormat(name="explodes", label="Explodes", extension="txt",
                                 media_type="text/plain", render=render)]
    """,
    )
    approve_plugin_files(data_dir)
    out = tmp_path / "out" / "report.bin"
    out.parent.mkdir()
    result = run(data_dir, *[a.replace("{out}", str(out)) for a in args])
    assert result.exit_code != 0
    assert message in result.output
    assert list(out.parent.iterdir()) == []


def test_export_columns_belong_to_the_plugin_that_gave_them():
    """A plugin with columns and no format keeps its own columns, and loses them
    (and only them) when it fails."""
    from tmdesk import hookimpl
    from tmdesk.plugins.contract import ExportColumn

    class Columns:
        @hookimpl
        def tmdesk_export_columns(self):
            return [ExportColumn("donor_code", "Donor code", lambda project, context: "X")]

        @hookimpl
        def tmdesk_validate_project(self, project, context):
            # Fine on the sample data tried at load (which would report it at once).
            if project is None:
                raise RuntimeError("broken check")

    pm = make_plugin_manager(None, builtins=(), entry_points=False, extra_plugins=[Columns()])
    assert [c.name for c in pm.export_columns] == ["donor_code"]
    pm.call_each("tmdesk_validate_project", project=None, context=None)
    assert pm.export_columns == ()
