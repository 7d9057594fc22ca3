"""Plugins are code: a plugins-folder file runs only once an administrator approved
that exact file (its SHA-256 pinned), and a changed file stops until approved again."""

from __future__ import annotations

import hashlib
import textwrap
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import PASSWORD, csrf_token, login, post
from tmdesk.cli import cli
from tmdesk.core import plugin_approvals
from tmdesk.core.audit import verify_chain
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AuditEvent
from tmdesk.plugins.manager import APPROVED_WHEELS, current_hashes, make_plugin_manager


def plugin_source(format_name: str, marker: Path) -> str:
    """A plugin that leaves ``marker`` behind when it is imported (so a test can see
    that code never ran) and offers the format ``format_name``."""
    return textwrap.dedent(
        f"""
        from pathlib import Path
        from tmdesk import hookimpl
        from tmdesk.plugins.contract import ReportFormat

        Path({str(marker)!r}).write_text("ran")

        def render(context, out, options):
            out.write(b"{format_name}")

        @hookimpl
        def tmdesk_report_formats():
            return [ReportFormat(name="{format_name}", label="{format_name}", extension="txt",
                                 media_type="text/plain", render=render)]
        """
    )


def drop(data_dir: Path, name: str, source: str) -> Path:
    folder = data_dir / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the manager ----------------------------------------------------------------------------


def test_a_new_file_is_listed_with_its_hash_but_never_run(data_dir, tmp_path):
    marker = tmp_path / "ran"
    path = drop(data_dir, "partner.py", plugin_source("partner-fmt", marker))
    pm = make_plugin_manager(data_dir, builtins=())
    info = pm.info("partner.py")
    assert info.status == "pending" and info.awaiting_approval and not info.ok
    assert info.sha256 == sha(path) and info.approved_sha256 == ""
    assert info.file_name == "partner.py"
    assert "partner-fmt" not in pm.formats
    assert not marker.exists(), "an unapproved file must not be imported"


def test_an_approved_file_runs(data_dir, tmp_path):
    marker = tmp_path / "ran"
    path = drop(data_dir, "partner.py", plugin_source("partner-fmt", marker))
    pm = make_plugin_manager(data_dir, builtins=(), approvals={"partner.py": sha(path)})
    assert pm.info("partner.py").ok and "partner-fmt" in pm.formats
    assert marker.exists()


def test_a_changed_file_is_held_back_until_approved_again(data_dir, tmp_path):
    marker = tmp_path / "ran"
    path = drop(data_dir, "partner.py", plugin_source("partner-fmt", marker))
    approved = {"partner.py": sha(path)}
    path.write_text(plugin_source("partner-fmt", marker) + "\n# one more line\n")
    pm = make_plugin_manager(data_dir, builtins=(), approvals=approved)
    info = pm.info("partner.py")
    assert info.status == "changed" and "changed since it was approved" in info.error
    assert info.approved_sha256 == approved["partner.py"] != info.sha256 == sha(path)
    assert "partner-fmt" not in pm.formats and not marker.exists()


def test_an_approval_belongs_to_its_file_name(data_dir, tmp_path):
    marker = tmp_path / "ran"
    path = drop(data_dir, "partner.py", plugin_source("partner-fmt", marker))
    drop(data_dir, "copy.py", path.read_text())
    pm = make_plugin_manager(data_dir, builtins=(), approvals={"partner.py": sha(path)})
    assert pm.info("partner.py").ok
    assert pm.info("copy.py").status == "pending"


def test_a_wheel_runs_from_its_approved_copy(data_dir):
    module = f"tmdesk_wheel_{uuid.uuid4().hex[:8]}"
    folder = data_dir / "plugins"
    folder.mkdir(parents=True)
    wheel = folder / f"{module}-1.0-py3-none-any.whl"

    def build(label: str) -> None:
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(
                f"{module}/__init__.py",
                "from tmdesk import hookimpl\n"
                "from tmdesk.plugins.contract import ReportFormat\n"
                "@hookimpl\n"
                "def tmdesk_report_formats():\n"
                f"    return [ReportFormat(name='{module.replace('_', '-')}', label='{label}',"
                " extension='txt', media_type='text/plain', render=lambda c, o, opts: None)]\n",
            )
            zf.writestr(f"{module}-1.0.dist-info/METADATA", f"Name: {module}\nVersion: 1.0\n")
            zf.writestr(
                f"{module}-1.0.dist-info/entry_points.txt", f"[tmdesk]\n{module} = {module}\n"
            )

    build("first")
    assert make_plugin_manager(data_dir, builtins=()).info(module) is None  # held back
    assert make_plugin_manager(data_dir, builtins=()).info(wheel.name).status == "pending"
    first = sha(wheel)
    pm = make_plugin_manager(data_dir, builtins=(), approvals={wheel.name: first})
    fmt = pm.formats[module.replace("_", "-")]
    assert fmt.label == "first"
    copy = folder / APPROVED_WHEELS / f"{first}.whl"
    assert copy.is_file() and sha(copy) == first
    assert str(copy) in __import__(module).__file__

    build("second")  # changed, then approved again: the new code runs, in this process too
    assert (
        make_plugin_manager(data_dir, builtins=(), approvals={wheel.name: first})
        .info(wheel.name)
        .status
        == "changed"
    )
    pm2 = make_plugin_manager(data_dir, builtins=(), approvals={wheel.name: sha(wheel)})
    assert pm2.formats[module.replace("_", "-")].label == "second"
    # the approved copies are not plugins themselves
    assert list(current_hashes(data_dir)) == [wheel.name]


# --- the decisions (core) -------------------------------------------------------------------


def test_approve_and_revoke_are_audited_and_keep_the_chain(desk):
    admin = desk.users["admin"]
    plugin_approvals.approve(admin, "partner.py", "A" * 64)
    assert plugin_approvals.approved_files() == {"partner.py": "a" * 64}
    plugin_approvals.approve(admin, "partner.py", "b" * 64)  # a new pin replaces the old
    assert plugin_approvals.approved_files() == {"partner.py": "b" * 64}
    assert plugin_approvals.revoke(admin, "partner.py") is True
    assert plugin_approvals.revoke(admin, "partner.py") is False
    assert plugin_approvals.approved_files() == {}
    events = list(
        AuditEvent.select().where(AuditEvent.entity_type == "plugin").order_by(AuditEvent.id)
    )
    assert [e.action for e in events] == ["plugin.approve", "plugin.approve", "plugin.revoke"]
    assert all(e.user_email == admin.email and e.entity_id == "partner.py" for e in events)
    assert "a" * 64 in events[1].before and "b" * 64 in events[1].after
    assert verify_chain().ok


def test_only_administrators_decide(desk):
    for role in ("project_office", "back_office", "donor", "recipient", "observer", "company"):
        with pytest.raises(PermissionDenied):
            plugin_approvals.approve(desk.users[role], "partner.py", "a" * 64)
        with pytest.raises(PermissionDenied):
            plugin_approvals.revoke(desk.users[role], "partner.py")
    assert plugin_approvals.approved_files() == {}


@pytest.mark.parametrize(
    "name, digest, field",
    [
        ("../evil.py", "a" * 64, "file_name"),
        ("sub/evil.py", "a" * 64, "file_name"),
        ("evil.exe", "a" * 64, "file_name"),
        ("", "a" * 64, "file_name"),
        ("ok.py", "a" * 63, "sha256"),
        ("ok.py", "g" * 64, "sha256"),
    ],
)
def test_bad_names_and_hashes_are_refused(desk, name, digest, field):
    with pytest.raises(ValidationError) as caught:
        plugin_approvals.approve(desk.users["admin"], name, digest)
    assert field in caught.value.fields
    assert plugin_approvals.approved_files() == {}


# --- the Plugins page -----------------------------------------------------------------------


@pytest.fixture
def partner(data_dir, tmp_path):
    marker = tmp_path / "ran"
    return drop(data_dir, "partner.py", plugin_source("partner-fmt", marker)), marker


def test_admin_approves_on_the_plugins_page(partner, app, client, desk):
    path, marker = partner
    login(client, desk.users["admin"])
    html = client.get("/reports/plugins").get_data(as_text=True)
    assert "partner.py" in html and sha(path) in html and "Awaiting approval" in html
    assert 'action="/reports/plugins/approve"' in html
    assert not marker.exists()
    assert "partner-fmt" not in client.get("/reports").get_data(as_text=True)

    response = post(
        client,
        "/reports/plugins/approve",
        {"file_name": "partner.py", "sha256": sha(path)},
        form_page="/reports/plugins",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "approved and running" in html
    assert marker.exists()
    assert "partner-fmt" in client.get("/reports").get_data(as_text=True)
    assert plugin_approvals.approved_files() == {"partner.py": sha(path)}

    response = post(
        client,
        "/reports/plugins/revoke",
        {"file_name": "partner.py"},
        form_page="/reports/plugins",
        follow_redirects=True,
    )
    assert "no longer runs" in response.get_data(as_text=True)
    assert "partner-fmt" not in client.get("/reports").get_data(as_text=True)
    assert plugin_approvals.approved_files() == {}


def test_a_file_swapped_after_the_page_was_shown_is_not_approved(partner, app, client, desk):
    path, marker = partner
    login(client, desk.users["admin"])
    token = csrf_token(client, "/reports/plugins")
    shown = sha(path)
    path.write_text(path.read_text() + "\nimport os  # something else\n")
    response = client.post(
        "/reports/plugins/approve",
        data={"csrf_token": token, "file_name": "partner.py", "sha256": shown},
        follow_redirects=True,
    )
    assert "changed after this page was shown" in response.get_data(as_text=True)
    assert plugin_approvals.approved_files() == {}
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../secret_key", "missing.py", "tmdesk.sqlite3"])
def test_only_files_in_the_plugins_folder_can_be_approved(partner, app, client, desk, name):
    login(client, desk.users["admin"])
    response = post(
        client,
        "/reports/plugins/approve",
        {"file_name": name, "sha256": "a" * 64},
        form_page="/reports/plugins",
        follow_redirects=True,
    )
    assert "There is no plugin file" in response.get_data(as_text=True)
    assert plugin_approvals.approved_files() == {}


def test_a_dropped_file_appears_after_loading_again(app, client, desk, data_dir, tmp_path):
    login(client, desk.users["admin"])
    assert "late.py" not in client.get("/reports/plugins").get_data(as_text=True)
    drop(data_dir, "late.py", plugin_source("late-fmt", tmp_path / "late"))
    html = client.get("/reports/plugins").get_data(as_text=True)
    assert "have changed since the plugins were loaded" in html
    response = post(client, "/reports/plugins/reload", form_page="/reports/plugins")
    assert response.status_code == 302
    html = client.get("/reports/plugins").get_data(as_text=True)
    assert "late.py" in html and "Awaiting approval" in html
    assert "have changed since the plugins were loaded" not in html
    assert not (tmp_path / "late").exists()


def test_approving_needs_a_fresh_password(partner, app, client, desk, monkeypatch):
    from tmdesk.web import auth

    path, marker = partner
    login(client, desk.users["admin"])
    token = csrf_token(client, "/reports/plugins")
    later = time.time() + 16 * 60
    monkeypatch.setattr(auth, "_now", lambda: later)
    response = client.post(
        "/reports/plugins/approve",
        data={"csrf_token": token, "file_name": "partner.py", "sha256": sha(path)},
    )
    assert response.status_code == 302 and "/confirm" in response.location
    assert plugin_approvals.approved_files() == {} and not marker.exists()
    post(
        client,
        "/confirm?next=/reports/plugins",
        {"password": PASSWORD},
        form_page="/confirm",
    )
    response = client.post(
        "/reports/plugins/approve",
        data={"csrf_token": token, "file_name": "partner.py", "sha256": sha(path)},
    )
    assert response.status_code == 302 and plugin_approvals.approved_files()


def test_the_app_starts_with_approved_files_only(data_dir, db, tmp_path):
    from tmdesk.web import create_app

    good = drop(data_dir, "good.py", plugin_source("good-fmt", tmp_path / "good"))
    drop(data_dir, "new.py", plugin_source("new-fmt", tmp_path / "new"))
    plugin_approvals.approve(None, "good.py", sha(good))
    pm = create_app(data_dir, {"TESTING": True}).extensions["tmdesk_plugins"]
    assert "good-fmt" in pm.formats and "new-fmt" not in pm.formats
    assert (tmp_path / "good").exists() and not (tmp_path / "new").exists()


# --- the command line -----------------------------------------------------------------------


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def test_cli_lists_approves_and_revokes(partner, desk, data_dir, tmp_path):
    path, marker = partner
    digest = sha(path)
    listing = run(data_dir, "plugins")
    assert listing.exit_code == 0, listing.output
    assert "pending" in listing.output and digest in listing.output
    assert f"tmdesk plugins approve partner.py --sha256 {digest}" in listing.output
    assert not marker.exists()

    wrong = run(data_dir, "plugins", "approve", "partner.py", "--sha256", "0" * 64)
    assert wrong.exit_code == 1 and "not the file you were sent" in wrong.output
    assert plugin_approvals.approved_files() == {}

    missing = run(data_dir, "plugins", "approve", "nowhere.py")
    assert missing.exit_code == 1 and "no plugin file 'nowhere.py'" in missing.output

    approved = run(data_dir, "plugins", "approve", str(path), "--sha256", digest.upper())
    assert approved.exit_code == 0, approved.output
    assert f"approved partner.py (sha256 {digest})" in approved.output
    assert plugin_approvals.approved_files() == {"partner.py": digest}
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.action == "plugin.approve" and "command line" in event.after

    out = tmp_path / "out.txt"
    report = run(
        data_dir, "report", "partner-fmt", "--out", str(out), "--as", desk.users["admin"].email
    )
    assert report.exit_code == 0, report.output
    assert out.read_bytes() == b"partner-fmt"

    revoked = run(data_dir, "plugins", "revoke", "partner.py")
    assert revoked.exit_code == 0 and plugin_approvals.approved_files() == {}
    again = run(data_dir, "plugins", "revoke", "partner.py")
    assert again.exit_code == 1 and "was not approved" in again.output
    refused = run(
        data_dir, "report", "partner-fmt", "--out", str(out), "--as", desk.users["admin"].email
    )
    assert refused.exit_code == 1 and "no report format 'partner-fmt'" in refused.output
