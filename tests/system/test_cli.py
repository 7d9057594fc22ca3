"""The ``tmdesk`` command: versions, users, tokens, backups, the audit log, the data dir."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import pg
from tmdesk import __version__
from tmdesk.cli import cli
from tmdesk.core import accounts, tokens
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import DATABASE_FILENAME, database
from tmdesk.core.models import AuditEvent, User

PASSWORD = "a long enough passphrase"
FIRST_ADMIN = [
    "--org",
    "TMPO",
    "--org-kind",
    "project_office",
    "--org-name",
    "Tallinn Mechanism Project Office",
    "--org-country",
    "UA",
    "--admin",
]


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("TMDESK_DATA_DIR", raising=False)
    if not pg.on_postgresql():  # on PostgreSQL it names the run's own database
        monkeypatch.delenv("TMDESK_DATABASE_URL", raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None, ok: bool = True, **kw):
    result = runner.invoke(cli, list(args), input=input, catch_exceptions=False, **kw)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def user_create(runner: CliRunner, data: Path | str | None, email: str, *options: str, **kw):
    """``tmdesk [--data-dir DATA] user create EMAIL OPTIONS --password-stdin``,
    typing ``password`` (default :data:`PASSWORD`); other keywords go to :func:`run`."""
    where = ["--data-dir", str(data)] if data is not None else []
    password = kw.pop("password", PASSWORD)
    return run(
        runner,
        *where,
        "user",
        "create",
        email,
        *options,
        "--password-stdin",
        input=password + "\n",
        **kw,
    )


@pytest.fixture
def desk_dir(runner, tmp_path) -> Path:
    """A fresh data dir whose first administrator (admin@tmpo.example) the command made."""
    data = tmp_path / "data"
    user_create(runner, data, "admin@tmpo.example", *FIRST_ADMIN)
    return data


def users_in(data_dir: Path) -> set[str]:
    open_database(data_dir)
    with database.connection_context():
        return {u.email for u in User.select()}


def test_version(runner):
    result = run(runner, "--version")
    assert __version__ in result.output and "tmdesk" in result.output


def test_help_lists_the_commands(runner):
    result = run(runner, "--help")
    for command in ("serve", "demo", "user", "token", "backup", "restore", "audit"):
        assert command in result.output


def test_user_create_first_admin_on_fresh_data_dir(runner, tmp_path):
    data = tmp_path / "data"
    # Without the organisation's details the missing organisation is explained.
    result = user_create(runner, data, "olena@tmpo.example", "--org", "TMPO", "--admin", ok=False)
    assert result.exit_code == 1
    assert "No organisation has the code TMPO" in result.output
    assert "--org-kind" in result.output

    result = user_create(runner, data, "Olena@TMPO.example", *FIRST_ADMIN)
    assert "olena@tmpo.example" in result.output and "administrator" in result.output
    open_database(data)
    with database.connection_context():
        user = User.get(User.email == "olena@tmpo.example")
        assert user.is_admin and user.organisation.code == "TMPO"
        assert user.organisation.kind == "project_office"
        assert accounts.authenticate("olena@tmpo.example", PASSWORD) is not None


def test_user_create_in_existing_org_and_refusals(runner, desk_dir):
    result = user_create(runner, desk_dir, "second@tmpo.example", "--org", "tmpo")
    assert "(administrator)" not in result.output
    # A weak password and a duplicate e-mail are refused with a message, not a traceback.
    result = user_create(
        runner, desk_dir, "weak@tmpo.example", "--org", "TMPO", password="short", ok=False
    )
    assert result.exit_code == 1 and "password" in result.output
    result = user_create(runner, desk_dir, "second@tmpo.example", "--org", "TMPO", ok=False)
    assert result.exit_code == 1 and "already exists" in result.output
    assert users_in(desk_dir) == {"admin@tmpo.example", "second@tmpo.example"}


@pytest.mark.slow  # starts real processes
def test_user_create_through_python_m_tmdesk(tmp_path):
    """The real entry point, in its own process, with the real password hashing."""
    data = tmp_path / "data"
    dropped = (
        ("TMDESK_DATA_DIR",) if pg.on_postgresql() else ("TMDESK_DATA_DIR", "TMDESK_DATABASE_URL")
    )
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tmdesk",
            "--data-dir",
            str(data),
            "user",
            "create",
            "admin@tmpo.example",
            *FIRST_ADMIN,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Created admin@tmpo.example in TMPO" in proc.stdout
    assert pg.on_postgresql() or (data / DATABASE_FILENAME).exists()
    open_database(data)
    with database.connection_context():
        user = User.get(User.email == "admin@tmpo.example")
        assert user.password_hash.startswith("scrypt")
        assert accounts.authenticate("admin@tmpo.example", PASSWORD) is not None


def test_token_create_prints_a_working_token(runner, desk_dir):
    data = str(desk_dir)
    result = run(runner, "--data-dir", data, "token", "create", "Admin@TMPO.example")
    token = result.stdout.strip()  # the token alone on standard output, for scripts
    assert token.startswith(tokens.TOKEN_PREFIX) and "\n" not in token
    assert "Read-and-write token; expires " in result.stderr
    open_database(Path(data))
    with database.connection_context():
        user = tokens.user_for_token(token)
        assert user is not None and user.email == "admin@tmpo.example"
        assert tokens.user_for_token(token + "x") is None
    result = run(runner, "--data-dir", data, "token", "create", "nobody@example.org", ok=False)
    assert result.exit_code == 1 and "no active user" in result.output


def test_token_create_read_only_with_expiry(runner, desk_dir):
    import datetime as dt

    from tmdesk.core.models import utcnow

    data = str(desk_dir)
    result = run(
        runner, "--data-dir", data, "token", "create", "admin@tmpo.example",
        "--expires-days", "7", "--read-only",
    )  # fmt: skip
    plain = result.stdout.strip()
    assert "Read-only token; expires " in result.stderr
    open_database(Path(data))
    with database.connection_context():
        token = tokens.token_for(plain)
        assert token is not None and token.scope == "read"
        assert abs(token.expires_at - (utcnow() + dt.timedelta(days=7))).total_seconds() < 60
        assert token.expires_at.isoformat(sep=" ") in result.stderr
    for days in ("0", "400", "-3"):
        result = run(
            runner, "--data-dir", data, "token", "create", "admin@tmpo.example",
            "--expires-days", days, ok=False,
        )  # fmt: skip
        assert result.exit_code != 0 and "Traceback" not in result.output


@pytest.mark.sqlite_only  # PostgreSQL: tests/system/test_pg_backup.py
def test_backup_and_restore(runner, desk_dir, tmp_path):
    data = desk_dir
    backup = tmp_path / "backups" / "desk.sqlite3"
    result = run(runner, "--data-dir", str(data), "backup", "--out", str(backup))
    assert str(backup) in result.output and backup.exists()
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    # A change after the backup disappears with the restore; the old file is kept.
    user_create(runner, data, "later@tmpo.example", "--org", "TMPO")
    assert "later@tmpo.example" in users_in(data)
    result = run(runner, "--data-dir", str(data), "restore", str(backup))
    kept = [p for p in data.iterdir() if p.name.startswith(DATABASE_FILENAME + ".replaced-")]
    assert len(kept) == 1 and kept[0].name in result.output
    assert users_in(data) == {"admin@tmpo.example"}
    con = sqlite3.connect(kept[0])
    assert ("later@tmpo.example",) in con.execute("SELECT email FROM user").fetchall()
    con.close()


def test_restore_refuses_a_bad_file(runner, desk_dir, tmp_path):
    data = desk_dir
    bad = tmp_path / "not-a-backup.sqlite3"
    bad.write_bytes(b"this is not a database at all" * 100)
    result = run(runner, "--data-dir", str(data), "restore", str(bad), ok=False)
    assert result.exit_code == 1
    assert "not a readable tmdesk database" in result.output or "not a tmdesk" in result.output
    assert "Traceback" not in result.output
    # Another SQLite file that is not a tmdesk database is refused too.
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    result = run(runner, "--data-dir", str(data), "restore", str(other), ok=False)
    assert result.exit_code == 1 and "not a tmdesk database" in result.output
    result = run(runner, "--data-dir", str(data), "restore", str(tmp_path / "missing"), ok=False)
    assert result.exit_code != 0
    # Nothing was replaced.
    assert users_in(data) == {"admin@tmpo.example"}
    assert not [p for p in data.iterdir() if ".replaced-" in p.name]


def test_audit_verify_reports_intact_and_broken(runner, desk_dir):
    data = desk_dir
    result = run(runner, "--data-dir", str(data), "audit", "verify")
    assert "intact" in result.output and "2 events" in result.output
    open_database(data)
    with database.connection_context():
        first = AuditEvent.select().order_by(AuditEvent.id).first()
        AuditEvent.update(user_email="someone-else@example.org").where(
            AuditEvent.id == first.id
        ).execute()
    result = run(runner, "--data-dir", str(data), "audit", "verify", ok=False)
    assert result.exit_code == 1 and "broken at event" in result.output


@pytest.mark.sqlite_only  # the data dir chooses the database file only on SQLite
def test_data_dir_option_and_environment(runner, tmp_path):
    by_option = tmp_path / "by-option"
    by_env = tmp_path / "by-env"
    after = tmp_path / "after-subcommand"
    user_create(runner, by_option, "a@tmpo.example", *FIRST_ADMIN)
    user_create(runner, None, "b@tmpo.example", *FIRST_ADMIN, env={"TMDESK_DATA_DIR": str(by_env)})
    # --data-dir after the subcommand, with the environment naming another dir
    user_create(
        runner,
        None,
        "c@tmpo.example",
        "--data-dir",
        str(after),
        *FIRST_ADMIN,
        env={"TMDESK_DATA_DIR": str(by_env)},
    )
    assert users_in(by_option) == {"a@tmpo.example"}
    assert users_in(by_env) == {"b@tmpo.example"}
    assert users_in(after) == {"c@tmpo.example"}  # the option wins over the environment
    result = run(runner, "audit", "verify", env={"TMDESK_DATA_DIR": str(by_env)})
    assert "intact" in result.output


@pytest.mark.slow
def test_demo_command_fills_once_and_refuses_a_second_time(runner, tmp_path):
    from tmdesk import demo

    data = str(tmp_path / "data")
    result = run(runner, "demo", "--data-dir", data)
    assert demo.DEMO_PASSWORD in result.output
    assert "recipient@ssscip.demo" in result.output and data in result.output
    # Its documents are written into the data dir on either engine (on PostgreSQL the
    # database is elsewhere, the files still belong in the data dir).
    from tmdesk import paths

    documents = int(re.search(r"(\d+) documents", result.output).group(1))
    stored = list(paths.documents_dir(Path(data)).iterdir())
    assert documents > 0 and len(stored) == documents
    result = run(runner, "demo", "--data-dir", data, ok=False)
    assert result.exit_code == 1 and "--force" in result.output
    from tmdesk.demo.content import USERS

    assert len(users_in(Path(data))) == len(USERS)


def test_backup_is_one_self_contained_file(tmp_path):
    from tmdesk.core import backup
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    db = open_database(tmp_path / "data")
    database.connect(reuse_if_open=True)
    out = backup.backup_database(db, tmp_path / "copies" / "b.sqlite3")
    database.close()
    assert sorted(p.name for p in out.parent.iterdir()) == ["b.sqlite3"]
