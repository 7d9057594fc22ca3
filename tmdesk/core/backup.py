"""Consistent backups and checked restores of the SQLite database.

SQLite's online backup API copies a live database page by page, so a backup
taken while the app serves is consistent. Every copy is checked with
``PRAGMA integrity_check`` before it is trusted.

The ``backups/`` folder of the data dir holds three kinds of copies, told
apart by their names (see :func:`list_backups`):

* ``auto-YYYYMMDD-HHMMSS.sqlite3``: automatic backups (:func:`automatic_backup`,
  run by :mod:`tmdesk.runtime.backup_schedule`); only these are ever deleted, and only
  beyond the newest ``keep`` of them (``TMDESK_BACKUP_KEEP``);
* ``manual-YYYYMMDD-HHMMSS.sqlite3``: "Back up now" on the administration page
  (:func:`backup_now`); kept until someone deletes them;
* ``before-upgrade-vN-YYYYMMDD-HHMMSS.sqlite3``: the copy taken before a
  schema upgrade; kept.

Anything else in the folder is the user's and is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import peewee

from tmdesk import settings
from tmdesk.core import audit
from tmdesk.core.db import DATABASE_FILENAME
from tmdesk.core.errors import BackupError, PermissionDenied
from tmdesk.core.i18n import N_
from tmdesk.core.permissions import can_administer
from tmdesk.paths import backups_dir, make_private_dir

if TYPE_CHECKING:
    from tmdesk.core.models import User

log = logging.getLogger(__name__)


# BackupError lives in tmdesk.core.errors (tmdesk.core.pg_backup raises it too).


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


def _part(out: Path) -> Path:
    """The file a copy to ``out`` is written to before it is checked: private to this
    process, since two servers starting at once both copy the database before an
    upgrade, possibly to the same name within one second."""
    return out.with_name(f"{out.name}.{os.getpid()}.part")


def backup_file(source: Path, out: Path) -> Path:
    """Copy the live SQLite database ``source`` to ``out`` and check the copy."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _part(out)
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
    """Back up the open database ``db`` to ``out``: SQLite's online backup, or
    ``pg_dump`` for PostgreSQL (:mod:`tmdesk.core.pg_backup`)."""
    from tmdesk.core import engine

    if engine.name(db) == engine.POSTGRESQL:
        from tmdesk.core import pg_backup
        from tmdesk.core.db import database_url_from_env

        url = getattr(db, "tmdesk_url", None) or database_url_from_env()
        if not url:
            raise BackupError("no PostgreSQL URL to back up (TMDESK_DATABASE_URL)")
        return pg_backup.dump(db, str(url), out)
    return backup_file(Path(db.database), out)


def backup_before_upgrade(db: peewee.Database, data_dir: Path, version: int) -> Path | None:
    """Keep a copy of the database as it was before a schema upgrade."""
    if not isinstance(db, peewee.SqliteDatabase):
        return None
    stamp = dt.datetime.now().strftime(STAMP_FORMAT)
    out = backups_dir(data_dir) / f"before-upgrade-v{version}-{stamp}.sqlite3"
    return backup_database(db, out)


# --- the backups folder: automatic copies, their rotation, what is there -------------

#: How many automatic backups are kept when ``TMDESK_BACKUP_KEEP`` is not set: ten
#: days of daily copies (more when the app is restarted often), a few megabytes
#: each for a desk's database; enough to go back past a long weekend or a holiday.
DEFAULT_KEEP = int(settings.BACKUP_KEEP.default or 0)
KEEP_ENV = settings.BACKUP_KEEP.name
#: "Daily": a new automatic backup once the newest one is this old.
DAILY = dt.timedelta(hours=24)
#: A start-up backup is skipped when the newest automatic one is younger than this,
#: so quitting and restarting the app many times in a day does not rotate away the
#: older daily copies.
START_GAP = dt.timedelta(hours=1)

STAMP_FORMAT = "%Y%m%d-%H%M%S"
AUTO_PREFIX = "auto-"
MANUAL_PREFIX = "manual-"
_STAMP = r"(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d{1,3}))?"
#: ``auto-20260301-093000.sqlite3`` (``-2``… when two are made in one second).
AUTO_NAME = re.compile(rf"^auto-{_STAMP}\.sqlite3$")
MANUAL_NAME = re.compile(rf"^manual-{_STAMP}\.sqlite3$")
UPGRADE_NAME = re.compile(rf"^before-upgrade-v\d+-{_STAMP}\.sqlite3$")

#: The kinds :func:`list_backups` reports (English codes; the web layer labels them).
KIND_AUTOMATIC = "automatic"
KIND_MANUAL = "manual"
KIND_UPGRADE = "before-upgrade"
KIND_OTHER = "other"


@dataclass(frozen=True)
class BackupInfo:
    """One file in the backups folder."""

    path: Path
    kind: str
    #: When the copy was made: from its name for tmdesk's own copies (local
    #: time, like the name), else the file's modification time.
    time: dt.datetime
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def keep_setting(env: Mapping[str, str] | None = None) -> int:
    """How many automatic backups to keep (``TMDESK_BACKUP_KEEP``); 0 turns them off.

    A value that is not a whole number ≥ 0 is logged and the default used, so
    a typo never silently switches backups off.
    """
    raw = settings.BACKUP_KEEP.get(env) or ""
    try:
        keep = int(raw)
    except ValueError:
        keep = -1
    if keep < 0:
        log.warning("%s=%r is not a whole number >= 0; keeping %s", KEEP_ENV, raw, DEFAULT_KEEP)
        return DEFAULT_KEEP
    return keep


def _stamp_time(match: re.Match[str]) -> dt.datetime:
    return dt.datetime.strptime(match.group("stamp"), STAMP_FORMAT)


def _order_key(match: re.Match[str]) -> tuple[str, int]:
    return match.group("stamp"), int(match.group("n") or 1)


def _describe(path: Path) -> BackupInfo | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if not path.is_file() or path.is_symlink():
        return None
    for pattern, kind in (
        (AUTO_NAME, KIND_AUTOMATIC),
        (MANUAL_NAME, KIND_MANUAL),
        (UPGRADE_NAME, KIND_UPGRADE),
    ):
        match = pattern.match(path.name)
        if match:
            try:
                return BackupInfo(path, kind, _stamp_time(match), st.st_size)
            except ValueError:  # 20261399-…: looks like ours, is not a time
                break
    return BackupInfo(path, KIND_OTHER, dt.datetime.fromtimestamp(st.st_mtime), st.st_size)


def list_backups(data_dir: Path) -> list[BackupInfo]:
    """Every file in ``<data dir>/backups``, newest first (empty when there is none)."""
    folder = backups_dir(Path(data_dir))
    if not folder.is_dir():
        return []
    found = [info for p in folder.iterdir() if (info := _describe(p)) is not None]
    return sorted(found, key=lambda b: (b.time, b.name), reverse=True)


def _automatic(folder: Path) -> list[tuple[tuple[str, int], Path]]:
    """The automatic backups in ``folder``, newest first, with their sort keys."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = AUTO_NAME.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            try:
                _stamp_time(match)
            except ValueError:
                continue
            found.append((_order_key(match), path))
    return sorted(found, reverse=True)


def latest_automatic_backup(data_dir: Path) -> BackupInfo | None:
    """The newest automatic backup, or None."""
    found = _automatic(backups_dir(Path(data_dir)))
    return _describe(found[0][1]) if found else None


def latest_automatic_backup_age(
    data_dir: Path, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """How old the newest automatic backup is (by the time in its name); None if none."""
    latest = latest_automatic_backup(data_dir)
    if latest is None:
        return None
    return (now or dt.datetime.now()) - latest.time


def automatic_backup_due(
    data_dir: Path,
    now: dt.datetime | None = None,
    at_start: bool = False,
) -> bool:
    """Whether an automatic backup should be made now.

    At start: unless the newest is younger than :data:`START_GAP`. Later: once
    the newest is :data:`DAILY` old. A newest copy "from the future" (the clock
    was set back) counts as fresh: the start-up copy still comes at each start.
    """
    age = latest_automatic_backup_age(data_dir, now)
    if age is None:
        return True
    return age >= (START_GAP if at_start else DAILY)


def _unique_name(folder: Path, prefix: str, now: dt.datetime, suffix: str = ".sqlite3") -> Path:
    stamp = now.strftime(STAMP_FORMAT)
    out = folder / f"{prefix}{stamp}{suffix}"
    n = 2
    while out.exists() or _part(out).exists():
        if n > 999:
            raise BackupError(f"too many backups named {prefix}{stamp}… in {folder}")
        out = folder / f"{prefix}{stamp}-{n}{suffix}"
        n += 1
    return out


def _source_path(db_or_path: peewee.Database | Path | str) -> Path:
    if isinstance(db_or_path, peewee.Database):
        if not isinstance(db_or_path, peewee.SqliteDatabase):
            raise BackupError("tmdesk backs up SQLite databases; use pg_dump for PostgreSQL")
        return Path(db_or_path.database)
    return Path(db_or_path)


def _checked_copy(source: Path, out: Path) -> Path:
    """:func:`backup_file`, with every failure a :class:`BackupError` and no
    half-written file left behind."""
    try:
        return backup_file(source, out)
    except BackupError:
        _part(out).unlink(missing_ok=True)
        raise
    except (sqlite3.Error, OSError) as exc:
        _part(out).unlink(missing_ok=True)
        raise BackupError(f"backing up {source} to {out} failed: {exc}") from exc


def prune_automatic(data_dir: Path, keep: int, spare: Path | None = None) -> list[Path]:
    """Delete the automatic backups beyond the newest ``keep``; returns what went.

    Only ``auto-…`` files are considered (never before-upgrade copies, manual
    ones or anything else in the folder), and ``spare`` (the copy just made)
    is never deleted. ``keep`` below 1 deletes nothing: turning automatic
    backups off does not throw the old ones away.
    """
    if keep < 1:
        return []
    deleted = []
    for _key, path in _automatic(backups_dir(Path(data_dir)))[keep:]:
        if spare is not None and path.resolve() == Path(spare).resolve():
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("could not delete the old automatic backup %s: %s", path, exc)
            continue
        deleted.append(path)
    return deleted


def automatic_backup(
    db_or_path: peewee.Database | Path | str,
    data_dir: Path,
    keep: int | None = None,
    now: dt.datetime | None = None,
) -> Path | None:
    """Write ``backups/auto-YYYYMMDD-HHMMSS.sqlite3`` (checked), then rotate.

    ``keep`` (default :func:`keep_setting`) automatic backups stay, the new
    one included; 0 means automatic backups are off and nothing is written or
    deleted (returns None). The rotation only runs after the new copy has
    passed its integrity check: a failed backup raises :class:`BackupError`
    and deletes nothing.
    """
    keep = keep_setting() if keep is None else keep
    if keep < 1:
        return None
    source = _source_path(db_or_path)
    if not source.is_file():
        raise BackupError(f"there is no database at {source} to back up")
    folder = make_private_dir(backups_dir(Path(data_dir)))
    out = _checked_copy(source, _unique_name(folder, AUTO_PREFIX, now or dt.datetime.now()))
    deleted = prune_automatic(data_dir, keep, spare=out)
    log.info(
        "automatic backup written to %s%s",
        out,
        f" ({len(deleted)} older automatic backup(s) removed)" if deleted else "",
    )
    return out


def backup_now(
    user: User | None, db: peewee.Database, data_dir: Path, now: dt.datetime | None = None
) -> Path:
    """An administrator's "Back up now": a checked ``manual-…`` copy, audited.

    Manual copies are not part of the rotation (the person asked for this
    one: it stays until someone deletes it).
    """
    if user is None or not can_administer(user):
        raise PermissionDenied(N_("Only administrators make backups."))
    folder = make_private_dir(backups_dir(Path(data_dir)))
    if isinstance(db, peewee.SqliteDatabase):
        out = _checked_copy(
            _source_path(db), _unique_name(folder, MANUAL_PREFIX, now or dt.datetime.now())
        )
    else:  # PostgreSQL: a checked pg_dump archive (tmdesk.core.pg_backup)
        name = _unique_name(folder, MANUAL_PREFIX, now or dt.datetime.now(), ".dump")
        out = backup_database(db, name)
    with db.atomic():
        audit.record(
            user,
            "backup",
            ("backup", out.name),
            after={"file": out.name, "size": out.stat().st_size},
        )
    return out


def restore(data_dir: Path, backup: Path, known_version: int) -> Path:
    """Replace the database in ``data_dir`` with ``backup``; returns the kept old file.

    The backup is checked (integrity, schema version not newer than this
    program) before anything is touched; the replaced database is kept beside
    it as ``tmdesk.sqlite3.replaced-<time>``.

    This function is lock-agnostic on purpose: the caller must make sure no
    tmdesk process serves ``data_dir`` (``tmdesk restore`` holds the data
    folder's instance lock, :func:`tmdesk.runtime.instance.exclusive_data_dir`, around
    it). Who serves a folder is a matter of processes, ports and the desktop
    launch, which the core knows nothing of; and a lock taken here would
    conflict with the one the caller already holds (``flock`` locks per open
    file, even within one process).
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
