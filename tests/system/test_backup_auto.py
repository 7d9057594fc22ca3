"""Automatic backups (issue 5): at start and daily, the newest N kept.

The rotation deletes only tmdesk's own automatic copies beyond the newest
``keep``, never before-upgrade or manual copies, never the user's files, never
the copy just made, and nothing at all when a backup fails. The scheduler
thread makes one at start and stops cleanly; ``tmdesk serve`` and the desktop
launch run it. The administration page lists the folder and has "Back up now".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from pathlib import Path

import peewee
import pytest

from tests.helpers import csrf_token, login, post
from tests.live_server import wait_for
from tmdesk.core import backup
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import DATABASE_FILENAME, database
from tmdesk.core.models import AuditEvent
from tmdesk.runtime import backup_schedule

# The SQLite file's automatic copies; an office on PostgreSQL backs up from a
# systemd timer with pg_dump (docs/office.md, tests/system/test_pg_backup.py).
pytestmark = pytest.mark.sqlite_only

T0 = dt.datetime(2026, 3, 2, 9, 30, 0)


def make_source(data_dir: Path, rows: int = 3) -> Path:
    """A small SQLite database where tmdesk keeps its own."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DATABASE_FILENAME
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS t (x)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(rows)])
    con.commit()
    con.close()
    return path


AUTO = re.compile(r"^auto-\d{8}-\d{6}(-\d+)?\.sqlite3$")
#: In the ``crowded`` folder: named like an automatic copy, but not a real time.
NOT_A_TIME = "auto-20261399-250000.sqlite3"


def auto_names(data_dir: Path) -> list[str]:
    """The automatic copies in the folder, by the test's own reading of the names."""
    folder = data_dir / "backups"
    return sorted(
        p.name
        for p in folder.glob("auto-*")
        if AUTO.match(p.name) and p.name != NOT_A_TIME and p.is_file()
    )


def folder_state(data_dir: Path) -> dict[str, bytes]:
    folder = data_dir / "backups"
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def source(data_dir) -> Path:
    return make_source(data_dir)


@pytest.fixture
def crowded(data_dir, source) -> dict[str, bytes]:
    """A backups folder with 12 old automatic copies and everything that is not one."""
    folder = data_dir / "backups"
    folder.mkdir(parents=True)
    for day in range(1, 13):
        (folder / f"auto-202602{day:02d}-080000.sqlite3").write_bytes(f"auto {day}".encode())
    others = {
        "before-upgrade-v3-20250101-120000.sqlite3": b"upgrade copy",
        "manual-20250105-101010.sqlite3": b"manual copy",
        "my-own-copy.sqlite3": b"the user's",
        "auto-notes.txt": b"looks a bit like ours",
        "auto-2026.sqlite3": b"near miss",
        NOT_A_TIME: b"not a real time",
        "auto-20200101-000000.sqlite3.bak": b"a suffix",
    }
    for name, content in others.items():
        (folder / name).write_bytes(content)
    (folder / "auto-20200101-000001.sqlite3").mkdir()  # a folder with our kind of name
    return others


# --- rotation -----------------------------------------------------------------------


def test_rotation_keeps_exactly_the_newest_n_and_touches_nothing_else(data_dir, source, crowded):
    before = folder_state(data_dir)
    made = backup.automatic_backup(source, data_dir, keep=3, now=T0)
    assert made is not None and made.name == "auto-20260302-093000.sqlite3"
    assert auto_names(data_dir) == [
        "auto-20260211-080000.sqlite3",
        "auto-20260212-080000.sqlite3",
        made.name,
    ]
    after = folder_state(data_dir)
    for name, content in crowded.items():
        assert after[name] == content, name
    assert (data_dir / "backups" / "auto-20200101-000001.sqlite3").is_dir()
    # The kept automatic copies are the same bytes; the deleted ones are the 10 oldest.
    gone = set(before) - set(after)
    assert gone == {f"auto-202602{day:02d}-080000.sqlite3" for day in range(1, 11)}
    # The new copy is a checked, complete database.
    backup.check_integrity(made)
    con = sqlite3.connect(made)
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3
    con.close()
    assert not list((data_dir / "backups").glob("*.part"))


def test_the_copy_just_made_is_kept_even_when_it_sorts_oldest(data_dir, source, crowded):
    """A clock set back: the new copy's name is older than the ones kept, yet it stays."""
    made = backup.automatic_backup(source, data_dir, keep=2, now=dt.datetime(2025, 6, 1))
    names = auto_names(data_dir)
    assert made.name in names
    assert names == sorted(
        [made.name, "auto-20260211-080000.sqlite3", "auto-20260212-080000.sqlite3"]
    )


def test_two_copies_in_one_second_get_distinct_names(data_dir, source):
    first = backup.automatic_backup(source, data_dir, keep=5, now=T0)
    second = backup.automatic_backup(source, data_dir, keep=5, now=T0)
    third = backup.automatic_backup(source, data_dir, keep=2, now=T0)
    assert first.name == "auto-20260302-093000.sqlite3"
    assert second.name == "auto-20260302-093000-2.sqlite3"
    # keep=2: the two newest by (time, sequence) stay
    assert auto_names(data_dir) == sorted([second.name, third.name])


def test_a_failing_backup_deletes_nothing(data_dir, source, crowded, monkeypatch):
    before = folder_state(data_dir)

    # 1. the copy fails its integrity check
    def corrupt(path):
        raise backup.BackupError(f"{path} failed the integrity check: page 3 is bad")

    monkeypatch.setattr(backup, "check_integrity", corrupt)
    with pytest.raises(backup.BackupError, match="integrity"):
        backup.automatic_backup(source, data_dir, keep=1, now=T0)
    assert folder_state(data_dir) == before
    monkeypatch.undo()

    # 2. the source is not a database at all
    source.write_bytes(b"this is not SQLite" * 500)
    with pytest.raises(backup.BackupError):
        backup.automatic_backup(source, data_dir, keep=1, now=T0)
    assert folder_state(data_dir) == before

    # 3. the source is missing
    source.unlink()
    with pytest.raises(backup.BackupError, match="no database"):
        backup.automatic_backup(source, data_dir, keep=1, now=T0)
    assert folder_state(data_dir) == before


def test_keep_zero_writes_and_deletes_nothing(data_dir, source, crowded):
    before = folder_state(data_dir)
    assert backup.automatic_backup(source, data_dir, keep=0, now=T0) is None
    assert backup.prune_automatic(data_dir, 0) == []
    assert folder_state(data_dir) == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, backup.DEFAULT_KEEP), ("", backup.DEFAULT_KEEP), ("0", 0), ("3", 3), (" 25 ", 25)]
    + [(bad, backup.DEFAULT_KEEP) for bad in ("-1", "ten", "2.5")],
)
def test_keep_setting(value, expected, caplog):
    env = {} if value is None else {"TMDESK_BACKUP_KEEP": value}
    with caplog.at_level(logging.WARNING):
        assert backup.keep_setting(env) == expected
    if value in ("-1", "ten", "2.5"):
        assert "TMDESK_BACKUP_KEEP" in caplog.text  # a typo is said, not a silent "off"


def test_postgresql_is_not_backed_up_here(data_dir):
    pg = peewee.PostgresqlDatabase("tmdesk")  # never connected
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.automatic_backup(pg, data_dir, keep=3)


def test_list_backups_describes_the_folder(data_dir, source, crowded):
    made = backup.automatic_backup(source, data_dir, keep=20, now=T0)
    found = backup.list_backups(data_dir)
    by_name = {b.name: b for b in found}
    assert by_name[made.name].kind == "automatic"
    assert by_name[made.name].time == T0
    assert by_name[made.name].size == made.stat().st_size
    assert by_name["before-upgrade-v3-20250101-120000.sqlite3"].kind == "before-upgrade"
    assert by_name["manual-20250105-101010.sqlite3"].kind == "manual"
    for name in ("my-own-copy.sqlite3", "auto-notes.txt", "auto-20261399-250000.sqlite3"):
        assert by_name[name].kind == "other"
    assert "auto-20200101-000001.sqlite3" not in by_name  # a folder is not a backup
    own = [b.name for b in found if b.kind != "other"]
    assert own[0] == made.name  # newest first
    times = [b.time for b in found]
    assert times == sorted(times, reverse=True)
    assert backup.list_backups(data_dir / "nowhere") == []


# --- "daily" --------------------------------------------------------------------------


def test_daily_rule_with_an_injected_clock(data_dir, source):
    assert backup.automatic_backup_due(data_dir, T0) is True  # none yet
    assert backup.latest_automatic_backup_age(data_dir, T0) is None
    backup.automatic_backup(source, data_dir, keep=5, now=T0)
    hour = dt.timedelta(hours=1)
    assert backup.latest_automatic_backup_age(data_dir, T0 + 5 * hour) == 5 * hour
    assert not backup.automatic_backup_due(data_dir, T0 + 23 * hour)
    assert not backup.automatic_backup_due(data_dir, T0 + 24 * hour - dt.timedelta(seconds=1))
    assert backup.automatic_backup_due(data_dir, T0 + 24 * hour)
    assert backup.automatic_backup_due(data_dir, T0 + 80 * hour)  # the laptop slept
    # At start: one unless the newest is younger than an hour (restarts do not
    # rotate the daily copies away).
    assert not backup.automatic_backup_due(data_dir, T0 + 0.5 * hour, at_start=True)
    assert backup.automatic_backup_due(data_dir, T0 + hour, at_start=True)
    # The clock was set back: the newest copy is "from the future"; not due.
    assert not backup.automatic_backup_due(data_dir, T0 - 48 * hour)
    # Manual and before-upgrade copies do not count as the daily one.
    (data_dir / "backups" / "manual-20260310-000000.sqlite3").write_bytes(b"x")
    assert backup.automatic_backup_due(data_dir, T0 + 25 * hour)


class StepClock:
    """Each call moves ``step`` further on (a day per check: every check is due)."""

    def __init__(self, start: dt.datetime, step: dt.timedelta) -> None:
        self.now, self.step = start, step
        self.lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self.lock:
            now = self.now
            self.now += self.step
            return now


# --- the scheduler ----------------------------------------------------------------------


def test_scheduler_makes_one_at_start_and_stops_cleanly(data_dir, source):
    scheduler = backup_schedule.BackupScheduler(
        source, data_dir, keep=3, check_every=3600, clock=lambda: T0
    ).start()
    try:
        assert wait_for(lambda: auto_names(data_dir) == ["auto-20260302-093000.sqlite3"])
        assert scheduler.running
    finally:
        started = time.monotonic()
        scheduler.stop()
    assert not scheduler.running
    assert time.monotonic() - started < 10  # the hourly wait is cut short by the Event
    assert scheduler.last_backup is not None and scheduler.last_error is None
    assert not list((data_dir / "backups").glob("*.part"))


def test_scheduler_daily_copies_are_rotated(data_dir, source):
    clock = StepClock(T0, dt.timedelta(hours=25))
    scheduler = backup_schedule.BackupScheduler(
        source, data_dir, keep=3, check_every=0.01, clock=clock
    ).start()
    try:
        assert wait_for(lambda: scheduler.checks >= 6)
    finally:
        scheduler.stop()
    names = auto_names(data_dir)
    assert len(names) == 3
    newest = max(names)
    assert newest == scheduler.last_backup.name


def test_scheduler_checks_hourly_but_copies_daily(data_dir, source):
    clock = StepClock(T0, dt.timedelta(hours=1))
    scheduler = backup_schedule.BackupScheduler(
        source, data_dir, keep=10, check_every=0.005, clock=clock
    ).start()
    try:
        assert wait_for(lambda: scheduler.checks >= 50)
    finally:
        scheduler.stop()
    checks = scheduler.checks
    # One at start, then one every 24 hourly checks.
    assert len(auto_names(data_dir)) == 1 + (checks - 1) // 24


def test_a_failing_scheduled_backup_is_logged_and_the_thread_goes_on(
    data_dir, source, crowded, caplog
):
    before = folder_state(data_dir)
    source.write_bytes(b"garbage, not a database" * 100)
    clock = StepClock(T0, dt.timedelta(hours=25))
    with caplog.at_level(logging.ERROR, logger="tmdesk.runtime.backup_schedule"):
        scheduler = backup_schedule.BackupScheduler(
            source, data_dir, keep=1, check_every=0.01, clock=clock
        ).start()
        try:
            assert wait_for(lambda: scheduler.checks >= 3)
            assert scheduler.running  # still alive after failures
        finally:
            scheduler.stop()
    assert "automatic backup failed" in caplog.text
    assert scheduler.last_error and scheduler.last_backup is None
    assert folder_state(data_dir) == before  # the older copies are all there
    # The database comes back: the next check makes a copy and rotates.
    source.unlink()
    make_source(data_dir)
    assert scheduler.run_once() is not None
    assert len(auto_names(data_dir)) == 1


def test_start_automatic_backups_off_and_postgresql(data_dir, source, caplog):
    sqlite_db = peewee.SqliteDatabase(str(source))
    with caplog.at_level(logging.INFO, logger="tmdesk.runtime.backup_schedule"):
        assert backup_schedule.start_automatic_backups(sqlite_db, data_dir, keep=0) is None
        assert "off" in caplog.text
        caplog.clear()
        pg = peewee.PostgresqlDatabase("tmdesk")
        assert backup_schedule.start_automatic_backups(pg, data_dir, keep=5) is None
        assert len(caplog.records) == 1 and "pg_dump" in caplog.text
    assert not (data_dir / "backups").exists()
    scheduler = backup_schedule.start_automatic_backups(sqlite_db, data_dir, keep=2)
    try:
        assert scheduler is not None
        assert wait_for(lambda: len(auto_names(data_dir)) == 1)
    finally:
        scheduler.stop()


# --- tmdesk serve and the desktop launch run it ------------------------------------------


@pytest.mark.parametrize("args", [(), ("serve", "--port", "0", "--no-browser")])
def test_serve_and_desktop_launch_make_a_backup_at_start(tmp_path, args):
    from tests.system.test_desktop import desktop_env, start_desktop, stop

    env = desktop_env(tmp_path)
    env["TMDESK_BACKUP_KEEP"] = "4"
    data = Path(env["TMDESK_DATA_DIR"])
    proc, _url = start_desktop(env, args)
    try:
        assert wait_for(lambda: len(auto_names(data)) == 1, timeout=60), os.listdir(data)
    finally:
        stop(proc)
    assert proc.returncode == 0
    log_text = (tmp_path / "logs" / "tmdesk.log").read_text()
    assert "keeping the newest 4" in log_text
    assert "automatic backup written" in log_text
    assert "tmdesk stopped" in log_text
    made = data / "backups" / auto_names(data)[0]
    backup.check_integrity(made)
    assert backup.schema_version_of(made) >= 1


def test_serve_with_backups_off_makes_none(tmp_path):
    from tests.system.test_desktop import desktop_env, start_desktop, stop

    env = desktop_env(tmp_path)
    env["TMDESK_BACKUP_KEEP"] = "0"
    proc, _url = start_desktop(env, ("serve", "--port", "0", "--no-browser"))
    try:
        assert wait_for(
            lambda: (
                "automatic backups are off"
                in (tmp_path / "logs" / "tmdesk.log").read_text(errors="replace")
            )
        )
    finally:
        stop(proc)
    assert proc.returncode == 0
    assert auto_names(Path(env["TMDESK_DATA_DIR"])) == []


# --- the administration page and "Back up now" ------------------------------------------


def test_backups_page_lists_the_folder(app, client, desk, data_dir):
    source = data_dir / DATABASE_FILENAME
    made = backup.automatic_backup(source, data_dir, keep=5)
    (data_dir / "backups" / "before-upgrade-v1-20250101-120000.sqlite3").write_bytes(b"x" * 2048)
    later = time.time() + 60
    notes = data_dir / "backups" / "notes.txt"  # the newest file, but not a backup
    notes.write_text("my notes")
    os.utime(notes, (later, later))
    login(client, desk.users["admin"])
    page = client.get("/admin/backups")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert made.name in html
    assert "before-upgrade-v1-20250101-120000.sqlite3" in html
    assert str(data_dir / "backups") in html
    assert "Automatic" in html and "Before a schema upgrade" in html
    assert "2 KB" in html  # 2048 bytes, in decimal kilobytes
    assert "keeps the newest 10" in html
    assert 'action="/admin/backups/now"' in html
    assert f"<code>tmdesk restore {made}</code>" in html  # how to restore the newest copy
    assert "notes.txt" in html and "Other file" in html
    assert 'href="/admin/backups"' in client.get("/admin/").get_data(as_text=True)  # in the nav


def test_backups_page_says_when_backups_are_off_or_missing(app, client, desk, monkeypatch):
    login(client, desk.users["admin"])
    html = client.get("/admin/backups").get_data(as_text=True)
    assert "no automatic backup yet" in html
    assert "The folder is empty." in html
    monkeypatch.setenv("TMDESK_BACKUP_KEEP", "0")
    html = client.get("/admin/backups").get_data(as_text=True)
    assert "Automatic backups are off" in html


def test_backups_page_warns_when_the_daily_copy_is_overdue(app, client, desk, data_dir):
    old = dt.datetime.now() - dt.timedelta(days=3)
    backup.automatic_backup(data_dir / DATABASE_FILENAME, data_dir, keep=5, now=old)
    login(client, desk.users["admin"])
    html = client.get("/admin/backups").get_data(as_text=True)
    assert "more than a day ago" in html


@pytest.mark.parametrize("role", ["recipient", "donor", "back_office", "observer", "company"])
def test_backups_page_and_button_are_for_administrators_only(app, desk, data_dir, role):
    client = app.test_client()
    login(client, desk.users[role])
    assert client.get("/admin/backups").status_code == 403
    response = client.post("/admin/backups/now", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert not (data_dir / "backups").exists()


def test_anonymous_goes_to_login(app, client, desk, data_dir):
    response = client.get("/admin/backups")
    assert response.status_code == 302 and "/login" in response.location
    response = client.post("/admin/backups/now", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and "/login" in response.location
    assert not (data_dir / "backups").exists()


def test_back_up_now_writes_an_audited_manual_copy(app, client, desk, data_dir):
    login(client, desk.users["admin"])
    events = AuditEvent.select().count()
    response = post(client, "/admin/backups/now", form_page="/admin/backups")
    assert response.status_code == 302 and response.location.endswith("/admin/backups")
    manual = list((data_dir / "backups").glob("manual-*.sqlite3"))
    assert len(manual) == 1
    backup.check_integrity(manual[0])
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert AuditEvent.select().count() == events + 1
    assert event.action == "backup" and event.user_email == desk.users["admin"].email
    assert manual[0].name in event.after
    page = client.get("/admin/backups").get_data(as_text=True)
    assert "Backup written and checked" in page and manual[0].name in page
    assert "Made with “Back up now”" in page or "Made with &ldquo;Back up now&rdquo;" in page
    # Manual copies are not rotated away by automatic ones.
    for day in range(1, 4):
        backup.automatic_backup(
            data_dir / DATABASE_FILENAME, data_dir, keep=1, now=T0 + dt.timedelta(days=day)
        )
    assert manual[0].exists() and len(auto_names(data_dir)) == 1


def test_back_up_now_needs_the_csrf_token(app, client, desk, data_dir):
    login(client, desk.users["admin"])
    events = AuditEvent.select().count()
    assert client.post("/admin/backups/now", data={}).status_code == 400
    assert client.post("/admin/backups/now", data={"csrf_token": "forged"}).status_code == 400
    assert not (data_dir / "backups").exists()
    assert AuditEvent.select().count() == events


def test_back_up_now_needs_a_fresh_login(app, client, desk, data_dir, monkeypatch):
    from tmdesk.web import auth

    login(client, desk.users["admin"])
    token = csrf_token(client, "/admin/backups")
    later = time.time() + 16 * 60
    monkeypatch.setattr(auth, "_now", lambda: later)
    assert client.get("/admin/backups").status_code == 200  # reading needs no new password
    response = client.post(
        "/admin/backups/now",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/admin/backups"},
    )
    assert response.status_code == 302 and "/confirm" in response.location
    assert "next=/admin/backups" in response.location.replace("%2F", "/")
    assert not (data_dir / "backups").exists()
    confirmed = post(
        client,
        "/confirm?next=/admin/backups",
        {"password": "correct horse battery staple"},
        form_page="/confirm",
    )
    assert confirmed.status_code == 302
    response = client.post("/admin/backups/now", data={"csrf_token": token})
    assert response.status_code == 302
    assert len(list((data_dir / "backups").glob("manual-*.sqlite3"))) == 1


def test_back_up_now_failure_is_reported_and_deletes_nothing(
    app, client, desk, data_dir, monkeypatch
):
    source = data_dir / DATABASE_FILENAME
    made = backup.automatic_backup(source, data_dir, keep=5)
    login(client, desk.users["admin"])

    def broken(path):
        raise backup.BackupError("the copy failed the integrity check: disk error")

    monkeypatch.setattr(backup, "check_integrity", broken)
    response = post(client, "/admin/backups/now", form_page="/admin/backups")
    assert response.status_code == 302
    html = client.get("/admin/backups").get_data(as_text=True)
    assert "The backup failed" in html and "disk error" in html
    assert [p.name for p in (data_dir / "backups").iterdir()] == [made.name]
    assert not AuditEvent.select().where(AuditEvent.action == "backup").exists()


def test_back_up_now_in_the_core_is_for_administrators(desk, data_dir):
    from tmdesk.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        backup.backup_now(desk.user("back_office"), database.obj, data_dir)
    with pytest.raises(PermissionDenied):
        backup.backup_now(None, database.obj, data_dir)
    made = backup.backup_now(desk.user("admin"), database.obj, data_dir, now=T0)
    assert made.name == "manual-20260302-093000.sqlite3"


# --- the CLI -----------------------------------------------------------------------------


def test_cli_backup_list(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tmdesk.cli import cli

    monkeypatch.delenv("TMDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("TMDESK_BACKUP_KEEP", "7")
    data = tmp_path / "data"
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(data), "backup", "--list"])
    assert result.exit_code == 0, result.output
    assert "No backups yet." in result.output and str(data / "backups") in result.output
    source = make_source(data)
    made = backup.automatic_backup(source, data, keep=7, now=T0)
    (data / "backups" / "manual-20260101-101010.sqlite3").write_bytes(b"m" * 3000)
    result = runner.invoke(cli, ["--data-dir", str(data), "backup", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if made.name in line)
    assert row.startswith("automatic") and "2026-03-02 09:30:00" in row
    assert any(line.startswith("manual") and "2.9 KiB" in line for line in lines)
    assert "keeping the newest 7" in result.output
    assert "tmdesk restore" in result.output
    # --out still works as before; neither or both is an error
    fresh = tmp_path / "fresh"
    out = tmp_path / "copy.sqlite3"
    result = runner.invoke(cli, ["--data-dir", str(fresh), "backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    backup.check_integrity(out)
    assert runner.invoke(cli, ["--data-dir", str(data), "backup"]).exit_code == 1
    both = runner.invoke(cli, ["--data-dir", str(data), "backup", "--list", "--out", str(out)])
    assert both.exit_code == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_data_and_backup_folders_are_private(tmp_path):
    """The data folder holds weaknesses of critical infrastructure: a folder tmdesk
    creates is its owner's alone (an existing one keeps the permissions it has)."""
    data_dir = tmp_path / "new" / "data"
    open_database(data_dir)
    try:
        backup.automatic_backup(database.obj, data_dir, keep=2)
    finally:
        database.close()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "backups").stat().st_mode) == 0o700
