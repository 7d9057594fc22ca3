"""``tmdesk restore`` and ``tmdesk demo --force`` refuse while tmdesk serves the data folder.

They take the same OS lock (``tmdesk.lock``) the desktop app and ``tmdesk serve``
hold, for as long as they work; a lock file left by a killed process is no
obstacle. The servers here are real ``tmdesk serve`` subprocesses on port 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.system.test_cli import FIRST_ADMIN, user_create, users_in
from tests.system.test_desktop import desktop_env, stop
from tmdesk.cli import cli
from tmdesk.core import backup as backups
from tmdesk.core.db import DATABASE_FILENAME
from tmdesk.core.schema import CURRENT_VERSION
from tmdesk.runtime import instance

# Restoring the SQLite file under the data folder's lock; PostgreSQL's restore
# refuses while a tmdesk is connected instead (tests/system/test_pg_backup.py).
pytestmark = pytest.mark.sqlite_only

ADMIN = "admin@tmpo.example"
LATER = "later@tmpo.example"


@pytest.fixture
def runner(monkeypatch):
    for name in ("TMDESK_DATA_DIR", "TMDESK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


@pytest.fixture
def world(runner, tmp_path) -> tuple[Path, Path]:
    """A data dir with its administrator, a backup of it, then a later user the
    backup does not have (so a restore is visible)."""
    data = tmp_path / "data"
    user_create(runner, data, ADMIN, *FIRST_ADMIN)
    backup = tmp_path / "desk-backup.sqlite3"
    result = runner.invoke(cli, ["--data-dir", str(data), "backup", "--out", str(backup)])
    assert result.exit_code == 0, result.output
    user_create(runner, data, LATER, "--org", "TMPO")
    return data, backup


def restore(runner: CliRunner, data: Path, backup: Path):
    return runner.invoke(cli, ["--data-dir", str(data), "restore", str(backup)])


def fingerprint(data: Path) -> tuple[int, bytes]:
    db = data / DATABASE_FILENAME
    return db.stat().st_ino, db.read_bytes()


def leftovers(data: Path) -> list[str]:
    return [p.name for p in data.iterdir() if ".replaced-" in p.name or ".restoring" in p.name]


def start_serve(tmp_path: Path, data: Path) -> tuple[subprocess.Popen, instance.InstanceInfo]:
    """``tmdesk serve --port 0`` on ``data``; returns once it answers ``/healthz``."""
    env = desktop_env(tmp_path)
    env["TMDESK_DATA_DIR"] = str(data)
    # No start-up backup: its connection's checkpoint would rewrite the database
    # file at a random moment, and the tests compare that file's bytes.
    env[backups.KEEP_ENV] = "0"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tmdesk", "serve", "--port", "0", "--no-browser"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        info = instance.read_info(data)
        if info is not None and info.pid == proc.pid and instance.probe(info, timeout=1):
            return proc, info
        time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"tmdesk serve did not come up (exit {proc.returncode})")


def assert_refused(result, info: instance.InstanceInfo | None, again: str) -> None:
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "tmdesk is running on this data folder" in text
    if info is not None:
        assert f"process {info.pid}" in text and f":{info.port}/" in text
    assert "Quit in the menu" in text and "Ctrl+C" in text
    assert f"run {again} again" in text
    assert "Traceback" not in result.output


# --- against a real server ------------------------------------------------------------


@pytest.mark.slow  # starts real processes
def test_restore_and_demo_force_refused_while_serve_runs_then_restore_goes_through(
    runner, world, tmp_path
):
    data, backup = world
    proc, info = start_serve(tmp_path, data)
    try:
        before = fingerprint(data)
        assert_refused(restore(runner, data, backup), info, "the restore")
        assert fingerprint(data) == before  # same file, same bytes
        assert leftovers(data) == []
        result = runner.invoke(cli, ["demo", "--data-dir", str(data), "--force"])
        assert_refused(result, info, "tmdesk demo --force")
        assert fingerprint(data) == before
        # The refusal released nothing of the server's: it still serves and owns the folder.
        assert instance.probe(info) == {"status": "ok", "version": instance.__version__}
        assert instance.read_info(data) == info
        assert not instance.InstanceLock(data / instance.LOCK_NAME).acquire()
    finally:
        stop(proc)
    assert proc.returncode == 0
    assert users_in(data) == {ADMIN, LATER}

    result = restore(runner, data, backup)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert users_in(data) == {ADMIN}


@pytest.mark.slow  # starts real processes
def test_stale_lock_left_by_a_killed_server_does_not_block_the_restore(runner, world, tmp_path):
    data, backup = world
    proc, info = start_serve(tmp_path, data)
    proc.send_signal(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
    proc.wait(10)
    assert (data / instance.LOCK_NAME).exists()
    assert instance.read_info(data) == info  # left behind by the kill
    result = restore(runner, data, backup)
    assert result.exit_code == 0, result.output
    assert users_in(data) == {ADMIN}
    assert instance.read_info(data) is None  # the stale info file was cleared
    assert instance.InstanceLock(data / instance.LOCK_NAME).previous_pid() is None


# --- the lock itself, in-process ------------------------------------------------------


def test_held_lock_without_an_info_file_is_refused_too(runner, world):
    """A server still starting (or another restore) holds the lock before any info file."""
    data, backup = world
    holder = instance.InstanceLock(data / instance.LOCK_NAME)
    assert holder.acquire()
    holder.write_pid()
    try:
        before = fingerprint(data)
        result = restore(runner, data, backup)
        assert_refused(result, None, "the restore")
        assert f"process {os.getpid()}" in result.output
        assert fingerprint(data) == before and leftovers(data) == []
    finally:
        holder.release()


def test_the_lock_is_held_for_the_whole_restore(runner, world, monkeypatch):
    """No server can start while the restore works (it would wait, then report)."""
    data, backup = world
    seen = {}
    real_restore = backups.restore

    def watching_restore(*args, **kwargs):
        seen["other_lock"] = instance.InstanceLock(data / instance.LOCK_NAME).acquire()
        with pytest.raises(instance.LaunchError):
            instance.claim_or_find(data, wait=0.3)
        return real_restore(*args, **kwargs)

    monkeypatch.setattr(backups, "restore", watching_restore)
    result = restore(runner, data, backup)
    assert result.exit_code == 0, result.output
    assert seen == {"other_lock": False}
    lock, running = instance.claim_or_find(data, wait=0.5)  # released afterwards
    assert running is None and lock is not None
    lock.release()


def test_core_restore_is_lock_agnostic(world):
    """The caller holds the lock; the core must not try to take it a second time."""
    data, backup = world
    with instance.exclusive_data_dir(data, "the restore") as lock:
        assert lock.held
        kept = backups.restore(data, backup, CURRENT_VERSION)
    assert kept.exists() and users_in(data) == {ADMIN}


@pytest.mark.skipif(os.name != "posix", reason="fcntl")
def test_without_os_locks_a_live_info_file_refuses(runner, world, monkeypatch):
    import errno
    import fcntl

    data, backup = world

    def no_locks(*_args):
        raise OSError(errno.ENOLCK, "No locks available")

    info = instance.InstanceInfo(pid=os.getpid(), port=4321, version="x", secret="s")
    instance.write_info(data, info)
    monkeypatch.setattr(fcntl, "flock", no_locks)
    monkeypatch.setattr(instance, "probe", lambda _info, timeout=2.0: {"status": "ok"})
    before = fingerprint(data)
    assert_refused(restore(runner, data, backup), info, "the restore")
    assert fingerprint(data) == before
    monkeypatch.setattr(instance, "probe", lambda _info, timeout=2.0: None)  # it died
    result = restore(runner, data, backup)
    assert result.exit_code == 0, result.output
    assert instance.read_info(data) is None
