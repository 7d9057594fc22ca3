"""PostgreSQL: backups with ``pg_dump`` and checked restores with ``pg_restore``.

The SQLite side is :mod:`tmdesk.core.backup`; :func:`tmdesk.core.backup.backup_database`
sends a PostgreSQL database here. A backup is ``pg_dump``'s custom format
(``-Fc``: compressed, restorable table by table), written beside its final name
and checked with ``pg_restore --list`` before it is trusted. A restore checks the
file the same way (a readable archive, a tmdesk database, a schema version this
program knows), refuses while another tmdesk is connected, keeps a dump of the
database it replaces, then empties the schema and replays the archive with
``psql`` in one transaction: it either all happened or nothing did, and it says
which.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess  # nosec B404: runs PostgreSQL's own pg_dump / pg_restore, no shell
import tempfile
from pathlib import Path

import peewee

from tmdesk.core.errors import BackupError
from tmdesk.core.pg_engine import APPLICATION_NAME, connect_params

#: Where Debian and Ubuntu install the client programs of each PostgreSQL version.
DEBIAN_BIN = Path("/usr/lib/postgresql")


def find_tool(name: str, server_major: int | None = None) -> str:
    """The path of ``pg_dump`` or ``pg_restore``: the one of the server's major
    version when Debian's layout has it (an older pg_dump refuses a newer server),
    else the newest installed, else the one on PATH; :class:`BackupError` if none."""
    candidates = []
    if DEBIAN_BIN.is_dir():
        versions = sorted(
            (p for p in DEBIAN_BIN.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        if server_major is not None:
            versions = [p for p in versions if int(p.name) == server_major] + versions[::-1]
        else:
            versions = versions[::-1]
        candidates += [p / "bin" / name for p in versions]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise BackupError(
        f"{name} is not installed: install PostgreSQL's client programs "
        f"(Debian/Ubuntu: apt install postgresql-client) and try again"
    )


def _environment(url: str) -> dict[str, str]:
    """libpq's variables for ``url``: the password never appears on a command line."""
    params = connect_params(url)
    env = dict(os.environ)
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",  # nosec B105: the name of libpq's variable, not a password
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
    }
    for key, var in names.items():
        if key in params:
            env[var] = str(params[key])
    env["PGAPPNAME"] = f"{APPLICATION_NAME} backup"
    return env


def _run(args: list[str], url: str, what: str) -> str:
    result = subprocess.run(  # nosec B603: fixed program paths and arguments, no shell
        args, env=_environment(url), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else result.returncode}")
    return result.stdout


def _server_major(db: peewee.Database) -> int:
    return int(db.server_version // 10000)


def dump(db: peewee.Database, url: str, out: Path) -> Path:
    """Write a checked custom-format dump of the database at ``url`` to ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tool = find_tool("pg_dump", _server_major(db))
    # Created private first: pg_dump writes into it and keeps the mode (a dump
    # holds password hashes and every restricted project).
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        _run([tool, "-Fc", "--no-owner", "--no-privileges", "-f", str(tmp)], url, "pg_dump")
        check_archive(tmp, url)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def check_archive(path: Path, url: str) -> int:
    """Check that ``path`` is a readable pg_dump archive of a tmdesk database;
    return its schema version."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    tool = find_tool("pg_restore")
    try:
        listing = _run([tool, "--list", str(path)], url, "reading the archive")
    except BackupError as exc:
        raise BackupError(
            f"{path} is not a tmdesk database backup for PostgreSQL (pg_dump -Fc): {exc}"
        ) from exc
    if not re.search(r"TABLE DATA \S+ meta ", listing):
        raise BackupError(f"{path} is not a tmdesk database: it has no meta table")
    data = _run(
        [tool, "--data-only", "--table=meta", "-f", "-", str(path)], url, "reading the archive"
    )
    found = re.search(r"^schema_version\t(\d+)$", data, re.MULTILINE)
    if not found:
        raise BackupError(f"{path} has no schema version: not a tmdesk database")
    return int(found.group(1))


def other_connections(db: peewee.Database) -> int:
    """How many other tmdesk sessions are connected to this database now."""
    cursor = db.execute_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND application_name = %s",
        (APPLICATION_NAME,),
    )
    return int(cursor.fetchone()[0])


def restore(
    db: peewee.Database, url: str, backup: Path, known_version: int, keep_dir: Path
) -> Path:
    """Replace the database at ``url`` with the dump ``backup``; returns the dump of
    the replaced database (kept in ``keep_dir``).

    Refuses, changing nothing, when the file fails a check, comes from a newer
    tmdesk, or another tmdesk is connected to the database. The replacement runs
    in one transaction (``pg_restore --single-transaction``), so a failure leaves
    the database as it was."""
    version = check_archive(Path(backup), url)
    if version > known_version:
        raise BackupError(
            f"{backup} comes from a newer tmdesk (schema {version} > {known_version})"
        )
    if other_connections(db):
        raise BackupError(
            "another tmdesk is connected to this database: stop every tmdesk serve "
            "that uses it, then restore"
        )
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = dump(db, url, Path(keep_dir) / f"replaced-{stamp}.dump")
    major = _server_major(db)
    with tempfile.TemporaryDirectory(prefix="tmdesk-restore-") as tmp:
        # The archive as SQL, run by psql after emptying the schema, all in ONE
        # transaction: tables a newer schema added are gone too, and a failure
        # anywhere rolls everything back.
        script = Path(tmp) / "restore.sql"
        _run(
            [
                find_tool("pg_restore", major),
                "--no-owner",
                "--no-privileges",
                "-f",
                str(script),
                str(backup),
            ],
            url,
            "pg_restore",
        )
        _run(
            [
                find_tool("psql", major),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-c",
                "DROP SCHEMA IF EXISTS public CASCADE",
                "-c",
                "CREATE SCHEMA public",
                "-f",
                str(script),
            ],
            url,
            "restoring with psql",
        )
    return kept
