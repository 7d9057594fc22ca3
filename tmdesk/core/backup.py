"""Consistent backups and checked restores of the SQLite database.

SQLite's online backup API copies a live database page by page, so a backup
taken while the app serves is consistent. Every copy is checked with
``PRAGMA integrity_check`` before it is trusted.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import peewee

from tmdesk.core.db import DATABASE_FILENAME


class BackupError(RuntimeError):
    """A backup or restore could not be completed safely."""


def check_integrity(path: Path) -> None:
    """Raise :class:`BackupError` unless the SQLite file at ``path`` is sound."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable tmdesk database: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{path} failed the integrity check: {result}")


def schema_version_of(path: Path) -> int:
    """The tmdesk schema version stored in the SQLite file at ``path``."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a tmdesk database: {exc}") from exc
    finally:
        con.close()
    if row is None:
        raise BackupError(f"{path} has no schema version: not a tmdesk database")
    return int(row[0])


def backup_file(source: Path, out: Path) -> Path:
    """Copy the live SQLite database ``source`` to ``out`` and check the copy."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
        # A backup is one self-contained file: no WAL beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    check_integrity(tmp)
    tmp.replace(out)
    return out


def backup_database(db: peewee.Database, out: Path) -> Path:
    """Back up the open SQLite database ``db`` to ``out``."""
    if not isinstance(db, peewee.SqliteDatabase):
        raise BackupError("tmdesk backup copies SQLite databases; use pg_dump for PostgreSQL")
    return backup_file(Path(db.database), out)


def backup_before_upgrade(db: peewee.Database, data_dir: Path, version: int) -> Path | None:
    """Keep a copy of the database as it was before a schema upgrade."""
    if not isinstance(db, peewee.SqliteDatabase):
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = data_dir / "backups" / f"before-upgrade-v{version}-{stamp}.sqlite3"
    return backup_database(db, out)


def restore(data_dir: Path, backup: Path, known_version: int) -> Path:
    """Replace the database in ``data_dir`` with ``backup``; returns the kept old file.

    The backup is checked (integrity, schema version not newer than this
    program) before anything is touched; the replaced database is kept beside
    it as ``tmdesk.sqlite3.replaced-<time>``.
    """
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist")
    check_integrity(backup)
    version = schema_version_of(backup)
    if version > known_version:
        raise BackupError(
            f"{backup} comes from a newer tmdesk (schema {version} > {known_version})"
        )
    target = Path(data_dir) / DATABASE_FILENAME
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.name}.replaced-{stamp}")
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(backup, staged)
    check_integrity(staged)
    if target.exists():
        # Fold the WAL into the old file so the kept copy is complete.
        con = sqlite3.connect(str(target))
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        target.replace(kept)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    staged.replace(target)
    return kept
